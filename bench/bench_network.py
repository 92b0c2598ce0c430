"""Network kernels benchmark: chains and cycles over a window's transfer graph, against the
same definitions written as DuckDB SQL, answers compared by digest.

    python bench/bench_network.py                       # 5M edges: 10 days of 500,000
    python bench/bench_network.py --edges 500000        # a quick look

The graph is what a 10-business-day window of a bank with 1,000,000 accounts holds between
two of its own accounts: payments drawn with heavy-tailed payers and payees (shops and
payroll accounts are hubs), amounts log-normal around 3,000 CNY, and planted relays and
circles of 2-6 customers with conserved amounts a few hours to two days apart. The hop:
within 3 days, amount 90-110 % of the previous one, every edge at least 10,000 CNY, no
account in more than 100 of the window's edges relaying (shops, payroll).

Formulations (each in its own process, so that its peak RSS is its own):

    kernel-chains   scan_chains: every edge's longest path, the chains of 3 edges or more
                    (found: the edges ending a path of 3 or more)
    sql-chains      the same lengths in DuckDB: the edges ending a path of k edges, k = 1,
                    2, … (one join per step, until none is left); an edge's length is the
                    last k it ends
    kernel-cycles   scan_cycles up to 6 edges: each edge's count of cycles (found: the
                    edges that start one)
    sql-cycles      the same cycles in DuckDB: paths grown one edge at a time (one join a
                    step, each step a table: as one query of self-joins the optimizer joins
                    the closing edge first and spills past 47 GB), counted per first edge
    kernel-fans     scan_fans: the scatter-gathers and gather-scatters through 3 customers
                    or more (found: each with its key customers and its relays' count)
    sql-fans        the same in DuckDB: the relays (one join), grouped by their ends or
                    their middle with distinct counts
    kernel-bursts   scan_bursts: the fan-in and fan-out bursts of 5 customers or more, parts of
                    1,000 CNY or more (found: each key transfer with its parts' count)
    sql-bursts      the same in DuckDB: each key joined to its hub's transfers on the other
                    side inside the gap, grouped by key with the distinct count and the band
    kernel-layers   scan_layers: the bipartites and stacks of 3 customers or more a side
                    (found: each with its least customer and its transfers' count)
    sql-layers      the same in DuckDB: the customer pairs pruned by a DELETE a round until
                    none goes, groups by label propagation (a round an UPDATE), each judged
                    by its sources, middles and sinks
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench_large_value import peak_rss_mb  # beside this script

ACCOUNTS = 1_000_000
DAY = 86_400
GAP, LOW, HIGH, LEAST = 3 * DAY, 9_000, 11_000, 10_000_000  # 10,000 CNY in thousandths
HUB = 100  # an account in more edges than this relays nothing
MIN_HOPS, MAX_EDGES = 3, 6
MIN_FAN = 3
BURST_FAN, MIN_PART = 5, 1_000_000  # bursts: five customers, parts of 1,000 CNY
MODES = ("kernel-chains", "sql-chains", "kernel-cycles", "sql-cycles", "kernel-fans", "sql-fans",
         "kernel-bursts", "sql-bursts", "kernel-layers", "sql-layers")  # fmt: skip


def build(path: Path, edges: int, seed: int = 5) -> None:
    """The graph's arrays, into an .npz file."""
    rng = np.random.default_rng(seed)
    owner = np.arange(ACCOUNTS, dtype=np.int64) // np.where(np.arange(ACCOUNTS) < 200_000, 2, 1)
    weight = rng.pareto(1.2, ACCOUNTS) + 1  # hubs: a few accounts in most transfers
    cdf = np.cumsum(weight) / weight.sum()
    src = np.searchsorted(cdf, rng.random(edges)).clip(0, ACCOUNTS - 1)
    dst = np.searchsorted(cdf, rng.random(edges)).clip(0, ACCOUNTS - 1)
    ts = rng.integers(0, 10 * DAY, edges)
    amount = (np.exp(rng.normal(np.log(3_000), 1.6, edges)).clip(1, 5e7) * 1000).astype(np.int64)
    planted = []
    for k in range(600):  # bipartites (k even: 3 paying 2 of 3) and stacks (k odd: two layers)
        people = rng.choice(ACCOUNTS, 9, replace=False)
        t, value = int(rng.integers(0, 7 * DAY)), int(rng.integers(50_000, 500_000)) * 1000
        layers = [people[:3], people[3:6], people[6:]][: 3 if k % 2 else 2]
        for depth, (here, nxt) in enumerate(itertools.pairwise(layers)):
            for i, a in enumerate(here):
                for j in range(2):
                    planted.append((a, nxt[(i + j) % 3], t, value * (98**depth) // (100**depth)))
                    t += int(rng.integers(600, 3_600))
            t += int(rng.integers(3_600, DAY))
    for k in range(2_000):  # relays (k even) and circles (k odd) of 2-6 customers
        size = int(rng.integers(2, 7))
        members = rng.choice(ACCOUNTS, size, replace=False)
        route = np.append(members, members[0]) if k % 2 else members
        t, value = int(rng.integers(0, 7 * DAY)), int(rng.integers(50_000, 2_000_000)) * 1000
        for a, b in itertools.pairwise(route):
            planted.append((a, b, t, value))
            t += int(rng.integers(3_600, 2 * DAY))
            value = value * int(rng.integers(9_600, 10_000)) // 10_000
    p = np.array(planted, np.int64)
    src, dst = np.concatenate([src, p[:, 0]]), np.concatenate([dst, p[:, 1]])
    ts, amount = np.concatenate([ts, p[:, 2]]), np.concatenate([amount, p[:, 3]])
    order = np.argsort(ts, kind="stable")
    np.savez(path, src=src[order], dst=dst[order], ts=ts[order], amount=amount[order], owner=owner)


def _digest(pairs: list[tuple[int, ...]]) -> str:
    return hashlib.sha256(repr(sorted(pairs)).encode()).hexdigest()[:16]


def measure(mode: str, path: Path) -> dict[str, object]:
    from amlwatch.scanners.network import (
        Hop,
        TransferGraph,
        relays,
        scan_bursts,
        scan_chains,
        scan_cycles,
        scan_fans,
        scan_layers,
    )

    data = np.load(path)
    graph = TransferGraph(data["src"], data["dst"], data["ts"], data["amount"], data["owner"])
    hop = Hop(GAP, LOW, HIGH, LEAST, HUB)
    out: dict[str, object] = {"mode": mode, "edges": len(graph.src)}
    if mode.startswith("kernel"):
        tiny = TransferGraph(*(a[:100] for a in (graph.src, graph.dst, graph.ts, graph.amount)),
                             graph.owner)  # fmt: skip
        scan_chains(tiny, hop, MIN_HOPS), scan_cycles(tiny, hop, MAX_EDGES)  # load the cached code
        scan_fans(tiny, hop, "scatter_gather", MIN_FAN)
        scan_bursts(tiny, hop, "fan_in", BURST_FAN, MIN_PART)
        started = time.perf_counter()
        found: list[tuple[int, ...]]
        if mode == "kernel-layers":  # both shapes: (shape, least customer, transfers)
            found = []
            for k, shape in enumerate(("bipartite", "stack")):
                layers = scan_layers(graph, hop, shape, MIN_FAN)
                for c in range(len(layers)):
                    edges = layers.edges[layers.ptr[c] : layers.ptr[c + 1]]
                    least = int(
                        graph.owner[np.concatenate([graph.src[edges], graph.dst[edges]])].min()
                    )
                    found.append((k, least, len(edges)))
            out["found"] = len(found)
        elif mode == "kernel-bursts":  # both shapes: (shape, key edge, its parts)
            found = []
            for k, shape in enumerate(("fan_in", "fan_out")):
                bursts = scan_bursts(graph, hop, shape, BURST_FAN, MIN_PART)
                keys, counts = np.unique(bursts.key, return_counts=True)
                found += [(k, int(e), int(c)) for e, c in zip(keys, counts, strict=True)]
            out["found"] = len(found)
        elif mode == "kernel-fans":  # both shapes: (shape, its key customers, its relays)
            owner = graph.owner
            found = []
            shared = relays(graph, hop)  # one window's relays, for both shapes (as the stage)
            for k, shape in enumerate(("scatter_gather", "gather_scatter")):
                fans = scan_fans(graph, hop, shape, MIN_FAN, shared)
                for c in range(len(fans)):
                    e, f = fans.first[fans.relay_ptr[c]], fans.then[fans.relay_ptr[c]]
                    ends = (
                        (owner[graph.src[e]], owner[graph.dst[f]])
                        if k == 0
                        else (owner[graph.dst[e]], -1)
                    )
                    found.append((k, int(ends[0]), int(ends[1]), int(np.diff(fans.relay_ptr)[c])))
            out["found"] = len(found)
        elif mode == "kernel-chains":
            chains = scan_chains(graph, hop, MIN_HOPS)
            found = [(int(e), int(n)) for e, n in enumerate(chains.length) if n > 1]
            out["found"] = int((chains.length >= MIN_HOPS).sum())
        else:
            cycles = scan_cycles(graph, hop, MAX_EDGES)
            found = [(int(e), int(cycles.count[e])) for e in cycles.first]
            out["found"] = len(cycles)
        out["seconds"] = time.perf_counter() - started
    else:
        found = _sql(mode, data, out)
    out["answer"] = _digest(found)
    out["rss"] = peak_rss_mb()
    return out


def _sql(mode: str, data: np.lib.npyio.NpzFile, out: dict[str, object]) -> list[tuple[int, ...]]:
    import duckdb
    import pyarrow as pa

    con = duckdb.connect(config={"temp_directory": "/tmp/bench-network-duckdb",
                                 "max_temp_directory_size": "20GB"})  # fmt: skip
    n = len(data["src"])
    edges = pa.table({"e": np.arange(n), "src": data["src"], "dst": data["dst"], "ts": data["ts"],
                      "amount": data["amount"]})  # fmt: skip
    owners = pa.table({"account": np.arange(len(data["owner"])), "owner": data["owner"]})
    started = time.perf_counter()
    con.register("_edges", edges)
    con.register("_owners", owners)
    con.execute(
        f"""CREATE TABLE hub AS SELECT account FROM (
               SELECT src AS account FROM _edges UNION ALL SELECT dst FROM _edges)
            GROUP BY account HAVING count(*) > {HUB}"""
    ).fetchall()
    con.execute(
        f"""CREATE TABLE g AS SELECT e.*, a.owner AS src_owner, b.owner AS dst_owner,
                  e.dst IN (SELECT account FROM hub) AS dst_hub
            FROM _edges e JOIN _owners a ON a.account = e.src JOIN _owners b ON b.account = e.dst
            WHERE a.owner <> b.owner AND e.amount >= {LEAST}"""
    ).fetchall()
    # the edges whose payee may relay (not a hub): the left side of every hop
    con.execute("CREATE TABLE relay AS SELECT * FROM g WHERE NOT dst_hub").fetchall()
    hop = f"""f.src = e.dst AND f.ts > e.ts AND f.ts <= e.ts + {GAP}
              AND f.amount * 10000 >= {LOW} * e.amount AND f.amount * 10000 <= {HIGH} * e.amount"""
    if mode == "sql-layers":
        return _sql_layers(con, out, started)
    if mode == "sql-bursts":  # each key with its hub's other side inside the gap
        con.execute(
            f"""CREATE TABLE parts AS SELECT e.*, a.owner AS src_owner, b.owner AS dst_owner
                FROM _edges e JOIN _owners a ON a.account = e.src JOIN _owners b ON b.account = e.dst
                WHERE a.owner <> b.owner AND e.amount >= {MIN_PART}"""
        ).fetchall()
        rows = con.execute(
            f"""SELECT 0, k.e, count(*) FROM g k JOIN parts p
                  ON p.dst = k.src AND p.ts >= k.ts - {GAP} AND p.ts < k.ts
                 AND p.src_owner <> k.src_owner AND p.src_owner <> k.dst_owner
                WHERE k.src NOT IN (SELECT account FROM hub)
                GROUP BY k.e, k.amount
                HAVING count(DISTINCT p.src_owner) >= {BURST_FAN}
                   AND k.amount * 10000 BETWEEN {LOW} * sum(p.amount) AND {HIGH} * sum(p.amount)
                UNION ALL
                SELECT 1, k.e, count(*) FROM g k JOIN parts p
                  ON p.src = k.dst AND p.ts > k.ts AND p.ts <= k.ts + {GAP}
                 AND p.dst_owner <> k.dst_owner AND p.dst_owner <> k.src_owner
                WHERE NOT k.dst_hub
                GROUP BY k.e, k.amount
                HAVING count(DISTINCT p.dst_owner) >= {BURST_FAN}
                   AND sum(p.amount) * 10000 BETWEEN {LOW} * k.amount AND {HIGH} * k.amount"""
        ).fetchall()
        out["found"] = len(rows)
        out["seconds"] = time.perf_counter() - started
        return [tuple(int(x) for x in r) for r in rows]
    if mode == "sql-fans":  # the relays, then grouped by their ends (scatter-gather) or middle
        con.execute(
            f"""CREATE TABLE relays AS SELECT e.src_owner AS a, e.dst_owner AS b, f.dst_owner AS c
                FROM relay e JOIN g f ON {hop} AND f.dst_owner <> e.src_owner"""
        ).fetchall()
        rows = con.execute(
            f"""SELECT 0, a, c, count(*) FROM relays GROUP BY a, c
                HAVING count(DISTINCT b) >= {MIN_FAN}
                UNION ALL
                SELECT 1, b, -1, count(*) FROM relays GROUP BY b
                HAVING count(DISTINCT a) >= {MIN_FAN} AND count(DISTINCT c) >= {MIN_FAN}"""
        ).fetchall()
        out["found"] = len(rows)
        out["seconds"] = time.perf_counter() - started
        return [tuple(int(x) for x in r) for r in rows]
    if mode == "sql-chains":
        con.execute("CREATE TABLE length AS SELECT e, 1 AS k FROM g").fetchall()
        con.execute("CREATE TABLE frontier AS SELECT e FROM g").fetchall()
        k = 1
        while True:
            k += 1
            con.execute(
                f"""CREATE OR REPLACE TABLE frontier AS SELECT DISTINCT f.e FROM frontier p
                    JOIN relay e ON e.e = p.e JOIN g f ON {hop} AND f.dst_owner <> e.src_owner"""
            ).fetchall()
            if not con.execute("SELECT count(*) FROM frontier").fetchall()[0][0]:
                break
            con.execute(f"INSERT INTO length SELECT e, {k} FROM frontier").fetchall()
        rows = con.execute("SELECT e, max(k) FROM length GROUP BY e HAVING max(k) > 1").fetchall()
        out["found"] = sum(1 for _, length in rows if length >= MIN_HOPS)
    else:  # paths grown one edge at a time, each step a table (no join order to get wrong)
        con.execute(
            """CREATE TABLE path AS SELECT e AS first, e AS last, src_owner AS origin,
                      [dst_owner] AS seen FROM relay"""
        ).fetchall()
        con.execute("CREATE TABLE closed (first BIGINT)").fetchall()
        for _ in range(2, MAX_EDGES + 1):
            con.execute(
                f"""CREATE OR REPLACE TABLE step AS
                    SELECT p.first, f.e AS last, p.origin, f.dst_owner AS reached, f.dst_hub,
                           list_append(p.seen, f.dst_owner) AS seen
                    FROM path p JOIN relay e ON e.e = p.last JOIN g f ON {hop}
                    WHERE f.dst_owner = p.origin OR NOT list_contains(p.seen, f.dst_owner)"""
            ).fetchall()
            con.execute(
                "INSERT INTO closed SELECT first FROM step WHERE reached = origin"
            ).fetchall()
            con.execute(
                """CREATE OR REPLACE TABLE path AS SELECT first, last, origin, seen FROM step
                   WHERE reached <> origin AND NOT dst_hub"""
            ).fetchall()
        rows = con.execute("SELECT first, count(*) FROM closed GROUP BY first").fetchall()
        out["found"] = len(rows)
    out["seconds"] = time.perf_counter() - started
    return [(int(e), int(c)) for e, c in rows]


def _sql_layers(con: object, out: dict[str, object], started: float) -> list[tuple[int, ...]]:
    """Bipartites and stacks in DuckDB, time slice by time slice as the kernel cuts them: pairs
    pruned, groups labelled, each group judged; the same edges once, none inside another."""
    run = con.execute  # type: ignore[attr-defined]
    run(
        """CREATE TABLE usable AS SELECT * FROM g
           WHERE NOT dst_hub AND src NOT IN (SELECT account FROM hub)"""
    ).fetchall()
    first, last = run("SELECT min(ts), max(ts) FROM usable").fetchall()[0]
    answer: list[tuple[int, ...]] = []
    for k_shape, span in ((0, GAP), (1, 2 * GAP)):
        half = (span + 1) // 2
        found: set[tuple[int, ...]] = set()
        least: dict[tuple[int, ...], int] = {}
        for k in range(first // half, last // half + 1):
            for edges, label in _sql_slice(run, k_shape, k * half, (k + 3) * half):
                found.add(edges)
                least[edges] = label
        for edges in found:
            if not any(len(o) > len(edges) and set(edges) <= set(o) for o in found):
                answer.append((k_shape, least[edges], len(edges)))
    out["found"] = len(answer)
    out["seconds"] = time.perf_counter() - started
    return answer


def _sql_slice(run: Any, shape: int, lo: int, hi: int) -> list[tuple[tuple[int, ...], int]]:
    run(
        f"CREATE OR REPLACE TABLE u AS SELECT * FROM usable WHERE ts >= {lo} AND ts < {hi}"
    ).fetchall()
    run(
        "CREATE OR REPLACE TABLE lp AS SELECT DISTINCT src_owner AS p, dst_owner AS q FROM u"
    ).fetchall()
    while True:  # a round removes the pairs of a payer or payee with one partner left
        before = run("SELECT count(*) FROM lp").fetchall()[0][0]
        run(
            """DELETE FROM lp WHERE p IN (SELECT p FROM lp GROUP BY p HAVING count(*) < 2)
                                 OR q IN (SELECT q FROM lp GROUP BY q HAVING count(*) < 2)"""
        ).fetchall()
        if run("SELECT count(*) FROM lp").fetchall()[0][0] == before:
            break
    run(
        """CREATE OR REPLACE TABLE label AS
           SELECT c, c AS l FROM (SELECT p AS c FROM lp UNION SELECT q FROM lp)"""
    ).fetchall()
    while True:  # each customer takes the least label of its neighbours, until none changes
        changed = run(
            """WITH n AS (SELECT a.c, min(b.l) AS l FROM label a
                          JOIN (SELECT p AS x, q AS y FROM lp UNION ALL SELECT q, p FROM lp) e
                            ON e.x = a.c JOIN label b ON b.c = e.y GROUP BY a.c)
               UPDATE label SET l = n.l FROM n WHERE n.c = label.c AND n.l < label.l"""
        ).fetchall()[0][0]
        if not changed:
            break
    judged = (
        f"middles = 0 AND sources >= {MIN_FAN} AND sinks >= {MIN_FAN} AND span <= {GAP}"
        if shape == 0
        else f"""middles >= {MIN_FAN} AND sources >= {MIN_FAN} AND sinks >= {MIN_FAN}
                 AND span <= 2 * {GAP} AND l NOT IN (SELECT l FROM bad)"""
    )
    rows = run(
        f"""WITH e AS (SELECT u.*, l.l FROM u JOIN lp ON lp.p = u.src_owner AND lp.q = u.dst_owner
                       JOIN label l ON l.c = u.src_owner),
            pays AS (SELECT DISTINCT l, src_owner AS c FROM e),
            paid AS (SELECT DISTINCT l, dst_owner AS c FROM e),
            mid AS (SELECT l, c FROM pays INTERSECT SELECT l, c FROM paid),
            counts AS (SELECT l, (SELECT count(*) FROM pays x WHERE x.l = e.l) AS payers,
                              (SELECT count(*) FROM paid x WHERE x.l = e.l) AS payees,
                              (SELECT count(*) FROM mid m WHERE m.l = e.l) AS middles,
                              max(ts) - min(ts) AS span, list(e.e ORDER BY e.e) AS edges
                       FROM e GROUP BY l),
            sizes AS (SELECT l, payers - middles AS sources, payees - middles AS sinks, middles,
                             span, edges FROM counts),
            flows AS (SELECT m.l, m.c,
                        (SELECT sum(amount) FROM e WHERE e.l = m.l AND e.dst_owner = m.c) AS got,
                        (SELECT sum(amount) FROM e WHERE e.l = m.l AND e.src_owner = m.c) AS gave,
                        (SELECT min(ts) FROM e WHERE e.l = m.l AND e.dst_owner = m.c) AS first_in,
                        (SELECT min(ts) FROM e WHERE e.l = m.l AND e.src_owner = m.c) AS first_out
                      FROM mid m),
            bad AS (SELECT DISTINCT l FROM flows
                    WHERE NOT (gave * 10000 BETWEEN {LOW} * got AND {HIGH} * got) OR first_out <= first_in)
            SELECT edges, l FROM sizes WHERE {judged}"""
    ).fetchall()
    return [(tuple(int(x) for x in edges), int(label)) for edges, label in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--out", type=Path, default=Path("bench/out/network"))
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], Path(args.one[1]))))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"graph-{args.edges}.npz"
    if not path.exists():
        build(path, args.edges)
    results: dict[str, list[dict]] = {}
    for mode in args.modes.split(","):
        for _ in range(args.repeat):
            child = subprocess.run([sys.executable, __file__, "--one", mode, str(path)],
                                   capture_output=True, text=True)  # fmt: skip
            if child.returncode != 0:
                print(f"{mode} failed:\n{child.stderr[-2000:]}")
                break
            results.setdefault(mode, []).append(json.loads(child.stdout.strip().splitlines()[-1]))
    print(f"\n{args.edges:,} edges between 1,000,000 accounts; median of {args.repeat} run(s)")
    print(f"{'formulation':<15}{'seconds':>9}{'edges/s':>14}{'found':>8}{'peak RSS':>11}  answer")
    median = {}
    for mode, runs in results.items():
        runs.sort(key=lambda r: r["seconds"])
        m = runs[len(runs) // 2]
        median[mode] = m["seconds"]
        every = " / ".join(f"{r['seconds']:.2f}" for r in runs)
        print(
            f"{mode:<15}{m['seconds']:>9.2f}{m['edges'] / m['seconds']:>14,.0f}{m['found']:>8,}"
            f"{m['rss']:>9,.0f}MB  {m['answer']}  ({every})"
        )
    for shape in ("chains", "cycles", "fans", "bursts", "layers"):
        kernel, sql = median.get(f"kernel-{shape}"), median.get(f"sql-{shape}")
        if kernel and sql:
            same = results[f"kernel-{shape}"][0]["answer"] == results[f"sql-{shape}"][0]["answer"]
            print(f"{shape}: the kernel is {sql / kernel:.1f}x as fast as SQL, same answer: {same}")


if __name__ == "__main__":
    main()
