"""Detection quality of the monitoring standards on a generated bank.

    python bench/quality_patterns.py --customers 100000 --days 40
    python bench/quality_patterns.py --sample      # the committed sample bank (data_samples/)

Generates a bank (planted rings, every family's planted cases and decoys with ground truth),
loads every day, scans the windows ending on every day as the nightly flow does, and prints
recall on the planted rings, then per standard (in force and on trial) the planted instances
found and the customers flagged, decoys alerted, and the alert volume per 10,000 customers
per day.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import time
from pathlib import Path

RINGS = {"scatter_in_concentrate_out": "AMLW-SP-0101", "concentrate_in_scatter_out": "AMLW-SP-0102"}


def bank_arguments(doc: str | None, *, customers: int, days: int, seed: int, out: str
                   ) -> argparse.ArgumentParser:  # fmt: skip
    """The options of a quality script's bank: generated (size, span, seed) or the sample."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=customers)
    parser.add_argument("--days", type=int, default=days)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 9, 14))
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--out", type=Path, default=Path(out))
    parser.add_argument("--sample", action="store_true", help="the committed sample bank")
    return parser


def loaded_bank(args: argparse.Namespace) -> tuple[Path, Path, list[dt.date]]:
    """The bank of `args` generated (or the sample copied) and every day of it loaded into a
    new warehouse: its folder, the warehouse and the days."""
    from amlwatch.ingest import inbox_dates
    from amlwatch.stages.ingest import ingest_day
    from amlwatch.synth import generate_bank

    out = args.out / f"bank-{args.customers}-{args.days}-{args.seed}"
    if args.sample:
        out = args.out / "sample"
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(Path(__file__).parents[1] / "data_samples", out)
        args.customers = json.loads((out / "manifest.json").read_text())["customers"]
    if not (out / "ground_truth.jsonl").exists():
        started = time.perf_counter()
        generate_bank(out, customers=args.customers, days=args.days, start=args.start,
                      seed=args.seed, fmt="parquet", corrupt_days=0)  # fmt: skip
        print(f"generated in {time.perf_counter() - started:.1f} s")
    db = out / "wh.duckdb"
    db.unlink(missing_ok=True)
    days = inbox_dates(out / "inbox")
    started = time.perf_counter()
    for day in days:
        ingest_day(day, out / "inbox", db)
    print(f"loaded {len(days)} days in {time.perf_counter() - started:.1f} s")
    return out, db, days


def main() -> None:
    from amlwatch.stages.patterns import scan_patterns_day
    from amlwatch.warehouse import Warehouse

    parser = bank_arguments(__doc__, customers=100_000, days=40, seed=21, out="bench/out/quality")
    parser.add_argument("--rule-pack", default=None)
    args = parser.parse_args()
    out, db, days = loaded_bank(args)
    started = time.perf_counter()
    for day in days:
        scan_patterns_day(day, db, args.rule_pack)
    scan_s = time.perf_counter() - started
    cases = [
        json.loads(line)
        for line in (out / "ground_truth.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    with Warehouse.open(db, read_only=True) as wh:
        alerts = wh.rows(
            """SELECT rule_code, customer_id FROM suspicious_alerts
               WHERE coalesce(standard_status, 'in_force') = 'in_force'"""
        )
        everything = wh.rows(
            "SELECT rule_code, customer_id, coalesce(standard_status, 'in_force') FROM suspicious_alerts"
        )
        transactions = wh.scalar("SELECT count(*) FROM transactions")
    found = set(alerts)
    rings = [c for c in cases if c["kind"] in RINGS]
    caught = [c for c in rings if (RINGS[c["kind"]], c["customer_id"]) in found]
    decoys = {c["customer_id"] for c in cases if c["kind"].startswith("decoy")}
    flagged = {customer for _, customer in found}
    planted = {c["customer_id"] for c in rings}
    print(
        f"bank: {args.customers:,} customers, {len(days)} days, {transactions:,} transactions; "
        f"scanned nightly in {scan_s:.1f} s"
    )
    print(
        f"rings planted {len(rings)}, alerted {len(caught)}: recall {len(caught) / max(1, len(rings)):.1%}"
    )
    missed = [c["case_id"] + " " + c["note"] for c in rings if c not in caught]
    for line in missed[:10]:
        print(f"  missed {line}")
    print(f"decoys {len(decoys)}, alerted {len(decoys & flagged)}")
    print(f"alerts {len(found)} ({len(flagged - planted)} on customers outside the planted rings)")
    print(
        f"alerts per 10,000 customers per day: {len(found) * 10_000 / args.customers / len(days):.3f}"
    )
    by_standard(cases, everything, decoys, args.customers, len(days))


def by_standard(
    cases: list[dict],
    alerts: list[tuple[str, str, str]],
    decoys: set[str],
    customers: int,
    days: int,
) -> None:
    """Per standard: planted instances found, customers flagged, decoys flagged, volume."""
    from amlwatch.rules import NETWORK_FAMILIES, load_pack

    rule = load_pack("pboc-2016").suspicious
    assert rule is not None
    print()
    print(f"{'standard':<14}{'status':<10}{'planted':>8}{'found':>7}{'flagged':>9}{'outside':>9}"
          f"{'decoys':>8}{'per 10k/day':>13}")  # fmt: skip
    # the network standards' rings: bench/quality_network.py
    for standard in (s for s in rule.standards if s.family not in NETWORK_FAMILIES):
        planted = {c["customer_id"] for c in cases if standard.code in c.get("standards", ())}
        flagged = {c for code, c, _ in alerts if code == standard.code}
        statuses = {s for code, _, s in alerts if code == standard.code} or {standard.status}
        volume = len(flagged) * 10_000 / customers / days
        print(
            f"{standard.code:<14}{'/'.join(sorted(statuses)):<10}{len(planted):>8}"
            f"{len(planted & flagged):>7}{len(flagged):>9}{len(flagged - planted):>9}"
            f"{len(flagged & decoys):>8}{volume:>13.3f}"
        )


if __name__ == "__main__":
    main()
