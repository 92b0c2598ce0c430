"""What the monitoring-standard families share: the sliding window over flagged rows, the
gate a window's sums must pass, the result layout and the input checks.

A family marks rows (`F_COUNTS`: the row counts in the family's measure; `F_DAY`: it is the
first such row of its subject's day) and gives a gate per customer type; `_slide` then moves
every subject's window along its rows once, as the scatter kernel does, adding rows at the
right edge and removing them at the left. Windows are whole calendar days, so the day marks
summed over a window are the distinct days holding a marked row.

The same input as the scatter kernel (`PatternInput`, sorted by `pattern_order`); money is
int64 thousandths of a yuan; ratios are basis points, compared in exact integer arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from numba import njit

from amlwatch.scanners.config import JIT
from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.patterns import PatternInput, check_window
from amlwatch.scanners.prune import NO_FAMILY, PF_COLUMNS, PF_COUNT, PF_LEAST

MILLI = 1000
BASIS = 10_000
SECONDS_PER_DAY = 86_400
NO_LIMIT = 1 << 62  # a gate bound that never binds

F_COUNTS = 1
F_DAY = 2

# the gate, one row per customer type (0 individuals, 1 entities)
(
    G_MIN_COUNT,  # marked rows (or, for same_party, parties) >= this
    G_MIN_DAYS,  # distinct days with a marked row >= this
    G_MIN_TOTAL,  # marked rows' total >= this
    G_MIN_IN,  # receipts' total >= this, and > 0 when G_NEED_IN
    G_MIN_SHARE,  # marked total >= this share (bp) of receipts
    G_MAX_RESIDUAL,  # |receipts - payments| <= this share (bp) of receipts
    G_NEED_IN,  # 1: receipts must exist
) = range(7)
GATE_COLUMNS = 7

# the result's columns
(
    R_END,
    R_LO,
    R_HI,
    R_IN_TOTAL,
    R_IN_COUNT,
    R_OUT_TOTAL,
    R_OUT_COUNT,
    R_M_COUNT,
    R_M_TOTAL,
    R_M_DAYS,
    R_MATCHED,
) = range(11)
RESULT_COLUMNS = 11


@dataclass(frozen=True, slots=True)
class FamilyWindows:
    """A family's evaluated windows as parallel arrays (subject, then end day).

    `lo:hi` is the window's row range in the sorted input; `end` indexes the end days given;
    `m_count`, `m_total`, `m_days` are the family's measure (docs/monitoring-rules.md says
    what each family counts); `matched` is whether the window passed the gate.
    """

    subject: np.ndarray
    end: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    in_total: np.ndarray
    in_count: np.ndarray
    out_total: np.ndarray
    out_count: np.ndarray
    m_count: np.ndarray
    m_total: np.ndarray
    m_days: np.ndarray
    matched: np.ndarray

    def __len__(self) -> int:
        return len(self.end)

    @classmethod
    def of(cls, data: PatternInput, result: np.ndarray) -> FamilyWindows:
        """From a kernel's result table."""
        return cls(
            subject=data.subject[result[:, R_LO]] if len(result) else np.empty(0, np.int64),
            end=result[:, R_END].copy(),
            lo=result[:, R_LO].copy(),
            hi=result[:, R_HI].copy(),
            in_total=result[:, R_IN_TOTAL].copy(),
            in_count=result[:, R_IN_COUNT].copy(),
            out_total=result[:, R_OUT_TOTAL].copy(),
            out_count=result[:, R_OUT_COUNT].copy(),
            m_count=result[:, R_M_COUNT].copy(),
            m_total=result[:, R_M_TOTAL].copy(),
            m_days=result[:, R_M_DAYS].copy(),
            matched=result[:, R_MATCHED].astype(np.bool_),
        )


def exact(value: Decimal, scale: int, what: str) -> int:
    """`value × scale` as an exact integer; refuses what would be rounded."""
    scaled = value * scale
    if scaled != scaled.to_integral_value() or scaled < 0:
        raise ScannerInputError(f"{what}: {value} would be rounded or is negative")
    return int(scaled)


def gate(
    *,
    min_count: int = 0,
    min_days: int = 0,
    min_total: int = 0,
    min_in: int = 0,
    min_share: int = 0,
    max_residual: int = NO_LIMIT,
    need_in: bool = False,
) -> list[int]:
    """One gate row (see `G_*`)."""
    row = [0] * GATE_COLUMNS
    row[G_MIN_COUNT], row[G_MIN_DAYS], row[G_MIN_TOTAL] = min_count, min_days, min_total
    row[G_MIN_IN], row[G_MIN_SHARE], row[G_MAX_RESIDUAL] = min_in, min_share, max_residual
    row[G_NEED_IN] = int(need_in)
    return row


# the checks of every window kernel's wrapper: the scatter kernel's
check_input = check_window


def kinds(data: PatternInput, required: bool = True) -> np.ndarray:
    """The records' kind bits, checked (uint8, one per row); zeros when the input has none
    and the family can do without.

    Raises:
        ScannerInputError: a kind of another dtype or length; none where the family needs it.
    """
    n = len(data.subject)
    if data.kind is None:
        if required:
            raise ScannerInputError("kind: this family needs the records' kind (cash, region)")
        return np.zeros(n, np.uint8)
    kind = data.kind
    if kind.dtype != np.uint8 or kind.ndim != 1 or len(kind) != n or not kind.flags.c_contiguous:
        raise ScannerInputError(f"kind: expected a contiguous 1-d uint8 array of length {n}")
    return kind


def filter_rows(
    gates: np.ndarray, records: Sequence[tuple[int, ...]], counts: list[int] | None = None
) -> np.ndarray:
    """A family's pruning filter (`scanners.prune.PF_*`, one row per customer type): the
    records it may mark — `records[t]`: kind bits, time of day from / to, amount lo / hi,
    whether a counterparty is needed (0 when left out) — and, from its gate, the least
    marked total and count a window needs (`counts[t]` for another count)."""
    rows = np.zeros((2, PF_COLUMNS), np.int64)
    for t in range(2):
        g = gates[t]
        never = g[G_MIN_COUNT] >= NO_LIMIT
        rows[t, : len(records[t])] = records[t]
        rows[t, PF_LEAST] = NO_FAMILY if never else g[G_MIN_TOTAL]
        rows[t, PF_COUNT] = 0 if never else (g[G_MIN_COUNT] if counts is None else counts[t])
    return rows


def per_subject(values: np.ndarray | None, data: PatternInput, what: str) -> np.ndarray:
    """A per-subject input (one int64 per subject code), checked.

    Raises:
        ScannerInputError: none, or not a 1-d int64 array covering every subject code.
    """
    subjects = int(data.subject.max()) + 1 if len(data.subject) else 0
    if values is None or values.dtype != np.int64 or values.ndim != 1 or len(values) < subjects:
        raise ScannerInputError(f"this family needs {what} per subject (int64)")
    return np.ascontiguousarray(values)


@njit(**JIT)
def mark_days(subject: np.ndarray, ts: np.ndarray, marks: np.ndarray) -> None:
    """Add F_DAY to the first F_COUNTS row of each subject's day, in place."""
    last_subject = -1
    last_day = -1
    for i in range(subject.shape[0]):
        if marks[i] & F_COUNTS:
            day = ts[i] // SECONDS_PER_DAY
            if subject[i] != last_subject or day != last_day:
                marks[i] |= F_DAY
            last_subject = subject[i]
            last_day = day


@njit(**JIT)
def passes(
    in_total: int,
    out_total: int,
    m_count: int,
    m_total: int,
    m_days: int,
    g: np.ndarray,
) -> bool:
    """Whether a window's sums pass a gate row."""
    residual = in_total - out_total if in_total >= out_total else out_total - in_total
    return (
        m_count >= g[G_MIN_COUNT]
        and m_days >= g[G_MIN_DAYS]
        and m_total >= g[G_MIN_TOTAL]
        and in_total >= g[G_MIN_IN]
        and (in_total > 0 or g[G_NEED_IN] == 0)
        and m_total * BASIS >= g[G_MIN_SHARE] * in_total
        and (g[G_MAX_RESIDUAL] >= NO_LIMIT or residual * BASIS <= g[G_MAX_RESIDUAL] * in_total)
    )


@njit(**JIT)
def emit(
    result: np.ndarray, found: int, e: int, lo: int, hi: int, sums: np.ndarray, matched: bool
) -> np.ndarray:
    """Row `found` of the result (grown when full); returns the result."""
    if found == result.shape[0]:
        grown = np.empty((found * 2, RESULT_COLUMNS), dtype=np.int64)
        grown[:found] = result
        result = grown
    row = result[found]
    row[R_END] = e
    row[R_LO] = lo
    row[R_HI] = hi
    row[R_IN_TOTAL] = sums[0]
    row[R_IN_COUNT] = sums[1]
    row[R_OUT_TOTAL] = sums[2]
    row[R_OUT_COUNT] = sums[3]
    row[R_M_COUNT] = sums[4]
    row[R_M_TOTAL] = sums[5]
    row[R_M_DAYS] = sums[6]
    row[R_MATCHED] = 1 if matched else 0
    return result


@njit(**JIT)
def slide(
    subject: np.ndarray,
    ts: np.ndarray,
    out: np.ndarray,
    amount: np.ndarray,
    entity: np.ndarray,
    marks: np.ndarray,
    ends: np.ndarray,
    starts: np.ndarray,
    gates: np.ndarray,
    emit_all: bool,
) -> np.ndarray:
    """`slide_floored` with no subject's floor of its own."""
    return slide_floored(
        subject, ts, out, amount, entity, marks, ends, starts, gates, emit_all,
        np.empty(0, dtype=np.int64),
    )  # fmt: skip


@njit(**JIT)
def slide_floored(
    subject: np.ndarray,
    ts: np.ndarray,
    out: np.ndarray,
    amount: np.ndarray,
    entity: np.ndarray,
    marks: np.ndarray,
    ends: np.ndarray,
    starts: np.ndarray,
    gates: np.ndarray,
    emit_all: bool,
    floor: np.ndarray,
) -> np.ndarray:
    """Every subject's window [starts[e], ends[e]] slid along its rows once: receipts' and
    payments' totals and counts, and the marked rows' count, total and days.

    Precondition: rows sorted by (subject, ts, receipts first); `ends` increasing, `starts`
    non-decreasing (int64 days since 1970-01-01); `marks` from the family (F_COUNTS, F_DAY);
    `gates` the (2, GATE_COLUMNS) table (a gate no window passes, `min_count` NO_LIMIT, is
    a customer type the standard is not for: its measure stays 0); `floor`, per subject
    code, one more least marked total of its own (empty: none). Returns one `R_*` row per
    window that passed its subject's gate (every non-empty window with `emit_all`), by
    subject then end day.
    """
    n = subject.shape[0]
    result = np.empty((1024, RESULT_COLUMNS), dtype=np.int64)
    sums = np.zeros(7, dtype=np.int64)  # in total, count, out total, count, m count, total, days
    own = np.empty(gates.shape[1], dtype=np.int64)  # a gate with the subject's floor
    found = 0
    s0 = 0
    while s0 < n:
        s1 = s0 + 1
        while s1 < n and subject[s1] == subject[s0]:
            s1 += 1
        g = own
        g[:] = gates[1] if entity[s0] else gates[0]
        counted = g[G_MIN_COUNT] < NO_LIMIT  # a type it is not for: no measure
        if floor.shape[0]:
            g[G_MIN_TOTAL] = max(g[G_MIN_TOTAL], floor[subject[s0]])
        left = s0
        right = s0
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
def sorted_within(ptr: np.ndarray, day: np.ndarray) -> bool:
    """Whether each subject's days `day[ptr[s]:ptr[s + 1]]` are sorted."""
    for s in range(ptr.shape[0] - 1):
        for i in range(ptr[s] + 1, ptr[s + 1]):
            if day[i] < day[i - 1]:
                return False
    return True


@njit(**JIT)
def add_row(sums: np.ndarray, out: bool, amount: int, mark: int, sign: int) -> None:
    """Add (sign 1) or remove (-1) a row in a window's sums (`slide`'s seven, with its marks)."""
    if out:
        sums[2] += sign * amount
        sums[3] += sign
    else:
        sums[0] += sign * amount
        sums[1] += sign
    if mark & F_COUNTS:
        sums[4] += sign
        sums[5] += sign * amount
    if mark & F_DAY:
        sums[6] += sign


@njit(**JIT)
def _needs_every_row(gates: np.ndarray) -> bool:
    """Whether a gate reads the receipts' and payments' sums, or lets a window without a
    marked row pass: then every row must be slid, not only the marked ones."""
    for t in range(gates.shape[0]):
        g = gates[t]
        if g[G_MIN_COUNT] >= NO_LIMIT:
            continue
        if g[G_MIN_IN] > 0 or g[G_MIN_SHARE] > 0 or g[G_MAX_RESIDUAL] < NO_LIMIT or g[G_NEED_IN]:
            return True
        if g[G_MIN_COUNT] < 1 and g[G_MIN_TOTAL] < 1 and g[G_MIN_DAYS] < 1:
            return True
    return False


@njit(**JIT)
def slide_marked(
    subject: np.ndarray,
    ts: np.ndarray,
    out: np.ndarray,
    amount: np.ndarray,
    entity: np.ndarray,
    marks: np.ndarray,
    ends: np.ndarray,
    starts: np.ndarray,
    gates: np.ndarray,
    emit_all: bool,
) -> np.ndarray:
    """`slide`, over the marked rows only when the gates allow it (no window without a
    marked row can pass, and no gate reads the receipts' or payments' sums): the same
    result, the matched windows' row ranges and sums then taken from every row. A family
    marks few rows (cash, night, a listed region): one pass over them instead of all."""
    if emit_all or _needs_every_row(gates):
        return slide(subject, ts, out, amount, entity, marks, ends, starts, gates, emit_all)
    keep = np.nonzero(marks & F_COUNTS)[0]
    found = slide(
        subject[keep], ts[keep], out[keep], amount[keep], entity[keep], marks[keep],
        ends, starts, gates, False,
    )  # fmt: skip
    n = subject.shape[0]
    for k in range(found.shape[0]):
        row = found[k]
        s = subject[keep[row[R_LO]]]
        first = np.searchsorted(subject, s)
        last = first
        while last < n and subject[last] == s:  # the subject's rows (sorted by subject)
            last += 1
        e = row[R_END]
        lo = first + np.searchsorted(ts[first:last], starts[e] * SECONDS_PER_DAY)
        hi = first + np.searchsorted(ts[first:last], (ends[e] + 1) * SECONDS_PER_DAY)
        in_total = in_count = out_total = out_count = 0
        for i in range(lo, hi):
            if out[i]:
                out_total += amount[i]
                out_count += 1
            else:
                in_total += amount[i]
                in_count += 1
        row[R_LO] = lo
        row[R_HI] = hi
        row[R_IN_TOTAL] = in_total
        row[R_IN_COUNT] = in_count
        row[R_OUT_TOTAL] = out_total
        row[R_OUT_COUNT] = out_count
    return found
