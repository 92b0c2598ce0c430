"""Retention in the warehouse: the rows older than the policy's cutoff, less what an open
case or an unfinished filing still needs.

What goes, table by table (c = the cutoff date):

- input rows of business dates before c (transactions, FX rates, quarantine, load log, the
  scanner's day runs) and run-log rows of run dates before c — except the transactions an
  alert kept back names as evidence or a held business key carries;
- results: large-value hits of trade dates before c (not a held key), alerts last scanned
  before c (not one a kept case reviews) with their evidence, hits before c of no kept alert;
- customer and account versions superseded before c, and every version of a relationship that
  ended before c (no later version, no open account, no transaction since) — never those of a
  customer of a kept alert, a held key or a kept transaction.

`count` says how many rows each table would lose and hold; `purge` deletes them in one
transaction (the previous state stays whole if it fails).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from amlwatch.warehouse import day_runs
from amlwatch.warehouse.database import Warehouse

_BY_DATE = {  # table: its date column
    "quarantine": "business_date",
    "load_log": "business_date",
    "data_issues": "business_date",
    "fx_rates": "business_date",
    "pattern_runs": "business_date",
    "window_files": "business_date",  # its files are swept after the purge
    "transfer_edges": "business_date",
    "transfer_edge_days": "business_date",
    "run_log": "run_date",
    # the network structures found: monitoring results kept as long as hits are
    "network_hits": "scan_date",
    "network_hit_members": "scan_date",
    "network_hit_edges": "scan_date",
}
_KEY = "(customer_id, strftime(trade_date, '%Y%m%d'), characteristic_code, txn_id)"
# the customer versions that go: superseded before the cutoff, or of a relationship ended then
_CUSTOMER_ROWS = """
    SELECT rowid FROM (
        SELECT rowid, customer_id, business_date,
               lead(business_date) OVER (PARTITION BY customer_id ORDER BY business_date) AS next,
               max(business_date) OVER (PARTITION BY customer_id) AS latest
        FROM customer_history) v
    WHERE customer_id NOT IN (SELECT customer_id FROM _keep_customers)
      AND (next <= $1 OR (latest < $1
           AND customer_id NOT IN (SELECT customer_id FROM transactions WHERE business_date >= $1)
           AND customer_id NOT IN (SELECT customer_id FROM accounts
                                   WHERE closed_at IS NULL OR closed_at >= $1)))"""
_ACCOUNT_ROWS = """
    SELECT rowid FROM (
        SELECT rowid, account_id, customer_id, business_date, closed_at,
               lead(business_date) OVER (PARTITION BY account_id ORDER BY business_date) AS next,
               max(business_date) OVER (PARTITION BY account_id) AS latest,
               last_value(closed_at) OVER (PARTITION BY account_id ORDER BY business_date
                   ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS closed
        FROM account_history) v
    WHERE customer_id NOT IN (SELECT customer_id FROM _keep_customers)
      AND (next <= $1 OR (latest < $1 AND closed < $1
           AND account_id NOT IN (SELECT account_id FROM transactions WHERE business_date >= $1)))"""


@dataclass(frozen=True, slots=True)
class Kept:
    """What the case store still needs: alerts of kept cases, customers of open cases, and
    the business keys of unfinished filings."""

    alerts: Sequence[str] = ()
    customers: Sequence[str] = ()
    keys: Sequence[tuple[str, str, str, str]] = ()


def _goes(cutoff: dt.date) -> dict[str, tuple[str, str | None]]:
    """table → (the rows that go, the old rows held back) as WHERE clauses on $1 = cutoff."""
    alert_kept = "alert_id IN (SELECT alert_id FROM _keep_alerts)"
    rule_kept = """(rule_code, customer_id) IN (SELECT rule_code, customer_id
                    FROM suspicious_alerts WHERE alert_id IN (SELECT alert_id FROM _keep_alerts))"""
    key_kept = f"{_KEY} IN (SELECT customer, day, code, txn_id FROM _keep_keys)"
    txn_kept = "txn_id IN (SELECT txn_id FROM _keep_txns)"
    goes: dict[str, tuple[str, str | None]] = {
        "suspicious_alert_transactions": ("alert_id IN (SELECT alert_id FROM _gone_alerts)", None),
        "suspicious_evidence_detail": ("alert_id IN (SELECT alert_id FROM _gone_alerts)", None),
        "suspicious_alerts": (
            "alert_id IN (SELECT alert_id FROM _gone_alerts)",
            f"last_scan_date < $1 AND {alert_kept}",
        ),
        "suspicious_hits": (
            f"scan_date < $1 AND NOT {rule_kept}",
            f"scan_date < $1 AND {rule_kept}",
        ),
        "large_value_transactions": (
            f"trade_date < $1 AND NOT {key_kept}",
            f"trade_date < $1 AND {key_kept}",
        ),
        "transactions": (
            f"business_date < $1 AND NOT {txn_kept}",
            f"business_date < $1 AND {txn_kept}",
        ),
        **{table: (f"{column} < $1", None) for table, column in _BY_DATE.items()},
        "customer_history": (f"rowid IN ({_CUSTOMER_ROWS})", None),
        "account_history": (f"rowid IN ({_ACCOUNT_ROWS})", None),
    }
    return goes


def _prepare(warehouse: Warehouse, cutoff: dt.date, kept: Kept) -> None:
    """The temporary tables the clauses read: what is kept and which alerts go."""
    run = warehouse.execute
    run(
        "CREATE OR REPLACE TEMP TABLE _keep_alerts AS SELECT unnest(?::VARCHAR[]) AS alert_id",
        [list(kept.alerts)],
    )
    run(
        """CREATE OR REPLACE TEMP TABLE _keep_keys AS
           SELECT unnest(?::VARCHAR[]) AS customer, unnest(?::VARCHAR[]) AS day,
                  unnest(?::VARCHAR[]) AS code, unnest(?::VARCHAR[]) AS txn_id""",
        [[k[i] for k in kept.keys] for i in range(4)],
    )
    run(
        """CREATE OR REPLACE TEMP TABLE _gone_alerts AS SELECT alert_id FROM suspicious_alerts
           WHERE last_scan_date < ? AND alert_id NOT IN (SELECT alert_id FROM _keep_alerts)""",
        [cutoff],
    )
    run(
        """CREATE OR REPLACE TEMP TABLE _keep_txns AS
           SELECT txn_id FROM suspicious_alert_transactions
           WHERE alert_id IN (SELECT alert_id FROM _keep_alerts)
           UNION SELECT txn_id FROM _keep_keys"""
    )
    run(
        """CREATE OR REPLACE TEMP TABLE _keep_customers AS
           SELECT unnest(?::VARCHAR[]) AS customer_id
           UNION SELECT customer_id FROM suspicious_alerts
                 WHERE alert_id IN (SELECT alert_id FROM _keep_alerts)
           UNION SELECT customer FROM _keep_keys
           UNION SELECT customer_id FROM transactions
                 WHERE business_date < ? AND txn_id IN (SELECT txn_id FROM _keep_txns)""",
        [list(kept.customers), cutoff],
    )


def count(warehouse: Warehouse, cutoff: dt.date, kept: Kept) -> dict[str, tuple[int, int]]:
    """table → (rows that would go, old rows held back)."""
    _prepare(warehouse, cutoff, kept)
    out = {}
    for table, (goes, held) in _goes(cutoff).items():
        gone = warehouse.scalar(f"SELECT count(*) FROM {table} WHERE {goes}", _on(goes, cutoff))
        kept_back = (
            warehouse.scalar(f"SELECT count(*) FROM {table} WHERE {held}", _on(held, cutoff))
            if held
            else 0
        )
        out[table] = (int(gone), int(kept_back))
    return out


def purge(warehouse: Warehouse, cutoff: dt.date, kept: Kept) -> dict[str, tuple[int, int]]:
    """Delete what `count` finds, in one transaction, then the window store's files of the
    dates purged; table → (rows deleted, rows held)."""
    purged = [d for (d,) in warehouse.rows(
        "SELECT DISTINCT business_date FROM window_files WHERE business_date < ?", [cutoff]
    )]  # fmt: skip
    with warehouse.transaction():
        counts = count(warehouse, cutoff, kept)
        clauses = _goes(cutoff)
        # customers read the accounts: their versions go first, while the accounts are whole
        first = ("customer_history", "account_history")
        for table in (*first, *(t for t in clauses if t not in first)):
            goes = clauses[table][0]
            warehouse.execute(f"DELETE FROM {table} WHERE {goes}", _on(goes, cutoff))
    day_runs.sweep(warehouse, purged, grace=dt.timedelta(0))
    return counts


def _on(clause: str, cutoff: dt.date) -> list[dt.date]:
    """The parameters of a clause: the cutoff, if it reads it."""
    return [cutoff] if "$1" in clause else []
