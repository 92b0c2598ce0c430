"""The record of every regulatory file: daily numbers, files, the business keys they carry,
and what the regulator's receipts said.

Numbers are taken and the files recorded in one transaction, before anything is written, so
a number is never used twice: a crash after the allocation leaves an `allocated` record (the
number stays spent) and a re-run takes the next ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    and_,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection

from amlwatch.cases.audit import append as audit
from amlwatch.cases.store import CaseStore, metadata
from amlwatch.models import in_china

counters = Table(
    "submission_counters",
    metadata,
    Column("day", Date, primary_key=True),
    Column("counter", String(8), primary_key=True),  # message | package
    Column("last", Integer, nullable=False),
)
files = Table(
    "submission_files",
    metadata,
    Column("name", String(35), primary_key=True),  # the stem: NBHC…-yyyymmdd-nnnnnnnn
    Column("family", String(3), nullable=False),  # NBH, CBH, DBH, NBS, CBS
    Column("day", Date, nullable=False),
    Column("number", Integer, nullable=False),
    Column("purpose", String(24), nullable=False),  # nightly | correction | deletion | …
    Column("run_date", Date),
    Column("answers", String(64)),  # the receipt or notice this file answers
    Column("records", Integer, nullable=False),
    # a data package: the stem and ".ZIP", 39 characters; SQLite keeps the first migration's
    # 35, a length it never enforces (widening it would rebuild a table others refer to)
    Column("package", String(40).with_variant(String(35), "sqlite")),
    Column("path", Text),
    Column("status", String(24), nullable=False),
    Column("status_at", DateTime, nullable=False),
    Column("detail", JSON),
    Column("created_at", DateTime, nullable=False),
    Column("uploaded_at", DateTime),  # the upload register: who put it on the regulator's
    Column("uploaded_by", String(64)),  # system, and when
)
keys = Table(
    "submission_keys",
    metadata,
    Column("name", String(35), ForeignKey("submission_files.name"), nullable=False, index=True),
    Column("customer", String(32), nullable=False),
    Column("day", String(8), nullable=False),
    Column("code", String(4), nullable=False),
    Column("txn_id", String(256), nullable=False),
    Column("digest", String(64), nullable=False),  # of the record as sent; "deleted" for D
)
receipts = Table(
    "submission_receipts",
    metadata,
    Column("receipt", String(80), primary_key=True),
    Column("name", String(35), nullable=False, index=True),
    Column("result", String(24), nullable=False),
    Column("landed_at", DateTime, nullable=False),
    Column("detail", JSON),
    Column("read_at", DateTime, nullable=False),
)

LARGE_VALUE_FAMILIES = ("NBH", "CBH", "DBH")  # new, correction, deletion

# a file never uploaded, or never finished; re-runs supersede these (never an uploaded one)
PENDING = ("allocated", "written")
# what the regulator holds or may hold: an uploaded file waiting for its receipt, an accepted
# one, one with a correction request (its records are corrected, not sent again)
HELD = ("uploaded", "accepted", "correction requested", "receipt mismatch")


@dataclass(slots=True)
class Planned:
    """A file to number and record: its family, purpose and the keys it carries."""

    family: str
    purpose: str
    records: int
    run_date: dt.date | None = None
    answers: str | None = None
    keys: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # key + digest
    name: str = ""  # filled by `reserve`, unless the spec fixes it (a correction's C name)


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One recorded file."""

    name: str
    family: str
    purpose: str
    run_date: dt.date | None
    answers: str | None
    records: int
    package: str | None
    path: str | None
    status: str
    status_at: dt.datetime
    detail: Any
    uploaded_at: dt.datetime | None = None
    uploaded_by: str | None = None
    day: dt.date | None = None  # the message's date


class SubmissionLedger:
    """The submission tables of the case store."""

    def __init__(self, store: CaseStore) -> None:
        self.store = store

    def reserve(
        self, day: dt.date, institution: str, planned: Sequence[Planned], packages: int
    ) -> list[int]:
        """Number the planned files and `packages` ZIPs of `day` and record them, in one
        transaction. Returns the package numbers; planned files get their `name`."""
        now = dt.datetime.now()
        with self.store.write() as con:
            numbered = [p for p in planned if not p.name]
            first = _take(con, day, "message", len(numbered))
            for offset, plan in enumerate(numbered):
                plan.name = f"{plan.family}{institution}-{day:%Y%m%d}-{first + offset:08d}"
            first_package = _take(con, day, "package", packages)
            for plan in planned:
                number = int(plan.name[-8:])
                # a correction sent again keeps its name (spec §5.2.3): the record is replaced
                con.execute(keys.delete().where(keys.c.name == plan.name))
                con.execute(files.delete().where(files.c.name == plan.name))
                con.execute(
                    insert(files).values(
                        name=plan.name,
                        family=plan.family,
                        day=day,
                        number=number,
                        purpose=plan.purpose,
                        run_date=plan.run_date,
                        answers=plan.answers,
                        records=plan.records,
                        status="allocated",
                        status_at=now,
                        created_at=now,
                    )
                )
                if plan.keys:
                    con.execute(
                        insert(keys),
                        [
                            dict(
                                zip(("customer", "day", "code", "txn_id", "digest"), k, strict=True)
                            )
                            | {"name": plan.name}
                            for k in plan.keys
                        ],
                    )
        return [first_package + i for i in range(packages)]

    def written(self, name: str, path: str, package: str) -> None:
        """The file exists at `path`, inside `package`."""
        self._set(name, "written", path=path, package=package)

    def mark_uploaded(
        self, names: Sequence[str], by: str, at: dt.datetime | None = None
    ) -> list[FileRecord]:
        """Record that the files — message stems or package names — were uploaded by `by`;
        audited. Only written files can be; the files marked (a package's every message)."""
        at = at or dt.datetime.now()
        wanted = {n.upper().removesuffix(".XML").removesuffix(".ZIP") for n in names}
        with self.store.write() as con:
            rows = list(
                con.execute(
                    select(files.c.name, files.c.package, files.c.status).where(
                        files.c.name.in_(wanted) | files.c.package.in_([f"{n}.ZIP" for n in wanted])
                    )
                )
            )
            found = {r.name for r in rows} | {str(r.package).removesuffix(".ZIP") for r in rows}
            missing = sorted(wanted - found)
            if missing:
                raise LookupError(f"no such file or package: {', '.join(missing)}")
            wrong = [f"{r.name} ({r.status})" for r in rows if r.status != "written"]
            if wrong:
                raise ValueError(
                    f"只有已生成、未上报的文件可标记为已上报 / only written files: {', '.join(wrong)}"
                )
            marked = sorted(r.name for r in rows)
            con.execute(
                update(files)
                .where(files.c.name.in_(marked))
                .values(status="uploaded", status_at=at, uploaded_at=at, uploaded_by=by)
            )
            audit(con, by, "files uploaded", "submission", files=marked)
        return [r for r in self.files(where=files.c.name.in_(marked))]

    def moved(self, name: str, path: str) -> None:
        """The file now lives at `path` (archived after upload)."""
        with self.store.write() as con:
            con.execute(update(files).where(files.c.name == name).values(path=path))

    def supersede_pending(self, run_date: dt.date, purpose: str) -> list[str]:
        """Mark the unanswered files of an earlier run of `run_date` superseded."""
        with self.store.write() as con:
            names = [
                r[0]
                for r in con.execute(
                    select(files.c.name).where(
                        and_(
                            files.c.run_date == run_date,
                            files.c.purpose == purpose,
                            files.c.status.in_(PENDING),
                        )
                    )
                )
            ]
            if names:
                con.execute(
                    update(files)
                    .where(files.c.name.in_(names))
                    .values(status="superseded", status_at=dt.datetime.now())
                )
        return names

    def held_keys(self, days: Iterable[str]) -> dict[tuple[str, str, str, str], str]:
        """The large-value keys of those days the regulator holds, with the digest of what it
        holds (the latest accepted file wins; a deletion removes the key)."""
        query = (
            select(keys.c.customer, keys.c.day, keys.c.code, keys.c.txn_id, keys.c.digest)
            .join(files, files.c.name == keys.c.name)
            .where(and_(keys.c.day.in_(list(days)), files.c.status.in_(HELD)))
            .order_by(files.c.status_at, files.c.name)
        )
        held: dict[tuple[str, str, str, str], str] = {}
        with self.store.read() as con:
            for customer, day, code, txn_id, digest in con.execute(query):
                key = (customer, day, code, txn_id)
                if digest == "deleted":
                    held.pop(key, None)
                else:
                    held[key] = digest
        return held

    def first_filed(self, days: Iterable[str]) -> dict[tuple[str, str, str, str], dt.date]:
        """When each large-value key of those days was first filed: the date of the first
        new or correction file carrying it that was written and not superseded."""
        query = (
            select(keys.c.customer, keys.c.day, keys.c.code, keys.c.txn_id, files.c.day)
            .join(files, files.c.name == keys.c.name)
            .where(
                and_(
                    keys.c.day.in_(list(days)),
                    files.c.family.in_(("NBH", "CBH")),
                    files.c.status.not_in(("allocated", "superseded")),
                )
            )
        )
        first: dict[tuple[str, str, str, str], dt.date] = {}
        with self.store.read() as con:
            for customer, day, code, txn_id, filed in con.execute(query):
                key = (customer, day, code, txn_id)
                first[key] = min(first.get(key, filed), filed)
        return first

    def first_uploaded(self, days: Iterable[str]) -> dict[tuple[str, str, str, str], dt.date]:
        """When each large-value key of those days first reached the regulator: the upload
        (Beijing date) of the first new or correction file carrying it that the regulator
        holds (uploaded, and not refused by a receipt)."""
        query = (
            select(keys.c.customer, keys.c.day, keys.c.code, keys.c.txn_id, files.c.uploaded_at)
            .join(files, files.c.name == keys.c.name)
            .where(and_(keys.c.day.in_(list(days)), files.c.family.in_(("NBH", "CBH")),
                        files.c.status.in_(HELD), files.c.uploaded_at.is_not(None)))
        )  # fmt: skip
        first: dict[tuple[str, str, str, str], dt.date] = {}
        with self.store.read() as con:
            for customer, day, code, txn_id, at in con.execute(query):
                key, on = (customer, day, code, txn_id), in_china(at).date()
                first[key] = min(first.get(key, on), on)
        return first

    def earliest_day(self, name: str) -> dt.date | None:
        """The earliest trade date of a large-value file's records."""
        with self.store.read() as con:
            day = con.execute(select(func.min(keys.c.day)).where(keys.c.name == name)).scalar()
        return dt.datetime.strptime(day, "%Y%m%d").date() if day else None

    def keys_of(self, name: str) -> list[tuple[str, str, str, str]]:
        with self.store.read() as con:
            rows = con.execute(
                select(keys.c.customer, keys.c.day, keys.c.code, keys.c.txn_id).where(
                    keys.c.name == name
                )
            )
            return [tuple(r) for r in rows]  # type: ignore[misc]

    def record_receipt(
        self, receipt: str, name: str, result: str, landed_at: dt.datetime, detail: Any
    ) -> bool:
        """Store a receipt and set its file's status; False when it was read before."""
        with self.store.write() as con:
            seen = con.execute(select(receipts.c.receipt).where(receipts.c.receipt == receipt))
            if seen.first() is not None:
                return False
            con.execute(
                insert(receipts).values(
                    receipt=receipt,
                    name=name,
                    result=result,
                    landed_at=landed_at,
                    detail=detail,
                    read_at=dt.datetime.now(),
                )
            )
            con.execute(
                update(files)
                .where(files.c.name == name)
                .values(status=result, status_at=landed_at, detail=detail)
            )
        return True

    def file(self, name: str) -> FileRecord | None:
        found = self.files(where=files.c.name == name)
        return found[0] if found else None

    def files(self, where: Any = None, limit: int | None = None) -> list[FileRecord]:
        """Recorded files, newest first."""
        query = select(files).order_by(files.c.created_at.desc(), files.c.name.desc())
        if where is not None:
            query = query.where(where)
        if limit:
            query = query.limit(limit)
        with self.store.read() as con:
            return [
                FileRecord(
                    r.name,
                    r.family,
                    r.purpose,
                    r.run_date,
                    r.answers,
                    r.records,
                    r.package,
                    r.path,
                    r.status,
                    r.status_at,
                    r.detail,
                    r.uploaded_at,
                    r.uploaded_by,
                    r.day,
                )
                for r in con.execute(query)
            ]

    def answered(self, answers: str) -> list[FileRecord]:
        """The files answering a receipt or notice."""
        return self.files(where=files.c.answers == answers)

    def _set(self, name: str, status: str, **values: Any) -> None:
        with self.store.write() as con:
            con.execute(
                update(files)
                .where(files.c.name == name)
                .values(status=status, status_at=dt.datetime.now(), **values)
            )


def _take(con: Connection, day: dt.date, counter: str, count: int) -> int:
    """Advance a daily counter by `count`; the first number taken."""
    where = and_(counters.c.day == day, counters.c.counter == counter)
    # the UPDATE takes the write lock first, so concurrent writers queue behind it
    updated = con.execute(update(counters).where(where).values(last=counters.c.last + count))
    if updated.rowcount == 0:
        con.execute(insert(counters).values(day=day, counter=counter, last=count))
        return 1
    last = con.execute(select(counters.c.last).where(where)).scalar_one()
    return int(last) - count + 1


def ledger_rows(records: Sequence[FileRecord]) -> list[dict[str, Any]]:
    """Records as plain rows (for tables and JSON)."""
    return [
        {
            "name": r.name,
            "family": r.family,
            "purpose": r.purpose,
            "run_date": r.run_date,
            "records": r.records,
            "package": r.package,
            "status": r.status,
            "status_at": r.status_at,
        }
        for r in records
    ]
