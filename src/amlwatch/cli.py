"""The `amlwatch` command. 反洗钱交易监测 / anti-money-laundering transaction monitoring."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from amlwatch import __version__
from amlwatch.settings import get_settings

app = typer.Typer(
    name="amlwatch",
    help="amlwatch — 反洗钱交易监测（大额交易、可疑交易）。"
    "Anti-money-laundering transaction monitoring for Chinese banks: large-value and "
    "suspicious transaction reporting.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)
console = Console()
err = Console(stderr=True)

InboxOpt = Annotated[
    Path | None,
    typer.Option(
        "--inbox",
        help="收件目录，每个营业日一个子目录 / inbox folder, one sub-folder per date "
        "[default: AMLWATCH_INBOX or data_samples/inbox]",
    ),
]
RulePackOpt = Annotated[
    str | None,
    typer.Option(
        "--rule-pack",
        help="强制规则包 / force a rule pack (name or .toml) "
        "[default: the pack in force on each trade date]",
    ),
]
DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="DuckDB 数据仓库文件 / DuckDB warehouse file "
        "[default: AMLWATCH_DB or ./amlwatch.duckdb]",
    ),
]

BucketsOpt = Annotated[
    int,
    typer.Option(
        "--buckets", min=1, help="客户哈希分桶数 / customer hash buckets (one scan task each)"
    ),
]
RunnerOpt = Annotated[
    str,
    typer.Option(
        "--task-runner",
        help="threads（本进程）| dask（本机 LocalCluster 或 --dask-address）/ where bucket tasks run",
    ),
]
WorkersOpt = Annotated[
    int,
    typer.Option(
        "--workers",
        min=1,
        help="同时运行的桶任务数（threads）或本机 Dask 工作进程数 / buckets at a time "
        "(threads) or LocalCluster worker processes (dask)",
    ),
]
AddressOpt = Annotated[
    str | None,
    typer.Option("--dask-address", help="Dask 调度器地址 / a running scheduler, tcp://host:8786"),
]


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date like 2026-11-20") from exc


def _quiet_prefect(verbose: bool) -> None:
    """Keep Prefect's console chatter down unless asked (set before Prefect is imported)."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "amlwatch")
    # the ephemeral API server needs more than Prefect's default 30 s on a small machine
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


def _fail(error: Exception) -> NoReturn:
    err.print(f"[bold red]失败 failed:[/] {error}", soft_wrap=True)  # one line, greppable
    raise typer.Exit(code=2)


def _version(value: bool) -> None:
    if value:
        console.print(f"amlwatch {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="版本 / show version"),
    ] = False,
) -> None:
    """amlwatch — 反洗钱交易监测 / AML transaction monitoring."""


@app.command()
def generate(
    out: Annotated[
        Path, typer.Option(help="输出目录 / output folder (inbox/ and ground_truth.jsonl)")
    ] = Path("generated"),
    customers: Annotated[int, typer.Option(help="客户数 / number of customers")] = 2_000,
    days: Annotated[int, typer.Option(help="自然日数 / calendar days")] = 30,
    start: Annotated[str, typer.Option(help="首日 / first date (YYYY-MM-DD)")] = "2026-10-01",
    txns_per_day: Annotated[
        int | None,
        typer.Option(
            help="工作日笔数 / background transactions per working day [default: 0.9 × customers]"
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="随机种子 / seed: same seed, same bank")] = 20261123,
    format: Annotated[
        str, typer.Option("--format", help="csv | parquet | mixed (BOM, GB18030, Parquet days)")
    ] = "csv",
    corrupt_days: Annotated[
        int, typer.Option(help="含坏数据的天数 / days with a few corrupted rows")
    ] = 0,
) -> None:
    """生成模拟银行数据 / Generate a synthetic bank's inbox with planted, labelled cases."""
    from amlwatch.synth import generate_bank

    with _progress() as progress:
        job = progress.add_task("生成 generating", total=days)
        summary = generate_bank(
            out,
            customers=customers,
            days=days,
            start=_date(start),
            txns_per_day=txns_per_day,
            seed=seed,
            fmt=format,
            corrupt_days=corrupt_days,
            progress=lambda done, total: progress.update(job, completed=done),
        )
    console.print(
        f"写入 wrote {summary.transactions:,} transactions over {summary.days} days, "
        f"{summary.customers:,} customers, {summary.cases} planted cases "
        f"in {summary.seconds:.1f} s → [bold]{out / 'inbox'}[/], ground truth "
        f"[bold]{out / 'ground_truth.jsonl'}[/]"
    )


@app.command()
def ingest(
    date: Annotated[str, typer.Option("--date", help="营业日 / business date YYYY-MM-DD")],
    inbox: InboxOpt = None,
    db: DbOpt = None,
) -> None:
    """导入一个营业日（不经 Prefect）/ Load one business date directly, without Prefect."""
    from amlwatch import jobs
    from amlwatch.summary import load_report_markdown

    try:
        report = jobs.ingest_day(_date(date), inbox, db)
    except Exception as error:
        _fail(error)
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
    _quiet_prefect(verbose)
    from amlwatch.summary import nightly_markdown
    from pipelines.nightly import nightly_on

    run_date = _date(date) if date else None
    try:
        with nightly_on(task_runner, workers=workers, address=dask_address) as nightly_flow:
            report = nightly_flow(
                run_date=run_date, inbox=inbox, db=db, rule_pack=rule_pack, buckets=buckets
            )
    except Exception as error:
        _fail(error)
    console.print(Markdown(nightly_markdown(report)))
    _where(db)


users_app = typer.Typer(help="审查系统用户 / users of the review app", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志 / the audit trail", no_args_is_help=True)
cases_app = typer.Typer(help="预警案件 / review cases", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(cases_app, name="cases")


@app.command()
def web(
    host: Annotated[str | None, typer.Option(help="监听地址 / bind address")] = None,
    port: Annotated[int | None, typer.Option(help="端口 / port")] = None,
    workers: Annotated[int, typer.Option(min=1, help="进程数 / app processes")] = 1,
    db: DbOpt = None,
) -> None:
    """审查系统 / Start the case review web app (Ctrl-C stops).

    Create the first administrator with `amlwatch users create-admin`; they add the other
    users. Behind anything but loopback, put it behind HTTPS (a reverse proxy).
    """
    import uvicorn

    from amlwatch import casework

    settings = get_settings()
    bind, listen = host or settings.web_host, port or settings.web_port
    console.print(f"amlwatch review app on http://{bind}:{listen}/ (Ctrl-C stops)")
    if workers == 1:
        uvicorn.run(casework.web_app(db, settings), host=bind, port=listen, log_level="warning")
        return
    if db is not None:
        os.environ["AMLWATCH_DB"] = str(db)  # the worker processes read their settings
    uvicorn.run(
        "amlwatch.casework:web_app",
        factory=True,
        host=bind,
        port=listen,
        workers=workers,
        log_level="warning",
    )


@users_app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option(help="用户名 / user name (a-z0-9_.-)")],
    name: Annotated[str, typer.Option("--name", help="姓名 / display name")],
    db: DbOpt = None,
) -> None:
    """创建首个管理员 / Create the first administrator (refused once one exists).

    The password is asked for twice and never echoed (or read from AMLWATCH_ADMIN_PASSWORD).
    """
    from amlwatch import casework

    password = os.environ.get("AMLWATCH_ADMIN_PASSWORD") or typer.prompt(
        "密码 / password (12+ characters, 3 kinds)", hide_input=True, confirmation_prompt=True
    )
    try:
        with casework.open_review(db) as review:
            user = review.bootstrap_admin(username, name, password)
    except Exception as error:
        _fail(error)
    console.print(f"administrator {user.username} created; start the app with `amlwatch web`")


@audit_app.command("verify")
def audit_verify(db: DbOpt = None) -> None:
    """校验审计日志哈希链 / Check the audit log's hash chain; exit 1 if it is broken."""
    from amlwatch import jobs
    from amlwatch.cases.audit import verify

    store = jobs.case_store(db)
    try:
        check = verify(store)
    finally:
        store.close()
    if check.ok:
        console.print(f"audit chain intact: {check.entries:,} entries")
        return
    err.print(
        f"[red]audit chain broken at entry {check.broken_at}: {check.reason} "
        f"({check.entries:,} entries read)[/]"
    )
    raise typer.Exit(1)


@cases_app.command("open")
def cases_open(
    date: Annotated[str, typer.Option("--date", help="运行日期 / run date YYYY-MM-DD")],
    db: DbOpt = None,
) -> None:
    """生成案件 / Open or update the review cases of a run date's alerts (idempotent; the
    nightly run does this itself)."""
    from amlwatch import casework

    try:
        intake = casework.open_cases_of_run(_date(date), db)
    except Exception as error:
        _fail(error)
    console.print(
        f"{len(intake.opened)} opened ({len(intake.snoozed)} snoozed), {len(intake.extended)} "
        f"updated ({len(intake.reopened)} reopened), {intake.unchanged} unchanged"
    )


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
        _fail(
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
        db=db or get_settings().db,
        rule_pack=rule_pack,
        buckets=buckets if buckets > 1 else None,
    )
    console.print(f"serving amlwatch-nightly: '{cron}' {timezone}; Ctrl-C stops")
    prefect_serve(deployment)


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
    _quiet_prefect(verbose)
    from amlwatch.ingest import inbox_dates
    from pipelines.nightly import nightly_on

    folder = Path(inbox or get_settings().inbox)
    try:
        available = inbox_dates(folder)
    except Exception as error:
        _fail(error)
    first = _date(date_from) if date_from else (available[0] if available else None)
    last = _date(date_to) if date_to else (available[-1] if available else None)
    if first is None or last is None or first > last:
        _fail(ValueError(f"no dates to run in {folder} between {date_from} and {date_to}"))
    dates = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    if resume:
        dates = _not_completed(dates, db)
        if not dates:
            console.print(f"every date from {first} to {last} has a successful run: nothing to do")
            return
        console.print(f"resuming at {dates[0]} ({len(dates)} dates to run)")
    results: list[tuple[dt.date, Any, str | None]] = []
    with (
        nightly_on(task_runner, workers=workers, address=dask_address) as nightly_flow,
        _progress() as progress,
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
    table = Table(title="补跑汇总 Backfill summary")
    table.add_column("date", no_wrap=True, min_width=10)
    for column in ("in", "loaded", "quarantined", "大额 hits", "预警 new/ext", "seconds"):
        table.add_column(column, justify="right")
    table.add_column("outcome")
    for day, report, problem in results:
        if report is None:
            table.add_row(str(day), "", "", "", "", "", "", f"[red]failed: {problem}[/]")
        else:
            load, lv, sp = report.load, report.large_value, report.patterns
            alerts = (
                f"{sum(sp.alerts_opened.values())}/{sum(sp.alerts_extended.values())}" if sp else ""
            )
            seconds = load.duration_s + (lv.duration_s if lv else 0) + (sp.duration_s if sp else 0)
            table.add_row(
                str(day),
                f"{load.total_in:,}",
                f"{load.total_loaded:,}",
                f"{load.total_quarantined:,}",
                f"{lv.hits:,}" if lv else "",
                alerts,
                f"{seconds:.2f}",
                "quiet day" if load.quiet_day else "ok",
            )
    console.print(table)
    _where(db)
    if any(error for _, _, error in results):
        raise typer.Exit(code=2)


@app.command()
def alerts(
    date: Annotated[
        str | None, typer.Option("--date", help="命中日 / night that opened or extended them")
    ] = None,
    db: DbOpt = None,
    limit: Annotated[int, typer.Option(help="行数 / rows")] = 50,
) -> None:
    """可疑交易预警 / List scatter / concentrate alerts (newest first), for review."""
    from amlwatch.warehouse import Warehouse

    where, params = ("WHERE a.last_scan_date = ?", [_date(date)]) if date else ("", [])
    with Warehouse.open(Path(db or get_settings().db), read_only=True) as warehouse:
        rows = warehouse.rows(
            f"""SELECT a.alert_id, a.rule_code, a.customer_id, c.name, a.account_id,
                       a.window_start, a.window_end, a.nights, a.in_parties, a.out_parties,
                       a.in_total, a.out_total, a.status
                FROM suspicious_alerts a LEFT JOIN customers c USING (customer_id) {where}
                ORDER BY a.last_scan_date DESC, a.alert_id LIMIT ?""",
            [*params, limit],
        )
    table = Table(title=f"可疑交易预警 Alerts{f' {date}' if date else ''} ({len(rows)})")
    table.add_column("预警编号", no_wrap=True)
    table.add_column("客户号", no_wrap=True)
    for column in ("窗口", "日数", "对手 入/出", "入/出 万元", "状态"):
        table.add_column(column, justify="right" if column != "状态" else "left")
    for alert_id, _, customer, _, account, start, end, nights, n_in, n_out, w_in, w_out, st in rows:
        table.add_row(
            alert_id,
            customer + (f" {_mask(account)}" if account else ""),
            f"{start:%m-%d}~{end:%m-%d}",
            str(nights),
            f"{n_in}/{n_out}",
            f"{w_in / 10_000:,.1f}/{w_out / 10_000:,.1f}",
            {"new": "新", "extended": "延续"}.get(st, st),
        )
    # piped or logged: wide enough for whole ids rather than the 80-column default
    (console if console.is_terminal else Console(width=120)).print(table)


ReportsOpt = Annotated[
    Path | None,
    typer.Option("--reports", help="报告目录 / reports folder [default: AMLWATCH_REPORTS_DIR]"),
]


@app.command()
def submit(
    date: Annotated[str, typer.Option("--date", help="运行日期 / run date")],
    db: DbOpt = None,
    reports: ReportsOpt = None,
) -> None:
    """生成大额交易报送包 / Write a run date's large-value submission (XML + ZIP) again."""
    from amlwatch import jobs

    _filing(jobs.write_large_value_submission, _date(date), db, reports)


@app.command()
def submissions(
    db: DbOpt = None, limit: Annotated[int, typer.Option(help="行数 / rows")] = 40
) -> None:
    """报送记录 / The recorded regulator files, newest first, and what needs doing."""
    from amlwatch import jobs
    from amlwatch.submission.receipts import actions

    with jobs.open_ledger(db) as ledger:
        records, todo = ledger.files(limit=limit), actions(ledger, dt.date.today())
    table = Table(title=f"报送文件 Submission files ({len(records)})")
    for column in (
        "报文 file",
        "用途 purpose",
        "运行日 run",
        "记录 records",
        "包 package",
        "状态 status",
    ):
        table.add_column(column, no_wrap=column.startswith(("报文", "包")))
    for r in records:
        table.add_row(
            r.name, r.purpose, str(r.run_date or ""), str(r.records), r.package or "", r.status
        )
    (console if console.is_terminal else Console(width=160)).print(table)
    _print_actions(todo)


def _filing(step: Any, *args: Any) -> None:
    """Run a filing job and print what it wrote (or fail on one line)."""
    from amlwatch.summary import submission_markdown

    try:
        filing = step(*args)
    except Exception as error:
        _fail(error)
    console.print(Markdown(submission_markdown(filing)))


def _print_actions(todo: list[Any]) -> None:
    if not todo:
        console.print("待办 to do: nothing")
        return
    console.print(f"[bold]待办 to do ({len(todo)}):[/]")
    for action in todo:
        console.print(f"  {action.name} [{action.status}]: {action.what}", soft_wrap=True)


@app.command()
def receipts(
    folder: Annotated[Path, typer.Option("--folder", help="回执目录 / folder of receipt files")],
    db: DbOpt = None,
) -> None:
    """读取回执 / Read the regulator's receipts, record each file's status, list what to do."""
    from amlwatch import jobs

    try:
        reading, todo = jobs.read_receipts(folder, db)
    except Exception as error:
        _fail(error)
    for receipt in reading.recorded:
        console.print(f"{receipt.name.message.stem}: {receipt.result} ({receipt.file})")
    for name in reading.already_read:
        console.print(f"{name}: read before")
    for name in reading.unmatched:
        console.print(f"[yellow]{name}: no such file was submitted from here[/]", soft_wrap=True)
    for problem in reading.unreadable:
        console.print(f"[red]unreadable: {problem}[/]", soft_wrap=True)
    _print_actions(todo)
    from amlwatch import casework

    for case_id, state in casework.apply_receipts(db):
        console.print(f"case #{case_id}: {state}")


@app.command()
def correct(
    receipt_for: Annotated[
        str, typer.Option("--receipt-for", help="收到补正回执的报文名 / the message to correct")
    ],
    db: DbOpt = None,
    reports: ReportsOpt = None,
) -> None:
    """补正 / Answer a system correction receipt with a correction message."""
    from amlwatch import jobs

    _filing(jobs.correct_from_receipt, receipt_for.removesuffix(".XML"), db, reports)


@app.command()
def answer(
    notice: Annotated[Path, typer.Option("--notice", help="人工补正通知文件 / notice file")],
    db: DbOpt = None,
    reports: ReportsOpt = None,
) -> None:
    """应答人工补正通知 / Answer a manual correction or information-supplement notice."""
    from amlwatch import jobs

    _filing(jobs.answer_notice, notice, db, reports)


@app.command("report-alert")
def report_alert(
    alert: Annotated[str, typer.Option("--alert", help="预警编号 / alert id")],
    crime: Annotated[
        list[str], typer.Option("--crime", help="疑似涉罪类型 / suspected-crime code (10.6)")
    ] = ["1402"],  # noqa: B006 (typer reads the default)
    urgent: Annotated[bool, typer.Option(help="特别紧急 / DETR 02")] = False,
    db: DbOpt = None,
    reports: ReportsOpt = None,
) -> None:
    """可疑交易报告 / Write the suspicious report (BSTR XML) of one alert."""
    from amlwatch import jobs

    _filing(jobs.write_suspicious_submission, alert, db, reports, crime, "02" if urgent else "01")


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="报文 / XML messages")]) -> None:
    """校验报文 / Check XML messages against the spec's structure and data dictionary."""
    from amlwatch.submission.validate import validate as check

    bad = 0
    for path in files:
        root, _, problems = check(path.read_bytes())
        if problems:
            bad += 1
            console.print(f"[red]{path.name}[/] ({root}): {len(problems)} problem(s)")
            for problem in problems[:50]:
                console.print(f"  {problem}", soft_wrap=True)
        else:
            console.print(f"{path.name} ({root}): ok")
    if bad:
        raise typer.Exit(code=2)


def _not_completed(dates: list[dt.date], db: Path | None) -> list[dt.date]:
    """`dates` from the first one whose latest run did not succeed."""
    from amlwatch.warehouse import Warehouse
    from amlwatch.warehouse.runs import completed_dates

    path = Path(db or get_settings().db)
    if not path.exists():
        return dates
    with Warehouse.open(path, read_only=True) as warehouse:
        done = completed_dates(warehouse, dates)
    for i, day in enumerate(dates):
        if day not in done:
            return dates[i:]
    return []


@app.command()
def runs(db: DbOpt = None, limit: Annotated[int, typer.Option(help="行数 / rows")] = 30) -> None:
    """运行记录 / Show the run log: each nightly run's outcome, counts, durations, memory."""
    from amlwatch.warehouse import Warehouse
    from amlwatch.warehouse.runs import recent_runs

    path = Path(db or get_settings().db)
    with Warehouse.open(path, read_only=True) as warehouse:
        rows = recent_runs(warehouse, limit)
    table = Table(title=f"运行记录 Run log — {path}")
    table.add_column("date", no_wrap=True, min_width=10)
    for column in ("outcome", "pack", "loaded", "quar.", "大额", "预警 new", "ext.", "s", "MB"):
        table.add_column(column)
    table.add_column("error")
    for day, outcome, pack, loaded, quarantined, hits, opened, extended, secs, mb, error in rows:
        table.add_row(
            str(day),
            outcome if outcome == "succeeded" else f"[red]{outcome}[/]",
            pack or "",
            "" if loaded is None else f"{loaded:,}",
            "" if quarantined is None else f"{quarantined:,}",
            str(sum(json.loads(hits).values())) if hits else "",
            str(sum(json.loads(opened).values())) if opened else "",
            str(sum(json.loads(extended).values())) if extended else "",
            str(secs),
            "" if mb is None else f"{mb:,.0f}",
            error[:80],
        )
    console.print(table)


@app.command()
def calendar(
    date_from: Annotated[str, typer.Option("--from", help="起始日 / first date")],
    date_to: Annotated[str, typer.Option("--to", help="截止日 / last date")],
) -> None:
    """营业日历 / Show which days of a range are business days (PRC statutory schedule)."""
    from amlwatch.rules import BusinessCalendar, CalendarUnknown

    cal = BusinessCalendar.load(get_settings().calendar_file)
    table = Table(title="营业日 Business days")
    for column in ("date", "weekday", "business day"):
        table.add_column(column)
    names = "一二三四五六日"
    try:
        for day, is_open in cal.days(_date(date_from), _date(date_to)):
            table.add_row(
                str(day), f"周{names[day.weekday()]}", "营业 yes" if is_open else "[dim]休 no[/]"
            )
    except CalendarUnknown as error:
        _fail(error)
    console.print(table)


@app.command()
def loads(db: DbOpt = None, limit: Annotated[int, typer.Option(help="行数 / rows")] = 40) -> None:
    """导入记录 / Show the load log: what was loaded when, from which files."""
    from amlwatch.warehouse import Warehouse

    path = Path(db or get_settings().db)
    with Warehouse.open(path, read_only=True) as warehouse:
        rows = warehouse.rows(
            """SELECT business_date, load_id, status, rows_in, rows_loaded, rows_quarantined,
                      round(duration_s, 2), coalesce(error, '') FROM load_log
               ORDER BY started_at DESC LIMIT ?""",
            [limit],
        )
    table = Table(title=f"导入记录 Load log — {path}")
    for column in ("date", "load", "status", "in", "loaded", "quarantined", "s", "error"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in row))
    console.print(table)


@app.command("cut-runs")
def cut_runs(db: DbOpt = None) -> None:
    """切分日序列 / Store the pattern scanner's day run of every loaded date that lacks a valid
    one (a warehouse loaded before day runs existed, or after a pack's exclusions changed).
    Scans are right without them, only slower; run it once after such an upgrade."""
    from amlwatch import jobs

    path = Path(db or get_settings().db)
    if not path.is_file():
        _fail(FileNotFoundError(f"no warehouse at {path}"))
    try:
        cut = jobs.cut_day_runs(path)
    except Exception as error:
        _fail(error)
    if not cut:
        console.print("每个营业日已有有效日序列 / every loaded date already has a valid day run")
        return
    dates = f"{cut[0]} … {cut[-1]}" if len(cut) > 3 else ", ".join(map(str, cut))
    console.print(
        f"已切分 {len(cut)} 个营业日的日序列 / cut the day runs of {len(cut)} dates: {dates}"
    )


@app.command()
def quarantine(
    date: Annotated[str, typer.Option("--date", help="营业日 / business date")],
    db: DbOpt = None,
    limit: Annotated[int, typer.Option(help="行数 / rows")] = 50,
) -> None:
    """隔离数据 / Show rows quarantined for a date, with file, line, column and reason."""
    from amlwatch.warehouse import Warehouse

    with Warehouse.open(Path(db or get_settings().db), read_only=True) as warehouse:
        rows = warehouse.rows(
            """SELECT file, line, "column", reason FROM quarantine WHERE business_date = ?
               ORDER BY file, line LIMIT ?""",
            [_date(date), limit],
        )
    table = Table(title=f"隔离 Quarantine {date}")
    for column in ("file", "line", "column", "reason"):
        table.add_column(column)
    for file, line, column, reason in rows:
        table.add_row(file, str(line), column or "", reason)
    console.print(table)


@app.command()
def replay(
    date_from: Annotated[str, typer.Option("--from", help="首个窗口截止日 / first window end")],
    date_to: Annotated[str, typer.Option("--to", help="末个窗口截止日 / last window end")],
    rule_pack: Annotated[
        str,
        typer.Option(
            "--rule-pack", help="候选规则包（名称或 .toml）/ candidate pack (name or file)"
        ),
    ],
    baseline: Annotated[
        str | None,
        typer.Option(help="基准规则包 / baseline pack [default: the pack in force on --to]"),
    ] = None,
    db: DbOpt = None,
    show: Annotated[int, typer.Option(help="列出新增/减少的主体数 / subjects to list")] = 10,
) -> None:
    """回放调参 / Replay the scatter / concentrate windows of a date range under a changed rule
    pack and show what changes (read only: nothing stored)."""
    from amlwatch.rules import BusinessCalendar, load_pack, pack_for
    from amlwatch.suspicious import replay as run_replay
    from amlwatch.warehouse import Warehouse

    first, last = _date(date_from), _date(date_to)
    if first > last:
        _fail(ValueError(f"--from {first} is after --to {last}"))
    ends = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    try:
        base = load_pack(baseline) if baseline else pack_for(last)
        candidate = load_pack(rule_pack)
        with Warehouse.open(Path(db or get_settings().db), read_only=True) as warehouse:
            result = run_replay(
                warehouse,
                ends,
                BusinessCalendar.load(get_settings().calendar_file),
                base,
                candidate,
            )
    except Exception as error:
        _fail(error)
    table = Table(
        title=f"回放 Replay {first} → {last}: {result.baseline} → {result.candidate} "
        f"({result.customers:,} customers)"
    )
    for column in ("standard", "hits", "subjects", "per 10k cust./day", "added", "removed"):
        table.add_column(column, justify="right" if column != "standard" else "left")
    for code, c in sorted(result.by_standard.items()):
        table.add_row(
            code,
            f"{c.baseline_hits:,} → {c.candidate_hits:,}",
            f"{len(c.baseline_subjects):,} → {len(c.candidate_subjects):,}",
            f"{result.per_10k_per_day(len(c.baseline_subjects)):.2f} → "
            f"{result.per_10k_per_day(len(c.candidate_subjects)):.2f}",
            f"+{len(c.added):,}",
            f"-{len(c.removed):,}",
        )
    console.print(table)
    for code, c in sorted(result.by_standard.items()):
        for sign, subjects in (("+", c.added), ("-", c.removed)):
            for customer, account in sorted(subjects, key=str)[:show]:
                where = f" {_mask(account)}" if account else ""
                console.print(f"  {sign} {code} {customer}{where}")


def _mask(account: str) -> str:
    """An account number as logs may show it: the last four digits."""
    return f"****{account[-4:]}" if len(account) > 4 else "****"


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=not sys.stdout.isatty(),
    )


def _where(db: Path | None) -> None:
    path = Path(db or get_settings().db).resolve()
    console.print(
        f"结果 results: warehouse [bold]{path}[/] (tables transactions, quarantine, load_log, "
        "large_value_transactions, suspicious_alerts, …); report tables under "
        f"[bold]{Path(get_settings().reports_dir).resolve()}/<date>/[/], the regulator's "
        "packages to upload in its [bold]submission/[/] (amlwatch submissions)"
    )
