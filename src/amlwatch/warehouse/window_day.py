"""A loaded date's window store files, both datasets from one sorted pass over its rows
(inside the load's transaction): the large-value records, every one, and the pattern day run,
the records the pack in force does not exclude, in run order. One read and one sort of the
date's rows where the two cuts (`large_value_store`, `day_runs`) would take two.
"""

from __future__ import annotations

import datetime as dt

import pyarrow.compute as pc

from amlwatch.rules import SuspiciousRule
from amlwatch.warehouse import large_value_store as lv_store
from amlwatch.warehouse import window_store
from amlwatch.warehouse.database import Warehouse
from amlwatch.warehouse.day_runs import PARTY_KEY, exclusions_digest, kind_sql, not_excluded_sql

_RUN_NAMES = ["business_date", "trade_date", "customer_1", "customer_2", "ts", "out", "amount",
              "party", "line", "kind"]  # fmt: skip


def store_day(
    warehouse: Warehouse, business_date: dt.date, load_id: str, rule: SuspiciousRule | None
) -> int:
    """Write and list the date's large-value records and, under a per-customer `rule`, its
    day run; the records read."""
    runs = rule is not None and rule.subject == "customer"
    kept = not_excluded_sql(rule) if rule is not None and runs else "true"
    kind = kind_sql(rule) if rule is not None and runs else "0::UTINYINT"
    with warehouse.in_insertion_order():
        rows = warehouse._con.sql(
            f"""SELECT {lv_store.COLUMNS}, epoch_us(t.booked_at) // 1000000 AS ts,
                       CASE WHEN {PARTY_KEY} IS NULL THEN 0::UBIGINT
                            ELSE greatest(hash({PARTY_KEY}), 1) END AS party,
                       {kind} AS kind, {kept} AS kept
                FROM transactions t WHERE t.business_date = DATE '{business_date}'
                ORDER BY customer_1, customer_2, ts, out"""
        ).to_arrow_table()
    rows = lv_store.with_own_accounts(warehouse, rows, [business_date])
    loads = {business_date: load_id}
    records = rows.select(window_store.LARGE_VALUE_SCHEMA.names)
    files = {business_date: lv_store.write_records(warehouse, business_date, load_id, records)}
    window_store.list_files(
        warehouse, {business_date: rows.num_rows}, lv_store.LAYOUT, loads, files
    )
    if rule is not None and runs:
        run = rows.filter(rows["kept"]) if not pc.all(rows["kept"]).as_py() else rows
        run = run.rename_columns(
            ["amount" if n == "amount_cny" else n for n in run.column_names]
        ).select(_RUN_NAMES)
        digest = exclusions_digest(rule)
        files = {
            business_date: window_store.write_date(
                warehouse.window_store, business_date, digest, load_id, run
            )
        }
        window_store.list_files(warehouse, {business_date: run.num_rows}, digest, loads, files)
    return rows.num_rows
