"""The flagged list's parameters (filters, queue, sort, page) read into one `CaseFilter`,
and the list as an xlsx workbook (the columns the page shows)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import xlsxwriter

from amlwatch.cases import CaseFilter, Review
from amlwatch.cases.exceptions import InvalidInput
from amlwatch.cases.repository import SORTS, UNASSIGNED
from amlwatch.cases.usecases import OPEN_STATES, TO_REPORT, WAITING_ON
from amlwatch.models import Case, CaseState, Role, User
from amlwatch.web import present

PAGE_SIZE = 50
MAX_PAGE = 100_000  # beyond: an empty page, not a database error
MAX_EXPORT = 10_000
PARAMS = ("queue", "rule", "branch", "state", "due", "snoozed", "who", "sort", "desc")
QUEUES = {"mine": "我的待办", "none": "未分配", "": "全部"}


@dataclass(frozen=True, slots=True)
class Listing:
    """A list request: its filter, the parameters that made it, and the page asked for."""

    flt: CaseFilter
    params: dict[str, str]
    page: int


def read(review: Review, user: User, source: Mapping[str, Any]) -> Listing:
    """The list a query string (or a search form) asks for; the defaults are the day's work:
    open cases, deadline first."""
    p = {k: str(source.get(k) or "") for k in PARAMS}
    p["state"] = p["state"] or "open"
    p["snoozed"] = p["snoozed"] or "0"
    today = review.today()
    states: tuple[CaseState, ...] = ()
    if p["state"] == "open":
        states = OPEN_STATES
        if p["queue"] == "mine":
            states = WAITING_ON.get(user.role, OPEN_STATES)
    elif p["state"] != "all":
        try:
            states = (CaseState(p["state"]),)
        except ValueError:
            raise InvalidInput("无此状态 / unknown state") from None
    due_by = None
    if p["due"] in ("overdue", "soon"):
        states = states or (*TO_REPORT, CaseState.CORRECTION_REQUESTED, CaseState.REJECTED)
        due_by = (
            today - dt.timedelta(days=1)
            if p["due"] == "overdue"
            else review.add_working_days(today, 2)
        )
    # an approver's 我的待办 is every proposal waiting on a decision, whoever prepared it
    mine = user.username if user.role is Role.LIAISON else None
    assignee = {"mine": mine, "none": UNASSIGNED}.get(p["queue"]) or p["who"] or None
    if p["sort"] and p["sort"] not in SORTS:
        raise InvalidInput("无此排序列 / unknown sort column")
    try:
        page = min(max(int(str(source.get("page") or 1)), 1), MAX_PAGE)
    except ValueError:
        raise InvalidInput("页码应为数字 / page must be a number") from None
    flt = CaseFilter(
        rule_code=p["rule"] or None,
        branch_code=p["branch"] or None,
        states=states,
        due_by=due_by,
        snoozed={"0": False, "1": True}.get(p["snoozed"]),
        assignee=assignee,
        sort=p["sort"],
        descending=p["desc"] == "1",
    )
    return Listing(flt, p, page)


def pages_around(number: int, pages: int) -> list[int | None]:
    """Page numbers to link: the first, the last and two either side (None: a gap)."""
    shown = sorted({1, pages, *range(max(1, number - 2), min(pages, number + 2) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


COLUMNS = (
    ("案件编号", 9), ("监测标准", 22), ("客户名称", 20), ("客户号", 14), ("机构", 8),
    ("窗口起", 11), ("窗口止", 11), ("转入（元）", 15), ("转出（元）", 15), ("评分", 7),
    ("状态", 12), ("报告期限", 11), ("经办人", 12),
)  # fmt: skip


def workbook(
    review: Review, user: User, found: list[Case], people: Mapping[str, str], title: str
) -> bytes:
    """The list as xlsx. Customer numbers in full for those who work the cases (liaisons,
    approvers), masked for an auditor, as on the pages they see."""
    full = user.role in (Role.LIAISON, Role.APPROVER)
    today = review.today()
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("预警案件")
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1, "text_wrap": True})
    amount = book.add_format({"num_format": "#,##0.00"})
    sheet.write(0, 0, title)
    for col, (name, width) in enumerate(COLUMNS):
        sheet.write(1, col, name, bold)
        sheet.set_column(col, col, width)
    for r, c in enumerate(found, start=2):
        deadline = review.deadline(c, today)
        due = f"{deadline.due} {present.DEADLINE_NAMES[deadline.status]}" if deadline.due else ""
        values = [
            c.id, "；".join(f"{code} {name}" for code, name in c.standards), c.customer_name,
            c.customer_id if full else present.mask(c.customer_id, 2, 3), c.branch_code,
            c.window_start.isoformat(), c.window_end.isoformat(),
        ]  # fmt: skip
        for col, value in enumerate(values):
            sheet.write_string(r, col, str(value)) if col else sheet.write_number(r, col, value)
        sheet.write_number(r, 7, float(c.in_total), amount)
        sheet.write_number(r, 8, float(c.out_total), amount)
        sheet.write_number(r, 9, round(c.score, 2))
        sheet.write_string(r, 10, present.STATE_NAMES_BY_CODE[str(c.state)])
        sheet.write_string(r, 11, due)
        who = people.get(c.assignee, c.assignee) if c.assignee else "未分配"
        sheet.write_string(r, 12, str(who))
    sheet.freeze_panes(2, 0)
    sheet.autofilter(1, 0, 1 + len(found), len(COLUMNS) - 1)
    book.close()
    return out.getvalue()
