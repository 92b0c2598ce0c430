"""Digests of a warehouse's result tables, to show two builds give the same tables.

    python bench/result_digests.py amlwatch.duckdb

Each table's rows sorted, without the values that differ between any two runs by design
(scan timestamps, load ids, alert ids), hashed: the row count and the first 16 hex digits.
"""

from __future__ import annotations

import hashlib
import sys

import duckdb

TABLES = [
    "large_value_transactions",
    "suspicious_hits",
    "suspicious_alerts",
    "suspicious_alert_transactions",
    "suspicious_evidence_detail",
    "network_hits",
    "network_hit_members",
    "network_hit_edges",
]
VARYING = {"alert_id", "load_id"}


def main() -> None:
    con = duckdb.connect(sys.argv[1], read_only=True)
    for table in TABLES:
        columns = [
            name
            for name, *_ in con.execute(f"DESCRIBE {table}").fetchall()
            if name not in VARYING and "scanned" not in name
        ]
        rows = sorted(
            repr(r) for r in con.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
        )
        digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]
        print(f"{table:<32}{len(rows):>8}  {digest}")


if __name__ == "__main__":
    main()
