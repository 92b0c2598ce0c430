"""The regulator's answers: receipts (chapter 8) and manual-correction notices (chapter 7).

Receipts are matched to the files amlwatch recorded and set their status; what needs doing
next (send a correction, fix and resend, answer a notice) is listed by `actions`.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amlwatch.cases import notices as notice_register
from amlwatch.cases.submissions import LARGE_VALUE_FAMILIES, FileRecord, SubmissionLedger
from amlwatch.submission.dictionary import NA
from amlwatch.submission.exceptions import SubmissionError, UnknownFileName
from amlwatch.submission.names import RECEIPT_KINDS, MessageName, NoticeName, ReceiptName
from amlwatch.submission.validate import validate

RESULTS = {"SUCC": "accepted", "RQCR": "correction requested", "CTFL": "error"}


@dataclass(slots=True)
class Receipt:
    """One receipt, read."""

    file: str  # the receipt's file name
    name: ReceiptName
    result: str  # accepted | correction requested | error
    detail: dict[str, Any]


@dataclass(slots=True)
class ReceiptReading:
    """What reading a folder of receipts did."""

    recorded: list[Receipt] = field(default_factory=list)
    already_read: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # receipts for files we never made
    unreadable: list[str] = field(default_factory=list)  # with the reason
    notices: list[str] = field(default_factory=list)  # notices found and recorded


def _text(element: ET.Element | None, tag: str) -> str | None:
    if element is None:
        return None
    found = element.find(tag)
    return None if found is None else (found.text or "")


def _errors(element: ET.Element | None) -> list[dict[str, str | None]]:
    if element is None:
        return []
    return [
        {"location": _text(e, "ERLC"), "reason": _text(e, "ERRS")}
        for e in element.findall("FCERs/FCER")
    ]


def _keys(element: ET.Element, path: str, original: bool = False) -> list[dict[str, Any]]:
    """Large-value keys listed in a receipt (with their errors, if any)."""
    tags = ("OCNM", "OTDT", "OTCD", "OTIC") if original else ("CSNM", "HTDT", "CRCD", "TICD")
    out = []
    for item in element.findall(path):
        key: dict[str, Any] = {
            k: _text(item, t)
            for k, t in zip(("customer", "day", "code", "txn_id"), tags, strict=True)
        }
        errors = _errors(item)
        if errors:
            key["errors"] = errors
        out.append(key)
    return out


def _root(path: Path, tag: str) -> ET.Element:
    """The file's root element, which must be `tag`."""
    try:
        root = ET.fromstring(path.read_bytes())
    except ET.ParseError as error:
        raise SubmissionError(f"{path.name}: not well-formed XML: {error}") from error
    if root.tag != tag:
        raise SubmissionError(f"{path.name}: root is {root.tag}, expected {tag}")
    return root


def parse_receipt(path: Path) -> Receipt:
    """Read one receipt file (name and content must agree)."""
    name = ReceiptName.parse(path.name)
    root = _root(path, "FDBK")
    rpid, sfid = _text(root, "RPID"), _text(root, "SFID")
    if rpid is None or rpid.replace("‐", "-") != name.message.stem:
        raise SubmissionError(f"{path.name}: RPID {rpid!r} does not match the file name")
    if sfid not in RESULTS or RECEIPT_KINDS[name.kind] != RESULTS[sfid]:
        raise SubmissionError(f"{path.name}: SFID {sfid!r} does not match {name.kind}")
    detail: dict[str, Any] = {"sfid": sfid}
    summary = root.find("FDSI")
    if summary is not None:
        detail["summary"] = {child.tag: child.text for child in summary if len(child) == 0}
        for tag in ("TOSCs", "STCRs"):
            if summary.find(tag) is not None:
                detail["summary"][tag] = [e.text for e in summary.find(tag) or []]
    for tag in ("ERTN", "SDTN", "UTTN"):
        if root.find(tag) is not None:
            detail[tag] = _text(root, tag)
    if root.find("FCERs") is not None:
        detail["errors"] = _errors(root)
    if root.find("FCRCs") is not None:
        detail["records"] = _keys(root, "FCRCs/FCRC", original=True)
    if root.find("SDTKs") is not None:
        detail["deleted"] = _keys(root, "SDTKs/SDTK")
    if root.find("UMTKs") is not None:
        detail["unmatched"] = _keys(root, "UMTKs/UMTK")
    return Receipt(path.name, name, RESULTS[sfid], detail)


def read_receipts(folder: Path, ledger: SubmissionLedger) -> ReceiptReading:
    """Read every receipt in `folder`, match it to a recorded file and record the result;
    record the notices found there with their deadlines (TMLM)."""
    reading = ReceiptReading()
    for path in sorted(folder.glob("*")):
        if not path.is_file():
            continue
        if path.name.upper().startswith(("A", "S")) and path.suffix.upper() == ".XML":
            _read_notice(path, ledger, reading)
            continue
        if not path.name.upper().startswith(("FDSC", "FDRC", "FDCF")):
            continue
        try:
            receipt = parse_receipt(path)
        except (SubmissionError, UnknownFileName) as problem:
            reading.unreadable.append(f"{path.name}: {problem}")
            continue
        stem = receipt.name.message.stem
        record = ledger.file(stem)
        if record is None:
            reading.unmatched.append(path.name)
            continue
        mismatch = receipt_problems(receipt, record, ledger)
        if mismatch:  # flagged, never taken as the regulator's word on this file
            receipt.result = "receipt mismatch"
            receipt.detail["mismatch"] = mismatch
        if ledger.record_receipt(
            path.name, stem, receipt.result, receipt.name.landed_at, receipt.detail
        ):
            reading.recorded.append(receipt)
            _close_answered_request(ledger, receipt)
        else:
            reading.already_read.append(path.name)
    return reading


def _read_notice(path: Path, ledger: SubmissionLedger, reading: ReceiptReading) -> None:
    try:
        notice = parse_notice(path)
    except (SubmissionError, UnknownFileName, ValueError) as problem:
        reading.unreadable.append(f"{path.name}: {problem}")
        return
    if record_notice(notice, path, ledger):
        reading.notices.append(notice.name.stem)
    else:
        reading.already_read.append(path.name)


def record_notice(notice: Notice, path: Path, ledger: SubmissionLedger) -> bool:
    """Track a notice to its deadline; False when it was recorded before."""
    name = notice.name
    return notice_register.record(
        ledger.store,
        name.stem,
        name.kind,
        name.report,
        name.day,
        notice.deadline,
        notice.request,
        str(path.resolve()),
    )


def notice_answered(ledger: SubmissionLedger, name: str, by_file: str) -> None:
    """The notice `name` is answered by the message `by_file`: no longer an open action."""
    notice_register.answered(ledger.store, name, by_file)


def receipt_problems(receipt: Receipt, record: FileRecord, ledger: SubmissionLedger) -> list[str]:
    """Where a receipt disagrees with the file it answers: its counts (HTNM, CTTN; SETN,
    STNM, TOSC, STCR) and the record keys it lists."""
    problems: list[str] = []
    summary = receipt.detail.get("summary") or {}
    data: dict[str, Any] = {}
    if record.path and Path(record.path).exists():
        data = validate(Path(record.path).read_bytes())[1]
    basics = data.get("RBIF", {})

    def differs(tag: str, sent: Any) -> None:
        said = summary.get(tag)
        if said not in (None, "", NA) and sent is not None and str(said) != str(sent):
            problems.append(f"{tag} {said} ≠ {sent} in the file")

    if record.family in LARGE_VALUE_FAMILIES:
        differs("HTNM", record.records)
        if record.family == "NBH":
            differs("CTTN", basics.get("CTTN"))
        sent = {tuple(k) for k in ledger.keys_of(record.name)}
        for group in ("records", "deleted"):
            for key in receipt.detail.get(group, []):
                listed = (key["customer"], key["day"], key["code"], key["txn_id"])
                if listed not in sent:
                    problems.append(f"{'+'.join(map(str, listed))} is not a record of the file")
    elif basics:
        differs("SETN", basics.get("SETN"))
        differs("STNM", basics.get("STNM"))
        for tag in ("TOSCs", "STCRs"):
            said = summary.get(tag)
            if said is not None and sorted(said) != sorted(basics.get(tag, [])):
                problems.append(f"{tag} {said} ≠ {basics.get(tag)} in the file")
    return problems


def _close_answered_request(ledger: SubmissionLedger, receipt: Receipt) -> None:
    """An accepted correction with a new message's date and number settles that message's
    system correction request (spec §5.2.1)."""
    message = receipt.name.message
    if receipt.result != "accepted" or message.kind != "C":
        return
    original = MessageName("N", message.report, message.institution, message.day, message.number)
    record = ledger.file(original.stem)
    if record is not None and record.status == "correction requested":
        ledger.record_receipt(
            f"settled-by:{receipt.file}",
            original.stem,
            "accepted",
            receipt.name.landed_at,
            {"settled_by": message.stem},
        )


@dataclass(frozen=True, slots=True)
class Action:
    """Something an operator must do about a file, by when."""

    name: str
    status: str
    what: str
    due: dt.date | None = None
    overdue: bool = False


def actions(
    ledger: SubmissionLedger,
    today: dt.date,
    wait_days: int = 3,
    due: Callable[[FileRecord], dt.date | None] = lambda record: None,
) -> list[Action]:
    """Open items, overdue first: files to upload, requests to correct, errors to fix and
    resend, receipts that do not match their file, uploads without a receipt. `due` gives a
    file's deadline (its records' or its case's)."""
    todo: list[Action] = []
    for record in ledger.files():
        what = None
        if record.status == "written":
            what = f"上报 {record.package} / upload it"
        elif record.status == "correction requested":
            what = _correction_hint(record)
        elif record.status == "error":
            what = _error_hint(record)
        elif record.status == "receipt mismatch":
            what = "回执与文件不符 / the receipt does not match the file: " + "; ".join(
                (record.detail or {}).get("mismatch", [])
            )
        elif record.status == "uploaded" and (today - record.status_at.date()).days > wait_days:
            what = (
                f"上报 {wait_days} 日后仍无回执，请向监测中心查询 / no receipt {wait_days} days "
                f"after the upload: ask for it ({record.package})"
            )
        if what is None:
            continue
        deadline = due(record) if record.status in ("written", "error") else None
        overdue = deadline is not None and deadline < today
        todo.append(Action(record.name, record.status, what, deadline, overdue))
    for notice in notice_register.open_notices(ledger.store):
        late = notice.deadline is not None and notice.deadline < today
        todo.append(
            Action(
                notice.name,
                "notice",
                f"应答人工补正通知（{notice.request}）/ answer the notice: "
                f"`amlwatch answer --notice {notice.path or notice.name + '.XML'}`",
                notice.deadline,
                late,
            )
        )
    return sorted(todo, key=lambda a: (not a.overdue, a.due or dt.date.max, a.name))


def _first_errors(record: FileRecord, limit: int = 3) -> str:
    detail = record.detail or {}
    errors = list(detail.get("errors", []))
    for item in detail.get("records", []):
        errors.extend(item.get("errors", []))
    shown = "; ".join(f"{e['location']}: {e['reason']}" for e in errors[:limit])
    return f" ({shown})" if shown else ""


def _correction_hint(record: FileRecord) -> str:
    return (
        "以原报文日期和序号发送补正报文 / a correction with the same date and number: "
        f"`amlwatch correct --receipt-for {record.name}`{_first_errors(record)}"
    )


def _error_hint(record: FileRecord) -> str:
    if record.family.startswith("N") and record.run_date is not None:
        return (
            f"修正数据后重新报送 / fix the data and file again: "
            f"`amlwatch submit --date {record.run_date}`"
            f"{_first_errors(record)}"
        )
    return f"修正后重新报送 / fix and send again{_first_errors(record)}"


@dataclass(slots=True)
class Notice:
    """A manual-correction notice: a correction (A) or an information supplement (S)."""

    file: str
    name: NoticeName
    deadline: dt.date | None  # TMLM
    request: str  # RQDS
    records: list[dict[str, Any]] = field(default_factory=list)  # A+BH: keys and ITEMs
    original_report: str | None = None  # A+BS: ORNM
    supplement: dict[str, str | None] = field(default_factory=dict)  # S: BGDT…CTAC


def parse_notice(path: Path) -> Notice:
    """Read one notice file (spec §7.2)."""
    name = NoticeName.parse(path.stem)
    root = _root(path, "MCVR")
    basics = root.find("BSIF")
    deadline = _text(basics, "TMLM")
    notice = Notice(
        path.name,
        name,
        dt.datetime.strptime(deadline, "%Y%m%d").date() if deadline else None,
        _text(basics, "RQDS") or "",
    )
    if name.kind == "A" and name.report == "BH":
        for item in root.findall("TSDTs/TSDT"):
            notice.records.append(
                {
                    "customer": _text(item, "OCNM"),
                    "day": _text(item, "OTDT"),
                    "code": _text(item, "OTCD"),
                    "txn_id": _text(item, "OTIC"),
                    "items": [e.text for e in item.findall("ITEMS/ITEM")],
                }
            )
    elif name.kind == "A":
        ornm = _text(basics, "ORNM")  # the spec's own example carries .XML
        notice.original_report = (
            ornm.strip().removesuffix(".XML").removesuffix(".xml") if ornm else None
        )
        for item in root.findall("REPTs/REPT"):
            notice.records.append(
                {
                    "number": _text(item, "TSNO"),
                    "day": _text(item, "STDT"),
                    "items": [e.text for e in item.findall("ITEMS/ITEM")],
                }
            )
    else:
        condition = root.find("SPMT")
        notice.supplement = {
            tag: _text(condition, tag) for tag in ("BGDT", "EDDT", "CITP", "CTID", "CTAC")
        }
    return notice
