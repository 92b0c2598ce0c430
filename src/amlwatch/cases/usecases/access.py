"""Four eyes on access: a change that gives someone sight of cases — a new liaison, approver
or auditor, more branches, an account activated again, a password reset — is a request of one
administrator that takes effect when a second one approves it (as a case needs a second
person to approve it). A new administrator always waits for a second, existing one: one
administrator cannot make a helper who approves their own requests. Nobody approves a request
they made or one that concerns themselves. Taking access away (deactivating, fewer branches)
acts at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, insert, select, update

from amlwatch.cases import repository as repo
from amlwatch.cases import session_rows, throttle
from amlwatch.cases.audit import append as audit
from amlwatch.cases.exceptions import FourEyes, NotFound, WrongState
from amlwatch.cases.security import enforce_admin
from amlwatch.cases.tables import user_changes
from amlwatch.cases.usecases.base import ReviewBase
from amlwatch.labels import ACCESS_CHANGES
from amlwatch.models import Role, User

CASE_ROLES = (Role.LIAISON, Role.APPROVER, Role.AUDITOR)
CHANGE_NAMES = ACCESS_CHANGES


class Access(ReviewBase):
    """Requests for access and their approval by a second administrator."""

    access_four_eyes: bool = True

    def needs_second_admin(self, user_role: Role) -> bool:
        """Whether a change of a user of this role waits for a second administrator: an
        administrator's always; a case role's under four eyes on access with two review
        levels."""
        if user_role is Role.ADMIN:
            return True
        return self.access_four_eyes and self.review_levels() >= 2 and user_role in CASE_ROLES

    def _request(self, con: Connection, actor: User, user: User, kind: str, **payload: Any) -> int:
        result = con.execute(
            insert(user_changes).values(
                user_id=user.id,
                kind=kind,
                payload=payload,
                requested_by=actor.username,
                requested_at=dt.datetime.now(),
                state="pending",
            )
        )
        change_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        shown = {k: v for k, v in payload.items() if k != "password_hash"}
        audit(
            con,
            actor.username,
            "access requested",
            f"user:{user.username}",
            kind=kind,
            change=change_id,
            **shown,
        )
        return change_id

    def pending_access(self, actor: User) -> list[dict[str, Any]]:
        """The requests waiting for a second administrator, oldest first."""
        enforce_admin(actor)
        with self.store.read() as con:
            rows = con.execute(
                select(user_changes)
                .where(user_changes.c.state == "pending")
                .order_by(user_changes.c.id)
            ).all()
            people = {u.id: u for u in repo.all_users(con)}
        return [
            {
                "id": r.id,
                "user": people[r.user_id].username if r.user_id in people else "?",
                "kind": r.kind,
                "what": CHANGE_NAMES.get(r.kind, r.kind),
                "role": (r.payload or {}).get("role"),
                # what the approval grants: the branches asked for, or the new user's own
                "branches": (r.payload or {}).get("branches")
                or (
                    sorted(people[r.user_id].branches)
                    if r.kind in ("create", "activate") and r.user_id in people
                    else None
                ),
                "requested_by": r.requested_by,
                "requested_at": r.requested_at,
            }
            for r in rows
        ]

    def decide_access(self, actor: User, change_id: int, approve: bool) -> None:
        """A second administrator approves (it takes effect) or rejects a request."""
        enforce_admin(actor)
        with self.store.write() as con:
            row = con.execute(select(user_changes).where(user_changes.c.id == change_id)).first()
            if row is None or not 0 < change_id <= repo.MAX_ID:
                raise NotFound("无此申请 / no such request")
            if row.state != "pending":
                raise WrongState("该申请已处理 / already decided")
            if row.requested_by == actor.username:
                raise FourEyes("申请人不能自行批准 / four eyes: another administrator must approve")
            user = repo.user_by_id(con, row.user_id)
            if user is None:
                raise NotFound("无此用户 / no such user")
            if user.id == actor.id:
                raise FourEyes(
                    "不能批准与本人有关的申请 / four eyes: a request about yourself is another "
                    "administrator's to decide"
                )
            if approve:
                _apply(con, actor, user, row.kind, row.payload or {})
            con.execute(
                update(user_changes)
                .where(user_changes.c.id == change_id)
                .values(
                    state="approved" if approve else "rejected",
                    decided_by=actor.username,
                    decided_at=dt.datetime.now(),
                )
            )
            verdict = "access approved" if approve else "access rejected"
            audit(
                con,
                actor.username,
                verdict,
                f"user:{user.username}",
                kind=row.kind,
                change=change_id,
            )


def _apply(con: Connection, actor: User, user: User, kind: str, payload: dict[str, Any]) -> None:
    if kind in ("create", "activate"):
        repo.update_user(con, user.id, active=True)
    elif kind == "branches":
        repo.set_branches(con, user.id, list(payload.get("branches", [])))
    elif kind == "password":
        repo.update_user(
            con,
            user.id,
            password_hash=str(payload["password_hash"]),
            must_change_password=True,
            password_reset_by=str(payload.get("by") or actor.username),
            password_reset_at=dt.datetime.now(),
        )
        throttle.clear_account(con, user.username)
        session_rows.delete_sessions(con, user_id=user.id)
