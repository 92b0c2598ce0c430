"""`amlwatch rating`: the models and a refused bank model on one plain line, a rating run on
demand, the levels in force, one customer's factors, and the inspection register written as
a person of the app (a liaison may not)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from amlwatch import wiring
from amlwatch.cli import app
from amlwatch.models import Role
from amlwatch.stages.ingest import ingest_day
from tests.conftest import DAY, txn, write_day

runner = CliRunner()
PASSWORD = "Test-Pass-2026!"


def test_models_and_a_refused_model_file(tmp_path: Path) -> None:
    listed = runner.invoke(app, ["rating", "models"])
    assert (
        listed.exit_code == 0
        and "pboc-2013-five" in listed.output
        and "现金交易占比" in listed.output
    )
    bad = tmp_path / "bank.toml"
    bad.write_text('name = "bank"\n', encoding="utf-8")
    refused = runner.invoke(app, ["rating", "models", "--check", str(bad)])
    assert refused.exit_code == 2 and "levels" in refused.output


def test_rate_levels_show_and_export(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    write_day(tmp_path / "inbox", DAY, [txn("T1"), txn("T2", amount="60000", is_cash="true")])
    ingest_day(DAY, tmp_path / "inbox", db)
    with wiring.open_review(db) as review:
        admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
        review.create_user(admin, "approver1", "审批人", Role.APPROVER, PASSWORD, [])
        review.create_user(admin, "liaison1", "联络员", Role.LIAISON, PASSWORD, ["B001"])
    rated = runner.invoke(app, ["rating", "rate", "--db", str(db)])
    assert rated.exit_code == 0, rated.output
    assert "名客户" in rated.output and "系统确认" in rated.output
    levels = runner.invoke(app, ["rating", "levels", "--db", str(db)])
    assert levels.exit_code == 0 and "低" in levels.output
    with wiring.open_warehouse(db) as warehouse:
        customer = warehouse.scalar("SELECT min(customer_id) FROM rating_scores")
    shown = runner.invoke(app, ["rating", "show", customer, "--db", str(db)])
    assert shown.exit_code == 0 and "B01" in shown.output and "模型评定" in shown.output
    out = tmp_path / "levels.xlsx"
    refused = runner.invoke(
        app, ["rating", "export", "--out", str(out), "--as", "liaison1", "--db", str(db)]
    )
    assert refused.exit_code == 2 and not out.exists()
    done = runner.invoke(
        app, ["rating", "export", "--out", str(out), "--as", "approver1", "--db", str(db)]
    )
    assert done.exit_code == 0, done.output
    rows = list(openpyxl.load_workbook(out)["客户风险等级"].iter_rows(values_only=True))
    assert len(rows) > 1 and rows[1][3] in ("10", "12", "14")
