"""The scatter / concentrate kernel against the naive reference, and its rules by name.

The calendar span used here holds the 2026 Mid-Autumn and National Day holidays (Sep 25,
Oct 1-7) and the make-up working day Saturday Oct 10, so windows stretch over holidays and a
Saturday counts as a business day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from amlwatch.rules import BusinessCalendar, PatternThresholds, SuspiciousRule, load_pack
from amlwatch.scanners import (
    FLAG_SCATTER_IN,
    FLAG_SCATTER_OUT,
    PatternInput,
    PatternParams,
    pattern_order,
    scan_patterns,
    sorted_input,
)
from amlwatch.scanners.encode import dense_codes
from amlwatch.scanners.exceptions import ScannerInputError
from tests import naive
from tests.naive import NaiveFlow, NaiveWindow, pattern_windows

CALENDAR = BusinessCalendar.load()
EPOCH = dt.date(1970, 1, 1)
FIRST, LAST = dt.date(2026, 9, 14), dt.date(2026, 10, 16)
DEFAULT = load_pack("pboc-2016").suspicious
assert DEFAULT is not None

SMALL = PatternThresholds(
    min_scattered_parties=3,
    max_concentrated_parties=2,
    min_amount_cny=Decimal("100"),
    through_flow_min=Decimal("0.8"),
    through_flow_max=Decimal("1.25"),
    min_follow_share=Decimal("0.6"),
)
RULE = dataclasses.replace(
    DEFAULT,
    thresholds={
        "individual": SMALL,
        "entity": dataclasses.replace(SMALL, min_scattered_parties=4, min_amount_cny=Decimal(300)),
    },
)


@functools.cache
def _start(end: dt.date, business_days: int) -> dt.date:
    return CALENDAR.window_start(end, business_days)


def window_start(end: dt.date, rule: SuspiciousRule = RULE) -> dt.date:
    return _start(end, rule.window_business_days)


def kernel_windows(
    flows: list[NaiveFlow], ends: list[dt.date], rule: SuspiciousRule = RULE, emit_all: bool = True
) -> dict[tuple[str, dt.date], NaiveWindow]:
    """Run the kernel the way the warehouse feeds it and name its windows like the reference."""
    if not flows:
        return {}
    subjects = sorted({f.subject for f in flows})
    parties = sorted({f.party for f in flows if f.party is not None})
    ts = np.array(
        [(f.booked_at - dt.datetime(1970, 1, 1)).total_seconds() for f in flows], np.int64
    )
    subject = np.array([subjects.index(f.subject) for f in flows], np.int64)
    out = np.array([f.direction == "out" for f in flows])
    order = pattern_order(subject, ts, out)
    rows = [flows[i] for i in order]
    data = PatternInput(
        subject=subject[order],
        ts=ts[order],
        out=out[order],
        amount=np.array([int(f.amount_cny * 1000) for f in rows], np.int64),
        party=np.array([-1 if f.party is None else parties.index(f.party) for f in rows], np.int64),
        entity=np.array([f.entity for f in rows]),
        n_parties=len(parties),
    )
    found = scan_patterns(
        data,
        np.array([(e - EPOCH).days for e in ends], np.int32),
        np.array([(window_start(e, rule) - EPOCH).days for e in ends], np.int32),
        PatternParams.from_rule(rule),
        emit_all=emit_all,
    )
    milli = Decimal("0.001")
    return {
        (subjects[found.subject[i]], ends[found.end[i]]): NaiveWindow(
            in_total=int(found.in_total[i]) * milli,
            in_count=int(found.in_count[i]),
            in_parties=int(found.in_parties[i]),
            out_total=int(found.out_total[i]) * milli,
            out_count=int(found.out_count[i]),
            out_parties=int(found.out_parties[i]),
            out_after_first_in=int(found.out_after_first_in[i]) * milli,
            scatter_in=bool(found.flags[i] & FLAG_SCATTER_IN),
            scatter_out=bool(found.flags[i] & FLAG_SCATTER_OUT),
            txn_ids=frozenset(rows[j].txn_id for j in range(found.lo[i], found.hi[i])),
        )
        for i in range(len(found))
    }


def both(flows: list[NaiveFlow], ends: list[dt.date], rule: SuspiciousRule = RULE) -> dict:
    expected = pattern_windows(flows, ends, lambda e: window_start(e, rule), rule)
    assert kernel_windows(flows, ends, rule) == expected
    matches = {k for k, w in expected.items() if w.scatter_in or w.scatter_out}
    assert set(kernel_windows(flows, ends, rule, emit_all=False)) == matches
    return expected


# ------------------------------------------------------------------ generated data

AMOUNTS = st.sampled_from(
    [Decimal(v) for v in ("0", "0.001", "1", "99.999", "100", "100.001", "80", "125", "250")]
) | st.decimals(min_value=0, max_value=5000, places=3)
MOMENTS = st.builds(
    lambda day, second: (
        dt.datetime.combine(FIRST + dt.timedelta(days=day), dt.time())
        + dt.timedelta(seconds=second)
    ),
    st.integers(0, (LAST - FIRST).days),
    st.sampled_from([0, 1, 43_200, 86_399]) | st.integers(0, 86_399),
)


@st.composite
def flows(draw: st.DrawFn) -> list[NaiveFlow]:
    n_subjects = draw(st.integers(1, 4))
    entity = [draw(st.booleans()) for _ in range(n_subjects)]
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, n_subjects - 1),
                MOMENTS,
                st.sampled_from(["in", "out"]),
                AMOUNTS,
                st.none() | st.sampled_from("ABCDEFG"),
            ),
            max_size=80,
        )
    )
    return [
        NaiveFlow(f"T{i}", f"S{s}", entity[s], at, direction, amount, party)
        for i, (s, at, direction, amount, party) in enumerate(rows)
    ]


ALL_DAYS = [FIRST + dt.timedelta(days=i) for i in range((LAST - FIRST).days + 1)]


@settings(max_examples=300, deadline=None)
@given(flows(), st.lists(st.sampled_from(ALL_DAYS), min_size=1, max_size=8, unique=True))
def test_kernel_agrees_with_reference(rows: list[NaiveFlow], ends: list[dt.date]) -> None:
    both(rows, sorted(ends))


@settings(max_examples=60, deadline=None)
@given(flows())
def test_kernel_agrees_with_reference_on_every_day(rows: list[NaiveFlow]) -> None:
    both(rows, ALL_DAYS)


@st.composite
def rings(draw: st.DrawFn) -> list[NaiveFlow]:
    """Mostly pattern-shaped rows, so that matches (not only misses) are compared."""
    scattered = draw(st.sampled_from(["in", "out"]))
    other = "out" if scattered == "in" else "in"
    spread = draw(
        st.lists(
            st.tuples(st.sampled_from("ABCDEFG"), MOMENTS, st.integers(20, 200)),
            min_size=1,
            max_size=8,
        )
    )
    total = sum(a for _, _, a in spread)
    ratio = draw(st.sampled_from([Decimal(r) for r in ("0.7", "0.8", "0.95", "1", "1.25", "1.3")]))
    legs = draw(st.lists(st.tuples(st.sampled_from("XYZ"), MOMENTS), min_size=1, max_size=3))
    piece = (total * ratio / len(legs)).quantize(Decimal("0.001"))
    rows = [
        NaiveFlow(f"R{i}", "S", False, t, scattered, Decimal(a), p)
        for i, (p, t, a) in enumerate(spread)
    ]
    rows += [NaiveFlow(f"C{i}", "S", False, t, other, piece, p) for i, (p, t) in enumerate(legs)]
    return rows


@settings(max_examples=300, deadline=None)
@given(rings())
def test_kernel_agrees_with_reference_on_rings(rows: list[NaiveFlow]) -> None:
    result = both(rows, ALL_DAYS)
    event("matched" if any(w.scatter_in or w.scatter_out for w in result.values()) else "no match")


# ------------------------------------------------------------------ named rules


def at(day: str, hour: int = 10, second: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour)) + dt.timedelta(
        seconds=second
    )


def scatter_in(days_in: list[str], days_out: list[str], subject: str = "S") -> list[NaiveFlow]:
    """Three parties pay 100 each in, one party takes 285 out."""
    rows = [
        NaiveFlow(f"{subject}i{k}", subject, False, at(d), "in", Decimal(100), p)
        for k, (d, p) in enumerate(zip(days_in, "ABC", strict=True))
    ]
    rows += [
        NaiveFlow(
            f"{subject}o{k}", subject, False, at(d, 15), "out", Decimal(285) / len(days_out), "X"
        )
        for k, d in enumerate(days_out)
    ]
    return rows


def matched(result: dict, end: str, subject: str = "S") -> tuple[bool, bool]:
    w = result.get((subject, dt.date.fromisoformat(end)))
    return (w.scatter_in, w.scatter_out) if w else (False, False)


def test_scatter_in_concentrate_out_matches_and_its_mirror_does_not() -> None:
    result = both(
        scatter_in(["2026-10-12", "2026-10-13", "2026-10-13"], ["2026-10-14"]),
        [dt.date(2026, 10, 14)],
    )
    assert matched(result, "2026-10-14") == (True, False)


def test_concentrate_in_scatter_out_matches() -> None:
    rows = [NaiveFlow("i", "S", False, at("2026-10-12"), "in", Decimal(300), "X")]
    rows += [
        NaiveFlow(f"o{p}", "S", False, at("2026-10-13"), "out", Decimal(100), p) for p in "ABC"
    ]
    assert matched(both(rows, [dt.date(2026, 10, 13)]), "2026-10-13") == (False, True)


def test_window_spans_ten_business_days_across_holidays_and_the_makeup_saturday() -> None:
    # window ending Wed Oct 14: Oct 14,13,12, Sat 10 (make-up), 9, 8, Sep 30, 29, 28, 24 —
    # so Sep 24 is inside and the whole National Day week with it, Sep 23 is not
    assert CALENDAR.window_start(dt.date(2026, 10, 14), 10) == dt.date(2026, 9, 24)
    rows = scatter_in(["2026-09-24", "2026-10-03", "2026-10-10"], ["2026-10-14"])
    assert matched(both(rows, [dt.date(2026, 10, 14)]), "2026-10-14") == (True, False)
    early = scatter_in(["2026-09-23", "2026-10-03", "2026-10-10"], ["2026-10-14"])
    assert matched(both(early, [dt.date(2026, 10, 14)]), "2026-10-14") == (False, False)


def test_window_ending_on_a_holiday_takes_the_ten_business_days_before_it() -> None:
    end = dt.date(2026, 10, 4)  # Sunday inside the National Day holiday
    # Sunday Sep 20 is a make-up working day
    assert CALENDAR.window_start(end, 10) == dt.date(2026, 9, 17)
    rows = scatter_in(["2026-09-17", "2026-10-01", "2026-10-02"], ["2026-10-04"])
    assert matched(both(rows, [end]), "2026-10-04") == (True, False)


def test_payments_before_the_first_receipt_do_not_follow_it() -> None:
    before = scatter_in(["2026-10-13", "2026-10-13", "2026-10-13"], ["2026-10-12"])
    result = both(before, [dt.date(2026, 10, 14)])
    assert result[("S", dt.date(2026, 10, 14))].out_after_first_in == 0
    assert matched(result, "2026-10-14") == (False, False)


def test_a_payment_at_the_same_second_as_the_first_receipt_follows_it() -> None:
    rows = scatter_in(["2026-10-13", "2026-10-13", "2026-10-13"], ["2026-10-13"])
    rows = [dataclasses.replace(f, booked_at=at("2026-10-13")) for f in rows]
    result = both(rows, [dt.date(2026, 10, 13)])
    assert result[("S", dt.date(2026, 10, 13))].out_after_first_in == Decimal(285)


@pytest.mark.parametrize(
    ("out_total", "expected"),
    [("239.999", False), ("240", True), ("375", True), ("375.001", False)],
)
def test_through_flow_band_is_inclusive(out_total: str, expected: bool) -> None:
    rows = scatter_in(["2026-10-12"] * 3, ["2026-10-13"])  # receipts 300
    rows = [*rows[:3], dataclasses.replace(rows[3], amount_cny=Decimal(out_total))]
    assert matched(both(rows, [dt.date(2026, 10, 13)]), "2026-10-13")[0] is expected


def test_parties_without_identity_count_in_totals_not_in_parties() -> None:
    rows = scatter_in(["2026-10-12"] * 3, ["2026-10-13"])
    rows = [dataclasses.replace(rows[0], party=None), *rows[1:]]
    result = both(rows, [dt.date(2026, 10, 13)])
    w = result[("S", dt.date(2026, 10, 13))]
    assert (w.in_total, w.in_count, w.in_parties) == (Decimal(300), 3, 2)
    assert not w.scatter_in


def test_entities_use_their_own_thresholds() -> None:
    rows = [
        dataclasses.replace(f, entity=True) for f in scatter_in(["2026-10-12"] * 3, ["2026-10-13"])
    ]
    assert matched(both(rows, [dt.date(2026, 10, 13)]), "2026-10-13") == (False, False)


def test_structure_only_thresholds_ignore_amounts() -> None:
    tiny = [
        dataclasses.replace(f, amount_cny=f.amount_cny / 1000)
        for f in scatter_in(["2026-10-12"] * 3, ["2026-10-13"])
    ]
    assert matched(both(tiny, [dt.date(2026, 10, 13)]), "2026-10-13") == (False, False)
    zero = dataclasses.replace(
        RULE,
        thresholds={
            k: dataclasses.replace(t, min_amount_cny=Decimal(0)) for k, t in RULE.thresholds.items()
        },
    )
    assert matched(both(tiny, [dt.date(2026, 10, 13)], zero), "2026-10-13") == (True, False)


def test_order_is_subject_time_receipts_first() -> None:
    subject = np.array([2, 0, 0, 1, 0], np.int64)
    ts = np.array([5, 9, 9, 1, 3], np.int64)
    out = np.array([False, True, False, True, False])
    assert pattern_order(subject, ts, out).tolist() == [4, 2, 1, 3, 0]


def test_unsorted_or_malformed_input_is_refused() -> None:
    rule = PatternParams.from_rule(RULE)
    good = dict(
        subject=np.array([0, 0], np.int64),
        ts=np.array([2, 1], np.int64),
        out=np.array([False, False]),
        amount=np.array([1, 1], np.int64),
        party=np.array([0, 0], np.int64),
        entity=np.array([False, False]),
        n_parties=1,
    )
    ends, starts = np.array([0], np.int32), np.array([0], np.int32)
    with pytest.raises(ScannerInputError, match="sorted"):
        scan_patterns(PatternInput(**good), ends, starts, rule)  # type: ignore[arg-type]
    with pytest.raises(ScannerInputError, match="party codes"):
        scan_patterns(
            PatternInput(
                **{**good, "ts": np.array([1, 2], np.int64), "party": np.array([0, 5], np.int64)}
            ),  # type: ignore[arg-type]
            ends,
            starts,
            rule,
        )
    with pytest.raises(ScannerInputError, match="end days"):
        scan_patterns(
            PatternInput(**{**good, "ts": np.array([1, 2], np.int64)}),  # type: ignore[arg-type]
            np.array([3, 2], np.int32),
            np.array([0, 0], np.int32),
            rule,
        )


def test_thresholds_that_would_be_rounded_are_refused() -> None:
    odd = dataclasses.replace(SMALL, through_flow_min=Decimal("0.80005"))
    with pytest.raises(ScannerInputError, match="through_flow_min"):
        PatternParams.from_rule(
            dataclasses.replace(RULE, thresholds={"individual": odd, "entity": SMALL})
        )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 50), st.integers(-(10**6), 10**6), st.booleans()), max_size=300
    )
)
def test_order_agrees_with_a_plain_sort(rows: list[tuple[int, int, bool]]) -> None:
    subject = np.array([r[0] for r in rows], np.int64)
    ts = np.array([r[1] for r in rows], np.int64)
    out = np.array([r[2] for r in rows], bool)
    expected = sorted(range(len(rows)), key=lambda i: (rows[i][0], rows[i][1], rows[i][2], i))
    assert pattern_order(subject, ts, out).tolist() == expected


def test_order_of_keys_too_wide_for_the_radix_sort() -> None:
    subject = np.array([3, 3, 0], np.int64)
    ts = np.array([10**18, -(10**18), 5], np.int64)
    assert pattern_order(subject, ts, np.zeros(3, bool)).tolist() == [2, 1, 0]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 3), st.booleans()), max_size=400)
)
def test_dense_codes_number_distinct_keys(rows: list[tuple[int, int, bool]]) -> None:
    high = np.array([r[0] for r in rows], np.uint64)
    low = np.array([r[1] for r in rows], np.uint64)
    valid = np.array([r[2] for r in rows], bool)
    codes, count = dense_codes(high, low, valid)
    expected, expected_count = naive.dense_codes([(h, lo) if v else None for h, lo, v in rows])
    assert count == expected_count
    # the same partition of the rows into keys (the numbering itself may differ)
    assert _partition(codes.tolist()) == _partition(expected)
    assert sorted(set(codes.tolist()) - {-1}) == list(range(count))


def _partition(codes: list[int]) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for i, code in enumerate(codes):
        groups.setdefault(code, set()).add(i)
    return {frozenset(g) for g in groups.values()}


def test_dense_codes_scale_past_the_first_table() -> None:
    rng = np.random.default_rng(3)
    high = rng.integers(0, 2**63, 300_000).astype(np.uint64)
    high[::3] = high[0]  # a heavy key: one partition far larger than the rest
    codes, count = dense_codes(high, np.zeros_like(high))
    assert count == len(np.unique(high))
    assert len(np.unique(codes)) == count and codes.max() == count - 1


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 50), st.integers(-(10**6), 10**6), st.booleans()), max_size=300
    ),
    st.booleans(),
)
def test_row_order_and_sorted_input_agree_with_reference(rows: list, wide: bool) -> None:
    subject = np.array([r[0] for r in rows], np.int64)
    # wide: times too far apart for one 63-bit radix key (the comparison sort's path)
    ts = np.array([r[1] * (10**12 if wide else 1) for r in rows], np.int64)
    out = np.array([r[2] for r in rows], np.bool_)
    expected = naive.row_order(subject.tolist(), ts.tolist(), out.tolist())
    assert pattern_order(subject, ts, out).tolist() == expected
    amount = np.arange(len(rows), dtype=np.int64)
    data, order = sorted_input(subject, ts, out, amount, amount % 7, out.copy(), 7)
    assert order.tolist() == expected
    assert data.amount.tolist() == [int(amount[i]) for i in expected]
    assert data.subject.tolist() == [int(subject[i]) for i in expected]


def test_more_windows_than_the_first_buffer_holds_are_all_reported() -> None:
    n = 1_500  # the kernel starts with room for 1,024 windows and doubles it
    subject = np.repeat(np.arange(n, dtype=np.int64), 2)
    ts = np.tile(np.array([0, 1], np.int64), n)
    out = np.tile(np.array([False, True]), n)
    data = PatternInput(
        subject,
        ts,
        out,
        np.ones(2 * n, np.int64),
        np.zeros(2 * n, np.int64),
        np.zeros(2 * n, np.bool_),
        1,
    )
    found = scan_patterns(
        data,
        np.array([0], np.int32),
        np.array([0], np.int32),
        PatternParams.from_rule(RULE),
        emit_all=True,
    )
    assert sorted(found.subject.tolist()) == list(range(n))


def test_malformed_keys_and_codes_are_refused() -> None:
    with pytest.raises(ScannerInputError, match="same length"):
        dense_codes(np.zeros(2, np.uint64), np.zeros(3, np.uint64))
    with pytest.raises(ScannerInputError, match="same length"):
        pattern_order(np.zeros(2, np.int64), np.zeros(3, np.int64), np.zeros(2, bool))
    with pytest.raises(ScannerInputError, match=">= 0"):
        pattern_order(np.array([-1], np.int64), np.zeros(1, np.int64), np.zeros(1, bool))
    good = PatternInput(
        np.zeros(1, np.int64),
        np.zeros(1, np.int64),
        np.zeros(1, bool),
        np.array([-5], np.int64),
        np.zeros(1, np.int64),
        np.zeros(1, bool),
        1,
    )
    day = np.array([0], np.int32)
    with pytest.raises(ScannerInputError, match="amounts"):
        scan_patterns(good, day, day, PatternParams.from_rule(RULE))
    with pytest.raises(ScannerInputError, match="1-d"):
        scan_patterns(good, np.array([0, 1], np.int32), day, PatternParams.from_rule(RULE))
    bad_params = dataclasses.replace(
        PatternParams.from_rule(RULE), table=np.zeros((3, 6), np.int64)
    )
    with pytest.raises(ScannerInputError, match=r"\(2, 6\)"):
        scan_patterns(dataclasses.replace(good, amount=np.ones(1, np.int64)), day, day, bad_params)
