"""Evidence snapshots: warehouse rows frozen as JSON that decodes to the same Python values
(dates, times and decimals are tagged), so a report made from a snapshot years later is the
report made on the day."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any


def encode(value: Any) -> Any:
    """JSON-ready form of rows: dicts, lists, str, int, float, bool, None, Decimal, date,
    datetime."""
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, dt.datetime):  # before date: a datetime is a date
        return {"$ts": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot snapshot a {type(value).__name__}")


def decode(value: Any) -> Any:
    """The rows `encode` was given."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            tag, text = next(iter(value.items()))
            if tag == "$dec":
                return Decimal(text)
            if tag == "$ts":
                return dt.datetime.fromisoformat(text)
            if tag == "$date":
                return dt.date.fromisoformat(text)
        return {k: decode(v) for k, v in value.items()}
    return value


def digest(encoded: Any) -> str:
    """A stable SHA-256 of encoded content."""
    text = json.dumps(encoded, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
