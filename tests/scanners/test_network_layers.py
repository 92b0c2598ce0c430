"""Bipartite and stack structures (`scanners.network.layers`): named cases and the kernel
against its naive twin on generated graphs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.network import Hop, find_structures, layer_scores, scan_layers
from amlwatch.scanners.network.layers import BIPARTITE, STACK
from amlwatch.scanners.network.standards import INTERMEDIARY, SINK, SOURCE, roles
from tests.naive_network import NaiveEdge, layer_score, layers
from tests.scanners.test_network_fans import BAND, HOUR, graph_of, naive_hop

SUM = 60_000_000  # 60,000 CNY


def structures(found: object) -> list[tuple[list[int], float]]:
    ptr, edges, ok = found.ptr, found.edges, found.middle_ok  # type: ignore[attr-defined]
    return [(edges[ptr[c] : ptr[c + 1]].tolist(), float(ok[c])) for c in range(len(ptr) - 1)]


def block(payers: list[int], payees: list[int], start: int, amount: int = SUM,
          links: int = 2) -> list[tuple[int, int, int, int]]:  # fmt: skip
    """Each payer pays `links` of the payees (in turn), an hour apart: (time, src, dst, amount)."""
    out = []
    t = start
    for i, p in enumerate(payers):
        for j in range(links):
            out.append((t, p, payees[(i + j) % len(payees)], amount))
            t += HOUR
    return out


def edges_of(timed: list[tuple[int, int, int, int]]) -> list[NaiveEdge]:
    return [NaiveEdge(s, d, t, a) for t, s, d, a in sorted(timed)]


def test_three_paying_three_twice_each_within_a_day_is_one_bipartite() -> None:
    owner = list(range(12))
    edges = edges_of(block([0, 1, 2], [3, 4, 5], 0))
    found = scan_layers(graph_of(edges, owner), BAND, BIPARTITE, 3)
    assert structures(found) == [(list(range(6)), 1.0)]
    # one transfer each (a payroll, a shop's customers) is pruned: no block
    single = edges_of(block([0, 1, 2], [3, 4, 5], 0, links=1))
    assert len(scan_layers(graph_of(single, owner), BAND, BIPARTITE, 3)) == 0
    # the same block spread over two weeks is ordinary business
    slow = [NaiveEdge(e.src, e.dst, e.ts * 60, e.amount) for e in edges]
    assert len(scan_layers(graph_of(slow, owner), BAND, BIPARTITE, 3)) == 0
    # under the least sum (gifts between relatives), or too few on a side: none
    small = edges_of(block([0, 1, 2], [3, 4, 5], 0, amount=5_000_000))
    assert len(scan_layers(graph_of(small, owner), BAND, BIPARTITE, 3)) == 0
    assert len(scan_layers(graph_of(edges, owner), BAND, BIPARTITE, 4)) == 0
    # a block is not a stack
    assert len(scan_layers(graph_of(edges, owner), BAND, STACK, 3)) == 0


def test_two_blocks_one_after_the_other_with_the_middle_passing_on_are_a_stack() -> None:
    owner = list(range(12))
    first = block([0, 1, 2], [3, 4, 5], 0)
    then = block([3, 4, 5], [6, 7, 8], 10 * HOUR, amount=SUM * 98 // 100)
    edges = edges_of(first + then)
    found = scan_layers(graph_of(edges, owner), BAND, STACK, 3)
    assert structures(found) == [(list(range(12)), pytest.approx(0.98))]
    assert len(scan_layers(graph_of(edges, owner), BAND, BIPARTITE, 3)) == 0  # it has middles
    # a middle that keeps half of what it got passes nothing on: no stack
    kept = block([3, 4, 5], [6, 7, 8], 10 * HOUR, amount=SUM // 2)
    assert len(scan_layers(graph_of(edges_of(first + kept), owner), BAND, STACK, 3)) == 0
    # a middle that paid before it was paid passes nothing on either
    early = block([3, 4, 5], [6, 7, 8], -10 * HOUR, amount=SUM * 98 // 100)
    assert len(scan_layers(graph_of(edges_of(first + early), owner), BAND, STACK, 3)) == 0


def test_a_layered_structure_s_members_have_their_roles() -> None:
    pairs = [("A", "M"), ("B", "M"), ("A", "N"), ("M", "X"), ("N", "Y")]
    assert roles(STACK, pairs) == {
        "A": SOURCE, "M": INTERMEDIARY, "B": SOURCE, "N": INTERMEDIARY, "X": SINK, "Y": SINK,
    }  # fmt: skip


def test_a_standard_of_either_layering_keeps_what_scores_at_least_its_least() -> None:
    graph = graph_of(edges_of(block([0, 1, 2], [3, 4, 5], 0)), list(range(12)))
    params = {
        "max_gap_hours": Decimal(72), "low_share": Decimal("0.9"), "high_share": Decimal("1.1"),
        "min_edge_cny": Decimal(50_000), "max_degree": Decimal(50), "min_fan": Decimal(3),
        "min_score": Decimal(0),
    }  # fmt: skip
    found = find_structures(BIPARTITE, params, graph)
    assert len(found) == 1 and 0 < found.score[0] <= 100
    assert len(find_structures(BIPARTITE, params | {"min_score": Decimal(100)}, graph)) == 0


@pytest.mark.parametrize(("shape", "fan"), [("block", 3), (BIPARTITE, 1), (STACK, 1_001)])
def test_a_shape_or_a_fan_out_of_range_is_refused(shape: str, fan: int) -> None:
    graph = graph_of(edges_of(block([0, 1, 2], [3, 4, 5], 0)), list(range(12)))
    with pytest.raises(ScannerInputError):
        scan_layers(graph, BAND, shape, fan)


# -- generated graphs against the naive twin -----------------------------------------------


@st.composite
def layered_graphs(draw: st.DrawFn, shape: str) -> tuple[list[NaiveEdge], list[int], Hop]:
    accounts = draw(st.integers(6 if shape == STACK else 4, 12))
    owner = list(range(accounts))  # a customer an account, but for one that may have two
    owner[draw(st.integers(0, accounts - 1))] = draw(st.integers(0, accounts - 1))
    amounts = st.sampled_from([100_000, 100_000, 98_000, 60_000, 0])
    timed: list[tuple[int, int, int, int]] = []
    p = draw(st.permutations(range(accounts)))
    k = max(2, accounts // (3 if shape == STACK else 2))
    sides = [p[:k], p[k : 2 * k], p[2 * k : 3 * k]]
    layers_planted = 2 if shape == STACK and len(sides[2]) >= 2 else 1
    x = draw(amounts)
    got = dict.fromkeys(range(accounts), 0)  # what each middle received: it passes that on
    for i, a in enumerate(sides[0]):
        for j in range(draw(st.sampled_from([2, 2, 3, 1]))):
            b = sides[1][(i + j) % len(sides[1])]
            timed.append((draw(st.integers(0, 3)), a, b, x))
            got[b] += 1
    if layers_planted == 2:
        keep = draw(st.sampled_from([100, 100, 98, 50]))
        for i, m in enumerate(sides[1]):
            for j in range(got[m]):
                c = sides[2][(i + j) % len(sides[2])]
                timed.append((draw(st.integers(4, 8)), m, c, x * keep // 100))
    for _ in range(draw(st.integers(0, 4))):  # and anything else
        src, dst = draw(st.integers(0, accounts - 1)), draw(st.integers(0, accounts - 1))
        timed.append((draw(st.integers(0, 12)), src, dst, draw(amounts)))
    edges = [NaiveEdge(s, d, t * HOUR, a) for t, s, d, a in sorted(timed)]
    hop = Hop(
        max_gap=draw(st.sampled_from([3 * HOUR, *[12 * HOUR] * 4])),
        low_bp=draw(st.sampled_from([7_000, 9_000, 9_000, 10_000])),
        high_bp=draw(st.sampled_from([10_000, 13_000, 13_000])),
        min_amount=draw(st.sampled_from([0, 0, 70_000])),
        max_degree=draw(st.sampled_from([*[1 << 40] * 4, 6, 4])),
    )
    return edges, owner, hop


def _same_as_naive(case: tuple[list[NaiveEdge], list[int], Hop], shape: str, min_fan: int) -> None:
    edges, owner, hop = case
    graph = graph_of(edges, owner)
    found = scan_layers(graph, hop, shape, min_fan)
    naive = layers(edges, owner, naive_hop(hop), shape, min_fan)
    assert [(e, pytest.approx(w)) for e, w in structures(found)] == naive
    assert layer_scores(graph, hop, found, shape) == pytest.approx(
        [layer_score(s, edges, owner, naive_hop(hop), shape) for s in naive]
    )
    event(f"{shape}: {min(len(naive), 2)}")


@settings(max_examples=500, deadline=None)
@given(layered_graphs(BIPARTITE), st.integers(2, 3))
def test_bipartites_are_the_naive_bipartites_and_score_by_the_naive_formula(
    case: tuple[list[NaiveEdge], list[int], Hop], min_fan: int
) -> None:
    _same_as_naive(case, BIPARTITE, min_fan)


@settings(max_examples=800, deadline=None)
@given(layered_graphs(STACK), st.integers(2, 3))
def test_stacks_are_the_naive_stacks_and_score_by_the_naive_formula(
    case: tuple[list[NaiveEdge], list[int], Hop], min_fan: int
) -> None:
    _same_as_naive(case, STACK, min_fan)


def test_an_empty_graph_has_no_layers() -> None:
    graph = graph_of([], [0])
    for shape in (BIPARTITE, STACK):
        found = scan_layers(graph, BAND, shape, 2)
        assert len(found) == 0 and layer_scores(graph, BAND, found, shape).size == 0
