"""Large-value benchmark: a 10-business-day window of N transactions, the kernel and the whole
stage against the same rule written as DuckDB SQL and as pandas, results checked identical.

    python bench/bench_large_value.py --rows 20000000     # the issue's figure
    python bench/bench_large_value.py --rows 1000000       # a quick look

The window's transactions are written straight into a warehouse file (no ingest: this measures
the stage). Each measurement runs in its own process, so its peak RSS (VmHWM) is its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

START = dt.date(2026, 11, 9)  # Monday: with the next week, 10 business days and one weekend
DAYS = [START + dt.timedelta(days=i) for i in range(12)]


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def build(db: Path, rows: int, seed: int = 7) -> None:
    """Write customers and `rows` transactions over the window into a new warehouse."""
    from amlwatch.warehouse import Warehouse

    rng = np.random.default_rng(seed)
    customers = max(1_000, rows // 10)
    entity = rng.random(customers) < 0.12
    weights = np.array([0.55 if d.weekday() >= 5 else 1.0 for d in DAYS])
    day_index = rng.choice(len(DAYS), rows, p=weights / weights.sum())
    activity = rng.lognormal(0, 1.0, customers)
    customer = np.searchsorted(np.cumsum(activity) / activity.sum(), rng.random(rows)).clip(
        0, customers - 1
    )
    rmb = rng.random(rows) < 0.97
    amount = np.exp(rng.normal(np.log(3_000), 1.8, rows)).clip(1, 5e7)
    cny_milli = (amount * 1000).astype(np.int64)
    usd_milli = np.where(rmb, cny_milli * 10 // 71, (amount / 7.1 * 1000).astype(np.int64))
    table = pa.table(
        {
            "n": np.arange(rows, dtype=np.int64),
            "customer": customer.astype(np.int64),
            "day": pa.array(np.array(DAYS, dtype="datetime64[D]")[day_index]),
            "seconds": rng.integers(0, 86_400, rows),
            "out": rng.random(rows) < 0.5,
            "rmb": rmb,
            "cash": rng.random(rows) < 0.1,
            "xb": rng.random(rows) < 0.03,
            "cny_milli": cny_milli,
            "usd_milli": usd_milli,
            "exempt": rng.random(rows) < 0.01,
            "gov": rng.random(rows) < 0.005,
        }
    )
    with Warehouse.open(db, memory_limit="8GB") as wh:
        con = wh._con
        con.register("_c", pa.table({"i": np.arange(customers), "entity": entity}))
        con.execute("""INSERT INTO customer_history BY NAME
            SELECT DATE '2026-11-01' AS business_date, 'bench' AS load_id,
                   'C' || lpad(i::VARCHAR, 9, '0') AS customer_id, '客户' AS name,
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
                   CAST(CAST(CASE WHEN rmb THEN cny_milli ELSE usd_milli END AS DECIMAL(20,0)) * 0.001
                        AS DECIMAL(20,3)) AS amount,
                   CASE WHEN rmb THEN 'CNY' ELSE 'USD' END AS currency,
                   cash AS is_cash, xb AS is_cross_border,
                   CAST(CAST(cny_milli AS DECIMAL(20,0)) * 0.001 AS DECIMAL(20,3)) AS amount_cny,
                   CAST(CAST(usd_milli AS DECIMAL(20,0)) * 0.001 AS DECIMAL(20,3)) AS amount_usd,
                   false AS fx_stale,
                   CASE WHEN exempt THEN 'interbank' END AS exemption_code,  -- no condition
                   gov AS counterparty_is_government
            FROM _t""").fetchall()


SQL_PEER = """
CREATE OR REPLACE TABLE lv_sql AS
WITH chars(code, scope, for_individual, for_entity, thr_cny, thr_usd) AS (VALUES {chars}),
t AS (
    SELECT t.txn_id, t.customer_id, t.trade_date, t.direction, t.currency = 'CNY' AS rmb,
           t.is_cash, t.is_cross_border, c.customer_type = 'entity' AS entity,
           CAST(t.amount_cny * 1000 AS BIGINT) AS cny, CAST(t.amount_usd * 1000 AS BIGINT) AS usd
    FROM transactions t JOIN customers c USING (customer_id)
    WHERE t.trade_date BETWEEN ? AND ?
      AND NOT (coalesce(list_contains({exempt}, t.exemption_code), false)
               OR coalesce(t.counterparty_is_government, false))),
e AS (
    SELECT t.txn_id, t.customer_id, t.trade_date, t.direction, t.rmb, ch.code,
           CASE WHEN t.rmb THEN t.cny ELSE t.usd END AS amount,
           CASE WHEN t.rmb THEN ch.thr_cny ELSE ch.thr_usd END AS threshold
    FROM t JOIN chars ch
      ON CASE ch.scope WHEN 0 THEN t.is_cash WHEN 1 THEN NOT t.is_cash
                       WHEN 2 THEN NOT t.is_cash AND NOT t.is_cross_border
                       ELSE NOT t.is_cash AND t.is_cross_border END
     AND CASE WHEN t.entity THEN ch.for_entity ELSE ch.for_individual END),
g AS (SELECT customer_id, trade_date, direction, rmb, code, sum(amount) AS total
      FROM e GROUP BY ALL)
SELECT e.txn_id, e.code FROM e JOIN g USING (customer_id, trade_date, direction, rmb, code)
WHERE g.total >= e.threshold
"""


PANDAS_FRAME = """
SELECT t.txn_id, t.customer_id, t.trade_date, t.direction, t.currency, t.is_cash,
       t.is_cross_border, c.customer_type = 'entity' AS entity,
       CAST(t.amount_cny * 1000 AS BIGINT) AS cny_milli,
       CAST(t.amount_usd * 1000 AS BIGINT) AS usd_milli,
       NOT (coalesce(list_contains(?::VARCHAR[], t.exemption_code), false)
            OR coalesce(t.counterparty_is_government, false)) AS counted
FROM transactions t JOIN customers c USING (customer_id)
WHERE t.trade_date BETWEEN ? AND ?
"""


def measure(mode: str, db: Path) -> dict[str, object]:
    """One measurement in this process."""
    from amlwatch.rules import load_pack
    from amlwatch.scanners import scan_large_value
    from amlwatch.scanners.large_value import SCOPES
    from amlwatch.stages.large_value import _kernel_input, scan_large_value_dates
    from amlwatch.stages.large_value_scan import input_table
    from amlwatch.warehouse import Warehouse
    from amlwatch.warehouse import large_value_store as lv_store
    from amlwatch.warehouse import patterns as wh_patterns

    pack = load_pack("pboc-2016")
    rule = pack.large_value
    out: dict[str, object] = {"mode": mode}
    with Warehouse.open(db, memory_limit="5GB") as wh:
        if mode == "kernel":
            table = input_table(lv_store.ready_records(wh, DAYS), DAYS, rule)
            data = _kernel_input(table, wh_patterns.customer_types(wh)).data
            scan_large_value(data, pack)  # compile (cached) and warm up
            started = time.perf_counter()
            hits = scan_large_value(data, pack)
            out["seconds"] = time.perf_counter() - started
            out["rows"] = table.num_rows
            out["hits"] = len(hits.row)
        elif mode == "stage":
            started = time.perf_counter()
            _warm_up(pack)  # loading the cached machine code: once per process
            out["jit_load_seconds"] = time.perf_counter() - started
            started = time.perf_counter()
            summary = scan_large_value_dates(wh, DAYS, "pboc-2016")
            out["seconds"] = time.perf_counter() - started
            out["rows"] = summary.transactions_scanned
            out["hits"] = summary.hits
            out["answer"] = _answer(
                wh, "SELECT txn_id, characteristic_code FROM large_value_transactions"
            )
        elif mode == "duckdb-sql":
            chars = ", ".join(
                f"('{c.code}', {SCOPES[c.scope]}, {'individual' in c.customer_types}, "
                f"{'entity' in c.customer_types}, {int(c.threshold_cny * 1000)}, "
                f"{int(c.threshold_usd * 1000) if c.threshold_usd else 'NULL'})"
                for c in rule.characteristics
            )
            exempt = "[" + ", ".join(f"'{e}'" for e in sorted(rule.exemption_codes)) + "]"
            started = time.perf_counter()
            wh.execute(SQL_PEER.format(chars=chars, exempt=exempt), [DAYS[0], DAYS[-1]])
            out["seconds"] = time.perf_counter() - started
            out["rows"] = wh.scalar("SELECT count(*) FROM transactions")
            out["hits"] = wh.scalar("SELECT count(*) FROM lv_sql")
            out["answer"] = _answer(wh, "SELECT txn_id, code FROM lv_sql")
        elif mode == "pandas":
            frame = wh._con.sql(
                PANDAS_FRAME, params=[sorted(rule.exemption_codes), DAYS[0], DAYS[-1]]
            ).df()
            started = time.perf_counter()
            answer = _pandas_rule(frame, pack)
            out["seconds"] = time.perf_counter() - started
            out["rows"] = len(frame)
            out["hits"] = len(answer)
            out["answer"] = _digest(answer)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def _warm_up(pack: object) -> None:
    from amlwatch.scanners import LargeValueInput, scan_large_value

    one = {
        k: np.zeros(1, t)
        for k, t in (
            ("customer", np.int64),
            ("day", np.int32),
            ("cny", np.int64),
            ("usd", np.int64),
        )
    }
    flags = {
        k: np.zeros(1, bool) for k in ("out", "entity", "cash", "cross_border", "rmb", "counted")
    }
    scan_large_value(LargeValueInput(**one, **flags), pack)  # type: ignore[arg-type]


def _pandas_rule(frame: object, pack: object) -> list[tuple[str, str]]:
    """The rule in pandas: one group-by-transform per characteristic."""
    import pandas as pd

    from amlwatch.scanners.large_value import SCOPES

    df: pd.DataFrame = frame  # type: ignore[assignment]
    df = df[df["counted"]]
    rmb = df["currency"] == "CNY"
    amount = df["cny_milli"].where(rmb, df["usd_milli"])
    keys = [df["customer_id"], df["trade_date"], df["direction"], rmb]
    hits: list[tuple[str, str]] = []
    for c in pack.large_value.characteristics:  # type: ignore[attr-defined]
        scope = SCOPES[c.scope]
        cash, xb = df["is_cash"], df["is_cross_border"]
        in_scope = [cash, ~cash, ~cash & ~xb, ~cash & xb][scope]
        types = df["entity"].map(
            {True: "entity" in c.customer_types, False: "individual" in c.customer_types}
        )
        eligible = in_scope & types.astype(bool)
        if c.threshold_usd is None:
            eligible &= rmb
        sub = amount[eligible]
        total = sub.groupby([k[eligible] for k in keys], sort=False).transform("sum")
        threshold = np.where(
            rmb[eligible], int(c.threshold_cny * 1000), int((c.threshold_usd or 0) * 1000)
        )
        chosen = df.loc[eligible, "txn_id"][total.to_numpy() >= threshold]
        hits.extend((txn, c.code) for txn in chosen)
    return hits


def _answer(wh: object, sql: str) -> str:
    return _digest(wh.rows(sql))  # type: ignore[attr-defined]


def _digest(rows: list[tuple[str, str]]) -> str:
    import hashlib

    h = hashlib.sha256()
    for txn_id, code in sorted(rows):
        h.update(f"{txn_id}\t{code}\n".encode())
    return h.hexdigest()


MODES = ["kernel", "stage", "duckdb-sql", "pandas"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--out", type=Path, default=Path("bench/out/large_value"))
    parser.add_argument("--one", nargs=2, metavar=("MODE", "DB"), help=argparse.SUPPRESS)
    parser.add_argument("--modes", default=",".join(MODES), help="formulations to measure")
    parser.add_argument("--repeat", type=int, default=1, help="runs per formulation (median)")
    args = parser.parse_args()
    MODES[:] = args.modes.split(",")
    if args.one:
        print(json.dumps(measure(args.one[0], Path(args.one[1]))))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    db = args.out / f"window-{args.rows}.duckdb"
    if not db.exists():
        started = time.perf_counter()
        build(db, args.rows)
        print(f"built a {args.rows:,}-transaction window in {time.perf_counter() - started:.1f} s")
    from amlwatch.warehouse import Warehouse
    from amlwatch.warehouse import large_value_store as lv_store

    with Warehouse.open(db) as wh:  # what the loads write: the window store's records
        started = time.perf_counter()
        lv_store.ready_records(wh, DAYS)
        print(f"window store's large-value records ready in {time.perf_counter() - started:.1f} s")
    results: dict[str, dict] = {}
    every: dict[str, list[float]] = {}
    for mode in MODES:
        runs = []
        for _ in range(args.repeat):
            child = subprocess.run(
                [sys.executable, __file__, "--one", mode, str(db)], capture_output=True, text=True
            )
            if child.returncode != 0:
                print(f"{mode} failed:\n{child.stderr[-2000:]}")
                break
            runs.append(json.loads(child.stdout.strip().splitlines()[-1]))
        if runs:  # the median run, with the highest peak RSS of all
            median = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
            results[mode] = median | {"peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}
            every[mode] = [r["seconds"] for r in runs]
            if len({r.get("answer") for r in runs}) > 1:
                results[mode]["answer"] = "differs between runs"
    print(
        f"\nlarge-value scan of a 10-business-day window ({len(DAYS)} calendar days), {args.rows:,} transactions"
    )
    print(
        f"{'formulation':<12}{'seconds':>9}{'rows/s':>15}{'hits':>10}{'peak RSS':>12}"
        f"  same answer as stage  (median of {args.repeat}; every run)"
    )
    reference = results.get("stage", {}).get("answer")
    for mode, r in results.items():
        rate = r["rows"] / r["seconds"]
        same = "-" if mode == "kernel" else ("yes" if r.get("answer") == reference else "NO")
        print(
            f"{mode:<12}{r['seconds']:>9.2f}{rate:>15,.0f}{r['hits']:>10,}{r['peak_rss_mb']:>10,.0f}MB"
            f"  {same:<21} {' / '.join(f'{x:.2f}' for x in every[mode])}"
        )
    if "stage" in results:
        print(
            f"(the stage's first scan in a process also loads the cached kernel: "
            f"{results['stage']['jit_load_seconds']:.2f} s once)"
        )
        for peer in ("duckdb-sql", "pandas"):
            if peer in results:
                print(
                    f"stage is {results[peer]['seconds'] / results['stage']['seconds']:.2f}x as fast as {peer}"
                )


if __name__ == "__main__":
    main()
