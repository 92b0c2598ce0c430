"""Large cash (个人账户短期内累计100万元以上现金收付; 现金收付金额、频率异常): the cash
records of the window, receipts and payments together.

A row is *marked* when it is cash (`KIND_CASH`) and at least min_single_cny. A window matches
when, for the subject's customer type (a standard for individuals only gives no entity
parameters):

    marked rows           >= min_count
    marked rows' total    >= min_total_cny

Measure: m_count cash records, m_total their total, m_days the days holding one.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from numba import njit

from amlwatch.scanners.config import JIT
from amlwatch.scanners.patterns import KIND_CASH, PatternInput
from amlwatch.scanners.prune import WHOLE_DAY
from amlwatch.scanners.standards.params import FamilyParams, family_params, money, whole
from amlwatch.scanners.standards.window import (
    F_COUNTS,
    NO_LIMIT,
    FamilyWindows,
    check_input,
    filter_rows,
    gate,
    kinds,
    mark_days,
    slide_marked,
)

M_SINGLE = 0  # the marks table's column: the smallest cash record counted


def params(values: dict[str, dict[str, Decimal]]) -> FamilyParams:
    """The kernel's tables from a standard's parameters (per customer type)."""

    def row(p: dict[str, Decimal]) -> tuple[list[int], list[int]]:
        marks = [money(p, "min_single_cny")]
        return marks, gate(min_count=whole(p, "min_count"), min_total=money(p, "min_total_cny"))

    return family_params(values, row, 1)


def prefilter(family: FamilyParams, bit: int = KIND_CASH) -> np.ndarray:
    """The records it may mark, for `scanners.prune`: of kind `bit`, at least the single
    minimum, at any time."""
    return filter_rows(
        family.gates, [(bit, *WHOLE_DAY, int(m[M_SINGLE]), NO_LIMIT) for m in family.marks]
    )


def scan_cash(
    data: PatternInput,
    end_days: np.ndarray,
    start_days: np.ndarray,
    family: FamilyParams,
    *,
    emit_all: bool = False,
) -> FamilyWindows:
    """The windows ending on each end day that match (every non-empty one with `emit_all`).

    Raises:
        ScannerInputError: wrong dtypes, lengths, order or codes; no kinds.
    """
    return scan_flagged(data, end_days, start_days, family, KIND_CASH, emit_all=emit_all)


def scan_flagged(
    data: PatternInput,
    end_days: np.ndarray,
    start_days: np.ndarray,
    family: FamilyParams,
    bit: int,
    *,
    emit_all: bool = False,
) -> FamilyWindows:
    """The windows over the records whose kind has `bit` (cash here; a listed region for
    `risk_region`, which shares this kernel)."""
    ends, starts = check_input(data, end_days, start_days)
    result = _kernel(
        data.subject, data.ts, data.out, data.amount, data.entity, kinds(data), bit, ends,
        starts, family.marks, family.gates, emit_all,
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
    bit: int,
    ends: np.ndarray,
    starts: np.ndarray,
    marks_table: np.ndarray,
    gates: np.ndarray,
    emit_all: bool,
) -> np.ndarray:
    """Mark the records of kind `bit` of the customer type's size, then slide the windows."""
    n = subject.shape[0]
    marks = np.zeros(n, dtype=np.int8)
    for i in range(n):
        single = marks_table[1 if entity[i] else 0, M_SINGLE]
        if kind[i] & bit and amount[i] >= single:
            marks[i] = F_COUNTS
    mark_days(subject, ts, marks)
    return slide_marked(subject, ts, out, amount, entity, marks, ends, starts, gates, emit_all)
