"""The monitoring standards' lifecycle (银发〔2017〕108号): a liaison or an approver proposes a
version of a standard — put on trial, in force, retired, parameters changed — with the replay
over history beside it; another approver puts it in force, for the run dates from the day
after the decision at the earliest (never back in time; never the night already running), or
refuses it. Four eyes: the proposer never decides.
Every step is audited in the same transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from amlwatch.cases import repository as repo
from amlwatch.cases import standard_rows as rows
from amlwatch.cases.audit import append as audit
from amlwatch.cases.exceptions import FourEyes, InvalidInput, NotFound, WrongState
from amlwatch.cases.security import require, visible_branches
from amlwatch.cases.standard_rows import StandardVersion
from amlwatch.cases.text import checked
from amlwatch.cases.usecases.base import MIN_TEXT, ReviewBase
from amlwatch.models import Role, User
from amlwatch.rules import RulePack, UnknownRulePack
from amlwatch.rules.library import LibraryVersion, check_changes


class StandardsLibrary(ReviewBase):
    """Proposals, decisions and the versions in force."""

    def propose_standard(
        self,
        actor: User,
        pack: RulePack,
        code: str,
        changes: dict[str, Any],
        reason: str,
        replay: dict[str, Any],
        effective_from: dt.date | None = None,
    ) -> StandardVersion:
        """Propose a version of a standard of `pack` (checked against it as a pack would be);
        one pending proposal per standard at a time."""
        require(actor, Role.LIAISON, Role.APPROVER)
        text = checked(reason, "reason")
        if len(text) < MIN_TEXT:
            raise InvalidInput(
                f"请说明变更理由（至少{MIN_TEXT}个字）/ say why, {MIN_TEXT}+ characters"
            )
        try:
            changed = check_changes(pack, code, changes)
        except (UnknownRulePack, KeyError, ValueError) as error:
            raise InvalidInput(f"标准 {code} 的变更无效 / invalid change: {error}") from error
        assert changed.suspicious is not None
        standard = changed.suspicious.standard(code)
        today = self.today()
        with self.store.write() as con:
            if any(v.code == code for v in rows.listed(con, "pending")):
                raise WrongState(f"标准 {code} 已有待审批的变更 / a proposal is already pending")
            done = [v for v in rows.listed(con) if v.code == code and v.state == "approved"]
            version = f"{pack.suspicious.standard(code).version if pack.suspicious else '1'}.{len(done) + 1}"
            version_id = rows.add(
                con,
                code=code,
                version=str(changes.get("version") or version),
                changes=changes,
                reason=text,
                replay=replay,
                base_pack=pack.label,
                effective_from=max(effective_from or today, today + dt.timedelta(days=1)),
                state="pending",
                proposed_by=actor.username,
                proposed_at=dt.datetime.now(),
            )
            audit(con, actor.username, "standard proposed", f"standard:{code}", id=version_id,
                  status=standard.status)  # fmt: skip
            found = rows.one(con, version_id)
        assert found is not None
        return found

    def decide_standard(
        self, actor: User, version_id: int, approve: bool, note: str = ""
    ) -> StandardVersion:
        """An approver other than the proposer puts a proposal in force (for run dates from
        tomorrow at the earliest) or refuses it."""
        require(actor, Role.APPROVER)
        text = checked(note, "note")
        if not approve and len(text) < MIN_TEXT:
            raise InvalidInput(
                f"驳回请说明理由（至少{MIN_TEXT}个字）/ say why, {MIN_TEXT}+ characters"
            )
        with self.store.write() as con:
            version = rows.one(con, version_id)
            if version is None:
                raise NotFound("无此变更 / no such proposal")
            if version.state != "pending":
                raise WrongState(f"该变更已{rows.STATES[version.state]} / already decided")
            if version.proposed_by == actor.username:
                raise FourEyes("提出变更的人不能审批自己的变更 / the proposer cannot decide it")
            values: dict[str, Any] = {
                "state": "approved" if approve else "rejected",
                "decided_by": actor.username,
                "decided_at": dt.datetime.now(),
                "decision_note": text,
            }
            if approve:
                tomorrow = self.today() + dt.timedelta(days=1)
                values["effective_from"] = max(version.effective_from, tomorrow)
            rows.decide(con, version_id, **values)
            audit(con, actor.username, "standard approved" if approve else "standard rejected",
                  f"standard:{version.code}", id=version_id)  # fmt: skip
            decided = rows.one(con, version_id)
        assert decided is not None
        return decided

    def withdraw_standard(self, actor: User, version_id: int) -> StandardVersion:
        """The proposer takes back a pending proposal."""
        with self.store.write() as con:
            version = rows.one(con, version_id)
            if version is None or version.proposed_by != actor.username:
                raise NotFound("无此变更 / no such proposal of yours")
            if version.state != "pending":
                raise WrongState(f"该变更已{rows.STATES[version.state]} / already decided")
            rows.decide(con, version_id, state="withdrawn", decided_by=actor.username,
                        decided_at=dt.datetime.now())  # fmt: skip
            audit(
                con, actor.username, "standard withdrawn", f"standard:{version.code}", id=version_id
            )
            withdrawn = rows.one(con, version_id)
        assert withdrawn is not None
        return withdrawn

    def standard_versions(self, actor: User, state: str | None = None) -> list[StandardVersion]:
        """Every proposal and decision, newest first (those who review, approve or audit)."""
        require(actor, Role.LIAISON, Role.APPROVER, Role.AUDITOR)
        with self.store.read() as con:
            return rows.listed(con, state)

    def network_tuning(self, actor: User, what: str) -> None:
        """Whether the actor may look at the network standards' structures — money through
        several customers, across branches: approvers and auditors, not a branch's liaison —
        and the look audited (`what`: the night or the structure)."""
        require(actor, Role.APPROVER, Role.AUDITOR)
        with self.store.write() as con:
            audit(con, actor.username, "network structures viewed", what)

    def structure_case(self, actor: User, structure_id: str) -> int | None:
        """The group case a structure is part of, if the actor may see it (None: none, or
        not theirs to see)."""
        require(actor, Role.APPROVER, Role.AUDITOR)
        with self.store.read() as con:
            case = repo.case_by_alert(con, structure_id)
        branches = visible_branches(actor)
        if case is None or (branches is not None and case.branch_code not in branches):
            return None
        return case.id

    def console_person(self, username: str) -> User:
        """The active user of the app a console command acts as (`--as`)."""
        with self.store.read() as con:
            user = repo.user_by_name(con, username)
        if user is None or not user.active:
            raise NotFound(f"无此在用用户 {username} / no active user of the app of that name")
        return user

    def library(self) -> list[LibraryVersion]:
        """The approved versions, for the nightly scan (`rules.library.apply_library`)."""
        with self.store.read() as con:
            approved = rows.listed(con, "approved")
        return [
            LibraryVersion(v.code, v.version, v.changes, v.effective_from, v.id) for v in approved
        ]
