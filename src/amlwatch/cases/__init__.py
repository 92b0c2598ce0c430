"""The case store: review state and the record of regulatory submissions, in their own
transactional database (SQLAlchemy; an SQLite file by default). Only this package talks to it."""

from amlwatch.cases.store import CaseStore
from amlwatch.cases.submissions import FileRecord, SubmissionLedger

__all__ = ["CaseStore", "FileRecord", "SubmissionLedger"]
