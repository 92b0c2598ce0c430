"""The audit trail: an append-only, hash-chained log of logins, case views, downloads,
decisions and setting changes.

Each entry's hash covers its own content and the previous entry's hash, so changing,
removing or reordering any entry breaks every hash after it: `verify` finds the first one.
With the audit key (kept outside the database, `signing`) each hash is also MAC'd, so an
entry changed and the chain recomputed does not verify either; the checkpoint file (outside
the database too) catches the newest entries removed and the head reset; the seals (`seals`)
tie the cases, their events and the users to the chain. The chain's head row is locked by
each append, so concurrent appends queue in one order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from amlwatch.cases import signing
from amlwatch.cases.store import AUDIT_HEAD, CaseStore
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
    mac: str | None = None


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """What `verify` found."""

    entries: int
    broken_at: int | None = None  # the first entry whose hash does not hold
    reason: str = ""
    problems: tuple[str, ...] = ()  # checkpoints, seals
    signed: bool = False  # whether the entries' MACs were checked with the key

    @property
    def ok(self) -> bool:
        return self.broken_at is None and not self.problems


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
    key = con.get_execution_options().get("amlwatch_audit_key")
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
            mac=signing.mac(key, digest) if key else None,
        )
    )
    con.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=seq, hash=digest))
    if key:  # the store anchors the head its transaction reached once it commits
        con.info[AUDIT_HEAD] = (seq, digest)
    return seq


def verify(store: CaseStore, checkpoints: Path | None = None, batch: int = 5000) -> ChainCheck:
    """Recompute the chain from the first entry (after a retention purge, from the last
    entry purged: the anchor), check each entry's MAC with the store's audit key, the chain's
    head against every checkpoint of the `checkpoints` file and the seals of the cases, their
    events and the users; the first entry that does not hold and every other problem."""
    key = store.audit_key
    marks, problems = signing.read_checkpoints(checkpoints) if checkpoints else ([], [])
    signed_from = next((m.seq for m in marks if m.kind == signing.KEY_CREATED), None)
    if signed_from is None and key is not None and marks:  # a key kept as a secret: signed
        signed_from = min(m.seq for m in marks)  # from the first head anchored with it
    previous, expected_seq, count = GENESIS, 1, 0
    with store.read() as con:
        head = con.execute(select(audit_head.c.seq, audit_head.c.hash)).one()
        anchor = con.execute(select(audit_anchor.c.seq, audit_anchor.c.hash)).first()
        if anchor is not None:
            previous, expected_seq = anchor.hash, anchor.seq + 1
        last_seq = expected_seq - 1
        seen_signed = False
        hashes = {m.seq: "" for m in marks}  # the hashes of the checkpointed entries
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
                broken = _broken(row, expected_seq, previous)
                if broken is None and key is not None:
                    broken = _unsigned(row, key, seen_signed, signed_from)
                if broken is not None:
                    at = (
                        expected_seq if row.seq != expected_seq else row.seq
                    )  # a gap: the first missing
                    return ChainCheck(count, at, broken, tuple(problems), key is not None)
                seen_signed = seen_signed or row.mac is not None
                if row.seq in hashes:
                    hashes[row.seq] = row.hash
                previous, expected_seq, last_seq = row.hash, row.seq + 1, row.seq
        if head.seq != expected_seq - 1 or head.hash != previous:
            reason = "最后一条之后的记录被删除 / entries after the last one were removed"
            return ChainCheck(count, expected_seq, reason, tuple(problems), key is not None)
        if key is None and seen_signed:
            problems.append(
                "记录已签名，但未配置审计密钥，无法校验 / the entries are signed but no audit key "
                "is configured to check them"
            )
        floor = anchor.seq if anchor is not None else 0
        if key is not None and checkpoints is not None and not marks and head.seq > floor:
            problems.append(
                f"检查点文件为空或缺失：有审计密钥时它记录每次写入后的链头，清空即篡改 / the "
                f"checkpoint file {checkpoints.name} is empty or missing although an audit key "
                "exists: emptied or replaced"
            )
        for mark in marks:
            problems += _checkpoint_problems(mark, key, head.seq, floor, hashes.get(mark.seq))
        from amlwatch.cases import seals  # seals append entries: they import this module

        purged = _purged_cases(con)
        problems += seals.check(con, purged, required=signed_from is not None)
    return ChainCheck(count, None, "", tuple(problems), key is not None)


def _broken(row: Any, expected_seq: int, previous: str) -> str | None:
    if row.seq != expected_seq:
        return f"第 {expected_seq} 条记录缺失 / entry {expected_seq} is missing"
    if row.prev_hash != previous:
        return "与前一条记录不衔接 / does not follow the entry before it"
    recomputed = entry_hash(
        row.seq, row.at, row.username, row.action, row.target, row.detail, previous
    )
    if recomputed != row.hash:
        return "内容与其哈希不符（被修改）/ its content does not match its hash"
    return None


def _unsigned(row: Any, key: bytes, seen_signed: bool, signed_from: int | None) -> str | None:
    if row.mac is None:
        if seen_signed or (signed_from is not None and row.seq > signed_from):
            return (
                "未签名：MAC 被删除，或未用审计密钥写入 / it is not signed: its MAC was "
                "removed, or it was written without the key"
            )
        return None
    if not hmac.compare_digest(signing.mac(key, row.hash), row.mac):
        return "MAC 不符：被修改后重新链接，或伪造 / its MAC does not match: changed and re-chained, or forged"
    return None


def _checkpoint_problems(
    mark: signing.Checkpoint, key: bytes | None, head_seq: int, floor: int, found: str | None
) -> list[str]:
    where = (
        f"检查点 {mark.at}（第 {mark.line} 行，记录 {mark.seq}）/ checkpoint of {mark.at} "
        f"(line {mark.line}, entry {mark.seq})"
    )
    if key is not None and not mark.holds(key):
        return [f"{where}：被伪造 / is forged: its MAC does not match"]
    if mark.seq > head_seq:
        return [
            f"记录被删除：{where} 见过它们 / entries {head_seq + 1}–{mark.seq} were removed: the {where} saw them"
        ]
    if mark.seq > floor and found != mark.hash:
        return [
            f"记录 {mark.seq} 已不是 {where} 所记录的 / entry {mark.seq} is not the one the {where} recorded"
        ]
    return []


def _purged_cases(con: Connection) -> set[int]:
    """The cases a retention purge removed (their events and seals may be gone)."""
    rows = con.execute(
        select(audit_log.c.detail).where(audit_log.c.action == "retention purge")
    ).scalars()
    return {int(i) for detail in rows for i in (detail or {}).get("case_ids", [])}


def checkpoint(store: CaseStore, path: Path, kind: str = signing.CHECKPOINT) -> str:
    """Append the chain's head to the checkpoint file; the line (to print for the record)."""
    if store.audit_key is None:
        raise ValueError("no audit key: create it with `amlwatch audit init-key`")
    with store.read() as con:
        head = con.execute(select(audit_head.c.seq, audit_head.c.hash)).one()
    return signing.append_checkpoint(path, store.audit_key, int(head.seq), str(head.hash), kind)


def entries(
    store: CaseStore,
    limit: int = 200,
    before: int | None = None,
    action: str | None = None,
    username: str | None = None,
    without_cases: bool = False,
    without_actions: Sequence[str] = (),
) -> list[AuditEntry]:
    """Newest entries first, optionally before a sequence number and of one action / user;
    `without_cases`: none about a case or a snooze (what an administrator may read)."""
    query = select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)
    if without_actions:
        query = query.where(audit_log.c.action.not_in(list(without_actions)))
    if without_cases:
        for prefix in ("case:", "snooze:"):
            query = query.where(audit_log.c.target.not_like(f"{prefix}%"))
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
