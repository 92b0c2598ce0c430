"""The annual evaluation of the monitoring standards on the sample bank: `amlwatch standards
evaluate` writes the PDF and the xlsx; its figures match counts taken independently from the
warehouse and the case store."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from amlwatch.cases import repository as repo
from amlwatch.cases.repository import CaseFilter
from amlwatch.cli import app
from amlwatch.ingest import inbox_dates
from amlwatch.models import Role
from amlwatch.rules import INDICATORS_2003, NETWORK_FAMILIES, load_pack
from amlwatch.stages.cases import open_cases_of_run
from amlwatch.stages.ingest import ingest_day
from amlwatch.stages.patterns import scan_patterns_day
from amlwatch.warehouse import Warehouse
from amlwatch.wiring import case_store, review_for, today
from tests.reports.test_work_report import PASSWORD, SAMPLE, table_rows

pytestmark = pytest.mark.integration


def test_the_evaluation_counts_what_each_standard_found_and_what_people_made_of_it(
    tmp_path: Path,
) -> None:
    db, reports = tmp_path / "wh.duckdb", tmp_path / "reports"
    for day in inbox_dates(SAMPLE)[:22]:
        ingest_day(day, SAMPLE, db)
        scan_patterns_day(day, db)
        open_cases_of_run(day, db)
    store = case_store(db)
    review = review_for(store)
    admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
    branches = [f"B{i:03d}" for i in range(1, 9)]
    liaison = review.create_user(admin, "liaison1", "李联络", Role.LIAISON, PASSWORD, branches)
    approver = review.create_user(admin, "approver1", "王审批", Role.APPROVER, PASSWORD, [])
    cases = review.list_cases(approver, CaseFilter(snoozed=None), limit=100).cases
    assert len(cases) >= 2
    reason = review.dismissal_reasons()[0][0]
    review.start_review(liaison, cases[0].id)
    review.dismiss(liaison, cases[0].id, reason, "客户为批发商，资金往来与经营相符。")
    review.confirm_dismissal(approver, cases[0].id)
    review.start_review(liaison, cases[1].id)
    review.propose(liaison, cases[1].id, "人工描述的交易情况", "人工分析的疑点", ["1402"], "01")
    review.approve(approver, cases[1].id, "同意")
    store.close()

    result = CliRunner().invoke(
        app, ["standards", "evaluate", "--year", "2026", "--db", str(db), "--reports", str(reports)]
    )
    assert result.exit_code == 0, result.output
    pdf = reports / "standards-evaluations" / "standards_evaluation_2026.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "交易监测标准年度评估报告（2026年度）" in text and "AMLW-SP-0201" in text
    book = openpyxl.load_workbook(pdf.with_suffix(".xlsx"))
    rule = load_pack("pboc-2016").suspicious
    assert rule is not None

    library = table_rows(book["表1"])
    assert [r[0].split(" ")[0] for r in library] == [s.code for s in rule.standards]
    # the network shapes of 2016.3 (bursts, layers) are on trial; every other in force
    newer = NETWORK_FAMILIES - {"chain", "cycle", "scatter_gather", "gather_scatter"}
    assert [r[2] for r in library] == [
        "试运行（trial）" if s.family in newer else "生效（in_force）" for s in rule.standards
    ]

    # what each standard found, counted here from the warehouse and the case store
    with Warehouse.open(db, read_only=True) as wh:
        stored = wh.rows(
            """SELECT rule_code, coalesce(standard_status, 'in_force'), customer_id
               FROM suspicious_alerts"""
        )
        hits = Counter(
            code
            for (code,) in wh.rows(
                "SELECT rule_code FROM suspicious_hits UNION ALL SELECT rule_code FROM network_hits"
            )
        )
    alerts = Counter((code, status) for code, status, _ in stored)
    customers = {code: len({c for k, _, c in stored if k == code}) for code, _, _ in stored}
    with review_for(case_store(db)).store.read() as con:
        every = repo.find_cases(con, CaseFilter(snoozed=None), None, 10**9)
    results = {r[0].split(" ")[0]: r for r in table_rows(book["表2"])}
    assert set(results) == {s.code for s in rule.standards}
    for code, row in results.items():
        mine = [c for c in every if code in c.codes]  # a case under each of its standards
        expected = [hits[code], alerts[(code, "in_force")], alerts[(code, "trial")]]
        assert row[1:6] == [*expected, customers.get(code, 0), len(mine)], code
        assert row[7] == sum(c.dismissal_reason is not None for c in mine)
        assert row[8] == sum(c.approved_on is not None for c in mine)
    # the other families found something too
    assert sum(r[2] for code, r in results.items() if not code.startswith("AMLW-SP-01")) > 0
    assert sum(r[7] for r in results.values()) == 1 and sum(r[8] for r in results.values()) == 1
    [dismissal] = table_rows(book["表3"])
    assert dismissal[1].startswith(reason) and dismissal[2] == 1
    versions = table_rows(book["表4"])
    assert {r[1] for r in versions} == {"pboc-2016@2016.3"}
    coverage = table_rows(book["表5"])
    assert [r[0] for r in coverage] == list(INDICATORS_2003)
    covered = {i for s in rule.running() for i in s.indicators}
    assert {r[0] for r in coverage if r[2] != "未覆盖"} == covered
    assert f"报告日期 {today():%Y-%m-%d}" in text  # Beijing's date
