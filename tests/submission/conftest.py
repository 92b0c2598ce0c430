"""Rows shaped like the warehouse's, for building messages without a warehouse; the sample bank, loaded once."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

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


SAMPLE = Path(__file__).parents[2] / "data_samples" / "inbox"


@pytest.fixture(scope="session")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample bank up to 2026-10-26, scanned (large-value hits on most days, alerts)."""
    from amlwatch.ingest import inbox_dates
    from amlwatch.stages.ingest import ingest_day
    from amlwatch.stages.large_value import scan_large_value_day
    from amlwatch.stages.patterns import scan_patterns_day

    db = tmp_path_factory.mktemp("bank") / "wh.duckdb"
    for day in inbox_dates(SAMPLE)[:26]:
        ingest_day(day, SAMPLE, db)
        scan_large_value_day(day, db)
        scan_patterns_day(day, db)
    return db


@pytest.fixture
def bank(loaded: Path, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A copy of the loaded sample bank, and a reports folder."""
    db = tmp_path / "wh.duckdb"
    shutil.copy(loaded, db)
    yield db, tmp_path / "reports"
