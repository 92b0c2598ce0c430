"""The large-value data report (人民币大额交易数据报告) as tables for the liaisons who check and
sign it: an Excel workbook and a CSV, with Chinese headers and the spec's XML tags beneath.

Rows are grouped as the regulator's message is (customer → trade date → characteristic →
transactions); a summary sheet gives counts and totals per characteristic and branch and the
report due date of each trade date (trade date + 5 working days).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from amlwatch.labels import labelled
from amlwatch.reports.csv_tables import Column, write_csv
from amlwatch.reports.page import PageHeader, print_setup

# (column of the input rows, Chinese header, XML tag of the spec, Excel width, kind)
# a kind "code:<table>" prints the code beside its Chinese label (amlwatch.labels); the CSV
# keeps the bare codes
COLUMNS: tuple[Column, ...] = (
    ("customer_id", "客户号", "CSNM", 12, "text"),
    ("customer_name", "客户姓名/名称", "CTNM", 18, "text"),
    ("customer_type", "客户类型", "-", 7, "code:customer_type"),
    ("id_type", "身份证件/证明文件类型", "CITP", 16, "code:id_type"),
    ("id_number", "身份证件/证明文件号码", "CTID", 20, "text"),
    ("nationality", "客户国籍", "CTNT", 9, "code:country"),
    ("occupation_or_industry", "客户职业或行业", "CTVC", 18, "code:occupation"),
    ("phone", "客户联系电话", "CCTL", 13, "text"),
    ("address", "客户住址/经营地址", "CTAR", 20, "text"),
    ("account_id", "客户账号", "CTAC", 20, "text"),
    ("trade_date", "大额交易发生日期", "HTDT", 11, "date"),
    ("characteristic_code", "大额交易特征代码", "CRCD", 14, "code:characteristic"),
    ("txn_id", "业务标识号", "TICD", 20, "text"),
    ("booked_at", "交易时间（北京时间）", "TSTM", 17, "datetime"),
    ("location", "交易发生地", "TRCD", 16, "code:region"),
    ("direction_code", "资金收付标志", "TSDR", 7, "code:direction"),
    ("currency", "交易币种", "CRTP", 10, "code:currency"),
    ("amount", "交易金额", "CRAT", 14, "money"),
    ("amount_cny", "交易金额（折人民币）", "CRMB", 14, "money"),
    ("amount_usd", "交易金额（折美元）", "CUSD", 14, "money"),
    ("tx_method", "交易方式", "TSTP", 18, "code:tx_method"),
    ("channel", "非柜台交易方式（行内）", "-", 9, "text"),
    ("purpose", "资金用途", "CRPP", 10, "text"),
    ("counterparty_bank_name", "对方金融机构网点名称", "CFIN", 18, "text"),
    ("counterparty_bank_code", "对方金融机构网点代码", "CFIC", 14, "text"),
    ("counterparty_region", "对方金融机构网点行政区划", "CFRC", 16, "code:region"),
    ("counterparty_name", "交易对手姓名/名称", "TCNM", 18, "text"),
    ("counterparty_id_type", "交易对手证件类型", "TCIT", 16, "code:id_type"),
    ("counterparty_id_number", "交易对手证件号码", "TCID", 20, "text"),
    ("counterparty_account", "交易对手账号", "TCAC", 20, "text"),
    ("branch_code", "金融机构网点代码", "FINC", 10, "text"),
    ("day_total", "当日单边累计", "-", 14, "money"),
    # the total is in CNY for an RMB threshold, in USD for a foreign-currency one
    ("day_total_currency", "累计币种", "-", 8, "code:currency"),
    ("rule_pack", "规则包", "-", 14, "text"),
)


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """The files written."""

    workbook: Path
    csv: Path
    rows: int


def write_large_value_tables(
    rows: Sequence[dict[str, Any]],
    folder: Path,
    run_date: dt.date,
    due_date: Callable[[dt.date], dt.date],
    provisional: Callable[[dt.date], bool] = lambda day: False,
    institution: str = "",
) -> ReportFiles:
    """Write the report tables of a run.

    Args:
        rows: one dict per transaction × characteristic, with the keys of `COLUMNS` (direction
            as `direction_code`, 01 receipt / 02 payment).
        folder: `reports/<run_date>/`.
        run_date: the nightly run's date (named in the titles).
        due_date: the report deadline of a trade date (5 working days later).
        provisional: whether a deadline rests on a provisional calendar (marked 暂定).
        institution: the institution's name and code, in every printed page's header.

    Returns:
        The workbook and CSV paths.
    """
    folder.mkdir(parents=True, exist_ok=True)
    ordered = sorted(
        rows,
        key=lambda r: (
            r["customer_id"],
            r["trade_date"],
            r["characteristic_code"],
            r["booked_at"],
            r["txn_id"],
        ),
    )
    workbook_path = folder / f"large_value_report_{run_date:%Y%m%d}.xlsx"
    csv_path = folder / f"large_value_report_{run_date:%Y%m%d}.csv"
    write_csv(ordered, COLUMNS, csv_path)
    _write_workbook(ordered, workbook_path, run_date, due_date, provisional, institution)
    return ReportFiles(workbook=workbook_path, csv=csv_path, rows=len(ordered))


def _write_workbook(
    rows: Sequence[dict[str, Any]],
    path: Path,
    run_date: dt.date,
    due_date: Callable[[dt.date], dt.date],
    provisional: Callable[[dt.date], bool],
    institution: str,
) -> None:
    tmp = path.with_suffix(".xlsx.tmp")
    book = xlsxwriter.Workbook(str(tmp), {"remove_timezone": True})
    head = book.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
    )
    tag = book.add_format(
        {"italic": True, "font_color": "#595959", "bg_color": "#F2F2F2", "border": 1}
    )
    group = book.add_format({"bold": True, "bg_color": "#FFF2CC"})
    formats = {
        "text": book.add_format({"num_format": "@"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        "money": book.add_format({"num_format": "#,##0.00#"}),
        "code": book.add_format({"num_format": "@", "text_wrap": True}),
    }
    sheet = book.add_worksheet("大额交易明细")
    for col, (_, chinese, xml_tag, width, kind) in enumerate(COLUMNS):
        sheet.set_column(col, col, width, formats[kind.split(":")[0]])
        sheet.write_string(0, col, chinese, head)
        sheet.write_string(1, col, xml_tag, tag)
    sheet.set_row(0, 32)
    sheet.freeze_panes(2, 2)
    sheet.outline_settings(True, False, True, False)
    line = 2
    sizes = Counter((r["customer_id"], r["trade_date"], r["characteristic_code"]) for r in rows)
    current: tuple[Any, ...] | None = None
    for row in rows:
        key = (row["customer_id"], row["trade_date"], row["characteristic_code"])
        if key != current:
            current = key
            sheet.write_string(
                line,
                0,
                f"{row['customer_id']} {row.get('customer_name') or ''} ｜ {row['trade_date']} ｜ "
                f"{row['characteristic_code']} ｜ {sizes[key]} 笔 ｜ 报送截止 "
                + _due_label(due_date(row["trade_date"]), provisional),
                group,
            )
            line += 1
        for col, (name, _, _, _, kind) in enumerate(COLUMNS):
            value = row.get(name)
            if kind.startswith("code:"):
                sheet.write_string(line, col, labelled(kind[5:], value), formats["code"])
            elif value is None:
                sheet.write_blank(line, col, None, formats[kind])
            elif kind == "money":
                sheet.write_number(line, col, float(value), formats[kind])
            elif kind in ("date", "datetime"):
                sheet.write_datetime(
                    line,
                    col,
                    value
                    if isinstance(value, dt.datetime)
                    else dt.datetime.combine(value, dt.time()),
                    formats[kind],
                )
            else:
                sheet.write_string(line, col, str(value), formats[kind])
        sheet.set_row(line, None, None, {"level": 1})
        line += 1
    print_setup(
        sheet,
        PageHeader(institution, run_date, f"人民币大额交易数据报告 明细（运行日期 {run_date}）"),
        landscape=True,
        repeat=(0, 1),
        last_row=line - 1,
        last_col=len(COLUMNS) - 1,
    )
    _summary(book, rows, run_date, due_date, provisional, head, institution)
    book.close()
    tmp.replace(path)


def _summary(
    book: xlsxwriter.Workbook,
    rows: Sequence[dict[str, Any]],
    run_date: dt.date,
    due_date: Callable[[dt.date], dt.date],
    provisional: Callable[[dt.date], bool],
    head: Any,
    institution: str,
) -> None:
    sheet = book.add_worksheet("汇总")
    money = book.add_format({"num_format": "#,##0.00"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    title = book.add_format({"bold": True, "font_size": 13})
    sheet.write_string(0, 0, f"人民币大额交易数据报告 汇总（运行日期 {run_date}）", title)
    sheet.write_row(
        2, 0, ["大额交易特征代码", "金融机构网点代码", "笔数", "折人民币合计", "折美元合计"], head
    )
    totals: dict[tuple[str, str], list[Any]] = {}
    for row in rows:
        entry = totals.setdefault(
            (row["characteristic_code"], row.get("branch_code") or ""), [0, Decimal(0), Decimal(0)]
        )
        entry[0] += 1
        entry[1] += Decimal(row["amount_cny"])
        entry[2] += Decimal(row["amount_usd"])
    line = 3
    for (code, branch), (count, cny, usd) in sorted(totals.items()):
        sheet.write_string(line, 0, labelled("characteristic", code))
        sheet.write_string(line, 1, branch)
        sheet.write_number(line, 2, count)
        sheet.write_number(line, 3, float(cny), money)
        sheet.write_number(line, 4, float(usd), money)
        line += 1
    line += 1
    sheet.write_row(
        line, 0, ["大额交易发生日期", "客户数", "笔数", "报送截止日（5个工作日）", "日历"], head
    )
    by_day: dict[dt.date, tuple[set[str], int]] = {}
    for row in rows:
        customers, count = by_day.get(row["trade_date"], (set(), 0))
        customers.add(row["customer_id"])
        by_day[row["trade_date"]] = (customers, count + 1)
    for day, (customers, count) in sorted(by_day.items()):
        line += 1
        sheet.write_datetime(line, 0, dt.datetime.combine(day, dt.time()), date)
        sheet.write_number(line, 1, len(customers))
        sheet.write_number(line, 2, count)
        due = due_date(day)
        sheet.write_datetime(line, 3, dt.datetime.combine(due, dt.time()), date)
        sheet.write_string(
            line, 4, "暂定（节假日安排未载入）" if provisional(due) else "国务院安排"
        )
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 4, 18)
    sheet.freeze_panes(3, 0)
    print_setup(
        sheet,
        PageHeader(institution, run_date, f"人民币大额交易数据报告 汇总（运行日期 {run_date}）"),
        landscape=False,
        repeat=None,
        last_row=line,
        last_col=4,
    )


def _due_label(due: dt.date, provisional: Callable[[dt.date], bool]) -> str:
    return f"{due}（暂定）" if provisional(due) else str(due)
