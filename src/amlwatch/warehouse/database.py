"""The DuckDB warehouse: opening it, loading one business date atomically, reading it back.

A business date is loaded in one transaction: the date's previous rows (transactions,
customer and account versions, FX rates, quarantine) are deleted and the new ones inserted,
so a re-run replaces the date exactly and a failure at any point leaves the previous state.
Checks that need the stored state (duplicates of other dates, unknown customers or accounts,
missing FX rates) run inside that same transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from amlwatch.models import InputFile, InputKind, LoadReport, RejectedRow
from amlwatch.warehouse.exceptions import (
    WarehouseLocked,
    WarehouseUnavailable,
    told_while_loading,
)
from amlwatch.warehouse.load_checks import CHECKS, record_load
from amlwatch.warehouse.schema import DDL, SCHEMA_VERSION

LINE = "_line"
# tables derived from a business date's rows at load time, replaced with them
_DERIVED = ("pattern_runs", "window_files", "transfer_edges", "transfer_edge_days")
_TABLE_OF = {
    InputKind.CUSTOMERS: "customer_history",
    InputKind.ACCOUNTS: "account_history",
    InputKind.FX_RATES: "fx_rates",
    InputKind.TRANSACTIONS: "transactions",
}


@dataclass(slots=True)
class LoadBatch:
    """One parsed input file, ready to check and load.

    `rows` are the file's rows as parsed, with `_line`: a table, a stream of record batches
    read once, or a query that reads the file in DuckDB. `typed_select` and
    `duplicate_update` are the ingest stage's row checks compiled to SQL (see
    `amlwatch.warehouse.row_checks`), `absent` the contract's columns the file lacks (as NULL
    select items); `rejects` are rows that could not even be split into fields.
    """

    source: InputFile
    rows: pa.Table | pa.RecordBatchReader | str
    typed_select: str
    duplicate_update: str
    extra_columns: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    rejects: list[RejectedRow] = field(default_factory=list)


Derivation = Callable[["Warehouse", dt.date, str], object]


class Warehouse:
    """The only holder of a DuckDB connection in amlwatch."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, path: Path, window_store: str | None = None
    ) -> None:
        # the connection is the warehouse package's own: code elsewhere calls its functions
        # (tests may use `rows`, `scalar` and `execute` to look and to set up)
        self._con = con
        self.path = path
        # where the scanners' encoded rows go (warehouse.window_store): a path or a URL
        self.window_store = window_store or str(path.resolve().with_name(f"{path.stem}-window"))

    @classmethod
    @contextmanager
    def open(
        cls,
        path: Path,
        *,
        memory_limit: str = "4GB",
        threads: int = 0,
        lock_timeout_s: float = 0.0,
        read_only: bool = False,
        window_store: str | None = None,
    ) -> Iterator[Warehouse]:
        """Open (and create, if new) the warehouse file.

        Args:
            path: the DuckDB file.
            memory_limit: DuckDB's memory limit; it spills to disk beyond it.
            threads: worker threads, 0 for one per core.
            lock_timeout_s: how long to keep trying while another process holds the file.
            read_only: open without the write lock (several readers may share it).
            window_store: the window store's root (default: `<file stem>-window/` beside it).

        Raises:
            WarehouseLocked: another process still holds the file after the timeout.
        """
        con = _connect(path, read_only, lock_timeout_s)
        try:
            con.execute(f"SET memory_limit = '{memory_limit}'")
            if threads:
                con.execute(f"SET threads = {int(threads)}")
            con.execute("SET preserve_insertion_order = false")
            con.execute("SET enable_progress_bar = false")  # a batch job's log is no terminal
            warehouse = cls(con, path, window_store)
            if not read_only:
                warehouse.ensure_schema()
            yield warehouse
        finally:
            con.close()

    @contextmanager
    def cursor(self) -> Iterator[Warehouse]:
        """The same warehouse through another connection of the same database (and its
        settings), for a thread of its own; closed after the block."""
        con = self._con.cursor()
        try:
            yield Warehouse(con, self.path, self.window_store)
        finally:
            con.close()

    def ensure_schema(self) -> None:
        """Create missing tables and views."""
        for statement in DDL:
            self._con.execute(statement)
        if self.scalar("SELECT max(version) FROM schema_info") is None:
            self._con.execute("INSERT INTO schema_info VALUES (?)", [SCHEMA_VERSION])

    @contextmanager
    def in_insertion_order(self) -> Iterator[None]:
        """Statements in the block keep rows in the order they were inserted or selected
        (the connection otherwise lets DuckDB reorder results for speed).

        The setting is the database's, shared by every cursor: inside a block that already
        set it (e.g. around threads that each read in order) this leaves it alone, so that no
        thread turns it off under another.
        """
        if self.scalar("SELECT current_setting('preserve_insertion_order')"):
            yield
            return
        self._con.execute("SET preserve_insertion_order = true").fetchall()
        try:
            yield
        finally:
            self._con.execute("SET preserve_insertion_order = false").fetchall()

    # ---------------------------------------------------------------- loading

    def load_business_date(
        self,
        business_date: dt.date,
        batches: Mapping[InputKind, LoadBatch],
        started: float,
        derive: Sequence[Derivation] = (),
    ) -> LoadReport:
        """Replace everything of `business_date` with `batches`, atomically.

        Args:
            business_date: the inbox folder's accounting date.
            batches: the validated files of that folder, by input kind.
            started: `time.monotonic()` when the load began (for the recorded duration).
            derive: called with (warehouse, business date, load id) after the rows are in,
                inside the same transaction (e.g. the pattern scanner's day run).

        Returns:
            What was loaded and quarantined, per file.
        """
        load_id = f"{business_date:%Y%m%d}-{uuid.uuid4().hex[:12]}"
        report = LoadReport(load_id=load_id, business_date=business_date)
        started_at = dt.datetime.now()
        con = self._con
        con.execute("BEGIN TRANSACTION")
        try:
            report.replaced_load_id = self._retire_date(business_date)
            for kind in InputKind:  # order matters: transactions check against the others
                batch = batches.get(kind)
                if batch is None:
                    continue
                report.files.append(batch.source)
                name = Path(batch.source.path).name
                parsed, rejected = self._load_batch(kind, batch, business_date, load_id)
                self._quarantine(load_id, business_date, batch.rejects)
                report.rows_in[name] = parsed + len(batch.rejects)
                report.rows_quarantined[name] = len(batch.rejects) + rejected
                report.rows_loaded[name] = report.rows_in[name] - report.rows_quarantined[name]
                if kind is InputKind.TRANSACTIONS:
                    report.quiet_day = report.rows_in[name] == 0
            for step in derive:
                step(self, business_date, load_id)
            report.duration_s = time.monotonic() - started
            record_load(con, report, started_at, "loaded", None)
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)  # never let the roll-back hide the error that caused it
            raise
        report.sample_rejects = self.quarantine_sample(load_id, limit=10)
        return report

    def record_failed_load(
        self, business_date: dt.date, files: list[InputFile], error: str, started: float
    ) -> str:
        """Record a load that was refused whole (its date keeps its previous state)."""
        load_id = f"{business_date:%Y%m%d}-{uuid.uuid4().hex[:12]}"
        report = LoadReport(load_id=load_id, business_date=business_date, files=files)
        report.duration_s = time.monotonic() - started
        record_load(self._con, report, dt.datetime.now(), "rejected", error)
        return load_id

    def _retire_date(self, business_date: dt.date) -> str | None:
        previous = self.scalar(
            "SELECT load_id FROM load_log WHERE business_date = ? AND status = 'loaded'",
            [business_date],
        )
        self._con.execute(
            "UPDATE load_log SET status = 'replaced' WHERE business_date = ? AND status = 'loaded'",
            [business_date],
        )
        for table in (*_TABLE_OF.values(), "quarantine", *_DERIVED):
            self._con.execute(f"DELETE FROM {table} WHERE business_date = ?", [business_date])
        return None if previous is None else str(previous)

    def _load_batch(
        self, kind: InputKind, batch: LoadBatch, business_date: dt.date, load_id: str
    ) -> tuple[int, int]:
        """Check and insert one file's rows; returns (rows parsed, rows quarantined)."""
        con = self._con
        file = Path(batch.source.path).name
        try:
            # 1. type and check every row, reading the file's rows once (a stream is consumed
            #    here and never held whole; DuckDB works in parallel and spills if it must)
            if isinstance(batch.rows, str):  # a query DuckDB reads the file with
                con.execute(f"CREATE OR REPLACE TEMP VIEW _raw AS {batch.rows}").fetchall()
            else:
                con.register("_raw", batch.rows)
            try:
                con.execute(
                    f"CREATE OR REPLACE TEMP TABLE _typed AS {batch.typed_select}"
                ).fetchall()
            finally:
                with contextlib.suppress(duckdb.Error):  # an aborted transaction: keep its cause
                    if isinstance(batch.rows, str):
                        con.execute("DROP VIEW IF EXISTS _raw").fetchall()
                    else:
                        con.unregister("_raw")
            parsed = int(self.scalar("SELECT count(*) FROM _typed"))
            if batch.duplicate_update:
                con.execute(batch.duplicate_update).fetchall()
            rejected = self._quarantine_rows(
                f"SELECT {LINE}, _row_column, _row_reason, _raw_json FROM _typed "
                "WHERE _row_reason IS NOT NULL",
                [],
                load_id,
                business_date,
                file,
            )
            # 2. the rows that passed, checked against what is stored; rejects are marked in
            #    _typed, so that the insert is one scan of what is left
            absent = "".join(", " + column for column in batch.absent)
            con.execute(
                "CREATE OR REPLACE TEMP VIEW _stage AS SELECT * EXCLUDE "
                f"(_row_column, _row_reason, _raw_json){absent} FROM _typed "
                "WHERE _row_reason IS NULL"
            ).fetchall()
            rejects_sql, rows_sql = CHECKS[kind]
            stored = self._quarantine_rows(
                rejects_sql, [business_date] * rejects_sql.count("?"), load_id, business_date, file
            )
            if stored:
                con.execute(
                    f"""UPDATE _typed SET _row_reason = 'quarantined'
                        WHERE _row_reason IS NULL AND {LINE} IN (
                            SELECT line FROM quarantine WHERE load_id = ? AND file = ?)""",
                    [load_id, file],
                ).fetchall()
            rejected += stored
            excluded = ", ".join([LINE] + [f'"{c}"' for c in batch.extra_columns])
            line = f", {LINE} AS line" if kind is InputKind.TRANSACTIONS else ""
            con.execute(
                f"""INSERT INTO {_TABLE_OF[kind]} BY NAME
                    SELECT * EXCLUDE ({excluded}){line},
                           ?::DATE AS business_date, ? AS load_id,
                           {_extra_json(batch.extra_columns)} AS extra
                    FROM ({rows_sql})""",
                [business_date, load_id],
            ).fetchall()
        except duckdb.Error as exc:
            raise told_while_loading(exc, file) from exc
        finally:
            # after a failed statement the transaction is aborted and rolls these back too;
            # never let the clean-up hide the error that caused it
            with contextlib.suppress(duckdb.Error):
                con.execute("DROP VIEW IF EXISTS _stage").fetchall()
                con.execute("DROP TABLE IF EXISTS _typed").fetchall()
        return parsed, rejected

    def _quarantine_rows(
        self, rejects_sql: str, params: list[Any], load_id: str, business_date: dt.date, file: str
    ) -> int:
        """Quarantine the rows `rejects_sql` yields as (line, column, reason, raw JSON)."""
        inserted = self._con.execute(
            f"INSERT INTO quarantine SELECT ?, ?, ?, * FROM ({rejects_sql})",
            [load_id, business_date, file, *params],
        ).fetchall()
        return int(inserted[0][0])

    def _quarantine(self, load_id: str, business_date: dt.date, rejects: list[RejectedRow]) -> None:
        if not rejects:
            return
        rows = pa.table(
            {
                "load_id": [load_id] * len(rejects),
                "business_date": pa.array([business_date] * len(rejects), pa.date32()),
                "file": [r.file for r in rejects],
                "line": pa.array([r.line for r in rejects], pa.int64()),
                "column": [r.column for r in rejects],
                "reason": [r.reason for r in rejects],
                "raw": [r.raw for r in rejects],
            }
        )
        self._con.register("_rejects", rows)
        try:
            self._con.execute("INSERT INTO quarantine BY NAME SELECT * FROM _rejects")
        finally:
            self._con.unregister("_rejects")

    # ---------------------------------------------------------------- reading

    def quarantine_sample(self, load_id: str, limit: int = 10) -> list[RejectedRow]:
        """The first quarantined rows of a load, by file and line."""
        rows = self._con.execute(
            """SELECT file, line, "column", reason, raw FROM quarantine WHERE load_id = ?
               ORDER BY file, line LIMIT ?""",
            [load_id, limit],
        ).fetchall()
        return [
            RejectedRow(file=f, line=ln, column=c, reason=r, raw=raw) for f, ln, c, r, raw in rows
        ]

    def loaded_dates(self) -> list[dt.date]:
        """Business dates with a current load, oldest first."""
        rows = self._con.execute(
            "SELECT business_date FROM load_log WHERE status = 'loaded' ORDER BY 1"
        ).fetchall()
        return [r[0] for r in rows]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """The block's statements in one transaction: committed at its end, rolled back if
        it raises (the previous state stays whole)."""
        self._con.execute("BEGIN TRANSACTION").fetchall()
        try:
            yield
        except BaseException:
            _rollback(self._con)
            raise
        self._con.execute("COMMIT").fetchall()

    def execute(self, sql: str, params: list[Any] | None = None) -> None:
        """Run one statement to its end (tests set up and damage warehouses with it)."""
        self._con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        """The first value of a query's first row (the whole result is consumed: DuckDB 2.0
        refuses further work on a connection with an unfinished result)."""
        rows = self._con.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """All rows of a read-only query."""
        return self._con.execute(sql, params or []).fetchall()

    def records(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """All rows of a read-only query, as dicts by column name."""
        cursor = self._con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back what is open; a transaction the error already aborted needs nothing."""
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK").fetchall()


def _extra_json(columns: Sequence[str]) -> str:
    if not columns:
        return "NULL::JSON"
    fields = ", ".join(f'"{c}" := "{c}"' for c in columns)
    return f"to_json(struct_pack({fields}))"


def _connect(path: Path, read_only: bool, lock_timeout_s: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + lock_timeout_s
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                raise WarehouseUnavailable(f"cannot open warehouse {path}: {text}") from exc
            if time.monotonic() >= deadline:
                raise WarehouseLocked(
                    f"warehouse {path} is in use by another process ({text.splitlines()[0]})"
                ) from exc
            time.sleep(0.5)
