"""The warehouse's tables: names and columns are the data contract; other tools read them."""

from __future__ import annotations

from amlwatch.warehouse.tables import RESULT_TABLES

SCHEMA_VERSION = 1

# Identifiers and names nearly unique within a row group are stored zstd-compressed: a
# dictionary of ~100K distinct values per row group costs more to build at load (0.8 against
# 0.45 s a column for 5M rows) and to decode when a few rows are fetched (the evidence pick),
# for ~20% less space on these columns; the other text columns keep DuckDB's own choice.
_ID = "VARCHAR USING COMPRESSION zstd"

_TXN_OPTIONAL = f"""
    tx_method VARCHAR, counterparty_name {_ID}, counterparty_account {_ID},
    counterparty_account_type VARCHAR, counterparty_id_type VARCHAR,
    counterparty_id_number VARCHAR, counterparty_bank_name VARCHAR,
    counterparty_bank_code VARCHAR, counterparty_bank_code_type VARCHAR,
    counterparty_region VARCHAR, counterparty_is_government BOOLEAN, exemption_code VARCHAR,
    branch_code VARCHAR, location VARCHAR, purpose VARCHAR, channel VARCHAR, device VARCHAR,
    foreign_receipt_code VARCHAR, match_no_type VARCHAR, match_no VARCHAR, agent_name VARCHAR,
    agent_id_type VARCHAR, agent_id_number VARCHAR, agent_nationality VARCHAR
"""

_TXN_COLUMNS = f"""
    business_date DATE NOT NULL, load_id VARCHAR NOT NULL, line BIGINT NOT NULL,
    txn_id {_ID} NOT NULL, booked_at TIMESTAMP NOT NULL, trade_date DATE NOT NULL,
    customer_id {_ID} NOT NULL, account_id {_ID} NOT NULL, direction VARCHAR NOT NULL,
    amount DECIMAL(20,3) NOT NULL, currency VARCHAR NOT NULL, is_cash BOOLEAN NOT NULL,
    is_cross_border BOOLEAN NOT NULL, amount_cny DECIMAL(20,3) NOT NULL,
    amount_usd DECIMAL(20,3) NOT NULL, fx_rate_date DATE, fx_stale BOOLEAN NOT NULL,
    {_TXN_OPTIONAL}, extra JSON, counter_currency VARCHAR, initiated_by VARCHAR
"""

_CUSTOMER_COLUMNS = """
    customer_id VARCHAR NOT NULL, name VARCHAR NOT NULL, customer_type VARCHAR NOT NULL,
    id_type VARCHAR NOT NULL, id_number VARCHAR NOT NULL, nationality VARCHAR,
    occupation_or_industry VARCHAR, address VARCHAR, phone VARCHAR, other_contact VARCHAR,
    legal_rep_name VARCHAR, legal_rep_id_type VARCHAR, legal_rep_id_number VARCHAR,
    controller_name VARCHAR, controller_id_type VARCHAR, controller_id_number VARCHAR,
    branch_code VARCHAR
"""

_ACCOUNT_COLUMNS = """
    account_id VARCHAR NOT NULL, customer_id VARCHAR NOT NULL, account_type VARCHAR,
    opened_at TIMESTAMP, closed_at TIMESTAMP, card_type VARCHAR, card_number VARCHAR
"""

# list screening: each list's versions with their entries, what screening found, its runs
SCREENING_DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS screening_list_versions (
        list_code VARCHAR NOT NULL, version INTEGER NOT NULL, format VARCHAR NOT NULL,
        file VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, imported_at TIMESTAMP NOT NULL,
        imported_by VARCHAR NOT NULL, generated_on VARCHAR, entries INTEGER NOT NULL,
        added INTEGER NOT NULL, changed INTEGER NOT NULL, removed INTEGER NOT NULL,
        warnings JSON, PRIMARY KEY (list_code, version))""",
    """CREATE TABLE IF NOT EXISTS screening_list_entries (
        list_code VARCHAR NOT NULL, version INTEGER NOT NULL, ref VARCHAR NOT NULL,
        digest VARCHAR NOT NULL, party_type VARCHAR NOT NULL, name VARCHAR NOT NULL,
        entry JSON NOT NULL, PRIMARY KEY (list_code, version, ref))""",
    # one row per party and list entry alike enough to look at, per screened date and trigger
    """CREATE TABLE IF NOT EXISTS screening_matches (
        screened_on DATE NOT NULL, trigger VARCHAR NOT NULL, match_key VARCHAR NOT NULL,
        subject_kind VARCHAR NOT NULL, subject_ref VARCHAR NOT NULL, subject_digest VARCHAR NOT NULL,
        subject_name VARCHAR NOT NULL, customer_id VARCHAR, txn_id VARCHAR,
        list_code VARCHAR NOT NULL, list_version INTEGER NOT NULL, entry_ref VARCHAR NOT NULL,
        entry_digest VARCHAR NOT NULL, entry_name VARCHAR NOT NULL, score INTEGER NOT NULL,
        band VARCHAR NOT NULL, reasons VARCHAR NOT NULL, found_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS screening_runs (
        screened_on DATE NOT NULL, trigger VARCHAR NOT NULL, lists VARCHAR NOT NULL,
        subjects BIGINT NOT NULL, matches BIGINT NOT NULL, hits BIGINT NOT NULL,
        seconds DOUBLE NOT NULL, finished_at TIMESTAMP NOT NULL)""",
)

# customer risk rating: each date's behaviour per customer, the nights' scores, their runs
RATING_DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS rating_day_features (
        business_date DATE NOT NULL, customer_id VARCHAR NOT NULL, n BIGINT NOT NULL,
        total DOUBLE NOT NULL, received DOUBLE NOT NULL, cash DOUBLE NOT NULL,
        cross_border DOUBLE NOT NULL, risk_region DOUBLE NOT NULL, agent BIGINT NOT NULL,
        night BIGINT NOT NULL, online BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS rating_scores (
        scored_on DATE NOT NULL, customer_id VARCHAR NOT NULL, model VARCHAR NOT NULL,
        score DOUBLE NOT NULL, score_level VARCHAR NOT NULL, level VARCHAR NOT NULL,
        rules BIGINT NOT NULL, factors UTINYINT[] NOT NULL)""",
    # each customer's level in force as the case store had it after the last rating: what
    # the standards with parameters per risk level read
    """CREATE TABLE IF NOT EXISTS customer_risk_levels (
        customer_id VARCHAR NOT NULL, level VARCHAR NOT NULL, as_of DATE NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS rating_runs (
        scored_on DATE NOT NULL, model VARCHAR NOT NULL, model_digest VARCHAR NOT NULL,
        factor_codes VARCHAR NOT NULL, customers BIGINT NOT NULL, per_level JSON NOT NULL,
        seconds DOUBLE NOT NULL, finished_at TIMESTAMP NOT NULL)""",
)


DDL: tuple[str, ...] = (
    "CREATE TABLE IF NOT EXISTS schema_info (version INTEGER NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS transactions ({_TXN_COLUMNS})",
    f"""CREATE TABLE IF NOT EXISTS customer_history (
        business_date DATE NOT NULL, load_id VARCHAR NOT NULL, {_CUSTOMER_COLUMNS}, extra JSON,
        is_state_organ BOOLEAN, declared_income_cny DECIMAL(20,3),
        registered_capital_cny DECIMAL(20,3))""",
    f"""CREATE TABLE IF NOT EXISTS account_history (
        business_date DATE NOT NULL, load_id VARCHAR NOT NULL, {_ACCOUNT_COLUMNS}, extra JSON,
        last_moved_on DATE)""",
    """CREATE TABLE IF NOT EXISTS fx_rates (
        business_date DATE NOT NULL, load_id VARCHAR NOT NULL, rate_date DATE NOT NULL,
        currency VARCHAR NOT NULL, cny_per_unit DECIMAL(18,8) NOT NULL, extra JSON)""",
    """CREATE TABLE IF NOT EXISTS quarantine (
        load_id VARCHAR NOT NULL, business_date DATE NOT NULL, file VARCHAR NOT NULL,
        line BIGINT NOT NULL, "column" VARCHAR, reason VARCHAR NOT NULL, raw VARCHAR)""",
    *(table.ddl() for table in RESULT_TABLES),
    # each evidence transaction whole, as the alert was (re)built from it: the report tables
    # and the case snapshots read it here instead of picking it out of the window again
    f"""CREATE TABLE IF NOT EXISTS suspicious_evidence_detail (
        alert_id VARCHAR NOT NULL, {_TXN_COLUMNS})""",
    # (the day runs' rows were a table here: the window store holds them now)
    "DROP TABLE IF EXISTS pattern_rows",
    # the window store's files of each date's run (warehouse.window_store): listed here, in
    # the transaction that wrote them, so that a date's files are in force whole or not at all
    """CREATE TABLE IF NOT EXISTS window_files (
        business_date DATE NOT NULL, exclusions VARCHAR NOT NULL, hash_check UBIGINT NOT NULL,
        load_id VARCHAR NOT NULL, url VARCHAR NOT NULL, path VARCHAR NOT NULL,
        part INTEGER NOT NULL, parts INTEGER NOT NULL, rows BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS pattern_runs (
        business_date DATE NOT NULL, load_id VARCHAR NOT NULL, exclusions VARCHAR NOT NULL,
        hash_check UBIGINT NOT NULL, rows BIGINT NOT NULL)""",
    # the bank's own transfer graph: one edge per transfer between two of its accounts (the
    # payer's record), derived at load and replaced with the date (warehouse.network)
    """CREATE TABLE IF NOT EXISTS transfer_edges (
        business_date DATE NOT NULL, line BIGINT NOT NULL, txn_id VARCHAR NOT NULL,
        booked_at TIMESTAMP NOT NULL, trade_date DATE NOT NULL, payer_customer VARCHAR NOT NULL,
        payer_account VARCHAR NOT NULL, payee_customer VARCHAR NOT NULL,
        payee_account VARCHAR NOT NULL, amount_cny DECIMAL(20,3) NOT NULL,
        tx_method VARCHAR, device VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS transfer_edge_days (
        business_date DATE NOT NULL, load_id VARCHAR NOT NULL, edges BIGINT NOT NULL)""",
    # one row per nightly run (success or failure): what operators look at each morning
    """CREATE TABLE IF NOT EXISTS run_log (
        run_id VARCHAR PRIMARY KEY, run_date DATE NOT NULL, flow_run_id VARCHAR,
        started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP NOT NULL, outcome VARCHAR NOT NULL,
        rule_pack VARCHAR, load_id VARCHAR, rows_in BIGINT, rows_loaded BIGINT,
        rows_quarantined BIGINT, hits_by_code JSON, alerts_opened JSON, alerts_extended JSON,
        stage_seconds JSON, peak_rss_mb DOUBLE, error VARCHAR, calendar_provisional BOOLEAN,
        window_start DATE, report_due DATE, unknown_codes JSON)""",
    # warehouses made before article 7's conditions were columns (appended, as here)
    "ALTER TABLE transactions ADD COLUMN IF NOT EXISTS counter_currency VARCHAR",
    "ALTER TABLE transactions ADD COLUMN IF NOT EXISTS initiated_by VARCHAR",
    "ALTER TABLE suspicious_evidence_detail ADD COLUMN IF NOT EXISTS counter_currency VARCHAR",
    "ALTER TABLE suspicious_evidence_detail ADD COLUMN IF NOT EXISTS initiated_by VARCHAR",
    "ALTER TABLE customer_history ADD COLUMN IF NOT EXISTS is_state_organ BOOLEAN",
    "ALTER TABLE customer_history ADD COLUMN IF NOT EXISTS declared_income_cny DECIMAL(20,3)",
    "ALTER TABLE customer_history ADD COLUMN IF NOT EXISTS registered_capital_cny DECIMAL(20,3)",
    # a politically exposed person (政治公众人物): the rating's factor and hard rule
    "ALTER TABLE customer_history ADD COLUMN IF NOT EXISTS is_pep BOOLEAN",
    "ALTER TABLE account_history ADD COLUMN IF NOT EXISTS last_moved_on DATE",
    "ALTER TABLE network_hits ADD COLUMN IF NOT EXISTS rule_name VARCHAR",
    # the payer's device (OCEC: IP and MAC of an online payment, a phone's IMEI): members of a
    # structure paying from one device are one operator's
    "ALTER TABLE transfer_edges ADD COLUMN IF NOT EXISTS device VARCHAR",
    # run logs made before the calendar could be provisional: the night's calendar facts
    "ALTER TABLE run_log ADD COLUMN IF NOT EXISTS calendar_provisional BOOLEAN",
    "ALTER TABLE run_log ADD COLUMN IF NOT EXISTS window_start DATE",
    "ALTER TABLE run_log ADD COLUMN IF NOT EXISTS report_due DATE",
    "ALTER TABLE run_log ADD COLUMN IF NOT EXISTS unknown_codes JSON",
    # the regulator files past their deadline and not yet uploaded, that night
    "ALTER TABLE run_log ADD COLUMN IF NOT EXISTS overdue_files INTEGER",
    # records held back from the night's file (待补正), and the load's data problems
    "ALTER TABLE run_log ADD COLUMN IF NOT EXISTS held_records INTEGER",
    "ALTER TABLE run_log ADD COLUMN IF NOT EXISTS data_issues INTEGER",
    # every running standard's window start (one per window length: "10:2026-12-18 5:…")
    "ALTER TABLE run_log ADD COLUMN IF NOT EXISTS window_starts VARCHAR",
    *SCREENING_DDL,
    *RATING_DDL,
    # a load's data the regulator's messages would refuse (warehouse.data_issues)
    """CREATE TABLE IF NOT EXISTS data_issues (
        load_id VARCHAR NOT NULL, business_date DATE NOT NULL, file VARCHAR NOT NULL,
        line BIGINT NOT NULL, subject VARCHAR, "column" VARCHAR NOT NULL, id_type VARCHAR,
        value VARCHAR, field VARCHAR NOT NULL, reason VARCHAR NOT NULL, rows BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS load_log (
        load_id VARCHAR PRIMARY KEY, business_date DATE NOT NULL, status VARCHAR NOT NULL,
        started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, duration_s DOUBLE,
        files JSON, rows_in BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT,
        rows_by_file JSON, replaced_load_id VARCHAR, error VARCHAR, unknown_codes JSON)""",
    "ALTER TABLE load_log ADD COLUMN IF NOT EXISTS unknown_codes JSON",
    # runs cut before records had a kind (cash, cross-border, high-risk region): cut again
    # hits and alerts made before the monitoring standards library: their standard's facts
    "ALTER TABLE suspicious_hits ADD COLUMN IF NOT EXISTS family VARCHAR",
    "ALTER TABLE suspicious_hits ADD COLUMN IF NOT EXISTS standard_status VARCHAR",
    "ALTER TABLE suspicious_hits ADD COLUMN IF NOT EXISTS measure_count BIGINT",
    "ALTER TABLE suspicious_hits ADD COLUMN IF NOT EXISTS measure_total DECIMAL(20,3)",
    "ALTER TABLE suspicious_hits ADD COLUMN IF NOT EXISTS measure_days BIGINT",
    "ALTER TABLE suspicious_alerts ADD COLUMN IF NOT EXISTS family VARCHAR",
    "ALTER TABLE suspicious_alerts ADD COLUMN IF NOT EXISTS standard_status VARCHAR",
    "ALTER TABLE suspicious_alerts ADD COLUMN IF NOT EXISTS measure_count BIGINT",
    "ALTER TABLE suspicious_alerts ADD COLUMN IF NOT EXISTS measure_total DECIMAL(20,3)",
    "ALTER TABLE suspicious_alerts ADD COLUMN IF NOT EXISTS measure_days BIGINT",
    # the current version of each customer / account: the latest business date that sent it
    """CREATE OR REPLACE VIEW customers AS SELECT * FROM customer_history
        QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY business_date DESC) = 1""",
    """CREATE OR REPLACE VIEW accounts AS SELECT * FROM account_history
        QUALIFY row_number() OVER (PARTITION BY account_id ORDER BY business_date DESC) = 1""",
)
