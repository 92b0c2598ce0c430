"""Warehouse side of the large-value stage: its input window and its result table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pyarrow as pa

from amlwatch.warehouse.store import Warehouse


def trade_dates_loaded(warehouse: Warehouse, business_date: dt.date) -> list[dt.date]:
    """The calendar days of the transactions a business date's folder brought."""
    rows = warehouse.rows(
        "SELECT DISTINCT trade_date FROM transactions WHERE business_date = ? ORDER BY 1",
        [business_date],
    )
    return [r[0] for r in rows]


def large_value_input(
    warehouse: Warehouse,
    trade_dates: Sequence[dt.date],
    exemption_codes: Sequence[str],
    government_exempt: bool,
    rmb_only: bool,
) -> pa.Table:
    """Every transaction of those days, sorted by (customer, day), with what the kernel needs.

    `counted` is false for exempt records (exemption code of the pack, or a state-organ
    counterparty where the pack exempts those) and, for an RMB-only pack, foreign currency.
    Amounts come as int64 thousandths (`cny_milli`, `usd_milli`).
    """
    return warehouse.con.sql(
        """SELECT t.txn_id, t.customer_id, t.account_id, t.trade_date, t.direction,
                  t.currency, t.amount, t.amount_cny, t.amount_usd, t.is_cash,
                  t.is_cross_border, c.customer_type = 'entity' AS entity,
                  CAST(t.amount_cny * 1000 AS BIGINT) AS cny_milli,
                  CAST(t.amount_usd * 1000 AS BIGINT) AS usd_milli,
                  NOT (coalesce(list_contains(?::VARCHAR[], t.exemption_code), false)
                       OR (? AND coalesce(t.counterparty_is_government, false)))
                  AND (NOT ? OR t.currency = 'CNY') AS counted
           FROM transactions t JOIN customers c USING (customer_id)
           WHERE list_contains(?::DATE[], t.trade_date)
           ORDER BY t.customer_id, t.trade_date""",
        params=[list(exemption_codes), government_exempt, rmb_only, list(trade_dates)],
    ).to_arrow_table()


def replace_large_value_hits(
    warehouse: Warehouse, trade_dates: Sequence[dt.date], hits: pa.Table
) -> None:
    """Replace the hits of exactly those trade dates, atomically."""
    con = warehouse.con
    con.execute("BEGIN TRANSACTION").fetchall()
    try:
        con.execute(
            "DELETE FROM large_value_transactions WHERE list_contains(?::DATE[], trade_date)",
            [list(trade_dates)],
        ).fetchall()
        if hits.num_rows:
            con.register("_hits", hits)
            try:
                con.execute(
                    "INSERT INTO large_value_transactions BY NAME SELECT * FROM _hits"
                ).fetchall()
            finally:
                con.unregister("_hits")
        con.execute("COMMIT").fetchall()
    except BaseException:
        con.execute("ROLLBACK").fetchall()
        raise
