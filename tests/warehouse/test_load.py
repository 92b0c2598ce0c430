"""Loading a business date: atomic, idempotent, checked against what is already stored."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from amlwatch.ingest import FileRejected, InboxMissing, ingest_business_date
from amlwatch.warehouse import Warehouse, WarehouseLocked, database
from tests.conftest import ACCOUNTS, CUSTOMERS, DAY, FX, txn, write_day

NEXT = DAY + dt.timedelta(days=1)
TABLES = ("transactions", "customer_history", "account_history", "fx_rates", "quarantine")


def snapshot(wh: Warehouse) -> dict[str, Any]:
    """Every row of every data table (load ids aside), in a stable order."""
    out: dict[str, Any] = {}
    for table in TABLES:
        out[table] = sorted(map(repr, wh.rows(f"SELECT * EXCLUDE (load_id) FROM {table}")))
    out["load_log"] = wh.rows("SELECT load_id, status FROM load_log ORDER BY started_at")
    return out


def test_a_rerun_replaces_the_date_exactly(warehouse: Warehouse, inbox: Path) -> None:
    write_day(inbox, DAY, [txn("T1"), txn("T2", amount="-1"), txn("T3")])
    first = ingest_business_date(warehouse, inbox, DAY)
    before = snapshot(warehouse)
    second = ingest_business_date(warehouse, inbox, DAY)
    after = snapshot(warehouse)
    for table in TABLES:
        assert after[table] == before[table]
    assert second.replaced_load_id == first.load_id
    statuses = dict(warehouse.rows("SELECT load_id, status FROM load_log"))
    assert statuses == {first.load_id: "replaced", second.load_id: "loaded"}


def test_a_corrected_file_replaces_the_old_rows(warehouse: Warehouse, inbox: Path) -> None:
    write_day(inbox, DAY, [txn("T1"), txn("T2", amount="-1")])
    ingest_business_date(warehouse, inbox, DAY)
    write_day(inbox, DAY, [txn("T1", amount="5"), txn("T2", amount="1")])
    report = ingest_business_date(warehouse, inbox, DAY)
    assert report.total_quarantined == 0
    assert warehouse.rows("SELECT txn_id, amount FROM transactions ORDER BY 1") == [
        ("T1", Decimal("5.000")),
        ("T2", Decimal("1.000")),
    ]
    assert warehouse.scalar("SELECT count(*) FROM quarantine") == 0


@pytest.mark.parametrize(
    "step", ["Warehouse._quarantine_rows", "Warehouse._quarantine", "record_load"]
)
def test_a_failure_mid_load_leaves_the_previous_state(
    warehouse: Warehouse, inbox: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    write_day(inbox, DAY, [txn("T1"), txn("T2", amount="-1")])
    ingest_business_date(warehouse, inbox, DAY)
    before = snapshot(warehouse)
    write_day(inbox, DAY, [txn("T9"), txn("T8"), txn("T7", currency="RMB")])

    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk vanished")

    owner, _, name = step.rpartition(".")
    monkeypatch.setattr(getattr(database, owner) if owner else database, name, explode)
    with pytest.raises(RuntimeError, match="disk vanished"):
        ingest_business_date(warehouse, inbox, DAY)
    after = snapshot(warehouse)
    refused = [row for row in after["load_log"] if row[1] == "rejected"]
    # the previous state whole; the refused attempt is recorded (unless recording it failed)
    assert len(refused) == (0 if step == "record_load" else 1)
    after["load_log"] = [row for row in after["load_log"] if row[1] != "rejected"]
    assert after == before


def test_a_killed_process_leaves_the_previous_state(tmp_path: Path, inbox: Path) -> None:
    db = tmp_path / "wh.duckdb"
    write_day(inbox, DAY, [txn("T1")])
    with Warehouse.open(db) as wh:
        ingest_business_date(wh, inbox, DAY)
        before = snapshot(wh)
    write_day(inbox, DAY, [txn(f"N{i}") for i in range(50)])
    script = textwrap.dedent(f"""
        import os, datetime as dt
        from pathlib import Path
        from amlwatch.warehouse import Warehouse, database
        from amlwatch.ingest import ingest_business_date
        def die(*a, **k):
            os._exit(9)  # no rollback, no close: as if the machine stopped
        database.record_load = die
        with Warehouse.open(Path({str(db)!r})) as wh:
            ingest_business_date(wh, Path({str(inbox)!r}), dt.date.fromisoformat({DAY.isoformat()!r}))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert result.returncode == 9
    with Warehouse.open(db) as wh:
        assert snapshot(wh) == before


def test_a_file_rejected_whole_keeps_the_date_and_is_logged(
    warehouse: Warehouse, inbox: Path
) -> None:
    write_day(inbox, DAY, [txn("T1")])
    ingest_business_date(warehouse, inbox, DAY)
    before = snapshot(warehouse)
    (inbox / DAY.isoformat() / "accounts.csv").write_text("account_id\n1\n", encoding="utf-8")
    with pytest.raises(FileRejected, match=r"accounts\.csv: rejected whole: required column"):
        ingest_business_date(warehouse, inbox, DAY)
    after = snapshot(warehouse)
    assert {k: v for k, v in after.items() if k != "load_log"} == {
        k: v for k, v in before.items() if k != "load_log"
    }
    assert warehouse.rows(
        "SELECT status, error LIKE '%customer_id%' FROM load_log ORDER BY started_at"
    ) == [("loaded", None), ("rejected", True)]


def test_a_txn_id_loaded_on_another_date_is_quarantined(warehouse: Warehouse, inbox: Path) -> None:
    write_day(inbox, DAY, [txn("T1")])
    write_day(
        inbox,
        NEXT,
        [txn("T1", booked_at="2026-11-21 09:00:00"), txn("T2")],
        customers=None,
        accounts=None,
        fx=None,
    )
    ingest_business_date(warehouse, inbox, DAY)
    report = ingest_business_date(warehouse, inbox, NEXT)
    [reject] = report.sample_rejects
    assert (reject.line, reject.column) == (2, "txn_id")
    assert reject.reason == (
        "txn_id T1 was already loaded for business date 2026-11-20; a transaction is loaded once"
    )
    # re-running the first date does not see its own rows as duplicates
    assert ingest_business_date(warehouse, inbox, DAY).total_quarantined == 0


def test_unknown_customers_and_accounts_are_quarantined(warehouse: Warehouse, inbox: Path) -> None:
    write_day(
        inbox,
        DAY,
        [
            txn("T1", customer_id="C404"),
            txn("T2", account_id="6222000000000009999"),
            txn("T3", account_id="3100000000000000021"),
            txn("T4"),
        ],
        accounts=[*ACCOUNTS, {"account_id": "9", "customer_id": "C404", "account_type": ""}],
    )
    report = ingest_business_date(warehouse, inbox, DAY)
    reasons = {(r.file, r.line): (r.column, r.reason) for r in report.sample_rejects}
    assert reasons == {
        ("accounts.csv", 5): (
            "customer_id",
            "customer_id C404 owning this account is not a known customer",
        ),
        ("transactions.csv", 2): (
            "customer_id",
            "customer_id C404 is not a known customer (not in the customers file of this or an earlier date)",
        ),
        ("transactions.csv", 3): (
            "account_id",
            "account_id ****9999 is not a known account (not in the accounts file of this or an earlier date)",
        ),
        ("transactions.csv", 4): (
            "account_id",
            "account_id ****0021 belongs to customer C2, not to C1",
        ),
    }
    assert warehouse.rows("SELECT txn_id FROM transactions") == [("T4",)]


def test_fx_equivalents_are_computed_given_or_refused(warehouse: Warehouse, inbox: Path) -> None:
    write_day(
        inbox,
        DAY,
        [
            txn("CNY", amount="71000"),
            txn("EUR", amount="1000", currency="EUR"),
            txn("JPY", amount="1000000", currency="JPY"),
            txn("GIVEN", amount="10", currency="EUR", amount_cny="77.777", amount_usd="10.95"),
            txn("GBP", amount="1", currency="GBP"),
        ],
    )
    report = ingest_business_date(warehouse, inbox, DAY)
    rows = dict(
        (r[0], r[1:])
        for r in warehouse.rows("SELECT txn_id, amount_cny, amount_usd, fx_stale FROM transactions")
    )
    assert rows["CNY"] == (Decimal("71000.000"), Decimal("10000.000"), False)
    assert rows["EUR"] == (Decimal("7700.000"), Decimal("1084.507"), False)
    assert rows["JPY"] == (Decimal("47312.000"), Decimal("6663.662"), False)
    assert rows["GIVEN"] == (Decimal("77.777"), Decimal("10.950"), False)
    [reject] = report.sample_rejects
    assert reject.reason == (
        "no FX rate for GBP on or before 2026-11-20 and amount_cny not given; load fx_rates for it"
    )


def test_a_day_without_its_own_rate_uses_the_latest_earlier_one_and_is_marked(
    warehouse: Warehouse, inbox: Path
) -> None:
    write_day(inbox, DAY, [txn("T1")])
    write_day(
        inbox,
        NEXT,
        [txn("T2", booked_at="2026-11-21 09:00:00", amount="10", currency="EUR")],
        customers=None,
        accounts=None,
        fx=None,
    )
    ingest_business_date(warehouse, inbox, DAY)
    ingest_business_date(warehouse, inbox, NEXT)
    assert warehouse.rows(
        "SELECT amount_cny, fx_rate_date, fx_stale FROM transactions WHERE txn_id = 'T2'"
    ) == [(Decimal("77.000"), DAY, True)]


def test_customers_are_versioned_by_business_date(warehouse: Warehouse, inbox: Path) -> None:
    write_day(inbox, DAY, [txn("T1")])
    renamed = [dict(CUSTOMERS[0], name="张三丰")]
    write_day(inbox, NEXT, [], customers=renamed, accounts=None, fx=None)
    ingest_business_date(warehouse, inbox, DAY)
    ingest_business_date(warehouse, inbox, NEXT)
    ingest_business_date(warehouse, inbox, DAY)  # re-running the earlier date must not undo it
    assert warehouse.scalar("SELECT name FROM customers WHERE customer_id = 'C1'") == "张三丰"
    assert warehouse.scalar("SELECT count(*) FROM customers") == 2


def test_fx_rate_already_sent_by_another_folder_is_quarantined(
    warehouse: Warehouse, inbox: Path
) -> None:
    write_day(inbox, DAY, [txn("T1")])
    write_day(inbox, NEXT, [], customers=None, accounts=None, fx=[dict(FX[0], cny_per_unit="7.2")])
    ingest_business_date(warehouse, inbox, DAY)
    report = ingest_business_date(warehouse, inbox, NEXT)
    assert [r.reason for r in report.sample_rejects] == [
        "rate for USD on 2026-11-20 was already loaded from the folder of 2026-11-20"
    ]


def test_a_quiet_day_is_allowed_and_recorded(warehouse: Warehouse, inbox: Path) -> None:
    write_day(inbox, DAY, [], customers=None, accounts=None, fx=None)
    report = ingest_business_date(warehouse, inbox, DAY)
    assert report.quiet_day and report.total_in == 0
    assert warehouse.loaded_dates() == [DAY]


def test_missing_folder_or_transactions_file_fails_loudly(
    warehouse: Warehouse, inbox: Path
) -> None:
    with pytest.raises(InboxMissing, match="no folder for business date 2026-11-20"):
        ingest_business_date(warehouse, inbox, DAY)
    folder = write_day(inbox, DAY, [txn("T1")])
    (folder / "transactions.csv").unlink()
    with pytest.raises(InboxMissing, match=r"no transactions\.csv or transactions\.parquet"):
        ingest_business_date(warehouse, inbox, DAY)
    with pytest.raises(InboxMissing, match="does not exist"):
        ingest_business_date(warehouse, inbox / "nowhere", DAY)


def test_a_warehouse_held_by_another_process_is_reported_as_locked(tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        with (
            pytest.raises(WarehouseLocked, match="in use by another process"),
            Warehouse.open(db, lock_timeout_s=1.0),
        ):
            pass
        assert time.monotonic() - started >= 1.0
        assert WarehouseLocked.retryable
    finally:
        holder.kill()
        holder.wait()


def test_a_file_that_is_not_one_record_per_line_is_reread_exactly(
    warehouse: Warehouse, inbox: Path
) -> None:
    folder = write_day(inbox, DAY, [txn("T1")])
    header = ",".join(txn("x").keys()) + ",memo"
    row = "2026-11-20 10:00:00,C1,6222000000000000011,in,{amount},CNY,false,false"
    (folder / "transactions.csv").write_text(
        "\n".join(
            [
                header,
                f'T1,{row.format(amount="1")},"two\nlines"',
                "",
                f"T2,{row.format(amount='-2')},x",
                "T3,too,few",
                f"T4,{row.format(amount='4')},y",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    report = ingest_business_date(warehouse, inbox, DAY)
    assert warehouse.rows("SELECT txn_id, line FROM transactions ORDER BY line") == [
        ("T1", 2),
        ("T4", 7),
    ]
    assert [(r.line, r.column) for r in report.sample_rejects] == [(5, "amount"), (6, None)]
    assert report.rows_in["transactions.csv"] == 4


def test_insertion_order_is_kept_for_a_block_and_its_threads_cursors(tmp_path: Path) -> None:
    """The setting is the database's: a cursor's block inside an outer block must not turn it
    off for the threads still reading in order."""

    def kept(wh: Warehouse) -> bool:
        return bool(wh.scalar("SELECT current_setting('preserve_insertion_order')"))

    with Warehouse.open(tmp_path / "wh.duckdb") as wh:
        assert not kept(wh)
        with wh.in_insertion_order(), wh.cursor() as reader:
            with reader.in_insertion_order():
                assert kept(reader)
            assert kept(reader) and kept(wh)  # still on for the other threads
        assert not kept(wh)
