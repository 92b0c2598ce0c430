"""The night never stops at the year boundary: a year whose State Council schedule is not
loaded runs on the provisional statutory calendar, marked so, and the official schedule,
once it arrives, re-does exactly the nights it changes."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness

from amlwatch.ingest import inbox_dates
from amlwatch.rules import BusinessCalendar
from amlwatch.settings import ScanSettings, get_settings
from amlwatch.stages.calendar import night_calendar
from amlwatch.stages.patterns import scan_pattern_days
from amlwatch.synth import generate_bank
from amlwatch.warehouse import Warehouse
from pipelines.nightly import nightly

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FIRST, LAST = dt.date(2026, 12, 20), dt.date(2027, 1, 20)
# a made-up official 2027 schedule that differs from the statute alone: Monday 4 January off
# (a bridging day), Saturday 9 January worked (its make-up day)
OFFICIAL_2027 = '[2027]\nholidays = ["2027-01-01", "2027-01-04"]\nworkdays = ["2027-01-09"]\n'


@pytest.fixture(scope="module", autouse=True)
def harness() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=180):
        yield


def _cells(workbook: Path) -> str:
    """Every cell's text of a workbook."""
    import openpyxl

    book = openpyxl.load_workbook(workbook, read_only=True)
    return " ".join(
        str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v
    )


def _alerts(db: Path) -> list[tuple[object, ...]]:
    with Warehouse.open(db, read_only=True) as wh:
        return sorted(
            wh.rows(
                """SELECT alert_id, window_start, window_end, nights, in_total, out_total,
                          in_parties, out_parties, evidence_count FROM suspicious_alerts"""
            ),
            key=str,
        )


def test_nights_across_the_year_run_provisionally_and_the_official_schedule_redoes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not BusinessCalendar.load().is_official(2027), "chinese-calendar now knows 2027"
    bank = tmp_path / "bank"
    generate_bank(bank, customers=600, days=(LAST - FIRST).days + 1, start=FIRST, seed=17)
    db, reports = tmp_path / "wh.duckdb", tmp_path / "reports"
    nights = inbox_dates(bank / "inbox")
    assert (nights[0], nights[-1]) == (FIRST, LAST)
    for night in nights:  # no override file: 2027 is provisional, and no night fails
        report = nightly(run_date=night, inbox=bank / "inbox", db=db, reports_dir=reports)
        assert report.calendar is not None
        assert report.calendar.provisional == (night >= dt.date(2026, 12, 25))
    with Warehouse.open(db, read_only=True) as wh:
        logged = dict(
            wh.rows(
                "SELECT run_date, calendar_provisional FROM run_log WHERE outcome = 'succeeded'"
            )
        )
    # a night is provisional when its deadline (5 working days on) or window reaches 2027
    assert logged == {n: n >= dt.date(2026, 12, 25) for n in nights}
    provisional = BusinessCalendar.load()
    with Warehouse.open(db, read_only=True) as wh:
        hit_days = {r[0] for r in wh.rows("SELECT trade_date FROM large_value_transactions")}
    marked = [n for n in nights if n >= dt.date(2026, 12, 25) and n in hit_days]
    assert marked  # provisional nights with large-value rows, their deadlines marked 暂定
    for night in marked:
        assert "暂定" in _cells(
            reports / night.isoformat() / f"large_value_report_{night:%Y%m%d}.xlsx"
        )

    override = tmp_path / "holidays.toml"
    override.write_text(OFFICIAL_2027, encoding="utf-8")
    monkeypatch.setenv("AMLWATCH_CALENDAR_FILE", str(override))
    get_settings.cache_clear()
    official = BusinessCalendar.load(override)
    expected_rescan = [
        n
        for n in nights
        # every standard's window, not only the section's: a 5-day one moves on its own
        if night_calendar(n, provisional).window_starts != night_calendar(n, official).window_starts
    ]
    expected_rewrite = [
        n
        for n in nights
        if night_calendar(n, provisional).report_due != night_calendar(n, official).report_due
    ]
    assert expected_rescan and expected_rewrite and len(expected_rescan) < len(nights)
    # the next night finds the schedule and re-does exactly those earlier nights
    extra = LAST + dt.timedelta(days=1)
    shutil.copytree(bank / "inbox" / LAST.isoformat(), bank / "inbox" / extra.isoformat())
    report = nightly(run_date=extra, inbox=bank / "inbox", db=db, reports_dir=reports)
    check = report.calendar
    assert check is not None and not check.provisional
    assert check.rescanned == [n for n in expected_rescan if n != extra]
    assert check.reports_rewritten == [n for n in expected_rewrite if n != extra]
    assert any("正式节假日安排已载入" in note for note in check.notes)
    rewritten = [n for n in marked if n in check.reports_rewritten]
    assert rewritten  # rewritten with their official deadlines, no longer provisional
    for night in rewritten:
        book = reports / night.isoformat() / f"large_value_report_{night:%Y%m%d}.xlsx"
        assert "暂定" not in _cells(book)
    with Warehouse.open(db, read_only=True) as wh:
        assert (
            wh.scalar("SELECT count(*) FROM run_log WHERE coalesce(calendar_provisional, false)")
            == 0
        )
    # what the re-scan left is what scanning every night on the official schedule gives
    fresh = tmp_path / "fresh.duckdb"
    shutil.copy(db, fresh)
    with Warehouse.open(fresh) as wh:
        wh.execute("DELETE FROM suspicious_hits")
        wh.execute("DELETE FROM suspicious_alerts")
        scan_pattern_days(wh, [*nights, extra], official, scan=ScanSettings())
    assert _alerts(db) and _alerts(db) == _alerts(fresh)
    # a second night with nothing new to re-do does nothing
    again = nightly(run_date=extra, inbox=bank / "inbox", db=db, reports_dir=reports)
    assert again.calendar is not None and again.calendar.rescanned == []
