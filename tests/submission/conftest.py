"""Rows shaped like the warehouse's, for building messages without a warehouse."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from amlwatch.submission.messages import Institution

INSTITUTION = Institution("C0000000000001", "C0000000000001", "王敏", {"B001": "C000000000000101"})


def hit_row(**overrides: Any) -> dict[str, Any]:
    """One large-value hit row with its transaction, account and customer."""
    row: dict[str, Any] = {
        "characteristic_code": "0501",
        "txn_id": "T1",
        "booked_at": dt.datetime(2026, 11, 20, 10, 0, 5),
        "trade_date": dt.date(2026, 11, 20),
        "customer_id": "C1",
        "account_id": "6222000000000000011",
        "direction": "in",
        "amount": Decimal("60000.000"),
        "currency": "CNY",
        "amount_cny": Decimal("60000.000"),
        "amount_usd": Decimal("8450.704"),
        "tx_method": "000030",
        "counterparty_name": "李四 & <Co>",
        "counterparty_account": "6228000000000000999",
        "counterparty_region": "CHN110101",
        "counterparty_bank_code": "102100099996",
        "channel": None,
        "purpose": "存现",
        "report_branch": "B001",
        "account_type": "120013",
        "opened_at": dt.datetime(2019, 3, 1, 9, 30),
        "card_type": "10",
        "card_number": "6222000000000000011",
        "customer_name": "张三",
        "id_type": "110001",
        "id_number": "110101199001011237",
        "nationality": "CHN",
        "occupation_or_industry": "40000",
        "address": "北京市东城区1号",
        "phone": "13800000000",
        "other_contact": None,
    }
    row.update(overrides)
    return row


def customer_row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "customer_id": "C1",
        "name": "张三",
        "customer_type": "individual",
        "id_type": "110001",
        "id_number": "110101199001011237",
        "nationality": "CHN",
        "occupation_or_industry": "40000",
        "address": "北京市东城区1号",
        "phone": "13800000000",
    }
    row.update(overrides)
    return row
