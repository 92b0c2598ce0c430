"""The page setup of every printable sheet: A4, the orientation the table needs, fit to one
page wide (as many pages long as it takes), header rows repeated on every page, the
institution and report date in the page header, "第 x 页 共 y 页" in the footer, a print area."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

A4 = 9  # Excel's paper code


@dataclass(frozen=True, slots=True)
class PageHeader:
    institution: str  # name and code
    report_date: dt.date
    reference: str = ""  # the report's name (footer, left)


def _escape(text: str) -> str:
    return text.replace("&", "&&")  # Excel's header codes start with &


def print_setup(
    sheet: Any,
    page: PageHeader,
    *,
    landscape: bool,
    repeat: tuple[int, int] | None,
    last_row: int,
    last_col: int,
) -> None:
    """Set up `sheet` (xlsxwriter) for printing; rows `repeat` (first, last) on every page."""
    sheet.set_paper(A4)
    if landscape:
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
    if repeat is not None:
        sheet.repeat_rows(*repeat)
    sheet.print_area(0, 0, max(last_row, 0), last_col)
    sheet.set_header(
        f"&L{_escape(page.institution)}&R报告日期 {page.report_date:%Y-%m-%d}", {"margin": 0.3}
    )
    sheet.set_footer(f"&L{_escape(page.reference)}&C第 &P 页 共 &N 页", {"margin": 0.3})
