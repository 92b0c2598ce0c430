"""Pruning (`scanners.prune`): leaving out the customers that cannot match finds exactly the
matches of scanning everyone, for both standards, both customer types, amount minimums zero
and not, short and long windows, one block or many, late records."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import numpy as np
from hypothesis import event, given, settings
from hypothesis import strategies as st

from amlwatch.rules import PatternThresholds, SuspiciousRule
from amlwatch.scanners import FLAG_SCATTER_IN, FLAG_SCATTER_OUT, PatternParams, scan_patterns
from amlwatch.scanners.prune import Prune
from amlwatch.scanners.runs import DayRuns, merge_runs
from tests.naive import NaiveFlow
from tests.scanners.test_patterns import ALL_DAYS, CALENDAR, EPOCH, RULE, at, flows, rings
from tests.scanners.test_runs import _key, runs_of


def matches(
    rows: list[NaiveFlow],
    ends: list[dt.date],
    rule: SuspiciousRule,
    data: DayRuns,
    prune: bool,
    max_blocks: int = 4,
) -> tuple[dict[tuple[str, dt.date], tuple[int, ...]], int]:
    """The matched windows (subject, end) -> (flags, metrics), and the rows merged."""
    subjects = sorted({f.subject for f in rows})
    entity = {f.subject: f.entity for f in rows}
    end_days = np.array([(e - EPOCH).days for e in ends], np.int32)
    start_days = np.array(
        [(CALENDAR.window_start(e, rule.window_business_days) - EPOCH).days for e in ends],
        np.int32,
    )
    params = PatternParams.from_rule(rule)
    merged = merge_runs(
        data,
        np.array([_key(s)[0] for s in subjects], np.uint64),
        np.array([_key(s)[1] for s in subjects], np.uint64),
        np.array([entity[s] for s in subjects], np.bool_),
        prune=Prune.for_windows(params, end_days, start_days, max_blocks) if prune else None,
    )
    found = scan_patterns(merged.data, end_days, start_days, params)
    windows = {
        (subjects[merged.customer_row[found.subject[i]]], ends[found.end[i]]): (
            int(found.flags[i]),
            int(found.in_total[i]),
            int(found.in_parties[i]),
            int(found.out_total[i]),
            int(found.out_parties[i]),
            int(found.out_after_first_in[i]),
        )
        for i in range(len(found))
    }
    return windows, len(merged.data.subject)


THRESHOLDS = st.builds(
    PatternThresholds,
    min_scattered_parties=st.integers(0, 5),
    max_concentrated_parties=st.integers(1, 3),
    min_amount_cny=st.sampled_from([Decimal(0), Decimal("0.001"), Decimal(100), Decimal(600)]),
    through_flow_min=st.sampled_from([Decimal(0), Decimal("0.8")]),
    through_flow_max=st.sampled_from([Decimal("1.25"), Decimal(10)]),
    min_follow_share=st.sampled_from([Decimal(0), Decimal("0.6")]),
)


@st.composite
def banks(draw: st.DrawFn) -> list[NaiveFlow]:
    """Background rows of several customers and a ring or two on customers of either type."""
    rows = draw(flows())
    for n in range(draw(st.integers(0, 2))):
        subject, entity = f"S{5 + n}", draw(st.booleans())
        rows += [
            dataclasses.replace(f, txn_id=f"{subject}{f.txn_id}", subject=subject, entity=entity)
            for f in draw(rings())
        ]
    return rows


@settings(max_examples=400, deadline=None)
@given(
    banks(),
    st.lists(st.sampled_from(ALL_DAYS), min_size=1, max_size=12, unique=True),
    THRESHOLDS,
    THRESHOLDS,
    st.sampled_from([2, 3, 5, 10]),
    st.lists(st.sampled_from([0, 0, 0, 1, 3]), max_size=5),
    st.sampled_from([1, 2, 4, 8]),
)
def test_pruning_finds_what_scanning_everyone_finds(
    rows: list[NaiveFlow],
    ends: list[dt.date],
    individual: PatternThresholds,
    entity: PatternThresholds,
    business_days: int,
    late: list[int],
    max_blocks: int,
) -> None:
    ends = sorted(ends)
    rule = dataclasses.replace(
        RULE,
        window_business_days=business_days,
        thresholds={"individual": individual, "entity": entity},
    )
    data = runs_of(rows, late, False, 0)
    everyone, all_rows = matches(rows, ends, rule, data, prune=False)
    pruned, kept_rows = matches(rows, ends, rule, data, prune=True, max_blocks=max_blocks)
    assert pruned == everyone
    assert kept_rows <= all_rows
    flags = {f for f, *_ in everyone.values()}
    event("scatter-in matched" if any(f & FLAG_SCATTER_IN for f in flags) else "no scatter-in")
    event("scatter-out matched" if any(f & FLAG_SCATTER_OUT for f in flags) else "no scatter-out")
    event("rows pruned" if kept_rows < all_rows else "nothing pruned")


def test_a_ring_is_kept_and_customers_that_cannot_match_are_left_out() -> None:
    """Five payers into S5, one payee out: a match, its payments exactly the minimum. S1 has
    as many payers but no payment; S2 pays enough to one party but collects from too few; S3
    collects from enough parties, but far apart: no two blocks hold them."""
    ring = [
        NaiveFlow(f"R{i}", "S5", False, at("2026-09-21", 9 + i), "in", Decimal(100), "ABCDE"[i])
        for i in range(5)
    ] + [NaiveFlow("RO", "S5", False, at("2026-09-22"), "out", Decimal(480), "X")]
    lone = [
        NaiveFlow(f"L{i}", "S1", False, at("2026-09-21", 9 + i), "in", Decimal(100), "ABCDE"[i])
        for i in range(5)
    ]
    few = [
        NaiveFlow("F1", "S2", True, at("2026-09-21"), "in", Decimal(900), "A"),
        NaiveFlow("F2", "S2", True, at("2026-09-22"), "out", Decimal(900), "B"),
    ]
    apart = [
        NaiveFlow(f"A{i}", "S3", False, at(day), "in", Decimal(100), party)
        for i, (day, party) in enumerate(
            [("2026-09-14", "A"), ("2026-09-15", "B"), ("2026-10-14", "C"), ("2026-10-15", "D")]
        )
    ] + [NaiveFlow("AO", "S3", False, at("2026-10-16"), "out", Decimal(400), "X")]
    rows = ring + lone + few + apart
    individual = dataclasses.replace(RULE.thresholds["individual"], min_amount_cny=Decimal(480))
    rule = dataclasses.replace(
        RULE, window_business_days=3, thresholds={**RULE.thresholds, "individual": individual}
    )
    ends = [d for d in ALL_DAYS if CALENDAR.is_business_day(d)]
    data = runs_of(rows, [], False, 0)
    everyone, all_rows = matches(rows, ends, rule, data, prune=False)
    pruned, kept_rows = matches(rows, ends, rule, data, prune=True)
    assert {subject for subject, _ in everyone} == {"S5"}
    assert pruned == everyone
    assert (all_rows, kept_rows) == (len(rows), len(ring))
