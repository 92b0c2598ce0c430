"""New accounts (新开账户短期内大额资金收付): sizeable flows in the first days after the
subject's newest account was opened.

A row is *marked* when the subject's newest account was opened (`PatternInput.opened`, per
subject; -1 unknown: never) at most max_age_days calendar days before the row's day (and not
after it). A window matches when, for the subject's customer type:

    marked rows           >= min_count
    marked rows' total    >= min_total_cny     (receipts and payments together)

Measure: m_count such records, m_total their total, m_days the days holding one.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from numba import njit

from amlwatch.scanners.config import JIT
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
)

M_AGE = 0  # the marks table's column: the most days after the opening a record counts


def params(values: dict[str, dict[str, Decimal]]) -> FamilyParams:
    """The kernel's tables from a standard's parameters (per customer type)."""

    def row(p: dict[str, Decimal]) -> tuple[list[int], list[int]]:
        marks = [whole(p, "max_age_days")]
        return marks, gate(min_count=whole(p, "min_count"), min_total=money(p, "min_total_cny"))

    return family_params(values, row, 1)


def customer_least(family: FamilyParams, customers: Customers) -> np.ndarray:
    """Per customer, the least window total it could match with (`scanners.prune`): the
    type's floor when its newest account was opened late enough for a record of the read
    window to count, else `NO_FAMILY`."""
    t = customers.entity.astype(np.int64)
    g, m = family.gates[t], family.marks[t]
    opened = customers.opened
    if opened is None:
        return np.where(g[:, G_MIN_COUNT] < NO_LIMIT, g[:, G_MIN_TOTAL], NO_FAMILY)
    recent = (opened >= 0) & (opened <= customers.last_day)
    recent &= opened + m[:, M_AGE] >= customers.first_day
    anyone = (g[:, G_MIN_COUNT] <= 0) & (g[:, G_MIN_TOTAL] <= 0)  # no marked record needed
    ok = (g[:, G_MIN_COUNT] < NO_LIMIT) & (recent | anyone)
    return np.where(ok, g[:, G_MIN_TOTAL], NO_FAMILY)


def scan_new_account(
    data: PatternInput,
    end_days: np.ndarray,
    start_days: np.ndarray,
    family: FamilyParams,
    *,
    emit_all: bool = False,
) -> FamilyWindows:
    """The windows ending on each end day that match (every non-empty one with `emit_all`).

    Raises:
        ScannerInputError: wrong dtypes, lengths, order or codes; no opening days.
    """
    ends, starts = check_input(data, end_days, start_days)
    opened = per_subject(data.opened, data, "opened: an opening day")
    result = _kernel(
        data.subject, data.ts, data.out, data.amount, data.entity, opened,
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
    opened: np.ndarray,
    ends: np.ndarray,
    starts: np.ndarray,
    marks_table: np.ndarray,
    gates: np.ndarray,
    emit_all: bool,
) -> np.ndarray:
    """Mark the records of the subject's newest account's first days, then slide."""
    n = subject.shape[0]
    marks = np.zeros(n, dtype=np.int8)
    for i in range(n):
        first = opened[subject[i]]
        age = ts[i] // SECONDS_PER_DAY - first
        if first >= 0 and 0 <= age <= marks_table[1 if entity[i] else 0, M_AGE]:
            marks[i] = F_COUNTS
    mark_days(subject, ts, marks)
    return slide_marked(subject, ts, out, amount, entity, marks, ends, starts, gates, emit_all)
