"""The ingest stage: one business date from the inbox into the warehouse, replacing it
exactly, with what the load derives for the scanners (the pattern scanner's day run)."""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path

from amlwatch import wiring
from amlwatch.ingest import ingest_business_date
from amlwatch.models import LoadReport
from amlwatch.rules import pack_for
from amlwatch.warehouse import day_runs, inspect
from amlwatch.warehouse.database import Derivation


def ingest_day(run_date: dt.date, inbox: Path | None = None, db: Path | None = None) -> LoadReport:
    """Load one business date from the inbox into the warehouse, replacing it exactly, with
    the pattern scanner's day run for the rule pack in force."""
    settings = wiring.settings()
    with wiring.open_warehouse(db, settings) as warehouse:
        return ingest_business_date(
            warehouse, Path(inbox or settings.inbox), run_date, day_run_steps(run_date)
        )


def day_run_steps(business_date: dt.date) -> list[Derivation]:
    """What a load derives for the pattern scanner: the day run under the pack in force (a
    scan under another pack cuts its runs on the fly)."""
    rule = pack_for(business_date).suspicious
    if rule is None or rule.subject != "customer":
        return []
    return [partial(day_runs.store_day_run, rule=rule)]


def cut_day_runs(db: Path | None = None) -> list[dt.date]:
    """Cut the pattern scanner's day run of every loaded business date that lacks a valid one
    (a warehouse loaded before day runs existed, or after the pack's exclusions changed), one
    date per transaction; returns the dates cut. Scans are right without them, only slower."""
    cut = []
    with wiring.open_warehouse(db) as warehouse:
        for day, load_id in inspect.loaded_dates(warehouse):
            rule = pack_for(day).suspicious
            if rule is None or rule.subject != "customer":
                continue
            if day_runs.recut_day_run(warehouse, day, load_id, rule):
                cut.append(day)
    return cut
