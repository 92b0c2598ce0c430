"""Network typologies the slow, obvious way: every path of hops enumerated."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class NaiveEdge:
    src: int  # payer's account
    dst: int  # payee's account
    ts: int
    amount: int


@dataclass(frozen=True)
class NaiveHop:
    max_gap: int
    low_bp: int
    high_bp: int
    min_amount: int
    max_degree: int


def _ok(e: NaiveEdge, owner: list[int], hop: NaiveHop) -> bool:
    return owner[e.src] != owner[e.dst] and e.amount >= hop.min_amount


def _hub(account: int, edges: list[NaiveEdge], hop: NaiveHop) -> bool:
    return sum((e.src == account) + (e.dst == account) for e in edges) > hop.max_degree


def _hop(e: NaiveEdge, f: NaiveEdge, hop: NaiveHop, edges: list[NaiveEdge]) -> bool:
    return (
        f.src == e.dst
        and not _hub(e.dst, edges, hop)
        and 0 < f.ts - e.ts <= hop.max_gap
        and hop.low_bp * e.amount <= f.amount * 10_000 <= hop.high_bp * e.amount
    )


def _chain_step(
    e: NaiveEdge, f: NaiveEdge, owner: list[int], hop: NaiveHop, edges: list[NaiveEdge]
) -> bool:
    return _ok(f, owner, hop) and _hop(e, f, hop, edges) and owner[f.dst] != owner[e.src]


def _chain_paths(path: list[int], edges: list[NaiveEdge], owner: list[int], hop: NaiveHop
                 ) -> Iterator[list[int]]:  # fmt: skip
    yield path
    for g in range(len(edges)):
        if _chain_step(edges[path[-1]], edges[g], owner, hop, edges):
            yield from _chain_paths([*path, g], edges, owner, hop)


def chain_lengths(edges: list[NaiveEdge], owner: list[int], hop: NaiveHop) -> list[int]:
    """Per edge: the edges of the longest path of hops ending there (0: not a path's)."""
    length = [0] * len(edges)
    for e in range(len(edges)):
        if _ok(edges[e], owner, hop):
            for path in _chain_paths([e], edges, owner, hop):
                length[path[-1]] = max(length[path[-1]], len(path))
    return length


def chain_ends(edges: list[NaiveEdge], owner: list[int], hop: NaiveHop, min_hops: int) -> set[int]:
    """The edges that end a chain: a longest path of min_hops there, and no hop on."""
    length = chain_lengths(edges, owner, hop)
    return {
        f
        for f in range(len(edges))
        if length[f] >= min_hops
        and not any(_chain_step(edges[f], edges[g], owner, hop, edges) for g in range(len(edges)))
    }


def is_chain_path(path: list[int], edges: list[NaiveEdge], owner: list[int], hop: NaiveHop) -> bool:
    return _ok(edges[path[0]], owner, hop) and all(
        _chain_step(edges[e], edges[f], owner, hop, edges) for e, f in itertools.pairwise(path)
    )


def cycles(edges: list[NaiveEdge], owner: list[int], hop: NaiveHop, max_edges: int
           ) -> list[list[list[int]]]:  # fmt: skip
    """Per edge: every cycle that starts with it (paths of edge indexes)."""
    found: list[list[list[int]]] = [[] for _ in edges]

    def walk(path: list[int]) -> None:
        origin = owner[edges[path[0]].src]
        visited = [owner[edges[e].dst] for e in path]
        if visited[-1] == origin:
            found[path[0]].append(path)
            return
        if len(path) == max_edges or len(set(visited)) < len(visited):
            return
        for g in range(len(edges)):
            if _ok(edges[g], owner, hop) and _hop(edges[path[-1]], edges[g], hop, edges):
                walk([*path, g])

    for e in range(len(edges)):
        if _ok(edges[e], owner, hop):
            walk([e])
    return found


def is_cycle(path: list[int], edges: list[NaiveEdge], owner: list[int], hop: NaiveHop) -> bool:
    origin = owner[edges[path[0]].src]
    inside = [owner[edges[e].dst] for e in path[:-1]]
    return (
        all(_ok(edges[e], owner, hop) for e in path)
        and all(_hop(edges[e], edges[f], hop, edges) for e, f in itertools.pairwise(path))
        and owner[edges[path[-1]].dst] == origin
        and origin not in inside
        and len(set(inside)) == len(inside)
    )


def score(path: list[int], edges: list[NaiveEdge], owner: list[int], hop: NaiveHop) -> float:
    """`scanners.network.score`'s formula, one structure at a time."""
    amounts = [edges[e].amount for e in path]
    near = [
        min(b / max(a, 1), 1 / max(b / max(a, 1), 1e-12)) for a, b in itertools.pairwise(amounts)
    ]
    low = min(hop.low_bp / 10_000, 10_000 / hop.high_bp)
    conservation = min(1.0, max(0.0, (min(near) - low) / max(1 - low, 1e-12)))
    times = [edges[e].ts for e in path]
    speed = min(1.0, max(0.0, 1 - (times[-1] - times[0]) / (len(path) - 1) / hop.max_gap))
    people = {owner[edges[e].src] for e in path} | {owner[edges[e].dst] for e in path}
    breadth = min(1.0, max(0.0, (len(people) - 2) / 4))
    weight = (
        min(1.0, max(0.0, math.log10(amounts[0] / max(hop.min_amount, 1)) / 2))
        if amounts[0]
        else 0.0
    )
    return 100 * (0.35 * conservation + 0.25 * speed + 0.2 * breadth + 0.2 * weight)


def relays(edges: list[NaiveEdge], owner: list[int], hop: NaiveHop) -> list[tuple[int, int]]:
    """Every pair (e, f) where f continues e, ordered by f then e."""
    return [
        (e, f)
        for f in range(len(edges))
        for e in range(len(edges))
        if _ok(edges[e], owner, hop) and _chain_step(edges[e], edges[f], owner, hop, edges)
    ]


def fans(edges: list[NaiveEdge], owner: list[int], hop: NaiveHop, shape: str, min_fan: int
         ) -> list[tuple[list[int], list[tuple[int, int]]]]:  # fmt: skip
    """Scatter-gathers (relays of one first payer and last payee through min_fan middles) or
    gather-scatters (relays through one middle from and to min_fan customers each), in order
    of their key customers: (edges, relays) each, sorted."""
    groups: dict[tuple[int, ...], list[tuple[int, int]]] = {}
    for e, f in relays(edges, owner, hop):
        a, b, c = owner[edges[e].src], owner[edges[e].dst], owner[edges[f].dst]
        groups.setdefault((a, c) if shape == "scatter_gather" else (b,), []).append((e, f))
    found = []
    for key in sorted(groups):
        pairs = groups[key]
        if shape == "scatter_gather":
            wide = len({owner[edges[e].dst] for e, _ in pairs}) >= min_fan
        else:
            wide = (len({owner[edges[e].src] for e, _ in pairs}) >= min_fan
                    and len({owner[edges[f].dst] for _, f in pairs}) >= min_fan)  # fmt: skip
        if wide:
            found.append((sorted({x for pair in pairs for x in pair}), sorted(pairs)))
    return found


def fan_score(structure: tuple[list[int], list[tuple[int, int]]], edges: list[NaiveEdge],
              owner: list[int], hop: NaiveHop) -> float:  # fmt: skip
    """`scanners.network.fans.fan_scores`' formula, one structure at a time."""
    path, pairs = structure
    best: dict[int, float] = {}  # per payment, its best-matching receipt
    for e, f in pairs:
        r = edges[f].amount / max(edges[e].amount, 1)
        best[f] = max(best.get(f, 0.0), min(r, 1 / max(r, 1e-12)))
    low = min(hop.low_bp / 10_000, 10_000 / hop.high_bp)
    conservation = min(1.0, max(0.0, (min(best.values()) - low) / max(1 - low, 1e-12)))
    mean_gap = sum(edges[f].ts - edges[e].ts for e, f in pairs) / len(pairs)
    speed = min(1.0, max(0.0, 1 - mean_gap / hop.max_gap))
    people = {owner[edges[e].src] for e in path} | {owner[edges[e].dst] for e in path}
    breadth = min(1.0, max(0.0, (len(people) - 2) / 4))
    first = sum(edges[e].amount for e in {e for e, _ in pairs})
    weight = min(1.0, max(0.0, math.log10(max(first, 1) / max(hop.min_amount, 1)) / 2))
    return 100 * (0.35 * conservation + 0.25 * speed + 0.2 * breadth + 0.2 * weight)
