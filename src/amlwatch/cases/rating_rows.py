"""Customer ratings and rating reviews in the case store (客户洗钱风险等级). The only code that
touches these tables.

`customer_ratings` is append-only: each level a customer was given is a row, the newest is the
level in force. A rating review is open until an approver confirms a level; a customer has at
most one open review (a night finds the open one and refreshes what the model says in it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from amlwatch.cases.tables import (
    cases,
    customer_ratings,
    rating_events,
    rating_reviews,
    screening_cases,
)
from amlwatch.models import REPORTED, CaseState

NEW, PROPOSED, CONFIRMED = "new", "proposed", "confirmed"
OPEN = (NEW, PROPOSED)
STATE_NAMES = {NEW: "待评定", PROPOSED: "已提议（待复核）", CONFIRMED: "已确认"}
TRIGGERS = {
    "new": "新客户首次评级", "change": "模型评定等级变化", "periodic": "定期复评",
    "event": "事件触发重新评级",
}  # fmt: skip
EVENTS = {
    "report": "已决定报告或已报送可疑交易报告", "list_hit": "名单确认命中", "identity": "身份信息变更",
    "judicial": "司法查询", "media": "媒体报道", "other": "其他事件",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CustomerRating:
    id: int
    customer_id: str
    customer_name: str
    branch_code: str
    level: str
    computed_level: str
    score: float
    model: str
    factors: dict[str, int]
    reasons: list[str]
    rated_on: dt.date
    confirmed_by: str
    review_id: int | None
    next_review_on: dt.date
    note: str | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class RatingReview:
    id: int
    customer_id: str
    customer_name: str
    branch_code: str
    trigger: str
    trigger_detail: str
    opened_on: dt.date
    due_on: dt.date
    model: str
    current_level: str | None
    computed_level: str
    score: float
    factors: dict[str, int]
    reasons: list[str]
    state: str
    proposed_level: str | None
    proposed_by: str | None
    proposal: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def open(self) -> bool:
        return self.state in OPEN

    @property
    def state_name(self) -> str:
        return STATE_NAMES[self.state]

    @property
    def trigger_name(self) -> str:
        return TRIGGERS.get(self.trigger, self.trigger)


@dataclass(frozen=True, slots=True)
class RatingEvent:
    at: dt.datetime
    username: str
    action: str
    from_state: str | None
    to_state: str | None
    detail: dict[str, Any]


def _rating(row: Any) -> CustomerRating:
    return CustomerRating(**{n: row._mapping[n] for n in CustomerRating.__dataclass_fields__})


def _review(row: Any) -> RatingReview:
    return RatingReview(**{n: row._mapping[n] for n in RatingReview.__dataclass_fields__})


def _newest() -> Any:
    return select(func.max(customer_ratings.c.id)).group_by(customer_ratings.c.customer_id)


def level_in_force(customer_id: Any) -> Any:
    """The level in force of the customer a query's row names (a scalar subquery): level codes
    sort from the highest level, as the inspection codes 10 … 14 do."""
    c = customer_ratings.c
    newest = select(c.level).where(c.customer_id == customer_id).order_by(c.id.desc()).limit(1)
    return newest.scalar_subquery()


def levels_in_force(con: Connection) -> list[tuple[str, str, str, dt.date]]:
    """Every rated customer's level in force: (customer, level, the model's level when it was
    confirmed, next review date), by customer number."""
    c = customer_ratings.c
    query = select(c.customer_id, c.level, c.computed_level, c.next_review_on).where(
        c.id.in_(_newest())
    )
    return [
        (str(a), str(b), str(d), e) for a, b, d, e in con.execute(query.order_by(c.customer_id))
    ]


def in_force(con: Connection, customer_ids: Sequence[str]) -> dict[str, CustomerRating]:
    c = customer_ratings.c
    found: dict[str, CustomerRating] = {}
    for at in range(0, len(customer_ids), 500):
        chunk = list(customer_ids[at : at + 500])
        newest = _newest().where(c.customer_id.in_(chunk))
        for row in con.execute(select(customer_ratings).where(c.id.in_(newest))):
            found[str(row.customer_id)] = _rating(row)
    return found


def all_in_force(con: Connection, branches: frozenset[str] | None) -> list[CustomerRating]:
    """Every level in force of `branches` (None: all), by customer number, in one query."""
    query = select(customer_ratings).where(customer_ratings.c.id.in_(_newest()))
    if branches is not None:
        query = query.where(customer_ratings.c.branch_code.in_(sorted(branches)))
    return [_rating(r) for r in con.execute(query.order_by(customer_ratings.c.customer_id))]


def history(con: Connection, customer_id: str) -> list[CustomerRating]:
    """Every level the customer was given, newest first."""
    query = select(customer_ratings).where(customer_ratings.c.customer_id == customer_id)
    return [_rating(r) for r in con.execute(query.order_by(customer_ratings.c.id.desc()))]


def add_ratings(con: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        con.execute(insert(customer_ratings), list(rows))


def open_reviews_by_customer(con: Connection) -> dict[str, int]:
    query = select(rating_reviews.c.customer_id, rating_reviews.c.id).where(
        rating_reviews.c.state.in_(OPEN)
    )
    return {str(c): int(i) for c, i in con.execute(query)}


def open_review(con: Connection, values: dict[str, Any], now: dt.datetime) -> int:
    result = con.execute(
        insert(rating_reviews).values(**values, state=NEW, created_at=now, updated_at=now)
    )
    review_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    add_event(con, review_id, "system", "rating review opened", None, NEW, now,
              trigger=values["trigger"], level=values["computed_level"])  # fmt: skip
    return review_id


def refresh(con: Connection, review_id: int, values: dict[str, Any], now: dt.datetime) -> None:
    """What the model says of an open review's customer tonight."""
    con.execute(
        update(rating_reviews)
        .where(rating_reviews.c.id == review_id)
        .values(**values, updated_at=now)
    )


def review_by_id(con: Connection, review_id: int) -> RatingReview | None:
    row = con.execute(select(rating_reviews).where(rating_reviews.c.id == review_id)).first()
    return _review(row) if row else None


def find(
    con: Connection,
    branches: frozenset[str] | None,
    states: Sequence[str] = OPEN,
    customer_id: str | None = None,
    level_order: Sequence[str] = (),
    limit: int = 500,
) -> list[RatingReview]:
    """Reviews of `branches` (None: all), the earliest due first."""
    query = select(rating_reviews)
    if branches is not None:
        query = query.where(rating_reviews.c.branch_code.in_(sorted(branches)))
    if states:
        query = query.where(rating_reviews.c.state.in_(list(states)))
    if customer_id is not None:
        query = query.where(rating_reviews.c.customer_id == customer_id)
    query = query.order_by(rating_reviews.c.due_on, rating_reviews.c.id).limit(limit)
    return [_review(r) for r in con.execute(query)]


def count_open(con: Connection, branches: frozenset[str] | None, today: dt.date) -> dict[str, int]:
    """Open reviews per state, and how many are past their due date ("overdue")."""
    query = select(rating_reviews.c.state, func.count()).where(rating_reviews.c.state.in_(OPEN))
    late = select(func.count()).where(
        rating_reviews.c.state.in_(OPEN), rating_reviews.c.due_on < today
    )
    if branches is not None:
        query = query.where(rating_reviews.c.branch_code.in_(sorted(branches)))
        late = late.where(rating_reviews.c.branch_code.in_(sorted(branches)))
    counts = {str(s): int(n) for s, n in con.execute(query.group_by(rating_reviews.c.state))}
    counts["overdue"] = int(con.execute(late).scalar_one())
    return counts


def set_state(
    con: Connection, review: RatingReview, to: str, now: dt.datetime, **values: Any
) -> bool:
    """Move a review from the state it was read in (False: someone else moved it first)."""
    result = con.execute(
        update(rating_reviews)
        .where(rating_reviews.c.id == review.id, rating_reviews.c.state == review.state)
        .values(state=to, updated_at=now, **values)
    )
    return bool(result.rowcount)


def add_event(
    con: Connection, review_id: int, username: str, action: str, from_state: str | None,
    to_state: str | None, at: dt.datetime, **detail: Any,
) -> None:  # fmt: skip
    con.execute(
        insert(rating_events).values(
            review_id=review_id, at=at, username=username, action=action,
            from_state=from_state, to_state=to_state, detail=detail,
        )
    )  # fmt: skip


def events_of(con: Connection, review_id: int) -> list[RatingEvent]:
    query = select(rating_events).where(rating_events.c.review_id == review_id)
    return [
        RatingEvent(r.at, r.username, r.action, r.from_state, r.to_state, r.detail or {})
        for r in con.execute(query.order_by(rating_events.c.id))
    ]


def reviews_between(con: Connection, start: dt.date, end: dt.date) -> list[RatingReview]:
    """Reviews decided from `start` to `end` (for the work report: on time or not)."""
    query = select(rating_reviews).where(
        rating_reviews.c.state == CONFIRMED,
        func.date(rating_reviews.c.decided_at) >= start,
        func.date(rating_reviews.c.decided_at) <= end,
    )
    return [_review(r) for r in con.execute(query)]


def monitoring_facts(con: Connection, since: dt.date) -> dict[str, dict[str, int]]:
    """Per customer with any: review cases opened since `since`, cases approved for a report
    or reported (ever),
    confirmed list hits, and screening cases of the customer still open."""
    facts: dict[str, dict[str, int]] = {}

    def put(query: Any, key: str) -> None:
        for customer, n in con.execute(query):
            facts.setdefault(str(customer), {})[key] = int(n)

    c = cases.c
    put(
        select(c.customer_id, func.count())
        .where(c.first_scan_date >= since)
        .group_by(c.customer_id),
        "cases",
    )
    reported = sorted(REPORTED | {CaseState.APPROVED})  # decided to report, or reported
    put(
        select(c.customer_id, func.count()).where(c.state.in_(reported)).group_by(c.customer_id),
        "reports",
    )
    s = screening_cases.c
    put(select(s.customer_id, func.count()).where(s.state == "confirmed", s.customer_id != "")
        .group_by(s.customer_id), "list_hit")  # fmt: skip
    put(select(s.customer_id, func.count()).where(s.state.in_(["new", "in_review", "hit_proposed",
        "dismissal_proposed"]), s.customer_id != "").group_by(s.customer_id), "list_review")  # fmt: skip
    return facts
