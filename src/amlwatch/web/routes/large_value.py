"""The nightly large-value reports: the list of days and one day's rows, as the viewer may
see them: masked on the page, codes with their labels, the columns of the viewer's choice;
downloadable as CSV and xlsx (a branch user's own rows; the night's workbook for whole-bank
users)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import xlsxwriter
from fastapi import Request
from fastapi.responses import FileResponse, Response

from amlwatch.cases.exceptions import NotFound
from amlwatch.cases.security import enforce_large_value_reader, large_value_rows
from amlwatch.labels import TAG_KINDS, labelled
from amlwatch.models import User
from amlwatch.web import present
from amlwatch.web.site import Site, parse_date


def register(site: Site) -> None:
    """Add these routes to the site's app."""
    app, review = site.app, site.review
    current, render = site.current, site.render

    @app.get("/large-value")
    def large_value_days(request: Request) -> Response:
        user, csrf = current(request)
        reports = {}
        for path in sorted(site.reports_dir.glob("*/large_value_report_*.csv"))[-DAYS_LISTED:]:
            try:
                night = dt.date.fromisoformat(path.parent.name)
            except ValueError:
                continue
            _, tags, rows = _read_report(path)
            reports[night] = (tags, rows)
        days = review.large_value_days(user, reports)
        return render(request, "large_value_days.html", user, csrf, days=days)

    @app.get("/large-value/{day}")
    def large_value(request: Request, day: str, download: str = "") -> Response:
        user, csrf = current(request)
        date = parse_date(day)
        path = site.reports_dir / date.isoformat() / f"large_value_report_{date:%Y%m%d}.csv"
        if not path.exists():
            raise NotFound("该日无大额交易报告 / no large-value report for that day")
        header, tags, rows = _read_report(path)
        rows, restricted = review.open_large_value_report(user, date, tags, rows, download)
        if download == "csv":
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerows([header, tags, *rows])
            return Response(
                "\ufeff" + out.getvalue(),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{path.name}"'},
            )
        if download == "xlsx" and not restricted:  # the night's workbook, print setup and all
            return FileResponse(path.with_suffix(".xlsx"), filename=path.with_suffix(".xlsx").name)
        if download == "xlsx":  # a branch user's own rows, as their CSV holds them
            title = f"人民币大额交易数据报告 {date:%Y-%m-%d}（仅本人负责机构）"
            return Response(
                _workbook(header, tags, rows, title),
                media_type=XLSX,
                headers={"Content-Disposition": f'attachment; filename="{path.stem}_branch.xlsx"'},
            )
        chosen = _columns(header, request.query_params.getlist("col"))
        masked = {tags.index(t) for t in ("CTID", "CTAC", "TCAC", "TCID") if t in tags}
        shown = [
            [_shown(header[i], tags[i], r[i], i in masked) for i in chosen if i < len(r)]
            for r in rows
        ]
        return render(
            request,
            "large_value.html",
            user,
            csrf,
            day=date,
            header=header,
            tags=tags,
            chosen=chosen,
            rows=shown,
            restricted=restricted,
        )


DAYS_LISTED = 92  # the nights the list shows, newest first
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_TAGS = ("CRAT", "CRMB", "CUSD")
# the columns without a tag
_BY_HEADER = {"客户类型": "customer_type", "当日单边累计": "money", "累计币种": "currency"}
# the columns a liaison reads first; the others are a click away (列选择)
DEFAULT_COLUMNS = (
    "客户号", "客户姓名/名称", "客户账号", "大额交易发生日期", "大额交易特征代码",
    "交易时间（北京时间）", "资金收付标志", "交易币种", "交易金额", "交易金额（折人民币）",
    "交易方式", "交易对手姓名/名称", "交易对手账号", "金融机构网点代码", "当日单边累计",
    "累计币种",
)  # fmt: skip


def _columns(header: list[str], asked: list[str]) -> list[int]:
    """The columns to show: those asked for (by position; "all" for every one), else the
    default set."""
    if "all" in asked:
        return list(range(len(header)))
    picked = sorted({int(a) for a in asked if a.isdigit() and int(a) < len(header)})
    return picked or [i for i, h in enumerate(header) if h in DEFAULT_COLUMNS]


def _shown(name: str, tag: str, cell: str, masked: bool) -> str:
    """A cell as the page shows it: numbers masked, codes with their labels, the CSV's
    formula guard taken off."""
    value = _as_written(cell)
    if masked:
        return present.mask(value)
    kind = _kind(name, tag)
    return labelled(kind, value) if kind not in ("text", "money") else value


def _kind(name: str, tag: str) -> str:
    """What a report column holds: a code table's name, "money" or "text"."""
    if tag in MONEY_TAGS:
        return "money"
    return TAG_KINDS.get(tag) or _BY_HEADER.get(name, "text")


def _workbook(header: list[str], tags: list[str], rows: list[list[str]], title: str) -> bytes:
    """Rows of the report as xlsx: the title, the Chinese header and the XML tags, amounts as
    numbers, the header frozen and filterable."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("大额交易")
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1, "text_wrap": True})
    amount = book.add_format({"num_format": "#,##0.00#"})
    sheet.write_string(0, 0, title)
    for col, (name, tag) in enumerate(zip(header, tags, strict=False)):
        sheet.write_string(1, col, name, bold)
        sheet.write_string(2, col, tag, bold)
        sheet.set_column(col, col, 16)
    for r, row in enumerate(rows, start=3):
        for col, cell in enumerate(row[: len(header)]):
            value = _as_written(cell)
            if _kind(header[col], tags[col]) == "money" and value:
                sheet.write_number(r, col, float(value), amount)
            else:
                sheet.write_string(r, col, value)
    sheet.freeze_panes(3, 0)
    sheet.autofilter(2, 0, 2 + len(rows), max(len(header) - 1, 0))
    book.close()
    return out.getvalue()


def _read_report(path: Path) -> tuple[list[str], list[str], list[list[str]]]:
    """The large-value CSV: Chinese header, XML tag line, rows."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    if len(lines) < 2:
        return [], [], []
    return lines[0], lines[1], lines[2:]


def _as_written(cell: str) -> str:
    """A CSV cell as the bank wrote it: without the apostrophe that keeps a formula-like value
    from running in a spreadsheet (reports.csv_tables.csv_cell); the page escapes it anyway."""
    return (
        cell[1:] if cell.startswith("'") and cell[1:2] in ("=", "+", "-", "@", "\t", "\r") else cell
    )


SHOWN_TAGS = ("TSTM", "CRCD", "TSDR", "CRTP", "CRAT", "CRMB", "TCNM", "TCAC", "FINC")


def customer_rows(
    site: Site, user: User, customer_id: str, until: dt.date
) -> tuple[list[str], list[dict[str, str]]]:
    """A customer's large-value records of the year up to `until`, from the nightly reports,
    as far as the viewer may see them (their branches; accounts masked): the tags shown and
    one dict a record, newest first."""
    branches = enforce_large_value_reader(user)
    since = until - dt.timedelta(days=365)
    rows: list[dict[str, str]] = []
    for path in sorted(site.reports_dir.glob("*/large_value_report_*.csv"), reverse=True):
        try:
            day = dt.date.fromisoformat(path.parent.name)
        except ValueError:
            continue
        if not since <= day <= until:
            continue
        _, tags, found = _read_report(path)
        if "CSNM" not in tags:
            continue
        at = tags.index("CSNM")
        mine = [r for r in large_value_rows(branches, tags, found) if r[at] == customer_id]
        for r in mine:
            record = {"day": day.isoformat()} | dict(zip(tags, r, strict=False))
            if record.get("TCAC"):
                record["TCAC"] = present.mask(record["TCAC"])
            rows.append(record)
    return ["day", *SHOWN_TAGS], rows[:500]
