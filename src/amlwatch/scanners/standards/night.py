"""Unusual hours (非营业时间大额交易): sizeable records booked at night.

A row is a *night* row when its booking time of day falls in [night_from, night_to) — across
midnight when night_from > night_to — and its amount is at least min_single_cny. A window
matches when, for the subject's customer type:

    night rows             >= min_count
    night rows' total      >= min_total_cny

Measure: m_count night rows, m_total their total, m_days the days holding one.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from numba import njit

from amlwatch.scanners.config import JIT
from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.patterns import PatternInput
from amlwatch.scanners.standards.params import FamilyParams, family_params, money, whole
from amlwatch.scanners.standards.window import (
    F_COUNTS,
    NO_LIMIT,
    SECONDS_PER_DAY,
    FamilyWindows,
    check_input,
    filter_rows,
    gate,
    mark_days,
    slide_marked,
)

M_FROM, M_TO, M_SINGLE = 0, 1, 2  # the marks table's columns


def params(values: dict[str, dict[str, Decimal]]) -> FamilyParams:
    """The kernel's tables from a standard's parameters (per customer type)."""

    def row(p: dict[str, Decimal]) -> tuple[list[int], list[int]]:
        start, stop = whole(p, "night_from"), whole(p, "night_to")
        if start == stop or max(start, stop) >= SECONDS_PER_DAY:
            raise ScannerInputError("night_from and night_to: two different times of day")
        marks = [start, stop, money(p, "min_single_cny")]
        return marks, gate(min_count=whole(p, "min_count"), min_total=money(p, "min_total_cny"))

    return family_params(values, row, 3)


def prefilter(family: FamilyParams) -> np.ndarray:
    """The records it may mark, for `scanners.prune`: at night, of the single minimum."""
    return filter_rows(
        family.gates,
        [(0, int(m[M_FROM]), int(m[M_TO]), int(m[M_SINGLE]), NO_LIMIT) for m in family.marks],
    )


def scan_night(
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
    """Mark the night rows of the customer type's hours and size, then slide the windows."""
    n = subject.shape[0]
    marks = np.zeros(n, dtype=np.int8)
    for i in range(n):
        m = marks_table[1 if entity[i] else 0]
        second = ts[i] % SECONDS_PER_DAY
        inside = m[M_FROM] <= second < m[M_TO]  # [from, to) within one day
        across = second >= m[M_FROM] or second < m[M_TO]  # from late evening to morning
        at_night = inside if m[M_FROM] < m[M_TO] else across
        if at_night and amount[i] >= m[M_SINGLE]:
            marks[i] = F_COUNTS
    mark_days(subject, ts, marks)
    return slide_marked(subject, ts, out, amount, entity, marks, ends, starts, gates, emit_all)
