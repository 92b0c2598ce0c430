"""The pattern scanner's input merged from day runs instead of sorted from scratch.

The ingest stage stores each business date's rows sorted by (customer key, time, receipts
first): a *run*. A window of N days is then N runs, and merging them is two passes that read
every run in order (count each customer's rows, then place them) — where sorting the whole
window (tens of millions of rows) costs most of a night on a small machine. The runs are read
where the warehouse handed them over, in its pieces: the window is never copied whole.

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
from amlwatch.scanners.prune import NO_FAMILY, Prune, may_match, tally_blocks


@dataclass(frozen=True, slots=True)
class RunPiece:
    """Consecutive rows of one run, as the warehouse hands them over (never copied).

    Attributes:
        key_1, key_2: uint64 halves of the customer's key.
        ts: int64 booking time, seconds since 1970-01-01 (China local time).
        out: bool, a payment (else a receipt).
        amount: int64 CNY equivalent in thousandths, >= 0.
        party: uint64 counterparty hash, 0 when the record has no counterparty identity.
        kind: uint8 bits of what the record is (`scanners.patterns.KIND_*`).
    """

    key_1: np.ndarray
    key_2: np.ndarray
    ts: np.ndarray
    out: np.ndarray
    amount: np.ndarray
    party: np.ndarray
    kind: np.ndarray


_DTYPES = {
    "key_1": np.uint64,
    "key_2": np.uint64,
    "ts": np.int64,
    "out": np.bool_,
    "amount": np.int64,
    "party": np.uint64,
    "kind": np.uint8,
}


@dataclass(frozen=True, slots=True)
class DayRuns:
    """The window's runs in run order, each in one or more consecutive pieces."""

    runs: tuple[tuple[RunPiece, ...], ...]

    @classmethod
    def from_arrays(
        cls,
        key_1: np.ndarray,
        key_2: np.ndarray,
        ts: np.ndarray,
        out: np.ndarray,
        amount: np.ndarray,
        party: np.ndarray,
        starts: np.ndarray,
        piece_rows: int = 0,
        kind: np.ndarray | None = None,
    ) -> DayRuns:
        """Runs of whole arrays: run r is rows `starts[r]:starts[r + 1]`, cut into pieces of
        `piece_rows` rows when given (views, not copies); `kind` none known when not given."""
        n = len(key_1)
        kind = np.zeros(n, np.uint8) if kind is None else kind
        starts = np.asarray(starts, dtype=np.int64)
        if starts.ndim != 1 or len(starts) < 1 or starts[0] != 0 or starts[-1] != n:
            raise ScannerInputError("run starts must go from 0 to the number of rows")
        if np.any(np.diff(starts) < 0):
            raise ScannerInputError("run starts must not decrease")
        columns = (key_1, key_2, ts, out, amount, party, kind)
        runs = []
        for lo, hi in zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True):
            step = piece_rows or max(hi - lo, 1)
            cuts = list(range(lo, hi, step)) or [lo]
            runs.append(tuple(RunPiece(*(c[a : min(a + step, hi)] for c in columns)) for a in cuts))
        return cls(tuple(runs))


@dataclass(frozen=True, slots=True)
class MergedWindow:
    """The kernel's input, and per subject (its code) the row of the customer table."""

    data: PatternInput
    customer_row: np.ndarray  # int64, -1 for a customer the table does not have


def merge_runs(
    runs: DayRuns,
    type_key_1: np.ndarray,
    type_key_2: np.ndarray,
    type_entity: np.ndarray,
    block_rows: int = 100_000,
    prune: Prune | None = None,
    type_least: np.ndarray | None = None,
) -> MergedWindow:
    """Merge the runs into the pattern kernel's input, sorted by `pattern_order`'s rules
    (subjects in key order, coded 0, 1, …; each subject's rows by time, receipts first).

    Every subject's rows are counted, then placed into its slot of the output in run order
    (a block of keys at a time), then put in time order where a late record (a row in a
    later day's run but earlier in time) broke it. A run that is not sorted is sorted first
    (a copy), so the result never depends on the order runs are given in; in-order runs are
    only read.

    Args:
        runs: the window's rows.
        type_key_1, type_key_2, type_entity: the customer table (keys and the entity flag),
            in any order; a subject's customer type comes from it.
        block_rows: about how many rows are placed per block of keys.
        prune: when given, the customers that cannot match (`scanners.prune`) are left out.
        type_least: per customer of the table, its own least window total for the pruning
            (`scanners.prune.may_match`'s `own_least`); None: none.
    """
    pieces = [piece for run in map(_sorted_run, runs.runs) for piece in run if len(piece.ts)]
    order = np.lexsort((type_key_2, type_key_1))
    keys_1 = np.ascontiguousarray(type_key_1[order], dtype=np.uint64)
    keys_2 = np.ascontiguousarray(type_key_2[order], dtype=np.uint64)
    entity = np.ascontiguousarray(type_entity[order], dtype=np.bool_)
    table_row = order.astype(np.int64)
    own = np.empty(0, np.int64) if type_least is None else np.asarray(type_least, np.int64)[order]
    counts, tallies, lacking = _count(pieces, keys_1, keys_2, entity, prune)
    if lacking:  # keys the customer table lacks: subjects of their own, in key order
        new_1 = np.concatenate([p.key_1[m] for p, m in lacking])
        new_2 = np.concatenate([p.key_2[m] for p, m in lacking])
        new = np.unique(np.stack([new_1, new_2], axis=1), axis=0)
        keys_1 = np.concatenate([keys_1, new[:, 0]])
        keys_2 = np.concatenate([keys_2, new[:, 1]])
        merged = np.lexsort((keys_2, keys_1))
        keys_1, keys_2 = keys_1[merged], keys_2[merged]
        entity = np.concatenate([entity, np.zeros(len(new), np.bool_)])[merged]
        if len(own):
            own = np.concatenate([own, np.full(len(new), NO_FAMILY, np.int64)])[merged]
        table_row = np.concatenate([table_row, np.full(len(new), -1, np.int64)])[merged]
        counts, tallies, _ = _count(pieces, keys_1, keys_2, entity, prune)
    if prune is None:
        keep = np.ones(len(keys_1), np.bool_)
    else:
        keep = may_match(tallies, entity, prune.table, prune.least, prune.filters, own)
        counts[~keep] = 0
    present = counts > 0
    code = np.cumsum(present) - 1
    fill = np.cumsum(counts) - counts  # where each key's next row goes
    bounds = np.concatenate([fill[present], [int(counts.sum())]]).astype(np.int64)
    n = int(bounds[-1])
    subject = np.empty(n, np.int64)
    sts = np.empty(n, np.int64)
    sout = np.empty(n, np.bool_)
    samount = np.empty(n, np.int64)
    sparty = np.empty(n, np.int64)
    sentity = np.empty(n, np.bool_)
    skind = np.empty(n, np.uint8)
    # a block of keys at a time, its rows from every piece in run order (a subject's rows
    # land day after day): the block's part of the output stays in cache while it fills
    blocks = max(1, n // max(1, block_rows))
    low = min((int(p.key_1[0]) for p in pieces), default=0)
    high = max((int(p.key_1[-1]) for p in pieces), default=0)
    edges = np.array([low + (high - low) * b // blocks for b in range(1, blocks)], np.uint64)
    cuts = [[0, *np.searchsorted(p.key_1, edges).tolist(), len(p.key_1)] for p in pieces]
    for b in range(blocks):
        for p, cut in zip(pieces, cuts, strict=True):
            lo, hi = cut[b], cut[b + 1]
            if lo < hi:
                _place(
                    _locate(p.key_1[lo:hi], p.key_2[lo:hi], keys_1, keys_2), p.ts[lo:hi],
                    p.out[lo:hi], p.amount[lo:hi], p.party[lo:hi], p.kind[lo:hi], fill, code,
                    entity, keep, subject, sts, sout, samount, sparty, sentity, skind,
                )  # fmt: skip
    n_parties = _finish(sts, sout, samount, sparty, skind, bounds)
    data = PatternInput(subject, sts, sout, samount, sparty, sentity, int(n_parties), skind)
    return MergedWindow(data, np.ascontiguousarray(table_row[present]))


def _count(
    pieces: list[RunPiece],
    keys_1: np.ndarray,
    keys_2: np.ndarray,
    entity: np.ndarray,
    prune: Prune | None,
) -> tuple[np.ndarray, np.ndarray, list[tuple[RunPiece, np.ndarray]]]:
    """Each key's rows, the pruning tallies (`scanners.prune`; empty without pruning) and
    the pieces with rows of keys the table lacks (with those rows' mask)."""
    counts = np.zeros(len(keys_1), np.int64)
    tallies = prune.tallies(len(keys_1)) if prune else np.zeros((0, len(keys_1), 4), np.int64)
    lacking = []
    for p in pieces:
        found = _locate(p.key_1, p.key_2, keys_1, keys_2)
        if _tally(found, counts):
            lacking.append((p, found < 0))
        if prune is not None:
            tally_blocks(
                found, p.ts, p.out, p.amount, p.party, p.kind, entity, prune.filters, tallies,
                prune.origin, prune.block_days,
            )  # fmt: skip
    return counts, tallies, lacking


def _sorted_run(run: tuple[RunPiece, ...]) -> tuple[RunPiece, ...]:
    """The run's pieces checked; a run with a piece out of order comes back sorted, as one
    new piece. (Pieces need not be in order between them: each is placed on its own, and
    `_finish` restores time order within a subject.)"""
    for piece in run:
        check_columns(piece, _DTYPES)
        if len(piece.amount) and piece.amount.min() < 0:
            raise ScannerInputError("amounts must be >= 0")
    if all(_run_sorted(p.key_1, p.key_2, p.ts, p.out) for p in run):
        return run
    whole = {c: np.concatenate([getattr(p, c) for p in run]) for c in _DTYPES}
    order = np.lexsort((whole["out"], whole["ts"], whole["key_2"], whole["key_1"]))
    return (RunPiece(**{c: np.ascontiguousarray(a[order]) for c, a in whole.items()}),)


@njit(**JIT)
def _before(a1: np.uint64, a2: np.uint64, b1: np.uint64, b2: np.uint64) -> bool:
    return bool(a1 < b1 or (a1 == b1 and a2 < b2))


@njit(**JIT)
def _run_sorted(k1: np.ndarray, k2: np.ndarray, ts: np.ndarray, out: np.ndarray) -> bool:
    for i in range(1, k1.shape[0]):
        if k1[i] != k1[i - 1] or k2[i] != k2[i - 1]:
            if _before(k1[i], k2[i], k1[i - 1], k2[i - 1]):
                return False
        elif ts[i] < ts[i - 1] or (ts[i] == ts[i - 1] and out[i - 1] and not out[i]):
            return False
    return True


@njit(**JIT)
def _first_at_or_after(e1: np.ndarray, e2: np.ndarray, a: np.uint64, b: np.uint64) -> int:
    lo = 0
    hi = e1.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        if _before(e1[mid], e2[mid], a, b):
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(**JIT)
def _locate(k1: np.ndarray, k2: np.ndarray, e1: np.ndarray, e2: np.ndarray) -> np.ndarray:
    """Per row (keys in order): the index of its key in the sorted table (e1, e2), or -1
    when the table lacks it."""
    found = np.empty(k1.shape[0], np.int64)
    j = 0
    for i in range(k1.shape[0]):
        a = k1[i]
        b = k2[i]
        if i == 0:
            j = _first_at_or_after(e1, e2, a, b)
        elif a != k1[i - 1] or b != k2[i - 1]:
            while j < e1.shape[0] and _before(e1[j], e2[j], a, b):
                j += 1
        found[i] = j if j < e1.shape[0] and e1[j] == a and e2[j] == b else -1
    return found


@njit(**JIT)
def _tally(found: np.ndarray, counts: np.ndarray) -> int:
    """Count each located row for its key; returns how many rows have no key."""
    missing = 0
    for j in found:
        if j < 0:
            missing += 1
        else:
            counts[j] += 1
    return missing


@njit(**JIT)
def _place(
    found: np.ndarray,
    ts: np.ndarray,
    out: np.ndarray,
    amount: np.ndarray,
    party: np.ndarray,
    kind: np.ndarray,
    fill: np.ndarray,
    code: np.ndarray,
    e_entity: np.ndarray,
    keep: np.ndarray,
    subject: np.ndarray,
    sts: np.ndarray,
    sout: np.ndarray,
    samount: np.ndarray,
    sparty: np.ndarray,
    sentity: np.ndarray,
    skind: np.ndarray,
) -> None:
    """Each located row of a kept key to the next free place of its key."""
    for i in range(found.shape[0]):
        j = found[i]
        if not keep[j]:
            continue
        w = fill[j]
        fill[j] = w + 1
        subject[w] = code[j]
        sts[w] = ts[i]
        sout[w] = out[i]
        samount[w] = amount[i]
        sparty[w] = np.int64(party[i])  # the hash for now; coded in _finish
        sentity[w] = e_entity[j]
        skind[w] = kind[i]


@njit(**JIT)
def _finish(
    sts: np.ndarray,
    sout: np.ndarray,
    samount: np.ndarray,
    sparty: np.ndarray,
    skind: np.ndarray,
    bounds: np.ndarray,
) -> int:
    """Per subject (rows `bounds[s]:bounds[s + 1]`): time order where late records broke it,
    counterparty hashes numbered 0, 1, … (-1 for none); returns the most codes of a subject."""
    # open addressing: counterparty hash -> code within the subject
    size = 16
    slot_key = np.zeros(size, np.uint64)
    slot_code = np.full(size, -1, np.int64)
    used = np.empty(size, np.int64)
    n_parties = 0
    for s in range(bounds.shape[0] - 1):
        first = bounds[s]
        last = bounds[s + 1]
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
            skind[first:last] = skind[perm]
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
    return n_parties
