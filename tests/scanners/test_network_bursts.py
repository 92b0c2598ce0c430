"""Fan-in and fan-out bursts that end in a pass-through (`scanners.network.bursts`): named
cases and the kernel against its naive twin on generated graphs."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.network import Hop, burst_scores, find_structures, scan_bursts
from amlwatch.scanners.network.bursts import FAN_IN, FAN_OUT
from amlwatch.scanners.network.standards import INTERMEDIARY, SINK, SOURCE, roles
from tests.naive_network import NaiveEdge, burst_score, bursts
from tests.scanners.test_network_fans import BAND, HOUR, graph_of, naive_hop

PART = 5_000_000  # 5,000 CNY


def structures(found: object) -> list[tuple[list[int], list[tuple[int, int]]]]:
    """A kernel's answer as the naive twin gives it: (edges, (key, part) pairs) per structure."""
    ptr, edges, pptr = found.ptr, found.edges, found.pair_ptr  # type: ignore[attr-defined]
    key, part = found.key, found.part  # type: ignore[attr-defined]
    return [
        (edges[ptr[c] : ptr[c + 1]].tolist(),
         sorted(zip(key[pptr[c] : pptr[c + 1]].tolist(), part[pptr[c] : pptr[c + 1]].tolist(),
                    strict=True)))
        for c in range(len(ptr) - 1)
    ]  # fmt: skip


def fan_in(payers: int, part: int = 20_000_000, keep: float = 0.98) -> list[NaiveEdge]:
    """Accounts 1 .. payers each pay account 0 an hour apart; account 0 then passes the sum
    on to account 9 in one payment."""
    parts = [NaiveEdge(1 + k, 0, k * HOUR, part) for k in range(payers)]
    return [*parts, NaiveEdge(0, 9, (payers + 2) * HOUR, int(part * payers * keep))]


def test_money_gathered_from_four_and_passed_on_whole_is_one_fan_in() -> None:
    owner = list(range(10))
    edges = fan_in(4)  # 4 × 20,000 in, 78,400 on
    found = scan_bursts(graph_of(edges, owner), BAND, FAN_IN, 3, PART)
    assert structures(found) == [([0, 1, 2, 3, 4], [(4, 0), (4, 1), (4, 2), (4, 3)])]
    # each part below the least transfer (50,000): a fan-in's parts are small by nature
    assert all(e.amount < BAND.min_amount for e in edges[:4])
    # too few payers, the sum not passed on, or too slow: none
    assert len(scan_bursts(graph_of(fan_in(2), owner), BAND, FAN_IN, 3, PART)) == 0
    assert len(scan_bursts(graph_of(fan_in(4, keep=0.6), owner), BAND, FAN_IN, 3, PART)) == 0
    slow = [*edges[:4], NaiveEdge(0, 9, 80 * HOUR, edges[4].amount)]
    assert len(scan_bursts(graph_of(slow, owner), BAND, FAN_IN, 3, PART)) == 0
    # parts under the least part amount do not count
    assert len(scan_bursts(graph_of(edges, owner), BAND, FAN_IN, 3, 30_000_000)) == 0


def test_one_sum_received_and_split_among_four_is_one_fan_out() -> None:
    owner = list(range(10))
    edges = [NaiveEdge(9, 0, 0, 100_000_000)]
    edges += [NaiveEdge(0, 1 + k, (2 + k) * HOUR, 24_500_000) for k in range(4)]
    found = scan_bursts(graph_of(edges, owner), BAND, FAN_OUT, 3, PART)
    assert structures(found) == [([0, 1, 2, 3, 4], [(0, 1), (0, 2), (0, 3), (0, 4)])]
    # the same split by one customer's own accounts is no fan: their owner is one
    one = [0, 1, 1, 1, 1, 5, 6, 7, 8, 9]
    assert len(scan_bursts(graph_of(edges, one), BAND, FAN_OUT, 3, PART)) == 0
    # a payroll account (more transfers than max_degree) splits nothing
    payroll = Hop(BAND.max_gap, BAND.low_bp, BAND.high_bp, BAND.min_amount, max_degree=4)
    assert len(scan_bursts(graph_of(edges, owner), payroll, FAN_OUT, 3, PART)) == 0


def test_a_burst_s_members_have_their_roles() -> None:
    pairs = [("A1", "H"), ("A2", "H"), ("A3", "H"), ("H", "C")]
    assert roles(FAN_IN, pairs) == {
        "A1": SOURCE, "H": INTERMEDIARY, "A2": SOURCE, "A3": SOURCE, "C": SINK,
    }  # fmt: skip


def test_a_standard_of_either_burst_keeps_what_scores_at_least_its_least() -> None:
    owner = list(range(10))
    graph = graph_of(fan_in(4), owner)
    params = {
        "max_gap_hours": Decimal(72), "low_share": Decimal("0.9"), "high_share": Decimal("1.1"),
        "min_edge_cny": Decimal(50_000), "min_part_cny": Decimal(5_000),
        "max_degree": Decimal(50), "min_fan": Decimal(3), "min_score": Decimal(0),
    }  # fmt: skip
    found = find_structures(FAN_IN, params, graph)
    assert len(found) == 1 and 0 < found.score[0] <= 100
    assert len(find_structures(FAN_IN, params | {"min_score": Decimal(100)}, graph)) == 0
    with pytest.raises(ScannerInputError, match="min_part_cny"):
        find_structures(FAN_IN, params | {"min_part_cny": Decimal("0.0001")}, graph)


@pytest.mark.parametrize(
    ("shape", "fan", "part"), [("fan", 3, 0), (FAN_IN, 1, 0), (FAN_OUT, 3, -1)]
)
def test_a_shape_a_fan_or_a_part_out_of_range_is_refused(shape: str, fan: int, part: int) -> None:
    graph = graph_of(fan_in(3), list(range(10)))
    with pytest.raises(ScannerInputError):
        scan_bursts(graph, BAND, shape, fan, part)


# -- generated graphs against the naive twin -----------------------------------------------


@st.composite
def burst_graphs(draw: st.DrawFn, shape: str) -> tuple[list[NaiveEdge], list[int], Hop, int]:
    accounts = draw(st.integers(3, 8))
    owner = list(range(accounts))  # a customer an account, but for one that may have two
    owner[draw(st.integers(0, accounts - 1))] = draw(st.integers(0, accounts - 1))
    parts = st.sampled_from([20_000, 20_000, 25_000, 5_000, 0])
    timed: list[tuple[int, int, int, int]] = []
    for _ in range(draw(st.integers(1, 2))):  # bursts, perhaps broken by an amount or a time
        p = draw(st.permutations(range(accounts)))  # distinct accounts, roles by position
        k = draw(st.integers(min(2, accounts - 2), accounts - 2))
        t = draw(st.integers(1, 4))
        amounts = [draw(parts) for _ in range(k)]
        whole = sum(amounts) * draw(st.sampled_from([100, 100, 100, 97, 120, 50])) // 100
        if draw(st.sampled_from([shape, shape, shape, "other"])) == FAN_IN:  # p[0] → p[1]
            timed += [(t - draw(st.integers(0, 1)), a, p[0], x)
                      for a, x in zip(p[2 : 2 + k], amounts, strict=True)]  # fmt: skip
            timed.append((t + draw(st.sampled_from([1, 1, 2, 0, 5])), p[0], p[1], whole))
        else:  # received by p[0] from p[1], split on
            timed.append((t, p[1], p[0], whole))
            timed += [(t + draw(st.sampled_from([1, 1, 2, 0, 5])), p[0], c, x)
                      for c, x in zip(p[2 : 2 + k], amounts, strict=True)]  # fmt: skip
    for _ in range(draw(st.integers(0, 3))):  # and anything else
        src, dst = draw(st.integers(0, accounts - 1)), draw(st.integers(0, accounts - 1))
        timed.append((draw(st.integers(0, 8)), src, dst, draw(parts)))
    timed.sort(key=lambda x: x[0])
    edges = [NaiveEdge(src, dst, t * HOUR, amount) for t, src, dst, amount in timed]
    hop = Hop(
        max_gap=draw(st.sampled_from([HOUR, 3 * HOUR, *[12 * HOUR] * 4])),
        low_bp=draw(st.sampled_from([7_000, 9_000, 9_000, 10_000])),
        high_bp=draw(st.sampled_from([10_000, 13_000, 13_000])),
        min_amount=draw(st.sampled_from([0, 0, 40_000])),
        max_degree=draw(st.sampled_from([*[1 << 40] * 4, 5, 3])),
    )
    return edges, owner, hop, draw(st.sampled_from([0, 0, 10_000, 22_000]))


@settings(max_examples=800, deadline=None)
@given(st.data(), st.sampled_from((FAN_IN, FAN_OUT)), st.integers(2, 3))
def test_bursts_are_the_naive_bursts_and_score_by_the_naive_formula(
    data: st.DataObject, shape: str, min_fan: int
) -> None:
    edges, owner, hop, min_part = data.draw(burst_graphs(shape))
    graph = graph_of(edges, owner)
    found = scan_bursts(graph, hop, shape, min_fan, min_part)
    naive = bursts(edges, owner, naive_hop(hop), shape, min_fan, min_part)
    assert structures(found) == naive
    assert burst_scores(graph, hop, found, shape == FAN_IN) == pytest.approx(
        [burst_score(s, edges, owner, naive_hop(hop), shape == FAN_IN) for s in naive]
    )
    event(f"{shape}: {min(len(naive), 2)}")


def test_an_empty_graph_has_no_bursts() -> None:
    graph = graph_of([], [0])
    for shape in (FAN_IN, FAN_OUT):
        found = scan_bursts(graph, BAND, shape, 2, 0)
        assert len(found) == 0 and burst_scores(graph, BAND, found, shape == FAN_IN).size == 0
        assert np.array_equal(found.ptr, [0])
