"""The order the pattern kernel reads rows in — by subject, then time, receipts before
payments — as a linear-time radix sort, and the gather of unsorted rows into that order."""

from __future__ import annotations

import numpy as np
from numba import njit

from amlwatch.scanners.config import JIT
from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.patterns import PatternInput


def pattern_order(subject: np.ndarray, ts: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The permutation that sorts rows by (subject, ts, receipts before payments), stable.

    One 64-bit key per row (subject, then seconds since the earliest row, then the
    direction) sorted by an LSD radix sort, 11 bits a pass: linear in the rows and reading
    memory in order; keys too wide for 63 bits fall back to a comparison sort.
    """
    n = len(subject)
    if not (len(ts) == len(out) == n):
        raise ScannerInputError("subject, ts and out must have the same length")
    if n == 0:
        return np.empty(0, dtype=np.int64)
    subject = np.ascontiguousarray(subject, dtype=np.int64)
    ts = np.ascontiguousarray(ts, dtype=np.int64)
    out = np.ascontiguousarray(out, dtype=np.bool_)
    if subject.min() < 0:
        raise ScannerInputError("subject codes must be >= 0")
    base = int(ts.min())
    time_bits = (2 * (int(ts.max()) - base) + 1).bit_length()
    bits = time_bits + int(subject.max()).bit_length()
    if bits > 63:
        return np.lexsort((out, ts, subject)).astype(np.int64)
    return _radix_order(_keys(subject, ts, out, base, time_bits), bits)


@njit(**JIT)
def _keys(
    subject: np.ndarray, ts: np.ndarray, out: np.ndarray, base: int, time_bits: int
) -> np.ndarray:
    keys = np.empty(subject.shape[0], dtype=np.int64)
    for i in range(subject.shape[0]):
        keys[i] = (subject[i] << time_bits) | ((ts[i] - base) * 2 + (1 if out[i] else 0))
    return keys


@njit(**JIT)
def _radix_order(keys: np.ndarray, bits: int) -> np.ndarray:
    """Row numbers sorted stably by non-negative keys of `bits` bits."""
    n = keys.shape[0]
    order = np.arange(n)
    spare_order = np.empty(n, dtype=np.int64)
    spare_keys = np.empty(n, dtype=np.int64)
    counts = np.empty(2049, dtype=np.int64)
    shift = 0
    while shift < bits:
        counts[:] = 0
        for i in range(n):
            counts[((keys[i] >> shift) & 2047) + 1] += 1
        if counts.max() == n:  # every key has the same digit here
            shift += 11
            continue
        for d in range(2048):
            counts[d + 1] += counts[d]
        for i in range(n):
            d = (keys[i] >> shift) & 2047
            at = counts[d]
            spare_keys[at] = keys[i]
            spare_order[at] = order[i]
            counts[d] = at + 1
        keys, spare_keys = spare_keys, keys
        order, spare_order = spare_order, order
        shift += 11
    return order


def sorted_input(
    subject: np.ndarray,
    ts: np.ndarray,
    out: np.ndarray,
    amount: np.ndarray,
    party: np.ndarray,
    entity: np.ndarray,
    n_parties: int,
    kind: np.ndarray | None = None,
) -> tuple[PatternInput, np.ndarray]:
    """Unsorted rows as the kernel's input: sorted by `pattern_order` and gathered in one
    pass. Returns the input and the permutation (sorted position -> given row)."""
    order = pattern_order(subject, ts, out)
    arrays = _gather(
        order,
        np.ascontiguousarray(subject, dtype=np.int64),
        np.ascontiguousarray(ts, dtype=np.int64),
        np.ascontiguousarray(out, dtype=np.bool_),
        np.ascontiguousarray(amount, dtype=np.int64),
        np.ascontiguousarray(party, dtype=np.int64),
        np.ascontiguousarray(entity, dtype=np.bool_),
    )
    s, t, o, a, q, e = arrays
    kinds = None if kind is None else np.ascontiguousarray(np.asarray(kind, np.uint8)[order])
    return PatternInput(s, t, o, a, q, e, n_parties, kinds), order


@njit(**JIT)
def _gather(
    order: np.ndarray,
    subject: np.ndarray,
    ts: np.ndarray,
    out: np.ndarray,
    amount: np.ndarray,
    party: np.ndarray,
    entity: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = order.shape[0]
    s = np.empty(n, np.int64)
    t = np.empty(n, np.int64)
    o = np.empty(n, np.bool_)
    a = np.empty(n, np.int64)
    p = np.empty(n, np.int64)
    e = np.empty(n, np.bool_)
    for k in range(n):
        i = order[k]
        s[k] = subject[i]
        t[k] = ts[i]
        o[k] = out[i]
        a[k] = amount[i]
        p[k] = party[i]
        e[k] = entity[i]
    return s, t, o, a, p, e
