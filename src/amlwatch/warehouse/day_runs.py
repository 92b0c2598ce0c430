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
from dataclasses import dataclass

import pyarrow as pa

from amlwatch.rules import SuspiciousRule
from amlwatch.warehouse.buckets import WHOLE, Bucket
from amlwatch.warehouse.database import Warehouse

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
        AS party, t.line"""


_RUN_ORDER = "ORDER BY customer_1, customer_2, ts, out"


_HASH_CHECK = "hash('amlwatch day runs')"


# what a scan reads of a run
_RUN_FIELDS = "customer_1, customer_2, ts, out, amount, party"


def exclusions_digest(rule: SuspiciousRule) -> str:
    """What a run's rows depend on in the rule: its exclusions."""
    text = json.dumps(exclusion_params(rule), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def store_day_run(
    warehouse: Warehouse, business_date: dt.date, load_id: str, rule: SuspiciousRule
) -> int:
    """Cut the business date's run (inside the load's transaction); returns its rows."""
    con = warehouse._con
    with warehouse.in_insertion_order():
        con.execute(
            f"""INSERT INTO pattern_rows BY NAME SELECT {_RUN_COLUMNS} FROM transactions t
                WHERE t.business_date = ? AND {NOT_EXCLUDED} {_RUN_ORDER}""",
            [business_date, *exclusion_params(rule)],
        ).fetchall()
    rows = int(
        warehouse.scalar(
            "SELECT count(*) FROM pattern_rows WHERE business_date = ?", [business_date]
        )
    )
    con.execute(
        f"INSERT INTO pattern_runs VALUES (?, ?, ?, {_HASH_CHECK}, ?)",
        [business_date, load_id, exclusions_digest(rule), rows],
    ).fetchall()
    return rows


def has_day_run(warehouse: Warehouse, business_date: dt.date, rule: SuspiciousRule) -> bool:
    """Whether the date has a run valid for the rule."""
    return bool(
        warehouse.scalar(
            f"""SELECT count(*) FROM pattern_runs WHERE business_date = ? AND exclusions = ?
                AND hash_check = {_HASH_CHECK}""",
            [business_date, exclusions_digest(rule)],
        )
    )


def drop_day_run(warehouse: Warehouse, business_date: dt.date) -> None:
    """Delete the date's run (whatever it was cut for)."""
    for table in ("pattern_rows", "pattern_runs"):
        warehouse._con.execute(
            f"DELETE FROM {table} WHERE business_date = ?", [business_date]
        ).fetchall()


@dataclass(frozen=True, slots=True)
class WindowDates:
    """The business dates holding a window's trades, in date order, with how many of those
    trades each holds, and which of them have a valid stored run."""

    rows: dict[dt.date, int]
    stored: frozenset[dt.date]


def recut_day_run(
    warehouse: Warehouse, business_date: dt.date, load_id: str, rule: SuspiciousRule
) -> bool:
    """Cut the date's day run again, in one transaction, unless a valid one is stored;
    whether it was cut."""
    if has_day_run(warehouse, business_date, rule):
        return False
    with warehouse.transaction():
        drop_day_run(warehouse, business_date)
        store_day_run(warehouse, business_date, load_id, rule)
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
    stored = warehouse.rows(
        f"""SELECT business_date FROM pattern_runs
            WHERE exclusions = ? AND hash_check = {_HASH_CHECK}""",
        [exclusions_digest(rule)],
    )
    return WindowDates({d: int(n) for d, n in rows}, frozenset(d for (d,) in stored))


def window_runs(
    warehouse: Warehouse,
    dates: WindowDates,
    first_day: dt.date,
    last_day: dt.date,
    rule: SuspiciousRule,
    bucket: Bucket = WHOLE,
) -> list[pa.Table]:
    """The runs of the window's business dates (`window_dates`), trades from first_day to
    last_day of the bucket's customers: one table of `_RUN_FIELDS` per date in date order,
    each in run order; stored, or cut from `transactions` on the fly when not (or no longer)
    valid."""
    parts = []
    for day in dates.rows:
        if day in dates.stored:
            with warehouse.in_insertion_order():
                run = warehouse._con.sql(
                    f"""SELECT {_RUN_FIELDS} FROM pattern_rows
                        WHERE business_date = ? AND trade_date BETWEEN ? AND ?
                          AND {bucket.where_hashed("customer_1")}""",
                    params=[day, first_day, last_day],
                ).to_arrow_table()
        else:
            run = warehouse._con.sql(
                f"""SELECT {_RUN_FIELDS} FROM (SELECT {_RUN_COLUMNS} FROM transactions t
                        WHERE t.business_date = ? AND t.trade_date BETWEEN ? AND ?
                          AND {bucket.where("t.customer_id")} AND {NOT_EXCLUDED})
                    {_RUN_ORDER}""",
                params=[day, first_day, last_day, *exclusion_params(rule)],
            ).to_arrow_table()
        parts.append(run)
    return parts
