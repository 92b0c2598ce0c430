"""What the warehouse knows of each monitoring standard: its hits and alerts (the figures
`amlwatch standards` shows) and the tuning list of the standards on trial."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from amlwatch.warehouse.buckets import Bucket
from amlwatch.warehouse.database import Warehouse


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
    """Per standard code: hits, alerts, customers flagged, alerts made on trial, last hit."""
    day = since or dt.date(1970, 1, 1)
    hits = dict(
        (str(code), (int(n), last))
        for code, n, last in warehouse.rows(
            """SELECT rule_code, count(*), max(scan_date) FROM suspicious_hits
               WHERE scan_date >= ? GROUP BY rule_code""",
            [day],
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
    """Per standard code, its figures from `start` to `end`."""
    hits = {
        str(code): int(n)
        for code, n in warehouse.rows(
            """SELECT rule_code, count(*) FROM suspicious_hits
               WHERE scan_date BETWEEN ? AND ? GROUP BY rule_code""",
            [start, end],
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
        """SELECT rule_code, rule_pack, min(scan_date), max(scan_date) FROM suspicious_hits
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


def active_days_join(before: dt.date, since: dt.date, bucket: Bucket) -> str:
    """Per customer, `active_days`: the days of since..before-1 it had transactions, and any
    day before `before` an accounts file gave as an account's 上次动户日."""
    day = "date_diff('day', DATE '1970-01-01', CAST({0} AS DATE))"
    return f"""LEFT JOIN (
        SELECT customer_id, list(active) AS active_days FROM (
            SELECT DISTINCT customer_id, {day.format("booked_at")} AS active FROM transactions
            WHERE business_date >= DATE '{since}' AND business_date < DATE '{before}'
              AND CAST(booked_at AS DATE) BETWEEN DATE '{since}' AND DATE '{before}' - 1
              AND {bucket.where("customer_id")}
            UNION SELECT customer_id, {day.format("last_moved_on")} FROM account_history
            WHERE last_moved_on < DATE '{before}' AND {bucket.where("customer_id")})
        GROUP BY customer_id) h USING (customer_id)"""
