"""Ingest: file discovery, parsing, validation, quarantine."""

from amlwatch.ingest.exceptions import FileRejected, InboxMissing, IngestError
from amlwatch.ingest.load import discover, inbox_dates, ingest_business_date

__all__ = [
    "FileRejected",
    "InboxMissing",
    "IngestError",
    "discover",
    "inbox_dates",
    "ingest_business_date",
]
