"""The scatter / concentrate stage: window rows → kernel → hits → alerts with evidence.

A hit is one standard matched by one subject's window ending on one scanned day; the alerts
they form are `stages.alerts`'. Per customer, the window is merged from the day runs cut at
ingest, a slice of customers at a time (`ScanSettings.slice_rows`), two slices side by side
(`slice_threads`); per account, the window is read and sorted here.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from amlwatch import wiring
from amlwatch.models import PatternSummary
from amlwatch.reports import SuspiciousReportFiles, write_suspicious_tables
from amlwatch.rules import BusinessCalendar, RulePack
from amlwatch.rules.library import LibraryVersion
from amlwatch.settings import ScanSettings
from amlwatch.stages.alerts import store_alerts
from amlwatch.stages.pattern_hits import (
    EPOCH,
    PatternPlan,
    hits_table,
    plan_hits,
    scan_hits,
    scan_planned,
    window_days,
)
from amlwatch.warehouse import WHOLE, Bucket, Warehouse
from amlwatch.warehouse import patterns as wh_patterns
from amlwatch.warehouse.tables import SUSPICIOUS_HITS

__all__ = ["EPOCH", "PatternPlan", "hits_table", "scan_hits", "window_days"]


@dataclass(slots=True)
class PatternPart:
    """What one bucket's scan found: hits per rule pack label (empty tables included, so that
    storing replaces those days' hits), the rows it read and its seconds."""

    hits: dict[str, pa.Table] = field(default_factory=dict)
    transactions_scanned: int = 0
    duration_s: float = 0.0


def packs_by_day(
    ends: Sequence[dt.date], rule_pack: str | None, library: Sequence[LibraryVersion] = ()
) -> dict[str, tuple[RulePack, list[dt.date]]]:
    """The scanned days grouped by the pack in force on each — with the standards' versions
    approvers put in force that day — or the one forced."""
    by_pack: dict[str, tuple[RulePack, list[dt.date]]] = {}
    for day in sorted(ends):
        pack = wiring.rule_pack_on(day, rule_pack, library)
        by_pack.setdefault(pack.label, (pack, []))[1].append(day)
    return by_pack


def scan_pattern_part(
    warehouse: Warehouse,
    ends: Sequence[dt.date],
    calendar: BusinessCalendar,
    rule_pack: str | None = None,
    bucket: Bucket = WHOLE,
    scan: ScanSettings | None = None,
    library: Sequence[LibraryVersion] = (),
) -> PatternPart:
    """The hits of the windows ending on each of `ends` for one bucket's customers."""
    return scan_part_plan(
        plan_pattern_part(warehouse, ends, calendar, rule_pack, bucket, scan, library)
    )


@dataclass(frozen=True, slots=True)
class PartPlan:
    """A bucket's plans, one per rule pack label of the scanned days (`plan_pattern_part`)."""

    plans: dict[str, PatternPlan]
    seconds: float = 0.0


def plan_pattern_part(
    warehouse: Warehouse,
    ends: Sequence[dt.date],
    calendar: BusinessCalendar,
    rule_pack: str | None = None,
    bucket: Bucket = WHOLE,
    scan: ScanSettings | None = None,
    library: Sequence[LibraryVersion] = (),
) -> PartPlan:
    """What a bucket's worker scans, made where the warehouse is (the window's day runs that
    are missing stored in the window store first: the worker reads only the store)."""
    started = time.monotonic()
    plans = {}
    for label, (pack, days) in packs_by_day(ends, rule_pack, library).items():
        if pack.suspicious is not None:  # runs cut under a forced pack stay in memory
            plans[label] = plan_hits(
                warehouse, days, calendar, pack, pack.suspicious, None, bucket, scan,
                store_runs=rule_pack is None,
            )  # fmt: skip
    return PartPlan(plans, time.monotonic() - started)


def scan_part_plan(plan: PartPlan) -> PatternPart:
    """A bucket's hits from its plan, on any worker: reads the window store, never the
    warehouse."""
    started = time.monotonic()
    part = PatternPart()
    for label, one in plan.plans.items():
        part.hits[label], scanned = scan_planned(one)
        part.transactions_scanned += scanned
    part.duration_s = time.monotonic() - started + plan.seconds
    return part


def store_pattern_parts(
    warehouse: Warehouse,
    ends: Sequence[dt.date],
    rule_pack: str | None,
    parts: Sequence[PatternPart],
    library: Sequence[LibraryVersion] = (),
) -> PatternSummary:
    """Replace the days' hits with the parts' (every bucket of one split) and rebuild alerts."""
    started = time.monotonic()
    summary = PatternSummary(scan_dates=sorted(ends))
    summary.transactions_scanned = sum(p.transactions_scanned for p in parts)
    by_pack = packs_by_day(ends, rule_pack, library)
    scanned = {label for p in parts for label in p.hits}
    if not scanned <= set(by_pack):  # a version approved between the buckets and the store
        raise ValueError(
            f"规则包在扫描与保存之间发生变化，请重跑 / the rule pack changed during the scan "
            f"({sorted(scanned - set(by_pack))} ≠ {sorted(by_pack)}): run the night again"
        )
    for label, (pack, days) in by_pack.items():
        rule = pack.suspicious
        if rule is None:
            summary.skipped.extend(days)
            continue
        tables = [p.hits[label] for p in parts if label in p.hits]
        hits = pa.concat_tables(tables) if tables else SUSPICIOUS_HITS.empty()
        summary.rule_packs.append(label)
        opened, extended = store_alerts(warehouse, days, hits, pack, rule)
        for code, n in opened.items():
            summary.alerts_opened[code] = summary.alerts_opened.get(code, 0) + n
        for code, n in extended.items():
            summary.alerts_extended[code] = summary.alerts_extended.get(code, 0) + n
        for code in hits["rule_code"].to_pylist():
            summary.hits_by_code[code] = summary.hits_by_code.get(code, 0) + 1
    summary.duration_s = time.monotonic() - started + sum(p.duration_s for p in parts)
    return summary


def scan_pattern_days(
    warehouse: Warehouse,
    ends: Sequence[dt.date],
    calendar: BusinessCalendar,
    rule_pack: str | None = None,
    scan: ScanSettings | None = None,
    library: Sequence[LibraryVersion] = (),
) -> PatternSummary:
    """Scan the windows ending on each of `ends` and replace those days' hits and alerts."""
    part = scan_pattern_part(warehouse, ends, calendar, rule_pack, scan=scan, library=library)
    return store_pattern_parts(warehouse, ends, rule_pack, [part], library)


def scan_patterns_day(
    run_date: dt.date, db: Path | None = None, rule_pack: str | None = None
) -> PatternSummary:
    """Scan the scatter / concentrate windows ending on the run date; extend or open alerts."""
    return scan_patterns_range([run_date], db, rule_pack)


def plan_patterns(
    run_date: dt.date, db: Path | None, rule_pack: str | None, buckets: Sequence[Bucket]
) -> list[PartPlan]:
    """Each bucket's plan of the windows ending on the run date (`plan_pattern_part`): the
    window's runs stored in the window store, each bucket's customers' facts read."""
    settings = wiring.settings()
    library = wiring.standards_library(db, settings) if rule_pack is None else []
    with wiring.open_warehouse(db, settings) as warehouse:
        return [
            plan_pattern_part(
                warehouse,
                [run_date],
                wiring.calendar(settings),
                rule_pack,
                bucket,
                settings.scan,
                library,
            )
            for bucket in buckets
        ]


def store_patterns(
    run_date: dt.date, db: Path | None, rule_pack: str | None, parts: Sequence[PatternPart]
) -> PatternSummary:
    """Replace the run date's hits with every bucket's and rebuild the alerts they touch."""
    library = wiring.standards_library(db) if rule_pack is None else []
    with wiring.open_warehouse(db) as warehouse:
        return store_pattern_parts(warehouse, [run_date], rule_pack, parts, library)


def scan_patterns_range(
    ends: list[dt.date], db: Path | None = None, rule_pack: str | None = None
) -> PatternSummary:
    """Scan the windows ending on each of `ends` (a backtest or a replay) and store them."""
    settings = wiring.settings()
    library = wiring.standards_library(db, settings) if rule_pack is None else []
    with wiring.open_warehouse(db, settings) as warehouse:
        return scan_pattern_days(
            warehouse, ends, wiring.calendar(settings), rule_pack, settings.scan, library
        )


def write_suspicious_report(
    run_date: dt.date, db: Path | None = None, reports_dir: Path | None = None
) -> SuspiciousReportFiles:
    """Write `reports/<run_date>/` suspicious report form for the alerts the run opened or
    extended."""
    settings = wiring.settings()
    with wiring.open_warehouse(db, settings) as warehouse:
        alerts = wh_patterns.alerts_of_run(warehouse, [run_date])
        txns = wh_patterns.alert_transaction_rows(warehouse, [str(a["alert_id"]) for a in alerts])
    folder = wiring.reports_folder(settings, reports_dir, run_date.isoformat())
    institution = f"{settings.institution_name}（{settings.institution_code}）"
    return write_suspicious_tables(alerts, txns, folder, run_date, institution=institution)
