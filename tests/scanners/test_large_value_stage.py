"""The large-value stage end to end on a generated bank: exactly the planted hits."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from amlwatch.ingest import inbox_dates
from amlwatch.labels import labelled
from amlwatch.rules import load_pack
from amlwatch.stages.ingest import ingest_day
from amlwatch.stages.large_value import scan_large_value_day, write_large_value_report
from amlwatch.synth import generate_bank
from amlwatch.warehouse import Warehouse
from tests.naive import NaiveTxn, large_value_hits

START = dt.date(2026, 9, 21)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("bank")
    generate_bank(out, customers=900, days=24, start=START, fmt="mixed", corrupt_days=1, seed=3)
    db = out / "wh.duckdb"
    for day in inbox_dates(out / "inbox"):
        ingest_day(day, out / "inbox", db)
        scan_large_value_day(day, db)
    return out, db


def hits(db: Path) -> set[tuple[str, str]]:
    with Warehouse.open(db, read_only=True) as wh:
        return set(wh.rows("SELECT txn_id, characteristic_code FROM large_value_transactions"))


def test_every_planted_large_value_case_is_found_and_nothing_else(
    scanned: tuple[Path, Path],
) -> None:
    out, db = scanned
    cases = [
        json.loads(line)
        for line in (out / "ground_truth.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    expected = {
        (txn_id, hit["characteristic_code"])
        for case in cases
        if case["kind"] != "bad_input"
        for hit in case["large_value"]
        for txn_id in hit["txn_ids"]
    }
    assert expected and hits(db) == expected


def test_rescanning_a_date_gives_the_same_table(scanned: tuple[Path, Path]) -> None:
    _, db = scanned
    with Warehouse.open(db, read_only=True) as wh:
        before = sorted(wh.rows("SELECT * EXCLUDE (scanned_at) FROM large_value_transactions"))
    for day in (START + dt.timedelta(days=3), START + dt.timedelta(days=17)):
        scan_large_value_day(day, db)
    with Warehouse.open(db, read_only=True) as wh:
        assert (
            sorted(wh.rows("SELECT * EXCLUDE (scanned_at) FROM large_value_transactions")) == before
        )


def test_a_forced_legacy_pack_finds_what_the_reference_finds(
    tmp_path: Path, scanned: tuple[Path, Path]
) -> None:
    out, db = scanned
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(db.read_bytes())
    for day in inbox_dates(out / "inbox"):
        summary = scan_large_value_day(day, copy, rule_pack="pboc-2003")
        assert summary.rule_packs == ["pboc-2003@2003.1"]
    with Warehouse.open(copy, read_only=True) as wh:
        rows = wh.rows(
            """SELECT t.txn_id, t.customer_id, c.customer_type, t.trade_date, t.direction,
                      t.currency, t.is_cash, t.is_cross_border, t.amount_cny, t.amount_usd,
                      nullif(t.exemption_code, ''), t.counterparty_is_government
               FROM transactions t JOIN customers c USING (customer_id)"""
        )
        packs = wh.rows("SELECT DISTINCT rule_pack FROM large_value_transactions")
    expected = large_value_hits((NaiveTxn(*r) for r in rows), load_pack("pboc-2003"))
    assert len(expected) > 10
    assert hits(copy) == expected
    assert packs == [("pboc-2003@2003.1",)]


def test_report_tables_list_every_hit_grouped_with_headers_and_due_dates(
    tmp_path: Path, scanned: tuple[Path, Path]
) -> None:
    import csv

    from openpyxl import load_workbook

    out, db = scanned
    total_rows = 0
    for day in inbox_dates(out / "inbox"):
        files = write_large_value_report(day, db, tmp_path / "reports")
        total_rows += files.rows
        with files.csv.open(encoding="utf-8-sig") as fh:
            lines = list(csv.reader(fh))
        assert lines[0][:4] == ["客户号", "客户姓名/名称", "客户类型", "身份证件/证明文件类型"]
        assert lines[1][:4] == ["CSNM", "CTNM", "-", "CITP"]
        ticd = lines[1].index("TICD")
        assert len(lines) == files.rows + 2
        book = load_workbook(files.workbook)
        detail, summary = book["大额交易明细"], book["汇总"]
        assert detail.freeze_panes == "C3"
        assert [detail.cell(1, 1).value, detail.cell(2, 1).value] == ["客户号", "CSNM"]
        rows = list(detail.iter_rows(min_row=3, values_only=True))
        txn_ids = {r[ticd] for r in rows if r[ticd]}
        assert txn_ids == {line[ticd] for line in lines[2:]}
        # codes beside their Chinese labels in the xlsx, bare in the CSV (for machines)
        for tag, kind in (("CITP", "id_type"), ("TSTP", "tx_method"), ("CRCD", "characteristic")):
            col = lines[1].index(tag)
            shown = [r[col] for r in rows if r[ticd]]
            assert shown == [labelled(kind, line[col]) for line in lines[2:]]
            assert all("（未收录代码）" not in cell for cell in shown)
        if files.rows:
            counts = [
                r[2]
                for r in summary.iter_rows(min_row=4, max_col=3, values_only=True)
                if isinstance(r[2], int) and r[0] and str(r[0]).startswith("05")
            ]
            assert sum(counts) == files.rows
    with Warehouse.open(db, read_only=True) as wh:
        assert total_rows == wh.scalar("SELECT count(*) FROM large_value_transactions")


def test_due_dates_skip_holidays() -> None:
    from amlwatch.rules import BusinessCalendar

    # a hit on Wednesday 2026-09-30 is due 5 working days later: after the National Day holiday
    assert BusinessCalendar.load().add_business_days(dt.date(2026, 9, 30), 5) == dt.date(
        2026, 10, 13
    )


def test_csv_cells_that_a_spreadsheet_would_run_are_written_as_text(tmp_path: Path) -> None:
    from amlwatch.reports.csv_tables import write_csv

    columns = [("name", "名称", "TCNM", 10, "text"), ("id", "账号", "TCAC", 10, "text")]
    rows = [
        {"name": '=HYPERLINK("http://x","y")', "id": "6222000000000000011"},
        {"name": "+1+2", "id": "-3"},
        {"name": "@SUM(A1)", "id": "\tx"},
        {"name": "北京华信", "id": "A-1"},
    ]
    path = tmp_path / "t.csv"
    write_csv(rows, columns, path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    lines = raw.decode("utf-8-sig").splitlines()[2:]
    import csv as _csv

    cells = [row for row in _csv.reader(lines)]
    assert cells[0] == ['\'=HYPERLINK("http://x","y")', "6222000000000000011"]
    assert cells[1] == ["'+1+2", "'-3"]
    assert cells[2][0] == "'@SUM(A1)" and cells[2][1].startswith("'")
    assert cells[3] == ["北京华信", "A-1"]  # ordinary text unchanged


@pytest.mark.parametrize("pack_name", ["pboc-2016", "pboc-2003"])
def test_the_stores_records_read_as_the_warehouse_sql_reads_them(
    scanned: tuple[Path, Path], pack_name: str
) -> None:
    """Every record of the generated bank, read from the window store with the pack's
    exemptions tested on its stored facts, has the kernel's columns the SQL of
    `large_value_input` computes on `transactions` — the two formulations of article 7."""
    from amlwatch.stages.large_value_scan import input_table
    from amlwatch.warehouse import large_value as wh_large_value
    from amlwatch.warehouse import large_value_store as lv_store

    _, db = scanned
    rule = load_pack(pack_name).large_value
    columns = ["customer_id_1", "customer_id_2", "trade_date", "out", "is_cash", "is_cross_border",
               "rmb", "eligible", "exempt_individual", "exempt_entity", "amount_cny", "amount_usd"]  # fmt: skip
    with Warehouse.open(db, read_only=True) as wh:
        days = [d for (d,) in wh.rows("SELECT DISTINCT trade_date FROM transactions ORDER BY 1")]
        stored = input_table(lv_store.ready_records(wh, days), days, rule)
        by_sql = wh_large_value.large_value_input(wh, days, rule)
        names = {
            rid: (day, line)
            for rid, day, line in wh.rows("SELECT rowid, business_date, line FROM transactions")
        }
    assert stored.num_rows == by_sql.num_rows == len(names)
    days_of, lines_of = lv_store.key_parts(stored["key"].to_numpy())
    mine = {
        (dt.date.fromisoformat(str(d)), int(line)): row
        for d, line, row in zip(days_of, lines_of, stored.select(columns).to_pylist(), strict=True)
    }
    theirs = {names[row.pop("rid")]: row for row in by_sql.to_pylist()}
    for key, row in theirs.items():
        row["amount_cny"] = int(row["amount_cny"] * 1000)
        row["amount_usd"] = int(row["amount_usd"] * 1000)
        row["is_cash"], row["is_cross_border"] = bool(row["is_cash"]), bool(row["is_cross_border"])
        for flag in ("rmb", "eligible", "exempt_individual", "exempt_entity"):
            row[flag] = bool(row[flag])
        theirs[key] = {c: row[c] for c in columns}
    assert mine == theirs
    assert any(r["exempt_individual"] or r["exempt_entity"] for r in mine.values())
