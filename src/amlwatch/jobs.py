"""The units of work of the nightly batch: each opens what it needs, does one thing, reports.

Prefect tasks in `pipelines/` wrap these one to one; the CLI calls them directly too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

from amlwatch.ingest import ingest_business_date
from amlwatch.models import LoadReport
from amlwatch.settings import Settings, get_settings
from amlwatch.warehouse import Warehouse

CHINA = ZoneInfo("Asia/Shanghai")


def previous_day_in_china(now: dt.datetime | None = None) -> dt.date:
    """The calendar day before today in Asia/Shanghai (the nightly run's default date)."""
    now = now or dt.datetime.now(CHINA)
    return now.astimezone(CHINA).date() - dt.timedelta(days=1)


@contextmanager
def open_warehouse(db: Path | None = None, settings: Settings | None = None) -> Iterator[Warehouse]:
    """The warehouse named by `db` or the settings, opened for writing."""
    settings = settings or get_settings()
    with Warehouse.open(
        Path(db or settings.db),
        memory_limit=settings.duckdb_memory_limit,
        threads=settings.duckdb_threads,
        lock_timeout_s=settings.lock_timeout_s,
    ) as warehouse:
        yield warehouse


def ingest_day(run_date: dt.date, inbox: Path | None = None, db: Path | None = None) -> LoadReport:
    """Load one business date from the inbox into the warehouse, replacing it exactly."""
    settings = get_settings()
    with open_warehouse(db, settings) as warehouse:
        return ingest_business_date(warehouse, Path(inbox or settings.inbox), run_date)
