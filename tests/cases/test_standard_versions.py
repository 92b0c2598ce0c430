"""The standards' lifecycle in the case store: a person proposes a version, another approver
puts it in force from the next day, never back in time; the nightly pack takes it on the
days it is in force; every step audited; what the proposer may not do, by name."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from amlwatch.cases import FourEyes, InvalidInput, NotFound, Review, WrongState
from amlwatch.cases.audit import entries
from amlwatch.cases.exceptions import Forbidden
from amlwatch.models import User
from amlwatch.rules import load_pack
from amlwatch.rules.library import apply_library
from tests.cases.conftest import Clock

PACK = load_pack("pboc-2016")
REASON = "试运行三个月，命中的案件均经人工分析，误报率可接受，建议生效。"
REPLAY = {"from": "2026-09-01", "to": "2026-09-29", "by_standard": {}}


def test_a_version_goes_in_force_on_the_day_after_another_approver_puts_it_there(
    review: Review, people: dict[str, User], clock: Clock
) -> None:
    liaison, approver = people["liaison1"], people["approver1"]
    changes = {"status": "in_force", "params": {"individual": {"min_rows": "12"}}}
    proposed = review.propose_standard(liaison, PACK, "AMLW-SP-0401", changes, REASON, REPLAY)
    assert (proposed.state, proposed.version, proposed.base_pack) == ("pending", "1.1", PACK.label)
    assert review.library() == []  # nothing in force while pending
    with pytest.raises(WrongState, match="待审批"):
        review.propose_standard(people["liaison2"], PACK, "AMLW-SP-0401", changes, REASON, REPLAY)
    with pytest.raises(Forbidden):
        review.decide_standard(liaison, proposed.id, True)
    clock.day = dt.date(2026, 10, 9)
    approved = review.decide_standard(approver, proposed.id, True, "同意生效")
    assert approved.state == "approved" and approved.effective_from == dt.date(2026, 10, 10)
    [version] = review.library()
    before = apply_library(PACK, [version], dt.date(2026, 10, 9))
    after = apply_library(PACK, [version], dt.date(2026, 10, 10))
    assert before is PACK
    assert after.suspicious is not None and after.label.startswith("pboc-2016@2016.3+lib.")
    standard = after.suspicious.standard("AMLW-SP-0401")
    assert (standard.status, standard.version) == ("in_force", "1.1")
    assert standard.params["individual"]["min_rows"] == Decimal(12)
    assert standard.params["entity"]["min_rows"] == Decimal(20)  # unchanged
    actions = [e.action for e in entries(review.store, limit=50)]
    assert "standard proposed" in actions and "standard approved" in actions


def test_the_proposer_never_decides_and_a_refusal_says_why(
    review: Review, people: dict[str, User]
) -> None:
    approver1, approver2 = people["approver1"], people["approver2"]
    changes = {"status": "retired"}
    proposed = review.propose_standard(approver1, PACK, "AMLW-SP-0501", changes, REASON, REPLAY)
    with pytest.raises(FourEyes):
        review.decide_standard(approver1, proposed.id, True)
    with pytest.raises(InvalidInput, match="理由"):
        review.decide_standard(approver2, proposed.id, False, "不同意")
    refused = review.decide_standard(
        approver2, proposed.id, False, "夜间交易标准仍需观察一个季度。"
    )
    assert refused.state == "rejected" and review.library() == []
    with pytest.raises(WrongState):
        review.decide_standard(people["approver3"], proposed.id, True)
    again = review.propose_standard(approver1, PACK, "AMLW-SP-0501", changes, REASON, REPLAY)
    with pytest.raises(NotFound):
        review.withdraw_standard(approver2, again.id)  # not theirs
    assert review.withdraw_standard(approver1, again.id).state == "withdrawn"


@pytest.mark.parametrize(
    ("code", "changes", "message"),
    [
        ("AMLW-SP-0401", {"family": "night"}, "cannot change"),
        ("AMLW-SP-0401", {"status": "maybe"}, "status"),
        ("AMLW-SP-0401", {"params": {"individual": {"min_rowz": "3"}}}, "min_rowz"),
        ("AMLW-SP-0401", {"params": {"individual": {"min_rows": "1.5"}}}, "decimals"),
        ("AMLW-SP-9999", {"status": "in_force"}, "no standard"),
    ],
)
def test_a_change_the_pack_could_not_mean_is_refused(
    review: Review, people: dict[str, User], code: str, changes: dict, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        review.propose_standard(people["liaison1"], PACK, code, changes, REASON, REPLAY)


def test_a_short_reason_or_an_auditor_or_an_admin_cannot_propose(
    review: Review, people: dict[str, User]
) -> None:
    with pytest.raises(InvalidInput, match="理由"):
        review.propose_standard(
            people["liaison1"], PACK, "AMLW-SP-0401", {"status": "in_force"}, "好", REPLAY
        )
    for who in ("auditor1", "admin"):
        with pytest.raises(Forbidden):
            review.propose_standard(
                people[who], PACK, "AMLW-SP-0401", {"status": "in_force"}, REASON, REPLAY
            )
    assert review.standard_versions(people["auditor1"]) == []
