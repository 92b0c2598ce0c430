"""Looking at what the nights did: alerts, the run log, the load log, quarantined rows and
the business-day calendar. Read only: these work while a night is writing."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from amlwatch import wiring
from amlwatch.cli.common import DbOpt, app, console, err, fail, mask, parse_date
from amlwatch.reasons import quarantine_reason
from amlwatch.warehouse import inspect


@app.command()
def alerts(
    date: Annotated[
        str | None, typer.Option("--date", help="命中日 / night that opened or extended them")
    ] = None,
    db: DbOpt = None,
    limit: Annotated[int, typer.Option(help="行数 / rows")] = 50,
) -> None:
    """可疑交易预警 / List the alerts of the standards in force (newest first), for review;
    those of standards on trial: `amlwatch standards trial`."""
    with wiring.open_warehouse(db, read_only=True) as warehouse:
        rows = inspect.alert_list(warehouse, parse_date(date) if date else None, limit)
    table = Table(title=f"可疑交易预警 Alerts{f' {date}' if date else ''} ({len(rows)})")
    table.add_column("预警编号", no_wrap=True)
    table.add_column("客户号", no_wrap=True)
    for column in ("窗口", "日数", "对手 入/出", "入/出 万元", "状态"):
        table.add_column(column, justify="right" if column != "状态" else "left")
    for alert_id, _, customer, _, account, start, end, nights, n_in, n_out, w_in, w_out, st in rows:
        table.add_row(
            alert_id,
            customer + (f" {mask(account)}" if account else ""),
            f"{start:%m-%d}~{end:%m-%d}",
            str(nights),
            f"{n_in}/{n_out}",
            f"{w_in / 10_000:,.1f}/{w_out / 10_000:,.1f}",
            {"new": "新", "extended": "延续"}.get(st, st),
        )
    # piped or logged: wide enough for whole ids rather than the 80-column default
    (console if console.is_terminal else Console(width=120)).print(table)


@app.command()
def runs(db: DbOpt = None, limit: Annotated[int, typer.Option(help="行数 / rows")] = 30) -> None:
    """运行记录 / Show the run log: each nightly run's outcome, counts, durations, memory."""
    from amlwatch.warehouse.run_log import recent_runs

    path = wiring.warehouse_path(db)
    with wiring.open_warehouse(path, read_only=True) as warehouse:
        rows = recent_runs(warehouse, limit)
    table = Table(title=f"运行记录 Run log — {path}")
    table.add_column("日期 date", no_wrap=True, min_width=10)
    for column in ("结果 outcome", "规则包 pack", "载入 loaded", "隔离 quar.", "大额 hits",
                   "预警新增 new", "延续 ext.", "秒 s", "内存 MB"):  # fmt: skip
        table.add_column(column)
    table.add_column("待补正 held")
    table.add_column("数据问题 data issues")
    table.add_column("逾期 overdue files")
    table.add_column("日历 calendar")
    table.add_column("错误 error")
    for row in rows:
        day, outcome, pack, loaded, quarantined, hits, opened, extended, secs, mb, error = row[:11]
        provisional, overdue, held, issues = row[11], row[12], row[13], row[14]
        table.add_row(
            str(day),
            OUTCOMES.get(outcome, f"[red]{outcome}[/]"),
            pack or "",
            "" if loaded is None else f"{loaded:,}",
            "" if quarantined is None else f"{quarantined:,}",
            _total(hits),
            _total(opened),
            _total(extended),
            str(secs),
            "" if mb is None else f"{mb:,.0f}",
            f"[yellow]{held}[/]" if held else "",
            f"[yellow]{issues}[/]" if issues else "",
            f"[red]{overdue}[/]" if overdue else "",
            "[yellow]暂定 provisional[/]" if provisional else "",
            error[:80],
        )
    (console if console.is_terminal else Console(width=200)).print(table)


OUTCOMES = {
    "succeeded": "成功 succeeded",
    "failed": "[red]失败 failed[/]",
    "started": "[red]未完成 started (中断或运行中 killed or running)[/]",
}


def _total(counts: str | None) -> str:
    """The sum of a JSON object of counts; blank where the night stored none (JSON null)."""
    value = json.loads(counts) if counts else None
    return str(sum(value.values())) if isinstance(value, dict) else ""


@app.command()
def calendar(
    date_from: Annotated[str, typer.Option("--from", help="起始日 / first date")],
    date_to: Annotated[str, typer.Option("--to", help="截止日 / last date")],
) -> None:
    """营业日历 / Show which days of a range are business days (PRC statutory schedule)."""
    from amlwatch.rules import CalendarUnknown

    cal = wiring.calendar()
    table = Table(title="营业日 Business days")
    for column in ("date", "weekday", "business day", "schedule"):
        table.add_column(column)
    names = "一二三四五六日"
    try:
        for day, is_open in cal.days(parse_date(date_from), parse_date(date_to)):
            table.add_row(
                str(day),
                f"周{names[day.weekday()]}",
                "营业 yes" if is_open else "[dim]休 no[/]",
                "[yellow]暂定 provisional[/]" if cal.is_provisional(day) else "国务院安排 official",
            )
    except CalendarUnknown as error:
        fail(error)
    console.print(table)
    warning = cal.missing_schedule(wiring.today())
    if warning:
        err.print(f"[yellow]注意 note:[/] {warning}", soft_wrap=True)


@app.command()
def loads(db: DbOpt = None, limit: Annotated[int, typer.Option(help="行数 / rows")] = 40) -> None:
    """导入记录 / Show the load log: what was loaded when, from which files."""
    path = wiring.warehouse_path(db)
    with wiring.open_warehouse(path, read_only=True) as warehouse:
        rows = inspect.load_log(warehouse, limit)
    table = Table(title=f"导入记录 Load log — {path}")
    for column in ("date", "load", "status", "in", "loaded", "quarantined", "s", "error"):
        table.add_column(column)
    table.add_column("未知代码 unknown codes")
    for *row, unknown in rows:
        found = json.loads(unknown) if unknown else []
        codes = "; ".join(
            f"{u['column']}={u['value']} ×{u['rows']:,} ({u['file']}:{u['line']})" for u in found
        )
        table.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in row), codes)
    # piped or logged: wide enough for whole dates and ids rather than 80 columns
    (console if console.is_terminal else Console(width=200)).print(table)


@app.command()
def quarantine(
    date: Annotated[str, typer.Option("--date", help="营业日 / business date")],
    db: DbOpt = None,
    limit: Annotated[int, typer.Option(help="行数 / rows")] = 50,
) -> None:
    """隔离数据 / Show rows quarantined for a date, with file, line, column and reason."""
    with wiring.open_warehouse(db, read_only=True) as warehouse:
        rows = inspect.quarantined(warehouse, parse_date(date), limit)
    table = Table(title=f"隔离数据 Quarantine {date}")
    for column in ("文件 file", "行 line", "字段 column", "原因 reason"):
        table.add_column(column)
    for file, line, column, reason in rows:
        table.add_row(file, str(line), column or "", quarantine_reason(reason))
    (console if console.is_terminal else Console(width=200)).print(table)


@app.command("data-issues")
def data_issues(
    db: DbOpt = None,
    since: Annotated[
        str | None, typer.Option("--since", help="起始业务日期 / from this business date")
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="含已更正的 / include those corrected since")
    ] = False,
) -> None:
    """数据问题 / The loaded data the regulator's messages would refuse (a customer's ID number
    failing its type's rule, a code outside the spec's tables), masked: correct it before its
    records are due (records still wrong when filed are held 待补正)."""
    from amlwatch.stages.data_issues import open_data_issues

    issues = open_data_issues(db, parse_date(since) if since else None, all_)
    table = Table(title=f"数据问题 Data issues ({len(issues)}{'' if all_ else ' open 未更正'})")
    for column in ("业务日期 date", "文件 file", "行 line", "客户 customer", "字段 column",
                   "值 value", "问题 rule", "行数 rows", "状态 status"):  # fmt: skip
        table.add_column(column)
    for i in issues:
        table.add_row(
            str(i["business_date"]),
            i["file"],
            str(i["line"] or "-"),
            i["subject"] or "-",
            f"{i['column']} ({i['field']})",
            str(i["value"]),
            i["reason"],
            f"{i['rows']:,}",
            "未更正 open" if i["open"] else "已更正 corrected",
        )
    (console if console.is_terminal else Console(width=200)).print(table)
    if not issues:
        console.print("无 none")
