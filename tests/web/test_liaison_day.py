"""The review app as a liaison spends the day in it: the list opens on what is still to do,
a case's history reads in Chinese with people by name and times in Beijing time."""

from __future__ import annotations

import re

from amlwatch.labels import name_of
from tests.web.conftest import Site

DISMISSAL_TEXT = "经核实为正常经营收付款项"


def _listed(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/cases/(\d+)"', html)}


def test_the_list_opens_on_open_cases_and_all_shows_the_rest(site: Site) -> None:
    liaison, review = site.people["liaison"], site.review
    open_case, decided = site.case(), site.case()
    review.start_review(liaison, decided)
    review.dismiss(liaison, decided, "R01", DISMISSAL_TEXT)
    if str(review.case_state(liaison, decided)) == "dismissal_proposed":
        review.confirm_dismissal(site.people["approver"], decided)
    client = site.client("liaison")
    default = _listed(client.get("/cases").text)
    assert open_case in default and decided not in default
    assert {open_case, decided} <= _listed(client.get("/cases?state=all").text)


def test_a_cases_history_reads_in_chinese_with_people_by_name(site: Site) -> None:
    case_id = site.case()
    site.review.start_review(site.people["liaison"], case_id)
    page = site.client("liaison").get(f"/cases/{case_id}").text
    history = page[page.index("处理记录") :]
    assert "开始审查" in history and "review started" not in history
    assert "LIAISON1（liaison1）" in history  # the name the administrator gave, login beside
    assert "新预警 → 审查中" in history and "in_review" not in history
    assert "北京时间" in page


def test_the_dashboard_charts_where_the_cases_are(site: Site) -> None:
    """Cases of another month (the fixture's are of 2026-09-29): the chart shows their days,
    never thirty empty ones under a maximum."""
    site.case()
    page = site.client("approver").get("/dashboard").text
    bars = dict(re.findall(r"<title>(\d{4}-\d\d-\d\d)：(\d+) 条</title>", page))
    assert int(bars["2026-09-29"]) >= 1 and "该期间无新增预警" not in page


def test_an_empty_chart_says_so() -> None:
    import datetime as dt

    from amlwatch.web.svg import bars_by_day

    empty = bars_by_day([(dt.date(2026, 12, 1) + dt.timedelta(days=i), 0) for i in range(30)])
    assert "该期间无新增预警" in empty
    assert "预警数（条/日）" in empty  # the value axis says what it counts


def test_the_charts_have_a_value_axis_and_name_their_standards(site: Site) -> None:
    site.case()
    page = site.client("approver").get("/dashboard").text
    assert "预警数（条/日）" in page and 'text-anchor="end">0</text>' in page
    per_rule = page[page.index('aria-label="按监测标准的预警数"') :]
    names = re.findall(r'<text x="0" y="\d+" font-size="13">([^<]+)</text>', per_rule)
    assert names and all(" " in n and not n.endswith(" ") for n in names)  # code and name


def test_large_value_amounts_read_as_money(site: Site) -> None:
    import csv
    import datetime as dt

    day = dt.date(2026, 10, 9)
    folder = site.folder / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"large_value_report_{day:%Y%m%d}.csv").open(
        "w", encoding="utf-8-sig", newline=""
    ) as handle:
        out = csv.writer(handle)
        out.writerow(
            ["客户号", "大额交易特征代码", "交易金额", "交易金额（折人民币）", "金融机构网点代码"]
        )
        out.writerow(["CSNM", "CRCD", "CRAT", "CRMB", "FINC"])
        out.writerow(["C1", "0501", "22545.000", "1234567.5", "B001"])
    page = site.client("approver").get(f"/large-value/{day}").text
    assert "22,545.00" in page and "1,234,567.50" in page and "22545.000" not in page
    assert f"0501 {name_of('characteristic', '0501')}" in page  # a code with its label


def test_a_refused_proposal_comes_back_on_the_case_page_with_the_text_kept(site: Site) -> None:
    from amlwatch.models import DRAFT_MARKERS
    from tests.web.conftest import csrf_of

    case_id = site.case()
    site.review.start_review(site.people["liaison"], case_id)
    client = site.client("liaison")
    csrf = csrf_of(client.get(f"/cases/{case_id}").text)
    typed = "客户于十日内收到二十三名个人转入，随即转至同一公司账户，" + DRAFT_MARKERS[0]
    answer = client.post(
        f"/cases/{case_id}/propose",
        data={
            "csrf": csrf,
            "stcb": typed,
            "aosp": "人工分析：资金快进快出，与其职业不符。",
            "crime_types[]": ["1402"],
            "urgency": "01",
            "direction": "01",
        },
    )
    assert answer.status_code == 400
    page = answer.text
    assert 'id="refused"' in page and "可疑交易特征描述（STCB）" in page  # the field named
    assert typed in page and "人工分析：资金快进快出" in page  # nothing typed is lost
    assert 'value="1402" checked' in page and "返回首页" not in page


def test_the_list_works_a_batch_and_says_what_each_refused_case_said(site: Site) -> None:
    from tests.web.conftest import csrf_of

    ids = [site.case() for _ in range(2)]
    other = site.case("B002")
    client = site.client("liaison")
    page = client.get("/cases?state=all").text
    assert 'id="bulk-claim"' in page and 'id="bulk-dismiss"' in page and "j / k" in page
    reason = site.review.dismissal_reasons()[0][0]
    answer = client.post(
        "/cases/bulk",
        data={
            "csrf": csrf_of(page),
            "action": "dismiss",
            "ids[]": [*map(str, ids), str(other)],
            "reason": reason,
            "text": "客户为批发商，资金往来与经营相符。",
            "back": "state=all",
        },
    )
    assert answer.status_code == 200
    result = answer.text[answer.text.index('id="batch-result"') :]
    assert "已完成 2 件" in result and f"#{other}" in result  # another branch's: refused
    for case_id in ids:
        case = site.review.view_case(site.people["liaison"], case_id).case
        assert case.state.value == "dismissal_proposed"
    approver = site.client("approver").get("/cases").text
    assert 'id="bulk-assign"' in approver and 'id="bulk-dismiss"' not in approver
