"""Filing: from rows to validated, numbered, recorded, packaged files.

`file_large_value` makes a run date's large-value submission: new records (N), corrections of
records the regulator already holds whose content changed since (C), and deletions of held
records that are no longer large-value after a corrected load (D). Everything is validated
before a number is taken; numbers and file records are taken in one transaction; files are
written atomically; an earlier unanswered submission of the same run date is superseded and
its files moved aside, so the folder holds exactly what to upload.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from amlwatch.cases.holds import HoldRegister
from amlwatch.cases.submissions import Planned, SubmissionLedger
from amlwatch.masking import mask_value
from amlwatch.models import Filing
from amlwatch.submission.dictionary import NA
from amlwatch.submission.messages import (
    Institution,
    LargeValueKey,
    Row,
    large_value_correction,
    large_value_deletion,
    large_value_new,
)
from amlwatch.submission.names import MessageName
from amlwatch.submission.package import (
    MAX_PACKAGE_BYTES,
    bins,
    compressed_size,
    write_file,
    write_zip,
)
from amlwatch.submission.screen import (
    HeldRecord,
    correction_paths,
    large_value_paths,
    screen,
)
from amlwatch.submission.structure import BSTR, CHTR, DHTR, HVTR, Data, Group, to_xml
from amlwatch.submission.validate import check

MAX_RECORDS_PER_MESSAGE = 10_000  # keeps each message well under a 5 MB package
MAX_SUSPICIOUS_XML = 500_000  # room a case's report keeps for its message beside its files


@dataclass(slots=True)
class _Message:
    family: str
    purpose: str
    xml: bytes
    records: int
    keys: list[tuple[str, str, str, str, str]]
    fixed_name: str = ""
    # a suspicious report's attachment package (spec §3): named as the message, .ZIP, in the
    # same data package
    attachments: bytes = b""


def record_digest(row: Row, institution: Institution) -> str:
    """A digest of what a hit's record says (so a changed record can be corrected)."""
    data = large_value_new(institution, [row])
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:32]


def _key(row: Row) -> LargeValueKey:
    return LargeValueKey(
        str(row["customer_id"]),
        f"{row['trade_date']:%Y%m%d}",
        str(row["characteristic_code"]),
        str(row["txn_id"]),
    )


def file_large_value(
    rows: Sequence[Row],
    trade_dates: Sequence[dt.date],
    institution: Institution,
    ledger: SubmissionLedger,
    folder: Path,
    run_date: dt.date,
    today: dt.date,
    max_records: int = MAX_RECORDS_PER_MESSAGE,
    retry: Sequence[Row] | None = None,
    due: Callable[[Row], dt.date | None] = lambda row: None,
) -> Filing:
    """Write the run date's large-value submission to `folder` (see the module docstring).

    Every record the validator refuses is held (待补正, in the ledger's hold register, with
    its reasons and `due` date) and the others are filed. `retry`: the rows, as the warehouse
    holds them now, of every record `HoldRegister.to_retry` names that is still a hit; those
    that pass now go out (补报, under their own business keys), the others stay held, and a
    held record with no row is withdrawn. Without `retry` the register's holds are left as
    they are (only tonight's records are held or filed)."""
    filing = Filing(folder)
    register = HoldRegister(ledger.store)
    # before the re-run gives its holds back
    waiting = set(register.to_retry(run_date)) if retry is not None else set()
    retry = retry or ()
    tonight = {_key(r) for r in rows}
    earlier = [r for r in retry if _key(r) not in tonight]
    if earlier:  # one message groups a customer's day: rows in (customer, day, code) order
        rows = sorted([*rows, *earlier], key=_order)
    days = sorted({f"{d:%Y%m%d}" for d in trade_dates} | {k.day for k in map(_key, rows)})
    held = ledger.held_keys(days)
    digests = {_key(r): record_digest(r, institution) for r in rows}
    fresh = [r for r in rows if business_key(r) not in held]
    changed = [r for r in rows if held.get(business_key(r), digests[_key(r)]) != digests[_key(r)]]
    current = {_astuple(k) for k in digests}
    tonight_days = {f"{d:%Y%m%d}" for d in trade_dates}
    gone = sorted(LargeValueKey(*k) for k in held if k not in current and k[1] in tonight_days)

    messages: list[_Message] = []
    refused: list[tuple[str, HeldRecord]] = []
    for chunk in _chunks(fresh, max_records):
        filed, out, xml = screen(chunk, partial(large_value_new, institution), HVTR,
                                 large_value_paths, "HVTR")  # fmt: skip
        refused += [("NBH", h) for h in out]
        if xml is not None:
            messages.append(_screened("NBH", xml, filed, digests))
    for chunk in _chunks(changed, max_records):
        filed, out, xml = screen(chunk, partial(large_value_correction, institution), CHTR,
                                 correction_paths, "CHTR")  # fmt: skip
        refused += [("CBH", h) for h in out]
        if xml is not None:
            messages.append(_screened("CBH", xml, filed, digests))
    for start in range(0, len(gone), max_records):
        part = gone[start : start + max_records]
        data = large_value_deletion(institution, part)
        xml = to_xml(DHTR, data)
        check(xml, "large-value deletion")
        keys = [(k.customer, k.day, k.code, k.txn_id, "deleted") for k in part]
        messages.append(_Message("DBH", "nightly", xml, len(part), keys))
    refused_keys = {_key(h.row) for _, h in refused}
    filing.new_records = sum(m.records for m in messages if m.family == "NBH")
    filing.corrected_records = sum(m.records for m in messages if m.family == "CBH")
    filing.deleted_records = len(gone)
    filing.held_records = len(refused)
    filing.held_keys = [business_key(h.row) for _, h in refused]
    filing.held = [
        f"{business_key(h.row)[1]} {family} {h.row['characteristic_code']} "
        f"{mask_value(str(h.row['customer_id']))}：{'；'.join(h.reasons)}"
        for family, h in refused
    ]
    sent = {k[:4] for m in messages for k in m.keys}
    filing.refiled_records = len({business_key(r) for r in earlier} & sent)

    filing.superseded = ledger.supersede_pending(run_date, "nightly")
    register.reopen(filing.superseded)
    _move_aside(folder, filing.superseded)
    _write(filing, messages, institution, ledger, folder, run_date, today)
    register.hold(
        [(business_key(h.row), family, due(h.row), h.reasons) for family, h in refused],
        run_date,
    )
    for message, name in zip(messages, filing.files, strict=True):
        register.filed([k[:4] for k in message.keys if k[:4] in waiting], name, today)
    # held before, and neither refused nor sent tonight: no longer a record to file
    register.withdrawn(waiting - sent - {_astuple(k) for k in refused_keys})
    return filing


def _order(row: Row) -> tuple[str, dt.date, str, dt.datetime, str]:
    return (
        str(row["customer_id"]),
        row["trade_date"],
        str(row["characteristic_code"]),
        row["booked_at"],
        str(row["txn_id"]),
    )


def _screened(
    family: str,
    xml: bytes,
    rows: Sequence[Row],
    digests: dict[LargeValueKey, str],
    purpose: str = "nightly",
) -> _Message:
    """A validated message of `rows`, with each record's key and digest for the ledger."""
    keys = [(*business_key(r), digests[_key(r)]) for r in rows]
    return _Message(family, purpose, xml, len(rows), keys)


def business_key(row: Row) -> tuple[str, str, str, str]:
    """A large-value record's business key (customer, yyyymmdd, characteristic, txn id)."""
    return _astuple(_key(row))


def _astuple(key: LargeValueKey) -> tuple[str, str, str, str]:
    return (key.customer, key.day, key.code, key.txn_id)


def _chunks(rows: Sequence[Row], size: int) -> list[list[Row]]:
    """Rows cut into messages of at most `size`, never splitting a customer's day."""
    chunks: list[list[Row]] = []
    current: list[Row] = []
    for i, row in enumerate(rows):
        boundary = i == 0 or (row["customer_id"], row["trade_date"]) != (
            rows[i - 1]["customer_id"],
            rows[i - 1]["trade_date"],
        )
        if boundary and len(current) >= size:
            chunks.append(current)
            current = []
        current.append(row)
    if current:
        chunks.append(current)
    return chunks


def _message(
    family: str,
    purpose: str,
    template: Group,
    data: Data,
    rows: Sequence[Row],
    digests: dict[LargeValueKey, str],
) -> _Message:
    xml = to_xml(template, data)
    check(xml, f"{template.tag} ({len(rows)} records)")
    return _screened(family, xml, rows, digests, purpose)


def _write(
    filing: Filing,
    messages: Sequence[_Message],
    institution: Institution,
    ledger: SubmissionLedger,
    folder: Path,
    run_date: dt.date | None,
    today: dt.date,
    answers: str | None = None,
) -> None:
    """Number, record, write and package validated messages."""
    if not messages:
        return
    plans = [
        Planned(m.family, m.purpose, m.records, run_date, answers, m.keys, m.fixed_name)
        for m in messages
    ]
    groups: list[tuple[str, list[int]]] = []
    for family in dict.fromkeys(m.family for m in messages):
        members = [i for i, m in enumerate(messages) if m.family == family]
        sizes = [compressed_size(messages[i].xml) + len(messages[i].attachments) for i in members]
        for group in bins(sizes):
            groups.append((family, [members[i] for i in group]))
    numbers = ledger.reserve(today, institution.code, plans, len(groups))
    for (family, members), number in zip(groups, numbers, strict=True):
        package = MessageName(family[0], family[1:], institution.code, today, number)
        entries = [(MessageName.parse(plans[i].name).xml, messages[i].xml) for i in members]
        for (name, xml), i in zip(entries, members, strict=True):
            write_file(folder / name, xml)  # kept beside the package for reading
            ledger.written(plans[i].name, str(folder / name), package.zip)
        entries += [
            (MessageName.parse(plans[i].name).zip, messages[i].attachments)
            for i in members
            if messages[i].attachments
        ]
        write_zip(folder / package.zip, entries)
        filing.packages.append(package.zip)
    filing.files.extend(p.name for p in plans)


def attachment_package(files: Sequence[tuple[str, bytes]]) -> bytes:
    """A report's attachment package: its files in one ZIP (names as given, UTF-8), the
    whole within one data package's 5 MB."""
    if len({name for name, _ in files}) != len(files):
        raise ValueError("two attachments of one name")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name, data in files:
            zf.writestr(name, data)
    package = buffer.getvalue()
    if len(package) > MAX_PACKAGE_BYTES - MAX_SUSPICIOUS_XML:
        raise ValueError(f"the attachment package is {len(package):,} bytes, over the 5 MB package")
    return package


def _move_aside(folder: Path, names: Sequence[str]) -> None:
    """Move superseded files (and packages holding only them) out of the upload folder."""
    if not names or not folder.exists():
        return
    aside = folder / "superseded"
    for name in names:
        for path in folder.glob(f"{name}.*"):
            aside.mkdir(exist_ok=True)
            shutil.move(str(path), aside / path.name)
    for package in folder.glob("*.ZIP"):
        with zipfile.ZipFile(package) as zf:
            stems = {Path(n).stem for n in zf.namelist()}
        if stems and stems <= set(names):
            aside.mkdir(exist_ok=True)
            shutil.move(str(package), aside / package.name)


def file_large_value_correction(
    rows: Sequence[Row],
    institution: Institution,
    ledger: SubmissionLedger,
    folder: Path,
    today: dt.date,
    *,
    replaces: MessageName | None = None,
    notice: str = NA,
    answers: str | None = None,
) -> Filing:
    """A large-value correction message (CHTR) of `rows` as the warehouse holds them now.

    `replaces`: the new message a system correction request was about — the correction then
    carries its date and number (spec §5.1.1); otherwise it takes the next number of `today`
    (an active correction, or the answer to a correction notice, whose name goes in MIRS).
    """
    filing = Filing(folder)
    digests = {_key(r): record_digest(r, institution) for r in rows}
    data = large_value_correction(institution, rows, notice)
    message = _message("CBH", "correction", CHTR, data, rows, digests)
    if replaces is not None:
        message.fixed_name = MessageName(
            "C", "BH", replaces.institution, replaces.day, replaces.number
        ).stem
    filing.corrected_records = len(rows)
    _write(filing, [message], institution, ledger, folder, None, today, answers)
    return filing


def file_suspicious(
    data: Data,
    institution: Institution,
    ledger: SubmissionLedger,
    folder: Path,
    today: dt.date,
    *,
    purpose: str = "suspicious",
    replaces: MessageName | None = None,
    answers: str | None = None,
    attachments: Sequence[tuple[str, bytes]] = (),
) -> Filing:
    """A banking suspicious report (BSTR): new, or — with `replaces` — the correction of an
    earlier report, which keeps that report's date and number (spec §5.1.2). `attachments`
    (file name, content) make its attachment package, packed with it (spec §3, §3.2)."""
    filing = Filing(folder)
    xml = to_xml(BSTR, data)
    check(xml, "suspicious report")
    family = "CBS" if replaces is not None else "NBS"
    message = _Message(family, purpose, xml, len(data["STIFs"]), [])
    if attachments:
        message.attachments = attachment_package(attachments)
        filing.attachment_sha256 = hashlib.sha256(message.attachments).hexdigest()
    if replaces is not None:
        message.fixed_name = MessageName(
            "C", "BS", replaces.institution, replaces.day, replaces.number
        ).stem
    filing.new_records = len(data["STIFs"])
    _write(filing, [message], institution, ledger, folder, None, today, answers)
    return filing
