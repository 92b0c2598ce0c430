"""Screening cases (名单监测) in the case store, on SQLite and PostgreSQL: opened from the
nights' matches, remembered when dismissed, reviewed with four eyes, and a confirmed hit
freezing the customer at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from amlwatch.cases import Review
from amlwatch.cases.exceptions import Forbidden, FourEyes, InvalidInput, NotFound, WrongState
from amlwatch.models import User

DAY = dt.date(2026, 9, 29)


def match(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "screened_on": DAY, "subject_kind": "customer", "subject_ref": "C000001",
        "subject_digest": "d1", "subject_name": "张三",
        "subject": {"party_type": "individual", "names": ["张三"], "id_numbers": ["110101199001011237"],
                    "birth_date": "1990-01-01", "nationality": "CHN", "accounts": [],
                    "account": None, "customer_accounts": ["6222020000001234", "6222020000005678"]},
        "customer_id": "C000001", "customer_name": "张三", "branch_code": "B001", "txn_id": None,
        "list_code": "UN", "list_version": 1, "entry_ref": "QDi.901", "entry_digest": "e1",
        "entry": {"ref": "QDi.901", "party_type": "individual", "names": [{"text": "ZHANG San", "quality": "primary"}],
                  "birth_dates": ["1990-01-01"], "nationalities": ["CHN"], "id_numbers": [], "accounts": [],
                  "listed_on": None, "program": "QDi", "remarks": "", "unmapped": []},
        "score": 100, "band": "hit", "reasons": ["PINYIN", "DOB_MATCH"],
    }  # fmt: skip
    return base | changes


def opened(review: Review, **changes: Any) -> int:
    outcome = review.take_screening_matches([match(**changes)])
    return outcome["opened"][0]


def test_a_match_opens_one_case_and_found_again_updates_it(
    review: Review, people: dict[str, User]
) -> None:
    case_id = opened(review)
    again = review.take_screening_matches([match(screened_on=DAY + dt.timedelta(days=1), score=99)])
    assert again == {"found again": [case_id]}
    page = review.screening_case(people["liaison1"], case_id)
    assert page.case.last_found_on == DAY + dt.timedelta(days=1) and page.case.score == 99
    assert [e.action for e in page.events] == ["screening opened"]


def test_a_confirmed_hit_freezes_the_customer_at_once_with_four_eyes(
    review: Review, people: dict[str, User]
) -> None:
    case_id = opened(review)
    liaison, approver = people["liaison1"], people["approver1"]
    review.start_screening(liaison, case_id)
    with pytest.raises(InvalidInput):
        review.propose_screening(liaison, case_id, True, "太短")
    review.propose_screening(liaison, case_id, True, "姓名拼音与出生日期一致，证件核对为同一人")
    with pytest.raises(Forbidden):
        review.decide_screening(liaison, case_id, True)
    case = review.decide_screening(approver, case_id, True, "同意")
    assert case.state == "confirmed" and case.decided_by == "approver1"
    assert case.report_due is not None and case.report_due > review.today()
    frozen = review.frozen_customers(approver, ["C000001", "C000002"])
    assert set(frozen) == {"C000001"}
    assert frozen["C000001"].accounts == ["6222020000001234", "6222020000005678"]
    page = review.screening_case(approver, case_id)
    assert [a.kind for a in page.actions] == ["freeze"]
    assert "screening frozen" in [e.action for e in page.events]
    # found again after confirmation: no second case
    assert review.take_screening_matches([match()]) == {"confirmed": []}
    with pytest.raises(WrongState):
        review.propose_screening(liaison, case_id, False, "再次提交也不行的说明文字")


def test_the_proposer_cannot_decide_their_own_proposal(
    review: Review, people: dict[str, User]
) -> None:
    case_id = opened(review)
    approver = people["approver1"]
    review.propose_screening(approver, case_id, True, "审批人亦可提议，但须另一人复核")
    with pytest.raises(FourEyes):
        review.decide_screening(approver, case_id, True)
    review.decide_screening(people["approver2"], case_id, True)


def test_a_sent_back_proposal_returns_to_review(review: Review, people: dict[str, User]) -> None:
    case_id = opened(review)
    review.propose_screening(people["liaison1"], case_id, False, "出生日期与国籍均不一致，非同一人")
    case = review.decide_screening(people["approver1"], case_id, False, "请补充证件核对")
    assert case.state == "in_review"
    review.propose_screening(people["liaison1"], case_id, False, "已核对证件，号码不同，非同一人")
    assert review.decide_screening(people["approver1"], case_id, True).state == "dismissed"


def test_a_dismissed_match_is_remembered_until_the_party_or_the_entry_changes(
    review: Review, people: dict[str, User]
) -> None:
    case_id = opened(review)
    review.propose_screening(people["liaison1"], case_id, False, "已核对证件，号码不同，非同一人")
    review.decide_screening(people["approver1"], case_id, True)
    assert review.take_screening_matches([match()]) == {"remembered": [case_id]}
    assert not review.frozen_customers(people["approver1"], ["C000001"])
    changed_entry = review.take_screening_matches([match(entry_digest="e2", list_version=2)])
    assert len(changed_entry["opened"]) == 1
    later = review.screening_case(people["liaison1"], changed_entry["opened"][0])
    assert later.events[0].detail.get("case_ids") == [case_id]
    changed_party = review.take_screening_matches(
        [match(subject_ref="C000009", subject_digest="d9")]
    )
    assert "opened" in changed_party


def test_a_counterparty_hit_blocks_its_account(review: Review, people: dict[str, User]) -> None:
    subject = match()["subject"] | {"account": "C900000000011203", "customer_accounts": []}
    case_id = opened(review, subject_kind="counterparty", subject_ref="C900000000011203", subject=subject,
                     txn_id="T1")  # fmt: skip
    review.propose_screening(people["liaison1"], case_id, True, "交易对手名称与名单条目一致")
    review.decide_screening(people["approver1"], case_id, True)
    page = review.screening_case(people["approver1"], case_id)
    assert [(a.kind, a.accounts) for a in page.actions] == [("block", ["C900000000011203"])]
    assert not review.frozen_customers(
        people["approver1"], ["C000001"]
    )  # our customer is not frozen


def test_only_those_with_the_duty_see_screening_cases(
    review: Review, people: dict[str, User]
) -> None:
    mine = opened(review)
    other = opened(review, subject_ref="C000002", customer_id="C000002", branch_code="B002")
    assert [c.id for c in review.screening_queue(people["liaison1"])] == [mine]
    assert {c.id for c in review.screening_queue(people["auditor1"])} == {mine, other}
    with pytest.raises(NotFound):
        review.screening_case(people["liaison1"], other)
    with pytest.raises(Forbidden):
        review.screening_queue(people["admin"])
    with pytest.raises(Forbidden):
        review.screening_case(people["admin"], mine)
    with pytest.raises(Forbidden):
        review.start_screening(people["auditor1"], mine)
    assert review.screening_counts(people["admin"]) == {}
    assert review.screening_counts(people["liaison2"]) == {"new": 1}


def test_hits_come_first(review: Review, people: dict[str, User]) -> None:
    low = opened(review, subject_ref="C000003", score=80, band="review")
    high = opened(review, subject_ref="C000004", score=95)
    assert [c.id for c in review.screening_queue(people["approver1"])][:2] == [high, low]


def test_a_confirmed_hit_is_recorded_as_reported(review: Review, people: dict[str, User]) -> None:
    case_id = opened(review)
    review.propose_screening(
        people["liaison1"], case_id, True, "姓名拼音与出生日期一致，证件核对为同一人"
    )
    with pytest.raises(WrongState):
        review.record_screening_report(people["approver1"], case_id, review.today(), "人民银行")
    review.decide_screening(people["approver1"], case_id, True)
    with pytest.raises(InvalidInput):
        review.record_screening_report(
            people["approver1"], case_id, review.today() + dt.timedelta(days=1), "人民银行"
        )
    case = review.record_screening_report(
        people["approver1"], case_id, review.today(), "报中国人民银行及公安机关"
    )
    assert case.reported_on == review.today()
