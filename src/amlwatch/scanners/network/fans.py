"""Fans across customers: money scattered to several customers and gathered again
(scatter-gather, A → {B1 … Bk} → C), and money gathered by one customer from several and
scattered on (gather-scatter, {A1 … Ak} → H → {C1 … Cm}).

Both rest on *relays*: pairs of edges (e, f) where f continues e (a hop, `graph.Hop`: f
leaves the account e entered, within the gap, its amount in the band of e's, never back to
the customer e came from; hubs relay nothing). Then

- a **scatter-gather** is the relays of one (first payer's customer, last payee's customer)
  pair through at least `min_fan` distinct customers in the middle;
- a **gather-scatter** is the relays through one customer in the middle from at least
  `min_fan` distinct payers' customers to at least `min_fan` distinct payees' customers.

A structure's edges are every e and f of its relays, once each, in time order; its relays
are kept too (what the score weighs). One numba pass finds the relays (each payment looking
back over its account's receipts inside the gap, as `chains` does); the grouping is numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from amlwatch.scanners.config import JIT
from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.network.graph import (
    BP,
    Hop,
    TransferGraph,
    first_after,
    grouped_pairs,
    in_band,
)
from amlwatch.scanners.network.score import WEIGHTS

MOST_FAN = 1_000

SCATTER_GATHER, GATHER_SCATTER = "scatter_gather", "gather_scatter"


@dataclass(frozen=True, slots=True)
class Fans:
    """The structures found: structure c is `edges[ptr[c]:ptr[c + 1]]` (edge indexes, in time
    order) and its relays `(first[r], then[r])` for r in `relay_ptr[c]:relay_ptr[c + 1]`."""

    ptr: np.ndarray
    edges: np.ndarray
    relay_ptr: np.ndarray
    first: np.ndarray
    then: np.ndarray

    def __len__(self) -> int:
        return len(self.ptr) - 1


def relays(graph: TransferGraph, hop: Hop) -> tuple[np.ndarray, np.ndarray]:
    """Every relay (e, f) of the graph as two arrays of edge indexes, ordered by f then e.

    Raises:
        ScannerInputError: a graph whose arrays do not agree (`TransferGraph.checked`).
    """
    kept, g, hub = graph.usable(hop)
    order, ptr = g.inbound()
    n, first, then = _relays(g.src, g.dst, g.ts, g.amount, g.owner, order, ptr, hub, hop.table())
    return kept[first[:n]], kept[then[:n]]


@njit(**JIT)
def _relays(
    src: np.ndarray,
    dst: np.ndarray,
    ts: np.ndarray,
    amount: np.ndarray,
    owner: np.ndarray,
    order: np.ndarray,
    ptr: np.ndarray,
    hub: np.ndarray,
    hop: np.ndarray,
) -> tuple[int, np.ndarray, np.ndarray]:
    """The relays: their count and (e, f) in the first places of two arrays, grown as they
    fill (one pass)."""
    first = np.empty(1024, np.int64)
    then = np.empty(1024, np.int64)
    n = 0
    for f in range(src.shape[0]):
        a = src[f]
        if hub[a]:
            continue
        k = first_after(order, ptr[a], ptr[a + 1], ts, ts[f] - hop[0] - 1)
        while k < ptr[a + 1] and ts[order[k]] < ts[f]:
            e = order[k]
            k += 1
            if owner[dst[f]] == owner[src[e]] or not in_band(e, f, amount, hop):
                continue
            if n == first.shape[0]:
                first = np.concatenate((first, np.empty(n, np.int64)))
                then = np.concatenate((then, np.empty(n, np.int64)))
            first[n] = e
            then[n] = f
            n += 1
    return n, first, then


def scan_fans(
    graph: TransferGraph,
    hop: Hop,
    shape: str,
    min_fan: int,
    found: tuple[np.ndarray, np.ndarray] | None = None,
) -> Fans:
    """The scatter-gathers or gather-scatters (`shape`) of at least `min_fan` (2 .. MOST_FAN)
    customers on the fanned side(s), in order of their key customers' codes; `found`: the
    graph's relays under this hop already (`relays`: both shapes of a window share them).

    Raises:
        ScannerInputError: an unknown shape, min_fan out of range, a graph that does not agree.
    """
    if shape not in (SCATTER_GATHER, GATHER_SCATTER):
        raise ScannerInputError(f"shape: {SCATTER_GATHER} or {GATHER_SCATTER}")
    if not 2 <= min_fan <= MOST_FAN:
        raise ScannerInputError(f"min_fan: 2 .. {MOST_FAN}")
    g = graph.checked()
    e, f = found if found is not None else relays(g, hop)
    own = g.owner
    payer, middle, payee = own[g.src[e]], own[g.dst[e]], own[g.dst[f]]
    width = int(own.max(initial=0)) + 1
    if shape == SCATTER_GATHER:  # one key per (first payer, last payee): the middles fanned
        key = payer * width + payee
        fanned = _distinct_per_key(key, middle, width)
        keep = fanned >= min_fan
    else:  # one key per middle customer: payers and payees fanned
        key = middle
        keep = (_distinct_per_key(key, payer, width) >= min_fan) & (
            _distinct_per_key(key, payee, width) >= min_fan
        )
    chosen = np.flatnonzero(keep)
    order = np.lexsort((f[chosen], e[chosen], key[chosen]))
    chosen = chosen[order]
    relay_ptr, ptr, edges = grouped_pairs(key[chosen], e[chosen], f[chosen])
    return Fans(ptr, edges, relay_ptr, e[chosen], f[chosen])


def _distinct_per_key(key: np.ndarray, value: np.ndarray, width: int) -> np.ndarray:
    """Per element: how many distinct `value`s its key has among all elements."""
    if len(key) == 0:
        return np.zeros(0, np.int64)
    pairs = np.unique(key * width + value)
    keys, counts = np.unique(pairs // width, return_counts=True)
    return counts[np.searchsorted(keys, key)]


def fan_scores(graph: TransferGraph, hop: Hop, fans: Fans) -> np.ndarray:
    """Per structure, 0-100 as `score.structure_scores` weighs a path, over its relays:
    conservation within the band of the worst payment's best-matching receipt, speed (the
    mean relay's gap against
    max_gap), breadth (distinct customers − 2) / 4, weight (log10 of the sum scattered or
    gathered first — the relays' first edges, once each — against the least, / 2)."""
    n = len(fans)
    if n == 0:
        return np.zeros(0)
    g = graph.checked()
    sizes = np.diff(fans.relay_ptr)
    which = np.repeat(np.arange(n), sizes)
    a, b = g.amount[fans.first].astype(np.float64), g.amount[fans.then].astype(np.float64)
    ratio = b / np.maximum(a, 1)
    near = np.minimum(ratio, 1 / np.maximum(ratio, 1e-12))
    # each payment's best match among the receipts it may continue (a gather-scatter pairs
    # every receipt with every payment in the band: the others are not its money), then the
    # worst of those
    payments, at = np.unique(which * (len(g.src) + 1) + fans.then, return_inverse=True)
    best = np.zeros(len(payments))
    np.maximum.at(best, at, near)
    worst = np.ones(n)
    np.minimum.at(worst, payments // (len(g.src) + 1), best)
    low = min(hop.low_bp / BP, BP / hop.high_bp)
    conservation = np.clip((worst - low) / max(1 - low, 1e-12), 0, 1)
    gaps = (g.ts[fans.then] - g.ts[fans.first]).astype(np.float64)
    speed = np.clip(1 - np.bincount(which, gaps, n) / sizes / hop.max_gap, 0, 1)
    width = int(g.owner.max(initial=0)) + 1
    edge_of = np.repeat(np.arange(n), np.diff(fans.ptr))
    people = np.concatenate([g.owner[g.src[fans.edges]], g.owner[g.dst[fans.edges]]])
    distinct = np.unique(np.concatenate([edge_of, edge_of]) * width + people)
    breadth = np.clip((np.bincount(distinct // width, minlength=n) - 2) / 4, 0, 1)
    firsts = np.unique(which * (len(g.src) + 1) + fans.first)  # each first edge once
    sums = np.bincount(firsts // (len(g.src) + 1), g.amount[firsts % (len(g.src) + 1)], n)
    weight = np.clip(np.log10(np.maximum(sums, 1) / max(hop.min_amount, 1)) / 2, 0, 1)
    w1, w2, w3, w4 = WEIGHTS
    return 100 * (w1 * conservation + w2 * speed + w3 * breadth + w4 * weight)
