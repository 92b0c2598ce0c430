"""What the warehouse knows of each monitoring standard: its hits and alerts (the figures
`amlwatch standards` shows) and the tuning list of the standards on trial."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa

from amlwatch.rules import SuspiciousRule
from amlwatch.warehouse.buckets import Bucket
from amlwatch.warehouse.database import Warehouse
from amlwatch.warehouse.day_runs import (
    HASH_CHECK,
    exclusions_digest,
    kind_sql,
    not_excluded_sql,
    stored_rows,
)
from amlwatch.warehouse.picks import sql_date_list


@dataclass(frozen=True, slots=True)
class StandardFigures:
    """One standard's figures over the nights scanned (or those from `since`)."""

    code: str
    hits: int
    alerts: int
    customers: int
    trial_alerts: int
    last_hit: dt.date | None


def standard_figures(
    warehouse: Warehouse, since: dt.date | None = None
) -> dict[str, StandardFigures]:
    """Per standard code: hits, alerts, customers flagged, alerts made on trial, last hit (a
    network standard's hits are its structures, one a night each is found; it makes no
    alert yet)."""
    day = since or dt.date(1970, 1, 1)
    hits = dict(
        (str(code), (int(n), last))
        for code, n, last in warehouse.rows(
            """SELECT rule_code, count(*), max(scan_date) FROM suspicious_hits
               WHERE scan_date >= ? GROUP BY rule_code
               UNION ALL SELECT rule_code, count(*), max(scan_date) FROM network_hits
               WHERE scan_date >= ? GROUP BY rule_code""",
            [day, day],
        )
    )
    alerts = {
        str(code): (int(n), int(customers), int(trial))
        for code, n, customers, trial in warehouse.rows(
            """SELECT rule_code, count(*), count(DISTINCT customer_id),
                      count(*) FILTER (WHERE standard_status = 'trial')
               FROM suspicious_alerts WHERE last_scan_date >= ? GROUP BY rule_code""",
            [day],
        )
    }
    return {
        code: StandardFigures(
            code,
            hits.get(code, (0, None))[0],
            alerts.get(code, (0, 0, 0))[0],
            alerts.get(code, (0, 0, 0))[1],
            alerts.get(code, (0, 0, 0))[2],
            hits.get(code, (0, None))[1],
        )
        for code in sorted(set(hits) | set(alerts))
    }


def trial_alerts(
    warehouse: Warehouse, code: str | None, night: dt.date | None, limit: int
) -> list[dict[str, Any]]:
    """The tuning list: alerts of standards on trial (of one standard, of the night that
    opened or extended them), newest first, with their measure."""
    return warehouse.records(
        """SELECT alert_id, rule_code, customer_id, customer_type, account_id, window_start,
                  window_end, nights, in_total, out_total, measure_count, measure_total,
                  measure_days, last_scan_date
           FROM suspicious_alerts
           WHERE standard_status = 'trial' AND (? IS NULL OR rule_code = ?)
             AND (? IS NULL OR last_scan_date = ?)
           ORDER BY last_scan_date DESC, rule_code, alert_id LIMIT ?""",
        [code, code, night, night, limit],
    )


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """One standard's scan figures over a period (by scan date): hits, alerts (in force and
    on trial, by the night that opened them), customers flagged, and the rule packs — name
    and version — its hits were made under, with their first and last night."""

    code: str
    hits: int
    alerts: int
    trial_alerts: int
    customers: int
    packs: list[tuple[str, dt.date, dt.date]]


def period_figures(warehouse: Warehouse, start: dt.date, end: dt.date) -> dict[str, PeriodFigures]:
    """Per standard code, its figures from `start` to `end` (a network standard's hits: its
    structures, one a night each is found)."""
    hits = {
        str(code): int(n)
        for code, n in warehouse.rows(
            """SELECT rule_code, count(*) FROM suspicious_hits
               WHERE scan_date BETWEEN ? AND ? GROUP BY rule_code
               UNION ALL SELECT rule_code, count(*) FROM network_hits
               WHERE scan_date BETWEEN ? AND ? GROUP BY rule_code""",
            [start, end, start, end],
        )
    }
    alerts = {
        str(code): (int(in_force), int(trial), int(customers))
        for code, in_force, trial, customers in warehouse.rows(
            """SELECT rule_code,
                      count(*) FILTER (WHERE coalesce(standard_status, 'in_force') <> 'trial'),
                      count(*) FILTER (WHERE standard_status = 'trial'),
                      count(DISTINCT customer_id)
               FROM suspicious_alerts WHERE first_scan_date BETWEEN ? AND ? GROUP BY rule_code""",
            [start, end],
        )
    }
    packs: dict[str, list[tuple[str, dt.date, dt.date]]] = {}
    for code, label, first, last in warehouse.rows(
        """SELECT rule_code, rule_pack, min(scan_date), max(scan_date) FROM (
               SELECT rule_code, rule_pack, scan_date FROM suspicious_hits
               UNION ALL SELECT rule_code, rule_pack, scan_date FROM network_hits)
           WHERE scan_date BETWEEN ? AND ? GROUP BY rule_code, rule_pack ORDER BY 1, 3""",
        [start, end],
    ):
        packs.setdefault(str(code), []).append((str(label), first, last))
    return {
        code: PeriodFigures(
            code,
            hits.get(code, 0),
            *alerts.get(code, (0, 0, 0)),
            packs.get(code, []),
        )
        for code in sorted(set(hits) | set(alerts))
    }


@dataclass(frozen=True, slots=True)
class PastDays:
    """The day totals the periodic and baseline standards need from before the read window:
    the days from `days` before `before` up to the day before it whose records (after the
    rule's exclusions) total at least `floor` (0: every day with a record); with `known`,
    also the day each customer was first known (`known_since`)."""

    before: dt.date
    days: int
    floor: Decimal
    rule: SuspiciousRule
    known: bool = False


_DAY = "date_diff('day', DATE '1970-01-01', CAST({0} AS DATE))"


def history_columns(
    bucket: Bucket, active_before: tuple[dt.date, int] | None, past_before: PastDays | None
) -> tuple[list[str], str, str]:
    """What `warehouse.patterns.customer_types` adds for the days before the read window:
    its columns, an aggregate over `customer_history` and the joins."""
    picked, first_seen, joined = [], "", ""
    if active_before is not None:
        before, days = active_before
        since = before - dt.timedelta(days=days)
        # a customer the bank knew before the days looked at and silent in them slept at
        # least that long: the day before them stands for its last activity
        picked.append(
            f"""list_sort(list_distinct(coalesce(h.active_days, []::BIGINT[])
                || CASE WHEN c.first_seen < DATE '{since}'
                   THEN [{_DAY.format(f"DATE '{since}'")} - 1] ELSE []::BIGINT[] END))
                AS active_days"""
        )
        first_seen = ", min(business_date) AS first_seen"
        joined += active_days_join(before, since, bucket)
    if past_before is not None and past_before.known:
        picked.append(f"{_DAY.format('c.first_seen')} AS known_since")
        first_seen = ", min(business_date) AS first_seen"
    return picked, first_seen, joined


def past_lists(warehouse: Warehouse, types: pa.Table, past: PastDays, bucket: Bucket) -> pa.Table:
    """`types` (with its `customer_id_1/_2` keys) with each customer's trades' day totals
    (thousandths) of the days before the read window, one per day and kind of record
    (`day_runs.kind_sql`: a standard's own exclusions are bits of it), sorted by day:
    `past_days`, `past_totals`, `past_kinds`; only the days whose records total at least the
    floor. The records are those the window's rows are (the rule's exclusions left out), by
    trade date, as the window reads them: from the day runs of the business dates that have
    a valid one (integers already: a third of the time of `transactions`), from
    `transactions` for the others. The totals come back flat and sorted, and become lists
    here (DuckDB's own list aggregation over a million customers costs seconds)."""
    since = past.before - dt.timedelta(days=past.days)
    runs = [d for (d,) in warehouse.rows(
        f"""SELECT business_date FROM pattern_runs
            WHERE exclusions = ? AND hash_check = {HASH_CHECK} ORDER BY 1""",
        [exclusions_digest(past.rule)],
    )]  # fmt: skip
    # only the runs that can hold trades of the period (a business date holds its trade
    # date and the days before it)
    runs = [d for d in runs if d >= since]
    listed = sql_date_list(runs) if runs else "NULL"
    period = f"trade_date >= DATE '{since}' AND trade_date < DATE '{past.before}'"
    floor = int(past.floor * 1000)
    # a floor of 0 keeps every day: no whole-day sums to compare
    kept = (
        f"""QUALIFY sum(total) OVER (PARTITION BY customer_1, customer_2, day) >= {floor}"""
        if floor > 0
        else ""
    )
    keys = pa.table(
        {
            "row": pa.array(np.arange(types.num_rows, dtype=np.int64)),
            "k1": types["customer_id_1"],
            "k2": types["customer_id_2"],
        }
    )
    warehouse._con.register("_past_keys", keys)
    try:
        with stored_rows(warehouse, runs, past.rule) as stored:
            flat = warehouse._con.sql(
                f"""WITH r AS (
                        SELECT customer_1, customer_2, trade_date, kind, amount FROM {stored}
                        WHERE {period}
                          AND {bucket.where_hashed("customer_1")}
                        UNION ALL
                        SELECT hash(t.customer_id), hash(t.customer_id, 'amlwatch'), t.trade_date,
                               {kind_sql(past.rule)}, CAST(t.amount_cny * 1000 AS BIGINT)
                        FROM transactions t
                        WHERE coalesce(t.business_date NOT IN ({listed}), true)
                          AND {period} AND {bucket.where("t.customer_id")}
                          AND {not_excluded_sql(past.rule)}),
                    d AS (
                        SELECT customer_1, customer_2, {_DAY.format("trade_date")} AS day, kind,
                               CAST(sum(amount) AS BIGINT) AS total
                        FROM r GROUP BY customer_1, customer_2, day, kind {kept})
                    SELECT k.row, d.day, d.total, d.kind FROM d
                    JOIN _past_keys k ON d.customer_1 = k.k1 AND d.customer_2 = k.k2
                    ORDER BY k.row, d.day, d.kind"""
            ).to_arrow_table()
    finally:
        warehouse._con.unregister("_past_keys")
    row = np.asarray(flat["row"].to_numpy(), np.int64)
    offsets = np.zeros(types.num_rows + 1, np.int32)
    np.cumsum(np.bincount(row, minlength=types.num_rows), out=offsets[1:])
    for name, column, kind in (("past_days", "day", pa.int64()), ("past_totals", "total", pa.int64()),
                               ("past_kinds", "kind", pa.uint8())):  # fmt: skip
        values = flat[column].combine_chunks().cast(kind)
        types = types.append_column(name, pa.ListArray.from_arrays(pa.array(offsets), values))
    return types


def active_days_join(before: dt.date, since: dt.date, bucket: Bucket) -> str:
    """Per customer, `active_days`: the days of since..before-1 it had transactions, and any
    day before `before` an accounts file gave as an account's 上次动户日."""
    day = _DAY
    return f"""LEFT JOIN (
        SELECT customer_id, list(active) AS active_days FROM (
            SELECT DISTINCT customer_id, {day.format("booked_at")} AS active FROM transactions
            WHERE business_date >= DATE '{since}' AND business_date < DATE '{before}'
              AND CAST(booked_at AS DATE) BETWEEN DATE '{since}' AND DATE '{before}' - 1
              AND {bucket.where("customer_id")}
            UNION SELECT customer_id, {day.format("last_moved_on")} FROM account_history
            WHERE last_moved_on < DATE '{before}' AND {bucket.where("customer_id")})
        GROUP BY customer_id) h USING (customer_id)"""
