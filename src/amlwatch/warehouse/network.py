"""The bank's own transfer graph (`transfer_edges`): one edge per transfer between two of its
accounts, kept night by night.

A transfer between two of the bank's accounts is booked twice, as the payer's payment and
the payee's receipt; the payer's record is the edge (its counterparty account is one of the
bank's accounts: the `accounts` table as the load left it). A load derives its business
date's edges inside its own transaction (`store_day_edges`, a load derivation like the day
run), so a re-run of a date replaces them with its records, and a crash leaves the previous
ones; `transfer_edge_days` says which load each date's edges come from. Dates loaded before
the graph existed are derived afterwards (`missing_edge_days`, `store_day_edges`).

The network scans read a window's edges coded for the kernels (`window_graph`): accounts and
customers numbered densely in their text order, edges in time order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from amlwatch.warehouse.database import Warehouse

_EDGES = """
    SELECT t.business_date, t.line, t.txn_id, t.booked_at, t.trade_date,
           t.customer_id AS payer_customer, t.account_id AS payer_account,
           a.customer_id AS payee_customer, a.account_id AS payee_account, t.amount_cny,
           t.tx_method, t.device
    FROM transactions t JOIN accounts a ON a.account_id = t.counterparty_account
    WHERE t.business_date = ? AND t.direction = 'out'"""


def store_day_edges(warehouse: Warehouse, business_date: dt.date, load_id: str) -> int:
    """The business date's edges in place of any it had (inside the caller's transaction);
    returns how many."""
    con = warehouse._con
    for table in ("transfer_edges", "transfer_edge_days"):
        con.execute(f"DELETE FROM {table} WHERE business_date = ?", [business_date]).fetchall()
    con.execute(f"INSERT INTO transfer_edges BY NAME {_EDGES}", [business_date]).fetchall()
    (edges,) = con.execute(
        "SELECT count(*) FROM transfer_edges WHERE business_date = ?", [business_date]
    ).fetchone() or (0,)
    con.execute(
        "INSERT INTO transfer_edge_days VALUES (?, ?, ?)", [business_date, load_id, int(edges)]
    ).fetchall()
    return int(edges)


def missing_edge_days(warehouse: Warehouse) -> list[tuple[dt.date, str]]:
    """The loaded business dates (with their load) whose edges were not derived from that
    load: loaded before the graph existed."""
    return [
        (day, str(load_id))
        for day, load_id in warehouse.rows(
            """SELECT l.business_date, l.load_id FROM load_log l
               WHERE l.status = 'loaded' AND NOT EXISTS (
                   SELECT 1 FROM transfer_edge_days d
                   WHERE d.business_date = l.business_date AND d.load_id = l.load_id)
                 AND l.load_id = (SELECT max_by(m.load_id, m.started_at) FROM load_log m
                                  WHERE m.business_date = l.business_date
                                    AND m.status = 'loaded')
               ORDER BY l.business_date"""
        )
    ]


@dataclass(frozen=True, slots=True)
class WindowGraph:
    """A window's edges as the kernels read them (`scanners.network.TransferGraph`'s arrays)
    and what the codes stand for.

    Attributes:
        edges: per edge (in time order): business_date and line (the payer's record),
            txn_id, booked_at, payer / payee account and customer, amount_cny, device (the
            payer's, where the file gave one).
        src, dst: int64 account codes; ts: int64 seconds (China local time); amount: int64
            thousandths of CNY.
        owner: per account code, its customer's code.
        accounts, customers: the text behind each code.
    """

    edges: pa.Table
    src: np.ndarray
    dst: np.ndarray
    ts: np.ndarray
    amount: np.ndarray
    owner: np.ndarray
    accounts: list[str]
    customers: list[str]


_CODED = """
    WITH e AS (SELECT * FROM transfer_edges WHERE trade_date BETWEEN $1 AND $2),
    held AS (
        SELECT account, min(customer) AS customer FROM (
            SELECT payer_account AS account, payer_customer AS customer FROM e
            UNION ALL SELECT payee_account, payee_customer FROM e)
        GROUP BY account),
    coded AS (
        SELECT account, customer, row_number() OVER (ORDER BY account) - 1 AS code,
               dense_rank() OVER (ORDER BY customer) - 1 AS owner
        FROM held)"""


def window_graph(warehouse: Warehouse, first: dt.date, last: dt.date) -> WindowGraph:
    """The edges traded from `first` to `last`, coded (an account's customer: as the edges
    have it, the least if they differ)."""
    con = warehouse._con
    edges = con.sql(
        f"""{_CODED}
            SELECT e.business_date, e.line, e.txn_id, e.booked_at, e.payer_account,
                   e.payer_customer, e.payee_account,
                   e.payee_customer, e.amount_cny, e.device, a.code AS src, b.code AS dst,
                   epoch(e.booked_at)::BIGINT AS ts, (e.amount_cny * 1000)::BIGINT AS amount
            FROM e JOIN coded a ON a.account = e.payer_account
                   JOIN coded b ON b.account = e.payee_account
            ORDER BY e.booked_at, e.txn_id""",
        params=[first, last],
    ).to_arrow_table()
    coded = con.sql(
        f"{_CODED} SELECT account, customer, owner FROM coded ORDER BY code", params=[first, last]
    ).to_arrow_table()
    customers = con.execute(
        f"{_CODED} SELECT DISTINCT customer, owner FROM coded ORDER BY owner", [first, last]
    ).fetchall()

    def ints(table: pa.Table, column: str) -> np.ndarray:
        return np.asarray(table[column].to_numpy(), np.int64)

    return WindowGraph(
        edges=edges.drop_columns(["src", "dst", "ts", "amount"]),
        src=ints(edges, "src"),
        dst=ints(edges, "dst"),
        ts=ints(edges, "ts"),
        amount=ints(edges, "amount"),
        owner=ints(coded, "owner"),
        accounts=coded["account"].to_pylist(),
        customers=[str(c) for c, _ in customers],
    )


def replace_network_hits(
    warehouse: Warehouse,
    scan_dates: list[dt.date],
    hits: pa.Table,
    members: pa.Table,
    edges: pa.Table,
) -> None:
    """In one transaction: the network structures of `scan_dates` become these."""
    con = warehouse._con
    tables = {"network_hits": hits, "network_hit_members": members, "network_hit_edges": edges}
    with warehouse.transaction():
        for name, rows in tables.items():
            con.execute(
                f"DELETE FROM {name} WHERE list_contains(?::DATE[], scan_date)", [scan_dates]
            ).fetchall()
            con.register("_network_rows", rows)
            try:
                con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _network_rows").fetchall()
            finally:
                con.unregister("_network_rows")


def network_hits_of(
    warehouse: Warehouse, scan_date: dt.date, code: str | None = None
) -> list[dict[str, Any]]:
    """The structures found on a scanned day (of one standard), strongest first, each with
    its members (customer, role, received, sent) and transfers in path order."""
    hits = warehouse.records(
        """SELECT * FROM network_hits WHERE scan_date = ? AND (? IS NULL OR rule_code = ?)
           ORDER BY score DESC, rule_code, structure_id""",
        [scan_date, code, code],
    )
    members: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for m in warehouse.records(
        """SELECT * FROM network_hit_members WHERE scan_date = ?
           ORDER BY rule_code, structure_id, role = 'sink', role <> 'source', role <> 'origin',
                    customer_id""",
        [scan_date],
    ):
        members.setdefault((str(m["rule_code"]), str(m["structure_id"])), []).append(m)
    edges: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in warehouse.records(
        """SELECT * FROM network_hit_edges WHERE scan_date = ?
           ORDER BY rule_code, structure_id, step""",
        [scan_date],
    ):
        edges.setdefault((str(e["rule_code"]), str(e["structure_id"])), []).append(e)
    for hit in hits:
        key = (str(hit["rule_code"]), str(hit["structure_id"]))
        hit["members"] = members.get(key, [])
        hit["edges"] = edges.get(key, [])
    return hits


def latest_network_scan(warehouse: Warehouse) -> dt.date | None:
    """The latest night a network standard was scanned for (None: none yet)."""
    (day,) = warehouse.rows("SELECT max(scan_date) FROM network_hits")[0]
    return day if isinstance(day, dt.date) else None


def member_facts(
    warehouse: Warehouse, customers: list[str], accounts: list[str]
) -> tuple[dict[str, tuple[str | None, str | None]], dict[str, dt.date | None]]:
    """What the structures' members' own data says: each customer's phone and address (its
    latest version), each account's opening day (where the accounts file gave one)."""
    people = {
        str(c): (phone or None, address or None)
        for c, phone, address in warehouse.rows(
            """SELECT customer_id, arg_max(phone, business_date), arg_max(address, business_date)
               FROM customer_history WHERE customer_id IN (SELECT unnest(?::VARCHAR[]))
               GROUP BY customer_id""",
            [customers],
        )
    }
    opened = {
        str(a): (day.date() if isinstance(day, dt.datetime) else day)
        for a, day in warehouse.rows(
            """SELECT account_id, arg_max(opened_at, business_date) FROM account_history
               WHERE account_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY account_id""",
            [accounts],
        )
    }
    return people, opened


# the structures found those nights, each as the first night that found it had it (its
# window then): the same transfers found again give the same case content
_OF_RUN = """
    WITH tonight AS (SELECT DISTINCT structure_id FROM network_hits
                     WHERE list_contains(?::DATE[], scan_date) AND standard_status = 'in_force'),
    h AS (SELECT n.* FROM network_hits n JOIN tonight USING (structure_id)
          WHERE n.standard_status = 'in_force'
          QUALIFY row_number() OVER (PARTITION BY n.structure_id ORDER BY n.scan_date) = 1)"""


def structures_of_run(warehouse: Warehouse, scan_dates: list[dt.date]) -> list[dict[str, Any]]:
    """The structures the standards in force found on those scanned days (what becomes a
    group case), each once as the first night that found it had it (`first_scan_date`, the
    window then), with its members in role order and its transfers in path order."""
    dates = [list(scan_dates)]
    hits = warehouse.records(
        f"""{_OF_RUN}
            SELECT h.*, h.scan_date AS first_scan_date FROM h
            ORDER BY h.rule_code, h.structure_id""",
        dates,
    )
    members: dict[str, list[dict[str, Any]]] = {}
    for m in warehouse.records(
        f"""{_OF_RUN}
            SELECT m.* FROM network_hit_members m JOIN h USING (scan_date, structure_id)
            ORDER BY m.structure_id, m.role = 'sink', m.role <> 'source', m.role <> 'origin',
                     m.customer_id""",
        dates,
    ):
        members.setdefault(str(m["structure_id"]), []).append(m)
    edges: dict[str, list[dict[str, Any]]] = {}
    for e in warehouse.records(
        f"""{_OF_RUN}
            SELECT e.* FROM network_hit_edges e JOIN h USING (scan_date, structure_id)
            ORDER BY e.structure_id, e.step""",
        dates,
    ):
        edges.setdefault(str(e["structure_id"]), []).append(e)
    for hit in hits:
        hit["members"] = members.get(str(hit["structure_id"]), [])
        hit["edges"] = edges.get(str(hit["structure_id"]), [])
    return hits
