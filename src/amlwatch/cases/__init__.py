"""The case store: review state and the record of regulatory submissions, in their own
transactional database (SQLAlchemy with Alembic migrations; an SQLite file by default,
PostgreSQL for several reviewers). Only this package talks to it."""

from amlwatch.cases import holds as holds  # registers the hold register on the metadata
from amlwatch.cases import notices as notices  # registers the notice table on the metadata
from amlwatch.cases import standard_rows as standard_rows  # registers the standards' versions
from amlwatch.cases import tables as tables  # registers the review tables on the metadata
from amlwatch.cases.exceptions import (
    CaseError,
    Forbidden,
    FourEyes,
    InvalidInput,
    LoginFailed,
    NotFound,
    WrongState,
)
from amlwatch.cases.holds import Hold, HoldRegister
from amlwatch.cases.intake import AlertEvidence, Intake, open_cases
from amlwatch.cases.repository import CaseFilter
from amlwatch.cases.store import CaseStore
from amlwatch.cases.submissions import FileRecord, SubmissionLedger
from amlwatch.cases.usecases import Review

__all__ = [
    "AlertEvidence",
    "CaseError",
    "CaseFilter",
    "CaseStore",
    "FileRecord",
    "Forbidden",
    "FourEyes",
    "Hold",
    "HoldRegister",
    "Intake",
    "InvalidInput",
    "LoginFailed",
    "NotFound",
    "Review",
    "SubmissionLedger",
    "WrongState",
    "open_cases",
]
