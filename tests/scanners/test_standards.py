"""The monitoring-standard families' kernels against their naive twins (`tests.naive`),
on generated data and on each family's edges by name."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from amlwatch.scanners import PatternInput, PatternParams, pattern_order
from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.patterns import KIND_CASH, KIND_RISK_REGION
from amlwatch.scanners.prune import NO_FAMILY, Prune
from amlwatch.scanners.runs import merge_runs
from amlwatch.scanners.standards import (
    FAMILIES,
    Customers,
    baseline,
    least_total,
    prune_bounds,
    scan_family,
)
from amlwatch.scanners.standards.reach import Subjects, in_full, restricted
from amlwatch.scanners.standards.window import FamilyWindows
from tests.naive import NaiveFamilyWindow, NaiveFlow, family_windows
from tests.scanners.test_patterns import ALL_DAYS, EPOCH, at, flows, window_start
from tests.scanners.test_runs import _key, runs_of

D = Decimal
Params = dict[str, dict[str, Decimal]]


def kernel_input(rows: list[NaiveFlow]) -> tuple[PatternInput, list[NaiveFlow], list[str]]:
    """The flows as the warehouse feeds the kernels: sorted, subjects and parties coded."""
    subjects = sorted({f.subject for f in rows})
    parties = sorted({f.party for f in rows if f.party is not None})
    ts = np.array([(f.booked_at - dt.datetime(1970, 1, 1)).total_seconds() for f in rows], np.int64)
    subject = np.array([subjects.index(f.subject) for f in rows], np.int64)
    out = np.array([f.direction == "out" for f in rows], np.bool_)
    order = pattern_order(subject, ts, out)
    ordered = [rows[i] for i in order]
    data = PatternInput(
        subject=subject[order],
        ts=ts[order],
        out=out[order],
        amount=np.array([int(f.amount_cny * 1000) for f in ordered], np.int64),
        party=np.array(
            [-1 if f.party is None else parties.index(f.party) for f in ordered], np.int64
        ),
        entity=np.array([f.entity for f in ordered], np.bool_),
        n_parties=len(parties),
        kind=np.array([f.cash * KIND_CASH + f.risky * KIND_RISK_REGION for f in ordered], np.uint8),
        opened=np.array([_opened(rows, s) for s in subjects], np.int64),
        **_events(rows, subjects),
        declared=_declared(rows, subjects),
        **_active(rows, subjects),
    )
    return data, ordered, subjects


def _active(rows: list[NaiveFlow], subjects: list[str]) -> dict[str, np.ndarray]:
    """The subjects' days and day totals before the flows as the kernels take them."""
    ptr, day, past_ptr, past_day, past_amount = [0], [], [0], [], []
    for s in subjects:
        first = next(f for f in rows if f.subject == s)
        day += [(d - EPOCH).days for d in sorted(first.active)]
        ptr.append(len(day))
        for d, amount in sorted(first.past):
            past_day.append((d - EPOCH).days)
            past_amount.append(int(amount * 1000))
        past_ptr.append(len(past_day))
    return {
        "active_ptr": np.array(ptr, np.int64),
        "active_day": np.array(day, np.int64),
        "past_ptr": np.array(past_ptr, np.int64),
        "past_day": np.array(past_day, np.int64),
        "past_amount": np.array(past_amount, np.int64),
        "past_kind": np.zeros(len(past_day), np.uint8),
        "known_since": np.array(
            [_day_or_unknown(next(f.known for f in rows if f.subject == s)) for s in subjects],
            np.int64,
        ),
    }


def _day_or_unknown(day: dt.date | None) -> int:
    return -1 if day is None else (day - EPOCH).days


def _declared(rows: list[NaiveFlow], subjects: list[str]) -> np.ndarray:
    """Each subject's declared figure in thousandths, -1 when none."""
    figures = [next(f.declared for f in rows if f.subject == s) for s in subjects]
    return np.array([-1 if d is None else int(d * 1000) for d in figures], np.int64)


def _events(rows: list[NaiveFlow], subjects: list[str]) -> dict[str, np.ndarray]:
    """The subjects' account events as the kernel takes them: a pointer per subject, days
    sorted within it."""
    ptr, day, kind = [0], [], []
    for s in subjects:
        mine = sorted(next(f.events for f in rows if f.subject == s))
        day += [(d - EPOCH).days for d, _ in mine]
        kind += [1 if k == "opened" else 2 for _, k in mine]
        ptr.append(len(day))
    return {
        "event_ptr": np.array(ptr, np.int64),
        "event_day": np.array(day, np.int64),
        "event_kind": np.array(kind, np.int8),
    }


def _opened(rows: list[NaiveFlow], subject: str) -> int:
    day = next(f.opened for f in rows if f.subject == subject)
    return -1 if day is None else (day - EPOCH).days


def kernel(
    family: str, params: Params, rows: list[NaiveFlow], ends: list[dt.date], emit_all: bool = True
) -> dict[tuple[str, dt.date], NaiveFamilyWindow]:
    if not rows:
        return {}
    data, ordered, subjects = kernel_input(rows)
    found = scan_family(
        family,
        params,
        data,
        np.array([(e - EPOCH).days for e in ends], np.int32),
        np.array([(window_start(e) - EPOCH).days for e in ends], np.int32),
        emit_all=emit_all,
    )
    milli = D("0.001")
    return {
        (subjects[found.subject[i]], ends[found.end[i]]): NaiveFamilyWindow(
            in_total=int(found.in_total[i]) * milli,
            in_count=int(found.in_count[i]),
            out_total=int(found.out_total[i]) * milli,
            out_count=int(found.out_count[i]),
            m_count=int(found.m_count[i]),
            m_total=int(found.m_total[i]) * milli,
            m_days=int(found.m_days[i]),
            matched=bool(found.matched[i]),
            txn_ids=frozenset(ordered[j].txn_id for j in range(found.lo[i], found.hi[i])),
        )
        for i in range(len(found))
    }


def both(family: str, params: Params, rows: list[NaiveFlow], ends: list[dt.date]) -> dict:
    expected = family_windows(family, params, rows, ends, window_start)
    assert kernel(family, params, rows, ends) == expected
    matches = {k: w for k, w in expected.items() if w.matched}
    # the matches alone (the marked rows only, where the gate allows): the same windows
    assert kernel(family, params, rows, ends, emit_all=False) == matches
    return expected


# ------------------------------------------------------------------ generated parameters


def _typed(one: st.SearchStrategy[dict[str, Decimal]]) -> st.SearchStrategy[Params]:
    """Both customer types' parameters, or one type's only (a standard for that type)."""
    both_types = st.builds(lambda a, b: {"individual": a, "entity": b}, one, one)
    return both_types | one.map(lambda a: {"individual": a}) | one.map(lambda b: {"entity": b})


def _kinded(rows: list[NaiveFlow], flags: list[tuple[bool, bool]]) -> list[NaiveFlow]:
    return [dataclasses.replace(f, cash=c, risky=r) for f, (c, r) in zip(rows, flags, strict=False)]


EVENTS = st.lists(
    st.tuples(st.sampled_from(ALL_DAYS[:16]), st.sampled_from(["opened", "closed"])), max_size=6
).map(lambda e: tuple(sorted(e)))


DECLARED = st.none() | st.sampled_from([D(0), D("0.001"), D(50), D(333), D(1000)])

ACTIVE = st.lists(
    st.sampled_from([ALL_DAYS[0] - dt.timedelta(days=k) for k in (1, 2, 4, 5, 31, 32, 200)]),
    max_size=4,
).map(lambda days: tuple(sorted(set(days))))

# the first day the subject's customer was known
KNOWN = st.none() | st.sampled_from(
    [ALL_DAYS[0] - dt.timedelta(days=40), ALL_DAYS[0] - dt.timedelta(days=3), *ALL_DAYS[:12:4]]
)

# day totals before the flows, a day sometimes in two parts
PAST = st.lists(
    st.tuples(
        st.sampled_from([ALL_DAYS[0] - dt.timedelta(days=k) for k in (1, 2, 3, 4, 6, 7, 10, 40)]),
        st.sampled_from([D(0), D(50), D(100), D("999.999"), D(1000), D(3000)]),
    ),
    max_size=6,
).map(lambda parts: tuple(sorted(parts)))


@st.composite
def kinded_flows(draw: st.DrawFn) -> list[NaiveFlow]:
    """Generated flows, some cash, some with a counterparty in a high-risk region, and each
    subject's accounts opened and closed on some days."""
    rows = draw(flows())
    flags = draw(
        st.lists(st.tuples(st.booleans(), st.booleans()), min_size=len(rows), max_size=len(rows))
    )
    subjects = sorted({f.subject for f in rows})
    events = {s: draw(EVENTS) for s in subjects}
    declared = {s: draw(DECLARED) for s in subjects}
    active = {s: draw(ACTIVE) for s in subjects}
    past = {s: draw(PAST) for s in subjects}
    known = {s: draw(KNOWN) for s in subjects}
    return [
        dataclasses.replace(
            f, events=events[f.subject], declared=declared[f.subject], active=active[f.subject],
            past=past[f.subject], known=known[f.subject],
        )
        for f in _kinded(rows, flags)
    ]  # fmt: skip


def _ratio(*values: str) -> st.SearchStrategy[Decimal]:
    return st.sampled_from([D(v) for v in values])


PARAMS: dict[str, st.SearchStrategy[Params]] = {
    "pass_through": _typed(
        st.fixed_dictionaries(
            {
                "hours": st.sampled_from([D(0), D(1), D(6), D(24)]),
                "pair_band": _ratio("0", "0.05", "0.2", "100"),
                "min_in_cny": _ratio("0", "100", "1000"),
                "min_quick_share": _ratio("0", "0.5", "0.9", "1"),
                "max_residual_share": _ratio("0", "0.1", "0.5", "1", "100"),
                "min_days": st.sampled_from([D(0), D(1), D(2), D(3)]),
            }
        )
    ),
    "structuring": _typed(
        st.fixed_dictionaries(
            {
                "threshold_cny": _ratio("100", "250", "5000"),
                "band": _ratio("0", "0.1", "0.5", "1"),
                "min_count": st.sampled_from([D(0), D(1), D(2), D(4)]),
                "min_days": st.sampled_from([D(0), D(1), D(2), D(3)]),
                "min_total_cny": _ratio("0", "100", "500"),
                "cash_only": st.sampled_from([D(0), D(1)]),
            }
        )
    ),
    "cash": _typed(
        st.fixed_dictionaries(
            {
                "min_single_cny": _ratio("0", "100", "1000"),
                "min_count": st.sampled_from([D(0), D(1), D(3)]),
                "min_total_cny": _ratio("0", "500", "5000"),
            }
        )
    ),
    "new_account": _typed(
        st.fixed_dictionaries(
            {
                "max_age_days": st.sampled_from([D(0), D(3), D(30)]),
                "min_count": st.sampled_from([D(0), D(1), D(3)]),
                "min_total_cny": _ratio("0", "500", "5000"),
            }
        )
    ),
    "risk_region": _typed(
        st.fixed_dictionaries(
            {
                "min_single_cny": _ratio("0", "100", "1000"),
                "min_count": st.sampled_from([D(0), D(1), D(3)]),
                "min_total_cny": _ratio("0", "500", "5000"),
            }
        )
    ),
    "out_of_profile": _typed(
        st.fixed_dictionaries(
            {
                "multiple": _ratio("0", "0.5", "1", "3.3333"),
                "min_count": st.sampled_from([D(0), D(1), D(3)]),
                "min_total_cny": _ratio("0", "100", "1000"),
            }
        )
    ),
    "dormant": _typed(
        st.fixed_dictionaries(
            {
                "idle_days": st.sampled_from([D(0), D(1), D(3), D(30)]),
                "wake_days": st.sampled_from([D(0), D(2), D(10)]),
                "min_count": st.sampled_from([D(0), D(1), D(3)]),
                "min_total_cny": _ratio("0", "500", "5000"),
            }
        )
    ),
    "periodic": _typed(
        st.fixed_dictionaries(
            {
                "day_floor_cny": _ratio("0", "100", "1000", "3000"),
                "min_gap_days": st.sampled_from([D(1), D(2), D(3)]),
                "max_gap_days": st.sampled_from([D(3), D(4), D(7)]),
                "jitter_days": st.sampled_from([D(0), D(1), D(3)]),
                "min_cycles": st.sampled_from([D(2), D(3), D(4)]),
                "min_count": st.sampled_from([D(0), D(1), D(3)]),
                "min_total_cny": _ratio("0", "500", "5000"),
            }
        )
    ),
    "baseline": _typed(
        st.fixed_dictionaries(
            {
                "baseline_days": st.sampled_from([D(1), D(3), D(10), D(30)]),
                "min_known_days": st.sampled_from([D(1), D(2), D(5)]),
                "min_active_days": st.sampled_from([D(0), D(1), D(3)]),
                "multiple": _ratio("0", "0.5", "1", "3.3333"),
                "min_count": st.sampled_from([D(0), D(1), D(3)]),
                "min_total_cny": _ratio("0", "100", "1000"),
            }
        ).filter(lambda p: p["min_known_days"] <= p["baseline_days"])
    ),
    "open_close": _typed(
        st.fixed_dictionaries(
            {
                "min_opened": st.sampled_from([D(0), D(1), D(2)]),
                "min_closed": st.sampled_from([D(0), D(1), D(2)]),
                "min_events": st.sampled_from([D(0), D(1), D(3)]),
                "min_total_cny": _ratio("0", "100", "1000"),
            }
        )
    ),
    "same_party": _typed(
        st.fixed_dictionaries(
            {
                "min_rows": st.sampled_from([D(2), D(3), D(4)]),
                "min_parties": st.sampled_from([D(1), D(2)]),
                "min_total_cny": _ratio("0", "100", "1000"),
            }
        )
    ),
    "night": _typed(
        st.tuples(
            st.sampled_from([0, 1, 43_200, 79_200, 86_399]),
            st.sampled_from([0, 1, 21_600, 43_200, 86_399]),
            _ratio("0", "100"),
            st.sampled_from([D(0), D(1), D(3)]),
            _ratio("0", "100"),
        )
        .filter(lambda t: t[0] != t[1])
        .map(
            lambda t: {
                "night_from": D(t[0]),
                "night_to": D(t[1]),
                "min_single_cny": t[2],
                "min_count": t[3],
                "min_total_cny": t[4],
            }
        )
    ),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_each_family_agrees_with_its_naive_twin(family: str, data: st.DataObject) -> None:
    params = data.draw(PARAMS[family])
    rows = data.draw(kinded_flows())
    ends = sorted(
        data.draw(st.lists(st.sampled_from(ALL_DAYS), min_size=1, max_size=8, unique=True))
    )
    found = both(family, params, rows, ends)
    event("matched" if any(w.matched for w in found.values()) else "no match")


@st.composite
def busy(draw: st.DrawFn) -> list[NaiveFlow]:
    """One subject, few parties, amounts near 100 and quick in-out pairs: matches likely."""
    rows = []
    for i in range(draw(st.integers(1, 40))):
        day = ALL_DAYS[draw(st.integers(0, 12))]
        hour = draw(st.sampled_from([1, 9, 10, 11, 23]))
        direction = draw(st.sampled_from(["in", "out"]))
        amount = draw(_ratio("90", "95", "99.999", "100", "120"))
        party = draw(st.sampled_from(["A", "B", None]))
        moment = dt.datetime.combine(day, dt.time(hour))
        cash, risky = draw(st.booleans()), draw(st.booleans())
        rows.append(
            NaiveFlow(
                f"B{i}", "S", draw(st.booleans()), moment, direction, amount, party, cash, risky
            )
        )
    entity, events, declared = rows[0].entity, draw(EVENTS), draw(DECLARED)
    active, past, known = draw(ACTIVE), draw(PAST), draw(KNOWN)
    return [
        NaiveFlow(
            f.txn_id, f.subject, entity, f.booked_at, f.direction, f.amount_cny, f.party,
            events=events, declared=declared, active=active, past=past, known=known,
        )
        for f in rows
    ]  # fmt: skip


@pytest.mark.parametrize("family", sorted(FAMILIES))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_each_family_agrees_on_busy_subjects_every_day(family: str, data: st.DataObject) -> None:
    found = both(family, data.draw(PARAMS[family]), data.draw(busy()), ALL_DAYS[:20])
    event("matched" if any(w.matched for w in found.values()) else "no match")


# ------------------------------------------------------------------ each family's edges by name


def flow(
    i: int, when: dt.datetime, direction: str, amount: str, party: str | None = "A"
) -> NaiveFlow:
    return NaiveFlow(f"T{i}", "S", False, when, direction, D(amount), party)


def same(values: dict[str, Decimal]) -> Params:
    return {"individual": values, "entity": values}


PASS = same({"hours": D(2), "pair_band": D(100), "min_in_cny": D(100), "min_quick_share": D("0.9"),
             "max_residual_share": D("0.1"), "min_days": D(2)})  # fmt: skip


def test_pass_through_needs_the_payment_within_hours_of_a_receipt_the_same_day() -> None:
    rows = [
        flow(0, at("2026-10-12", 9), "in", "100"), flow(1, at("2026-10-12", 11), "out", "100"),
        flow(2, at("2026-10-13", 9), "in", "100"), flow(3, at("2026-10-13", 11, 1), "out", "100"),
    ]  # fmt: skip
    end = dt.date(2026, 10, 13)
    w = both("pass_through", PASS, rows, [end])[("S", end)]
    assert (w.m_count, w.m_days, w.matched) == (1, 1, False)  # 2 h 0 min 1 s is too late
    rows[3] = flow(3, at("2026-10-13", 11), "out", "100")
    assert both("pass_through", PASS, rows, [end])[("S", end)].matched


def test_pass_through_pairs_a_payment_with_the_latest_receipt_s_amount() -> None:
    banded = same({**PASS["individual"], "pair_band": D("0.1"), "min_days": D(1)})
    end = dt.date(2026, 10, 13)
    rows = [
        flow(0, at("2026-10-13", 9), "in", "100"), flow(1, at("2026-10-13", 10), "out", "90"),
        flow(2, at("2026-10-13", 10, 1), "in", "50"), flow(3, at("2026-10-13", 11), "out", "50"),
    ]  # fmt: skip
    w = both("pass_through", banded, rows, [end])[("S", end)]
    assert (w.m_count, w.m_total) == (2, D(140))  # 90 of 100 is inside the band: 10 %
    rows[1] = flow(1, at("2026-10-13", 10), "out", "89.999")
    assert both("pass_through", banded, rows, [end])[("S", end)].m_count == 1


def test_pass_through_across_midnight_is_not_quick_and_a_residual_breaks_it() -> None:
    rows = [
        flow(0, at("2026-10-12", 23), "in", "100"), flow(1, at("2026-10-13", 0), "out", "100"),
        flow(2, at("2026-10-14", 9), "in", "100"), flow(3, at("2026-10-14", 10), "out", "100"),
        flow(4, at("2026-10-15", 9), "in", "100"), flow(5, at("2026-10-15", 10), "out", "70"),
    ]  # fmt: skip
    end = dt.date(2026, 10, 15)
    w = both("pass_through", PASS, rows, [end])[("S", end)]
    assert w.m_count == 2 and not w.matched  # 30 of 300 stays: 10 % is the most


STRUCT = same({"threshold_cny": D(50_000), "band": D("0.1"), "min_count": D(3),
               "min_days": D(2), "min_total_cny": D(100_000), "cash_only": D(0)})  # fmt: skip


@pytest.mark.parametrize(
    ("amount", "near"),
    [("44999.999", False), ("45000", True), ("49999.999", True), ("50000", False)],
)
def test_structuring_band_includes_its_floor_and_excludes_the_threshold(
    amount: str, near: bool
) -> None:
    end = dt.date(2026, 10, 15)
    w = both("structuring", STRUCT, [flow(0, at("2026-10-15"), "in", amount)], [end])[("S", end)]
    assert w.m_count == int(near)


def test_structuring_needs_several_near_amounts_on_several_days() -> None:
    days = ["2026-10-13", "2026-10-13", "2026-10-14"]
    rows = [flow(i, at(d, 10 + i), "in", "49000") for i, d in enumerate(days)]
    end = dt.date(2026, 10, 15)
    assert both("structuring", STRUCT, rows, [end])[("S", end)].matched
    one_day = [flow(i, at("2026-10-13", 10 + i), "in", "49000") for i in range(3)]
    assert not both("structuring", STRUCT, one_day, [end])[("S", end)].matched


SAME = same({"min_rows": D(4), "min_parties": D(1), "min_total_cny": D(0)})


def test_same_party_counts_both_ways_only() -> None:
    end = dt.date(2026, 10, 15)
    one_way = [flow(i, at("2026-10-13", 9 + i), "in", "10") for i in range(6)]
    assert not both("same_party", SAME, one_way, [end])[("S", end)].matched  # a salary, rent
    back = [*one_way[:3], flow(9, at("2026-10-14"), "out", "10")]
    w = both("same_party", SAME, back, [end])[("S", end)]
    assert (w.m_count, w.m_total, w.matched) == (1, D(40), True)
    unknown = [
        flow(i, at("2026-10-13", 9 + i), d, "10", None)
        for i, d in enumerate("in out in out".split())
    ]
    assert not both("same_party", SAME, unknown, [end])[("S", end)].matched


NIGHT = same({"night_from": D(22 * 3600), "night_to": D(6 * 3600), "min_single_cny": D(1000),
              "min_count": D(2), "min_total_cny": D(0)})  # fmt: skip


def test_night_spans_midnight_and_excludes_its_end() -> None:
    end = dt.date(2026, 10, 15)
    rows = [
        flow(0, at("2026-10-14", 22), "in", "1000"), flow(1, at("2026-10-15", 5, 3599), "out", "1000"),
        flow(2, at("2026-10-15", 6), "out", "5000"), flow(3, at("2026-10-15", 23), "out", "999.999"),
    ]  # fmt: skip
    w = both("night", NIGHT, rows, [end])[("S", end)]
    assert (w.m_count, w.m_days, w.matched) == (2, 2, True)


def test_parameters_that_would_be_rounded_or_make_no_sense_are_refused() -> None:
    with pytest.raises(ScannerInputError, match="rounded"):
        FAMILIES["structuring"].params(same({**STRUCT["individual"], "threshold_cny": D("0.0001")}))
    with pytest.raises(ScannerInputError, match="band"):
        FAMILIES["structuring"].params(same({**STRUCT["individual"], "band": D(2)}))
    with pytest.raises(ScannerInputError, match="night_from"):
        FAMILIES["night"].params(same({**NIGHT["individual"], "night_to": D(22 * 3600)}))
    with pytest.raises(ScannerInputError, match="min_parties"):
        FAMILIES["same_party"].params(same({**SAME["individual"], "min_parties": D(0)}))
    with pytest.raises(ScannerInputError, match="no customer type"):
        FAMILIES["night"].params({})


def test_unsorted_or_malformed_input_is_refused() -> None:
    rows = [flow(0, at("2026-10-14"), "in", "1"), flow(1, at("2026-10-15"), "out", "1")]
    data, _, _ = kernel_input(rows)
    ends, starts = np.array([20_000], np.int32), np.array([19_990], np.int32)
    for family, params in (("night", NIGHT), ("same_party", SAME), ("structuring", STRUCT)):
        backwards = PatternInput(data.subject, data.ts[::-1].copy(), data.out, data.amount,
                                 data.party, data.entity, data.n_parties)  # fmt: skip
        with pytest.raises(ScannerInputError, match="sorted"):
            scan_family(family, params, backwards, ends, starts)
        with pytest.raises(ScannerInputError, match="end days"):
            scan_family(family, params, data, starts, ends)
    bad_party = PatternInput(data.subject, data.ts, data.out, data.amount,
                             np.array([0, 5], np.int64), data.entity, 1)  # fmt: skip
    with pytest.raises(ScannerInputError, match="party codes"):
        scan_family("pass_through", PASS, bad_party, ends, starts)
    negative = PatternInput(data.subject, data.ts, data.out, np.array([-1, 1], np.int64),
                            data.party, data.entity, data.n_parties)  # fmt: skip
    with pytest.raises(ScannerInputError, match="amounts"):
        scan_family("pass_through", PASS, negative, ends, starts)
    with pytest.raises(ScannerInputError, match="1-d"):
        scan_family("night", NIGHT, data, ends, np.array([1, 2], np.int32))


CASH = {"individual": {"min_single_cny": D(0), "min_count": D(1), "min_total_cny": D(1_000_000)}}


def test_cash_counts_cash_both_ways_for_the_types_the_standard_is_for() -> None:
    end = dt.date(2026, 10, 15)
    rows = [
        dataclasses.replace(flow(0, at("2026-10-13"), "in", "600000"), cash=True),
        dataclasses.replace(flow(1, at("2026-10-14"), "out", "400000"), cash=True),
        flow(2, at("2026-10-14"), "in", "900000"),  # a transfer
    ]
    w = both("cash", CASH, rows, [end])[("S", end)]
    assert (w.m_count, w.m_total, w.m_days, w.matched) == (2, D(1_000_000), 2, True)
    firm = [dataclasses.replace(f, entity=True) for f in rows]
    w = both("cash", CASH, firm, [end])[("S", end)]  # an individuals' standard
    assert (w.m_count, w.matched) == (0, False)


def test_cash_only_structuring_and_regions_read_the_records_kind() -> None:
    end = dt.date(2026, 10, 15)
    near = [
        flow(i, at(d, 10 + i), "in", "49000")
        for i, d in enumerate(["2026-10-13"] * 2 + ["2026-10-14"])
    ]
    cash_only = same({**STRUCT["individual"], "cash_only": D(1)})
    assert not both("structuring", cash_only, near, [end])[("S", end)].matched
    cash = [dataclasses.replace(f, cash=True) for f in near]
    assert both("structuring", cash_only, cash, [end])[("S", end)].matched
    regions = same({"min_single_cny": D(0), "min_count": D(2), "min_total_cny": D(0)})
    risky = [dataclasses.replace(near[0], risky=True), dataclasses.replace(near[2], risky=True)]
    assert both("risk_region", regions, risky, [end])[("S", end)].m_count == 2
    data, _, _ = kernel_input(risky)
    unknown = dataclasses.replace(data, kind=None)
    day = (end - EPOCH).days
    ends, starts = np.array([day], np.int32), np.array([day - 10], np.int32)
    with pytest.raises(ScannerInputError, match="needs the records' kind"):
        scan_family("risk_region", regions, unknown, ends, starts)
    with pytest.raises(ScannerInputError, match="uint8"):
        scan_family(
            "cash", CASH, dataclasses.replace(data, kind=np.zeros(2, np.int64)), ends, starts
        )
    plain = same({**STRUCT["individual"]})
    assert len(scan_family("structuring", plain, unknown, ends, starts, emit_all=True)) == 1


def test_new_account_counts_the_first_days_after_the_newest_opening_only() -> None:
    young = same({"max_age_days": D(3), "min_count": D(2), "min_total_cny": D(0)})
    end = dt.date(2026, 10, 16)
    rows = [
        dataclasses.replace(flow(i, at(d), "in", "100"), opened=dt.date(2026, 10, 12))
        for i, d in enumerate(["2026-10-09", "2026-10-12", "2026-10-15", "2026-10-16"])
    ]
    w = both("new_account", young, rows, [end])[("S", end)]
    assert (w.m_count, w.matched) == (2, True)  # the 12th and the 15th: day 0 and day 3
    unknown = [dataclasses.replace(f, opened=None) for f in rows]
    assert both("new_account", young, unknown, [end])[("S", end)].m_count == 0
    data, _, _ = kernel_input(rows)
    day = (end - EPOCH).days
    with pytest.raises(ScannerInputError, match="opening day"):
        scan_family("new_account", young, dataclasses.replace(data, opened=None),
                    np.array([day], np.int32), np.array([day - 10], np.int32))  # fmt: skip


PERIODIC = {"day_floor_cny": D(100), "min_gap_days": D(6), "max_gap_days": D(8),
            "jitter_days": D(1), "min_cycles": D(3), "min_count": D(1), "min_total_cny": D(100)}  # fmt: skip


@pytest.mark.parametrize(
    ("before", "today", "marked"),
    [
        (((dt.date(2026, 10, 1), D(100)),), "100", 2),  # large days the 1st, 8th, 15th
        (((dt.date(2026, 10, 1), D(60)), (dt.date(2026, 10, 1), D(40))), "100", 2),  # in parts
        (((dt.date(2026, 10, 1), D("99.999")),), "100", 0),  # the 1st is not large
        (((dt.date(2026, 10, 1), D(100)),), "99.999", 0),  # nor the 15th
        (((dt.date(2026, 10, 2), D(100)),), "100", 2),  # gaps of 6 and 7: within the jitter
        (((dt.date(2026, 9, 30), D(100)),), "100", 2),  # 8 and 7
        (((dt.date(2026, 9, 29), D(100)),), "100", 0),  # 9 is longer than max_gap_days
        (((dt.date(2026, 10, 3), D(100)),), "100", 0),  # 5 is shorter than min_gap_days
        # a large day in between breaks the run: the cycle is the latest large days
        (((dt.date(2026, 10, 1), D(100)), (dt.date(2026, 10, 5), D(100))), "100", 0),
        ((), "100", 0),  # two large days only
    ],
)
def test_periodic_marks_a_past_day_that_completes_evenly_spaced_past_days(
    before: tuple[tuple[dt.date, Decimal], ...], today: str, marked: int
) -> None:
    """Large days before the window (the 1st) and in it (the 8th, the 15th: 60 in and the
    rest out); the 15th's records are marked when the three are evenly enough spaced."""
    end = dt.date(2026, 10, 16)
    rows = [
        flow(0, at("2026-10-08"), "in", "100"),
        flow(1, at("2026-10-15", 9), "in", "60"),
        flow(2, at("2026-10-15", 15), "out", str(D(today) - 60)),
        flow(3, at("2026-10-16"), "out", "30"),
    ]
    mine = [dataclasses.replace(f, past=before) for f in rows]
    w = both("periodic", same(PERIODIC), mine, [end])[("S", end)]
    assert (w.m_count, w.m_days, w.matched) == (marked, int(marked > 0), marked > 0)


def test_periodic_refuses_what_it_cannot_read_and_parameters_that_cannot_hold() -> None:
    end = dt.date(2026, 10, 16)
    day = (end - EPOCH).days
    data, _, _ = kernel_input([flow(0, at("2026-10-15"), "in", "100")])
    ends, starts = np.array([day], np.int32), np.array([day - 10], np.int32)
    rule = same(PERIODIC)
    with pytest.raises(ScannerInputError, match="day totals before"):
        scan_family("periodic", rule, dataclasses.replace(data, past_ptr=None), ends, starts)
    unsorted = {"past_ptr": np.array([0, 2]), "past_day": np.array([day - 4, day - 9]),
                "past_amount": np.array([100_000, 100_000])}  # fmt: skip
    with pytest.raises(ScannerInputError, match="sorted"):
        scan_family("periodic", rule, dataclasses.replace(data, **unsorted), ends, starts)
    short = {**unsorted, "past_amount": np.array([100_000])}
    with pytest.raises(ScannerInputError, match="one of each"):
        scan_family("periodic", rule, dataclasses.replace(data, **short), ends, starts)
    for wrong, match in (
        ({"min_cycles": D(1)}, "min_cycles"),
        ({"min_cycles": D(25)}, "min_cycles"),
        ({"min_gap_days": D(0)}, "min_gap_days"),
        ({"min_gap_days": D(9)}, "min_gap_days"),
    ):
        with pytest.raises(ScannerInputError, match=match):
            FAMILIES["periodic"].params(same({**PERIODIC, **wrong}))


BASELINE = {"baseline_days": D(10), "min_known_days": D(5), "min_active_days": D(2),
            "multiple": D(3), "min_count": D(1), "min_total_cny": D(100)}  # fmt: skip


def test_baseline_weighs_the_window_s_daily_average_against_its_own_past() -> None:
    """A past of 100 on two days (one before the rows, one a row before the window): the
    window must average three times the past's 10 a day, i.e. 30 a day of its length."""
    end = dt.date(2026, 10, 16)
    start = window_start(end)
    length = (end - start).days + 1
    before = ((start - dt.timedelta(days=3), D(50)),)
    prior = dt.datetime.combine(start - dt.timedelta(days=1), dt.time(10))

    def window(total: Decimal, known: dt.date | None, params: Params | None = None) -> tuple:
        params = params or same(BASELINE)
        rows = [flow(0, prior, "in", "50"), flow(1, at(str(end)), "out", str(total))]
        mine = [dataclasses.replace(f, past=before, known=known) for f in rows]
        w = both("baseline", params, mine, [end])[("S", end)]
        return w.m_count, w.matched

    known = start - dt.timedelta(days=20)  # the past: the 10 days before the window
    assert window(D(30 * length), known) == (1, True)
    assert window(D(30 * length) - D("0.001"), known) == (1, False)
    # known only 4 days before the window: too short a past; unknown: not judged
    assert window(D(10**6), start - dt.timedelta(days=4)) == (1, False)
    assert window(D(10**6), None) == (1, False)
    # known 2 days before: a past of 2 days, the older day left out — too short for 5; with
    # a least past of 2 days and 1 active day, 50 over 2 days: 3 × 25 a day of the window
    assert window(D(10**6), start - dt.timedelta(days=2)) == (1, False)
    one_day = same({**BASELINE, "min_known_days": D(2), "min_active_days": D(1)})
    short = start - dt.timedelta(days=2)
    assert window(D(75 * length), short, one_day) == (1, True)  # 3 × 50 / 2 a day
    assert window(D(75 * length) - D("0.001"), short, one_day) == (1, False)


@settings(max_examples=500, deadline=None)
@given(
    st.integers(0, 1 << 62), st.integers(0, 1 << 31), st.integers(0, 1 << 62),
    st.integers(0, 1 << 31),
)  # fmt: skip
def test_products_are_compared_exactly_however_large(a: int, b: int, c: int, d: int) -> None:
    assert baseline.at_least(a, b, c, d) == (a * b >= c * d)
    assert baseline.at_least(a, b, a, b)


def test_baseline_refuses_what_it_cannot_read_and_parameters_that_cannot_hold() -> None:
    end = dt.date(2026, 10, 16)
    day = (end - EPOCH).days
    data, _, _ = kernel_input([flow(0, at("2026-10-15"), "in", "100")])
    ends, starts = np.array([day], np.int32), np.array([day - 10], np.int32)
    rule = same(BASELINE)
    with pytest.raises(ScannerInputError, match="day totals before"):
        scan_family("baseline", rule, dataclasses.replace(data, past_ptr=None), ends, starts)
    with pytest.raises(ScannerInputError, match="first day"):
        scan_family("baseline", rule, dataclasses.replace(data, known_since=None), ends, starts)
    with pytest.raises(ScannerInputError, match="more than"):
        scan_family("baseline", rule, data, ends, np.array([day - 2000], np.int32))
    for wrong in ({"baseline_days": D(0)}, {"baseline_days": D(3661)}, {"min_known_days": D(11)},
                  {"min_known_days": D(0)}, {"multiple": D("100.0001")}):  # fmt: skip
        with pytest.raises(ScannerInputError, match=r"baseline_days|multiple"):
            FAMILIES["baseline"].params(same({**BASELINE, **wrong}))


def test_dormant_counts_the_first_days_after_a_long_sleep_only() -> None:
    rule = same({"idle_days": D(30), "wake_days": D(2), "min_count": D(2), "min_total_cny": D(150)})
    end = dt.date(2026, 10, 16)
    rows = [
        flow(i, at(d), "in", "100")
        for i, d in enumerate(["2026-10-12", "2026-10-14", "2026-10-15", "2026-10-16"])
    ]
    # asleep since 31 days before the 12th (30 whole days between): the 12th and the 14th
    for active, marked in (
        ((dt.date(2026, 9, 11),), 2),
        ((dt.date(2026, 9, 12),), 0),
        ((), 0),
        # woken before the window's rows (the 9th or the 10th, after August): the 12th
        # counts only within wake_days of it
        ((dt.date(2026, 8, 1), dt.date(2026, 10, 9)), 0),
        ((dt.date(2026, 8, 1), dt.date(2026, 10, 10)), 1),
    ):
        mine = [dataclasses.replace(f, active=active) for f in rows]
        w = both("dormant", rule, mine, [end])[("S", end)]
        assert (w.m_count, w.matched) == (marked, marked == 2), active
    # the pruning keeps a customer with no known activity only when the read window itself
    # can hold a sleep (two of its days more than idle_days apart)
    tables, day = FAMILIES["dormant"].params(rule), (end - EPOCH).days
    for span, kept in ((30, False), (31, True)):
        facts = Customers(np.array([False]), day - span, day, active_ptr=np.array([0, 0]))
        least = FAMILIES["dormant"].customer_least(tables, facts)  # type: ignore[misc]
        assert (least[0] != NO_FAMILY) == kept, span
    data, _, _ = kernel_input(rows)
    ends, starts = np.array([day], np.int32), np.array([day - 10], np.int32)
    with pytest.raises(ScannerInputError, match="active before"):
        scan_family("dormant", rule, dataclasses.replace(data, active_ptr=None), ends, starts)
    unsorted = {"active_ptr": np.array([0, 2]), "active_day": np.array([day - 40, day - 50])}
    with pytest.raises(ScannerInputError, match="sorted"):
        scan_family("dormant", rule, dataclasses.replace(data, **unsorted), ends, starts)


def test_out_of_profile_weighs_the_window_against_what_the_customer_declared() -> None:
    rule = same({"multiple": D("2.5"), "min_count": D(2), "min_total_cny": D(100)})
    end = dt.date(2026, 10, 16)
    rows = [flow(0, at("2026-10-14"), "in", "150"), flow(1, at("2026-10-15"), "out", "100")]
    # 250 through the accounts: 2.5 × 100 exactly matches, 2.5 × 100.001 does not
    for declared, matched in ((D(100), True), (D("100.001"), False), (None, False)):
        mine = [dataclasses.replace(f, declared=declared) for f in rows]
        w = both("out_of_profile", rule, mine, [end])[("S", end)]
        assert (w.m_count, w.m_total, w.m_days, w.matched) == (2, D(250), 2, matched), declared
    # a zero declared income: the floors alone
    assert both("out_of_profile", rule, [dataclasses.replace(f, declared=D(0)) for f in rows],
                [end])[("S", end)].matched  # fmt: skip
    data, _, _ = kernel_input(rows)
    day = (end - EPOCH).days
    with pytest.raises(ScannerInputError, match="declared figure"):
        scan_family("out_of_profile", rule, dataclasses.replace(data, declared=None),
                    np.array([day], np.int32), np.array([day - 10], np.int32))  # fmt: skip


def test_open_close_counts_the_window_s_openings_and_closings_and_its_money() -> None:
    rule = same(
        {"min_opened": D(2), "min_closed": D(1), "min_events": D(3), "min_total_cny": D(200)}
    )
    end = dt.date(2026, 10, 16)
    start = window_start(end)
    before, after = start - dt.timedelta(days=1), end + dt.timedelta(days=1)
    inside = ((start, "opened"), (end, "opened"), (end, "closed"))
    rows = [flow(0, at(str(start)), "in", "150"), flow(1, at(str(end)), "out", "50")]
    w = both("open_close", rule, [dataclasses.replace(f, events=inside) for f in rows], [end])
    assert (w[("S", end)].m_count, w[("S", end)].m_days, w[("S", end)].matched) == (3, 2, True)
    # the window's days only: an opening the day before and a closing the day after are out
    edges = ((before, "opened"), (end, "opened"), (end, "closed"), (after, "closed"))
    w = both("open_close", rule, [dataclasses.replace(f, events=edges) for f in rows], [end])
    assert (w[("S", end)].m_count, w[("S", end)].matched) == (2, False)
    # enough events but too little money through the accounts
    poor = [dataclasses.replace(f, events=inside, amount_cny=D(99)) for f in rows]
    assert not both("open_close", rule, poor, [end])[("S", end)].matched
    data, _, _ = kernel_input(rows)
    day = (end - EPOCH).days
    for wrong, match in (
        ({"event_ptr": None}, "opening and closing days"),
        ({"event_kind": np.array([3], np.int8), "event_day": np.array([day], np.int64),
          "event_ptr": np.array([0, 1], np.int64)}, "opened"),
        ({"event_kind": np.array([1, 1], np.int8), "event_day": np.array([day, day - 1]),
          "event_ptr": np.array([0, 2], np.int64)}, "sorted"),
    ):  # fmt: skip
        with pytest.raises(ScannerInputError, match=match):
            scan_family("open_close", rule, dataclasses.replace(data, **wrong),
                        np.array([day], np.int32), np.array([day - 10], np.int32))  # fmt: skip


@pytest.mark.parametrize("family", sorted(FAMILIES))
@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_leaving_out_customers_that_cannot_match_keeps_every_match(
    family: str, data: st.DataObject
) -> None:
    """`scanners.prune` with a family's bounds (and no scatter standard) — its least total,
    its filter of the records it may mark, or each customer's own least total — the same
    matches as merging every customer."""
    params = data.draw(PARAMS[family])
    rows = data.draw(kinded_flows())
    ends = sorted(
        data.draw(st.lists(st.sampled_from(ALL_DAYS), min_size=1, max_size=6, unique=True))
    )
    if not rows:
        return
    subjects = sorted({f.subject for f in rows})
    end_days = np.array([(e - EPOCH).days for e in ends], np.int32)
    start_days = np.array([(window_start(e) - EPOCH).days for e in ends], np.int32)
    nobody = PatternParams(np.full((2, 6), NO_FAMILY, np.int64))
    entity = np.array([next(f.entity for f in rows if f.subject == s) for s in subjects], np.bool_)
    facts = Customers(
        entity=entity,
        first_day=int(start_days.min()),
        last_day=int(end_days.max()),
        opened=np.array([_opened(rows, s) for s in subjects], np.int64),
        declared=_declared(rows, subjects),
        active_ptr=_active(rows, subjects)["active_ptr"],
        **_events(rows, subjects),
    )
    least, filters, own = prune_bounds([(family, params)], facts)
    found = []
    for pruned in (False, True):
        prune = Prune.for_windows(nobody, end_days, start_days, least=least, filters=filters)
        merged = merge_runs(
            runs_of(rows, [], False, 0),
            np.array([_key(s)[0] for s in subjects], np.uint64),
            np.array([_key(s)[1] for s in subjects], np.uint64),
            entity,
            prune=prune if pruned else None,
            type_least=own if pruned else None,
        )
        opened = np.array([_opened(rows, subjects[r]) for r in merged.customer_row], np.int64)
        events = _events(rows, [subjects[r] for r in merged.customer_row])
        events["declared"] = _declared(rows, [subjects[r] for r in merged.customer_row])
        events.update(_active(rows, [subjects[r] for r in merged.customer_row]))
        windows = scan_family(
            family,
            params,
            dataclasses.replace(merged.data, opened=opened, **events),
            end_days,
            start_days,
        )
        found.append(
            {
                (subjects[merged.customer_row[windows.subject[i]]], int(windows.end[i])): (
                    int(windows.m_count[i]),
                    int(windows.m_total[i]),
                    int(windows.in_total[i]),
                )
                for i in range(len(windows))
            }
        )
    assert found[0] == found[1]
    event("matched" if found[0] else "no match")


@pytest.mark.parametrize("family", sorted(FAMILIES))
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_each_standard_over_the_subjects_that_can_reach_it_matches_the_same(
    family: str, data: st.DataObject
) -> None:
    """`reach`: a standard's kernel over the subjects whose total reaches its least window
    total finds the same matched windows, with the same row ranges, as over every subject."""
    params = data.draw(PARAMS[family])
    rows = data.draw(kinded_flows() | busy())
    ends = sorted(
        data.draw(st.lists(st.sampled_from(ALL_DAYS), min_size=1, max_size=6, unique=True))
    )
    if not rows:
        return
    full, _, _ = kernel_input(rows)
    end_days = np.array([(e - EPOCH).days for e in ends], np.int32)
    start_days = np.array([(window_start(e) - EPOCH).days for e in ends], np.int32)

    def matched(found: FamilyWindows) -> set[tuple[int, ...]]:
        return {
            (int(found.subject[i]), int(found.end[i]), int(found.lo[i]), int(found.hi[i]),
             int(found.in_total[i]), int(found.out_total[i]), int(found.m_count[i]),
             int(found.m_total[i]), int(found.m_days[i]))
            for i in range(len(found))
        }  # fmt: skip

    everyone = scan_family(family, params, full, end_days, start_days)
    keep = Subjects.of(full).reaching(least_total(family, params))
    if keep is None:
        event("every subject can reach it")
        return
    part = in_full(scan_family(family, params, restricted(full, keep), end_days, start_days), keep)
    assert matched(part) == matched(everyone)
    event("matched" if len(everyone) else "no match")


def test_a_subject_whose_total_is_exactly_the_least_is_kept() -> None:
    rule = same({"min_single_cny": D(0), "min_count": D(2), "min_total_cny": D(200)})
    day = dt.date(2026, 10, 14)
    rows = [
        dataclasses.replace(flow(0, at(str(day)), "in", "120"), cash=True),
        dataclasses.replace(flow(1, at(str(day), 11), "out", "80"), cash=True),
        dataclasses.replace(flow(2, at(str(day)), "in", "199.999"), subject="T", cash=True),
        dataclasses.replace(flow(3, at(str(day), 12), "out", "0"), subject="T", cash=True),
    ]
    full, _, subjects = kernel_input(rows)
    ends = np.array([(day - EPOCH).days], np.int32)
    starts = np.array([(window_start(day) - EPOCH).days], np.int32)
    keep = Subjects.of(full).reaching(least_total("cash", rule))
    assert keep is not None and [subjects[s] for s in full.subject[keep]] == ["S", "S"]
    found = in_full(scan_family("cash", rule, restricted(full, keep), ends, starts), keep)
    everyone = scan_family("cash", rule, full, ends, starts)
    assert (list(found.lo), list(found.hi)) == (list(everyone.lo), list(everyone.hi)) == ([0], [2])
