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
    """Every subject's window slid along its rows once, every row counted; the gate is its
    type's with the declared figure times the multiple as one more floor on the total."""
    n = subject.shape[0]
    marks = np.full(n, F_COUNTS, dtype=np.int8)  # every record counts, and each day once
    mark_days(subject, ts, marks)
    result = np.empty((1024, RESULT_COLUMNS), dtype=np.int64)
    sums = np.zeros(7, dtype=np.int64)  # in total, count, out total, count, m count, total, days
    g = np.empty(gates.shape[1], dtype=np.int64)
    found = 0
    s0 = 0
    while s0 < n:
        s1 = s0 + 1
        while s1 < n and subject[s1] == subject[s0]:
            s1 += 1
        t = 1 if entity[s0] else 0
        g[:] = gates[t]
        figure = declared[subject[s0]]
        counted = g[G_MIN_COUNT] < NO_LIMIT  # a type it is not for: no measure
        if counted and figure >= 0:
            g[G_MIN_TOTAL] = max(g[G_MIN_TOTAL], _floor_of(marks_table[t, M_MULTIPLE], figure))
        else:
            g[G_MIN_COUNT] = NO_LIMIT  # no profile: nothing to be out of
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
            matched = passes(sums[0], sums[2], sums[4], sums[5], sums[6], g)
            if matched or emit_all:
                result = emit(result, found, e, left, right, sums, matched)
                found += 1
        s0 = s1
    return result[:found].copy()


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
