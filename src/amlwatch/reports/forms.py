"""Printing a report form (`amlwatch.printed.PrintedForm`): a PDF from an HTML template
(WeasyPrint with Debian's fonts-noto-cjk) and an xlsx with
a real page setup — A4, landscape for the transaction table, fit to the page width, header
rows repeated, the institution and report date in the page header, "第 x 页 共 y 页" in the
footer, a print area. Both show the same fields in the same order; the table's cells stack
their fields a line each as "TAG value", so the printed page can be read against the XML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jinja2
import xlsxwriter

from amlwatch.printed import Column, FormRow, PrintedForm, SummaryTable
from amlwatch.reports.page import PageHeader, print_setup

# Debian's fonts-noto-cjk; subset by HarfBuzz (libharfbuzz-subset0: ~0.1 s a PDF, fontTools ~7 s)
FONTS = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", "Noto Sans SC", sans-serif'
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("amlwatch.reports", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True, slots=True)
class FormFiles:
    pdf: Path
    workbook: Path


def cell_lines(row: FormRow, column: Column) -> list[str]:
    """A table cell: one "TAG value" line per field with a value."""
    lines = []
    for key in column.tags:
        field = row.fields.get(key)
        if field is not None and field.text:
            lines.append(f"{field.tag} {field.text}")
    return lines


# a PDF lays out ~32 rows a second (bench/bench_forms.py): beyond this many the PDF prints the table's totals and
# the files' SHA-256 (which bind the signature to the files), the xlsx every row
MAX_PDF_ROWS = 120


def write_form(
    form: PrintedForm, folder: Path, stem: str, max_pdf_rows: int = MAX_PDF_ROWS
) -> FormFiles:
    """Write `<stem>.pdf` and `<stem>.xlsx` of the form into `folder`, each atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    files = FormFiles(folder / f"{stem}.pdf", folder / f"{stem}.xlsx")
    write_pdf(printable(form, max_pdf_rows), files.pdf)
    write_workbook(form, files.workbook)
    return files


def printable(form: PrintedForm, max_rows: int) -> PrintedForm:
    """The form as its PDF prints it: whole, or — past `max_rows` table rows — with the
    table's totals in place of the table, saying where the rows are."""
    rows = len(form.rows)
    if rows <= max_rows or form.summary is None:
        return form
    note = (
        f"明细共 {rows:,} 笔，超过 PDF 打印上限 {max_rows:,} 笔：此处打印汇总，逐笔明细见同名 xlsx"
        "（已设置打印格式）；报文以所列 SHA-256 校验值为准。"
    )
    return replace(
        form,
        groups=[],
        columns=[],
        tables=[replace(form.summary, note=note), *form.tables],
        notes=[note, *form.notes],
    )


def write_pdf(form: PrintedForm, path: Path) -> None:
    import weasyprint  # loads pango: only where a PDF is written

    html = _TEMPLATES.get_template("form.html").render(
        form=form, fonts=FONTS, cell_lines=cell_lines, keys=_key_lines(form)
    )
    tmp = path.with_suffix(".pdf.tmp")
    weasyprint.HTML(string=html).write_pdf(str(tmp))
    tmp.replace(path)


def write_workbook(form: PrintedForm, path: Path) -> None:
    tmp = path.with_suffix(".xlsx.tmp")
    book = xlsxwriter.Workbook(str(tmp), {"remove_timezone": True})
    styles = _styles(book)
    _form_sheet(book, styles, form)
    if form.columns:
        _table_sheet(book, styles, form)
    summary = [form.summary] if form.summary is not None else []
    for i, table in enumerate([*summary, *form.tables], 1):
        _summary_sheet(book, styles, form, table, i)
    book.close()
    tmp.replace(path)


def _styles(book: xlsxwriter.Workbook) -> dict[str, Any]:
    base = {"font_name": "Noto Sans CJK SC", "font_size": 9, "valign": "top"}

    def fmt(**more: Any) -> Any:
        return book.add_format({**base, **more})

    return {
        "title": fmt(bold=True, font_size=14, align="center"),
        "meta": fmt(text_wrap=True),
        "section": fmt(bold=True, bg_color="#DDEBF7", border=1),
        "name": fmt(bold=True, bg_color="#F2F2F2", border=1, text_wrap=True),
        "tag": fmt(font_color="#595959", border=1),
        "value": fmt(border=1, text_wrap=True, num_format="@"),
        "money": fmt(border=1, num_format="#,##0.00#"),
        "count": fmt(border=1, num_format="#,##0"),
        "rate": fmt(border=1, num_format="0.0%"),
        "head": fmt(bold=True, bg_color="#DDEBF7", border=1, text_wrap=True),
        "cell": fmt(border=1, text_wrap=True, font_size=8),
        "group": fmt(bold=True, bg_color="#FFF2CC", border=1, text_wrap=True, font_size=8),
        "draft": fmt(bold=True, font_color="#C00000", font_size=12, align="center"),
        "sign": fmt(border=1, text_wrap=True),
    }


def _lines_height(text: str, width: int) -> float:
    """A row height (points) that shows wrapped text of a merged cell `width` characters wide."""
    lines = sum(max(1, -(-len(part) * 2 // max(width, 1))) for part in text.split("\n"))
    return 13.0 * lines


def _form_sheet(book: xlsxwriter.Workbook, s: dict[str, Any], form: PrintedForm) -> None:
    sheet = book.add_worksheet("报告表")
    widths = (30, 8, 96)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    line = 0
    sheet.merge_range(line, 0, line, 2, form.title, s["title"])
    line += 1
    if form.draft:
        sheet.merge_range(line, 0, line, 2, "草稿 — 未经审批，不得报送", s["draft"])
        line += 1
    for name, value in (
        ("报告机构", form.institution),
        ("上报网点", form.outlet),
        ("报告期间", form.period),
        ("报告日期", f"{form.report_date:%Y-%m-%d}"),
        ("报文", form.reference),
    ):
        sheet.write_string(line, 0, name, s["name"])
        sheet.merge_range(line, 1, line, 2, value, s["value"])
        line += 1
    for section in form.sections:
        line += 1
        sheet.merge_range(line, 0, line, 2, section.title, s["section"])
        line += 1
        for field in section.fields:
            sheet.write_string(line, 0, field.name, s["name"])
            sheet.write_string(line, 1, field.tag, s["tag"])
            if field.amount is not None:
                sheet.write_number(line, 2, float(field.amount), s["money"])
            else:
                sheet.write_string(line, 2, field.text, s["value"])
            if field.wide or len(field.text) > widths[2] // 2:
                sheet.set_row(line, _lines_height(field.text, widths[2]))
            line += 1
    line += 1
    sheet.merge_range(line, 0, line, 2, "签字栏", s["section"])
    line += 1
    for sign in form.signoff:
        sheet.write_string(line, 0, sign.role, s["name"])
        who = " ".join(p for p in (sign.name, f"（{sign.username}）" if sign.username else "") if p)
        when = f"{sign.on:%Y-%m-%d}" if sign.on else "____年__月__日"
        text = f"{who or '__________'}    日期：{when}    签字：__________"
        if sign.note:
            text += f"\n意见：{sign.note}"
        sheet.merge_range(line, 1, line, 2, text, s["sign"])
        sheet.set_row(line, 30 if not sign.note else _lines_height(text, widths[2]) + 12)
        line += 1
    line += 1
    for note in form.notes:
        sheet.merge_range(line, 0, line, 2, note, s["meta"])
        line += 1
    print_setup(sheet, _page(form), landscape=False, repeat=None, last_row=line - 1, last_col=2)


def _table_sheet(book: xlsxwriter.Workbook, s: dict[str, Any], form: PrintedForm) -> None:
    sheet = book.add_worksheet("交易明细")
    columns = form.columns
    last = len(columns)  # column 0 is the row number
    sheet.set_column(0, 0, 5)
    for col, column in enumerate(columns, 1):
        sheet.set_column(col, col, column.width)
    sheet.merge_range(0, 0, 0, last, f"{form.title} — {form.table_title}", s["title"])
    sheet.write_string(1, 0, "序号", s["head"])
    for col, column in enumerate(columns, 1):
        sheet.write_string(1, col, column.heading, s["head"])
    keys = _key_lines(form)
    for col, column in enumerate(columns, 1):
        sheet.write_string(2, col, "\n".join(keys.get(k, k) for k in column.tags), s["tag"])
    sheet.write_string(2, 0, "", s["tag"])
    sheet.set_row(2, 11.0 * max(len(c.tags) for c in columns) if columns else 15)
    line, number = 3, 0
    for group in form.groups:
        if group.heading:
            text = "　".join(f"{f.tag} {f.name}：{f.text}" for f in group.heading if f.text)
            sheet.merge_range(line, 0, line, last, text, s["group"])
            sheet.set_row(line, 24)
            line += 1
        for row in group.rows:
            number += 1
            sheet.write_number(line, 0, number, s["cell"])
            tallest = 1
            for col, column in enumerate(columns, 1):
                cell = cell_lines(row, column)
                tallest = max(tallest, sum(1 + len(x) * 2 // (column.width * 2 + 1) for x in cell))
                sheet.write_string(line, col, "\n".join(cell), s["cell"])
            sheet.set_row(line, 11.5 * tallest)
            line += 1
    sheet.freeze_panes(3, 1)
    print_setup(
        sheet,
        _page(form),
        landscape=form.landscape,
        repeat=(1, 2),
        last_row=line - 1,
        last_col=last,
    )


# a printed count or sum (1,234 / 71,536.382: no leading zero, so codes such as 01 or 0501
# stay text) and a rate (12.5%)
_FIGURE = re.compile(r"^-?(0|[1-9]\d{0,2}(,\d{3})*)(\.\d{1,3})?$")
_RATE = re.compile(r"^\d{1,3}(\.\d+)?%$")


def figure(cell: str) -> tuple[float | None, str]:
    """A summary cell as the number it prints and its style (the workbook keeps numbers as
    numbers), or (None, "") for text."""
    if _FIGURE.match(cell):
        return float(cell.replace(",", "")), "money" if "." in cell else "count"
    if _RATE.match(cell):
        return float(cell[:-1]) / 100, "rate"
    return None, ""


def _summary_sheet(
    book: xlsxwriter.Workbook, s: dict[str, Any], form: PrintedForm, table: SummaryTable, i: int
) -> None:
    sheet = book.add_worksheet(f"表{i}")
    last = max(len(table.headers) - 1, 0)
    if last:
        sheet.merge_range(0, 0, 0, last, table.title, s["title"])
    else:
        sheet.write_string(0, 0, table.title, s["title"])
    for col, heading in enumerate(table.headers):
        sheet.set_column(col, col, max(10, min(40, 2 * len(heading) + 2)))
        sheet.write_string(1, col, heading, s["head"])
    for line, row in enumerate(table.rows, 2):
        for col, cell in enumerate(row):
            number, style = figure(cell)
            if number is None:
                sheet.write_string(line, col, cell, s["value"])
            else:
                sheet.write_number(line, col, number, s[style])
    end = 1 + len(table.rows)
    if table.note:
        end += 2
        sheet.write_string(end, 0, table.note, s["meta"])
    sheet.freeze_panes(2, 0)
    print_setup(
        sheet, _page(form), landscape=form.landscape, repeat=(1, 1), last_row=end, last_col=last
    )


def _page(form: PrintedForm) -> PageHeader:
    return PageHeader(form.institution, form.report_date, form.reference)


def _key_lines(form: PrintedForm) -> dict[str, str]:
    """The table's field keys as "TAG 名称" for the header (from the first row that has them)."""
    names: dict[str, str] = {}
    for row in form.rows:
        for key, field in row.fields.items():
            names.setdefault(key, f"{field.tag} {field.name}")
    return names
