"""Fans across customers (scatter-gather, gather-scatter): named cases, then the kernel
against its naive twin (tests/naive_network.py) on generated graphs."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.network import Hop, TransferGraph, fan_scores, find_structures, relays
from amlwatch.scanners.network import scan_fans as kernel_fans
from amlwatch.scanners.network.fans import GATHER_SCATTER, SCATTER_GATHER
from amlwatch.scanners.network.standards import INTERMEDIARY, SINK, SOURCE, roles
from tests.naive_network import NaiveEdge, NaiveHop, fan_score, fans
from tests.naive_network import relays as naive_relays

HOUR = 3_600
BAND = Hop(max_gap=72 * HOUR, low_bp=9_000, high_bp=11_000, min_amount=50_000_000, max_degree=50)
SHAPES = (SCATTER_GATHER, GATHER_SCATTER)


def graph_of(edges: list[NaiveEdge], owner: list[int]) -> TransferGraph:
    assert [e.ts for e in edges] == sorted(e.ts for e in edges), "edges in time order"
    return TransferGraph(*(np.array([getattr(e, n) for e in edges], np.int64)
                           for n in ("src", "dst", "ts", "amount")),
                         owner=np.array(owner, np.int64))  # fmt: skip


def naive_hop(hop: Hop) -> NaiveHop:
    return NaiveHop(hop.max_gap, hop.low_bp, hop.high_bp, hop.min_amount, hop.max_degree)


def structures(found: object) -> list[tuple[list[int], list[tuple[int, int]]]]:
    """A kernel's answer as the naive twin gives it: (edges, relays) per structure."""
    ptr, edges, rptr = found.ptr, found.edges, found.relay_ptr  # type: ignore[attr-defined]
    first, then = found.first, found.then  # type: ignore[attr-defined]
    return [
        (edges[ptr[c] : ptr[c + 1]].tolist(),
         sorted(zip(first[rptr[c] : rptr[c + 1]].tolist(), then[rptr[c] : rptr[c + 1]].tolist(),
                    strict=True)))
        for c in range(len(ptr) - 1)
    ]  # fmt: skip


def scatter_gather(middles: int, amount: int = 100_000_000, keep: float = 0.98) -> list[NaiveEdge]:
    """Account 0 pays accounts 1 .. middles an hour apart; each pays account 9 a day later."""
    out = [NaiveEdge(0, 1 + k, k * HOUR, amount) for k in range(middles)]
    on = [NaiveEdge(1 + k, 9, 24 * HOUR + k * HOUR, int(amount * keep)) for k in range(middles)]
    return out + on


# -- named cases ----------------------------------------------------------------------------


def test_money_scattered_to_three_and_gathered_by_one_is_one_scatter_gather() -> None:
    owner = list(range(10))
    edges = scatter_gather(3)
    found = kernel_fans(graph_of(edges, owner), BAND, SCATTER_GATHER, 3)
    assert structures(found) == [(list(range(6)), [(0, 3), (1, 4), (2, 5)])]
    # two middles are not three; the same money gathered by one of its middles' own second
    # account is not a fan through customers
    assert len(kernel_fans(graph_of(edges, owner), BAND, SCATTER_GATHER, 4)) == 0
    assert len(kernel_fans(graph_of(scatter_gather(2), owner), BAND, SCATTER_GATHER, 3)) == 0
    # kept 80 %: out of the band, no relay
    assert (
        len(kernel_fans(graph_of(scatter_gather(3, keep=0.8), owner), BAND, SCATTER_GATHER, 2)) == 0
    )
    # three middles that are one customer's three accounts: one middle customer
    one = [0, 1, 1, 1, 4, 5, 6, 7, 8, 9]
    assert len(kernel_fans(graph_of(edges, one), BAND, SCATTER_GATHER, 2)) == 0


def test_money_gathered_from_three_and_scattered_to_three_is_one_gather_scatter() -> None:
    owner = list(range(10))
    gather = [NaiveEdge(k, 5, k * HOUR, 100_000_000) for k in range(3)]
    scatter = [NaiveEdge(5, 6 + k, 10 * HOUR + k * HOUR, 99_000_000) for k in range(3)]
    found = kernel_fans(graph_of(gather + scatter, owner), BAND, GATHER_SCATTER, 3)
    [(path, pairs)] = structures(found)
    assert path == list(range(6)) and len(pairs) == 9  # every payment continues every receipt
    assert fan_scores(graph_of(gather + scatter, owner), BAND, found)[0] > 60
    # a scatter-gather is not a gather-scatter: its middles have one payer each
    assert len(kernel_fans(graph_of(scatter_gather(3), owner), BAND, GATHER_SCATTER, 2)) == 0
    # the middle is a hub (more than max_degree transfers): it relays nothing
    hub = Hop(max_gap=72 * HOUR, low_bp=9_000, high_bp=11_000, max_degree=5)
    assert len(kernel_fans(graph_of(gather + scatter, owner), hub, GATHER_SCATTER, 3)) == 0


def test_a_payment_is_weighed_against_the_receipt_it_best_matches() -> None:
    """Receipts of 100,000 and 92,000 gathered, 99,000 and 91,000 paid on: each payment is in
    the band of both receipts, but its money is the closer one (99 % and 98.9 %), not the
    other (91 %): conservation from the closest of each, then the worst payment."""
    owner = list(range(10))
    gather = [NaiveEdge(0, 5, 0, 100_000_000), NaiveEdge(1, 5, HOUR, 92_000_000)]
    scatter = [NaiveEdge(5, 6, 10 * HOUR, 99_000_000), NaiveEdge(5, 7, 11 * HOUR, 91_000_000)]
    graph = graph_of(gather + scatter, owner)
    found = kernel_fans(graph, BAND, GATHER_SCATTER, 2)
    assert len(structures(found)[0][1]) == 4  # every receipt with every payment: in band
    worst = min(99 / 100, 91 / 92)  # each payment's best match, then the worst
    low = 0.9
    gaps = (10 + 9 + 11 + 10) / 4 * HOUR
    people = 5
    weight = min(1.0, np.log10((100_000_000 + 92_000_000) / BAND.min_amount) / 2)
    expected = 100 * (0.35 * (worst - low) / (1 - low) + 0.25 * (1 - gaps / BAND.max_gap)
                      + 0.2 * min(1.0, (people - 2) / 4) + 0.2 * weight)  # fmt: skip
    assert fan_scores(graph, BAND, found)[0] == pytest.approx(expected)


def test_a_fan_s_members_have_their_roles() -> None:
    pairs = [("A", "B1"), ("A", "B2"), ("B1", "C"), ("B2", "C")]
    assert roles(SCATTER_GATHER, pairs) == {
        "A": SOURCE,
        "B1": INTERMEDIARY,
        "B2": INTERMEDIARY,
        "C": SINK,
    }
    pairs = [("A1", "H"), ("A2", "H"), ("H", "C1"), ("H", "C2")]
    assert roles(GATHER_SCATTER, pairs) == {"A1": SOURCE, "H": INTERMEDIARY, "A2": SOURCE,
                                            "C1": SINK, "C2": SINK}  # fmt: skip


def test_a_standard_of_either_shape_keeps_what_scores_at_least_its_least() -> None:
    owner = list(range(10))
    graph = graph_of(scatter_gather(4), owner)
    params = {"max_gap_hours": Decimal(72), "low_share": Decimal("0.9"), "high_share": Decimal("1.1"),
              "min_edge_cny": Decimal(50_000), "max_degree": Decimal(50), "min_fan": Decimal(3)}  # fmt: skip
    [score] = find_structures(SCATTER_GATHER, params | {"min_score": Decimal(0)}, graph).score
    # both shapes of one window share its relays under one hop: found once, the same answers
    shared: dict = {}
    for shape in SHAPES:
        alone = find_structures(shape, params | {"min_score": Decimal(0)}, graph)
        together = find_structures(shape, params | {"min_score": Decimal(0)}, graph, shared)
        assert (alone.edges.tolist(), alone.score.tolist()) == (
            together.edges.tolist(),
            together.score.tolist(),
        )
    assert len(shared) == 1
    assert (
        len(find_structures(SCATTER_GATHER, params | {"min_score": Decimal(int(score))}, graph))
        == 1
    )
    assert (
        len(find_structures(SCATTER_GATHER, params | {"min_score": Decimal(int(score) + 1)}, graph))
        == 0
    )


@pytest.mark.parametrize(
    ("shape", "fan"), [("bipartite", 3), (SCATTER_GATHER, 1), (GATHER_SCATTER, 1001)]
)
def test_a_shape_or_a_fan_out_of_range_is_refused(shape: str, fan: int) -> None:
    with pytest.raises(ScannerInputError):
        kernel_fans(graph_of(scatter_gather(3), list(range(10))), BAND, shape, fan)


# -- generated graphs -----------------------------------------------------------------------


@st.composite
def fan_graphs(draw: st.DrawFn) -> tuple[list[NaiveEdge], list[int], Hop]:
    accounts = draw(st.integers(3, 8))
    owner = list(range(accounts))  # a customer an account, but for one that may have two
    owner[draw(st.integers(0, accounts - 1))] = draw(st.integers(0, accounts - 1))
    amounts = st.sampled_from([100_000, 100_000, 90_000, 110_000, 200_000, 0])
    timed: list[tuple[int, int, int, int]] = []
    for _ in range(draw(st.integers(1, 2))):  # fans, perhaps broken by an amount or a time
        x = draw(amounts)
        same = st.sampled_from([x, x, x, x]) | amounts  # mostly the same money passed on
        t = draw(st.integers(0, 4))
        p = draw(st.permutations(range(accounts)))  # distinct accounts, roles by position
        k = draw(st.integers(1, accounts - 2))
        if draw(st.booleans()):  # scattered by one, gathered by one
            ins = [(p[0], m) for m in p[2 : 2 + k]]
            outs = [(m, p[1]) for m in p[2 : 2 + k]]
        else:  # gathered by one, scattered on (to some of those it gathered from, perhaps)
            j = draw(st.integers(1, accounts - 1))
            ins = [(a, p[0]) for a in p[1 : 1 + k]]
            outs = [(p[0], c) for c in p[accounts - j :]]
        near = st.sampled_from([x, x, x * 95 // 100, x * 104 // 100])  # the same money, or close
        timed += [(t + draw(st.integers(0, 1)), a, b, draw(near)) for a, b in ins]
        timed += [(t + draw(st.integers(1, 4)), a, b, draw(same)) for a, b in outs]
    for _ in range(draw(st.integers(0, 6))):  # and anything else
        src, dst = draw(st.integers(0, accounts - 1)), draw(st.integers(0, accounts - 1))
        timed.append((draw(st.integers(0, 8)), src, dst, draw(amounts)))
    timed.sort(key=lambda x: x[0])
    edges = [NaiveEdge(src, dst, t * HOUR, amount) for t, src, dst, amount in timed]
    hop = Hop(
        max_gap=draw(st.sampled_from([HOUR, 3 * HOUR, 12 * HOUR, 12 * HOUR])),
        low_bp=draw(st.sampled_from([7_000, 9_000, 10_000])),
        high_bp=draw(st.sampled_from([10_000, 13_000])),
        min_amount=draw(st.sampled_from([0, 0, 100_000])),
        max_degree=draw(st.sampled_from([1 << 40, 1 << 40, 5, 3])),
    )
    return edges, owner, hop


@settings(max_examples=400, deadline=None)
@given(fan_graphs(), st.sampled_from(SHAPES), st.integers(2, 3))
def test_fans_are_the_naive_fans_and_score_by_the_naive_formula(
    case: tuple[list[NaiveEdge], list[int], Hop], shape: str, min_fan: int
) -> None:
    edges, owner, hop = case
    graph = graph_of(edges, owner)
    first, then = relays(graph, hop)
    assert sorted(zip(then.tolist(), first.tolist(), strict=True)) == sorted(
        (f, e) for e, f in naive_relays(edges, owner, naive_hop(hop))
    )
    found = kernel_fans(graph, hop, shape, min_fan)
    naive = fans(edges, owner, naive_hop(hop), shape, min_fan)
    assert structures(found) == naive
    assert fan_scores(graph, hop, found) == pytest.approx(
        [fan_score(s, edges, owner, naive_hop(hop)) for s in naive]
    )
    event(f"{shape}: {min(len(naive), 2)}")
