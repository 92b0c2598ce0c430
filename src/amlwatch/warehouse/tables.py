"""The result tables the stages write, each defined once: the DDL and the Arrow schema the
stages build their rows in both come from the column list here.

Adding a column to a result table is one line in its definition (plus the stage that fills
it); `schema.DDL` creates it, and `ResultTable.schema` / `empty` give the stage its layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its DuckDB type, its Arrow type and whether it may be NULL."""

    name: str
    sql: str
    arrow: pa.DataType
    nullable: bool = False

    def ddl(self) -> str:
        return f"{self.name} {self.sql}{'' if self.nullable else ' NOT NULL'}"


@dataclass(frozen=True, slots=True)
class ResultTable:
    """A result table: its name, columns in order, and an optional primary key column."""

    name: str
    columns: tuple[Column, ...]
    primary_key: str | None = None

    def ddl(self) -> str:
        """The `CREATE TABLE IF NOT EXISTS` statement."""
        items = []
        for column in self.columns:
            item = column.ddl()
            if column.name == self.primary_key:
                item = f"{column.name} {column.sql} PRIMARY KEY"
            items.append(item)
        return f"CREATE TABLE IF NOT EXISTS {self.name} ({', '.join(items)})"

    def schema(self) -> pa.Schema:
        """The Arrow schema rows are built in before they are stored."""
        # nullable throughout, as DuckDB's own results are: the NOT NULLs are the DDL's
        return pa.schema([pa.field(c.name, c.arrow) for c in self.columns])

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def empty(self) -> pa.Table:
        """No rows, in the table's layout."""
        return self.schema().empty_table()

    def from_pylist(self, rows: list[dict[str, object]]) -> pa.Table:
        """Rows (dicts with at least the table's columns) in the table's layout."""
        names = self.names
        return pa.Table.from_pylist([{k: r[k] for k in names} for r in rows], self.schema())


def _text(name: str, nullable: bool = False) -> Column:
    return Column(name, "VARCHAR", pa.string(), nullable)


def _json(name: str) -> Column:
    return Column(name, "JSON", pa.string(), True)


def _date(name: str) -> Column:
    return Column(name, "DATE", pa.date32())


def _money(name: str, nullable: bool = False) -> Column:  # yuan to the contract's 3 decimals
    return Column(name, "DECIMAL(20,3)", pa.decimal128(20, 3), nullable)


def _count(name: str) -> Column:
    return Column(name, "BIGINT", pa.int64())


def _ratio(name: str) -> Column:
    return Column(name, "DECIMAL(12,4)", pa.decimal128(12, 4), True)


def _flag(name: str) -> Column:
    return Column(name, "BOOLEAN", pa.bool_())


def _when(name: str) -> Column:
    return Column(name, "TIMESTAMP", pa.timestamp("us"))


# a window's receipts and payments: total, count, distinct counterparties (hits and alerts)
_WINDOW_LEGS = (
    _money("in_total"),
    _count("in_count"),
    _count("in_parties"),
    _money("out_total"),
    _count("out_count"),
    _count("out_parties"),
)

# which monitoring standard a hit or an alert is of: its family and status when scanned (a
# trial's alerts open no case), and the family's measure (docs/monitoring-rules.md); NULL on
# rows made before the standards library (scatter / concentrate, in force)
_STANDARD = (
    _text("family", nullable=True),
    _text("standard_status", nullable=True),
    Column("measure_count", "BIGINT", pa.int64(), nullable=True),
    _money("measure_total", nullable=True),
    Column("measure_days", "BIGINT", pa.int64(), nullable=True),
)

# one row per transaction x large-value characteristic it meets (data contract)
LARGE_VALUE_TRANSACTIONS = ResultTable(
    "large_value_transactions",
    (
        _text("txn_id"),
        _text("customer_id"),
        _text("account_id"),
        _date("trade_date"),
        _text("characteristic_code"),
        _text("direction"),
        _text("currency"),
        _money("amount"),
        _money("amount_cny"),
        _money("amount_usd"),
        _money("day_total"),
        _text("day_total_currency"),
        _flag("cumulative"),
        _text("rule_pack"),
        _when("scanned_at"),
    ),
)

# scatter / concentrate patterns: one row per (scanned end day, standard, subject) matched
SUSPICIOUS_HITS = ResultTable(
    "suspicious_hits",
    (
        _date("scan_date"),
        _text("rule_code"),
        _text("customer_id"),
        _text("account_id", nullable=True),
        _text("customer_type"),
        _date("window_start"),
        _date("window_end"),
        *_WINDOW_LEGS,
        _money("out_after_first_in"),
        _text("rule_pack"),
        _when("scanned_at"),
        *_STANDARD,
    ),
)

# an alert: consecutive overlapping hits of one standard and subject, extended night by night
SUSPICIOUS_ALERTS = ResultTable(
    "suspicious_alerts",
    (
        _text("alert_id"),
        _text("rule_code"),
        _text("rule_name"),
        _text("customer_id"),
        _text("account_id", nullable=True),
        _text("customer_type"),
        _date("window_start"),
        _date("window_end"),
        _date("first_scan_date"),
        _date("last_scan_date"),
        _count("nights"),
        *_WINDOW_LEGS,
        _ratio("through_flow"),
        _ratio("follow_share"),
        Column("score", "DOUBLE", pa.float64()),
        _json("top_in"),
        _json("top_out"),
        _text("narrative"),
        _count("evidence_count"),
        _text("status"),
        _text("rule_pack"),
        *_STANDARD,
    ),
    primary_key="alert_id",
)

# which transactions are an alert's evidence, and on which leg of the pattern
SUSPICIOUS_ALERT_TRANSACTIONS = ResultTable(
    "suspicious_alert_transactions",
    (_text("alert_id"), _text("txn_id"), _text("direction"), _text("leg")),
)

# a network standard's structure (a chain, a cycle) found in the window ending on a scanned
# day: one row per (scan date, standard, structure); the structure id is the standard's code
# and a digest of its transfers, the same every night the same transfers are found
NETWORK_HITS = ResultTable(
    "network_hits",
    (
        _date("scan_date"),
        _text("rule_code"),
        _text("structure_id"),
        _text("shape"),
        _date("window_start"),
        _date("window_end"),
        Column("score", "DOUBLE", pa.float64()),
        _count("edge_count"),
        _count("member_count"),
        _count("shared_members"),  # members sharing a phone or an address with another
        _count("account_count"),
        _count("new_accounts"),  # opened at most 90 days before the first transfer
        _money("first_amount"),
        _money("last_amount"),
        _when("first_at"),
        _when("last_at"),
        _text("rule_pack"),
        _text("standard_status"),
        _when("scanned_at"),
        _text(
            "rule_name", nullable=True
        ),  # the standard's name as the pack had it (a group case's title)
    ),
)

# each customer of a structure with its role: source (资金来源), intermediary (中转), sink
# (资金去向), or for a cycle origin (资金流出并回流的客户)
NETWORK_HIT_MEMBERS = ResultTable(
    "network_hit_members",
    (
        _date("scan_date"),
        _text("rule_code"),
        _text("structure_id"),
        _text("customer_id"),
        _text("role"),
        _money("received_cny"),
        _money("sent_cny"),
    ),
)

# each transfer of a structure, in its order along the path
NETWORK_HIT_EDGES = ResultTable(
    "network_hit_edges",
    (
        _date("scan_date"),
        _text("rule_code"),
        _text("structure_id"),
        _count("step"),
        _date("business_date"),
        _count("line"),
        _text("txn_id"),
        _when("booked_at"),
        _text("payer_customer"),
        _text("payer_account"),
        _text("payee_customer"),
        _text("payee_account"),
        _money("amount_cny"),
    ),
)

RESULT_TABLES = (
    LARGE_VALUE_TRANSACTIONS,
    SUSPICIOUS_HITS,
    SUSPICIOUS_ALERTS,
    SUSPICIOUS_ALERT_TRANSACTIONS,
    NETWORK_HITS,
    NETWORK_HIT_MEMBERS,
    NETWORK_HIT_EDGES,
)
