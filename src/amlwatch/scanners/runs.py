"""The pattern scanner's input merged from day runs instead of sorted from scratch.

The ingest stage stores each business date's rows sorted by (customer key, time, receipts
first): a *run*. A window of N days is then N runs, and merging them customer by customer
is one pass that reads every run in order — where sorting the whole window (tens of millions
of rows) costs most of a night on a small machine.

A customer is a 128-bit key (two independent 64-bit hashes of its id, see
`scanners.encode`). Counterparties are 64-bit hashes (0 for none); the merge numbers them
within each subject (0, 1, …), which is all the pattern kernel needs: it counts distinct
counterparties of one subject at a time. Two of one subject's counterparties sharing a 64-bit
hash is a chance below 1e-13 for a subject with a thousand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from amlwatch.scanners.checks import check_columns
from amlwatch.scanners.config import JIT
from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.patterns import PatternInput


@dataclass(frozen=True, slots=True)
class DayRuns:
    """Rows of consecutive runs; run r is rows `starts[r]:starts[r + 1]`.

    Attributes:
        key_1, key_2: uint64 halves of the customer's key.
        ts: int64 booking time, seconds since 1970-01-01 (China local time).
        out: bool, a payment (else a receipt).
        amount: int64 CNY equivalent in thousandths, >= 0.
        party: uint64 counterparty hash, 0 when the record has no counterparty identity.
        starts: int64 run boundaries, from 0 to the number of rows.
    """

    key_1: np.ndarray
    key_2: np.ndarray
    ts: np.ndarray
    out: np.ndarray
    amount: np.ndarray
    party: np.ndarray
    starts: np.ndarray


_DTYPES = {
    "key_1": np.uint64,
    "key_2": np.uint64,
    "ts": np.int64,
    "out": np.bool_,
    "amount": np.int64,
    "party": np.uint64,
}


@dataclass(frozen=True, slots=True)
class MergedWindow:
    """The kernel's input, and per subject (its code) the row of the customer table."""

    data: PatternInput
    customer_row: np.ndarray  # int64, -1 for a customer the table does not have


def merge_runs(
    runs: DayRuns, type_key_1: np.ndarray, type_key_2: np.ndarray, type_entity: np.ndarray
) -> MergedWindow:
    """Merge the runs into the pattern kernel's input, sorted by `pattern_order`'s rules
    (subjects in key order, coded 0, 1, …; each subject's rows by time, receipts first).

    A run that is not sorted is sorted first, and a subject whose rows interleave between
    runs (a late record) is sorted on its own, so the result never depends on the order
    runs are given in; in-order runs are only read.

    Args:
        runs: the window's rows.
        type_key_1, type_key_2, type_entity: the customer table (keys and the entity flag),
            in any order; a subject's customer type comes from it.
    """
    n = check_columns(runs, _DTYPES)
    starts = np.ascontiguousarray(runs.starts, dtype=np.int64)
    if starts.ndim != 1 or len(starts) < 1 or starts[0] != 0 or starts[-1] != n:
        raise ScannerInputError("run starts must go from 0 to the number of rows")
    if np.any(np.diff(starts) < 0):
        raise ScannerInputError("run starts must not decrease")
    if n and runs.amount.min() < 0:
        raise ScannerInputError("amounts must be >= 0")
    k1, k2, ts, out, amount, party = (
        runs.key_1, runs.key_2, runs.ts, runs.out, runs.amount, runs.party
    )  # fmt: skip
    for r in range(len(starts) - 1):
        lo, hi = int(starts[r]), int(starts[r + 1])
        if not _run_sorted(k1, k2, ts, out, lo, hi):
            order = lo + np.lexsort((out[lo:hi], ts[lo:hi], k2[lo:hi], k1[lo:hi]))
            if k1 is runs.key_1:  # never reorder the caller's arrays
                k1, k2, ts, out, amount, party = (
                    a.copy() for a in (k1, k2, ts, out, amount, party)
                )
            for array in (k1, k2, ts, out, amount, party):
                array[lo:hi] = array[order]
    order = np.lexsort((type_key_2, type_key_1))
    subject, sts, sout, samount, sparty, entity, rows, n_parties = _merge(
        k1,
        k2,
        ts,
        out,
        amount,
        party,
        starts,
        np.ascontiguousarray(type_key_1[order], dtype=np.uint64),
        np.ascontiguousarray(type_key_2[order], dtype=np.uint64),
        np.ascontiguousarray(type_entity[order], dtype=np.bool_),
    )
    customer_row = np.full(len(rows), -1, np.int64)
    customer_row[rows >= 0] = order[rows[rows >= 0]]
    data = PatternInput(subject, sts, sout, samount, sparty, entity, int(n_parties))
    return MergedWindow(data, customer_row)


@njit(**JIT)
def _before(a1: np.uint64, a2: np.uint64, b1: np.uint64, b2: np.uint64) -> bool:  # pragma: no cover
    return bool(a1 < b1 or (a1 == b1 and a2 < b2))


@njit(**JIT)
def _run_sorted(
    k1: np.ndarray, k2: np.ndarray, ts: np.ndarray, out: np.ndarray, lo: int, hi: int
) -> bool:  # pragma: no cover - compiled
    for i in range(lo + 1, hi):
        if k1[i] != k1[i - 1] or k2[i] != k2[i - 1]:
            if _before(k1[i], k2[i], k1[i - 1], k2[i - 1]):
                return False
        elif ts[i] < ts[i - 1] or (ts[i] == ts[i - 1] and out[i - 1] and not out[i]):
            return False
    return True


@njit(**JIT)
def _merge(
    k1: np.ndarray,
    k2: np.ndarray,
    ts: np.ndarray,
    out: np.ndarray,
    amount: np.ndarray,
    party: np.ndarray,
    starts: np.ndarray,
    t1: np.ndarray,
    t2: np.ndarray,
    t_entity: np.ndarray,
) -> tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int
]:  # pragma: no cover - compiled; NUMBA_DISABLE_JIT covers it
    n = k1.shape[0]
    k = starts.shape[0] - 1
    head = starts[:k].copy()
    stop = starts[1:].copy()
    subject = np.empty(n, np.int64)
    sts = np.empty(n, np.int64)
    sout = np.empty(n, np.bool_)
    samount = np.empty(n, np.int64)
    sparty = np.empty(n, np.int64)
    entity = np.empty(n, np.bool_)
    rows = np.empty(1024, np.int64)
    # open addressing: counterparty hash -> code within the subject
    size = 16
    slot_key = np.zeros(size, np.uint64)
    slot_code = np.full(size, -1, np.int64)
    used = np.empty(size, np.int64)
    n_parties = 0
    w = 0
    s = 0
    t = 0
    while True:
        found = False
        b1 = np.uint64(0)
        b2 = np.uint64(0)
        for r in range(k):
            if head[r] < stop[r]:
                i = head[r]
                if not found or _before(k1[i], k2[i], b1, b2):
                    b1 = k1[i]
                    b2 = k2[i]
                    found = True
        if not found:
            break
        first = w
        for r in range(k):
            i = head[r]
            while i < stop[r] and k1[i] == b1 and k2[i] == b2:
                sts[w] = ts[i]
                sout[w] = out[i]
                samount[w] = amount[i]
                sparty[w] = np.int64(party[i])  # the hash for now; coded below
                w += 1
                i += 1
            head[r] = i
        last = w
        # rows of one subject from several runs interleave only for late records
        ordered = True
        for i in range(first + 1, last):
            if sts[i] < sts[i - 1] or (sts[i] == sts[i - 1] and sout[i - 1] and not sout[i]):
                ordered = False
                break
        if not ordered:
            keys = sts[first:last] * 2 + sout[first:last]
            perm = np.argsort(keys, kind="mergesort") + first
            sts[first:last] = sts[perm]
            sout[first:last] = sout[perm]
            samount[first:last] = samount[perm]
            sparty[first:last] = sparty[perm]
        # the customer table, walked in the same key order
        while t < t1.shape[0] and _before(t1[t], t2[t], b1, b2):
            t += 1
        known = t < t1.shape[0] and t1[t] == b1 and t2[t] == b2
        if s == rows.shape[0]:
            grown = np.empty(2 * s, np.int64)
            grown[:s] = rows
            rows = grown
        rows[s] = t if known else -1
        is_entity = t_entity[t] if known else False
        # counterparty codes within the subject, in a table of the subject's size (in cache)
        span = 16
        while span < 2 * (last - first):
            span *= 2
        if span > size:
            size = span
            slot_key = np.zeros(size, np.uint64)
            slot_code = np.full(size, -1, np.int64)
            used = np.empty(size, np.int64)
        n_used = 0
        codes = 0
        for i in range(first, last):
            subject[i] = s
            entity[i] = is_entity
            h = np.uint64(sparty[i])
            if h == 0:
                sparty[i] = -1
                continue
            j = np.int64((h * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)) & (span - 1)
            while True:
                if slot_code[j] < 0:
                    slot_key[j] = h
                    slot_code[j] = codes
                    used[n_used] = j
                    n_used += 1
                    sparty[i] = codes
                    codes += 1
                    break
                if slot_key[j] == h:
                    sparty[i] = slot_code[j]
                    break
                j = (j + 1) & (span - 1)
        for u in range(n_used):
            slot_code[used[u]] = -1
        n_parties = max(n_parties, codes)
        s += 1
    return subject, sts, sout, samount, sparty, entity, rows[:s].copy(), n_parties
