"""Customer risk rating speed: every customer of a 1,000,000-customer bank re-scored from 90
days of history — through the rating stage on a real warehouse and case store — side by side
with the peer formulations.

    python bench/bench_rating.py                     # builds bench/out/rating once (~2 min)
    python bench/bench_rating.py --customers 200000 --runs 1

The warehouse is synthetic, written by DuckDB directly: the customers (12% entities, a few
foreign, PEPs, cash-intensive and cross-border ones), 1.5 accounts each, 89 days of the rating's
day sums (half the customers active a day) and the last day's 5,000,000 transactions, from
which the night sums its own day. The first night rates every customer (the system confirms the
levels it may, which fills the case store once); the measured night is a steady one.

Measured, each in its own process (the median of the runs and that process's peak RSS):
- night: `stages.rating.rate_night` whole — the day's sums from its transactions, the window's
  inputs, the scores, the night's scores stored, the case store's levels read, the reviews
  chosen and taken, the levels in force written back for the standards;
- re-score: the window's inputs read and every customer scored (what the target is about).

Peers, in the same run:
- SQL: DuckDB computing every factor's score, the weighted total and the level with CASE
  expressions generated from the model (the same inputs table); its levels are compared with
  the stage's (a digest of customer → level);
- naive: the per-customer Python scorer of the tests (`tests/naive_rating.py`) on a sample,
  scaled to the bank.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
OUT = ROOT / "bench" / "out" / "rating"
DAY = dt.date(2026, 11, 30)
TARGET_S, TARGET_RSS_MB = 30, 4_096


def prepare(customers: int, txns: int) -> Path:
    """The bench warehouse and case store, built once, with the first night rated."""
    import duckdb

    from amlwatch.warehouse import Warehouse

    db = OUT / f"wh-{customers}.duckdb"
    marker = OUT / f"prepared-{customers}-{txns}-v1.json"
    if marker.exists():
        return db
    OUT.mkdir(parents=True, exist_ok=True)
    for stale in OUT.glob(f"wh-{customers}*"):
        stale.unlink()
    with Warehouse.open(db):
        pass  # the schema
    con = duckdb.connect(str(db))
    first = DAY - dt.timedelta(days=89)
    t0 = time.monotonic()
    con.execute(f"""INSERT INTO customer_history (business_date, load_id, customer_id, name, customer_type,
            id_type, id_number, nationality, occupation_or_industry, branch_code, is_state_organ, is_pep,
            declared_income_cny, registered_capital_cny)
        SELECT DATE '{first}', 'bench', printf('C%09d', i), printf('客户%d', i),
               CASE WHEN hash(i, 1) % 100 < 12 THEN 'entity' ELSE 'individual' END,
               CASE WHEN hash(i, 1) % 100 < 12 THEN '610099'
                    WHEN hash(i, 2) % 100 < 2 THEN '110027' ELSE '110001' END,
               printf('%018d', i), CASE WHEN hash(i, 2) % 100 < 2 THEN 'USA' ELSE 'CHN' END,
               CASE WHEN hash(i, 1) % 100 < 12
                    THEN ['F51', 'I65', 'C39', 'E47', 'H62', 'K70'][(1 + hash(i, 3) % 6)::BIGINT]
                    ELSE ['10000', '20000', '30000', '40000', '60000', '80000'][(1 + hash(i, 3) % 6)::BIGINT]
               END,
               printf('B%03d', (1 + hash(i, 4) % 8)::BIGINT), false, hash(i, 5) % 10000 = 0,
               CASE WHEN hash(i, 1) % 100 >= 12 THEN 60000 + hash(i, 6) % 400000 END,
               CASE WHEN hash(i, 1) % 100 < 12 THEN 1000000 + hash(i, 6) % 50000000 END
        FROM range({customers}) t(i)""")
    con.execute(f"""INSERT INTO account_history (business_date, load_id, account_id, customer_id, opened_at)
        SELECT DATE '{first}', 'bench', printf('A%010d', a), printf('C%09d', a % {customers}),
               TIMESTAMP '2010-01-01' + to_days(CAST(hash(a, 7) % 5000 AS INTEGER))
        FROM range({customers * 3 // 2}) t(a)""")
    # the days before the last: half the customers a day; 1% cash-intensive, 2% cross-border
    con.execute(f"""INSERT INTO rating_day_features
        SELECT DATE '{first}' + CAST(d AS INTEGER), printf('C%09d', i), n, total, total * 0.5,
               CASE WHEN hash(i, 8) % 100 = 0 THEN total * 0.9 ELSE total * (hash(i, d, 9) % 10) / 100 END,
               CASE WHEN hash(i, 10) % 100 < 2 THEN total * 0.4 ELSE 0 END,
               CASE WHEN hash(i, 11) % 1000 = 0 THEN total * 0.2 ELSE 0 END,
               CASE WHEN hash(i, 12) % 100 < 3 THEN 1 ELSE 0 END, hash(i, d, 13) % 2,
               n - hash(i, d, 14) % 2
        FROM (SELECT d, i, 1 + hash(i, d) % 9 AS n, (1000 + hash(i, d, 15) % 40000)::DOUBLE AS total
              FROM range(89) a(d), range({customers}) b(i) WHERE hash(i, d, 16) % 2 = 0)""")
    con.execute(f"""INSERT INTO transactions (business_date, load_id, line, txn_id, booked_at, trade_date,
            customer_id, account_id, direction, amount, currency, is_cash, is_cross_border, amount_cny,
            amount_usd, fx_stale, channel, counterparty_region, agent_name)
        SELECT DATE '{DAY}', 'bench', r, printf('T%011d', r),
               TIMESTAMP '{DAY}' + to_seconds((hash(r, 1) % 86400)::BIGINT), DATE '{DAY}',
               printf('C%09d', (hash(r, 2) % {customers})::BIGINT),
               printf('A%010d', (hash(r, 2) % {customers})::BIGINT),
               CASE WHEN hash(r, 3) % 2 = 0 THEN 'in' ELSE 'out' END, a, 'CNY', hash(r, 4) % 20 = 0,
               hash(r, 5) % 50 = 0, a, a / 7, false, CASE WHEN hash(r, 6) % 5 = 0 THEN NULL ELSE '11' END,
               CASE WHEN hash(r, 7) % 2000 = 0 THEN 'IRN' END, CASE WHEN hash(r, 8) % 100 = 0 THEN '代办人' END
        FROM (SELECT r, (100 + hash(r) % 50000)::DECIMAL(20, 3) AS a FROM range({txns}) t(r))""")
    con.execute(f"""INSERT INTO load_log (load_id, business_date, status, started_at)
        SELECT 'bench-' || d, DATE '{first}' + CAST(d AS INTEGER), 'loaded', now()::TIMESTAMP FROM range(90) t(d)""")
    con.close()
    built = time.monotonic() - t0
    t1 = time.monotonic()
    first_night = _run(["first", str(db)])
    marker.write_text(
        json.dumps(
            {"built_s": built, "first_night": first_night, "first_night_s": time.monotonic() - t1}
        )
    )
    return db


def child(kind: str, db: Path, sample: int) -> None:
    """One measurement in this process; prints its result as JSON."""
    import os

    os.environ["AMLWATCH_DB"] = str(db)
    from amlwatch import wiring
    from amlwatch.rating import load_model, score_customers
    from amlwatch.stages.rating import rate_night, rating_inputs
    from amlwatch.warehouse import Warehouse
    from amlwatch.warehouse import rating as wh

    model = load_model()
    began = time.monotonic()
    found: dict[str, object] = {}
    if kind in ("first", "night"):
        rated = rate_night(DAY, db)
        found = {"customers": rated.customers, "per_level": rated.per_level, "confirmed": rated.confirmed,
                 "opened": rated.opened}  # fmt: skip
    elif kind == "rescore":
        with Warehouse.open(db, read_only=True) as warehouse:
            table = wh.customer_inputs(warehouse, DAY, model.window_days)
        with wiring.open_review(db) as review:
            facts = review.rating_facts(DAY - dt.timedelta(days=364))
        scores = score_customers(model, rating_inputs(table, facts))
        found = {"customers": len(scores), "digest": _digest(table["customer_id"].to_pylist(),
                 [model.levels[i].code for i in scores.level])}  # fmt: skip
    elif kind == "sql":
        with Warehouse.open(db, read_only=True) as warehouse:
            table = wh.customer_inputs(warehouse, DAY, model.window_days)
            warehouse._con.register("inputs", table)
            rows = warehouse.rows(_sql_levels(model))
        found = {
            "customers": len(rows),
            "digest": _digest([r[0] for r in rows], [r[1] for r in rows]),
        }
    elif kind == "naive":
        sys.path.insert(0, str(ROOT))
        from tests.naive_rating import rate_one

        with Warehouse.open(db, read_only=True) as warehouse:
            table = wh.customer_inputs(warehouse, DAY, model.window_days)
        rows = table.slice(0, sample).to_pylist()
        t0 = time.monotonic()
        for row in rows:
            rate_one(model, {**row, "cases": 0, "reports": 0, "list_hit": False, "list_review": 0})
        found = {
            "customers": table.num_rows,
            "scaled_s": (time.monotonic() - t0) * table.num_rows / len(rows),
        }
    seconds = time.monotonic() - began
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": rss, **found}, default=str))


def _digest(customers: list[str], levels: list[str]) -> str:
    text = "\n".join(f"{c} {lv}" for c, lv in sorted(zip(customers, levels, strict=True)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _sql_levels(model: object) -> str:
    """The model as one SQL query over the inputs table: every factor's CASE, the weighted
    total, the level (the hard rules' inputs from the case store are none here)."""
    from amlwatch.rating import RatingModel

    assert isinstance(model, RatingModel)
    parts = []
    for f in model.factors:
        column = f.input
        if f.input in ("cases", "reports", "list_review", "list_hit"):  # none in the bench bank
            none = f.missing if f.bands is None else f.bands[""][0][1]
            parts.append(f"{f.weight} * {none}")
            continue
        if f.kind == "category":
            cases = []
            for key, score in sorted(f.scores.items(), key=lambda kv: -len(kv[0])):
                test = f"starts_with({column}, '{key}')" if f.prefix else f"{column} = '{key}'"
                cases.append(f"WHEN {test} THEN {score}")
            expr = (
                f"CASE WHEN nullif(trim({column}), '') IS NULL THEN {f.missing} "
                f"{' '.join(cases)} ELSE {f.default} END"
            )
        elif f.kind == "flag":
            expr = (
                f"CASE WHEN {column} IS NULL THEN {f.missing} "
                f"WHEN {column} THEN {f.scores['true']} ELSE {f.scores['false']} END"
            )
        elif f.bands is not None and "" in f.bands:
            expr = _banded(column, f.bands[""], f.missing)
        else:
            assert f.bands is not None
            entity = _banded(column, f.bands["entity"], f.missing)
            person = _banded(column, f.bands["individual"], f.missing)
            expr = f"CASE WHEN customer_type = 'entity' THEN {entity} ELSE {person} END"
        parts.append(f"{f.weight} * ({expr})")
    total = model.total_weight
    level = " ".join(
        f"WHEN w >= {lv.min_score * total} THEN '{lv.code}'" for lv in model.levels[:-1]
    )
    pep = next((r for r in model.hard_rules if r.input == "is_pep"), None)
    floor = (
        f"CASE WHEN coalesce(is_pep, false) AND lv > '{pep.level}' THEN '{pep.level}' ELSE lv END"
        if pep
        else "lv"
    )
    return f"""SELECT customer_id, {floor} FROM (
                   SELECT customer_id, is_pep, CASE {level} ELSE '{model.levels[-1].code}' END AS lv
                   FROM (SELECT customer_id, is_pep, {" + ".join(parts)} AS w FROM inputs))"""


def _banded(column: str, steps: tuple[tuple[float, int], ...], missing: int) -> str:
    whens = " ".join(f"WHEN {column} >= {b} THEN {s}" for b, s in reversed(steps))
    return f"CASE WHEN {column} IS NULL OR isnan({column}) THEN {missing} {whens} ELSE {steps[0][1]} END"


def _run(args: list[str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(kind: str, db: Path, runs: int, sample: int) -> dict[str, object]:
    results = [_run([kind, str(db), str(sample)]) for _ in range(runs)]
    seconds = statistics.median(float(r["seconds"]) for r in results)  # type: ignore[arg-type]
    return {**results[-1], "seconds": seconds, "rss_mb": max(float(r["rss_mb"]) for r in results)}  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--txns", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        kind, db, *rest = args.child
        child(kind, Path(db), int(rest[0]) if rest else 0)
        return
    db = prepare(args.customers, args.txns)
    prepared = json.loads((OUT / f"prepared-{args.customers}-{args.txns}-v1.json").read_text())
    print(f"bank: {args.customers:,} customers, 90 days, the last day {args.txns:,} transactions "
          f"(built in {prepared['built_s']:.0f} s); the first night rated everyone in "
          f"{prepared['first_night']['seconds']:.1f} s, peak {prepared['first_night']['rss_mb']:,.0f} MB "
          f"(confirmed by the system: {prepared['first_night']['confirmed']:,})")  # fmt: skip
    night = measure("night", db, args.runs, args.sample)
    rescore = measure("rescore", db, args.runs, args.sample)
    sql = measure("sql", db, args.runs, args.sample)
    naive = measure("naive", db, 1, args.sample)
    n = args.customers
    print(f"\n{'formulation':<52}{'seconds':>9}{'customers/s':>13}{'ratio':>8}{'peak MB':>9}")
    rows = [("rating stage, whole night (steady)", night["seconds"], night["rss_mb"]),
            ("re-score: window inputs + every customer scored", rescore["seconds"], rescore["rss_mb"]),
            ("peer: DuckDB SQL scorer (same inputs)", sql["seconds"], sql["rss_mb"]),
            (f"peer: naive per-customer Python (scaled from {args.sample:,})", naive["scaled_s"],
             naive["rss_mb"])]  # fmt: skip
    base = float(rescore["seconds"])  # type: ignore[arg-type]
    for label, seconds, rss in rows:
        s = float(seconds)  # type: ignore[arg-type]
        print(f"{label:<52}{s:>9.2f}{n / s:>13,.0f}{s / base:>7.2f}×{float(rss):>9,.0f}")  # type: ignore[arg-type]
    same = rescore["digest"] == sql["digest"]
    print(
        f"\nlevels: stage {rescore['digest']} vs SQL {sql['digest']}: {'identical' if same else 'DIFFER'}"
    )
    print(f"steady night's levels: {night['per_level']}; reviews opened {night['opened']}")
    peak = max(float(night["rss_mb"]), float(rescore["rss_mb"]))  # type: ignore[arg-type]
    print(
        f"target: re-score ≤ {TARGET_S} s ({'met' if base <= TARGET_S else 'MISSED'}), whole night "
        f"{float(night['seconds']):.1f} s; peak ≤ {TARGET_RSS_MB:,} MB ({'met' if peak <= TARGET_RSS_MB else 'MISSED'})"
    )  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
