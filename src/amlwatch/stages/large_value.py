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
from amlwatch.rules import RulePack
from amlwatch.scanners import LargeValueHits, LargeValueInput, pattern_order, scan_large_value
from amlwatch.scanners.large_value import candidate_rows
from amlwatch.settings import ScanSettings
from amlwatch.stages.arrays import customer_flags, decimal_milli
from amlwatch.stages.large_value_scan import FOUND, LargeValuePlan, input_table, plan_large_value
from amlwatch.warehouse import WHOLE, Bucket, Warehouse
from amlwatch.warehouse import large_value as wh_large_value
from amlwatch.warehouse import large_value_store as lv_store
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


def plan_large_value_buckets(
    run_date: dt.date, db: Path | None, rule_pack: str | None, buckets: Sequence[Bucket]
) -> list[LargeValuePlan]:
    """Each bucket's plan of the run date's trade dates (`plan_large_value`), made where the
    warehouse is; `scan_large_value_plan` then scans a bucket on any worker, and
    `store_large_value` replaces the hits of all buckets at once."""
    settings = wiring.settings()
    with wiring.open_warehouse(db, settings) as warehouse:
        dates = wh_large_value.trade_dates_loaded(warehouse, run_date)
        return [
            plan_large_value(warehouse, dates, rule_pack, bucket, settings.scan)
            for bucket in buckets
        ]


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
    """One bucket's large-value hits and what it scanned: in the result table's layout
    (`hits`), or as a worker found them, by row key (`found`, `large_value_scan.FOUND`), for
    the store step to name."""

    hits: pa.Table
    summary: LargeValueSummary
    found: pa.Table | None = None


def large_value_part(
    warehouse: Warehouse,
    dates: list[dt.date],
    rule_pack: str | None = None,
    bucket: Bucket = WHOLE,
    scan: ScanSettings | None = None,
) -> LargeValuePart:
    """The large-value hits of whole calendar days for one bucket's customers."""
    part = scan_large_value_plan(plan_large_value(warehouse, dates, rule_pack, bucket, scan))
    return LargeValuePart(_named(warehouse, part), part.summary)


def scan_large_value_plan(plan: LargeValuePlan) -> LargeValuePart:
    """A bucket's hits from its plan, by row key: reads the window store, never the
    warehouse."""
    started = time.monotonic()
    summary = LargeValueSummary(trade_dates=sorted(d for _, days in plan.by_pack for d in days))
    found = []
    for pack, days in plan.by_pack:
        rule = pack.large_value
        table = input_table(plan.records, days, rule, plan.bucket)
        sorted_window = _kernel_input(table, plan.types, pack, plan.scan.max_cells)
        hits = scan_large_value(sorted_window.data, pack)
        found.append(_found(sorted_window, hits, pack))
        summary.transactions_scanned += table.num_rows
        summary.rule_packs.append(pack.label)
        for k, count in zip(*np.unique(hits.characteristic, return_counts=True), strict=True):
            code = rule.characteristics[int(k)].code
            summary.hits_by_code[code] = summary.hits_by_code.get(code, 0) + int(count)
    summary.duration_s = time.monotonic() - started + plan.seconds
    found_table = pa.concat_tables(found) if found else FOUND.empty_table()
    return LargeValuePart(LARGE_VALUE_TRANSACTIONS.empty(), summary, found_table)


def store_large_value_parts(
    warehouse: Warehouse, dates: list[dt.date], parts: Sequence[LargeValuePart]
) -> LargeValueSummary:
    """Replace those days' hits with the parts' in one transaction (the hits found by row
    key named here); the merged summary."""
    started = time.monotonic()
    summary = LargeValueSummary(trade_dates=list(dates))
    for part in parts:
        summary.transactions_scanned += part.summary.transactions_scanned
        summary.duration_s += part.summary.duration_s
        summary.rule_packs.extend(p for p in part.summary.rule_packs if p not in summary.rule_packs)
        for code, n in part.summary.hits_by_code.items():
            summary.hits_by_code[code] = summary.hits_by_code.get(code, 0) + n
    hits = [t for t in (_named(warehouse, p) for p in parts) if t.num_rows]
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
    cny = _milli(table["amount_cny"])
    usd = _milli(table["amount_usd"])
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
    rid = np.asarray(table["key"].to_numpy(), np.int64)[keep][order] if n else np.empty(0, np.int64)
    return _Sorted(data, rid)


def _milli(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """int64 thousandths of an amount column: stored so already, or DECIMAL(p, 3)."""
    if pa.types.is_integer(column.type):
        return np.asarray(column.to_numpy(), np.int64)
    return decimal_milli(column) if len(column) else np.empty(0, np.int64)


def _flags(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    filled = pc.fill_null(column, False)
    return np.ascontiguousarray(filled.to_numpy(zero_copy_only=False), dtype=np.bool_)


def _found(window: _Sorted, hits: LargeValueHits, pack: RulePack) -> pa.Table:
    """A scan's hits by row key (`large_value_scan.FOUND`), for the store step to name."""
    codes = pa.array([c.code for c in pack.large_value.characteristics], pa.string())
    return pa.table(
        {
            "key": pa.array(window.rid[hits.row], pa.int64()),
            "rmb": pa.array(window.data.rmb[hits.row]),
            "cny_milli": pa.array(window.data.cny[hits.row], pa.int64()),
            "usd_milli": pa.array(window.data.usd[hits.row], pa.int64()),
            "characteristic_code": pc.take(codes, pa.array(hits.characteristic, pa.int16())),
            "total": pa.array(hits.total, pa.int64()),
            "rule_pack": pa.array([pack.label] * len(hits.row), pa.string()),
        },
        schema=FOUND,
    )


def _named(warehouse: Warehouse, part: LargeValuePart) -> pa.Table:
    """A part's hits in the result table's layout: the found ones' transactions looked up
    by row key."""
    if part.found is None:
        return part.hits
    found = part.found
    if not found.num_rows:
        return LARGE_VALUE_TRANSACTIONS.empty()
    details = lv_store.transactions_by_key(warehouse, pc.unique(found["key"]).to_numpy())
    rows = found.join(details, "key", join_type="inner")
    if rows.num_rows != found.num_rows:
        raise ValueError("a large-value hit names a transaction the warehouse no longer holds")
    own = pc.if_else(rows["rmb"], rows["cny_milli"], rows["usd_milli"])
    return pa.table(
        {
            "txn_id": rows["txn_id"],
            "customer_id": rows["customer_id"],
            "account_id": rows["account_id"],
            "trade_date": rows["trade_date"],
            "characteristic_code": rows["characteristic_code"],
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
            "rule_pack": rows["rule_pack"],
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
