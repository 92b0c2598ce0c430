"""List screening in the review (名单监测): who may import a list, the screening cases the
nights open, and their review with four eyes.

A screening case is put to the liaisons of its customer's branch (and approvers, auditors):
a liaison checks the list entry against the party's data and proposes 确认命中 (a true hit)
or 排除误报 (a false positive) with a reason; an approver — another person — confirms or
sends it back. A confirmed hit records the action at once: the customer and its accounts
frozen (for a customer, its legal representative or controller), or the counterparty's
account blocked (a counterparty or agent), with the time; and the report to the authorities
becomes due. Administrators, who see no case, see no screening case either. Every look and
every step is audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from amlwatch.cases import repository as repo
from amlwatch.cases import screening_rows as rows
from amlwatch.cases.audit import append as audit
from amlwatch.cases.exceptions import FourEyes, InvalidInput, NotFound, WrongState
from amlwatch.cases.screening_rows import ScreeningAction, ScreeningCase, ScreeningEvent
from amlwatch.cases.security import enforce_case_reader, require, visible_branches
from amlwatch.cases.usecases.base import MIN_TEXT, SYSTEM, ReviewBase
from amlwatch.models import Role, User

LIST_ROLES = (Role.APPROVER, Role.ADMIN)
# the working days after a confirmed hit by which it is reported (the measures say "at once":
# the bank's own deadline, a setting of the review)
REPORT_WORKING_DAYS = 1
BLOCKING = ("counterparty", "agent")  # a party outside the bank: its account is blocked


@dataclass(frozen=True, slots=True)
class ScreeningPage:
    case: ScreeningCase
    events: list[ScreeningEvent]
    actions: list[ScreeningAction]
    may_propose: bool
    may_decide: bool


class Screening(ReviewBase):
    """List imports, screening cases and their review."""

    screening_report_days: int = REPORT_WORKING_DAYS

    # --- list imports ------------------------------------------------------------------------

    def list_importer(self, username: str) -> User:
        """The person of the app a list import at the console is recorded as (`--as`): an
        active approver or administrator, never the operating-system user."""
        with self.store.read() as con:
            user = repo.user_by_name(con, username)
        if user is None or not user.active:
            raise NotFound(f"无此在用用户 {username} / no active user of the app of that name")
        require(user, *LIST_ROLES)
        return user

    def record_list_import(self, actor: User, list_code: str, **detail: Any) -> None:
        """An imported list version (or the same file again), audited."""
        require(actor, *LIST_ROLES)
        with self.store.write() as con:
            audit(con, actor.username, "screening list imported", f"list:{list_code}", **detail)

    def record_list_refused(self, actor: User, list_code: str, **detail: Any) -> None:
        """A list file refused (the list's version in force is unchanged), audited."""
        require(actor, *LIST_ROLES)
        with self.store.write() as con:
            audit(con, actor.username, "screening list refused", f"list:{list_code}", **detail)

    def record_feed_import(self, list_code: str, refused: bool = False, **detail: Any) -> None:
        """A list file of the feed folder imported (or refused) by the nightly run, audited
        as the system."""
        action = "screening list refused" if refused else "screening list imported"
        with self.store.write() as con:
            audit(con, SYSTEM, action, f"list:{list_code}", **detail)

    # --- the nights' matches -----------------------------------------------------------------

    def take_screening_matches(self, matches: Sequence[dict[str, Any]]) -> dict[str, list[int]]:
        """The night's matches into screening cases (by the system): outcome → case ids."""
        now = dt.datetime.now()
        outcomes: dict[str, list[int]] = {}
        with self.store.write() as con:
            for match in matches:
                outcome, case_id = rows.take_match(con, match, now)
                if case_id is not None:
                    outcomes.setdefault(outcome, []).append(case_id)
                    if outcome == "opened":
                        audit(con, SYSTEM, "screening opened", f"screening:{case_id}",
                              score=match["score"], version=match["list_version"])  # fmt: skip
                else:
                    outcomes.setdefault(outcome, [])
        return outcomes

    # --- reading -----------------------------------------------------------------------------

    def screening_queue(
        self, actor: User, states: Sequence[str] = rows.OPEN
    ) -> list[ScreeningCase]:
        """The screening cases the user may see, hits first, strongest first."""
        enforce_case_reader(actor)
        with self.store.read() as con:
            return rows.find(con, visible_branches(actor), states)

    def screening_counts(self, actor: User) -> dict[str, int]:
        """Open screening cases per state, within the user's branches (none for others)."""
        if actor.role not in (Role.LIAISON, Role.APPROVER, Role.AUDITOR):
            return {}
        with self.store.read() as con:
            return rows.count_open(con, visible_branches(actor))

    def screening_reports_due(self, actor: User) -> list[ScreeningCase]:
        """Confirmed hits still to be reported (earliest deadline first), within the user's
        branches; none for those who see no case."""
        if actor.role not in (Role.LIAISON, Role.APPROVER, Role.AUDITOR):
            return []
        with self.store.read() as con:
            return rows.reports_due(con, visible_branches(actor))

    def screening_actions_since(self, since: dt.datetime) -> tuple[int, list[ScreeningAction]]:
        """For the nightly summary (the system): customers frozen in all, and the actions
        taken since a moment."""
        with self.store.read() as con:
            recent = rows.actions_since(con, since)
            frozen = rows.frozen_count(con)
        return frozen, recent

    def screening_case(self, actor: User, case_id: int) -> ScreeningPage:
        """A screening case with its history and actions; the look is audited."""
        with self.store.write() as con:
            case = self._visible_screening(con, actor, case_id)
            audit(con, actor.username, "screening viewed", f"screening:{case.id}")
            events = rows.events_of(con, case.id)
            actions = rows.actions_of(con, case_ids=[case.id])
        may_propose = case.state in (rows.NEW, rows.IN_REVIEW) and actor.role in (
            Role.LIAISON,
            Role.APPROVER,
        )
        may_decide = (
            case.state in (rows.HIT_PROPOSED, rows.DISMISSAL_PROPOSED)
            and actor.role is Role.APPROVER
            and case.proposed_by != actor.username
        )
        return ScreeningPage(case, events, actions, may_propose, may_decide)

    def frozen_customers(
        self, actor: User, customer_ids: Sequence[str]
    ) -> dict[str, ScreeningAction]:
        """Of these customers, those a confirmed hit froze, with the freeze — for those who
        see cases."""
        if actor.role not in (Role.LIAISON, Role.APPROVER, Role.AUDITOR) or not customer_ids:
            return {}
        with self.store.read() as con:
            found = rows.actions_of(con, customer_ids=list(customer_ids))
        return {a.customer_id: a for a in found if a.kind == "freeze"}

    def _visible_screening(self, con: Any, actor: User, case_id: int) -> ScreeningCase:
        enforce_case_reader(actor)
        case = rows.case_by_id(con, case_id) if 0 < case_id <= repo.MAX_ID else None
        branches = visible_branches(actor)
        if case is None or (branches is not None and case.branch_code not in branches):
            raise NotFound("无此名单监测案件 / no such screening case")
        return case

    # --- review ------------------------------------------------------------------------------

    def start_screening(self, actor: User, case_id: int) -> ScreeningCase:
        """A liaison (or approver) starts checking a new case."""
        require(actor, Role.LIAISON, Role.APPROVER)
        return self._screening_move(actor, case_id, rows.IN_REVIEW, "screening started", {rows.NEW})

    def propose_screening(self, actor: User, case_id: int, hit: bool, text: str) -> ScreeningCase:
        """Propose 确认命中 (`hit`) or 排除误报, with the reason; a second person decides."""
        require(actor, Role.LIAISON, Role.APPROVER)
        text = text.strip()
        if len(text) < MIN_TEXT:
            raise InvalidInput(
                f"请写明核实依据（至少 {MIN_TEXT} 个字）/ give the reason in at least {MIN_TEXT} characters"
            )
        to = rows.HIT_PROPOSED if hit else rows.DISMISSAL_PROPOSED
        return self._screening_move(
            actor, case_id, to, "screening proposed", {rows.NEW, rows.IN_REVIEW},
            values={"proposed_by": actor.username, "proposal": text}, text=text,
            result="hit" if hit else "false positive",
        )  # fmt: skip

    def decide_screening(
        self, actor: User, case_id: int, confirm: bool, note: str = ""
    ) -> ScreeningCase:
        """An approver other than the proposer confirms the proposal (a hit: the customer is
        frozen or the counterparty blocked at once, the report falls due) or sends it back."""
        require(actor, Role.APPROVER)
        now = dt.datetime.now()
        with self.store.write() as con:
            case = self._visible_screening(con, actor, case_id)
            if case.state not in (rows.HIT_PROPOSED, rows.DISMISSAL_PROPOSED):
                raise WrongState(
                    f"案件状态为“{case.state_name}”，无待复核的结论 / nothing to decide"
                )
            if case.proposed_by == actor.username:
                raise FourEyes(
                    "提议人不能复核自己的结论 / the proposer cannot decide their own proposal"
                )
            hit = case.state == rows.HIT_PROPOSED
            if not confirm:
                to, action, values = rows.IN_REVIEW, "screening sent back", {}
            elif hit:
                due = self.add_working_days(self.today(), self.screening_report_days)
                to, action = rows.CONFIRMED, "screening confirmed"
                values = {"decided_by": actor.username, "decided_at": now, "report_due": due}
            else:
                to, action = rows.DISMISSED, "screening dismissed"
                values = {"decided_by": actor.username, "decided_at": now}
            self._screening_step(con, actor, case, to, action, now, values, note=note.strip())
            if confirm and hit:
                self._screening_act(con, actor, case, now)
            return rows.case_by_id(con, case.id)  # type: ignore[return-value]

    def record_screening_report(
        self, actor: User, case_id: int, reported_on: dt.date, note: str
    ) -> ScreeningCase:
        """An approver records that a confirmed hit was reported (when, to whom)."""
        require(actor, Role.APPROVER)
        if len(note.strip()) < 2:
            raise InvalidInput("请写明报告对象及方式 / say to whom and how it was reported")
        if reported_on > self.today():
            raise InvalidInput("报告日期不能晚于今天 / the report date cannot be in the future")
        now = dt.datetime.now()
        with self.store.write() as con:
            case = self._visible_screening(con, actor, case_id)
            if case.state != rows.CONFIRMED:
                raise WrongState(
                    "仅已确认命中的案件需要登记报告 / only a confirmed hit is reported"
                )
            rows.set_values(con, case.id, now, reported_on=reported_on, report_note=note.strip())
            rows.add_event(con, case.id, actor.username, "screening reported", case.state, case.state, now,
                           text=note.strip(), until=reported_on.isoformat())  # fmt: skip
            audit(
                con, actor.username, "screening reported", f"screening:{case.id}", text=note.strip()
            )
            return rows.case_by_id(con, case.id)  # type: ignore[return-value]

    def _screening_move(
        self, actor: User, case_id: int, to: str, action: str, allowed: set[str],
        values: dict[str, Any] | None = None, **detail: Any,
    ) -> ScreeningCase:  # fmt: skip
        now = dt.datetime.now()
        with self.store.write() as con:
            case = self._visible_screening(con, actor, case_id)
            if case.state not in allowed:
                raise WrongState(
                    f"案件状态为“{case.state_name}”，不能执行此操作 / not in this state"
                )
            self._screening_step(con, actor, case, to, action, now, values or {}, **detail)
            return rows.case_by_id(con, case.id)  # type: ignore[return-value]

    def _screening_step(
        self, con: Any, actor: User, case: ScreeningCase, to: str, action: str, now: dt.datetime,
        values: dict[str, Any], **detail: Any,
    ) -> None:  # fmt: skip
        if to not in rows.TRANSITIONS[case.state] or not rows.set_state(
            con, case, to, now, **values
        ):
            raise WrongState("案件已被他人处理，请刷新 / someone else moved the case: reload it")
        rows.add_event(con, case.id, actor.username, action, case.state, to, now, **detail)
        audit(con, actor.username, action, f"screening:{case.id}", state=to, **detail)

    def _screening_act(self, con: Any, actor: User, case: ScreeningCase, now: dt.datetime) -> None:
        """What a confirmed hit does at once: freeze the customer and its accounts, or block the
        counterparty's account."""
        blocking = case.subject_kind in BLOCKING
        if blocking:
            accounts = [str(case.subject.get("account") or case.subject_ref)]
        else:
            accounts = [str(a) for a in case.subject.get("customer_accounts") or []]
        kind = "block" if blocking else "freeze"
        action = "screening blocked" if blocking else "screening frozen"
        rows.add_action(con, case, kind, accounts, now, actor.username)
        rows.add_event(
            con, case.id, actor.username, action, case.state, rows.CONFIRMED, now, n=len(accounts)
        )
        audit(
            con,
            actor.username,
            action,
            f"screening:{case.id}",
            customers=case.customer_id,
            n=len(accounts),
        )


__all__ = ["LIST_ROLES", "Screening", "ScreeningPage"]
