"""Layered structures across customers: bipartite (several customers each paying several
others at once, many → many) and stack (two such layers or more, the middle customers passing
on what they got: L1 → L2 → L3).

Over the transfers a structure may use — between two customers, of the least amount, through
no hub account at either end — in each *time slice* (three half-spans long, one every
half-span, where the span is the gap of a bipartite, two gaps of a stack: a structure of its
span lies whole in one slice, and a bank's everyday traffic over ten days forms no single
dense group across them), the customer pairs (payer, payee) are pruned until every payer
left pays at least two payees left and every payee left is paid by at least two payers left
(one pass over the pairs a round, until a round removes none: what remains is dense on both
sides). The pairs left fall into connected groups of customers; in a group, who only pays
is a source, who only is paid a sink, who does both a middle. Then

- a **bipartite** is a group without middles of at least `min_fan` sources and `min_fan`
  sinks whose transfers lie within one gap (`max_gap` from the first to the last);
- a **stack** is a group of at least `min_fan` sources, middles and sinks each, whose
  transfers lie within a gap per layer (two layers: 2 × `max_gap`), each middle paying on
  within the band of what it received (its payments `[low, high]` of its receipts), its
  first payment after its first receipt.

A structure's edges are its group's transfers in time order; the same structure seen in two
slices is one, and one inside another found (a slice saw less of it) is that one. The pruning
and the grouping (union-find) are numba loops over the pairs; the rest is numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from amlwatch.scanners.config import JIT
from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.network.graph import BP, Hop, TransferGraph
from amlwatch.scanners.network.score import WEIGHTS

BIPARTITE, STACK = "bipartite", "stack"
MOST_FAN = 1_000


@dataclass(frozen=True, slots=True)
class Layers:
    """The structures found: structure c is `edges[ptr[c]:ptr[c + 1]]` (edge indexes, in time
    order); `middle_ok[c]` is the worst middle's min(out / in, in / out) of a stack (1 for a
    bipartite)."""

    ptr: np.ndarray
    edges: np.ndarray
    middle_ok: np.ndarray

    def __len__(self) -> int:
        return len(self.ptr) - 1


def scan_layers(graph: TransferGraph, hop: Hop, shape: str, min_fan: int) -> Layers:
    """The bipartites or stacks (`shape`) of at least `min_fan` (2 .. MOST_FAN) customers on
    each side (and in the middle), in order of their least customer code (then edges).

    Raises:
        ScannerInputError: an unknown shape, min_fan out of range, a graph that does not agree.
    """
    if shape not in (BIPARTITE, STACK):
        raise ScannerInputError(f"shape: {BIPARTITE} or {STACK}")
    if not 2 <= min_fan <= MOST_FAN:
        raise ScannerInputError(f"min_fan: 2 .. {MOST_FAN}")
    g = graph.checked()
    hub = g.hubs(hop)
    usable = np.flatnonzero(
        (g.owner[g.src] != g.owner[g.dst])
        & (g.amount >= hop.min_amount)
        & ~hub[g.src]
        & ~hub[g.dst]
    )
    found: dict[tuple[int, ...], float] = {}
    if len(usable):
        # time slices of 3 half-spans every half-span: a structure of the span allowed lies
        # whole in one; a window's dense everyday traffic is no one group across them
        half = (hop.max_gap * (2 if shape == STACK else 1) + 1) // 2
        ts = g.ts[usable]
        for k in range(int(ts[0]) // half, int(ts[-1]) // half + 1):
            lo, hi = np.searchsorted(ts, [k * half, (k + 3) * half])
            for edges, worst in _slice(g, hop, shape, min_fan, usable[lo:hi]):
                found.setdefault(tuple(edges.tolist()), worst)
    # a structure inside another one found (a slice saw less of it) is that one
    sets = {edges: set(edges) for edges in found}
    kept = [
        (edges, worst)
        for edges, worst in found.items()
        if not any(len(o) > len(edges) and sets[edges] <= sets[o] for o in found)
    ]
    kept.sort(
        key=lambda x: (
            int(g.owner[np.concatenate([g.src[list(x[0])], g.dst[list(x[0])]])].min()),
            x[0],
        )
    )
    ptr = np.zeros(len(kept) + 1, np.int64)
    np.cumsum([len(e) for e, _ in kept], out=ptr[1:])
    edges = np.array([e for x, _ in kept for e in x], np.int64)
    return Layers(ptr, edges, np.array([w for _, w in kept], np.float64))


def _slice(
    g: TransferGraph, hop: Hop, shape: str, min_fan: int, use: np.ndarray
) -> list[tuple[np.ndarray, float]]:
    """The structures of one time slice's usable transfers: pairs pruned, grouped, judged."""
    if len(use) == 0:
        return []
    payer, payee = g.owner[g.src[use]], g.owner[g.dst[use]]
    width = int(g.owner.max(initial=0)) + 1
    pairs, pair_of = np.unique(payer * width + payee, return_inverse=True)
    alive = _pruned(pairs // width, pairs % width, width)
    kept = alive[pair_of]
    use, payer, payee = use[kept], payer[kept], payee[kept]
    if len(use) == 0:
        return []
    group = _groups(payer, payee, width)[payer]  # each edge's group: its payer's
    order = np.lexsort((use, group))
    use, payer, payee, group = use[order], payer[order], payee[order], group[order]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    ends = np.append(starts[1:], len(use))
    found: list[tuple[np.ndarray, float]] = []
    for lo, hi in zip(starts, ends, strict=True):  # one group a step (few survive the pruning)
        edges, pays, paid = use[lo:hi], payer[lo:hi], payee[lo:hi]
        middles = np.intersect1d(pays, paid)
        sources = np.setdiff1d(pays, middles)
        sinks = np.setdiff1d(paid, middles)
        span = int(g.ts[edges].max() - g.ts[edges].min())
        if shape == BIPARTITE:
            ok = len(middles) == 0 and min(len(sources), len(sinks)) >= min_fan
            ok = ok and span <= hop.max_gap
            worst = 1.0
        else:
            ok = min(len(sources), len(middles), len(sinks)) >= min_fan
            ok = ok and span <= 2 * hop.max_gap
            worst = _middles_conserve(g, hop, edges, pays, paid, middles) if ok else -1.0
            ok = ok and worst >= 0
        if ok:
            found.append((np.sort(edges), worst))
    return found


def _middles_conserve(
    g: TransferGraph, hop: Hop, edges: np.ndarray, pays: np.ndarray, paid: np.ndarray,
    middles: np.ndarray,
) -> float:  # fmt: skip
    """The worst middle's min(out / in, in / out) when every middle pays on within the band of
    what it received and after its first receipt; -1 when one does not."""
    worst = 1.0
    for m in middles:
        into, out = edges[paid == m], edges[pays == m]
        got, gave = int(g.amount[into].sum()), int(g.amount[out].sum())
        if not hop.low_bp * got <= gave * BP <= hop.high_bp * got:
            return -1.0
        if g.ts[out].min() <= g.ts[into].min():
            return -1.0
        worst = min(worst, gave / max(got, 1), got / max(gave, 1))
    return worst


@njit(**JIT)
def _pruned(payer: np.ndarray, payee: np.ndarray, width: int) -> np.ndarray:
    """Per distinct (payer, payee) pair: whether it survives the pruning (every payer left
    with two payees left at least, every payee left with two payers)."""
    n = payer.shape[0]
    alive = np.ones(n, np.bool_)
    out_degree = np.zeros(width, np.int64)
    in_degree = np.zeros(width, np.int64)
    for i in range(n):
        out_degree[payer[i]] += 1
        in_degree[payee[i]] += 1
    changed = True
    while changed:
        changed = False
        for i in range(n):
            if alive[i] and (out_degree[payer[i]] < 2 or in_degree[payee[i]] < 2):
                alive[i] = False
                out_degree[payer[i]] -= 1
                in_degree[payee[i]] -= 1
                changed = True
    return alive


@njit(**JIT)
def _groups(payer: np.ndarray, payee: np.ndarray, width: int) -> np.ndarray:
    """Per customer code: its group (the least customer code of the group), by union-find
    over the pairs."""
    parent = np.arange(width)
    for i in range(payer.shape[0]):
        a, b = payer[i], payee[i]
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        if a < b:
            parent[b] = a
        elif b < a:
            parent[a] = b
    for c in range(width):
        r = c
        while parent[r] != r:
            r = parent[r]
        parent[c] = r
    return parent


def layer_scores(graph: TransferGraph, hop: Hop, layers: Layers, shape: str) -> np.ndarray:
    """Per structure, 0-100 as `score.structure_scores` weighs a path: conservation (a stack:
    its worst middle's out against in; a bipartite: its most distant transfer's amount against
    the median's), speed (1 − span / the gaps allowed), breadth (distinct customers − 2) / 4,
    weight (log10 of what the sources paid against the least, / 2)."""
    n = len(layers)
    if n == 0:
        return np.zeros(0)
    g = graph.checked()
    low = min(hop.low_bp / BP, BP / hop.high_bp)
    scores = np.zeros(n)
    allowed = hop.max_gap * (2 if shape == STACK else 1)
    w1, w2, w3, w4 = WEIGHTS
    for c in range(n):
        edges = layers.edges[layers.ptr[c] : layers.ptr[c + 1]]
        amount = g.amount[edges].astype(np.float64)
        if shape == STACK:
            near = layers.middle_ok[c]
        else:
            median = float(np.median(amount))
            ratio = amount / max(median, 1)
            near = float(np.min(np.minimum(ratio, 1 / np.maximum(ratio, 1e-12))))
        conservation = min(1.0, max(0.0, (near - low) / max(1 - low, 1e-12)))
        span = float(g.ts[edges].max() - g.ts[edges].min())
        speed = min(1.0, max(0.0, 1 - span / allowed))
        pays, paid = g.owner[g.src[edges]], g.owner[g.dst[edges]]
        people = np.unique(np.concatenate([pays, paid]))
        breadth = min(1.0, max(0.0, (len(people) - 2) / 4))
        total = float(amount[~np.isin(pays, paid)].sum())  # what the sources paid in
        weight = min(1.0, max(0.0, float(np.log10(max(total, 1) / max(hop.min_amount, 1))) / 2))
        scores[c] = 100 * (w1 * conservation + w2 * speed + w3 * breadth + w4 * weight)
    return scores
