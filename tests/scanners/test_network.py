"""The network kernels (chains, cycles) against their naive twins (`tests.naive_network`), on
generated graphs and on each shape's edges by name."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.network import (
    Hop,
    TransferGraph,
    find_structures,
    hop_of,
    roles,
    scan_chains,
    scan_cycles,
    structure_scores,
    with_member_evidence,
)
from amlwatch.scanners.network.graph import by_account
from amlwatch.scanners.network.standards import INTERMEDIARY, ORIGIN, SINK, SOURCE
from tests.naive_network import (
    NaiveEdge,
    NaiveHop,
    chain_ends,
    chain_lengths,
    cycles,
    is_chain_path,
    is_cycle,
    score,
)

HOUR = 3_600
DAY = 86_400
BAND = Hop(max_gap=3 * DAY, low_bp=7_000, high_bp=13_000, min_amount=0)


def graph_of(edges: list[NaiveEdge], owner: list[int]) -> TransferGraph:
    ordered = sorted(edges, key=lambda e: e.ts)
    assert ordered == edges, "the tests give edges in time order"
    return TransferGraph(
        src=np.array([e.src for e in edges], np.int64),
        dst=np.array([e.dst for e in edges], np.int64),
        ts=np.array([e.ts for e in edges], np.int64),
        amount=np.array([e.amount for e in edges], np.int64),
        owner=np.array(owner, np.int64),
    )


def naive_hop(hop: Hop) -> NaiveHop:
    return NaiveHop(hop.max_gap, hop.low_bp, hop.high_bp, hop.min_amount, hop.max_degree)


def relay(
    accounts: list[int], amounts: list[int], gaps: list[int], start: int = 0
) -> list[NaiveEdge]:
    """Edges along accounts[0] → accounts[1] → …, each gaps[k] seconds after the previous."""
    t, edges = start, []
    for k in range(len(accounts) - 1):
        t += gaps[k] if k else 0
        edges.append(NaiveEdge(accounts[k], accounts[k + 1], t, amounts[k]))
    return edges


# -- chains ---------------------------------------------------------------------------------


def test_a_relay_through_three_customers_is_one_chain_of_its_edges() -> None:
    owner = [0, 1, 2, 3]
    edges = relay([0, 1, 2, 3], [500_000_000, 480_000_000, 470_000_000], [0, DAY, 2 * DAY])
    found = scan_chains(graph_of(edges, owner), BAND, min_hops=3)
    assert found.length.tolist() == [1, 2, 3]
    assert len(found) == 1 and found.edges.tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    ("amounts", "gaps", "owner", "length"),
    [
        ([100, 69, 69], [0, HOUR, HOUR], [0, 1, 2, 3], [1, 1, 2]),  # 69 % of 100: out of band
        ([100, 70, 91], [0, HOUR, HOUR], [0, 1, 2, 3], [1, 2, 3]),  # 70 %, 130 %: the band's ends
        ([100, 131, 131], [0, HOUR, HOUR], [0, 1, 2, 3], [1, 1, 2]),
        ([100, 100, 100], [0, 3 * DAY, 3 * DAY + 1], [0, 1, 2, 3], [1, 2, 1]),  # the gap's end
        ([100, 100, 100], [0, 0, HOUR], [0, 1, 2, 3], [1, 1, 2]),  # the same second: not after
        ([100, 100, 100], [0, HOUR, HOUR], [0, 1, 0, 3], [1, 1, 2]),  # B hands it back to A: no hop
        ([100, 100, 100], [0, HOUR, HOUR], [0, 1, 1, 3], [1, 0, 1]),  # one customer's accounts
    ],
)
def test_a_chain_s_edges(
    amounts: list[int], gaps: list[int], owner: list[int], length: list[int]
) -> None:
    edges = relay([0, 1, 2, 3], [a * 1_000 for a in amounts], gaps)
    found = scan_chains(graph_of(edges, owner), BAND, min_hops=2)
    assert found.length.tolist() == length
    assert found.length.tolist() == chain_lengths(edges, owner, naive_hop(BAND))


def test_money_split_and_gathered_again_is_counted_by_its_longest_way() -> None:
    # A pays B and C, both pay D, D pays E: the longest path to D → E has three edges
    owner = [0, 1, 2, 3, 4]
    edges = [
        NaiveEdge(0, 1, 0, 100_000),
        NaiveEdge(0, 2, 10, 100_000),
        NaiveEdge(1, 3, HOUR, 100_000),
        NaiveEdge(2, 3, HOUR + 10, 100_000),
        NaiveEdge(3, 4, 2 * HOUR, 100_000),
    ]
    found = scan_chains(graph_of(edges, owner), BAND, min_hops=3)
    assert found.length.tolist() == [1, 1, 2, 2, 3]
    assert len(found) == 1 and found.edges.tolist() == [0, 2, 4]  # the earliest way in


def test_the_least_amount_and_the_least_hops() -> None:
    owner = [0, 1, 2]
    edges = relay([0, 1, 2], [50_000, 50_000], [0, HOUR])
    assert scan_chains(graph_of(edges, owner), BAND, min_hops=2).edges.tolist() == [0, 1]
    assert len(scan_chains(graph_of(edges, owner), BAND, min_hops=3)) == 0
    dear = Hop(BAND.max_gap, BAND.low_bp, BAND.high_bp, min_amount=50_001)
    assert scan_chains(graph_of(edges, owner), dear, min_hops=2).length.tolist() == [0, 0]


# -- cycles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accounts", "owner", "cycle"),
    [
        ([0, 1, 0], [0, 1], [0, 1]),  # there and back (对敲)
        ([0, 1, 2, 3, 0], [0, 1, 2, 3], [0, 1, 2, 3]),  # round four customers
        ([0, 1, 2, 3], [0, 1, 2, 0], [0, 1, 2]),  # back to another account of the origin's
        ([0, 1, 2, 1, 0], [0, 1, 2], [0, 3]),  # not through B twice: B straight back to A
        ([0, 1, 2, 3, 0], [0, 1, 2, 1], []),  # B's two accounts: B twice
    ],
)
def test_a_cycle_s_edges(accounts: list[int], owner: list[int], cycle: list[int]) -> None:
    edges = relay(accounts, [100_000] * (len(accounts) - 1), [0] + [HOUR] * len(accounts))
    found = scan_cycles(graph_of(edges, owner), BAND, max_edges=6)
    assert found.count[0] == (1 if cycle else 0)
    if cycle:
        assert found.first[0] == 0 and found.edges[: found.ptr[1]].tolist() == cycle
    naive = cycles(edges, owner, naive_hop(BAND), 6)
    assert found.count.tolist() == [len(c) for c in naive]


def test_a_cycle_longer_than_asked_is_none() -> None:
    owner = [0, 1, 2, 3, 4]
    edges = relay([0, 1, 2, 3, 4, 0], [100_000] * 5, [0] + [HOUR] * 5)
    assert scan_cycles(graph_of(edges, owner), BAND, max_edges=5).count[0] == 1
    assert scan_cycles(graph_of(edges, owner), BAND, max_edges=4).count[0] == 0


def test_the_shortest_of_several_cycles_is_kept() -> None:
    # A → B, then B → A (two edges) and B → C → A (three)
    owner = [0, 1, 2]
    edges = [
        NaiveEdge(0, 1, 0, 100_000),
        NaiveEdge(1, 2, HOUR, 100_000),
        NaiveEdge(1, 0, 2 * HOUR, 100_000),
        NaiveEdge(2, 0, 3 * HOUR, 100_000),
    ]
    found = scan_cycles(graph_of(edges, owner), BAND, max_edges=6)
    assert found.count.tolist() == [2, 0, 0, 0]
    assert found.edges.tolist() == [0, 2]


def test_a_walk_out_of_budget_is_marked_and_stops() -> None:
    # a hub: A pays H, H pays forty others who each pay A back
    owner = list(range(42))
    edges = [NaiveEdge(0, 1, 0, 100_000)]
    edges += [NaiveEdge(1, 2 + k, HOUR + k, 100_000) for k in range(40)]
    edges += [NaiveEdge(2 + k, 0, 2 * HOUR + k, 100_000) for k in range(40)]
    whole = scan_cycles(graph_of(edges, owner), BAND, max_edges=6)
    assert whole.count[0] == 40 and not whole.truncated.any()
    cut = scan_cycles(graph_of(edges, owner), BAND, max_edges=6, budget=10)
    assert cut.truncated[0] and 0 < cut.count[0] < 40


def test_a_hub_relays_nothing_but_may_start_and_end() -> None:
    # A → H → B → C, then A → H → A: H is in four edges (a shop), so the chain starts at H
    # and no cycle closes through it
    owner = [0, 1, 2, 3]
    edges = [
        *relay([0, 1, 2, 3], [100_000] * 3, [0, HOUR, HOUR]),
        NaiveEdge(0, 1, 3 * HOUR, 100_000),
        NaiveEdge(1, 0, 4 * HOUR, 100_000),
    ]
    shop = Hop(BAND.max_gap, BAND.low_bp, BAND.high_bp, max_degree=3)
    assert scan_chains(graph_of(edges, owner), BAND, 2).length.tolist() == [1, 2, 3, 1, 1]
    assert scan_chains(graph_of(edges, owner), shop, 2).length.tolist() == [1, 1, 2, 1, 1]
    assert scan_cycles(graph_of(edges, owner), BAND, 2).count.tolist() == [1, 0, 0, 1, 0]
    assert scan_cycles(graph_of(edges, owner), shop, 2).count.tolist() == [0] * 5


# -- generated graphs -----------------------------------------------------------------------


@st.composite
def graphs(draw: st.DrawFn) -> tuple[list[NaiveEdge], list[int], Hop]:
    accounts = draw(st.integers(2, 5))
    owner = list(range(accounts))  # a customer an account, but for one that may have two
    owner[draw(st.integers(0, accounts - 1))] = draw(st.integers(0, accounts - 1))
    n = draw(st.integers(0, 11))
    times = sorted(draw(st.lists(st.integers(0, 8), min_size=n, max_size=n)))
    edges: list[NaiveEdge] = []
    for t in times:  # money mostly passed on: a payer is often the last payee
        last = [edges[-1].dst] if edges else []
        src = draw(st.sampled_from(last * 5 + list(range(accounts))))
        amount = draw(st.sampled_from([0, 70_000, 90_000, 100_000, 100_000, 120_000, 200_000]))
        dst = draw(st.sampled_from([a for a in range(accounts) if a != src] * 3 + [src]))
        edges.append(NaiveEdge(src, dst, t * HOUR, amount))
    hop = Hop(
        max_gap=draw(st.sampled_from([1, HOUR, 3 * HOUR, 12 * HOUR, 12 * HOUR, 12 * HOUR])),
        low_bp=draw(st.sampled_from([5_000, 7_000, 9_000, 10_000])),
        high_bp=draw(st.sampled_from([10_000, 13_000, 20_000])),
        min_amount=draw(st.sampled_from([0, 90_000])),
        max_degree=draw(st.sampled_from([2, 3, 4, 1 << 40, 1 << 40])),
    )
    return edges, owner, hop


@settings(max_examples=400, deadline=None)
@given(graphs(), st.integers(2, 4))
def test_chains_are_the_naive_longest_paths(
    case: tuple[list[NaiveEdge], list[int], Hop], min_hops: int
) -> None:
    edges, owner, hop = case
    found = scan_chains(graph_of(edges, owner), hop, min_hops)
    naive = naive_hop(hop)
    assert found.length.tolist() == chain_lengths(edges, owner, naive)
    ends = {int(found.edges[found.ptr[c + 1] - 1]) for c in range(len(found))}
    assert ends == chain_ends(edges, owner, naive, min_hops)
    for c in range(len(found)):
        path = found.edges[found.ptr[c] : found.ptr[c + 1]].tolist()
        assert is_chain_path(path, edges, owner, naive)
        assert len(path) == found.length[path[-1]]
    event(f"chains: {min(len(found), 3)}")


@settings(max_examples=400, deadline=None)
@given(graphs(), st.integers(2, 5))
def test_cycles_are_the_naive_cycles(
    case: tuple[list[NaiveEdge], list[int], Hop], max_edges: int
) -> None:
    edges, owner, hop = case
    found = scan_cycles(graph_of(edges, owner), hop, max_edges)
    naive = cycles(edges, owner, naive_hop(hop), max_edges)
    assert found.count.tolist() == [len(c) for c in naive]
    assert not found.truncated.any()
    assert found.first.tolist() == [e for e, c in enumerate(naive) if c]
    for c, e in enumerate(found.first.tolist()):
        path = found.edges[found.ptr[c] : found.ptr[c + 1]].tolist()
        assert path[0] == e and is_cycle(path, edges, owner, naive_hop(hop))
        assert len(path) == min(len(p) for p in naive[e])
    event(f"cycles: {min(len(found), 3)}")


# -- scores --------------------------------------------------------------------------------


def test_a_quick_even_relay_through_many_hands_scores_above_a_slow_uneven_one() -> None:
    owner = list(range(6))
    quick = relay([0, 1, 2, 3, 4, 5], [1_000_000_000] * 5, [0] + [HOUR] * 5)
    slow = relay([0, 1, 2], [10_000_000, 7_200_000], [0, 70 * HOUR], start=10 * DAY)
    edges = quick + slow
    hop = Hop(max_gap=3 * DAY, low_bp=7_000, high_bp=13_000, min_amount=10_000_000)
    ptr, paths = np.array([0, 5, 7]), np.arange(7)
    scores = structure_scores(graph_of(edges, owner), hop, ptr, paths)
    # equal amounts, an hour a hop, six people, 100 times the least: all but speed at the top
    assert scores[0] == pytest.approx(100 * (0.35 + 0.25 * (1 - HOUR / (3 * DAY)) + 0.2 + 0.2))
    assert 0 <= scores[1] < 20 < scores[0] <= 100


@settings(max_examples=300, deadline=None)
@given(graphs())
def test_scores_are_the_naive_formula(case: tuple[list[NaiveEdge], list[int], Hop]) -> None:
    edges, owner, hop = case
    graph = graph_of(edges, owner)
    for found in (scan_chains(graph, hop, 2), scan_cycles(graph, hop, 5)):
        scores = structure_scores(graph, hop, found.ptr, found.edges)
        paths = [
            found.edges[found.ptr[c] : found.ptr[c + 1]].tolist() for c in range(len(found.ptr) - 1)
        ]
        assert scores == pytest.approx([score(p, edges, owner, naive_hop(hop)) for p in paths])
        assert ((scores >= 0) & (scores <= 100)).all()


# -- refused input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"dst": np.array([0, 9])}, "owner table"),
        ({"src": np.array([-1, 0])}, "owner table"),
        ({"ts": np.array([5, 4])}, "sorted by time"),
        ({"amount": np.array([1, -1])}, "thousandths"),
        ({"amount": np.array([1])}, "one of each"),
    ],
)
def test_a_graph_that_does_not_agree_is_refused(
    change: dict[str, np.ndarray], message: str
) -> None:
    parts = {
        "src": np.array([0, 1]),
        "dst": np.array([1, 2]),
        "ts": np.array([0, 1]),
        "amount": np.array([1, 1]),
        "owner": np.array([0, 1, 2]),
    } | change
    with pytest.raises(ScannerInputError, match=message):
        scan_chains(TransferGraph(**parts), BAND, 2)
    with pytest.raises(ScannerInputError, match=message):
        scan_cycles(TransferGraph(**parts), BAND, 3)


@pytest.mark.parametrize(
    "hop",
    [
        {"max_gap": 0, "low_bp": 1, "high_bp": 1},
        {"max_gap": 400 * DAY, "low_bp": 1, "high_bp": 1},
        {"max_gap": 1, "low_bp": 0, "high_bp": 1},
        {"max_gap": 1, "low_bp": 2, "high_bp": 1},
        {"max_gap": 1, "low_bp": 1, "high_bp": 1, "min_amount": -1},
        {"max_gap": 1, "low_bp": 1, "high_bp": 1, "max_degree": 1},
    ],
)
def test_a_hop_out_of_range_is_refused(hop: dict[str, int]) -> None:
    with pytest.raises(ScannerInputError):
        Hop(**hop)


def test_lengths_out_of_range_are_refused() -> None:
    g = graph_of([], [0])
    for bad in (1, 65):
        with pytest.raises(ScannerInputError, match="min_hops"):
            scan_chains(g, BAND, bad)
    for bad in (1, 9):
        with pytest.raises(ScannerInputError, match="max_edges"):
            scan_cycles(g, BAND, bad)
    with pytest.raises(ScannerInputError, match="budget"):
        scan_cycles(g, BAND, 3, budget=0)


# -- a network standard of the rule pack ----------------------------------------------------


def params_of(hop: Hop, **more: int) -> dict[str, Decimal]:
    """A network standard's parameters (as the pack gives them) that make `hop`."""
    return {
        "max_gap_hours": Decimal(hop.max_gap // HOUR),
        "low_share": Decimal(hop.low_bp) / 10_000,
        "high_share": Decimal(hop.high_bp) / 10_000,
        "min_edge_cny": Decimal(hop.min_amount) / 1000,
        "max_degree": Decimal(hop.max_degree),
        **{name: Decimal(value) for name, value in more.items()},
    }


def test_a_standard_s_parameters_are_its_hop_exactly_or_refused() -> None:
    hop = Hop(max_gap=72 * HOUR, low_bp=9_000, high_bp=11_000, min_amount=50_000_000, max_degree=50)
    assert hop_of(params_of(hop)) == hop
    for name, value in (("low_share", "0.90005"), ("min_edge_cny", "0.0005"),
                        ("max_gap_hours", "0.0001"), ("max_degree", "-3")):  # fmt: skip
        with pytest.raises(ScannerInputError, match=name):
            hop_of(params_of(hop) | {name: Decimal(value)})


@settings(max_examples=300, deadline=None)
@given(graphs(), st.integers(2, 4), st.sampled_from([0, 30, 50, 70, 101]))
def test_a_standard_s_structures_are_the_kernel_s_scoring_at_least_its_least(
    case: tuple[list[NaiveEdge], list[int], Hop], size: int, least: int
) -> None:
    edges, owner, hop = case
    hop = dataclasses.replace(hop, max_gap=max(HOUR, hop.max_gap // HOUR * HOUR))
    graph = graph_of(edges, owner)
    for family, found in (
        ("chain", scan_chains(graph, hop, size)),
        ("cycle", scan_cycles(graph, hop, size + 1)),
    ):
        paths = [
            found.edges[found.ptr[c] : found.ptr[c + 1]].tolist() for c in range(len(found.ptr) - 1)
        ]
        kept = [p for p in paths if score(p, edges, owner, naive_hop(hop)) >= least - 1e-9]
        more = {"min_hops": size} if family == "chain" else {"max_edges": size + 1}
        got = find_structures(family, params_of(hop, min_score=least, **more), graph)
        assert [got.edges[got.ptr[c] : got.ptr[c + 1]].tolist() for c in range(len(got))] == kept
        assert got.score == pytest.approx([score(p, edges, owner, naive_hop(hop)) for p in kept])
        event(f"{family}: {min(len(got), 2)} of {min(len(paths), 2)}")


def test_each_member_has_its_role_along_the_path() -> None:
    relay = [("A", "B"), ("B", "C"), ("C", "D")]
    assert roles("chain", relay) == {"A": SOURCE, "B": INTERMEDIARY, "C": INTERMEDIARY, "D": SINK}
    circle = [("A", "B"), ("B", "C"), ("C", "A")]
    assert roles("cycle", circle) == {"A": ORIGIN, "B": INTERMEDIARY, "C": INTERMEDIARY}
    # a chain back to where it started: its source, not also its sink
    assert roles("chain", circle) == {"A": SOURCE, "B": INTERMEDIARY, "C": INTERMEDIARY}
    with pytest.raises(ScannerInputError, match="network family"):
        find_structures("cash", {}, graph_of([], [0]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 6), max_size=60))
def test_edges_grouped_by_account_are_a_stable_sort(accounts: list[int]) -> None:
    codes = np.array(accounts, np.int64)
    order, ptr = by_account(codes, 7)
    assert order.tolist() == np.argsort(codes, kind="stable").tolist()
    assert ptr.tolist() == [0, *np.cumsum(np.bincount(codes, minlength=7)).tolist()]


def test_the_members_evidence_adds_at_most_its_points() -> None:
    base = np.array([50.0, 50.0, 95.0, 0.0])
    got = with_member_evidence(base, np.array([4, 4, 4, 0]), np.array([0, 2, 4, 0]),
                               np.array([5, 5, 5, 0]), np.array([0, 5, 5, 0]))  # fmt: skip
    assert got.tolist() == [50.0, 50.0 + 5.0 + 10.0, 100.0, 0.0]
