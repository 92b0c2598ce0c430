"""Warehouse side of the large-value stage: its input window and its result table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pyarrow as pa

from amlwatch.rules import LargeValueRule
from amlwatch.warehouse.buckets import WHOLE, Bucket
from amlwatch.warehouse.database import Warehouse


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
    rule: LargeValueRule,
    bucket: Bucket = WHOLE,
) -> pa.Table:
    """The kernel's columns for every transaction of those days (of the bucket's customers),
    unsorted and string-free.

    `rid` (the row's id, to fetch its details for hits), `customer_id_1/_2` (a 128-bit hash
    key of the customer, see `scanners.encode`), `trade_date`, flags, `amount_cny` /
    `amount_usd` (decimals); `eligible`: false for foreign currency under an RMB-only pack;
    `exempt_individual` / `exempt_entity`: the record is exempt if its customer is a natural
    person / is not — an exemption of the pack whose conditions hold, or a state-organ
    counterparty where the pack exempts those (a state-organ *customer* is the customer
    table's flag, `wh_patterns.customer_types`). Sorting and integer conversion happen in
    NumPy.
    """
    clauses: dict[str, list[str]] = {"individual": [], "entity": []}
    values: dict[str, list[object]] = {"individual": [], "entity": []}
    for item in rule.exemptions:
        condition = "list_contains(?::VARCHAR[], t.exemption_code)"
        if item.currencies == "foreign_to_foreign":
            condition += (
                " AND t.currency <> 'CNY' AND t.counter_currency IS NOT NULL"
                " AND t.counter_currency NOT IN ('CNY', t.currency)"
            )
        if item.counterparty == "own_account":
            condition += " AND t.rowid IN (SELECT rid FROM own)"
        if item.initiated_by == "institution":
            condition += " AND t.initiated_by = 'institution'"
        for kind in item.customer_types:
            clauses[kind].append(f"({condition})")
            values[kind].append(rule.names_of(item.code))
    if rule.state_organ_party in ("either", "counterparty"):
        for kind in clauses:
            clauses[kind].append("coalesce(t.counterparty_is_government, false)")
    exempt = {kind: " OR ".join(parts) or "false" for kind, parts in clauses.items()}
    ordered = [*values["individual"], *values["entity"]]  # as they appear in the query
    return warehouse._con.sql(
        f"""WITH own AS (  -- records into another account of the customer's own at this bank
                SELECT t.rowid AS rid FROM transactions t
                SEMI JOIN account_history a
                    ON a.account_id = t.counterparty_account AND a.customer_id = t.customer_id
                WHERE list_contains(?::DATE[], t.trade_date) AND t.exemption_code IS NOT NULL
                  AND t.counterparty_account <> t.account_id)
           SELECT t.rowid AS rid, hash(t.customer_id) AS customer_id_1,
                  hash(t.customer_id, 'amlwatch') AS customer_id_2, t.trade_date,
                  t.direction = 'out' AS out, t.is_cash, t.is_cross_border,
                  t.currency = 'CNY' AS rmb, t.amount_cny, t.amount_usd,
                  (NOT ? OR t.currency = 'CNY') AS eligible,
                  coalesce({exempt["individual"]}, false) AS exempt_individual,
                  coalesce({exempt["entity"]}, false) AS exempt_entity
           FROM transactions t
           WHERE list_contains(?::DATE[], t.trade_date) AND {bucket.where("t.customer_id")}""",
        params=[list(trade_dates), rule.rmb_only, *ordered, list(trade_dates)],
    ).to_arrow_table()


def transactions_by_rowid(warehouse: Warehouse, rids: pa.Array) -> pa.Table:
    """The report columns of the transactions with those row ids, with `rid`."""
    warehouse._con.register("_rids", pa.table({"rid": rids}))
    try:
        return warehouse._con.sql(
            """SELECT t.rowid AS rid, t.txn_id, t.customer_id, t.account_id, t.trade_date,
                      t.direction, t.currency, t.amount, t.amount_cny, t.amount_usd
               FROM transactions t SEMI JOIN _rids r ON t.rowid = r.rid"""
        ).to_arrow_table()
    finally:
        warehouse._con.unregister("_rids")


def replace_large_value_hits(
    warehouse: Warehouse, trade_dates: Sequence[dt.date], hits: pa.Table
) -> None:
    """Replace the hits of exactly those trade dates, atomically."""
    con = warehouse._con
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


def large_value_report_rows(
    warehouse: Warehouse, trade_dates: Sequence[dt.date]
) -> list[dict[str, object]]:
    """The large-value report's rows for those trade dates: hits joined with their customer
    and transaction details (full identifiers: the report is for the liaisons who file it)."""
    cursor = warehouse._con.execute(
        """SELECT h.customer_id, c.name AS customer_name, c.id_type, c.id_number, h.account_id,
                  h.trade_date, h.characteristic_code, h.txn_id, t.booked_at,
                  CASE h.direction WHEN 'in' THEN '01' ELSE '02' END AS direction_code,
                  h.currency, h.amount, h.amount_cny, h.amount_usd, t.tx_method,
                  t.counterparty_name, t.counterparty_account,
                  coalesce(t.branch_code, c.branch_code) AS branch_code, h.day_total,
                  h.day_total_currency, h.rule_pack,
                  t.location, t.channel, t.purpose, c.customer_type, c.nationality,
                  c.occupation_or_industry, c.phone, c.address, t.counterparty_bank_name,
                  t.counterparty_bank_code, t.counterparty_region, t.counterparty_id_type,
                  t.counterparty_id_number
           FROM large_value_transactions h
           JOIN transactions t USING (txn_id)
           JOIN customers c ON c.customer_id = h.customer_id
           WHERE list_contains(?::DATE[], h.trade_date)""",
        [list(trade_dates)],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def large_value_submission_rows(
    warehouse: Warehouse, trade_dates: Sequence[dt.date]
) -> list[dict[str, object]]:
    """Every field the regulator's large-value message needs, one row per hit (transaction ×
    characteristic): the hit, its transaction, the account and the customer's current data."""
    cursor = warehouse._con.execute(
        """SELECT h.characteristic_code, t.*,
                  a.account_type, a.opened_at, a.card_type, a.card_number,
                  c.name AS customer_name, c.id_type, c.id_number, c.nationality,
                  c.occupation_or_industry, c.address, c.phone, c.other_contact,
                  coalesce(t.branch_code, c.branch_code) AS report_branch
           FROM large_value_transactions h
           JOIN transactions t USING (txn_id)
           JOIN customers c ON c.customer_id = h.customer_id
           LEFT JOIN accounts a ON a.account_id = t.account_id
           WHERE list_contains(?::DATE[], h.trade_date)
           ORDER BY h.customer_id, h.trade_date, h.characteristic_code, t.booked_at, t.txn_id""",
        [list(trade_dates)],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def large_value_period_rows(
    warehouse: Warehouse, start: dt.date, end: dt.date
) -> list[dict[str, object]]:
    """The large-value records of trade dates `start`..`end` with their business key and
    reporting branch (the work report's counts)."""
    cursor = warehouse._con.execute(
        """SELECT h.customer_id, strftime(h.trade_date, '%Y%m%d') AS day,
                  h.characteristic_code, h.txn_id, h.trade_date,
                  coalesce(t.branch_code, c.branch_code) AS branch_code
           FROM large_value_transactions h
           JOIN transactions t USING (txn_id)
           JOIN customers c ON c.customer_id = h.customer_id
           WHERE h.trade_date BETWEEN ? AND ?
           ORDER BY branch_code, h.characteristic_code, h.trade_date""",
        [start, end],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def hit_keys_since(
    warehouse: Warehouse, first_day: dt.date
) -> list[tuple[str, str, str, str, dt.date]]:
    """The business keys of every large-value hit of trade dates from `first_day` on, with
    the latest business date that brought each trade date (the run date to file it by)."""
    return [
        (str(c), str(d), str(k), str(t), b)
        for c, d, k, t, b in warehouse.rows(
            """SELECT h.customer_id, strftime(h.trade_date, '%Y%m%d'), h.characteristic_code,
                      h.txn_id, max(t.business_date)
               FROM large_value_transactions h JOIN transactions t USING (txn_id)
               WHERE h.trade_date >= ?
               GROUP BY ALL ORDER BY 2, 1, 3, 4""",
            [first_day],
        )
    ]
