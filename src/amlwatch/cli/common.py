"""What every command of the `amlwatch` CLI shares: the Typer app, the consoles, the common
options, and one way to fail (one line, exit 2)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from amlwatch import __version__, wiring
from amlwatch.cli.boundary import Boundary, end, setup_logging
from amlwatch.labels import FILE_STATES

app = typer.Typer(
    name="amlwatch",
    help="amlwatch — 反洗钱交易监测（大额交易、可疑交易）。"
    "Anti-money-laundering transaction monitoring for Chinese banks: large-value and "
    "suspicious transaction reporting.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    cls=Boundary,
    pretty_exceptions_enable=False,
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


ReportsOpt = Annotated[
    Path | None,
    typer.Option("--reports", help="报告目录 / reports folder [default: AMLWATCH_REPORTS_DIR]"),
]


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date like 2026-11-20") from exc


def quiet_prefect(verbose: bool) -> None:
    """Keep Prefect's console chatter down unless asked (set before Prefect is imported)."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "amlwatch")
    # the ephemeral API server needs more than Prefect's default 30 s on a small machine
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    setup_logging(verbose)  # the log file, and the console only if asked


def fail(error: Exception) -> NoReturn:
    """End the command on one line (greppable, masked), exit 2."""
    end(error)
    raise AssertionError("unreachable")  # end() always raises


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
    wiring.owner_only()  # what the commands create is the OS user's only
    setup_logging()


users_app = typer.Typer(help="审查系统用户 / users of the review app", no_args_is_help=True)


audit_app = typer.Typer(help="审计日志 / the audit trail", no_args_is_help=True)


cases_app = typer.Typer(help="预警案件 / review cases", no_args_is_help=True)
submissions_app = typer.Typer(
    help="报送记录 / the regulator files: what to upload, by when, what was done",
    invoke_without_command=True,
)
app.add_typer(submissions_app, name="submissions")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(cases_app, name="cases")


def run_filing(step: Any, *args: Any) -> None:
    """Run a filing job and print what it wrote (or fail on one line)."""
    from amlwatch.summary import submission_markdown

    try:
        filing = step(*args)
    except Exception as error:
        fail(error)
    console.print(Markdown(submission_markdown(filing)))


def print_actions(todo: list[Any]) -> None:
    if not todo:
        console.print("待办 to do: nothing")
        return
    late = sum(a.overdue for a in todo)
    console.print(f"[bold]待办 to do ({len(todo)}, {late} overdue 逾期):[/]")
    for action in todo:
        when = ""
        if action.due is not None:
            when = f" — due {action.due}" + (" [red](overdue 逾期)[/]" if action.overdue else "")
        label = FILE_STATES.get(action.status)
        status = escape(f"[{label} {action.status}]" if label else f"[{action.status}]")
        console.print(f"  {action.name} {status}: {escape(action.what)}{when}", soft_wrap=True)


def mask(account: str) -> str:
    """An account number as logs may show it: the last four digits."""
    return f"****{account[-4:]}" if len(account) > 4 else "****"


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=not sys.stdout.isatty(),
    )


def say_where(db: Path | None) -> None:
    path = Path(db or wiring.settings().db).resolve()
    console.print(
        f"结果 results: warehouse [bold]{path}[/] (tables transactions, quarantine, load_log, "
        "large_value_transactions, suspicious_alerts, …); report tables under "
        f"[bold]{Path(wiring.settings().reports_dir).resolve()}/<date>/[/], the regulator's "
        "packages to upload in its [bold]submission/[/] (amlwatch submissions)"
    )
