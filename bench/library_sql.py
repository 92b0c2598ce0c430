"""The monitoring-standard families beside scatter / concentrate as DuckDB SQL: the peers of
the stage in `bench_patterns.py`, one statement per standard, each written as well as we can:
the window's rows read once into a temporary table with what every family needs (customer
type, cash, region, the newest account's opening, the latest receipt before each payment),
per customer-day aggregates (or per customer-counterparty-day for same-party), joined to the
window ends and summed. The parameters are the kernels' own integer tables, so that the
answers can be compared by digest.
"""

from __future__ import annotations

import datetime as dt

from amlwatch.rules import BusinessCalendar, PatternStandard, SuspiciousRule
from amlwatch.scanners.standards import FAMILIES
from amlwatch.scanners.standards.dormant import lookback as dormant_lookback

ROWS = """
CREATE OR REPLACE TEMP TABLE lib_rows AS
WITH types AS (SELECT customer_id, arg_max(customer_type, business_date) = 'entity' AS entity
               FROM customer_history GROUP BY customer_id),
newest AS (SELECT customer_id,
                  date_diff('day', DATE '1970-01-01', max(CAST(opened_at AS DATE))) AS newest
           FROM accounts GROUP BY customer_id),
declared AS (SELECT customer_id, CAST(arg_max(CASE WHEN customer_type = 'entity'
                    THEN registered_capital_cny ELSE declared_income_cny END, business_date) * 1000
                    AS BIGINT) AS declared, min(business_date) AS first_seen
             FROM customer_history GROUP BY customer_id),
-- the last activity before the rows read: within the longest sleep asked for, or the core
-- system's 上次动户日, or (known before those days) the day before them
moved AS (SELECT customer_id, max(dn) AS last_active FROM (
              SELECT customer_id, date_diff('day', DATE '1970-01-01', CAST(booked_at AS DATE)) AS dn
              FROM transactions WHERE business_date >= CAST(? AS DATE) - {sleep}
                AND business_date < CAST(? AS DATE) AND CAST(booked_at AS DATE) < CAST(? AS DATE)
              UNION ALL
              SELECT customer_id, date_diff('day', DATE '1970-01-01', last_moved_on)
              FROM account_history WHERE last_moved_on < CAST(? AS DATE))
          GROUP BY customer_id),
r AS (SELECT t.customer_id, CAST(t.booked_at AS DATE) AS d,
             date_diff('day', DATE '1970-01-01', CAST(t.booked_at AS DATE)) AS dn, t.booked_at,
             hour(t.booked_at) * 3600 + minute(t.booked_at) * 60 + second(t.booked_at) AS sec,
             t.direction = 'out' AS out, CAST(t.amount_cny * 1000 AS BIGINT) AS milli,
             t.is_cash AS cash, coalesce(left(t.counterparty_region, 3) IN ({regions}), false) AS risky,
             coalesce(nullif(t.counterparty_account, ''), nullif(t.counterparty_id_number, ''),
                      nullif(t.counterparty_name, '')) AS party,
             coalesce(ty.entity, false) AS entity, coalesce(a.newest, -1) AS newest,
             coalesce(dc.declared, -1) AS declared,
             coalesce(mv.last_active, CASE WHEN dc.first_seen <= CAST(? AS DATE) - {sleep}
                 THEN date_diff('day', DATE '1970-01-01', CAST(? AS DATE)) - {sleep} - 1
                 ELSE -1 END) AS last_active
      FROM transactions t LEFT JOIN types ty USING (customer_id) LEFT JOIN newest a USING (customer_id)
           LEFT JOIN declared dc USING (customer_id) LEFT JOIN moved mv USING (customer_id)
      WHERE t.trade_date BETWEEN ? AND ?
        AND NOT coalesce(list_contains(?::VARCHAR[], t.purpose), false))
SELECT r.*,
       last_value(CASE WHEN NOT out THEN booked_at END IGNORE NULLS) OVER w AS r_at,
       last_value(CASE WHEN NOT out THEN milli END IGNORE NULLS) OVER w AS r_milli
FROM r WINDOW w AS (PARTITION BY customer_id ORDER BY booked_at, out ROWS UNBOUNDED PRECEDING)
"""

# what marks a row, per family (p.m0, p.m1, p.m2: the kernel's marks table)
MARKS = {
    "pass_through": """out AND r_at IS NOT NULL AND CAST(r_at AS DATE) = d
        AND epoch(booked_at) - epoch(r_at) <= p.m0 AND abs(milli - r_milli) * 10000 <= p.m1 * r_milli""",
    "structuring": """milli < p.m0 AND milli * 10000 >= p.m0 * (10000 - p.m1) AND (p.m2 = 0 OR cash)""",
    "night": """milli >= p.m2 AND CASE WHEN p.m0 < p.m1 THEN sec >= p.m0 AND sec < p.m1
                                       ELSE sec >= p.m0 OR sec < p.m1 END""",
    "cash": "cash AND milli >= p.m0",
    "risk_region": "risky AND milli >= p.m0",
    "new_account": "newest >= 0 AND dn - newest BETWEEN 0 AND p.m0",
    "out_of_profile": "true",
    "dormant": "wake IS NOT NULL AND dn - wake <= p.m1",
}

# what else a window needs, per family (beyond the gate)
EXTRA = {"out_of_profile": "AND declared >= 0 AND m_t * 10000 >= m0 * declared"}

# the rows of a dormant standard: each with its subject's latest waking (a day more than
# p.m0 days after its previous active day), by the customer's type
WOKEN = """(SELECT * EXCLUDE (idle), max(CASE WHEN prev >= 0 AND dn - prev > idle THEN dn END)
                OVER (PARTITION BY customer_id ORDER BY dn ROWS UNBOUNDED PRECEDING) AS wake
            FROM (SELECT lib_rows.*, p.m0 AS idle, coalesce(lag(dn) OVER (
                      PARTITION BY customer_id ORDER BY dn), last_active) AS prev
                  FROM lib_rows JOIN p USING (entity)) q) AS lib_rows"""

MARKED = """
WITH ends(e, s) AS (VALUES {ends}),
p(entity, m0, m1, m2, min_count, min_days, min_total, min_in, min_share, max_residual, need_in)
  AS (VALUES {params}),
r AS (SELECT lib_rows.*, p.min_count < {never} AND ({mark}) AS marked
      FROM {rows} JOIN p USING (entity)),
dd AS (SELECT customer_id, entity, declared, d,
              coalesce(sum(milli) FILTER (WHERE NOT out), 0) AS in_t,
              coalesce(sum(milli) FILTER (WHERE out), 0) AS out_t,
              count(*) FILTER (WHERE marked) AS m_c,
              coalesce(sum(milli) FILTER (WHERE marked), 0) AS m_t,
              bool_or(marked)::INT AS m_d
       FROM r GROUP BY ALL),
w AS (SELECT e, customer_id, entity, declared, sum(in_t) AS in_t, sum(out_t) AS out_t, sum(m_c) AS m_c,
             sum(m_t) AS m_t, sum(m_d) AS m_d
      FROM dd JOIN ends ON d BETWEEN s AND e GROUP BY ALL)
SELECT e, customer_id, '{code}' AS code FROM w JOIN p USING (entity)
WHERE m_c >= min_count AND m_d >= min_days AND m_t >= min_total AND in_t >= min_in
  AND (in_t > 0 OR need_in = 0) AND m_t * 10000 >= min_share * in_t
  AND (max_residual >= {never} OR abs(in_t - out_t) * 10000 <= max_residual * in_t) {extra}
"""

SAME_PARTY = """
WITH ends(e, s) AS (VALUES {ends}),
p(entity, m0, m1, m2, min_count, min_days, min_total, min_in, min_share, max_residual, need_in)
  AS (VALUES {params}),
pd AS (SELECT customer_id, entity, party, d, count(*) FILTER (WHERE NOT out) AS ni,
              count(*) FILTER (WHERE out) AS no, sum(milli) AS t
       FROM lib_rows WHERE party IS NOT NULL GROUP BY ALL),
pw AS (SELECT e, customer_id, entity, party, sum(ni) AS ni, sum(no) AS no, sum(t) AS t
       FROM pd JOIN ends ON d BETWEEN s AND e GROUP BY ALL),
fq AS (SELECT e, customer_id, entity, count(*) AS n, sum(t) AS t FROM pw JOIN p USING (entity)
       WHERE p.min_count < {never} AND ni >= 1 AND no >= 1 AND ni + no >= p.m0 GROUP BY ALL)
SELECT e, customer_id, '{code}' AS code FROM fq JOIN p USING (entity)
WHERE n >= min_count AND t >= min_total
"""

NEVER = 1 << 62


def _params(standard: PatternStandard) -> str:
    tables = FAMILIES[standard.family].params(standard.params)
    rows = []
    for entity, (marks, gate) in enumerate(zip(tables.marks, tables.gates, strict=True)):
        m = [int(v) for v in marks] + [0] * (3 - len(marks))
        values = [*m[:3], *(int(v) for v in gate)]
        rows.append(
            f"({'true' if entity else 'false'}, {', '.join(f'{v}::BIGINT' for v in values)})"
        )
    return ", ".join(rows)


def statements(
    rule: SuspiciousRule, calendar: BusinessCalendar, ends: list[dt.date]
) -> list[tuple[str, str]]:
    """(code, SELECT of (e, customer_id, code)) per running standard of another family."""
    found = []
    for standard in rule.running():
        if standard.family == "scatter":
            continue
        days = rule.window_of(standard)
        listed = ", ".join(f"(DATE '{e}', DATE '{calendar.window_start(e, days)}')" for e in ends)
        template = SAME_PARTY if standard.family == "same_party" else MARKED
        sql = template.format(
            ends=listed, params=_params(standard), code=standard.code, never=NEVER,
            mark=MARKS.get(standard.family, "false"), extra=EXTRA.get(standard.family, ""),
            rows=WOKEN if standard.family == "dormant" else "lib_rows",
        )  # fmt: skip
        found.append((standard.code, sql))
    return found


def rows_sql(rule: SuspiciousRule) -> str:
    """The rows' statement; its parameters: `rows_params`."""
    regions = ", ".join(f"'{r}'" for r in sorted(rule.high_risk_regions)) or "NULL"
    sleep = max(
        [dormant_lookback(s.params) for s in rule.running() if s.family == "dormant"], default=0
    )
    return ROWS.format(regions=regions, sleep=sleep)


def rows_params(first: dt.date, last: dt.date, purposes: list[str]) -> list[object]:
    """`rows_sql`'s parameters for the rows of first..last."""
    return [first, first, first, first, first, first, first, last, purposes]
