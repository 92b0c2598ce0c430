"""Never late because of one bad record: a night whose large-value records include a customer
with an invalid ID number and a transaction with a method outside table 10.3 files the good
records, holds the bad ones (待补正) and succeeds; the data problems are listed at load; the
corrected customers file sends the held record out the next night under the same key; a
backfill over the bad night does not stop."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness
from typer.testing import CliRunner

from amlwatch.cli import app
from amlwatch.submission.validate import check
from amlwatch.warehouse import Warehouse
from tests.conftest import ACCOUNTS, CUSTOMERS, DAY, txn, write_day

BAD = "11010119850203123A"  # a resident ID with a letter in it
GOOD = "110101198502031231"
C3 = {
    "customer_id": "C3",
    "name": "李明",
    "customer_type": "individual",
    "id_type": "110001",
    "id_number": BAD,
    "branch_code": "B001",
}
A3 = {"account_id": "6222000000000000033", "customer_id": "C3", "account_type": "120013"}


@pytest.fixture(scope="module", autouse=True)
def harness() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=60):
        yield


def filed(reports: Path, day: dt.date) -> set[str]:
    """The transactions the night's large-value messages carry."""
    found: set[str] = set()
    for xml in (reports / day.isoformat() / "submission").glob("NBH*.XML"):
        data = check(xml.read_bytes())
        found |= {
            t["TSIF"]["TICD"]
            for c in data["CATIs"]
            for h in c["HTCRs"]
            for i in h["CCIFs"]
            for t in i["TSDTs"]
        }
    return found


def test_a_backfill_over_a_night_with_bad_records_files_the_rest_and_sends_them_later(
    tmp_path: Path,
) -> None:
    inbox, db, reports = tmp_path / "inbox", tmp_path / "wh.duckdb", tmp_path / "reports"
    second = DAY + dt.timedelta(days=1)
    write_day(
        inbox,
        DAY,
        [
            txn("T1", amount="60000", is_cash="true"),  # C1, filed
            # C3's ID is invalid: held
            txn(
                "T2", amount="60000", is_cash="true", customer_id="C3", account_id=A3["account_id"]
            ),
            txn("T3", amount="600000", tx_method="010012"),  # not in table 10.3: held
        ],
        customers=[*CUSTOMERS, C3],
        accounts=[*ACCOUNTS, A3],
    )
    write_day(  # the bank corrects C3's ID in the next day's customers file
        inbox,
        second,
        [txn("T4", booked_at=f"{second} 10:00:00")],
        customers=[*CUSTOMERS, C3 | {"id_number": GOOD}],
        accounts=[*ACCOUNTS, A3],
    )
    env = {"AMLWATCH_REPORTS_DIR": str(reports)}
    run = CliRunner().invoke(
        app, ["backfill", "--inbox", str(inbox), "--db", str(db)], env=env, terminal_width=220
    )
    assert run.exit_code == 0, run.output
    assert "待补正" in run.output and "失败" not in run.output

    assert filed(reports, DAY) == {"T1"}  # the good record of the bad night went out
    assert filed(reports, second) == {"T2"}  # the corrected customer's record, the day after
    with Warehouse.open(db, read_only=True) as wh:
        runs = wh.records("SELECT * FROM run_log ORDER BY run_date")
    assert [r["outcome"] for r in runs] == ["succeeded", "succeeded"]
    assert [r["held_records"] for r in runs] == [2, 1]  # T3's method is still wrong
    assert runs[0]["data_issues"] >= 2 and json.loads(runs[0]["hits_by_code"])

    # the data problems were listed at load, masked; C3's is closed by the corrected file
    issues = CliRunner().invoke(app, ["data-issues", "--db", str(db), "--all"], env=env)
    assert issues.exit_code == 0, issues.output
    assert "010012" in issues.output and "****123A" in issues.output and BAD not in issues.output
    assert "已更正" in issues.output
    still = CliRunner().invoke(app, ["data-issues", "--db", str(db)], env=env)
    assert "****123A" not in still.output and "010012" in still.output

    held = CliRunner().invoke(app, ["submissions", "held", "--db", str(db), "--all"], env=env)
    assert held.exit_code == 0, held.output
    assert "已补报" in held.output and "待补正" in held.output and "TSTP" in held.output

    runs_cli = CliRunner().invoke(app, ["runs", "--db", str(db)], env=env)
    assert runs_cli.exit_code == 0, runs_cli.output

    # what the approvers' register shows: the data still to correct, the record still held
    from amlwatch.stages.uploads import open_actions
    from amlwatch.wiring import open_ledger

    with open_ledger(db) as ledger:
        todo = open_actions(ledger, second, db=db)
    data = [a for a in todo if a.status == "data issue"]
    assert len(data) == 1 and "TSTP" in data[0].what and "CTID" not in data[0].what
    assert [a for a in todo if a.status == "held"]
