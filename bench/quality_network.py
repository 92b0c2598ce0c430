"""Detection quality of the network kernels (chains, cycles) on a generated bank.

    python bench/quality_network.py --sample                 # the committed sample bank
    python bench/quality_network.py --customers 20000 --days 60

Generates a bank (or copies the sample), loads every day (the load derives the transfer
graph's edges), and runs the kernels over the 10-business-day window ending on every
business day, as a nightly network stage would. Prints, per shape and per parameter set,
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

SHAPES = {"network_chain": "chains", "network_cycle": "cycles"}
DAY = 86_400
# (name, max_gap seconds, band low / high bp, least CNY, most degree, least chain edges,
# most cycle edges)
SETTINGS = (
    ("default", 3 * DAY, 9_000, 11_000, 50_000, 50, 3, 6),
    ("loose", 5 * DAY, 7_000, 13_000, 10_000, 200, 2, 6),
    ("tight", 2 * DAY, 9_500, 10_500, 80_000, 20, 3, 4),
)


def main() -> None:
    from amlwatch.rules import BusinessCalendar
    from amlwatch.scanners.network import (
        Hop,
        TransferGraph,
        scan_chains,
        scan_cycles,
        structure_scores,
    )
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
    calendar = BusinessCalendar.load()
    nights = [d for d in days if calendar.is_business_day(d)]
    with Warehouse.open(db, read_only=True) as wh:
        edges = wh.rows("SELECT count(*) FROM transfer_edges")[0][0]
        graphs = [window_graph(wh, calendar.window_start(n, 10), n) for n in nights]
    print(f"bank: {args.customers:,} customers, {len(days)} days, {edges:,} edges between two "
          f"of its accounts, {len(nights)} nights")  # fmt: skip
    for name, gap, low, high, least, degree, min_hops, max_edges in SETTINGS:
        hop = Hop(gap, low, high, least * 1000, degree)
        found: dict[str, list[tuple[float, frozenset[str]]]] = {"chains": [], "cycles": []}
        started = time.perf_counter()
        for g in graphs:
            graph = TransferGraph(g.src, g.dst, g.ts, g.amount, g.owner)
            customers = np.array(g.customers, dtype=object)
            for shape, got in (("chains", scan_chains(graph, hop, min_hops)),
                               ("cycles", scan_cycles(graph, hop, max_edges))):  # fmt: skip
                scores = structure_scores(graph, hop, got.ptr, got.edges)
                for c in range(len(got.ptr) - 1):
                    path = got.edges[got.ptr[c] : got.ptr[c + 1]]
                    people = customers[g.owner[np.concatenate([g.src[path], g.dst[path]])]]
                    found[shape].append((float(scores[c]), frozenset(people)))
        seconds = time.perf_counter() - started
        print(f"\n[{name}] gap {gap // 3600} h, band {low / 100:.0f}-{high / 100:.0f} %, least "
              f"{least:,} CNY, hub over {degree} edges, chains of {min_hops}+ edges, cycles of "
              f"2-{max_edges}: {seconds:.2f} s for {len(graphs)} nights")  # fmt: skip
        print(f"  {'score >=':>9}  " + "  ".join(f"{k:>15}" for k in SHAPES)
              + "  look-alikes whole  customers flagged")  # fmt: skip
        for floor in (0, 40, 50, 60, 70):
            kept = {shape: [m for v, m in found[shape] if v >= floor] for shape in found}
            flagged = set().union(*kept["chains"], *kept["cycles"])
            recalls = []
            for kind, shape in SHAPES.items():
                planted = [c for c in structures if c["kind"] == kind]
                hit = sum(1 for c in planted if any(set(c["members"]) <= m for m in kept[shape]))
                recalls.append(f"{hit:>4}/{len(planted):<4} {hit / max(1, len(planted)):>4.0%}")
            looks = [c for c in structures if c["expect"] == "no_network"]
            whole = sum(1 for c in looks if set(c["members"]) <= flagged)
            print(f"  {floor:>9}  " + "  ".join(f"{r:>15}" for r in recalls)
                  + f"  {whole:>4}/{len(looks):<12} {len(flagged):>6,} "
                  f"({len(flagged) / args.customers:.2%})")  # fmt: skip


if __name__ == "__main__":
    main()
