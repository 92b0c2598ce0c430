"""Errors of the scanners: wrong inputs are programming errors, never retried."""

from __future__ import annotations


class ScannerInputError(ValueError):
    """Arrays of the wrong dtype, length or order were passed to a scanner."""

    retryable = False
