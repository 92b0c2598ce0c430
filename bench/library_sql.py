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

from amlwatch.rules import NETWORK_FAMILIES, BusinessCalendar, PatternStandard, SuspiciousRule
from amlwatch.scanners.standards import FAMILIES
from amlwatch.scanners.standards.baseline import lookback as baseline_lookback
from amlwatch.scanners.standards.dormant import lookback as dormant_lookback
from amlwatch.scanners.standards.periodic import lookback as periodic_lookback
from amlwatch.warehouse.day_runs import not_excluded_sql

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
    "periodic": "cycle",
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

# the rows of a periodic standard: each with whether its day completes a cycle — the day's
# total (its history read back as far as a cycle reaches) at least p.m0, and with the large
# days before it the newest p.m4 spaced by gaps of p.m1..p.m2 within p.m3 of each other
CYCLED = """(SELECT lib_rows.*, coalesce(c.cycle, false) AS cycle FROM lib_rows LEFT JOIN (
    SELECT customer_id, dn, k >= m4 AND lo >= m1 AND hi <= m2 AND hi - lo <= m3 AS cycle FROM (
        SELECT *, min(gap) OVER w AS lo, max(gap) OVER w AS hi FROM (
            SELECT *, dn - lag(dn) OVER (PARTITION BY customer_id ORDER BY dn) AS gap,
                   row_number() OVER (PARTITION BY customer_id ORDER BY dn) AS k
            FROM (SELECT t.customer_id, s.entity,
                         date_diff('day', DATE '1970-01-01', t.trade_date) AS dn,
                         sum(CAST(t.amount_cny * 1000 AS BIGINT)) AS total
                  FROM transactions t
                  JOIN (SELECT DISTINCT customer_id, entity FROM lib_rows) s USING (customer_id)
                  WHERE t.trade_date BETWEEN DATE '{since}' AND DATE '{last}' AND {kept}
                  GROUP BY ALL) days JOIN p USING (entity)
            WHERE total >= m0) large
        WINDOW w AS (PARTITION BY customer_id ORDER BY dn ROWS BETWEEN greatest(m4 - 2, 0) PRECEDING AND CURRENT ROW))
    ) c USING (customer_id, dn)) AS lib_rows"""

MARKED = """
WITH ends(e, s) AS (VALUES {ends}),
p(entity, m0, m1, m2, m3, m4, min_count, min_days, min_total, min_in, min_share, max_residual, need_in)
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

# a baseline standard: each window's records against the subject's past — its day totals
# from max(window start - p.m0, its first day known) to the window's start — by the gate and
# p.m1 (the multiple, bp), p.m2 (least days of past), p.m3 (least days with a record)
BASELINE = """
WITH ends(e, s) AS (VALUES {ends}),
p(entity, m0, m1, m2, m3, m4, min_count, min_days, min_total, min_in, min_share, max_residual, need_in)
  AS (VALUES {params}),
known AS (SELECT customer_id, date_diff('day', DATE '1970-01-01', min(business_date)) AS since
          FROM customer_history GROUP BY customer_id),
days AS (SELECT t.customer_id, date_diff('day', DATE '1970-01-01', t.trade_date) AS dn,
                sum(CAST(t.amount_cny * 1000 AS BIGINT)) AS total
         FROM transactions t SEMI JOIN (SELECT DISTINCT customer_id FROM lib_rows) r USING (customer_id)
         WHERE t.trade_date BETWEEN DATE '{since}' AND DATE '{last}' AND {kept} GROUP BY ALL),
w AS (SELECT e, s, customer_id, entity, count(*) AS m_c, sum(milli) AS m_t
      FROM lib_rows JOIN ends ON d BETWEEN s AND e GROUP BY ALL),
q AS (SELECT w.*, p.m1, p.m2, p.m3, p.min_count, p.min_total,
             greatest(date_diff('day', DATE '1970-01-01', s) - p.m0, k.since) AS first,
             date_diff('day', DATE '1970-01-01', s) AS sn, date_diff('day', s, e) + 1 AS span
      FROM w JOIN p USING (entity) JOIN known k USING (customer_id) WHERE p.min_count < {never}),
past AS (SELECT q.*, coalesce(sum(days.total), 0) AS h, count(days.dn) AS active
         FROM q LEFT JOIN days ON days.customer_id = q.customer_id AND days.dn >= q.first
                              AND days.dn < q.sn
         GROUP BY ALL)
SELECT e, customer_id, '{code}' AS code FROM past
WHERE sn - first >= m2 AND active >= m3 AND m_c >= min_count AND m_t >= min_total
  AND CAST(m_t AS HUGEINT) * (sn - first) * 10000 >= CAST(m1 AS HUGEINT) * h * span
"""

# an open / close standard: each window's openings (p.m0 at least) and closings (p.m1) of the
# customer's accounts, both counted by the gate's min_count, and its records' total
OPEN_CLOSE = """
WITH ends(e, s) AS (VALUES {ends}),
p(entity, m0, m1, m2, m3, m4, min_count, min_days, min_total, min_in, min_share, max_residual, need_in)
  AS (VALUES {params}),
ev AS (SELECT customer_id, CAST(opened_at AS DATE) AS d, 1 AS opened FROM accounts
       WHERE opened_at IS NOT NULL
       UNION ALL SELECT customer_id, CAST(closed_at AS DATE), 0 FROM accounts
       WHERE closed_at IS NOT NULL),
w AS (SELECT e, s, customer_id, entity, sum(milli) AS m_t
      FROM lib_rows JOIN ends ON d BETWEEN s AND e GROUP BY ALL),
q AS (SELECT w.*, count(ev.d) AS events, coalesce(sum(ev.opened), 0) AS opened
      FROM w LEFT JOIN ev ON ev.customer_id = w.customer_id AND ev.d BETWEEN w.s AND w.e
      GROUP BY ALL)
SELECT e, customer_id, '{code}' AS code FROM q JOIN p USING (entity)
WHERE p.min_count < {never} AND opened >= p.m0 AND events - opened >= p.m1
  AND events >= min_count AND m_t >= min_total
"""

SAME_PARTY = """
WITH ends(e, s) AS (VALUES {ends}),
p(entity, m0, m1, m2, m3, m4, min_count, min_days, min_total, min_in, min_share, max_residual, need_in)
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
        m = [int(v) for v in marks] + [0] * (5 - len(marks))
        values = [*m[:5], *(int(v) for v in gate)]
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
        if standard.family == "scatter" or standard.family in NETWORK_FAMILIES:
            continue  # the scatter peers' own; the network standards: bench_network.py
        days = rule.window_of(standard)
        listed = ", ".join(f"(DATE '{e}', DATE '{calendar.window_start(e, days)}')" for e in ends)
        template = {"same_party": SAME_PARTY, "baseline": BASELINE, "open_close": OPEN_CLOSE}.get(
            standard.family, MARKED
        )
        rows = {"dormant": WOKEN, "periodic": CYCLED}.get(standard.family, "lib_rows")
        # the days before the windows as far back as a cycle or a past reaches
        lookback = {"periodic": periodic_lookback, "baseline": baseline_lookback}.get(
            standard.family, lambda _: 0
        )(standard.params)
        since = min(calendar.window_start(e, days) for e in ends) - dt.timedelta(days=lookback)
        past = {"since": since, "last": max(ends), "kept": not_excluded_sql(rule)}
        if standard.family == "periodic":
            rows = rows.format(**past)
        sql = template.format(
            ends=listed, params=_params(standard), code=standard.code, never=NEVER,
            mark=MARKS.get(standard.family, "false"), extra=EXTRA.get(standard.family, ""),
            rows=rows, **past,
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
