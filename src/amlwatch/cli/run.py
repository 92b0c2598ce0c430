"""Running the nightly job: one date (`nightly`, or `ingest` without Prefect), a range in
order (`backfill`), or on a schedule (`serve`)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table

from amlwatch import wiring
from amlwatch.cli.common import (
    AddressOpt,
    BucketsOpt,
    DbOpt,
    InboxOpt,
    RulePackOpt,
    RunnerOpt,
    WorkersOpt,
    app,
    console,
    fail,
    parse_date,
    progress_bar,
    quiet_prefect,
    say_where,
)


@app.command()
def ingest(
    date: Annotated[str, typer.Option("--date", help="营业日 / business date YYYY-MM-DD")],
    inbox: InboxOpt = None,
    db: DbOpt = None,
) -> None:
    """导入一个营业日（不经 Prefect）/ Load one business date directly, without Prefect."""
    from amlwatch.stages.ingest import ingest_day
    from amlwatch.summary import load_report_markdown

    try:
        report = ingest_day(parse_date(date), inbox, db)
    except Exception as error:
        fail(error)
    console.print(Markdown(load_report_markdown(report)))


@app.command()
def nightly(
    date: Annotated[
        str | None,
        typer.Option("--date", help="运行日期 / run date [default: yesterday, Asia/Shanghai]"),
    ] = None,
    inbox: InboxOpt = None,
    db: DbOpt = None,
    rule_pack: RulePackOpt = None,
    buckets: BucketsOpt = 1,
    task_runner: RunnerOpt = "threads",
    workers: WorkersOpt = 2,
    dask_address: AddressOpt = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="显示 Prefect 日志 / show Prefect logs")
    ] = False,
) -> None:
    """运行夜间批处理（Prefect 流程）/ Run the nightly Prefect flow for one date."""
    quiet_prefect(verbose)
    from amlwatch.summary import nightly_markdown
    from pipelines.nightly import nightly_on

    run_date = parse_date(date) if date else None
    checked_pack(rule_pack)
    checked_warehouse(db)
    try:
        with nightly_on(task_runner, workers=workers, address=dask_address) as nightly_flow:
            report = nightly_flow(
                run_date=run_date, inbox=inbox, db=db, rule_pack=rule_pack, buckets=buckets
            )
    except Exception as error:
        fail(error)
    console.print(Markdown(nightly_markdown(report)))
    say_where(db)


@app.command()
def serve(
    cron: Annotated[
        str, typer.Option(help="运行时间（cron）/ when to run, cron syntax")
    ] = "0 2 * * *",
    timezone: Annotated[str, typer.Option(help="时区 / timezone of the cron")] = "Asia/Shanghai",
    inbox: InboxOpt = None,
    db: DbOpt = None,
    rule_pack: RulePackOpt = None,
    buckets: BucketsOpt = 1,
    dask_address: AddressOpt = None,
) -> None:
    """定时运行 / Serve the scheduled nightly deployment (needs a Prefect server: PREFECT_API_URL).

    Runs `nightly` every day at the cron time for the previous calendar day in Asia/Shanghai,
    until stopped (Ctrl-C). Runs appear in the Prefect UI and in `amlwatch runs`.
    """
    from prefect import serve as prefect_serve

    from pipelines.nightly import nightly_deployment

    if not os.environ.get("PREFECT_API_URL"):
        fail(
            RuntimeError(
                "amlwatch serve needs a running Prefect server: start one with "
                "`prefect server start` and set PREFECT_API_URL=http://127.0.0.1:4200/api"
            )
        )
    deployment = nightly_deployment(
        cron,
        timezone,
        dask_address,
        inbox=inbox,
        db=db or wiring.settings().db,
        rule_pack=rule_pack,
        buckets=buckets if buckets > 1 else None,
    )
    console.print(f"serving amlwatch-nightly: '{cron}' {timezone}; Ctrl-C stops")
    prefect_serve(deployment)


def checked_pack(rule_pack: str | None) -> None:
    """A rule pack named on the command line that does not exist is the command line's error:
    said at once, before a Prefect server is started for a flow that cannot run."""
    if rule_pack is None:
        return
    from amlwatch.rules import load_pack

    try:
        load_pack(rule_pack)
    except Exception as error:
        fail(error)


def checked_warehouse(db: Path | None) -> None:
    """A warehouse whose folder cannot be made is the command line's error too: said at once,
    before a server starts for a night that could record nothing (not even its failure)."""
    try:
        wiring.warehouse_path(db).parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        fail(error)


def one_line(problem: str | None, width: int = 120) -> str:
    """An error as one line of a summary table: its first line, cut to `width`."""
    first = (problem or "").strip().splitlines()[0] if (problem or "").strip() else ""
    return first if len(first) <= width else first[: width - 1] + "…"


@app.command()
def backfill(
    date_from: Annotated[
        str | None, typer.Option("--from", help="起始日 / first date [default: first inbox date]")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="截止日 / last date [default: last inbox date]")
    ] = None,
    inbox: InboxOpt = None,
    db: DbOpt = None,
    rule_pack: RulePackOpt = None,
    keep_going: Annotated[
        bool, typer.Option(help="出错后继续 / continue after a failed date")
    ] = False,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="从第一个未完成的日期继续 / continue from the first date without a "
            "successful run (run_log)",
        ),
    ] = False,
    buckets: BucketsOpt = 1,
    task_runner: RunnerOpt = "threads",
    workers: WorkersOpt = 2,
    dask_address: AddressOpt = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="显示 Prefect 日志 / show Prefect logs")
    ] = False,
) -> None:
    """按日期顺序补跑 / Run the nightly flow for every date of a range, in order."""
    quiet_prefect(verbose)
    from amlwatch.stages.run_log import backfill_dates, not_completed
    from pipelines.nightly import nightly_on

    folder = Path(inbox or wiring.settings().inbox)
    checked_pack(rule_pack)
    checked_warehouse(db)
    try:
        dates = backfill_dates(
            folder,
            parse_date(date_from) if date_from else None,
            parse_date(date_to) if date_to else None,
        )
    except Exception as error:
        fail(error)
    if resume:
        first, last = dates[0], dates[-1]
        dates = not_completed(dates, db)
        if not dates:
            console.print(f"every date from {first} to {last} has a successful run: nothing to do")
            return
        console.print(f"resuming at {dates[0]} ({len(dates)} dates to run)")
    results: list[tuple[dt.date, Any, str | None]] = []
    with (
        nightly_on(task_runner, workers=workers, address=dask_address) as nightly_flow,
        progress_bar() as progress,
    ):
        job = progress.add_task("补跑 backfill", total=len(dates))
        for day in dates:
            progress.update(job, description=f"补跑 backfill {day}")
            try:
                results.append(
                    (
                        day,
                        nightly_flow(
                            run_date=day, inbox=inbox, db=db, rule_pack=rule_pack, buckets=buckets
                        ),
                        None,
                    )
                )
            except Exception as failure:  # reported in the summary; exit code 2 below
                results.append((day, None, str(failure)))
                if not keep_going:
                    progress.advance(job)
                    break
            progress.advance(job)
    table = Table(
        title="补跑汇总 Backfill summary",
        caption="秒 s：整晚运行用时（载入至报送，与 amlwatch runs 相同）/ each night's whole run, "
        "as the run log measures it; a failed night's reason in full: amlwatch runs",
    )
    table.add_column("日期 date", no_wrap=True, min_width=10)
    for column in ("输入 in", "载入 loaded", "隔离 quarantined", "大额 hits",
                   "预警 新增/延续 alerts new/ext", "待补正 held", "数据问题 data issues",
                   "秒 s"):  # fmt: skip
        table.add_column(column, justify="right")
    table.add_column("结果 outcome", no_wrap=True)
    for day, report, problem in results:
        if report is None:
            table.add_row(str(day), *[""] * 8, f"[red]失败 failed: {escape(one_line(problem))}[/]")
            continue
        load, lv, sp, filing = report.load, report.large_value, report.patterns, report.submission
        alerts = (
            f"{sum(sp.alerts_opened.values())}/{sum(sp.alerts_extended.values())}" if sp else ""
        )
        held = filing.held_records if filing else 0
        table.add_row(
            str(day),
            f"{load.total_in:,}",
            f"{load.total_loaded:,}",
            f"{load.total_quarantined:,}",
            f"{lv.hits:,}" if lv else "",
            alerts,
            f"[yellow]{held:,}[/]" if held else "0",
            f"[yellow]{len(load.data_issues):,}[/]" if load.data_issues else "0",
            f"{sum(report.stage_seconds.values()):.1f}",
            ("无交易 quiet day" if load.quiet_day else "成功 ok")
            + (" [yellow](有警告 warnings)[/]" if held or load.data_issues else ""),
        )
    (console if console.is_terminal else Console(width=220)).print(table)
    say_where(db)
    if any(error for _, _, error in results):
        raise typer.Exit(code=2)
