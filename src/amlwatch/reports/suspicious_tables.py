"""The suspicious payment transaction report form (可疑支付交易报告表) for the liaisons who review
alerts: an Excel workbook (a list of alerts, then one sheet per alert with the subject block
and the evidence transactions) and two CSVs, Chinese headers with the spec's tags beneath.

A suspicious report is due 5 working days after the case is confirmed (regulations §4); an
alert is not yet confirmed, so its deadline is stated as such until the review sets it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter

from amlwatch.labels import labelled
from amlwatch.reports.csv_tables import Column, cell_text, write_csv
from amlwatch.reports.page import PageHeader, print_setup

PENDING_DUE = "确认后5个工作日内"
DRAFT_NOTE = "系统初稿，须经人工修改，不得直接报送"
MAX_ALERT_SHEETS = 200  # beyond this the alert sheets are left out; the CSVs hold everything

# (key, Chinese header, XML tag, width, kind)
ALERT_COLUMNS: tuple[Column, ...] = (
    ("alert_id", "预警编号", "-", 30, "text"),
    ("rule_code", "可疑交易特征代码", "STCR", 14, "text"),
    ("rule_name", "监测标准", "-", 26, "text"),
    ("customer_id", "客户号", "CSNM", 13, "text"),
    ("customer_name", "可疑主体姓名/名称", "SENM", 22, "text"),
    ("id_type", "身份证件/证明文件类型", "SETP", 16, "code:id_type"),
    ("id_number", "身份证件/证明文件号码", "SEID", 21, "text"),
    ("account_id", "监测账户", "CTAC", 20, "text"),
    ("branch_code", "网点代码", "RPNC", 10, "text"),
    ("window_start", "监测窗口起", "-", 11, "date"),
    ("window_end", "监测窗口止", "-", 11, "date"),
    ("first_scan_date", "首次命中日", "-", 11, "date"),
    ("last_scan_date", "最近命中日", "-", 11, "date"),
    ("nights", "命中日数", "-", 8, "int"),
    ("in_count", "转入笔数", "-", 8, "int"),
    ("in_total", "转入金额（折人民币）", "-", 16, "money"),
    ("in_parties", "转入交易对手数", "-", 9, "int"),
    ("out_count", "转出笔数", "-", 8, "int"),
    ("out_total", "转出金额（折人民币）", "-", 16, "money"),
    ("out_parties", "转出交易对手数", "-", 9, "int"),
    ("through_flow", "转出/转入", "-", 9, "ratio"),
    ("evidence_count", "交易笔数", "STNM", 8, "int"),
    ("status", "状态", "-", 9, "code:alert_status"),
    ("due", "报送时限", "-", 16, "text"),
)

# the subject block (SEIF)
SUBJECT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("customer_id", "客户号", "CSNM"),
    ("occupation_or_industry", "可疑主体职业（对私）或行业（对公）", "SEVC"),
    ("customer_name", "可疑主体姓名/名称", "SENM"),
    ("id_type", "可疑主体身份证件/证明文件类型", "SETP"),
    ("id_number", "可疑主体身份证件/证明文件号码", "SEID"),
    ("nationality", "可疑主体国籍", "STNT"),
    ("phone", "可疑主体联系电话", "SCTL"),
    ("address", "可疑主体住址/经营地址", "SEAR"),
    ("other_contact", "可疑主体其他联系方式", "SEEI"),
    ("legal_rep_name", "可疑主体法定代表人姓名", "SRNM"),
    ("legal_rep_id_type", "可疑主体法定代表人身份证件类型", "SRIT"),
    ("legal_rep_id_number", "可疑主体法定代表人身份证件号码", "SRID"),
    ("controller_name", "可疑主体控股股东或实际控制人名称", "SCNM"),
    ("controller_id_type", "可疑主体控股股东或实际控制人身份证件/证明文件类型", "SCIT"),
    ("controller_id_number", "可疑主体控股股东或实际控制人身份证件/证明文件号码", "SCID"),
)

# the evidence transactions (STIF)
TXN_COLUMNS: tuple[Column, ...] = (
    ("alert_id", "预警编号", "-", 30, "text"),
    ("leg", "分散端/集中端", "-", 9, "code:leg"),
    ("branch_code", "金融机构网点代码", "FINC", 10, "text"),
    ("customer_name", "客户姓名/名称", "CTNM", 20, "text"),
    ("id_type", "客户身份证件/证明文件类型", "CITP", 16, "code:id_type"),
    ("id_number", "客户身份证件/证明文件号码", "CTID", 21, "text"),
    ("customer_id", "客户号", "CSNM", 13, "text"),
    ("account_type", "客户账户类型", "CATP", 12, "code:account_type"),
    ("account_id", "客户账号", "CTAC", 21, "text"),
    ("booked_at", "交易时间（北京时间）", "TSTM", 17, "datetime"),
    ("location", "交易发生地", "TRCD", 16, "code:region"),
    ("txn_id", "业务标识号", "TICD", 21, "text"),
    ("tx_method", "交易方式", "TSTP", 18, "code:tx_method"),
    ("channel", "非柜台交易方式", "OCTT", 9, "text"),
    ("direction_code", "资金收付标志", "TSDR", 7, "code:direction"),
    ("purpose", "资金来源和用途", "CRSP", 12, "text"),
    ("currency", "交易币种", "CRTP", 10, "code:currency"),
    ("amount", "交易金额", "CRAT", 15, "money"),
    ("amount_cny", "折人民币", "-", 15, "money"),
    ("counterparty_bank_name", "对方金融机构网点名称", "CFIN", 20, "text"),
    ("counterparty_bank_code", "对方金融机构网点代码", "CFIC", 14, "text"),
    ("counterparty_region", "对方金融机构网点行政区划代码", "CFRC", 16, "code:region"),
    ("counterparty_name", "交易对手姓名/名称", "TCNM", 22, "text"),
    ("counterparty_id_type", "交易对手身份证件/证明文件类型", "TCIT", 16, "code:id_type"),
    ("counterparty_id_number", "交易对手身份证件/证明文件号码", "TCID", 21, "text"),
    ("counterparty_account_type", "交易对手账户类型", "TCAT", 12, "code:account_type"),
    ("counterparty_account", "交易对手账号", "TCAC", 21, "text"),
)
# subject fields printed with their labels
SUBJECT_CODES = {
    "id_type": "id_type", "legal_rep_id_type": "id_type", "controller_id_type": "id_type",
    "nationality": "country", "occupation_or_industry": "occupation",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SuspiciousReportFiles:
    """The files written."""

    workbook: Path
    alerts_csv: Path
    transactions_csv: Path
    alerts: int
    transactions: int


def write_suspicious_tables(
    alerts: Sequence[dict[str, Any]],
    transactions: Sequence[dict[str, Any]],
    folder: Path,
    run_date: dt.date,
    workbook: bool = True,
    institution: str = "",
) -> SuspiciousReportFiles:
    """Write the report form of a run's alerts.

    Args:
        alerts: one dict per alert (suspicious_alerts columns plus the customer's details).
        transactions: the alerts' evidence with the STIF fields (`alert_id`, `leg`, ...).
        folder: `reports/<run_date>/`.
        run_date: the nightly run's date.
        workbook: also the xlsx (a case's report has its printed form instead).
        institution: the institution's name and code, in every printed page's header.

    Returns:
        The paths written and the row counts.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{**a, "due": PENDING_DUE} for a in alerts]
    txns = list(transactions)
    stem = f"suspicious_report_{run_date:%Y%m%d}"
    files = SuspiciousReportFiles(
        workbook=folder / f"{stem}.xlsx",
        alerts_csv=folder / f"{stem}_alerts.csv",
        transactions_csv=folder / f"{stem}_transactions.csv",
        alerts=len(rows),
        transactions=len(txns),
    )
    write_csv(rows, ALERT_COLUMNS, files.alerts_csv)
    write_csv(txns, TXN_COLUMNS, files.transactions_csv)
    if workbook:
        _write_workbook(rows, txns, files.workbook, PageHeader(institution, run_date, stem))
    return files


class _Sheet:
    """Typed cell writing with the workbook's formats."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.head = book.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
        )
        self.tag = book.add_format(
            {"italic": True, "font_color": "#595959", "bg_color": "#F2F2F2", "border": 1}
        )
        self.title = book.add_format({"bold": True, "font_size": 13})
        self.label = book.add_format({"bold": True, "bg_color": "#FFF2CC", "border": 1})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        self.formats = {
            "text": book.add_format({"num_format": "@"}),
            "int": book.add_format({"num_format": "0"}),
            "ratio": book.add_format({"num_format": "0.00%"}),
            "date": book.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            "money": book.add_format({"num_format": "#,##0.00#"}),
            "code": book.add_format({"num_format": "@", "text_wrap": True}),
        }

    def header(self, sheet: Any, line: int, columns: Sequence[Column]) -> None:
        for col, (_, chinese, xml_tag, width, _) in enumerate(columns):
            sheet.set_column(col, col, width)
            sheet.write_string(line, col, chinese, self.head)
            sheet.write_string(line + 1, col, xml_tag, self.tag)
        sheet.set_row(line, 32)

    def row(
        self,
        sheet: Any,
        line: int,
        row: dict[str, Any],
        columns: Sequence[Column],
    ) -> None:
        for col, (key, _, _, _, kind) in enumerate(columns):
            value = row.get(key)
            fmt = self.formats[kind.split(":")[0]]
            if kind.startswith("code:"):
                sheet.write_string(line, col, labelled(kind[5:], value), fmt)
            elif value is None:
                sheet.write_blank(line, col, None, fmt)
            elif kind in ("money", "int", "ratio"):
                sheet.write_number(line, col, float(value), fmt)
            elif kind in ("date", "datetime"):
                when = (
                    value
                    if isinstance(value, dt.datetime)
                    else dt.datetime.combine(value, dt.time())
                )
                sheet.write_datetime(line, col, when, fmt)
            else:
                sheet.write_string(line, col, str(value), fmt)


def _write_workbook(
    alerts: Sequence[dict[str, Any]],
    transactions: Sequence[dict[str, Any]],
    path: Path,
    page: PageHeader,
) -> None:
    run_date = page.report_date
    tmp = path.with_suffix(".xlsx.tmp")
    book = xlsxwriter.Workbook(str(tmp), {"remove_timezone": True})
    cells = _Sheet(book)
    sheet = book.add_worksheet("预警列表")
    sheet.write_string(
        0,
        0,
        f"可疑支付交易报告表 — 预警列表（运行日期 {run_date}，共 {len(alerts)} 条）",
        cells.title,
    )
    cells.header(sheet, 1, ALERT_COLUMNS)
    sheet.freeze_panes(3, 1)
    for i, alert in enumerate(alerts):
        cells.row(sheet, 3 + i, alert, ALERT_COLUMNS)
    if alerts:
        sheet.autofilter(1, 0, 2 + len(alerts), len(ALERT_COLUMNS) - 1)
    last = len(ALERT_COLUMNS) - 1
    print_setup(sheet, page, landscape=True, repeat=(1, 2), last_row=2 + len(alerts), last_col=last)
    by_alert: dict[str, list[dict[str, Any]]] = {}
    for txn in transactions:
        by_alert.setdefault(str(txn["alert_id"]), []).append(txn)
    for alert in alerts[:MAX_ALERT_SHEETS]:
        _alert_sheet(book, cells, alert, by_alert.get(str(alert["alert_id"]), []), page)
    book.close()
    tmp.replace(path)


def _alert_sheet(
    book: xlsxwriter.Workbook,
    cells: _Sheet,
    alert: dict[str, Any],
    txns: list[dict[str, Any]],
    page: PageHeader,
) -> None:
    sheet = book.add_worksheet(str(alert["alert_id"])[:31])
    sheet.write_string(
        0, 0, f"{alert['alert_id']} ｜ {alert['rule_code']} {alert['rule_name']}", cells.title
    )
    line = 2
    sheet.write_string(line, 0, "可疑主体信息", cells.label)
    sheet.write_string(line, 1, "SEIF", cells.tag)
    line += 1
    for key, chinese, xml_tag in SUBJECT_FIELDS:
        sheet.write_string(line, 0, chinese, cells.head)
        sheet.write_string(line, 1, xml_tag, cells.tag)
        value = alert.get(key)
        shown = labelled(SUBJECT_CODES[key], value) if key in SUBJECT_CODES else cell_text(value)
        sheet.write_string(line, 2, shown, cells.formats["text"])
        line += 1
    line += 1
    sheet.write_string(
        line,
        0,
        "资金交易及客户行为情况 / 疑点分析（系统初稿，须经人工修改，不得直接报送）",
        cells.label,
    )
    sheet.write_string(line, 1, "STCB / AOSP", cells.tag)
    sheet.merge_range(line + 1, 0, line + 1, 8, str(alert.get("narrative") or ""), cells.wrap)
    sheet.set_row(line + 1, 90)
    line += 3
    for side, key in (("主要转入交易对手", "top_in"), ("主要转出交易对手", "top_out")):
        sheet.write_string(line, 0, side, cells.label)
        parties = json.loads(str(alert.get(key) or "[]"))
        sheet.write_string(
            line,
            2,
            "；".join(
                f"{p['name'] or '（名称未知）'} {p['count']}笔 {float(p['amount_cny']):,.2f}元"
                for p in parties
            ),
        )
        line += 1
    line += 1
    sheet.write_string(line, 0, f"可疑交易信息（{len(txns)} 笔）", cells.label)
    sheet.write_string(line, 1, "STIF", cells.tag)
    line += 1
    columns = TXN_COLUMNS[1:]
    cells.header(sheet, line, columns)
    sheet.set_column(0, 0, 34)
    sheet.set_column(2, 2, 24)
    sheet.freeze_panes(line + 2, 0)
    for i, txn in enumerate(txns):
        cells.row(sheet, line + 2 + i, txn, columns)
    print_setup(
        sheet,
        page,
        landscape=True,
        repeat=(line, line + 1),
        last_row=line + 1 + len(txns),
        last_col=len(columns) - 1,
    )
