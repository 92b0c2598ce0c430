"""Fan-in and fan-out bursts that end in a pass-through: money gathered by one customer from
several and passed on at once (fan-in, {A1 … Ak} → H → C), or one sum received and at once
split among several (fan-out, A → H → {C1 … Ck}).

Around a *key* transfer — the pass-through (fan-in: H's payment on; fan-out: H's receipt)
of at least the least amount, between two customers, through an account that is no hub —
its *parts* are the transfers on H's other side inside the gap (fan-in: H's receipts in the
`max_gap` before the key; fan-out: H's payments in the `max_gap` after it), each between two
other customers than the key's and of `min_part` at least. A burst is a key with parts from
(fan-in) or to (fan-out) at least `min_fan` distinct customers whose sum the key passes on
within the band: what goes on is `[low, high]` of what came in (fan-in: the key against the
parts' sum; fan-out: the parts' sum against the key). A customer's bursts in the window are
one structure: its keys and parts, each once, in time order, and its (key, part) pairs.

One numba pass over the keys (each reading its account's edges inside the gap); the grouping
is numpy. A gather-scatter or scatter-gather pairs each receipt with a payment of its size
(`fans`); a burst passes on a sum of many (or splits one sum in many).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from amlwatch.scanners.config import JIT
from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.network.graph import BP, Hop, TransferGraph, first_after, grouped_pairs
from amlwatch.scanners.network.score import WEIGHTS

FAN_IN, FAN_OUT = "fan_in", "fan_out"
MOST_FAN = 1_000


@dataclass(frozen=True, slots=True)
class Bursts:
    """The structures found: structure c is `edges[ptr[c]:ptr[c + 1]]` (edge indexes, in time
    order) and its pairs `(key[r], part[r])` for r in `pair_ptr[c]:pair_ptr[c + 1]`."""

    ptr: np.ndarray
    edges: np.ndarray
    pair_ptr: np.ndarray
    key: np.ndarray
    part: np.ndarray

    def __len__(self) -> int:
        return len(self.ptr) - 1


def scan_bursts(graph: TransferGraph, hop: Hop, shape: str, min_fan: int, min_part: int) -> Bursts:
    """The fan-in or fan-out bursts (`shape`) of at least `min_fan` (2 .. MOST_FAN) customers
    on the fanned side and parts of `min_part` thousandths at least, one structure per hub
    customer, in order of its code.

    Raises:
        ScannerInputError: an unknown shape, min_fan out of range, a negative min_part, a
            graph whose arrays do not agree.
    """
    if shape not in (FAN_IN, FAN_OUT):
        raise ScannerInputError(f"shape: {FAN_IN} or {FAN_OUT}")
    if not 2 <= min_fan <= MOST_FAN:
        raise ScannerInputError(f"min_fan: 2 .. {MOST_FAN}")
    if min_part < 0:
        raise ScannerInputError("min_part: at least 0")
    g = graph.checked()
    hub = g.hubs(hop)
    gather = shape == FAN_IN
    # the parts: into the key's payer (fan-in) or out of the key's payee (fan-out)
    order, ptr = g.inbound() if gather else g.outbound()
    n, key, part = _bursts(g.src, g.dst, g.ts, g.amount, g.owner, order, ptr, hub, hop.table(),
                           min_part, min_fan, gather)  # fmt: skip
    key, part = key[:n], part[:n]
    middle = g.owner[g.src[key]] if gather else g.owner[g.dst[key]]
    chosen = np.lexsort((part, key, middle))
    key, part, middle = key[chosen], part[chosen], middle[chosen]
    pair_ptr, ptr, edges = grouped_pairs(middle, key, part)
    return Bursts(ptr, edges, pair_ptr, key, part)


@njit(**JIT)
def _bursts(
    src: np.ndarray,
    dst: np.ndarray,
    ts: np.ndarray,
    amount: np.ndarray,
    owner: np.ndarray,
    order: np.ndarray,
    ptr: np.ndarray,
    hub: np.ndarray,
    hop: np.ndarray,
    min_part: int,
    min_fan: int,
    gather: bool,
) -> tuple[int, np.ndarray, np.ndarray]:
    """The bursts' (key, part) pairs: their count and the pairs in the first places of two
    arrays, grown as they fill (one pass over the keys)."""
    keys = np.empty(1024, np.int64)
    parts = np.empty(1024, np.int64)
    n = 0
    found = np.empty(order.shape[0], np.int64)
    people = np.empty(order.shape[0], np.int64)
    for k in range(src.shape[0]):
        if amount[k] < hop[3] or owner[src[k]] == owner[dst[k]]:
            continue
        a = src[k] if gather else dst[k]  # the hub account
        other = owner[dst[k]] if gather else owner[src[k]]  # the key's other customer
        if hub[a]:
            continue
        if gather:  # receipts in [ts - gap, ts)
            i = first_after(order, ptr[a], ptr[a + 1], ts, ts[k] - hop[0] - 1)
        else:  # payments in (ts, ts + gap]
            i = first_after(order, ptr[a], ptr[a + 1], ts, ts[k])
        m = 0
        total = 0
        while i < ptr[a + 1]:
            e = order[i]
            i += 1
            if gather and ts[e] >= ts[k]:
                break
            if not gather and ts[e] > ts[k] + hop[0]:
                break
            them = owner[src[e]] if gather else owner[dst[e]]
            if them == owner[a] or them == other or amount[e] < min_part:
                continue
            found[m] = e
            people[m] = them
            m += 1
            total += amount[e]
        if m < min_fan:
            continue
        distinct = np.unique(people[:m]).shape[0]
        if distinct < min_fan:
            continue
        out, into = (amount[k], total) if gather else (total, amount[k])
        if out * BP < hop[1] * into or out * BP > hop[2] * into:
            continue
        while n + m > keys.shape[0]:
            keys = np.concatenate((keys, np.empty(keys.shape[0], np.int64)))
            parts = np.concatenate((parts, np.empty(parts.shape[0], np.int64)))
        for j in range(m):
            keys[n] = k
            parts[n] = found[j]
            n += 1
    return n, keys, parts


def burst_scores(graph: TransferGraph, hop: Hop, bursts: Bursts, gather: bool) -> np.ndarray:
    """Per structure, 0-100 as `score.structure_scores` weighs a path, over its bursts:
    conservation of the worst key (what went on against what came in), speed (the mean gap
    between a key and its parts against max_gap), breadth (distinct customers − 2) / 4,
    weight (log10 of the keys' sum against the least, / 2)."""
    n = len(bursts)
    if n == 0:
        return np.zeros(0)
    g = graph.checked()
    sizes = np.diff(bursts.pair_ptr)
    which = np.repeat(np.arange(n), sizes)
    keys, at = np.unique(which * (len(g.src) + 1) + bursts.key, return_inverse=True)
    key_edge = keys % (len(g.src) + 1)
    parts = np.bincount(at, g.amount[bursts.part].astype(np.float64), len(keys))
    ratio = (
        g.amount[key_edge] / np.maximum(parts, 1)
        if gather
        else parts / np.maximum(g.amount[key_edge], 1)
    )
    near = np.minimum(ratio, 1 / np.maximum(ratio, 1e-12))
    worst = np.ones(n)
    np.minimum.at(worst, keys // (len(g.src) + 1), near)
    low = min(hop.low_bp / BP, BP / hop.high_bp)
    conservation = np.clip((worst - low) / max(1 - low, 1e-12), 0, 1)
    gaps = np.abs(g.ts[bursts.key] - g.ts[bursts.part]).astype(np.float64)
    speed = np.clip(1 - np.bincount(which, gaps, n) / sizes / hop.max_gap, 0, 1)
    width = int(g.owner.max(initial=0)) + 1
    edge_of = np.repeat(np.arange(n), np.diff(bursts.ptr))
    people = np.concatenate([g.owner[g.src[bursts.edges]], g.owner[g.dst[bursts.edges]]])
    distinct = np.unique(np.concatenate([edge_of, edge_of]) * width + people)
    breadth = np.clip((np.bincount(distinct // width, minlength=n) - 2) / 4, 0, 1)
    sums = np.bincount(keys // (len(g.src) + 1), g.amount[key_edge].astype(np.float64), n)
    weight = np.clip(np.log10(np.maximum(sums, 1) / max(hop.min_amount, 1)) / 2, 0, 1)
    w1, w2, w3, w4 = WEIGHTS
    return 100 * (w1 * conservation + w2 * speed + w3 * breadth + w4 * weight)
