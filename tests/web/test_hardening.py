"""The outside security review's findings in the review app, each with the request that
showed it: a case wedged by a NUL character or a failed report, and the answers to requests
out of range."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from amlwatch.cases import InvalidInput, WrongState
from amlwatch.cases.audit import entries
from amlwatch.models import CaseState
from amlwatch.stages.cases import generate_case_report
from amlwatch.web import create_app
from tests.web.conftest import PASSWORD, Site, csrf_of, login, own_passwords

NARRATIVE = {"stcb": "客户短期内多笔分散转入后集中转出", "aosp": "经核实客户无合理经营背景"}


def _propose(client: TestClient, case_id: int, **fields: str) -> int:
    csrf = csrf_of(client.get("/account").text)
    client.post(f"/cases/{case_id}/start", data={"csrf": csrf})
    form = {"csrf": csrf, **NARRATIVE, "crime_types[]": "1402", "urgency": "01", **fields}
    return client.post(f"/cases/{case_id}/propose", data=form).status_code


@pytest.mark.parametrize("bad", ["\x00", "\u202e", "\x1b[31m"])
def test_a_narrative_with_control_characters_is_refused(site: Site, bad: str) -> None:
    case_id = site.case()
    liaison = site.client("liaison")
    answer_code = _propose(liaison, case_id, aosp=f"经核实{bad}客户无合理经营背景")
    assert answer_code == 400
    assert site.review.case_state(site.people["liaison"], case_id) is CaseState.IN_REVIEW
    page = liaison.get(f"/cases/{case_id}")
    assert page.status_code == 200
    too_long = _propose(liaison, case_id, stcb="长" * 4001)
    assert too_long == 400


def test_a_report_that_cannot_be_made_stays_approved_and_held(site: Site, tmp_path: Path) -> None:
    failing = {"on": True}

    def make_report(review: object, user: object, case_id: int) -> object:
        if failing["on"]:
            raise OSError("磁盘已满 / disk full")
        return generate_case_report(site.review, user, case_id, site.folder)  # type: ignore[arg-type]

    app = create_app(site.review, site.folder, make_report)
    case_id = site.case()
    liaison = TestClient(app, base_url="https://testserver", follow_redirects=False)
    login(liaison, "liaison1")
    assert _propose(liaison, case_id) == 303
    approver = TestClient(app, base_url="https://testserver", follow_redirects=False)
    login(approver, "approver1")
    csrf = csrf_of(approver.get("/account").text)
    answer = approver.post(f"/cases/{case_id}/approve", data={"csrf": csrf, "note": "同意"})
    assert answer.status_code == 303  # the approval stands
    view = site.review.view_case(site.people["approver"], case_id)
    assert view.case.state is CaseState.APPROVED and view.case.due_date is not None
    assert [e.action for e in view.history][-2:] == ["approved", "report held"]
    page = approver.get(f"/cases/{case_id}").text
    held = page[page.index('id="report-held"') :]
    assert "待补正" in held and "disk full" in held and 'id="generate"' in page
    assert [c.id for c, why in site.review.reports_held()] == [case_id]  # the register's item
    failing["on"] = False  # the cause removed: the approver makes the report
    again = approver.post(f"/cases/{case_id}/generate", data={"csrf": csrf})
    assert again.status_code == 303, again.text
    assert site.review.case_state(site.people["approver"], case_id) is CaseState.REPORT_GENERATED
    assert site.review.reports_held() == []


HUGE = "9" * 20


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("liaison", f"/cases?page={HUGE}", 200),  # an empty page
        ("liaison", f"/cases/{HUGE}", 404),
        ("liaison", f"/cases/1?version={HUGE}", 404),
        ("auditor", f"/audit?before={HUGE}", 200),
        ("admin", f"/admin/users/{HUGE}/active", 405),
        ("liaison", "/cases?page=x", 400),
    ],
)
def test_numbers_out_of_range_are_answered_never_a_500(
    site: Site, role: str, path: str, status: int
) -> None:
    site.case()
    answer = site.client(role).get(path)
    assert answer.status_code == status, answer.text[:300]
    assert answer.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["strict-transport-security"].startswith("max-age=")  # over HTTPS


def test_an_unexpected_error_is_a_chinese_page_with_the_security_headers(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(site.review, "list_cases", broken)
    client = TestClient(
        site.app,
        base_url="https://testserver",
        raise_server_exceptions=False,
        follow_redirects=False,
    )
    login(client, "liaison1")
    answer = client.get("/cases")
    assert answer.status_code == 500 and "系统内部错误" in answer.text
    assert "database on fire" not in answer.text and "Traceback" not in answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


def test_a_link_cannot_put_words_on_the_page(site: Site) -> None:
    client = site.client("liaison")
    assert "操作已完成：已批准" in client.get("/cases?done=approve").text
    planted = client.get("/cases?done=请致电95555核实身份").text
    assert "95555" not in planted and "操作已完成" not in planted


def test_refused_requests_are_in_the_audit_log(site: Site) -> None:
    other = site.case(branch="B002")
    assert site.client("liaison").get(f"/cases/{other}").status_code == 404
    [entry, *_] = entries(site.review.store, 5, None, "request refused", "liaison1")
    assert (entry.target, entry.detail["status"]) == (f"/cases/{other}", 404)


def test_administrators_see_no_case_decisions_in_the_audit_log(site: Site) -> None:
    case_id = site.case()
    liaison = site.people["liaison"]
    site.review.start_review(liaison, case_id)
    site.review.dismiss(liaison, case_id, "R01", "经核实为正常经营收付款项，客户为代发工资单位")
    site.review.confirm_dismissal(site.people["approver"], case_id)
    admin = site.client("admin").get("/audit?action=dismissed")
    auditor = site.client("auditor").get("/audit?action=dismissed")
    assert admin.status_code == auditor.status_code == 200
    assert "代发工资单位" in auditor.text and "代发工资单位" not in admin.text
    log = site.client("auditor")
    assert "case sealed" not in log.get("/audit").text  # seals are for verify, not for reading
    assert "case sealed" in log.get("/audit?action=case sealed").text


def test_a_password_an_administrator_set_must_be_changed_first(site: Site) -> None:
    target = site.people["approver2"]
    site.review.reset_password(site.people["admin"], target.id, "Temp-Pass-2026!")
    client = TestClient(site.app, base_url="https://testserver", follow_redirects=False)
    login(client, "approver2", "Temp-Pass-2026!")
    cases = client.get("/cases")
    assert (cases.status_code, cases.headers["location"]) == (303, "/account")
    page = client.get("/account").text
    assert "管理员 admin" in page and "重置了您的密码" in page
    csrf = csrf_of(page)
    wrong = client.post(
        "/account/password", data={"csrf": csrf, "current": "nope", "password": "Own-Pass-2026!z"}
    )
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.text
    done = client.post(
        "/account/password",
        data={"csrf": csrf, "current": "Temp-Pass-2026!", "password": "Test-Pass-2026!"},
    )
    assert done.status_code == 303
    login(client, "approver2")
    assert client.get("/cases").status_code == 200


def test_snoozes_only_on_open_cases_and_only_in_the_branch_that_asked(site: Site) -> None:
    review, people = site.review, site.people
    case_id = site.case()
    review.start_review(people["liaison"], case_id)
    review.dismiss(people["liaison"], case_id, "R01", "经核实为正常经营收付款项")
    review.confirm_dismissal(people["approver"], case_id)
    with pytest.raises(WrongState):
        review.request_snooze(
            people["liaison"],
            case_id,
            review.today() + dt.timedelta(30),
            "该客户为已知的代发工资业务单位",
        )
    with pytest.raises(InvalidInput, match="不得超过"):
        review.request_snooze(
            people["liaison"], site.case(), review.today() + dt.timedelta(30), "长" * 1001
        )


def test_a_second_administrator_approves_access_in_the_app(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site.review, "access_four_eyes", True)
    site.review.bootstrap_admin("admin9", "第二管理员", PASSWORD, console_user="ops")
    own_passwords(site.review)  # admin9 changed the password the console set (its own test)
    first = site.client("admin")
    csrf = csrf_of(first.get("/admin/users").text)
    form = {"csrf": csrf, "username": "liaison9", "display_name": "新联络员", "role": "liaison"}
    made = first.post("/admin/users", data={**form, "branches": "B001", "password": PASSWORD})
    assert made.headers["location"] == "/admin/users?done=requested"
    page = first.get("/admin/users?done=requested").text
    assert "待另一名管理员批准" in page and "待其他管理员批准" in page
    [request] = site.review.pending_access(site.people["admin"])
    own = first.post(f"/admin/access/{request['id']}/approve", data={"csrf": csrf})
    assert own.status_code == 403
    second = TestClient(site.app, base_url="https://testserver", follow_redirects=False)
    login(second, "admin9")
    csrf2 = csrf_of(second.get("/admin/users").text)
    done = second.post(f"/admin/access/{request['id']}/approve", data={"csrf": csrf2})
    assert done.headers["location"] == "/admin/users?done=access-approve"
    liaison = TestClient(site.app, base_url="https://testserver", follow_redirects=False)
    login(liaison, "liaison9")
    # the password an administrator chose is changed before anything else
    first_page = liaison.get("/cases")
    assert first_page.status_code in (302, 303) and first_page.headers["location"].startswith(
        "/account"
    )


def test_an_administrator_made_in_the_app_waits_for_a_second_one(site: Site) -> None:
    first = site.client("admin")
    csrf = csrf_of(first.get("/admin/users").text)
    form = {"csrf": csrf, "username": "admin8", "display_name": "助手", "role": "admin"}
    made = first.post("/admin/users", data={**form, "password": PASSWORD})
    assert made.status_code == 303
    helper = TestClient(site.app, base_url="https://testserver", follow_redirects=False)
    page = helper.get("/login")
    answer = helper.post(
        "/login",
        data={"username": "admin8", "password": PASSWORD, "csrf": csrf_of(page.text), "next": "/"},
    )
    assert answer.status_code != 303  # inactive until a second administrator approves
    [request] = [
        r for r in site.review.pending_access(site.people["admin"]) if r["user"] == "admin8"
    ]
    own = first.post(f"/admin/access/{request['id']}/approve", data={"csrf": csrf})
    assert own.status_code == 403


def test_each_role_lands_where_it_works(site: Site) -> None:
    """An administrator's first page is the users page, not a refusal (and no refusal is
    audited for logging in); a liaison's is the case list."""
    from amlwatch.cases.audit import count_by_action

    before = count_by_action(site.review.store, ["request refused"]).get("request refused", 0)
    assert '<input type="hidden" name="next" value="/">' in site.client(None).get("/login").text
    for role, landing in (("admin", "/admin/users"), ("liaison", "/cases")):
        client = site.client(role)
        home = client.get("/")
        assert home.status_code == 303 and home.headers["location"] == landing
        assert client.get(landing).status_code == 200
    after = count_by_action(site.review.store, ["request refused"]).get("request refused", 0)
    assert after == before


@pytest.mark.parametrize(("trusted", "seen"), [("", "127.0.0.1"), ("127.0.0.1", "10.9.9.9")])
def test_forwarded_addresses_count_only_from_configured_proxies(
    tmp_path: Path, trusted: str, seen: str
) -> None:
    """As `amlwatch web` serves it: a loopback client claiming another address in
    X-Forwarded-For is throttled and audited by its own, unless it is a configured proxy."""
    import httpx

    from amlwatch.cases.audit import entries
    from amlwatch.cli.review import server_options
    from amlwatch.settings import Settings
    from tests.web.conftest import build_site
    from tests.web.server import serving

    built = build_site(tmp_path, secure_cookies=False)
    options = server_options(Settings(web_trusted_proxies=trusted))
    with (
        serving(built.app, **options) as port,
        httpx.Client(base_url=f"http://127.0.0.1:{port}") as client,
    ):
        token = csrf_of(client.get("/login").text)
        client.post(
            "/login",
            data={"username": "liaison1", "password": "wrong!", "csrf": token, "next": "/"},
            headers={"X-Forwarded-For": "10.9.9.9"},
        )
    [failed] = entries(built.review.store, action="login failed")
    assert failed.detail["client"] == seen
