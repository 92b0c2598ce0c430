"""The one place that turns settings into objects: the warehouse, the case store, the
submission ledger, the business-day calendar, the reporting institution, the review use
cases and the clock. Stages, the CLI and the flows get them here, never build them.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

from amlwatch.cases import CaseStore, Review, SubmissionLedger, signing
from amlwatch.rating import load_model
from amlwatch.rules import BusinessCalendar, RulePack, load_pack, pack_for
from amlwatch.rules.library import LibraryVersion, apply_library
from amlwatch.settings import Settings, get_settings
from amlwatch.submission.codes import CRIME_TYPE_NAMES
from amlwatch.submission.dictionary import NA
from amlwatch.submission.messages import Institution
from amlwatch.warehouse import Warehouse

CHINA = ZoneInfo("Asia/Shanghai")


def settings() -> Settings:
    """The process-wide settings."""
    return get_settings()


def today() -> dt.date:
    """Today in Asia/Shanghai: the day deadlines and filings are dated by."""
    return dt.datetime.now(CHINA).date()


def previous_day_in_china(now: dt.datetime | None = None) -> dt.date:
    """The calendar day before today in Asia/Shanghai (the nightly run's default date)."""
    now = now or dt.datetime.now(CHINA)
    return now.astimezone(CHINA).date() - dt.timedelta(days=1)


def calendar(settings: Settings | None = None) -> BusinessCalendar:
    """The business-day calendar: the statutory schedule plus the operator's override file."""
    return BusinessCalendar.load((settings or get_settings()).calendar_file)


def warehouse_path(db: Path | None = None, settings: Settings | None = None) -> Path:
    """The warehouse file named by `db` or the settings."""
    return Path(db or (settings or get_settings()).db)


def reports_folder(settings: Settings, reports_dir: Path | None, *parts: str) -> Path:
    """A folder under the reports folder named by `reports_dir` or the settings."""
    return Path(reports_dir or settings.reports_dir).joinpath(*parts)


@contextmanager
def open_warehouse(
    db: Path | None = None,
    settings: Settings | None = None,
    *,
    read_only: bool = False,
    scanning: bool = False,
) -> Iterator[Warehouse]:
    """The warehouse named by `db` or the settings, opened for writing unless `read_only`;
    `scanning`: read only, for a scanner (DuckDB's memory limited to the scan setting)."""
    settings = settings or get_settings()
    with Warehouse.open(
        warehouse_path(db, settings),
        memory_limit=(
            settings.duckdb_scan_memory_limit if scanning else settings.duckdb_memory_limit
        ),
        threads=settings.duckdb_threads,
        lock_timeout_s=settings.lock_timeout_s,
        read_only=read_only or scanning,
        window_store=settings.window_store,
    ) as warehouse:
        yield warehouse


def case_store(db: Path | None = None, settings: Settings | None = None) -> CaseStore:
    """The case store the settings name, or the SQLite file beside the warehouse, signing its
    audit entries with the audit key when there is one and anchoring each write's new head in
    the checkpoint file."""
    settings = settings or get_settings()
    key = audit_key(db, settings)
    anchors = audit_checkpoints_path(db, settings)
    url = settings.case_db
    if not url:
        warehouse = warehouse_path(db, settings)
        url = f"sqlite:///{warehouse.with_name(f'{warehouse.stem}-cases.sqlite')}"
    return CaseStore(
        url, lock_timeout_s=settings.lock_timeout_s, audit_key=key, audit_checkpoints=anchors
    )


def owner_only() -> None:
    """Files and folders this process creates from now on are its owner's only (umask 077):
    the warehouse, the case store, the reports and the keys hold monitoring results that no
    other account on the machine may read. Every entry point calls it first."""
    os.umask(0o077)


def audit_key_path(db: Path | None = None, settings: Settings | None = None) -> Path:
    """Where the audit key is kept: the setting, or a file beside the warehouse."""
    settings = settings or get_settings()
    if settings.audit_key_file:
        return Path(settings.audit_key_file)
    warehouse = warehouse_path(db, settings)
    return warehouse.with_name(f"{warehouse.stem}-audit.key")


def audit_checkpoints_path(db: Path | None = None, settings: Settings | None = None) -> Path:
    """The audit chain's checkpoint file: the setting, or a file beside the warehouse."""
    settings = settings or get_settings()
    if settings.audit_checkpoint_file:
        return Path(settings.audit_checkpoint_file)
    warehouse = warehouse_path(db, settings)
    return warehouse.with_name(f"{warehouse.stem}-audit-checkpoints.log")


def audit_key(db: Path | None = None, settings: Settings | None = None) -> bytes | None:
    """The audit key: the AMLWATCH_AUDIT_KEY secret, or the key file's (None: no key yet)."""
    settings = settings or get_settings()
    if settings.audit_key is not None:
        return bytes.fromhex(settings.audit_key.get_secret_value().strip())
    return signing.read_key(audit_key_path(db, settings))


@contextmanager
def open_ledger(
    db: Path | None = None, settings: Settings | None = None
) -> Iterator[SubmissionLedger]:
    """The case store's record of regulator files, closed afterwards."""
    store = case_store(db, settings)
    try:
        yield SubmissionLedger(store)
    finally:
        store.close()


def _branch_table(settings: Settings, table: str) -> dict[str, str]:
    """One table of the branch codes file (`branches`: outlet codes; `names`: names)."""
    if not settings.branch_codes_file:
        return {}
    with open(settings.branch_codes_file, "rb") as handle:
        return {str(k): str(v) for k, v in tomllib.load(handle).get(table, {}).items()}


def branch_names(settings: Settings | None = None) -> dict[str, str]:
    """The bank's branches by code, with their names (what the screens show beside codes)."""
    return _branch_table(settings or get_settings(), "names")


def institution(settings: Settings | None = None) -> Institution:
    """The reporting institution as the settings describe it."""
    settings = settings or get_settings()
    branches = _branch_table(settings, "branches")
    return Institution(
        code=settings.institution_code,
        reporting_branch=settings.reporting_branch or settings.institution_code,
        filer=settings.report_filer or NA,
        branches=branches,
    )


def review_for(
    store: CaseStore, settings: Settings | None = None, db: Path | None = None
) -> Review:
    """The review use cases over a store, with the business-day calendar and code tables
    (and the audit checkpoint file beside the warehouse `db` names)."""
    settings = settings or get_settings()
    days = calendar(settings)
    review = Review(
        store,
        add_working_days=days.add_business_days,
        crime_types=CRIME_TYPE_NAMES,
        review_levels=settings.review_levels,
        session_timeout=dt.timedelta(minutes=settings.session_timeout_minutes),
        session_lifetime=dt.timedelta(hours=settings.session_max_hours),
        today=today,
        is_provisional=days.is_provisional,
        calendar_notice=lambda: days.missing_schedule_for_reviewers(today()),
    )
    review.access_four_eyes = settings.access_four_eyes
    review.screening_report_days = settings.screening_report_working_days
    review.rating_model = load_model(settings.rating_model)
    review.audit_checkpoints = audit_checkpoints_path(db, settings)
    review.branch_names = branch_names(settings)
    return review


@contextmanager
def open_review(db: Path | None = None, settings: Settings | None = None) -> Iterator[Review]:
    """The review over the case store the settings name, closed afterwards."""
    settings = settings or get_settings()
    store = case_store(db, settings)
    try:
        yield review_for(store, settings, db)
    finally:
        store.close()


def standards_library(
    db: Path | None = None, settings: Settings | None = None
) -> list[LibraryVersion]:
    """The standards' versions approvers put in force (none before a case store exists)."""
    settings = settings or get_settings()
    if not settings.case_db:
        warehouse = warehouse_path(db, settings)
        if not warehouse.with_name(f"{warehouse.stem}-cases.sqlite").exists():
            return []
    with open_review(db, settings) as review:
        return review.library()


def rule_pack_on(
    day: dt.date, rule_pack: str | None = None, library: Sequence[LibraryVersion] = ()
) -> RulePack:
    """The pack a night of `day` runs under: the one named, or the bundled one in force with
    the standards' versions in force that day."""
    if rule_pack:
        return load_pack(rule_pack)
    return apply_library(pack_for(day), library, day)
