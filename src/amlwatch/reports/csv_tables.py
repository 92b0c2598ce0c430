"""CSV report tables shared by the report writers: Chinese header, XML tags beneath."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# (key in the rows, Chinese header, XML tag of the spec, Excel width, kind)
Column = tuple[str, str, str, int, str]


def cell_text(value: Any) -> str:
    """A value as report text: empty for missing, seconds for date-times."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


# a cell a spreadsheet would run as a formula (OWASP "CSV injection"): shown as text instead
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A value as a CSV cell: report text, with a leading apostrophe where a spreadsheet would
    otherwise read it as a formula (the file is for machines; the xlsx is for people)."""
    text = cell_text(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_csv(rows: Sequence[dict[str, Any]], columns: Sequence[Column], path: Path) -> None:
    """Write rows under a Chinese header line and an XML-tag line, atomically."""
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", encoding="utf-8-sig", newline="") as fh:  # BOM: Excel opens it as UTF-8
        writer = csv.writer(fh)
        writer.writerow([c[1] for c in columns])
        writer.writerow([c[2] for c in columns])
        for row in rows:
            writer.writerow([csv_cell(row.get(c[0])) for c in columns])
    tmp.replace(path)  # never a half-written file under the final name
