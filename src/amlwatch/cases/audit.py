"""The audit trail: an append-only, hash-chained log of logins, case views, downloads,
decisions and setting changes.

Each entry's hash covers its own content and the previous entry's hash, so changing,
removing or reordering any entry breaks every hash after it: `verify` finds the first one.
The chain's head row is locked by each append, so concurrent appends queue in one order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from amlwatch.cases.store import CaseStore
from amlwatch.cases.tables import audit_anchor, audit_head, audit_log

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: dt.datetime
    username: str
    action: str
    target: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """What `verify` found."""

    entries: int
    broken_at: int | None = None  # the first entry whose hash does not hold
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def entry_hash(
    seq: int,
    at: dt.datetime,
    username: str,
    action: str,
    target: str,
    detail: dict[str, Any],
    prev_hash: str,
) -> str:
    content = [seq, at.isoformat(timespec="microseconds"), username, action, target, detail]
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + text).encode()).hexdigest()


def append(con: Connection, username: str, action: str, target: str = "", **detail: Any) -> int:
    """Append one entry inside the caller's transaction; its sequence number."""
    head = con.execute(
        select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1).with_for_update()
    ).one()
    seq = int(head.seq) + 1
    at = dt.datetime.now().replace(tzinfo=None)
    clean = json.loads(json.dumps(detail, default=str))  # what the database will give back
    digest = entry_hash(seq, at, username, action, target, clean, head.hash)
    con.execute(
        insert(audit_log).values(
            seq=seq,
            at=at,
            username=username,
            action=action,
            target=target,
            detail=clean,
            prev_hash=head.hash,
            hash=digest,
        )
    )
    con.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=seq, hash=digest))
    return seq


def verify(store: CaseStore, batch: int = 5000) -> ChainCheck:
    """Recompute the chain from the first entry (after a retention purge, from the last
    entry purged: the anchor); the first entry that does not hold."""
    previous, expected_seq, count = GENESIS, 1, 0
    with store.read() as con:
        head = con.execute(select(audit_head.c.seq, audit_head.c.hash)).one()
        anchor = con.execute(select(audit_anchor.c.seq, audit_anchor.c.hash)).first()
        if anchor is not None:
            previous, expected_seq = anchor.hash, anchor.seq + 1
        last_seq = expected_seq - 1
        while True:
            rows = con.execute(
                select(audit_log)
                .where(audit_log.c.seq > last_seq)
                .order_by(audit_log.c.seq)
                .limit(batch)
            ).all()
            if not rows:
                break
            for row in rows:
                count += 1
                if row.seq != expected_seq:
                    return ChainCheck(count, expected_seq, f"entry {expected_seq} is missing")
                if row.prev_hash != previous:
                    return ChainCheck(count, row.seq, "does not follow the entry before it")
                recomputed = entry_hash(
                    row.seq, row.at, row.username, row.action, row.target, row.detail, previous
                )
                if recomputed != row.hash:
                    return ChainCheck(count, row.seq, "its content does not match its hash")
                previous, expected_seq, last_seq = row.hash, row.seq + 1, row.seq
    if head.seq != expected_seq - 1 or head.hash != previous:
        return ChainCheck(count, expected_seq, "entries after the last one were removed")
    return ChainCheck(count)


def entries(
    store: CaseStore,
    limit: int = 200,
    before: int | None = None,
    action: str | None = None,
    username: str | None = None,
) -> list[AuditEntry]:
    """Newest entries first, optionally before a sequence number and of one action / user."""
    query = select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)
    if before is not None:
        query = query.where(audit_log.c.seq < before)
    if action:
        query = query.where(audit_log.c.action == action)
    if username:
        query = query.where(audit_log.c.username == username)
    with store.read() as con:
        return [AuditEntry(**row._asdict()) for row in con.execute(query)]


def count_by_action(store: CaseStore, actions: Sequence[str]) -> dict[str, int]:
    with store.read() as con:
        rows = con.execute(
            select(audit_log.c.action, func.count())
            .where(audit_log.c.action.in_(list(actions)))
            .group_by(audit_log.c.action)
        )
        return {str(a): int(n) for a, n in rows}
