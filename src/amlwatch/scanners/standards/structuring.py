"""Structuring (化整为零): repeated amounts just under a reporting threshold.

A row is *near* the threshold T when T × (1 - band) <= amount < T, receipts and payments
alike (the large-value threshold cumulates each direction apart, so either side may be
split). A window matches when, for the subject's customer type:

    near rows                 >= min_count
    days holding a near row   >= min_days
    near rows' total          >= min_total_cny

Measure: m_count near rows, m_total their total, m_days the days holding one.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from numba import njit

from amlwatch.scanners.config import JIT
from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.patterns import PatternInput
from amlwatch.scanners.standards.params import FamilyParams, money, per_type, ratio, whole
from amlwatch.scanners.standards.window import (
    BASIS,
    F_COUNTS,
    FamilyWindows,
    check_input,
    gate,
    mark_days,
    slide,
)

M_THRESHOLD, M_BAND = 0, 1  # the marks table's columns: T in thousandths, band in bp


def params(values: dict[str, dict[str, Decimal]]) -> FamilyParams:
    """The kernel's tables from a standard's parameters (per customer type)."""
    marks, gates = [], []
    for p in per_type(values):
        band = ratio(p, "band")
        if band > BASIS:
            raise ScannerInputError("band: at most 1 (100 %)")
        marks.append([money(p, "threshold_cny"), band])
        gates.append(
            gate(
                min_count=whole(p, "min_count"),
                min_days=whole(p, "min_days"),
                min_total=money(p, "min_total_cny"),
            )
        )
    return FamilyParams(np.array(marks, np.int64), np.array(gates, np.int64))


def scan_structuring(
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
    """Mark the rows just under the customer type's threshold, then slide the windows."""
    n = subject.shape[0]
    marks = np.zeros(n, dtype=np.int8)
    for i in range(n):
        m = marks_table[1 if entity[i] else 0]
        threshold = m[M_THRESHOLD]
        if amount[i] < threshold and amount[i] * BASIS >= threshold * (BASIS - m[M_BAND]):
            marks[i] = F_COUNTS
    mark_days(subject, ts, marks)
    return slide(subject, ts, out, amount, entity, marks, ends, starts, gates, emit_all)
