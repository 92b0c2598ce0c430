"""Screening cases in the case store (名单监测): one per party and list entry, their events
and the actions a confirmed hit took. The only code that touches these tables.

A match found again updates its open case; a dismissed one is remembered — the same party
against the same entry comes back only when the party's data (`subject_digest`) or the entry
(`entry_digest`) has changed since; a confirmed one stays confirmed (the party is frozen).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from amlwatch.cases.tables import screening_actions, screening_cases, screening_events

NEW, IN_REVIEW, HIT_PROPOSED, DISMISSAL_PROPOSED, CONFIRMED, DISMISSED = (
    "new", "in_review", "hit_proposed", "dismissal_proposed", "confirmed", "dismissed",
)  # fmt: skip
OPEN = (NEW, IN_REVIEW, HIT_PROPOSED, DISMISSAL_PROPOSED)
STATE_NAMES = {
    NEW: "待核实", IN_REVIEW: "核实中", HIT_PROPOSED: "提议确认命中（待复核）",
    DISMISSAL_PROPOSED: "提议排除误报（待复核）", CONFIRMED: "已确认命中", DISMISSED: "已排除（误报）",
}  # fmt: skip
TRANSITIONS = {
    NEW: {IN_REVIEW, HIT_PROPOSED, DISMISSAL_PROPOSED},
    IN_REVIEW: {HIT_PROPOSED, DISMISSAL_PROPOSED},
    HIT_PROPOSED: {CONFIRMED, IN_REVIEW},
    DISMISSAL_PROPOSED: {DISMISSED, IN_REVIEW},
    CONFIRMED: set(),
    DISMISSED: set(),
}


@dataclass(frozen=True, slots=True)
class ScreeningCase:
    id: int
    subject_kind: str
    subject_ref: str
    subject_digest: str
    subject_name: str
    subject: dict[str, Any]
    customer_id: str
    customer_name: str
    branch_code: str
    txn_id: str | None
    list_code: str
    list_version: int
    entry_ref: str
    entry_digest: str
    entry: dict[str, Any]
    score: int
    band: str
    reasons: list[str]
    first_found_on: dt.date
    last_found_on: dt.date
    state: str
    proposed_by: str | None
    proposal: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    report_due: dt.date | None
    reported_on: dt.date | None
    report_note: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def open(self) -> bool:
        return self.state in OPEN

    @property
    def state_name(self) -> str:
        return STATE_NAMES[self.state]


@dataclass(frozen=True, slots=True)
class ScreeningEvent:
    at: dt.datetime
    username: str
    action: str
    from_state: str | None
    to_state: str | None
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ScreeningAction:
    case_id: int
    kind: str  # freeze | block
    customer_id: str
    party_ref: str
    accounts: list[str]
    at: dt.datetime
    username: str


def _case(row: Any) -> ScreeningCase:
    return ScreeningCase(
        **{name: row._mapping[name] for name in ScreeningCase.__dataclass_fields__}
    )


def case_by_id(con: Connection, case_id: int) -> ScreeningCase | None:
    row = con.execute(select(screening_cases).where(screening_cases.c.id == case_id)).first()
    return _case(row) if row else None


def find(
    con: Connection,
    branches: frozenset[str] | None,
    states: Sequence[str] = (),
    customer_id: str | None = None,
    limit: int = 500,
) -> list[ScreeningCase]:
    """Screening cases of `branches` (None: all), hits before review-band ones, strongest
    first, then oldest first."""
    query = select(screening_cases)
    if branches is not None:
        query = query.where(screening_cases.c.branch_code.in_(sorted(branches)))
    if states:
        query = query.where(screening_cases.c.state.in_(list(states)))
    if customer_id is not None:
        query = query.where(screening_cases.c.customer_id == customer_id)
    query = query.order_by(
        (screening_cases.c.band != "hit"), screening_cases.c.score.desc(), screening_cases.c.id
    ).limit(limit)
    return [_case(r) for r in con.execute(query)]


def count_open(con: Connection, branches: frozenset[str] | None) -> dict[str, int]:
    """Open screening cases per state."""
    query = select(screening_cases.c.state, func.count()).where(screening_cases.c.state.in_(OPEN))
    if branches is not None:
        query = query.where(screening_cases.c.branch_code.in_(sorted(branches)))
    return {str(state): int(n) for state, n in con.execute(query.group_by(screening_cases.c.state))}


def reports_due(con: Connection, branches: frozenset[str] | None) -> list[ScreeningCase]:
    """Confirmed hits not yet recorded as reported, the earliest deadline first."""
    query = select(screening_cases).where(
        screening_cases.c.state == CONFIRMED, screening_cases.c.reported_on.is_(None)
    )
    if branches is not None:
        query = query.where(screening_cases.c.branch_code.in_(sorted(branches)))
    return [
        _case(r)
        for r in con.execute(query.order_by(screening_cases.c.report_due, screening_cases.c.id))
    ]


def take_match(con: Connection, match: dict[str, Any], now: dt.datetime) -> tuple[str, int | None]:
    """A match of the night into its case: ("opened" | "found again" | "remembered" |
    "confirmed", the case id or None)."""
    same_pair = and_(
        screening_cases.c.subject_kind == match["subject_kind"],
        screening_cases.c.subject_ref == match["subject_ref"],
        screening_cases.c.list_code == match["list_code"],
        screening_cases.c.entry_ref == match["entry_ref"],
    )
    rows = [_case(r) for r in con.execute(select(screening_cases).where(same_pair))]
    for case in rows:
        if case.open:
            _found_again(con, case, match, now)
            return "found again", case.id
    if any(c.state == CONFIRMED for c in rows):
        return "confirmed", None
    unchanged = [
        c for c in rows
        if c.state == DISMISSED and c.subject_digest == match["subject_digest"]
        and c.entry_digest == match["entry_digest"]
    ]  # fmt: skip
    if unchanged:
        return "remembered", unchanged[0].id
    values = {k: match[k] for k in _MATCH_COLUMNS}
    result = con.execute(
        insert(screening_cases).values(
            **values,
            first_found_on=match["screened_on"],
            last_found_on=match["screened_on"],
            state=NEW,
            created_at=now,
            updated_at=now,
        )
    )
    case_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    dismissed_before = [c.id for c in rows if c.state == DISMISSED]
    detail = {"score": match["score"], "band": match["band"], "version": match["list_version"]}
    if dismissed_before:  # the party's data or the entry changed since it was dismissed
        detail["case_ids"] = dismissed_before
    add_event(con, case_id, "system", "screening opened", None, NEW, now, **detail)
    return "opened", case_id


_MATCH_COLUMNS = (
    "subject_kind", "subject_ref", "subject_digest", "subject_name", "subject", "customer_id",
    "customer_name", "branch_code", "txn_id", "list_code", "list_version", "entry_ref",
    "entry_digest", "entry", "score", "band", "reasons",
)  # fmt: skip


def _found_again(
    con: Connection, case: ScreeningCase, match: dict[str, Any], now: dt.datetime
) -> None:
    changes = {
        k: match[k]
        for k in _MATCH_COLUMNS
        if k not in ("subject_kind", "subject_ref", "list_code", "entry_ref")
    }
    changes["last_found_on"] = max(case.last_found_on, match["screened_on"])
    changed = (
        case.subject_digest != match["subject_digest"] or case.entry_digest != match["entry_digest"]
    )
    con.execute(
        update(screening_cases)
        .where(screening_cases.c.id == case.id)
        .values(**changes, updated_at=now)
    )
    if changed:
        add_event(con, case.id, "system", "screening data changed", case.state, case.state, now,
                  version=match["list_version"], score=match["score"])  # fmt: skip


def add_event(
    con: Connection,
    case_id: int,
    username: str,
    action: str,
    from_state: str | None,
    to_state: str | None,
    now: dt.datetime,
    **detail: Any,
) -> None:
    con.execute(
        insert(screening_events).values(
            case_id=case_id,
            at=now,
            username=username,
            action=action,
            from_state=from_state,
            to_state=to_state,
            detail=detail,
        )
    )


def set_state(
    con: Connection, case: ScreeningCase, to: str, now: dt.datetime, **values: Any
) -> bool:
    """Move the case from its state to `to` (with `values`), if nobody moved it since."""
    result = con.execute(
        update(screening_cases)
        .where(screening_cases.c.id == case.id, screening_cases.c.state == case.state)
        .values(state=to, updated_at=now, **values)
    )
    return bool(result.rowcount)


def set_values(con: Connection, case_id: int, now: dt.datetime, **values: Any) -> None:
    con.execute(
        update(screening_cases)
        .where(screening_cases.c.id == case_id)
        .values(updated_at=now, **values)
    )


def events_of(con: Connection, case_id: int) -> list[ScreeningEvent]:
    rows = con.execute(
        select(screening_events)
        .where(screening_events.c.case_id == case_id)
        .order_by(screening_events.c.id)
    )
    return [
        ScreeningEvent(r.at, r.username, r.action, r.from_state, r.to_state, dict(r.detail))
        for r in rows
    ]


def add_action(
    con: Connection,
    case: ScreeningCase,
    kind: str,
    accounts: Iterable[str],
    now: dt.datetime,
    username: str,
) -> None:
    con.execute(
        insert(screening_actions).values(
            case_id=case.id,
            kind=kind,
            customer_id=case.customer_id,
            party_ref=case.subject_ref,
            accounts=sorted(set(accounts)),
            at=now,
            username=username,
        )
    )


def actions_of(
    con: Connection, case_ids: Sequence[int] = (), customer_ids: Sequence[str] = ()
) -> list[ScreeningAction]:
    """The actions of some cases or of some customers, oldest first."""
    if not case_ids and not customer_ids:
        return []
    query = select(screening_actions).where(
        or_(
            screening_actions.c.case_id.in_(list(case_ids)),
            screening_actions.c.customer_id.in_(list(customer_ids)),
        )
    )
    return [
        ScreeningAction(
            r.case_id, r.kind, r.customer_id, r.party_ref, list(r.accounts), r.at, r.username
        )
        for r in con.execute(query.order_by(screening_actions.c.id))
    ]


def actions_since(con: Connection, since: dt.datetime) -> list[ScreeningAction]:
    """The actions taken since a moment (a night's summary)."""
    query = (
        select(screening_actions)
        .where(screening_actions.c.at >= since)
        .order_by(screening_actions.c.id)
    )
    return [
        ScreeningAction(
            r.case_id, r.kind, r.customer_id, r.party_ref, list(r.accounts), r.at, r.username
        )
        for r in con.execute(query)
    ]


def frozen_count(con: Connection) -> int:
    """Customers a confirmed hit has frozen."""
    query = select(func.count(func.distinct(screening_actions.c.customer_id))).where(
        screening_actions.c.kind == "freeze"
    )
    return int(con.execute(query).scalar_one())
