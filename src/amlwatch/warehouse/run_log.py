"""The run log: one row per nightly run, success or failure."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from amlwatch.warehouse.database import Warehouse

_COLUMNS = (
    "run_id",
    "run_date",
    "flow_run_id",
    "started_at",
    "finished_at",
    "outcome",
    "rule_pack",
    "load_id",
    "rows_in",
    "rows_loaded",
    "rows_quarantined",
    "hits_by_code",
    "alerts_opened",
    "alerts_extended",
    "stage_seconds",
    "peak_rss_mb",
    "error",
    "calendar_provisional",
    "window_start",
    "window_starts",
    "report_due",
    "unknown_codes",
    "overdue_files",
    "held_records",
    "data_issues",
)
_JSON = {"hits_by_code", "alerts_opened", "alerts_extended", "stage_seconds", "unknown_codes"}


def record_run(warehouse: Warehouse, run: dict[str, Any]) -> None:
    """Write one run (dict keys: the run_log columns; JSON columns as Python values),
    replacing the row its start recorded."""
    values = [
        json.dumps(run.get(c)) if c in _JSON and run.get(c) is not None else run.get(c)
        for c in _COLUMNS
    ]
    with warehouse.transaction():
        warehouse._con.execute("DELETE FROM run_log WHERE run_id = ?", [run["run_id"]])
        warehouse._con.execute(
            f"INSERT INTO run_log ({', '.join(_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(_COLUMNS))})",
            values,
        ).fetchall()


def completed_dates(warehouse: Warehouse, dates: Sequence[dt.date]) -> set[dt.date]:
    """Those of `dates` whose latest run succeeded."""
    rows = warehouse.rows(
        """SELECT run_date FROM run_log WHERE list_contains(?::DATE[], run_date)
           QUALIFY row_number() OVER (PARTITION BY run_date ORDER BY finished_at DESC) = 1
               AND outcome = 'succeeded'""",
        [list(dates)],
    )
    return {r[0] for r in rows}


def recent_runs(warehouse: Warehouse, limit: int) -> list[tuple[Any, ...]]:
    """The latest runs, newest first, for the CLI."""
    return warehouse.rows(
        """SELECT run_date, outcome, rule_pack, rows_loaded, rows_quarantined, hits_by_code,
                  alerts_opened, alerts_extended, round(epoch(finished_at - started_at), 1),
                  round(peak_rss_mb), coalesce(error, ''), coalesce(calendar_provisional, false),
                  overdue_files, held_records, data_issues
           FROM run_log ORDER BY started_at DESC, finished_at DESC LIMIT ?""",
        [limit],
    )


def provisional_nights(warehouse: Warehouse) -> list[tuple[str, dt.date, Any, Any, Any]]:
    """The nights whose latest successful run was computed on a provisional calendar:
    (run id, run date, window start, report due, every standard's window start), oldest
    first."""
    rows = warehouse.rows(
        """SELECT run_id, run_date, window_start, report_due, window_starts FROM run_log
           WHERE outcome = 'succeeded'
           QUALIFY row_number() OVER (PARTITION BY run_date ORDER BY finished_at DESC) = 1
               AND coalesce(calendar_provisional, false)
           ORDER BY run_date"""
    )
    return [(str(r[0]), r[1], r[2], r[3], r[4]) for r in rows]


def set_night_calendar(
    warehouse: Warehouse,
    run_id: str,
    provisional: bool,
    window_start: dt.date | None,
    report_due: dt.date | None,
    window_starts: str | None = None,
) -> None:
    """Record the calendar a night's results now rest on (after a re-check)."""
    warehouse._con.execute(
        """UPDATE run_log SET calendar_provisional = ?, window_start = ?, report_due = ?,
                              window_starts = ? WHERE run_id = ?""",
        [provisional, window_start, report_due, window_starts, run_id],
    ).fetchall()
