"""A score per structure (0-100), so that a reviewer sees the strongest first and a bank can set
a budget: how much a chain or cycle looks like money relayed on purpose.

For a structure's edges e_1 … e_k (in time order, k >= 2), with the hop's band `[low, high]`
and gap `max_gap` (`graph.Hop`):

    conservation  the worst hop's min(a_{j+1} / a_j, a_j / a_{j+1}), from the band's edge
                  (0) to equal amounts (1)
    speed         1 - the mean gap between consecutive edges / max_gap
    breadth       (distinct customers - 2) / 4, at most 1: a relay through more hands
    weight        log10(the first amount / the least amount) / 2, in 0 .. 1: 100 times the
                  least sum or more is 1

    score = 100 × (0.35 conservation + 0.25 speed + 0.2 breadth + 0.2 weight)

Vectorised over all structures of a night at once (their edges back to back, `ptr`).
`with_member_evidence` then raises a score by what its members' own data says: a phone or
an address two of them share, accounts opened just before the money moved.
"""

from __future__ import annotations

import numpy as np

from amlwatch.scanners.network.graph import BP, Hop, TransferGraph

WEIGHTS = (0.35, 0.25, 0.2, 0.2)


def structure_scores(
    graph: TransferGraph, hop: Hop, ptr: np.ndarray, edges: np.ndarray
) -> np.ndarray:
    """Per structure (`edges[ptr[c]:ptr[c + 1]]`, each at least two edges): its score."""
    n = len(ptr) - 1
    if n == 0:
        return np.zeros(0)
    sizes = np.diff(ptr)
    amount = graph.amount[edges].astype(np.float64)
    ts = graph.ts[edges].astype(np.float64)
    first = ptr[:-1]
    # hops: consecutive edges inside one structure (not across two)
    inside = np.ones(len(edges), np.bool_)
    inside[ptr[1:] - 1] = False
    inside = inside[:-1]
    ratio = amount[1:] / np.maximum(amount[:-1], 1)
    near = np.minimum(ratio, 1 / np.maximum(ratio, 1e-12))
    hop_of = np.repeat(np.arange(n), sizes - 1)
    worst = np.ones(n)
    np.minimum.at(worst, hop_of, near[inside])
    low = min(hop.low_bp / BP, BP / hop.high_bp)  # the band's worst min(r, 1 / r)
    conservation = np.clip((worst - low) / max(1 - low, 1e-12), 0, 1)
    span = ts[ptr[1:] - 1] - ts[first]
    speed = np.clip(1 - span / (sizes - 1) / hop.max_gap, 0, 1)
    owner = graph.owner
    members = np.concatenate([owner[graph.src[edges]], owner[graph.dst[edges]]])
    structure = np.concatenate([np.repeat(np.arange(n), sizes)] * 2)
    distinct = np.unique(structure * (int(owner.max(initial=0)) + 1) + members)
    people = np.bincount(distinct // (int(owner.max(initial=0)) + 1), minlength=n)
    breadth = np.clip((people - 2) / 4, 0, 1)
    weight = np.clip(np.log10(np.maximum(amount[first], 1) / max(hop.min_amount, 1)) / 2, 0, 1)
    a, b, c, d = WEIGHTS
    return 100 * (a * conservation + b * speed + c * breadth + d * weight)


BONUS = 10  # points: members who share a phone or an address; accounts newly opened
NEW_DAYS = 90  # an account opened at most this many days before a structure's first transfer


def with_member_evidence(
    score: np.ndarray, members: np.ndarray, shared: np.ndarray, accounts: np.ndarray,
    new: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Per structure, its score raised by what its members' own data says, at most 100:
    up to BONUS points for the share of its `members` that share a phone or an address with
    another of them (`shared`), up to BONUS for the share of its `accounts` opened at most
    NEW_DAYS days before its first transfer (`new`). Nothing known: nothing added."""
    shared_share = np.divide(shared, np.maximum(members, 1))
    new_share = np.divide(new, np.maximum(accounts, 1))
    return np.minimum(100.0, score + BONUS * shared_share + BONUS * new_share)
