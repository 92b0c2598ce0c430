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


def bursts(edges: list[NaiveEdge], owner: list[int], hop: NaiveHop, shape: str, min_fan: int,
           min_part: int) -> list[tuple[list[int], list[tuple[int, int]]]]:  # fmt: skip
    """Fan-in bursts (a payment passing on what min_fan customers paid the payer in the gap
    before it) or fan-out bursts (a receipt split among min_fan customers in the gap after
    it), grouped by the hub customer in order of its code: (edges, (key, part) pairs) each,
    sorted."""
    gather = shape == "fan_in"
    groups: dict[int, list[tuple[int, int]]] = {}
    for k, key in enumerate(edges):
        if not _ok(key, owner, hop):
            continue
        hub = key.src if gather else key.dst
        other = owner[key.dst] if gather else owner[key.src]
        if _hub(hub, edges, hop):
            continue
        parts = [
            p
            for p, e in enumerate(edges)
            if (e.dst == hub and key.ts - hop.max_gap <= e.ts < key.ts if gather
                else e.src == hub and key.ts < e.ts <= key.ts + hop.max_gap)
            and owner[e.src if gather else e.dst] not in (owner[hub], other)
            and e.amount >= min_part
        ]  # fmt: skip
        if len({owner[edges[p].src if gather else edges[p].dst] for p in parts}) < min_fan:
            continue
        total = sum(edges[p].amount for p in parts)
        out, into = (key.amount, total) if gather else (total, key.amount)
        if hop.low_bp * into <= out * 10_000 <= hop.high_bp * into:
            groups.setdefault(owner[hub], []).extend((k, p) for p in parts)
    return [
        (sorted({x for pair in groups[c] for x in pair}), sorted(groups[c])) for c in sorted(groups)
    ]


def burst_score(structure: tuple[list[int], list[tuple[int, int]]], edges: list[NaiveEdge],
                owner: list[int], hop: NaiveHop, gather: bool) -> float:  # fmt: skip
    """`scanners.network.bursts.burst_scores`' formula, one structure at a time."""
    path, pairs = structure
    parts: dict[int, int] = {}
    for k, p in pairs:
        parts[k] = parts.get(k, 0) + edges[p].amount
    near = []
    for k, total in parts.items():
        r = edges[k].amount / max(total, 1) if gather else total / max(edges[k].amount, 1)
        near.append(min(r, 1 / max(r, 1e-12)))
    low = min(hop.low_bp / 10_000, 10_000 / hop.high_bp)
    conservation = min(1.0, max(0.0, (min(near) - low) / max(1 - low, 1e-12)))
    mean_gap = sum(abs(edges[k].ts - edges[p].ts) for k, p in pairs) / len(pairs)
    speed = min(1.0, max(0.0, 1 - mean_gap / hop.max_gap))
    people = {owner[edges[e].src] for e in path} | {owner[edges[e].dst] for e in path}
    breadth = min(1.0, max(0.0, (len(people) - 2) / 4))
    keys = sum(edges[k].amount for k in parts)
    weight = min(1.0, max(0.0, math.log10(max(keys, 1) / max(hop.min_amount, 1)) / 2))
    return 100 * (0.35 * conservation + 0.25 * speed + 0.2 * breadth + 0.2 * weight)


def layers(edges: list[NaiveEdge], owner: list[int], hop: NaiveHop, shape: str, min_fan: int
           ) -> list[tuple[list[int], float]]:  # fmt: skip
    """Bipartites or stacks: in each time slice (three half-spans from every multiple of a
    half-span), the usable transfers' customer pairs pruned until every payer pays two payees
    left and every payee is paid by two payers left, grouped by connection, each group
    judged by its sources, middles and sinks; the same edges once, none inside another, in
    order of their least customer then edges: (edges, worst middle's conservation) each."""
    usable = [
        k for k, e in enumerate(edges)
        if _ok(e, owner, hop) and not _hub(e.src, edges, hop) and not _hub(e.dst, edges, hop)
    ]  # fmt: skip
    if not usable:
        return []
    half = (hop.max_gap * (2 if shape == "stack" else 1) + 1) // 2
    found: dict[tuple[int, ...], float] = {}
    first, last = edges[usable[0]].ts // half, edges[usable[-1]].ts // half
    for k in range(first, last + 1):
        part = [e for e in usable if k * half <= edges[e].ts < (k + 3) * half]
        for mine, worst in _judged_groups(part, edges, owner, hop, shape, min_fan):
            found.setdefault(tuple(mine), worst)
    kept = [(list(e), w) for e, w in found.items()
            if not any(len(o) > len(e) and set(e) <= set(o) for o in found)]  # fmt: skip

    def least(path: list[int]) -> int:
        return min(min(owner[edges[k].src], owner[edges[k].dst]) for k in path)

    return sorted(kept, key=lambda x: (least(x[0]), x[0]))


def _judged_groups(usable: list[int], edges: list[NaiveEdge], owner: list[int], hop: NaiveHop,
                   shape: str, min_fan: int) -> list[tuple[list[int], float]]:  # fmt: skip
    pairs = {(owner[edges[k].src], owner[edges[k].dst]) for k in usable}
    while True:
        outs = {p: sum(1 for a, _ in pairs if a == p) for p, _ in pairs}
        ins = {q: sum(1 for _, b in pairs if b == q) for _, q in pairs}
        left = {(a, b) for a, b in pairs if outs[a] >= 2 and ins[b] >= 2}
        if left == pairs:
            break
        pairs = left
    group: dict[int, int] = {}
    for a, b in sorted(pairs):  # connected customers, each group named by its least
        group.setdefault(a, a)
        group.setdefault(b, b)
    changed = True
    while changed:
        changed = False
        for a, b in pairs:
            least = min(group[a], group[b])
            if group[a] != least or group[b] != least:
                group[a] = group[b] = least
                changed = True
    found = []
    for g in sorted(set(group.values())):
        mine = [k for k in usable
                if (owner[edges[k].src], owner[edges[k].dst]) in pairs
                and group[owner[edges[k].src]] == g]  # fmt: skip
        pays = {owner[edges[k].src] for k in mine}
        paid = {owner[edges[k].dst] for k in mine}
        middles, sources, sinks = pays & paid, pays - paid, paid - pays
        span = max(edges[k].ts for k in mine) - min(edges[k].ts for k in mine)
        worst = 1.0
        if shape == "bipartite":
            ok = not middles and min(len(sources), len(sinks)) >= min_fan and span <= hop.max_gap
        else:
            ok = min(len(sources), len(middles), len(sinks)) >= min_fan
            ok = ok and span <= 2 * hop.max_gap
            for m in sorted(middles) if ok else []:
                into = [k for k in mine if owner[edges[k].dst] == m]
                out = [k for k in mine if owner[edges[k].src] == m]
                got = sum(edges[k].amount for k in into)
                gave = sum(edges[k].amount for k in out)
                if not (hop.low_bp * got <= gave * 10_000 <= hop.high_bp * got) or min(
                    edges[k].ts for k in out
                ) <= min(edges[k].ts for k in into):
                    ok = False
                    break
                worst = min(worst, gave / max(got, 1), got / max(gave, 1))
        if ok:
            found.append((sorted(mine), worst))
    return found


def layer_score(structure: tuple[list[int], float], edges: list[NaiveEdge], owner: list[int],
                hop: NaiveHop, shape: str) -> float:  # fmt: skip
    """`scanners.network.layers.layer_scores`' formula, one structure at a time."""
    path, worst = structure
    amounts = sorted(edges[k].amount for k in path)
    if shape == "stack":
        near = worst
    else:
        n = len(amounts)
        median = amounts[n // 2] if n % 2 else (amounts[n // 2 - 1] + amounts[n // 2]) / 2
        near = min(min(a / max(median, 1), 1 / max(a / max(median, 1), 1e-12)) for a in amounts)
    low = min(hop.low_bp / 10_000, 10_000 / hop.high_bp)
    conservation = min(1.0, max(0.0, (near - low) / max(1 - low, 1e-12)))
    span = max(edges[k].ts for k in path) - min(edges[k].ts for k in path)
    allowed = hop.max_gap * (2 if shape == "stack" else 1)
    speed = min(1.0, max(0.0, 1 - span / allowed))
    pays = {owner[edges[k].src] for k in path}
    paid = {owner[edges[k].dst] for k in path}
    breadth = min(1.0, max(0.0, (len(pays | paid) - 2) / 4))
    total = sum(edges[k].amount for k in path if owner[edges[k].src] not in paid)
    weight = min(1.0, max(0.0, math.log10(max(total, 1) / max(hop.min_amount, 1)) / 2))
    return 100 * (0.35 * conservation + 0.25 * speed + 0.2 * breadth + 0.2 * weight)
