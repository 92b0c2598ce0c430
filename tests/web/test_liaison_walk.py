"""A liaison's day in a real browser (Debian's Chromium, Playwright) at 1366×768 and
1920×1080, over the sample bank's real alerts: search by ID number, open a case from
我的待办, add a note with an attachment, look at the related cases, dismiss, 下一条, export
the list. Every page of the walk is checked for English words outside codes, URLs and
proper names, for codes shown without their label (未收录代码), and by axe-core for
critical accessibility issues. Screenshots go to test-artifacts/browser/walk-<size>/."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from amlwatch.cases import CaseFilter, CaseStore
from amlwatch.cases.audit import entries
from amlwatch.cases.snapshot import decode
from amlwatch.cases.usecases import OPEN_STATES
from amlwatch.ingest import inbox_dates
from amlwatch.models import Role
from amlwatch.stages.cases import generate_case_report
from amlwatch.web import create_app
from amlwatch.wiring import review_for
from tests.pipelines.night_runner import run_night
from tests.web.conftest import own_passwords
from tests.web.server import serving
from tests.web.test_browser import CHROMIUM, FLAGS, _busiest_branches

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
PASSWORD = "Walk-Pass-2026!"
SIZES = [(1366, 768), (1920, 1080)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# English a liaison may meet: the product's name, file formats, the spec's field tags and
# abbreviations, the time zone (words of a code, a URL or a proper name)
ALLOWED = {
    "amlwatch", "xml", "zip", "csv", "xlsx", "pdf", "word", "excel", "png", "jpeg", "tiff",
    "mp4", "sha", "kb", "mb", "stcb", "aosp", "dorp", "utc", "asia", "shanghai", "pos", "atm",
    "id",
    "individual", "entity",  # the data contract's customer types, shown beside 个人 / 单位
    # foreign counterparties' names in the sample's data (synth.population), shown as they are
    "global", "pacific", "harbour", "northern", "atlas", "trading", "holdings", "logistics",
    "partners", "ltd", "gulf", "eastern", "delta", "general", "co",
}  # fmt: skip
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


def english_words(text: str) -> set[str]:
    """Words of Latin letters that are neither codes (letters with digits: B001, C000123,
    NBSC…) nor URLs nor an allowed name."""
    text = re.sub(r"https?://\S+|/[\w/.-]+", " ", text)
    found = set()
    for token in re.findall(r"[\w'-]+", text):
        if any(c.isdigit() for c in token) or not _WORD.fullmatch(token):
            continue
        if token.isupper() and len(token) <= 4:
            continue  # a code of the spec's tables (CHN, USD, CRCD) — the page labels it
        if token.lower() not in ALLOWED:
            found.add(token)
    return found


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, CaseStore, list[str]]]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs the browser test: Debian's chromium is missing")
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    folder = tmp_path_factory.mktemp("walk")
    inbox, db, reports = ROOT / "data_samples" / "inbox", folder / "wh.duckdb", folder / "reports"
    for day in inbox_dates(inbox):
        run_night(day, inbox, db, reports)
    store = CaseStore.sqlite_file(folder / "wh-cases.sqlite")
    review = review_for(store)
    admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
    # each size dismisses one case and opens the next: four new cases between them
    branches = _busiest_branches(store, enough=2 * len(SIZES))
    liaison = review.create_user(admin, "liaison1", "李联络", Role.LIAISON, PASSWORD, branches)
    approver = review.create_user(admin, "approver1", "王审批", Role.APPROVER, PASSWORD)
    own_passwords(review)
    del liaison
    # the approver gives the open cases of those branches to the liaison (the nights ran
    # before the liaison existed, so the rule found nobody)
    for case in review.list_cases(approver, CaseFilter(states=OPEN_STATES), 1000).cases:
        if case.branch_code in branches:
            review.assign_case(approver, case.id, "liaison1")
    app = create_app(review, reports, lambda r, u, c: generate_case_report(r, u, c, reports))
    with serving(app) as port:
        yield f"http://localhost:{port}", store, branches
    store.close()


def _subject_id(store: CaseStore, case_id: int) -> str:
    review = review_for(store)
    with review.store.read() as con:
        from amlwatch.cases import repository as repo

        case = repo.case_by_id(con, case_id)
        assert case is not None
        _, content = repo.snapshot(con, case_id, case.snapshot_version)  # type: ignore[misc]
    return str(decode(content)["subjects"][0]["id_number"])


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_a_liaison_works_the_queue(
    walked: tuple[str, CaseStore, list[str]], width: int, height: int
) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect, sync_playwright

    base, store, _ = walked
    shots = ARTIFACTS / f"walk-{width}x{height}"
    shots.mkdir(parents=True, exist_ok=True)
    axe, problems = Axe(), []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="zh-CN", accept_downloads=True
        )
        page = context.new_page()
        step = iter(range(1, 100))

        def check(name: str) -> None:
            """Screenshot, words, labels and axe on the page as it is now."""
            page.screenshot(path=str(shots / f"{next(step):02d}-{name}.png"), full_page=True)
            text = page.locator("body").inner_text()
            words = english_words(text)
            if words:
                problems.append(f"{name}: English words {sorted(words)}")
            if "未收录代码" in text:
                problems.append(f"{name}: a code shown without its label")
            for raw in ("in_review", "dismissal_proposed", "report_generated", "None"):
                if raw in text:
                    problems.append(f"{name}: raw value {raw}")
            critical = [
                f"{v['id']}: {v['help']}"
                for v in axe.run(page).response["violations"]
                if v["impact"] == "critical"
            ]
            if critical:
                problems.append(f"{name}: axe {critical}")

        page.goto(f"{base}/login")
        check("login")
        page.get_by_label("用户名").fill("liaison1")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{base}/cases")
        check("list")

        # 我的待办: the queue of cases given to this liaison, deadline first
        page.locator("#my-queue").click()
        expect(page.locator("#queue-mine")).to_have_attribute("aria-current", "page")
        rows = page.locator("table.list tbody tr")
        expect(rows.first.locator("a").first).to_be_visible()
        check("my-queue")
        first_link = rows.nth(0).locator("a").first.get_attribute("href") or ""
        case_id = int(first_link.rsplit("/", 1)[-1])

        # from the keyboard: j moves to the first row, x ticks it, Enter opens its case
        page.keyboard.press("j")
        expect(rows.nth(0)).to_have_class(re.compile(r"\bcurrent\b"))
        page.keyboard.press("x")
        expect(rows.nth(0).locator("input[type=checkbox]")).to_be_checked()
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/cases/{case_id}")
        page.go_back()

        # search by the subject's ID number from the header box: posted, never in a URL
        number = _subject_id(store, case_id)
        header = page.locator("form.quick-search")
        header.get_by_label("查询类别").select_option("id")
        header.get_by_label("查询内容").fill(number)
        header.get_by_role("button", name="查询").click()
        expect(page.locator("#search-note")).to_be_visible()
        assert number not in page.url and number not in page.locator("#search-note").inner_text()
        expect(page.locator(f"table.list a[href='/cases/{case_id}']")).to_be_visible()
        check("search")

        # open it from 我的待办
        page.locator("#my-queue").click()
        page.locator(f"table.list a[href='/cases/{case_id}']").click()
        expect(page.locator("#assignee")).to_contain_text("李联络")
        expect(page.locator("#timeline svg")).to_be_visible()
        check("case")

        # a note with an attachment
        form = page.locator("#note-form")
        form.get_by_label("新增记录").fill("已致电客户经理，客户称为货款往来，待补充合同。")
        form.locator("input[type=file]").set_input_files(
            {"name": "客户经理回复.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        form.get_by_label("随可疑交易报告报送", exact=False).check()
        form.get_by_role("button", name="保存记录").click()
        expect(page.locator("#notes")).to_contain_text("客户经理回复.pdf")
        expect(page.locator("#notes .for-report")).to_contain_text("附件包")
        with page.expect_download() as got:
            page.locator("#notes a", has_text="客户经理回复.pdf").click()
        assert Path(got.value.path()).read_bytes() == PDF
        check("note")

        # the related cases and the customer's picture
        expect(page.locator("#related h2")).to_contain_text("关联案件")
        page.locator("#related").scroll_into_view_if_needed()
        check("related")

        # dismiss, then 下一条
        page.locator("#start").click()
        page.get_by_label("排除原因").select_option("R01")
        page.get_by_label("说明", exact=True).fill(
            "经核实为客户正常经营的货款收付，有合同与发票佐证。"
        )
        page.locator("#dismiss").click()
        expect(page.locator("h1 .state")).to_have_text("拟排除待复核")
        check("dismissed")
        page.locator("#next").click()
        page.wait_for_url(re.compile(r"/cases/\d+$"))
        assert not page.url.endswith(f"/cases/{case_id}")
        check("next")

        # export the list
        page.goto(f"{base}/cases?queue=mine")
        with page.expect_download() as got:
            page.locator("#export").click()
        book = openpyxl.load_workbook(io.BytesIO(Path(got.value.path()).read_bytes()))
        assert book.active.cell(2, 1).value == "案件编号" and book.active.max_row >= 3
        check("export")
        browser.close()
    assert problems == [], "\n".join(problems)
    searches = entries(store, action="case search")
    assert searches and all(number not in str(e.detail) for e in searches)


# the pages outside the liaison's walk, by who opens them
OTHER_PAGES = {
    "approver1": [
        "/dashboard",
        "/large-value",
        "/snoozes",
        "/submissions",
        "/standards",
        "/account",
    ],
    "admin": ["/admin/users", "/audit"],
}


def test_every_other_page_has_no_critical_accessibility_issue(
    walked: tuple[str, CaseStore, list[str]],
) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    base, _, _ = walked
    axe, problems = Axe(), []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for username, paths in OTHER_PAGES.items():
            page = browser.new_context(locale="zh-CN").new_page()
            page.goto(f"{base}/login")
            page.get_by_label("用户名").fill(username)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_load_state()
            days = []
            for path in paths:
                page.goto(f"{base}{path}")
                if path == "/large-value":  # and the newest day's report
                    days = [a.get_attribute("href") for a in page.locator("main a").all()]
                for target in [path, *[d for d in days[:1] if d and d.startswith("/large-value/")]]:
                    if target != path:
                        page.goto(f"{base}{target}")
                    assert page.locator("body").inner_text(), target
                    shot = target.strip("/").replace("/", "-") or "home"
                    ARTIFACTS.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(ARTIFACTS / f"page-{shot}.png"), full_page=True)
                    critical = [
                        f"{v['id']}: {v['help']}"
                        for v in axe.run(page).response["violations"]
                        if v["impact"] == "critical"
                    ]
                    if critical:
                        problems.append(f"{username} {target}: axe {critical}")
                days = []
        browser.close()
    assert problems == [], "\n".join(problems)
