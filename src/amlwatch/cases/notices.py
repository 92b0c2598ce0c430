"""The regulator's manual-correction and information-supplement notices, tracked to their
deadline (TMLM): received (read from the receipts folder, or when answered) → answered (the
file that answers it). An open notice is an action with its deadline until its answer is
written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Column, Date, DateTime, String, Table, Text, insert, select, update

from amlwatch.cases.audit import append as audit
from amlwatch.cases.store import CaseStore, metadata

notices = Table(
    "submission_notices",
    metadata,
    Column("name", String(40), primary_key=True),  # ABHC…-yyyymmdd-nnnnnnnn
    Column("kind", String(1), nullable=False),  # A correction | S supplement
    Column("report", String(2), nullable=False),  # BH | BS | BT
    Column("day", Date, nullable=False),
    Column("deadline", Date),  # TMLM
    Column("request", Text, nullable=False),  # RQDS
    Column("path", Text),
    Column("received_at", DateTime, nullable=False),
    Column("answered_by", String(35)),  # the answering message's stem
    Column("answered_at", DateTime),
)


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    name: str
    kind: str
    report: str
    day: dt.date
    deadline: dt.date | None
    request: str
    path: str | None
    received_at: dt.datetime
    answered_by: str | None = None
    answered_at: dt.datetime | None = None


def record(
    store: CaseStore,
    name: str,
    kind: str,
    report: str,
    day: dt.date,
    deadline: dt.date | None,
    request: str,
    path: str | None,
) -> bool:
    """Record a notice as received (audited); False when it was recorded before."""
    with store.write() as con:
        if con.execute(select(notices.c.name).where(notices.c.name == name)).first():
            return False
        con.execute(
            insert(notices).values(
                name=name,
                kind=kind,
                report=report,
                day=day,
                deadline=deadline,
                request=request,
                path=path,
                received_at=dt.datetime.now(),
            )
        )
        audit(con, "system", "notice received", name, deadline=deadline, request=request)
        return True


def answered(store: CaseStore, name: str, by_file: str) -> None:
    """The notice `name` is answered by the message `by_file`."""
    with store.write() as con:
        con.execute(
            update(notices)
            .where(notices.c.name == name)
            .values(answered_by=by_file, answered_at=dt.datetime.now())
        )


def get(store: CaseStore, name: str) -> NoticeRecord | None:
    with store.read() as con:
        row = con.execute(select(notices).where(notices.c.name == name)).first()
    return NoticeRecord(**row._asdict()) if row else None


def open_notices(store: CaseStore) -> list[NoticeRecord]:
    """The notices not answered yet, earliest deadline first."""
    with store.read() as con:
        rows = con.execute(
            select(notices)
            .where(notices.c.answered_by.is_(None))
            .order_by(notices.c.deadline, notices.c.name)
        ).all()
    return [NoticeRecord(**row._asdict()) for row in rows]
