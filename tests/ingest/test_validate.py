"""Row-level checks: each rule rejects what it should, with a reason a person can act on.

The rules compile to SQL that runs inside the load; they are tested the way they run: by
ingesting a real folder into a real warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from amlwatch.ingest import ingest_business_date
from amlwatch.warehouse import Warehouse
from tests.conftest import DAY, txn, write_day


@dataclass
class Outcome:
    loaded: list[str]
    rejects: list[Any]  # (line, column, reason, raw) of transactions.csv
    extra: list[str]


def check(inbox: Path, warehouse: Warehouse, rows: list[dict[str, str]]) -> Outcome:
    write_day(inbox, DAY, rows)
    ingest_business_date(warehouse, inbox, DAY)
    return Outcome(
        loaded=[r[0] for r in warehouse.rows("SELECT txn_id FROM transactions ORDER BY line")],
        rejects=warehouse.rows(
            """SELECT line, "column", reason, raw FROM quarantine
               WHERE file = 'transactions.csv' ORDER BY line"""
        ),
        extra=[r[0] for r in warehouse.rows("SELECT extra FROM transactions ORDER BY line")],
    )


@pytest.mark.parametrize(
    ("override", "column", "reason"),
    [
        ({"txn_id": " "}, "txn_id", "txn_id is missing"),
        ({"direction": "sideways"}, "direction", "direction 'sideways' is not one of in or out"),
        ({"amount": "-5"}, "amount", "amount '-5' is negative"),
        (
            {"amount": "12.3456"},
            "amount",
            "amount '12.3456' is not a number with at most 3 decimals",
        ),
        ({"amount": "1,000.00"}, "amount", "is not a number"),
        ({"amount": ""}, "amount", "amount is missing"),
        ({"currency": "RMB"}, "currency", "currency 'RMB' is not an ISO 4217 code (use CNY)"),
        ({"currency": "XXY"}, "currency", "currency 'XXY' is not an ISO 4217 code"),
        ({"is_cash": "maybe"}, "is_cash", "is_cash 'maybe' is not true or false"),
        ({"booked_at": "2026-11-31 10:00:00"}, "booked_at", "is not a date-time"),
        ({"booked_at": "yesterday"}, "booked_at", "booked_at 'yesterday' is not a date-time"),
        ({"amount_cny": "abc"}, "amount_cny", "amount_cny 'abc' is not a number"),
        ({"customer_id": ""}, "customer_id", "customer_id is missing"),
    ],
)
def test_each_rule_rejects_its_bad_value(
    inbox: Path, warehouse: Warehouse, override: dict[str, str], column: str, reason: str
) -> None:
    result = check(inbox, warehouse, [txn("T1"), txn("T2", **override), txn("T3")])
    assert result.loaded == ["T1", "T3"]
    [(line, rejected_column, why, _)] = result.rejects
    assert (line, rejected_column) == (3, column)
    assert reason in why


def test_every_problem_of_a_row_is_listed_and_the_first_column_named(
    inbox: Path, warehouse: Warehouse
) -> None:
    result = check(inbox, warehouse, [txn("T1", amount="-1", currency="RMB", direction="up")])
    [(_, column, why, _)] = result.rejects
    assert column == "direction"  # contract order: direction comes before amount
    assert "negative" in why and "(use CNY)" in why and "'up'" in why


def test_accepted_spellings_are_normalised(inbox: Path, warehouse: Warehouse) -> None:
    rows = [
        txn("T1", direction="IN", currency="usd", is_cash="是", is_cross_border="0"),
        txn(
            "T2",
            direction=" out ",
            is_cash="Y",
            is_cross_border="no",
            booked_at="2026/11/20 08:00:00",
        ),
        txn("T3", is_cash="1", booked_at="20261120235959", amount="+1000"),
        txn("T4", booked_at="2026-11-20T23:59:59.250", amount=".5"),
    ]
    result = check(inbox, warehouse, rows)
    assert result.rejects == []
    got = warehouse.rows(
        "SELECT direction, currency, is_cash, booked_at, amount FROM transactions ORDER BY line"
    )
    assert [r[0] for r in got] == ["in", "out", "in", "in"]
    assert got[0][1] == "USD"
    assert [r[2] for r in got] == [True, True, True, False]
    assert [r[3].isoformat(" ") for r in got] == [
        "2026-11-20 10:00:00",
        "2026-11-20 08:00:00",
        "2026-11-20 23:59:59",
        "2026-11-20 23:59:59.250000",
    ]
    assert [r[4] for r in got][2:] == [Decimal("1000.000"), Decimal("0.500")]


def test_a_utc_offset_is_refused_rather_than_moving_the_trade_date(
    inbox: Path, warehouse: Warehouse
) -> None:
    result = check(inbox, warehouse, [txn("T1", booked_at="2026-11-20 23:30:00+08:00")])
    [(_, column, why, _)] = result.rejects
    assert column == "booked_at" and "no offset" in why


def test_a_repeated_txn_id_keeps_the_first_and_names_its_line(
    inbox: Path, warehouse: Warehouse
) -> None:
    result = check(inbox, warehouse, [txn("T1"), txn("T2"), txn("T1", amount="5")])
    assert result.loaded == ["T1", "T2"]
    [(line, column, why, _)] = result.rejects
    assert (line, column) == (4, "txn_id")
    assert why == "duplicate txn_id: line 2 of this file has it already"


def test_a_bad_first_copy_does_not_make_the_good_second_copy_a_duplicate(
    inbox: Path, warehouse: Warehouse
) -> None:
    result = check(inbox, warehouse, [txn("T1", amount="-1"), txn("T1")])
    assert warehouse.rows("SELECT line FROM transactions") == [(3,)]
    assert [r[0] for r in result.rejects] == [2]


def test_extra_columns_are_kept(inbox: Path, warehouse: Warehouse) -> None:
    result = check(inbox, warehouse, [dict(txn("T1"), memo="季度结算")])
    assert result.extra == ['{"memo":"季度结算"}']


def test_raw_keeps_the_original_text(inbox: Path, warehouse: Warehouse) -> None:
    result = check(inbox, warehouse, [txn("T1", amount="-7.50")])
    assert '"amount":"-7.50"' in result.rejects[0][3]


def test_typed_parquet_columns_are_checked_without_reparsing(
    inbox: Path, warehouse: Warehouse
) -> None:
    folder = write_day(inbox, DAY, [txn("T0")])
    (folder / "transactions.csv").unlink()
    table = pa.table(
        {
            "txn_id": ["T1", "T2"],
            "booked_at": pa.array(
                [1_795_168_800_000_000, 1_795_168_800_000_000], pa.timestamp("us")
            ),
            "customer_id": ["C1", "C1"],
            "account_id": ["6222000000000000011"] * 2,
            "direction": ["in", "out"],
            "amount": pa.array([Decimal("12.50"), Decimal("-1.00")], pa.decimal128(20, 2)),
            "currency": ["CNY", "CNY"],
            "is_cash": [True, False],
            "is_cross_border": [False, False],
        }
    )
    pq.write_table(table, folder / "transactions.parquet")
    ingest_business_date(warehouse, inbox, DAY)
    assert warehouse.rows("SELECT txn_id, amount, is_cash FROM transactions") == [
        ("T1", Decimal("12.500"), True)
    ]
    assert warehouse.rows("SELECT line, reason FROM quarantine") == [
        (2, "amount '-1.00' is negative")
    ]


def test_identifiers_typed_as_integers_in_parquet_are_text(
    inbox: Path, warehouse: Warehouse
) -> None:
    accounts = [{"account_id": "6222000000000000011", "customer_id": "1"}]
    customers = [
        {
            "customer_id": "1",
            "name": "张三",
            "customer_type": "individual",
            "id_type": "110001",
            "id_number": "110101199001011237",
        }
    ]
    folder = write_day(inbox, DAY, [txn("T0")], customers=customers, accounts=accounts)
    (folder / "transactions.csv").unlink()
    table = pa.table(
        {
            "txn_id": pa.array([1, 2], pa.int64()),
            "booked_at": ["2026-11-20 10:00:00"] * 2,
            "customer_id": pa.array([1, 1], pa.int64()),
            "account_id": pa.array([6222000000000000011, 6222000000000009999], pa.int64()),
            "direction": ["in", "in"],
            "amount": pa.array([10.5, 3.25]),
            "currency": ["CNY", "CNY"],
            "is_cash": pa.array([1, 7], pa.int64()),
            "is_cross_border": [False, False],
        }
    )
    pq.write_table(table, folder / "transactions.parquet")
    ingest_business_date(warehouse, inbox, DAY)
    assert warehouse.rows("SELECT txn_id, account_id, amount, is_cash FROM transactions") == [
        ("1", "6222000000000000011", Decimal("10.500"), True)
    ]
    [(column, why)] = warehouse.rows(
        """SELECT "column", reason FROM quarantine WHERE file = 'transactions.parquet'"""
    )
    assert (column, why) == ("is_cash", "is_cash '7' is not 1 or 0")
