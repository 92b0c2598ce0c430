"""One case per customer and window: every standard that hits a customer in windows that
meet joins one case, listing each standard with its evidence; alerts stay per standard."""

from __future__ import annotations

import datetime as dt

from amlwatch.cases import CaseStore, Review, open_cases
from amlwatch.cases import repository as repo
from amlwatch.cases.repository import CaseFilter
from amlwatch.cases.snapshot import decode
from amlwatch.cases.usecases.signoff import system_draft
from amlwatch.models import CaseState, User
from tests.cases.factory import alert_evidence, content_of

NIGHT = dt.date(2026, 9, 29)
CUSTOMER = "C000777"


def _alert(code: str, family: str | None = None, **kw: object):  # type: ignore[no-untyped-def]
    return alert_evidence(
        f"{code}-{kw.pop('night', NIGHT):%Y%m%d}-0000{code[-4:]}",  # type: ignore[str-format]
        customer=CUSTOMER,
        rule=code,
        family=family,
        **kw,  # type: ignore[arg-type]
    )


def test_three_standards_of_one_customer_and_window_are_one_case_listing_each(
    store: CaseStore, review: Review, people: dict[str, User]
) -> None:
    scatter = _alert("AMLW-SP-0101")
    quick = _alert("AMLW-SP-0201", "pass_through", legs=4, txn_prefix="shared")
    cash = _alert("AMLW-SP-0602", "cash", legs=2, txn_prefix="shared")  # two of quick's txns
    intake = open_cases(store, [cash, scatter, quick], NIGHT)
    assert len(intake.opened) == 1
    [case_id] = intake.opened
    liaison = people["liaison1"]
    case = review.view_case(liaison, case_id).case
    # the opening alert is the first standard by code; the case lists all three
    assert case.alert_id == scatter.alert["alert_id"] and case.rule_code == "AMLW-SP-0101"
    assert case.codes == ("AMLW-SP-0101", "AMLW-SP-0201", "AMLW-SP-0602")
    assert case.standards[1] == ("AMLW-SP-0201", "pass_through标准")
    assert case.evidence_count == 3 + 4  # a transaction two standards name counts once
    with store.read() as con:
        for item in (scatter, quick, cash):
            found = repo.case_by_alert(con, str(item.alert["alert_id"]))
            assert found is not None and found.id == case_id
    content = content_of(store, case_id)
    assert [a["rule_code"] for a in content["alerts"]] == list(case.codes)
    assert len(content["evidence"]) == 3 + 4 + 2  # each standard's own evidence
    # the draft: one numbered part per standard, in the case's order, in both fields
    assert case.stcb.splitlines() == [
        "（1）监测标准AMLW-SP-0101 集中转入分散转出：草稿",  # the factory's scatter draft
        "（2）监测标准AMLW-SP-0201 pass_through标准：AMLW-SP-0201的交易特征",
        "（3）监测标准AMLW-SP-0602 cash标准：AMLW-SP-0602的交易特征",
    ]
    assert case.aosp.splitlines()[2] == "（3）监测标准AMLW-SP-0602 cash标准：AMLW-SP-0602的疑点"
    with store.read() as con:
        assert system_draft(con, case) == (case.stcb, case.aosp)  # the draft is known as one
    # the lists find it under each standard, and count it once per standard and once in all
    for code in case.codes:
        page = review.list_cases(liaison, CaseFilter(rule_code=code))
        assert [c.id for c in page.cases] == [case_id]
        assert page.by_rule[code] == 1
    everything = review.list_cases(liaison, CaseFilter())
    assert everything.total == 1 and sum(everything.by_state.values()) == 1
    # the same alerts again: nothing changes
    again = open_cases(store, [scatter, quick, cash], NIGHT)
    assert again.unchanged == 1 and not again.opened and not again.extended


def test_a_standard_that_hits_later_joins_the_case_and_keeps_the_others_evidence(
    store: CaseStore, review: Review, people: dict[str, User]
) -> None:
    scatter = _alert("AMLW-SP-0101")
    [case_id] = open_cases(store, [scatter], NIGHT).opened
    assert content_of(store, case_id).get("alerts") is None  # one alert: the plain form
    later = NIGHT + dt.timedelta(days=1)
    night = _alert("AMLW-SP-0501", "night", scan_date=later, night=later)
    intake = open_cases(store, [night], later)
    assert intake.extended == [case_id] and not intake.opened
    liaison = people["liaison1"]
    view = review.view_case(liaison, case_id)
    assert view.case.codes == ("AMLW-SP-0101", "AMLW-SP-0501")
    assert view.case.window_end == later and view.case.snapshot_version == 2
    assert [e.detail.get("standards") for e in view.history if e.action == "extended"] == [
        "AMLW-SP-0501"
    ]
    content = content_of(store, case_id)
    assert {r["alert_id"] for r in content["evidence"]} == {
        scatter.alert["alert_id"],
        night.alert["alert_id"],
    }
    # the first version is kept as it was
    with store.read() as con:
        first = repo.snapshot(con, case_id, 1)
    assert first is not None and decode(first[1]).get("alerts") is None
    # the opening alert extended on a later night replaces its own part only
    longer = alert_evidence(
        str(scatter.alert["alert_id"]), customer=CUSTOMER, legs=5, scan_date=later
    )
    open_cases(store, [longer], later)
    content = content_of(store, case_id)
    by_alert = {a["alert_id"]: a for a in content["alerts"]}
    assert by_alert[scatter.alert["alert_id"]]["evidence_count"] == 5
    assert by_alert[night.alert["alert_id"]]["family"] == "night"
    assert len(content["evidence"]) == 5 + 3


def test_another_window_or_another_customer_is_another_case(
    store: CaseStore, review: Review, people: dict[str, User]
) -> None:
    scatter = _alert("AMLW-SP-0101")
    far = NIGHT + dt.timedelta(days=30)  # its window (13 days back) misses the first one
    apart = _alert("AMLW-SP-0301", "structuring", scan_date=far, night=far)
    other = alert_evidence(
        "AMLW-SP-0101-20260929-00000abc", customer="C000778", rule="AMLW-SP-0101"
    )
    intake = open_cases(store, [scatter, apart, other], NIGHT)
    assert len(intake.opened) == 3
    # a dismissed case of the window takes a new standard back into review (reopened)
    liaison = people["liaison1"]
    first = intake.opened[0]
    assert review.view_case(liaison, first).case.customer_id == CUSTOMER
    review.start_review(liaison, first)
    review.dismiss(liaison, first, "R01", "经核实为正常经营收付款项")
    review.confirm_dismissal(people["approver1"], first)
    assert review.view_case(liaison, first).case.state is CaseState.DISMISSED
    joined = open_cases(store, [_alert("AMLW-SP-0401", "same_party")], NIGHT)
    assert joined.reopened == [first]
    assert review.view_case(liaison, first).case.codes == ("AMLW-SP-0101", "AMLW-SP-0401")
