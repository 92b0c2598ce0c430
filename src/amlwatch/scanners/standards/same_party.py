"""Same-party frequent flows (相同收付款人之间短期内频繁发生资金收付): money going back and
forth between the subject and one counterparty, many times in the window.

A counterparty is *frequent* in a window when the subject has at least min_rows records with
it there, receipts and payments together, and at least one of each (收付: both ways; one-way
flows — a salary, a merchant's settlement, rent — are not this). Records without a
counterparty identity never count. A window matches when, for the subject's customer type:

    frequent counterparties                 >= min_parties (>= 1)
    their records' total, both directions   >= min_total_cny

Measure: m_count frequent counterparties, m_total their records' total; m_days is 0.

Each subject's rows are added at the window's right edge and removed at its left, with the
counterparty's receipts, payments and total kept in scratch arrays indexed by its code, so a
counterparty turning frequent or not is seen at the row that turns it: O(n) per end day set.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from numba import njit

from amlwatch.scanners.config import JIT
from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.patterns import PatternInput
from amlwatch.scanners.prune import WHOLE_DAY
from amlwatch.scanners.standards.params import FamilyParams, family_params, money, whole
from amlwatch.scanners.standards.window import (
    G_MIN_COUNT,
    NO_LIMIT,
    SECONDS_PER_DAY,
    FamilyWindows,
    check_input,
    emit,
    filter_rows,
    gate,
    passes,
)

M_ROWS = 0  # the marks table's column: records with one counterparty that make it frequent


def prefilter(family: FamilyParams) -> np.ndarray:
    """The records it may mark, for `scanners.prune`: those with a counterparty, at least
    `min_rows` for each of `min_parties` counterparties."""
    counts = [
        0 if g[G_MIN_COUNT] >= NO_LIMIT else int(m[M_ROWS]) * int(g[G_MIN_COUNT])
        for m, g in zip(family.marks, family.gates, strict=True)
    ]
    return filter_rows(family.gates, [(0, *WHOLE_DAY, 0, NO_LIMIT, 1)] * 2, counts)


def params(values: dict[str, dict[str, Decimal]]) -> FamilyParams:
    """The kernel's tables from a standard's parameters (per customer type)."""

    def row(p: dict[str, Decimal]) -> tuple[list[int], list[int]]:
        if whole(p, "min_parties") < 1 or whole(p, "min_rows") < 2:
            raise ScannerInputError("min_parties must be >= 1 and min_rows >= 2")
        marks = [whole(p, "min_rows")]
        return marks, gate(min_count=whole(p, "min_parties"), min_total=money(p, "min_total_cny"))

    return family_params(values, row, 1)


def scan_same_party(
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
        data.subject, data.ts, data.out, data.amount, data.party, data.entity,
        max(int(data.n_parties), 1), ends, starts, family.marks, family.gates, emit_all,
    )  # fmt: skip
    return FamilyWindows.of(data, result)


@njit(**JIT)
def _frequent(p_in: int, p_out: int, min_rows: int) -> bool:
    return p_in >= 1 and p_out >= 1 and p_in + p_out >= min_rows


@njit(**JIT)
def _move(
    q: int,
    out: bool,
    amount: int,
    sign: int,
    p_in: np.ndarray,
    p_out: np.ndarray,
    p_total: np.ndarray,
    sums: np.ndarray,
    min_rows: int,
) -> None:
    """Add (sign 1) or remove (-1) one record with counterparty q, keeping the frequent
    counterparties' number (sums[4]) and total (sums[5]) exact."""
    if out:
        sums[2] += sign * amount
        sums[3] += sign
    else:
        sums[0] += sign * amount
        sums[1] += sign
    if q < 0:
        return
    if _frequent(p_in[q], p_out[q], min_rows):
        sums[4] -= 1
        sums[5] -= p_total[q]
    if out:
        p_out[q] += sign
    else:
        p_in[q] += sign
    p_total[q] += sign * amount
    if _frequent(p_in[q], p_out[q], min_rows):
        sums[4] += 1
        sums[5] += p_total[q]


@njit(**JIT)
def _kernel(
    subject: np.ndarray,
    ts: np.ndarray,
    out: np.ndarray,
    amount: np.ndarray,
    party: np.ndarray,
    entity: np.ndarray,
    n_parties: int,
    ends: np.ndarray,
    starts: np.ndarray,
    marks_table: np.ndarray,
    gates: np.ndarray,
    emit_all: bool,
) -> np.ndarray:
    """Every subject's windows slid along its rows once, counterparties tallied in scratch
    arrays (left clean for the next subject); one `window.R_*` row per window that passed
    its subject's gate (every non-empty one with `emit_all`)."""
    n = subject.shape[0]
    p_in = np.zeros(n_parties, dtype=np.int64)
    p_out = np.zeros(n_parties, dtype=np.int64)
    p_total = np.zeros(n_parties, dtype=np.int64)
    result = np.empty((1024, 11), dtype=np.int64)
    sums = np.zeros(7, dtype=np.int64)
    found = 0
    s0 = 0
    while s0 < n:
        s1 = s0 + 1
        while s1 < n and subject[s1] == subject[s0]:
            s1 += 1
        kind = 1 if entity[s0] else 0
        min_rows = marks_table[kind, M_ROWS]
        counted = gates[kind, G_MIN_COUNT] < NO_LIMIT  # a type it is not for: no measure
        left = s0
        right = s0
        sums[:] = 0
        for e in range(ends.shape[0]):
            while right < s1 and ts[right] // SECONDS_PER_DAY <= ends[e]:
                q = party[right] if counted else -1
                _move(q, out[right], amount[right], 1, p_in, p_out, p_total, sums, min_rows)
                right += 1
            while left < right and ts[left] // SECONDS_PER_DAY < starts[e]:
                q = party[left] if counted else -1
                _move(q, out[left], amount[left], -1, p_in, p_out, p_total, sums, min_rows)
                left += 1
            if right == left:
                continue
            matched = passes(sums[0], sums[2], sums[4], sums[5], sums[6], gates[kind])
            if matched or emit_all:
                result = emit(result, found, e, left, right, sums, matched)
                found += 1
        for i in range(left, right):
            q = party[i]
            if q >= 0 and counted:
                p_in[q] = 0
                p_out[q] = 0
                p_total[q] = 0
        s0 = s1
    return result[:found].copy()
