"""Dense integer codes for identifiers the warehouse hands over as 128-bit hashes.

Strings are the slow part of moving a window out of DuckDB (Arrow's dictionary encoding of 20M
ids takes ~10 s here); DuckDB hashes them in parallel as it scans. Two independent 64-bit
hashes make a 128-bit key: the chance that two of a billion distinct ids share one is below
1e-20, so the codes are as good as the ids themselves. `dense_codes` numbers the distinct keys
with open-addressing hash tables after partitioning the rows by the keys' top bits, so
each table stays in cache: linear in the rows.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from amlwatch.scanners.config import JIT
from amlwatch.scanners.exceptions import ScannerInputError

_EMPTY = -1


def dense_codes(
    high: np.ndarray, low: np.ndarray, valid: np.ndarray | None = None
) -> tuple[np.ndarray, int]:
    """Number each distinct (high, low) key 0, 1, 2, ... (deterministic for the same input).

    Args:
        high, low: uint64 (or int64) halves of each row's key.
        valid: optional bool mask; rows where it is false get code -1 (no identity).

    Returns:
        The int64 code of every row, and how many distinct keys there are.
    """
    n = len(high)
    if len(low) != n or (valid is not None and len(valid) != n):
        raise ScannerInputError("key halves and mask must have the same length")
    h = (
        np.ascontiguousarray(high).view(np.int64)
        if high.dtype == np.uint64
        else np.ascontiguousarray(high, dtype=np.int64)
    )
    lo = (
        np.ascontiguousarray(low).view(np.int64)
        if low.dtype == np.uint64
        else np.ascontiguousarray(low, dtype=np.int64)
    )
    mask = np.ones(n, np.bool_) if valid is None else np.ascontiguousarray(valid, dtype=np.bool_)
    codes, count = _dense(h, lo, mask)
    return codes, int(count)


@njit(**JIT)
def _mix(a: np.int64, b: np.int64) -> np.uint64:
    x = np.uint64(a) ^ (np.uint64(b) * np.uint64(0x9E3779B97F4A7C15))
    x ^= x >> np.uint64(29)
    return x


_PARTITION_BITS = 10


@njit(**JIT)
def _dense(high: np.ndarray, low: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, int]:
    """Partition the rows by the key's top bits (one pass), then number each partition's keys
    with a small hash table that stays in cache. Codes follow partition order, then first
    appearance within the partition: deterministic for the same input."""
    n = high.shape[0]
    parts = 1 << _PARTITION_BITS
    shift = np.uint64(64 - _PARTITION_BITS)
    start = np.zeros(parts + 1, np.int64)
    for i in range(n):
        if valid[i]:
            start[np.int64(np.uint64(high[i]) >> shift) + 1] += 1
    for part in range(parts):
        start[part + 1] += start[part]
    m = start[parts]
    rows = np.empty(m, np.int64)
    part_high = np.empty(m, np.int64)
    part_low = np.empty(m, np.int64)
    part_code = np.empty(m, np.int64)
    fill = start[:parts].copy()
    for i in range(n):
        if valid[i]:
            part_of = np.int64(np.uint64(high[i]) >> shift)
            at = fill[part_of]
            rows[at] = i
            part_high[at] = high[i]
            part_low[at] = low[i]
            fill[part_of] = at + 1
    largest = 1
    for p in range(parts):
        largest = max(largest, start[p + 1] - start[p])
    size = 1 << 4
    while size < 2 * largest:
        size <<= 1
    # one table row per slot (key high, key low, code): one cache line per probe
    table = np.full((size, 3), _EMPTY, np.int64)
    used = np.empty(largest, np.int64)
    count = 0
    for p in range(parts):
        n_used = 0
        for r in range(start[p], start[p + 1]):
            h = part_high[r]
            lo = part_low[r]
            j = np.int64(_mix(h, lo) & np.uint64(size - 1))
            while True:
                if table[j, 2] == _EMPTY:
                    table[j, 0] = h
                    table[j, 1] = lo
                    table[j, 2] = count
                    used[n_used] = j
                    n_used += 1
                    part_code[r] = count
                    count += 1
                    break
                if table[j, 0] == h and table[j, 1] == lo:
                    part_code[r] = table[j, 2]
                    break
                j = (j + 1) & (size - 1)
        for u in range(n_used):
            table[used[u], 2] = _EMPTY
    codes = np.full(n, -1, np.int64)
    for r in range(m):
        codes[rows[r]] = part_code[r]
    return codes, count


def low_words(words: np.ndarray, out: np.ndarray) -> bool:
    """Copy the low 64-bit word of each 128-bit integer (`words`: int64 pairs, low first) into
    `out`; false when one does not fit in 64 bits (its high word is not the sign of the low)."""
    return bool(_low_words(words, out))


@njit(**JIT)
def _low_words(words: np.ndarray, out: np.ndarray) -> bool:
    for i in range(out.shape[0]):
        low = words[2 * i]
        if words[2 * i + 1] != (low >> 63):
            return False
        out[i] = low
    return True
