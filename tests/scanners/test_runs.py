"""Merging day runs into the pattern kernel's input: the windows are the reference's whatever
day the rows were loaded on, late records, unsorted runs and shared key halves included."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlwatch.scanners import FLAG_SCATTER_IN, FLAG_SCATTER_OUT, PatternParams, scan_patterns
from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.runs import DayRuns, merge_runs
from tests.naive import NaiveFlow, NaiveWindow, pattern_windows
from tests.scanners.test_patterns import ALL_DAYS, EPOCH, RULE, flows, window_start

MILLI = Decimal("0.001")


def _key(subject: str) -> tuple[int, int]:
    """Subjects S0 and S1 share their first key half: the second decides."""
    number = int(subject[1:])
    return (7 if number < 2 else 1000 + number * 13), 50 - number


def runs_of(
    flows: list[NaiveFlow], late: list[int], shuffle: bool, seed: int, piece_rows: int = 0
) -> DayRuns:
    """Rows cut into day runs: each by its trade day, `late` ones into a later day's run; the
    runs sorted like the warehouse stores them, or shuffled when `shuffle`; each run handed
    over in pieces of `piece_rows` rows when given."""
    rng = np.random.default_rng(seed)
    day_of = {}
    for i, f in enumerate(flows):
        day = (f.booked_at.date() - EPOCH).days
        day_of[i] = day + (late[i % len(late)] if late else 0)
    runs = []
    for day in sorted(set(day_of.values())):
        rows = [i for i in day_of if day_of[i] == day]
        keyed = sorted(
            rows,
            key=lambda i: (
                *_key(flows[i].subject),
                flows[i].booked_at,
                flows[i].direction == "out",
            ),
        )
        if shuffle:
            keyed = list(rng.permutation(keyed))
        runs.append(keyed)
    order = [i for run in runs for i in run]
    starts = np.cumsum([0] + [len(r) for r in runs])
    parties = {
        p: 1 + 977 * (n + 1) for n, p in enumerate(sorted({f.party for f in flows if f.party}))
    }
    data = DayRuns.from_arrays(
        key_1=np.array([_key(flows[i].subject)[0] for i in order], np.uint64),
        key_2=np.array([_key(flows[i].subject)[1] for i in order], np.uint64),
        ts=np.array(
            [int((flows[i].booked_at - dt.datetime(1970, 1, 1)).total_seconds()) for i in order],
            np.int64,
        ),
        out=np.array([flows[i].direction == "out" for i in order], np.bool_),
        amount=np.array([int(flows[i].amount_cny * 1000) for i in order], np.int64),
        party=np.array([parties.get(flows[i].party, 0) for i in order], np.uint64),
        starts=starts.astype(np.int64),
        piece_rows=piece_rows,
        kind=np.array([flows[i].cash * 1 + flows[i].risky * 4 for i in order], np.uint8),
    )
    return data


def merged_windows(
    flows: list[NaiveFlow], ends: list[dt.date], data: DayRuns, block_rows: int = 100_000
) -> dict:
    subjects = sorted({f.subject for f in flows}, reverse=True)  # any order of the table
    entity = {f.subject: f.entity for f in flows}
    merged = merge_runs(
        data,
        np.array([_key(s)[0] for s in subjects], np.uint64),
        np.array([_key(s)[1] for s in subjects], np.uint64),
        np.array([entity[s] for s in subjects], np.bool_),
        block_rows=block_rows,
    )
    found = scan_patterns(
        merged.data,
        np.array([(e - EPOCH).days for e in ends], np.int32),
        np.array([(window_start(e) - EPOCH).days for e in ends], np.int32),
        PatternParams.from_rule(RULE),
        emit_all=True,
    )
    return {
        (subjects[merged.customer_row[found.subject[i]]], ends[found.end[i]]): NaiveWindow(
            in_total=int(found.in_total[i]) * MILLI,
            in_count=int(found.in_count[i]),
            in_parties=int(found.in_parties[i]),
            out_total=int(found.out_total[i]) * MILLI,
            out_count=int(found.out_count[i]),
            out_parties=int(found.out_parties[i]),
            out_after_first_in=int(found.out_after_first_in[i]) * MILLI,
            scatter_in=bool(found.flags[i] & FLAG_SCATTER_IN),
            scatter_out=bool(found.flags[i] & FLAG_SCATTER_OUT),
            txn_ids=frozenset(),
        )
        for i in range(len(found))
    }


@settings(max_examples=300, deadline=None)
@given(
    flows(),
    st.lists(st.sampled_from(ALL_DAYS), min_size=1, max_size=6, unique=True),
    st.lists(st.sampled_from([0, 0, 0, 1, 3]), max_size=5),
    st.booleans(),
    st.integers(0, 2**16),
    st.sampled_from([0, 0, 1, 2, 3, 7]),
    st.sampled_from([100_000, 1, 2, 5]),
)
def test_merged_runs_agree_with_reference(
    rows: list[NaiveFlow],
    ends: list[dt.date],
    late: list[int],
    shuffle: bool,
    seed: int,
    piece_rows: int,
    block_rows: int,
) -> None:
    ends = sorted(ends)
    expected = {
        k: dataclasses.replace(w, txn_ids=frozenset())
        for k, w in pattern_windows(rows, ends, window_start, RULE).items()
    }
    data = runs_of(rows, late, shuffle, seed, piece_rows)
    assert merged_windows(rows, ends, data, block_rows) == expected


def test_a_late_record_is_merged_into_time_order() -> None:
    at = dt.datetime(2026, 9, 14, 9)
    rows = [  # the receipt reaches the warehouse a day late, in the next day's run
        NaiveFlow("T0", "S2", False, at, "in", Decimal(500), "A"),
        NaiveFlow("T1", "S2", False, at + dt.timedelta(hours=1), "out", Decimal(400), "B"),
    ]
    data = runs_of(rows, [1, 0], shuffle=False, seed=0)
    ts = [int(p.ts[0]) for run in data.runs for p in run]
    assert ts[0] > ts[1]  # the payment's run comes first
    merged = merge_runs(
        data, np.array([1026], np.uint64), np.array([48], np.uint64), np.array([False])
    )
    assert merged.data.ts.tolist() == sorted(ts)
    assert merged.data.out.tolist() == [False, True]
    assert merged.customer_row.tolist() == [0]


def test_counterparties_are_numbered_within_each_subject() -> None:
    data = DayRuns.from_arrays(
        key_1=np.array([1, 1, 1, 2, 2], np.uint64),
        key_2=np.array([0, 0, 0, 0, 0], np.uint64),
        ts=np.array([1, 2, 3, 1, 2], np.int64),
        out=np.zeros(5, np.bool_),
        amount=np.ones(5, np.int64),
        party=np.array([99, 0, 99, 5, 99], np.uint64),
        starts=np.array([0, 5], np.int64),
    )
    merged = merge_runs(data, np.array([2], np.uint64), np.array([0], np.uint64), np.array([True]))
    assert merged.data.party.tolist() == [0, -1, 0, 0, 1]
    assert merged.data.n_parties == 2
    assert merged.customer_row.tolist() == [-1, 0]  # the first customer is not in the table
    assert merged.data.entity.tolist() == [False, False, False, True, True]
    assert merged.data.subject.tolist() == [0, 0, 0, 1, 1]


def test_malformed_runs_are_refused() -> None:
    good = {
        "key_1": np.zeros(2, np.uint64),
        "key_2": np.zeros(2, np.uint64),
        "ts": np.array([1, 2], np.int64),
        "out": np.zeros(2, np.bool_),
        "amount": np.ones(2, np.int64),
        "party": np.zeros(2, np.uint64),
        "starts": np.array([0, 2], np.int64),
    }
    no_types = (np.empty(0, np.uint64), np.empty(0, np.uint64), np.empty(0, np.bool_))
    for bad in (
        {"starts": np.array([0, 1], np.int64)},
        {"starts": np.array([0, 2, 1, 2], np.int64)},
        {"amount": np.array([1, -1], np.int64)},
        {"ts": np.array([1, 2], np.int32)},
        {"ts": np.array([1, 2, 3], np.int64)[::2]},
    ):
        with pytest.raises(ScannerInputError):
            merge_runs(DayRuns.from_arrays(**{**good, **bad}), *no_types)
    before = good["ts"].copy()
    unsorted = {**good, "ts": np.array([2, 1], np.int64)}
    for piece_rows in (0, 1):
        runs = DayRuns.from_arrays(**unsorted, piece_rows=piece_rows)
        assert merge_runs(runs, *no_types).data.ts.tolist() == [1, 2]
    assert unsorted["ts"].tolist() == [2, 1] and good["ts"].tolist() == before.tolist()
