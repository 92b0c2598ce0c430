"""The list and the case page as a liaison works them, over HTTP: a posted search (nothing
in a URL, audited masked), the list as xlsx (masked per role), sorting and page numbers,
notes with files (uploaded, listed, downloaded as attachments, wrong types refused), the
assignment form and the next case."""

from __future__ import annotations

import io
import re

import openpyxl

from amlwatch.cases import repository as repo
from amlwatch.cases.audit import entries
from tests.web.conftest import FULL_ID, Site, csrf_of

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _csrf(client) -> str:  # type: ignore[no-untyped-def]
    return csrf_of(client.get("/account").text)


def test_a_posted_search_finds_by_id_number_and_keeps_it_out_of_urls_and_logs(site: Site) -> None:
    case_id = site.case()
    liaison = site.client("liaison")
    answer = liaison.post(
        "/cases/search", data={"csrf": _csrf(liaison), "kind": "id", "q": FULL_ID}
    )
    assert answer.status_code == 200 and f'href="/cases/{case_id}"' in answer.text
    assert (
        "证件号码“" in answer.text and FULL_ID not in answer.text.split('id="search-note"')[1][:200]
    )
    for entry in entries(site.review.store, action="case search"):
        assert FULL_ID not in str(entry.detail)
    missing = liaison.post(
        "/cases/search", data={"csrf": _csrf(liaison), "kind": "id", "q": "1" * 18}
    )
    assert "没有符合条件的案件" in missing.text
    refused = liaison.post("/cases/search", data={"csrf": _csrf(liaison), "kind": "id", "q": ""})
    assert refused.status_code == 400


def test_the_list_exports_as_xlsx_with_customer_numbers_per_role(site: Site) -> None:
    case_id = site.case()
    got = {}
    for role in ("liaison", "auditor"):
        answer = site.client(role).get("/cases/export.xlsx?state=all")
        assert answer.status_code == 200 and answer.content[:2] == b"PK"
        sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
        rows = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
        got[role] = rows[case_id]
        assert sheet.cell(2, 1).value == "案件编号" and sheet.cell(2, 13).value == "经办人"
    with site.review.store.read() as con:
        customer = repo.case_by_id(con, case_id).customer_id  # type: ignore[union-attr]
    assert got["liaison"][3] == customer and got["auditor"][3] != customer
    assert got["liaison"][12] == "LIAISON1" and got["liaison"][10] == "新预警"
    downloads = entries(site.review.store, action="download")
    assert downloads[0].detail["what"] == "case list xlsx"


def test_sorting_queues_and_page_numbers(site: Site) -> None:
    for _ in range(3):
        site.case()
    liaison = site.client("liaison")
    page = liaison.get("/cases?sort=id&desc=1").text
    ids = [int(x) for x in re.findall(r'href="/cases/(\d+)"', page)]
    assert ids == sorted(ids, reverse=True) and len(ids) >= 3
    assert 'aria-sort="descending"' in page and "共 " in page
    mine = liaison.get("/cases?queue=mine").text
    assert 'aria-current="page"' in mine and "未分配</span>" not in mine
    assert liaison.get("/cases?sort=password").status_code == 400


def test_notes_with_files_and_the_next_case(site: Site) -> None:
    first, second = site.case(), site.case()
    liaison = site.client("liaison")
    csrf = _csrf(liaison)
    sent = liaison.post(
        f"/cases/{first}/notes",
        data={"csrf": csrf, "text": "已向分行调取开户资料"},
        files={"file": ("开户资料.pdf", PDF, "application/pdf")},
    )
    assert sent.status_code == 303
    page = liaison.get(f"/cases/{first}").text
    assert "已向分行调取开户资料" in page and "开户资料.pdf" in page
    [note] = site.review.case_notes(site.people["auditor"], first)
    got = liaison.get(f"/cases/{first}/notes/{note.id}/file")
    assert got.content == PDF and got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"].startswith("attachment; filename*=UTF-8''")
    bad = liaison.post(
        f"/cases/{first}/notes",
        data={"csrf": csrf, "text": "x"},
        files={"file": ("run.exe", b"MZ\x90\x00", "application/octet-stream")},
    )
    assert bad.status_code == 400 and "附件类型不允许" in bad.text
    moved = liaison.get(f"/cases/{first}/next?queue=mine&sort=id")
    assert moved.status_code == 303 and moved.headers["location"] == f"/cases/{second}"
    approver = site.client("approver")
    page = approver.get(f"/cases/{first}").text
    assert 'id="assign-form"' in page
    back = approver.post(f"/cases/{first}/assign", data={"csrf": _csrf(approver), "to": ""})
    assert back.status_code == 303
    assert site.review.view_case(site.people["auditor"], first).case.assignee is None
    taken = liaison.post(f"/cases/{first}/assign", data={"csrf": csrf, "to": "liaison1"})
    assert taken.status_code == 303
    assert site.review.view_case(site.people["auditor"], first).case.assignee == "liaison1"


def test_the_admin_page_lists_branch_codes_and_sets_the_assignment_mode(site: Site) -> None:
    site.case()  # a case of B001: its branch code is one an administrator can give
    admin = site.client("admin")
    page = admin.get("/admin/users").text
    listed = page.split('id="branch-codes"')[1].split("</p>")[0]
    assert "B001" in listed and 'list="known-branches"' in page
    assert site.review.assignment_mode() == "round_robin"
    answer = admin.post(
        "/admin/settings",
        data={"csrf": _csrf(admin), "review_levels": "2", "assignment": "approver"},
    )
    assert answer.status_code == 303 and site.review.assignment_mode() == "approver"
    bad = admin.post(
        "/admin/settings",
        data={"csrf": _csrf(admin), "review_levels": "2", "assignment": "lottery"},
    )
    assert bad.status_code == 400 and site.review.assignment_mode() == "approver"
    liaison = site.client("liaison")  # only an administrator sets it
    refused = liaison.post(
        "/admin/settings",
        data={"csrf": _csrf(liaison), "review_levels": "2", "assignment": "round_robin"},
    )
    assert refused.status_code == 403 and site.review.assignment_mode() == "approver"


def test_the_dashboard_shows_a_chosen_range(site: Site) -> None:
    site.case()
    approver = site.client("approver")
    page = approver.get("/dashboard?until=2026-03-31&days=7").text
    assert "2026-03-25 至 2026-03-31，7 天" in page and "该期间无新增预警" in page
    assert "最多 0" not in page
    assert approver.get("/dashboard?until=31.03.2026").status_code == 400


def test_a_case_of_three_standards_shows_each_with_its_evidence_in_chinese(site: Site) -> None:
    import datetime as dt

    from amlwatch.cases import open_cases
    from tests.cases.factory import alert_evidence

    customer, night = "C000999", dt.date(2026, 9, 29)
    items = [
        alert_evidence("AMLW-SP-0101-20260929-00000101", customer=customer, rule="AMLW-SP-0101"),
        alert_evidence(
            "AMLW-SP-0201-20260929-00000201", customer=customer, rule="AMLW-SP-0201",
            family="pass_through", legs=4, txn_prefix="both",
        ),
        alert_evidence(
            "AMLW-SP-0602-20260929-00000602", customer=customer, rule="AMLW-SP-0602",
            family="cash", legs=2, txn_prefix="both",
        ),
    ]  # fmt: skip
    [case_id] = open_cases(site.review.store, items, night).opened
    page = site.client("liaison").get(f"/cases/{case_id}").text
    hit = page.split('id="standards-hit"')[1].split("</section>")[0]
    assert "命中的监测标准（3 项）" in hit
    rows = re.findall(r"<tr><td>(AMLW-SP-\d{4}) ", hit)
    assert rows == ["AMLW-SP-0101", "AMLW-SP-0201", "AMLW-SP-0602"]
    # each standard in Chinese: its family, its measure and its own draft sentence
    for words in (
        "快进快出、不留余额",
        "数小时内转出 4 笔",
        "现金收付 2 笔",
        "AMLW-SP-0201的交易特征",
    ):
        assert words in hit, words
    # the evidence: each transaction once, with the standards that name it
    evidence = page.split("证据交易（")[1].split("</table>")[0]
    assert evidence.startswith("7 笔")
    assert evidence.count("AMLW-SP-0201、AMLW-SP-0602") == 2  # the two shared ones
    assert evidence.count("<td>AMLW-SP-0201</td>") == 2


def test_a_family_standard_s_figures_show_no_counterparty_count_it_never_took(site: Site) -> None:
    import datetime as dt

    from amlwatch.cases import open_cases
    from tests.cases.factory import alert_evidence

    item = alert_evidence(
        "AMLW-SP-0602-20260929-00000998", customer="C000998", rule="AMLW-SP-0602", family="cash"
    )
    item.alert.update(in_parties=0, out_parties=0)  # as a family's hit stores them
    [case_id] = open_cases(site.review.store, [item], dt.date(2026, 9, 29)).opened
    page = site.client("liaison").get(f"/cases/{case_id}").text
    card = page.split("<h2>指标")[1].split("</dl>")[0]
    assert "<dt>现金收付</dt><dd>3 笔" in card and "个对手" not in card
