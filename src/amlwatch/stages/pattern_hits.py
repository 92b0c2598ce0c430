"""One pack's scan of the windows ending on some days, split in two: the plan, made where
the warehouse is (the customers' facts, the window's files in the window store, the runs
stored for dates lacking one), and the scan, which needs only the plan — so that a bucket's
scan runs on a worker that cannot reach the warehouse file (`PatternPlan`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amlwatch.rules import BusinessCalendar, PatternStandard, RulePack, SuspiciousRule
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
from amlwatch.stages.arrays import merge_window, prepare
from amlwatch.stages.standards import (
    StandardWindow,
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


@dataclass(frozen=True, slots=True)
class PatternPlan:
    """What one pack's scan of a bucket needs, made where the warehouse is: the scanned days
    and their windows, the bucket's customers' facts (`types`), and the window's dates with
    their files in the window store (or runs cut in memory). Picklable: a worker given a plan
    scans without the warehouse. A per-account rule is scanned whole where the plan is made
    (`found`)."""

    pack: RulePack
    rule: SuspiciousRule
    days: list[dt.date]
    end_days: np.ndarray
    start_days: np.ndarray
    starts: list[dt.date]
    others: list[StandardWindow]
    first_day: dt.date
    types: pa.Table
    bucket: Bucket
    scan: ScanSettings
    dates: day_runs.WindowDates | None = None
    found: tuple[pa.Table, int] | None = None


def plan_hits(
    warehouse: Warehouse,
    days: Sequence[dt.date],
    calendar: BusinessCalendar,
    pack: RulePack,
    rule: SuspiciousRule,
    types: pa.Table | None = None,
    bucket: Bucket = WHOLE,
    scan: ScanSettings | None = None,
    store_runs: bool = True,
) -> PatternPlan:
    """The plan of a scan of the windows ending on `days` under one pack, of the bucket's
    customers. Day runs the window lacks are cut and, with `store_runs` on a writable
    warehouse, stored in the window store (`day_runs.ready_window`); else kept in the plan."""
    scan = scan or ScanSettings()
    days = sorted(days)
    end_days, start_days = window_days(calendar, days, rule)
    starts = [EPOCH + dt.timedelta(days=int(s)) for s in start_days]
    others = other_families(calendar, days, rule)
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
    plan = PatternPlan(
        pack, rule, days, end_days, start_days, starts, others, first_day, types, bucket, scan
    )
    if rule.subject == "customer":  # merged from the day runs, a slice of customers at a time
        dates = day_runs.ready_window(
            warehouse, first_day, max(days), rule, bucket, scan.slice_rows, store_runs
        )
        return dataclasses.replace(plan, dates=dates)
    return dataclasses.replace(plan, found=_account_hits(warehouse, plan))


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
    without storing them; with the number of transactions read (`plan_hits`, then
    `scan_planned`)."""
    plan = plan_hits(warehouse, days, calendar, pack, rule, types, bucket, scan, store_runs)
    return scan_planned(plan)


def scan_planned(plan: PatternPlan) -> tuple[pa.Table, int]:
    """The hits a plan finds, with the transactions read: the window's rows read from the
    window store, a slice of customers at a time; no warehouse connection."""
    if plan.found is not None:
        return plan.found
    assert plan.dates is not None
    pack, rule, days, types, scan, bucket = (
        plan.pack, plan.rule, plan.days, plan.types, plan.scan, plan.bucket
    )  # fmt: skip
    end_days, start_days, starts, others, first_day = (
        plan.end_days, plan.start_days, plan.starts, plan.others, plan.first_day
    )  # fmt: skip
    dates = plan.dates
    scatter = any(s.family == "scatter" and s.running for s in rule.standards)
    params = PatternParams.from_rule(rule)
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
        runs = day_runs.window_runs(dates, first_day, max(days), piece)
        rows = sum(run.num_rows for run in runs)
        merged = merge_window(runs, types, scan.block_rows, prune, own if prune else None)
        data = with_openings(merged.data, merged.customer_row, types)

        def names_of(lo: np.ndarray) -> list[tuple[str, str | None]]:
            known = merged.customer_row[merged.data.subject[lo]]
            if np.any(known < 0):
                raise ValueError("a customer with transactions is missing from customers")
            return [(c, None) for c in pc.take(types["customer_id"], pa.array(known)).to_pylist()]

        tables = family_hits(data, others, days, names_of, pack, rule)
        if scatter:
            found = scan_patterns(data, end_days, start_days, params)
            entity = data.entity[found.lo]
            names = names_of(found.lo)
            tables.append(hits_table(found, entity, names, days, starts, pack, rule))
        return pa.concat_tables(tables) if tables else SUSPICIOUS_HITS.empty(), rows

    if len(pieces) == 1:
        results = [scan_slice(pieces[0])]
    else:  # in slice order whatever finishes first: the same hits for any thread count
        with ThreadPoolExecutor(min(scan.slice_threads, len(pieces))) as pool:
            results = list(pool.map(scan_slice, pieces))
    return pa.concat_tables([t for t, _ in results]), sum(n for _, n in results)


def _account_hits(warehouse: Warehouse, plan: PatternPlan) -> tuple[pa.Table, int]:
    """A per-account rule's hits: the window read and sorted here, where the warehouse is."""
    pack, rule, days, types, bucket = plan.pack, plan.rule, plan.days, plan.types, plan.bucket
    end_days, start_days, starts, others = plan.end_days, plan.start_days, plan.starts, plan.others
    first_day = plan.first_day
    scatter = any(s.family == "scatter" and s.running for s in rule.standards)
    params = PatternParams.from_rule(rule)
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
