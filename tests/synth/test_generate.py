"""The synthetic bank: deterministic, realistic in shape, and its ground truth is the truth."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from amlwatch.ingest import inbox_dates, ingest_business_date
from amlwatch.rules import BusinessCalendar, pack_for
from amlwatch.synth import generate_bank
from amlwatch.warehouse import Warehouse
from tests.naive import NaiveTxn, large_value_hits

START = dt.date(2026, 9, 21)


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small mixed-format bank with corrupted rows, loaded into a warehouse."""
    out = tmp_path_factory.mktemp("bank")
    generate_bank(out, customers=700, days=24, start=START, fmt="mixed", corrupt_days=2, seed=7)
    db = out / "wh.duckdb"
    with Warehouse.open(db, memory_limit="1GB") as wh:
        for day in inbox_dates(out / "inbox"):
            ingest_business_date(wh, out / "inbox", day)
    return out, db


def cases(out: Path) -> list[dict]:
    return [
        json.loads(line)
        for line in (out / "ground_truth.jsonl").read_text(encoding="utf-8").splitlines()
    ]


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != "manifest.json":
            h.update(path.relative_to(folder).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def test_the_same_seed_writes_the_same_bank(tmp_path: Path) -> None:
    a = generate_bank(tmp_path / "a", customers=300, days=5, seed=11, fmt="mixed")
    b = generate_bank(tmp_path / "b", customers=300, days=5, seed=11, fmt="mixed")
    generate_bank(tmp_path / "c", customers=300, days=5, seed=12, fmt="mixed")
    assert a.transactions == b.transactions
    assert digest(tmp_path / "a") == digest(tmp_path / "b") != digest(tmp_path / "c")


def test_weekends_and_holidays_are_lighter(bank: tuple[Path, Path]) -> None:
    out, _ = bank
    per_day = json.loads((out / "manifest.json").read_text())["per_day"]
    calendar = BusinessCalendar.load()
    open_days = [
        n for d, n in per_day.items() if calendar.is_business_day(dt.date.fromisoformat(d))
    ]
    closed = [
        n for d, n in per_day.items() if not calendar.is_business_day(dt.date.fromisoformat(d))
    ]
    assert closed and open_days
    assert sum(closed) / len(closed) < 0.75 * sum(open_days) / len(open_days)


def test_every_planted_transaction_is_in_the_inbox(bank: tuple[Path, Path]) -> None:
    out, db = bank
    planted = {t for case in cases(out) if case["kind"] != "bad_input" for t in case["txn_ids"]}
    with Warehouse.open(db, read_only=True) as wh:
        loaded = {r[0] for r in wh.rows("SELECT txn_id FROM transactions")}
    assert planted and planted <= loaded


def test_bad_input_is_quarantined_for_the_labelled_column(bank: tuple[Path, Path]) -> None:
    out, db = bank
    bad = [c for c in cases(out) if c["kind"] == "bad_input"]
    assert len(bad) == 18
    with Warehouse.open(db, read_only=True) as wh:
        quarantined = wh.rows(
            """SELECT json_extract_string(raw, '$.txn_id'), "column" FROM quarantine"""
        )
    assert sorted((c["txn_ids"][0], c["column"]) for c in bad) == sorted(quarantined)


def test_the_ground_truth_is_every_large_value_hit_and_nothing_else(
    bank: tuple[Path, Path],
) -> None:
    out, db = bank
    with Warehouse.open(db, read_only=True) as wh:
        rows = wh.rows(
            """SELECT t.txn_id, t.customer_id, c.customer_type, t.trade_date, t.direction,
                      t.currency, t.is_cash, t.is_cross_border, t.amount_cny, t.amount_usd,
                      nullif(t.exemption_code, ''), t.counterparty_is_government,
                      nullif(t.counter_currency, ''), nullif(t.initiated_by, ''),
                      t.counterparty_account <> t.account_id AND EXISTS (
                          SELECT 1 FROM accounts a WHERE a.account_id = t.counterparty_account
                             AND a.customer_id = t.customer_id),
                      coalesce(c.is_state_organ, false)
               FROM transactions t JOIN customers c USING (customer_id)"""
        )
    actual = large_value_hits((NaiveTxn(*r) for r in rows), pack_for(START))
    expected = {
        (txn_id, hit["characteristic_code"])
        for case in cases(out)
        if case["kind"] != "bad_input"
        for hit in case["large_value"]
        for txn_id in hit["txn_ids"]
    }
    # per characteristic and customer type: single at threshold 1, cumulative over 3, FX single 1,
    # FX cumulative 2 transactions; 0501 for both types makes 5 combinations; then the house (2)
    assert len(expected) >= 5 * 7 + 2
    assert actual == expected


def test_planted_kinds_cover_the_brief(bank: tuple[Path, Path]) -> None:
    kinds = {c["kind"] for c in cases(bank[0])}
    for code in ("0501", "0502", "0503", "0504"):
        assert f"large_value_{code}_single_at_threshold" in kinds
        assert f"large_value_{code}_cumulative_just_under" in kinds
        assert f"large_value_{code}_fx_cumulative_over" in kinds
    assert {
        "scatter_in_concentrate_out",
        "concentrate_in_scatter_out",
        "structuring",
        "decoy_payroll",
        "decoy_merchant",
        "decoy_inheritance_house",
        "decoy_salaried_shopper",
    } <= kinds
