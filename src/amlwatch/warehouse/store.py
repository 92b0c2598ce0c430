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
import json
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from amlwatch.models import InputFile, InputKind, LoadReport, RejectedRow
from amlwatch.warehouse.exceptions import WarehouseLocked, WarehouseUnavailable
from amlwatch.warehouse.schema import DDL, SCHEMA_VERSION

LINE = "_line"
_TABLE_OF = {
    InputKind.CUSTOMERS: "customer_history",
    InputKind.ACCOUNTS: "account_history",
    InputKind.FX_RATES: "fx_rates",
    InputKind.TRANSACTIONS: "transactions",
}


@dataclass(slots=True)
class LoadBatch:
    """One parsed input file, ready to check and load.

    `table` holds the file's rows as parsed (with `_line`); `typed_select` and
    `duplicate_update` are the ingest stage's row checks compiled to SQL (see
    `amlwatch.ingest.validate`); `rejects` are rows that could not even be split into fields.
    """

    source: InputFile
    table: pa.Table
    typed_select: str
    duplicate_update: str
    extra_columns: tuple[str, ...] = ()
    rejects: list[RejectedRow] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        """Rows the file had."""
        return self.table.num_rows + len(self.rejects)


class Warehouse:
    """The only holder of a DuckDB connection in amlwatch."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        self.con = con
        self.path = path

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
    ) -> Iterator[Warehouse]:
        """Open (and create, if new) the warehouse file.

        Args:
            path: the DuckDB file.
            memory_limit: DuckDB's memory limit; it spills to disk beyond it.
            threads: worker threads, 0 for one per core.
            lock_timeout_s: how long to keep trying while another process holds the file.
            read_only: open without the write lock (several readers may share it).

        Raises:
            WarehouseLocked: another process still holds the file after the timeout.
        """
        con = _connect(path, read_only, lock_timeout_s)
        try:
            con.execute(f"SET memory_limit = '{memory_limit}'")
            if threads:
                con.execute(f"SET threads = {int(threads)}")
            con.execute("SET preserve_insertion_order = false")
            warehouse = cls(con, path)
            if not read_only:
                warehouse.ensure_schema()
            yield warehouse
        finally:
            con.close()

    def ensure_schema(self) -> None:
        """Create missing tables and views."""
        for statement in DDL:
            self.con.execute(statement)
        if self.scalar("SELECT max(version) FROM schema_info") is None:
            self.con.execute("INSERT INTO schema_info VALUES (?)", [SCHEMA_VERSION])

    # ---------------------------------------------------------------- loading

    def load_business_date(
        self, business_date: dt.date, batches: Mapping[InputKind, LoadBatch], started: float
    ) -> LoadReport:
        """Replace everything of `business_date` with `batches`, atomically.

        Args:
            business_date: the inbox folder's accounting date.
            batches: the validated files of that folder, by input kind.
            started: `time.monotonic()` when the load began (for the recorded duration).

        Returns:
            What was loaded and quarantined, per file.
        """
        load_id = f"{business_date:%Y%m%d}-{uuid.uuid4().hex[:12]}"
        report = LoadReport(load_id=load_id, business_date=business_date)
        started_at = dt.datetime.now()
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            report.replaced_load_id = self._retire_date(business_date)
            for kind in InputKind:  # order matters: transactions check against the others
                batch = batches.get(kind)
                if batch is None:
                    continue
                report.files.append(batch.source)
                name = Path(batch.source.path).name
                rejected = self._load_batch(kind, batch, business_date, load_id)
                self._quarantine(load_id, business_date, batch.rejects)
                report.rows_in[name] = batch.rows_in
                report.rows_quarantined[name] = len(batch.rejects) + rejected
                report.rows_loaded[name] = batch.rows_in - report.rows_quarantined[name]
            txn = batches.get(InputKind.TRANSACTIONS)
            report.quiet_day = txn is not None and txn.rows_in == 0
            report.duration_s = time.monotonic() - started
            self._record_load(report, started_at, "loaded", None)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
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
        self._record_load(report, dt.datetime.now(), "rejected", error)
        return load_id

    def _retire_date(self, business_date: dt.date) -> str | None:
        previous = self.scalar(
            "SELECT load_id FROM load_log WHERE business_date = ? AND status = 'loaded'",
            [business_date],
        )
        self.con.execute(
            "UPDATE load_log SET status = 'replaced' WHERE business_date = ? AND status = 'loaded'",
            [business_date],
        )
        for table in (*_TABLE_OF.values(), "quarantine"):
            self.con.execute(f"DELETE FROM {table} WHERE business_date = ?", [business_date])
        return None if previous is None else str(previous)

    def _load_batch(
        self, kind: InputKind, batch: LoadBatch, business_date: dt.date, load_id: str
    ) -> int:
        """Check and insert one file's rows; returns how many it quarantined."""
        con = self.con
        con.register("_raw", batch.table)
        try:
            # 1. type and check every row (in DuckDB: parallel, and it spills if it must)
            con.execute(f"CREATE OR REPLACE TEMP TABLE _typed AS {batch.typed_select}").fetchall()
            con.execute(batch.duplicate_update).fetchall()
            file = Path(batch.source.path).name
            rejected = self._quarantine_rows(
                "SELECT _line, _row_column AS _reject_column, _row_reason AS _reject_reason "
                "FROM _typed WHERE _row_reason IS NOT NULL",
                [], load_id, business_date, file,
            )
            # 2. the rows that passed, checked against what is stored
            con.execute(
                "CREATE OR REPLACE TEMP VIEW _stage AS SELECT * EXCLUDE (_row_column, _row_reason) "
                "FROM _typed WHERE _row_reason IS NULL"
            ).fetchall()
            check = _CHECKS[kind]
            params = [business_date] * check.count("?")
            # the check runs twice (its rejects, then its good rows) rather than materialising
            # a wide intermediate table: recomputing the joins is the cheaper of the two
            rejected += self._quarantine_rows(
                f"SELECT {LINE}, _reject_column, _reject_reason FROM ({check}) "
                "WHERE _reject_reason IS NOT NULL",
                params, load_id, business_date, file,
            )
            excluded = ", ".join(
                [LINE, "_reject_column", "_reject_reason"]
                + [f'"{c}"' for c in batch.extra_columns]
            )
            line = f", {LINE} AS line" if kind is InputKind.TRANSACTIONS else ""
            con.execute(
                f"""INSERT INTO {_TABLE_OF[kind]} BY NAME
                    SELECT * EXCLUDE ({excluded}){line},
                           ?::DATE AS business_date, ? AS load_id,
                           {_extra_json(batch.extra_columns)} AS extra
                    FROM ({check}) WHERE _reject_reason IS NULL""",
                [business_date, load_id, *params],
            ).fetchall()
        finally:
            # after a failed statement the transaction is aborted and rolls back these too;
            # never let the clean-up hide the error that caused it
            with contextlib.suppress(duckdb.Error):
                con.execute("DROP VIEW IF EXISTS _stage").fetchall()
                con.execute("DROP TABLE IF EXISTS _typed").fetchall()
            with contextlib.suppress(duckdb.Error):
                con.unregister("_raw")
        return rejected

    def _quarantine_rows(
        self, rejects_sql: str, params: list[Any], load_id: str, business_date: dt.date, file: str
    ) -> int:
        """Quarantine the rows `rejects_sql` names (line, column, reason), with their raw text."""
        inserted = self.con.execute(
            f"""INSERT INTO quarantine
                SELECT ?, ?, ?, j.{LINE}, j._reject_column, j._reject_reason,
                       to_json(r) FROM ({rejects_sql}) j
                JOIN (SELECT * FROM _raw) r ON r.{LINE} = j.{LINE}""",
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
        self.con.register("_rejects", rows)
        try:
            self.con.execute("INSERT INTO quarantine BY NAME SELECT * FROM _rejects")
        finally:
            self.con.unregister("_rejects")

    def _record_load(
        self, report: LoadReport, started_at: dt.datetime, status: str, error: str | None
    ) -> None:
        files = [
            {
                "kind": f.kind.value,
                "file": Path(f.path).name,
                "format": f.format,
                "encoding": f.encoding,
                "sha256": f.sha256,
                "bytes": f.size_bytes,
            }
            for f in report.files
        ]
        by_file = {
            name: {
                "in": report.rows_in[name],
                "loaded": report.rows_loaded.get(name, 0),
                "quarantined": report.rows_quarantined.get(name, 0),
            }
            for name in report.rows_in
        }
        self.con.execute(
            "INSERT INTO load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                report.load_id,
                report.business_date,
                status,
                started_at,
                dt.datetime.now(),
                report.duration_s,
                json.dumps(files),
                report.total_in,
                report.total_loaded,
                report.total_quarantined,
                json.dumps(by_file),
                report.replaced_load_id,
                error,
            ],
        )

    # ---------------------------------------------------------------- reading

    def quarantine_sample(self, load_id: str, limit: int = 10) -> list[RejectedRow]:
        """The first quarantined rows of a load, by file and line."""
        rows = self.con.execute(
            """SELECT file, line, "column", reason, raw FROM quarantine WHERE load_id = ?
               ORDER BY file, line LIMIT ?""",
            [load_id, limit],
        ).fetchall()
        return [
            RejectedRow(file=f, line=ln, column=c, reason=r, raw=raw) for f, ln, c, r, raw in rows
        ]

    def loaded_dates(self) -> list[dt.date]:
        """Business dates with a current load, oldest first."""
        rows = self.con.execute(
            "SELECT business_date FROM load_log WHERE status = 'loaded' ORDER BY 1"
        ).fetchall()
        return [r[0] for r in rows]

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        """The first value of a query's first row (the whole result is consumed: DuckDB 2.0
        refuses further work on a connection with an unfinished result)."""
        rows = self.con.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """All rows of a read-only query."""
        return self.con.execute(sql, params or []).fetchall()


def _extra_json(columns: list[str]) -> str:
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


_MASK = "'****' || right({0}, 4)"

# Existence of a customer, and the current owner of an account, from the version history
# (cheaper than the windowed `customers` / `accounts` views, which carry every column).
_KNOWN_CUSTOMERS = "(SELECT DISTINCT customer_id FROM customer_history)"
_ACCOUNT_OWNERS = """(SELECT account_id, arg_max(customer_id, business_date) AS customer_id
    FROM account_history GROUP BY account_id)"""

_TXN_CHECK = f"""
WITH stage AS (SELECT *, CAST(booked_at AS DATE) AS trade_date FROM _stage),
earlier AS (
    SELECT t.txn_id, min(t.business_date) AS other_date
    FROM transactions t SEMI JOIN stage s ON t.txn_id = s.txn_id
    GROUP BY t.txn_id),
-- the rate in force per currency and day: that day's, else the latest earlier one
rate_pick AS (
    SELECT d.currency, d.trade_date, r.rate_date AS rate_date_, r.cny_per_unit AS rate_
    FROM (SELECT DISTINCT currency, trade_date FROM stage) d
    ASOF LEFT JOIN fx_rates r ON r.currency = d.currency AND d.trade_date >= r.rate_date),
usd_pick AS (
    SELECT d.trade_date, r.rate_date AS usd_rate_date, r.cny_per_unit AS usd_rate_
    FROM (SELECT DISTINCT trade_date FROM stage) d
    ASOF LEFT JOIN (SELECT * FROM fx_rates WHERE currency = 'USD') r
        ON d.trade_date >= r.rate_date),
joined AS (
    SELECT s.*, e.other_date, c.customer_id AS known_customer, a.account_id AS known_account,
           a.customer_id AS account_owner,
           CASE WHEN s.currency = 'CNY' THEN s.trade_date ELSE r.rate_date_ END AS fx_rate_date_,
           CASE WHEN s.currency = 'CNY' THEN 1::DECIMAL(18,8) ELSE r.rate_ END AS rate_,
           u.usd_rate_date, u.usd_rate_
    FROM stage s
    LEFT JOIN earlier e ON e.txn_id = s.txn_id
    LEFT JOIN {_KNOWN_CUSTOMERS} c ON c.customer_id = s.customer_id
    LEFT JOIN {_ACCOUNT_OWNERS} a ON a.account_id = s.account_id
    LEFT JOIN rate_pick r ON r.currency = s.currency AND r.trade_date = s.trade_date
    LEFT JOIN usd_pick u ON u.trade_date = s.trade_date),
needs AS (
    SELECT *,
        amount_cny IS NULL AND currency <> 'CNY' AS needs_rate,
        amount_usd IS NULL AND currency <> 'USD' AS needs_usd
    FROM joined)
SELECT * EXCLUDE (other_date, known_customer, known_account, account_owner, fx_rate_date_,
                  rate_, usd_rate_date, usd_rate_, needs_rate, needs_usd, amount_cny, amount_usd),
    coalesce(amount_cny, CASE WHEN currency = 'CNY' THEN amount
             ELSE round(amount * rate_, 3)::DECIMAL(20,3) END) AS amount_cny,
    coalesce(amount_usd, CASE WHEN currency = 'USD' THEN amount
             ELSE round(amount * rate_ / usd_rate_, 3)::DECIMAL(20,3) END) AS amount_usd,
    CASE WHEN needs_rate OR needs_usd THEN least(
        CASE WHEN needs_rate THEN fx_rate_date_ END,
        CASE WHEN needs_usd THEN usd_rate_date END) END AS fx_rate_date,
    coalesce((needs_rate AND fx_rate_date_ < trade_date)
             OR (needs_usd AND usd_rate_date < trade_date), false) AS fx_stale,
    CASE
        WHEN other_date IS NOT NULL THEN 'txn_id'
        WHEN known_customer IS NULL THEN 'customer_id'
        WHEN known_account IS NULL OR account_owner <> customer_id THEN 'account_id'
        WHEN (needs_rate OR needs_usd) AND rate_ IS NULL THEN 'currency'
        WHEN needs_usd AND usd_rate_ IS NULL THEN 'currency'
    END AS _reject_column,
    CASE
        WHEN other_date IS NOT NULL THEN
            'txn_id ' || txn_id || ' was already loaded for business date '
            || other_date::VARCHAR || '; a transaction is loaded once'
        WHEN known_customer IS NULL THEN
            'customer_id ' || customer_id || ' is not a known customer '
            || '(not in the customers file of this or an earlier date)'
        WHEN known_account IS NULL THEN
            'account_id ' || {_MASK.format("account_id")} || ' is not a known account '
            || '(not in the accounts file of this or an earlier date)'
        WHEN account_owner <> customer_id THEN
            'account_id ' || {_MASK.format("account_id")} || ' belongs to customer '
            || account_owner || ', not to ' || customer_id
        WHEN (needs_rate OR needs_usd) AND rate_ IS NULL THEN
            'no FX rate for ' || currency || ' on or before ' || trade_date::VARCHAR
            || ' and amount_cny not given; load fx_rates for it'
        WHEN needs_usd AND usd_rate_ IS NULL THEN
            'no USD rate on or before ' || trade_date::VARCHAR
            || ' to compute amount_usd; load fx_rates for USD'
    END AS _reject_reason
FROM needs
"""

_ACCOUNT_CHECK = f"""
SELECT s.*,
    CASE WHEN c.customer_id IS NULL THEN 'customer_id' END AS _reject_column,
    CASE WHEN c.customer_id IS NULL THEN
        'customer_id ' || s.customer_id || ' owning this account is not a known customer'
    END AS _reject_reason
FROM _stage s LEFT JOIN {_KNOWN_CUSTOMERS} c ON c.customer_id = s.customer_id
"""

_FX_CHECK = """
SELECT s.*,
    CASE WHEN f.rate_date IS NOT NULL THEN 'rate_date' END AS _reject_column,
    CASE WHEN f.rate_date IS NOT NULL THEN
        'rate for ' || s.currency || ' on ' || s.rate_date::VARCHAR
        || ' was already loaded from the folder of ' || f.business_date::VARCHAR
    END AS _reject_reason
FROM _stage s LEFT JOIN fx_rates f
    ON f.rate_date = s.rate_date AND f.currency = s.currency AND f.business_date <> ?
"""

_CUSTOMER_CHECK = """
SELECT *, NULL::VARCHAR AS _reject_column, NULL::VARCHAR AS _reject_reason
FROM _stage
"""

# Per input: the rows of `_stage` with `_reject_column` / `_reject_reason` set where a check
# against the stored state fails. `?` stands for the business date being loaded.
_CHECKS: dict[InputKind, str] = {
    InputKind.CUSTOMERS: _CUSTOMER_CHECK,
    InputKind.ACCOUNTS: _ACCOUNT_CHECK,
    InputKind.FX_RATES: _FX_CHECK,
    InputKind.TRANSACTIONS: _TXN_CHECK,
}
