"""Day runs: a business date's rows in the pattern scanner's layout, cut at ingest (in the
load's transaction), sorted, and merged per window by the scan (docs/decisions/0002).

A run records the load it was cut from and a digest of the pack's exclusions: a run cut
under other exclusions, or missing, is not trusted, and its date is read from
`transactions` instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from amlwatch.rules import PatternStandard, SuspiciousRule
from amlwatch.warehouse import window_store
from amlwatch.warehouse.buckets import WHOLE, Bucket
from amlwatch.warehouse.database import Warehouse
from amlwatch.warehouse.picks import sql_date_list

# the counterparty identity counted for "distinct parties" (data contract: the account first)
PARTY_KEY = """coalesce(nullif(t.counterparty_account, ''), nullif(t.counterparty_id_number, ''),
                        nullif(t.counterparty_name, ''))"""


# records the pattern never looks at; parameters: purposes, tx methods, whitelisted accounts
NOT_EXCLUDED = """NOT coalesce(list_contains(?::VARCHAR[], t.purpose), false)
                  AND NOT coalesce(list_contains(?::VARCHAR[], t.tx_method), false)
                  AND NOT coalesce(list_contains(?::VARCHAR[], t.counterparty_account), false)"""


def exclusion_params(rule: SuspiciousRule) -> list[list[str]]:
    """The parameters of NOT_EXCLUDED for a rule."""
    return [
        sorted(rule.exclude_purposes),
        sorted(rule.exclude_tx_methods),
        sorted(rule.exclude_counterparty_accounts),
    ]


def key_sql(column: str) -> str:
    """A 128-bit key of a string column as two independent 64-bit hashes (`*_1`, `*_2`)."""
    return f"hash({column}) AS {column.split('.')[-1]}_1, hash({column}, 'amlwatch') AS {column.split('.')[-1]}_2"


# ---------------------------------------------------------------- day runs
# Each business date's scanner rows, stored at ingest sorted by (customer key, time, receipts
# first) so that a window is merged from runs instead of sorted (`scanners.runs`). A run is
# valid for the exclusions it was cut with and for the hash function that keyed it (a DuckDB
# upgrade may change `hash`); any other day is cut from `transactions` on the fly, the same way.
_RUN_COLUMNS = f"""t.business_date, t.trade_date, hash(t.customer_id) AS customer_1,
    hash(t.customer_id, 'amlwatch') AS customer_2, epoch_us(t.booked_at) // 1000000 AS ts,
    t.direction = 'out' AS out, CAST(t.amount_cny * 1000 AS BIGINT) AS amount,
    CASE WHEN {PARTY_KEY} IS NULL THEN 0::UBIGINT ELSE greatest(hash({PARTY_KEY}), 1) END
        AS party, t.line, {{kind}} AS kind"""


def kind_sql(rule: SuspiciousRule) -> str:
    """What a record is, as the bits of `scanners.patterns.KIND_*`: cash, cross-border, a
    counterparty in one of the pack's high-risk regions (ISO alpha-3 codes, checked by the
    pack: safe as literals)."""
    regions = ", ".join(f"'{r}'" for r in sorted(rule.high_risk_regions)) or "NULL"
    own = "".join(
        f"\n + CASE WHEN {own_excluded_sql(s)} THEN {bit} ELSE 0 END"
        for s, bit in rule.own_exclusions()
    )
    return f"""CAST(CASE WHEN t.is_cash THEN 1 ELSE 0 END
                    + CASE WHEN t.is_cross_border THEN 2 ELSE 0 END
                    + CASE WHEN left(t.counterparty_region, 3) IN ({regions}) THEN 4 ELSE 0 END
                    {own} AS UTINYINT)"""


_OWN_COLUMNS = {"purposes": "purpose", "tx_methods": "tx_method",
                "counterparty_accounts": "counterparty_account"}  # fmt: skip


def own_excluded_sql(standard: PatternStandard) -> str:
    """Whether a record `t` is one the standard excludes of its own (its `exclude`), as SQL;
    the pack's strings as quoted literals."""
    terms = [
        f"coalesce(t.{_OWN_COLUMNS[key]} IN ({_literals(values)}), false)"
        for key, values in sorted(standard.exclude.items())
    ]
    return "(" + " OR ".join(terms or ["false"]) + ")"


def not_excluded_sql(rule: SuspiciousRule) -> str:
    """NOT_EXCLUDED with the rule's own values as quoted literals (for a query built as text)."""
    terms = [
        f"NOT coalesce(t.{column} IN ({_literals(values)}), false)"
        for column, values in (("purpose", rule.exclude_purposes), ("tx_method", rule.exclude_tx_methods),
                               ("counterparty_account", rule.exclude_counterparty_accounts))
        if values
    ]  # fmt: skip
    return "(" + " AND ".join(terms or ["true"]) + ")"


def _literals(values: frozenset[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values))


def run_columns(rule: SuspiciousRule) -> str:
    """The columns of a run's rows under the rule."""
    return _RUN_COLUMNS.format(kind=kind_sql(rule))


_RUN_ORDER = "ORDER BY customer_1, customer_2, ts, out"


HASH_CHECK = window_store.HASH_CHECK


# what a scan reads of a run
_RUN_FIELDS = "customer_1, customer_2, ts, out, amount, party, kind"
RUN_FIELDS = [name.strip() for name in _RUN_FIELDS.split(",")]


def exclusions_digest(rule: SuspiciousRule) -> str:
    """What a run's rows depend on in the rule: its exclusions and high-risk regions, and
    the layout (runs cut before the window store, in a table of the warehouse, are cut again
    into the store)."""
    facts: list[object] = [
        *exclusion_params(rule),
        sorted(rule.high_risk_regions),
        "window store 1",
    ]
    own = [[s.code, bit, {k: sorted(v) for k, v in sorted(s.exclude.items())}]
           for s, bit in rule.own_exclusions()]  # fmt: skip
    if own:  # (runs cut before standards had exclusions of their own keep their digest)
        facts.append(own)
    text = json.dumps(facts, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def store_day_run(
    warehouse: Warehouse, business_date: dt.date, load_id: str, rule: SuspiciousRule
) -> int:
    """Cut the business date's run (inside the load's transaction); returns its rows."""
    return _store_runs(warehouse, {business_date: load_id}, rule)


def _store_runs(warehouse: Warehouse, loads: dict[dt.date, str], rule: SuspiciousRule) -> int:
    """Cut the runs of those dates (date -> the load it holds) in one pass over their rows,
    write them to the window store and list them in place of any they had under the rule's
    exclusions, inside the caller's transaction (the files are named nowhere until it
    commits); the rows cut."""
    con = warehouse._con
    days = sorted(loads)
    if not days:
        return 0
    # literal dates: DuckDB filters them inside the scan and skips other dates' row groups
    # (a list parameter costs a second more on a day of 5M rows)
    listed = sql_date_list(days)
    # date by date (one date, the load's: the date key only slows the sort)
    order = _RUN_ORDER if len(days) == 1 else _RUN_ORDER.replace("BY ", "BY t.business_date, ")
    digest = exclusions_digest(rule)
    with warehouse.in_insertion_order():
        rows = con.sql(
            f"""SELECT {run_columns(rule)} FROM transactions t
                WHERE t.business_date IN ({listed}) AND {NOT_EXCLUDED} {order}""",
            params=exclusion_params(rule),
        ).to_arrow_table()
    counts: dict[dt.date, int] = {}
    files: dict[dt.date, list[window_store.StoredFile]] = {}
    day_of = rows["business_date"].to_numpy()
    for day in days:
        lo, hi = (
            int(np.searchsorted(day_of, np.datetime64(day), side=side))
            for side in ("left", "right")
        )
        counts[day] = hi - lo
        files[day] = window_store.write_date(
            warehouse.window_store, day, digest, loads[day], rows.slice(lo, hi - lo)
        )
    del rows
    window_store.list_files(warehouse, counts, digest, loads, files)
    return int(sum(counts.values()))


def sweep(
    warehouse: Warehouse, days: list[dt.date], grace: dt.timedelta = window_store.GRACE
) -> int:
    """Delete the window store's files of those dates that the warehouse no longer lists
    (after the commit that replaced them, and `grace` later); the files deleted."""
    if not days:
        return 0
    listed = {
        path
        for (path,) in warehouse.rows(
            f"SELECT path FROM window_files WHERE business_date IN ({sql_date_list(days)})"
        )
    }
    return window_store.sweep(warehouse.window_store, sorted(set(days)), listed, grace)


def has_day_run(warehouse: Warehouse, business_date: dt.date, rule: SuspiciousRule) -> bool:
    """Whether the date has a run valid for the rule."""
    return bool(
        warehouse.scalar(
            f"""SELECT count(*) FROM pattern_runs WHERE business_date = ? AND exclusions = ?
                AND hash_check = {HASH_CHECK}""",
            [business_date, exclusions_digest(rule)],
        )
    )


@dataclass(frozen=True, slots=True)
class WindowDates:
    """The business dates holding a window's trades, in date order, with how many of those
    trades each holds; which of them have a valid stored run, and the runs cut in memory
    for this scan (of its bucket, its trades only) where none could be stored."""

    rows: dict[dt.date, int]
    stored: frozenset[dt.date]
    cut: dict[dt.date, pa.Table] = field(default_factory=dict)
    # the window store's files of each stored date (none for a date without rows)
    files: dict[dt.date, tuple[window_store.StoredFile, ...]] = field(default_factory=dict)

    @property
    def missing(self) -> list[dt.date]:
        """Dates with neither a valid stored run nor one cut in memory."""
        return [d for d in self.rows if d not in self.stored and d not in self.cut]


def recut_day_run(
    warehouse: Warehouse, business_date: dt.date, load_id: str, rule: SuspiciousRule
) -> bool:
    """Cut the date's day run again, in one transaction, unless a valid one is stored;
    whether it was cut."""
    if has_day_run(warehouse, business_date, rule):
        return False
    with warehouse.transaction():
        store_day_run(warehouse, business_date, load_id, rule)
    sweep(warehouse, [business_date])
    return True


def window_dates(
    warehouse: Warehouse, first_day: dt.date, last_day: dt.date, rule: SuspiciousRule
) -> WindowDates:
    """What `window_runs` reads for trades from first_day to last_day (looked up once for
    every slice of a scan)."""
    rows = warehouse.rows(
        """SELECT business_date, count(*) FROM transactions
           WHERE trade_date BETWEEN ? AND ? GROUP BY business_date ORDER BY business_date""",
        [first_day, last_day],
    )
    digest = exclusions_digest(rule)
    stored = frozenset(
        d
        for (d,) in warehouse.rows(
            f"""SELECT business_date FROM pattern_runs
                WHERE exclusions = ? AND hash_check = {HASH_CHECK}""",
            [digest],
        )
    )
    files: dict[dt.date, list[window_store.StoredFile]] = {}
    if rows:
        for day, url, path, part, parts, n in warehouse.rows(
            f"""SELECT business_date, url, path, part, parts, rows FROM window_files
                WHERE exclusions = ? AND hash_check = {HASH_CHECK}
                  AND business_date IN ({sql_date_list([d for d, _ in rows])})
                ORDER BY business_date, part""",
            [digest],
        ):
            files.setdefault(day, []).append(window_store.StoredFile(url, path, part, parts, n))
    return WindowDates(
        {d: int(n) for d, n in rows},
        stored,
        files={d: tuple(f) for d, f in files.items()},
    )


def ready_window(
    warehouse: Warehouse,
    first_day: dt.date,
    last_day: dt.date,
    rule: SuspiciousRule,
    bucket: Bucket = WHOLE,
    batch_rows: int = 12_000_000,
    store: bool = True,
) -> WindowDates:
    """`window_dates` with a run for every date: the dates lacking a valid one (history
    loaded before day runs existed, or cut under other exclusions) are cut once, a batch of
    consecutive dates of about `batch_rows` rows per pass over `transactions` — stored in one
    transaction when `store` and the warehouse may be written (later scans read them), else
    (a read-only scan: a bucket's worker, a replay beside the night; a scan under a pack other
    than the one in force, whose runs must not replace the night's) kept in memory for this
    scan, of the bucket's customers and the window's trades only."""
    dates = window_dates(warehouse, first_day, last_day, rule)
    missing = dates.missing
    if not missing:
        return dates
    batches: list[list[dt.date]] = [[]]
    rows = 0  # in the last batch
    for day in missing:
        if batches[-1] and rows + dates.rows[day] > batch_rows:
            batches.append([])
            rows = 0
        batches[-1].append(day)
        rows += dates.rows[day]
    if store and not warehouse.scalar(
        "SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()"
    ):
        loads = dict(
            warehouse.rows(
                f"""SELECT business_date, any_value(load_id) FROM transactions
                    WHERE business_date IN ({sql_date_list(missing)}) GROUP BY business_date"""
            )
        )
        with warehouse.transaction():
            for batch in batches:
                _store_runs(warehouse, {d: loads[d] for d in batch}, rule)
        sweep(warehouse, missing)
        return window_dates(warehouse, first_day, last_day, rule)
    cut: dict[dt.date, pa.Table] = {}
    for batch in batches:
        table = warehouse._con.sql(
            f"""SELECT business_date, {_RUN_FIELDS} FROM (
                    SELECT {run_columns(rule)} FROM transactions t
                    WHERE t.business_date IN ({sql_date_list(batch)})
                      AND t.trade_date BETWEEN ? AND ? AND {bucket.where("t.customer_id")}
                      AND {NOT_EXCLUDED})
                ORDER BY business_date, {_RUN_ORDER.removeprefix("ORDER BY ")}""",
            params=[first_day, last_day, *exclusion_params(rule)],
        ).to_arrow_table()
        day_of = table["business_date"].to_numpy()
        for day in batch:
            lo, hi = (
                np.searchsorted(day_of, np.datetime64(day), side="left"),
                np.searchsorted(day_of, np.datetime64(day), side="right"),
            )
            cut[day] = table.slice(int(lo), int(hi - lo)).drop_columns(["business_date"])
    return WindowDates(dates.rows, dates.stored, cut, dates.files)


def window_runs(
    dates: WindowDates, first_day: dt.date, last_day: dt.date, bucket: Bucket = WHOLE
) -> list[pa.Table]:
    """The runs of the window's business dates (`ready_window`), trades from first_day to
    last_day of the bucket's customers: one table of `RUN_FIELDS` per date in date order,
    each in run order — read from the window store's files (or the runs cut in memory); no
    warehouse connection is needed."""
    if dates.missing:
        raise ValueError(f"no day run of {dates.missing[0]}: the window was not made ready")
    first, last = bucket.hashes
    parts = []
    for day in dates.rows:
        if day in dates.cut:  # of the window's trades already, perhaps of a larger bucket
            run = window_store.in_hash_range(dates.cut[day], first, last)
        else:
            run = window_store.read_rows(
                list(dates.files.get(day, ())), RUN_FIELDS, first, last, first_day, last_day
            )
        parts.append(run)
    return parts


_NO_ROWS = """(SELECT NULL::DATE AS business_date, NULL::DATE AS trade_date,
    NULL::UBIGINT AS customer_1, NULL::UBIGINT AS customer_2, NULL::BIGINT AS ts,
    NULL::BOOLEAN AS out, NULL::BIGINT AS amount, NULL::UBIGINT AS party, NULL::BIGINT AS line,
    NULL::UTINYINT AS kind WHERE false)"""


@contextmanager
def stored_rows(warehouse: Warehouse, days: list[dt.date], rule: SuspiciousRule) -> Iterator[str]:
    """A SQL table expression of those dates' stored rows under the rule (the window store's
    files, `window_store.ROW_SCHEMA`), for a query in the block."""
    files = [
        window_store.StoredFile(url, path, 0, 1, 0)
        for url, path in warehouse.rows(
            f"""SELECT url, path FROM window_files WHERE exclusions = ? AND hash_check = {HASH_CHECK}
                AND business_date IN ({sql_date_list(days) if days else "NULL"})""",
            [exclusions_digest(rule)],
        )
    ]
    if not files:
        yield _NO_ROWS
        return
    locals_ = [window_store.local_path(f) for f in files]
    if all(p is not None for p in locals_):
        yield (
            "read_parquet(["
            + ", ".join("'" + str(p).replace("'", "''") + "'" for p in locals_)
            + "])"
        )
        return
    name = f"_window_rows_{uuid.uuid4().hex[:8]}"
    warehouse._con.register(name, window_store.dataset(files))
    try:
        yield name
    finally:
        warehouse._con.unregister(name)
