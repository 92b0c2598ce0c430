"""Scatter / concentrate benchmark: the stage and its kernel against the same rule written as
DuckDB SQL (the best formulation we have, and a naive one for reference) and as pandas, on
the same generated data, results checked identical.

    python bench/bench_patterns.py --repeat 3            # the issue's figures (a) and (b)
    python bench/bench_patterns.py --rows 2000000 --backtest-rows 1000000   # a quick look

(a) one night: the windows ending on one day over a 10-business-day window of --rows
    transactions;
(b) a backtest: the windows ending on every day of a 60-day range over --backtest-rows
    transactions.

The transactions are written straight into a warehouse file (no ingest: this measures the
stage); a copy then gets the day runs an ingest cuts (each date's, in its own transaction).
Formulations (`--modes`):

    stage       the path a night takes: day runs stored, the windows merged from them
    replay      the stage over history without day runs (loaded before they existed): the
                scan cuts them once, stores them and scans
    replay-ro   the same scan on a read-only warehouse: the runs cut in memory, nothing stored
                (hits only, no alerts)
    kernel      the numba kernel alone on presorted arrays
    best-sql    the rule in DuckDB SQL as well as we can write it: customers that cannot match
                dropped first (the stage's bound), distinct counterparties from each party's
                days turned into ranges of window ends (+1/-1 events, running sums), totals
                from prefix sums, the follow share from ASOF joins
    pruned-sql  the naive formulation below over the same pruned rows (for one window, a GROUP
                BY of the candidates' rows: the best SQL we have for a night)
    naive-sql   the rule as a range join of rows to window ends and GROUP BY (for reference)
    pandas      per window end, slice and group (for reference; slow and memory-hungry)

Each measurement runs in its own process on its own copy of the warehouse, so its peak RSS
(VmHWM) is its own; with --repeat N each formulation is measured N times and the median
is reported. Ratios are quoted against every SQL formulation measured, the fastest marked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import shutil
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
    # most payments by day, as in a bank's books; one in twelve at any hour (online, at night)
    seconds = np.where(
        rng.random(rows) < 0.92,
        rng.integers(8 * 3600, 20 * 3600, rows),
        rng.integers(0, 86_400, rows),
    )
    out = rng.random(rows) < 0.5
    amount = np.round(np.exp(rng.normal(np.log(3_000), 1.5, rows)).clip(1, 5e6), 2)
    party = rng.integers(0, customers * 5, rows)
    purpose = np.where(rng.random(rows) < 0.03, "工资", "转账")
    cash = rng.random(rows) < 0.05
    region = np.where(rng.random(rows) < 0.002, "IRN000000", "CHN110105")
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
        cash = np.concatenate([cash, np.zeros(len(rc), bool)])
        region = np.concatenate([region, np.full(len(rc), "CHN110105")])
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
            "cash": cash,
            "region": region,
        }
    )
    # one account each, opened over ten years; one customer in 200 opened it within the span
    opened = np.datetime64("2016-01-01") + rng.integers(0, 3650, customers).astype("timedelta64[D]")
    recent = rng.random(customers) < 0.005
    opened[recent] = days[rng.integers(0, len(days), int(recent.sum()))]
    with Warehouse.open(db, memory_limit="8GB") as wh:
        con = wh._con
        con.register(
            "_c",
            pa.table(
                {"i": np.arange(customers), "entity": entity,
                 "opened": pa.array(opened.astype("datetime64[s]"))}
            ),
        )  # fmt: skip
        con.execute("""INSERT INTO customer_history BY NAME
            SELECT DATE '2026-08-01' AS business_date, 'bench' AS load_id,
                   'C' || lpad(i::VARCHAR, 9, '0') AS customer_id, '客户' || i AS name,
                   CASE WHEN entity THEN 'entity' ELSE 'individual' END AS customer_type,
                   '110001' AS id_type, 'X' || i::VARCHAR AS id_number FROM _c""").fetchall()
        con.execute("""INSERT INTO account_history BY NAME
            SELECT DATE '2026-08-01' AS business_date, 'bench' AS load_id,
                   'A' || lpad(i::VARCHAR, 9, '0') AS account_id,
                   'C' || lpad(i::VARCHAR, 9, '0') AS customer_id, opened AS opened_at FROM _c""").fetchall()
        con.register("_t", table)
        con.execute("""INSERT INTO transactions BY NAME
            SELECT day AS business_date, 'bench' AS load_id, n AS line,
                   'T' || lpad(n::VARCHAR, 10, '0') AS txn_id,
                   day + to_seconds(seconds) AS booked_at, day AS trade_date,
                   'C' || lpad(customer::VARCHAR, 9, '0') AS customer_id,
                   'A' || lpad(customer::VARCHAR, 9, '0') AS account_id,
                   CASE WHEN out THEN 'out' ELSE 'in' END AS direction,
                   CAST(CAST(milli AS DECIMAL(20,0)) * 0.001 AS DECIMAL(20,3)) AS amount,
                   'CNY' AS currency, cash AS is_cash, region <> 'CHN110105' AS is_cross_border,
                   region AS counterparty_region,
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


# the window's rows of the customers that can match: those with a pair of consecutive blocks
# (`scanners.prune`: {origin}, {block} days) reaching the minimums
PRUNED_ROWS = """
WITH r0 AS ({rows}),
types0 AS (SELECT customer_id, arg_max(customer_type, business_date) = 'entity' AS entity
           FROM customer_history GROUP BY customer_id),
p0(entity, min_scattered, max_concentrated, min_amount, flow_min, flow_max, follow) AS (VALUES {params}),
cb AS (SELECT customer_id, (trade_date - DATE '{origin}') // {block} AS blk,
              count(party) FILTER (WHERE NOT out) AS ip, count(party) FILTER (WHERE out) AS op,
              coalesce(sum(milli) FILTER (WHERE NOT out), 0) AS ia,
              coalesce(sum(milli) FILTER (WHERE out), 0) AS oa
       FROM r0 GROUP BY ALL),
cand AS (SELECT DISTINCT a.customer_id FROM cb a
         LEFT JOIN cb b ON b.customer_id = a.customer_id AND b.blk = a.blk + 1
         JOIN types0 t ON t.customer_id = a.customer_id JOIN p0 ON p0.entity = t.entity
         WHERE a.ia + coalesce(b.ia, 0) >= greatest(p0.min_amount, 1)
           AND a.oa + coalesce(b.oa, 0) >= greatest(p0.min_amount, 1)
           AND ((a.ip + coalesce(b.ip, 0) >= p0.min_scattered AND a.op + coalesce(b.op, 0) >= 1)
             OR (a.op + coalesce(b.op, 0) >= p0.min_scattered AND a.ip + coalesce(b.ip, 0) >= 1)))
SELECT r0.* FROM r0 SEMI JOIN cand USING (customer_id)
"""

# the rule as well as we can write it in DuckDB SQL: the pruned rows, distinct counterparties
# per window end from ranges of window ends, totals from prefix sums, the follow share from
# ASOF joins; {ends} the window ends (i, e, s)
SQL_BEST = (
    """
CREATE OR REPLACE TEMP TABLE sp_sql AS
WITH ends(i, e, s) AS (VALUES {ends}),
types AS (SELECT customer_id, arg_max(customer_type, business_date) = 'entity' AS entity
          FROM customer_history GROUP BY customer_id),
p(entity, min_scattered, max_concentrated, min_amount, flow_min, flow_max, follow) AS (VALUES {params}),
w AS MATERIALIZED ({pruned}),
-- the window ends a day belongs to: i in [lo, hi]
days AS (SELECT d::DATE AS d FROM range((SELECT min(s) FROM ends), (SELECT max(e) FROM ends) + 1,
                                        INTERVAL 1 DAY) t(d)),
span AS (SELECT d, min(i) AS lo, max(i) AS hi FROM days JOIN ends ON d BETWEEN s AND e GROUP BY d),
-- each counterparty's days as ranges of window ends, overlapping ranges joined
iv AS (SELECT customer_id, out, party, lo, hi,
              coalesce(lo > lag(hi) OVER (PARTITION BY customer_id, out, party ORDER BY lo), true)
              AS opens
       FROM (SELECT DISTINCT customer_id, out, party, trade_date AS d FROM w
             WHERE party IS NOT NULL) JOIN span USING (d)),
isl AS (SELECT customer_id, out, min(lo) AS lo, max(hi) AS hi FROM (
            SELECT *, sum(opens::INT) OVER (PARTITION BY customer_id, out, party ORDER BY lo
                                            ROWS UNBOUNDED PRECEDING) AS k FROM iv)
        GROUP BY customer_id, out, party, k),
-- distinct counterparties per window end: +1 where a range starts, -1 after it ends
ev AS (SELECT customer_id, out, i, sum(delta) AS delta FROM (
           SELECT customer_id, out, lo AS i, 1 AS delta FROM isl
           UNION ALL SELECT customer_id, out, hi + 1, -1 FROM isl) GROUP BY ALL),
dc AS (SELECT customer_id, out, i, sum(delta) OVER (PARTITION BY customer_id, out ORDER BY i)
              AS parties FROM ev),
dc_in AS (SELECT * FROM dc WHERE NOT out), dc_out AS (SELECT * FROM dc WHERE out),
-- totals from per-day prefix sums
cs AS (SELECT customer_id, d, sum(di) OVER c AS ci, sum(dout) OVER c AS co FROM (
           SELECT customer_id, trade_date AS d, coalesce(sum(milli) FILTER (WHERE NOT out), 0) AS di,
                  coalesce(sum(milli) FILTER (WHERE out), 0) AS dout FROM w GROUP BY ALL)
       WINDOW c AS (PARTITION BY customer_id ORDER BY d)),
-- receipts (for each window's first) and payments' prefix sums in booking order
ri AS (SELECT customer_id, booked_at FROM w WHERE NOT out),
pc AS (SELECT customer_id, booked_at, sum(amt) OVER (PARTITION BY customer_id ORDER BY booked_at)
              AS cum FROM (SELECT customer_id, booked_at, sum(milli) AS amt FROM w WHERE out
                           GROUP BY ALL)),
g AS (SELECT c.customer_id, ends.i, ends.e, ends.s, ends.s::TIMESTAMP AS s_at,
             (ends.e + 1)::TIMESTAMP AS after_e
      FROM (SELECT DISTINCT customer_id FROM w) c CROSS JOIN ends),
m1 AS (SELECT g.*, coalesce(ce.ci, 0) - coalesce(c0.ci, 0) AS in_total,
              coalesce(ce.co, 0) - coalesce(c0.co, 0) AS out_total
       FROM g ASOF LEFT JOIN cs ce ON g.customer_id = ce.customer_id AND g.e >= ce.d
              ASOF LEFT JOIN cs c0 ON g.customer_id = c0.customer_id AND g.s > c0.d),
m2 AS (SELECT m1.*, coalesce(a.parties, 0) AS in_parties, coalesce(b.parties, 0) AS out_parties,
              f.booked_at AS first_in
       FROM m1 ASOF LEFT JOIN dc_in a ON m1.customer_id = a.customer_id AND m1.i >= a.i
               ASOF LEFT JOIN dc_out b ON m1.customer_id = b.customer_id AND m1.i >= b.i
               ASOF LEFT JOIN ri f ON m1.customer_id = f.customer_id AND f.booked_at >= m1.s_at
       WHERE m1.in_total > 0 AND m1.out_total > 0),
m AS (SELECT m2.e, m2.customer_id, m2.in_total, m2.out_total, m2.in_parties, m2.out_parties,
             coalesce(pe.cum, 0) - coalesce(pf.cum, 0) AS out_after
      FROM m2 ASOF LEFT JOIN pc pe ON m2.customer_id = pe.customer_id AND m2.after_e > pe.booked_at
              ASOF LEFT JOIN pc pf ON m2.customer_id = pf.customer_id AND m2.first_in > pf.booked_at)
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


def _ends_sql(ends: list[dt.date], starts: list[dt.date], numbered: bool = False) -> str:
    return ", ".join(
        f"({f'{i}, ' if numbered else ''}DATE '{e}', DATE '{s}')"
        for i, (e, s) in enumerate(zip(ends, starts, strict=True))
    )


def measure(mode: str, workload: str, db: Path) -> dict[str, object]:
    """One measurement in this process (on its own copy of the warehouse)."""
    from amlwatch.rules import BusinessCalendar, load_pack
    from amlwatch.scanners import PatternParams, scan_patterns
    from amlwatch.scanners.prune import Prune
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
    end_days, start_days = window_days(calendar, ends, rule)
    params = PatternParams.from_rule(rule)
    out: dict[str, object] = {"mode": mode}
    read_only = mode == "replay-ro"
    with Warehouse.open(db, memory_limit="5GB", read_only=read_only) as wh:
        if mode == "kernel":
            table = wh_patterns.pattern_window_rows(wh, first, last, rule)
            prepared = prepare(table, wh_patterns.customer_types(wh), rule.subject)
            scan_patterns(prepared.data, end_days, start_days, params)  # load the cached code
            started = time.perf_counter()
            found = scan_patterns(prepared.data, end_days, start_days, params)
            out["seconds"] = time.perf_counter() - started
            out["rows"] = table.num_rows
            out["hits"] = int(sum(bin(int(f)).count("1") for f in found.flags))
        elif mode in ("stage", "replay", "scatter-stage"):
            with Warehouse.open(_WARM, memory_limit="1GB") as warm:  # load the cached code
                scan_hits(warm, ends[:1], calendar, pack, rule)
            forced = str(scatter_only_pack()) if mode == "scatter-stage" else None
            started = time.perf_counter()
            summary = scan_pattern_days(wh, ends, calendar, forced)
            out["seconds"] = time.perf_counter() - started
            out["rows"] = summary.transactions_scanned
            out["hits"] = sum(summary.hits_by_code.values())
            out["alerts"] = summary.alerts
            out["answer"] = _digest(
                wh.rows("SELECT scan_date, customer_id, rule_code FROM suspicious_hits")
            )
        elif mode == "replay-ro":
            with Warehouse.open(_WARM, memory_limit="1GB") as warm:
                scan_hits(warm, ends[:1], calendar, pack, rule)
            started = time.perf_counter()
            hits, rows = scan_hits(wh, ends, calendar, pack, rule)
            out["seconds"] = time.perf_counter() - started
            out["rows"] = rows
            out["hits"] = hits.num_rows
            out["answer"] = _digest(
                list(
                    zip(
                        *(hits[c].to_pylist() for c in ("scan_date", "customer_id", "rule_code")),
                        strict=True,
                    )
                )
            )
        elif mode == "library-sql":
            from library_sql import rows_params, rows_sql, statements  # beside this script

            prune = Prune.for_windows(params, end_days, start_days)
            origin = dt.date(1970, 1, 1) + dt.timedelta(days=prune.origin)
            pruned = PRUNED_ROWS.format(
                rows=_ROWS, params=_params_sql(rule), origin=origin, block=prune.block_days
            )
            best = SQL_BEST.format(
                pruned=pruned, ends=_ends_sql(ends, starts, numbered=True),
                params=_params_sql(rule), end=ends[0].isoformat(),
            )  # fmt: skip
            purposes = sorted(rule.exclude_purposes)
            started = time.perf_counter()
            wh.execute(best, [first, last, purposes])
            scattered = time.perf_counter() - started
            wh.execute(rows_sql(rule), rows_params(first - dt.timedelta(days=40), last, purposes))
            wh.execute(
                "CREATE OR REPLACE TEMP TABLE lib_sql AS SELECT e, customer_id, code FROM sp_sql"
            )
            for _, sql in statements(rule, calendar, ends):
                wh.execute(f"INSERT INTO lib_sql {sql}")
            out["seconds"] = time.perf_counter() - started
            out["scatter_seconds"] = scattered
            out["rows"] = wh.scalar(
                "SELECT count(*) FROM transactions WHERE trade_date BETWEEN ? AND ?", [first, last]
            )
            out["hits"] = wh.scalar("SELECT count(*) FROM lib_sql")
            out["answer"] = _digest(wh.rows("SELECT e, customer_id, code FROM lib_sql"))
        elif mode in ("best-sql", "pruned-sql", "naive-sql"):
            fmt = {"rows": _ROWS, "params": _params_sql(rule), "end": ends[0].isoformat()}
            if mode in ("best-sql", "pruned-sql"):
                prune = Prune.for_windows(params, end_days, start_days)
                origin = dt.date(1970, 1, 1) + dt.timedelta(days=prune.origin)
                fmt["rows"] = PRUNED_ROWS.format(
                    rows=_ROWS, params=fmt["params"], origin=origin, block=prune.block_days
                )
            if mode == "best-sql":
                sql = SQL_BEST.format(
                    pruned=fmt["rows"], ends=_ends_sql(ends, starts, numbered=True), **fmt
                )
            else:
                fmt["ends"] = _ends_sql(ends, starts)
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


# a tiny warehouse for compiling (loading) the kernels before a timed scan
_WARM = Path("bench/out/patterns/warm.duckdb")


def with_day_runs(source: Path, target: Path) -> None:
    """A copy of the warehouse with every date's day run, cut as an ingest cuts it (the
    date's rows, in its own transaction)."""
    from amlwatch.rules import load_pack
    from amlwatch.warehouse import Warehouse, day_runs

    rule = load_pack("pboc-2016").suspicious
    assert rule is not None
    shutil.copy(source, target)
    with Warehouse.open(target, memory_limit="8GB") as wh:
        for (day,) in wh.rows("SELECT DISTINCT business_date FROM transactions ORDER BY 1"):
            with wh.transaction():
                day_runs.store_day_run(wh, day, "bench", rule)


def _digest(rows: list[tuple]) -> str:
    h = hashlib.sha256()
    for end, customer, code in sorted((str(e)[:10], c, k) for e, c, k in rows):
        h.update(f"{end}\t{customer}\t{code}\n".encode())
    return h.hexdigest()


def run(workload: str, rows: int, out: Path, repeat: int) -> None:
    global _WARM
    _WARM = out / "warm.duckdb"
    if not _WARM.exists():
        build(_WARM, 20_000, "a", seed=3)
    db = out / f"patterns-{workload}-{rows}.duckdb"
    runs_db = out / f"patterns-{workload}-{rows}-runs.duckdb"
    if not db.exists():
        started = time.perf_counter()
        build(db, rows, workload)
        print(
            f"built {rows:,} transactions for workload ({workload}) in "
            f"{time.perf_counter() - started:.1f} s"
        )
    if not runs_db.exists():
        started = time.perf_counter()
        with_day_runs(db, runs_db)
        print(f"cut the day runs (as ingest does) in {time.perf_counter() - started:.1f} s")
    results: dict[str, list[dict]] = {}
    scratch = out / "scratch.duckdb"
    for mode in MODES:
        for _ in range(repeat):
            shutil.copy(runs_db if mode in ("stage", "scatter-stage", "kernel") else db, scratch)
            child = subprocess.run(
                [sys.executable, __file__, "--one", mode, workload, str(scratch), str(_WARM)],
                capture_output=True,
                text=True,
            )
            scratch.unlink()
            if child.returncode != 0:
                print(f"{mode} failed:\n{child.stderr[-2000:]}")
                break
            results.setdefault(mode, []).append(json.loads(child.stdout.strip().splitlines()[-1]))
    first, last = span_of(workload)
    ends = ends_of(workload)
    print(
        f"\n({workload}) windows ending on {len(ends)} day(s) {ends[0]}..{ends[-1]}, "
        f"transactions {first}..{last}; median of {repeat} run(s), all runs' seconds after it"
    )
    print(
        f"{'formulation':<12}{'seconds':>9}{'rows/s':>14}{'hits':>8}{'peak RSS':>12}"
        "  same answer*         runs"
    )
    references = {
        "library": results.get("stage", [{}])[0].get("answer"),
        "scatter": results.get("scatter-stage", [{}])[0].get("answer"),
    }
    median = {}
    for mode, runs in results.items():
        r = sorted(runs, key=lambda x: x["seconds"])[len(runs) // 2]
        median[mode] = r["seconds"]
        rate = r["rows"] / r["seconds"]
        answers = {x.get("answer") for x in runs}
        reference = references[SCOPE.get(mode, "scatter")]
        same = "-" if mode == "kernel" else ("yes" if answers == {reference} else "NO")
        peak = max(x["peak_rss_mb"] for x in runs)
        every = " / ".join(f"{x['seconds']:.2f}" for x in runs)
        print(
            f"{mode:<12}{r['seconds']:>9.2f}{rate:>14,.0f}{r['hits']:>8,}{peak:>10,.0f}MB"
            f"  {same:<21} {every}"
        )
    print(
        "* the library's formulations against stage, scatter / concentrate's against scatter-stage"
    )
    if "stage" in results:
        print(f"stage: {results['stage'][0].get('alerts', 0):,} alerts opened or extended")
    if "stage" in median and "scatter-stage" in median:
        print(
            f"the whole library costs {median['stage'] / median['scatter-stage']:.2f}x "
            "scatter / concentrate alone (target <= 2x)"
        )
    if "stage" in median and "library-sql" in median:
        print(
            f"stage (whole library) is {median['library-sql'] / median['stage']:.2f}x as fast as "
            "library-sql (target >= 3x)"
        )
    sql = {m: median[m] for m in ("best-sql", "pruned-sql", "naive-sql") if m in median}
    fastest = min(sql, key=sql.__getitem__) if sql else None
    for mode in ("scatter-stage",):
        for peer in (*sql, "pandas"):
            if mode in median and peer in median:
                best = "  <- the fastest SQL" if peer == fastest else ""
                print(f"{mode} is {median[peer] / median[mode]:.2f}x as fast as {peer}{best}")


MODES = [
    "kernel", "stage", "scatter-stage", "replay", "replay-ro", "library-sql", "best-sql",
    "pruned-sql", "naive-sql",
]  # fmt: skip
# what each formulation answers: the whole library, or scatter / concentrate alone
SCOPE = {"stage": "library", "replay": "library", "replay-ro": "library", "library-sql": "library"}


def scatter_only_pack() -> Path:
    """A pack with scatter / concentrate alone (every other standard a draft): the stage as it
    was before the library, for the before / after figure."""
    from amlwatch.rules import load_pack

    rule = load_pack("pboc-2016").suspicious
    assert rule is not None
    path = Path("bench/out/patterns/scatter-only.toml")
    path.parent.mkdir(parents=True, exist_ok=True)
    drafts = "".join(
        f'[[suspicious.standards]]\ncode = "{s.code}"\nstatus = "draft"\n'
        for s in rule.standards
        if s.family != "scatter"
    )
    path.write_text(f'extends = "pboc-2016"\n{drafts}', encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000_000, help="workload (a)")
    parser.add_argument("--backtest-rows", type=int, default=10_000_000, help="workload (b)")
    parser.add_argument("--only", choices=["a", "b"])
    parser.add_argument("--out", type=Path, default=Path("bench/out/patterns"))
    parser.add_argument(
        "--one", nargs=4, metavar=("MODE", "WORKLOAD", "DB", "WARM"), help=argparse.SUPPRESS
    )
    parser.add_argument("--modes", default=",".join(MODES), help="formulations to measure")
    parser.add_argument("--repeat", type=int, default=1, help="runs per formulation (median)")
    args = parser.parse_args()
    MODES[:] = args.modes.split(",")
    if args.one:
        global _WARM
        _WARM = Path(args.one[3])
        print(json.dumps(measure(args.one[0], args.one[1], Path(args.one[2])), default=str))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "a"):
        run("a", args.rows, args.out, args.repeat)
    if args.only in (None, "b"):
        run("b", args.backtest_rows, args.out, args.repeat)


if __name__ == "__main__":
    main()
