"""The leading group's work report of the sample bank's October: `amlwatch work-report`
writes the PDF and the xlsx; its figures match counts taken independently from the warehouse
and the case store; the review app serves it to approvers, audited, and not to liaisons."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from amlwatch.cases import SubmissionLedger
from amlwatch.cli import app
from amlwatch.ingest import inbox_dates
from amlwatch.labels import labelled
from amlwatch.models import Role
from amlwatch.rules import BusinessCalendar
from amlwatch.stages.cases import generate_case_report, open_cases_of_run
from amlwatch.stages.filings import write_large_value_submission
from amlwatch.stages.ingest import ingest_day
from amlwatch.stages.large_value import scan_large_value_day
from amlwatch.stages.patterns import scan_patterns_day
from amlwatch.stages.rating import rate_night
from amlwatch.stages.work_report import Period
from amlwatch.warehouse import Warehouse
from amlwatch.wiring import case_store, open_review, review_for

SAMPLE = Path(__file__).parents[2] / "data_samples" / "inbox"
PASSWORD = "Test-Pass-2026!"
pytestmark = pytest.mark.integration


def table_rows(sheet: Any) -> list[list[Any]]:
    """A table sheet's rows under its title and header, without the note beneath."""
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=3)]
    return [r for r in rows if sum(v is not None for v in r) > 1]


def test_periods_are_months_or_quarters() -> None:
    october, q4 = Period.parse("2026-10"), Period.parse("2026Q4")
    assert (october.start, october.end) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert (q4.start, q4.end, q4.key) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31), "2026Q4")
    assert Period.parse("2024-02").end == dt.date(2024, 2, 29)
    assert Period.parse("2026-q1").label == "2026年第一季度"
    for bad in ("2026-13", "2026Q5", "October", ""):
        with pytest.raises(ValueError, match=r"期间|月份"):
            Period.parse(bad)


def test_the_work_report_counts_what_happened(tmp_path: Path) -> None:
    db, reports = tmp_path / "wh.duckdb", tmp_path / "reports"
    nights = inbox_dates(SAMPLE)[:26]
    for day in nights:
        ingest_day(day, SAMPLE, db)
        scan_large_value_day(day, db)
        scan_patterns_day(day, db)
        open_cases_of_run(day, db)
    rate_night(nights[-1], db)  # every customer rated: the report counts them per level
    # the first 14 nights uploaded the day after (on time), the next four 20 days late, four
    # more written but never uploaded, the rest never written: all those overdue by now
    # (reported = uploaded: a file only written is not reported)
    ledger = SubmissionLedger(case_store(db))
    for group, delay in ((nights[:14], 1), (nights[14:18], 20), (nights[18:22], None)):
        for day in group:
            when = day + dt.timedelta(days=delay or 1)
            filing = write_large_value_submission(day, db, reports, today=when)
            if delay is not None and filing.packages:
                at = dt.datetime.combine(when, dt.time(10)).astimezone()  # 10:00 local
                ledger.mark_uploaded(filing.packages, "approver1", at.replace(tzinfo=None))

    store = case_store(db)
    review = review_for(store)
    admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
    branches = [f"B{i:03d}" for i in range(1, 9)]
    liaison = review.create_user(admin, "liaison1", "李联络", Role.LIAISON, PASSWORD, branches)
    approver = review.create_user(admin, "approver1", "王审批", Role.APPROVER, PASSWORD, [])
    from amlwatch.cases.repository import CaseFilter

    cases = review.list_cases(approver, CaseFilter(snoozed=None), limit=100).cases
    assert len(cases) >= 2, "the sample bank's first nights have alerts"
    reason = review.dismissal_reasons()[0][0]
    review.start_review(liaison, cases[0].id)
    review.dismiss(liaison, cases[0].id, reason, "客户为批发商，资金往来与经营相符。")
    review.confirm_dismissal(approver, cases[0].id)
    review.start_review(liaison, cases[1].id)
    review.propose(liaison, cases[1].id, "人工描述的交易情况", "人工分析的疑点", ["1402"], "01")
    review.approve(approver, cases[1].id, "同意")
    generate_case_report(review, approver, cases[1].id, reports)
    review.mark_submitted(approver, cases[1].id)

    result = CliRunner().invoke(
        app, ["work-report", "--month", "2026-10", "--db", str(db), "--reports", str(reports)]
    )
    assert result.exit_code == 0, result.output
    pdf = reports / "work-reports" / "work_report_2026-10.pdf"
    book = openpyxl.load_workbook(pdf.with_suffix(".xlsx"))
    assert pdf.read_bytes().startswith(b"%PDF")

    # large value: per branch and characteristic, on time / late / overdue, counted here
    calendar = BusinessCalendar.load()
    with Warehouse.open(db, read_only=True) as wh:
        rows = wh.rows(
            """SELECT coalesce(t.branch_code, c.branch_code), h.characteristic_code, h.trade_date,
                      t.business_date
               FROM large_value_transactions h JOIN transactions t USING (txn_id)
               JOIN customers c ON c.customer_id = h.customer_id
               WHERE h.trade_date BETWEEN '2026-10-01' AND '2026-10-31'"""
        )
    expected: dict[tuple[str, str], Counter[str]] = {}
    for branch, code, trade_date, business_date in rows:
        due = calendar.add_business_days(trade_date, 5)
        if business_date in nights[:14]:
            filed = business_date + dt.timedelta(days=1)
        elif business_date in nights[14:18]:
            filed = business_date + dt.timedelta(days=20)
        else:  # never uploaded (written or not)
            filed = None
        status = "overdue" if filed is None else ("on time" if filed <= due else "late")
        counter = expected.setdefault((branch, labelled("characteristic", code)), Counter())
        counter["all"] += 1
        counter[status] += 1
    table = table_rows(book["表1"])
    got = {
        (r[0], r[1]): Counter(
            {"all": int(r[2]), "on time": int(r[3]), "late": int(r[4]), "overdue": int(r[6])}
        )
        for r in table
    }
    assert got == {k: v + Counter() for k, v in expected.items()}
    assert sum(c["late"] for c in got.values()) > 0 and sum(c["on time"] for c in got.values())
    assert sum(c["overdue"] for c in got.values()) > 0  # the written-only nights among them

    # alerts, the dismissal, the report and its timeliness, effectiveness per standard
    alerts = table_rows(book["表2"])
    # a case of several standards counts under each of them
    assert sum(int(r[2]) for r in alerts) == sum(
        len(c.standards)
        for c in cases
        if dt.date(2026, 10, 1) <= c.first_scan_date <= dt.date(2026, 10, 31)
    )
    dismissals = table_rows(book["表3"])
    assert [(r[0].split(" ")[0], r[1]) for r in dismissals] == [(reason, 1)]  # a number
    effectiveness = table_rows(book["表5"])
    # the dismissed case and the reported one, each under every standard it holds
    assert sum(int(r[3]) for r in effectiveness) == len(cases[0].standards)
    assert sum(int(r[4]) for r in effectiveness) == len(cases[1].standards)
    # the report was confirmed today: it is in this quarter's report
    today = dt.date.today()
    quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    result = CliRunner().invoke(
        app, ["work-report", "--quarter", quarter, "--db", str(db), "--reports", str(reports)]
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(reports / "work-reports" / f"work_report_{quarter}.xlsx")
    reports_table = table_rows(book["表4"])
    [filed] = [r for r in reports_table if r[0] == f"#{cases[1].id}"]
    assert filed[7] == "按时" and filed[8] == "已报送"  # no English word beside the label
    store.close()
    _sections_agree(db, "2026-10")
    _sections_agree(db, quarter)


def _sections_agree(db: Path, period: str) -> None:
    """Every figure of the summary equals what the sections' rows add up to."""
    from amlwatch.settings import get_settings
    from amlwatch.stages.work_report import Period, work_report_form

    with open_review(db) as review:
        form = work_report_form(Period.parse(period), db, review, None, get_settings())
    summary = {f.name: int(f.text.replace(",", "")) for f in form.sections[0].fields[:-1]}
    tables = {t.title.split("、")[0]: t.rows for t in form.tables}

    def column(table: str, index: int) -> int:
        return sum(int(r[index].replace(",", "")) for r in tables[table])

    assert summary["大额交易记录数"] == column("二", 2)
    assert summary["其中已上报（按时）"] == column("二", 3)
    assert summary["其中已上报（逾期）"] == column("二", 4)
    assert summary["其中未上报（已逾期）"] == column("二", 6)
    # the sections by standard count a case under each of its standards
    assert summary["可疑交易预警数（按监测标准计）"] == column("三", 2) == column("六", 1)
    assert summary["可疑交易预警数（案件）"] <= summary["可疑交易预警数（按监测标准计）"]
    assert column("三", 5) == column("六", 4) and column("三", 4) == column("六", 3)
    assert summary["本期预警中已排除"] == column("四", 1) and summary[
        "本期预警中已确认上报"
    ] <= column("三", 5)
    note = next(t.note for t in form.tables if t.title.startswith("六"))
    assert f"本期案件 {summary['可疑交易预警数（案件）']:,} 件" in note
    assert summary["本期确认上报的可疑交易报告（审批日在本期）"] == len(tables["五"])
    with open_review(db) as review:
        in_force, _ = review.rating_state()
    levels = [r for r in tables["七"] if r[1]]
    assert sum(int(r[1].replace(",", "")) for r in levels) == len(in_force) > 0
    assert [r[0] for r in levels] == ["高（10）", "中（12）", "低（14）"]


def test_the_review_app_serves_the_work_report_to_approvers(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from amlwatch.cli.review import web_app
    from amlwatch.settings import get_settings
    from tests.web.conftest import login, own_passwords

    db = tmp_path / "wh.duckdb"
    day = inbox_dates(SAMPLE)[0]
    ingest_day(day, SAMPLE, db)
    scan_large_value_day(day, db)
    store = case_store(db)
    review = review_for(store)
    admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
    review.create_user(admin, "approver1", "王审批", Role.APPROVER, PASSWORD, [])
    review.create_user(admin, "liaison1", "李联络", Role.LIAISON, PASSWORD, ["B001"])
    own_passwords(review)
    store.close()
    client = TestClient(
        web_app(db, get_settings()), base_url="https://testserver", follow_redirects=False
    )
    login(client, "approver1", PASSWORD)
    answer = client.get("/work-report", params={"period": "2026-10", "format": "xlsx"})
    assert answer.status_code == 200 and answer.content.startswith(b"PK")
    assert client.get("/work-report", params={"period": "2026-13"}).status_code == 400
    liaison = TestClient(
        web_app(db, get_settings()), base_url="https://testserver", follow_redirects=False
    )
    login(liaison, "liaison1", PASSWORD)
    assert liaison.get("/work-report", params={"period": "2026-10"}).status_code == 403
