"""The load's checks against what the warehouse already holds, as SQL over the staged rows:
known customers and account owners, FX rates in force, duplicate keys of other dates; and
the load log's record of each attempt. Read by `store.Warehouse.load_business_date`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb

from amlwatch.masking import masked_sql
from amlwatch.models import InputKind, LoadReport

_MASK = "'****' || right({0}, 4)"

# Existence of a customer, and the current owner of an account, from the version history
# (cheaper than the windowed `customers` / `accounts` views, which carry every column).
# Only what was known up to the business date loaded (`?`): a re-run of a past date gives the
# same result whatever later dates hold.
_KNOWN_CUSTOMERS = "(SELECT DISTINCT customer_id FROM customer_history WHERE business_date <= ?)"
_ACCOUNT_OWNERS = """(SELECT account_id, arg_max(customer_id, business_date) AS customer_id
    FROM account_history WHERE business_date <= ? GROUP BY account_id)"""

# A folder holds what was booked on its date or, booked late, in the days before it.
BOOKED_WITHIN_DAYS = 31

# The rate in force per currency and day (that day's, else the latest earlier one), picked
# for the few distinct (currency, day) pairs of the file rather than row by row.
_RATES = """
stage AS {how}(SELECT *, CAST(booked_at AS DATE) AS trade_date FROM {stage}),
rate_pick AS (
    SELECT d.currency, d.trade_date, r.rate_date AS rate_date_, r.cny_per_unit AS rate_
    FROM (SELECT DISTINCT currency, trade_date FROM stage) d
    ASOF LEFT JOIN fx_rates r ON r.currency = d.currency AND d.trade_date >= r.rate_date),
usd_pick AS (
    SELECT d.trade_date, r.rate_date AS usd_rate_date, r.cny_per_unit AS usd_rate_
    FROM (SELECT DISTINCT trade_date FROM stage) d
    ASOF LEFT JOIN (SELECT * FROM fx_rates WHERE currency = 'USD') r
        ON d.trade_date >= r.rate_date),
priced AS (
    SELECT s.*,
        CASE WHEN s.currency = 'CNY' THEN s.trade_date ELSE r.rate_date_ END AS fx_rate_date_,
        CASE WHEN s.currency = 'CNY' THEN 1::DECIMAL(18,8) ELSE r.rate_ END AS rate_,
        u.usd_rate_date, u.usd_rate_,
        s.amount_cny IS NULL AND s.currency <> 'CNY' AS needs_rate,
        s.amount_usd IS NULL AND s.currency <> 'USD' AS needs_usd
    FROM stage s
    LEFT JOIN rate_pick r ON r.currency = s.currency AND r.trade_date = s.trade_date
    LEFT JOIN usd_pick u ON u.trade_date = s.trade_date)"""

# Transactions failing a check against the stored state, read through a narrow projection
# (only the columns the checks need, kept once rather than read three times).
_TXN_REJECTS = f"""
WITH {
    _RATES.format(
        how="MATERIALIZED ",
        stage='''(SELECT _line, txn_id, booked_at, customer_id, account_id,
                                     currency, amount_cny, amount_usd FROM _stage)''',
    )
},
earlier AS (
    SELECT t.txn_id, min(t.business_date) AS other_date
    FROM transactions t SEMI JOIN stage s ON t.txn_id = s.txn_id
    GROUP BY t.txn_id),
checked AS (
    SELECT p.*, e.other_date, c.customer_id AS known_customer, a.account_id AS known_account,
           a.customer_id AS account_owner
    FROM priced p
    LEFT JOIN earlier e ON e.txn_id = p.txn_id
    LEFT JOIN {_KNOWN_CUSTOMERS} c ON c.customer_id = p.customer_id
    LEFT JOIN {_ACCOUNT_OWNERS} a ON a.account_id = p.account_id),
verdict AS (
    SELECT _line,
    CASE
        WHEN trade_date > ?::DATE OR trade_date < ?::DATE - {BOOKED_WITHIN_DAYS} THEN 'booked_at'
        WHEN other_date IS NOT NULL THEN 'txn_id'
        WHEN known_customer IS NULL THEN 'customer_id'
        WHEN known_account IS NULL OR account_owner <> customer_id THEN 'account_id'
        WHEN (needs_rate OR needs_usd) AND rate_ IS NULL THEN 'currency'
        WHEN needs_usd AND usd_rate_ IS NULL THEN 'currency'
    END AS _reject_column,
    CASE
        WHEN trade_date > ?::DATE OR trade_date < ?::DATE - {BOOKED_WITHIN_DAYS} THEN
            'booked_at ' || booked_at::VARCHAR || ' is not within the {BOOKED_WITHIN_DAYS} days '
            || 'up to the folder''s business date ' || ?::VARCHAR
            || ' (a row booked later belongs to a later folder; check the year)'
        WHEN other_date IS NOT NULL THEN
            'txn_id ' || txn_id || ' was already loaded for business date '
            || other_date::VARCHAR || '; a transaction is loaded once'
        WHEN known_customer IS NULL THEN
            'customer_id ' || {masked_sql("customer_id")} || ' is not a known customer '
            || '(not in the customers file of this or an earlier date)'
        WHEN known_account IS NULL THEN
            'account_id ' || {_MASK.format("account_id")} || ' is not a known account '
            || '(not in the accounts file of this or an earlier date)'
        WHEN account_owner <> customer_id THEN
            'account_id ' || {_MASK.format("account_id")} || ' belongs to customer '
            || {masked_sql("account_owner")} || ', not to ' || {masked_sql("customer_id")}
        WHEN (needs_rate OR needs_usd) AND rate_ IS NULL THEN
            'no FX rate for ' || currency || ' on or before ' || trade_date::VARCHAR
            || ' and amount_cny not given; load fx_rates for it'
        WHEN needs_usd AND usd_rate_ IS NULL THEN
            'no USD rate on or before ' || trade_date::VARCHAR
            || ' to compute amount_usd; load fx_rates for USD'
    END AS _reject_reason,
    to_json(struct_pack(txn_id, booked_at, customer_id, account_id, currency))::VARCHAR
        AS _raw_json
    FROM checked)
SELECT * FROM verdict WHERE _reject_reason IS NOT NULL
"""

# The transactions to insert, with their CNY and USD equivalents.
_TXN_ROWS = f"""
WITH {_RATES.format(how="NOT MATERIALIZED ", stage="_stage")}  -- wide: read, never copied
SELECT * EXCLUDE (fx_rate_date_, rate_, usd_rate_date, usd_rate_, needs_rate, needs_usd,
                  amount_cny, amount_usd),
    coalesce(amount_cny, CASE WHEN currency = 'CNY' THEN amount
             ELSE round(amount * rate_, 3)::DECIMAL(20,3) END) AS amount_cny,
    coalesce(amount_usd, CASE WHEN currency = 'USD' THEN amount
             ELSE round(amount * rate_ / usd_rate_, 3)::DECIMAL(20,3) END) AS amount_usd,
    CASE WHEN needs_rate OR needs_usd THEN least(
        CASE WHEN needs_rate THEN fx_rate_date_ END,
        CASE WHEN needs_usd THEN usd_rate_date END) END AS fx_rate_date,
    coalesce((needs_rate AND fx_rate_date_ < trade_date)
             OR (needs_usd AND usd_rate_date < trade_date), false) AS fx_stale
FROM priced
"""

_ACCOUNT_REJECTS = f"""
SELECT s._line, 'customer_id',
    'customer_id ' || {masked_sql("s.customer_id")} || ' owning this account is not a known customer',
    to_json(s)::VARCHAR
FROM _stage s ANTI JOIN {_KNOWN_CUSTOMERS} c ON c.customer_id = s.customer_id
"""

_FX_REJECTS = """
SELECT s._line, 'rate_date',
    'rate for ' || s.currency || ' on ' || s.rate_date::VARCHAR
    || ' was already loaded from the folder of ' || f.business_date::VARCHAR,
    to_json(s)::VARCHAR
FROM _stage s JOIN fx_rates f
    ON f.rate_date = s.rate_date AND f.currency = s.currency AND f.business_date <> ?
"""

_NO_REJECTS = "SELECT NULL::BIGINT, NULL, NULL, NULL WHERE false"
_STAGE = "SELECT * FROM _stage"

# Per input: (the rows of `_stage` that fail a check against the stored state, as
# line / column / reason / raw JSON; the rows to insert). `?` is the business date loaded.
CHECKS: dict[InputKind, tuple[str, str]] = {
    InputKind.CUSTOMERS: (_NO_REJECTS, _STAGE),
    InputKind.ACCOUNTS: (_ACCOUNT_REJECTS, _STAGE),
    InputKind.FX_RATES: (_FX_REJECTS, _STAGE),
    InputKind.TRANSACTIONS: (_TXN_REJECTS, _TXN_ROWS),
}


def record_load(
    con: duckdb.DuckDBPyConnection,
    report: LoadReport,
    started_at: dt.datetime,
    status: str,
    error: str | None,
) -> None:
    """Append one load attempt to `load_log`: its files (names, formats, encodings, SHA-256,
    sizes) and rows in / loaded / quarantined per file."""
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
    con.execute(
        """INSERT INTO load_log (load_id, business_date, status, started_at, finished_at,
               duration_s, files, rows_in, rows_loaded, rows_quarantined, rows_by_file,
               replaced_load_id, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
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
