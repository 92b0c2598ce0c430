"""A real browser (Debian's Chromium, driven by Playwright) through the review of real
alerts: the committed sample bank goes through the nightly stages, its alerts become cases,
a liaison dismisses one and proposes another, an approver approves it, and the report files
and the audit trail show each step. Screenshots are kept in test-artifacts/browser/."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from amlwatch.cases import CaseFilter, CaseStore
from amlwatch.cases.audit import entries, verify
from amlwatch.ingest import inbox_dates
from amlwatch.models import CaseState, Role
from amlwatch.stages.cases import generate_case_report
from amlwatch.submission.validate import check
from amlwatch.warehouse import Warehouse
from amlwatch.warehouse.network import latest_network_scan, network_hits_of
from amlwatch.web import create_app
from amlwatch.wiring import review_for
from tests.pipelines.night_runner import run_night
from tests.web.conftest import own_passwords
from tests.web.server import serving

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "Browser-Pass-2026!"
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def log_in(page: Any, base: str, user: str) -> None:
    """Log in through the login page and land on the case list."""
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/cases")


@contextmanager
def lists_feed(folder: Path) -> Iterator[None]:
    """The nights in the block take their lists from `folder` (AMLWATCH_LISTS_DIR)."""
    from amlwatch.settings import get_settings

    saved = os.environ.get("AMLWATCH_LISTS_DIR")
    os.environ["AMLWATCH_LISTS_DIR"] = str(folder)
    get_settings.cache_clear()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("AMLWATCH_LISTS_DIR", None)
        else:
            os.environ["AMLWATCH_LISTS_DIR"] = saved
        get_settings.cache_clear()


def no_critical_violations(axe: Any, page: Any) -> None:
    """axe finds nothing critical on the page."""
    violations = axe.run(page).response["violations"]
    critical = [v["id"] for v in violations if v["impact"] == "critical"]
    assert not critical, critical


def _new_cases(store: CaseStore, branches: list[str]) -> int:
    with store.read() as con:
        counts = dict(
            con.execute(
                text("SELECT branch_code, count(*) FROM cases WHERE state = 'new' GROUP BY 1")
            ).all()
        )
    return sum(int(counts.get(b, 0)) for b in branches)


def _busiest_branches(store: CaseStore, enough: int = 2) -> list[str]:
    """The branches with the most new cases, enough of them for `enough` (the walk here
    needs two)."""
    with store.read() as con:
        rows = con.execute(
            text(
                "SELECT branch_code, count(*) FROM cases WHERE state = 'new' "
                "GROUP BY 1 ORDER BY 2 DESC, 1"
            )
        ).all()
    chosen, total = [], 0
    for branch, count in rows:
        chosen.append(str(branch))
        total += int(count)
        if total >= enough:
            return chosen
    raise AssertionError(f"the sample bank should give its branches {enough} new cases")


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Path, CaseStore, list[str]]]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs the browser test: Debian's chromium is missing")
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    folder = tmp_path_factory.mktemp("browser")
    inbox, db, reports = ROOT / "data_samples" / "inbox", folder / "wh.duckdb", folder / "reports"
    with lists_feed(ROOT / "data_samples" / "lists"):  # the sample bank's lists, screened nightly
        for day in inbox_dates(inbox):
            run_night(day, inbox, db, reports)
    store = CaseStore.sqlite_file(folder / "wh-cases.sqlite")
    review = review_for(store)
    admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
    branches = _busiest_branches(store)
    review.create_user(admin, "liaison1", "李联络", Role.LIAISON, PASSWORD, branches)
    review.create_user(admin, "approver1", "王审批", Role.APPROVER, PASSWORD)
    review.create_user(admin, "auditor1", "赵审计", Role.AUDITOR, PASSWORD)
    with store.read() as con:  # the liaison of the group cases' branches
        grouped = sorted(
            str(b)
            for (b,) in con.execute(
                text("SELECT DISTINCT branch_code FROM cases WHERE kind = 'group'")
            )
        )
    review.create_user(admin, "liaison9", "周联络", Role.LIAISON, PASSWORD, grouped or ["B001"])
    with store.read() as con:  # the liaison of the screening cases' branches
        screened = sorted(
            str(b) for (b,) in con.execute(text("SELECT DISTINCT branch_code FROM screening_cases"))
        )
    review.create_user(admin, "liaison8", "吴联络", Role.LIAISON, PASSWORD, screened or ["B001"])
    review.create_user(admin, "approver2", "陈审批", Role.APPROVER, PASSWORD)
    own_passwords(review)

    def structures(night: dt.date | None) -> tuple[dt.date | None, list[dict]]:
        with Warehouse.open(db, read_only=True) as wh:
            day = night or latest_network_scan(wh)
            return day, network_hits_of(wh, day) if day else []

    app = create_app(
        review, reports, lambda r, u, c: generate_case_report(r, u, c, reports),
        network_structures=structures,
    )  # fmt: skip
    with serving(app) as port:
        yield f"http://localhost:{port}", reports, store, branches
    store.close()


def test_liaison_and_approver_review_in_a_real_browser(
    served: tuple[str, Path, CaseStore, list[str]],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, reports, store, branches = served
    review = review_for(store)
    auditor = review.users(review.login("auditor1", PASSWORD)[0])  # a check of the store
    del auditor
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")

        def shot(name: str) -> None:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

        def login(user: str) -> None:
            log_in(page, base, user)

        # a liaison of the branches with most cases: filters the list, opens a case, dismisses it
        login("liaison1")
        shot("01-list")
        page.get_by_label("状态").select_option("new")
        page.get_by_label("机构").select_option(branches[0] if len(branches) == 1 else "")
        page.get_by_role("button", name="筛选").click()
        expect(page.locator("table.list tbody tr")).to_have_count(_new_cases(store, branches))
        links = page.locator("table.list tbody a")
        first, second = (
            int(href.split("/")[-1])
            for href in (links.nth(0).get_attribute("href"), links.nth(1).get_attribute("href"))
        )
        shot("02-filtered")
        links.nth(0).click()
        expect(page.locator("svg.flow")).to_be_visible()
        shot("03-case")
        page.locator("#start").click()
        page.get_by_label("排除原因").select_option("R01")
        page.get_by_label("说明", exact=True).fill(
            "经核实为客户正常经营的货款收付，有合同与发票佐证。"
        )
        page.locator("#dismiss").click()  # a dismissal gets an approver's second look
        expect(page.locator("h1 .state")).to_have_text("拟排除待复核")
        shot("04-dismissed")

        # the second case: proposed for a report with an edited narrative
        page.goto(f"{base}/cases/{second}")
        page.locator("#start").click()
        page.get_by_label("可疑交易特征描述 STCB").fill(
            "客户账户短期内分散转入、集中转出，资金快进快出。"
        )
        page.get_by_label("疑点分析 AOSP").fill(
            "交易与客户身份、经营规模不符，疑似为他人转移资金。"
        )
        page.get_by_label("按代码或名称筛选疑似涉罪类型").fill("1201")  # the list narrows to it
        expect(page.locator("fieldset.pick label:visible")).to_have_count(1)
        page.locator("input[name='crime_types[]'][value='1201']").check()
        page.get_by_label("按代码或名称筛选疑似涉罪类型").fill("")
        page.locator("input[name='crime_types[]'][value='1402']").check()
        page.locator("#propose").click()
        expect(page.locator("h1 .state")).to_have_text("已提交审批")
        shot("05-proposed")
        page.get_by_role("button", name="退出").click()

        # the approver approves: the report is generated and offered for download
        login("approver1")
        page.goto(f"{base}/cases/{first}")
        page.locator("#confirm-dismissal").click()
        expect(page.locator("h1 .state")).to_have_text("已排除")
        page.goto(f"{base}/cases/{second}")
        page.get_by_label("意见").fill("同意上报")
        page.locator("#approve").click()
        expect(page.locator("h1 .state")).to_have_text("报告已生成")
        expect(page.locator("h1 .due")).to_contain_text("报告期限")
        shot("06-approved")
        with page.expect_download() as download:
            page.locator("ul.files a", has_text=".XML").click()
        assert download.value.suggested_filename.startswith("NBSC")
        page.goto(f"{base}/dashboard")
        expect(page.locator("#effectiveness tbody tr")).not_to_have_count(0)
        shot("07-dashboard")
        page.get_by_role("button", name="退出").click()

        # the auditor sees every step and an intact chain
        login("auditor1")
        page.goto(f"{base}/audit?verify=1")
        expect(page.locator("#chain")).to_contain_text("哈希链完整")
        shot("08-audit")
        browser.close()

    folder = reports / "cases" / f"case-{second}"
    assert list((folder / "submission").glob("NBSC*.XML")) and list(folder.glob("*.xlsx"))
    assert list(folder.glob("*_transactions.csv"))
    actions = [(e.username, e.action, e.target) for e in reversed(entries(review.store, 500))]
    for step in [
        ("liaison1", "login", ""),
        ("liaison1", "case viewed", f"case:{first}"),
        ("liaison1", "dismissal proposed", f"case:{first}"),
        ("approver1", "dismissed", f"case:{first}"),
        ("liaison1", "proposed", f"case:{second}"),
        ("approver1", "approved", f"case:{second}"),
        ("approver1", "report generated", f"case:{second}"),
        ("approver1", "download", f"case:{second}/"),
    ]:
        assert any(a[:2] == step[:2] and a[2].startswith(step[2]) for a in actions), step
    assert verify(review.store).ok
    assert (
        review.list_cases(
            review.login("auditor1", PASSWORD)[0], CaseFilter(states=(CaseState.DISMISSED,))
        ).total
        == 1
    )


def test_an_approver_reads_a_structure_s_graph_on_a_laptop_screen_and_in_print(
    served: tuple[str, Path, CaseStore, list[str]],
) -> None:
    """The sample bank's nights found its planted rings: the approver opens the strongest,
    its graph fits a 1366×768 screen without scrolling sideways, and printed (Chromium's
    PDF, rendered to PNG) it keeps every customer and role."""
    from playwright.sync_api import expect, sync_playwright

    base = served[0]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page.goto(f"{base}/login")
        page.get_by_label("用户名").fill("approver1")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{base}/cases")
        page.get_by_role("link", name="资金网络").click()
        rows = page.locator("#structures tbody tr")
        expect(rows.first).to_contain_text("AMLW-NW-")
        page.screenshot(path=str(ARTIFACTS / "21-network-list.png"), full_page=True)
        rows.first.locator("a").click()
        graph = page.locator("figure.graph svg")
        expect(graph).to_be_visible()
        box = graph.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1366
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 1366, f"the page scrolls sideways: {wide} px"
        members = page.locator("#members tbody tr")
        roles = [members.nth(i).locator("td").nth(1).inner_text() for i in range(members.count())]
        assert members.count() >= 3 and any("来源" in r or "回流方" in r for r in roles)
        assert graph.locator("g.member").count() == members.count()
        ids = [members.nth(i).locator("td").nth(0).inner_text() for i in range(members.count())]
        page.screenshot(path=str(ARTIFACTS / "22-network-structure.png"), full_page=True)
        pdf = ARTIFACTS / "22-network-structure.pdf"
        page.emulate_media(media="print")
        page.pdf(path=str(pdf), format="A4")
        browser.close()
    printed = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    for customer in ids:  # every customer of the graph and the table is in the print
        assert customer in printed, customer
    assert "资金网络结构" in printed and ("来源" in printed or "回流方" in printed)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf),
                    str(ARTIFACTS / "22-network-structure-print")], check=True)  # fmt: skip
    [png] = ARTIFACTS.glob("22-network-structure-print*.png")
    assert png.stat().st_size > 10_000  # a page with the graph drawn, not a blank one


def test_a_group_case_shows_its_ring_on_a_laptop_screen_and_files_one_report_naming_all(
    served: tuple[str, Path, CaseStore, list[str]],
) -> None:
    """The sample bank's planted rings, found by the network standards in force, are group
    cases (团伙): the approver opens the largest, its graph and every member with its role
    fit a 1366×768 screen and print; reviewed with four eyes, its report's XML and signed
    form name every member."""
    from playwright.sync_api import expect, sync_playwright

    base, reports, store, _ = served
    with store.read() as con:
        found = con.execute(
            text(
                "SELECT c.id, count(m.customer_id) FROM cases c JOIN case_members m ON m.case_id = c.id "
                "WHERE c.kind = 'group' GROUP BY c.id ORDER BY 2 DESC, 1"
            )
        ).all()
    assert len(found) >= 3, "the sample bank's planted rings should be group cases"
    case_id, size = int(found[0][0]), int(found[0][1])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page.goto(f"{base}/login")
        page.get_by_label("用户名").fill("approver1")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{base}/cases")
        with store.read() as con:  # the structure's page names its case
            sid, night = con.execute(
                text("SELECT alert_id, first_scan_date FROM cases WHERE id = :i"), {"i": case_id}
            ).one()
        page.goto(f"{base}/network/{sid}?date={night}")
        expect(page.locator("#group-case")).to_have_attribute("href", f"/cases/{case_id}")
        page.goto(f"{base}/cases/{case_id}")
        graph = page.locator("#structure figure.graph svg")
        expect(graph).to_be_visible()
        box = graph.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1366
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 1366, f"the page scrolls sideways: {wide} px"
        members = page.locator("#members tbody tr")
        assert members.count() == size == graph.locator("g.member").count()
        ids = [members.nth(i).locator("td").nth(0).inner_text() for i in range(size)]
        roles = [members.nth(i).locator("td").nth(2).inner_text() for i in range(size)]
        assert any("来源" in r or "回流方" in r for r in roles), roles
        page.screenshot(path=str(ARTIFACTS / "23-group-case.png"), full_page=True)
        pdf = ARTIFACTS / "23-group-case.pdf"
        page.emulate_media(media="print")
        page.pdf(path=str(pdf), format="A4")
        browser.close()
    printed = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    for customer in ids:  # every member is in the printed page
        assert customer in printed, customer
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf),
                    str(ARTIFACTS / "23-group-case-print")], check=True)  # fmt: skip

    review = review_for(store)
    liaison = review.login("liaison9", PASSWORD)[0]
    approver = review.login("approver1", PASSWORD)[0]
    review.start_review(liaison, case_id)
    review.propose(liaison, case_id, "多名客户之间资金快速链式转移，金额基本守恒，经人工核实。",
                   "成员之间无真实交易背景，疑似利用多个账户分层转移资金。", ["1402"], "01")  # fmt: skip
    review.approve(approver, case_id)
    report = generate_case_report(review, approver, case_id, reports)
    xml = next(f for f in report.files if f.suffix == ".XML")
    data = check(xml.read_bytes(), xml.name)
    assert [s["CSNM"] for s in data["SEIFs"]] == ids  # every member a subject, in role order
    assert data["RBIF"]["SETN"] == str(size)
    form = next(f for f in report.files if f.suffix == ".pdf")
    signed = subprocess.run(["pdftotext", str(form), "-"], capture_output=True, text=True).stdout
    names = [s["SIIFs"][0]["SENM"] for s in data["SEIFs"]]
    for name in names:  # the signed form names every subject the XML does
        assert name in signed, name


def test_a_listed_customer_is_confirmed_and_frozen_in_a_real_browser(
    served: tuple[str, Path, CaseStore, list[str]],
) -> None:
    """The sample bank's listed customer (the UN list names him in pinyin with his birth
    date): at the top of the liaison's pages, the entry beside his data with the reasons, a
    proposed hit, another person's confirmation, the freeze shown at once, the report
    recorded."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect, sync_playwright

    base, _, store, _ = served
    axe = Axe()

    def accessible(page: Any) -> None:
        no_critical_violations(axe, page)

    expected = [
        json.loads(line) for line in (ROOT / "data_samples" / "lists" / "expected.jsonl").open()
    ]
    listed = next(e for e in expected if e["entry_ref"] == "QDi.901")
    with store.read() as con:
        case_id = con.execute(
            text(
                "SELECT id FROM screening_cases WHERE subject_ref = :ref AND entry_ref = 'QDi.901'"
            ),
            {"ref": listed["subject_ref"]},
        ).scalar_one()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")

        def login(user: str) -> None:
            log_in(page, base, user)

        login("liaison8")
        expect(page.locator("#screening-open")).to_contain_text("名单命中待处理")
        expect(page.locator("#screening-panel")).to_be_visible()
        page.locator("#screening-open").click()
        expect(page.locator("#screening-cases tbody tr").first).to_contain_text("疑似命中")
        accessible(page)
        page.goto(f"{base}/screening/{case_id}")
        expect(page.locator("#entry")).to_contain_text("QDi.901")
        expect(page.locator("#reasons")).to_contain_text("PINYIN")
        expect(page.locator("#reasons")).to_contain_text("出生日期一致")
        page.screenshot(path=str(ARTIFACTS / "20-screening-case.png"), full_page=True)
        accessible(page)
        page.locator("#start").click()
        page.get_by_label("确认命中（冻结并报告）").check()
        page.get_by_label("核实依据（至少 10 个字）").fill(
            "名单拼音姓名与客户姓名一致，出生日期一致，核对身份证件为同一人。"
        )
        page.locator("#propose-submit").click()
        expect(page.locator("h1 .state")).to_have_text("提议确认命中（待复核）")
        page.get_by_role("button", name="退出").click()

        login("approver1")
        page.goto(f"{base}/screening/{case_id}")
        page.locator("#confirm").click()
        expect(page.locator("h1 .state")).to_have_text("已确认命中")
        expect(page.locator("#action-1")).to_contain_text("冻结客户及其账户")
        page.get_by_label("报告对象及方式").fill("报中国人民银行、公安机关（书面）")
        page.locator("#mark-reported").click()
        expect(page.locator("#reported")).to_contain_text("已于")
        page.screenshot(path=str(ARTIFACTS / "21-screening-confirmed.png"), full_page=True)
        page.goto(f"{base}/screening?state=confirmed")
        expect(page.locator("#screening-cases")).to_contain_text("已冻结")
        browser.close()
    actions = [(e.username, e.action) for e in entries(store, 500)]
    for step in (("liaison8", "screening proposed"), ("approver1", "screening confirmed"),
                 ("approver1", "screening frozen"), ("approver1", "screening reported")):  # fmt: skip
        assert step in actions, step
    assert verify(store).ok


def test_the_sample_bank_rated_and_a_rating_review_in_a_real_browser(
    served: tuple[str, Path, CaseStore, list[str]],
) -> None:
    """Every sample customer has a level or a review; the planted risky customers land at
    their level at least; a listed customer, once the hit is confirmed, is rated 高 the next
    run and put to people; a liaison records a media report through the page, proposes a level
    with a reason, another approver confirms, and the history keeps both levels."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect, sync_playwright

    from amlwatch.rating import load_model
    from amlwatch.stages.rating import rate_night
    from amlwatch.warehouse.rating import latest_scores

    base, reports, store, _ = served
    db = reports.parent / "wh.duckdb"
    review = review_for(store)
    model = load_model()
    with Warehouse.open(db, read_only=True) as wh:
        scores = {r["customer_id"]: r for r in latest_scores(wh)}
        last_night = wh.scalar("SELECT max(scored_on) FROM rating_scores")
    in_force, open_reviews = review.rating_state()
    assert {c for c, *_ in in_force} | set(open_reviews) == set(scores), (
        "everyone rated or put to people"
    )
    truth = [json.loads(line) for line in (ROOT / "data_samples" / "ground_truth.jsonl").open()]
    planted = [t for t in truth if t.get("risk_level")]
    assert {t["kind"] for t in planted} >= {
        "rating_cash_trader",
        "rating_border_trader",
        "rating_exposed_person",
    }
    for t in planted:
        got = scores[t["customer_id"]]["level"]
        assert model.level_index(got) <= model.level_index(t["risk_level"]), (t["kind"], got)
    planted_ids = {t["customer_id"] for t in truth}
    ordinary = [r["level"] for c, r in scores.items() if c not in planted_ids]
    assert ordinary.count("14") / len(ordinary) > 0.95, "ordinary customers are mostly 低"

    # the listed customer: its hit confirmed (by the screening walk, or here), rated 高 next
    expected = [
        json.loads(line) for line in (ROOT / "data_samples" / "lists" / "expected.jsonl").open()
    ]
    listed = next(e for e in expected if e["entry_ref"] == "QDi.901")["subject_ref"]
    liaison8, approver1 = (
        review.login("liaison8", PASSWORD)[0],
        review.login("approver1", PASSWORD)[0],
    )
    with store.read() as con:
        case_id, state = con.execute(
            text(
                "SELECT id, state FROM screening_cases WHERE subject_ref = :r AND entry_ref = 'QDi.901'"
            ),
            {"r": listed},
        ).one()
    if state != "confirmed":
        review.propose_screening(liaison8, case_id, True, "拼音姓名与出生日期一致，确认为同一人")
        review.decide_screening(approver1, case_id, True)
    # a case approved for a report: the walks above's, or one approved here
    if not any(review.list_cases(approver1, CaseFilter(states=(CaseState.APPROVED,))).cases):
        liaison1 = review.login("liaison1", PASSWORD)[0]
        case = review.list_cases(liaison1, CaseFilter(states=(CaseState.NEW,))).cases[0]
        review.start_review(liaison1, case.id)
        review.propose(liaison1, case.id, "客户短期内资金分散转入集中转出，与其身份明显不符，经人工核实。",
                       "资金来源与去向不明，疑似为他人转移资金提供账户。", ["1402"], "01")  # fmt: skip
        review.approve(approver1, case.id)
    rate_night(last_night, db)
    with store.read() as con:  # the cases approved for a report (or reported)
        reported = {
            str(c)
            for (c,) in con.execute(
                text("SELECT customer_id FROM cases WHERE state IN ('approved', 'report_generated', "
                     "'submitted', 'accepted', 'correction_requested', 'rejected')")
            )
        }  # fmt: skip
    assert reported, "the walks above report a case"
    with Warehouse.open(db, read_only=True) as wh:
        assert latest_scores(wh, [listed])[0]["level"] == "10"
        assert {r["level"] for r in latest_scores(wh, sorted(reported))} == {"10"}, "reported: 高"
    listed_review = review.rating_state()[1][listed]

    axe = Axe()

    def accessible(page: Any) -> None:
        no_critical_violations(axe, page)

    other = next(
        c for c, level, *_ in in_force if level == "14" and c not in open_reviews and c != listed
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        log_in(page, base, "approver2")
        page.goto(f"{base}/rating")
        expect(page.locator("#rating-reviews")).to_contain_text(listed)
        accessible(page)
        page.goto(f"{base}/rating/{listed_review}")
        expect(page.locator("#computed-level")).to_contain_text("高（10）")
        expect(page.locator("#reasons")).to_contain_text("名单确认命中（X01）")
        expect(page.locator("#factors")).to_contain_text("现金交易占比")
        accessible(page)
        page.get_by_label("高（10）").check()
        page.get_by_label("理由（调整模型评定等级时至少 10 个字）").fill(
            "名单确认命中，已冻结，按高风险管理"
        )
        page.locator("#propose-submit").click()
        expect(page.locator("h1 .state")).to_have_text("已提议（待复核）")
        page.get_by_role("button", name="退出").click()

        log_in(page, base, "approver1")
        page.goto(f"{base}/rating/{listed_review}")
        page.locator("#confirm").click()
        expect(page.locator("h1 .state")).to_have_text("已确认")
        expect(page.locator("#history")).to_contain_text("高（10）")
        page.screenshot(path=str(ARTIFACTS / "30-rating-confirmed.png"), full_page=True)

        # an event a liaison learns of: recorded through the page, a review of its own
        page.goto(f"{base}/rating")
        page.get_by_label("客户号").fill(other)
        page.locator("select[name=event]").select_option("media")
        page.get_by_label("事件情况（至少 10 个字）").fill("地方媒体报道该客户涉嫌参与非法集资活动")
        page.locator("#request-submit").click()
        expect(page.locator("h1")).to_contain_text("评级复核")
        expect(page.locator("#about")).to_contain_text("媒体报道")
        browser.close()
    history = review.rating_history(approver1, listed)
    assert [h.level for h in history][:1] == ["10"] and len(history) >= 2, "the old level stays"
