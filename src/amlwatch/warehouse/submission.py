"""Warehouse side of regulator submissions: the rows a message is made of."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from amlwatch.warehouse.database import Warehouse
from amlwatch.warehouse.patterns import picked_evidence
from amlwatch.warehouse.picks import picked_transactions

# a transaction with its account and customer, as the STIF / TSDT groups need it
_TXN_DETAIL = """
    SELECT t.*, a.account_type, a.opened_at, a.closed_at, a.card_type, a.card_number,
           c.name AS customer_name, c.id_type, c.id_number,
           coalesce(t.branch_code, c.branch_code) AS report_branch
    FROM {source} t
    JOIN {customers} c ON c.customer_id = t.customer_id
    LEFT JOIN {accounts} a ON a.account_id = t.account_id"""


def _detail_of(picked: str) -> str:
    """`_TXN_DETAIL` of a few picked transactions: the current versions of only their
    customers and accounts are looked up (not of every customer, as the views would)."""
    current = """(SELECT * FROM {table} WHERE {key} IN (SELECT {key} FROM {picked})
                  QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY business_date DESC) = 1)"""
    return _TXN_DETAIL.format(
        source=picked,
        customers=current.format(table="customer_history", key="customer_id", picked=picked),
        accounts=current.format(table="account_history", key="account_id", picked=picked),
    )


def _dicts(warehouse: Warehouse, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    return warehouse.records(sql, list(params))


def large_value_rows_for_keys(
    warehouse: Warehouse, keys: Sequence[tuple[str, str, str, str]]
) -> list[dict[str, Any]]:
    """Submission rows (like `large_value.large_value_submission_rows`) of reported keys
    (customer, yyyymmdd, code, txn_id), as the warehouse holds them now."""
    table = pa.table(
        {
            name: pa.array([k[i] for k in keys], pa.string())
            for i, name in enumerate(("customer_id", "day", "code", "txn_id"))
        }
    )
    warehouse._con.register("_keys", table)
    try:
        return _dicts(
            warehouse,
            """SELECT h.characteristic_code, t.*,
                      a.account_type, a.opened_at, a.card_type, a.card_number,
                      c.name AS customer_name, c.id_type, c.id_number, c.nationality,
                      c.occupation_or_industry, c.address, c.phone, c.other_contact,
                      coalesce(t.branch_code, c.branch_code) AS report_branch
               FROM _keys k
               JOIN large_value_transactions h
                 ON h.customer_id = k.customer_id AND strftime(h.trade_date, '%Y%m%d') = k.day
                AND h.characteristic_code = k.code AND h.txn_id = k.txn_id
               JOIN transactions t ON t.txn_id = h.txn_id
               JOIN customers c ON c.customer_id = h.customer_id
               LEFT JOIN accounts a ON a.account_id = t.account_id
               ORDER BY h.customer_id, h.trade_date, h.characteristic_code, t.booked_at""",
            [],
        )
    finally:
        warehouse._con.unregister("_keys")


def customers_by_id(warehouse: Warehouse, customer_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Current customer rows, in the order asked."""
    rows = _dicts(
        warehouse,
        "SELECT * FROM customers WHERE list_contains(?::VARCHAR[], customer_id)",
        [list(customer_ids)],
    )
    order = {c: i for i, c in enumerate(customer_ids)}
    return sorted(rows, key=lambda r: order[r["customer_id"]])


def alert_submission_rows(
    warehouse: Warehouse, alert_id: str
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """An alert and its evidence transactions in time order (with account and customer)."""
    alerts = _dicts(warehouse, "SELECT * FROM suspicious_alerts WHERE alert_id = ?", [alert_id])
    if not alerts:
        return None, []
    with picked_evidence(warehouse, [alert_id]) as picked:
        assert picked is not None  # the alert exists
        txns = _dicts(
            warehouse,
            f"{_detail_of(picked)} ORDER BY t.booked_at, t.txn_id",
            [],
        )
    return alerts[0], txns


def supplement_rows(
    warehouse: Warehouse,
    first: dt.date,
    last: dt.date,
    id_type: str | None,
    id_number: str | None,
    account: str | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The subjects and every transaction from `first` to `last` of the customer with that
    identity document and / or of that account (a supplement notice's condition)."""
    conditions, params = [], []
    if id_number:
        conditions.append("c.id_number = ? AND (? IS NULL OR c.id_type = ?)")
        params += [id_number, id_type, id_type]
    if account:
        conditions.append("t.account_id = ?")
        params.append(account)
    if not conditions:
        return [], []
    txns = _dicts(
        warehouse,
        f"""{_TXN_DETAIL.format(source="transactions", customers="customers", accounts="accounts")}
            WHERE t.trade_date BETWEEN ? AND ? AND {" AND ".join(conditions)}
            ORDER BY t.booked_at, t.txn_id""",
        [first, last, *params],
    )
    subjects = customers_by_id(warehouse, list(dict.fromkeys(t["customer_id"] for t in txns)))
    return subjects, txns


def alerts_detail_rows(warehouse: Warehouse, alert_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The evidence of many alerts as `alert_submission_rows` gives it, with `alert_id` and
    `leg`, in one query."""
    if not alert_ids:
        return []
    with picked_evidence(warehouse, alert_ids) as picked:
        if picked is None:
            return []
        return _dicts(
            warehouse,
            f"""WITH e AS (SELECT alert_id, txn_id, leg FROM suspicious_alert_transactions
                           WHERE list_contains(?::VARCHAR[], alert_id)),
                     d AS ({_detail_of(picked)})
                SELECT e.alert_id, e.leg, d.* FROM e JOIN d USING (txn_id)
                ORDER BY e.alert_id, d.booked_at, d.txn_id""",
            [list(alert_ids)],
        )


def transfer_detail_rows(
    warehouse: Warehouse, txn_ids: Sequence[str], first: dt.date, last: dt.date
) -> list[dict[str, Any]]:
    """Transfers (the payers' records, traded from `first` to `last`) as
    `alert_submission_rows` gives evidence: with account and customer, in time order."""
    if not txn_ids:
        return []
    with picked_transactions(
        warehouse, first, last, "list_contains(?::VARCHAR[], t.txn_id)", [sorted(set(txn_ids))]
    ) as picked:
        return _dicts(warehouse, f"{_detail_of(picked)} ORDER BY t.booked_at, t.txn_id", [])
