"""The window store: each business date's scanner rows, encoded at ingest, as Parquet files
under a root that is a path or a URL (docs/decisions/0008).

Two datasets: `patterns`, the pattern scanner's day runs (under the exclusions of the pack
they were cut for), and `large_value`, every record's large-value columns (rule-free: the
pack's exemptions are applied when read). A date's rows are cut into `PARTS` files by
customer-hash range (the ranges `Bucket`s use, so a bucket reads only the files its range
overlaps) under a directory of their own::

    <root>/patterns/business_date=2026-10-08/exclusions=<digest>/<load id>-<nonce>/part-03-of-16.parquet

The files are written first and named nowhere until the warehouse's `window_files` rows
that list them commit, in the load's own transaction: a date is visible whole or not at all,
a re-run's new files replace the old ones in that commit, and a crash before it leaves only
unlisted files. Unlisted files are swept after a grace period (`GRACE`: a worker reading a
date while it is replaced keeps its files until it is done).

Any engine reads the files (plain Parquet, Hive-style directories); the listing of the
files in force is the warehouse's. A bucket's worker is handed the file list and needs
nothing else: it never opens the DuckDB file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from amlwatch.warehouse.database import Warehouse

# files per date (customer-hash ranges): a power of two, so that bucket ranges nest in them
PARTS = 16
_HASHES = 2**64

# the hash function the keys were made with (a DuckDB upgrade may change `hash`)
HASH_CHECK = "hash('amlwatch day runs')"

# how long a file no longer listed stays readable (a scan in flight may still read it)
GRACE = dt.timedelta(hours=1)

DATASETS = ("patterns", "large_value")

# the columns of a date's rows, as stored (sorted by customer key, time, receipts first)
ROW_SCHEMA = pa.schema(
    [
        ("business_date", pa.date32()),
        ("trade_date", pa.date32()),
        ("customer_1", pa.uint64()),
        ("customer_2", pa.uint64()),
        ("ts", pa.int64()),
        ("out", pa.bool_()),
        ("amount", pa.int64()),
        ("party", pa.uint64()),
        ("line", pa.int64()),
        ("kind", pa.uint8()),
    ]
)


# every record of a date as the large-value scan reads it: amounts in thousandths, the
# facts the pack's exemptions test (`stages.large_value_scan`), sorted by customer key
LARGE_VALUE_SCHEMA = pa.schema(
    [
        ("business_date", pa.date32()),
        ("line", pa.int64()),
        ("customer_1", pa.uint64()),
        ("customer_2", pa.uint64()),
        ("trade_date", pa.date32()),
        ("out", pa.bool_()),
        ("is_cash", pa.bool_()),
        ("is_cross_border", pa.bool_()),
        ("currency", pa.string()),
        ("counter_currency", pa.string()),
        ("amount_cny", pa.int64()),
        ("amount_usd", pa.int64()),
        ("exemption_code", pa.string()),
        ("own_account", pa.bool_()),
        ("government", pa.bool_()),
        ("by_institution", pa.bool_()),
    ]
)


@functools.lru_cache(maxsize=16)
def filesystem(url: str) -> tuple[pafs.FileSystem, str]:
    """The filesystem of a store's root and the root's path in it: a local path, an Arrow
    URI (file://, s3://, gs://, hdfs://) or any other fsspec URL (memory://, az://, …)."""
    if "://" not in url:
        return pafs.LocalFileSystem(), str(Path(url).resolve())
    try:
        return pafs.FileSystem.from_uri(url)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
        import fsspec

        fs, path = fsspec.core.url_to_fs(url)
        return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), str(path).rstrip("/")


@dataclass(frozen=True, slots=True)
class StoredFile:
    """One file of a date's rows: customer-hash part `part` of `parts`, under the store's
    root `url` at the relative `path`."""

    url: str
    path: str
    part: int
    parts: int
    rows: int

    @property
    def hashes(self) -> tuple[int, int]:
        """The first and last customer hash its rows may have."""
        return self.part * _HASHES // self.parts, (self.part + 1) * _HASHES // self.parts - 1


def local_path(file: StoredFile) -> str | None:
    """The file's path on this machine's disk, or None in a remote store."""
    fs, root = filesystem(file.url)
    return f"{root}/{file.path}" if isinstance(fs, pafs.LocalFileSystem) else None


def dataset(files: list[StoredFile]) -> ds.Dataset:
    """The files as one Arrow dataset (for an engine reading through Arrow, e.g. DuckDB on
    a remote store)."""
    by_url: dict[str, list[str]] = {}
    for file in files:
        by_url.setdefault(file.url, []).append(file.path)
    parts = []
    for url, paths in by_url.items():
        fs, root = filesystem(url)
        parts.append(
            ds.dataset(
                [f"{root}/{p}" for p in paths], schema=ROW_SCHEMA, format="parquet", filesystem=fs
            )
        )
    return parts[0] if len(parts) == 1 else ds.dataset(parts)


def part_bounds(parts: int) -> np.ndarray:
    """The first customer hash of each part (uint64), for a sorted column's searchsorted."""
    return np.array([p * _HASHES // parts for p in range(parts)], np.uint64)


def write_date(
    url: str, business_date: dt.date, digest: str, load_id: str, rows: pa.Table,
    parts: int = PARTS, dataset: str = "patterns", schema: pa.Schema = ROW_SCHEMA,
) -> list[StoredFile]:  # fmt: skip
    """Write a date's rows (in the dataset's schema, sorted by customer key) as `parts` files
    in a directory no listing names yet; the files written (empty parts are not written)."""
    if dataset not in DATASETS:
        raise ValueError(f"no dataset {dataset!r} in the window store")
    fs, root = filesystem(url)
    nonce = uuid.uuid4().hex[:8]
    folder = f"{dataset}/business_date={business_date}/exclusions={digest}/{load_id}-{nonce}"
    fs.create_dir(f"{root}/{folder}", recursive=True)
    rows = rows.select(schema.names).cast(schema)
    keys = rows["customer_1"].to_numpy()
    cuts = [*np.searchsorted(keys, part_bounds(parts), side="left").tolist(), rows.num_rows]
    written = []
    for part in range(parts):
        lo, hi = int(cuts[part]), int(cuts[part + 1])
        if hi == lo:
            continue
        path = f"{folder}/part-{part:02d}-of-{parts:02d}.parquet"
        pq.write_table(
            rows.slice(lo, hi - lo), f"{root}/{path}", filesystem=fs, compression="lz4",
            row_group_size=1 << 20,
        )  # fmt: skip
        written.append(StoredFile(url, path, part, parts, hi - lo))
    return written


def read_rows(
    files: list[StoredFile], columns: list[str], first_hash: int = 0,
    last_hash: int = _HASHES - 1, first_day: dt.date | None = None,
    last_day: dt.date | None = None, schema: pa.Schema = ROW_SCHEMA,
) -> pa.Table:  # fmt: skip
    """One date's rows of the customers hashed into [first_hash, last_hash], traded from
    first_day to last_day when given, in stored order, from the files whose range overlaps."""
    by_day = first_day is not None and last_day is not None
    wanted = list(dict.fromkeys([*columns, "customer_1", *(["trade_date"] if by_day else [])]))
    tables = []
    for file in sorted(files, key=lambda f: f.hashes):
        lo, hi = file.hashes
        if hi < first_hash or lo > last_hash:
            continue
        fs, root = filesystem(file.url)
        table = pq.read_table(f"{root}/{file.path}", filesystem=fs, columns=wanted)
        if lo < first_hash or hi > last_hash:  # sorted by customer key: a slice
            keys = table["customer_1"].to_numpy()
            start = int(np.searchsorted(keys, np.uint64(first_hash), side="left"))
            stop = int(np.searchsorted(keys, np.uint64(last_hash), side="right"))
            table = table.slice(start, stop - start)
        tables.append(table)
    if not tables:
        return schema.empty_table().select(columns)
    table = pa.concat_tables(tables)
    if by_day and table.num_rows:
        low, high = pc.min_max(table["trade_date"]).values()
        if low.as_py() < first_day or high.as_py() > last_day:
            days = table["trade_date"]
            table = table.filter(
                pc.and_(pc.greater_equal(days, pa.scalar(first_day)),
                        pc.less_equal(days, pa.scalar(last_day)))
            )  # fmt: skip
    return table.select(columns)


def in_hash_range(table: pa.Table, first_hash: int, last_hash: int) -> pa.Table:
    """The rows of a table of any order whose customer key lies in [first_hash, last_hash]."""
    if first_hash == 0 and last_hash == _HASHES - 1:
        return table
    key = table["customer_1"]
    return table.filter(
        pc.and_(pc.greater_equal(key, pa.scalar(first_hash, pa.uint64())),
                pc.less_equal(key, pa.scalar(last_hash, pa.uint64())))
    )  # fmt: skip


def sweep(url: str, dates: list[dt.date], listed: set[str], grace: dt.timedelta = GRACE) -> int:
    """Delete the files of those dates' directories that no listing names (a replaced load's,
    a crashed write's) and that are older than `grace`; the number deleted."""
    fs, root = filesystem(url)
    cutoff = dt.datetime.now(dt.UTC) - grace
    deleted = 0
    for day, dataset in ((d, name) for d in dates for name in DATASETS):
        top = f"{root}/{dataset}/business_date={day}"
        selector = pafs.FileSelector(top, allow_not_found=True, recursive=True)
        for info in fs.get_file_info(selector):
            if info.type != pafs.FileType.File:
                continue
            path = info.path.removeprefix(root.rstrip("/") + "/")
            mtime = info.mtime
            if mtime is not None and mtime.tzinfo is None:
                mtime = mtime.replace(tzinfo=dt.UTC)
            # a file whose age the store cannot tell is old only to a sweep without grace
            young = mtime > cutoff if mtime is not None else grace > dt.timedelta(0)
            if path in listed or young:
                continue
            fs.delete_file(info.path)
            deleted += 1
        _drop_empty_dirs(fs, top)
    return deleted


def list_files(
    warehouse: Warehouse, rows: dict[dt.date, int], digest: str, loads: dict[dt.date, str],
    files: dict[dt.date, list[StoredFile]],
) -> None:  # fmt: skip
    """List the dates' new files (and their row counts, one `pattern_runs` row per date) in
    place of those they had under `digest`, inside the caller's transaction: the commit that
    puts them in force."""
    con = warehouse._con
    days = sorted(rows)
    listed = ", ".join(f"DATE '{d}'" for d in days)
    for table in ("window_files", "pattern_runs"):
        con.execute(
            f"DELETE FROM {table} WHERE business_date IN ({listed}) AND exclusions = ?", [digest]
        ).fetchall()
    named = [
        [day, digest, loads[day], f.url, f.path, f.part, f.parts, f.rows]
        for day in days
        for f in files.get(day, [])
    ]
    if named:
        con.executemany(
            f"INSERT INTO window_files VALUES (?, ?, {HASH_CHECK}, ?, ?, ?, ?, ?, ?)", named
        )
    con.executemany(
        f"INSERT INTO pattern_runs VALUES (?, ?, ?, {HASH_CHECK}, ?)",
        [[day, loads[day], digest, rows[day]] for day in days],
    )


def _drop_empty_dirs(fs: pafs.FileSystem, top: str) -> None:
    infos = fs.get_file_info(pafs.FileSelector(top, allow_not_found=True, recursive=True))
    dirs = sorted(
        (i.path for i in infos if i.type == pafs.FileType.Directory), key=len, reverse=True
    )
    files = [i.path for i in infos if i.type == pafs.FileType.File]
    for folder in [*dirs, top]:
        if not any(f.startswith(folder.rstrip("/") + "/") for f in files):
            with contextlib.suppress(OSError, pa.ArrowException):  # gone, or not empty
                fs.delete_dir(folder)
