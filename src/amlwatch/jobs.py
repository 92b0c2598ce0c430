"""The units of work of the nightly batch: each opens what it needs, does one thing, reports.

Prefect tasks in `pipelines/` wrap these one to one; the CLI calls them directly too.
"""

from __future__ import annotations

import datetime as dt
import time
import tomllib
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amlwatch.cases import CaseStore, SubmissionLedger
from amlwatch.ingest import ingest_business_date
from amlwatch.models import (
    Filing,
    LargeValueSummary,
    LoadReport,
    NightlyReport,
    PatternSummary,
    RescanSummary,
)
from amlwatch.reports import (
    ReportFiles,
    SuspiciousReportFiles,
    write_large_value_tables,
    write_suspicious_tables,
)
from amlwatch.rules import BusinessCalendar, RulePack, load_pack, pack_for
from amlwatch.scanners import LargeValueHits, LargeValueInput, pattern_order, scan_large_value
from amlwatch.scanners.large_value import candidate_rows
from amlwatch.settings import Settings, get_settings
from amlwatch.submission import receipts
from amlwatch.submission.dictionary import NA
from amlwatch.submission.exceptions import SubmissionError
from amlwatch.submission.filing import (
    file_large_value,
    file_large_value_correction,
    file_suspicious,
)
from amlwatch.submission.messages import (
    Institution,
    SuspiciousCase,
    split_narrative,
    supplement_case,
    suspicious_new,
)
from amlwatch.submission.names import MessageName
from amlwatch.submission.receipts import Action, ReceiptReading
from amlwatch.submission.validate import check
from amlwatch.suspicious import (
    PatternPart,
    customer_codes,
    decimal_milli,
    scan_pattern_days,
    scan_pattern_part,
    store_pattern_parts,
)
from amlwatch.warehouse import WHOLE, Bucket, Warehouse
from amlwatch.warehouse import large_value as lv_store
from amlwatch.warehouse import patterns as sp_store
from amlwatch.warehouse import runs as runs_store
from amlwatch.warehouse import submission as sub_store
from amlwatch.warehouse.store import Derivation

CHINA = ZoneInfo("Asia/Shanghai")


def previous_day_in_china(now: dt.datetime | None = None) -> dt.date:
    """The calendar day before today in Asia/Shanghai (the nightly run's default date)."""
    now = now or dt.datetime.now(CHINA)
    return now.astimezone(CHINA).date() - dt.timedelta(days=1)


@contextmanager
def open_warehouse(
    db: Path | None = None,
    settings: Settings | None = None,
    *,
    read_only: bool = False,
    scanning: bool = False,
) -> Iterator[Warehouse]:
    """The warehouse named by `db` or the settings, opened for writing unless `read_only`;
    `scanning`: read only, for a scanner (DuckDB's memory limited to the scan setting)."""
    settings = settings or get_settings()
    with Warehouse.open(
        Path(db or settings.db),
        memory_limit=(
            settings.duckdb_scan_memory_limit if scanning else settings.duckdb_memory_limit
        ),
        threads=settings.duckdb_threads,
        lock_timeout_s=settings.lock_timeout_s,
        read_only=read_only or scanning,
    ) as warehouse:
        yield warehouse


def ingest_day(run_date: dt.date, inbox: Path | None = None, db: Path | None = None) -> LoadReport:
    """Load one business date from the inbox into the warehouse, replacing it exactly, with
    the pattern scanner's day run for the rule pack in force."""
    settings = get_settings()
    with open_warehouse(db, settings) as warehouse:
        return ingest_business_date(
            warehouse, Path(inbox or settings.inbox), run_date, day_run_steps(run_date)
        )


def day_run_steps(business_date: dt.date) -> list[Derivation]:
    """What a load derives for the pattern scanner: the day run under the pack in force (a
    scan under another pack cuts its runs on the fly)."""
    rule = pack_for(business_date).suspicious
    if rule is None or rule.subject != "customer":
        return []
    return [partial(sp_store.store_day_run, rule=rule)]


def cut_day_runs(db: Path | None = None) -> list[dt.date]:
    """Cut the pattern scanner's day run of every loaded business date that lacks a valid one
    (a warehouse loaded before day runs existed, or after the pack's exclusions changed), one
    date per transaction; returns the dates cut. Scans are right without them, only slower."""
    cut = []
    with open_warehouse(db) as warehouse:
        for day, load_id in warehouse.rows(
            "SELECT business_date, load_id FROM load_log WHERE status = 'loaded' ORDER BY 1"
        ):
            rule = pack_for(day).suspicious
            if (
                rule is None
                or rule.subject != "customer"
                or sp_store.has_day_run(warehouse, day, rule)
            ):
                continue
            warehouse.con.execute("BEGIN TRANSACTION").fetchall()
            try:
                sp_store.drop_day_run(warehouse, day)
                sp_store.store_day_run(warehouse, day, str(load_id), rule)
                warehouse.con.execute("COMMIT").fetchall()
            except BaseException:
                warehouse.con.execute("ROLLBACK").fetchall()
                raise
            cut.append(day)
    return cut


def scan_large_value_day(
    run_date: dt.date, db: Path | None = None, rule_pack: str | None = None
) -> LargeValueSummary:
    """Scan the trade dates a business date's folder brought and replace their hits.

    Every transaction of those calendar days counts (whichever folder brought it). The rule
    pack is the one in force on each trade date unless `rule_pack` forces one.
    """
    with open_warehouse(db) as warehouse:
        dates = lv_store.trade_dates_loaded(warehouse, run_date)
        return scan_large_value_dates(warehouse, dates, rule_pack)


def scan_large_value_bucket(
    run_date: dt.date, db: Path | None, rule_pack: str | None, bucket: Bucket
) -> LargeValuePart:
    """One bucket's large-value hits of the run date's trade dates, stored nowhere yet.

    Opens the warehouse read-only, so that the buckets of a night can run side by side in
    several processes; `store_large_value` then replaces the hits of all buckets at once.
    """
    with open_warehouse(db, scanning=True) as warehouse:
        dates = lv_store.trade_dates_loaded(warehouse, run_date)
        return large_value_part(warehouse, dates, rule_pack, bucket)


def store_large_value(db: Path | None, parts: Sequence[LargeValuePart]) -> LargeValueSummary:
    """Replace the scanned trade dates' hits with those of every bucket of one split."""
    dates = parts[0].summary.trade_dates if parts else []
    with open_warehouse(db) as warehouse:
        return store_large_value_parts(warehouse, dates, parts)


def scan_large_value_dates(
    warehouse: Warehouse, dates: list[dt.date], rule_pack: str | None = None
) -> LargeValueSummary:
    """Scan whole calendar days for large-value hits and replace those days' hits."""
    return store_large_value_parts(
        warehouse, dates, [large_value_part(warehouse, dates, rule_pack)]
    )


@dataclass(slots=True)
class LargeValuePart:
    """One bucket's large-value hits (in the result table's layout) and what it scanned."""

    hits: pa.Table
    summary: LargeValueSummary


def large_value_part(
    warehouse: Warehouse,
    dates: list[dt.date],
    rule_pack: str | None = None,
    bucket: Bucket = WHOLE,
) -> LargeValuePart:
    """The large-value hits of whole calendar days for one bucket's customers (read only)."""
    started = time.monotonic()
    summary = LargeValueSummary(trade_dates=list(dates))
    by_pack: dict[str, tuple[RulePack, list[dt.date]]] = {}
    for day in dates:
        pack = load_pack(rule_pack) if rule_pack else pack_for(day)
        by_pack.setdefault(pack.label, (pack, []))[1].append(day)
    tables = []
    types = sp_store.customer_types(warehouse, bucket)
    for pack, days in by_pack.values():
        rule = pack.large_value
        table = lv_store.large_value_input(
            warehouse,
            days,
            sorted(rule.exemption_codes),
            rule.government_counterparty_exempt,
            rule.rmb_only,
            bucket,
        )
        sorted_window = _kernel_input(table, types, pack)
        hits = scan_large_value(sorted_window.data, pack)
        tables.append(_hit_rows(warehouse, sorted_window, hits, pack))
        summary.transactions_scanned += table.num_rows
        summary.rule_packs.append(pack.label)
        for k, count in zip(*np.unique(hits.characteristic, return_counts=True), strict=True):
            code = rule.characteristics[int(k)].code
            summary.hits_by_code[code] = summary.hits_by_code.get(code, 0) + int(count)
    hits_table = pa.concat_tables(tables) if tables else _hit_rows(warehouse, None, None, None)
    summary.duration_s = time.monotonic() - started
    return LargeValuePart(hits_table, summary)


def store_large_value_parts(
    warehouse: Warehouse, dates: list[dt.date], parts: Sequence[LargeValuePart]
) -> LargeValueSummary:
    """Replace those days' hits with the parts' in one transaction; the merged summary."""
    started = time.monotonic()
    summary = LargeValueSummary(trade_dates=list(dates))
    for part in parts:
        summary.transactions_scanned += part.summary.transactions_scanned
        summary.duration_s += part.summary.duration_s
        summary.rule_packs.extend(p for p in part.summary.rule_packs if p not in summary.rule_packs)
        for code, n in part.summary.hits_by_code.items():
            summary.hits_by_code[code] = summary.hits_by_code.get(code, 0) + n
    hits = [p.hits for p in parts if p.hits.num_rows]
    lv_store.replace_large_value_hits(
        warehouse, dates, pa.concat_tables(hits) if hits else _hit_rows(warehouse, None, None, None)
    )
    summary.duration_s += time.monotonic() - started
    return summary


@dataclass(frozen=True, slots=True)
class _Sorted:
    """The kernel's input and, per sorted row, the warehouse row id."""

    data: LargeValueInput
    rid: np.ndarray


def _kernel_input(table: pa.Table, types: pa.Table, pack: RulePack | None = None) -> _Sorted:
    """The window's Arrow columns as the kernel's arrays, sorted by (customer, day).

    Customers get dense codes from their hash keys (the customer table's keys first, so the
    same numbering gives each row its customer type). With a `pack`, only the rows of
    customer-days that may reach one of its thresholds are kept
    (`scanners.large_value.candidate_rows`): usually a few percent, so the sort and the
    gathers touch few rows; without, every row (the benchmark's kernel measurement).
    """
    n = table.num_rows
    customer, entity = customer_codes(table, types)
    day = np.asarray(table["trade_date"].cast(pa.int32()).to_numpy(), np.int64)
    cny = decimal_milli(table["amount_cny"]) if n else np.empty(0, np.int64)
    usd = decimal_milli(table["amount_usd"]) if n else np.empty(0, np.int64)
    counted, rmb = _flags(table["counted"]), _flags(table["rmb"])
    keep = None
    if pack is not None:
        keep = candidate_rows(customer, day, counted, rmb, cny, usd, pack)
    if keep is None:
        keep = np.arange(n, dtype=np.int64)
    customer, day, entity = customer[keep], day[keep], entity[keep]
    cny, usd, counted, rmb = cny[keep], usd[keep], counted[keep], rmb[keep]
    indices = pa.array(keep)
    flags = np.zeros(len(keep), np.uint8)
    for bit, column in enumerate(("out", "is_cash", "is_cross_border")):
        flags |= _flags(pc.take(table[column], indices)).astype(np.uint8) << bit
    flags |= rmb.astype(np.uint8) << 3
    flags |= counted.astype(np.uint8) << 4
    flags |= entity.astype(np.uint8) << 5
    order = pattern_order(customer, day, np.zeros(len(keep), np.bool_))
    packed = flags[order]
    data = LargeValueInput(
        customer=customer[order],
        day=day[order].astype(np.int32),
        out=(packed & 1).astype(np.bool_),
        cash=(packed & 2).astype(np.bool_),
        cross_border=(packed & 4).astype(np.bool_),
        rmb=(packed & 8).astype(np.bool_),
        counted=(packed & 16).astype(np.bool_),
        entity=(packed & 32).astype(np.bool_),
        cny=cny[order],
        usd=usd[order],
    )
    rid = np.asarray(table["rid"].to_numpy(), np.int64)[keep][order] if n else np.empty(0, np.int64)
    return _Sorted(data, rid)


def _flags(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    filled = pc.fill_null(column, False)
    return np.ascontiguousarray(filled.to_numpy(zero_copy_only=False), dtype=np.bool_)


def _hit_rows(
    warehouse: Warehouse,
    window: _Sorted | None,
    hits: LargeValueHits | None,
    pack: RulePack | None,
) -> pa.Table:
    """The result table's rows for a scan's hits (details fetched for the hit rows only)."""
    if window is None or hits is None or pack is None:
        return pa.table({name: pa.array([], type) for name, type in _HIT_SCHEMA})
    found = pa.table(
        {
            "rid": window.rid[hits.row],
            "rmb": window.data.rmb[hits.row],
            "cny_milli": window.data.cny[hits.row],
            "usd_milli": window.data.usd[hits.row],
        }
    )
    found = found.append_column("k", pa.array(hits.characteristic, pa.int16()))
    found = found.append_column("total", pa.array(hits.total, pa.int64()))
    details = lv_store.transactions_by_rowid(warehouse, pc.unique(found["rid"]))
    rows = found.join(details, "rid", join_type="inner")
    codes = pa.array([c.code for c in pack.large_value.characteristics], pa.string())
    own = pc.if_else(rows["rmb"], rows["cny_milli"], rows["usd_milli"])
    return pa.table(
        {
            "txn_id": rows["txn_id"],
            "customer_id": rows["customer_id"],
            "account_id": rows["account_id"],
            "trade_date": rows["trade_date"],
            "characteristic_code": pc.take(codes, rows["k"]),
            "direction": rows["direction"],
            "currency": rows["currency"],
            "amount": rows["amount"],
            "amount_cny": rows["amount_cny"],
            "amount_usd": rows["amount_usd"],
            "day_total": pa.array(
                [Decimal(v).scaleb(-3) for v in rows["total"].to_pylist()], pa.decimal128(20, 3)
            ),
            "day_total_currency": pc.if_else(rows["rmb"], "CNY", "USD"),
            "cumulative": pc.not_equal(rows["total"], own),
            "rule_pack": pa.array([pack.label] * rows.num_rows, pa.string()),
            "scanned_at": pa.array([dt.datetime.now()] * rows.num_rows, pa.timestamp("us")),
        }
    )


_HIT_SCHEMA = [
    ("txn_id", pa.string()),
    ("customer_id", pa.string()),
    ("account_id", pa.string()),
    ("trade_date", pa.date32()),
    ("characteristic_code", pa.string()),
    ("direction", pa.string()),
    ("currency", pa.string()),
    ("amount", pa.decimal128(20, 3)),
    ("amount_cny", pa.decimal128(20, 3)),
    ("amount_usd", pa.decimal128(20, 3)),
    ("day_total", pa.decimal128(20, 3)),
    ("day_total_currency", pa.string()),
    ("cumulative", pa.bool_()),
    ("rule_pack", pa.string()),
    ("scanned_at", pa.timestamp("us")),
]


def write_large_value_report(
    run_date: dt.date, db: Path | None = None, reports_dir: Path | None = None
) -> ReportFiles:
    """Write `reports/<run_date>/` large-value tables for the trade dates the run date brought."""
    settings = get_settings()
    calendar = BusinessCalendar.load(settings.calendar_file)
    with open_warehouse(db, settings) as warehouse:
        dates = lv_store.trade_dates_loaded(warehouse, run_date)
        rows = lv_store.large_value_report_rows(warehouse, dates)
    folder = Path(reports_dir or settings.reports_dir) / run_date.isoformat()
    return write_large_value_tables(
        rows, folder, run_date, lambda day: calendar.add_business_days(day, 5)
    )


def scan_patterns_day(
    run_date: dt.date, db: Path | None = None, rule_pack: str | None = None
) -> PatternSummary:
    """Scan the scatter / concentrate windows ending on the run date; extend or open alerts."""
    return scan_patterns_range([run_date], db, rule_pack)


def scan_patterns_bucket(
    run_date: dt.date, db: Path | None, rule_pack: str | None, bucket: Bucket
) -> PatternPart:
    """One bucket's hits of the windows ending on the run date, stored nowhere yet (read-only)."""
    settings = get_settings()
    calendar = BusinessCalendar.load(settings.calendar_file)
    with open_warehouse(db, settings, scanning=True) as warehouse:
        return scan_pattern_part(warehouse, [run_date], calendar, rule_pack, bucket)


def store_patterns(
    run_date: dt.date, db: Path | None, rule_pack: str | None, parts: Sequence[PatternPart]
) -> PatternSummary:
    """Replace the run date's hits with every bucket's and rebuild the alerts they touch."""
    with open_warehouse(db) as warehouse:
        return store_pattern_parts(warehouse, [run_date], rule_pack, parts)


def scan_patterns_range(
    ends: list[dt.date], db: Path | None = None, rule_pack: str | None = None
) -> PatternSummary:
    """Scan the windows ending on each of `ends` (a backtest or a replay) and store them."""
    settings = get_settings()
    calendar = BusinessCalendar.load(settings.calendar_file)
    with open_warehouse(db, settings) as warehouse:
        return scan_pattern_days(warehouse, ends, calendar, rule_pack)


def write_suspicious_report(
    run_date: dt.date, db: Path | None = None, reports_dir: Path | None = None
) -> SuspiciousReportFiles:
    """Write `reports/<run_date>/` suspicious report form for the alerts the run opened or
    extended."""
    settings = get_settings()
    with open_warehouse(db, settings) as warehouse:
        alerts = sp_store.alerts_of_run(warehouse, [run_date])
        txns = sp_store.alert_transaction_rows(warehouse, [str(a["alert_id"]) for a in alerts])
    folder = Path(reports_dir or settings.reports_dir) / run_date.isoformat()
    return write_suspicious_tables(alerts, txns, folder, run_date)


def case_store(db: Path | None = None, settings: Settings | None = None) -> CaseStore:
    """The case store the settings name, or the SQLite file beside the warehouse."""
    settings = settings or get_settings()
    if settings.case_db:
        return CaseStore(settings.case_db)
    warehouse = Path(db or settings.db)
    return CaseStore.sqlite_file(warehouse.with_name(f"{warehouse.stem}-cases.sqlite"))


@contextmanager
def open_ledger(
    db: Path | None = None, settings: Settings | None = None
) -> Iterator[SubmissionLedger]:
    """The case store's record of regulator files, closed afterwards."""
    store = case_store(db, settings)
    try:
        yield SubmissionLedger(store)
    finally:
        store.close()


def institution(settings: Settings | None = None) -> Institution:
    """The reporting institution as the settings describe it."""
    settings = settings or get_settings()
    branches: dict[str, str] = {}
    if settings.branch_codes_file:
        with open(settings.branch_codes_file, "rb") as handle:
            branches = {str(k): str(v) for k, v in tomllib.load(handle)["branches"].items()}
    return Institution(
        code=settings.institution_code,
        reporting_branch=settings.reporting_branch or settings.institution_code,
        filer=settings.report_filer,
        branches=branches,
    )


def write_large_value_submission(
    run_date: dt.date,
    db: Path | None = None,
    reports_dir: Path | None = None,
    today: dt.date | None = None,
) -> Filing:
    """Write the run date's large-value submission (validated XML in ZIP packages) to
    `reports/<run_date>/submission/` and record every file in the case store."""
    settings = get_settings()
    with open_warehouse(db, settings, read_only=True) as warehouse:
        dates = lv_store.trade_dates_loaded(warehouse, run_date)
        rows = lv_store.large_value_submission_rows(warehouse, dates)
    with open_ledger(db, settings) as ledger:
        folder = _filing_folder(settings, reports_dir, run_date.isoformat(), "submission")
        day = today or _today()
        filing = file_large_value(rows, dates, institution(settings), ledger, folder, run_date, day)
        filing.actions = [f"{a.name} [{a.status}]: {a.what}" for a in receipts.actions(ledger, day)]
        return filing


def _today() -> dt.date:
    return dt.datetime.now(CHINA).date()


def _filing_folder(settings: Settings, reports_dir: Path | None, *parts: str) -> Path:
    return Path(reports_dir or settings.reports_dir).joinpath(*parts)


def read_receipts(
    folder: Path, db: Path | None = None, today: dt.date | None = None
) -> tuple[ReceiptReading, list[Action]]:
    """Read the regulator's receipts in `folder` into the case store; the open actions."""
    with open_ledger(db) as ledger:
        return receipts.read_receipts(folder, ledger), receipts.actions(ledger, today or _today())


def correct_from_receipt(
    name: str, db: Path | None = None, reports_dir: Path | None = None
) -> Filing:
    """Answer a system correction request (补正回执) on a large-value message: a correction
    message with that message's date and number, of the records the receipt lists (all of the
    message's records when it lists none), as the warehouse holds them now."""
    settings = get_settings()
    with open_ledger(db, settings) as ledger:
        record = ledger.file(name)
        if record is None or record.status != "correction requested":
            raise SubmissionError(f"{name}: no system correction request recorded for it")
        listed = [
            (r["customer"], r["day"], r["code"], r["txn_id"])
            for r in (record.detail or {}).get("records", [])
        ]
        wanted = listed or ledger.keys_of(name)
        with open_warehouse(db, settings, read_only=True) as warehouse:
            rows = sub_store.large_value_rows_for_keys(warehouse, wanted)
        _require_all(wanted, rows)
        return file_large_value_correction(
            rows,
            institution(settings),
            ledger,
            _filing_folder(settings, reports_dir, "corrections", f"{_today()}"),
            _today(),
            replaces=MessageName.parse(name),
            answers=name,
        )


def _require_all(wanted: Sequence[tuple[str, str, str, str]], rows: Sequence[dict]) -> None:
    found = {
        (
            str(r["customer_id"]),
            f"{r['trade_date']:%Y%m%d}",
            str(r["characteristic_code"]),
            str(r["txn_id"]),
        )
        for r in rows
    }
    missing = [k for k in wanted if tuple(k) not in found]
    if missing:
        raise SubmissionError(
            f"{len(missing)} record(s) are no longer large-value hits in the warehouse "
            f"(first: {'+'.join(missing[0])}); delete them instead of correcting"
        )


def answer_notice(path: Path, db: Path | None = None, reports_dir: Path | None = None) -> Filing:
    """Answer a manual-correction notice (spec §7.3): a large-value correction (A+BH), a
    suspicious report correction with the original's name (A+BS), or a new suspicious report
    of every transaction the supplement condition names (S+BT)."""
    settings = get_settings()
    notice = receipts.parse_notice(path)
    stem = notice.name.stem
    with open_ledger(db, settings) as ledger:
        folder = _filing_folder(settings, reports_dir, "notices", stem)
        who = institution(settings)
        if notice.name.kind == "A" and notice.name.report == "BH":
            wanted = [(r["customer"], r["day"], r["code"], r["txn_id"]) for r in notice.records]
            with open_warehouse(db, settings, read_only=True) as warehouse:
                rows = sub_store.large_value_rows_for_keys(warehouse, wanted)
            _require_all(wanted, rows)
            return file_large_value_correction(
                rows, who, ledger, folder, _today(), notice=stem, answers=stem
            )
        if notice.name.kind == "A":
            original = ledger.file(str(notice.original_report))
            if original is None or original.path is None:
                raise SubmissionError(f"{stem}: original report {notice.original_report} unknown")
            data = check(Path(original.path).read_bytes(), original.name)
            data["RBIF"]["MIRS"] = stem
            return file_suspicious(
                data,
                who,
                ledger,
                folder,
                _today(),
                purpose="notice answer",
                replaces=MessageName.parse(original.name),
                answers=stem,
            )
        condition = {k: (None if v in (None, "", NA) else v) for k, v in notice.supplement.items()}
        with open_warehouse(db, settings, read_only=True) as warehouse:
            subjects, txns = sub_store.supplement_rows(
                warehouse,
                dt.datetime.strptime(str(condition["BGDT"]), "%Y%m%d").date(),
                dt.datetime.strptime(str(condition["EDDT"]), "%Y%m%d").date(),
                condition.get("CITP"),
                condition.get("CTID"),
                condition.get("CTAC"),
            )
        if not subjects:
            raise SubmissionError(f"{stem}: no customer or account matches the condition")
        data = suspicious_new(who, supplement_case(stem), subjects[:1], txns)
        return file_suspicious(
            data, who, ledger, folder, _today(), purpose="supplement", answers=stem
        )


def write_suspicious_submission(
    alert_id: str,
    db: Path | None = None,
    reports_dir: Path | None = None,
    crime_types: Sequence[str] = ("1402",),
    urgency: str = "01",
) -> Filing:
    """A suspicious report (BSTR) of one alert: its subject, its evidence, its draft narrative
    (STCB / AOSP) and its monitoring standard (STCR). Until the review workflow confirms
    cases, the alert stands in for the confirmed case."""
    settings = get_settings()
    with open_warehouse(db, settings, read_only=True) as warehouse:
        alert, txns = sub_store.alert_submission_rows(warehouse, alert_id)
        if alert is None:
            raise SubmissionError(f"no alert {alert_id}")
        subjects = sub_store.customers_by_id(warehouse, [alert["customer_id"]])
    stcb, aosp = split_narrative(str(alert["narrative"]))
    case = SuspiciousCase(
        stcb=stcb,
        aosp=aosp,
        monitoring_codes=(str(alert["rule_code"]),),
        crime_types=tuple(crime_types),
        urgency=urgency,
    )
    who = institution(settings)
    data = suspicious_new(who, case, subjects, txns)
    with open_ledger(db, settings) as ledger:
        return file_suspicious(
            data,
            who,
            ledger,
            _filing_folder(settings, reports_dir, "suspicious", alert_id),
            _today(),
            answers=alert_id,
        )


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux `VmHWM`), in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def record_run(
    run_date: dt.date,
    started_at: dt.datetime,
    report: NightlyReport | None,
    stage_seconds: dict[str, float],
    *,
    db: Path | None = None,
    rule_pack: str | None = None,
    error: str | None = None,
    flow_run_id: str | None = None,
) -> str:
    """Append the run to `run_log` (a failed run too); returns the run id."""
    run_id = f"{run_date:%Y%m%d}-{uuid.uuid4().hex[:12]}"
    load = report.load if report else None
    lv = report.large_value if report else None
    sp = report.patterns if report else None
    packs = sorted({*(lv.rule_packs if lv else []), *(sp.rule_packs if sp else [])})
    peak = round(peak_rss_mb(), 1)
    run: dict[str, object] = {
        "run_id": run_id,
        "run_date": run_date,
        "flow_run_id": flow_run_id,
        "started_at": started_at,
        "finished_at": dt.datetime.now(),
        "outcome": "failed" if error else "succeeded",
        "rule_pack": ", ".join(packs) or rule_pack,
        "load_id": load.load_id if load else None,
        "rows_in": load.total_in if load else None,
        "rows_loaded": load.total_loaded if load else None,
        "rows_quarantined": load.total_quarantined if load else None,
        "hits_by_code": lv.hits_by_code if lv else None,
        "alerts_opened": sp.alerts_opened if sp else None,
        "alerts_extended": sp.alerts_extended if sp else None,
        "stage_seconds": {k: round(v, 3) for k, v in stage_seconds.items()},
        "peak_rss_mb": peak,
        "error": error,
    }
    with open_warehouse(db) as warehouse:
        runs_store.record_run(warehouse, run)
    if report is not None:
        report.run_id = run_id
        report.stage_seconds = dict(stage_seconds)
        report.peak_rss_mb = peak
    return run_id


def rescan_following(
    run_date: dt.date, db: Path | None = None, rule_pack: str | None = None
) -> RescanSummary:
    """After a date's input was replaced, re-scan the later nights whose windows hold it.

    Those are the end days from the day after `run_date` up to the last one whose window
    starts on or before it (the following window's worth of business days), limited to nights
    that already ran successfully (the others will scan when they run). Returns which alerts
    appeared, disappeared or changed.
    """
    settings = get_settings()
    calendar = BusinessCalendar.load(settings.calendar_file)
    pack = load_pack(rule_pack) if rule_pack else pack_for(run_date)
    summary = RescanSummary()
    if pack.suspicious is None:
        return summary
    days = pack.suspicious.window_business_days
    last = calendar.add_business_days(run_date, days)
    candidates = [run_date + dt.timedelta(days=i) for i in range(1, (last - run_date).days + 1)]
    candidates = [e for e in candidates if calendar.window_start(e, days) <= run_date]
    with open_warehouse(db, settings) as warehouse:
        ends = sorted(runs_store.completed_dates(warehouse, candidates))
        if not ends:
            return summary
        before = _alert_state(warehouse)
        scan_pattern_days(warehouse, ends, calendar, rule_pack)
        after = _alert_state(warehouse)
    summary.scan_dates = ends
    summary.opened = sorted(set(after) - set(before))
    summary.removed = sorted(set(before) - set(after))
    summary.changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    return summary


def _alert_state(warehouse: Warehouse) -> dict[str, tuple[object, ...]]:
    rows = warehouse.rows(
        """SELECT alert_id, window_start, window_end, nights, in_total, out_total, in_parties,
                  out_parties, evidence_count FROM suspicious_alerts"""
    )
    return {str(r[0]): tuple(r[1:]) for r in rows}
