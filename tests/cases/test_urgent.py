"""Urgent reports (特别紧急, DETR 02): chosen at proposal with the reason, sent to the PBOC
branch or the police too (DORP 02–04), at the top of every queue, due the day approved."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from amlwatch.cases import CaseStore, open_cases
from amlwatch.cases.exceptions import InvalidInput
from amlwatch.cases.repository import CaseFilter
from amlwatch.models import Role
from amlwatch.stages.cases import generate_case_report
from amlwatch.submission.validate import check
from amlwatch.wiring import review_for
from tests.cases.factory import alert_evidence

PASSWORD = "Test-Pass-2026!"


def test_an_urgent_case_goes_first_is_due_at_once_and_reports_as_urgent(tmp_path: Path) -> None:
    store = CaseStore.sqlite_file(tmp_path / "cases.sqlite")
    review = review_for(store)
    admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
    liaison = review.create_user(admin, "liaison1", "李联络", Role.LIAISON, PASSWORD, ["B001"])
    approver = review.create_user(admin, "approver1", "王审批", Role.APPROVER, PASSWORD, [])
    alerts = [
        alert_evidence("AMLW-SP-0101-20260929-000000a1"),
        alert_evidence("AMLW-SP-0101-20260929-000000a2", customer="C000002"),
    ]
    ordinary, urgent = open_cases(store, alerts, dt.date(2026, 9, 29)).opened
    for case_id in (ordinary, urgent):
        review.start_review(liaison, case_id)
    review.propose(liaison, ordinary, "人工描述甲", "人工分析甲", ["1402"], "01")
    review.approve(approver, ordinary)

    args = (liaison, urgent, "人工描述乙", "涉嫌恐怖融资的资金往来", ["1402"], "02")
    with pytest.raises(InvalidInput, match="理由"):
        review.propose(*args, "02", "")
    with pytest.raises(InvalidInput, match="报送方向 02–04"):
        review.propose(*args, "01", "公安机关来函协查，资金流向可疑账户")
    with pytest.raises(InvalidInput, match="01–04"):
        review.propose(*args, "99", "公安机关来函协查，资金流向可疑账户")
    review.propose(*args, "02", "公安机关来函协查，资金流向可疑账户")
    page = review.list_cases(approver, CaseFilter(snoozed=None))
    assert page.cases[0].id == urgent and page.urgent == 1  # first, and every approver is told
    case = review.approve(approver, urgent)
    assert case.due_date == review.today()  # 立即报送: due the day it is approved
    ordinary_due = review.view_case(approver, ordinary).case.due_date
    assert ordinary_due is not None and ordinary_due > review.today()
    assert review.list_cases(approver, CaseFilter(snoozed=None)).cases[0].id == urgent

    report = generate_case_report(review, approver, urgent, tmp_path / "reports")
    xml = next(p for p in report.files if p.suffix == ".XML")
    basics = check(xml.read_bytes(), xml.name)["RBIF"]
    assert (basics["DETR"], basics["DORP"]) == ("02", "02")
    store.close()
