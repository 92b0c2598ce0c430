"""What the operators' inspection commands read (`amlwatch alerts`, `loads`, `quarantine`,
`cut-runs`): plain rows, newest first where it matters."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from amlwatch.warehouse.database import Warehouse


def loaded_dates(warehouse: Warehouse) -> list[tuple[dt.date, str]]:
    """(business date, load id) of every date loaded, oldest first."""
    rows = warehouse.rows(
        "SELECT business_date, load_id FROM load_log WHERE status = 'loaded' ORDER BY 1"
    )
    return [(r[0], str(r[1])) for r in rows]


def alert_list(warehouse: Warehouse, night: dt.date | None, limit: int) -> list[tuple[Any, ...]]:
    """Alerts of the standards in force (of the night that opened or extended them, or all;
    the trial standards' are `standards.trial_alerts`), newest first: id, rule,
    customer, name, account, window, nights, parties in / out, totals in / out, status."""
    where, params = ("AND a.last_scan_date = ?", [night]) if night else ("", [])
    return warehouse.rows(
        f"""SELECT a.alert_id, a.rule_code, a.customer_id, c.name, a.account_id,
                   a.window_start, a.window_end, a.nights, a.in_parties, a.out_parties,
                   a.in_total, a.out_total, a.status
            FROM suspicious_alerts a LEFT JOIN customers c USING (customer_id)
            WHERE coalesce(a.standard_status, 'in_force') <> 'trial' {where}
            ORDER BY a.last_scan_date DESC, a.alert_id LIMIT ?""",
        [*params, limit],
    )


def load_log(warehouse: Warehouse, limit: int) -> list[tuple[Any, ...]]:
    """The latest loads: date, load id, status, rows in / loaded / quarantined, seconds,
    error."""
    return warehouse.rows(
        """SELECT business_date, load_id, status, rows_in, rows_loaded, rows_quarantined,
                  round(duration_s, 2), coalesce(error, ''), unknown_codes FROM load_log
           ORDER BY started_at DESC LIMIT ?""",
        [limit],
    )


def quarantined(warehouse: Warehouse, business_date: dt.date, limit: int) -> list[tuple[Any, ...]]:
    """A date's quarantined rows: file, line, column, reason."""
    return warehouse.rows(
        """SELECT file, line, "column", reason FROM quarantine WHERE business_date = ?
           ORDER BY file, line LIMIT ?""",
        [business_date, limit],
    )


# the coded input columns whose values the product maps, per table
CODED_COLUMNS = {
    "transactions": (
        "exemption_code",
        "tx_method",
        "counterparty_id_type",
        "counterparty_account_type",
    ),
    "customer_history": ("id_type",),
    "account_history": ("account_type",),
}
CODED_PAIRS = frozenset((t, c) for t, columns in CODED_COLUMNS.items() for c in columns)


def record_unknown_codes(
    warehouse: Warehouse, load_id: str, unknown: list[dict[str, object]]
) -> None:
    """Keep a load's unknown coded values with its load-log row."""
    warehouse._con.execute(
        "UPDATE load_log SET unknown_codes = ? WHERE load_id = ?", [json.dumps(unknown), load_id]
    ).fetchall()
