"""What a liaison signs is what is filed: the printed forms (PDF, xlsx) of approved cases and
of a night's large-value report, read back field by field against their XML, and printed —
PDFs rendered to PNG pages (kept in test-artifacts/forms/) with their page counts, the
xlsx page setup as openpyxl reads it."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from amlwatch import wiring
from amlwatch.cases import CaseStore, Review, open_cases
from amlwatch.cases.exceptions import InvalidInput
from amlwatch.cases.repository import CaseFilter
from amlwatch.ingest import inbox_dates
from amlwatch.labels import name_of
from amlwatch.models import Role, User
from amlwatch.stages.cases import generate_case_report, open_cases_of_run
from amlwatch.stages.filings import write_large_value_submission
from amlwatch.stages.ingest import ingest_day
from amlwatch.stages.large_value import scan_large_value_day
from amlwatch.stages.patterns import scan_patterns_day
from amlwatch.submission.dictionary import FIELDS, NA
from amlwatch.submission.printed_forms import CODE_KINDS
from amlwatch.submission.validate import check
from amlwatch.warehouse import Warehouse
from amlwatch.wiring import case_store, review_for
from tests.cases.factory import alert_evidence

ROOT = Path(__file__).parents[2]
SAMPLE = ROOT / "data_samples" / "inbox"
ARTIFACTS = ROOT / "test-artifacts" / "forms"
PASSWORD = "Test-Pass-2026!"

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext, pdftoppm) not installed"
)
pytestmark = [needs_poppler, pytest.mark.integration]


# --- reading the files back ---------------------------------------------------------------


def pdf_text(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    """The PDF's text in content order (-raw), whitespace removed (wrapping breaks lines)."""
    pages = ["-f", str(first), "-l", str(last)] if first else []
    out = subprocess.run(
        ["pdftotext", "-raw", *pages, str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return re.sub(r"\s+", "", out)


def pages_of(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    return int(re.search(r"Pages:\s+(\d+)", info.stdout)[1])  # type: ignore[index]


def render_pages(pdf: Path, name: str) -> list[Path]:
    """Render every page to PNG (kept as test artifacts); the PNG files."""
    folder = ARTIFACTS / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(folder / "page")], check=True)
    return sorted(folder.glob("page*.png"))


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[16:24]
    return int.from_bytes(header[:4], "big"), int.from_bytes(header[4:], "big")


def shown(tag: str, value: str) -> str:
    """How the form must print a field's XML value (independently of the form's builder:
    the data dictionary's kind, the label tables)."""
    kind = FIELDS[tag].kind
    if kind == "amount":
        number = Decimal(value)
        places = 2 if number == number.quantize(Decimal("0.01")) else 3
        return f"{number:,.{places}f}"
    if kind == "datetime":
        clock = value[8:]
        day = f"{value[:4]}-{value[4:6]}-{value[6:8]}"
        return (
            f"{day} 时间不详"
            if clock == "tttttt"
            else f"{day} {clock[:2]}:{clock[2:4]}:{clock[4:]}"
        )
    if kind == "date":
        return f"{value[:4]}-{value[4:6]}-{value[6:8]}"
    if tag in CODE_KINDS:
        return f"{value} {name_of(CODE_KINDS[tag], value) or '（未收录代码）'}"
    return value


def leaves(group: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(tag, value) of a group's own fields, lists as their leaves' tags."""
    for key, value in group.items():
        if isinstance(value, dict):
            yield from leaves(value)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                yield from leaves(item)
        elif isinstance(value, list):
            tag = "CTAR" if key == "CATRs" else key[:-1]
            for item in value:
                yield tag, str(item)
        else:
            yield key, str(value)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_pdf_shows(pdf_flat: str, data: dict[str, Any]) -> None:
    """Every field of the BSTR in the PDF: report basics and subjects as "TAG value", each
    transaction's fields in that transaction's row; no @N printed."""
    assert NA not in pdf_flat.replace("替代符@N", ""), "@N is printed blank"
    rbif = data["RBIF"]
    for tag, value in leaves(rbif):
        if value == NA:
            continue
        if tag in ("TOSC", "STCR"):
            assert squeeze(shown(tag, value)) in pdf_flat or value in pdf_flat, (tag, value)
            continue
        assert squeeze(tag + shown(tag, value)) in pdf_flat, (tag, value)
    for seif in data["SEIFs"]:
        for tag, value in leaves(seif):
            if value != NA:
                assert squeeze(tag + shown(tag, value)) in pdf_flat, (tag, value)
    starts = [pdf_flat.index("TICD" + squeeze(t["TSIF"]["TICD"])) for t in data["STIFs"]]
    assert starts == sorted(starts), "transactions printed in the XML's order"
    for i, stif in enumerate(data["STIFs"]):
        end = starts[i + 1] if i + 1 < len(starts) else len(pdf_flat)
        row = pdf_flat[starts[i] : end]
        tstm = squeeze("TSTM" + shown("TSTM", stif["TSIF"]["TSTM"]))
        assert pdf_flat[: starts[i]].endswith(tstm), "TSTM printed just before its TICD"
        for group in ("RINI", "CIIF", "ATIF", "TBIF", "TSIF", "TCIF"):
            for tag, value in leaves(stif[group]):
                if value != NA and tag != "TSTM":
                    assert squeeze(tag + shown(tag, value)) in row, (i, group, tag, value)


def workbook_fields(path: Path) -> tuple[list[tuple[str, Any]], list[dict[str, str]]]:
    """The xlsx form: (tag, value) of the form sheet in order; per transaction row the
    table's "TAG value" lines by column and tag."""
    book = openpyxl.load_workbook(path)
    form = book["报告表"]
    fields = [
        (str(row[1].value), row[2].value)
        for row in form.iter_rows()
        if row[1].value and re.fullmatch(r"[A-Z]{4}", str(row[1].value))
    ]
    table = book["交易明细"]
    rows = []
    for row in table.iter_rows(min_row=4):
        if not isinstance(row[0].value, int):
            continue
        cells: dict[str, str] = {}
        for col, cell in enumerate(row[1:], 1):
            for line in str(cell.value or "").split("\n"):
                if line:
                    tag, _, value = line.partition(" ")
                    cells[f"{col}.{tag}"] = value
        rows.append(cells)
    return fields, rows


def assert_workbook_matches(path: Path, data: dict[str, Any]) -> None:
    fields, rows = workbook_fields(path)
    by_tag: dict[str, list[Any]] = {}
    for tag, value in fields:
        by_tag.setdefault(tag, []).append(value)
    for tag, value in leaves(data["RBIF"]):
        if tag in ("TOSC", "STCR"):
            continue  # one cell of all the codes, checked below
        cell = by_tag[tag][0]
        if value == NA:
            assert cell in (None, ""), (tag, cell)
        elif FIELDS[tag].kind == "amount":
            assert Decimal(str(cell)) == Decimal(value)
        else:
            assert cell == shown(tag, value), (tag, cell, value)
    crimes = by_tag["TOSC"][0]
    assert crimes == "；".join(shown("TOSC", v) for v in data["RBIF"]["TOSCs"])
    subject = dict(
        (tag, v) for tag, v in leaves(data["SEIFs"][0]) if tag not in ("OITP", "ORIT", "OCIT")
    )
    for tag, value in subject.items():
        cell = by_tag[tag][0]
        assert (cell or "") == ("" if value == NA else shown(tag, value)), (tag, cell)
    assert len(rows) == len(data["STIFs"])
    for cells, stif in zip(rows, data["STIFs"], strict=True):
        printed = {k.split(".", 1)[1]: v for k, v in cells.items() if not k.endswith("OITP")}
        for group in ("RINI", "CIIF", "ATIF", "TBIF", "TSIF", "TCIF"):
            for tag, value in leaves(stif[group]):
                if tag == "OITP":
                    continue
                assert printed.get(tag, NA if value == NA else None) == (
                    NA if value == NA else shown(tag, value)
                ), (group, tag)


def assert_print_setup(path: Path, landscape_sheets: set[str], institution: str) -> None:
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert setup.paperSize == 9, sheet.title  # A4
        wanted = "landscape" if sheet.title in landscape_sheets else "portrait"
        assert setup.orientation == wanted, sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        # one page wide (OOXML's default 1 is left out of the file), as long as it takes
        assert (setup.fitToWidth or 1, setup.fitToHeight) == (1, 0), sheet.title
        assert sheet.print_area, sheet.title
        assert institution in sheet.oddHeader.left.text and "报告日期" in sheet.oddHeader.right.text
        assert sheet.oddFooter.center.text == "第 &P 页 共 &N 页"
        if sheet.title in landscape_sheets:
            assert sheet.print_title_rows, f"{sheet.title}: header rows repeat on every page"


# --- the sample bank, its cases approved ------------------------------------------------------


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, Review]]:
    """The sample bank's first 26 nights, scanned, with their cases opened."""
    folder = tmp_path_factory.mktemp("forms")
    db = folder / "wh.duckdb"
    for day in inbox_dates(SAMPLE)[:26]:
        ingest_day(day, SAMPLE, db)
        scan_large_value_day(day, db)
        scan_patterns_day(day, db)
        open_cases_of_run(day, db)
    review = review_for(case_store(db))
    yield db, folder / "reports", review
    review.store.close()


def people(review: Review) -> dict[str, User]:
    admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
    return {
        "admin": admin,
        "liaison": review.create_user(
            admin,
            "liaison1",
            "李联络",
            Role.LIAISON,
            PASSWORD,
            [f"B{i:03d}" for i in range(1, 9)],  # the sample bank's branches
        ),
        "reviewer": review.create_user(admin, "approver1", "王复核", Role.APPROVER, PASSWORD, []),
        "approver": review.create_user(admin, "approver2", "赵终审", Role.APPROVER, PASSWORD, []),
    }


def test_every_approved_case_prints_what_its_xml_files(bank: tuple[Path, Path, Review]) -> None:
    _, reports, review = bank
    who = people(review)
    review.set_review_levels(who["admin"], 3)  # 初审 / 复审 / 终审
    cases = review.list_cases(who["approver"], CaseFilter(snoozed=None), limit=100).cases
    assert cases, "the sample bank has alerts"
    for case in cases:
        review.start_review(who["liaison"], case.id)
        with pytest.raises(InvalidInput, match="初稿"):  # the draft as it came: refused
            review.propose(who["liaison"], case.id, case.stcb, case.aosp, ["1402"], "01")
        review.propose(
            who["liaison"],
            case.id,
            f"客户 {case.customer_id} 于监测期内资金分散转入、集中转出，笔数与金额见附表。",
            "经联络员核实：客户职业与资金规模不符，交易对手无合理关联，资金快进快出，符合可疑特征。",
            ["1402", "1201"],
            "02",
            "02",
            "资金来源涉嫌电信诈骗，须立即报告",
        )
        review.approve(who["reviewer"], case.id, "资金链条清晰，同意上报")
        review.approve(who["approver"], case.id, "同意")
        report = generate_case_report(review, who["approver"], case.id, reports)
        xml = next(p for p in report.files if p.suffix == ".XML")
        pdf = next(p for p in report.files if p.suffix == ".pdf")
        workbook = next(p for p in report.files if p.name.endswith("_form.xlsx"))
        data = check(xml.read_bytes(), xml.name)
        flat = pdf_text(pdf)
        assert_pdf_shows(flat, data)
        assert_workbook_matches(workbook, data)
        # the filer is the liaison; the sign-off names every level with its date
        assert data["RBIF"]["RPNM"] == "李联络"
        today = f"{wiring.today():%Y-%m-%d}"  # the day in Beijing, as the history shows it
        for name in ("李联络（liaison1）", "王复核（approver1）", "赵终审（approver2）"):
            assert name + today in flat, name
        assert "资金链条清晰，同意上报" in flat and "草稿" not in flat
        assert hashlib.sha256(xml.read_bytes()).hexdigest() in flat  # the signature's file
        assert_print_setup(workbook, {"交易明细", "表1"}, "C0000000000001")
        pages = render_pages(pdf, f"case-{case.id}")
        assert len(pages) == pages_of(pdf)


def test_the_nightly_large_value_form_prints_on_two_pages(
    bank: tuple[Path, Path, Review],
) -> None:
    db, reports, _ = bank
    with Warehouse.open(db, read_only=True) as wh:
        busiest = wh.rows(
            """SELECT t.business_date, count(*) FROM large_value_transactions h
               JOIN transactions t USING (txn_id) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"""
        )[0][0]
    filing = write_large_value_submission(busiest, db, reports, today=busiest)
    pdf = reports / f"{busiest}" / f"large_value_form_{busiest:%Y%m%d}.pdf"
    pages = render_pages(pdf, f"large-value-{busiest}")
    assert 1 <= len(pages) <= 2
    assert all(png_size(p)[0] > png_size(p)[1] for p in pages), "A4 landscape"
    assert_no_stray_columns(pdf, len(pages), ("交易", "金额", "账户", "对方金融机构", "交易对手"))
    flat = pdf_text(pdf)
    [name] = filing.files
    data = check((filing.folder / f"{name}.XML").read_bytes(), name)

    def heading(tag: str, value: str) -> str:  # a group's heading: "TAG 名称：value"
        return squeeze(f"{tag}{FIELDS[tag].name}：{shown(tag, value)}")

    for cati in data["CATIs"]:
        for tag, value in leaves(cati["CBIF"]):
            assert value == NA or heading(tag, value) in flat, (tag, value)
        assert heading("HTDT", cati["HTDT"]) in flat
        for htcr in cati["HTCRs"]:
            assert heading("CRCD", htcr["CRCD"]) in flat
            assert heading("TTNM", htcr["TTNM"]) in flat
            for ccif in htcr["CCIFs"]:
                for tag in ("CTNM", "CITP", "CTID"):
                    assert heading(tag, ccif[tag]) in flat, tag
                for tsdt in ccif["TSDTs"]:
                    for tag, value in leaves(tsdt):
                        if value != NA:
                            assert squeeze(tag + shown(tag, value)) in flat, (tag, value)
    assert "总会计" in flat and "填报人" in flat
    workbook = pdf.with_suffix(".xlsx")
    assert_print_setup(workbook, {"交易明细", "表1"}, "C0000000000001")
    # the totals are numbers with a number format, the codes beside them text
    totals = openpyxl.load_workbook(workbook)["表1"]
    [first] = [r for r in totals.iter_rows(min_row=3, max_row=3)]
    code, count, cny = first[0], first[3], first[4]
    assert isinstance(code.value, str) and code.value.startswith("05")
    assert isinstance(count.value, int | float) and count.number_format == "#,##0"
    # a whole total (50100.0) reads back as an int
    assert isinstance(cny.value, int | float) and cny.number_format == "#,##0.00#"


def test_a_case_of_thirty_transactions_prints_on_four_pages(tmp_path: Path) -> None:
    store = CaseStore.sqlite_file(tmp_path / "cases.sqlite")
    review = review_for(store)
    who = people(review)
    item = alert_evidence("AMLW-SP-0101-20260929-0000001e", legs=30)
    for row in item.detail:  # every field a bank's record has, as the sample bank's do
        row |= {
            "location": "CHN350203",
            "purpose": "转账",
            "opened_at": dt.datetime(2010, 7, 3),
            "card_type": "10",
            "card_number": "6222020000001234",
            "counterparty_bank_name": "中国建设银行厦门分行",
            "counterparty_bank_code": "105393000017",
            "counterparty_region": "CHN350203",
            "counterparty_id_type": "110001",
            "counterparty_id_number": "350102199001011238",
            "counterparty_account_type": "120013",
        }
    [case_id] = open_cases(store, [item], dt.date(2026, 9, 29)).opened
    review.start_review(who["liaison"], case_id)
    review.propose(
        who["liaison"], case_id, "分散转入集中转出。" * 20, "经核实疑点成立。" * 30, ["1402"], "01"
    )
    review.approve(who["reviewer"], case_id, "同意")
    report = generate_case_report(review, who["reviewer"], case_id, tmp_path / "reports")
    pdf = next(p for p in report.files if p.suffix == ".pdf")
    pages = render_pages(pdf, "case-30-rows")
    assert len(pages) <= 4
    headings = ("交易", "金额", "客户", "账户", "网点与地点", "对方金融机构", "交易对手")
    assert_no_stray_columns(pdf, len(pages), headings)
    store.close()


def _bank_fields(row: dict[str, Any]) -> None:
    """Every field a bank's record has, as the sample bank's do."""
    row |= {
        "location": "CHN350203",
        "purpose": "转账",
        "opened_at": dt.datetime(2010, 7, 3),
        "card_type": "10",
        "card_number": "6222020000001234",
        "counterparty_bank_name": "中国建设银行厦门分行",
        "counterparty_bank_code": "105393000017",
        "counterparty_region": "CHN350203",
        "counterparty_id_type": "110001",
        "counterparty_id_number": "350102199001011238",
        "counterparty_account_type": "120013",
    }


def test_a_case_of_three_standards_reports_each_code_and_each_transaction_once(
    tmp_path: Path,
) -> None:
    store = CaseStore.sqlite_file(tmp_path / "cases.sqlite")
    review = review_for(store)
    who = people(review)
    night = dt.date(2026, 9, 29)
    items = [
        alert_evidence("AMLW-SP-0101-20260929-00000101", rule="AMLW-SP-0101"),
        alert_evidence(
            "AMLW-SP-0201-20260929-00000201", rule="AMLW-SP-0201", family="pass_through",
            legs=4, txn_prefix="both",
        ),
        alert_evidence(
            "AMLW-SP-0602-20260929-00000602", rule="AMLW-SP-0602", family="cash", legs=2,
            txn_prefix="both",
        ),
    ]  # fmt: skip
    for item in items:
        for row in item.detail:
            _bank_fields(row)
    [case_id] = open_cases(store, items, night).opened
    review.start_review(who["liaison"], case_id)
    review.propose(
        who["liaison"], case_id, "三项标准命中，已核实。", "经核实疑点成立。", ["1402"], "01"
    )
    review.approve(who["reviewer"], case_id, "同意")
    report = generate_case_report(review, who["reviewer"], case_id, tmp_path / "reports")
    xml = next(p for p in report.files if p.suffix == ".XML")
    data = check(xml.read_bytes(), xml.stem)
    codes = ["AMLW-SP-0101", "AMLW-SP-0201", "AMLW-SP-0602"]
    assert data["RBIF"]["STCRs"] == codes
    # a transaction two standards name is one STIF: 3 of scatter + 4 of pass-through
    assert len(data["STIFs"]) == 7
    pdf = next(p for p in report.files if p.suffix == ".pdf")
    flat = squeeze(pdf_text(pdf))
    for code, name in zip(codes, ["集中转入分散转出", "pass_through标准", "cash标准"], strict=True):
        assert squeeze(f"{code} {name}") in flat
    store.close()


def assert_no_stray_columns(pdf: Path, pages: int, headings: tuple[str, ...]) -> None:
    """Every page of the table has all its columns (none printed alone on a page of its own)."""
    for page in range(1, pages + 1):
        text = pdf_text(pdf, page, page)
        if "序号" in text:
            assert all(h in text for h in headings), page


def test_an_unedited_draft_cannot_be_proposed_or_approved(tmp_path: Path) -> None:
    from amlwatch.cases import repository as repo

    store = CaseStore.sqlite_file(tmp_path / "cases.sqlite")
    review = review_for(store)
    who = people(review)
    item = alert_evidence("AMLW-SP-0101-20260929-00000002")
    item.alert["narrative"] = (
        "【资金交易及客户行为情况】甲【疑点分析】乙，需进一步核实。（系统生成初稿）"
    )
    [case_id] = open_cases(store, [item], dt.date(2026, 9, 29)).opened
    review.start_review(who["liaison"], case_id)
    with pytest.raises(InvalidInput, match="系统初稿"):
        review.propose(
            who["liaison"], case_id, "甲", "乙，需进一步核实。（系统生成初稿）", ["1402"], "01"
        )
    with pytest.raises(InvalidInput, match="进一步核实"):
        review.propose(who["liaison"], case_id, "甲", "乙，需进一步核实。", ["1402"], "01")
    # a case proposed with the draft before drafts were refused is not approved either
    review.propose(who["liaison"], case_id, "人工描述", "人工分析", ["1402"], "01")
    with store.write() as con:
        repo.update_case(con, case_id, aosp="乙（系统生成初稿）")
    with pytest.raises(InvalidInput, match="不能批准"):
        review.approve(who["reviewer"], case_id)
    store.close()


def test_the_nightly_tables_print_a4_one_page_wide(bank: tuple[Path, Path, Review]) -> None:
    from amlwatch.stages.large_value import write_large_value_report
    from amlwatch.stages.patterns import write_suspicious_report

    db, reports, _ = bank
    with Warehouse.open(db, read_only=True) as wh:
        day = wh.scalar("SELECT max(last_scan_date) FROM suspicious_alerts")
    large_value = write_large_value_report(day, db, reports)
    assert_print_setup(large_value.workbook, {"大额交易明细"}, "C0000000000001")
    suspicious = write_suspicious_report(day, db, reports)
    book = openpyxl.load_workbook(suspicious.workbook)
    assert len(book.worksheets) == 1 + suspicious.alerts  # the list, then a sheet per alert
    assert_print_setup(suspicious.workbook, {s.title for s in book.worksheets}, "C0000000000001")
    # codes beside their labels, the draft narrative marked as such
    alert_sheet = book.worksheets[1]
    texts = [str(c.value) for row in alert_sheet.iter_rows() for c in row if c.value]
    assert any("须经人工修改" in t for t in texts)
    assert any(re.fullmatch(r"\d{6} \S+", t) and "（未收录代码）" not in t for t in texts)


def test_a_form_too_long_for_a_pdf_prints_its_totals_and_keeps_every_row_in_the_xlsx(
    tmp_path: Path,
) -> None:
    from amlwatch.reports.forms import write_form
    from amlwatch.submission.messages import large_value_new
    from amlwatch.submission.printed_forms import large_value_form
    from tests.submission.conftest import INSTITUTION, hit_row

    rows = [hit_row(txn_id=f"T{i}", customer_id=f"C{i // 4}") for i in range(12)]
    rows += [hit_row(txn_id="U1", customer_id="C9", currency="USD", tx_method="010001")]
    form = large_value_form(
        large_value_new(INSTITUTION, rows),
        institution="示例银行",
        outlet="C0000000000001",
        reference="NBH…",
        period="2026-11-20",
        report_date=dt.date(2026, 11, 20),
        due="2026-11-27",
    )
    files = write_form(form, tmp_path, "long", max_pdf_rows=10)
    flat = pdf_text(files.pdf)
    assert "明细共13笔，超过PDF打印上限10笔" in flat and "TICDT0" not in flat
    # the totals: 12 CNY rows of 60,000.00 and one USD row, per characteristic and outlet
    assert "0501大额现金交易C000000000000101CNY人民币元12720,000.00" in flat
    assert "USD美元1" in flat
    table = openpyxl.load_workbook(files.workbook)["交易明细"]
    assert sum(isinstance(r[0].value, int) for r in table.iter_rows(min_row=4)) == 13
