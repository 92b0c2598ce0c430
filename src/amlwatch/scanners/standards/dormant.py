"""Dormant accounts woken (长期闲置的账户原因不明地突然启用，且短期内出现大量资金收付):
sizeable flows in the first days after a subject that had moved no money for a long time
moves some again.

`PatternInput.active_*` gives, per subject, the days it moved money before the read window
(the warehouse's own days as far back as a sleep and a waking reach, and the core system's
上次动户日; none: nothing known, never dormant). Walking those days and then the subject's
rows in order, a day is a *waking* when more than idle_days calendar days lie between it
and the subject's previous active day. A row is *marked* when it is at most wake_days
calendar days after the subject's latest waking (on or before the row's day) — a waking
before the read window counts as well as one inside it, so every night and a backtest see
the same. A window matches when, for the subject's type:

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
from amlwatch.scanners.prune import NO_FAMILY
from amlwatch.scanners.standards.customers import Customers
from amlwatch.scanners.standards.params import FamilyParams, family_params, money, whole
from amlwatch.scanners.standards.window import (
    F_COUNTS,
    G_MIN_COUNT,
    G_MIN_TOTAL,
    NO_LIMIT,
    SECONDS_PER_DAY,
    FamilyWindows,
    check_input,
    gate,
    mark_days,
    per_subject,
    slide_marked,
    sorted_within,
)

M_IDLE = 0  # the marks table's columns: the least days asleep before a waking,
M_WAKE = 1  # and the most days after it a record counts


def params(values: dict[str, dict[str, Decimal]]) -> FamilyParams:
    """The kernel's tables from a standard's parameters (per customer type)."""

    def row(p: dict[str, Decimal]) -> tuple[list[int], list[int]]:
        marks = [whole(p, "idle_days"), whole(p, "wake_days")]
        return marks, gate(min_count=whole(p, "min_count"), min_total=money(p, "min_total_cny"))

    return family_params(values, row, 2)


def lookback(values: dict[str, dict[str, Decimal]]) -> int:
    """How many days before the read window the subjects' activity must be looked at: the
    longest sleep and the days after a waking the standard asks for."""
    return max((int(p["idle_days"]) + int(p["wake_days"]) + 1 for p in values.values()), default=0)


def customer_least(family: FamilyParams, customers: Customers) -> np.ndarray:
    """Per customer, the least window total it could match with (`scanners.prune`): the
    type's floor when the customer is known to have been active before the read window
    or the window is long enough to hold a sleep, else `NO_FAMILY`."""
    t = customers.entity.astype(np.int64)
    g = family.gates[t]
    ptr = customers.active_ptr
    if ptr is None:
        return np.where(g[:, G_MIN_COUNT] < NO_LIMIT, g[:, G_MIN_TOTAL], NO_FAMILY)
    known = ptr[1:] > ptr[:-1]
    anyone = (g[:, G_MIN_COUNT] <= 0) & (g[:, G_MIN_TOTAL] <= 0)  # no marked record needed
    # a sleep the read window itself can hold: two active days in it far enough apart
    inside = customers.last_day - customers.first_day > family.marks[t][:, M_IDLE]
    ok = (g[:, G_MIN_COUNT] < NO_LIMIT) & (known | inside | anyone)
    return np.where(ok, g[:, G_MIN_TOTAL], NO_FAMILY)


def scan_dormant(
    data: PatternInput,
    end_days: np.ndarray,
    start_days: np.ndarray,
    family: FamilyParams,
    *,
    emit_all: bool = False,
) -> FamilyWindows:
    """The windows ending on each end day that match (every non-empty one with `emit_all`).

    Raises:
        ScannerInputError: wrong dtypes, lengths, order or codes; no last active days.
    """
    ends, starts = check_input(data, end_days, start_days)
    if data.active_ptr is None or data.active_day is None:
        raise ScannerInputError("this family needs the days each subject was active before")
    ptr = per_subject(data.active_ptr[1:], data, "active_ptr: the active days")
    ptr, days = data.active_ptr[: len(ptr) + 1], data.active_day.astype(np.int64)
    if not sorted_within(ptr, days):
        raise ScannerInputError("active_day: each subject's days must be sorted")
    result = _kernel(
        data.subject, data.ts, data.out, data.amount, data.entity, ptr, days,
        ends, starts, family.marks, family.gates, emit_all,
    )  # fmt: skip
    return FamilyWindows.of(data, result)


@njit(**JIT)
def _kernel(
    subject: np.ndarray,
    ts: np.ndarray,
    out: np.ndarray,
    amount: np.ndarray,
    entity: np.ndarray,
    active_ptr: np.ndarray,
    active_day: np.ndarray,
    ends: np.ndarray,
    starts: np.ndarray,
    marks_table: np.ndarray,
    gates: np.ndarray,
    emit_all: bool,
) -> np.ndarray:
    """Mark the records of each subject's first days after a waking, then slide."""
    n = subject.shape[0]
    marks = np.zeros(n, dtype=np.int8)
    previous = -1  # the subject's previous active day (-1: unknown)
    wake = -1  # its latest waking (-1: none)
    for i in range(n):
        day = ts[i] // SECONDS_PER_DAY
        t = 1 if entity[i] else 0
        if i == 0 or subject[i] != subject[i - 1]:  # its days before the window first
            previous = wake = -1
            for k in range(active_ptr[subject[i]], active_ptr[subject[i] + 1]):
                if previous >= 0 and active_day[k] - previous > marks_table[t, M_IDLE]:
                    wake = active_day[k]
                previous = active_day[k]
        if day != previous:  # the subject's first record of the day
            if previous >= 0 and day - previous > marks_table[t, M_IDLE]:
                wake = day
            previous = day
        if wake >= 0 and day - wake <= marks_table[t, M_WAKE]:
            marks[i] = F_COUNTS
    mark_days(subject, ts, marks)
    return slide_marked(subject, ts, out, amount, entity, marks, ends, starts, gates, emit_all)
