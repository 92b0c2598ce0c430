"""Masking of identifiers for anything a person may read outside the case page (logs, CLI)."""

from __future__ import annotations


def mask_identifier(value: str | None, keep: int = 4) -> str:
    """Show only the last `keep` characters of an account or ID number: `****1234`."""
    if value is None:
        return ""
    text = str(value)
    if len(text) <= keep:
        return "*" * len(text)
    return "*" * min(len(text) - keep, 8) + text[-keep:]
