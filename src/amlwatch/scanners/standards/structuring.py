"""Structuring (化整为零): repeated amounts just under a reporting threshold.

A row is *near* the threshold T when T × (1 - band) <= amount < T, receipts and payments
alike (the large-value threshold cumulates each direction apart, so either side may be
split); with cash_only = 1, cash records only (0501's threshold is for cash). A window
matches when, for the subject's customer type:

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
from amlwatch.scanners.patterns import KIND_CASH, PatternInput
from amlwatch.scanners.prune import WHOLE_DAY
from amlwatch.scanners.standards.params import FamilyParams, family_params, money, ratio, whole
from amlwatch.scanners.standards.window import (
    BASIS,
    F_COUNTS,
    FamilyWindows,
    check_input,
    filter_rows,
    gate,
    kinds,
    mark_days,
    slide_marked,
)

# the marks table's columns: T in thousandths, band in bp, 1: cash records only
M_THRESHOLD, M_BAND, M_CASH = 0, 1, 2


def params(values: dict[str, dict[str, Decimal]]) -> FamilyParams:
    """The kernel's tables from a standard's parameters (per customer type)."""

    def row(p: dict[str, Decimal]) -> tuple[list[int], list[int]]:
        band = ratio(p, "band")
        if band > BASIS:
            raise ScannerInputError("band: at most 1 (100 %)")
        return [money(p, "threshold_cny"), band, whole(p, "cash_only")], gate(
            min_count=whole(p, "min_count"),
            min_days=whole(p, "min_days"),
            min_total=money(p, "min_total_cny"),
        )

    return family_params(values, row, 3)


def prefilter(family: FamilyParams) -> np.ndarray:
    """The records it may mark, for `scanners.prune`: in [threshold × (1 − band), threshold),
    cash when it looks at cash only."""
    records = []
    for m in family.marks:
        threshold = int(m[M_THRESHOLD])
        lowest = -(-threshold * (BASIS - int(m[M_BAND])) // BASIS)  # amount × BASIS >= …
        records.append((KIND_CASH if m[M_CASH] else 0, *WHOLE_DAY, lowest, threshold))
    return filter_rows(family.gates, records)


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
    kind = kinds(data, required=bool(family.marks[:, M_CASH].any()))
    result = _kernel(
        data.subject, data.ts, data.out, data.amount, data.entity, kind, ends, starts,
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
    kind: np.ndarray,
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
        if m[M_CASH] and not kind[i] & KIND_CASH:
            continue
        if amount[i] < threshold and amount[i] * BASIS >= threshold * (BASIS - m[M_BAND]):
            marks[i] = F_COUNTS
    mark_days(subject, ts, marks)
    return slide_marked(subject, ts, out, amount, entity, marks, ends, starts, gates, emit_all)
