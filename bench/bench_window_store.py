"""Issue 38's first measurement: which open table format holds the encoded window store.

    pip install -e ".[bench]"            # deltalake, pyiceberg (not needed by the product yet)
    python bench/bench_window_store.py   # 5,000,000 rows a day, 10 days, 16 buckets

A day's partition in kernel form (what the scanners read, encoded once at ingest): int64
customer, account and counterparty keys, int64 seconds, int64 thousandths, uint8 direction and
kind bits, int16 bucket; sorted by bucket, customer, time. Each format writes the 10 days
(partitioned by business date and customer bucket, a date committed whole), replaces one date
(a re-run: the old rows gone in the same commit), then a bucket task reads its bucket's 10-day
window, and the whole window is read once. Each format runs in its own process (peak RSS).

Formats, side by side:
- delta: Delta Lake (`deltalake`, the Rust writer; a date replaced with a predicate overwrite);
- iceberg: Apache Iceberg (`pyiceberg`, its SQL catalog on SQLite; `overwrite` with a filter);
- manifest: plain Parquet files, one per date and bucket under a fresh folder per write, and a
  manifest table committed in DuckDB (the date's rows swapped in one transaction; readers read
  the files the manifest lists);
- store: the product's window store as built on that last design (decision 0008): the same
  rows keyed by a 64-bit customer hash, LZ4, a bucket's hash range read from its files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).parents[1]
OUT = ROOT / "bench" / "out" / "window_store"
FIRST = dt.date(2026, 11, 2)


def day_table(day: dt.date, rows: int, buckets: int, customers: int) -> pa.Table:
    """One business date's encoded rows, sorted as the kernels read them."""
    rng = np.random.default_rng(day.toordinal())
    customer = rng.integers(0, customers, rows)
    bucket = (customer % buckets).astype(np.int16)
    ts = (day - dt.date(1970, 1, 1)).days * 86_400 + rng.integers(0, 86_400, rows)
    order = np.lexsort((ts, customer, bucket))
    party = rng.integers(-1, 5_000_000, rows)
    return pa.table({
        "business_date": pa.array([day] * rows, pa.date32()),
        "bucket": bucket[order], "customer": customer[order], "account": (customer * 2)[order],
        "party": party[order], "ts": ts[order],
        "amount": rng.integers(1_000, 50_000_000, rows)[order],
        "out": rng.integers(0, 2, rows).astype(np.uint8)[order],
        "kind": rng.integers(0, 8, rows).astype(np.uint8)[order],
    })  # fmt: skip


class Delta:
    def __init__(self, root: Path) -> None:
        self.path = str(root / "delta")

    def write(self, day: dt.date, table: pa.Table) -> None:
        from deltalake import write_deltalake

        write_deltalake(self.path, table, mode="overwrite", partition_by=["business_date", "bucket"],
                        predicate=f"business_date = '{day}'")  # fmt: skip

    def read(self, bucket: int | None, start: dt.date, end: dt.date) -> pa.Table:
        import pyarrow.dataset as ds
        from deltalake import DeltaTable

        data = DeltaTable(self.path).to_pyarrow_dataset()
        where = (ds.field("business_date") >= start) & (ds.field("business_date") <= end)
        if bucket is not None:
            where &= ds.field("bucket") == bucket
        return data.to_table(filter=where)


class Iceberg:
    def __init__(self, root: Path) -> None:
        from pyiceberg.catalog.sql import SqlCatalog

        (root / "iceberg").mkdir(parents=True, exist_ok=True)
        self.catalog = SqlCatalog("bench", uri=f"sqlite:///{root / 'iceberg' / 'catalog.db'}",
                                  warehouse=f"file://{root / 'iceberg'}")  # fmt: skip
        self.table = None

    def write(self, day: dt.date, table: pa.Table) -> None:
        from pyiceberg.expressions import EqualTo
        from pyiceberg.transforms import IdentityTransform

        if self.table is None:
            self.catalog.create_namespace_if_not_exists("aml")
            schema = self.catalog.create_table_if_not_exists("aml.window", schema=table.schema)
            spec_fields = [
                schema.schema().find_field(n).field_id for n in ("business_date", "bucket")
            ]
            with schema.update_spec() as spec:
                for source, name in zip(spec_fields, ("business_date", "bucket"), strict=True):
                    spec.add_field(
                        schema.schema().find_column_name(source), IdentityTransform(), name
                    )
            self.table = self.catalog.load_table("aml.window")
        self.table.overwrite(table, overwrite_filter=EqualTo("business_date", day.isoformat()))

    def read(self, bucket: int | None, start: dt.date, end: dt.date) -> pa.Table:
        from pyiceberg.expressions import And, EqualTo, GreaterThanOrEqual, LessThanOrEqual

        table = self.catalog.load_table("aml.window")
        where = And(GreaterThanOrEqual("business_date", start.isoformat()),
                    LessThanOrEqual("business_date", end.isoformat()))  # fmt: skip
        if bucket is not None:
            where = And(where, EqualTo("bucket", bucket))
        return table.scan(row_filter=where).to_arrow()


class Manifest:
    def __init__(self, root: Path) -> None:
        import duckdb

        self.root = root / "manifest"
        self.root.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(self.root / "manifest.duckdb"))
        self.con.execute("""CREATE TABLE IF NOT EXISTS window_files (business_date DATE, bucket SMALLINT,
                            path VARCHAR, rows BIGINT)""")  # fmt: skip

    def write(self, day: dt.date, table: pa.Table) -> None:
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        folder = self.root / f"{day}" / uuid.uuid4().hex  # a fresh folder: the old stays readable
        folder.mkdir(parents=True)
        bounds = np.flatnonzero(np.diff(table["bucket"].to_numpy())) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [table.num_rows]])
        files = []
        for lo, hi in zip(starts, ends, strict=True):
            part = table.slice(int(lo), int(hi - lo))
            bucket = int(pc.min(part["bucket"]).as_py())
            path = folder / f"bucket={bucket}.parquet"
            pq.write_table(part.drop_columns(["business_date"]), path, compression="zstd")
            files.append((day, bucket, str(path), part.num_rows))
        self.con.execute("BEGIN TRANSACTION")
        old = [r[0] for r in self.con.execute("SELECT DISTINCT path FROM window_files WHERE business_date = ?",
                                              [day]).fetchall()]  # fmt: skip
        self.con.execute("DELETE FROM window_files WHERE business_date = ?", [day])
        self.con.executemany("INSERT INTO window_files VALUES (?, ?, ?, ?)", files)
        self.con.execute("COMMIT")
        for path in old:  # after the commit: a reader of the old manifest finished or retries
            shutil.rmtree(Path(path).parent, ignore_errors=True)

    def read(self, bucket: int | None, start: dt.date, end: dt.date) -> pa.Table:
        import pyarrow.parquet as pq

        where, params = "business_date BETWEEN ? AND ?", [start, end]
        if bucket is not None:
            where, params = where + " AND bucket = ?", [*params, bucket]
        rows = self.con.execute(f"SELECT path FROM window_files WHERE {where} ORDER BY business_date, bucket",
                                params).fetchall()  # fmt: skip
        return pa.concat_tables([pq.read_table(r[0]) for r in rows])


class Store:
    """The product's own window store (`amlwatch.warehouse.window_store`): one file per date
    and customer-hash range (16), listed in a DuckDB table in one transaction; a bucket reads
    the files of its hash range. Rows are keyed by a 64-bit hash of the customer, as the
    product's are (the bucket is the hash's top 4 bits: `Bucket(3, 16)`)."""

    def __init__(self, root: Path) -> None:
        import duckdb

        self.url = str(root / "store")
        self.con = duckdb.connect(str(root / "warehouse.duckdb"))
        self.con.execute("""CREATE TABLE IF NOT EXISTS window_files (business_date DATE, path VARCHAR,
                            part INTEGER, parts INTEGER, rows BIGINT)""")  # fmt: skip

    @staticmethod
    def prepare(table: pa.Table) -> pa.Table:
        key = (
            table["customer"].to_numpy().astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        ) | np.uint64(1)
        order = np.lexsort((table["ts"].to_numpy(), key))
        table = table.take(pa.array(order)).drop_columns(["bucket"])
        key = key[order]
        return table.append_column("customer_1", pa.array(key)).append_column(
            "bucket", pa.array((key >> np.uint64(60)).astype(np.int16))
        )

    def write(self, day: dt.date, table: pa.Table) -> None:
        from amlwatch.warehouse import window_store

        files = window_store.write_date(self.url, day, "bench", "load", table, schema=table.schema)
        self.con.execute("BEGIN TRANSACTION")
        self.con.execute("DELETE FROM window_files WHERE business_date = ?", [day])
        self.con.executemany("INSERT INTO window_files VALUES (?, ?, ?, ?, ?)",
                             [[day, f.path, f.part, f.parts, f.rows] for f in files])  # fmt: skip
        self.con.execute("COMMIT")
        window_store.sweep(self.url, [day], {f.path for f in files}, dt.timedelta(0))

    def read(self, bucket: int | None, start: dt.date, end: dt.date) -> pa.Table:
        from amlwatch.warehouse import Bucket, window_store

        first, last = Bucket(bucket, 16).hashes if bucket is not None else (0, 2**64 - 1)
        tables = []
        for (day,) in self.con.execute("SELECT DISTINCT business_date FROM window_files WHERE business_date "
                                       "BETWEEN ? AND ? ORDER BY 1", [start, end]).fetchall():  # fmt: skip
            files = [window_store.StoredFile(self.url, path, part, parts, n) for path, part, parts, n in
                     self.con.execute("SELECT path, part, parts, rows FROM window_files WHERE business_date = ?",
                                      [day]).fetchall()]  # fmt: skip
            tables.append(window_store.read_rows(files, ["customer_1", "ts", "out", "amount", "party", "kind"],
                                                 first, last))  # fmt: skip
        return pa.concat_tables(tables)


FORMATS = {"delta": Delta, "iceberg": Iceberg, "manifest": Manifest, "store": Store}


def child(name: str, rows: int, days: int, buckets: int, customers: int) -> None:
    root = OUT / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    store = FORMATS[name](root)
    dates = [FIRST + dt.timedelta(days=k) for k in range(days)]
    tables = {d: day_table(d, rows, buckets, customers) for d in dates}
    if hasattr(store, "prepare"):  # the format's own key order, before the clock starts
        tables = {d: store.prepare(t) for d, t in tables.items()}
    writes = []
    for d in dates:
        began = time.monotonic()
        store.write(d, tables[d])
        writes.append(time.monotonic() - began)
    began = time.monotonic()
    store.write(dates[3], tables[dates[3]])  # a re-run of one date: replaced, not doubled
    replace = time.monotonic() - began
    began = time.monotonic()
    one = store.read(3, dates[0], dates[-1])
    bucket_s = time.monotonic() - began
    began = time.monotonic()
    whole = store.read(None, dates[0], dates[-1])
    whole_s = time.monotonic() - began
    expected = sum(int((t["bucket"].to_numpy() == 3).sum()) for t in tables.values())
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    print(json.dumps({
        "write_s": float(np.median(writes)), "replace_s": replace, "bucket_read_s": bucket_s,
        "whole_read_s": whole_s, "bucket_rows": one.num_rows, "expected_bucket_rows": expected,
        "whole_rows": whole.num_rows, "expected_rows": rows * days, "mb": size / 2**20,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--buckets", type=int, default=16)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--formats", default="delta,iceberg,manifest,store")
    parser.add_argument("--child")
    args = parser.parse_args()
    sizes = [str(args.rows), str(args.days), str(args.buckets), str(args.customers)]
    if args.child:
        child(args.child, args.rows, args.days, args.buckets, args.customers)
        return
    print(f"{args.rows:,} rows a day × {args.days} days, {args.buckets} buckets\n")
    print(f"{'format':<10}{'write/day s':>12}{'replace s':>10}{'bucket read s':>14}{'window read s':>14}"
          f"{'MB':>8}{'peak MB':>9}  rows right")  # fmt: skip
    for name in args.formats.split(","):
        run = subprocess.run([sys.executable, __file__, "--child", name, "--rows", sizes[0], "--days", sizes[1],
                              "--buckets", sizes[2], "--customers", sizes[3]],
                             capture_output=True, text=True, check=False)  # fmt: skip
        if run.returncode:
            print(
                f"{name:<10} failed: {run.stderr.strip().splitlines()[-1] if run.stderr else run.returncode}"
            )
            continue
        r = json.loads(run.stdout.strip().splitlines()[-1])
        right = (
            r["bucket_rows"] == r["expected_bucket_rows"] and r["whole_rows"] == r["expected_rows"]
        )
        print(f"{name:<10}{r['write_s']:>12.2f}{r['replace_s']:>10.2f}"
              f"{r['bucket_read_s']:>14.2f}"
              f"{r['whole_read_s']:>14.2f}{r['mb']:>8,.0f}{r['rss_mb']:>9,.0f}"
              f"  {'yes' if right else 'NO'}")  # fmt: skip


if __name__ == "__main__":
    main()
