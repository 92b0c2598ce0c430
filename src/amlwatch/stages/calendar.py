"""The calendar stage: whether tonight's window and deadlines rest on a provisional calendar
(a year whose State Council schedule is not loaded, `rules.calendar`), the operators'
warnings, and — once an official schedule arrives (package upgrade or override file) — the
earlier provisional nights done again on it: their pattern windows re-scanned where they
changed, their large-value reports rewritten where a deadline moved, the changes listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from amlwatch import wiring
from amlwatch.models import REPORT_DUE_WORKING_DAYS, CalendarCheck
from amlwatch.rules import BusinessCalendar, load_pack, pack_for
from amlwatch.stages.large_value import write_large_value_report
from amlwatch.stages.patterns import scan_pattern_days
from amlwatch.warehouse import patterns as wh_patterns
from amlwatch.warehouse import run_log as wh_run_log


@dataclass(frozen=True, slots=True)
class NightCalendar:
    """The calendar facts of one night: its pattern window's first day, the large-value
    report's deadline for its date, and whether either rests on a provisional year."""

    window_start: dt.date | None
    report_due: dt.date
    provisional: bool
    # every running standard's window start, one per window length ("10:2026-12-18 5:…"):
    # a standard with a shorter window may move where the section's does not
    window_starts: str | None = None


def night_calendar(
    run_date: dt.date, calendar: BusinessCalendar, rule_pack: str | None = None
) -> NightCalendar:
    """The night's window start and report deadline on `calendar`."""
    pack = load_pack(rule_pack) if rule_pack else pack_for(run_date)
    start, starts, first = None, None, run_date
    rule = pack.suspicious
    if rule is not None:
        start = calendar.window_start(run_date, rule.window_business_days)
        lengths = sorted({rule.window_of(s) for s in rule.running()} | {rule.window_business_days})
        begins = {n: calendar.window_start(run_date, n) for n in lengths}
        starts = " ".join(f"{n}:{day}" for n, day in begins.items())
        first = min(begins.values())
    due = calendar.add_business_days(run_date, REPORT_DUE_WORKING_DAYS)
    provisional = bool(calendar.provisional_years(first, due))
    return NightCalendar(start, due, provisional, starts)


def check_calendar(
    run_date: dt.date,
    db: Path | None = None,
    reports_dir: Path | None = None,
    rule_pack: str | None = None,
    today: dt.date | None = None,
) -> CalendarCheck:
    """Tonight's calendar notes, and the earlier provisional nights re-done on an official
    schedule that has arrived since (exactly those whose window or deadline it changes)."""
    settings = wiring.settings()
    calendar = wiring.calendar(settings)
    check = CalendarCheck()
    tonight = night_calendar(run_date, calendar, rule_pack)
    if tonight.provisional:
        years = calendar.provisional_years(tonight.window_start or run_date, tonight.report_due)
        check.provisional = True
        check.notes.append(
            f"本次监测窗口或报送截止日落在 {'、'.join(map(str, years))} 年，该年节假日安排尚未载入，"
            f"按法定节假日暂定计算（截止日 {tonight.report_due} 暂定）/ provisional calendar for "
            f"{', '.join(map(str, years))}: window and deadline {tonight.report_due} are provisional"
        )
    warning = calendar.missing_schedule(today or wiring.today())
    if warning and not tonight.provisional:
        check.notes.append(warning)
    rewrite: list[dt.date] = []
    with wiring.open_warehouse(db, settings) as warehouse:
        rescan: list[dt.date] = []
        for run_id, night, window_start, report_due, starts in wh_run_log.provisional_nights(
            warehouse
        ):
            if night == run_date:
                continue  # tonight's run records tonight's calendar
            now = night_calendar(night, calendar, rule_pack)
            # every standard's window where the night recorded them (else the section's)
            if (now.window_starts != starts) if starts else (now.window_start != window_start):
                rescan.append(night)
            if now.report_due != report_due:
                rewrite.append(night)
            if not now.provisional:
                check.confirmed.append(night)
            wh_run_log.set_night_calendar(
                warehouse, run_id, now.provisional, now.window_start, now.report_due,
                now.window_starts,
            )  # fmt: skip
        if rescan:
            before = wh_patterns.alert_state(warehouse)
            scan_pattern_days(warehouse, rescan, calendar, rule_pack, settings.scan)
            after = wh_patterns.alert_state(warehouse)
            check.opened = sorted(set(after) - set(before))
            check.removed = sorted(set(before) - set(after))
            check.changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
        check.rescanned = rescan
    for night in rewrite:  # the report tables carry each trade date's deadline
        write_large_value_report(night, db, reports_dir)
    check.reports_rewritten = rewrite
    if check.rescanned or check.reports_rewritten:
        check.notes.append(
            f"正式节假日安排已载入：重新扫描 {len(check.rescanned)} 个暂定日历下的监测日、重写 "
            f"{len(check.reports_rewritten)} 份大额报告 / the official schedule arrived: "
            f"{len(check.rescanned)} nights re-scanned, {len(check.reports_rewritten)} reports "
            "rewritten"
        )
    return check
