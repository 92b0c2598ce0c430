"""Shared fixtures: real DuckDB files and real inbox folders in temporary directories."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from amlwatch.cases.auth import set_cost
from amlwatch.settings import Settings, get_settings
from amlwatch.warehouse import Warehouse

# the tests make hundreds of users: their passwords are hashed at scrypt's lowest sane cost
# (the product's own cost, and the upgrade of a hash at login, have their own test), and
# they are active at once: four eyes on access (a second administrator approving each) has
# its own tests (tests/cases/test_access.py)
set_cost(2**14, 8, 1)
os.environ.setdefault("AMLWATCH_ACCESS_FOUR_EYES", "false")
# the checkout's own .env (`make demo` writes one) is the operator's, never a test's
Settings.model_config["env_file"] = None

DAY = dt.date(2026, 11, 20)

CUSTOMERS = [
    {
        "customer_id": "C1",
        "name": "张三",
        "customer_type": "individual",
        "id_type": "110001",
        "id_number": "110101199001011237",
        "branch_code": "B001",
    },
    {
        "customer_id": "C2",
        "name": "北京华信贸易有限公司",
        "customer_type": "entity",
        "id_type": "610099",
        "id_number": "91110105000000001Y",
        "branch_code": "B002",
    },
]
ACCOUNTS = [
    {"account_id": "6222000000000000011", "customer_id": "C1", "account_type": "120013"},
    {"account_id": "6222000000000000012", "customer_id": "C1", "account_type": "120013"},
    {"account_id": "3100000000000000021", "customer_id": "C2", "account_type": "620001"},
]
FX = [
    {"rate_date": "2026-11-20", "currency": "USD", "cny_per_unit": "7.1000"},
    {"rate_date": "2026-11-20", "currency": "EUR", "cny_per_unit": "7.7000"},
    {"rate_date": "2026-11-20", "currency": "JPY", "cny_per_unit": "0.047312"},
]


def txn(txn_id: str, /, **overrides: str) -> dict[str, str]:
    """A valid transaction row of customer C1, changed by `overrides`."""
    row = {
        "txn_id": txn_id,
        "booked_at": "2026-11-20 10:00:00",
        "customer_id": "C1",
        "account_id": "6222000000000000011",
        "direction": "in",
        "amount": "100.00",
        "currency": "CNY",
        "is_cash": "false",
        "is_cross_border": "false",
    }
    row.update(overrides)
    return row


def write_csv(
    path: Path,
    rows: Sequence[dict[str, str]],
    encoding: str = "utf-8",
    header: Sequence[str] | None = None,
) -> Path:
    """Write rows as CSV in the given encoding ('utf-8-sig' writes a BOM)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(header or dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_day(
    inbox: Path,
    day: dt.date,
    transactions: Sequence[dict[str, str]],
    *,
    customers: Sequence[dict[str, str]] | None = CUSTOMERS,
    accounts: Sequence[dict[str, str]] | None = ACCOUNTS,
    fx: Sequence[dict[str, str]] | None = FX,
    encoding: str = "utf-8",
) -> Path:
    """An inbox folder for one date with the given files (None leaves a file out)."""
    folder = inbox / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    header = list(txn("x").keys()) if not transactions else None
    write_csv(folder / "transactions.csv", transactions, encoding, header=header)
    if customers is not None:
        write_csv(folder / "customers.csv", customers, encoding)
    if accounts is not None:
        write_csv(folder / "accounts.csv", accounts, encoding)
    if fx is not None:
        write_csv(folder / "fx_rates.csv", fx, encoding)
    return folder


# every file the product reads or writes by default, as a setting (a relative default would
# be the checkout's): the tests point each of them at a temporary folder; the case store, the
# audit key and its checkpoints default to files beside the warehouse, so there too
DEFAULT_PATHS = {
    "AMLWATCH_DB": "amlwatch.duckdb",
    "AMLWATCH_REPORTS_DIR": "reports",
    "AMLWATCH_LOG_FILE": "amlwatch.log",
}
# settings that would bring a checkout's or a machine's own state into a test
FOREIGN = ("AMLWATCH_CASE_DB", "AMLWATCH_AUDIT_KEY", "AMLWATCH_AUDIT_KEY_FILE",
           "AMLWATCH_AUDIT_CHECKPOINT_FILE", "AMLWATCH_CALENDAR_FILE",
           "AMLWATCH_BRANCH_CODES_FILE", "AMLWATCH_WEB_TRUSTED_PROXIES", "AMLWATCH_LISTS_DIR",
           "AMLWATCH_WINDOW_STORE")  # fmt: skip


def _isolate(root: Path, setenv: Callable[[str, str], None], delenv: Callable[[str], None]) -> None:
    for name, file in DEFAULT_PATHS.items():
        setenv(name, str(root / file))
    for name in FOREIGN:
        delenv(name)
    get_settings.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def _session_outside_the_checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Module and session fixtures (which run before any test's own fixtures) see defaults
    in a temporary folder too, never the checkout's files (a checkpoint file an earlier
    `amlwatch users create-admin` wrote there, the README's warehouse)."""
    root = tmp_path_factory.mktemp("session-defaults")
    saved = {n: os.environ.get(n) for n in (*DEFAULT_PATHS, *FOREIGN)}
    _isolate(root, os.environ.__setitem__, lambda n: os.environ.pop(n, None))
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _settings_outside_the_checkout(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Every test's default warehouse, reports, case store, log, audit key and checkpoints
    are in a temporary folder of its own (never the checkout's), and settings are read afresh
    for it."""
    root = tmp_path_factory.mktemp("defaults")
    _isolate(root, monkeypatch.setenv, lambda n: monkeypatch.delenv(n, raising=False))
    yield
    get_settings.cache_clear()


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """An empty inbox folder."""
    path = tmp_path / "inbox"
    path.mkdir()
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    """A fresh warehouse in a real DuckDB file."""
    with Warehouse.open(tmp_path / "wh.duckdb", memory_limit="1GB", threads=2) as wh:
        yield wh


def stored_runs(wh: Warehouse, day: str | None = None) -> list[tuple]:
    """Every row of the day runs the warehouse lists in its window store (of one business
    date), sorted: what the `pattern_rows` table held before the store."""
    where = "WHERE path LIKE 'patterns/%'" + (
        "" if day is None else f" AND business_date = DATE '{day}'"
    )
    files = [
        f"{url}/{path}" for url, path in wh.rows(f"SELECT url, path FROM window_files {where}")
    ]
    if not files:
        return []
    listed = ", ".join(f"'{f}'" for f in files)
    return sorted(wh.rows(f"SELECT * FROM read_parquet([{listed}])"))
