"""List screening speed: every customer of a 1,000,000-customer bank against 20,000 list
names (the re-screening a list change starts), and a night's delta (the night's new and
changed customers, the counterparties and agents of its 5,000,000 transactions) — through
the screening stage on a real warehouse, side by side with the peer formulations.

    python bench/bench_screening.py                 # needs bench_nightly's bank (5M/day, 1M)
    python bench/bench_screening.py --runs 1 --peer-sample 5000

The warehouse (customers, accounts, the last loaded day's transactions of bench_nightly's
bank) and the lists are built once under bench/out/screening. The lists: the UN list in its
XML and a domestic list in CSV, generated (`synth.lists`) to 20,000 names, plus 200 of the
bank's own customers listed in pinyin with their birth dates (a sample of 200 customers, of
which the individuals with a resident ID: so there are hits to open, and a recall to compare).
Each measurement runs in its own process; it prints the median of the runs and that
process's peak RSS.

Peers, in the same run:
- brute force: rapidfuzz's `process.cdist` (C++, all cores) of each customer name against every
  list name's pinyin/Latin form, keeping the best — the usual "fuzzy match everything"
  screening; timed on a sample of customers and scaled to the bank;
- SQL exact join: DuckDB joining the customers' names to the listed names as written (no
  variant, no romanisation: it finds the exact-name hits only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
OUT = ROOT / "bench" / "out" / "screening"
BANK = ROOT / "bench" / "out" / "nightly" / "bank-5000000-1000000" / "history.duckdb"
TARGET_FULL_S, TARGET_DELTA_S, TARGET_RSS_MB = 60, 10, 4_096


def prepare(list_names: int) -> tuple[Path, dt.date]:
    """The bench warehouse (from bench_nightly's bank) with the lists imported, once."""
    import duckdb
    import numpy as np

    from amlwatch.screening import ListEntry, ListName
    from amlwatch.screening.names import _char_readings
    from amlwatch.stages.screening import parse_list
    from amlwatch.synth.lists import generated_entries, list_csv, un_list_xml
    from amlwatch.warehouse import Warehouse
    from amlwatch.warehouse import screening as wh

    db = OUT / "wh.duckdb"
    marker = OUT / f"prepared-{list_names}-v3.json"
    if marker.exists():
        return db, dt.date.fromisoformat(json.loads(marker.read_text())["day"])
    if not BANK.exists():
        sys.exit(f"no bank at {BANK}: run bench/bench_nightly.py first (it builds the 5M/day bank)")
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    with Warehouse.open(db):  # the schema
        pass
    con = duckdb.connect(str(db))
    con.execute(f"ATTACH '{BANK}' AS bank (READ_ONLY)")
    day = con.execute("SELECT max(business_date) FROM bank.transactions").fetchone()[0]
    for table in ("customer_history", "account_history"):
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM bank.{table}")
    con.execute(
        "INSERT INTO transactions BY NAME SELECT * FROM bank.transactions WHERE business_date = ?",
        [day],
    )
    con.execute("DETACH bank")
    # the night's new and changed customers: 1% of the bank sent again with the day's load
    con.execute(
        """INSERT INTO customer_history BY NAME SELECT * REPLACE (?::DATE AS business_date)
           FROM customers USING SAMPLE 10000 ROWS (reservoir, 11)""",
        [day],
    )
    sample = con.execute(
        """SELECT name, id_number FROM customers WHERE customer_type = 'individual'
           AND id_type = '110001' USING SAMPLE 200 ROWS (reservoir, 7)"""
    ).fetchall()
    con.close()
    rng = np.random.default_rng(36)
    # ~2.6 names per foreign entry (primary, alias, half a third), 1 per Chinese / entity one
    foreign = list_names * 35 // 100 // 2
    chinese = list_names - foreign * 2 - list_names // 10
    entries = generated_entries(rng, chinese, foreign, list_names // 10)
    un, domestic = entries[chinese:], entries[:chinese]
    for i, (name, number) in enumerate(sample):
        syllables = [_char_readings(c, "pinyin")[0] for c in name]
        birth = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
        latin = syllables[0].upper() + " " + "".join(syllables[1:])
        un.append(
            ListEntry(
                f"BQ{i:04d}",
                "individual",
                (ListName(latin),),
                birth_dates=(birth,),
                nationalities=("CHN",),
            )
        )
    names = sum(len(e.names) for e in un + domestic)
    with Warehouse.open(db) as warehouse:
        for code, data, file, fmt in (("UN", un_list_xml(un), "UN.xml", "un-xml"),
                                      ("CN-CT", list_csv(domestic), "CN-CT.csv", "csv")):  # fmt: skip
            wh.store_list_version(
                warehouse,
                code,
                fmt,
                file,
                code,
                parse_list(data, file, fmt),
                "bench",
                dt.datetime.now(),
            )
        customers = warehouse.scalar("SELECT count(*) FROM customers")
        txns = warehouse.scalar("SELECT count(*) FROM transactions")
    marker.write_text(
        json.dumps(
            {"day": day.isoformat(), "names": names, "customers": customers, "transactions": txns}
        )
    )
    print(
        f"prepared: {customers:,} customers, {txns:,} transactions of {day}, {names:,} list names",
        flush=True,
    )
    return db, day


def child(kind: str, db: Path, day: dt.date, sample: int) -> None:
    """One measurement in this process: prints seconds and what it found as JSON."""
    import os

    os.environ["AMLWATCH_CASE_DB"] = f"sqlite:///{OUT / f'cases-{kind}.sqlite'}"
    (OUT / f"cases-{kind}.sqlite").unlink(missing_ok=True)
    began = time.perf_counter()
    found: dict[str, object] = {}
    if kind == "full":
        from amlwatch.stages.screening import rescreen

        done = rescreen(day, db)
        found = {
            "seconds": time.perf_counter() - began,
            "subjects": done.subjects,
            "hits": done.hits,
            "review": done.review,
            "cases": done.cases,
            "planted": _planted_found(db, day),
        }
    elif kind == "delta":
        from amlwatch.stages.screening import screen_night
        from amlwatch.warehouse import Warehouse

        with Warehouse.open(db) as warehouse:  # the rescreen of the list change is done
            warehouse.execute(
                "DELETE FROM screening_runs WHERE trigger = 'rescreen' AND screened_on = ?",
                [day - dt.timedelta(days=1)],
            )
            warehouse.execute(
                "INSERT INTO screening_runs SELECT ?, 'rescreen', ?, 0, 0, 0, 0, now()",
                [day - dt.timedelta(days=1), warehouse.scalar(
                    "SELECT string_agg(list_code || ':' || v, ' ' ORDER BY list_code) FROM "
                    "(SELECT list_code, max(version) v FROM screening_list_versions GROUP BY 1)")],
            )  # fmt: skip
        began = time.perf_counter()
        done = screen_night(day, db)
        found = {
            "seconds": time.perf_counter() - began,
            "subjects": done.subjects,
            "hits": done.hits,
            "review": done.review,
            "rescreened": done.rescreened,
            "sent": _sent(db, day),
        }
    elif kind == "brute":
        found = _brute_force(db, sample)
    elif kind == "sql":
        found = _sql_exact(db)
    seconds = found.pop("seconds", None) or time.perf_counter() - began
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": rss, **found}, default=str))


def _planted_found(db: Path, day: dt.date) -> str:
    """How many of the 200 listed customers (entries BQ…) the re-screening found as hits, and
    how many more for review."""
    from amlwatch.warehouse import Warehouse

    with Warehouse.open(db, read_only=True) as warehouse:
        hits = warehouse.scalar(
            """SELECT count(DISTINCT entry_ref) FROM screening_matches WHERE screened_on = ?
               AND trigger = 'rescreen' AND entry_ref LIKE 'BQ%' AND band = 'hit'""",
            [day],
        )
        listed = warehouse.scalar(
            "SELECT count(DISTINCT ref) FROM screening_list_entries WHERE ref LIKE 'BQ%'"
        )
        return f"{hits} of {listed}"


def _sent(db: Path, day: dt.date) -> int:
    from amlwatch.warehouse import Warehouse

    with Warehouse.open(db, read_only=True) as warehouse:
        return int(
            warehouse.scalar("SELECT count(*) FROM customer_history WHERE business_date = ?", [day])
        )


def _brute_force(db: Path, sample: int) -> dict[str, object]:
    """rapidfuzz cdist of `sample` customers against every list name's Latin form, scaled."""
    from rapidfuzz import fuzz, process

    from amlwatch.screening.names import name_forms
    from amlwatch.warehouse import Warehouse
    from amlwatch.warehouse import screening as wh

    with Warehouse.open(db, read_only=True) as warehouse:
        customers = warehouse.scalar("SELECT count(*) FROM customers")
        names = [
            r[0]
            for r in warehouse.rows(
                f"SELECT name FROM customers USING SAMPLE {sample} ROWS (reservoir, 3)"
            )
        ]
        listed = [n.text for _, _, e in wh.entries_in_force(warehouse) for n in e.names]
    began = time.perf_counter()
    choices = [
        name_forms(n).renderings[0].compact if name_forms(n).renderings else n for n in listed
    ]
    queries = [name_forms(n).renderings[0].compact for n in names]
    scores = process.cdist(
        queries, choices, scorer=fuzz.ratio, score_cutoff=85, workers=-1, dtype="uint8"
    )
    hits = int((scores.max(axis=1) > 0).sum())
    elapsed = time.perf_counter() - began
    return {
        "seconds": elapsed * customers / sample,
        "sample": sample,
        "sample_seconds": elapsed,
        "sample_hits": hits,
    }


def _sql_exact(db: Path) -> dict[str, object]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    began = time.perf_counter()
    hits, planted = con.execute(
        """WITH listed AS (SELECT DISTINCT ref, lower(trim(unnest(json_extract_string(entry, '$.names[*].text'))))
                                 AS name FROM screening_list_entries)
           SELECT count(*), count(DISTINCT ref) FILTER (ref LIKE 'BQ%')
           FROM customers c JOIN listed l ON lower(trim(c.name)) = l.name"""
    ).fetchone()
    listed = con.execute(
        "SELECT count(DISTINCT ref) FROM screening_list_entries WHERE ref LIKE 'BQ%'"
    ).fetchone()[0]
    return {
        "seconds": time.perf_counter() - began,
        "hits": hits,
        "planted": f"{planted} of {listed}",
    }


def measure(kind: str, db: Path, day: dt.date, runs: int, sample: int) -> dict[str, object]:
    results = []
    for _ in range(runs):
        command = [
            sys.executable,
            __file__,
            "--child",
            kind,
            "--db",
            str(db),
            "--day",
            day.isoformat(),
        ]
        command += ["--peer-sample", str(sample)]
        done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    median = statistics.median(r["seconds"] for r in results)
    return {**results[-1], "seconds": median, "runs": [round(r["seconds"], 2) for r in results]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list-names", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--peer-sample", type=int, default=20_000, help="customers the brute force is timed on"
    )
    parser.add_argument("--child")
    parser.add_argument("--db", type=Path)
    parser.add_argument("--day")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db, dt.date.fromisoformat(args.day), args.peer_sample)
        return
    db, day = prepare(args.list_names)
    facts = json.loads((OUT / f"prepared-{args.list_names}-v3.json").read_text())
    print(f"bank: {facts['customers']:,} customers; {facts['transactions']:,} transactions on {day}; "
          f"lists: {facts['names']:,} names", flush=True)  # fmt: skip
    full = measure("full", db, day, args.runs, args.peer_sample)
    delta = measure("delta", db, day, args.runs, args.peer_sample)
    brute = measure("brute", db, day, 1, args.peer_sample)
    sql = measure("sql", db, day, args.runs, args.peer_sample)
    n = facts["customers"]
    print(
        f"\n{'formulation':<46}{'seconds':>9}{'customers/s':>13}{'ratio':>8}{'peak MB':>9}  listed found"
    )
    rows = (("amlwatch full re-screen (the stage)", full), (f"brute force cdist (from {args.peer_sample:,})", brute),
            ("SQL exact-name join", sql))  # fmt: skip
    for label, r in rows:
        ratio = r["seconds"] / full["seconds"]
        planted = str(r["planted"]) if "planted" in r else "(a sample)"
        print(
            f"{label:<46}{r['seconds']:>9.2f}{n / r['seconds']:>13,.0f}{ratio:>7.2f}×{r['rss_mb']:>9,.0f}  {planted}"
        )
    print(f"\nfull re-screen runs {full['runs']} s: {full['subjects']} candidates, {full['hits']} hits, "
          f"{full['review']} to review, cases {full['cases']}")  # fmt: skip
    print(f"night's delta runs {delta['runs']} s, peak {delta['rss_mb']:,.0f} MB: {delta['sent']:,} customers sent "
          f"with the load and {facts['transactions']:,} transactions' counterparties and agents; candidates "
          f"{delta['subjects']}, {delta['hits']} hits, {delta['review']} to review "
          f"(rescreened: {delta['rescreened']})")  # fmt: skip
    peak = max(full["rss_mb"], delta["rss_mb"])
    print(f"targets: full ≤ {TARGET_FULL_S} s ({'met' if full['seconds'] <= TARGET_FULL_S else 'MISSED'}), "
          f"delta ≤ {TARGET_DELTA_S} s ({'met' if delta['seconds'] <= TARGET_DELTA_S else 'MISSED'}), "
          f"peak ≤ {TARGET_RSS_MB:,} MB ({'met' if peak <= TARGET_RSS_MB else 'MISSED'})")  # fmt: skip


if __name__ == "__main__":
    main()
