"""Snoozes: a liaison asks to keep a subject's hits of one standard out of the queue until a
date; another person, an approver, decides."""

from __future__ import annotations

import datetime as dt

from amlwatch.cases import repository as repo
from amlwatch.cases import snooze_rows
from amlwatch.cases.audit import append as audit
from amlwatch.cases.exceptions import FourEyes, InvalidInput, NotFound, WrongState
from amlwatch.cases.repository import CaseFilter
from amlwatch.cases.security import enforce_case_reader, require, visible_branches, visible_case
from amlwatch.cases.text import checked
from amlwatch.cases.usecases.base import MIN_TEXT, OPEN_STATES, ReviewBase, wrong_state
from amlwatch.models import CaseState, Role, Snooze, User


class Snoozes(ReviewBase):
    """Snooze requests and decisions."""

    def request_snooze(self, actor: User, case_id: int, until: dt.date, reason: str) -> Snooze:
        """Ask to keep a subject's hits of the case's rule out of the queue until a date."""
        require(actor, Role.LIAISON)
        today = self.today()
        if not today < until <= today + dt.timedelta(days=180):
            raise InvalidInput("暂停期限须在今后 180 天内 / until: within the next 180 days")
        reason = checked(reason, "snooze_reason")
        if len(reason) < MIN_TEXT:
            raise InvalidInput(f"暂停原因至少 {MIN_TEXT} 字 / explain in {MIN_TEXT}+ characters")
        with self.store.write() as con:
            case = visible_case(con, actor, case_id)
            if case.state not in OPEN_STATES:  # a reported or dismissed case is not paused
                raise WrongState(wrong_state(case, "snooze"))
            snooze_id = snooze_rows.insert_snooze(
                con,
                customer_id=case.customer_id,
                rule_code=case.rule_code,
                branch_code=case.branch_code,
                until=until,
                reason=reason,
                requested_by=actor.username,
                state="requested",
            )
            repo.add_event(
                con,
                case.id,
                actor.username,
                "snooze requested",
                None,
                None,
                until=until.isoformat(),
                snooze=snooze_id,
            )
            audit(
                con,
                actor.username,
                "snooze requested",
                f"snooze:{snooze_id}",
                case=case.id,
                until=until.isoformat(),
            )
            found = snooze_rows.snooze_by_id(con, snooze_id)
            assert found is not None
            return found

    def decide_snooze(self, actor: User, snooze_id: int, approve: bool) -> Snooze:
        """Approve or reject a snooze request (another person than the requester). Approval
        marks the subject's open cases of that rule snoozed; they stay recorded and visible."""
        require(actor, Role.APPROVER)
        with self.store.write() as con:
            snooze = snooze_rows.snooze_by_id(con, snooze_id)
            branches = visible_branches(actor)
            if snooze is None or (branches is not None and snooze.branch_code not in branches):
                raise NotFound("无此暂停申请 / no such snooze")
            if snooze.state != "requested":
                raise WrongState("该申请已处理 / already decided")
            if snooze.requested_by == actor.username:
                raise FourEyes("申请人不能自行审批 / four eyes: another person must approve")
            state = "active" if approve else "rejected"
            snooze_rows.update_snooze(
                con,
                snooze_id,
                state=state,
                approved_by=actor.username,
                decided_at=dt.datetime.now(),
            )
            if approve:
                for case in repo.find_cases(
                    con,
                    CaseFilter(
                        customer_id=snooze.customer_id,
                        rule_code=snooze.rule_code,
                        states=(CaseState.NEW,),
                        snoozed=False,
                    ),
                    [snooze.branch_code],  # the branch asked for it, and no other
                    10_000,
                ):
                    repo.update_case(con, case.id, snoozed=True, updated_at=dt.datetime.now())
                    repo.add_event(
                        con,
                        case.id,
                        actor.username,
                        "snoozed",
                        None,
                        None,
                        snooze=snooze_id,
                        until=snooze.until.isoformat(),
                    )
            audit(con, actor.username, f"snooze {state}", f"snooze:{snooze_id}")
            found = snooze_rows.snooze_by_id(con, snooze_id)
            assert found is not None
            return found

    def snoozes(self, actor: User) -> list[Snooze]:
        enforce_case_reader(actor)
        with self.store.read() as con:
            return snooze_rows.find_snoozes(con, visible_branches(actor))
