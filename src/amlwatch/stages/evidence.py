"""A case's evidence rows as the intake keeps them: the transactions as the report tables
show them (`evidence_row`), without the load bookkeeping (`without_load`)."""

from __future__ import annotations

from typing import Any

_EVIDENCE_COLUMNS = (
    "alert_id", "leg", "txn_id", "booked_at", "customer_id", "customer_name", "id_type",
    "id_number", "account_id", "account_type", "location", "tx_method", "channel", "purpose",
    "currency", "amount", "amount_cny", "counterparty_name", "counterparty_id_type",
    "counterparty_id_number", "counterparty_account_type", "counterparty_account",
    "counterparty_bank_name", "counterparty_bank_code", "counterparty_region",
)  # fmt: skip


def evidence_row(detail: dict[str, Any]) -> dict[str, Any]:
    """An evidence transaction as the report tables show it (`alert_transaction_rows`)."""
    row = {name: detail.get(name) for name in _EVIDENCE_COLUMNS}
    row["branch_code"] = detail.get("report_branch")
    row["direction_code"] = "01" if detail.get("direction") == "in" else "02"
    return row


def without_load(row: dict[str, Any]) -> dict[str, Any]:
    """The load a row came from is bookkeeping, not evidence: a re-load of the same data must
    give the same snapshot."""
    return {k: v for k, v in row.items() if k not in ("load_id", "business_date")}
