"""Detection quality of the network standards (chains, cycles, scatter-gathers, gather-scatters,
fan-in and fan-out bursts, bipartites and stacks) on a generated bank.

    python bench/quality_network.py --sample                 # the committed sample bank
    python bench/quality_network.py --customers 20000 --days 60

Generates a bank (or copies the sample), loads every day (the load derives the transfer
graph's edges), and runs the pack's network standards (`scanners.network.find_structures`,
as the nightly network stage does) over the 10-business-day window ending on every business
day, with the pack's parameters and with looser and tighter ones. Prints, per shape and parameter set,
the planted structures found (every member of a planted structure inside one structure of
its shape), the look-alikes caught, and the customers flagged (members of any structure
found on any night) as a share of the bank — for every structure, then for those of a
score of 40, 50, 60, 70 or more (`scanners.network.score`): the recall-against-flagged curve
a bank sets its budget by.
"""

from __future__ import annotations

import json
import time

import numpy as np
from quality_patterns import bank_arguments, loaded_bank  # beside this script

SHAPES = {"network_chain": "chain", "network_cycle": "cycle",
          "network_scatter_gather": "scatter_gather", "network_gather_scatter": "gather_scatter",
          "network_fan_in": "fan_in", "network_fan_out": "fan_out",
          "network_bipartite": "bipartite", "network_stack": "stack"}  # fmt: skip
# (name, changes to the pack's network standards' parameters): the pack's own, then looser
# and tighter hops (gap hours, band, least CNY, most transfers an account relays, least hops,
# most cycle edges, least fan)
SETTINGS: tuple[tuple[str, dict[str, str]], ...] = (
    ("pack", {}),
    ("loose", {"max_gap_hours": "120", "low_share": "0.7", "high_share": "1.3", "min_edge_cny": "10000",
               "max_degree": "200", "min_hops": "2", "min_fan": "2", "min_part_cny": "1000"}),
    ("tight", {"max_gap_hours": "48", "low_share": "0.95", "high_share": "1.05", "min_edge_cny": "80000",
               "max_degree": "20", "min_hops": "3", "max_edges": "4", "min_fan": "3"}),
)  # fmt: skip


def main() -> None:
    from decimal import Decimal

    from amlwatch.rules import NETWORK_FAMILIES, BusinessCalendar, load_pack
    from amlwatch.scanners.network import TransferGraph, find_structures
    from amlwatch.warehouse import Warehouse
    from amlwatch.warehouse.network import window_graph

    args = bank_arguments(__doc__, customers=20_000, days=60, seed=35,
                          out="bench/out/quality-network").parse_args()  # fmt: skip
    _, db, days = loaded_bank(args)
    out = db.parent
    cases = [
        json.loads(line) for line in (out / "ground_truth.jsonl").read_text("utf-8").splitlines()
    ]
    structures = [c for c in cases if "members" in c]
    # the planted structures' own customers: flagging them is finding them
    ringed = set().union(*(set(c["members"]) for c in structures if c["expect"] == "network"))
    rule = load_pack("pboc-2016").suspicious
    assert rule is not None
    standards = [s for s in rule.standards if s.family in NETWORK_FAMILIES]
    calendar = BusinessCalendar.load()
    nights = [d for d in days if calendar.is_business_day(d)]
    with Warehouse.open(db, read_only=True) as wh:
        edges = wh.rows("SELECT count(*) FROM transfer_edges")[0][0]
        accounts = wh.rows("SELECT count(*) FROM accounts")[0][0]
        started = time.perf_counter()
        graphs = [window_graph(wh, calendar.window_start(n, 10), n) for n in nights]
        read_s = time.perf_counter() - started
    print(f"bank: {args.customers:,} customers, {accounts:,} accounts, {len(days)} days, {edges:,} "
          f"edges between two of its accounts, {len(nights)} nights (their windows' graphs read "
          f"in {read_s:.2f} s), {len(ringed):,} customers in planted structures "
          f"({len(ringed) / args.customers:.2%}); standards "
          f"{', '.join(f'{s.code} ({s.family})' for s in standards)}")  # fmt: skip
    for name, changes in SETTINGS:
        found: dict[str, list[tuple[float, frozenset[str]]]] = {s.family: [] for s in standards}
        started = time.perf_counter()
        for g in graphs:
            graph = TransferGraph(g.src, g.dst, g.ts, g.amount, g.owner)
            customers = np.array(g.customers, dtype=object)
            for s in standards:
                params = next(iter(s.params.values()))
                params = params | {k: Decimal(v) for k, v in changes.items() if k in params}
                got = find_structures(s.family, params | {"min_score": Decimal(0)}, graph)
                for c in range(len(got)):
                    path = got.edges[got.ptr[c] : got.ptr[c + 1]]
                    people = customers[g.owner[np.concatenate([g.src[path], g.dst[path]])]]
                    found[s.family].append((float(got.score[c]), frozenset(people)))
        seconds = time.perf_counter() - started
        print(
            f"\n[{name}] {changes or 'the pack as it is'}: {seconds:.2f} s for {len(graphs)} nights"
        )
        print(f"  {'score >=':>9}  " + "  ".join(f"{k.removeprefix('network_'):>15}" for k in SHAPES)
              + "  look-alikes whole  customers flagged  of them in no planted structure")  # fmt: skip
        alone = {shape: len(set().union(*(m for _, m in found[shape]))) for shape in found}
        print("  customers flagged by each shape alone: "
              + ", ".join(f"{shape} {n:,}" for shape, n in alone.items()))  # fmt: skip
        for floor in (0, 40, 50, 60, 70):
            kept = {shape: [m for v, m in found[shape] if v >= floor] for shape in found}
            flagged = set().union(*(m for shape in kept.values() for m in shape))
            recalls = []
            for kind, shape in SHAPES.items():
                planted = [c for c in structures if c["kind"] == kind]
                hit = sum(1 for c in planted if any(set(c["members"]) <= m for m in kept[shape]))
                recalls.append(f"{hit:>4}/{len(planted):<4} {hit / max(1, len(planted)):>4.0%}")
            looks = [c for c in structures if c["expect"] == "no_network"]
            whole = sum(1 for c in looks if any(set(c["members"]) <= m for m in
                                                 (x for shape in kept.values() for x in shape)))  # fmt: skip
            outside = flagged - ringed
            print(f"  {floor:>9}  " + "  ".join(f"{r:>15}" for r in recalls)
                  + f"  {whole:>4}/{len(looks):<12} {len(flagged):>6,} "
                  f"({len(flagged) / args.customers:.2%})  {len(outside):>8,} "
                  f"({len(outside) / args.customers:.2%})")  # fmt: skip


if __name__ == "__main__":
    main()
