"""Rapid pass-through (快进快出、不留余额): most of what comes in leaves within hours, on
several days of the window, and little stays.

A payment is *quick* when the subject's latest receipt before it (receipts first at the same
second) was booked the same calendar day, at most `hours` hours earlier, and the payment is
within `pair_band` of that receipt's amount (|payment - receipt| <= pair_band × receipt: the
money received is what leaves; a trading firm's supplier payment after a buyer's is not). A
window matches when, for the subject's customer type:

    receipts' total                      >= min_in_cny (and > 0)
    quick payments' total                >= min_quick_share × receipts
    |receipts - payments|                <= max_residual_share × receipts
    days holding a quick payment         >= min_days

Measure: m_count quick payments, m_total their total, m_days the days holding one.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from numba import njit

from amlwatch.scanners.config import JIT
from amlwatch.scanners.patterns import PatternInput
from amlwatch.scanners.standards.params import FamilyParams, family_params, money, ratio, whole
from amlwatch.scanners.standards.window import (
    BASIS,
    F_COUNTS,
    SECONDS_PER_DAY,
    FamilyWindows,
    check_input,
    gate,
    mark_days,
    slide_marked,
)

# the marks table's columns: how long after a receipt a payment is quick; the amount band (bp)
M_SECONDS, M_BAND = 0, 1


def params(values: dict[str, dict[str, Decimal]]) -> FamilyParams:
    """The kernel's tables from a standard's parameters (per customer type)."""

    def row(p: dict[str, Decimal]) -> tuple[list[int], list[int]]:
        return [whole(p, "hours") * 3600, ratio(p, "pair_band")], gate(
            min_in=money(p, "min_in_cny"),
            min_share=ratio(p, "min_quick_share"),
            max_residual=ratio(p, "max_residual_share"),
            min_days=whole(p, "min_days"),
            need_in=True,
        )

    return family_params(values, row, 2)


def scan_pass_through(
    data: PatternInput,
    end_days: np.ndarray,
    start_days: np.ndarray,
    family: FamilyParams,
    *,
    emit_all: bool = False,
) -> FamilyWindows:
    """The windows ending on each end day that match (every non-empty one with `emit_all`).

    Raises:
        ScannerInputError: wrong dtypes, lengths, order or codes.
    """
    ends, starts = check_input(data, end_days, start_days)
    result = _kernel(
        data.subject, data.ts, data.out, data.amount, data.entity, ends, starts,
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
    ends: np.ndarray,
    starts: np.ndarray,
    marks_table: np.ndarray,
    gates: np.ndarray,
    emit_all: bool,
) -> np.ndarray:
    """Mark the quick payments (after the subject's latest receipt, the same day, within the
    customer type's seconds and amount band), then slide the windows (`window.slide`)."""
    n = subject.shape[0]
    marks = np.zeros(n, dtype=np.int8)
    last_in = -1  # row of the subject's latest receipt, -1 before the first
    for i in range(n):
        if i > 0 and subject[i] != subject[i - 1]:
            last_in = -1
        if not out[i]:
            last_in = i
        elif last_in >= 0:
            m = marks_table[1 if entity[i] else 0]
            same_day = ts[last_in] // SECONDS_PER_DAY == ts[i] // SECONDS_PER_DAY
            received = amount[last_in]
            gap = amount[i] - received if amount[i] >= received else received - amount[i]
            if (
                same_day
                and ts[i] - ts[last_in] <= m[M_SECONDS]
                and gap * BASIS <= m[M_BAND] * received
            ):
                marks[i] = F_COUNTS
    mark_days(subject, ts, marks)
    return slide_marked(subject, ts, out, amount, entity, marks, ends, starts, gates, emit_all)
