"""The review workflow on a real case store (SQLite and PostgreSQL): intake, every
transition, four eyes, deadlines over holidays, snoozes, login and sessions."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from amlwatch.cases import (
    CaseFilter,
    CaseStore,
    Forbidden,
    FourEyes,
    InvalidInput,
    LoginFailed,
    NotFound,
    Review,
    WrongState,
    open_cases,
)
from amlwatch.cases.audit import entries, verify
from amlwatch.cases.snapshot import decode
from amlwatch.models import TRANSITIONS, CaseState, User
from tests.cases.conftest import PASSWORD, Clock
from tests.cases.factory import alert_evidence

NIGHT = dt.date(2026, 9, 29)


def new_case(store: CaseStore, alert_id: str = "AMLW-SP-0101-20260929-aaaa0001", **kw) -> int:
    kw.setdefault("customer", f"C{alert_id[-6:]}")  # one case per customer and window
    intake = open_cases(store, [alert_evidence(alert_id, **kw)], NIGHT)
    assert len(intake.opened) == 1
    return intake.opened[0]


def proposed(review: Review, people: dict[str, User], case_id: int) -> None:
    review.start_review(people["liaison1"], case_id)
    review.propose(people["liaison1"], case_id, "特征描述", "疑点分析", ["1402"], "01")


# --- intake ------------------------------------------------------------------------------


def test_intake_is_idempotent_and_keeps_every_evidence_version(store: CaseStore) -> None:
    first = alert_evidence("AMLW-SP-0101-20260929-aaaa0001")
    assert len(open_cases(store, [first], NIGHT).opened) == 1
    again = open_cases(store, [first], NIGHT)
    assert (again.opened, again.extended, again.unchanged) == ([], [], 1)
    # the pattern continued: more evidence the next night
    longer = alert_evidence("AMLW-SP-0101-20260929-aaaa0001", legs=5)
    extended = open_cases(store, [longer], NIGHT + dt.timedelta(days=1))
    assert len(extended.extended) == 1
    from amlwatch.cases import repository as repo

    with store.read() as con:
        case = repo.case_by_alert(con, "AMLW-SP-0101-20260929-aaaa0001")
        assert case is not None and case.snapshot_version == 2 and case.evidence_count == 5
        v1, v2 = repo.snapshot(con, case.id, 1), repo.snapshot(con, case.id, 2)
        history = [e.action for e in repo.case_history(con, case.id)]
    assert v1 is not None and v2 is not None
    assert len(decode(v1[1])["evidence"]) == 3 and len(decode(v2[1])["evidence"]) == 5
    assert decode(v1[1])["alert"] == first.alert  # exact values back: dates, decimals
    assert history == ["opened", "extended"]


def test_a_dismissed_case_whose_pattern_continues_is_reopened(
    review: Review, people: dict[str, User], store: CaseStore
) -> None:
    case_id = new_case(store)
    review.start_review(people["liaison1"], case_id)
    review.dismiss(people["liaison1"], case_id, "R01", "经核实为正常经营收付款项")
    review.confirm_dismissal(people["approver1"], case_id)
    intake = open_cases(store, [alert_evidence("AMLW-SP-0101-20260929-aaaa0001", legs=6)], NIGHT)
    assert intake.reopened == [case_id]
    case = review.view_case(people["liaison1"], case_id).case
    assert case.state is CaseState.NEW and case.snapshot_version == 2


# --- transitions -------------------------------------------------------------------------


def test_the_whole_path_with_two_levels(
    review: Review, people: dict[str, User], store: CaseStore, clock: Clock
) -> None:
    case_id = new_case(store)
    liaison, approver = people["liaison1"], people["approver1"]
    assert review.start_review(liaison, case_id).state is CaseState.IN_REVIEW
    case = review.propose(liaison, case_id, "描述", "分析", ["0606", "1402"], "01", "04")
    assert (case.state, case.level, case.crime_types, case.urgency, case.direction) == (
        CaseState.PROPOSED,
        1,
        ("0606", "1402"),
        "01",
        "04",
    )
    case = review.approve(approver, case_id, "同意上报")
    assert case.state is CaseState.APPROVED and case.approved_on == clock.day
    # 2026-09-30 + 5 working days: Oct 1–7 National Day, Oct 10 (Sat) a make-up working day
    assert case.due_date == dt.date(2026, 10, 13)
    case = review.report_generated(approver, case_id, "NBSC0000000000001-20260930-00000001", [])
    assert case.state is CaseState.REPORT_GENERATED
    clock.day = dt.date(2026, 10, 12)
    case = review.mark_submitted(approver, case_id)
    assert case.state is CaseState.SUBMITTED
    assert review.deadline(case, clock.day).status == "met"
    moved = review.apply_receipts({"NBSC0000000000001-20260930-00000001": "accepted"})
    assert moved == [(case_id, CaseState.ACCEPTED)]
    history = review.view_case(people["auditor1"], case_id).history
    assert [e.action for e in history] == [
        "opened",
        "assigned",  # round-robin to the branch's one liaison
        "review started",
        "proposed",
        "approved",
        "report generated",
        "submitted",
        "receipt",
    ]


@pytest.mark.parametrize(
    ("result", "state"),
    [("correction requested", CaseState.CORRECTION_REQUESTED), ("error", CaseState.REJECTED)],
)
def test_receipts_move_submitted_cases(
    review: Review, people: dict[str, User], store: CaseStore, result: str, state: CaseState
) -> None:
    case_id = new_case(store)
    proposed(review, people, case_id)
    review.approve(people["approver1"], case_id)
    review.report_generated(people["approver1"], case_id, "NBS-1", [])
    assert review.apply_receipts({"NBS-1": result}) == []  # not submitted yet: nothing moves
    review.mark_submitted(people["approver1"], case_id)
    assert review.apply_receipts({"NBS-1": result}) == [(case_id, state)]
    # a correction or a rejection is answered with a new report
    assert "generate" in review.view_case(people["approver1"], case_id).allowed


def test_three_levels_need_three_different_people(
    review: Review, people: dict[str, User], store: CaseStore
) -> None:
    review.set_review_levels(people["admin"], 3)
    case_id = new_case(store)
    proposed(review, people, case_id)
    case = review.approve(people["approver1"], case_id)  # 复审
    assert (case.state, case.level) == (CaseState.PROPOSED, 2)
    with pytest.raises(FourEyes):
        review.approve(people["approver1"], case_id)  # the same person again: 终审 refused
    assert "approve" not in review.view_case(people["approver1"], case_id).allowed
    case = review.approve(people["approver2"], case_id)  # 终审
    assert (case.state, case.level) == (CaseState.APPROVED, 3)


def test_send_back_starts_a_new_round(
    review: Review, people: dict[str, User], store: CaseStore
) -> None:
    case_id = new_case(store)
    proposed(review, people, case_id)
    with pytest.raises(InvalidInput):
        review.send_back(people["approver1"], case_id, "太短")
    case = review.send_back(people["approver1"], case_id, "请补充资金来源的核实情况")
    assert (case.state, case.level) == (CaseState.IN_REVIEW, 0)
    review.propose(people["liaison1"], case_id, "补充后的描述", "补充后的分析", ["1402"], "01")
    # the approver who sent it back may approve the new proposal
    assert review.approve(people["approver1"], case_id).state is CaseState.APPROVED


ACTIONS = {
    "start": lambda r, p, c: r.start_review(p["liaison1"], c),
    "dismiss": lambda r, p, c: r.dismiss(p["liaison1"], c, "R01", "经核实为正常经营收付款项"),
    "confirm": lambda r, p, c: r.confirm_dismissal(p["approver1"], c),
    "propose": lambda r, p, c: r.propose(p["liaison1"], c, "描述", "分析", ["1402"], "01"),
    "approve": lambda r, p, c: r.approve(p["approver1"], c),
    "send_back": lambda r, p, c: r.send_back(p["approver1"], c, "请补充资金来源的核实情况"),
    "submitted": lambda r, p, c: r.mark_submitted(p["approver1"], c),
}
# the state each action needs
NEEDS = {
    "start": CaseState.NEW,
    "dismiss": CaseState.IN_REVIEW,
    "propose": CaseState.IN_REVIEW,
    "approve": CaseState.PROPOSED,
    "send_back": (CaseState.PROPOSED, CaseState.DISMISSAL_PROPOSED),
    "confirm": CaseState.DISMISSAL_PROPOSED,
    "submitted": CaseState.REPORT_GENERATED,
}
PATHS = {  # how to bring a fresh case to each state
    CaseState.NEW: [],
    CaseState.IN_REVIEW: ["start"],
    CaseState.PROPOSED: ["start", "propose"],
    CaseState.DISMISSAL_PROPOSED: ["start", "dismiss"],
    CaseState.DISMISSED: ["start", "dismiss", "confirm"],
    CaseState.APPROVED: ["start", "propose", "approve"],
    CaseState.REPORT_GENERATED: ["start", "propose", "approve", "generated"],
    CaseState.SUBMITTED: ["start", "propose", "approve", "generated", "submitted"],
}


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_every_action_in_every_wrong_state_is_refused(
    review: Review, people: dict[str, User], store: CaseStore
) -> None:
    counter = itertools.count()
    for state, path in PATHS.items():
        for action, needed in NEEDS.items():
            if state in (needed if isinstance(needed, tuple) else (needed,)):
                continue
            case_id = new_case(store, f"AMLW-SP-0101-20260929-{next(counter):08x}")
            for step in path:
                if step == "generated":
                    review.report_generated(people["approver1"], case_id, "NBS-x", [])
                else:
                    ACTIONS[step](review, people, case_id)
            assert review.view_case(people["auditor1"], case_id).case.state is state
            with pytest.raises(WrongState):
                ACTIONS[action](review, people, case_id)
            # nothing changed
            assert review.view_case(people["auditor1"], case_id).case.state is state


def test_the_transition_table_is_what_the_use_cases_do() -> None:
    # every forward move the use cases make is in the table; an accepted case moves only when
    # its pattern goes on (a continuing round)
    assert TRANSITIONS[CaseState.ACCEPTED] == frozenset({CaseState.NEW})
    for action, needed in NEEDS.items():
        for state in needed if isinstance(needed, tuple) else (needed,):
            assert TRANSITIONS[state], action


# --- access ------------------------------------------------------------------------------


def test_roles_and_branches(review: Review, people: dict[str, User], store: CaseStore) -> None:
    own = new_case(store, branch="B001")
    other = new_case(store, "AMLW-SP-0101-20260929-bbbb0002", branch="B002")
    liaison = people["liaison1"]
    assert [c.id for c in review.list_cases(liaison, CaseFilter()).cases] == [own]
    with pytest.raises(NotFound):
        review.view_case(liaison, other)  # another branch's case by id: refused, not revealed
    with pytest.raises(NotFound):
        review.start_review(liaison, other)
    with pytest.raises(Forbidden):
        review.approve(liaison, own)  # a liaison never approves
    with pytest.raises(Forbidden):
        review.start_review(people["approver1"], own)
    with pytest.raises(Forbidden):
        review.list_cases(people["admin"], CaseFilter())  # administrators see no case
    with pytest.raises(Forbidden):
        review.start_review(people["auditor1"], own)  # auditors read only
    assert {c.id for c in review.list_cases(people["auditor1"], CaseFilter()).cases} == {own, other}
    regional = people["approver_b2"]
    assert [c.id for c in review.list_cases(regional, CaseFilter()).cases] == [other]
    with pytest.raises(Forbidden):
        review.create_user(liaison, "someone", "某人", liaison.role, PASSWORD)


# --- deadlines ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("approved_on", "due"),
    [
        (dt.date(2026, 9, 24), dt.date(2026, 10, 9)),  # over Mid-Autumn (Sep 25) and National Day
        (dt.date(2026, 9, 30), dt.date(2026, 10, 13)),  # Oct 10 (Sat) is a working day
        (dt.date(2026, 10, 3), dt.date(2026, 10, 13)),  # approved on a holiday
        (dt.date(2026, 11, 16), dt.date(2026, 11, 23)),  # an ordinary week
    ],
)
@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_due_date_counts_working_days(
    review: Review,
    people: dict[str, User],
    store: CaseStore,
    clock: Clock,
    approved_on: dt.date,
    due: dt.date,
) -> None:
    clock.day = approved_on
    case_id = new_case(store)
    proposed(review, people, case_id)
    case = review.approve(people["approver1"], case_id)
    assert case.due_date == due
    clock.day = due
    assert review.deadline(case, clock.day).status == "due_soon"
    clock.day = due + dt.timedelta(days=1)
    assert review.deadline(case, clock.day).status == "overdue"
    overdue = review.list_cases(
        people["approver1"],
        CaseFilter(states=(CaseState.APPROVED,), due_by=clock.day - dt.timedelta(days=1)),
    ).cases
    assert [c.id for c in overdue] == [case_id]


# --- snoozes -----------------------------------------------------------------------------


def test_snooze_needs_another_person_and_hides_but_keeps_hits(
    review: Review, people: dict[str, User], store: CaseStore, clock: Clock
) -> None:
    case_id = new_case(store, customer="C000001")  # the factory's customer, as later hits
    liaison = people["liaison1"]
    with pytest.raises(InvalidInput):
        review.request_snooze(liaison, case_id, clock.day - dt.timedelta(days=1), "原因写得足够长")
    snooze = review.request_snooze(
        liaison, case_id, clock.day + dt.timedelta(days=30), "同一客户的已知代发工资业务"
    )
    assert snooze.state == "requested"
    with pytest.raises(Forbidden):
        review.decide_snooze(liaison, snooze.id, True)
    with pytest.raises(NotFound):
        review.decide_snooze(people["approver_b2"], snooze.id, True)  # not their branch
    active = review.decide_snooze(people["approver1"], snooze.id, True)
    assert (active.state, active.approved_by) == ("active", "approver1")
    with pytest.raises(WrongState):
        review.decide_snooze(people["approver2"], snooze.id, False)
    # the open case and the subject's next hits of that rule are recorded, marked snoozed
    # (a later window: within the snoozed case's own window it would join that case)
    later_night = dt.date(2026, 10, 20)
    later = open_cases(
        store, [alert_evidence("AMLW-SP-0101-20261020-cccc0003", scan_date=later_night)], NIGHT
    )
    assert later.snoozed == later.opened
    assert review.list_cases(liaison, CaseFilter()).total == 0
    hidden = review.list_cases(liaison, CaseFilter(snoozed=True))
    assert {c.id for c in hidden.cases} == {case_id, *later.opened}
    # another rule of the same subject is not snoozed
    other_rule = open_cases(
        store,
        [alert_evidence("AMLW-SP-0102-20261020-dddd0004", rule="0102", scan_date=later_night)],
        NIGHT,
    )
    assert other_rule.snoozed == []


# --- users, login, sessions --------------------------------------------------------------


def test_one_answer_for_every_refused_login_and_a_throttle_per_address(
    review: Review, people: dict[str, User], store: CaseStore
) -> None:
    user, token, csrf = review.login("liaison1", PASSWORD, "10.0.0.1")
    assert user.username == "liaison1" and len(token) > 30 and len(csrf) > 30
    found = review.session(token)
    assert found is not None and found[0].id == user.id and found[1] == csrf
    review.logout(token)
    assert review.session(token) is None
    review.set_active(people["admin"], people["liaison2"].id, False)
    answers = set()
    for name, password in (("nobody", PASSWORD), ("liaison2", PASSWORD), ("liaison1", "wrong!")):
        with pytest.raises(LoginFailed) as refused:
            review.login(name, password, "10.0.0.9")
        answers.add(str(refused.value))
    assert len(answers) == 1  # unknown, inactive, wrong: nothing tells them apart
    for _ in range(4):  # five wrong passwords in a row from one address …
        with pytest.raises(LoginFailed):
            review.login("liaison1", "wrong!", "10.0.0.9")
    with pytest.raises(LoginFailed) as paused:  # … pause that address, with the same answer
        review.login("liaison1", PASSWORD, "10.0.0.9")
    assert str(paused.value) in answers
    review.login("liaison1", PASSWORD, "10.0.0.1")  # the owner at their desk is not locked out
    assert review.unlock(people["admin"], people["liaison1"].id) == 1
    review.login("liaison1", PASSWORD, "10.0.0.9")
    failed = [e for e in entries(store, action="login failed")]
    assert {e.username for e in failed} == {"liaison1", "liaison2", "no***（6 字符）"}
    assert {e.detail["reason"] for e in failed} == {
        "unknown user",
        "inactive",
        "password",
        "throttled",
    }


def test_a_guesser_rotating_addresses_pauses_the_account(
    review: Review, people: dict[str, User]
) -> None:
    from amlwatch.cases.auth import ACCOUNT_LIMIT, LOCK_AFTER

    for n in range(ACCOUNT_LIMIT):  # never LOCK_AFTER from one address: no pair pauses
        with pytest.raises(LoginFailed):
            review.login("approver1", "wrong!", f"10.1.{n // (LOCK_AFTER - 1)}.{n}")
    with pytest.raises(LoginFailed):  # the account pauses, whatever address comes next
        review.login("approver1", PASSWORD, "10.2.0.1")
    assert review.unlock(people["admin"], people["approver1"].id) == 1
    review.login("approver1", PASSWORD, "10.2.0.1")


def test_sessions_end_when_idle_when_old_and_at_the_next_login(
    review: Review, people: dict[str, User]
) -> None:
    _, first, _ = review.login("liaison1", PASSWORD)
    _, second, _ = review.login("liaison1", PASSWORD)
    assert review.session(first) is None and review.session(second) is not None
    review.session_lifetime = dt.timedelta(seconds=0)  # however busy: over after its lifetime
    assert review.session(second) is None
    review.session_lifetime = dt.timedelta(hours=12)
    _, third, _ = review.login("liaison1", PASSWORD)
    review.session_timeout = dt.timedelta(seconds=0)
    assert review.session(third) is None


def test_a_password_change_needs_the_current_one_and_a_reset_must_be_changed(
    review: Review, people: dict[str, User], store: CaseStore
) -> None:
    liaison, admin = people["liaison1"], people["admin"]
    with pytest.raises(InvalidInput, match="当前密码"):
        review.change_password(liaison, "not-the-password", "New-Pass-2026!x")
    review.change_password(liaison, PASSWORD, "New-Pass-2026!x")
    user, _, _ = review.login("liaison1", "New-Pass-2026!x")
    assert not user.must_change_password
    with pytest.raises(InvalidInput):  # an administrator's own password: with the current one
        review.reset_password(admin, admin.id, "Temp-Pass-2026!")
    review.reset_password(admin, liaison.id, "Temp-Pass-2026!")
    user, _, _ = review.login("liaison1", "Temp-Pass-2026!")
    assert user.must_change_password and user.password_reset_by == "admin"
    review.change_password(user, "Temp-Pass-2026!", "Own-Pass-2026!y")
    user, _, _ = review.login("liaison1", "Own-Pass-2026!y")
    assert not user.must_change_password and user.password_reset_at is None


def test_a_hash_of_a_lower_cost_is_upgraded_at_login(
    review: Review, people: dict[str, User], store: CaseStore
) -> None:
    from amlwatch.cases import auth
    from amlwatch.cases import repository as repo

    low = dict(auth.COST)
    try:
        auth.set_cost(2**15, 8, 3)  # the product's cost
        review.login("liaison1", PASSWORD)
        with store.read() as con:
            stored = repo.user_row(con, "liaison1").password_hash
        assert stored.startswith("scrypt$32768$8$3$") and not auth.needs_rehash(stored)
        review.login("liaison1", PASSWORD)  # and it still logs in
    finally:
        auth.set_cost(low["n"], low["r"], low["p"])
    assert verify(store).ok  # the new hash is sealed like any change of the user


def test_passwords_and_bootstrap(review: Review, people: dict[str, User]) -> None:
    with pytest.raises(Forbidden):
        review.bootstrap_admin("admin2", "第二管理员", PASSWORD)
    with pytest.raises(InvalidInput):
        review.create_user(people["admin"], "weak", "弱", people["liaison1"].role, "password")
    with pytest.raises(InvalidInput):
        review.create_user(people["admin"], "liaison1", "重名", people["liaison1"].role, PASSWORD)
    review.set_active(people["admin"], people["liaison2"].id, False)
    with pytest.raises(LoginFailed):
        review.login("liaison2", PASSWORD)


def test_dashboard_effectiveness(
    review: Review, people: dict[str, User], store: CaseStore, clock: Clock
) -> None:
    ids = [new_case(store, f"AMLW-SP-0101-20260929-{i:08x}") for i in range(4)]
    for case_id in ids[:2]:
        review.start_review(people["liaison1"], case_id)
        review.dismiss(people["liaison1"], case_id, "R02", "客户身份与交易相符，已核实")
        review.confirm_dismissal(people["approver1"], case_id)
    proposed(review, people, ids[2])
    review.approve(people["approver1"], ids[2])
    board = review.dashboard(people["auditor1"])
    [rule] = board.rules
    assert (rule["alerts"], rule["open"], rule["dismissed"], rule["reported"]) == (4, 1, 2, 1)
    assert rule["dismissal_rate"] == pytest.approx(2 / 3)
    assert rule["conversion"] == pytest.approx(1 / 3)
    assert rule["median_hours_to_decision"] is not None
    assert (rule["deadline_cases"], rule["deadlines_met"], rule["overdue"]) == (1, 0, 0)
    assert dict(board.per_day)[NIGHT] == 4


def test_a_dismissal_gets_a_second_look_unless_one_person_is_chosen_for_its_standard(
    review: Review, people: dict[str, User], store: CaseStore
) -> None:
    liaison, approver = people["liaison1"], people["approver1"]
    first, second, third = (new_case(store, f"AMLW-SP-0101-20260929-{i:08x}") for i in (11, 12, 13))
    for case_id in (first, second, third):
        review.start_review(liaison, case_id)
    proposed = review.dismiss(liaison, first, "R01", "经核实为正常经营收付款项")
    assert proposed.state is CaseState.DISMISSAL_PROPOSED
    with pytest.raises(Forbidden):
        review.confirm_dismissal(liaison, first)  # not by the liaison who proposed it
    done = review.confirm_dismissal(approver, first, "同意排除")
    assert done.state is CaseState.DISMISSED and done.dismissal_reason == "R01"
    history = review.view_case(approver, first).history
    assert [(e.action, e.username) for e in history[-2:]] == [
        ("dismissal proposed", "liaison1"),
        ("dismissed", "approver1"),
    ]
    review.dismiss(liaison, second, "R02", "客户身份与交易相符，已核实")
    back = review.send_back(approver, second, "请补充交易对手的核实情况")
    assert back.state is CaseState.IN_REVIEW
    # an administrator's explicit choice: standard 0101's alerts one liaison dismisses alone
    review.set_single_dismissal(people["admin"], ["0101"])
    alone = review.dismiss(liaison, third, "R01", "经核实为正常经营收付款项")
    assert alone.state is CaseState.DISMISSED
    [entry] = entries(store, 1, None, "setting changed", "admin")
    assert (entry.target, entry.detail["after"]) == ("single_dismissal", ["0101"])


def test_the_sign_off_is_dated_by_the_day_in_beijing(
    review: Review, people: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proposal and an approval at 03:25 and 03:26 Beijing time (19:25 UTC the day before,
    on a server whose clock runs on UTC) are signed on the Beijing day."""
    import time

    from amlwatch.cases.usecases.signoff import signoff_of
    from amlwatch.models import CaseEvent

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        at = dt.datetime(2026, 12, 6, 19, 25)  # the server's clock: naive local time (UTC)
        history = [
            CaseEvent(at, "liaison1", "proposed", "in_review", "proposed", 0, {}),
            CaseEvent(
                at + dt.timedelta(minutes=1),
                "approver1",
                "approved",
                "proposed",
                "approved",
                1,
                {"note": "同意"},
            ),
        ]
        with review.store.read() as con:
            lines = signoff_of(con, history)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert [line.on for line in lines] == [dt.date(2026, 12, 7)] * 2
