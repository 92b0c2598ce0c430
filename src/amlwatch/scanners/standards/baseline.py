"""Out of line with its own past (资金收付频率或金额与其以往明显不符): more money through the
subject in one window than its own days before the window make usual.

For a window [S, E] (L = E - S + 1 calendar days), the subject's *past* is the days from
max(S - baseline_days, the day the warehouse first knew its customer) to S - 1 (K days);
its totals come from `PatternInput.past_*` (its day totals before the read window) and then
its own rows before S. A window matches when, for the subject's type:

    K                                          >= min_known_days   (a past long enough)
    days of the past holding a record          >= min_active_days
    window's receipts and payments × K         >= multiple × the past's receipts and payments × L
    window's records                           >= min_count
    window's receipts and payments             >= min_total_cny

— the window's daily average at least `multiple` times the past's. A subject whose customer's
first day is unknown (`known_since` -1: a per-account subject, a customer missing from the
customer table) is not judged. Measure: m_count the window's records, m_total its receipts and
payments, m_days the days holding one.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from numba import njit

from amlwatch.scanners.config import JIT
from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.patterns import PatternInput
from amlwatch.scanners.standards.params import FamilyParams, family_params, money, ratio, whole
from amlwatch.scanners.standards.past import past_days
from amlwatch.scanners.standards.window import (
    F_COUNTS,
    G_MIN_COUNT,
    NO_LIMIT,
    RESULT_COLUMNS,
    SECONDS_PER_DAY,
    FamilyWindows,
    add_row,
    check_input,
    emit,
    gate,
    mark_days,
    passes,
    per_subject,
)

# the marks table's columns
M_DAYS = 0  # the past's calendar days before the window (at most)
M_MULTIPLE = 1  # the multiple of the past's daily average, in bp
M_KNOWN = 2  # the least days of past
M_ACTIVE = 3  # the least days of past holding a record
MOST_DAYS = 3660  # ten years of past at most
MOST_MULTIPLE = 100 * 10_000  # a hundredfold at most (bp)
MOST_SPAN = 2000  # a window's calendar days at most (the products stay inside 2^31)
_LOW = (1 << 31) - 1


def params(values: dict[str, dict[str, Decimal]]) -> FamilyParams:
    """The kernel's tables from a standard's parameters (per customer type).

    Raises:
        ScannerInputError: a past of no day or over ten years, a least past of no day, or a
            multiple over a hundred.
    """

    def row(p: dict[str, Decimal]) -> tuple[list[int], list[int]]:
        days, known = whole(p, "baseline_days"), whole(p, "min_known_days")
        if not 1 <= days <= MOST_DAYS or not 1 <= known <= days:
            raise ScannerInputError(
                f"baseline_days: 1 to {MOST_DAYS}; min_known_days: 1 to baseline_days"
            )
        multiple = ratio(p, "multiple")
        if multiple > MOST_MULTIPLE:
            raise ScannerInputError("multiple: at most 100")
        marks = [days, multiple, known, whole(p, "min_active_days")]
        return marks, gate(min_count=whole(p, "min_count"), min_total=money(p, "min_total_cny"))

    return family_params(values, row, 4)


def lookback(values: dict[str, dict[str, Decimal]]) -> int:
    """How many days before the read window the subjects' day totals must be looked at."""
    return max((int(p["baseline_days"]) for p in values.values()), default=0)


def scan_baseline(
    data: PatternInput,
    end_days: np.ndarray,
    start_days: np.ndarray,
    family: FamilyParams,
    *,
    emit_all: bool = False,
) -> FamilyWindows:
    """The windows ending on each end day that match (every non-empty one with `emit_all`).

    Raises:
        ScannerInputError: wrong dtypes, lengths, order or codes; no day totals before or no
            first days known; a window longer than MOST_SPAN days.
    """
    ends, starts = check_input(data, end_days, start_days)
    ptr, days, totals = past_days(data)
    known = per_subject(data.known_since, data, "known_since: its customer's first day")
    if len(ends) and int((ends - starts).max()) >= MOST_SPAN:
        raise ScannerInputError(f"a window of more than {MOST_SPAN} days")
    result = _kernel(
        data.subject, data.ts, data.out, data.amount, data.entity, known, ptr, days, totals,
        ends, starts, family.marks, family.gates, emit_all,
    )  # fmt: skip
    return FamilyWindows.of(data, result)


@njit(**JIT)
def at_least(a: int, b: int, c: int, d: int) -> bool:
    """a × b >= c × d exactly, for a and c in 0 .. 2^62 and b and d in 0 .. 2^31: each
    product split at 2^31, so that no part overflows."""
    low_a, low_c = (a & _LOW) * b, (c & _LOW) * d
    high_a, high_c = (a >> 31) * b + (low_a >> 31), (c >> 31) * d + (low_c >> 31)
    if high_a != high_c:
        return high_a > high_c
    return (low_a & _LOW) >= (low_c & _LOW)


@njit(**JIT)
def _kernel(
    subject: np.ndarray,
    ts: np.ndarray,
    out: np.ndarray,
    amount: np.ndarray,
    entity: np.ndarray,
    known: np.ndarray,
    past_ptr: np.ndarray,
    past_day: np.ndarray,
    past_amount: np.ndarray,
    ends: np.ndarray,
    starts: np.ndarray,
    marks_table: np.ndarray,
    gates: np.ndarray,
    emit_all: bool,
) -> np.ndarray:
    """Each subject's days (before the window, then its rows'), summed from the first; then
    its windows slid along its rows with the past before each window's first day."""
    n = subject.shape[0]
    marks = np.full(n, F_COUNTS, dtype=np.int8)  # every record counts
    mark_days(subject, ts, marks)
    result = np.empty((1024, RESULT_COLUMNS), dtype=np.int64)
    sums = np.zeros(7, dtype=np.int64)
    day_of = np.empty(n + past_day.shape[0] + 1, dtype=np.int64)  # a subject's days, and
    summed = np.zeros(n + past_day.shape[0] + 1, dtype=np.int64)  # its totals up to each
    found = 0
    s0 = 0
    while s0 < n:
        s1 = s0 + 1
        while s1 < n and subject[s1] == subject[s0]:
            s1 += 1
        table = marks_table[1 if entity[s0] else 0]
        g = gates[1] if entity[s0] else gates[0]
        m = 0  # its days: summed[k + 1] is the total of days[0..k]
        k, stop = past_ptr[subject[s0]], past_ptr[subject[s0] + 1]
        for i in range(k, stop + s1 - s0):
            day = past_day[i] if i < stop else ts[s0 + i - stop] // SECONDS_PER_DAY
            value = past_amount[i] if i < stop else amount[s0 + i - stop]
            if m == 0 or day != day_of[m - 1]:
                day_of[m] = day
                summed[m + 1] = summed[m]
                m += 1
            summed[m] += value
        since = known[subject[s0]]
        counted = g[G_MIN_COUNT] < NO_LIMIT  # a type it is not for: no measure
        left = right = s0
        sums[:] = 0
        for e in range(ends.shape[0]):
            while right < s1 and ts[right] // SECONDS_PER_DAY <= ends[e]:
                add_row(sums, out[right], amount[right], marks[right] if counted else 0, 1)
                right += 1
            while left < right and ts[left] // SECONDS_PER_DAY < starts[e]:
                add_row(sums, out[left], amount[left], marks[left] if counted else 0, -1)
                left += 1
            if right == left:
                continue
            matched = counted and since >= 0
            if matched:
                first = max(starts[e] - table[M_DAYS], since)
                lo = np.searchsorted(day_of[:m], first)
                hi = np.searchsorted(day_of[:m], starts[e])
                length = starts[e] - first
                matched = (
                    length >= table[M_KNOWN]
                    and hi - lo >= table[M_ACTIVE]
                    and passes(sums[0], sums[2], sums[4], sums[5], sums[6], g)
                    and at_least(
                        sums[0] + sums[2], length * 10_000, summed[hi] - summed[lo],
                        table[M_MULTIPLE] * (ends[e] - starts[e] + 1),
                    )
                )  # fmt: skip
            if matched or emit_all:
                result = emit(result, found, e, left, right, sums, matched)
                found += 1
        s0 = s1
    return result[:found].copy()
