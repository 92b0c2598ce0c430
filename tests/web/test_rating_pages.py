"""Rating reviews in the review app: the queue and the header's overdue count, the review page
with the factors in Chinese beside their codes, four eyes through the pages, the event form,
the inspection register as a workbook Excel opens, and nothing of it for the administrator."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

import openpyxl
import pytest

from tests.cases.test_rating_reviews import _confirm, _open
from tests.web.conftest import Site, build_site, csrf_of


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    built = build_site(tmp_path_factory.mktemp("rating-site"))
    yield built
    built.review.store.close()


def opened(site: Site, level: str = "10") -> int:
    site.counter += 1
    customer = f"C8{site.counter:05d}"
    site.review.take_ratings(dt.date(2026, 9, 1), [], [_open(customer, "B001", level)], [])
    return site.review.rating_state()[1][customer]


def test_the_queue_and_the_header_say_overdue_reviews(site: Site) -> None:
    review_id = opened(site)  # due 2026-10-21: overdue by the clock of today
    liaison = site.client("liaison")
    page = liaison.get("/rating")
    assert page.status_code == 200 and f'href="/rating/{review_id}"' in page.text
    assert "高（10）" in page.text and "新客户首次评级（new）" in page.text
    assert "评级复核逾期" in liaison.get("/cases").text
    assert site.client("admin").get("/rating").status_code == 403


def test_four_eyes_through_the_pages(site: Site) -> None:
    review_id = opened(site)
    liaison, approver, approver2 = (
        site.client("liaison"),
        site.client("approver"),
        site.client("approver2"),
    )
    page = liaison.get(f"/rating/{review_id}")
    text = page.text
    assert "现金交易占比" in text and "B01" in text and "客户特性" in text and "模型评定" in text
    url = f"/rating/{review_id}/propose"
    short = liaison.post(url, data={"csrf": csrf_of(text), "level": "12", "text": "短"})
    assert short.status_code == 400 and "理由" in short.text
    reason = "客户经营现金流正常，资料齐全，调整为中风险"
    done = liaison.post(url, data={"csrf": csrf_of(text), "level": "12", "text": reason})
    assert done.status_code == 303
    page = approver.get(f"/rating/{review_id}")
    assert 'id="decide-form"' in page.text
    assert (
        approver.post(
            f"/rating/{review_id}/decide", data={"csrf": csrf_of(page.text), "decision": "back"}
        ).status_code
        == 303
    )
    page = approver2.get(f"/rating/{review_id}")
    approver2.post(f"/rating/{review_id}/propose",
                   data={"csrf": csrf_of(page.text), "level": "10", "text": "同意模型评定"})  # fmt: skip
    own = approver2.get(f"/rating/{review_id}")
    assert 'id="decide-form"' not in own.text and "须由另一名审批人复核" in own.text
    page = approver.get(f"/rating/{review_id}")
    approver.post(
        f"/rating/{review_id}/decide", data={"csrf": csrf_of(page.text), "decision": "confirm"}
    )
    page = liaison.get(f"/rating/{review_id}")
    assert "已确认" in page.text and 'id="history"' in page.text and "高（10）" in page.text


def test_a_liaison_records_an_event_and_the_register_opens_in_excel(site: Site) -> None:
    site.review.take_ratings(dt.date(2026, 9, 1), [_confirm("C7000001", "B001")], [], [])
    liaison = site.client("liaison")
    page = liaison.get("/rating")
    event = {
        "customer_id": "C7000001",
        "event": "judicial",
        "text": "收到公安机关协查通知，涉及该客户账户",
    }
    answer = liaison.post("/rating/request", data={"csrf": csrf_of(page.text), **event})
    assert answer.status_code == 303
    page = liaison.get(answer.headers["location"])
    assert "事件触发重新评级" in page.text and "司法查询" in page.text
    assert liaison.get("/rating/register.xlsx").status_code == 403  # a liaison exports nothing
    got = site.client("approver").get("/rating/register.xlsx")
    assert got.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(got.content))
    rows = list(book["客户风险等级"].iter_rows(values_only=True))
    assert rows[0][:5] == ("客户号", "客户名称", "机构", "风险等级代码", "风险等级")
    mine = next(r for r in rows if r[0] == "C7000001")
    assert mine[3] == "14" and mine[4] == "低" and "职业" in mine[9]
    assert [r[0] for r in book["等级代码"].iter_rows(min_row=2, values_only=True)] == [
        "10",
        "12",
        "14",
    ]


def test_high_risk_customers_cases_first_and_the_level_on_the_case_page(site: Site) -> None:
    low, high = site.case(), site.case()
    low_customer, high_customer = f"C{site.counter - 1:06d}", f"C{site.counter:06d}"
    site.review.take_ratings(dt.date(2026, 9, 1), [_confirm(low_customer, "B001", "14"),
                                                    _confirm(high_customer, "B001", "10")], [], [])  # fmt: skip
    page = site.client("liaison").get("/cases?state=new")
    assert page.text.index(f'href="/cases/{high}"') < page.text.index(f'href="/cases/{low}"')
    assert "高风险（10）" in page.text and "低风险（14）" in page.text
    shown = site.client("liaison").get(f"/cases/{high}").text
    assert (
        'id="risk-level"' in shown
        and "高（10）" in shown
        and "职业（GB/T 6565）或行业（GB/T 4754）（I01）" in shown
    )
