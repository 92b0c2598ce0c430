"""Frequent account opening and closing (频繁开户、销户): a customer that opens and closes
accounts again and again within the window while money moves through it — accounts bought,
rented or lent out (买卖、出租、出借账户) often look like this.

The events are the customer's accounts' opening and closing days (the accounts file's
`opened_at` / `closed_at`; `PatternInput.event_*`, per subject). A window matches when, for
the subject's customer type:

    accounts opened in the window            >= min_opened
    accounts closed in the window            >= min_closed
    openings and closings together           >= min_events
    receipts and payments in the window      >= min_total_cny

Measure: m_count the openings and closings, m_total the window's receipts and payments,
m_days the days holding an opening or a closing. Only customers with a transaction in the
window are looked at (a window is a subject's rows, as in every family).
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
    G_MIN_COUNT,
    G_MIN_TOTAL,
    NO_LIMIT,
    RESULT_COLUMNS,
    SECONDS_PER_DAY,
    FamilyWindows,
    add_row,
    check_input,
    emit,
    gate,
    passes,
    sorted_within,
)

EVENT_OPENED = 1
EVENT_CLOSED = 2
M_OPENED, M_CLOSED = 0, 1  # the marks table's columns: the least openings and closings


def params(values: dict[str, dict[str, Decimal]]) -> FamilyParams:
    """The kernel's tables from a standard's parameters (per customer type)."""

    def row(p: dict[str, Decimal]) -> tuple[list[int], list[int]]:
        marks = [whole(p, "min_opened"), whole(p, "min_closed")]
        return marks, gate(min_count=whole(p, "min_events"), min_total=money(p, "min_total_cny"))

    return family_params(values, row, 2)


def customer_least(family: FamilyParams, customers: Customers) -> np.ndarray:
    """Per customer, the least window total it could match with (`scanners.prune`): the
    type's floor when the read window holds enough of its accounts' openings and closings,
    else `NO_FAMILY`."""
    t = customers.entity.astype(np.int64)
    g, m = family.gates[t], family.marks[t]
    ptr, day, kind = customers.event_ptr, customers.event_day, customers.event_kind
    if ptr is None or day is None or kind is None:
        return np.where(g[:, G_MIN_COUNT] < NO_LIMIT, g[:, G_MIN_TOTAL], NO_FAMILY)
    inside = (day >= customers.first_day) & (day <= customers.last_day)
    owner = np.repeat(np.arange(len(t)), np.diff(ptr))
    opened = np.bincount(owner[inside & (kind == EVENT_OPENED)], minlength=len(t))
    closed = np.bincount(owner[inside & (kind == EVENT_CLOSED)], minlength=len(t))
    ok = (
        (g[:, G_MIN_COUNT] < NO_LIMIT)
        & (opened >= m[:, M_OPENED])
        & (closed >= m[:, M_CLOSED])
        & (opened + closed >= g[:, G_MIN_COUNT])
    )  # (with no event needed, every customer passes: 0 >= 0)
    return np.where(ok, g[:, G_MIN_TOTAL], NO_FAMILY)


def account_events(data: PatternInput) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The input's account events, checked: (pointer per subject, day, kind).

    Raises:
        ScannerInputError: none given, or of the wrong shape, dtype, kind or order.
    """
    ptr, day, kind = data.event_ptr, data.event_day, data.event_kind
    if ptr is None or day is None or kind is None:
        raise ScannerInputError("event_*: this family needs the accounts' opening and closing days")
    subjects = int(data.subject.max()) + 1 if len(data.subject) else 0
    if (
        ptr.dtype != np.int64 or day.dtype != np.int64 or kind.dtype != np.int8
        or ptr.ndim != 1 or len(ptr) < subjects + 1 or len(day) != len(kind)
        or (len(ptr) and (ptr[0] != 0 or ptr[-1] != len(day) or np.any(np.diff(ptr) < 0)))
    ):  # fmt: skip
        raise ScannerInputError(
            "event_*: expected int64 pointers per subject, int64 days, int8 kinds"
        )
    if len(kind) and not np.all((kind == EVENT_OPENED) | (kind == EVENT_CLOSED)):
        raise ScannerInputError("event_kind: 1 (opened) or 2 (closed)")
    if not sorted_within(ptr, day):
        raise ScannerInputError("event_day: each subject's events must be sorted by day")
    return (np.ascontiguousarray(ptr), np.ascontiguousarray(day), np.ascontiguousarray(kind))


def scan_open_close(
    data: PatternInput,
    end_days: np.ndarray,
    start_days: np.ndarray,
    family: FamilyParams,
    *,
    emit_all: bool = False,
) -> FamilyWindows:
    """The windows ending on each end day that match (every non-empty one with `emit_all`).

    Raises:
        ScannerInputError: wrong dtypes, lengths, order or codes; no account events.
    """
    ends, starts = check_input(data, end_days, start_days)
    ptr, day, kind = account_events(data)
    result = _kernel(
        data.subject, data.ts, data.out, data.amount, data.entity, ptr, day, kind, ends, starts,
        family.marks, family.gates, emit_all,
    )  # fmt: skip
    return FamilyWindows.of(data, result)


@njit(**JIT)
def _kernel(
    subject: np.ndarray,
    ts: np.ndarray,
    out: np.ndarray,
    amount: np.ndarray,
    entity: np.ndarray,
    ptr: np.ndarray,
    day: np.ndarray,
    kind: np.ndarray,
    ends: np.ndarray,
    starts: np.ndarray,
    marks_table: np.ndarray,
    gates: np.ndarray,
    emit_all: bool,
) -> np.ndarray:
    """Every subject's window slid along its rows and, beside them, along its events."""
    n = subject.shape[0]
    result = np.empty((1024, RESULT_COLUMNS), dtype=np.int64)
    sums = np.zeros(7, dtype=np.int64)  # in total, count, out total, count, m count, total, days
    found = 0
    s0 = 0
    while s0 < n:
        s1 = s0 + 1
        while s1 < n and subject[s1] == subject[s0]:
            s1 += 1
        t = 1 if entity[s0] else 0
        g = gates[t]
        counted = g[G_MIN_COUNT] < NO_LIMIT  # a type it is not for: no measure
        e0, e1 = ptr[subject[s0]], ptr[subject[s0] + 1]
        left = right = s0
        first = last = e0  # the events in the window: first:last
        sums[:] = 0
        for e in range(ends.shape[0]):
            while right < s1 and ts[right] // SECONDS_PER_DAY <= ends[e]:
                add_row(sums, out[right], amount[right], 0, 1)
                right += 1
            while left < right and ts[left] // SECONDS_PER_DAY < starts[e]:
                add_row(sums, out[left], amount[left], 0, -1)
                left += 1
            if right == left:
                continue
            while last < e1 and day[last] <= ends[e]:
                last += 1
            while first < last and day[first] < starts[e]:
                first += 1
            opened = closed = days = 0
            if counted:
                for i in range(first, last):
                    if kind[i] == EVENT_OPENED:
                        opened += 1
                    else:
                        closed += 1
                    if i == first or day[i] != day[i - 1]:
                        days += 1
            sums[4] = opened + closed
            sums[5] = sums[0] + sums[2] if counted else 0
            sums[6] = days
            matched = (
                counted
                and opened >= marks_table[t, 0]
                and closed >= marks_table[t, 1]
                and passes(sums[0], sums[2], sums[4], sums[5], sums[6], g)
            )
            if matched or emit_all:
                result = emit(result, found, e, left, right, sums, matched)
                found += 1
        s0 = s1
    return result[:found].copy()
