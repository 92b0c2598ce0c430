"""The snoozes' rows: requests to pause monitoring of a customer under one standard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from amlwatch.cases.repository import MAX_ID
from amlwatch.cases.tables import snoozes
from amlwatch.models import Snooze


def to_snooze(row: Any) -> Snooze:
    return Snooze(
        id=row.id,
        customer_id=row.customer_id,
        rule_code=row.rule_code,
        until=row.until,
        reason=row.reason,
        requested_by=row.requested_by,
        approved_by=row.approved_by,
        state=row.state,
        branch_code=row.branch_code,
    )


def insert_snooze(con: Connection, **values: Any) -> int:
    result = con.execute(insert(snoozes).values(created_at=dt.datetime.now(), **values))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def snooze_by_id(con: Connection, snooze_id: int) -> Snooze | None:
    if not 0 < snooze_id <= MAX_ID:
        return None
    row = con.execute(select(snoozes).where(snoozes.c.id == snooze_id)).first()
    return to_snooze(row) if row is not None else None


def update_snooze(con: Connection, snooze_id: int, **values: Any) -> None:
    con.execute(update(snoozes).where(snoozes.c.id == snooze_id).values(**values))


def find_snoozes(con: Connection, branches: Collection[str] | None) -> list[Snooze]:
    query = select(snoozes).order_by(snoozes.c.id.desc())
    if branches is not None:
        query = query.where(snoozes.c.branch_code.in_(sorted(branches)))
    return [to_snooze(r) for r in con.execute(query)]


def active_snooze(con: Connection, customer_id: str, rule_code: str, day: dt.date) -> bool:
    found = con.execute(
        select(snoozes.c.id).where(
            and_(
                snoozes.c.customer_id == customer_id,
                snoozes.c.rule_code == rule_code,
                snoozes.c.state == "active",
                snoozes.c.until >= day,
            )
        )
    ).first()
    return found is not None
