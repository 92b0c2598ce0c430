"""Rating reviews with four eyes, on SQLite and PostgreSQL: the night's work taken, a level
proposed (another than the model's only with a reason) and confirmed by another approver, the
history never overwritten, events requested by a liaison, and who sees what."""

from __future__ import annotations

import datetime as dt

import pytest

from amlwatch.cases.exceptions import Forbidden, FourEyes, InvalidInput, NotFound, WrongState
from amlwatch.cases.rating_rows import CONFIRMED, NEW, PROPOSED

DAY = dt.date(2026, 9, 30)


def _about(customer: str, branch: str, level: str = "14") -> dict:
    return {"customer_id": customer, "customer_name": f"客户{customer}", "branch_code": branch,
            "computed_level": level, "score": 12.5, "model": "pboc-2013@2026.1",
            "factors": {"B01": 30, "I01": 40}, "reasons": ["I01", "B01"]}  # fmt: skip


def _confirm(customer: str, branch: str, level: str = "14") -> dict:
    return {**_about(customer, branch, level), "level": level, "rated_on": DAY, "review_id": None,
            "next_review_on": dt.date(2028, 9, 29), "note": "新客户：系统评定"}  # fmt: skip


def _open(customer: str, branch: str, level: str = "10", trigger: str = "new") -> dict:
    return {**_about(customer, branch, level), "trigger": trigger, "trigger_detail": "新客户",
            "opened_on": DAY, "due_on": dt.date(2026, 10, 21), "current_level": None}  # fmt: skip


def test_the_night_then_four_eyes_then_history(review, people):
    night = review.take_ratings(DAY, [_confirm("C1", "B001"), _confirm("C2", "B002")],
                                [_open("C3", "B001")], [])  # fmt: skip
    assert night.confirmed == 2 and night.opened == {"new": 1}
    state, open_reviews = review.rating_state()
    assert [s[:2] for s in state] == [("C1", "14"), ("C2", "14")] and set(open_reviews) == {"C3"}

    liaison1, liaison2 = people["liaison1"], people["liaison2"]
    assert [r.customer_id for r in review.rating_queue(liaison1)] == ["C3"]
    assert review.rating_queue(liaison2) == []  # another branch's customer
    with pytest.raises(NotFound):
        review.rating_review(liaison2, open_reviews["C3"])
    with pytest.raises(Forbidden):
        review.rating_queue(people["admin"])  # administrators see no customer's rating

    rid = open_reviews["C3"]
    with pytest.raises(InvalidInput, match="理由"):
        review.propose_rating(liaison1, rid, "12", "太短")  # another level: a reason
    with pytest.raises(InvalidInput):
        review.propose_rating(liaison1, rid, "99", "未知等级的提议理由足够长了")
    proposed = review.propose_rating(
        liaison1, rid, "12", "客户为本地个体工商户，现金收入来源清楚，下调一级"
    )
    assert proposed.state == PROPOSED and proposed.proposed_level == "12"
    with pytest.raises(WrongState):
        review.propose_rating(liaison1, rid, "10", "again again again again")
    with pytest.raises(Forbidden):
        review.decide_rating(liaison1, rid, True)  # a liaison does not confirm

    # an approver who proposed cannot confirm their own proposal
    sent_back = review.decide_rating(people["approver1"], rid, False, "请补充经营流水")
    assert sent_back.state == NEW
    review.propose_rating(people["approver2"], rid, "10", "同意系统评定")
    with pytest.raises(FourEyes):
        review.decide_rating(people["approver2"], rid, True)
    done = review.decide_rating(people["approver1"], rid, True)
    assert done.state == CONFIRMED and done.decided_by == "approver1"

    history = review.rating_history(liaison1, "C3")
    assert [(h.level, h.confirmed_by, h.review_id) for h in history] == [("10", "approver1", rid)]
    assert history[0].next_review_on <= dt.date(2027, 3, 30)  # 高: every 6 months at most
    page = review.rating_review(people["auditor1"], rid)
    assert [e.action for e in page.events] == ["rating review opened", "rating proposed",
        "rating sent back", "rating proposed", "rating confirmed"]  # fmt: skip
    assert not page.may_propose and not page.may_decide

    # a liaison records a media report: an event review; confirming it adds a row, keeps the old
    event_id = review.request_rating(liaison1, "C1", "media", "媒体报道客户涉嫌参与非法集资活动")
    assert (
        review.request_rating(liaison1, "C1", "judicial", "同一客户的另一事件，复核已开启")
        == event_id
    )
    with pytest.raises(NotFound):
        review.request_rating(liaison2, "C1", "media", "其他网点无权对该客户发起事件")
    review.propose_rating(liaison1, event_id, "10", "媒体报道涉嫌非法集资，上调为高风险")
    review.decide_rating(people["approver1"], event_id, True, "同意")
    levels = [h.level for h in review.rating_history(liaison1, "C1")]
    assert levels == ["10", "14"], "the new level is a new row; the old one stays"
    assert review.customer_ratings(liaison1, ["C1", "C2"])["C1"].level == "10"
    assert review.customer_ratings(people["admin"], ["C1"]) == {}


def test_counts_overdue_and_the_register(review, people, clock):
    review.take_ratings(
        DAY, [_confirm("C1", "B001")], [_open("C3", "B001"), _open("C4", "B002")], []
    )
    clock.day = dt.date(2026, 10, 22)  # past the reviews' due date
    assert review.rating_counts(people["liaison1"]) == {"new": 1, "overdue": 1}
    assert review.rating_counts(people["approver1"])["overdue"] == 2
    assert review.rating_counts(people["admin"]) == {}
    register = review.rating_register(people["approver1"])
    assert [r.customer_id for r in register] == ["C1"]
    with pytest.raises(Forbidden):
        review.rating_register(people["liaison1"])


def test_a_refresh_gives_an_open_review_the_nights_rating(review, people):
    review.take_ratings(DAY, [], [_open("C3", "B001", "12")], [])
    rid = review.rating_state()[1]["C3"]
    review.take_ratings(DAY + dt.timedelta(days=1), [], [], [
        {"review_id": rid, "computed_level": "10", "score": 51.0, "factors": {"B01": 100},
         "reasons": ["B01"], "model": "pboc-2013@2026.1"}])  # fmt: skip
    page = review.rating_review(people["liaison1"], rid)
    assert page.review.computed_level == "10" and page.review.score == 51.0
