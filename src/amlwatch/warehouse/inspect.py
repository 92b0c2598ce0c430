"""What the operators' inspection commands read (`amlwatch alerts`, `loads`, `quarantine`,
`cut-runs`): plain rows, newest first where it matters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from amlwatch.warehouse.database import Warehouse


def loaded_dates(warehouse: Warehouse) -> list[tuple[dt.date, str]]:
    """(business date, load id) of every date loaded, oldest first."""
    rows = warehouse.rows(
        "SELECT business_date, load_id FROM load_log WHERE status = 'loaded' ORDER BY 1"
    )
    return [(r[0], str(r[1])) for r in rows]


def alert_list(warehouse: Warehouse, night: dt.date | None, limit: int) -> list[tuple[Any, ...]]:
    """Alerts (of the night that opened or extended them, or all), newest first: id, rule,
    customer, name, account, window, nights, parties in / out, totals in / out, status."""
    where, params = ("WHERE a.last_scan_date = ?", [night]) if night else ("", [])
    return warehouse.rows(
        f"""SELECT a.alert_id, a.rule_code, a.customer_id, c.name, a.account_id,
                   a.window_start, a.window_end, a.nights, a.in_parties, a.out_parties,
                   a.in_total, a.out_total, a.status
            FROM suspicious_alerts a LEFT JOIN customers c USING (customer_id) {where}
            ORDER BY a.last_scan_date DESC, a.alert_id LIMIT ?""",
        [*params, limit],
    )


def load_log(warehouse: Warehouse, limit: int) -> list[tuple[Any, ...]]:
    """The latest loads: date, load id, status, rows in / loaded / quarantined, seconds,
    error."""
    return warehouse.rows(
        """SELECT business_date, load_id, status, rows_in, rows_loaded, rows_quarantined,
                  round(duration_s, 2), coalesce(error, '') FROM load_log
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
