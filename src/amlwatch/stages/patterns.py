"""The scatter / concentrate stage: window rows → kernel → hits → alerts with evidence.

A hit is one standard matched by one subject's window ending on one scanned day; the alerts
they form are `stages.alerts`'. Per customer, the window is merged from the day runs cut at
ingest, a slice of customers at a time (`ScanSettings.slice_rows`), two slices side by side
(`slice_threads`); per account, the window is read and sorted here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amlwatch import wiring
from amlwatch.models import PatternSummary
from amlwatch.reports import SuspiciousReportFiles, write_suspicious_tables
from amlwatch.rules import BusinessCalendar, PatternStandard, RulePack, SuspiciousRule
from amlwatch.rules.library import LibraryVersion
from amlwatch.scanners import (
    FLAG_SCATTER_IN,
    FLAG_SCATTER_OUT,
    PatternParams,
    PatternWindows,
    scan_patterns,
)
from amlwatch.scanners.prune import NO_FAMILY, Prune
from amlwatch.scanners.standards import prune_bounds
from amlwatch.scanners.standards.dormant import lookback as dormant_lookback
from amlwatch.settings import ScanSettings
from amlwatch.stages.alerts import store_alerts
from amlwatch.stages.arrays import merge_window, prepare
from amlwatch.stages.standards import (
    customer_facts,
    family_hits,
    no_events,
    nothing_before,
    other_families,
    past_wanted,
    with_openings,
)
from amlwatch.warehouse import WHOLE, Bucket, Warehouse, day_runs
from amlwatch.warehouse import patterns as wh_patterns
from amlwatch.warehouse.tables import SUSPICIOUS_HITS

EPOCH = dt.date(1970, 1, 1)


MILLI = Decimal("0.001")


FLAGS = {"in": FLAG_SCATTER_IN, "out": FLAG_SCATTER_OUT}


def window_days(
    calendar: BusinessCalendar, ends: Sequence[dt.date], rule: SuspiciousRule
) -> tuple[np.ndarray, np.ndarray]:
    """(end days, start days) as int32 days since 1970-01-01."""
    starts = [calendar.window_start(e, rule.window_business_days) for e in ends]
    return (
        np.array([(e - EPOCH).days for e in ends], np.int32),
        np.array([(s - EPOCH).days for s in starts], np.int32),
    )


def hits_table(
    found: PatternWindows,
    entity: np.ndarray,
    names: Sequence[tuple[str, str | None]],
    ends: Sequence[dt.date],
    starts: Sequence[dt.date],
    pack: RulePack,
    rule: SuspiciousRule,
) -> pa.Table:
    """One row per (window, standard) matched, in the `suspicious_hits` layout; `entity` and
    `names` (customer id, account id) are the subject's of each found window."""
    records: dict[str, list[object]] = {name: [] for name in SUSPICIOUS_HITS.names}
    now = dt.datetime.now()
    for i in range(len(found)):
        customer_id, account = names[i]
        account_id = account if rule.subject == "account" else None
        for standard in rule.standards:
            if standard.family != "scatter" or not found.flags[i] & FLAGS[standard.scattered]:
                continue
            e = int(found.end[i])
            if not standard.runs_on(ends[e]):
                continue
            values = {
                "scan_date": ends[e],
                "rule_code": standard.code,
                "customer_id": customer_id,
                "account_id": account_id,
                "customer_type": "entity" if entity[i] else "individual",
                "window_start": starts[e],
                "window_end": ends[e],
                "in_total": int(found.in_total[i]) * MILLI,
                "in_count": int(found.in_count[i]),
                "in_parties": int(found.in_parties[i]),
                "out_total": int(found.out_total[i]) * MILLI,
                "out_count": int(found.out_count[i]),
                "out_parties": int(found.out_parties[i]),
                "out_after_first_in": int(found.out_after_first_in[i]) * MILLI,
                "rule_pack": pack.label,
                "scanned_at": now,
                "family": "scatter",
                "standard_status": standard.status,
                "measure_count": None,
                "measure_total": None,
                "measure_days": None,
            }
            for name, value in values.items():
                records[name].append(value)
    return pa.table(records, SUSPICIOUS_HITS.schema())


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
    """The hits of the windows ending on each of `ends` for one bucket's customers (read only)."""
    started = time.monotonic()
    part = PatternPart()
    types: pa.Table | None = None
    for label, (pack, days) in packs_by_day(ends, rule_pack, library).items():
        if pack.suspicious is not None:
            # runs cut under a forced pack stay in memory: the stored ones are the night's
            hits, scanned = scan_hits(
                warehouse, days, calendar, pack, pack.suspicious, types, bucket, scan,
                store_runs=rule_pack is None,
            )  # fmt: skip
            part.hits[label] = hits
            part.transactions_scanned += scanned
    part.duration_s = time.monotonic() - started
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


def scan_hits(
    warehouse: Warehouse,
    days: Sequence[dt.date],
    calendar: BusinessCalendar,
    pack: RulePack,
    rule: SuspiciousRule,
    types: pa.Table | None = None,
    bucket: Bucket = WHOLE,
    scan: ScanSettings | None = None,
    store_runs: bool = True,
) -> tuple[pa.Table, int]:
    """The hits of the windows ending on `days` under one pack (of the bucket's customers),
    without storing them; with the number of transactions read. Day runs the window lacks are
    cut and, with `store_runs` on a writable warehouse, stored (`day_runs.ready_window`)."""
    scan = scan or ScanSettings()
    days = sorted(days)
    end_days, start_days = window_days(calendar, days, rule)
    starts = [EPOCH + dt.timedelta(days=int(s)) for s in start_days]
    others = other_families(calendar, days, rule)
    scatter = any(s.family == "scatter" and s.running for s in rule.standards)
    # the window read: the longest of the standards'
    first_day = min([*starts, *(w.starts[0] for w in others)])
    running = {s.family for s in rule.running()}
    opened, events = "new_account" in running, "open_close" in running
    declared = "out_of_profile" in running
    risk = any(s.by_risk_level for s in rule.running())  # parameters per customer risk level
    # the subjects' days before the read window, as far back as a sleep and a waking reach
    sleep = max(
        [dormant_lookback(s.params) for s in rule.running() if s.family == "dormant"], default=-1
    )
    active_before = (first_day, sleep) if sleep >= 0 else None
    past_before = past_wanted(rule, first_day)
    if (
        types is None
        or (opened and "newest_opened" not in types.column_names)
        or (events and "opened_days" not in types.column_names)
        or (declared and "declared" not in types.column_names)
        or (risk and "risk_level" not in types.column_names)
        or active_before is not None  # for this read window only
        or past_before is not None
    ):
        types = wh_patterns.customer_types(
            warehouse, bucket, opened, events, declared, active_before, past_before, risk
        )
    params = PatternParams.from_rule(rule)
    if rule.subject == "customer":  # merged from the day runs, a slice of customers at a time
        dates = day_runs.ready_window(
            warehouse, first_day, max(days), rule, bucket, scan.slice_rows, store_runs
        )
        window = sum(dates.rows.values()) // bucket.count
        # a multiple of the threads (the merge and the kernel are one thread each): no thread
        # waits alone for the last slice
        threads = max(1, scan.slice_threads)
        pieces = bucket.split(threads * max(1, -(-window // (scan.slice_rows * threads))))
        # customers that can match no running standard are left out (`scanners.prune`): the
        # blocks as long as the longest window, the other families' least totals and, for
        # those that mark records of a kind, the least total and count of such records
        earliest = np.minimum.reduce([start_days, *(w.start_days for w in others)])
        least, filters, own = prune_bounds(  # with each risk level's parameters too
            [(w.standard.family, p) for w in others for p in _all_params(w.standard)],
            customer_facts(types, first_day, max(days)),
        )
        if not scatter:  # no scatter standard: its bounds must keep nobody
            params = PatternParams(np.full_like(params.table, NO_FAMILY))
        prune = (
            Prune.for_windows(params, end_days, earliest, least=least, filters=filters)
            if scan.prune
            else None
        )

        def scan_slice(piece: Bucket) -> tuple[pa.Table, int]:
            with warehouse.cursor() as reader:  # a connection per thread
                runs = day_runs.window_runs(reader, dates, first_day, max(days), piece)
            rows = sum(run.num_rows for run in runs)
            merged = merge_window(runs, types, scan.block_rows, prune, own if prune else None)
            data = with_openings(merged.data, merged.customer_row, types)

            def names_of(lo: np.ndarray) -> list[tuple[str, str | None]]:
                known = merged.customer_row[merged.data.subject[lo]]
                if np.any(known < 0):
                    raise ValueError("a customer with transactions is missing from customers")
                return [
                    (c, None) for c in pc.take(types["customer_id"], pa.array(known)).to_pylist()
                ]

            tables = family_hits(data, others, days, names_of, pack, rule)
            if scatter:
                found = scan_patterns(data, end_days, start_days, params)
                entity = data.entity[found.lo]
                names = names_of(found.lo)
                tables.append(hits_table(found, entity, names, days, starts, pack, rule))
            del merged
            return pa.concat_tables(tables) if tables else SUSPICIOUS_HITS.empty(), rows

        if len(pieces) == 1:
            results = [scan_slice(pieces[0])]
        else:  # in slice order whatever finishes first: the same hits for any thread count
            # (runs are read in stored order: set once for all threads, it is the database's)
            with (
                warehouse.in_insertion_order(),
                ThreadPoolExecutor(min(scan.slice_threads, len(pieces))) as pool,
            ):
                results = list(pool.map(scan_slice, pieces))
        return pa.concat_tables([t for t, _ in results]), sum(n for _, n in results)

    # per account: the window sorted here
    table = wh_patterns.pattern_window_rows(warehouse, first_day, max(days), rule, bucket)
    prepared = prepare(table, types, rule.subject)
    rows = table.num_rows
    del table  # the arrays are in `prepared` now

    def account_names(lo: np.ndarray) -> list[tuple[str, str | None]]:
        rids = [int(r) for r in prepared.rid[lo]]
        by_rid = wh_patterns.subject_ids(warehouse, rids)
        return [by_rid[r] for r in rids]

    # an account's own opening and declared figure are not looked up: per-account subjects
    # have none (-1), no account events and no days before the window
    subjects = int(prepared.data.subject.max()) + 1 if len(prepared.data.subject) else 0
    unknown = np.full(subjects, -1, np.int64)
    account_data = no_events(
        nothing_before(dataclasses.replace(prepared.data, opened=unknown, declared=unknown))
    )
    tables = family_hits(account_data, others, days, account_names, pack, rule)
    if scatter:
        found = scan_patterns(prepared.data, end_days, start_days, params)
        entity = prepared.data.entity[found.lo]
        tables.append(hits_table(found, entity, account_names(found.lo), days, starts, pack, rule))
    return pa.concat_tables(tables) if tables else SUSPICIOUS_HITS.empty(), rows


def _all_params(standard: PatternStandard) -> list[dict[str, dict[str, Decimal]]]:
    return [standard.params, *(standard.at_risk_level(code) for code in standard.by_risk_level)]


def scan_patterns_day(
    run_date: dt.date, db: Path | None = None, rule_pack: str | None = None
) -> PatternSummary:
    """Scan the scatter / concentrate windows ending on the run date; extend or open alerts."""
    return scan_patterns_range([run_date], db, rule_pack)


def scan_patterns_bucket(
    run_date: dt.date, db: Path | None, rule_pack: str | None, bucket: Bucket
) -> PatternPart:
    """One bucket's hits of the windows ending on the run date, stored nowhere yet (read-only)."""
    settings = wiring.settings()
    library = wiring.standards_library(db, settings) if rule_pack is None else []
    with wiring.open_warehouse(db, settings, scanning=True) as warehouse:
        return scan_pattern_part(
            warehouse, [run_date], wiring.calendar(settings), rule_pack, bucket, settings.scan,
            library,
        )  # fmt: skip


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
