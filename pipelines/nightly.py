"""The nightly flow: ingest the run date, find large-value transactions, scan the
scatter / concentrate windows ending on it, and write the report tables.

Flows only orchestrate; each task wraps one library call of `amlwatch.jobs`.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any, cast

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.context import FlowRunContext
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from amlwatch import jobs
from amlwatch.models import (
    LargeValueSummary,
    LoadReport,
    NightlyReport,
    PatternSummary,
    RescanSummary,
)
from amlwatch.reports import ReportFiles, SuspiciousReportFiles
from amlwatch.summary import nightly_markdown


def retry_only_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry locked or unavailable resources; never bad data (it would fail the same way)."""
    error = state.result(raise_on_failure=False)
    return bool(getattr(error, "retryable", False))


@task(retries=3, retry_delay_seconds=[5, 30, 120], retry_condition_fn=retry_only_transient)
def ingest(run_date: dt.date, inbox: Path | None, db: Path | None) -> LoadReport:
    """Load the run date's inbox folder into the warehouse."""
    return jobs.ingest_day(run_date, inbox, db)


@task(retries=3, retry_delay_seconds=[5, 30, 120], retry_condition_fn=retry_only_transient)
def scan_large_value(
    run_date: dt.date, db: Path | None, rule_pack: str | None
) -> LargeValueSummary:
    """Find the large-value transactions of the trade dates the run date brought."""
    return jobs.scan_large_value_day(run_date, db, rule_pack)


@task(retries=3, retry_delay_seconds=[5, 30, 120], retry_condition_fn=retry_only_transient)
def write_large_value_report(
    run_date: dt.date, db: Path | None, reports_dir: Path | None
) -> ReportFiles:
    """Write the large-value report tables of the run to reports/<run_date>/."""
    return jobs.write_large_value_report(run_date, db, reports_dir)


@task(retries=3, retry_delay_seconds=[5, 30, 120], retry_condition_fn=retry_only_transient)
def scan_patterns(run_date: dt.date, db: Path | None, rule_pack: str | None) -> PatternSummary:
    """Scan the 10-business-day windows ending on the run date; open or extend alerts."""
    return jobs.scan_patterns_day(run_date, db, rule_pack)


@task(retries=3, retry_delay_seconds=[5, 30, 120], retry_condition_fn=retry_only_transient)
def write_suspicious_report(
    run_date: dt.date, db: Path | None, reports_dir: Path | None
) -> SuspiciousReportFiles:
    """Write the suspicious report form of the run's alerts to reports/<run_date>/."""
    return jobs.write_suspicious_report(run_date, db, reports_dir)


@task(retries=3, retry_delay_seconds=[5, 30, 120], retry_condition_fn=retry_only_transient)
def rescan_following(run_date: dt.date, db: Path | None, rule_pack: str | None) -> RescanSummary:
    """Re-scan the later nights whose windows hold a date whose input was replaced."""
    return jobs.rescan_following(run_date, db, rule_pack)


@flow(name="nightly", log_prints=True)
def nightly(
    run_date: dt.date | None = None,
    inbox: Path | None = None,
    db: Path | None = None,
    rule_pack: str | None = None,
    reports_dir: Path | None = None,
) -> NightlyReport:
    """One night of monitoring for `run_date` (default: yesterday in Asia/Shanghai)."""
    day = run_date or jobs.previous_day_in_china()
    started_at = dt.datetime.now()
    seconds: dict[str, float] = {}
    report: NightlyReport | None = None

    def timed(stage: str, step: Any, *args: Any) -> Any:
        began = time.monotonic()
        try:
            return step(*args)
        finally:
            seconds[stage] = time.monotonic() - began

    try:
        report = NightlyReport(load=timed("ingest", ingest, day, inbox, db))
        report.large_value = timed("large_value", scan_large_value, day, db, rule_pack)
        report.large_value_report = timed(
            "large_value_report", write_large_value_report, day, db, reports_dir
        )
        report.patterns = timed("patterns", scan_patterns, day, db, rule_pack)
        report.suspicious_report = timed(
            "suspicious_report", write_suspicious_report, day, db, reports_dir
        )
        if report.load.replaced_load_id is not None:  # a re-run: later windows hold this date
            report.rescan = timed("rescan_following", rescan_following, day, db, rule_pack)
    except Exception as error:
        _record_failure(day, started_at, report, seconds, db, rule_pack, error)
        raise
    jobs.record_run(
        day, started_at, report, seconds, db=db, rule_pack=rule_pack, flow_run_id=_flow_run_id()
    )
    create_markdown_artifact(
        key=f"nightly-{day:%Y%m%d}",
        markdown=nightly_markdown(report),
        description=f"amlwatch nightly run for {day}",
    )
    return report


def _flow_run_id() -> str | None:
    """The current Prefect flow run's id, if any."""
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return None
    return str(context.flow_run.id)


def _record_failure(
    day: dt.date,
    started_at: dt.datetime,
    report: NightlyReport | None,
    seconds: dict[str, float],
    db: Path | None,
    rule_pack: str | None,
    error: Exception,
) -> None:
    """Best effort: a run that failed is recorded too (unless the warehouse is the problem)."""
    try:
        jobs.record_run(
            day,
            started_at,
            report,
            seconds,
            db=db,
            rule_pack=rule_pack,
            error=f"{type(error).__name__}: {error}"[:2000],
            flow_run_id=_flow_run_id(),
        )
    except Exception as also:  # the original error is what the operator must see
        get_run_logger().warning("could not record the failed run in run_log: %s", also)


NIGHTLY_CRON = "0 2 * * *"  # 02:00 every day, for the previous calendar day
NIGHTLY_TIMEZONE = "Asia/Shanghai"


def nightly_deployment(
    cron: str = NIGHTLY_CRON, timezone: str = NIGHTLY_TIMEZONE, **parameters: Any
) -> RunnerDeployment:
    """The scheduled deployment of `nightly` (run date left empty: yesterday in Shanghai).

    `parameters` are the flow's (inbox, db, rule_pack, reports_dir), as strings or paths.
    """
    deployment = nightly.to_deployment(
        name="amlwatch-nightly",
        schedule=Cron(cron, timezone=timezone),
        parameters={k: str(v) for k, v in parameters.items() if v is not None},
        description="amlwatch: ingest yesterday's inbox folder, scan, write the report tables",
        tags=["amlwatch"],
    )
    return cast(RunnerDeployment, deployment)  # sync-compatible: a value outside async code
