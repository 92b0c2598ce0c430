"""Warehouse side of the scatter / concentrate stage: its input window, its hits and alerts."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from amlwatch.rules import SuspiciousRule
from amlwatch.warehouse.buckets import WHOLE, Bucket
from amlwatch.warehouse.picks import (
    picked_rows,
    picked_transactions,
    registered,
    sql_date_list,
    sql_text_list,
)
from amlwatch.warehouse.store import Warehouse

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


def _key(column: str) -> str:
    """A 128-bit key of a string column as two independent 64-bit hashes (`*_1`, `*_2`)."""
    return f"hash({column}) AS {column.split('.')[-1]}_1, hash({column}, 'amlwatch') AS {column.split('.')[-1]}_2"


def pattern_window_rows(
    warehouse: Warehouse,
    first_day: dt.date,
    last_day: dt.date,
    rule: SuspiciousRule,
    bucket: Bucket = WHOLE,
) -> pa.Table:
    """The scanner's columns for every transaction booked from first_day to last_day (of the
    bucket's customers).

    Unsorted, narrow and string-free (ids as 128-bit hash keys, see `scanners.encode`):
    `rid`, `customer_id_1/_2`, `account_id_1/_2` (per-account subjects only), `booked_at`,
    `out`, `amount_cny` (decimal CNY equivalent), `party_1/_2` and `has_party`.
    """
    accounts = f"{_key('t.account_id')}," if rule.subject == "account" else ""
    return warehouse._con.sql(
        f"""SELECT rid, {_key("customer_id")}, {accounts.replace("t.", "")}
                   booked_at, out, amount_cny, {_key("party")}, party IS NOT NULL AS has_party
            FROM (SELECT t.rowid AS rid, t.customer_id, t.account_id, t.booked_at,
                         t.direction = 'out' AS out, t.amount_cny, {PARTY_KEY} AS party
                  FROM transactions t
                  WHERE t.trade_date BETWEEN ? AND ? AND {bucket.where("t.customer_id")}
                    AND {NOT_EXCLUDED})""",
        params=[first_day, last_day, *exclusion_params(rule)],
    ).to_arrow_table()


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


def alert_state(warehouse: Warehouse) -> dict[str, tuple[object, ...]]:
    """Every alert's window and metrics, by id (to tell what a rescan changed)."""
    rows = warehouse.rows(
        """SELECT alert_id, window_start, window_end, nights, in_total, out_total, in_parties,
                  out_parties, evidence_count FROM suspicious_alerts"""
    )
    return {str(r[0]): tuple(r[1:]) for r in rows}


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


def customer_types(warehouse: Warehouse, bucket: Bucket = WHOLE) -> pa.Table:
    """`customer_id`, its hash key `customer_id_1/_2` and `entity` for every customer of the
    bucket (latest version)."""
    return warehouse._con.sql(
        f"""SELECT customer_id, {_key("customer_id")}, entity FROM (
                SELECT customer_id, arg_max(customer_type, business_date) = 'entity' AS entity
                FROM customer_history WHERE {bucket.where("customer_id")} GROUP BY customer_id)"""
    ).to_arrow_table()


def subject_ids(warehouse: Warehouse, rids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """(customer_id, account_id) of the transactions with those row ids."""
    warehouse._con.register("_rids", pa.table({"rid": pa.array(list(rids), pa.int64())}))
    try:
        rows = warehouse.rows(
            """SELECT t.rowid, t.customer_id, t.account_id FROM transactions t
               SEMI JOIN _rids r ON t.rowid = r.rid"""
        )
    finally:
        warehouse._con.unregister("_rids")
    return {rid: (customer, account) for rid, customer, account in rows}


def affected_subjects(
    warehouse: Warehouse, scan_dates: Sequence[dt.date], hits: pa.Table
) -> pa.Table:
    """(rule_code, customer_id, account_id) with hits stored for those dates or in `hits`."""
    warehouse._con.register("_new_hits", hits)
    try:
        return warehouse._con.sql(
            """SELECT DISTINCT rule_code, customer_id, account_id FROM (
                   SELECT rule_code, customer_id, account_id FROM suspicious_hits
                   WHERE list_contains(?::DATE[], scan_date)
                   UNION ALL SELECT rule_code, customer_id, account_id FROM _new_hits)""",
            params=[list(scan_dates)],
        ).to_arrow_table()
    finally:
        warehouse._con.unregister("_new_hits")


def hits_of(warehouse: Warehouse, subjects: pa.Table) -> pa.Table:
    """Every stored hit of those (rule, customer, account) subjects, in scan order."""
    warehouse._con.register("_subjects", subjects)
    try:
        return warehouse._con.sql(
            """SELECT h.* FROM suspicious_hits h SEMI JOIN _subjects s
                 ON h.rule_code = s.rule_code AND h.customer_id = s.customer_id
                AND h.account_id IS NOT DISTINCT FROM s.account_id
               ORDER BY h.rule_code, h.customer_id, h.account_id, h.scan_date"""
        ).to_arrow_table()
    finally:
        warehouse._con.unregister("_subjects")


def evidence_rows(warehouse: Warehouse, alerts: pa.Table, rule: SuspiciousRule) -> pa.Table:
    """The transactions of each alert's subject over its whole span (what the rule looked at):
    `alert_id`, `party` and every column of `transactions`."""
    customers = sorted(set(alerts["customer_id"].to_pylist()))
    if customers:
        first, last = pc.min(alerts["window_start"]).as_py(), pc.max(alerts["window_end"]).as_py()
        rowids = _customer_rowids(warehouse, first, last, customers, rule)
    else:  # no alerts: an empty pick, the same columns
        rowids = []
    with picked_rows(warehouse, rowids) as picked:
        warehouse._con.register("_alerts", alerts)
        try:
            return warehouse._con.sql(
                f"""SELECT a.alert_id, {PARTY_KEY} AS party, t.*
                    FROM _alerts a JOIN {picked} t
                      ON t.customer_id = a.customer_id
                     AND (a.account_id IS NULL OR t.account_id = a.account_id)
                     AND t.trade_date BETWEEN a.window_start AND a.window_end
                    WHERE {NOT_EXCLUDED}
                    ORDER BY a.alert_id, t.booked_at, t.txn_id""",
                params=exclusion_params(rule),
            ).to_arrow_table()
        finally:
            warehouse._con.unregister("_alerts")


def _customer_rowids(
    warehouse: Warehouse,
    first: dt.date,
    last: dt.date,
    customers: Sequence[str],
    rule: SuspiciousRule,
) -> list[int]:
    """Row ids of (at least) the customers' transactions traded from first to last that the
    rule does not exclude. Dates with a valid day run are looked up there (its customer key
    and `line`, then `transactions` by date and line: 0.3 s at 5 million rows a day, against
    2 s for a scan of the window's `customer_id`); other dates are scanned by `customer_id`.
    A key that two customers share only adds rows that the caller's join on `customer_id`
    drops."""
    dates = window_dates(warehouse, first, last, rule)
    runs = sorted(dates.stored.intersection(dates.rows))
    others = sorted(set(dates.rows) - dates.stored)
    ids: list[tuple[Any, ...]] = []
    if runs and rule.subject == "customer":
        # a date range, not a list, lets DuckDB skip the other dates' row groups (0.3 against
        # 4 s); a date inside it without a valid run adds only rows the caller drops, and is
        # scanned by customer below anyway
        ids += warehouse.rows(
            """SELECT t.rowid FROM transactions t
               SEMI JOIN (SELECT business_date, line FROM pattern_rows
                          WHERE business_date BETWEEN ? AND ? AND trade_date BETWEEN ? AND ?
                            AND customer_1 IN (SELECT hash(unnest(?::VARCHAR[])))) r
                 ON t.business_date = r.business_date AND t.line = r.line
               WHERE t.business_date BETWEEN ? AND ?""",
            [runs[0], runs[-1], first, last, list(customers), runs[0], runs[-1]],
        )
    else:
        others = sorted(dates.rows)
    if others:
        ids += warehouse.rows(
            f"""SELECT t.rowid FROM transactions t
                WHERE t.business_date IN ({sql_date_list(others)})
                  AND t.trade_date BETWEEN ? AND ?
                  AND t.customer_id IN ({sql_text_list(customers)})""",
            [first, last],
        )
    return [int(i) for (i,) in ids]


def replace_patterns(
    warehouse: Warehouse,
    scan_dates: Sequence[dt.date],
    hits: pa.Table,
    subjects: pa.Table,
    alerts: pa.Table,
    evidence: pa.Table,
    detail: pa.Table,
) -> None:
    """In one transaction: the hits of `scan_dates` become `hits`, and the alerts (and their
    evidence) of the affected `subjects` become `alerts` / `evidence` (with the evidence
    transactions whole in `detail`)."""
    con = warehouse._con
    con.execute("BEGIN TRANSACTION").fetchall()
    try:
        for name, table in (
            ("_hits", hits),
            ("_subjects", subjects),
            ("_alerts", alerts),
            ("_evidence", evidence),
            ("_detail", detail),
        ):
            con.register(name, table)
        con.execute(
            "DELETE FROM suspicious_hits WHERE list_contains(?::DATE[], scan_date)",
            [list(scan_dates)],
        ).fetchall()
        con.execute("INSERT INTO suspicious_hits BY NAME SELECT * FROM _hits").fetchall()
        for table in ("suspicious_alert_transactions", "suspicious_evidence_detail"):
            con.execute(
                f"""DELETE FROM {table} WHERE alert_id IN (
                       SELECT a.alert_id FROM suspicious_alerts a SEMI JOIN _subjects s
                         ON a.rule_code = s.rule_code AND a.customer_id = s.customer_id
                        AND a.account_id IS NOT DISTINCT FROM s.account_id)"""
            ).fetchall()
        con.execute(
            """DELETE FROM suspicious_alerts a WHERE EXISTS (
                   SELECT 1 FROM _subjects s WHERE a.rule_code = s.rule_code
                      AND a.customer_id = s.customer_id
                      AND a.account_id IS NOT DISTINCT FROM s.account_id)"""
        ).fetchall()
        con.execute("INSERT INTO suspicious_alerts BY NAME SELECT * FROM _alerts").fetchall()
        con.execute(
            """INSERT INTO suspicious_alert_transactions BY NAME
               SELECT alert_id, txn_id, direction, leg FROM _evidence"""
        ).fetchall()
        con.execute(
            "INSERT INTO suspicious_evidence_detail BY NAME SELECT * FROM _detail"
        ).fetchall()
        con.execute("COMMIT").fetchall()
    except BaseException:
        con.execute("ROLLBACK").fetchall()
        raise
    finally:
        for name in ("_hits", "_subjects", "_alerts", "_evidence", "_detail"):
            con.unregister(name)


def alerts_of_run(warehouse: Warehouse, scan_dates: Sequence[dt.date]) -> list[dict[str, object]]:
    """Alerts opened or extended by scans of those dates, with their subject's details."""
    cursor = warehouse._con.execute(
        """WITH a AS (SELECT * FROM suspicious_alerts
                      WHERE list_contains(?::DATE[], last_scan_date)),
                c AS (SELECT * FROM customer_history  -- the current version, of these only
                      WHERE customer_id IN (SELECT customer_id FROM a)
                      QUALIFY row_number() OVER (PARTITION BY customer_id
                                                 ORDER BY business_date DESC) = 1)
           SELECT a.*, c.name AS customer_name, c.id_type, c.id_number, c.nationality,
                  c.occupation_or_industry, c.address, c.phone, c.other_contact,
                  c.legal_rep_name, c.legal_rep_id_type, c.legal_rep_id_number,
                  c.controller_name, c.controller_id_type, c.controller_id_number, c.branch_code
           FROM a LEFT JOIN c USING (customer_id)
           ORDER BY a.rule_code, a.alert_id""",
        [list(scan_dates)],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@contextmanager
def picked_evidence(warehouse: Warehouse, alert_ids: Sequence[str]) -> Iterator[str | None]:
    """The evidence transactions of those alerts, every column, as a registered view (its
    name yielded; None when none of the alerts exists).

    They are read from the rows the alerts were built with (`suspicious_evidence_detail`);
    only alerts stored before that table existed are picked out of the window again.
    """
    con = warehouse._con
    ids = list(alert_ids)
    first, last, without_detail = con.execute(
        """SELECT min(window_start), max(window_end),
                  count(*) FILTER (alert_id IN (SELECT alert_id FROM suspicious_alert_transactions)
                                   AND alert_id NOT IN (SELECT alert_id
                                                        FROM suspicious_evidence_detail))
           FROM suspicious_alerts WHERE list_contains(?::VARCHAR[], alert_id)""",
        [ids],
    ).fetchall()[0]
    if first is None:
        yield None
    elif not without_detail:
        rows = con.sql(
            """SELECT DISTINCT ON (txn_id) * EXCLUDE (alert_id) FROM suspicious_evidence_detail
               WHERE list_contains(?::VARCHAR[], alert_id)""",
            params=[ids],
        ).to_arrow_table()
        with registered(warehouse, rows) as picked:
            yield picked
    else:
        # evidence lies inside its alert's window: constant bounds let the scan skip other days
        evidence = """t.txn_id IN (SELECT txn_id FROM suspicious_alert_transactions
                                     WHERE list_contains(?::VARCHAR[], alert_id))"""
        with picked_transactions(warehouse, first, last, evidence, [ids]) as picked:
            yield picked


def alert_transaction_rows(
    warehouse: Warehouse, alert_ids: Sequence[str]
) -> list[dict[str, object]]:
    """The evidence transactions of those alerts with the report's STIF fields."""
    with picked_evidence(warehouse, alert_ids) as picked:
        if picked is None:
            return []
        cursor = warehouse._con.execute(
            f"""WITH e AS (SELECT * FROM suspicious_alert_transactions
                          WHERE list_contains(?::VARCHAR[], alert_id)),
                    t AS (SELECT * FROM {picked}),
                    c AS (SELECT * FROM customer_history
                          WHERE customer_id IN (SELECT customer_id FROM t)
                          QUALIFY row_number() OVER (PARTITION BY customer_id
                                                     ORDER BY business_date DESC) = 1),
                    ac AS (SELECT * FROM account_history
                           WHERE account_id IN (SELECT account_id FROM t)
                           QUALIFY row_number() OVER (PARTITION BY account_id
                                                      ORDER BY business_date DESC) = 1)
               SELECT e.alert_id, e.leg, t.txn_id, t.booked_at, t.customer_id,
                      c.name AS customer_name, c.id_type, c.id_number, t.account_id,
                      ac.account_type, coalesce(t.branch_code, c.branch_code) AS branch_code,
                      t.location, CASE t.direction WHEN 'in' THEN '01' ELSE '02' END
                      AS direction_code, t.tx_method, t.channel, t.purpose, t.currency,
                      t.amount, t.amount_cny, t.counterparty_name, t.counterparty_id_type,
                      t.counterparty_id_number, t.counterparty_account_type,
                      t.counterparty_account, t.counterparty_bank_name,
                      t.counterparty_bank_code, t.counterparty_region
               FROM e JOIN t USING (txn_id)
               LEFT JOIN c ON c.customer_id = t.customer_id
               LEFT JOIN ac ON ac.account_id = t.account_id
               ORDER BY e.alert_id, t.booked_at, t.txn_id""",
            [list(alert_ids)],
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
