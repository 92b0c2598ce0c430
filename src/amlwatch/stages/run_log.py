"""The run log: one row per nightly run, succeeded or failed, for the operators' morning look
(`amlwatch runs`)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from amlwatch import wiring
from amlwatch.ingest import inbox_dates
from amlwatch.models import NightlyReport
from amlwatch.rules import CalendarUnknown
from amlwatch.stages.calendar import night_calendar
from amlwatch.warehouse import run_log as wh_run_log


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux `VmHWM`), in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def record_run(
    run_date: dt.date,
    started_at: dt.datetime,
    report: NightlyReport | None,
    stage_seconds: dict[str, float],
    *,
    db: Path | None = None,
    rule_pack: str | None = None,
    error: str | None = None,
    flow_run_id: str | None = None,
    run_id: str | None = None,
) -> str:
    """Record the run's outcome in `run_log` (a failed run too), in place of the row its start
    wrote (`run_id`, from `record_start`); returns the run id."""
    run_id = run_id or new_run_id(run_date)
    load = report.load if report else None
    lv = report.large_value if report else None
    sp = report.patterns if report else None
    packs = sorted({*(lv.rule_packs if lv else []), *(sp.rule_packs if sp else [])})
    peak = round(peak_rss_mb(), 1)
    run: dict[str, object] = {
        "run_id": run_id,
        "run_date": run_date,
        "flow_run_id": flow_run_id,
        "started_at": started_at,
        "finished_at": dt.datetime.now(),
        "outcome": "failed" if error else "succeeded",
        "rule_pack": ", ".join(packs) or rule_pack,
        "load_id": load.load_id if load else None,
        "rows_in": load.total_in if load else None,
        "rows_loaded": load.total_loaded if load else None,
        "rows_quarantined": load.total_quarantined if load else None,
        "hits_by_code": lv.hits_by_code if lv else None,
        "alerts_opened": sp.alerts_opened if sp else None,
        "alerts_extended": sp.alerts_extended if sp else None,
        "stage_seconds": {k: round(v, 3) for k, v in stage_seconds.items()},
        "peak_rss_mb": peak,
        "error": error,
        "unknown_codes": load.unknown_codes if load else None,
        "overdue_files": report.submission.overdue if report and report.submission else None,
        "held_records": (report.submission.held_records if report and report.submission else None),
        "data_issues": len(load.data_issues) if load else None,
    }
    try:  # the calendar facts the night's results rest on (see stages.calendar)
        night = night_calendar(run_date, wiring.calendar(), rule_pack)
        run.update(
            calendar_provisional=night.provisional,
            window_start=night.window_start,
            window_starts=night.window_starts,
            report_due=night.report_due,
        )
    except CalendarUnknown:
        pass  # a failed run on a date no calendar covers: recorded without them
    with wiring.open_warehouse(db) as warehouse:
        wh_run_log.record_run(warehouse, run)
    if report is not None:
        report.run_id = run_id
        report.stage_seconds = dict(stage_seconds)
        report.peak_rss_mb = peak
    return run_id


def new_run_id(run_date: dt.date) -> str:
    """A run's id: its date and a random part."""
    return f"{run_date:%Y%m%d}-{uuid.uuid4().hex[:12]}"


def record_start(
    run_date: dt.date,
    started_at: dt.datetime,
    *,
    db: Path | None = None,
    rule_pack: str | None = None,
    flow_run_id: str | None = None,
) -> str:
    """Record that a night started (outcome `started`), so that a night killed mid-way
    leaves its row: `record_run` replaces it with the outcome. Returns the run id."""
    run_id = new_run_id(run_date)
    run: dict[str, object] = {
        "run_id": run_id,
        "run_date": run_date,
        "flow_run_id": flow_run_id,
        "started_at": started_at,
        "finished_at": started_at,
        "outcome": "started",
        "rule_pack": rule_pack,
    }
    with wiring.open_warehouse(db) as warehouse:
        wh_run_log.record_run(warehouse, run)
    return run_id


def backfill_dates(
    inbox: Path, first: dt.date | None = None, last: dt.date | None = None
) -> list[dt.date]:
    """Every calendar date from `first` to `last` (default: the inbox's first and last
    folder), in order: a backfill runs them all, a missing folder failing its night loudly.

    Raises:
        ValueError: no such dates.
    """
    available = inbox_dates(inbox)
    start = first or (available[0] if available else None)
    end = last or (available[-1] if available else None)
    if start is None or end is None or start > end:
        raise ValueError(f"no dates to run in {inbox} between {first} and {last}")
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def not_completed(dates: list[dt.date], db: Path | None = None) -> list[dt.date]:
    """`dates` from the first one whose latest run did not succeed (`--resume`)."""
    path = wiring.warehouse_path(db)
    if not path.exists():
        return dates
    with wiring.open_warehouse(path, read_only=True) as warehouse:
        done = wh_run_log.completed_dates(warehouse, dates)
    for i, day in enumerate(dates):
        if day not in done:
            return dates[i:]
    return []
