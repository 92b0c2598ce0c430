"""Unknown codes are never silent: a coded value the product does not know is loaded as given,
treated conservatively (an unknown exemption exempts nothing), and reported with its count and
first line in the load summary, the load log, the run log and `amlwatch loads`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from amlwatch.cli import app
from amlwatch.stages.ingest import ingest_day
from amlwatch.stages.large_value import scan_large_value_day
from amlwatch.summary import load_report_markdown
from amlwatch.warehouse import Warehouse
from tests.conftest import ACCOUNTS, DAY, txn, write_day


def test_an_unknown_exemption_code_is_reported_and_exempts_nothing(
    tmp_path: Path, inbox: Path
) -> None:
    rows = [
        txn("T1", amount="600000", exemption_code="time_deposit_rollover"),
        txn("T2", exemption_code="time_deposit_rollover"),
        txn("T3", exemption_code="interbank"),  # known: not reported as unknown
        txn("T4", tx_method="999999"),
        txn("T5", tx_method="000131"),
        txn("T6", counterparty_id_type="6222000000000000011"),  # an account number, misplaced
    ]
    accounts = [*ACCOUNTS[:2], {**ACCOUNTS[2], "account_type": "ZZ"}]
    write_day(inbox, DAY, rows, accounts=accounts)
    db = tmp_path / "wh.duckdb"
    report = ingest_day(DAY, inbox, db)
    found = {
        (u["file"], u["column"], u["value"]): (u["rows"], u["line"]) for u in report.unknown_codes
    }
    assert found == {
        ("transactions", "exemption_code", "time_deposit_rollover"): (2, 2),
        ("transactions", "tx_method", "999999"): (1, 5),
        ("transactions", "counterparty_id_type", "****0011"): (1, 7),  # masked, never whole
        ("accounts", "account_type", "ZZ"): (1, 0),
    }
    assert "time_deposit_rollover" in load_report_markdown(report)
    assert "6222000000000000011" not in load_report_markdown(report)
    with Warehouse.open(db, read_only=True) as wh:
        stored = json.loads(wh.scalar("SELECT unknown_codes FROM load_log"))
    assert {(u["column"], u["value"]) for u in stored} == {(c, v) for _, c, v in found}
    # conservative: the records that claim an unknown exemption count and are reported (the
    # customer's day reaches 0503 in all; the known interbank record stays out)
    scan_large_value_day(DAY, db)
    with Warehouse.open(db, read_only=True) as wh:
        reported = {r[0] for r in wh.rows("SELECT txn_id FROM large_value_transactions")}
    assert reported == {"T1", "T2", "T4", "T5", "T6"}
    listed = CliRunner().invoke(app, ["loads", "--db", str(db)])
    assert listed.exit_code == 0 and "time_deposit_rollover" in listed.output


def test_a_load_with_only_known_codes_reports_none(tmp_path: Path, inbox: Path) -> None:
    write_day(inbox, DAY, [txn("T1", exemption_code="interest", tx_method="000131")])
    assert ingest_day(DAY, inbox, tmp_path / "wh.duckdb").unknown_codes == []
