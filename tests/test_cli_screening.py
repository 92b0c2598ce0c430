"""`amlwatch screening`: import at the console as a person of the app, the versions and what
each changed, a refused file on one plain line, a full re-screening, and the matches with
their reasons in Chinese beside the codes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from amlwatch import wiring
from amlwatch.cli import app
from amlwatch.models import Role
from amlwatch.screening import ListEntry, ListName
from amlwatch.synth.lists import generated_entries, list_csv
from tests.conftest import DAY, txn, write_day

runner = CliRunner()
PASSWORD = "Test-Pass-2026!"


def test_import_versions_diff_rescreen_and_matches(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    write_day(tmp_path / "inbox", DAY, [txn("T1")])
    from amlwatch.stages.ingest import ingest_day

    ingest_day(DAY, tmp_path / "inbox", db)
    with wiring.open_review(db) as review:
        admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
        review.create_user(admin, "approver1", "审批人", Role.APPROVER, PASSWORD, [])
    entries = generated_entries(np.random.default_rng(5), 4, 2, 1)
    first = tmp_path / "ct1.csv"
    first.write_bytes(list_csv(entries))
    result = runner.invoke(
        app,
        [
            "screening",
            "import",
            str(first),
            "--list",
            "CN-CT",
            "--as",
            "approver1",
            "--db",
            str(db),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "第 1 版" in result.output and "新增 7" in result.output
    listed = ListEntry("ZS-1", "individual", (ListName("ZHANG San"),), birth_dates=("1990-01-01",))
    second = tmp_path / "ct2.csv"
    second.write_bytes(list_csv([*entries[1:], listed]))
    result = runner.invoke(
        app,
        [
            "screening",
            "import",
            str(second),
            "--list",
            "CN-CT",
            "--as",
            "approver1",
            "--db",
            str(db),
        ],
    )
    assert "新增 1、变更 0、删除 1" in result.output
    listing = runner.invoke(app, ["screening", "lists", "--db", str(db)])
    assert "CN-CT" in listing.output and "approver1" in listing.output
    diff = runner.invoke(app, ["screening", "diff", "--list", "CN-CT", "--db", str(db)])
    assert "ZS-1" in diff.output and entries[0].ref in diff.output
    rescreen = runner.invoke(
        app, ["screening", "rescreen", "--date", DAY.isoformat(), "--db", str(db)]
    )
    assert rescreen.exit_code == 0 and "疑似命中 1" in rescreen.output
    matches = runner.invoke(app, ["screening", "matches", "--band", "hit", "--db", str(db)])
    assert (
        "ZS-1" in matches.output
        and "PINYIN" in matches.output
        and "汉字与汉语拼音一致" in matches.output
    )


def test_a_refused_file_and_a_wrong_person_are_one_plain_line(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    with wiring.open_review(db) as review:
        admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
        review.create_user(admin, "liaison1", "联络员", Role.LIAISON, PASSWORD, ["B001"])
    broken = tmp_path / "UN.xml"
    broken.write_bytes(b"<CONSOLIDATED_LIST><INDIVIDUALS>\n<INDIVIDUAL>")
    result = runner.invoke(
        app, ["screening", "import", str(broken), "--list", "UN", "--as", "admin", "--db", str(db)]
    )
    assert (
        result.exit_code == 2 and "UN.xml:2" in result.output and "名单文件被拒绝" in result.output
    )
    assert "Traceback" not in result.output
    result = runner.invoke(
        app,
        ["screening", "import", str(broken), "--list", "UN", "--as", "liaison1", "--db", str(db)],
    )
    assert result.exit_code == 2 and "无此权限" in result.output
    none = runner.invoke(app, ["screening", "rescreen", "--db", str(db)])
    assert none.exit_code == 2 and "尚未导入任何名单" in none.output
