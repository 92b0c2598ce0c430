"""The regulator's files: writing them again, the ledger, receipts, corrections, notice
answers, an alert's report and the validator."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from amlwatch import wiring
from amlwatch.cli.common import (
    DbOpt,
    ReportsOpt,
    app,
    console,
    fail,
    parse_date,
    print_actions,
    run_filing,
    submissions_app,
)
from amlwatch.models import in_china


@app.command()
def submit(
    date: Annotated[str, typer.Option("--date", help="运行日期 / run date")],
    db: DbOpt = None,
    reports: ReportsOpt = None,
) -> None:
    """生成大额交易报送包 / Write a run date's large-value submission (XML + ZIP) again."""
    from amlwatch.stages import filings

    run_filing(filings.write_large_value_submission, parse_date(date), db, reports)


@submissions_app.callback()
def submissions(
    context: typer.Context,
    db: DbOpt = None,
    limit: Annotated[int, typer.Option(help="行数 / rows")] = 40,
) -> None:
    """报送记录 / The recorded regulator files, newest first, and what needs doing (what to
    upload first, with deadlines and what is overdue)."""
    if context.invoked_subcommand is not None:
        return
    from amlwatch.stages.uploads import open_actions

    with wiring.open_ledger(db) as ledger:
        records, todo = ledger.files(limit=limit), open_actions(ledger, wiring.today(), db=db)
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
        status = r.status
        if r.uploaded_at is not None:
            status += (
                f"（{in_china(r.uploaded_at):%Y-%m-%d %H:%M:%S} 北京时间 uploaded by "
                f"{r.uploaded_by}）"
            )
        table.add_row(
            r.name, r.purpose, str(r.run_date or ""), str(r.records), r.package or "", status
        )
    (console if console.is_terminal else Console(width=160)).print(table)
    print_actions(todo)


@submissions_app.command("held")
def held(
    db: DbOpt = None,
    all_: Annotated[
        bool, typer.Option("--all", help="含已补报、已撤销 / also filed, withdrawn")
    ] = False,
    limit: Annotated[int, typer.Option(help="行数 / rows")] = 200,
) -> None:
    """待补正记录 / The large-value records held back from a file (the validator refused
    them): business key (customer masked), reasons, deadline; filed ones with their file and
    whether the deadline was met."""
    from amlwatch.cases import HoldRegister
    from amlwatch.cases.holds import STATUS_LABELS
    from amlwatch.masking import mask_value

    today = wiring.today()
    with wiring.open_ledger(db) as ledger:
        holds = HoldRegister(ledger.store).all(None if all_ else "held", limit)
    table = Table(title=f"待补正记录 Held records ({len(holds)})")
    for column in ("交易日 day", "客户 customer", "特征 code", "业务标识号 txn", "首次暂缓 held on",
                   "报送期限 due", "原因 reasons", "状态 status"):  # fmt: skip
        table.add_column(column)
    for h in holds:
        status = f"{STATUS_LABELS.get(h.status, h.status)} {h.status}"
        if h.status == "filed":
            status += f" → {h.filed_in}（{'逾期补报 late' if h.late else '按期 on time'}）"
        elif h.status == "held" and h.due is not None and h.due < today:
            status += "（[red]已逾期 overdue[/]）"
        table.add_row(
            h.key[1],
            mask_value(h.key[0]),
            h.key[2],
            mask_value(h.key[3]),
            str(h.run_date),
            str(h.due or ""),
            escape("；".join(h.reasons)),
            status,
        )
    (console if console.is_terminal else Console(width=200)).print(table)


@submissions_app.command("mark-uploaded")
def mark_uploaded(
    names: Annotated[list[str], typer.Argument(help="报文或报送包名 / message or package names")],
    as_user: Annotated[
        str,
        typer.Option(
            "--as",
            help="上报人（审核系统的在用审批人用户名）/ who uploaded them: an active approver of "
            "the review app",
        ),
    ],
    db: DbOpt = None,
) -> None:
    """登记已上报 / Record files as uploaded by a person of the app (who, when; audited) and
    archive them."""
    from amlwatch.stages.uploads import mark_uploaded as mark

    try:
        with wiring.open_review(db) as review:
            who = review.console_uploader(as_user)
        marked = mark(names, who.username, db)
    except Exception as error:
        fail(error)
    for record in marked:
        at = f"{in_china(record.uploaded_at):%Y-%m-%d %H:%M:%S}" if record.uploaded_at else ""
        console.print(
            f"{record.name}：已登记上报 / uploaded {at}（北京时间）by {who.display_name}"
            f"（{record.uploaded_by}）→ {record.path}"
        )


@app.command()
def receipts(
    folder: Annotated[Path, typer.Option("--folder", help="回执目录 / folder of receipt files")],
    db: DbOpt = None,
) -> None:
    """读取回执 / Read the regulator's receipts, record each file's status, list what to do."""
    from amlwatch.stages import filings

    if not folder.is_dir():
        fail(NotADirectoryError(f"回执目录不存在 / no receipts folder {folder}"))
    try:
        reading, todo = filings.read_receipts(folder, db)
    except Exception as error:
        fail(error)
    for receipt in reading.recorded:
        console.print(f"{receipt.name.message.stem}: {receipt.result} ({receipt.file})")
    for name in reading.already_read:
        console.print(f"{name}: read before")
    for name in reading.unmatched:
        console.print(f"[yellow]{name}: no such file was submitted from here[/]", soft_wrap=True)
    for problem in reading.unreadable:
        console.print(f"[red]unreadable: {problem}[/]", soft_wrap=True)
    print_actions(todo)
    from amlwatch.stages.cases import apply_receipts

    for case_id, state in apply_receipts(db):
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
    from amlwatch.stages import filings

    run_filing(filings.correct_from_receipt, receipt_for.removesuffix(".XML"), db, reports)


@app.command()
def answer(
    notice: Annotated[Path, typer.Option("--notice", help="人工补正通知文件 / notice file")],
    db: DbOpt = None,
    reports: ReportsOpt = None,
) -> None:
    """应答人工补正通知 / Answer a manual correction or information-supplement notice."""
    from amlwatch.stages import filings

    run_filing(filings.answer_notice, notice, db, reports)


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
    """可疑交易报告草稿 / A draft suspicious report of one alert (XML and form, 不得报送).

    The draft takes no message number and is not recorded for upload: a report is filed from
    an approved case in the review app (生成报告)."""
    from amlwatch.stages import filings

    try:
        draft = filings.write_suspicious_draft(alert, db, reports, crime, "02" if urgent else "01")
    except Exception as error:
        fail(error)
    console.print(
        f"[yellow]草稿，不得报送 / DRAFT, not for upload[/]: {draft.folder}", soft_wrap=True
    )
    for path in draft.files:
        console.print(f"  {path.name}", soft_wrap=True)


@app.command("work-report")
def work_report(
    month: Annotated[str | None, typer.Option("--month", help="月份 / month, e.g. 2026-10")] = None,
    quarter: Annotated[
        str | None, typer.Option("--quarter", help="季度 / quarter, e.g. 2026Q4")
    ] = None,
    db: DbOpt = None,
    reports: ReportsOpt = None,
) -> None:
    """工作报告 / The leading group's work report of a month or quarter (PDF and xlsx)."""
    from amlwatch.stages.work_report import Period, write_work_report

    if (month is None) == (quarter is None):
        fail(ValueError("请给出 --month 或 --quarter 之一 / give --month or --quarter"))
    try:
        files = write_work_report(Period.parse(str(month or quarter)), db, reports)
    except Exception as error:
        fail(error)
    console.print(f"工作报告 work report: {files.pdf}", soft_wrap=True)
    console.print(f"                      {files.workbook}", soft_wrap=True)


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="报文 / XML messages")]) -> None:
    """校验报文 / Check XML messages against the spec's structure and data dictionary."""
    from amlwatch.submission.validate import validate as check

    bad = 0
    for path in files:
        try:
            xml = path.read_bytes()
        except OSError as error:
            fail(ValueError(f"{path}: 无法读取 / cannot read: {error.strerror or error}"))
        root, _, problems = check(xml, path.name)
        if problems:
            bad += 1
            console.print(f"[red]{path.name}[/] ({root}): {len(problems)} problem(s)")
            for problem in problems[:50]:
                console.print(f"  {problem}", soft_wrap=True)
        else:
            console.print(f"{path.name} ({root}): ok")
    if bad:
        raise typer.Exit(code=2)
