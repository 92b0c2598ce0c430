"""Screening cases in the review app: at the top of every page and of the case list while
any is open, the case page with the entry beside the party and the reasons in Chinese with
their codes, the four-eyes steps, numbers masked, and nothing of it for the administrator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from tests.cases.test_screening_cases import match
from tests.web.conftest import Site, build_site, csrf_of


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    built = build_site(tmp_path_factory.mktemp("screening-site"))
    yield built
    built.review.store.close()


def opened(site: Site, **changes) -> int:
    site.counter += 1
    ref = f"C9{site.counter:05d}"
    found = site.review.take_screening_matches([match(subject_ref=ref, customer_id=ref, **changes)])
    return found["opened"][0]


def test_every_page_says_open_screening_cases_first(site: Site) -> None:
    case_id = opened(site)
    liaison = site.client("liaison")
    page = liaison.get("/cases")
    assert "名单命中待处理" in page.text and 'id="screening-panel"' in page.text
    assert page.text.index("screening-panel") < page.text.index('id="search-form"')
    assert f'href="/screening/{case_id}"' in page.text
    assert "名单命中待处理" in liaison.get("/large-value").text


def test_the_case_page_shows_the_entry_beside_the_party_with_reasons_and_masks_numbers(
    site: Site,
) -> None:
    case_id = opened(site)
    page = site.client("liaison").get(f"/screening/{case_id}")
    assert page.status_code == 200
    text = page.text
    assert 'id="entry"' in text and 'id="party"' in text and "ZHANG San" in text and "张三" in text
    assert (
        "PINYIN" in text
        and "汉字与汉语拼音一致" in text
        and "DOB_MATCH" in text
        and "出生日期一致" in text
    )
    assert "110101199001011237" not in text and "6222020000001234" not in text  # masked
    assert "联合国安理会制裁名单" in text and "QDi.901" in text


def test_four_eyes_through_the_pages_and_the_freeze_shown(site: Site) -> None:
    case_id = opened(site)
    liaison, approver = site.client("liaison"), site.client("approver")
    page = liaison.get(f"/screening/{case_id}")
    token = csrf_of(page.text)
    why = "姓名拼音与出生日期一致，证件核对为同一人"
    answer = liaison.post(
        f"/screening/{case_id}/propose", data={"csrf": token, "decision": "hit", "text": why}
    )
    assert answer.status_code == 303
    page = approver.get(f"/screening/{case_id}")
    assert 'id="decide-form"' in page.text and "提议" in page.text
    answer = approver.post(
        f"/screening/{case_id}/decide", data={"csrf": csrf_of(page.text), "decision": "confirm"}
    )
    assert answer.status_code == 303
    page = approver.get(answer.headers["location"])
    assert (
        "冻结客户及其账户" in page.text
        and "已确认命中" in page.text
        and 'id="report-form"' in page.text
    )
    listing = approver.get("/screening?state=confirmed")
    assert "已冻结" in listing.text


def test_the_proposer_gets_no_decision_form(site: Site) -> None:
    case_id = opened(site)
    approver = site.client("approver")
    page = approver.get(f"/screening/{case_id}")
    why = "证件号码不同，出生日期不同，非同一人"
    form = {"csrf": csrf_of(page.text), "decision": "dismiss", "text": why}
    approver.post(f"/screening/{case_id}/propose", data=form)
    page = approver.get(f"/screening/{case_id}")
    assert 'id="decide-form"' not in page.text and "须由另一名审批人复核" in page.text
    refused = approver.post(
        f"/screening/{case_id}/decide", data={"csrf": csrf_of(page.text), "decision": "confirm"}
    )
    assert refused.status_code in (403, 409)


def test_the_administrator_and_other_branches_see_no_screening(site: Site) -> None:
    mine = opened(site)
    other = opened(site, branch_code="B777")
    admin = site.client("admin")
    assert admin.get("/screening").status_code == 403
    assert admin.get(f"/screening/{mine}").status_code == 403
    assert "名单命中待处理" not in admin.get("/admin/users").text
    liaison = site.client("liaison")
    assert liaison.get(f"/screening/{other}").status_code == 404
    assert f'/screening/{other}"' not in liaison.get("/screening").text
    assert site.client(None).get("/screening").status_code in (303, 401)


def test_a_forged_post_is_refused(site: Site) -> None:
    case_id = opened(site)
    liaison = site.client("liaison")
    answer = liaison.post(f"/screening/{case_id}/propose",
                          data={"csrf": "forged", "decision": "hit", "text": "这不是有效的请求内容"})  # fmt: skip
    assert answer.status_code in (400, 403)
    assert site.review.screening_case(site.people["liaison"], case_id).case.state == "new"


def test_a_confirmed_hit_not_reported_by_its_deadline_is_flagged_on_every_page(site: Site) -> None:
    case_id = opened(site)
    review, people = site.review, site.people
    review.propose_screening(
        people["liaison"], case_id, True, "姓名拼音与出生日期一致，核对证件为同一人"
    )
    review.decide_screening(people["approver"], case_id, True)
    real_today = review.today
    try:
        review.today = lambda: real_today() + dt.timedelta(days=10)
        page = site.client("approver").get("/screening?state=confirmed")
        assert 'id="screening-overdue"' in page.text and "名单命中报告逾期" in page.text
    finally:
        review.today = real_today
    due = review.screening_reports_due(people["approver"])
    assert case_id in [c.id for c in due] and not review.screening_reports_due(people["admin"])


def test_the_case_list_and_the_case_page_show_a_frozen_customer(site: Site) -> None:
    from sqlalchemy import text

    case_id = site.case("B001")  # an alert case of a customer, who is then found on a list

    with site.review.store.read() as con:
        customer = con.execute(
            text("SELECT customer_id FROM cases WHERE id = :i"), {"i": case_id}
        ).scalar_one()
    hit = site.review.take_screening_matches([match(subject_ref=customer, customer_id=customer)])[
        "opened"
    ][0]
    site.review.propose_screening(
        site.people["liaison"], hit, True, "姓名拼音与出生日期一致，核对证件为同一人"
    )
    site.review.decide_screening(site.people["approver"], hit, True)
    client = site.client("liaison")
    assert "已冻结" in client.get("/cases?state=all").text
    page = client.get(f"/cases/{case_id}")
    assert 'id="frozen"' in page.text and f"/screening/{hit}" in page.text


def test_the_screening_pages_read_in_chinese(site: Site) -> None:
    """No English word a liaison would have to read but the list's own data (a listed name in
    Latin letters, its reference): codes stand beside their Chinese labels."""
    import re

    from amlwatch.screening import REASONS
    from tests.web.test_liaison_walk import english_words

    case_id = opened(site)
    liaison = site.client("liaison")
    for url in ("/screening", f"/screening/{case_id}", "/cases"):
        html = liaison.get(url).text
        text = re.sub(r"<(script|style)\b.*?</\1>|<[^>]+>", " ", html, flags=re.S)
        codes = set(REASONS)  # each in the table's 代码 column, beside its label
        assert english_words(text) - {"ZHANG", "San", "QDi"} - codes == set(), url
