"""Errors of the ingest stage. Bad data is terminal: retrying cannot help."""

from __future__ import annotations


class IngestError(Exception):
    """Base of ingest errors."""

    retryable = False


class InboxMissing(IngestError):
    """The inbox or the business date's folder or its transactions file is not there."""


class FileRejected(IngestError):
    """A file that cannot be parsed at all; nothing of it (nor of its date) is loaded."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: rejected whole: {reason}")
        self.file = file
        self.reason = reason


class NeedsExactRead(IngestError):
    """A streamed CSV turned out not to be one record per line (blank lines, quoted line
    breaks, rows with the wrong number of fields) or not UTF-8: read it the careful way."""
