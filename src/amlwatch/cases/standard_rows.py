"""The monitoring standards' versions in the case store: proposals (pending), those put in
force by an approver (approved), refused (rejected) or withdrawn by their proposer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)

from amlwatch.cases.store import metadata

standard_versions = Table(
    "standard_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, index=True),
    Column("version", String(16), nullable=False),
    # what changes, as a rule pack would say it: status, params (per customer type), window
    # in business days, owner
    Column("changes", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    # the replay over history beside it: per standard hits and subjects gained and lost
    Column("replay", JSON, nullable=False),
    Column("base_pack", String(96), nullable=False),  # the pack label it was proposed against
    Column("effective_from", Date, nullable=False),
    Column("state", String(12), nullable=False, index=True),  # pending|approved|rejected|withdrawn
    Column("proposed_by", String(64), nullable=False),
    Column("proposed_at", DateTime, nullable=False),
    Column("decided_by", String(64)),
    Column("decided_at", DateTime),
    Column("decision_note", Text),
)

STATES = {"pending": "待审批", "approved": "已生效", "rejected": "已驳回", "withdrawn": "已撤回"}


@dataclass(frozen=True, slots=True)
class StandardVersion:
    """One proposed (or decided) version of a standard."""

    id: int
    code: str
    version: str
    changes: dict[str, Any]
    reason: str
    replay: dict[str, Any]
    base_pack: str
    effective_from: dt.date
    state: str
    proposed_by: str
    proposed_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str | None


def _row(row: Any) -> StandardVersion:
    return StandardVersion(**dict(row._mapping))


def add(con: Connection, **values: Any) -> int:
    key = con.execute(insert(standard_versions).values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def one(con: Connection, version_id: int) -> StandardVersion | None:
    row = con.execute(select(standard_versions).where(standard_versions.c.id == version_id)).first()
    return None if row is None else _row(row)


def listed(con: Connection, state: str | None = None) -> list[StandardVersion]:
    query = select(standard_versions).order_by(standard_versions.c.id.desc())
    if state is not None:
        query = query.where(standard_versions.c.state == state)
    return [_row(r) for r in con.execute(query)]


def decide(con: Connection, version_id: int, **values: Any) -> None:
    con.execute(
        update(standard_versions).where(standard_versions.c.id == version_id).values(**values)
    )
