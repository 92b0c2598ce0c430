"""A pattern that goes on after its report was filed opens a continuing round (续报): the
same workflow, and a report with TORP 2 and ORXN naming the first report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from amlwatch.cases import CaseStore, open_cases
from amlwatch.cases import repository as repo
from amlwatch.models import CaseState, Role
from amlwatch.stages.cases import generate_case_report
from amlwatch.submission.validate import check
from amlwatch.wiring import review_for
from tests.cases.factory import alert_evidence

PASSWORD = "Test-Pass-2026!"
ALERT = "AMLW-SP-0101-20260929-0000c0de"


def test_a_pattern_that_goes_on_after_its_report_is_reported_again(tmp_path: Path) -> None:
    store = CaseStore.sqlite_file(tmp_path / "cases.sqlite")
    review = review_for(store)
    admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
    liaison = review.create_user(admin, "liaison1", "李联络", Role.LIAISON, PASSWORD, ["B001"])
    approver = review.create_user(admin, "approver1", "王审批", Role.APPROVER, PASSWORD, [])
    reports = tmp_path / "reports"

    def one_round(case_id: int, analysis: str) -> dict:
        review.start_review(liaison, case_id)
        review.propose(liaison, case_id, "人工描述的资金往来", analysis, ["1402"], "01")
        review.approve(approver, case_id, "同意")
        report = generate_case_report(review, approver, case_id, reports)
        review.mark_submitted(approver, case_id)
        xml = next(p for p in report.files if p.suffix == ".XML")
        return check(xml.read_bytes(), xml.name)

    [case_id] = open_cases(store, [alert_evidence(ALERT)], dt.date(2026, 9, 29)).opened
    first = one_round(case_id, "首次报告的疑点分析")
    assert (first["RBIF"]["TORP"], first["RBIF"]["ORXN"]) == ("1", "@N")
    with store.read() as con:
        case = repo.case_by_id(con, case_id)
    assert case is not None and (case.report_times, case.state) == (1, CaseState.SUBMITTED)
    first_name = case.first_report
    assert first_name and not case.continuing

    # the next night the pattern goes on: a fifth leg
    later = alert_evidence(ALERT, legs=5, scan_date=dt.date(2026, 9, 30))
    intake = open_cases(store, [later], dt.date(2026, 9, 30))
    assert intake.continuing == [case_id] and intake.extended == []
    with store.read() as con:
        case = repo.case_by_id(con, case_id)
        history = repo.case_history(con, case_id)
    assert case is not None and case.state is CaseState.NEW and case.continuing
    assert (case.approved_on, case.due_date, case.level) == (None, None, 0)
    assert history[-1].action == "continuing"

    second = one_round(case_id, "持续发生，续报的疑点分析")
    assert (second["RBIF"]["TORP"], second["RBIF"]["ORXN"]) == ("2", first_name)
    assert second["RBIF"]["STNM"] == "5" and second["RBIF"]["AOSP"] == "持续发生，续报的疑点分析"
    with store.read() as con:
        case = repo.case_by_id(con, case_id)
    assert case is not None and (case.report_times, case.first_report) == (2, first_name)
    # a report generated again in the same round (after a rejection) keeps its count
    store.close()


def test_a_case_waiting_for_its_receipt_is_extended_not_reopened_before_its_report(
    tmp_path: Path,
) -> None:
    store = CaseStore.sqlite_file(tmp_path / "cases.sqlite")
    [case_id] = open_cases(store, [alert_evidence(ALERT)], dt.date(2026, 9, 29)).opened
    intake = open_cases(store, [alert_evidence(ALERT, legs=4)], dt.date(2026, 9, 30))
    assert (intake.extended, intake.continuing) == ([case_id], [])  # never reported: extended
    store.close()
