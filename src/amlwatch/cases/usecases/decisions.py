"""The case work: the flagged list, the case page, and the decisions a case goes through —
review, dismissal, proposal, approval at each level (four eyes), send-back, the report and
its submission, the regulator's receipts."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from amlwatch.cases import repository as repo
from amlwatch.cases.audit import append as audit
from amlwatch.cases.exceptions import FourEyes, InvalidInput, NotFound, WrongState
from amlwatch.cases.repository import CaseFilter
from amlwatch.cases.security import (
    enforce_case_reader,
    require,
    round_actors,
    visible_branches,
    visible_case,
)
from amlwatch.cases.snapshot import decode
from amlwatch.cases.text import checked
from amlwatch.cases.usecases.base import (
    DIRECTIONS,
    MIN_TEXT,
    OPEN_STATES,
    URGENCY,
    Deadline,
    ReviewBase,
    wrong_state,
)
from amlwatch.cases.usecases.signoff import system_draft
from amlwatch.models import (
    REPORT_DUE_WORKING_DAYS,
    Case,
    CaseEvent,
    CaseState,
    Role,
    User,
    draft_problem,
)

RECEIPT_STATES = {
    "accepted": CaseState.ACCEPTED,
    "correction requested": CaseState.CORRECTION_REQUESTED,
    "error": CaseState.REJECTED,
}


@dataclass(slots=True)
class CasePage:
    cases: list[Case]
    total: int
    by_state: dict[str, int]
    by_rule: dict[str, int]
    deadlines: dict[int, Deadline]
    urgent: int = 0  # urgent cases not yet reported: every approver is told


@dataclass(slots=True)
class CaseView:
    case: Case
    evidence: dict[str, Any]  # the decoded snapshot the page shows
    version: int
    versions: list[tuple[int, dt.datetime, dt.date]]
    history: list[CaseEvent]
    deadline: Deadline
    allowed: set[str]  # the actions this user may take now


class Decisions(ReviewBase):
    """What liaisons and approvers do to cases."""

    def list_cases(
        self, actor: User, flt: CaseFilter, limit: int = 50, offset: int = 0
    ) -> CasePage:
        enforce_case_reader(actor)
        branches = visible_branches(actor)
        with self.store.read() as con:
            found = repo.find_cases(con, flt, branches, limit, offset)
            # the counts beside the list: per state under the other filters, per standard
            # under the state filter too (a case under each of its standards)
            by_state = Counter(
                repo.count_by_state(con, replace(flt, states=(), due_by=None), branches)
            )
            by_rule = Counter(repo.count_by_rule(con, replace(flt, due_by=None), branches))
            total = sum(repo.count_by_state(con, flt, branches).values())
            urgent = repo.count_urgent(con, branches)
        today = self.today()
        return CasePage(
            found,
            total,
            dict(sorted(by_state.items())),
            dict(sorted(by_rule.items())),
            {c.id: self.deadline(c, today) for c in found},
            urgent,
        )

    def view_case(self, actor: User, case_id: int, version: int | None = None) -> CaseView:
        """The case page's content; the view is audited."""
        with self.store.read() as con:
            case = visible_case(con, actor, case_id)
            shown = version or case.snapshot_version
            snap = repo.snapshot(con, case.id, shown)
            if snap is None:
                raise NotFound("无此证据版本 / no such evidence version")
            versions = repo.snapshot_versions(con, case.id)
            history = repo.case_history(con, case.id)
        # the write lock is held only for the audit entry
        with self.store.write() as con:
            audit(con, actor.username, "case viewed", f"case:{case.id}", version=shown)
        return CaseView(
            case=case,
            evidence=decode(snap[1]),
            version=shown,
            versions=versions,
            history=history,
            deadline=self.deadline(case, self.today()),
            allowed=self.allowed_actions(actor, case, history),
        )

    def allowed_actions(self, actor: User, case: Case, history: Sequence[CaseEvent]) -> set[str]:
        allowed: set[str] = set()
        state = case.state
        if actor.role is Role.LIAISON:
            if state is CaseState.NEW:
                allowed.add("start")
            if state is CaseState.IN_REVIEW:
                allowed |= {"dismiss", "propose"}
            if state in OPEN_STATES:
                allowed.add("snooze")
        if actor.role is Role.APPROVER:
            if state is CaseState.DISMISSAL_PROPOSED:
                allowed |= {"confirm_dismissal", "send_back"}
            if state is CaseState.PROPOSED and actor.username not in round_actors(history):
                allowed |= {"approve", "send_back"}
            elif state is CaseState.PROPOSED:
                allowed.add("send_back")
            if state in (CaseState.APPROVED, CaseState.CORRECTION_REQUESTED, CaseState.REJECTED):
                allowed.add("generate")
            if state is CaseState.REPORT_GENERATED:
                allowed |= {"submitted", "generate"}
        if actor.role in (Role.LIAISON, Role.APPROVER, Role.AUDITOR) and case.report_name:
            allowed.add("download")
        return allowed

    def start_review(self, actor: User, case_id: int) -> Case:
        require(actor, Role.LIAISON)
        return self._move(actor, case_id, CaseState.NEW, CaseState.IN_REVIEW, "review started")

    def dismiss(self, actor: User, case_id: int, reason: str, text: str) -> Case:
        """Dismiss with a reason from the maintained list and an explanation. Unless the
        case's monitoring standard is one an administrator lets a liaison dismiss alone, the
        dismissal is proposed and an approver confirms it (a second look)."""
        require(actor, Role.LIAISON)
        text = checked(text, "reason")
        with self.store.read() as con:
            codes = {code for code, _, _ in repo.reasons(con)}
        if reason not in codes:
            raise InvalidInput("请选择排除原因 / choose a dismissal reason from the list")
        if len(text) < MIN_TEXT:
            raise InvalidInput(f"排除说明至少 {MIN_TEXT} 字 / explain in {MIN_TEXT}+ characters")
        alone = self.single_dismissal()
        with self.store.write() as con:
            case = visible_case(con, actor, case_id)
            if set(case.codes) <= alone:  # every standard of the case
                target, action = CaseState.DISMISSED, "dismissed"
                values = {"decided_at": dt.datetime.now()}
            else:
                target, action, values = CaseState.DISMISSAL_PROPOSED, "dismissal proposed", {}
            return self._transition(
                con,
                actor,
                case,
                CaseState.IN_REVIEW,
                target,
                action,
                values={"dismissal_reason": reason, "dismissal_text": text, **values},
                detail={"reason": reason, "text": text},
            )

    def confirm_dismissal(self, actor: User, case_id: int, note: str = "") -> Case:
        """The second look: an approver confirms a proposed dismissal (or sends it back)."""
        require(actor, Role.APPROVER)
        note = checked(note, "note")
        with self.store.write() as con:
            case = visible_case(con, actor, case_id)
            return self._transition(
                con,
                actor,
                case,
                CaseState.DISMISSAL_PROPOSED,
                CaseState.DISMISSED,
                "dismissed",
                values={"decided_at": dt.datetime.now()},
                detail={
                    "reason": case.dismissal_reason,
                    "text": case.dismissal_text,
                    "confirmed": True,
                    "note": note,
                },
            )

    def propose(
        self,
        actor: User,
        case_id: int,
        stcb: str,
        aosp: str,
        crime_types: Sequence[str],
        urgency: str,
        direction: str = "01",
        urgent_reason: str = "",
    ) -> Case:
        """Propose the case for a report (初审): the narrative, crime types, urgency and the
        reporting direction (DORP). An urgent report (DETR 02) says why, goes to the PBOC
        branch or the police too (DORP 02–04) and is due the day it is approved."""
        require(actor, Role.LIAISON)
        stcb, aosp = checked(stcb, "stcb"), checked(aosp, "aosp")
        if not stcb or not aosp:
            raise InvalidInput(
                "须填写可疑交易特征描述(STCB)和疑点分析(AOSP) / STCB and AOSP needed"
            )
        chosen = sorted(set(crime_types))
        if not chosen or any(c not in self.crime_types for c in chosen):
            raise InvalidInput("请选择疑似涉罪类型 / choose suspected-crime types (spec 10.6)")
        if urgency not in URGENCY:
            raise InvalidInput("报告紧急程度为 01 或 02 / urgency 01 or 02")
        if direction not in DIRECTIONS:
            raise InvalidInput("报送方向为 01–04 / direction (DORP) 01-04")
        urgent_reason = checked(urgent_reason, "urgent_reason")
        if urgency == "02" and len(urgent_reason) < MIN_TEXT:
            raise InvalidInput(f"特别紧急须说明理由（至少 {MIN_TEXT} 字）/ say why it is urgent")
        if urgency == "02" and direction == "01":
            raise InvalidInput(
                "特别紧急的报告须同时报送人民银行当地分支机构或公安机关（报送方向 02–04）"
                " / an urgent report goes to the PBOC branch or the police too"
            )
        with self.store.write() as con:
            case = visible_case(con, actor, case_id)
            problem = draft_problem(stcb, aosp, system_draft(con, case))
            if problem is not None:
                raise InvalidInput(problem)
            return self._transition(
                con,
                actor,
                case,
                CaseState.IN_REVIEW,
                CaseState.PROPOSED,
                "proposed",
                values={
                    "stcb": stcb,
                    "aosp": aosp,
                    "crime_types": chosen,
                    "urgency": urgency,
                    "direction": direction,
                    "urgent_reason": urgent_reason if urgency == "02" else None,
                    "level": 1,
                    "review_version": case.snapshot_version,
                },
                detail={
                    "crime_types": chosen,
                    "urgency": urgency,
                    "version": case.snapshot_version,
                },
                level=1,
            )

    def approve(self, actor: User, case_id: int, note: str = "") -> Case:
        """One approval level (复审, 终审); the last one confirms the case and sets its due
        date. Each level must be a different person from every earlier level."""
        require(actor, Role.APPROVER)
        note = checked(note, "note")
        levels = self.review_levels()
        with self.store.write() as con:
            case = visible_case(con, actor, case_id)
            if case.state is not CaseState.PROPOSED:
                raise WrongState(wrong_state(case, "approve"))
            if actor.username in round_actors(repo.case_history(con, case.id)):
                raise FourEyes(
                    "同一人不能在同一案件中审批两级 / four eyes: another person must approve"
                )
            problem = draft_problem(case.stcb, case.aosp, system_draft(con, case))
            if problem is not None:  # proposed before drafts were refused: send it back
                raise InvalidInput(f"不能批准：{problem}")
            level = case.level + 1
            if level < levels:
                return self._transition(
                    con,
                    actor,
                    case,
                    CaseState.PROPOSED,
                    CaseState.PROPOSED,
                    "approved level",
                    values={"level": level},
                    detail={"note": note},
                    level=level,
                )
            today = self.today()
            # an urgent report is due at once (立即报送), the others in 5 working days
            urgent = case.urgency == "02"
            due = today if urgent else self.add_working_days(today, REPORT_DUE_WORKING_DAYS)
            return self._transition(
                con,
                actor,
                case,
                CaseState.PROPOSED,
                CaseState.APPROVED,
                "approved",
                values={
                    "level": level,
                    "approved_on": today,
                    "due_date": due,
                    "decided_at": dt.datetime.now(),
                },
                detail={"note": note, "due": due.isoformat()},
                level=level,
            )

    def send_back(self, actor: User, case_id: int, reason: str) -> Case:
        require(actor, Role.APPROVER)
        reason = checked(reason, "reason")
        if len(reason) < MIN_TEXT:
            raise InvalidInput(f"退回原因至少 {MIN_TEXT} 字 / explain in {MIN_TEXT}+ characters")
        with self.store.write() as con:
            case = visible_case(con, actor, case_id)
            source = (
                CaseState.DISMISSAL_PROPOSED
                if case.state is CaseState.DISMISSAL_PROPOSED
                else CaseState.PROPOSED
            )
            return self._transition(
                con,
                actor,
                case,
                source,
                CaseState.IN_REVIEW,
                "sent back",
                values={"level": 0},
                detail={"reason": reason},
            )
