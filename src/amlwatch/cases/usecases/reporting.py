"""Reporting: an approved case's report material and sign-off, its report recorded (or its
approval undone when no report could be made), submission, the regulator's receipts, and
the downloads of case reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from amlwatch.cases import repository as repo
from amlwatch.cases.audit import append as audit
from amlwatch.cases.exceptions import NotFound, WrongState
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

    def report_failed(self, actor: User, case_id: int, error: str) -> Case:
        """The report of an approved case could not be made: the last approval is undone
        (back to the proposal at the level before, due date cleared) with the error in the
        case's history, so no case stays approved without its report; the approver fixes
        the cause and approves again, or sends it back."""
        require(actor, Role.APPROVER)
        with self.store.write() as con:
            case = visible_case(con, actor, case_id)
            return self._transition(
                con,
                actor,
                case,
                CaseState.APPROVED,
                CaseState.PROPOSED,
                "report failed",
                values={
                    "level": max(case.level - 1, 0),
                    "approved_on": None,
                    "due_date": None,
                    "decided_at": None,
                },
                detail={"error": error[:500]},
                level=max(case.level - 1, 0),
            )

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
