"""The nightly flow: ingest the run date, screen its new customers and its counterparties
against the sanctions and watch lists, find large-value transactions, scan the
monitoring standards' windows ending on it (each customer's, then the network standards' over
the bank's own transfer graph), and write the report tables.

Flows only orchestrate; each task wraps one call of a stage of `amlwatch.stages`.
"""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, cast

from prefect import Flow, flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron
from prefect.server.api.server import SubprocessASGIServer
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import ThreadPoolTaskRunner

from amlwatch import wiring
from amlwatch.cases import Intake
from amlwatch.models import (
    CalendarCheck,
    Filing,
    LargeValueSummary,
    LoadReport,
    NetworkSummary,
    NightlyReport,
    PatternSummary,
    RescanSummary,
)
from amlwatch.reports import ReportFiles, SuspiciousReportFiles
from amlwatch.scanners import warm
from amlwatch.stages import (
    audit_trail,
    calendar,
    cases,
    filings,
    large_value,
    network,
    patterns,
    rating,
    rescan,
    run_log,
    screening,
)
from amlwatch.stages import ingest as ingest_stage
from amlwatch.stages.large_value import LargeValuePart
from amlwatch.stages.large_value_scan import LargeValuePlan
from amlwatch.stages.patterns import PartPlan, PatternPart
from amlwatch.stages.screening import Screened
from amlwatch.summary import nightly_markdown
from amlwatch.warehouse import Bucket


def retry_only_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry locked or unavailable resources; never bad data (it would fail the same way)."""
    error = state.result(raise_on_failure=False)
    return bool(getattr(error, "retryable", False))


# every task does I/O on the warehouse, the inbox or the reports folder
RETRY_TRANSIENT: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": [5, 30, 120],
    "retry_condition_fn": retry_only_transient,
}


@task(**RETRY_TRANSIENT)
def ingest(run_date: dt.date, inbox: Path | None, db: Path | None) -> LoadReport:
    """Load the run date's inbox folder into the warehouse."""
    return ingest_stage.ingest_day(run_date, inbox, db)


@task(**RETRY_TRANSIENT)
def screen_parties(run_date: dt.date, db: Path | None) -> Screened:
    return screening.screen_night(run_date, db)


@task(**RETRY_TRANSIENT)
def check_calendar(
    run_date: dt.date, db: Path | None, reports_dir: Path | None, rule_pack: str | None
) -> CalendarCheck:
    """Tonight's calendar (provisional?), and earlier provisional nights re-done on an official
    schedule that has arrived since."""
    return calendar.check_calendar(run_date, db, reports_dir, rule_pack)


@task(**RETRY_TRANSIENT, cache_policy=NO_CACHE)  # plans are not cached
def plan_large_value(
    run_date: dt.date, db: Path | None, rule_pack: str | None, buckets: list[Bucket]
) -> list[LargeValuePlan]:
    """Each bucket's plan of the trade dates the run date brought (where the warehouse is)."""
    return large_value.plan_large_value_buckets(run_date, db, rule_pack, buckets)


@task(**RETRY_TRANSIENT, cache_policy=NO_CACHE, task_run_name="scan_large_value[{bucket}]")
def scan_large_value(plan: LargeValuePlan, bucket: Bucket) -> LargeValuePart:
    """One customer bucket's large-value hits, from its plan and the window store: the task
    never opens the warehouse."""
    return large_value.scan_large_value_plan(plan)


@task(**RETRY_TRANSIENT, cache_policy=NO_CACHE)  # bucket results are not cached
def store_large_value(db: Path | None, parts: list[LargeValuePart]) -> LargeValueSummary:
    """Replace the trade dates' large-value hits with every bucket's, in one transaction."""
    return large_value.store_large_value(db, parts)


@task(**RETRY_TRANSIENT)
def write_large_value_report(
    run_date: dt.date, db: Path | None, reports_dir: Path | None
) -> ReportFiles:
    """Write the large-value report tables of the run to reports/<run_date>/."""
    return large_value.write_large_value_report(run_date, db, reports_dir)


@task(**RETRY_TRANSIENT, cache_policy=NO_CACHE)  # plans are not cached
def plan_patterns(
    run_date: dt.date, db: Path | None, rule_pack: str | None, buckets: list[Bucket]
) -> list[PartPlan]:
    """Each bucket's plan of the windows ending on the run date: the window's day runs in
    the window store, the bucket's customers' facts (where the warehouse is)."""
    return patterns.plan_patterns(run_date, db, rule_pack, buckets)


@task(**RETRY_TRANSIENT, cache_policy=NO_CACHE, task_run_name="scan_patterns[{bucket}]")
def scan_patterns(plan: PartPlan, bucket: Bucket) -> PatternPart:
    """One customer bucket's hits of the 10-business-day windows ending on the run date,
    from its plan and the window store: the task never opens the warehouse."""
    return patterns.scan_part_plan(plan)


@task(**RETRY_TRANSIENT, cache_policy=NO_CACHE)  # bucket results are not cached
def store_patterns(
    run_date: dt.date, db: Path | None, rule_pack: str | None, parts: list[PatternPart]
) -> PatternSummary:
    """Replace the run date's hits with every bucket's; open or extend the alerts."""
    return patterns.store_patterns(run_date, db, rule_pack, parts)


@task(**RETRY_TRANSIENT)
def scan_network(run_date: dt.date, db: Path | None, rule_pack: str | None) -> NetworkSummary:
    """The network standards over the bank's own transfer graph; replace the run date's
    structures."""
    return network.scan_network_day(run_date, db, rule_pack)


@task(**RETRY_TRANSIENT)
def write_suspicious_report(
    run_date: dt.date, db: Path | None, reports_dir: Path | None
) -> SuspiciousReportFiles:
    """Write the suspicious report form of the run's alerts to reports/<run_date>/."""
    return patterns.write_suspicious_report(run_date, db, reports_dir)


@task(**RETRY_TRANSIENT)
def write_large_value_submission(
    run_date: dt.date, db: Path | None, reports_dir: Path | None
) -> Filing:
    """Write the run's large-value submission package (validated, numbered, recorded)."""
    return filings.write_large_value_submission(run_date, db, reports_dir)


@task(**RETRY_TRANSIENT)
def open_cases(run_date: dt.date, db: Path | None, rescanned: list[dt.date]) -> Intake:
    """Open or update the review cases of the run's alerts (idempotent)."""
    return cases.open_cases_of_run(run_date, db, rescanned)


@task(**RETRY_TRANSIENT)
def rate_customers(run_date: dt.date, db: Path | None, rule_pack: str | None) -> rating.Rated:
    """Rate every customer; open the rating reviews the night calls for."""
    return rating.rate_night(run_date, db, rule_pack)


@task(**RETRY_TRANSIENT)
def rescan_following(run_date: dt.date, db: Path | None, rule_pack: str | None) -> RescanSummary:
    """Re-scan the later nights whose windows hold a date whose input was replaced."""
    return rescan.rescan_following(run_date, db, rule_pack)


@flow(name="nightly", log_prints=True)
def nightly(
    run_date: dt.date | None = None,
    inbox: Path | None = None,
    db: Path | None = None,
    rule_pack: str | None = None,
    reports_dir: Path | None = None,
    buckets: int = 1,
) -> NightlyReport:
    """One night of monitoring for `run_date` (default: yesterday in Asia/Shanghai).

    Both scans run as one task per customer hash bucket (`buckets`; the results do not depend
    on it) on the flow's task runner, e.g. a Dask cluster (`with_task_runner`); each result is
    then stored by one task, in one transaction.
    """
    wiring.owner_only()  # also when a worker, not the CLI, runs the flow
    warm.load_in_background()  # the kernels load while the ingest runs (once per process)
    day = run_date or wiring.previous_day_in_china()
    split = Bucket.all_of(buckets)
    started_at = dt.datetime.now()
    seconds: dict[str, float] = {}
    report: NightlyReport | None = None
    run_id = _record_start(day, started_at, db, rule_pack)

    def timed(stage: str, step: Any, *args: Any) -> Any:
        began = time.monotonic()
        try:
            return step(*args)
        finally:
            seconds[stage] = time.monotonic() - began

    try:
        report = NightlyReport(load=timed("ingest", ingest, day, inbox, db))
        # a listed customer is stopped before anything else of the night
        report.screening = timed("screening", screen_parties, day, db)
        report.calendar = timed("calendar", check_calendar, day, db, reports_dir, rule_pack)
        report.large_value = timed("large_value", _large_value, day, db, rule_pack, split)
        report.large_value_report = timed(
            "large_value_report", write_large_value_report, day, db, reports_dir
        )
        report.patterns = timed("patterns", _patterns, day, db, rule_pack, split)
        report.network = timed("network", scan_network, day, db, rule_pack)
        report.suspicious_report = timed(
            "suspicious_report", write_suspicious_report, day, db, reports_dir
        )
        if report.load.replaced_load_id is not None:  # a re-run: later windows hold this date
            report.rescan = timed("rescan_following", rescan_following, day, db, rule_pack)
        rescanned = report.rescan.scan_dates if report.rescan else []
        report.cases = timed("cases", open_cases, day, db, rescanned)
        # after the scans and the cases: the rating reads their results
        report.rating = timed("rating", rate_customers, day, db, rule_pack)
        report.submission = timed("submission", write_large_value_submission, day, db, reports_dir)
    except Exception as error:
        _record_failure(day, started_at, report, seconds, db, rule_pack, error, run_id)
        raise
    run_log.record_run(
        day,
        started_at,
        report,
        seconds,
        db=db,
        rule_pack=rule_pack,
        flow_run_id=_flow_run_id(),
        run_id=run_id,
    )
    if report.submission is not None and report.submission.held_records:
        get_run_logger().warning(
            "%d large-value record(s) held back (待补正): the night's file carries the rest "
            "(amlwatch submissions held)",
            report.submission.held_records,
        )
    _checkpoint_audit(db)
    create_markdown_artifact(
        key=f"nightly-{day:%Y%m%d}",
        markdown=nightly_markdown(report),
        description=f"amlwatch nightly run for {day}",
    )
    return report


def _checkpoint_audit(db: Path | None) -> None:
    """The audit chain's head into the checkpoint file after the night (with a key)."""
    try:
        audit_trail.take_checkpoint(db)
    except Exception as error:  # the night's results stand; the operator is told
        get_run_logger().warning("audit checkpoint not written: %s", error)


def _large_value(
    day: dt.date, db: Path | None, rule_pack: str | None, split: list[Bucket]
) -> LargeValueSummary:
    plans = plan_large_value(day, db, rule_pack, split)
    parts = scan_large_value.map(plans, split).result()
    return store_large_value(db, parts)


def _patterns(
    day: dt.date, db: Path | None, rule_pack: str | None, split: list[Bucket]
) -> PatternSummary:
    plans = plan_patterns(day, db, rule_pack, split)
    parts = scan_patterns.map(plans, split).result()
    return store_patterns(day, db, rule_pack, parts)


# a Dask worker's preload: the compiled kernels loaded as it starts (`dask worker --preload`)
WARM_WORKERS = "amlwatch.scanners.warm"


def with_task_runner(
    runner: str = "threads", *, workers: int = 2, address: str | None = None
) -> Flow[..., NightlyReport]:
    """The nightly flow on a chosen task runner: `threads` (this process; `workers` buckets
    at a time, so `--workers 1 --buckets 4` scans a night in four smaller passes) or `dask`.

    `dask` starts a LocalCluster of `workers` processes (one thread each) for the run, or
    connects to a running scheduler at `address` (its workers must see the window store at the
    same location; they need neither the warehouse file nor the inbox: bucket tasks get plans).
    """
    if runner == "threads":  # bucket tasks in this process, `workers` at a time
        return nightly.with_options(
            task_runner=cast(Any, ThreadPoolTaskRunner(max_workers=workers))
        )
    if runner != "dask":
        raise ValueError(f"unknown task runner {runner!r}: threads or dask")
    from prefect_dask import DaskTaskRunner

    if address:
        dask = DaskTaskRunner(address=address)
    else:
        dask = DaskTaskRunner(
            cluster_kwargs={
                "n_workers": workers, "threads_per_worker": 1, "processes": True,
                "preload": [WARM_WORKERS],  # each worker loads the kernels as it starts
            }
        )  # fmt: skip
    return nightly.with_options(task_runner=cast(Any, dask))  # a TaskRunner of Dask futures


@contextmanager
def nightly_on(
    runner: str = "threads", *, workers: int = 2, address: str | None = None
) -> Iterator[Flow[..., NightlyReport]]:
    """The nightly flow on a task runner, for as many runs as the block makes: with `dask`
    and no `address`, one LocalCluster of `workers` processes serves them all.

    Dask workers report their task runs to the flow's Prefect API. Without a configured
    server (PREFECT_API_URL), the flow and its local workers share this process's ephemeral
    one; a remote cluster needs a real server the workers can reach.
    """
    with ExitStack() as stack:
        if not PREFECT_API_URL.value():
            server = SubprocessASGIServer(port=_free_port())  # what flows in this process use
            server.start()
            stack.enter_context(temporary_settings({PREFECT_API_URL: server.api_url}))
        if runner != "dask":
            yield with_task_runner(runner, workers=workers, address=address)
            return
        if address:
            yield with_task_runner("dask", address=address)
            return
        from distributed import Client, LocalCluster

        cluster = stack.enter_context(
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                preload=[WARM_WORKERS],
            )
        )
        with Client(cluster) as client:  # workers import once, before the first task
            client.run(_import_stages)
        yield with_task_runner("dask", address=cluster.scheduler_address)


def _free_port() -> int:
    """A port the system has just found free, for this process's ephemeral Prefect server.

    Prefect's own choice is a random one of 8000-8999, checked and then bound: two nights
    or backfills started together can pick the same one, and the loser's server prints the
    bind error (and may meet the winner's server). The system's free ports are many more."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _import_stages() -> None:
    import amlwatch.stages.large_value
    import amlwatch.stages.patterns  # noqa: F401


def _flow_run_id() -> str | None:
    """The current Prefect flow run's id, if any."""
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return None
    return str(context.flow_run.id)


def _record_start(
    day: dt.date, started_at: dt.datetime, db: Path | None, rule_pack: str | None
) -> str | None:
    """Best effort: the night's row, before anything else (a killed night leaves it)."""
    try:
        return run_log.record_start(
            day, started_at, db=db, rule_pack=rule_pack, flow_run_id=_flow_run_id()
        )
    except Exception as error:  # a locked warehouse: the ingest will say so
        get_run_logger().warning("could not record the run's start in run_log: %s", error)
        return None


def _record_failure(
    day: dt.date,
    started_at: dt.datetime,
    report: NightlyReport | None,
    seconds: dict[str, float],
    db: Path | None,
    rule_pack: str | None,
    error: Exception,
    run_id: str | None,
) -> None:
    """Best effort: a run that failed is recorded too (unless the warehouse is the problem)."""
    try:
        run_log.record_run(
            day,
            started_at,
            report,
            seconds,
            db=db,
            rule_pack=rule_pack,
            error=f"{type(error).__name__}: {error}"[:2000],
            flow_run_id=_flow_run_id(),
            run_id=run_id,
        )
    except Exception as also:  # the original error is what the operator must see
        get_run_logger().warning("could not record the failed run in run_log: %s", also)


NIGHTLY_CRON = "0 2 * * *"  # 02:00 every day, for the previous calendar day
NIGHTLY_TIMEZONE = "Asia/Shanghai"


def nightly_deployment(
    cron: str = NIGHTLY_CRON,
    timezone: str = NIGHTLY_TIMEZONE,
    dask_address: str | None = None,
    **parameters: Any,
) -> RunnerDeployment:
    """The scheduled deployment of `nightly` (run date left empty: yesterday in Shanghai).

    `parameters` are the flow's (inbox, db, rule_pack, reports_dir as strings or paths;
    buckets); with `dask_address` the bucket scans run on that Dask cluster.
    """
    flow_ = with_task_runner("dask", address=dask_address) if dask_address else nightly
    deployment = flow_.to_deployment(
        name="amlwatch-nightly",
        schedule=Cron(cron, timezone=timezone),
        parameters={
            k: v if isinstance(v, int) else str(v) for k, v in parameters.items() if v is not None
        },
        description="amlwatch: ingest yesterday's inbox folder, scan, write the report tables",
        tags=["amlwatch"],
    )
    return cast(RunnerDeployment, deployment)  # sync-compatible: a value outside async code
