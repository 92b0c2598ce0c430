"""The data problems a load brought that the regulator's messages would refuse — a customer's
ID number failing its type's rule, a code outside the spec's tables — kept per load beside the
load log (`data_issues`), and read back with whether each is still open."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from amlwatch.warehouse.database import Warehouse

_COLUMNS = ("file", "line", "subject", "column", "id_type", "value", "field", "reason", "rows")


def distinct_values(
    warehouse: Warehouse, load_id: str, columns: Mapping[str, Sequence[str]]
) -> list[tuple[str, str, str, int, int]]:
    """Every distinct non-blank value of those columns (by table) in one load: (table, column,
    value, rows, first line; 0 where the table keeps no lines), one scan of each table (a
    grouping set per column)."""
    found: list[tuple[str, str, str, int, int]] = []
    for table, names in columns.items():
        if not names:
            continue
        line = "min(line)" if table == "transactions" else "0"
        flags = ", ".join(f"GROUPING({c})" for c in names)
        sets = ", ".join(f"({c})" for c in names)
        for row in warehouse.rows(
            f"""SELECT {flags}, {", ".join(names)}, count(*), {line} FROM {table}
                WHERE load_id = ? GROUP BY GROUPING SETS ({sets})""",
            [load_id],
        ):
            at = next(i for i, flag in enumerate(row[: len(names)]) if flag == 0)
            value = row[len(names) + at]
            if value is None or not str(value).strip():
                continue
            found.append((table, names[at], str(value), int(row[-2]), int(row[-1])))
    return sorted(found)


def new_customer_ids(
    warehouse: Warehouse, load_id: str, id_types: Sequence[str]
) -> list[tuple[str, str, str]]:
    """(customer, ID type, ID number) of a load's customers whose ID, of a type with a format
    rule, is new: not the same as an earlier version of that customer held (a bank sends
    every customer every day; an ID is checked when it first comes or changes)."""
    return [
        (str(c), str(t), str(n))
        for c, t, n in warehouse.rows(
            """SELECT c.customer_id, c.id_type, c.id_number FROM customer_history c
               WHERE c.load_id = ? AND list_contains(?::VARCHAR[], c.id_type)
                 AND NOT EXISTS (
                   SELECT 1 FROM customer_history p
                   WHERE p.customer_id = c.customer_id AND p.business_date < c.business_date
                     AND p.id_type = c.id_type AND p.id_number = c.id_number)
               ORDER BY 1""",
            [load_id, list(id_types)],
        )
    ]


def record_data_issues(
    warehouse: Warehouse, load_id: str, business_date: dt.date, issues: Sequence[dict[str, Any]]
) -> None:
    """Keep a load's data problems (replacing what that load had)."""
    con = warehouse._con
    with warehouse.transaction():
        con.execute("DELETE FROM data_issues WHERE load_id = ?", [load_id])
        if issues:
            con.executemany(
                f"""INSERT INTO data_issues (load_id, business_date, {
                    ", ".join(f'"{c}"' for c in _COLUMNS)
                }) VALUES (?, ?, {", ".join("?" * len(_COLUMNS))})""",
                [[load_id, business_date, *(i.get(c) for c in _COLUMNS)] for i in issues],
            )


def open_data_issues(
    warehouse: Warehouse, since: dt.date | None = None, include_closed: bool = False
) -> list[dict[str, Any]]:
    """The data problems of the dates' current loads, newest first, each with `open`: a
    customer's ID problem is closed once a later customers file changed that ID; a code
    problem stays with its load (re-loading the date with the code corrected replaces it)."""
    if not warehouse.scalar(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'data_issues'"
    ):  # a warehouse made before data issues were kept, opened read-only
        return []
    cursor = warehouse._con.execute(
        f"""SELECT d.business_date, {", ".join(f'd."{c}"' for c in _COLUMNS)},
                   (d.subject IS NULL OR (c.id_type = d.id_type AND c.id_number = d.value))
                       AS open
            FROM data_issues d
            JOIN load_log l ON l.load_id = d.load_id AND l.status = 'loaded'
            LEFT JOIN customers c ON d.subject IS NOT NULL AND c.customer_id = d.subject
            WHERE d.business_date >= coalesce(?::DATE, DATE '1900-01-01')
            ORDER BY d.business_date DESC, d.file, d.field, d.subject, d.value""",
        [since],
    )
    names = [col[0] for col in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return rows if include_closed else [r for r in rows if r["open"]]
