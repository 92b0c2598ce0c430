"""The screening stage (名单监测): lists imported as versions, and every party screened
against the lists in force — the customers of each night's load (with their legal
representatives and controllers), the night's counterparties and agents, and the whole
customer base again whenever a list has a new version.

It runs first in the nightly flow, right after the load: a listed customer must be stopped
before anything else of the night. Its matches (`screening_matches`) are stored per screened
date and trigger, replaced exactly by a re-run; the review turns them into screening cases.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from amlwatch import wiring
from amlwatch.cases.usecases.base import SYSTEM
from amlwatch.codes import RESIDENT_ID_TYPES
from amlwatch.masking import mask_value
from amlwatch.screening import (
    ListFileRejected,
    ListIndex,
    Match,
    ParsedList,
    Subject,
    Thresholds,
    birth_date_of_resident_id,
    parse_list_csv,
    parse_list_xlsx,
    parse_un_consolidated,
)
from amlwatch.screening.names import PartyType
from amlwatch.warehouse import Warehouse
from amlwatch.warehouse import screening as wh

FORMATS = {".xml": "un-xml", ".csv": "csv", ".xlsx": "xlsx"}
OUTSIDE = ("counterparty", "agent")  # parties outside the bank: often a name alone
TRIGGERS = {"customers": "当日新增或变更客户", "counterparties": "当日交易对手及代办人",
            "rescreen": "名单更新后全量客户重新筛查"}  # fmt: skip


@dataclass(slots=True)
class Screened:
    """What one screening run found."""

    lists: str = ""  # the lists in force, "CODE:version …"; "" when none is imported
    subjects: dict[str, int] = field(default_factory=dict)  # per trigger: parties looked at
    hits: int = 0
    review: int = 0
    cases: dict[str, int] = field(default_factory=dict)  # opened, found again, remembered, …
    frozen: int = 0  # customers frozen by confirmed hits, in all
    acted: list[str] = field(default_factory=list)  # freezes and blocks of the last day (masked)
    rescreened: bool = False  # a list changed: every customer was screened again
    seconds: float = 0.0
    imported: list[str] = field(default_factory=list)  # list versions the feed brought
    refused: list[str] = field(default_factory=list)  # feed files refused, with the reason


def import_list(
    path: Path, list_code: str, as_user: str, db: Path | None = None, file_format: str | None = None
) -> wh.ListVersion:
    """Import a list file as the list's next version (the same file again: no new version).

    A file that cannot be read is refused whole with its line and reason (`ListFileRejected`)
    and the version in force stays; both outcomes are audited under `as_user`.
    """
    code = list_code.upper()
    fmt = file_format or FORMATS.get(path.suffix.lower(), "")
    with wiring.open_review(db) as review:
        who = review.list_importer(as_user)
        data = path.read_bytes()
        sha256 = hashlib.sha256(data).hexdigest()
        try:
            parsed = parse_list(data, path.name, fmt)
        except ListFileRejected as error:
            review.record_list_refused(who, code, file=path.name, sha256=sha256, reason=str(error))
            raise
        with wiring.open_warehouse(db) as warehouse:
            version = wh.store_list_version(
                warehouse, code, fmt, path.name, sha256, parsed,
                who.username, dt.datetime.now(),
            )  # fmt: skip
        review.record_list_import(
            who, code, version=version.version, file=path.name, sha256=sha256,
            n=version.entries, detail=f"+{version.added} ~{version.changed} -{version.removed}",
            result="unchanged" if version.unchanged else "new version",
        )  # fmt: skip
    return version


def parse_list(data: bytes, file: str, file_format: str) -> ParsedList:
    """The entries of a list file in one of `FORMATS`."""
    if file_format == "un-xml":
        return parse_un_consolidated(data, file)
    if file_format == "csv":
        return parse_list_csv(data, file)
    if file_format == "xlsx":
        return parse_list_xlsx(data, file)
    raise ListFileRejected(file, 0, f"未知名单格式 {file_format!r}（un-xml / csv / xlsx）")


def import_feed(db: Path | None = None) -> tuple[list[str], list[str]]:
    """Import the list files of the feed folder (`lists_dir`) the feed has changed since it
    last brought them: (versions imported, files refused with the reason). A refused file
    leaves its list as it was; the night goes on."""
    folder = wiring.settings().lists_dir
    if folder is None:
        return [], []
    if not folder.is_dir():
        return [], [f"{folder}: 名单目录不存在 / no such list folder"]
    imported: list[str] = []
    refused: list[str] = []
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FORMATS)
    with wiring.open_review(db) as review, wiring.open_warehouse(db) as warehouse:
        for path in files:
            code = path.stem.split("_")[0].upper()
            data = path.read_bytes()
            sha256 = hashlib.sha256(data).hexdigest()
            versions = wh.list_versions(warehouse, code)
            fed = [v for v in versions if v.imported_by == SYSTEM]
            # the feed's file as it was last taken (a version imported at the console since
            # stays in force until the feed brings another file) or the version in force
            if (fed and fed[0].sha256 == sha256) or (versions and versions[0].sha256 == sha256):
                continue
            try:
                parsed = parse_list(data, path.name, FORMATS[path.suffix.lower()])
            except ListFileRejected as error:
                refused.append(str(error))
                review.record_feed_import(
                    code, refused=True, file=path.name, sha256=sha256, reason=str(error)
                )
                continue
            version = wh.store_list_version(
                warehouse, code, FORMATS[path.suffix.lower()], path.name, sha256, parsed, SYSTEM,
                dt.datetime.now(),
            )  # fmt: skip
            imported.append(f"{code}:{version.version}")
            review.record_feed_import(
                code, version=version.version, file=path.name, sha256=sha256, n=version.entries,
                detail=f"+{version.added} ~{version.changed} -{version.removed}",
            )  # fmt: skip
    return imported, refused


def screen_night(day: dt.date, db: Path | None = None) -> Screened:
    """Import what the list feed brought, then screen the night's new and changed customers
    and its counterparties and agents; every customer when a list has changed since the last
    full screening."""
    imported, refused = import_feed(db)
    with wiring.open_warehouse(db) as warehouse:
        full = wh.last_fingerprint(warehouse, other_than=day) != wh.lists_fingerprint(warehouse)
        first = "rescreen" if full else "customers"
        # a full screening's rows of the date stay unless this run does one (it does when the
        # date's first run did: `other_than`)
        replace = (first, "customers", "counterparties")
        screened = _screen(warehouse, day, (first, "counterparties"), replace=replace)
    screened.imported, screened.refused = imported, refused
    screened.frozen, screened.acted = actions_summary(db)
    return screened


def rescreen(day: dt.date, db: Path | None = None) -> Screened:
    """Screen every customer against the lists in force (`amlwatch screening rescreen`)."""
    with wiring.open_warehouse(db) as warehouse:
        return _screen(warehouse, day, ("rescreen",), replace=("rescreen",))


def _screen(
    warehouse: Warehouse, day: dt.date, triggers: Sequence[str], replace: Sequence[str]
) -> Screened:
    began = time.monotonic()
    settings = wiring.settings()
    thresholds = Thresholds(settings.screening_hit_score, settings.screening_review_score)
    lists = wh.lists_fingerprint(warehouse)
    result = Screened(lists=lists)
    if not lists:
        return result
    in_force = wh.entries_in_force(warehouse)
    index = ListIndex([entry for _, _, entry in in_force])
    versions = [(code, version) for code, version, _ in in_force]
    result.rescreened = "rescreen" in triggers
    rows: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    for trigger in triggers:
        t0 = time.monotonic()
        subjects, about = _subjects(warehouse, index, day, trigger)
        matches = index.screen(subjects, thresholds)
        found = _best_per_party(
            _row(trigger, about[m.subject], subjects[m.subject], m, versions, index)
            for m in matches
        )
        rows += found
        result.subjects[trigger] = len(subjects)
        runs.append({"trigger": trigger, "lists": lists, "subjects": len(subjects), "matches": len(found),
                     "hits": sum(r["band"] == "hit" for r in found), "seconds": time.monotonic() - t0})  # fmt: skip
    schema = wh.MATCH_SCHEMA.append(pa.field("trigger", pa.string()))
    table = pa.Table.from_pylist([{k: r[k] for k in schema.names} for r in rows], schema=schema)
    wh.replace_matches(warehouse, day, replace, table, runs, dt.datetime.now())
    result.cases = _open_cases(warehouse, day, rows, in_force)
    result.hits = sum(r["band"] == "hit" for r in rows)
    result.review = len(rows) - result.hits
    result.seconds = time.monotonic() - began
    return result


def _open_cases(
    warehouse: Warehouse,
    day: dt.date,
    rows: Sequence[dict[str, Any]],
    in_force: Sequence[tuple[str, int, Any]],
) -> dict[str, int]:
    """The matches into screening cases, each with the entry and the party as screened."""
    if not wiring.settings().screening_counterparty_review:
        rows = [r for r in rows if r["band"] == "hit" or r["subject_kind"] not in OUTSIDE]
    if not rows:
        return {}
    entries = {(code, entry.ref): entry for code, _, entry in in_force}
    facts = wh.customer_facts(
        warehouse, sorted({str(r["customer_id"]) for r in rows if r["customer_id"]})
    )
    matches = []
    for r in rows:
        name, branch = facts.get(str(r["customer_id"]), ("", ""))
        entry = entries[(r["list_code"], r["entry_ref"])]
        matches.append(
            {**r, "screened_on": day, "customer_id": str(r["customer_id"] or ""), "customer_name": name,
             "branch_code": branch, "entry": json.loads(entry.to_json()), "reasons": r["reasons"].split()}
        )  # fmt: skip
    with wiring.open_review(warehouse.path) as review:
        outcomes = review.take_screening_matches(matches)
    return {outcome: len(ids) for outcome, ids in outcomes.items()}


def actions_summary(db: Path | None = None) -> tuple[int, list[str]]:
    """Customers frozen in all, and the freezes and blocks of the last 24 hours (customer
    numbers masked) — for the nightly summary."""
    with wiring.open_review(db) as review:
        frozen, recent = review.screening_actions_since(dt.datetime.now() - dt.timedelta(days=1))
    kinds = {"freeze": "冻结 freeze", "block": "停止业务 block"}
    return frozen, [
        f"{kinds.get(a.kind, a.kind)} {mask_value(a.customer_id)} {a.at:%Y-%m-%d %H:%M}"
        for a in recent
    ]


def _best_per_party(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per party and entry: a counterparty of unknown type is screened as a person
    and as an entity, and keeps the better of the two."""
    best: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["subject_kind"], row["subject_ref"], row["list_code"], row["entry_ref"])
        if key not in best or row["score"] > best[key]["score"]:
            best[key] = row
    return list(best.values())


def _subjects(
    warehouse: Warehouse, index: ListIndex, day: dt.date, trigger: str
) -> tuple[list[Subject], list[dict[str, Any]]]:
    """The parties a trigger screens, only those that share a name key, an identity number or
    an account with the lists (the rest cannot match), and what each is about."""
    if trigger == "counterparties":
        names = wh.party_names_of_day(warehouse, day)
        both = [(n, kind) for n in names for kind in ("individual", "entity")]
        wanted = sorted({n for n, _ in index.names_with_candidates(both)})  # type: ignore[arg-type]
        rows = wh.parties_of_day(warehouse, day, wanted, index.id_keys, index.account_keys)
        return _party_subjects(rows)
    of_day = None if trigger == "rescreen" else day
    named = wh.customer_names(warehouse, of_day)
    wanted = sorted({n for n, _ in index.names_with_candidates(named)})  # type: ignore[arg-type]
    rows = wh.customers_to_screen(warehouse, of_day, wanted, index.id_keys, index.account_keys)
    return _customer_subjects(rows)


def _customer_subjects(
    rows: Iterable[dict[str, Any]],
) -> tuple[list[Subject], list[dict[str, Any]]]:
    subjects: list[Subject] = []
    about: list[dict[str, Any]] = []
    for row in rows:
        customer = str(row["customer_id"])
        resident = row["id_type"] in RESIDENT_ID_TYPES
        subjects.append(
            Subject(
                party_type=_party_type(row["customer_type"]),
                names=(str(row["name"]),),
                id_numbers=(str(row["id_number"]),),
                birth_date=birth_date_of_resident_id(str(row["id_number"])) if resident else None,
                nationality=row["nationality"],
                accounts=tuple(row["accounts"] or ()),
            )
        )
        accounts = [str(a) for a in row["accounts"] or ()]
        about.append({"kind": "customer", "ref": customer, "customer_id": customer, "txn_id": None,
                      "customer_accounts": accounts})  # fmt: skip
        for kind in ("legal_rep", "controller"):
            name, number = row[f"{kind}_name"], row[f"{kind}_id_number"]
            if name:
                ids = (str(number),) if number else ()
                birth = birth_date_of_resident_id(str(number)) if number else None
                subjects.append(Subject("individual", (str(name),), ids, birth))
                about.append({"kind": kind, "ref": f"{customer}/{kind}", "customer_id": customer,
                              "txn_id": None, "customer_accounts": accounts})  # fmt: skip
    return subjects, about


def _party_subjects(rows: Iterable[dict[str, Any]]) -> tuple[list[Subject], list[dict[str, Any]]]:
    subjects: list[Subject] = []
    about: list[dict[str, Any]] = []
    for row in rows:
        id_type = str(row["id_type"] or "")
        kinds: Sequence[PartyType] = (
            ("individual",) if id_type.startswith("11") else ("entity",) if id_type.startswith("61")
            else ("individual", "entity")
        )  # fmt: skip
        number = row["id_number"]
        birth = (
            birth_date_of_resident_id(str(number))
            if number and id_type in RESIDENT_ID_TYPES
            else None
        )
        ref = str(row["account"] or row["id_number"] or row["name"])
        for kind in kinds:
            subjects.append(
                Subject(
                    party_type=kind,
                    names=(str(row["name"]),) if row["name"] else (),
                    id_numbers=(str(number),) if number else (),
                    birth_date=birth,
                    nationality=row["nationality"],
                    accounts=(str(row["account"]),) if row["account"] else (),
                )
            )
            about.append({"kind": str(row["kind"]), "ref": ref, "customer_id": row["customer_id"],
                          "txn_id": row["txn_id"], "account": row["account"]})  # fmt: skip
    return subjects, about


def _party_type(customer_type: Any) -> PartyType:
    return "entity" if customer_type == "entity" else "individual"


def subject_digest(subject: Subject) -> str:
    """What a party was screened as: a change of its data changes it (a dismissed match of
    the party comes back only then, or when the entry changes)."""
    text = repr((subject.party_type, subject.names, subject.id_numbers, subject.birth_date,
                 subject.nationality, subject.accounts))  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _row(
    trigger: str,
    about: dict[str, Any],
    subject: Subject,
    match: Match,
    versions: Sequence[tuple[str, int]],
    index: ListIndex,
) -> dict[str, Any]:
    entry = index.entries[match.entry]
    list_code, version = versions[match.entry]
    digest = index.digests[match.entry]
    mine = subject_digest(subject)
    key = "|".join((about["kind"], about["ref"], mine, list_code, entry.ref, digest))
    return {
        "trigger": trigger,
        "match_key": hashlib.sha256(key.encode()).hexdigest()[:24],
        "subject_kind": about["kind"],
        "subject_ref": about["ref"],
        "subject_digest": mine,
        "subject_name": match.subject_name,
        "customer_id": about["customer_id"],
        "txn_id": about["txn_id"],
        "list_code": list_code,
        "list_version": version,
        "entry_ref": entry.ref,
        "entry_digest": digest,
        "entry_name": match.entry_name,
        "score": match.score,
        "band": match.band,
        "reasons": " ".join(match.reasons),
        "subject": {
            "party_type": subject.party_type, "names": list(subject.names),
            "id_numbers": list(subject.id_numbers), "birth_date": subject.birth_date,
            "nationality": subject.nationality, "accounts": list(subject.accounts),
            "account": about.get("account"), "customer_accounts": about.get("customer_accounts", []),
        },
    }  # fmt: skip
