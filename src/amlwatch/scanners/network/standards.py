"""A network standard's parameters (`rules.standards`, the network families) as the
kernels take them, and its structures of one window's graph with their scores and the roles
of their customers.

Parameters are exact: a share with more than four decimals or a sum with more than three
would be rounded, and is refused (`ScannerInputError`), as the other families' are.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.network.bursts import FAN_IN, FAN_OUT, burst_scores, scan_bursts
from amlwatch.scanners.network.chains import scan_chains
from amlwatch.scanners.network.cycles import scan_cycles
from amlwatch.scanners.network.fans import (
    GATHER_SCATTER,
    SCATTER_GATHER,
    fan_scores,
    relays,
    scan_fans,
)
from amlwatch.scanners.network.graph import BP, Hop, TransferGraph
from amlwatch.scanners.network.layers import BIPARTITE, STACK, layer_scores, scan_layers
from amlwatch.scanners.network.score import structure_scores
from amlwatch.scanners.standards.window import exact

# a member's role in its structure
SOURCE, INTERMEDIARY, SINK, ORIGIN = "source", "intermediary", "sink", "origin"
FAMILIES = frozenset(
    {"chain", "cycle", SCATTER_GATHER, GATHER_SCATTER, FAN_IN, FAN_OUT, BIPARTITE, STACK}
)


def hop_of(params: dict[str, Decimal]) -> Hop:
    """The hop of a network standard's parameters (hours, shares, CNY, edges)."""
    return Hop(
        max_gap=exact(params["max_gap_hours"], 3600, "max_gap_hours"),
        low_bp=exact(params["low_share"], BP, "low_share"),
        high_bp=exact(params["high_share"], BP, "high_share"),
        min_amount=exact(params["min_edge_cny"], 1000, "min_edge_cny"),
        max_degree=exact(params["max_degree"], 1, "max_degree"),
    )


@dataclass(frozen=True, slots=True)
class Structures:
    """A standard's structures in one window: structure c is `edges[ptr[c]:ptr[c + 1]]`
    (edge indexes of the graph, in path order), with its score (0-100)."""

    ptr: np.ndarray
    edges: np.ndarray
    score: np.ndarray

    def __len__(self) -> int:
        return len(self.ptr) - 1


def find_structures(
    family: str,
    params: dict[str, Decimal],
    graph: TransferGraph,
    shared: dict[Hop, tuple[np.ndarray, np.ndarray]] | None = None,
) -> Structures:
    """The structures of a network standard (`FAMILIES`) in the graph that score at least its
    `min_score`; `shared` keeps the graph's relays by hop for the fans of the same window
    (found once for both shapes).

    Raises:
        ScannerInputError: an unknown family, parameters the kernels refuse.
    """
    if family not in FAMILIES:
        raise ScannerInputError(f"not a network family: {family!r}")
    hop = hop_of(params)
    if family in (BIPARTITE, STACK):
        layers = scan_layers(graph, hop, family, exact(params["min_fan"], 1, "min_fan"))
        ptr, edges = layers.ptr, layers.edges
        score = layer_scores(graph, hop, layers, family)
    elif family in (FAN_IN, FAN_OUT):
        part = exact(params["min_part_cny"], 1000, "min_part_cny")
        bursts = scan_bursts(graph, hop, family, exact(params["min_fan"], 1, "min_fan"), part)
        ptr, edges = bursts.ptr, bursts.edges
        score = burst_scores(graph, hop, bursts, family == FAN_IN)
    elif family in (SCATTER_GATHER, GATHER_SCATTER):
        if shared is not None and hop not in shared:
            shared[hop] = relays(graph, hop)
        known = shared.get(hop) if shared is not None else None
        fans = scan_fans(graph, hop, family, exact(params["min_fan"], 1, "min_fan"), known)
        ptr, edges = fans.ptr, fans.edges
        score = fan_scores(graph, hop, fans)
    elif family == "chain":
        found = scan_chains(graph, hop, exact(params["min_hops"], 1, "min_hops"))
        ptr, edges = found.ptr, found.edges
    else:
        cycles = scan_cycles(graph, hop, exact(params["max_edges"], 1, "max_edges"))
        ptr, edges = cycles.ptr, cycles.edges
    if family in ("chain", "cycle"):
        score = structure_scores(graph, hop, ptr, edges)
    keep = np.flatnonzero(score >= float(params["min_score"]))
    sizes = np.diff(ptr)[keep]
    kept_ptr = np.zeros(len(keep) + 1, np.int64)
    np.cumsum(sizes, out=kept_ptr[1:])
    # each kept structure's edges: its start, then 0, 1, … along it
    within = np.arange(int(sizes.sum())) - np.repeat(kept_ptr[:-1], sizes)
    kept_edges = edges[np.repeat(ptr[:-1][keep], sizes) + within]
    return Structures(kept_ptr, kept_edges.astype(np.int64), score[keep])


def roles(family: str, path_customers: list[tuple[str, str]]) -> dict[str, str]:
    """Each customer of one structure — (payer, payee) per edge, in path (time) order — with
    its role: a chain's first payer is its source, its last payee its sink, the others
    intermediaries; a cycle's first payer is its origin (the money comes back to it); in a
    fan, a burst or a layered structure, who only pays is a source, who only is paid a sink,
    who does both an intermediary."""
    if family in FAMILIES - {"chain", "cycle"}:
        payers = {p for p, _ in path_customers}
        payees = {q for _, q in path_customers}
        return {
            c: INTERMEDIARY if c in payers and c in payees else SOURCE if c in payers else SINK
            for c in dict.fromkeys(c for pair in path_customers for c in pair)
        }
    found: dict[str, str] = {}
    first = path_customers[0][0]
    last = path_customers[-1][1]
    for payer, payee in path_customers:
        for customer in (payer, payee):
            if customer in found:
                continue
            if customer == first:
                found[customer] = ORIGIN if family == "cycle" else SOURCE
            elif customer == last and family == "chain":
                found[customer] = SINK
            else:
                found[customer] = INTERMEDIARY
    return found
