"""The rescan: after a date's input was replaced, the later nights whose windows hold it are
scanned again, and what changed in their alerts is reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from amlwatch import wiring
from amlwatch.models import RescanSummary
from amlwatch.rules import load_pack, pack_for
from amlwatch.stages.network import scan_network_days
from amlwatch.stages.patterns import scan_pattern_days
from amlwatch.warehouse import patterns as wh_patterns
from amlwatch.warehouse import run_log as wh_run_log


def rescan_following(
    run_date: dt.date, db: Path | None = None, rule_pack: str | None = None
) -> RescanSummary:
    """After a date's input was replaced, re-scan the later nights whose windows hold it.

    Those are the end days from the day after `run_date` up to the last one whose window
    starts on or before it (the following window's worth of business days), limited to nights
    that already ran successfully (the others will scan when they run). Returns which alerts
    appeared, disappeared or changed.
    """
    settings = wiring.settings()
    calendar = wiring.calendar(settings)
    pack = load_pack(rule_pack) if rule_pack else pack_for(run_date)
    summary = RescanSummary()
    if pack.suspicious is None:
        return summary
    days = pack.suspicious.window_business_days
    last = calendar.add_business_days(run_date, days)
    candidates = [run_date + dt.timedelta(days=i) for i in range(1, (last - run_date).days + 1)]
    candidates = [e for e in candidates if calendar.window_start(e, days) <= run_date]
    with wiring.open_warehouse(db, settings) as warehouse:
        ends = sorted(wh_run_log.completed_dates(warehouse, candidates))
        if not ends:
            return summary
        before = wh_patterns.alert_state(warehouse)
        scan_pattern_days(warehouse, ends, calendar, rule_pack, settings.scan)
        scan_network_days(warehouse, ends, calendar, rule_pack)  # their graphs changed too
        after = wh_patterns.alert_state(warehouse)
    summary.scan_dates = ends
    summary.opened = sorted(set(after) - set(before))
    summary.removed = sorted(set(before) - set(after))
    summary.changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    return summary
