"""Reporting: an approved case's report material and sign-off, its report recorded (or held,
approved, with the reason when no report could be made), submission, the regulator's receipts, and
the downloads of case reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from amlwatch.cases import repository as repo
from amlwatch.cases.audit import append as audit
from amlwatch.cases.exceptions import NotFound, WrongState
from amlwatch.cases.repository import CaseFilter
from amlwatch.cases.security import (
    enforce_case_reader,
    require,
    visible_case,
)
from amlwatch.cases.snapshot import decode
from amlwatch.cases.usecases.base import (
    SYSTEM,
    ReviewBase,
    wrong_state,
)
from amlwatch.cases.usecases.signoff import signoff_of
from amlwatch.models import (
    Case,
    CaseState,
    Role,
    User,
)
from amlwatch.printed import SignLine

RECEIPT_STATES = {
    "accepted": CaseState.ACCEPTED,
    "correction requested": CaseState.CORRECTION_REQUESTED,
    "error": CaseState.REJECTED,
}


class Reporting(ReviewBase):
    """The use cases after approval."""

    def case_state(self, actor: User, case_id: int) -> CaseState:
        """Where a case the actor may see stands (not audited: no content is shown)."""
        with self.store.read() as con:
            return visible_case(con, actor, case_id).state

    def report_held(self, actor: User, case_id: int, error: str) -> Case:
        """The report of an approved case could not be made (a subject's data the message
        rules refuse, a full disk): the case stays approved, its due date running, with the
        reason in its history and on its page (待补正) and among the register's open items;
        the approver removes the cause and makes the report again (生成报告). Never dropped."""
        require(actor, Role.APPROVER)
        with self.store.write() as con:
            case = visible_case(con, actor, case_id)
            if case.state is not CaseState.APPROVED:
                raise WrongState("仅已批准、尚无报告的案件 / only an approved case without report")
            repo.add_event(con, case.id, actor.username, "report held", error=error[:500])
            audit(con, actor.username, "report held", f"case:{case.id}", error=error[:500])
            return case

    def reports_held(self) -> list[tuple[Case, str]]:
        """Approved cases whose report is still to be made, each with the last reason it
        could not be (the operator's register: no user)."""
        with self.store.read() as con:
            held = []
            approved = CaseFilter(states=(CaseState.APPROVED,), snoozed=None)
            for case in repo.find_cases(con, approved, None, 10_000):
                events = repo.case_history(con, case.id)
                reasons = [e for e in events if e.action == "report held"]
                if reasons and not case.report_name:
                    held.append((case, str(reasons[-1].detail.get("error") or "")))
            return held

    def report_material(
        self, actor: User, case_id: int
    ) -> tuple[Case, dict[str, Any], list[SignLine]]:
        """An approved case, the evidence version it was approved on and its sign-off (the
        liaison who proposed it, each approval level with name, date and note), for its
        report."""
        require(actor, Role.APPROVER)
        with self.store.read() as con:
            case = visible_case(con, actor, case_id)
            if case.state not in (
                CaseState.APPROVED,
                CaseState.REPORT_GENERATED,
                CaseState.CORRECTION_REQUESTED,
                CaseState.REJECTED,
            ):
                raise WrongState(wrong_state(case, "generate its report"))
            snap = repo.snapshot(con, case.id, case.review_version or case.snapshot_version)
            assert snap is not None
            signoff = signoff_of(con, repo.case_history(con, case.id))
        return case, decode(snap[1]), signoff

    def report_generated(
        self, actor: User, case_id: int, report_name: str, files: Sequence[str]
    ) -> Case:
        require(actor, Role.APPROVER)
        with self.store.write() as con:
            case = visible_case(con, actor, case_id)
            values: dict[str, Any] = {"report_name": report_name}
            if case.state is CaseState.APPROVED:  # this round's first report
                values |= {
                    "report_times": case.report_times + 1,
                    "first_report": case.first_report or report_name,
                }
            return self._transition(
                con,
                actor,
                case,
                case.state,
                CaseState.REPORT_GENERATED,
                "report generated",
                values=values,
                detail={"report": report_name, "files": list(files)},
            )

    def mark_submitted(self, actor: User, case_id: int) -> Case:
        require(actor, Role.APPROVER)
        return self._move(
            actor,
            case_id,
            CaseState.REPORT_GENERATED,
            CaseState.SUBMITTED,
            "submitted",
            values={"submitted_on": self.today()},
        )

    def apply_receipts(self, statuses: Mapping[str, str]) -> list[tuple[int, CaseState]]:
        """Move submitted cases by their report file's receipt result (name → result)."""
        moved = []
        with self.store.write() as con:
            for case in repo.cases_in_states(con, [CaseState.SUBMITTED]):
                result = statuses.get(case.report_name or "")
                target = RECEIPT_STATES.get(result or "")
                if target is None:
                    continue
                repo.update_case(con, case.id, state=str(target), updated_at=dt.datetime.now())
                repo.add_event(
                    con,
                    case.id,
                    SYSTEM,
                    "receipt",
                    str(case.state),
                    str(target),
                    report=case.report_name,
                    result=result,
                )
                audit(con, SYSTEM, "receipt applied", f"case:{case.id}", result=result)
                moved.append((case.id, target))
        return moved

    def record_download(self, actor: User, what: str, target: str) -> None:
        with self.store.write() as con:
            audit(con, actor.username, "download", target, what=what)

    def case_for_download(self, actor: User, case_id: int) -> Case:
        """A case whose report this user may download."""
        enforce_case_reader(actor)
        with self.store.read() as con:
            case = visible_case(con, actor, case_id)
        if not case.report_name:
            raise NotFound("尚未生成报告 / no report yet")
        return case
