"""Cycles (资金回流): money that leaves a customer and comes back to it through others.

A cycle is a path of hops (`graph.Hop`: each edge leaving the account the previous one
entered, after it and within the gap, its amount within the band of the previous one's) of
2 .. max_edges edges whose last edge pays a customer's account whose customer the first
edge left from, no customer in between twice nor the origin before the end. For each edge,
the kernel counts the cycles that start with it and keeps the shortest (among equally
short: the first met going through each account's payments in time order); the share of
the money the circle kept on the way is `1 - last amount / first amount`.

A depth-first walk from each edge over its payee's payments inside the gap. The walk from
one edge stops after `budget` steps: the edge is then marked `truncated` (its count is a
floor) — a hub whose every payment continues every receipt is no circle a reviewer could
read, and must not stall the night.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from amlwatch.scanners.config import JIT
from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.network.graph import Hop, TransferGraph, first_after, in_band

MOST_EDGES = 8


@dataclass(frozen=True, slots=True)
class Cycles:
    """The kernel's answer.

    Attributes:
        count: per edge, the cycles that start with it (a floor where `truncated`).
        truncated: per edge, whether its walk ran out of budget.
        first: per cycle, the edge it starts with (edges with a count, in edge order).
        ptr, edges: cycle c is `edges[ptr[c]:ptr[c + 1]]` (the shortest from its first
            edge), its edges in time order.
    """

    count: np.ndarray
    truncated: np.ndarray
    first: np.ndarray
    ptr: np.ndarray
    edges: np.ndarray

    def __len__(self) -> int:
        return len(self.first)


def scan_cycles(graph: TransferGraph, hop: Hop, max_edges: int, budget: int = 100_000) -> Cycles:
    """The cycles of 2 .. max_edges edges (at most MOST_EDGES).

    Raises:
        ScannerInputError: a graph whose arrays do not agree (`TransferGraph.checked`),
            max_edges outside 2 .. MOST_EDGES, or a budget of no step.
    """
    if not 2 <= max_edges <= MOST_EDGES:
        raise ScannerInputError(f"max_edges: 2 .. {MOST_EDGES}")
    if budget < 1:
        raise ScannerInputError("budget: at least one step")
    kept, g, hub = graph.usable(hop)
    order, ptr = g.outbound()
    part, cut, shortest, path = _kernel(
        g.src, g.dst, g.ts, g.amount, g.owner, order, ptr, hub, hop.table(), max_edges, budget
    )
    first = np.flatnonzero(part > 0)
    cycle_ptr = np.zeros(len(first) + 1, np.int64)
    np.cumsum(shortest[first], out=cycle_ptr[1:])
    inside = np.arange(max_edges) < shortest[first][:, None]  # row by row: each in order
    count = np.zeros(len(graph.src), np.int64)
    count[kept] = part
    truncated = np.zeros(len(graph.src), np.bool_)
    truncated[kept] = cut
    return Cycles(count, truncated, kept[first], cycle_ptr, kept[path[first][inside]])


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
    max_edges: int,
    budget: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per (usable) edge: its cycles, whether the walk was cut, the shortest one's length
    and edges."""
    n = src.shape[0]
    count = np.zeros(n, np.int64)
    truncated = np.zeros(n, np.bool_)
    shortest = np.zeros(n, np.int64)
    path = np.zeros((n, max_edges), np.int64)
    stack = np.empty(max_edges, np.int64)  # the path's edges
    at = np.empty(max_edges, np.int64)  # where each edge's continuations were read up to
    for e0 in range(n):
        if hub[dst[e0]]:
            continue
        origin = owner[src[e0]]
        stack[0] = e0
        a = dst[e0]
        at[0] = first_after(order, ptr[a], ptr[a + 1], ts, ts[e0])
        depth, steps = 1, 0
        while depth > 0:
            e = stack[depth - 1]
            a = dst[e]
            k = at[depth - 1]
            if k >= ptr[a + 1] or ts[order[k]] - ts[e] > hop[0] or depth == max_edges:
                depth -= 1  # no more continuations of e (or no room for one)
                continue
            at[depth - 1] = k + 1
            steps += 1
            if steps > budget:
                truncated[e0] = True
                break
            f = order[k]
            if not in_band(e, f, amount, hop):
                continue
            payee = owner[dst[f]]
            if payee == origin:
                count[e0] += 1
                if shortest[e0] == 0 or depth + 1 < shortest[e0]:
                    shortest[e0] = depth + 1
                    path[e0, :depth] = stack[:depth]
                    path[e0, depth] = f
                continue
            seen = hub[dst[f]]  # a hub relays nothing
            for d in range(depth):
                if owner[dst[stack[d]]] == payee:
                    seen = True
            if seen:
                continue
            stack[depth] = f
            at[depth] = first_after(order, ptr[dst[f]], ptr[dst[f] + 1], ts, ts[f])
            depth += 1
    return count, truncated, shortest, path
