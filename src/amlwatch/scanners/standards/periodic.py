"""Periodic large flows (周期性发生大量资金收付，与其性质、业务特点明显不符): a subject whose
large days come round at a steady interval.

A subject's *large day* is a calendar day whose records (receipts and payments together)
total at least `day_floor_cny`. `PatternInput.past_*` gives, per subject, its day totals
before the read window (as far back as the standard asks: `lookback`); walking those days and
then the subject's own rows, a large day *completes a cycle* when it and the subject's
`min_cycles - 1` large days before it are spaced by gaps each of `min_gap_days` to
`max_gap_days` calendar days, the longest gap at most `jitter_days` longer than the shortest.
Every record of a day that completes a cycle is marked. A large day in between breaks the
run: the cycle is the latest large days, not any subset of them. A window matches when, for
the subject's type:

    marked rows           >= min_count
    marked rows' total    >= min_total_cny     (receipts and payments together)

Measure: m_count such records, m_total their total, m_days the days holding one.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from numba import njit

from amlwatch.scanners.config import JIT
from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.patterns import PatternInput
from amlwatch.scanners.standards.params import FamilyParams, family_params, money, whole
from amlwatch.scanners.standards.past import past_days
from amlwatch.scanners.standards.window import (
    F_COUNTS,
    SECONDS_PER_DAY,
    FamilyWindows,
    check_input,
    gate,
    mark_days,
    slide_marked,
)

# the marks table's columns
M_FLOOR = 0  # a large day's least total (thousandths)
M_MIN_GAP = 1  # the shortest and longest gap between two large days of a cycle (days)
M_MAX_GAP = 2
M_JITTER = 3  # the most the longest gap may exceed the shortest (days)
M_CYCLES = 4  # the large days a cycle holds
MAX_CYCLES = 24  # the most a standard may ask for (the kernel keeps that many large days)


def params(values: dict[str, dict[str, Decimal]]) -> FamilyParams:
    """The kernel's tables from a standard's parameters (per customer type).

    Raises:
        ScannerInputError: min_cycles outside 2..MAX_CYCLES, a gap under one day or gaps
            that cannot hold (min_gap_days > max_gap_days).
    """

    def row(p: dict[str, Decimal]) -> tuple[list[int], list[int]]:
        cycles, shortest = whole(p, "min_cycles"), whole(p, "min_gap_days")
        if not 2 <= cycles <= MAX_CYCLES:
            raise ScannerInputError(f"min_cycles: {cycles} must be 2 to {MAX_CYCLES}")
        if shortest < 1 or shortest > whole(p, "max_gap_days"):
            raise ScannerInputError("min_gap_days: at least 1 and at most max_gap_days")
        marks = [money(p, "day_floor_cny"), shortest, whole(p, "max_gap_days"),
                 whole(p, "jitter_days"), cycles]  # fmt: skip
        return marks, gate(min_count=whole(p, "min_count"), min_total=money(p, "min_total_cny"))

    return family_params(values, row, 5)


def lookback(values: dict[str, dict[str, Decimal]]) -> int:
    """How many days before the read window the subjects' large days must be looked at: a
    cycle's earliest large day lies at most (min_cycles - 1) × max_gap_days before its last."""
    return max(
        ((int(p["min_cycles"]) - 1) * int(p["max_gap_days"]) for p in values.values()), default=0
    )


def least_floor(values: dict[str, dict[str, Decimal]]) -> Decimal:
    """The least large-day total of any customer type (what the days before the window
    must reach to be read at all)."""
    return min(p["day_floor_cny"] for p in values.values())


def scan_periodic(
    data: PatternInput,
    end_days: np.ndarray,
    start_days: np.ndarray,
    family: FamilyParams,
    *,
    emit_all: bool = False,
) -> FamilyWindows:
    """The windows ending on each end day that match (every non-empty one with `emit_all`).

    Raises:
        ScannerInputError: wrong dtypes, lengths, order or codes; no day totals before.
    """
    ends, starts = check_input(data, end_days, start_days)
    ptr, days, totals = past_days(data)
    result = _kernel(
        data.subject, data.ts, data.out, data.amount, data.entity, ptr, days, totals,
        ends, starts, family.marks, family.gates, emit_all,
    )  # fmt: skip
    return FamilyWindows.of(data, result)


@njit(**JIT)
def _kept(recent: np.ndarray, count: int, day: int) -> int:
    """Keep a large day as the newest of `recent` (the oldest dropped when full); the count."""
    if count == recent.shape[0]:
        recent[:-1] = recent[1:]
        count -= 1
    recent[count] = day
    return count + 1


@njit(**JIT)
def _cycle(recent: np.ndarray, count: int, marks: np.ndarray) -> bool:
    """Whether the newest `M_CYCLES` large days are evenly enough spaced."""
    cycles = marks[M_CYCLES]
    if count < cycles:
        return False
    shortest, longest = 1 << 62, -1
    for k in range(count - cycles + 1, count):
        gap = recent[k] - recent[k - 1]
        if gap < marks[M_MIN_GAP] or gap > marks[M_MAX_GAP]:
            return False
        shortest = min(shortest, gap)
        longest = max(longest, gap)
    return longest - shortest <= marks[M_JITTER]


@njit(**JIT)
def _kernel(
    subject: np.ndarray,
    ts: np.ndarray,
    out: np.ndarray,
    amount: np.ndarray,
    entity: np.ndarray,
    past_ptr: np.ndarray,
    past_day: np.ndarray,
    past_amount: np.ndarray,
    ends: np.ndarray,
    starts: np.ndarray,
    marks_table: np.ndarray,
    gates: np.ndarray,
    emit_all: bool,
) -> np.ndarray:
    """Mark the records of each day that completes a cycle, then slide."""
    n = subject.shape[0]
    marks = np.zeros(n, dtype=np.int8)
    recent = np.empty(MAX_CYCLES, np.int64)  # the subject's latest large days, oldest first
    i = 0
    while i < n:
        s = subject[i]
        table = marks_table[1 if entity[i] else 0]
        count = 0
        k, stop = past_ptr[s], past_ptr[s + 1]
        while k < stop:  # its days before the window first (a day may come in parts)
            day, total = past_day[k], 0
            while k < stop and past_day[k] == day:
                total += past_amount[k]
                k += 1
            if total >= table[M_FLOOR]:
                count = _kept(recent, count, day)
        while i < n and subject[i] == s:  # then its rows, a day at a time
            day, first, total = ts[i] // SECONDS_PER_DAY, i, 0
            while i < n and subject[i] == s and ts[i] // SECONDS_PER_DAY == day:
                total += amount[i]
                i += 1
            if total >= table[M_FLOOR]:
                count = _kept(recent, count, day)
                if _cycle(recent, count, table):
                    marks[first:i] = F_COUNTS
    mark_days(subject, ts, marks)
    return slide_marked(subject, ts, out, amount, entity, marks, ends, starts, gates, emit_all)
