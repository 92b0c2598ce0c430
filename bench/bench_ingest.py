"""Ingest benchmark: one generated day of N transactions, from CSV and from Parquet.

The previous day (with all customers and accounts) is loaded first, so the measured load
also checks its txn_ids against a stored day. Each measurement runs in its own process, so
its peak RSS is its own.

    python bench/bench_ingest.py --rows 5000000        # the issue's figure
    python bench/bench_ingest.py --rows 200000          # a quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

DAY1 = dt.date(2026, 11, 2)
DAY2 = dt.date(2026, 11, 3)


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss it is not carried over
    from the parent across exec)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure(inbox: Path, db: Path) -> dict[str, float]:
    """Ingest DAY2 into `db` (DAY1 already loaded) and report time, rows and peak memory."""
    from amlwatch.ingest import ingest_business_date
    from amlwatch.stages.data_issues import MESSAGE_FIELDS, columns_by_table, find_data_issues
    from amlwatch.warehouse import Warehouse
    from amlwatch.warehouse.data_issues import distinct_values
    from amlwatch.warehouse.inspect import CODED_COLUMNS, CODED_PAIRS

    with Warehouse.open(db, memory_limit="3GB") as wh:
        started = time.perf_counter()
        report = ingest_business_date(wh, inbox, DAY2)
        seconds = time.perf_counter() - started
        # what the ingest stage adds after the load: the checks of the message rules
        started = time.perf_counter()
        values = distinct_values(wh, report.load_id, columns_by_table(CODED_PAIRS, MESSAGE_FIELDS))
        issues = find_data_issues(wh, report.load_id, values)
        checks = time.perf_counter() - started
        # before (a5a4653): the unknown-code report alone, one GROUP BY per coded column
        started = time.perf_counter()
        for table, columns in CODED_COLUMNS.items():
            line = "min(line)" if table == "transactions" else "0"
            for column in columns:
                wh.rows(
                    f"SELECT {column}, count(*), {line} FROM {table} WHERE load_id = ? "
                    f"AND nullif(trim({column}), '') IS NOT NULL GROUP BY 1",
                    [report.load_id],
                )
        before = time.perf_counter() - started
    rows = report.rows_in.get("transactions.csv", report.rows_in.get("transactions.parquet", 0))
    peak_mb = peak_rss_mb()
    return {
        "seconds": seconds,
        "rows": rows,
        "loaded": report.total_loaded,
        "peak_rss_mb": peak_mb,
        "data_issue_seconds": checks,
        "unknown_code_seconds_before": before,
        "data_issues": len(issues),
    }


def prepare(out: Path, rows: int, customers: int) -> tuple[Path, Path, Path]:
    """Generate the bank once (CSV), make a Parquet twin, load DAY1 into a base warehouse."""
    from amlwatch.ingest import ingest_business_date
    from amlwatch.synth import generate_bank
    from amlwatch.warehouse import Warehouse

    csv_inbox = out / "bank" / "inbox"
    marker = out / f"bank-{rows}-{customers}.done"
    if not marker.exists():
        shutil.rmtree(out, ignore_errors=True)
        started = time.perf_counter()
        summary = generate_bank(
            out / "bank", customers=customers, days=2, start=DAY1, txns_per_day=rows
        )
        print(
            f"generated {summary.transactions:,} transactions in {time.perf_counter() - started:.1f} s"
        )
        marker.touch()
    pq_inbox = out / "parquet" / "inbox"
    if not (pq_inbox / DAY2.isoformat() / "transactions.parquet").exists():
        shutil.rmtree(out / "parquet", ignore_errors=True)
        shutil.copytree(csv_inbox, pq_inbox)
        day2 = pq_inbox / DAY2.isoformat()
        table = pacsv.read_csv(
            day2 / "transactions.csv"
        )  # typed by inference, as a bank's export would be
        pq.write_table(table, day2 / "transactions.parquet")
        (day2 / "transactions.csv").unlink()
    base = out / "base.duckdb"
    if not base.exists():
        with Warehouse.open(base, memory_limit="3GB") as wh:
            ingest_business_date(wh, csv_inbox, DAY1)
    return csv_inbox, pq_inbox, base


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rows", type=int, default=5_000_000, help="transactions in the measured day"
    )
    parser.add_argument("--customers", type=int, default=None, help="default: rows / 5")
    parser.add_argument("--out", type=Path, default=Path("bench/out/ingest"))
    parser.add_argument("--one", nargs=2, metavar=("INBOX", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(Path(args.one[0]), Path(args.one[1]))))
        return
    customers = args.customers or max(2_000, args.rows // 5)
    csv_inbox, pq_inbox, base = prepare(args.out, args.rows, customers)
    results = {}
    for name, inbox in (("csv", csv_inbox), ("parquet", pq_inbox)):
        db = args.out / f"{name}.duckdb"
        shutil.copy(base, db)
        child = subprocess.run(
            [sys.executable, __file__, "--one", str(inbox), str(db)],
            capture_output=True,
            text=True,
            check=True,
        )
        results[name] = json.loads(child.stdout.strip().splitlines()[-1])
        db.unlink()
    targets = {"csv": 500_000, "parquet": 2_000_000}
    print(
        f"\ningest of one day, {args.rows:,} transactions, previous day loaded ({customers:,} customers)"
    )
    print(
        f"{'format':<9}{'rows':>12}{'seconds':>10}{'rows/s':>14}{'target':>12}{'peak RSS':>12}"
        f"{'checks s':>10}{'before s':>10}{'issues':>8}"
    )
    for name, r in results.items():
        rate = r["rows"] / r["seconds"]
        print(
            f"{name:<9}{r['rows']:>12,}{r['seconds']:>10.2f}{rate:>14,.0f}{targets[name]:>12,}"
            f"{r['peak_rss_mb']:>10,.0f}MB{r['data_issue_seconds']:>10.2f}"
            f"{r['unknown_code_seconds_before']:>10.2f}{r['data_issues']:>8}"
        )
    print(
        "checks s: the ingest stage's checks after the load now (unknown codes and message "
        "rules, stages.data_issues); before s: the unknown-code report alone, as a5a4653 ran it"
    )
    ratio = (results["parquet"]["rows"] / results["parquet"]["seconds"]) / (
        results["csv"]["rows"] / results["csv"]["seconds"]
    )
    print(f"parquet / csv throughput: {ratio:.2f}x")


if __name__ == "__main__":
    main()
