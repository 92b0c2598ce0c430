"""Scatter / concentrate patterns over windows of business days (分散转入集中转出 / 集中转入分散转出).

For every subject (a customer, or an account) and every scanned end day, the window is the
last N business days up to the end day plus the calendar days between them. Its metrics:
receipts and payments (total, count, distinct counterparties) and `out_after_first_in`, the
payments booked at or after the window's first receipt (is the outflow following the
inflow?). A window matches a standard when, for the subject's customer type,

    scattered side's distinct parties      >= min_scattered_parties
    concentrated side's distinct parties   in 1 .. max_concentrated_parties
    receipts and payments, each            >= min_amount
    payments / receipts                    in [through_flow_min, through_flow_max]
    out_after_first_in / payments          >= min_follow_share

with receipts as the scattered side for scatter-in / concentrate-out and payments for
concentrate-in / scatter-out. Both legs must exist. Records without a counterparty identity
count in totals and counts but not in distinct parties.

One pass over rows sorted by (subject, time, receipts first): two pointers slide the window,
distinct counterparties are counted in scratch arrays indexed by the encoded party: each row
is added and removed once, O(n) after the radix sort of `pattern_order`. Money is int64
thousandths (厘); ratios are compared in exact integer arithmetic (basis points).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from numba import njit

from amlwatch.rules import PatternThresholds, SuspiciousRule
from amlwatch.scanners.checks import check_columns
from amlwatch.scanners.config import JIT
from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.pattern_input import PatternInput

MILLI = 1000
BASIS = 10_000  # ratios in basis points
SECONDS_PER_DAY = 86_400
CUSTOMER_TYPES = ("individual", "entity")  # index 0, 1 in the parameter table
# columns of the parameter table, one row per customer type
P_MIN_SCATTERED, P_MAX_CONCENTRATED, P_MIN_AMOUNT, P_FLOW_MIN, P_FLOW_MAX, P_FOLLOW = range(6)
# columns of the kernel's result table
(R_END, R_LO, R_HI, R_FLAGS, R_IN_TOTAL, R_IN_COUNT, R_IN_PARTIES, R_OUT_TOTAL, R_OUT_COUNT,
 R_OUT_PARTIES, R_OUT_AFTER) = range(11)  # fmt: skip
# what a record is (PatternInput.kind), cut into the day runs at ingest
KIND_CASH = 1  # physical cash
KIND_CROSS_BORDER = 2
KIND_RISK_REGION = 4  # the counterparty's region is on the pack's high-risk list
FLAG_SCATTER_IN = 1  # matched: scattered receipts, concentrated payments
FLAG_SCATTER_OUT = 2  # matched: concentrated receipts, scattered payments


@dataclass(frozen=True, slots=True)
class PatternParams:
    """The thresholds as the kernel's integer table (row per customer type)."""

    table: np.ndarray

    @classmethod
    def from_rule(cls, rule: SuspiciousRule) -> PatternParams:
        """Exact integers from the pack's decimals; refuses values that would be rounded."""
        rows = [_row(rule.thresholds[kind], kind) for kind in CUSTOMER_TYPES]
        return cls(np.array(rows, dtype=np.int64))


def _exact(value: Decimal, scale: int, what: str) -> int:
    scaled = value * scale
    if scaled != scaled.to_integral_value() or scaled < 0:
        raise ScannerInputError(
            f"{what}: {value} must be >= 0 with at most {len(str(scale)) - 1} decimals"
        )
    return int(scaled)


def _row(t: PatternThresholds, kind: str) -> list[int]:
    return [
        t.min_scattered_parties,
        t.max_concentrated_parties,
        _exact(t.min_amount_cny, MILLI, f"{kind}.min_amount_cny"),
        _exact(t.through_flow_min, BASIS, f"{kind}.through_flow_min"),
        _exact(t.through_flow_max, BASIS, f"{kind}.through_flow_max"),
        _exact(t.min_follow_share, BASIS, f"{kind}.min_follow_share"),
    ]


@dataclass(frozen=True, slots=True)
class PatternWindows:
    """Evaluated windows as parallel arrays (one entry per subject × end day reported).

    `lo:hi` is the window's row range in the sorted input (its evidence); `end` indexes the
    end days given to the scan; `flags` has FLAG_SCATTER_IN / FLAG_SCATTER_OUT for matches.
    """

    subject: np.ndarray
    end: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    flags: np.ndarray
    in_total: np.ndarray
    in_count: np.ndarray
    in_parties: np.ndarray
    out_total: np.ndarray
    out_count: np.ndarray
    out_parties: np.ndarray
    out_after_first_in: np.ndarray

    def __len__(self) -> int:
        return len(self.end)


_DTYPES = {
    "subject": np.int64,
    "ts": np.int64,
    "out": np.bool_,
    "amount": np.int64,
    "party": np.int64,
    "entity": np.bool_,
}


def check_window(
    data: PatternInput, end_days: np.ndarray, start_days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The checks every window kernel's wrapper makes (this one's and every family's):
    dtypes, lengths, order, codes and days; the end and start days as int64.

    Raises:
        ScannerInputError: what is wrong.
    """
    n = check_columns(data, _DTYPES)
    ends = np.ascontiguousarray(end_days, dtype=np.int64)
    starts = np.ascontiguousarray(start_days, dtype=np.int64)
    if ends.shape != starts.shape or ends.ndim != 1:
        raise ScannerInputError("end_days and start_days must be 1-d and of the same length")
    if np.any(starts > ends) or np.any(np.diff(ends) <= 0) or np.any(np.diff(starts) < 0):
        raise ScannerInputError(
            "end days must increase, start days must not decrease, start <= end"
        )
    if n:
        if data.party.min() < -1 or data.party.max() >= data.n_parties:
            raise ScannerInputError(f"party codes must be in -1 .. {data.n_parties - 1}")
        if data.amount.min() < 0:
            raise ScannerInputError("amounts must be >= 0")
        if not _is_sorted(data.subject, data.ts, data.out):
            raise ScannerInputError("rows must be sorted by (subject, ts, receipts first)")
    return ends, starts


def scan_patterns(
    data: PatternInput,
    end_days: np.ndarray,
    start_days: np.ndarray,
    params: PatternParams,
    *,
    emit_all: bool = False,
) -> PatternWindows:
    """Evaluate every subject's window ending on each end day.

    Args:
        data: the transactions, sorted by `pattern_order`.
        end_days: int32 days since 1970-01-01, strictly increasing: the windows' last days.
        start_days: int32, the first calendar day of each end day's window (non-decreasing).
        params: thresholds (`PatternParams.from_rule`).
        emit_all: report every non-empty window with its metrics, not only matches
            (for tuning and replay).

    Returns:
        The matching (or all non-empty) windows, ordered by subject then end day.

    Raises:
        ScannerInputError: wrong dtypes, lengths, order or codes.
    """
    ends, starts = check_window(data, end_days, start_days)
    if params.table.shape != (2, 6):
        raise ScannerInputError("params: expected a (2, 6) table")
    result = _kernel(
        data.subject,
        data.ts,
        data.out,
        data.amount,
        data.party,
        data.entity,
        max(int(data.n_parties), 1),
        ends,
        starts,
        params.table,
        emit_all,
    )
    return PatternWindows(
        subject=data.subject[result[:, R_LO]] if len(result) else np.empty(0, np.int64),
        end=result[:, R_END].copy(),
        lo=result[:, R_LO].copy(),
        hi=result[:, R_HI].copy(),
        flags=result[:, R_FLAGS].astype(np.int8),
        in_total=result[:, R_IN_TOTAL].copy(),
        in_count=result[:, R_IN_COUNT].copy(),
        in_parties=result[:, R_IN_PARTIES].copy(),
        out_total=result[:, R_OUT_TOTAL].copy(),
        out_count=result[:, R_OUT_COUNT].copy(),
        out_parties=result[:, R_OUT_PARTIES].copy(),
        out_after_first_in=result[:, R_OUT_AFTER].copy(),
    )


@njit(**JIT)
def _is_sorted(subject: np.ndarray, ts: np.ndarray, out: np.ndarray) -> bool:
    for i in range(1, subject.shape[0]):
        if subject[i] != subject[i - 1]:
            if subject[i] < subject[i - 1]:
                return False
        elif ts[i] < ts[i - 1] or (ts[i] == ts[i - 1] and out[i - 1] and not out[i]):
            return False
    return True


@njit(**JIT)
def _matches(
    scattered_parties: int,
    concentrated_parties: int,
    in_total: int,
    out_total: int,
    out_after: int,
    p: np.ndarray,
) -> bool:
    return (
        scattered_parties >= p[P_MIN_SCATTERED]
        and 1 <= concentrated_parties <= p[P_MAX_CONCENTRATED]
        and in_total > 0
        and out_total > 0
        and in_total >= p[P_MIN_AMOUNT]
        and out_total >= p[P_MIN_AMOUNT]
        and out_total * BASIS >= p[P_FLOW_MIN] * in_total
        and out_total * BASIS <= p[P_FLOW_MAX] * in_total
        and out_after * BASIS >= p[P_FOLLOW] * out_total
    )


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
    params: np.ndarray,
    emit_all: bool,
) -> np.ndarray:
    """Every subject's window metrics for each window [starts[e], ends[e]] and whether they
    match the scatter / concentrate standards, in one pass over each subject's rows.

    Precondition: rows sorted by (subject, ts, receipts before payments) (`_is_sorted`);
    `ends` increasing and `starts` non-decreasing, as int64 day numbers since 1970-01-01, so
    each subject's window slides forward: rows enter at its right edge and leave at its left.
    A row's day is `ts // 86400` (`ts` in seconds, China local time).

    Units: `amount` int64 thousandths of a yuan (厘), >= 0; `party` a dense code in
    0 .. n_parties-1 or -1 (unknown: counted in totals, not in parties). `params` is the
    (2, 6) integer table of `PatternParams` (row 0 individuals, row 1 entities), ratios in
    basis points.

    Returns:
        An int64 array of shape (found, 11), one row per (subject, window) that matched (or
        every non-empty window with `emit_all`), by subject then window; its columns are
        the `R_*` indices: window index, first and one-past-last row of the window, match
        flags (`FLAG_SCATTER_IN` | `FLAG_SCATTER_OUT`), then receipts' total, count and
        distinct parties, payments' total, count and distinct parties, and the payments made
        after the window's first receipt.
    """
    n = subject.shape[0]
    seen_in = np.zeros(n_parties, dtype=np.int32)  # rows per party in the window, receipts
    seen_out = np.zeros(n_parties, dtype=np.int32)
    result = np.empty((1024, 11), dtype=np.int64)
    found = 0
    s0 = 0
    while s0 < n:
        s1 = s0 + 1
        while s1 < n and subject[s1] == subject[s0]:
            s1 += 1
        p = params[1] if entity[s0] else params[0]
        left = s0
        right = s0
        first_in = s0  # first receipt in [left, right), or right when there is none
        in_total = in_count = in_parties = 0
        out_total = out_count = out_parties = out_after = 0
        for e in range(ends.shape[0]):
            # grow: rows booked up to the end day
            while right < s1 and ts[right] // SECONDS_PER_DAY <= ends[e]:
                a = amount[right]
                q = party[right]
                if out[right]:
                    out_total += a
                    out_count += 1
                    if first_in < right:
                        out_after += a
                    if q >= 0:
                        if seen_out[q] == 0:
                            out_parties += 1
                        seen_out[q] += 1
                else:
                    in_total += a
                    in_count += 1
                    if q >= 0:
                        if seen_in[q] == 0:
                            in_parties += 1
                        seen_in[q] += 1
                right += 1
                if first_in == right - 1 and out[right - 1]:
                    first_in = right  # still no receipt
            # shrink: rows booked before the window's first day
            while left < right and ts[left] // SECONDS_PER_DAY < starts[e]:
                a = amount[left]
                q = party[left]
                if out[left]:
                    out_total -= a
                    out_count -= 1
                    if q >= 0:
                        seen_out[q] -= 1
                        if seen_out[q] == 0:
                            out_parties -= 1
                else:
                    in_total -= a
                    in_count -= 1
                    if q >= 0:
                        seen_in[q] -= 1
                        if seen_in[q] == 0:
                            in_parties -= 1
                left += 1
                if first_in < left:
                    # the first receipt left: payments before the next receipt no longer follow one
                    first_in = left
                    while first_in < right and out[first_in]:
                        out_after -= amount[first_in]
                        first_in += 1
            if right == left:
                continue
            flags = 0
            if _matches(in_parties, out_parties, in_total, out_total, out_after, p):
                flags |= FLAG_SCATTER_IN
            if _matches(out_parties, in_parties, in_total, out_total, out_after, p):
                flags |= FLAG_SCATTER_OUT
            if flags == 0 and not emit_all:
                continue
            if found == result.shape[0]:
                grown = np.empty((found * 2, 11), dtype=np.int64)
                grown[:found] = result
                result = grown
            row = result[found]
            row[R_END] = e
            row[R_LO] = left
            row[R_HI] = right
            row[R_FLAGS] = flags
            row[R_IN_TOTAL] = in_total
            row[R_IN_COUNT] = in_count
            row[R_IN_PARTIES] = in_parties
            row[R_OUT_TOTAL] = out_total
            row[R_OUT_COUNT] = out_count
            row[R_OUT_PARTIES] = out_parties
            row[R_OUT_AFTER] = out_after
            found += 1
        # leave the scratch arrays clean for the next subject
        for i in range(left, right):
            q = party[i]
            if q >= 0:
                if out[i]:
                    seen_out[q] = 0
                else:
                    seen_in[q] = 0
        s0 = s1
    return result[:found].copy()
