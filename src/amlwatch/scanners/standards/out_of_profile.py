"""Out of profile (资金收付频率及金额与其身份、经营规模明显不符): more money through the
customer in one window than what it declared itself to be — a person's declared annual
income, a firm's registered capital (the customers file's `declared_income_cny` /
`registered_capital_cny`; `PatternInput.declared`, per subject) — can explain.

A window matches when the subject's declared figure is known and, for its customer type:

    receipts and payments in the window   >= multiple × the declared figure
    receipts and payments in the window   >= min_total_cny
    records in the window                 >= min_count

Measure: m_count the window's records, m_total its receipts and payments, m_days the days
holding one. A subject without a declared figure (-1) never matches: nothing says what its
profile is.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from numba import njit

from amlwatch.scanners.config import JIT
from amlwatch.scanners.patterns import PatternInput
from amlwatch.scanners.prune import NO_FAMILY
from amlwatch.scanners.standards.customers import Customers
from amlwatch.scanners.standards.params import FamilyParams, family_params, money, ratio, whole
from amlwatch.scanners.standards.window import (
    BASIS,
    F_COUNTS,
    G_MIN_COUNT,
    G_MIN_TOTAL,
    NO_LIMIT,
    FamilyWindows,
    check_input,
    gate,
    mark_days,
    per_subject,
    slide_floored,
)

M_MULTIPLE = 0  # the marks table's column: the multiple of the declared figure, in bp


def params(values: dict[str, dict[str, Decimal]]) -> FamilyParams:
    """The kernel's tables from a standard's parameters (per customer type)."""

    def row(p: dict[str, Decimal]) -> tuple[list[int], list[int]]:
        marks = [ratio(p, "multiple")]
        return marks, gate(min_count=whole(p, "min_count"), min_total=money(p, "min_total_cny"))

    return family_params(values, row, 1)


def scan_out_of_profile(
    data: PatternInput,
    end_days: np.ndarray,
    start_days: np.ndarray,
    family: FamilyParams,
    *,
    emit_all: bool = False,
) -> FamilyWindows:
    """The windows ending on each end day that match (every non-empty one with `emit_all`).

    Raises:
        ScannerInputError: wrong dtypes, lengths, order or codes; no declared figures.
    """
    ends, starts = check_input(data, end_days, start_days)
    declared = per_subject(data.declared, data, "declared: a declared figure")
    result = _kernel(
        data.subject, data.ts, data.out, data.amount, data.entity,
        declared, ends, starts, family.marks, family.gates, emit_all,
    )  # fmt: skip
    return FamilyWindows.of(data, result)


@njit(**JIT)
def _kernel(
    subject: np.ndarray,
    ts: np.ndarray,
    out: np.ndarray,
    amount: np.ndarray,
    entity: np.ndarray,
    declared: np.ndarray,
    ends: np.ndarray,
    starts: np.ndarray,
    marks_table: np.ndarray,
    gates: np.ndarray,
    emit_all: bool,
) -> np.ndarray:
    """Every row counted (each day once), slid with each subject's declared figure times
    its type's multiple as one more floor on the total (no figure: a floor none reaches)."""
    n = subject.shape[0]
    marks = np.full(n, F_COUNTS, dtype=np.int8)
    mark_days(subject, ts, marks)
    floor = np.full(declared.shape[0], NO_LIMIT, dtype=np.int64)
    for i in range(n):
        if i and subject[i] == subject[i - 1]:
            continue  # a subject's first row says its type
        figure = declared[subject[i]]
        if figure >= 0:
            floor[subject[i]] = _floor_of(marks_table[1 if entity[i] else 0, M_MULTIPLE], figure)
    return slide_floored(
        subject, ts, out, amount, entity, marks, ends, starts, gates, emit_all, floor
    )


@njit(**JIT)
def _floor_of(multiple: int, figure: int) -> int:
    """multiple (bp) × figure, rounded up, in thousandths; `NO_LIMIT` past int64's reach."""
    if multiple and figure > NO_LIMIT // multiple:
        return NO_LIMIT
    return -((-multiple * figure) // BASIS)


def customer_least(family: FamilyParams, customers: Customers) -> np.ndarray:
    """Per customer, the least window total it could match with (`scanners.prune`): the
    floor and its declared figure × the multiple; `NO_FAMILY` without a declared figure."""
    t = customers.entity.astype(np.int64)
    g, m = family.gates[t], family.marks[t]
    declared = customers.declared
    if declared is None:
        return np.full(len(t), NO_FAMILY, np.int64)
    multiple = m[:, M_MULTIPLE]
    safe = (declared >= 0) & (declared <= NO_LIMIT // np.maximum(multiple, 1))
    figure = np.where(safe, declared, 0)
    floors = np.where(safe, -((-multiple * figure) // BASIS), NO_LIMIT)
    ok = (declared >= 0) & (g[:, G_MIN_COUNT] < NO_LIMIT)
    return np.where(ok, np.maximum(g[:, G_MIN_TOTAL], floors), NO_FAMILY)
