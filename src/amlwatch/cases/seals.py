"""Seals: the decisions that matter are covered by the audit chain.

Every case event (who moved a case, from which state to which, with what note) and every
change of a user's name, role, password, activity or branches writes an audit entry holding
the digest of the row as it then is — of the event, of the whole case row after it, of the
user with their branches. `check` recomputes those digests from the tables: a case event
rewritten or removed, a case's state or narrative changed, a role granted or a password hash
swapped in the database without the application is named, because its digest no longer
matches the chain (and the chain's entries are MAC'd with a key the database does not hold).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select

from amlwatch.cases.audit import append as audit
from amlwatch.cases.store import CaseStore
from amlwatch.cases.tables import audit_log, case_events, cases, user_branches, users

CASE_SEAL = "case sealed"
USER_SEAL = "user sealed"
SEALS = (CASE_SEAL, USER_SEAL)


def digest(values: Any) -> str:
    text = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _event_digest(row: Any) -> str:
    return digest(row._asdict())


# columns added after the first seals: while empty they are left out, so a case sealed before
# they existed still matches its seal
LATER_CASE_COLUMNS = ("assignee",)


def _case_digest(row: Any) -> str:
    values = row._asdict()
    return digest({k: v for k, v in values.items() if k not in LATER_CASE_COLUMNS or v is not None})


# counted at every login attempt: not a decision (the login itself is audited)
LOGIN_BOOKKEEPING = ("failed_logins", "locked_until")


def _user_digest(row: Any, branches: Iterable[str]) -> str:
    values = {k: v for k, v in row._asdict().items() if k not in LOGIN_BOOKKEEPING}
    return digest({**values, "branches": sorted(branches)})


def seal_case_event(con: Connection, event_id: int, username: str) -> None:
    """Seal a case event just written and its case as the event left it."""
    event = con.execute(select(case_events).where(case_events.c.id == event_id)).one()
    case = con.execute(select(cases).where(cases.c.id == event.case_id)).one()
    audit(
        con,
        username,
        CASE_SEAL,
        f"case:{event.case_id}",
        event=event_id,
        event_digest=_event_digest(event),
        case_digest=_case_digest(case),
    )


def seal_user(con: Connection, user_id: int, by: str = "system") -> None:
    """Seal a user as they now are (name, role, password hash, activity, branches); the
    change itself is audited by its use case, with the actor."""
    user = con.execute(select(users).where(users.c.id == user_id)).one()
    branches = con.execute(
        select(user_branches.c.branch_code).where(user_branches.c.user_id == user_id)
    ).scalars()
    sealed = _user_digest(user, branches)
    audit(con, by, USER_SEAL, f"user:{user.username}", user=user_id, digest=sealed)


def seal_missing(con: Connection, by: str) -> int:
    """Seal every case event, case and user no audit entry seals (yet, or any more after a
    retention purge of the oldest entries): the baseline when the chain starts being
    signed. The number of seals written."""
    sealed_events: set[int] = set()
    sealed_cases: set[int] = set()
    sealed_users: set[int] = set()
    rows = con.execute(
        select(audit_log.c.action, audit_log.c.target, audit_log.c.detail).where(
            audit_log.c.action.in_(SEALS)
        )
    )
    for action, target, detail in rows:
        if action == CASE_SEAL:
            sealed_events.add(int(detail["event"]))
            sealed_cases.add(int(str(target).split(":", 1)[1]))
        else:
            sealed_users.add(int(detail["user"]))
    written = 0
    latest: dict[int, int] = {}
    for event_id, case_id in con.execute(
        select(case_events.c.id, case_events.c.case_id).order_by(case_events.c.id)
    ):
        latest[int(case_id)] = int(event_id)
        if int(event_id) not in sealed_events:
            seal_case_event(con, int(event_id), by)
            sealed_cases.add(int(case_id))
            written += 1
    for case_id in con.execute(select(cases.c.id)).scalars():
        if int(case_id) not in sealed_cases and int(case_id) in latest:
            seal_case_event(con, latest[int(case_id)], by)
            written += 1
    for user_id in con.execute(select(users.c.id).order_by(users.c.id)).scalars():
        if int(user_id) not in sealed_users:
            seal_user(con, int(user_id), by)
            written += 1
    return written


def check(con: Connection, purged_cases: set[int], required: bool) -> list[str]:
    """What in the cases, their events and the users does not match its latest seal.
    `required`: everything must be sealed (the chain is signed from its baseline on)."""
    events: dict[int, tuple[int, str]] = {}
    latest_case: dict[int, str] = {}
    latest_user: dict[int, str] = {}
    seals = con.execute(
        select(audit_log.c.action, audit_log.c.target, audit_log.c.detail)
        .where(audit_log.c.action.in_(SEALS))
        .order_by(audit_log.c.seq)
    )
    for action, target, detail in seals:
        if action == CASE_SEAL:
            case_id = int(str(target).split(":", 1)[1])
            events[int(detail["event"])] = (case_id, str(detail["event_digest"]))
            latest_case[case_id] = str(detail["case_digest"])
        else:
            latest_user[int(detail["user"])] = str(detail["digest"])
    problems: list[str] = []
    seen: set[int] = set()
    for event in con.execute(select(case_events).order_by(case_events.c.id)):
        seen.add(int(event.id))
        found = events.get(int(event.id))
        if found is None:
            if required:
                problems.append(f"case event {event.id} (case #{event.case_id}) has no seal")
        elif found[1] != _event_digest(event):
            problems.append(f"case event {event.id} (case #{event.case_id}) was changed")
    for event_id in sorted(set(events) - seen):
        if events[event_id][0] not in purged_cases:
            problems.append(f"case event {event_id} (case #{events[event_id][0]}) was removed")
    for case in con.execute(select(cases).order_by(cases.c.id)):
        sealed = latest_case.get(int(case.id))
        if sealed is None:
            if required:
                problems.append(f"case #{case.id} has no seal")
        elif sealed != _case_digest(case):
            problems.append(f"case #{case.id} was changed outside the application")
    present = {int(c) for c in con.execute(select(cases.c.id)).scalars()}
    for case_id in sorted(set(latest_case) - present - purged_cases):
        problems.append(f"case #{case_id} was removed")
    branches: dict[int, list[str]] = {}
    for user_id, code in con.execute(select(user_branches.c.user_id, user_branches.c.branch_code)):
        branches.setdefault(int(user_id), []).append(str(code))
    for user in con.execute(select(users).order_by(users.c.id)):
        sealed = latest_user.get(int(user.id))
        if sealed is None:
            if required:
                problems.append(f"user {user.username} has no seal (added outside the app)")
        elif sealed != _user_digest(user, branches.get(int(user.id), [])):
            problems.append(f"user {user.username} was changed outside the application")
    return problems


def baseline(store: CaseStore, by: str) -> int:
    """Seal whatever is not sealed yet, in one transaction, audited: the start of a signed
    chain (`amlwatch audit init-key`). The number of seals written."""
    with store.write() as con:
        written = seal_missing(con, by)
        audit(con, by, "audit key created", "audit", seals=written)
    return written
