"""The large-value stage (大额交易, characteristics 0501–0504): whole calendar days of
transactions → the kernel → one hit row per transaction and characteristic it meets.

Only the customer-days that can reach a threshold are read into the kernel
(`scanners.large_value.candidate_rows`). A night's buckets scan read-only side by side; one
task then replaces the trade dates' hits of every bucket in one transaction.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amlwatch import wiring
from amlwatch.models import REPORT_DUE_WORKING_DAYS, LargeValueSummary
from amlwatch.reports import ReportFiles, write_large_value_tables
from amlwatch.rules import RulePack, load_pack, pack_for
from amlwatch.scanners import LargeValueHits, LargeValueInput, pattern_order, scan_large_value
from amlwatch.scanners.large_value import candidate_rows
from amlwatch.settings import ScanSettings
from amlwatch.stages.arrays import customer_flags, decimal_milli
from amlwatch.warehouse import WHOLE, Bucket, Warehouse
from amlwatch.warehouse import large_value as wh_large_value
from amlwatch.warehouse import patterns as wh_patterns
from amlwatch.warehouse.tables import LARGE_VALUE_TRANSACTIONS


def scan_large_value_day(
    run_date: dt.date, db: Path | None = None, rule_pack: str | None = None
) -> LargeValueSummary:
    """Scan the trade dates a business date's folder brought and replace their hits.

    Every transaction of those calendar days counts (whichever folder brought it). The rule
    pack is the one in force on each trade date unless `rule_pack` forces one.
    """
    settings = wiring.settings()
    with wiring.open_warehouse(db, settings) as warehouse:
        dates = wh_large_value.trade_dates_loaded(warehouse, run_date)
        return scan_large_value_dates(warehouse, dates, rule_pack, settings.scan)


def scan_large_value_bucket(
    run_date: dt.date, db: Path | None, rule_pack: str | None, bucket: Bucket
) -> LargeValuePart:
    """One bucket's large-value hits of the run date's trade dates, stored nowhere yet.

    Opens the warehouse read-only, so that the buckets of a night can run side by side in
    several processes; `store_large_value` then replaces the hits of all buckets at once.
    """
    settings = wiring.settings()
    with wiring.open_warehouse(db, settings, scanning=True) as warehouse:
        dates = wh_large_value.trade_dates_loaded(warehouse, run_date)
        return large_value_part(warehouse, dates, rule_pack, bucket, settings.scan)


def store_large_value(db: Path | None, parts: Sequence[LargeValuePart]) -> LargeValueSummary:
    """Replace the scanned trade dates' hits with those of every bucket of one split."""
    dates = parts[0].summary.trade_dates if parts else []
    with wiring.open_warehouse(db) as warehouse:
        return store_large_value_parts(warehouse, dates, parts)


def scan_large_value_dates(
    warehouse: Warehouse,
    dates: list[dt.date],
    rule_pack: str | None = None,
    scan: ScanSettings | None = None,
) -> LargeValueSummary:
    """Scan whole calendar days for large-value hits and replace those days' hits."""
    return store_large_value_parts(
        warehouse, dates, [large_value_part(warehouse, dates, rule_pack, scan=scan)]
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
    scan: ScanSettings | None = None,
) -> LargeValuePart:
    """The large-value hits of whole calendar days for one bucket's customers (read only)."""
    scan = scan or ScanSettings()
    started = time.monotonic()
    summary = LargeValueSummary(trade_dates=list(dates))
    by_pack: dict[str, tuple[RulePack, list[dt.date]]] = {}
    for day in dates:
        pack = load_pack(rule_pack) if rule_pack else pack_for(day)
        by_pack.setdefault(pack.label, (pack, []))[1].append(day)
    tables = []
    types = wh_patterns.customer_types(warehouse, bucket)
    for pack, days in by_pack.values():
        rule = pack.large_value
        table = wh_large_value.large_value_input(warehouse, days, rule, bucket)
        sorted_window = _kernel_input(table, types, pack, scan.max_cells)
        hits = scan_large_value(sorted_window.data, pack)
        tables.append(_hit_rows(warehouse, sorted_window, hits, pack))
        summary.transactions_scanned += table.num_rows
        summary.rule_packs.append(pack.label)
        for k, count in zip(*np.unique(hits.characteristic, return_counts=True), strict=True):
            code = rule.characteristics[int(k)].code
            summary.hits_by_code[code] = summary.hits_by_code.get(code, 0) + int(count)
    hits_table = pa.concat_tables(tables) if tables else LARGE_VALUE_TRANSACTIONS.empty()
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
    wh_large_value.replace_large_value_hits(
        warehouse, dates, pa.concat_tables(hits) if hits else LARGE_VALUE_TRANSACTIONS.empty()
    )
    summary.duration_s += time.monotonic() - started
    return summary


@dataclass(frozen=True, slots=True)
class _Sorted:
    """The kernel's input and, per sorted row, the warehouse row id."""

    data: LargeValueInput
    rid: np.ndarray


def _kernel_input(
    table: pa.Table, types: pa.Table, pack: RulePack | None = None, max_cells: int = 100_000_000
) -> _Sorted:
    """The window's Arrow columns as the kernel's arrays, sorted by (customer, day).

    Customers get dense codes from their hash keys (the customer table's keys first, so the
    same numbering gives each row its customer type). With a `pack`, only the rows of
    customer-days that may reach one of its thresholds are kept
    (`scanners.large_value.candidate_rows`): usually a few percent, so the sort and the
    gathers touch few rows; without, every row (the benchmark's kernel measurement).
    """
    n = table.num_rows
    state_organ_customer = pack is None or pack.large_value.state_organ_party == "either"
    customer, (entity, state_organ) = customer_flags(table, types, ("entity", "state_organ"))
    day = np.asarray(table["trade_date"].cast(pa.int32()).to_numpy(), np.int64)
    cny = decimal_milli(table["amount_cny"]) if n else np.empty(0, np.int64)
    usd = decimal_milli(table["amount_usd"]) if n else np.empty(0, np.int64)
    rmb = _flags(table["rmb"])
    # article 7: the record's exemption holds for its customer's type; a state-organ
    # customer exempts every record of it where the pack says either party does
    exempt = np.where(entity, _flags(table["exempt_entity"]), _flags(table["exempt_individual"]))
    if state_organ_customer:
        exempt |= state_organ
    counted = _flags(table["eligible"]) & ~exempt
    keep = None
    if pack is not None:
        keep = candidate_rows(customer, day, counted, rmb, cny, usd, pack, max_cells)
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
    warehouse: Warehouse, window: _Sorted, hits: LargeValueHits, pack: RulePack
) -> pa.Table:
    """The result table's rows for a scan's hits (details fetched for the hit rows only)."""
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
    details = wh_large_value.transactions_by_rowid(warehouse, pc.unique(found["rid"]))
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
    ).cast(LARGE_VALUE_TRANSACTIONS.schema())


def write_large_value_report(
    run_date: dt.date, db: Path | None = None, reports_dir: Path | None = None
) -> ReportFiles:
    """Write `reports/<run_date>/` large-value tables for the trade dates the run date brought."""
    settings = wiring.settings()
    calendar = wiring.calendar(settings)
    with wiring.open_warehouse(db, settings) as warehouse:
        dates = wh_large_value.trade_dates_loaded(warehouse, run_date)
        rows = wh_large_value.large_value_report_rows(warehouse, dates)
    folder = wiring.reports_folder(settings, reports_dir, run_date.isoformat())
    return write_large_value_tables(
        rows,
        folder,
        run_date,
        lambda day: calendar.add_business_days(day, REPORT_DUE_WORKING_DAYS),
        lambda due: calendar.is_provisional(due),
        f"{settings.institution_name}（{settings.institution_code}）",
    )
