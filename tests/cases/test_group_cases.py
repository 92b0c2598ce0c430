"""Group cases (团伙): one case per network structure, every member customer a subject with
its role; a structure sharing two customers with a group case joins it, one shared customer
links the cases; the report names every subject."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from amlwatch.cases import CaseStore, Review, open_cases
from amlwatch.cases.audit import entries
from amlwatch.cases.exceptions import Forbidden, NotFound
from amlwatch.cases.members import members_of
from amlwatch.models import User
from amlwatch.stages.cases import generate_case_report
from amlwatch.submission.validate import check
from tests.cases.factory import alert_evidence, content_of, structure_evidence

NIGHT = dt.date(2026, 9, 29)
RING = [
    ("C000101", "source", "B001"),
    ("C000102", "intermediary", "B002"),
    ("C000103", "intermediary", "B001"),
    ("C000104", "sink", "B002"),
]


def _members(store: CaseStore, case_id: int) -> list[tuple[str, str]]:
    with store.read() as con:
        return members_of(con, case_id)


def test_a_structure_opens_one_group_case_naming_every_member_with_its_role(
    store: CaseStore, review: Review, people: dict[str, User]
) -> None:
    ring = structure_evidence("AMLW-NW-0101-aaaaaa000001", RING)
    intake = open_cases(store, [ring], NIGHT)
    [case_id] = intake.opened
    case = review.view_case(people["liaison1"], case_id).case
    # the case is its first source's branch's; its customer is that source
    assert case.group and case.kind == "group"
    assert (case.customer_id, case.branch_code) == ("C000101", "B001")
    assert case.customer_name == "成员101等4名客户（团伙）" and case.evidence_count == 3
    assert _members(store, case_id) == [(c, r) for c, r, _ in RING]
    content = content_of(store, case_id)
    assert [s["customer_id"] for s in content["subjects"]] == [c for c, _, _ in RING]
    assert [m["role"] for m in content["structure"]["members"]] == [r for _, r, _ in RING]
    assert content["structure"]["structure_ids"] == ["AMLW-NW-0101-aaaaaa000001"]
    # the same structure the next night changes nothing
    again = open_cases(store, [ring], NIGHT + dt.timedelta(days=1))
    assert again.unchanged == 1 and not again.opened and not again.extended
    # a liaison of a member's branch only is not the case's liaison: it is not shown to them
    with pytest.raises(NotFound):
        review.view_case(people["liaison2"], case_id)
    # the structure's page names its case to those who may see it
    assert review.structure_case(people["approver1"], "AMLW-NW-0101-aaaaaa000001") == case_id
    assert review.structure_case(people["approver_b2"], "AMLW-NW-0101-aaaaaa000001") is None
    assert review.structure_case(people["approver1"], "AMLW-NW-0101-nothing") is None
    with pytest.raises(Forbidden):
        review.structure_case(people["liaison1"], "AMLW-NW-0101-aaaaaa000001")


def test_a_structure_of_the_same_ring_joins_its_case_and_one_shared_customer_links(
    store: CaseStore, review: Review, people: dict[str, User]
) -> None:
    chain = structure_evidence("AMLW-NW-0101-aaaaaa000002", RING)
    [case_id] = open_cases(store, [chain], NIGHT).opened
    # the next night the money comes back to the first customer: the cycle standard finds
    # the same four customers — the same ring, so the same case, listing both standards
    circle = [*RING[:3], ("C000104", "intermediary", "B002"), ("C000101", "origin", "B001")]
    cycle = structure_evidence(
        "AMLW-NW-0201-bbbbbb000002", circle, "AMLW-NW-0201", NIGHT + dt.timedelta(days=1),
        shape="cycle",
    )  # fmt: skip
    joined = open_cases(store, [cycle], NIGHT + dt.timedelta(days=1))
    assert joined.extended == [case_id] and not joined.opened
    case = review.view_case(people["approver1"], case_id).case
    assert case.codes == ("AMLW-NW-0101", "AMLW-NW-0201") and case.snapshot_version == 2
    merged = content_of(store, case_id)["structure"]
    assert merged["structure_ids"] == ["AMLW-NW-0101-aaaaaa000002", "AMLW-NW-0201-bbbbbb000002"]
    # the cycle is the chain's three transfers and the return: each transfer, customer once
    assert merged["edge_count"] == 4 and len(merged["members"]) == 4
    assert [m["role"] for m in merged["members"]] == [r for _, r, _ in RING]  # the first's
    sink = next(m for m in merged["members"] if m["customer_id"] == "C000104")
    assert sink["received_cny"] == sum(
        e["amount_cny"] for e in merged["edges"] if e["payee_customer"] == "C000104"
    )
    # another structure through one of them only: a case of its own, linked to the ring's
    other = structure_evidence(
        "AMLW-NW-0101-cccccc000003",
        [("C000104", "source", "B002"), ("C000205", "intermediary", "B002"),
         ("C000206", "sink", "B002")],
        scan_date=NIGHT + dt.timedelta(days=2),
    )  # fmt: skip
    third = open_cases(store, [other], NIGHT + dt.timedelta(days=2))
    [other_id] = third.opened
    assert third.linked == {other_id: [case_id]}
    for mine, theirs in ((case_id, other_id), (other_id, case_id)):
        history = review.view_case(people["approver1"], mine).history
        [linked] = [e for e in history if e.action == "linked"]
        assert linked.detail == {"case": theirs, "customers": "C000104"}
    audited = [e for e in entries(store) if e.action == "cases linked"]
    assert [(e.target, e.detail["case"]) for e in audited] == [(f"case:{other_id}", case_id)]
    assert review.linked_cases(people["approver1"], case) == [
        (review.view_case(people["approver1"], other_id).case, ["C000104"])
    ]


def test_a_member_s_own_case_links_to_the_group_case_and_never_merges_into_it(
    store: CaseStore, review: Review, people: dict[str, User]
) -> None:
    # a member already in a case of its own (scatter / concentrate at branch B002)
    single = alert_evidence("AMLW-SP-0101-20260929-00000001", customer="C000102", branch="B002",
                            rule="AMLW-SP-0101")  # fmt: skip
    [own] = open_cases(store, [single], NIGHT).opened
    ring = structure_evidence("AMLW-NW-0101-aaaaaa000004", RING)
    intake = open_cases(store, [ring], NIGHT)
    [group] = intake.opened
    assert intake.linked == {group: [own]}
    # the group's first source alerts on its own the same window: a customer case of its
    # own (a group case is never a customer's window), linked to the group
    mine = alert_evidence("AMLW-SP-0101-20260929-00000002", customer="C000101", branch="B001",
                          rule="AMLW-SP-0101")  # fmt: skip
    later = open_cases(store, [mine], NIGHT)
    [first_own] = later.opened
    assert first_own not in (own, group) and later.linked == {first_own: [group]}
    approver, liaison1 = people["approver1"], people["liaison1"]
    group_case = review.view_case(approver, group).case
    assert [(c.id, shared) for c, shared in review.linked_cases(approver, group_case)] == [
        (own, ["C000102"]),
        (first_own, ["C000101"]),
    ]
    # a liaison sees the linked cases of their own branches only
    assert [c.id for c, _ in review.linked_cases(liaison1, group_case)] == [first_own]
    # a customer's case shows the group cases it is in, not its other customer cases
    own_case = review.view_case(approver, own).case
    assert [c.id for c, _ in review.linked_cases(approver, own_case)] == [group]


def test_a_group_case_files_one_report_naming_every_member(
    store: CaseStore, review: Review, people: dict[str, User], tmp_path: Path
) -> None:
    ring = structure_evidence("AMLW-NW-0101-aaaaaa000005", RING)
    [case_id] = open_cases(store, [ring], NIGHT).opened
    liaison, approver = people["liaison1"], people["approver1"]
    review.start_review(liaison, case_id)
    review.propose(liaison, case_id, "四名客户之间资金链式转移，人工核实。",
                   "成员之间无真实交易背景，疑似过渡账户。", ["1402"], "01")  # fmt: skip
    review.approve(approver, case_id)
    report = generate_case_report(review, approver, case_id, tmp_path / "reports")
    xml = next(p for p in report.files if p.suffix == ".XML")
    data = check(xml.read_bytes(), xml.name)
    assert [s["CSNM"] for s in data["SEIFs"]] == [c for c, _, _ in RING]  # every subject
    assert data["RBIF"]["SETN"] == "4" and data["RBIF"]["STNM"] == "3"
    assert data["RBIF"]["STCRs"] == ["AMLW-NW-0101"]
    assert {t["CIIF"]["CSNM"] for t in data["STIFs"]} == {"C000101", "C000102", "C000103"}
    pdf = next(p for p in report.files if p.suffix == ".pdf")
    printed = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "团伙案件，资金网络结构 AMLW-NW-0101-aaaaaa000005" in printed
    for customer, _, _ in RING:  # the signed form names every subject the XML does
        assert f"成员{customer[-3:]}" in printed and customer in printed
