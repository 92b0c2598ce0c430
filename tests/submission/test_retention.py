"""Retention over the real sample bank, its case store and its report folders: exactly what
is older than the policy goes, and what an open case or an unfinished filing needs is held."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amlwatch.cases import SubmissionLedger
from amlwatch.cases.audit import entries, verify
from amlwatch.cli import app
from amlwatch.settings import Settings
from amlwatch.stages.cases import open_cases_of_run
from amlwatch.stages.filings import write_large_value_submission
from amlwatch.stages.retention import cutoff_for, run_retention
from amlwatch.warehouse import Warehouse
from amlwatch.warehouse import retention as wh_retention
from amlwatch.wiring import case_store, review_for

CUTOFF = dt.date(2026, 10, 26)
TODAY = dt.date(2036, 10, 26)  # ten years on: all but the sample's last day are due to go
FINISHED_RUN, OPEN_RUN = dt.date(2026, 10, 9), dt.date(2026, 10, 12)
CASE_RUN = dt.date(2026, 10, 20)  # the case of the first alert (last scanned that night)

# table: its date column (what "older than the policy" means for the table)
DATED = {
    "transactions": "business_date",
    "large_value_transactions": "trade_date",
    "suspicious_hits": "scan_date",
    "suspicious_alerts": "last_scan_date",
    "quarantine": "business_date",
    "load_log": "business_date",
    "fx_rates": "business_date",
    "pattern_runs": "business_date",
    "window_files": "business_date",
    "run_log": "run_date",
}


def rows(db: Path, sql: str, params: list[object] | None = None) -> set[tuple[object, ...]]:
    with Warehouse.open(db, read_only=True) as wh:
        return set(wh.rows(sql, params))


def snapshot(db: Path) -> dict[str, set[tuple[object, ...]]]:
    return {table: rows(db, f"SELECT * FROM {table}") for table in DATED}


def test_the_cutoff_is_the_same_day_years_earlier() -> None:
    assert cutoff_for(dt.date(2036, 10, 19), 10) == dt.date(2026, 10, 19)
    assert cutoff_for(dt.date(2036, 2, 29), 10) == dt.date(2026, 2, 28)


def test_the_policy_cannot_be_shorter_than_the_law() -> None:
    with pytest.raises(ValueError, match="retention_years"):
        Settings(retention_years=5)
    assert Settings().retention_years == 10


def test_retention_purges_exactly_what_is_older_and_holds_the_rest(
    bank: tuple[Path, Path],
) -> None:
    db, reports = bank
    ledger = SubmissionLedger(case_store(db))
    finished = write_large_value_submission(FINISHED_RUN, db, reports, today=FINISHED_RUN)
    unfinished = write_large_value_submission(OPEN_RUN, db, reports, today=OPEN_RUN)
    for name in finished.files:  # the regulator accepted the first night's files
        ledger.mark_uploaded([name], "uploader")
        ledger.record_receipt(f"FDSC{name}", name, "accepted", dt.datetime(2026, 10, 10), {})
    held_keys = {k for name in unfinished.files for k in ledger.keys_of(name)}
    assert open_cases_of_run(CASE_RUN, db).opened  # cases under review: their alerts are held
    case_alerts = _case_alerts(db)
    assert case_alerts and held_keys
    before = snapshot(db)
    evidence = rows(
        db,
        "SELECT txn_id FROM suspicious_alert_transactions WHERE list_contains(?, alert_id)",
        [sorted(case_alerts)],
    )

    dry = run_retention(True, db, reports, today=TODAY)
    assert dry.cutoff == CUTOFF and snapshot(db) == before  # a dry run changes nothing
    assert ledger.file(finished.files[0]) is not None

    done = run_retention(False, db, reports, today=TODAY, by="retention-test")
    after = snapshot(db)
    assert {t: n for t, (n, _) in done.warehouse.items()} == {
        t: n for t, (n, _) in dry.warehouse.items()
    }  # the run removed what the dry run listed
    for table, column in DATED.items():
        with Warehouse.open(db, read_only=True) as wh:
            young = set(wh.rows(f"SELECT * FROM {table} WHERE {column} >= ?", [CUTOFF]))
            old_left = wh.scalar(f"SELECT count(*) FROM {table} WHERE {column} < ?", [CUTOFF])
        assert young == {r for r in before[table] if r in young} and young <= after[table]
        assert len(after[table]) == len(young) + old_left
        assert done.warehouse[table] == (len(before[table]) - len(after[table]), old_left)
    for table in ("transactions", "large_value_transactions", "suspicious_hits"):
        assert len(after[table]) < len(before[table])
    gone_alerts = {a for (a, *_) in before["suspicious_alerts"]} - {
        a for (a, *_) in after["suspicious_alerts"]
    }
    assert gone_alerts and not gone_alerts & case_alerts
    # held back: the unfinished file's records and transactions, the open cases' alerts
    # and evidence, and the customers they name
    left_keys = rows(
        db,
        """SELECT customer_id, strftime(trade_date, '%Y%m%d'), characteristic_code, txn_id
           FROM large_value_transactions WHERE trade_date < ?""",
        [CUTOFF],
    )
    assert left_keys == held_keys
    old_txns = rows(db, "SELECT txn_id FROM transactions WHERE business_date < ?", [CUTOFF])
    assert old_txns == {(k[3],) for k in held_keys} | (
        evidence & rows(db, "SELECT txn_id FROM transactions")
    )
    assert {a for (a,) in rows(db, "SELECT alert_id FROM suspicious_alerts")} >= case_alerts
    orphans = rows(
        db,
        """SELECT customer_id FROM transactions EXCEPT SELECT customer_id FROM customers
           UNION ALL SELECT account_id FROM transactions EXCEPT SELECT account_id FROM accounts""",
    )
    assert orphans == set()  # every record kept still has its customer and account
    # the case store: the accepted file and its files on disk went, the unfinished one stays
    assert ledger.file(finished.files[0]) is None
    assert not (reports / str(FINISHED_RUN)).exists()
    assert all(ledger.file(name) is not None for name in unfinished.files)
    assert (reports / str(OPEN_RUN) / "submission" / f"{unfinished.files[0]}.XML").exists()
    assert set(done.held) >= {"unfinished filing (未完成的报送)"}
    store = case_store(db)
    purges = [e for e in entries(store, action="retention purge")]
    assert {e.target for e in purges} == {"case store", "warehouse and report files"}
    [wh_entry] = [e for e in purges if e.target == "warehouse and report files"]
    assert wh_entry.detail["removed"]["transactions"] == done.warehouse["transactions"][0]
    assert verify(store).ok
    store.close()
    # a second run finds nothing more to remove
    again = run_retention(False, db, reports, today=TODAY)
    assert not again.anything


def _case_alerts(db: Path) -> set[str]:
    """The alerts the case store has a case of."""
    store = case_store(db)
    try:
        review = review_for(store)
        alerts = {str(a) for (a,) in rows(db, "SELECT alert_id FROM suspicious_alerts")}
        return {a for a in alerts if review.case_of_alert(a) is not None}
    finally:
        store.close()


def test_a_failed_purge_leaves_the_warehouse_whole(
    bank: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, reports = bank
    before = snapshot(db)
    real = wh_retention._goes

    def broken(cutoff: dt.date) -> dict[str, tuple[str, str | None]]:
        return {**real(cutoff), "no_such_table": ("true", None)}

    monkeypatch.setattr(wh_retention, "_goes", broken)
    with pytest.raises(Exception, match="no_such_table"):
        run_retention(False, db, reports, today=TODAY)
    assert snapshot(db) == before


def test_the_cli_lists_what_would_go_and_refuses_a_pretend_today(bank: tuple[Path, Path]) -> None:
    db, _ = bank
    runner = CliRunner()
    listed = runner.invoke(app, ["retention", "--dry-run", "--as-of", f"{TODAY}", "--db", f"{db}"])
    assert listed.exit_code == 0, listed.output
    assert "将删除 would go" in listed.output and "transactions" in listed.output
    refused = runner.invoke(app, ["retention", "--as-of", f"{TODAY}", "--db", f"{db}"])
    assert refused.exit_code == 2 and "dry run only" in refused.output
    nothing = runner.invoke(app, ["retention", "--db", f"{db}"])  # ten years have not passed
    assert nothing.exit_code == 0 and "已删除" not in nothing.output
