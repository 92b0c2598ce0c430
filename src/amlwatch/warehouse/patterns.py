"""Warehouse side of the scatter / concentrate stage: its input window, its hits and alerts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from amlwatch.rules import SuspiciousRule
from amlwatch.warehouse.buckets import WHOLE, Bucket
from amlwatch.warehouse.database import Warehouse
from amlwatch.warehouse.day_runs import (
    NOT_EXCLUDED,
    PARTY_KEY,
    exclusion_params,
    key_sql,
    kind_sql,
    own_excluded_sql,
    stored_rows,
    window_dates,
)
from amlwatch.warehouse.picks import (
    picked_rows,
    picked_transactions,
    registered,
    sql_date_list,
    sql_text_list,
)
from amlwatch.warehouse.standards import PastDays, history_columns, past_lists


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
    `out`, `amount_cny` (decimal CNY equivalent), `party_1/_2`, `has_party` and `kind`.
    """
    accounts = f"{key_sql('t.account_id')}," if rule.subject == "account" else ""
    return warehouse._con.sql(
        f"""SELECT rid, {key_sql("customer_id")}, {accounts.replace("t.", "")}
                   booked_at, out, amount_cny, {key_sql("party")}, party IS NOT NULL AS has_party,
                   kind
            FROM (SELECT t.rowid AS rid, t.customer_id, t.account_id, t.booked_at,
                         t.direction = 'out' AS out, t.amount_cny, {PARTY_KEY} AS party,
                         {kind_sql(rule)} AS kind
                  FROM transactions t
                  WHERE t.trade_date BETWEEN ? AND ? AND {bucket.where("t.customer_id")}
                    AND {NOT_EXCLUDED})""",
        params=[first_day, last_day, *exclusion_params(rule)],
    ).to_arrow_table()


def alert_state(warehouse: Warehouse) -> dict[str, tuple[object, ...]]:
    """Every alert's window and metrics, by id (to tell what a rescan changed)."""
    rows = warehouse.rows(
        """SELECT alert_id, window_start, window_end, nights, in_total, out_total, in_parties,
                  out_parties, evidence_count FROM suspicious_alerts"""
    )
    return {str(r[0]): tuple(r[1:]) for r in rows}


def customer_types(
    warehouse: Warehouse,
    bucket: Bucket = WHOLE,
    opened: bool = False,
    events: bool = False,
    declared: bool = False,
    active_before: tuple[dt.date, int] | None = None,
    past_before: PastDays | None = None,
    risk: bool = False,
) -> pa.Table:
    """`customer_id`, its hash key `customer_id_1/_2`, `entity` and `state_organ` (article 7
    (三)) for every customer of the bucket (latest version); with `opened`, also
    `newest_opened`: the day (days since 1970-01-01) its newest account was opened, -1 when
    no account says; with `events`, also `opened_days` and `closed_days`: the days its
    accounts were opened and closed (lists, empty when none says); with `declared`, also
    `declared`: what the latest version declares — an individual's annual income, an
    entity's registered capital — in thousandths of a yuan, -1 when it does not say; with
    `active_before` (day F, days L), also `active_days`: the days before F it moved money
    (sorted) — its transactions' days of the L days before F, any day before F an accounts
    file gave as an account's 上次动户日 (`last_moved_on`), and the day before those L days
    for a customer the warehouse knew before them (silent since, it slept at least that
    long); with `past_before`, also `past_days`, `past_totals`, `past_kinds`: its day
    totals before the read window that reach a floor (`warehouse.standards.past_lists`); with
    `risk`, also `risk_level`: its risk level in force as the rating stage last left it (the
    level code as a number, -1 unrated)."""
    day = "date_diff('day', DATE '1970-01-01', CAST({0} AS DATE))"
    picked, joined = [], ""
    if opened:
        picked.append("coalesce(a.newest_opened, -1) AS newest_opened")
    if events:
        picked += [f"coalesce(a.{n}, []::BIGINT[]) AS {n}" for n in ("opened_days", "closed_days")]
    if opened or events:  # one pass over the accounts, joined by customer
        joined = f"""LEFT JOIN (
            SELECT customer_id, max({day.format("opened_at")}) AS newest_opened,
                   list({day.format("opened_at")}) FILTER (opened_at IS NOT NULL) AS opened_days,
                   list({day.format("closed_at")}) FILTER (closed_at IS NOT NULL) AS closed_days
            FROM accounts WHERE {bucket.where("customer_id")} GROUP BY customer_id
        ) a USING (customer_id)"""
    if declared:
        picked.append("c.declared")
    figure = (
        """, coalesce(CAST(arg_max(CASE WHEN customer_type = 'entity' THEN registered_capital_cny
                                         ELSE declared_income_cny END, business_date) * 1000
                           AS BIGINT), -1) AS declared"""
        if declared
        else ""
    )
    more, first_seen, history = history_columns(bucket, active_before, past_before)
    picked += more
    joined += history
    if risk:
        picked.append("coalesce(TRY_CAST(r.level AS BIGINT), -1) AS risk_level")
        joined += " LEFT JOIN customer_risk_levels r USING (customer_id)"
    extra = "".join(f", {p}" for p in picked)
    types = warehouse._con.sql(
        f"""SELECT c.customer_id, {key_sql("c.customer_id")}, c.entity, c.state_organ {extra}
            FROM (
                SELECT customer_id, arg_max(customer_type, business_date) = 'entity' AS entity,
                       coalesce(arg_max(is_state_organ, business_date), false) AS state_organ
                       {figure} {first_seen}
                FROM customer_history WHERE {bucket.where("customer_id")} GROUP BY customer_id) c
            {joined}"""
    ).to_arrow_table()
    return types if past_before is None else past_lists(warehouse, types, past_before, bucket)


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
    """The transactions of each alert's subject over its whole span (what the rule looked at,
    less what its standard excludes of its own; `alerts` has `rule_code`): `alert_id`, `party`
    and every column of `transactions`."""
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
                    WHERE {NOT_EXCLUDED} AND NOT {_own_excluded(rule)}
                    ORDER BY a.alert_id, t.booked_at, t.txn_id""",
                params=exclusion_params(rule),
            ).to_arrow_table()
        finally:
            warehouse._con.unregister("_alerts")


def _own_excluded(rule: SuspiciousRule) -> str:
    """Whether a record `t` is one its alert's standard `a` excludes of its own, as SQL."""
    terms = [
        f"(a.rule_code = '{s.code.replace(chr(39), chr(39) * 2)}' AND {own_excluded_sql(s)})"
        for s, _ in rule.own_exclusions()
    ]
    return "(" + " OR ".join(terms or ["false"]) + ")"


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
        with stored_rows(warehouse, runs, rule) as stored:
            ids += warehouse.rows(
                f"""SELECT t.rowid FROM transactions t
                    SEMI JOIN (SELECT business_date, line FROM {stored}
                               WHERE trade_date BETWEEN ? AND ?
                                 AND customer_1 IN (SELECT hash(unnest(?::VARCHAR[])))) r
                      ON t.business_date = r.business_date AND t.line = r.line
                    WHERE t.business_date BETWEEN ? AND ?""",
                [first, last, list(customers), runs[0], runs[-1]],
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


def alerts_of_run(
    warehouse: Warehouse, scan_dates: Sequence[dt.date], trial: bool = False
) -> list[dict[str, object]]:
    """Alerts opened or extended by scans of those dates, with their subject's details: of
    the standards in force (what becomes a case and a report), or with `trial` of the
    standards on trial (the tuning list)."""
    cursor = warehouse._con.execute(
        """WITH a AS (SELECT * FROM suspicious_alerts
                      WHERE list_contains(?::DATE[], last_scan_date)
                        AND (coalesce(standard_status, 'in_force') = 'trial') = ?),
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
        [list(scan_dates), trial],
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
