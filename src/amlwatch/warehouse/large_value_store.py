"""The large-value dataset of the window store: every record of a business date with the
columns the large-value scan reads, written at ingest in the load's transaction (as the
pattern runs are, `day_runs`), so that a bucket's worker scans whole trade dates from the
store alone.

The rows are rule-free: the pack's exemptions are tested when they are read
(`stages.large_value_scan`) against facts fixed here — the exemption code, the currencies,
whether the counterparty account is one of the customer's own accounts at this bank (as the
accounts stood when the record was loaded), a government counterparty, who initiated it.
A record is named by its business date and file line (`row_key`), which the step that
stores the hits turns back into the transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from amlwatch.warehouse import window_store
from amlwatch.warehouse.database import Warehouse
from amlwatch.warehouse.picks import sql_date_list

# the manifest's `exclusions` value of this dataset's files (its layout; rule-free)
LAYOUT = "large-value-1"

_HASH_CHECK = window_store.HASH_CHECK

COLUMNS = """t.business_date, t.line, hash(t.customer_id) AS customer_1,
    hash(t.customer_id, 'amlwatch') AS customer_2, t.trade_date, t.direction = 'out' AS out,
    coalesce(t.is_cash, false) AS is_cash, coalesce(t.is_cross_border, false) AS is_cross_border,
    t.currency, t.counter_currency, CAST(t.amount_cny * 1000 AS BIGINT) AS amount_cny,
    CAST(t.amount_usd * 1000 AS BIGINT) AS amount_usd, t.exemption_code,
    false AS own_account,  -- set by `with_own_accounts`
    coalesce(t.counterparty_is_government, false) AS government,
    coalesce(t.initiated_by = 'institution', false) AS by_institution"""


def with_own_accounts(warehouse: Warehouse, rows: pa.Table, days: list[dt.date]) -> pa.Table:
    """`rows` (with `business_date`, `line`) with `own_account` set: the records with an
    exemption code into another account of the customer's own at this bank. The few coded
    records are looked up on their own and marked here (a join or a correlated subquery per
    record cost DuckDB 1–3 s a 2M-row day)."""
    own = warehouse._con.sql(
        f"""SELECT o.business_date, o.line FROM transactions o
            SEMI JOIN account_history a
                ON a.account_id = o.counterparty_account AND a.customer_id = o.customer_id
            WHERE o.business_date IN ({sql_date_list(days)}) AND o.exemption_code IS NOT NULL
              AND o.counterparty_account <> o.account_id"""
    ).to_arrow_table()
    flags = np.zeros(rows.num_rows, np.bool_)
    if own.num_rows and rows.num_rows:
        flags = np.isin(
            row_key(rows["business_date"].cast(pa.int32()).to_numpy(), rows["line"].to_numpy()),
            row_key(own["business_date"].cast(pa.int32()).to_numpy(), own["line"].to_numpy()),
        )
    return rows.set_column(
        rows.schema.get_field_index("own_account"), "own_account", pa.array(flags)
    )


def row_key(business_date: np.ndarray, line: np.ndarray) -> np.ndarray:
    """A record's int64 name: its business date (days since 1970) and its file line."""
    return (business_date.astype(np.int64) << 40) | line.astype(np.int64)


def key_parts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(business date as datetime64[D], line) of each row key."""
    return (keys >> 40).astype("datetime64[D]"), keys & ((1 << 40) - 1)


def _store(warehouse: Warehouse, loads: dict[dt.date, str]) -> int:
    con = warehouse._con
    days = sorted(loads)
    listed = sql_date_list(days)
    with warehouse.in_insertion_order():
        rows = con.sql(
            f"""SELECT {COLUMNS} FROM transactions t WHERE t.business_date IN ({listed})
                ORDER BY t.business_date, customer_1, customer_2, t.line"""
        ).to_arrow_table()
    rows = with_own_accounts(warehouse, rows, days)
    day_of = rows["business_date"].to_numpy()
    files: dict[dt.date, list[window_store.StoredFile]] = {}
    counts = {}
    for day in days:
        lo, hi = (
            int(np.searchsorted(day_of, np.datetime64(day), side=s)) for s in ("left", "right")
        )
        counts[day] = hi - lo
        files[day] = write_records(warehouse, day, loads[day], rows.slice(lo, hi - lo))
    window_store.list_files(warehouse, counts, LAYOUT, loads, files)
    return sum(counts.values())


def recut_day_records(warehouse: Warehouse, business_date: dt.date, load_id: str) -> bool:
    """Write the date's records to the store, in one transaction, unless they are there;
    whether they were written."""
    if warehouse.scalar(
        f"""SELECT count(*) FROM pattern_runs WHERE business_date = ? AND exclusions = ?
            AND hash_check = {_HASH_CHECK}""",
        [business_date, LAYOUT],
    ):
        return False
    with warehouse.transaction():
        _store(warehouse, {business_date: load_id})
    return True


def write_records(
    warehouse: Warehouse, business_date: dt.date, load_id: str, rows: pa.Table
) -> list[window_store.StoredFile]:
    """Write a date's records (sorted by customer key) as the dataset's files."""
    return window_store.write_date(
        warehouse.window_store, business_date, LAYOUT, load_id, rows,
        dataset="large_value", schema=window_store.LARGE_VALUE_SCHEMA,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class RecordDates:
    """The business dates holding some trade dates' records, each with its store files
    (or, on a read-only warehouse lacking them, its records cut in memory)."""

    trade_dates: list[dt.date]
    files: dict[dt.date, tuple[window_store.StoredFile, ...]] = field(default_factory=dict)
    cut: dict[dt.date, pa.Table] = field(default_factory=dict)


def ready_records(
    warehouse: Warehouse, trade_dates: list[dt.date], store: bool = True
) -> RecordDates:
    """The business dates holding those trade dates' records, every one with its records in
    the store: dates loaded before the store are written to it now (one transaction) when
    `store` and the warehouse may be written, else cut in memory."""
    if not trade_dates:
        return RecordDates([])
    held = [d for (d,) in warehouse.rows(
        f"""SELECT DISTINCT business_date FROM transactions
            WHERE trade_date IN ({sql_date_list(trade_dates)}) ORDER BY 1"""
    )]  # fmt: skip
    if not held:
        return RecordDates(list(trade_dates))
    stored = {d for (d,) in warehouse.rows(
        f"""SELECT business_date FROM pattern_runs WHERE exclusions = ? AND hash_check = {_HASH_CHECK}
            AND business_date IN ({sql_date_list(held)})""",
        [LAYOUT],
    )}  # fmt: skip
    missing = [d for d in held if d not in stored]
    cut: dict[dt.date, pa.Table] = {}
    writable = not warehouse.scalar(
        "SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()"
    )
    if missing and store and writable:
        loads = dict(warehouse.rows(
            f"""SELECT business_date, any_value(load_id) FROM transactions
                WHERE business_date IN ({sql_date_list(missing)}) GROUP BY business_date"""
        ))  # fmt: skip
        with warehouse.transaction():
            for day in missing:
                _store(warehouse, {day: loads[day]})
        from amlwatch.warehouse.day_runs import sweep

        sweep(warehouse, missing)
    elif missing:
        for day in missing:
            with warehouse.in_insertion_order():
                rows = warehouse._con.sql(
                    f"""SELECT {COLUMNS} FROM transactions t WHERE t.business_date = ?
                        ORDER BY customer_1, customer_2, t.line""",
                    params=[day],
                ).to_arrow_table()
            rows = with_own_accounts(warehouse, rows, [day])
            cut[day] = rows.cast(window_store.LARGE_VALUE_SCHEMA)
    files: dict[dt.date, list[window_store.StoredFile]] = {}
    for day, url, path, part, parts, n in warehouse.rows(
        f"""SELECT business_date, url, path, part, parts, rows FROM window_files
            WHERE exclusions = ? AND hash_check = {_HASH_CHECK}
              AND business_date IN ({sql_date_list(held)}) ORDER BY business_date, part""",
        [LAYOUT],
    ):
        files.setdefault(day, []).append(window_store.StoredFile(url, path, part, parts, n))
    return RecordDates(list(trade_dates), {d: tuple(f) for d, f in files.items()}, cut)


def transactions_by_key(warehouse: Warehouse, keys: np.ndarray) -> pa.Table:
    """The report columns of the transactions with those row keys (`row_key`), with `key`."""
    days, lines = key_parts(np.asarray(keys, np.int64))
    wanted = pa.table({"key": pa.array(keys, pa.int64()), "business_date": pa.array(days),
                       "line": pa.array(lines)})  # fmt: skip
    warehouse._con.register("_keys", wanted)
    try:
        return warehouse._con.sql(
            """SELECT k.key, t.txn_id, t.customer_id, t.account_id, t.trade_date,
                      t.direction, t.currency, t.amount, t.amount_cny, t.amount_usd
               FROM transactions t JOIN _keys k
                 ON t.business_date = k.business_date AND t.line = k.line"""
        ).to_arrow_table()
    finally:
        warehouse._con.unregister("_keys")
