"""The access matrix: every role × every endpoint × own / other branch, through HTTP.

Each cell gets fresh cases brought to the state the endpoint acts on, so a refusal is a
refusal of access, not of state; acting in the wrong state is checked on its own."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import openpyxl
import pytest

from amlwatch.models import CaseState
from tests.web.conftest import FULL_ACCOUNT, FULL_ID, LV_DAY, PASSWORD, Site, csrf_of

LIAISON, APPROVER, ADMIN, AUDITOR = "liaison", "approver", "admin", "auditor"
READERS = {LIAISON, APPROVER, AUDITOR}
DISMISSAL_TEXT = "经核实为正常经营收付款项"
SOON = (dt.date.today() + dt.timedelta(days=30)).isoformat()


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {case} is filled in
    allowed: set[str]
    on_case: bool = False
    prepare: tuple[str, ...] = ()  # steps bringing the case to the state it acts on
    form: dict[str, object] = field(default_factory=dict)
    answers: int | None = None  # when allowed (default: 200 for GET, 303 for POST)
    scoped: bool = True  # another branch's case is a 404 for a liaison
    # a liaison may take (claim) a case of their branch: another branch's is no case at all
    liaison_other: int | None = None


ENDPOINTS = [
    Endpoint("GET", "/cases", READERS),
    Endpoint("GET", "/cases/{case}", READERS, on_case=True),
    Endpoint("POST", "/cases/{case}/start", {LIAISON}, on_case=True),
    Endpoint(
        "POST",
        "/cases/{case}/dismiss",
        {LIAISON},
        True,
        ("start",),
        {"reason": "R01", "text": "经核实为正常经营收付款项"},
    ),
    Endpoint("POST", "/cases/{case}/confirm-dismissal", {APPROVER}, True, ("start", "dismiss")),
    Endpoint(
        "POST",
        "/cases/{case}/propose",
        {LIAISON},
        True,
        ("start",),
        {"stcb": "描述", "aosp": "分析", "crime_types[]": ["1402"], "urgency": "01"},
    ),
    Endpoint(
        "POST",
        "/cases/{case}/snooze",
        {LIAISON},
        True,
        (),
        {"until": SOON, "reason": "该客户为已知的代发工资业务单位"},
    ),
    Endpoint("POST", "/cases/{case}/approve", {APPROVER}, True, ("start", "propose")),
    Endpoint(
        "POST",
        "/cases/{case}/send-back",
        {APPROVER},
        True,
        ("start", "propose"),
        {"reason": "请补充资金来源的核实情况"},
    ),
    Endpoint("POST", "/cases/{case}/generate", {APPROVER}, True, ("start", "propose", "approve")),
    Endpoint(
        "POST",
        "/cases/{case}/submitted",
        {APPROVER},
        True,
        ("start", "propose", "approve", "generate"),
    ),
    Endpoint(
        "GET",
        "/cases/{case}/files/{file}",
        READERS,
        True,
        ("start", "propose", "approve", "generate"),
    ),
    Endpoint("GET", "/cases?queue=mine&sort=customer&desc=1", READERS),
    Endpoint("GET", "/cases/export.xlsx?queue=none", READERS),
    Endpoint("POST", "/cases/search", READERS, form={"kind": "id", "q": FULL_ID}, answers=200),
    Endpoint(
        "POST",
        "/cases/search",
        READERS,
        form={"kind": "account", "q": FULL_ACCOUNT, "export": "xlsx"},
        answers=200,
    ),
    Endpoint("POST", "/cases/{case}/assign", {APPROVER}, True, form={"to": ""}, liaison_other=404),
    Endpoint("POST", "/cases/{case}/notes", {LIAISON, APPROVER}, True, form={"text": "电话核实"}),
    Endpoint("GET", "/cases/{case}/notes/{note}/file", READERS, True, ("note",)),
    Endpoint("GET", "/cases/{case}/next", READERS, True, answers=303, scoped=False),
    Endpoint("GET", f"/large-value/{LV_DAY}", READERS),
    Endpoint("GET", f"/large-value/{LV_DAY}?download=csv", READERS),
    Endpoint("GET", "/large-value", READERS),
    Endpoint("GET", "/dashboard", READERS),
    Endpoint("GET", "/snoozes", READERS),
    Endpoint("GET", "/standards", READERS),
    Endpoint("GET", "/audit", {AUDITOR, ADMIN}),
    # a case decided: its audit entries are the auditor's to read, never the administrator's
    Endpoint("GET", "/audit", {AUDITOR, ADMIN}, True, ("start", "dismiss")),
    Endpoint("GET", "/admin/users", {ADMIN, AUDITOR}),
    Endpoint(
        "POST",
        "/admin/users",
        {ADMIN},
        form={
            "username": "newuser{n}",
            "display_name": "新人",
            "role": "liaison",
            "password": PASSWORD,
            "branches": "B003",
        },
    ),
    Endpoint("POST", "/admin/reasons", {ADMIN}, form={"code": "R77", "label": "测试原因"}),
    Endpoint("POST", "/admin/settings", {ADMIN}, form={"review_levels": "2"}),
    Endpoint("GET", "/account", READERS | {ADMIN}),
]


def steps(site: Site) -> dict[str, Callable[[int], object]]:
    r, p = site.review, site.people
    return {
        "start": lambda c: r.start_review(p[LIAISON] if _own(site, c) else _other(site), c),
        "propose": lambda c: r.propose(
            p[LIAISON] if _own(site, c) else _other(site), c, "描述", "分析", ["1402"], "01"
        ),
        "approve": lambda c: r.approve(p["approver2"], c),
        "dismiss": lambda c: r.dismiss(
            p[LIAISON] if _own(site, c) else _other(site), c, "R01", DISMISSAL_TEXT
        ),
        "generate": lambda c: _generate(site, c),
        "note": lambda c: r.add_note(
            p[LIAISON] if _own(site, c) else _other(site),
            c,
            "回函",
            ("回函.txt", "已核实".encode()),
        ),
    }


def _own(site: Site, case_id: int) -> bool:
    return site.review.view_case(site.people[AUDITOR], case_id).case.branch_code == "B001"


def _other(site: Site):  # a liaison of B002, made once
    if "liaison_b2" not in site.people:
        from amlwatch.models import Role

        site.people["liaison_b2"] = site.review.create_user(
            site.people[ADMIN], "liaison_b2", "LB2", Role.LIAISON, PASSWORD, ["B002"]
        )
    return site.people["liaison_b2"]


def _generate(site: Site, case_id: int) -> object:
    from amlwatch.stages.cases import generate_case_report

    return generate_case_report(site.review, site.people["approver2"], case_id, site.folder)


CELLS = [
    (role, endpoint, branch)
    for endpoint in ENDPOINTS
    for role in (None, LIAISON, APPROVER, ADMIN, AUDITOR)
    for branch in (("own", "other") if endpoint.on_case else ("-",))
]
counter = iter(range(10**6))


@pytest.mark.parametrize(
    ("role", "endpoint", "branch"),
    CELLS,
    ids=[f"{r or 'anonymous'}-{e.method}-{e.path}-{b}" for r, e, b in CELLS],
)
def test_access(site: Site, role: str | None, endpoint: Endpoint, branch: str) -> None:
    path = endpoint.path
    if endpoint.on_case:
        case_id = site.case("B001" if branch == "own" else "B002")
        for step in endpoint.prepare:
            steps(site)[step](case_id)
        path = path.replace("{case}", str(case_id))
        if "{note}" in path:
            [note] = site.review.case_notes(site.people[AUDITOR], case_id)
            path = path.replace("{note}", str(note.id))
        if "{file}" in path:
            xml = next(
                p.name
                for p in (site.folder / "cases" / f"case-{case_id}" / "submission").glob("*.XML")
            )
            path = path.replace("{file}", xml)
    client = site.client(role)
    if endpoint.method == "GET":
        answer = client.get(path)
    else:
        csrf = csrf_of(client.get("/account").text) if role else "x"
        form = {
            k: (v.format(n=next(counter)) if isinstance(v, str) else v)
            for k, v in endpoint.form.items()
        }
        answer = client.post(path, data={**form, "csrf": csrf})
    if role is None:
        expected = 303 if endpoint.method == "GET" else 401
        assert answer.status_code == expected
        if expected == 303:
            assert answer.headers["location"].startswith("/login")
        return
    if role == LIAISON and branch == "other" and endpoint.liaison_other:
        expected = endpoint.liaison_other
    elif role not in endpoint.allowed:
        expected = 403
    elif endpoint.on_case and role == LIAISON and branch == "other" and endpoint.scoped:
        expected = 404  # another branch's case: refused without saying it exists
    else:
        expected = endpoint.answers or (200 if endpoint.method == "GET" else 303)
    assert answer.status_code == expected, answer.text[:500]
    if expected == 200 and role == ADMIN:  # administrators see no case content anywhere
        assert "case:" not in answer.text and DISMISSAL_TEXT not in answer.text
    if expected == 200 and role == AUDITOR and endpoint.prepare == ("start", "dismiss"):
        assert DISMISSAL_TEXT in answer.text
    if expected == 200:
        # no full ID or account number in any link of any page
        for link in re.findall(r'(?:href|action)="([^"]+)"', answer.text):
            assert FULL_ID not in link and FULL_ACCOUNT not in link


def test_acting_in_the_wrong_state_is_a_conflict(site: Site) -> None:
    case_id = site.case()
    approver = site.client(APPROVER)
    csrf = csrf_of(approver.get("/account").text)
    answer = approver.post(f"/cases/{case_id}/approve", data={"csrf": csrf})
    assert answer.status_code == 409 and "不允许此操作" in answer.text
    assert site.review.view_case(site.people[AUDITOR], case_id).case.state is CaseState.NEW


def test_a_form_without_the_session_csrf_token_is_refused(site: Site) -> None:
    case_id = site.case()
    liaison = site.client(LIAISON)
    for token in ("", "forged-token"):
        answer = liaison.post(f"/cases/{case_id}/start", data={"csrf": token})
        assert answer.status_code == 403
    assert site.review.view_case(site.people[AUDITOR], case_id).case.state is CaseState.NEW


def test_cookies_headers_and_masking(site: Site) -> None:
    client = site.client(None)
    page = client.get("/login")
    csrf = csrf_of(page.text)
    answer = client.post(
        "/login",
        data={
            "username": "liaison1",
            "password": PASSWORD,
            "csrf": csrf,
            "next": "//evil.example/",
        },
    )
    assert answer.headers["location"] == "/cases"  # no open redirect
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=strict" in cookie
    listing = client.get("/cases")
    assert "default-src 'self'" in listing.headers["content-security-policy"]
    assert listing.headers["cache-control"] == "no-store"
    case_id = site.case()
    client.get("/cases")  # the list masks, the case page shows in full
    assert FULL_ID not in client.get("/cases").text
    assert FULL_ID in client.get(f"/cases/{case_id}").text
    report = client.get(f"/large-value/{LV_DAY}").text
    assert (
        FULL_ID not in report and FULL_ACCOUNT not in report and "110101198001010011" not in report
    )
    # a liaison's download holds only their branches' rows
    download = client.get(f"/large-value/{LV_DAY}?download=csv").text
    assert FULL_ID in download and "110101198001010011" not in download
    # … and so does their xlsx, built from those rows (not the whole bank's workbook)
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/large-value/{LV_DAY}?download=xlsx").content)
    )
    cells = {str(c.value) for row in book.active.iter_rows() for c in row}
    assert FULL_ID in cells and "110101198001010011" not in cells and "乙" not in cells
    every = client.get(f"/large-value/{LV_DAY}?col=all").text  # every column, still masked
    assert "甲" in every and FULL_ID not in every and "乙" not in every
