"""The large-value scan of one bucket, split as the pattern scan is (`stages.pattern_hits`):
the plan, made where the warehouse is (the trade dates per pack, the bucket's customers'
facts, the store files of the business dates holding those trade dates), and the scan,
which reads only the window store and returns the hits by row key; the step that stores
them turns the keys into transactions (`stages.large_value.store_large_value_parts`).

The pack's exemptions (article 7) are tested here on the stored facts, as the SQL of
`warehouse.large_value.large_value_input` tests them on `transactions`.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amlwatch.rules import LargeValueRule, RulePack, load_pack, pack_for
from amlwatch.settings import ScanSettings
from amlwatch.warehouse import WHOLE, Bucket, Warehouse, window_store
from amlwatch.warehouse import large_value_store as lv_store
from amlwatch.warehouse import patterns as wh_patterns

# a found hit, before the store step names its transaction
FOUND = pa.schema(
    [
        ("key", pa.int64()),
        ("rmb", pa.bool_()),
        ("cny_milli", pa.int64()),
        ("usd_milli", pa.int64()),
        ("characteristic_code", pa.string()),
        ("total", pa.int64()),
        ("rule_pack", pa.string()),
    ]
)


@dataclass(frozen=True, slots=True)
class LargeValuePlan:
    """What a bucket's large-value scan needs; picklable, no warehouse."""

    by_pack: list[tuple[RulePack, list[dt.date]]]
    types: pa.Table
    records: lv_store.RecordDates
    bucket: Bucket
    scan: ScanSettings
    seconds: float = 0.0


def packs_of(dates: list[dt.date], rule_pack: str | None) -> list[tuple[RulePack, list[dt.date]]]:
    """The trade dates grouped by the pack in force on each (or the one forced)."""
    by_pack: dict[str, tuple[RulePack, list[dt.date]]] = {}
    for day in dates:
        pack = load_pack(rule_pack) if rule_pack else pack_for(day)
        by_pack.setdefault(pack.label, (pack, []))[1].append(day)
    return list(by_pack.values())


def plan_large_value(
    warehouse: Warehouse, dates: list[dt.date], rule_pack: str | None = None,
    bucket: Bucket = WHOLE, scan: ScanSettings | None = None,
) -> LargeValuePlan:  # fmt: skip
    """The plan of a bucket's scan of whole trade dates (records missing from the store are
    written to it first where the warehouse may be written)."""
    started = time.monotonic()
    types = wh_patterns.customer_types(warehouse, bucket)
    records = lv_store.ready_records(warehouse, list(dates))
    return LargeValuePlan(
        packs_of(list(dates), rule_pack), types, records, bucket, scan or ScanSettings(),
        time.monotonic() - started,
    )  # fmt: skip


def input_table(records: lv_store.RecordDates, days: list[dt.date], rule: LargeValueRule,
                bucket: Bucket = WHOLE) -> pa.Table:  # fmt: skip
    """The kernel's columns for every record of those trade dates of the bucket's
    customers: `key`, `customer_id_1/_2`, `trade_date`, flags, `amount_cny` / `amount_usd`
    (int64 thousandths), `eligible`, `exempt_individual` / `exempt_entity`."""
    first, last = bucket.hashes
    names = list(window_store.LARGE_VALUE_SCHEMA.names)
    tables = []
    for day in sorted({*records.files, *records.cut}):
        if day in records.cut:
            table = window_store.in_hash_range(records.cut[day], first, last)
        else:
            table = window_store.read_rows(
                list(records.files[day]), names, first, last,
                schema=window_store.LARGE_VALUE_SCHEMA,
            )  # fmt: skip
        tables.append(table.filter(pc.is_in(table["trade_date"], pa.array(days, pa.date32()))))
    rows = pa.concat_tables(tables) if tables else window_store.LARGE_VALUE_SCHEMA.empty_table()
    key = lv_store.row_key(
        rows["business_date"].cast(pa.int32()).to_numpy(), rows["line"].to_numpy()
    )
    rmb = pc.equal(rows["currency"], "CNY")
    exempt = _exemptions(rows, rule)
    return pa.table(
        {
            "key": pa.array(key, pa.int64()),
            "customer_id_1": rows["customer_1"],
            "customer_id_2": rows["customer_2"],
            "trade_date": rows["trade_date"],
            "out": rows["out"],
            "is_cash": rows["is_cash"],
            "is_cross_border": rows["is_cross_border"],
            "rmb": pc.fill_null(rmb, False),
            "amount_cny": rows["amount_cny"],
            "amount_usd": rows["amount_usd"],
            "eligible": pc.fill_null(pc.or_kleene(pa.scalar(not rule.rmb_only), rmb), False),
            "exempt_individual": exempt["individual"],
            "exempt_entity": exempt["entity"],
        }
    )


def _exemptions(rows: pa.Table, rule: LargeValueRule) -> dict[str, pa.ChunkedArray | pa.Array]:
    """Per customer type, whether each record is exempt: an exemption of the pack whose
    conditions hold, or a government counterparty where the pack exempts those."""
    n = rows.num_rows
    found = {"individual": np.zeros(n, np.bool_), "entity": np.zeros(n, np.bool_)}
    code = rows["exemption_code"]
    for item in rule.exemptions:
        holds = pc.is_in(code, pa.array(rule.names_of(item.code), pa.string()))
        if item.currencies == "foreign_to_foreign":
            cur, counter = rows["currency"], rows["counter_currency"]
            holds = pc.and_kleene(holds, pc.and_kleene(
                pc.not_equal(cur, "CNY"),
                pc.and_kleene(pc.is_valid(counter), pc.invert(pc.or_kleene(
                    pc.equal(counter, "CNY"), pc.equal(counter, cur)))),
            ))  # fmt: skip
        if item.counterparty == "own_account":
            holds = pc.and_kleene(holds, rows["own_account"])
        if item.initiated_by == "institution":
            holds = pc.and_kleene(holds, rows["by_institution"])
        flags = _bools(holds)
        for kind in item.customer_types:
            found[kind] |= flags
    if rule.state_organ_party in ("either", "counterparty"):
        for kind in found:
            found[kind] |= _bools(rows["government"])
    return {kind: pa.array(flags) for kind, flags in found.items()}


def _bools(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    filled = pc.fill_null(column, False)
    return np.ascontiguousarray(filled.to_numpy(zero_copy_only=False), dtype=np.bool_)
