"""The scatter / concentrate stage end to end on a generated bank: alerts, extension,
idempotent re-runs, options, and the report form."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from itertools import pairwise
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest

from amlwatch.ingest import inbox_dates
from amlwatch.rules import NETWORK_FAMILIES, BusinessCalendar, load_pack
from amlwatch.settings import ScanSettings
from amlwatch.stages.ingest import cut_day_runs, ingest_day
from amlwatch.stages.large_value import large_value_part
from amlwatch.stages.patterns import (
    scan_pattern_part,
    scan_patterns_day,
    scan_patterns_range,
    store_pattern_parts,
    write_suspicious_report,
)
from amlwatch.synth import generate_bank
from amlwatch.warehouse import Bucket, Warehouse
from amlwatch.warehouse import patterns as wh_patterns
from amlwatch.warehouse import submission as wh_submission
from tests.conftest import stored_runs

START = dt.date(2026, 9, 21)
RINGS = {"scatter_in_concentrate_out": "AMLW-SP-0101", "concentrate_in_scatter_out": "AMLW-SP-0102"}


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[dict]]:
    out = tmp_path_factory.mktemp("bank")
    generate_bank(out, customers=900, days=36, start=START, fmt="csv", corrupt_days=0, seed=5)
    db = out / "wh.duckdb"
    for day in inbox_dates(out / "inbox"):
        ingest_day(day, out / "inbox", db)
        scan_patterns_day(day, db)
    cases = [
        json.loads(line)
        for line in (out / "ground_truth.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    return out, db, cases


def snapshot(db: Path) -> tuple[list, list]:
    with Warehouse.open(db, read_only=True) as wh:
        return (
            sorted(wh.rows("SELECT * FROM suspicious_alerts"), key=str),
            sorted(wh.rows("SELECT * FROM suspicious_alert_transactions")),
        )


def alerts(db: Path, where: str = "true") -> list[dict]:
    with Warehouse.open(db, read_only=True) as wh:
        return wh.records(f"SELECT * FROM suspicious_alerts WHERE {where}")


def evidence(db: Path, alert_id: str) -> set[str]:
    with Warehouse.open(db, read_only=True) as wh:
        rows = wh.rows(
            "SELECT txn_id FROM suspicious_alert_transactions WHERE alert_id = ?", [alert_id]
        )
    return {r[0] for r in rows}


def test_every_ring_alerts_once_with_its_evidence_and_nothing_else_does(
    bank: tuple[Path, Path, list[dict]],
) -> None:
    _, db, cases = bank
    rings = [c for c in cases if c["kind"] in RINGS]
    assert len(rings) == 4
    # the standards in force (a bank's own on trial are tuned apart)
    found = alerts(db, "coalesce(standard_status, 'in_force') = 'in_force'")
    by_subject = {(a["rule_code"], a["customer_id"]): a for a in found}
    assert len(by_subject) == len(
        found
    )  # one alert per standard and subject: extended, not reopened
    for ring in rings:
        alert = by_subject[(RINGS[ring["kind"]], ring["customer_id"])]
        assert set(ring["txn_ids"]) <= evidence(db, alert["alert_id"])
        assert alert["nights"] >= 2 and alert["status"] == "extended"
        assert alert["window_start"] <= dt.date.fromisoformat(ring["window"][0])
    # every standard's planted cases and nothing else (every standard is in force) — but a
    # burst's hub, which gathers (splits) several customers' money, may be scatter /
    # concentrate's subject too when its everyday counterparties add up to the parties
    hubs = {c["members"][1] for c in cases if c["kind"] == "network_fan_out"}
    hubs |= {c["members"][-2] for c in cases if c["kind"] == "network_fan_in"}
    assert planted(cases) <= set(by_subject)
    assert set(by_subject) - planted(cases) <= {
        (code, hub) for hub in hubs for code in ("AMLW-SP-0101", "AMLW-SP-0102")
    }
    decoys = {c["customer_id"] for c in cases if c["kind"].startswith("decoy")}
    assert decoys and not decoys & {a["customer_id"] for a in found}


def test_an_alert_carries_metrics_parties_and_a_chinese_narrative(
    bank: tuple[Path, Path, list[dict]],
) -> None:
    _, db, _ = bank
    for alert in alerts(db, "family = 'scatter'"):
        scattered_in = alert["rule_code"] == "AMLW-SP-0101"
        many, few = (
            (alert["in_parties"], alert["out_parties"])
            if scattered_in
            else (alert["out_parties"], alert["in_parties"])
        )
        assert many >= 10 and 1 <= few <= 3
        assert 0.8 <= alert["through_flow"] <= 1.25
        top = json.loads(alert["top_in" if scattered_in else "top_out"])
        assert 1 <= len(top) <= 5 and top == sorted(top, key=lambda p: -float(p["amount_cny"]))
        assert alert["customer_id"] in alert["narrative"]
        assert ("分散转入" if scattered_in else "分散转出") in alert["narrative"]
        assert f"{alert['in_total']:,.2f}元" in alert["narrative"]
        # Chinese punctuation between the names, and what funds pass through: an account
        names = [t["name"] for t in top[:3] if t["name"]]
        assert "、".join(names) in alert["narrative"] and ", " not in alert["narrative"]
        assert "账户过渡资金" in alert["narrative"]
        assert alert["rule_pack"] == "pboc-2016@2016.3"
        assert alert["evidence_count"] == len(evidence(db, alert["alert_id"]))


def test_rerunning_nights_gives_the_same_alerts(
    bank: tuple[Path, Path, list[dict]], tmp_path: Path
) -> None:
    out, db, _ = bank
    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    before = snapshot(copy)
    days = inbox_dates(out / "inbox")
    for day in (days[-1], days[12], days[5]):  # out of order on purpose
        scan_patterns_day(day, copy)
    assert snapshot(copy) == before
    scan_patterns_range(days, copy)  # a whole backtest in one pass
    assert snapshot(copy) == before


def test_a_night_rescanned_without_its_hit_narrows_the_alert(
    bank: tuple[Path, Path, list[dict]], tmp_path: Path
) -> None:
    _, db, _ = bank
    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    alert = max(alerts(copy), key=lambda a: a["nights"])
    last = alert["last_scan_date"]
    with Warehouse.open(copy) as wh:  # the last night's evidence turns out to be excluded
        wh.execute(
            "UPDATE transactions SET purpose = '工资' WHERE customer_id = ?", [alert["customer_id"]]
        )
        # the day runs are derived at load; a change by hand must drop them (a re-load does)
        wh.execute("DELETE FROM pattern_runs")
    scan_patterns_day(last, copy)
    after = {a["alert_id"]: a for a in alerts(copy, f"customer_id = '{alert['customer_id']}'")}
    assert after[alert["alert_id"]]["nights"] == alert["nights"] - 1
    assert after[alert["alert_id"]]["last_scan_date"] < last


def test_lifting_exclusions_and_minimums_raises_the_alert_volume(
    bank: tuple[Path, Path, list[dict]], tmp_path: Path
) -> None:
    out, db, cases = bank
    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    pack = tmp_path / "no-exclusions.toml"
    structure = Path(__file__).parents[2] / "examples" / "structure-only.toml"
    pack.write_text(
        structure.read_text(encoding="utf-8") + "\n[suspicious.exclude]\npurposes = []\n",
        encoding="utf-8",
    )
    assert load_pack(pack).label.startswith("pboc-2016+no-exclusions@")
    summary = scan_patterns_range(inbox_dates(out / "inbox"), copy, str(pack))
    rings = {c["customer_id"] for c in cases if c["kind"] in RINGS}
    flagged = {a["customer_id"] for a in alerts(copy)}
    # without exclusions and amount minimums ordinary business starts to alert: the defaults
    # are what keep the volume down, and the rings are still all found
    assert rings < flagged
    assert summary.rule_packs == [load_pack(pack).label]


def test_account_subjects_and_structure_only_thresholds(
    bank: tuple[Path, Path, list[dict]], tmp_path: Path
) -> None:
    out, db, cases = bank
    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    pack = tmp_path / "by-account.toml"
    pack.write_text('extends = "pboc-2016"\n[suspicious]\nsubject = "account"\n', encoding="utf-8")
    with Warehouse.open(copy) as wh:  # amounts no longer in CNY scale: a thousandth of them
        wh.execute("UPDATE transactions SET amount_cny = amount_cny / 1000, amount = amount / 1000")
        wh.execute("DELETE FROM suspicious_hits")
        wh.execute("DELETE FROM suspicious_alerts")
    days = inbox_dates(out / "inbox")
    scan_patterns_range(days, copy, str(pack))
    assert alerts(copy) == []  # the amount minimums now stop everything
    structure = Path(__file__).parents[2] / "examples" / "structure-only.toml"
    both = tmp_path / "structure-by-account.toml"
    both.write_text(
        structure.read_text(encoding="utf-8") + '\n[suspicious]\nsubject = "account"\n',
        encoding="utf-8",
    )
    scan_patterns_range(days, copy, str(both))
    found = alerts(copy)
    rings = {c["customer_id"] for c in cases if c["kind"] in RINGS}
    assert rings <= {a["customer_id"] for a in found}
    assert all(a["account_id"] for a in found)


def test_the_report_form_lists_the_nights_alerts_with_their_evidence(
    bank: tuple[Path, Path, list[dict]], tmp_path: Path
) -> None:
    _, db, _ = bank
    alert = max(alerts(db, "family = 'scatter'"), key=lambda a: a["evidence_count"])
    files = write_suspicious_report(alert["last_scan_date"], db, tmp_path)
    assert files.workbook.parent == tmp_path / alert["last_scan_date"].isoformat()
    book = openpyxl.load_workbook(files.workbook, read_only=True)
    listing = list(book["预警列表"].iter_rows(values_only=True))
    assert listing[1][:2] == ("预警编号", "可疑交易特征代码") and listing[2][1] == "STCR"
    assert alert["alert_id"] in [row[0] for row in listing[3:]]
    sheet = list(book[alert["alert_id"]].iter_rows(values_only=True))
    labels = {row[1]: row[2] for row in sheet if row[1]}
    assert labels["CSNM"] == alert["customer_id"] and labels["SEID"]
    txn_tags = next(row for row in sheet if row[:2] == ("-", "FINC"))
    assert "TICD" in txn_tags and "TCAC" in txn_tags
    header = sheet.index(txn_tags)
    assert len([r for r in sheet[header + 1 :] if r[0]]) == alert["evidence_count"]
    rows = files.transactions_csv.read_text(encoding="utf-8-sig").splitlines()
    assert rows[1].startswith("-,-,FINC") and len(rows) - 2 == files.transactions


def test_the_evidence_is_kept_whole_and_read_back_as_the_window_holds_it(
    bank: tuple[Path, Path, list[dict]], tmp_path: Path
) -> None:
    """The report and case look-ups read the evidence stored with the alerts; a warehouse
    whose alerts predate that table gets the same rows picked out of the window."""
    _, db, _ = bank
    ids = [a["alert_id"] for a in alerts(db)]
    with Warehouse.open(db, read_only=True) as wh:
        stored = wh.rows(
            """SELECT * EXCLUDE (alert_id) FROM suspicious_evidence_detail
               EXCEPT ALL
               SELECT t.* FROM suspicious_alert_transactions e
               JOIN transactions t USING (txn_id)"""
        )
        kept = wh.rows(
            """SELECT alert_id, txn_id FROM suspicious_evidence_detail
               EXCEPT ALL SELECT alert_id, txn_id FROM suspicious_alert_transactions"""
        )
        counted = wh.rows("SELECT count(*) FROM suspicious_evidence_detail")[0][0]
        assert stored == [] and kept == [] and counted == sum(evidence_count(db)) > 0
        report = wh_patterns.alert_transaction_rows(wh, ids)
        detail = wh_submission.alerts_detail_rows(wh, ids)
    assert len(report) == len(detail) == counted
    older = tmp_path / "older.duckdb"
    shutil.copy(db, older)
    with Warehouse.open(older) as wh:
        wh.execute("DELETE FROM suspicious_evidence_detail")
        assert wh_patterns.alert_transaction_rows(wh, ids) == report
        assert wh_submission.alerts_detail_rows(wh, ids) == detail


def evidence_count(db: Path) -> list[int]:
    return [a["evidence_count"] for a in alerts(db)]


@pytest.mark.slow
def test_the_committed_sample_alerts_on_every_ring_and_no_decoy(tmp_path: Path) -> None:
    sample = Path(__file__).parents[2] / "data_samples"
    db = tmp_path / "sample.duckdb"
    days = inbox_dates(sample / "inbox")
    for day in days:
        ingest_day(day, sample / "inbox", db)
    for day in days:
        scan_patterns_day(day, db)
    cases = [
        json.loads(line)
        for line in (sample / "ground_truth.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    in_force = alerts(db, "coalesce(standard_status, 'in_force') = 'in_force'")
    found = {(a["rule_code"], a["customer_id"]) for a in in_force}
    assert found == planted(cases)


def planted(cases: list[dict]) -> set[tuple[str, str]]:
    """(standard, customer) of every planted case that must alert: the rings, and the
    other families' cases by the standards their ground truth names."""
    rings = {(RINGS[c["kind"]], c["customer_id"]) for c in cases if c["kind"] in RINGS}
    return rings | {(s, c["customer_id"]) for c in cases for s in c.get("standards") or ()}


def result_rows(table: pa.Table) -> list[tuple]:
    """A result table's rows in a canonical order, without the scan timestamp."""
    kept = table.drop_columns([c for c in ("scanned_at",) if c in table.column_names])
    return sorted(tuple(row.values()) for row in kept.to_pylist())


@pytest.mark.parametrize("count", [2, 5])
def test_any_bucket_split_finds_exactly_what_the_whole_scan_finds(
    bank: tuple[Path, Path, list[dict]], tmp_path: Path, count: int
) -> None:
    out, db, _ = bank
    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    before = snapshot(copy)
    calendar = BusinessCalendar.load(None)
    split = Bucket.all_of(count)
    pattern_hits = large_value_hits = 0
    with Warehouse.open(copy) as wh:
        for day in inbox_dates(out / "inbox")[-10:]:
            parts = [scan_pattern_part(wh, [day], calendar, None, b) for b in split]
            whole = scan_pattern_part(wh, [day], calendar)
            assert all(p.transactions_scanned for p in parts)  # every bucket has customers
            assert sum(p.transactions_scanned for p in parts) == whole.transactions_scanned
            [label] = whole.hits
            assert result_rows(pa.concat_tables(p.hits[label] for p in parts)) == result_rows(
                whole.hits[label]
            )
            store_pattern_parts(wh, [day], None, parts)
            pattern_hits += whole.hits[label].num_rows

            lv_parts = [large_value_part(wh, [day], None, b) for b in split]
            lv_whole = large_value_part(wh, [day])
            assert result_rows(pa.concat_tables(p.hits for p in lv_parts)) == result_rows(
                lv_whole.hits
            )
            large_value_hits += lv_whole.hits.num_rows
    assert pattern_hits and large_value_hits  # the compared nights found something
    assert snapshot(copy) == before  # alerts rebuilt from split scans are the same alerts


@pytest.mark.parametrize("threads", [1, 2])
def test_a_window_scanned_in_slices_finds_what_one_pass_finds(
    bank: tuple[Path, Path, list[dict]], threads: int
) -> None:
    out, db, _ = bank
    calendar = BusinessCalendar.load(None)
    days = inbox_dates(out / "inbox")[-8:]
    with Warehouse.open(db, read_only=True) as wh:
        whole = [scan_pattern_part(wh, [day], calendar) for day in days]
        smallest = min(part.transactions_scanned for part in whole)
        # 5 to 6 slices a window
        scan = ScanSettings(slice_rows=smallest // 5, slice_threads=threads)
        sliced = [scan_pattern_part(wh, [day], calendar, scan=scan) for day in days]
    found = 0
    for one, many in zip(whole, sliced, strict=True):
        [label] = one.hits
        assert many.transactions_scanned == one.transactions_scanned
        assert result_rows(many.hits[label]) == result_rows(one.hits[label])
        found += one.hits[label].num_rows
    assert found  # the compared windows hold hits


def test_pruning_finds_what_scanning_every_customer_finds(
    bank: tuple[Path, Path, list[dict]],
) -> None:
    out, db, _ = bank
    calendar = BusinessCalendar.load(None)
    days = inbox_dates(out / "inbox")
    with Warehouse.open(db, read_only=True) as wh:
        pruned = scan_pattern_part(wh, days, calendar)  # a backtest: several blocks
        everyone = scan_pattern_part(wh, days, calendar, scan=ScanSettings(prune=False))
    [label] = everyone.hits
    assert everyone.hits[label].num_rows  # the compared windows hold hits
    assert result_rows(pruned.hits[label]) == result_rows(everyone.hits[label])
    assert pruned.transactions_scanned == everyone.transactions_scanned  # rows read


def test_a_bucket_exists_only_within_its_split() -> None:
    assert [str(b) for b in Bucket.all_of(3)] == ["1/3", "2/3", "3/3"]
    assert Bucket().where("customer_id") == "true"
    first, last = Bucket(1, 4).hashes
    assert (first, last) == (2**62, 2**63 - 1)
    assert Bucket(1, 4).where("customer_id") == (
        f"hash(customer_id) BETWEEN {first}::UBIGINT AND {last}::UBIGINT"
    )
    for count in (1, 3, 7):  # the buckets of a split cover every hash once, and nest
        buckets = Bucket.all_of(count)
        assert buckets[0].hashes[0] == 0 and buckets[-1].hashes[1] == 2**64 - 1
        assert all(a.hashes[1] + 1 == b.hashes[0] for a, b in pairwise(buckets))
        for bucket in buckets:
            pieces = bucket.split(3)
            assert (pieces[0].hashes[0], pieces[-1].hashes[1]) == bucket.hashes
    for index, count in ((4, 4), (-1, 2), (0, 0)):
        with pytest.raises(ValueError, match="does not exist"):
            Bucket(index, count)


def test_a_scan_cuts_the_missing_day_runs_once_and_finds_what_stored_runs_find(
    bank: tuple[Path, Path, list[dict]], tmp_path: Path
) -> None:
    out, db, _ = bank
    days = inbox_dates(out / "inbox")
    with Warehouse.open(db, read_only=True) as wh:  # every load cut its run
        assert wh.scalar(
            "SELECT count(*) FROM pattern_runs WHERE exclusions <> 'large-value-1'"
        ) == len(days)
        runs = stored_runs(wh)
        assert wh.scalar(
            "SELECT sum(rows) FROM pattern_runs WHERE exclusions <> 'large-value-1'"
        ) == len(runs)
    stored, cut = tmp_path / "stored.duckdb", tmp_path / "cut.duckdb"
    shutil.copy(db, stored)
    shutil.copy(db, cut)
    with Warehouse.open(cut) as wh:  # as a warehouse loaded before day runs existed
        wh.execute("DELETE FROM pattern_runs WHERE exclusions <> 'large-value-1'")
        wh.execute("DELETE FROM window_files WHERE path LIKE 'patterns/%'")
    calendar = BusinessCalendar.load(None)
    with Warehouse.open(cut, read_only=True) as wh:  # a read-only replay cuts in memory
        for day in days[-3:]:
            # small batches and slices: several cut passes, each slice from the memory cut
            by_memory = scan_pattern_part(wh, [day], calendar, scan=ScanSettings(slice_rows=2_000))
            with Warehouse.open(stored, read_only=True) as other:
                by_runs = scan_pattern_part(other, [day], calendar)
            [label] = by_runs.hits
            assert result_rows(by_memory.hits[label]) == result_rows(by_runs.hits[label])
            assert by_memory.transactions_scanned == by_runs.transactions_scanned
        assert (
            wh.scalar("SELECT count(*) FROM pattern_runs WHERE exclusions <> 'large-value-1'") == 0
        )  # and stores nothing
    with Warehouse.open(cut) as wh:  # a scan under a forced pack leaves the night's runs be
        forced = scan_pattern_part(wh, days[-3:], calendar, "pboc-2016")
        assert sum(t.num_rows for t in forced.hits.values())
        assert (
            wh.scalar("SELECT count(*) FROM pattern_runs WHERE exclusions <> 'large-value-1'") == 0
        )
    by_stored = scan_patterns_range(days, stored)
    by_cut = scan_patterns_range(days, cut)  # cuts every date once, in one transaction
    assert by_stored.hits_by_code == by_cut.hits_by_code and by_stored.hits_by_code
    assert by_stored.transactions_scanned == by_cut.transactions_scanned
    assert snapshot(stored) == snapshot(cut)
    assert evidence_detail(stored) == evidence_detail(cut)
    with Warehouse.open(cut, read_only=True) as wh:  # the runs a load would have cut
        assert stored_runs(wh) == runs
        assert wh.scalar(
            "SELECT count(*) FROM pattern_runs WHERE exclusions <> 'large-value-1'"
        ) == len(days)
    assert cut_day_runs(cut) == []  # nothing left to cut
    scan_patterns_range(days, cut)
    assert snapshot(stored) == snapshot(cut)


def test_evidence_is_found_whole_whichever_dates_have_a_valid_run(
    bank: tuple[Path, Path, list[dict]], tmp_path: Path
) -> None:
    """The evidence pick looks customers up in the day runs where they are valid and scans
    the other dates: a run gone, or cut under other exclusions and pointing at the wrong
    lines, changes nothing; a scan cuts such dates again."""
    out, db, _ = bank
    days = inbox_dates(out / "inbox")
    rule = load_pack("pboc-2016").suspicious
    assert rule is not None
    with Warehouse.open(db, read_only=True) as wh:
        found = wh._con.sql(
            "SELECT alert_id, customer_id, account_id, window_start, window_end "
            "FROM suspicious_alerts"
        ).to_arrow_table()
        expected = sorted(wh_patterns.evidence_rows(wh, found, rule).to_pylist(), key=str)
    assert expected
    mixed = tmp_path / "mixed.duckdb"
    shutil.copy(db, mixed)
    with Warehouse.open(mixed) as wh:
        wh.execute(
            "UPDATE pattern_runs SET exclusions = 'other' WHERE business_date IN (?, ?)",
            [days[-3], days[-8]],
        )
        for table in ("pattern_runs", "window_files"):
            wh.execute(f"DELETE FROM {table} WHERE business_date = ?", [days[-5]])
    with Warehouse.open(mixed, read_only=True) as wh:
        picked = wh_patterns.evidence_rows(wh, found, rule).to_pylist()
    assert sorted(picked, key=str) == expected
    with Warehouse.open(mixed) as wh:
        wh.execute("DELETE FROM suspicious_evidence_detail")
    scan_patterns_range(days, mixed)
    assert evidence_detail(mixed) == evidence_detail(db)
    assert snapshot(mixed) == snapshot(db)


def evidence_detail(db: Path) -> list[tuple]:
    with Warehouse.open(db, read_only=True) as wh:
        return sorted(wh.rows("SELECT * FROM suspicious_evidence_detail"), key=str)


def test_every_standard_finds_its_planted_cases_and_no_look_alike(
    bank: tuple[Path, Path, list[dict]],
) -> None:
    _, db, cases = bank
    found = {(a["rule_code"], a["customer_id"]) for a in alerts(db)}
    planted = {(code, c["customer_id"]) for c in cases for code in c.get("standards", ())}
    rule = load_pack("pboc-2016").suspicious
    assert rule is not None
    # every running standard has planted cases, and every one of them alerts
    # (the network standards' plants are rings of several customers: tests/warehouse/test_network.py)
    assert {code for code, _ in planted} == {
        s.code for s in rule.running() if s.family not in NETWORK_FAMILIES
    }
    assert planted <= found
    decoys = {c["customer_id"] for c in cases if c["kind"].startswith("decoy")}
    assert {"decoy_family_transfers", "decoy_seasonal_business"} <= {
        c["kind"] for c in cases if c["customer_id"] in decoys
    }
    assert not decoys & {customer for _, customer in found}
