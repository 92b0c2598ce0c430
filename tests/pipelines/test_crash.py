"""Kill the nightly stages at random moments, run again: every table ends exactly as after an
undisturbed run (no duplicate or missing rows, no half-written report files)."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from amlwatch.cases import SubmissionLedger
from amlwatch.cases.tables import case_alerts, case_snapshots, cases
from amlwatch.ingest import inbox_dates
from amlwatch.submission.messages import keys_of_new
from amlwatch.submission.validate import check
from amlwatch.synth import generate_bank
from amlwatch.warehouse import Warehouse
from amlwatch.wiring import case_store
from tests.pipelines.night_runner import run_night

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]
START = dt.date(2026, 10, 12)

SNAPSHOT = {
    "transactions": "SELECT * EXCLUDE (load_id) FROM transactions",
    "quarantine": "SELECT * EXCLUDE (load_id) FROM quarantine",
    "customer_history": "SELECT * EXCLUDE (load_id) FROM customer_history",
    "large_value_transactions": "SELECT * EXCLUDE (scanned_at) FROM large_value_transactions",
    "suspicious_hits": "SELECT * EXCLUDE (scanned_at) FROM suspicious_hits",
    "suspicious_alerts": "SELECT * FROM suspicious_alerts",
    "suspicious_alert_transactions": "SELECT * FROM suspicious_alert_transactions",
    "loaded dates": "SELECT business_date FROM load_log WHERE status = 'loaded'",
}


def snapshot(db: Path) -> dict[str, list[str]]:
    with Warehouse.open(db, read_only=True) as wh:
        return {name: sorted(map(repr, wh.rows(sql))) for name, sql in SNAPSHOT.items()}


def night(day: dt.date, inbox: Path, db: Path, reports: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.pipelines.night_runner",
            str(day),
            str(inbox),
            str(db),
            str(reports),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def case_rows(db: Path) -> list[tuple[object, ...]]:
    """(alert, state, evidence versions with their digests) of every case."""
    store = case_store(db)
    try:
        with store.read() as con:
            return [
                tuple(row)
                for row in con.execute(
                    select(
                        cases.c.alert_id,
                        cases.c.state,
                        case_snapshots.c.version,
                        case_snapshots.c.digest,
                    )
                    .join(case_snapshots, case_snapshots.c.case_id == cases.c.id)
                    .order_by(cases.c.alert_id, case_snapshots.c.version)
                )
            ]
    finally:
        store.close()


@pytest.mark.slow
def test_killed_nights_rerun_to_exactly_the_undisturbed_result(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    generate_bank(bank, customers=700, days=6, start=START, fmt="mixed", corrupt_days=1, seed=9)
    inbox = bank / "inbox"
    days = inbox_dates(inbox)
    reference = tmp_path / "reference.duckdb"
    for day in days:
        run_night(day, inbox, reference, tmp_path / "reference-reports")
    expected = snapshot(reference)
    assert expected["suspicious_hits"] or expected["large_value_transactions"]

    # how long an undisturbed night takes in a fresh process, to spread the kills over it
    db, reports = tmp_path / "wh.duckdb", tmp_path / "reports"
    began = time.monotonic()
    assert night(days[0], inbox, db, reports).wait() == 0
    span = time.monotonic() - began
    rng = random.Random(20261123)
    kills = 0
    for day in days:
        for _ in range(2):  # two kills per night at random moments, then a clean run
            process = night(day, inbox, db, reports)
            time.sleep(rng.uniform(0.2, span))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait()
        finished = night(day, inbox, db, reports)
        assert finished.wait() == 0, finished.stderr.read().decode() if finished.stderr else ""
    assert kills >= len(days)  # most attempts were really cut short
    assert snapshot(db) == expected
    for folder in reports.iterdir():
        assert not list(folder.glob("*.tmp")), "a half-written report file was left behind"
    # the regulator's files: each night's upload folder holds exactly its hits, once
    # the case store: every alert a case once, with the same evidence versions
    assert case_rows(db) == case_rows(reference)
    # every alert of a standard in force is part of exactly one case (one per customer and
    # window, whatever number of standards hit), and every structure of a network standard
    # in force of exactly one group case
    with Warehouse.open(db, read_only=True) as wh:
        in_force = {a for (a,) in wh.rows(
            """SELECT alert_id FROM suspicious_alerts
               WHERE coalesce(standard_status, 'in_force') = 'in_force'
               UNION SELECT structure_id FROM network_hits WHERE standard_status = 'in_force'""")}  # fmt: skip
    store = case_store(db)
    try:
        with store.read() as con:
            linked = list(con.execute(select(case_alerts.c.alert_id)).scalars())
    finally:
        store.close()
    assert sorted(linked) == sorted(in_force)
    ledger = SubmissionLedger(case_store(db))
    assert not [r for r in ledger.files() if r.status == "allocated"]
    for day in days:
        with Warehouse.open(db, read_only=True) as wh:
            expected_keys = {
                (c, d, k, t)
                for c, d, k, t in wh.rows(
                    """SELECT customer_id, strftime(trade_date, '%Y%m%d'), characteristic_code,
                              txn_id FROM large_value_transactions WHERE trade_date IN
                       (SELECT DISTINCT trade_date FROM transactions WHERE business_date = ?)""",
                    [day],
                )
            }
        sent: set[tuple[str, str, str, str]] = set()
        for package in (reports / day.isoformat() / "submission").glob("*.ZIP"):
            with zipfile.ZipFile(package) as zf:
                for member in zf.namelist():
                    message = check(zf.read(member))
                    sent |= {(k.customer, k.day, k.code, k.txn_id) for k in keys_of_new(message)}
        assert sent == expected_keys
