"""The only code that reads and writes the review tables. Every function takes the
connection (and so the transaction) it works in; access control is the use cases' job."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from amlwatch.cases import seals
from amlwatch.cases.rating_rows import level_in_force
from amlwatch.cases.tables import (
    case_alerts,
    case_events,
    case_snapshots,
    cases,
    dismissal_reasons,
    review_settings,
    user_branches,
    users,
)
from amlwatch.models import Case, CaseEvent, CaseState, Role, User

# --- cases ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """What the flagged list asks for; None means any."""

    rule_code: str | None = None
    branch_code: str | None = None
    states: tuple[CaseState, ...] = ()
    due_by: dt.date | None = None  # cases due on or before this day
    snoozed: bool | None = False  # snoozed cases are hidden unless asked for
    customer_id: str | None = None
    first_scan_from: dt.date | None = None
    first_scan_to: dt.date | None = None
    assignee: str | None = None  # a login, or UNASSIGNED
    case_ids: tuple[int, ...] | None = None  # a search by number found these
    name: str | None = None  # the customer's name starts with it (or contains it: `name_in`)
    name_in: bool = False
    sort: str = ""  # one of SORTS ("": deadline first, as the queue works)
    descending: bool = False


UNASSIGNED = "-"
SORTS = {
    "id": cases.c.id,
    "rule": cases.c.rule_code,
    "customer": cases.c.customer_name,
    "branch": cases.c.branch_code,
    "state": cases.c.state,
    "score": cases.c.score,
    "window": cases.c.window_end,
    "due": cases.c.due_date,
    "assignee": cases.c.assignee,
    "updated": cases.c.updated_at,
}


def to_case(row: Any) -> Case:
    values = {name: getattr(row, name) for name in _CASE_FIELDS}
    return Case(
        **values
        | {
            "state": CaseState(row.state),
            "snoozed": bool(row.snoozed),
            "crime_types": tuple(row.crime_types or ()),
            "report_times": row.report_times or 0,
            "direction": row.direction or "01",
            "kind": row.kind or "customer",
            "standards": tuple((str(c), str(n)) for c, n in row.standards)
            if row.standards
            else ((row.rule_code, row.rule_name),),
        }
    )


_CASE_FIELDS = [f.name for f in fields(Case)]


MAX_ID = 2**31 - 1  # the id columns' range (PostgreSQL INTEGER): beyond it nothing exists


def case_by_id(con: Connection, case_id: int) -> Case | None:
    if not 0 < case_id <= MAX_ID:
        return None
    row = con.execute(select(cases).where(cases.c.id == case_id)).first()
    return to_case(row) if row is not None else None


def case_by_alert(con: Connection, alert_id: str) -> Case | None:
    """The case an alert is part of (whether it opened the case or joined it)."""
    row = con.execute(
        select(cases).where(
            cases.c.id
            == select(case_alerts.c.case_id)
            .where(case_alerts.c.alert_id == alert_id)
            .scalar_subquery()
        )
    ).first()
    return to_case(row) if row is not None else None


def _where(flt: CaseFilter, branches: Collection[str] | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if branches is not None:
        conditions.append(cases.c.branch_code.in_(sorted(branches)))
    if flt.rule_code:  # any standard of the case
        conditions.append(
            cases.c.id.in_(
                select(case_alerts.c.case_id).where(case_alerts.c.rule_code == flt.rule_code)
            )
        )
    if flt.branch_code:
        conditions.append(cases.c.branch_code == flt.branch_code)
    if flt.states:
        conditions.append(cases.c.state.in_([str(s) for s in flt.states]))
    if flt.due_by is not None:
        conditions.append(and_(cases.c.due_date.is_not(None), cases.c.due_date <= flt.due_by))
    if flt.snoozed is not None:
        conditions.append(cases.c.snoozed == flt.snoozed)
    if flt.customer_id:
        conditions.append(cases.c.customer_id == flt.customer_id)
    if flt.first_scan_from:
        conditions.append(cases.c.first_scan_date >= flt.first_scan_from)
    if flt.first_scan_to:
        conditions.append(cases.c.first_scan_date <= flt.first_scan_to)
    if flt.assignee == UNASSIGNED:
        conditions.append(cases.c.assignee.is_(None))
    elif flt.assignee:
        conditions.append(cases.c.assignee == flt.assignee)
    if flt.case_ids is not None:
        conditions.append(cases.c.id.in_(flt.case_ids))
    if flt.name:
        text = flt.name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{text}%" if flt.name_in else f"{text}%"
        conditions.append(cases.c.customer_name.like(pattern, escape="\\"))
    return conditions


def find_cases(
    con: Connection, flt: CaseFilter, branches: Collection[str] | None, limit: int, offset: int = 0
) -> list[Case]:
    """Cases matching the filter: urgent, then high-risk customers', deadline first, newest."""
    conditions = _where(flt, branches)
    risk = level_in_force(cases.c.customer_id)  # 客户风险等级: 10 高 first, unrated last
    queue = (  # urgent cases at the top of every queue, then high-risk customers', then by deadline
        cases.c.urgency.desc(),
        risk.is_(None),
        risk,
        cases.c.due_date.is_(None),
        cases.c.due_date,
        cases.c.last_scan_date.desc(),
        cases.c.id,
    )
    column = SORTS.get(flt.sort)
    order = queue if column is None else (
        column.is_(None), column.desc() if flt.descending else column, cases.c.id
    )  # fmt: skip
    rows = con.execute(
        select(cases).where(*conditions).order_by(*order).limit(limit).offset(offset)
    )
    return [to_case(r) for r in rows]


def count_by_state(
    con: Connection, flt: CaseFilter, branches: Collection[str] | None
) -> dict[str, int]:
    """Matching cases per state, in one pass."""
    rows = con.execute(
        select(cases.c.state, func.count()).where(*_where(flt, branches)).group_by(cases.c.state)
    )
    return {str(state): int(n) for state, n in rows}


def count_by_rule(
    con: Connection, flt: CaseFilter, branches: Collection[str] | None
) -> dict[str, int]:
    """Matching cases per monitoring standard, a case counted under each of its standards."""
    rows = con.execute(
        select(case_alerts.c.rule_code, func.count(func.distinct(cases.c.id)))
        .join(cases, cases.c.id == case_alerts.c.case_id)
        .where(*_where(flt, branches))
        .group_by(case_alerts.c.rule_code)
    )
    return {str(rule): int(n) for rule, n in rows}


def count_urgent(con: Connection, branches: Collection[str] | None) -> int:
    """Urgent cases (DETR 02) not yet reported, in those branches (None: all)."""
    waiting = [str(s) for s in (CaseState.NEW, CaseState.IN_REVIEW, CaseState.PROPOSED,
                                CaseState.DISMISSAL_PROPOSED, CaseState.APPROVED,
                                CaseState.REPORT_GENERATED)]  # fmt: skip
    query = select(func.count()).where(cases.c.urgency == "02", cases.c.state.in_(waiting))
    if branches is not None:
        query = query.where(cases.c.branch_code.in_(list(branches)))
    return int(con.execute(query).scalar_one())


def insert_case(con: Connection, **values: Any) -> int:
    return int(con.execute(insert(cases).values(**values)).inserted_primary_key[0])  # type: ignore[index]


def update_case(con: Connection, case_id: int, **values: Any) -> None:
    con.execute(update(cases).where(cases.c.id == case_id).values(**values))


def cases_in_states(con: Connection, states: Sequence[CaseState]) -> list[Case]:
    rows = con.execute(select(cases).where(cases.c.state.in_([str(s) for s in states])))
    return [to_case(r) for r in rows]


def add_event(
    con: Connection,
    case_id: int,
    username: str,
    action: str,
    from_state: str | None = None,
    to_state: str | None = None,
    level: int | None = None,
    **detail: Any,
) -> None:
    inserted = con.execute(
        insert(case_events).values(
            case_id=case_id,
            at=dt.datetime.now(),
            username=username,
            action=action,
            from_state=from_state,
            to_state=to_state,
            level=level,
            detail=detail,
        )
    )
    seals.seal_case_event(con, int(inserted.inserted_primary_key[0]), username)  # type: ignore[index]


def case_history(con: Connection, case_id: int) -> list[CaseEvent]:
    rows = con.execute(
        select(case_events).where(case_events.c.case_id == case_id).order_by(case_events.c.id)
    )
    return [
        CaseEvent(r.at, r.username, r.action, r.from_state, r.to_state, r.level, r.detail or {})
        for r in rows
    ]


def all_events(con: Connection, actions: Sequence[str]) -> list[tuple[int, str, dt.datetime]]:
    """(case id, action, time) of every event of those actions."""
    rows = con.execute(
        select(case_events.c.case_id, case_events.c.action, case_events.c.at).where(
            case_events.c.action.in_(list(actions))
        )
    )
    return [(int(c), str(a), at) for c, a, at in rows]


def add_snapshot(
    con: Connection, case_id: int, version: int, scan_date: dt.date, digest: str, content: Any
) -> None:
    con.execute(
        insert(case_snapshots).values(
            case_id=case_id,
            version=version,
            taken_at=dt.datetime.now(),
            scan_date=scan_date,
            digest=digest,
            content=content,
        )
    )


def snapshot(con: Connection, case_id: int, version: int) -> tuple[str, Any] | None:
    """(digest, encoded content) of one version."""
    if not (0 < case_id <= MAX_ID and 0 < version <= MAX_ID):
        return None
    row = con.execute(
        select(case_snapshots.c.digest, case_snapshots.c.content).where(
            and_(case_snapshots.c.case_id == case_id, case_snapshots.c.version == version)
        )
    ).first()
    return (row.digest, row.content) if row is not None else None


def snapshot_versions(con: Connection, case_id: int) -> list[tuple[int, dt.datetime, dt.date]]:
    rows = con.execute(
        select(case_snapshots.c.version, case_snapshots.c.taken_at, case_snapshots.c.scan_date)
        .where(case_snapshots.c.case_id == case_id)
        .order_by(case_snapshots.c.version)
    )
    return [(int(v), t, d) for v, t, d in rows]


# --- users and sessions ----------------------------------------------------------------------


def _user(con: Connection, row: Any) -> User:
    branches = con.execute(
        select(user_branches.c.branch_code).where(user_branches.c.user_id == row.id)
    ).scalars()
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        branches=frozenset(branches),
        active=bool(row.active),
        must_change_password=bool(row.must_change_password),
        password_reset_by=row.password_reset_by,
        password_reset_at=row.password_reset_at,
    )


def user_row(con: Connection, username: str) -> Any:
    return con.execute(select(users).where(users.c.username == username)).first()


def user_by_id(con: Connection, user_id: int) -> User | None:
    if not 0 < user_id <= MAX_ID:
        return None
    row = con.execute(select(users).where(users.c.id == user_id)).first()
    return _user(con, row) if row is not None else None


def user_by_name(con: Connection, username: str) -> User | None:
    row = user_row(con, username)
    return _user(con, row) if row is not None else None


def all_users(con: Connection) -> list[User]:
    return [_user(con, r) for r in con.execute(select(users).order_by(users.c.username))]


def display_names(con: Connection) -> dict[str, str]:
    """Each login's name, as pages show people."""
    return {str(u): str(n) for u, n in con.execute(select(users.c.username, users.c.display_name))}


def count_users(con: Connection, role: Role | None = None) -> int:
    query = select(func.count()).select_from(users)
    if role is not None:
        query = query.where(and_(users.c.role == str(role), users.c.active.is_(True)))
    return int(con.execute(query).scalar_one())


def insert_user(
    con: Connection, username: str, display_name: str, role: Role, password_hash: str
) -> int:
    result = con.execute(
        insert(users).values(
            username=username,
            display_name=display_name,
            role=str(role),
            password_hash=password_hash,
            active=True,
            failed_logins=0,
            created_at=dt.datetime.now(),
        )
    )
    user_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    seals.seal_user(con, user_id)
    return user_id


def update_user(con: Connection, user_id: int, **values: Any) -> None:
    con.execute(update(users).where(users.c.id == user_id).values(**values))
    if set(values) - set(seals.LOGIN_BOOKKEEPING):  # a decision about the user: sealed
        seals.seal_user(con, user_id)


def set_branches(con: Connection, user_id: int, branches: Collection[str]) -> None:
    con.execute(delete(user_branches).where(user_branches.c.user_id == user_id))
    if branches:
        con.execute(
            insert(user_branches), [{"user_id": user_id, "branch_code": b} for b in branches]
        )
    seals.seal_user(con, user_id)


# --- reasons, settings, snoozes --------------------------------------------------------------


def reasons(con: Connection, active_only: bool = True) -> list[tuple[str, str, bool]]:
    query = select(dismissal_reasons).order_by(dismissal_reasons.c.code)
    if active_only:
        query = query.where(dismissal_reasons.c.active.is_(True))
    return [(r.code, r.label, bool(r.active)) for r in con.execute(query)]


def put_reason(con: Connection, code: str, label: str, active: bool) -> None:
    updated = con.execute(
        update(dismissal_reasons)
        .where(dismissal_reasons.c.code == code)
        .values(label=label, active=active)
    )
    if updated.rowcount == 0:
        con.execute(insert(dismissal_reasons).values(code=code, label=label, active=active))


def setting(con: Connection, key: str) -> Any:
    return con.execute(
        select(review_settings.c.value).where(review_settings.c.key == key)
    ).scalar_one_or_none()


def put_setting(con: Connection, key: str, value: Any) -> None:
    updated = con.execute(
        update(review_settings).where(review_settings.c.key == key).values(value=value)
    )
    if updated.rowcount == 0:
        con.execute(insert(review_settings).values(key=key, value=value))
