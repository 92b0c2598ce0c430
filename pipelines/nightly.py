"""The nightly flow: ingest the run date, then (as later stages land) scan and report.

Flows only orchestrate; each task wraps one library call of `amlwatch.jobs`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from amlwatch import jobs
from amlwatch.models import LoadReport
from amlwatch.summary import load_report_markdown


def retry_only_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry locked or unavailable resources; never bad data (it would fail the same way)."""
    error = state.result(raise_on_failure=False)
    return bool(getattr(error, "retryable", False))


@task(retries=3, retry_delay_seconds=[5, 30, 120], retry_condition_fn=retry_only_transient)
def ingest(run_date: dt.date, inbox: Path | None, db: Path | None) -> LoadReport:
    """Load the run date's inbox folder into the warehouse."""
    return jobs.ingest_day(run_date, inbox, db)


@flow(name="nightly", log_prints=True)
def nightly(
    run_date: dt.date | None = None, inbox: Path | None = None, db: Path | None = None
) -> LoadReport:
    """One night of monitoring for `run_date` (default: yesterday in Asia/Shanghai)."""
    day = run_date or jobs.previous_day_in_china()
    report = ingest(day, inbox, db)
    create_markdown_artifact(
        key=f"nightly-{day:%Y%m%d}",
        markdown=load_report_markdown(report),
        description=f"amlwatch nightly run for {day}",
    )
    return report
