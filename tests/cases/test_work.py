"""Working a case: search by name and by number (hashed keys, masked audit), assignment by
rule and by an approver, release on deactivation and branch loss, notes and files (types,
hash, branch scope), related cases through a shared counterparty, the next case of a queue;
and the migration that indexes the cases already in a store."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from alembic import command
from sqlalchemy import inspect, select, update

from amlwatch.cases import CaseFilter, CaseStore, Review, open_cases
from amlwatch.cases.audit import entries
from amlwatch.cases.exceptions import Forbidden, InvalidInput, NotFound, WrongState
from amlwatch.cases.notes import MAX_REPORT_FILES_BYTES
from amlwatch.cases.repository import UNASSIGNED
from amlwatch.cases.store import alembic_config
from amlwatch.cases.tables import case_keys, case_notes, cases
from amlwatch.models import CaseState, Role, User
from amlwatch.stages.cases import generate_case_report
from tests.cases.conftest import PASSWORD
from tests.cases.factory import alert_evidence

DAY = dt.date(2026, 9, 29)
SUBJECT_ID = "350102199001011238"
SUBJECT_ACCOUNT = "6222020000001234"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_n = iter(range(1, 10_000))


def _open(review: Review, **kw: object) -> int:
    """A case of its own customer (one case per customer and window)."""
    n = next(_n)
    alert_id = f"AMLW-SP-0101-20260929-{n:08x}"
    kw.setdefault("customer", f"C9{n:05d}")
    [case_id] = open_cases(review.store, [alert_evidence(alert_id, **kw)], DAY).opened  # type: ignore[arg-type]
    return case_id


def _ids(review: Review, actor: User, flt: CaseFilter) -> list[int]:
    return [c.id for c in review.list_cases(actor, flt, 100).cases]


def test_new_cases_go_round_robin_to_the_branch_liaisons(
    review: Review, people: dict[str, User]
) -> None:
    review.create_user(people["admin"], "liaison1b", "李四", Role.LIAISON, PASSWORD, ["B001"])
    got = [review.view_case(people["liaison1"], _open(review)).case.assignee for _ in range(4)]
    assert got == ["liaison1", "liaison1b", "liaison1", "liaison1b"]
    b2 = _open(review, branch="B002", customer="C2")
    assert review.view_case(people["liaison2"], b2).case.assignee == "liaison2"
    nobody = _open(review, branch="B999", customer="C3")  # no liaison sees B999
    assert review.view_case(people["approver1"], nobody).case.assignee is None


def test_approver_mode_leaves_new_cases_unassigned_for_an_approver(
    review: Review, people: dict[str, User]
) -> None:
    review.set_assignment_mode(people["admin"], "approver")
    case_id = _open(review)
    liaison, approver = people["liaison1"], people["approver1"]
    assert _ids(review, liaison, CaseFilter(assignee=UNASSIGNED)) == [case_id]
    with pytest.raises(InvalidInput):  # liaison2 does not see B001
        review.assign_case(approver, case_id, "liaison2")
    review.assign_case(approver, case_id, "liaison1")
    assert _ids(review, liaison, CaseFilter(assignee="liaison1")) == [case_id]
    assert _ids(review, liaison, CaseFilter(assignee=UNASSIGNED)) == []
    history = review.view_case(liaison, case_id).history
    assert [(e.action, e.detail["to"]) for e in history if e.action == "assigned"] == [
        ("assigned", "liaison1")
    ]
    with pytest.raises(InvalidInput):
        review.set_assignment_mode(people["admin"], "lottery")
    with pytest.raises(Forbidden):
        review.set_assignment_mode(people["approver1"], "round_robin")


def test_a_liaison_takes_only_unassigned_cases_of_their_branch(
    review: Review, people: dict[str, User]
) -> None:
    review.set_assignment_mode(people["admin"], "approver")
    case_id = _open(review)
    review.create_user(people["admin"], "liaison1b", "李四", Role.LIAISON, PASSWORD, ["B001"])
    with pytest.raises(Forbidden):  # a liaison cannot give a case to someone else
        review.assign_case(people["liaison1"], case_id, "liaison1b")
    review.assign_case(people["liaison1"], case_id, "liaison1")
    other = review.users(people["admin"])
    second = next(u for u in other if u.username == "liaison1b")
    with pytest.raises(Forbidden):  # taken: only an approver moves it
        review.assign_case(second, case_id, "liaison1b")
    with pytest.raises(NotFound):  # another branch's case answers as none
        review.assign_case(people["liaison2"], case_id, "liaison2")


def test_deactivation_and_branch_loss_release_open_cases(
    review: Review, people: dict[str, User]
) -> None:
    first, second = _open(review), _open(review, branch="B002", customer="C2")
    admin, liaison = people["admin"], people["liaison1"]
    review.set_branches(admin, liaison.id, ["B001", "B002"])
    review.assign_case(people["approver1"], second, "liaison1")
    review.set_branches(admin, liaison.id, ["B001"])  # B002 taken away
    approver = people["approver1"]
    assert review.view_case(approver, second).case.assignee is None
    assert review.view_case(approver, first).case.assignee == "liaison1"
    review.set_active(admin, liaison.id, False)
    assert review.view_case(approver, first).case.assignee is None


def test_search_by_number_name_and_customer_with_a_masked_audit(
    review: Review, people: dict[str, User]
) -> None:
    mine = _open(review, customer="C000001")  # 张三, SUBJECT_ID
    other = _open(review, customer="C2", branch="B002")
    liaison, approver = people["liaison1"], people["approver1"]
    everywhere = review.search_filter(approver, "id", SUBJECT_ID, CaseFilter())
    assert set(_ids(review, approver, everywhere)) == {mine, other}
    # the branch still scopes what a search finds
    found = review.search_filter(liaison, "id", f" {SUBJECT_ID.lower()} ", CaseFilter())
    assert _ids(review, liaison, found) == [mine]
    by_account = review.search_filter(liaison, "account", SUBJECT_ACCOUNT, CaseFilter())
    assert _ids(review, liaison, by_account) == [mine]
    party = review.search_filter(liaison, "account", "6222020000009901", CaseFilter())
    assert _ids(review, liaison, party) == [mine]  # a counterparty's account finds it too
    none = review.search_filter(liaison, "id", "110101198001010011", CaseFilter())
    assert _ids(review, liaison, none) == []
    assert _ids(review, liaison, review.search_filter(liaison, "name", "张", CaseFilter())) == [
        mine
    ]
    assert _ids(review, liaison, review.search_filter(liaison, "name", "三", CaseFilter())) == []
    contains = review.search_filter(liaison, "name", "三", CaseFilter(name_in=True))
    assert _ids(review, liaison, contains) == [mine]
    wild = review.search_filter(liaison, "name", "%", CaseFilter(name_in=True))
    assert _ids(review, liaison, wild) == []  # a LIKE wildcard is a character, not "any"
    by_customer = review.search_filter(liaison, "customer", "C000001", CaseFilter())
    assert _ids(review, liaison, by_customer) == [mine]
    with pytest.raises(InvalidInput):
        review.search_filter(liaison, "phone", "1", CaseFilter())
    searches = entries(review.store, action="case search")
    with review.store.read() as con:
        stored = con.execute(select(case_keys.c.key, case_keys.c.shown)).all()
    assert searches and all(SUBJECT_ID not in str(e.detail) for e in searches)
    assert any(e.detail.get("text") == "****1238" for e in searches)
    assert all(SUBJECT_ID not in f"{k}{s}" and SUBJECT_ACCOUNT not in f"{k}{s}" for k, s in stored)


def test_notes_and_files_typed_hashed_scoped_and_audited(
    review: Review, people: dict[str, User]
) -> None:
    case_id = _open(review)
    liaison = people["liaison1"]
    note = review.add_note(liaison, case_id, "已致电客户，称为货款", ("回函 扫描.pdf", PDF))
    review.add_note(people["approver1"], case_id, "请补充交易背景")
    listed = review.case_notes(people["auditor1"], case_id)
    assert [(n.text, n.file_name, n.file_type) for n in listed] == [
        ("已致电客户，称为货款", "回函 扫描.pdf", "pdf"),
        ("请补充交易背景", None, None),
    ]
    got, data = review.note_file(people["auditor1"], case_id, note)
    assert data == PDF and got.file_size == len(PDF)
    for bad in (("x.exe", b"MZ"), ("x.pdf", b"<html>"), ("x.txt", b"\xff\xfe"), ("x.pdf", b"")):
        with pytest.raises(InvalidInput):
            review.add_note(liaison, case_id, "附件", bad)
    with pytest.raises(InvalidInput):
        review.add_note(liaison, case_id, "  ")
    with pytest.raises(Forbidden):
        review.add_note(people["auditor1"], case_id, "审计员不能写记录")
    with pytest.raises(NotFound):
        review.add_note(people["liaison2"], case_id, "别行的案件")
    with pytest.raises(NotFound):
        review.note_file(people["liaison2"], case_id, note)
    with pytest.raises(NotFound):
        review.note_file(liaison, case_id, 2**40)
    history = review.view_case(liaison, case_id).history
    assert [e.detail.get("file") for e in history if e.action == "note added"] == [
        "回函 扫描.pdf",
        None,
    ]
    with review.store.write() as con:  # a file changed in the store is refused, not served
        con.execute(update(case_notes).where(case_notes.c.id == note).values(file_data=b"%PDF-x"))
    with pytest.raises(InvalidInput):
        review.note_file(liaison, case_id, note)
    downloads = entries(review.store, action="download")
    assert downloads[0].detail["sha256"] == got.file_sha256


def test_files_for_the_report_go_in_its_attachment_package(
    review: Review, people: dict[str, User], tmp_path: Path
) -> None:
    """Files marked for the report (before its proposal, of the types and total size a 5 MB
    data package can carry) travel in the report's attachment package — a ZIP named as the
    XML, in the same data package (spec §3, §3.2) — and the printed form lists each with its
    SHA-256; the others stay in the case."""
    case_id = _open(review)
    liaison = people["liaison1"]
    review.start_review(liaison, case_id)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    first = review.add_note(liaison, case_id, "回函", ("回函.pdf", PDF), for_report=True)
    second = review.add_note(liaison, case_id, "补充", ("回函.pdf", PDF + b"%2"), for_report=True)
    review.add_note(liaison, case_id, "内部截图，不报送", ("截图.png", png))
    with pytest.raises(InvalidInput, match="不随报告报送"):
        review.add_note(liaison, case_id, "文本", ("记录.txt", b"note"), for_report=True)
    with pytest.raises(InvalidInput, match="选择附件"):
        review.add_note(liaison, case_id, "没有文件", for_report=True)
    big = PDF + b"0" * (MAX_REPORT_FILES_BYTES - len(PDF))
    with pytest.raises(InvalidInput, match="合计"):
        review.add_note(liaison, case_id, "太大", ("大.pdf", big), for_report=True)
    review.propose(
        liaison, case_id, "人工描述：分散转入集中转出", "人工分析：疑点成立", ["1402"], "01"
    )
    with pytest.raises(WrongState, match="提交审批前"):
        review.add_note(liaison, case_id, "晚了", ("迟.pdf", PDF), for_report=True)
    review.add_note(liaison, case_id, "审批中仍可记录（不报送）", ("迟.pdf", PDF))
    approver = people["approver1"]
    review.approve(approver, case_id, "同意")
    if review.view_case(approver, case_id).case.state is CaseState.PROPOSED:
        approver = people["approver2"]
        review.approve(approver, case_id, "同意")
    report = generate_case_report(review, approver, case_id, tmp_path / "reports")

    xml = next(p for p in report.files if p.suffix == ".XML")
    [package] = [p for p in report.files if p.suffix == ".ZIP"]
    with zipfile.ZipFile(package) as zf:
        assert sorted(zf.namelist()) == sorted([xml.name, f"{xml.stem}.ZIP"])
        inner = zf.read(f"{xml.stem}.ZIP")
    with zipfile.ZipFile(io.BytesIO(inner)) as zf:
        assert {n: zf.read(n) for n in zf.namelist()} == {
            f"{first:04d}_回函.pdf": PDF,
            f"{second:04d}_回函.pdf": PDF + b"%2",
        }
    form = openpyxl.load_workbook(next(p for p in report.files if p.name.endswith("_form.xlsx")))
    cells = " ".join(str(c.value) for ws in form for row in ws.iter_rows() for c in row)
    assert hashlib.sha256(inner).hexdigest() in cells
    assert hashlib.sha256(PDF + b"%2").hexdigest() in cells


def test_related_cases_share_a_counterparty_within_the_viewer_branches(
    review: Review, people: dict[str, User]
) -> None:
    mine = _open(review, customer="C1", parties="62220200000077")
    same_party = _open(review, customer="C2", parties="62220200000077")
    other_branch = _open(review, customer="C3", branch="B002", parties="62220200000077")
    _open(review, customer="C4", parties="62220200000055")  # no party in common
    earlier = _open(  # the same customer, an earlier window
        review, customer="C1", rule="0102", parties="62220200000033", scan_date=dt.date(2026, 8, 31)
    )
    liaison, approver = people["liaison1"], people["approver1"]
    case = review.view_case(liaison, mine).case
    # the subject's own numbers are shared by C2..C4 (the factory's one ID): not via a party
    found = review.related_cases(liaison, case)
    assert [(r.case.id, r.shared) for r in found] == [(same_party, "对手账号")]
    assert {r.case.id for r in review.related_cases(approver, case)} == {same_party, other_branch}
    assert all(r.number.startswith("****") for r in found)
    assert [c.id for c in review.customer_cases(liaison, case)] == [earlier]


def test_next_case_follows_the_queue_and_wraps(review: Review, people: dict[str, User]) -> None:
    ids = [_open(review) for _ in range(3)]
    liaison = people["liaison1"]
    queue = CaseFilter(assignee="liaison1", sort="id")
    assert review.next_case(liaison, ids[0], queue) == ids[1]
    assert review.next_case(liaison, ids[2], queue) == ids[0]
    assert review.next_case(liaison, 999, queue) == ids[0]
    assert review.next_case(people["liaison2"], ids[0], CaseFilter(sort="id")) is None


def test_the_migration_indexes_the_cases_already_stored(store: CaseStore) -> None:
    [case_id] = open_cases(store, [alert_evidence("AMLW-SP-0101-20260929-0000ffff")], DAY).opened
    with store.write() as con:
        before = sorted(con.execute(select(case_keys.c.kind, case_keys.c.key)).all())
        command.downgrade(alembic_config(con), "0009")
    with store.write() as con:
        assert "case_keys" not in inspect(con).get_table_names()
        command.upgrade(alembic_config(con), "head")
    with store.read() as con:
        after = sorted(con.execute(select(case_keys.c.kind, case_keys.c.key)).all())
        assert con.execute(select(cases.c.id)).scalars().all() == [case_id]
    assert after == before and len(before) == 5  # id, account, three party accounts


def test_a_batch_does_case_by_case_what_one_could_and_reports_the_rest(
    review: Review, people: dict[str, User]
) -> None:
    review.set_assignment_mode(people["admin"], "approver")
    mine = [_open(review) for _ in range(3)]
    other_branch = _open(review, branch="B002")
    liaison, approver = people["liaison1"], people["approver1"]
    review.assign_case(approver, mine[2], "liaison1")  # taken already
    claimed = review.bulk(liaison, [*mine, other_branch], "claim")
    assert claimed.done == mine[:2]
    assert set(claimed.refused) == {mine[2], other_branch}  # taken; not this liaison's branch
    assert "未分配" in claimed.refused[mine[2]]
    reason = review.dismissal_reasons()[0][0]
    text = "客户为批发商，资金往来与经营相符，逐件核实。"
    dismissed = review.bulk(liaison, mine, "dismiss", reason=reason, text=text)
    assert dismissed.done == mine  # new ones taken into review first
    states = {review.view_case(liaison, c).case.state for c in mine}
    assert states == {CaseState.DISMISSAL_PROPOSED}  # each waits for an approver's second look
    history = review.view_case(liaison, mine[0]).history
    assert [e.action for e in history][-2:] == ["review started", "dismissal proposed"]
    assert review.bulk(liaison, [mine[0]], "dismiss", reason=reason, text="太短").refused
    wrong = review.bulk(approver, mine, "dismiss", reason=reason, text=text)
    assert wrong.done == [] and len(wrong.refused) == 3  # an approver does not dismiss
    handed = review.bulk(approver, [other_branch], "assign", to="liaison2")
    assert handed.done == [other_branch]
    with pytest.raises(InvalidInput):
        review.bulk(liaison, [], "claim")
    with pytest.raises(InvalidInput):
        review.bulk(liaison, mine, "delete")
