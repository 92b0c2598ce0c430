"""Customer risk rating in the warehouse: each business date's behaviour per customer, the
inputs of every customer over the model's window, and the nights' scores.

`rating_day_features` holds, per business date, one row per customer that moved money that
day (its counts and sums): derived by the rating stage from the date's transactions and
replaced with the date, so a window's inputs are a sum over at most `window_days` rows per
customer instead of a re-read of the window's transactions. `rating_scores` holds the scores
of the last nights (each night's rows replaced exactly by a re-run); `rating_runs` one row a
night.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from amlwatch.warehouse.database import Warehouse

KEEP_NIGHTS = 3  # the scored nights kept (the newest is the current rating of every customer)


def replace_day_features(warehouse: Warehouse, day: dt.date, risk_regions: Sequence[str]) -> int:
    """The date's per-customer behaviour from its transactions (replacing the date's rows):
    the rows written. Amounts are CNY; night is 22:00–06:00 booking time; online is a record
    with a channel (a counter record has none)."""
    with warehouse.transaction():
        warehouse.execute("DELETE FROM rating_day_features WHERE business_date = ?", [day])
        warehouse.execute(
            """INSERT INTO rating_day_features
               SELECT business_date, customer_id, count(*),
                      sum(amount_cny)::DOUBLE,
                      coalesce(sum(amount_cny) FILTER (WHERE direction = 'in'), 0)::DOUBLE,
                      coalesce(sum(amount_cny) FILTER (WHERE is_cash), 0)::DOUBLE,
                      coalesce(sum(amount_cny) FILTER (WHERE is_cross_border), 0)::DOUBLE,
                      coalesce(sum(amount_cny) FILTER (
                          WHERE list_contains(?::VARCHAR[], left(counterparty_region, 3))), 0)::DOUBLE,
                      count(*) FILTER (WHERE coalesce(agent_name, '') <> ''),
                      count(*) FILTER (WHERE hour(booked_at) >= 22 OR hour(booked_at) < 6),
                      count(*) FILTER (WHERE coalesce(channel, '') <> '')
               FROM transactions WHERE business_date = ? GROUP BY ALL""",
            [list(risk_regions), day],
        )
    return int(
        warehouse.scalar("SELECT count(*) FROM rating_day_features WHERE business_date = ?", [day])
    )


def has_day_features(warehouse: Warehouse, days: Sequence[dt.date]) -> set[dt.date]:
    """Of these business dates, those whose features are in the warehouse."""
    rows = warehouse.rows(
        "SELECT DISTINCT business_date FROM rating_day_features WHERE list_contains(?::DATE[], business_date)",
        [list(days)],
    )
    return {r[0] for r in rows}


def customer_inputs(warehouse: Warehouse, day: dt.date, window_days: int) -> pa.Table:
    """Every customer known on `day` (its data as of that date) with its behaviour over the
    window of `window_days` calendar days ending on `day`, its accounts open on that day and
    its suspicious alerts of the last 365 days; one row per customer, by customer number."""
    start = day - dt.timedelta(days=window_days - 1)
    return warehouse._con.sql(
        """WITH people AS (
               SELECT customer_id, arg_max(name, business_date) AS name,
                      arg_max(customer_type, business_date) AS customer_type,
                      arg_max(id_type, business_date) AS id_type,
                      arg_max(nationality, business_date) AS nationality,
                      arg_max(occupation_or_industry, business_date) AS occupation,
                      arg_max(branch_code, business_date) AS branch_code,
                      arg_max(is_pep, business_date) AS is_pep,
                      arg_max(is_state_organ, business_date) AS state_organ,
                      arg_max(coalesce(declared_income_cny, registered_capital_cny), business_date)::DOUBLE
                          AS declared,
                      min(business_date) AS first_known
               FROM customer_history WHERE business_date <= ? GROUP BY customer_id),
           moved AS (
               SELECT customer_id, sum(n) AS n, sum(total) AS total, sum(received) AS received,
                      sum(cash) AS cash, sum(cross_border) AS cross_border,
                      sum(risk_region) AS risk_region, sum(agent) AS agent, sum(night) AS night,
                      sum(online) AS online
               FROM rating_day_features WHERE business_date BETWEEN ? AND ? GROUP BY customer_id),
           held AS (
               SELECT customer_id, count(*) FILTER (WHERE closed_at IS NULL OR closed_at::DATE > ?) AS accounts,
                      min(opened_at)::DATE AS first_opened FROM (
                   SELECT account_id, arg_max(customer_id, business_date) AS customer_id,
                          arg_max(opened_at, business_date) AS opened_at,
                          arg_max(closed_at, business_date) AS closed_at
                   FROM account_history WHERE business_date <= ? GROUP BY account_id)
               GROUP BY customer_id),
           alerted AS (
               SELECT customer_id, count(*) AS alerts FROM suspicious_alerts
               WHERE last_scan_date BETWEEN ? AND ? GROUP BY customer_id)
           SELECT p.*, coalesce(m.n, 0)::DOUBLE AS txn_count, coalesce(m.total, 0) AS total_cny,
                  m.cash / nullif(m.total, 0) AS cash_share,
                  m.cross_border / nullif(m.total, 0) AS cross_border_share,
                  m.risk_region / nullif(m.total, 0) AS risk_region_share,
                  m.agent / nullif(m.n, 0)::DOUBLE AS agent_share,
                  m.night / nullif(m.n, 0)::DOUBLE AS night_share,
                  m.online / nullif(m.n, 0)::DOUBLE AS online_share,
                  coalesce(m.received, 0) * (365.0 / ?) / nullif(p.declared, 0) AS declared_multiple,
                  coalesce(h.accounts, 0)::DOUBLE AS accounts,
                  (?::DATE - least(p.first_known, coalesce(h.first_opened, p.first_known)))::DOUBLE
                      AS customer_days,
                  coalesce(a.alerts, 0)::DOUBLE AS alerts
           FROM people p LEFT JOIN moved m USING (customer_id) LEFT JOIN held h USING (customer_id)
                LEFT JOIN alerted a USING (customer_id)
           ORDER BY customer_id""",
        params=[day, start, day, day, day, day - dt.timedelta(days=364), day, window_days, day],
    ).to_arrow_table()


def identity_changed(warehouse: Warehouse, day: dt.date) -> list[str]:
    """Customers whose identity data (name, type, document, nationality, occupation) the
    date's customers file changed against their version before: an event for the rating."""
    rows = warehouse.rows(
        """WITH today AS (SELECT * FROM customer_history WHERE business_date = ?),
                before AS (SELECT customer_id, arg_max(name, business_date) AS name,
                                  arg_max(customer_type, business_date) AS customer_type,
                                  arg_max(id_type, business_date) AS id_type,
                                  arg_max(id_number, business_date) AS id_number,
                                  arg_max(nationality, business_date) AS nationality,
                                  arg_max(occupation_or_industry, business_date) AS occupation
                           FROM customer_history WHERE business_date < ? GROUP BY customer_id)
           SELECT t.customer_id FROM today t JOIN before b USING (customer_id)
           WHERE t.name IS DISTINCT FROM b.name OR t.customer_type IS DISTINCT FROM b.customer_type
              OR t.id_type IS DISTINCT FROM b.id_type OR t.id_number IS DISTINCT FROM b.id_number
              OR t.nationality IS DISTINCT FROM b.nationality
              OR t.occupation_or_industry IS DISTINCT FROM b.occupation
           ORDER BY 1""",
        [day, day],
    )
    return [str(r[0]) for r in rows]


def replace_scores(
    warehouse: Warehouse, day: dt.date, scores: pa.Table, run: dict[str, Any]
) -> None:
    """In one transaction: the night's scores (and its run row) become these; nights older than
    the newest `KEEP_NIGHTS` go."""
    with warehouse.transaction():
        warehouse.execute("DELETE FROM rating_scores WHERE scored_on = ?", [day])
        warehouse.execute("DELETE FROM rating_runs WHERE scored_on = ?", [day])
        warehouse._con.register("_scores", scores)
        try:
            warehouse.execute(
                "INSERT INTO rating_scores BY NAME SELECT ?::DATE AS scored_on, * FROM _scores",
                [day],
            )
        finally:
            warehouse._con.unregister("_scores")
        warehouse.execute(
            "INSERT INTO rating_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [day, run["model"], run["digest"], run["factor_codes"], run["customers"], run["per_level"],
             run["seconds"], run["finished_at"]],
        )  # fmt: skip
        warehouse.execute(
            """DELETE FROM rating_scores WHERE scored_on NOT IN (
                   SELECT DISTINCT scored_on FROM rating_scores ORDER BY scored_on DESC LIMIT ?)""",
            [KEEP_NIGHTS],
        )


def latest_scores(
    warehouse: Warehouse, customer_ids: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """The newest night's scores (of these customers, or all), by customer number."""
    where = "" if customer_ids is None else "AND list_contains(?::VARCHAR[], customer_id)"
    params: list[Any] = [] if customer_ids is None else [list(customer_ids)]
    return warehouse.records(
        f"""SELECT * FROM rating_scores
            WHERE scored_on = (SELECT max(scored_on) FROM rating_scores) {where}
            ORDER BY customer_id""",
        params,
    )


def runs(warehouse: Warehouse, limit: int = 30) -> list[dict[str, Any]]:
    return warehouse.records("SELECT * FROM rating_runs ORDER BY scored_on DESC LIMIT ?", [limit])


def replace_levels(warehouse: Warehouse, levels: pa.Table) -> None:
    """The customers' levels in force (customer_id, level, as_of: the rating night) become these, in one
    transaction (the monitoring standards' per-level parameters read them)."""
    with warehouse.transaction():
        warehouse.execute("DELETE FROM customer_risk_levels")
        warehouse._con.register("_levels", levels)
        try:
            warehouse.execute("INSERT INTO customer_risk_levels BY NAME SELECT * FROM _levels")
        finally:
            warehouse._con.unregister("_levels")
