"""End-to-end nightly benchmark: a generated bank of N transactions a day, the previous 10
business days already loaded; the measured run ingests the run date's files, runs both
scanners over their windows, stores the results and writes the report tables.

    python bench/bench_nightly.py                                  # the issue's figures (5M/day)
    python bench/bench_nightly.py --txns-per-day 200000 --customers 40000   # a quick look
    python bench/bench_nightly.py --modes threads:1 dask:1:2 dask:2:4       # scaling

A mode is `threads:BUCKETS` (one process) or `dask:WORKERS:BUCKETS` (a LocalCluster of WORKERS
processes). Each measurement runs in its own process on a fresh copy of the loaded history,
after a warm-up flow has started Prefect's ephemeral server; it prints the per-stage breakdown,
the flow process's peak RSS and the largest Dask worker's.

The bank (Parquet days, as a bank's export job would write them) and the loaded history are
kept under --out and reused by later runs with the same parameters.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

RUN_DATE = dt.date(2026, 11, 20)  # Friday; the 10 business days before it start 2026-11-06
FIRST = dt.date(2026, 11, 6)
TARGET_SECONDS, TARGET_RSS_MB = 30, 4_096  # issue 23: the median of three runs


def prepare(out: Path, per_day: int, customers: int) -> tuple[Path, Path]:
    """Generate the bank once; load the history days once into history.duckdb."""
    from amlwatch.stages.ingest import cut_day_runs, ingest_day
    from amlwatch.synth import generate_bank
    from amlwatch.warehouse.schema import DDL

    bank = out / f"bank-{per_day}-{customers}"
    marker = bank / "generated.done"
    if not marker.exists():
        shutil.rmtree(bank, ignore_errors=True)
        started = time.perf_counter()
        summary = generate_bank(
            bank,
            customers=customers,
            days=(RUN_DATE - FIRST).days + 1,
            start=FIRST,
            txns_per_day=per_day,
            fmt="parquet",
        )
        print(
            f"generated {summary.transactions:,} transactions in "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
        marker.touch()
    history = bank / "history.duckdb"
    done = bank / "history.done"  # holds the schema it was loaded under
    schema = hashlib.sha256("\n".join(DDL).encode()).hexdigest()[:16]
    if not done.exists() or done.read_text() != schema:
        history.unlink(missing_ok=True)
        shutil.rmtree(bank / "history-window", ignore_errors=True)  # the window store it listed
        (bank / "runs.done").unlink(missing_ok=True)
        started = time.perf_counter()
        day = FIRST
        while day < RUN_DATE:
            load = ingest_day(day, bank / "inbox", history)  # loaded; scans not needed
            print(f"  history {day}: {load.total_loaded:,} rows", flush=True)
            day += dt.timedelta(days=1)
        print(f"history loaded in {time.perf_counter() - started:.0f} s", flush=True)
        done.write_text(schema)
    if not (bank / "runs.done").exists():  # history loaded before loads cut day runs
        started = time.perf_counter()
        cut = cut_day_runs(history)
        print(f"day runs of {len(cut)} dates cut in {time.perf_counter() - started:.0f} s")
        (bank / "runs.done").touch()
    return bank / "inbox", history


def measure(
    mode: str, inbox: Path, db: Path, reports: Path, rule_pack: str | None = None
) -> dict[str, object]:
    """One nightly run of RUN_DATE in this process (after a warm-up flow), under the pack in
    force or the one named."""
    from prefect import flow

    from amlwatch.stages.run_log import peak_rss_mb
    from pipelines.nightly import nightly_on

    @flow
    def warm_up() -> None:  # starts the ephemeral Prefect server outside the measurement
        return None

    warm_up()
    kind, *numbers = mode.split(":")
    workers, buckets = (1, int(numbers[0])) if kind == "threads" else map(int, numbers)
    with nightly_on(kind, workers=workers) as nightly:
        started = time.perf_counter()
        report = nightly(
            run_date=RUN_DATE, inbox=inbox, db=db, reports_dir=reports, buckets=buckets,
            rule_pack=rule_pack,
        )  # fmt: skip
        seconds = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    lv, sp = report.large_value, report.patterns
    return {
        "mode": mode,
        "seconds": seconds,
        "stages": report.stage_seconds,
        "rows_loaded": report.load.total_loaded,
        "large_value_rows": lv.transactions_scanned if lv else 0,
        "large_value_hits": lv.hits if lv else 0,
        "pattern_rows": sp.transactions_scanned if sp else 0,
        "pattern_hits": sum(sp.hits_by_code.values()) if sp else 0,
        "peak_rss_mb": peak_rss_mb(),
        "worker_peak_rss_mb": children if kind == "dask" else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--txns-per-day", type=int, default=5_000_000)
    parser.add_argument("--customers", type=int, default=None, help="default: per day / 5")
    parser.add_argument("--modes", nargs="+", default=["threads:1"])
    parser.add_argument("--out", type=Path, default=Path("bench/out/nightly"))
    parser.add_argument(
        "--rule-pack",
        help="a pack to force (e.g. bench/out/patterns/scatter-only.toml, which bench_patterns.py "
        "writes: the figure the library's night is compared with)",
    )
    parser.add_argument("--one", nargs=4, metavar=("MODE", "INBOX", "DB", "REPORTS"))
    args = parser.parse_args()
    if args.one:
        mode, inbox, db, reports = args.one
        print(json.dumps(measure(mode, Path(inbox), Path(db), Path(reports), args.rule_pack)))
        return
    customers = args.customers or max(2_000, args.txns_per_day // 5)
    inbox, history = prepare(args.out, args.txns_per_day, customers)
    results = []
    for mode in args.modes:
        db = args.out / "run.duckdb"
        shutil.copy(history, db)
        os.sync()  # the copy's writeback is not the night's work: let it finish first
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                mode,
                str(inbox),
                str(db),
                str(args.out / "reports"),
                *(["--rule-pack", args.rule_pack] if args.rule_pack else []),
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING"},
        )
        if child.returncode:
            print(child.stderr[-4000:])
            raise SystemExit(f"{mode} failed")
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
        db.unlink()
        shutil.rmtree(db.with_name(f"{db.stem}-window"), ignore_errors=True)  # the run's own files
    print(
        f"\nnightly run of {RUN_DATE}: {args.txns_per_day:,} transactions a day, "
        f"{customers:,} customers, the 10 business days before it loaded"
        + (f"; rule pack forced: {args.rule_pack}" if args.rule_pack else "")
    )
    stages = list(results[0]["stages"])
    print(
        f"{'mode':<12}{'seconds':>9}"
        + "".join(f"{s[:12]:>13}" for s in stages)
        + f"{'peak RSS':>11}{'worker RSS':>12}"
    )
    for r in results:
        print(
            f"{r['mode']:<12}{r['seconds']:>9.1f}"
            + "".join(f"{r['stages'].get(s, 0):>13.1f}" for s in stages)
            + f"{r['peak_rss_mb']:>9,.0f}MB{r['worker_peak_rss_mb']:>10,.0f}MB"
        )
    first = results[0]
    print(
        f"rows: loaded {first['rows_loaded']:,}; large-value scanned {first['large_value_rows']:,} "
        f"({first['large_value_hits']:,} hits); pattern window {first['pattern_rows']:,} "
        f"({first['pattern_hits']:,} hits)"
    )
    for r in results[1:]:
        same = (r["large_value_hits"], r["pattern_hits"]) == (
            first["large_value_hits"],
            first["pattern_hits"],
        )
        print(
            f"{r['mode']}: {first['seconds'] / r['seconds']:.2f}x the first mode; same hits: {same}"
        )
    print(f"targets: <= {TARGET_SECONDS} s wall, <= {TARGET_RSS_MB:,} MB peak RSS")


if __name__ == "__main__":
    main()
