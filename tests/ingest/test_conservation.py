"""Conservation: every input row is either loaded or quarantined, never lost, never doubled."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amlwatch.ingest import ingest_business_date
from amlwatch.warehouse import Warehouse
from tests.conftest import DAY, txn, write_day

# one way to break a row each; the column that must be named, or None for a row-shape break
CORRUPTIONS: dict[str, tuple[dict[str, str], str]] = {
    "negative": ({"amount": "-1.00"}, "amount"),
    "not_a_number": ({"amount": "12,5"}, "amount"),
    "too_precise": ({"amount": "1.0001"}, "amount"),
    "missing_amount": ({"amount": ""}, "amount"),
    "bad_currency": ({"currency": "RMB"}, "currency"),
    "bad_direction": ({"direction": "both"}, "direction"),
    "bad_bool": ({"is_cash": "perhaps"}, "is_cash"),
    "bad_time": ({"booked_at": "2026-02-30 10:00:00"}, "booked_at"),
    "unknown_customer": ({"customer_id": "C404"}, "customer_id"),
    "unknown_account": ({"account_id": "6222999"}, "account_id"),
    "foreign_account": ({"account_id": "3100000000000000021"}, "account_id"),
    "no_rate": ({"currency": "GBP"}, "currency"),
    "duplicate": ({}, "txn_id"),
}

# corruptions caught on the row itself, before duplicates are looked for
ROW_LEVEL = {
    "negative",
    "not_a_number",
    "too_precise",
    "missing_amount",
    "bad_currency",
    "bad_direction",
    "bad_bool",
    "bad_time",
}

row_plan = st.lists(
    st.tuples(
        st.sampled_from([None, *CORRUPTIONS]),
        st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
        st.integers(min_value=0, max_value=86_399),
        st.booleans(),
    ),
    min_size=0,
    max_size=40,
)


def build(plan: list, first_line: int) -> tuple[list[dict[str, str]], dict[int, str]]:
    """Rows for the plan, and the column each corrupted row's line must be quarantined for."""
    rows: list[dict[str, str]] = []
    expected: dict[int, str] = {}
    for i, (corruption, amount, second, second_account) in enumerate(plan):
        stamp = dt.datetime.combine(DAY, dt.time()) + dt.timedelta(seconds=second)
        row = txn(
            f"T{i}",
            amount=f"{amount:.2f}",
            booked_at=stamp.isoformat(" "),
            account_id="6222000000000000012" if second_account else "6222000000000000011",
        )
        if corruption == "duplicate" and rows:
            row = dict(rows[0])  # a copy of a row with a bad value has that bad value too
            first = plan[0][0]
            expected[len(rows) + first_line] = (
                CORRUPTIONS[first][1] if first in ROW_LEVEL else "txn_id"
            )
        elif corruption is not None and corruption != "duplicate":
            change, column = CORRUPTIONS[corruption]
            row.update(change)
            expected[len(rows) + first_line] = column
        rows.append(row)
    return rows, expected


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=row_plan, encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "parquet"]))
def test_loaded_plus_quarantined_equals_input(plan: list, encoding: str) -> None:
    parquet = encoding == "parquet" and bool(plan)  # an empty Parquet file has no columns
    rows, expected = build(plan, first_line=1 if parquet else 2)  # Parquet: row numbers
    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "inbox"
        folder = write_day(
            inbox, DAY, rows, encoding="utf-8" if encoding == "parquet" else encoding
        )
        if parquet:
            (folder / "transactions.csv").unlink()
            pq.write_table(pa.Table.from_pylist(rows), folder / "transactions.parquet")
        with Warehouse.open(Path(tmp) / "wh.duckdb", memory_limit="512MB", threads=1) as wh:
            report = ingest_business_date(wh, inbox, DAY)
            name = next(n for n in report.rows_in if n.startswith("transactions"))
            loaded = wh.scalar("SELECT count(*) FROM transactions")
            quarantined = dict(
                wh.rows("""SELECT line, "column" FROM quarantine WHERE file = ?""", [name])
            )
    assert report.rows_in[name] == len(rows)
    assert loaded + len(quarantined) == len(rows)
    assert report.rows_loaded[name] == loaded
    assert quarantined == expected
