"""What every area of the review shares: the store, the calendar, the clock, the deadline
rule, and the one way a case changes state (checked, evented and audited in one
transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from amlwatch import labels
from amlwatch.cases import repository as repo
from amlwatch.cases.audit import append as audit
from amlwatch.cases.exceptions import WrongState
from amlwatch.cases.security import visible_case
from amlwatch.cases.store import CaseStore
from amlwatch.models import TRANSITIONS, Case, CaseState, Role, User

SYSTEM = "system"
DUE_SOON_WORKING_DAYS = 2
MIN_TEXT = 10  # a dismissal's or send-back's explanation, in characters
URGENCY = dict(labels.URGENCY)
# DORP (99, another authority named in ODRP, is not offered)
DIRECTIONS = {k: v for k, v in labels.REPORT_DIRECTIONS.items() if k != "99"}
# the states still waiting on somebody, and when each counts as decided
OPEN_STATES = (
    CaseState.NEW,
    CaseState.IN_REVIEW,
    CaseState.PROPOSED,
    CaseState.DISMISSAL_PROPOSED,
)
TO_REPORT = (CaseState.APPROVED, CaseState.REPORT_GENERATED)
# 我的待办: the open cases waiting on a role's own step (a liaison's review, an approver's
# decision on a proposal)
WAITING_ON = {
    Role.LIAISON: (CaseState.NEW, CaseState.IN_REVIEW),
    Role.APPROVER: (CaseState.PROPOSED, CaseState.DISMISSAL_PROPOSED),
}
STATE_NAMES = {CaseState(code): name for code, name in labels.CASE_STATES.items()}

AddWorkingDays = Callable[[dt.date, int], dt.date]


@dataclass(frozen=True, slots=True)
class Deadline:
    """Where a case stands against its reporting deadline."""

    due: dt.date | None
    status: str  # none | ok | due_soon | overdue | met | missed
    working_days_left: int | None = None
    provisional: bool = False  # the due date rests on a provisional calendar (rules.calendar)


class ReviewBase:
    """The review use cases over one case store (the areas extend it).

    Args:
        store: the case store.
        add_working_days: the business-day calendar's `add_business_days`.
        crime_types: the suspected-crime codes (spec 10.6) a proposal may use, with names.
        review_levels: approval levels (2: liaison + approver; 3: 初审 / 复审 / 终审); the
            store's own setting, once an administrator has set one, wins.
        session_timeout: idle time after which a session ends.
        session_lifetime: time after login at which a session ends however busy.
        today: the clock (tests move it).
        is_provisional: whether a day is judged by the provisional calendar.
        calendar_notice: the warning that next year's schedule is not loaded (or None).
    """

    def __init__(
        self,
        store: CaseStore,
        add_working_days: AddWorkingDays,
        crime_types: Mapping[str, str],
        review_levels: int = 2,
        session_timeout: dt.timedelta = dt.timedelta(minutes=30),
        session_lifetime: dt.timedelta = dt.timedelta(hours=12),
        today: Callable[[], dt.date] = dt.date.today,
        is_provisional: Callable[[dt.date], bool] = lambda day: False,
        calendar_notice: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.store = store
        self.is_provisional = is_provisional
        self.calendar_notice = calendar_notice
        self.add_working_days = add_working_days
        self.crime_types = dict(crime_types)
        self.default_levels = review_levels
        self.session_timeout = session_timeout
        self.session_lifetime = session_lifetime
        self.audit_checkpoints: Path | None = None  # the checkpoint file the chain is held to
        self.branch_names: dict[str, str] = {}  # the bank's branches by code: their names
        self.today = today

    def case_of_alert(self, alert_id: str) -> Case | None:
        """The case of an alert, for the operator's tools (no user: the CLI's own reads)."""
        with self.store.read() as con:
            return repo.case_by_alert(con, alert_id)

    def review_levels(self) -> int:
        with self.store.read() as con:
            stored = repo.setting(con, "review_levels")
        return int(stored) if stored is not None else self.default_levels

    def single_dismissal(self) -> frozenset[str]:
        """The monitoring standards whose alerts one liaison may dismiss alone (an
        administrator's explicit choice); every other dismissal gets a second look."""
        with self.store.read() as con:
            stored = repo.setting(con, "single_dismissal")
        return frozenset(str(code) for code in stored or [])

    def deadline(self, case: Case, today: dt.date) -> Deadline:
        if case.due_date is None:
            return Deadline(None, "none")
        if case.state in TO_REPORT or case.state in (
            CaseState.CORRECTION_REQUESTED,
            CaseState.REJECTED,
        ):
            provisional = self.is_provisional(case.due_date)
            if today > case.due_date:
                return Deadline(case.due_date, "overdue", 0, provisional)
            left = self._working_days_between(today, case.due_date)
            status = "due_soon" if left <= DUE_SOON_WORKING_DAYS else "ok"
            return Deadline(case.due_date, status, left, provisional)
        met = case.submitted_on is not None and case.submitted_on <= case.due_date
        return Deadline(case.due_date, "met" if met else "missed")

    def _working_days_between(self, start: dt.date, end: dt.date) -> int:
        count, day = 0, start
        while True:
            nxt = self.add_working_days(day, 1)
            if nxt > end:
                return count
            count, day = count + 1, nxt

    def _move(
        self,
        actor: User,
        case_id: int,
        source: CaseState,
        target: CaseState,
        action: str,
        values: dict[str, Any] | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Case:
        with self.store.write() as con:
            case = visible_case(con, actor, case_id)
            return self._transition(con, actor, case, source, target, action, values, detail)

    def _transition(
        self,
        con: Connection,
        actor: User,
        case: Case,
        source: CaseState,
        target: CaseState,
        action: str,
        values: dict[str, Any] | None = None,
        detail: dict[str, Any] | None = None,
        level: int | None = None,
    ) -> Case:
        if case.state is not source or target not in TRANSITIONS[case.state]:
            raise WrongState(wrong_state(case, action))
        repo.update_case(
            con, case.id, state=str(target), updated_at=dt.datetime.now(), **(values or {})
        )
        repo.add_event(
            con, case.id, actor.username, action, str(source), str(target), level, **(detail or {})
        )
        audit(con, actor.username, action, f"case:{case.id}", state=str(target), **(detail or {}))
        updated = repo.case_by_id(con, case.id)
        assert updated is not None
        return updated


def wrong_state(case: Case, what: str) -> str:
    return f"案件当前状态（{STATE_NAMES[case.state]}）不允许此操作 / cannot {what} a case in state {case.state}"
