"""Row-level checks: each rule rejects what it should, with a reason a person can act on."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from amlwatch.ingest.parse import read_input
from amlwatch.ingest.schema import KEYS, SPECS
from amlwatch.ingest.validate import validate
from amlwatch.models import InputKind
from tests.conftest import txn, write_csv

REQUIRED = [c.name for c in SPECS[InputKind.TRANSACTIONS] if c.required]


def check(tmp_path: Path, rows: list[dict[str, str]]):  # noqa: ANN201 - test helper
    path = write_csv(tmp_path / "transactions.csv", rows)
    parsed = read_input(path, InputKind.TRANSACTIONS, REQUIRED)
    return validate(parsed, SPECS[InputKind.TRANSACTIONS], KEYS[InputKind.TRANSACTIONS])


@pytest.mark.parametrize(
    ("override", "column", "reason"),
    [
        ({"txn_id": " "}, "txn_id", "txn_id is missing"),
        ({"direction": "sideways"}, "direction", "direction 'sideways' is not one of in or out"),
        ({"amount": "-5"}, "amount", "amount '-5' is negative"),
        ({"amount": "12.3456"}, "amount", "amount '12.3456' is not a number with at most 3 decimals"),
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
def test_each_rule_rejects_its_bad_value(tmp_path: Path, override, column, reason) -> None:  # noqa: ANN001
    result = check(tmp_path, [txn("T1"), txn("T2", **override), txn("T3")])
    assert result.table["txn_id"].to_pylist() == ["T1", "T3"]
    [reject] = result.rejects
    assert (reject.line, reject.column) == (3, column)
    assert reason in reject.reason


def test_every_problem_of_a_row_is_listed_and_the_first_column_named(tmp_path: Path) -> None:
    result = check(tmp_path, [txn("T1", amount="-1", currency="RMB", direction="up")])
    [reject] = result.rejects
    assert reject.column == "direction"  # contract order: direction comes before amount
    assert "negative" in reject.reason and "RMB" in reject.reason and "'up'" in reject.reason


def test_accepted_spellings_are_normalised(tmp_path: Path) -> None:
    rows = [
        txn("T1", direction="IN", currency="usd", is_cash="是", is_cross_border="0"),
        txn("T2", direction=" out ", is_cash="Y", is_cross_border="no", booked_at="2026/11/20 08:00:00"),
        txn("T3", is_cash="1", booked_at="20261120235959", amount="1e3"),
        txn("T4", booked_at="2026-11-20T23:59:59.250"),
    ]
    result = check(tmp_path, rows)
    assert result.rejects == []
    table = result.table.to_pydict()
    assert table["direction"] == ["in", "out", "in", "in"]
    assert table["currency"][0] == "USD"
    assert table["is_cash"] == [True, True, True, False]
    assert [t.isoformat(" ") for t in table["booked_at"]] == [
        "2026-11-20 10:00:00", "2026-11-20 08:00:00", "2026-11-20 23:59:59",
        "2026-11-20 23:59:59.250000",
    ]
    assert table["amount"][2] == Decimal("1000.000")


def test_a_repeated_txn_id_keeps_the_first_and_names_its_line(tmp_path: Path) -> None:
    result = check(tmp_path, [txn("T1"), txn("T2"), txn("T1", amount="5")])
    assert result.table["txn_id"].to_pylist() == ["T1", "T2"]
    [reject] = result.rejects
    assert (reject.line, reject.column) == (4, "txn_id")
    assert reject.reason == "duplicate txn_id: line 2 of this file has it already"


def test_a_bad_first_copy_does_not_make_the_good_second_copy_a_duplicate(tmp_path: Path) -> None:
    result = check(tmp_path, [txn("T1", amount="-1"), txn("T1")])
    assert result.table["_line"].to_pylist() == [3]
    assert [r.line for r in result.rejects] == [2]


def test_extra_columns_are_kept(tmp_path: Path) -> None:
    result = check(tmp_path, [dict(txn("T1"), memo="季度结算")])
    assert result.extra_columns == ["memo"]
    assert result.table["memo"].to_pylist() == ["季度结算"]


def test_raw_keeps_the_original_text(tmp_path: Path) -> None:
    result = check(tmp_path, [txn("T1", amount="-7.50")])
    assert '"amount": "-7.50"' in result.rejects[0].raw
