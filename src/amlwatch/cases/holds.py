"""Records held back from a filing (待补正): the large-value records the validator refused —
an invalid ID number, a code not in the spec's tables — kept in the same register as the
files with their business key, reasons and deadline, until a later night's file carries them
(补报, under the same business key) or they stop being large-value records.

A hold is `held` → `filed` (the file that carried it) or `withdrawn` (no longer a hit). A
file superseded before upload gives its holds back (`reopen`), so a hold is never lost to a
re-run of the night that would have filed it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Date,
    DateTime,
    String,
    Table,
    and_,
    insert,
    select,
    update,
)

from amlwatch.cases.store import CaseStore, metadata
from amlwatch.cases.submissions import PENDING, files

holds = Table(
    "submission_holds",
    metadata,
    Column("customer", String(32), primary_key=True),
    Column("day", String(8), primary_key=True),  # yyyymmdd: the business key of the record
    Column("code", String(4), primary_key=True),
    Column("txn_id", String(256), primary_key=True),
    Column("family", String(3), nullable=False),  # NBH: a new record; CBH: its correction
    Column("run_date", Date, nullable=False),  # the night that first held it
    Column("due", Date),  # the record's own deadline (trade date + 5 working days)
    Column("reasons", JSON, nullable=False),
    Column("status", String(12), nullable=False, index=True),  # held | filed | withdrawn
    Column("held_at", DateTime, nullable=False),
    Column("checked_at", DateTime, nullable=False),  # the last night that checked it again
    Column("filed_in", String(35)),  # the message stem that carried it
    Column("filed_on", Date),  # that message's date: late when after `due`
    Column("resolved_at", DateTime),
)

Key = tuple[str, str, str, str]  # customer, yyyymmdd, characteristic, txn_id

STATUS_LABELS = {"held": "待补正", "filed": "已补报", "withdrawn": "已撤销（不再是大额交易）"}


@dataclass(frozen=True, slots=True)
class Hold:
    """One held record."""

    key: Key
    family: str
    run_date: dt.date
    due: dt.date | None
    reasons: list[str]
    status: str
    held_at: dt.datetime
    checked_at: dt.datetime
    filed_in: str | None
    filed_on: dt.date | None
    resolved_at: dt.datetime | None

    @property
    def late(self) -> bool | None:
        """Whether it was filed after its deadline (None while not filed)."""
        if self.status != "filed" or self.filed_on is None or self.due is None:
            return None
        return self.filed_on > self.due


class HoldRegister:
    """The held records of the case store."""

    def __init__(self, store: CaseStore) -> None:
        self.store = store

    def hold(
        self,
        records: Sequence[tuple[Key, str, dt.date | None, Sequence[str]]],
        run_date: dt.date,
    ) -> None:
        """Hold (key, family, due, reasons) records; a record held before keeps its first
        night and deadline, and gets tonight's reasons."""
        now = dt.datetime.now()
        with self.store.write() as con:
            for key, family, due, reasons in records:
                where = _where(key)
                found = con.execute(select(holds.c.status).where(where)).first()
                if found is None:
                    con.execute(
                        insert(holds).values(
                            **_columns(key),
                            family=family,
                            run_date=run_date,
                            due=due,
                            reasons=list(reasons),
                            status="held",
                            held_at=now,
                            checked_at=now,
                        )
                    )
                else:
                    con.execute(
                        update(holds)
                        .where(where)
                        .values(
                            family=family,  # a held new record may come back as a correction
                            reasons=list(reasons),
                            status="held",
                            checked_at=now,
                            filed_in=None,
                            filed_on=None,
                            resolved_at=None,
                        )
                    )

    def filed(self, keys: Iterable[Key], name: str, on: dt.date) -> None:
        """Those held records went out in file `name` of date `on`."""
        self._resolve(keys, "filed", name, on)

    def withdrawn(self, keys: Iterable[Key]) -> None:
        """Those held records are no longer large-value records: nothing to file."""
        self._resolve(keys, "withdrawn", None, None)

    def reopen(self, names: Sequence[str]) -> None:
        """Files superseded before upload: the records they carried out of hold are held again."""
        if not names:
            return
        with self.store.write() as con:
            con.execute(
                update(holds)
                .where(and_(holds.c.status == "filed", holds.c.filed_in.in_(list(names))))
                .values(status="held", filed_in=None, filed_on=None, resolved_at=None)
            )

    def to_retry(self, run_date: dt.date) -> list[Key]:
        """The records a filing of `run_date` must try again: those still held, and those
        that an unuploaded file of an earlier run of `run_date` carried (a re-run supersedes
        that file, so they are held again until tonight's file carries them)."""
        pending = select(files.c.name).where(
            and_(files.c.run_date == run_date, files.c.purpose == "nightly",
                 files.c.status.in_(PENDING))
        )  # fmt: skip
        query = select(holds.c.customer, holds.c.day, holds.c.code, holds.c.txn_id).where(
            (holds.c.status == "held")
            | ((holds.c.status == "filed") & holds.c.filed_in.in_(pending))
        )
        with self.store.read() as con:
            return [(r[0], r[1], r[2], r[3]) for r in con.execute(query)]

    def open(self) -> list[Hold]:
        """The records still held, oldest deadline first."""
        return self.all(status="held")

    def all(self, status: str | None = None, limit: int | None = None) -> list[Hold]:
        """Held records (of one status), oldest deadline first."""
        query = select(holds).order_by(holds.c.due, holds.c.day, holds.c.customer, holds.c.txn_id)
        if status:
            query = query.where(holds.c.status == status)
        if limit:
            query = query.limit(limit)
        with self.store.read() as con:
            return [
                Hold(
                    (r.customer, r.day, r.code, r.txn_id),
                    r.family,
                    r.run_date,
                    r.due,
                    list(r.reasons or []),
                    r.status,
                    r.held_at,
                    r.checked_at,
                    r.filed_in,
                    r.filed_on,
                    r.resolved_at,
                )
                for r in con.execute(query)
            ]

    def _resolve(
        self, keys: Iterable[Key], status: str, name: str | None, on: dt.date | None
    ) -> None:
        now = dt.datetime.now()
        with self.store.write() as con:
            for key in keys:
                con.execute(
                    update(holds)
                    .where(and_(_where(key), holds.c.status == "held"))
                    .values(
                        status=status, filed_in=name, filed_on=on, resolved_at=now, checked_at=now
                    )
                )


def _columns(key: Key) -> dict[str, str]:
    return dict(zip(("customer", "day", "code", "txn_id"), key, strict=True))


def _where(key: Key) -> ColumnElement[bool]:
    return and_(*(holds.c[name] == value for name, value in _columns(key).items()))
