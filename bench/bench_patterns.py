"""Scatter / concentrate benchmark: the stage and its kernel against the same rule written as
DuckDB SQL and as pandas, on the same generated data, results checked identical.

    python bench/bench_patterns.py                       # the issue's figures (a) and (b)
    python bench/bench_patterns.py --rows 2000000 --backtest-rows 1000000   # a quick look

(a) one night: the windows ending on one day over a 10-business-day window of --rows
    transactions (peer: one GROUP BY);
(b) a backtest: the windows ending on every day of a 60-day range over --backtest-rows
    transactions (peers: a range join of transactions to window ends, and pandas slicing).

The transactions are written straight into a warehouse file (no ingest: this measures the
stage). Each measurement runs in its own process, so its peak RSS (VmHWM) is its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

NIGHT_END = dt.date(2026, 11, 20)  # Friday; its window starts Monday 2026-11-09
BACKTEST_FIRST, BACKTEST_LAST = (
    dt.date(2026, 9, 1),
    dt.date(2026, 10, 30),
)  # 60 days, National Day inside


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def ends_of(workload: str) -> list[dt.date]:
    if workload == "a":
        return [NIGHT_END]
    return [
        BACKTEST_FIRST + dt.timedelta(days=i)
        for i in range((BACKTEST_LAST - BACKTEST_FIRST).days + 1)
    ]


def span_of(workload: str) -> tuple[dt.date, dt.date]:
    from amlwatch.rules import BusinessCalendar

    ends = ends_of(workload)
    return BusinessCalendar.load().window_start(ends[0], 10), ends[-1]


def build(db: Path, rows: int, workload: str, seed: int = 11) -> None:
    """Customers, background transfers and planted rings over the workload's days."""
    from amlwatch.warehouse import Warehouse

    rng = np.random.default_rng(seed)
    first, last = span_of(workload)
    days = np.arange(np.datetime64(first), np.datetime64(last) + 1)
    customers = max(2_000, rows // 20)
    entity = rng.random(customers) < 0.12
    activity = rng.lognormal(0, 1.0, customers)
    customer = np.searchsorted(np.cumsum(activity) / activity.sum(), rng.random(rows)).clip(
        0, customers - 1
    )
    weekend = np.array([d.astype(dt.date).weekday() >= 5 for d in days])
    weights = np.where(weekend, 0.55, 1.0)
    day = days[rng.choice(len(days), rows, p=weights / weights.sum())]
    seconds = rng.integers(0, 86_400, rows)
    out = rng.random(rows) < 0.5
    amount = np.round(np.exp(rng.normal(np.log(3_000), 1.5, rows)).clip(1, 5e6), 2)
    party = rng.integers(0, customers * 5, rows)
    purpose = np.where(rng.random(rows) < 0.03, "工资", "转账")
    # rings: a customer in 2,000 gets 15-25 payers and 1-2 payees inside one window
    ring_rows: list[tuple] = []
    quiet = np.argsort(activity)[: customers // 4]  # mule accounts: little other activity
    ring_customers = rng.choice(quiet, max(1, customers // 2_000), replace=False)
    for k, c in enumerate(ring_customers):
        start = int(rng.integers(0, max(1, len(days) - 14)))
        n = int(rng.integers(15, 26))
        unit = 150_000 if entity[c] else 30_000
        ins = np.round(rng.uniform(0.6 * unit, 1.6 * unit, n), 2)
        scatter_in = k % 2 == 0
        for i in range(n):
            ring_rows.append(
                (
                    c,
                    days[start + int(rng.integers(0, 7))],
                    int(rng.integers(0, 86_400)),
                    not scatter_in,
                    ins[i],
                    10**9 + k * 100 + i,
                )
            )
        total = ins.sum() * rng.uniform(0.92, 0.98)
        for j in range(2):
            ring_rows.append(
                (
                    c,
                    days[start + 8 + j],
                    50_000,
                    scatter_in,
                    round(total / 2, 2),
                    10**9 + k * 100 + 99,
                )
            )
    if ring_rows:
        rc, rd, rs, ro, ra, rp = (np.array(col) for col in zip(*ring_rows, strict=True))
        customer = np.concatenate([customer, rc])
        day = np.concatenate([day, rd.astype(day.dtype)])
        seconds = np.concatenate([seconds, rs])
        out = np.concatenate([out, ro.astype(bool)])
        amount = np.concatenate([amount, ra])
        party = np.concatenate([party, rp])
        purpose = np.concatenate([purpose, np.full(len(rc), "转账")])
    n = len(customer)
    table = pa.table(
        {
            "n": np.arange(n, dtype=np.int64),
            "customer": customer.astype(np.int64),
            "day": pa.array(day.astype("datetime64[D]")),
            "seconds": seconds.astype(np.int64),
            "out": out,
            "milli": np.round(amount * 1000).astype(np.int64),
            "party": party.astype(np.int64),
            "purpose": purpose,
        }
    )
    with Warehouse.open(db, memory_limit="8GB") as wh:
        con = wh._con
        con.register("_c", pa.table({"i": np.arange(customers), "entity": entity}))
        con.execute("""INSERT INTO customer_history BY NAME
            SELECT DATE '2026-08-01' AS business_date, 'bench' AS load_id,
                   'C' || lpad(i::VARCHAR, 9, '0') AS customer_id, '客户' || i AS name,
                   CASE WHEN entity THEN 'entity' ELSE 'individual' END AS customer_type,
                   '110001' AS id_type, 'X' || i::VARCHAR AS id_number FROM _c""").fetchall()
        con.register("_t", table)
        con.execute("""INSERT INTO transactions BY NAME
            SELECT day AS business_date, 'bench' AS load_id, n AS line,
                   'T' || lpad(n::VARCHAR, 10, '0') AS txn_id,
                   day + to_seconds(seconds) AS booked_at, day AS trade_date,
                   'C' || lpad(customer::VARCHAR, 9, '0') AS customer_id,
                   'A' || lpad(customer::VARCHAR, 9, '0') AS account_id,
                   CASE WHEN out THEN 'out' ELSE 'in' END AS direction,
                   CAST(CAST(milli AS DECIMAL(20,0)) * 0.001 AS DECIMAL(20,3)) AS amount,
                   'CNY' AS currency, false AS is_cash, false AS is_cross_border,
                   CAST(CAST(milli AS DECIMAL(20,0)) * 0.001 AS DECIMAL(20,3)) AS amount_cny,
                   CAST(CAST(milli AS DECIMAL(20,0)) * 0.000141 AS DECIMAL(20,3)) AS amount_usd,
                   false AS fx_stale, 'P' || party::VARCHAR AS counterparty_account,
                   '对手' || party::VARCHAR AS counterparty_name, purpose
            FROM _t""").fetchall()


# ------------------------------------------------------------------ peers

# the window's rows with what the rule needs; {where} picks the days
_ROWS = """
SELECT t.customer_id, t.trade_date, t.booked_at, t.direction = 'out' AS out,
       CAST(t.amount_cny * 1000 AS BIGINT) AS milli,
       coalesce(nullif(t.counterparty_account, ''), nullif(t.counterparty_id_number, ''),
                nullif(t.counterparty_name, '')) AS party
FROM transactions t
WHERE t.trade_date BETWEEN ? AND ? AND NOT coalesce(list_contains(?::VARCHAR[], t.purpose), false)
"""

# the alert condition on per-window metrics m(e, customer_id, ...) with thresholds p(...)
_CONDITION = """
SELECT m.e, m.customer_id, s.code
FROM m JOIN types USING (customer_id) JOIN p ON p.entity = types.entity
JOIN (VALUES ('AMLW-SP-0101', false), ('AMLW-SP-0102', true)) s(code, scatter_out) ON true
WHERE (CASE WHEN s.scatter_out THEN m.out_parties ELSE m.in_parties END) >= p.min_scattered
  AND (CASE WHEN s.scatter_out THEN m.in_parties ELSE m.out_parties END) BETWEEN 1 AND p.max_concentrated
  AND m.in_total > 0 AND m.out_total > 0
  AND m.in_total >= p.min_amount AND m.out_total >= p.min_amount
  AND m.out_total * 10000 >= p.flow_min * m.in_total AND m.out_total * 10000 <= p.flow_max * m.in_total
  AND m.out_after * 10000 >= p.follow * m.out_total
"""

SQL_NIGHT = (
    """
CREATE OR REPLACE TEMP TABLE sp_sql AS
WITH r AS ({rows}),
g AS (SELECT customer_id,
             coalesce(sum(milli) FILTER (WHERE NOT out), 0) AS in_total,
             count(DISTINCT party) FILTER (WHERE NOT out) AS in_parties,
             coalesce(sum(milli) FILTER (WHERE out), 0) AS out_total,
             count(DISTINCT party) FILTER (WHERE out) AS out_parties,
             min(booked_at) FILTER (WHERE NOT out) AS first_in
      FROM r GROUP BY customer_id),
a AS (SELECT r.customer_id, sum(r.milli) AS out_after
      FROM r JOIN g USING (customer_id) WHERE r.out AND r.booked_at >= g.first_in GROUP BY ALL),
m AS (SELECT DATE '{end}' AS e, g.*, coalesce(a.out_after, 0) AS out_after
      FROM g LEFT JOIN a USING (customer_id)),
types AS (SELECT customer_id, arg_max(customer_type, business_date) = 'entity' AS entity
          FROM customer_history GROUP BY customer_id),
p(entity, min_scattered, max_concentrated, min_amount, flow_min, flow_max, follow) AS (VALUES {params})
"""
    + _CONDITION
)

SQL_BACKTEST = (
    """
CREATE OR REPLACE TEMP TABLE sp_sql AS
WITH r AS ({rows}),
ends(e, s) AS (VALUES {ends}),
w AS (SELECT ends.e, r.* FROM r JOIN ends ON r.trade_date BETWEEN ends.s AND ends.e),
g AS (SELECT e, customer_id,
             coalesce(sum(milli) FILTER (WHERE NOT out), 0) AS in_total,
             count(DISTINCT party) FILTER (WHERE NOT out) AS in_parties,
             coalesce(sum(milli) FILTER (WHERE out), 0) AS out_total,
             count(DISTINCT party) FILTER (WHERE out) AS out_parties,
             min(booked_at) FILTER (WHERE NOT out) AS first_in
      FROM w GROUP BY e, customer_id),
a AS (SELECT w.e, w.customer_id, sum(w.milli) AS out_after
      FROM w JOIN g USING (e, customer_id) WHERE w.out AND w.booked_at >= g.first_in
      GROUP BY ALL),
m AS (SELECT g.*, coalesce(a.out_after, 0) AS out_after FROM g LEFT JOIN a USING (e, customer_id)),
types AS (SELECT customer_id, arg_max(customer_type, business_date) = 'entity' AS entity
          FROM customer_history GROUP BY customer_id),
p(entity, min_scattered, max_concentrated, min_amount, flow_min, flow_max, follow) AS (VALUES {params})
"""
    + _CONDITION
)


def _params_sql(rule: object) -> str:
    from amlwatch.scanners import PatternParams

    table = PatternParams.from_rule(rule).table  # type: ignore[arg-type]
    return ", ".join(
        f"({'true' if i else 'false'}, {', '.join(str(int(v)) for v in table[i])})" for i in (0, 1)
    )


def _pandas(
    frame: object, ends: list[dt.date], starts: list[dt.date], rule: object, types: object
) -> list[tuple]:
    """The rule in pandas: per window end, slice the rows and group by customer."""
    import pandas as pd

    from amlwatch.scanners import PatternParams

    df: pd.DataFrame = frame  # type: ignore[assignment]
    p = PatternParams.from_rule(rule).table  # type: ignore[arg-type]
    entity = df["customer_id"].map(types).fillna(False).astype(bool)  # type: ignore[arg-type]
    df = df.assign(entity=entity)
    found: list[tuple] = []
    for end, start in zip(ends, starts, strict=True):
        w = df[(df["trade_date"] >= pd.Timestamp(start)) & (df["trade_date"] <= pd.Timestamp(end))]
        ins, outs = w[~w["out"]], w[w["out"]]
        g = pd.DataFrame(
            {
                "in_total": ins.groupby("customer_id")["milli"].sum(),
                "in_parties": ins.groupby("customer_id")["party"].nunique(),
                "first_in": ins.groupby("customer_id")["booked_at"].min(),
                "out_total": outs.groupby("customer_id")["milli"].sum(),
                "out_parties": outs.groupby("customer_id")["party"].nunique(),
            }
        )
        g = g.fillna({"in_total": 0, "in_parties": 0, "out_total": 0, "out_parties": 0})
        later = outs.join(g["first_in"], on="customer_id")
        later = later[later["booked_at"] >= later["first_in"]]
        g["out_after"] = later.groupby("customer_id")["milli"].sum()
        g["out_after"] = g["out_after"].fillna(0)
        g["entity"] = w.groupby("customer_id")["entity"].first()
        q = np.where(g["entity"].to_numpy()[:, None], p[1], p[0])
        for code, scattered, concentrated in (
            ("AMLW-SP-0101", g["in_parties"], g["out_parties"]),
            ("AMLW-SP-0102", g["out_parties"], g["in_parties"]),
        ):
            a, b = g["in_total"].to_numpy(), g["out_total"].to_numpy()
            ok = (
                (scattered.to_numpy() >= q[:, 0])
                & (concentrated.to_numpy() >= 1)
                & (concentrated.to_numpy() <= q[:, 1])
                & (a > 0)
                & (b > 0)
                & (a >= q[:, 2])
                & (b >= q[:, 2])
                & (b * 10_000 >= q[:, 3] * a)
                & (b * 10_000 <= q[:, 4] * a)
                & (g["out_after"].to_numpy() * 10_000 >= q[:, 5] * b)
            )
            found.extend((end, c, code) for c in g.index[ok])
    return found


def measure(mode: str, workload: str, db: Path) -> dict[str, object]:
    """One measurement in this process."""
    from amlwatch.rules import BusinessCalendar, load_pack
    from amlwatch.scanners import PatternParams, scan_patterns
    from amlwatch.stages.arrays import prepare
    from amlwatch.stages.patterns import scan_hits, scan_pattern_days, window_days
    from amlwatch.warehouse import Warehouse
    from amlwatch.warehouse import patterns as wh_patterns

    pack = load_pack("pboc-2016")
    rule = pack.suspicious
    assert rule is not None
    calendar = BusinessCalendar.load()
    ends = ends_of(workload)
    first, last = span_of(workload)
    starts = [calendar.window_start(e, rule.window_business_days) for e in ends]
    out: dict[str, object] = {"mode": mode}
    with Warehouse.open(db, memory_limit="5GB") as wh:
        if mode == "kernel":
            table = wh_patterns.pattern_window_rows(wh, first, last, rule)
            prepared = prepare(table, wh_patterns.customer_types(wh), rule.subject)
            end_days, start_days = window_days(calendar, ends, rule)
            params = PatternParams.from_rule(rule)
            scan_patterns(prepared.data, end_days, start_days, params)  # load the cached code
            started = time.perf_counter()
            found = scan_patterns(prepared.data, end_days, start_days, params)
            out["seconds"] = time.perf_counter() - started
            out["rows"] = table.num_rows
            out["hits"] = int(sum(bin(int(f)).count("1") for f in found.flags))
        elif mode == "stage":
            scan_hits(wh, ends[:1], calendar, pack, rule)  # load the cached code once
            wh.execute("DELETE FROM suspicious_hits")
            started = time.perf_counter()
            summary = scan_pattern_days(wh, ends, calendar)
            out["seconds"] = time.perf_counter() - started
            out["rows"] = summary.transactions_scanned
            out["hits"] = sum(summary.hits_by_code.values())
            out["alerts"] = summary.alerts
            out["answer"] = _digest(
                wh.rows("SELECT scan_date, customer_id, rule_code FROM suspicious_hits")
            )
        elif mode == "duckdb-sql":
            rows_sql = _ROWS
            fmt = {"rows": rows_sql, "params": _params_sql(rule), "end": ends[0].isoformat()}
            if workload == "b":
                fmt["ends"] = ", ".join(
                    f"(DATE '{e}', DATE '{s}')" for e, s in zip(ends, starts, strict=True)
                )
            sql = (SQL_NIGHT if workload == "a" else SQL_BACKTEST).format(**fmt)
            started = time.perf_counter()
            wh.execute(sql, [first, last, sorted(rule.exclude_purposes)])
            out["seconds"] = time.perf_counter() - started
            out["rows"] = wh.scalar(
                "SELECT count(*) FROM transactions WHERE trade_date BETWEEN ? AND ?", [first, last]
            )
            out["hits"] = wh.scalar("SELECT count(*) FROM sp_sql")
            out["answer"] = _digest(wh.rows("SELECT e, customer_id, code FROM sp_sql"))
        elif mode == "pandas":
            frame = wh._con.sql(_ROWS, params=[first, last, sorted(rule.exclude_purposes)]).df()
            types = dict(
                wh.rows(
                    """SELECT customer_id, arg_max(customer_type, business_date) = 'entity'
                       FROM customer_history GROUP BY customer_id"""
                )
            )
            started = time.perf_counter()
            answer = _pandas(frame, ends, starts, rule, types)
            out["seconds"] = time.perf_counter() - started
            out["rows"] = len(frame)
            out["hits"] = len(answer)
            out["answer"] = _digest(answer)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def _digest(rows: list[tuple]) -> str:
    h = hashlib.sha256()
    for end, customer, code in sorted((str(e)[:10], c, k) for e, c, k in rows):
        h.update(f"{end}\t{customer}\t{code}\n".encode())
    return h.hexdigest()


def run(workload: str, rows: int, out: Path) -> None:
    db = out / f"patterns-{workload}-{rows}.duckdb"
    if not db.exists():
        started = time.perf_counter()
        build(db, rows, workload)
        print(
            f"built {rows:,} transactions for workload ({workload}) in {time.perf_counter() - started:.1f} s"
        )
    results = {}
    for mode in MODES:
        child = subprocess.run(
            [sys.executable, __file__, "--one", mode, workload, str(db)],
            capture_output=True,
            text=True,
        )
        if child.returncode != 0:
            print(f"{mode} failed:\n{child.stderr[-2000:]}")
            continue
        results[mode] = json.loads(child.stdout.strip().splitlines()[-1])
    first, last = span_of(workload)
    ends = ends_of(workload)
    print(
        f"\n({workload}) windows ending on {len(ends)} day(s) {ends[0]}..{ends[-1]}, "
        f"transactions {first}..{last}"
    )
    print(
        f"{'formulation':<12}{'seconds':>9}{'rows/s':>14}{'hits':>8}{'peak RSS':>12}  same answer as stage"
    )
    reference = results.get("stage", {}).get("answer")
    for mode, r in results.items():
        rate = r["rows"] / r["seconds"]
        same = "-" if mode == "kernel" else ("yes" if r.get("answer") == reference else "NO")
        print(
            f"{mode:<12}{r['seconds']:>9.2f}{rate:>14,.0f}{r['hits']:>8,}{r['peak_rss_mb']:>10,.0f}MB  {same}"
        )
    if "stage" in results:
        print(f"stage: {results['stage'].get('alerts', 0):,} alerts opened or extended")
        for peer in ("duckdb-sql", "pandas"):
            if peer in results:
                print(
                    f"stage is {results[peer]['seconds'] / results['stage']['seconds']:.2f}x as fast as {peer}"
                )


MODES = ["kernel", "stage", "duckdb-sql", "pandas"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000_000, help="workload (a)")
    parser.add_argument("--backtest-rows", type=int, default=10_000_000, help="workload (b)")
    parser.add_argument("--only", choices=["a", "b"])
    parser.add_argument("--out", type=Path, default=Path("bench/out/patterns"))
    parser.add_argument(
        "--one", nargs=3, metavar=("MODE", "WORKLOAD", "DB"), help=argparse.SUPPRESS
    )
    parser.add_argument("--modes", default=",".join(MODES), help="formulations to measure")
    args = parser.parse_args()
    MODES[:] = args.modes.split(",")
    if args.one:
        print(json.dumps(measure(args.one[0], args.one[1], Path(args.one[2])), default=str))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "a"):
        run("a", args.rows, args.out)
    if args.only in (None, "b"):
        run("b", args.backtest_rows, args.out)


if __name__ == "__main__":
    main()
