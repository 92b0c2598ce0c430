"""Warehouse side of the scatter / concentrate stage: its input window, its hits and alerts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pyarrow as pa

from amlwatch.rules import SuspiciousRule
from amlwatch.warehouse.buckets import WHOLE, Bucket
from amlwatch.warehouse.store import Warehouse

# the counterparty identity counted for "distinct parties" (data contract: the account first)
PARTY_KEY = """coalesce(nullif(t.counterparty_account, ''), nullif(t.counterparty_id_number, ''),
                        nullif(t.counterparty_name, ''))"""
# records the pattern never looks at; parameters: purposes, tx methods, whitelisted accounts
NOT_EXCLUDED = """NOT coalesce(list_contains(?::VARCHAR[], t.purpose), false)
                  AND NOT coalesce(list_contains(?::VARCHAR[], t.tx_method), false)
                  AND NOT coalesce(list_contains(?::VARCHAR[], t.counterparty_account), false)"""


def exclusion_params(rule: SuspiciousRule) -> list[list[str]]:
    """The parameters of NOT_EXCLUDED for a rule."""
    return [
        sorted(rule.exclude_purposes),
        sorted(rule.exclude_tx_methods),
        sorted(rule.exclude_counterparty_accounts),
    ]


def _key(column: str) -> str:
    """A 128-bit key of a string column as two independent 64-bit hashes (`*_1`, `*_2`)."""
    return f"hash({column}) AS {column.split('.')[-1]}_1, hash({column}, 'amlwatch') AS {column.split('.')[-1]}_2"


def pattern_window_rows(
    warehouse: Warehouse,
    first_day: dt.date,
    last_day: dt.date,
    rule: SuspiciousRule,
    bucket: Bucket = WHOLE,
) -> pa.Table:
    """The scanner's columns for every transaction booked from first_day to last_day (of the
    bucket's customers).

    Unsorted, narrow and string-free (ids as 128-bit hash keys, see `scanners.encode`):
    `rid`, `customer_id_1/_2`, `account_id_1/_2` (per-account subjects only), `booked_at`,
    `out`, `amount_cny` (decimal CNY equivalent), `party_1/_2` and `has_party`.
    """
    accounts = f"{_key('t.account_id')}," if rule.subject == "account" else ""
    return warehouse.con.sql(
        f"""SELECT rid, {_key("customer_id")}, {accounts.replace("t.", "")}
                   booked_at, out, amount_cny, {_key("party")}, party IS NOT NULL AS has_party
            FROM (SELECT t.rowid AS rid, t.customer_id, t.account_id, t.booked_at,
                         t.direction = 'out' AS out, t.amount_cny, {PARTY_KEY} AS party
                  FROM transactions t
                  WHERE t.trade_date BETWEEN ? AND ? AND {bucket.where("t.customer_id")}
                    AND {NOT_EXCLUDED})""",
        params=[first_day, last_day, *exclusion_params(rule)],
    ).to_arrow_table()


def customer_types(warehouse: Warehouse, bucket: Bucket = WHOLE) -> pa.Table:
    """`customer_id_1/_2` (hash key), `entity` for every customer of the bucket (latest
    version)."""
    return warehouse.con.sql(
        f"""SELECT {_key("customer_id")}, entity FROM (
                SELECT customer_id, arg_max(customer_type, business_date) = 'entity' AS entity
                FROM customer_history WHERE {bucket.where("customer_id")} GROUP BY customer_id)"""
    ).to_arrow_table()


def subject_ids(warehouse: Warehouse, rids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """(customer_id, account_id) of the transactions with those row ids."""
    warehouse.con.register("_rids", pa.table({"rid": pa.array(list(rids), pa.int64())}))
    try:
        rows = warehouse.rows(
            """SELECT t.rowid, t.customer_id, t.account_id FROM transactions t
               SEMI JOIN _rids r ON t.rowid = r.rid"""
        )
    finally:
        warehouse.con.unregister("_rids")
    return {rid: (customer, account) for rid, customer, account in rows}


def affected_subjects(
    warehouse: Warehouse, scan_dates: Sequence[dt.date], hits: pa.Table
) -> pa.Table:
    """(rule_code, customer_id, account_id) with hits stored for those dates or in `hits`."""
    warehouse.con.register("_new_hits", hits)
    try:
        return warehouse.con.sql(
            """SELECT DISTINCT rule_code, customer_id, account_id FROM (
                   SELECT rule_code, customer_id, account_id FROM suspicious_hits
                   WHERE list_contains(?::DATE[], scan_date)
                   UNION ALL SELECT rule_code, customer_id, account_id FROM _new_hits)""",
            params=[list(scan_dates)],
        ).to_arrow_table()
    finally:
        warehouse.con.unregister("_new_hits")


def hits_of(warehouse: Warehouse, subjects: pa.Table) -> pa.Table:
    """Every stored hit of those (rule, customer, account) subjects, in scan order."""
    warehouse.con.register("_subjects", subjects)
    try:
        return warehouse.con.sql(
            """SELECT h.* FROM suspicious_hits h SEMI JOIN _subjects s
                 ON h.rule_code = s.rule_code AND h.customer_id = s.customer_id
                AND h.account_id IS NOT DISTINCT FROM s.account_id
               ORDER BY h.rule_code, h.customer_id, h.account_id, h.scan_date"""
        ).to_arrow_table()
    finally:
        warehouse.con.unregister("_subjects")


def evidence_rows(warehouse: Warehouse, alerts: pa.Table, rule: SuspiciousRule) -> pa.Table:
    """The transactions of each alert's subject over its whole span (what the rule looked at)."""
    warehouse.con.register("_alerts", alerts)
    try:
        return warehouse.con.sql(
            f"""SELECT a.alert_id, t.txn_id, t.direction, t.booked_at, t.amount_cny,
                       {PARTY_KEY} AS party, t.counterparty_name
                FROM _alerts a JOIN transactions t
                  ON t.customer_id = a.customer_id
                 AND (a.account_id IS NULL OR t.account_id = a.account_id)
                 AND t.trade_date BETWEEN a.window_start AND a.window_end
                WHERE t.trade_date BETWEEN (SELECT min(window_start) FROM _alerts)
                                       AND (SELECT max(window_end) FROM _alerts)
                  AND t.customer_id IN (SELECT customer_id FROM _alerts)
                  AND {NOT_EXCLUDED}
                ORDER BY a.alert_id, t.booked_at, t.txn_id""",
            params=exclusion_params(rule),
        ).to_arrow_table()
    finally:
        warehouse.con.unregister("_alerts")


def replace_patterns(
    warehouse: Warehouse,
    scan_dates: Sequence[dt.date],
    hits: pa.Table,
    subjects: pa.Table,
    alerts: pa.Table,
    evidence: pa.Table,
) -> None:
    """In one transaction: the hits of `scan_dates` become `hits`, and the alerts (and their
    evidence) of the affected `subjects` become `alerts` / `evidence`."""
    con = warehouse.con
    con.execute("BEGIN TRANSACTION").fetchall()
    try:
        for name, table in (
            ("_hits", hits),
            ("_subjects", subjects),
            ("_alerts", alerts),
            ("_evidence", evidence),
        ):
            con.register(name, table)
        con.execute(
            "DELETE FROM suspicious_hits WHERE list_contains(?::DATE[], scan_date)",
            [list(scan_dates)],
        ).fetchall()
        con.execute("INSERT INTO suspicious_hits BY NAME SELECT * FROM _hits").fetchall()
        con.execute(
            """DELETE FROM suspicious_alert_transactions WHERE alert_id IN (
                   SELECT a.alert_id FROM suspicious_alerts a SEMI JOIN _subjects s
                     ON a.rule_code = s.rule_code AND a.customer_id = s.customer_id
                    AND a.account_id IS NOT DISTINCT FROM s.account_id)"""
        ).fetchall()
        con.execute(
            """DELETE FROM suspicious_alerts a WHERE EXISTS (
                   SELECT 1 FROM _subjects s WHERE a.rule_code = s.rule_code
                      AND a.customer_id = s.customer_id
                      AND a.account_id IS NOT DISTINCT FROM s.account_id)"""
        ).fetchall()
        con.execute("INSERT INTO suspicious_alerts BY NAME SELECT * FROM _alerts").fetchall()
        con.execute(
            """INSERT INTO suspicious_alert_transactions BY NAME
               SELECT alert_id, txn_id, direction, leg FROM _evidence"""
        ).fetchall()
        con.execute("COMMIT").fetchall()
    except BaseException:
        con.execute("ROLLBACK").fetchall()
        raise
    finally:
        for name in ("_hits", "_subjects", "_alerts", "_evidence"):
            con.unregister(name)


def alerts_of_run(warehouse: Warehouse, scan_dates: Sequence[dt.date]) -> list[dict[str, object]]:
    """Alerts opened or extended by scans of those dates, with their subject's details."""
    cursor = warehouse.con.execute(
        """SELECT a.*, c.name AS customer_name, c.id_type, c.id_number, c.nationality,
                  c.occupation_or_industry, c.address, c.phone, c.other_contact,
                  c.legal_rep_name, c.legal_rep_id_type, c.legal_rep_id_number,
                  c.controller_name, c.controller_id_type, c.controller_id_number, c.branch_code
           FROM suspicious_alerts a LEFT JOIN customers c USING (customer_id)
           WHERE list_contains(?::DATE[], a.last_scan_date)
           ORDER BY a.rule_code, a.alert_id""",
        [list(scan_dates)],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def alert_transaction_rows(
    warehouse: Warehouse, alert_ids: Sequence[str]
) -> list[dict[str, object]]:
    """The evidence transactions of those alerts with the report's STIF fields."""
    first, last = warehouse.con.execute(
        """SELECT min(window_start), max(window_end) FROM suspicious_alerts
           WHERE list_contains(?::VARCHAR[], alert_id)""",
        [list(alert_ids)],
    ).fetchall()[0]
    if first is None:
        return []
    # evidence lies inside its alert's window: constant bounds let the scan skip other days
    cursor = warehouse.con.execute(
        """WITH e AS (SELECT * FROM suspicious_alert_transactions
                      WHERE list_contains(?::VARCHAR[], alert_id)),
                t AS (SELECT * FROM transactions WHERE trade_date BETWEEN ? AND ?
                      AND txn_id IN (SELECT txn_id FROM e)),
                c AS (SELECT * FROM customer_history
                      WHERE customer_id IN (SELECT customer_id FROM t)
                      QUALIFY row_number() OVER (PARTITION BY customer_id
                                                 ORDER BY business_date DESC) = 1),
                ac AS (SELECT * FROM account_history
                       WHERE account_id IN (SELECT account_id FROM t)
                       QUALIFY row_number() OVER (PARTITION BY account_id
                                                  ORDER BY business_date DESC) = 1)
           SELECT e.alert_id, e.leg, t.txn_id, t.booked_at, t.customer_id,
                  c.name AS customer_name, c.id_type, c.id_number, t.account_id, ac.account_type,
                  coalesce(t.branch_code, c.branch_code) AS branch_code, t.location,
                  CASE t.direction WHEN 'in' THEN '01' ELSE '02' END AS direction_code,
                  t.tx_method, t.channel, t.purpose, t.currency, t.amount, t.amount_cny,
                  t.counterparty_name, t.counterparty_id_type, t.counterparty_id_number,
                  t.counterparty_account_type, t.counterparty_account, t.counterparty_bank_name,
                  t.counterparty_bank_code, t.counterparty_region
           FROM e JOIN t USING (txn_id)
           LEFT JOIN c ON c.customer_id = t.customer_id
           LEFT JOIN ac ON ac.account_id = t.account_id
           ORDER BY e.alert_id, t.booked_at, t.txn_id""",
        [list(alert_ids), first, last],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
