"""Tools around the nightly job: a synthetic bank, day runs after an upgrade, and the replay
of a changed rule pack."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from amlwatch import wiring
from amlwatch.cli.common import DbOpt, app, console, fail, mask, parse_date, progress_bar

if TYPE_CHECKING:
    from amlwatch.stages.retention import Retention


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

    with progress_bar() as progress:
        job = progress.add_task("生成 generating", total=days)
        summary = generate_bank(
            out,
            customers=customers,
            days=days,
            start=parse_date(start),
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


@app.command("cut-runs")
def cut_runs(db: DbOpt = None) -> None:
    """切分日序列 / Store the pattern scanner's day run of every loaded date that lacks a valid
    one (a warehouse loaded before day runs existed, or after a pack's exclusions changed),
    and the transfer graph's edges (行内转账关系) of every date loaded before it existed.
    A scan that may write cuts its window's missing runs itself (once, and stores them); this
    cuts all of them ahead, e.g. before read-only replays, which cut theirs in memory."""
    from amlwatch.stages.ingest import cut_day_runs

    path = wiring.warehouse_path(db)
    if not path.is_file():
        fail(FileNotFoundError(f"no warehouse at {path}"))
    try:
        cut = cut_day_runs(path)
    except Exception as error:
        fail(error)
    if not cut:
        console.print(
            "每个营业日已有有效日序列和行内转账关系 / every loaded date already has a valid day "
            "run and its transfer edges"
        )
        return
    dates = f"{cut[0]} … {cut[-1]}" if len(cut) > 3 else ", ".join(map(str, cut))
    console.print(
        f"已切分 {len(cut)} 个营业日的日序列或行内转账关系 / cut the day runs or transfer "
        f"edges of {len(cut)} dates: {dates}"
    )


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
    from amlwatch.rules import load_pack, pack_for
    from amlwatch.stages.replay import replay as run_replay

    first, last = parse_date(date_from), parse_date(date_to)
    if first > last:
        fail(ValueError(f"--from {first} is after --to {last}"))
    ends = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    try:
        base = load_pack(baseline) if baseline else pack_for(last)
        candidate = load_pack(rule_pack)
        settings = wiring.settings()
        with wiring.open_warehouse(db, settings, read_only=True) as warehouse:
            result = run_replay(
                warehouse,
                ends,
                wiring.calendar(settings),
                base,
                candidate,
                settings.scan,
            )
    except Exception as error:
        fail(error)
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
                where = f" {mask(account)}" if account else ""
                console.print(f"  {sign} {code} {customer}{where}")


@app.command()
def retention(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="只列出 / list what would go, delete nothing")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="假定今天为 / as if today were (YYYY-MM-DD; dry run only)"),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="不再确认 / do not ask")] = False,
    db: DbOpt = None,
) -> None:
    """保存期限清理 / Purge the records older than the retention period (default 10 years),
    except those an open case or an unfinished filing needs (held, listed)."""
    import getpass

    from amlwatch.stages.retention import run_retention

    if as_of is not None and not dry_run:
        fail(ValueError("--as-of 只用于 --dry-run / --as-of is for a dry run only"))
    today = parse_date(as_of) if as_of else None
    try:
        found = run_retention(True, db, today=today)
        _print_retention(found)
        if dry_run or not found.anything:
            return
        if not yes and not typer.confirm("删除以上记录？ / Delete the records above?"):
            raise typer.Exit(code=1)
        done = run_retention(False, db, by=getpass.getuser())
    except typer.Exit:
        raise
    except Exception as error:
        fail(error)
    _print_retention(done)


def _print_retention(found: Retention) -> None:
    from amlwatch.labels import RECORDS

    verb = "将删除 would go" if found.dry_run else "已删除 removed"
    table = Table(
        title=f"保存期限 {found.years} 年：{found.cutoff} 之前的记录 / before {found.cutoff}"
    )
    for column in ("存储 store", "表 table", verb, "保留 held"):
        table.add_column(column, justify="right" if column != "表 table" else "left")
    for name, n in found.case_store.counts().items():
        table.add_row("案件库 case store", f"{RECORDS[name]} {name}", str(n), "")
    for name, (gone, held) in found.warehouse.items():
        table.add_row("数据仓库 warehouse", f"{RECORDS[name]} {name}", str(gone), str(held or ""))
    held_folders = str(len(found.held_folders) or "")
    table.add_row("报告 reports", "报告目录 folders", str(len(found.folders)), held_folders)
    console.print(table)
    for reason, what in found.held.items():
        shown = ", ".join(what[:5]) + (f" … (+{len(what) - 5})" if len(what) > 5 else "")
        console.print(f"保留 held — {reason}: {len(what)}: {shown}", soft_wrap=True)
