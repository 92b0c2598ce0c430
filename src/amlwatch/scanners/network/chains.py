"""Chains (多层转移): money relayed A → B → C (→ D …) through intermediaries, hop after hop.

For each edge f of the transfer graph, `length[f]` is the number of edges of the longest
path of hops (`graph.Hop`) ending at f, where a path never hands money straight back to the
customer it came from (A → B → A is a cycle's, `cycles`); 0 for an edge that is no part of
any path (one customer's own accounts, under the least amount). A *chain* is a path of at
least `min_hops` edges whose last edge no hop continues: the money stopped moving inside
the bank. Each chain is reported once, as a longest path to its last edge (among equally
long ones: the earliest predecessor at each step).

Edges are taken in time order; each edge looks back over the inbound edges of its payer's
account inside the gap (a binary search, then a scan of that span): O(edges × the edges
into an account within one gap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from amlwatch.scanners.config import JIT
from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.network.graph import Hop, TransferGraph, first_after, in_band

MOST_HOPS = 64  # a chain longer than this is reported at this length's least


@dataclass(frozen=True, slots=True)
class Chains:
    """The kernel's answer.

    Attributes:
        length: per edge, the edges of the longest path ending there (0: no part of one).
        ptr, edges: chain c is `edges[ptr[c]:ptr[c + 1]]`, its edges in time order.
    """

    length: np.ndarray
    ptr: np.ndarray
    edges: np.ndarray

    def __len__(self) -> int:
        return len(self.ptr) - 1


def scan_chains(graph: TransferGraph, hop: Hop, min_hops: int) -> Chains:
    """The chains of at least `min_hops` edges (2 .. MOST_HOPS).

    Raises:
        ScannerInputError: a graph whose arrays do not agree (`TransferGraph.checked`), or
            min_hops outside 2 .. MOST_HOPS.
    """
    if not 2 <= min_hops <= MOST_HOPS:
        raise ScannerInputError(f"min_hops: 2 .. {MOST_HOPS}")
    kept, g, hub = graph.usable(hop)
    order, ptr = g.inbound()
    part, best, continued = _kernel(g.src, g.dst, g.ts, g.amount, g.owner, order, ptr, hub,
                                    hop.table())  # fmt: skip
    ends = np.flatnonzero((part >= min_hops) & ~continued)
    chain_ptr = np.zeros(len(ends) + 1, np.int64)
    np.cumsum(part[ends], out=chain_ptr[1:])
    length = np.zeros(len(graph.src), np.int64)
    length[kept] = part
    return Chains(length, chain_ptr, kept[_paths(ends, best, chain_ptr)])


@njit(**JIT)
def _kernel(
    src: np.ndarray,
    dst: np.ndarray,
    ts: np.ndarray,
    amount: np.ndarray,
    owner: np.ndarray,
    order: np.ndarray,
    ptr: np.ndarray,
    hub: np.ndarray,
    hop: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per (usable) edge: the longest path's length, its predecessor there (-1: none), and
    whether some hop continues it."""
    n = src.shape[0]
    length = np.zeros(n, np.int64)
    best = np.full(n, -1, np.int64)
    continued = np.zeros(n, np.bool_)
    for f in range(n):
        length[f] = 1
        a = src[f]
        if hub[a]:
            continue  # a hub relays nothing: f starts its paths
        k = first_after(order, ptr[a], ptr[a + 1], ts, ts[f] - hop[0] - 1)
        while k < ptr[a + 1] and ts[order[k]] < ts[f]:
            e = order[k]
            k += 1
            if owner[dst[f]] == owner[src[e]]:
                continue
            if in_band(e, f, amount, hop):
                continued[e] = True
                if length[e] + 1 > length[f]:
                    length[f] = min(length[e] + 1, MOST_HOPS)
                    best[f] = e
    return length, best, continued


@njit(**JIT)
def _paths(ends: np.ndarray, best: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """Each end's path, followed back through `best`, stored in time order."""
    edges = np.empty(ptr[-1], np.int64)
    for c in range(ends.shape[0]):
        e = ends[c]
        for k in range(ptr[c + 1] - 1, ptr[c] - 1, -1):
            edges[k] = e
            e = best[e]
    return edges
