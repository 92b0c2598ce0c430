"""The window store: a date's day run as Parquet files listed by the warehouse in the load's
transaction — read back exactly, by any bucket range, on a local path or an fsspec URL;
replaced whole by a re-run; a process killed in the middle of a write leaves the previous
state; files no longer listed are swept."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlwatch.rules import load_pack
from amlwatch.stages.ingest import ingest_day
from amlwatch.warehouse import Bucket, Warehouse, day_runs, window_store
from tests.conftest import DAY, stored_runs, txn, write_day

RULE = load_pack("pboc-2016").suspicious


def run_rows(keys: np.ndarray, day: dt.date = DAY) -> pa.Table:
    """Rows of one date in store layout, sorted by customer key as a day run is."""
    keys = np.sort(keys.astype(np.uint64))
    n = len(keys)
    return pa.table(
        {
            "business_date": pa.array([day] * n, pa.date32()),
            "trade_date": pa.array(
                [day - dt.timedelta(days=int(i % 3)) for i in range(n)], pa.date32()
            ),
            "customer_1": pa.array(keys, pa.uint64()),
            "customer_2": pa.array(keys[::-1].copy(), pa.uint64()),
            "ts": pa.array(np.arange(n, dtype=np.int64)),
            "out": pa.array(np.arange(n) % 2 == 0),
            "amount": pa.array(np.arange(n, dtype=np.int64) * 1000),
            "party": pa.array(np.arange(n, dtype=np.uint64)),
            "line": pa.array(np.arange(n, dtype=np.int64) + 2),
            "kind": pa.array(np.zeros(n, np.uint8)),
        }
    )


@settings(max_examples=40, deadline=None)
@given(
    keys=st.lists(st.integers(0, 2**64 - 1), max_size=300),
    count=st.sampled_from([1, 2, 3, 5, 8, 16, 64]),
    parts=st.sampled_from([1, 4, 16]),
)
def test_a_bucket_reads_exactly_its_customers_rows(
    tmp_path_factory: pytest.TempPathFactory, keys: list[int], count: int, parts: int
) -> None:
    root = str(tmp_path_factory.mktemp("store"))
    rows = run_rows(np.array(keys, np.uint64))
    files = window_store.write_date(root, DAY, "d", "load", rows, parts)
    assert sum(f.rows for f in files) == rows.num_rows
    assert all(f.rows for f in files)  # empty parts are not written
    got = []
    for bucket in Bucket.all_of(count):
        first, last = bucket.hashes
        part = window_store.read_rows(files, ["customer_1", "ts"], first, last)
        expected = [k for k in sorted(keys) if first <= k <= last]
        assert part["customer_1"].to_pylist() == expected
        got.extend(part["ts"].to_pylist())
    assert got == list(range(len(keys)))  # every row once, in stored order
    # a trade-date range keeps only its trades
    late = window_store.read_rows(files, ["trade_date"], first_day=DAY, last_day=DAY)
    assert late["trade_date"].to_pylist() == [DAY] * sum(1 for i in range(len(keys)) if i % 3 == 0)


def test_a_store_on_an_fsspec_url_reads_and_sweeps(tmp_path: Path) -> None:
    url = "memory://amlwatch-test-store/window"
    rows = run_rows(np.arange(0, 2**64 - 1, 2**58, dtype=np.uint64))
    files = window_store.write_date(url, DAY, "d", "load", rows)
    assert len(files) == window_store.PARTS
    assert window_store.read_rows(files, list(rows.column_names)).equals(rows)
    assert window_store.dataset(files).to_table().num_rows == rows.num_rows
    keep = {files[0].path}
    assert window_store.sweep(url, [DAY], keep, dt.timedelta(hours=1)) == 0  # all fresh
    assert window_store.sweep(url, [DAY], keep, dt.timedelta(0)) == len(files) - 1
    assert window_store.read_rows(files[:1], ["line"]).num_rows == files[0].rows


def load_day(inbox: Path, db: Path, day: dt.date, amounts: list[str]) -> None:
    write_day(
        inbox,
        day,
        [txn(f"T{i}", amount=a, booked_at=f"{day} 10:0{i}:00") for i, a in enumerate(amounts)],
    )
    ingest_day(day, inbox, db)


def test_a_rerun_replaces_the_dates_files_and_the_old_ones_are_swept(tmp_path: Path) -> None:
    inbox, db = tmp_path / "inbox", tmp_path / "wh.duckdb"
    load_day(inbox, db, DAY, ["100.00", "200.00"])
    with Warehouse.open(db) as wh:
        first = stored_runs(wh)
        old = {p for (p,) in wh.rows("SELECT path FROM window_files")}
        assert sorted(r[6] for r in first) == [100_000, 200_000]  # thousandths
        assert wh.window_store == str(tmp_path / "wh-window")
    load_day(inbox, db, DAY, ["300.00", "400.00", "500.00"])
    with Warehouse.open(db) as wh:
        assert sorted(r[6] for r in stored_runs(wh)) == [300_000, 400_000, 500_000]
        new = {p for (p,) in wh.rows("SELECT path FROM window_files")}
        assert not old & new
        store = Path(wh.window_store)
        assert all((store / p).exists() for p in old)  # readable for the grace period
        assert day_runs.sweep(wh, [DAY], dt.timedelta(0)) == len(old)
        assert not any((store / p).exists() for p in old)
        assert all((store / p).exists() for p in new)


KILLER = """
import datetime as dt, os, signal, sys
from pathlib import Path
import pyarrow.parquet as pq
from amlwatch.stages.ingest import ingest_day
written = []
real = pq.write_table
def write_then_die(*args, **kwargs):
    real(*args, **kwargs)
    written.append(args[1])
    if len(written) == 1:  # one file of the run written, the others not, nothing committed
        os.kill(os.getpid(), signal.SIGKILL)
pq.write_table = write_then_die
ingest_day(dt.date.fromisoformat(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
"""


def test_a_process_killed_while_writing_the_store_leaves_the_previous_state(tmp_path: Path) -> None:
    inbox, db = tmp_path / "inbox", tmp_path / "wh.duckdb"
    load_day(inbox, db, DAY, ["100.00", "200.00"])
    with Warehouse.open(db) as wh:
        before = (
            stored_runs(wh),
            wh.rows("SELECT * FROM window_files"),
            wh.rows("SELECT * FROM load_log"),
        )
        transactions = wh.rows("SELECT txn_id, amount_cny FROM transactions ORDER BY 1")
    write_day(
        inbox,
        DAY,
        [txn(f"N{i}", amount="9.00", booked_at=f"{DAY} 11:{i:02d}:00") for i in range(40)],
    )  # a re-run
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLER), str(DAY), str(inbox), str(db)],
        env={**os.environ}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert killed.returncode == -9, killed.stderr
    store = tmp_path / "wh-window"
    files = {p.relative_to(store).as_posix() for p in store.rglob("*.parquet")}
    with Warehouse.open(db) as wh:
        assert (stored_runs(wh), wh.rows("SELECT * FROM window_files"),
                wh.rows("SELECT * FROM load_log")) == before  # fmt: skip
        assert wh.rows("SELECT txn_id, amount_cny FROM transactions ORDER BY 1") == transactions
        listed = {p for (p,) in wh.rows("SELECT path FROM window_files")}
        assert len(files - listed) == 1  # the killed write's file, listed nowhere
        assert day_runs.sweep(wh, [DAY], dt.timedelta(0)) == 1
    assert {p.relative_to(store).as_posix() for p in store.rglob("*.parquet")} == listed
    ingest_day(DAY, inbox, db)  # the re-run, again: now whole
    with Warehouse.open(db, read_only=True) as wh:
        assert len(stored_runs(wh)) == 40


def test_a_date_without_a_run_in_the_store_is_cut_again(tmp_path: Path) -> None:
    """Runs listed before the window store (the `pattern_rows` table) are not trusted: their
    digest differs, so a scan cuts them into the store."""
    inbox, db = tmp_path / "inbox", tmp_path / "wh.duckdb"
    load_day(inbox, db, DAY, ["100.00"])
    assert RULE is not None
    with Warehouse.open(db) as wh:
        wh.execute("DELETE FROM window_files")
        wh.execute("UPDATE pattern_runs SET exclusions = 'before the store'")
        assert day_runs.window_dates(wh, DAY, DAY, RULE).missing == [DAY]
        dates = day_runs.ready_window(wh, DAY, DAY, RULE)
        assert dates.missing == [] and len(stored_runs(wh)) == 1
