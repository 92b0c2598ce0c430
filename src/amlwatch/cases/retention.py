"""Retention in the case store: finished cases, finished regulator files, answered notices and
the audit log older than the policy go; an open case or an unfinished filing is held.

`plan` says what would go and what is held (and why); `purge` removes exactly what `plan`
found, in one transaction with its audit entry. The append-only tables (audit log, evidence
snapshots) let rows go only through the retention gate opened inside that transaction, and
only rows older than the policy's cutoff; the audit chain is then checked from its anchor,
the last entry purged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, not_, or_, select

from amlwatch.cases import seals
from amlwatch.cases.audit import append as audit
from amlwatch.cases.notices import notices
from amlwatch.cases.store import CaseStore
from amlwatch.cases.submissions import files, keys, receipts
from amlwatch.cases.tables import (
    audit_anchor,
    audit_log,
    case_alerts,
    case_events,
    case_keys,
    case_members,
    case_notes,
    case_snapshots,
    cases,
    retention_gate,
    snoozes,
)

# a case is finished when it can change no more: dismissed, or its report accepted
FINISHED_CASES = ("dismissed", "accepted")
# a file is finished when the regulator accepted it, or it was superseded before any upload
FINISHED_FILES = ("accepted", "superseded")


@dataclass(slots=True)
class CaseStorePlan:
    """What a purge at `cutoff` removes from the case store, and what it holds back."""

    cutoff: dt.date
    case_ids: list[int] = field(default_factory=list)
    file_names: list[str] = field(default_factory=list)
    file_paths: list[str] = field(default_factory=list)  # their XML and ZIP on disk
    notice_names: list[str] = field(default_factory=list)
    audit_upto: int = 0  # the audit entries 1…audit_upto (after the anchor) go
    audit_entries: int = 0
    snoozes: int = 0
    held: dict[str, list[str]] = field(default_factory=dict)  # reason → what
    # what the warehouse must keep for the case store's held items
    open_alerts: list[str] = field(default_factory=list)
    open_customers: list[str] = field(default_factory=list)
    held_keys: list[tuple[str, str, str, str]] = field(default_factory=list)
    kept_alerts: list[str] = field(default_factory=list)  # alerts of every case kept

    def counts(self) -> dict[str, int]:
        return {
            "cases": len(self.case_ids),
            "submission_files": len(self.file_names),
            "submission_notices": len(self.notice_names),
            "snoozes": self.snoozes,
            "audit_log": self.audit_entries,
        }


def _before(cutoff: dt.date) -> dt.datetime:
    return dt.datetime.combine(cutoff, dt.time())


def _alerts(con: Connection, where: Any) -> list[str]:
    """The alerts of the cases `where` selects (a case is one alert per standard that hit)."""
    query = (
        select(case_alerts.c.alert_id)
        .join(cases, cases.c.id == case_alerts.c.case_id)
        .where(where)
        .order_by(case_alerts.c.alert_id)
    )
    return [str(a) for a in con.execute(query).scalars()]


def plan(store: CaseStore, cutoff: dt.date) -> CaseStorePlan:
    """What is older than `cutoff` and may go, and what is held back and why."""
    with store.read() as con:
        return _plan(con, cutoff)


def _plan(con: Connection, cutoff: dt.date) -> CaseStorePlan:
    out = CaseStorePlan(cutoff)
    before = _before(cutoff)
    open_cases = con.execute(
        select(cases.c.id, cases.c.alert_id, cases.c.customer_id, cases.c.updated_at).where(
            cases.c.state.not_in(FINISHED_CASES)
        )
    ).all()
    out.open_alerts = _alerts(con, cases.c.state.not_in(FINISHED_CASES))
    out.open_customers = sorted({str(c.customer_id) for c in open_cases})
    old_open = [f"case #{c.id}" for c in open_cases if c.updated_at < before]
    if old_open:
        out.held["open case (未结案件)"] = old_open
    old_case = or_(cases.c.decided_at < before, cases.c.decided_at.is_(None))
    out.case_ids = [
        int(i)
        for i in con.execute(
            select(cases.c.id).where(
                cases.c.state.in_(FINISHED_CASES), cases.c.updated_at < before, old_case
            )
        ).scalars()
    ]
    out.kept_alerts = _alerts(con, cases.c.id.not_in(out.case_ids))
    old_files = con.execute(
        select(files.c.name, files.c.status, files.c.answers, files.c.path, files.c.package).where(
            files.c.day < cutoff
        )
    ).all()
    open_answers = set(out.open_alerts)
    unfinished = []
    for record in old_files:
        if record.status not in FINISHED_FILES:
            unfinished.append(f"{record.name} ({record.status})")
        elif record.answers in open_answers:
            out.held.setdefault("report of an open case (未结案件的报告)", []).append(record.name)
        else:
            out.file_names.append(str(record.name))
            if record.path:
                out.file_paths.append(str(record.path))
                if record.package:
                    out.file_paths.append(str(Path(record.path).with_name(record.package)))
    if unfinished:
        out.held["unfinished filing (未完成的报送)"] = unfinished
    # every business key a file still held carries (any date): the warehouse keeps those rows
    out.held_keys = [
        (str(k.customer), str(k.day), str(k.code), str(k.txn_id))
        for k in con.execute(
            select(keys.c.customer, keys.c.day, keys.c.code, keys.c.txn_id)
            .join(files, files.c.name == keys.c.name)
            .where(files.c.status.not_in(FINISHED_FILES))
        ).all()
    ]
    out.notice_names = [
        str(n)
        for n in con.execute(
            select(notices.c.name).where(notices.c.answered_at < before, notices.c.day < cutoff)
        ).scalars()
    ]
    open_notices = con.execute(
        select(notices.c.name).where(notices.c.answered_by.is_(None), notices.c.day < cutoff)
    ).scalars()
    for name in open_notices:
        out.held.setdefault("unanswered notice (未应答通知)", []).append(str(name))
    out.snoozes = int(
        con.execute(
            select(func.count()).select_from(snoozes).where(_old_snooze(cutoff, before))
        ).scalar_one()
    )
    # the audit log goes as a prefix: every entry up to the first one younger than the cutoff
    first_young = con.execute(select(func.min(audit_log.c.seq)).where(audit_log.c.at >= before))
    young = first_young.scalar_one()
    old = select(func.max(audit_log.c.seq), func.count()).where(audit_log.c.at < before)
    if young is not None:
        old = old.where(audit_log.c.seq < young)
    upto, count = con.execute(old).one()
    out.audit_upto, out.audit_entries = int(upto or 0), int(count or 0)
    return out


def _old_snooze(cutoff: dt.date, before: dt.datetime) -> Any:
    return and_(snoozes.c.until < cutoff, snoozes.c.created_at < before)


def purge(store: CaseStore, cutoff: dt.date, by: str, **warehouse_counts: int) -> CaseStorePlan:
    """Remove what `plan` finds, in one transaction, and audit it with the counts (the
    warehouse's too, when given)."""
    with store.write() as con:
        found = _plan(con, cutoff)
        before = _before(cutoff)
        if found.case_ids:
            con.execute(delete(case_events).where(case_events.c.case_id.in_(found.case_ids)))
            con.execute(insert(retention_gate).values(table_name="case_snapshots", before=before))
            con.execute(delete(case_snapshots).where(case_snapshots.c.case_id.in_(found.case_ids)))
            con.execute(delete(case_keys).where(case_keys.c.case_id.in_(found.case_ids)))
            con.execute(delete(case_alerts).where(case_alerts.c.case_id.in_(found.case_ids)))
            con.execute(delete(case_members).where(case_members.c.case_id.in_(found.case_ids)))
            con.execute(delete(case_notes).where(case_notes.c.case_id.in_(found.case_ids)))
            con.execute(delete(cases).where(cases.c.id.in_(found.case_ids)))
        if found.file_names:
            con.execute(delete(keys).where(keys.c.name.in_(found.file_names)))
            con.execute(delete(receipts).where(receipts.c.name.in_(found.file_names)))
            con.execute(delete(files).where(files.c.name.in_(found.file_names)))
        if found.notice_names:
            con.execute(delete(notices).where(notices.c.name.in_(found.notice_names)))
        con.execute(delete(snoozes).where(_old_snooze(cutoff, before)))
        if found.audit_entries:
            last = con.execute(
                select(audit_log.c.seq, audit_log.c.hash).where(audit_log.c.seq == found.audit_upto)
            ).one()
            con.execute(insert(retention_gate).values(table_name="audit_log", before=before))
            con.execute(delete(audit_log).where(audit_log.c.seq <= found.audit_upto))
            con.execute(delete(audit_anchor))
            con.execute(
                insert(audit_anchor).values(
                    id=1, seq=last.seq, hash=last.hash, purged_at=dt.datetime.now()
                )
            )
        con.execute(delete(retention_gate))
        resealed = seals.seal_missing(con, by)  # what kept records' purged seals covered
        audit(
            con,
            by,
            "retention purge",
            "case store",
            cutoff=cutoff,
            removed=found.counts(),
            case_ids=found.case_ids,
            resealed=resealed,
            held={reason: len(what) for reason, what in found.held.items()},
            warehouse=warehouse_counts,
        )
    return found


def recorded_paths(store: CaseStore) -> set[str]:
    """The paths of every file the ledger still records (what a purge of folders keeps)."""
    with store.read() as con:
        rows = con.execute(select(files.c.path).where(not_(files.c.path.is_(None)))).scalars()
        return {str(p) for p in rows}


def record(store: CaseStore, by: str, target: str, **detail: Any) -> None:
    """An audit entry of a purge step outside the case store (the warehouse, the folders)."""
    with store.write() as con:
        audit(con, by, "retention purge", target, **detail)
