"""Data problems found at load: what the regulator's messages would refuse, checked with the
validator's own rules when the data arrives rather than when a file is written.

The rows load all the same (the transactions are real); each problem is listed at once —
`amlwatch data-issues`, the night's summary, the register the approvers see — with the file,
the rule it failed and the value masked, so that master data is corrected before a record is
due. A large-value record that still fails when its file is written is held (待补正), never
the whole file (`amlwatch.submission.screen`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from amlwatch import wiring
from amlwatch.masking import mask_value
from amlwatch.submission import codes
from amlwatch.submission.dictionary import problems_of
from amlwatch.warehouse import data_issues as wh_issues
from amlwatch.warehouse.database import Warehouse

# the coded input columns and the message field each becomes (messages.transaction_groups,
# messages.large_value_new): their values are checked with that field's rules
MESSAGE_FIELDS: dict[tuple[str, str], str] = {
    ("customer_history", "id_type"): "CITP",
    ("customer_history", "nationality"): "CTNT",
    ("account_history", "account_type"): "CATP",
    ("transactions", "tx_method"): "TSTP",
    ("transactions", "counterparty_id_type"): "TCIT",
    ("transactions", "counterparty_account_type"): "TCAT",
    ("transactions", "counterparty_region"): "CFRC",
    ("transactions", "agent_id_type"): "TBIT",
    ("transactions", "agent_nationality"): "TBNT",
}
_FILE_OF = {
    "transactions": "transactions",
    "customer_history": "customers",
    "account_history": "accounts",
}
# ID types whose numbers have a format rule (the validator's `_id_numbers`)
_FORMATTED_ID_TYPES = sorted(codes.RESIDENT_ID_TYPES | codes.USCC_TYPES)


def find_data_issues(
    warehouse: Warehouse,
    load_id: str,
    values: Sequence[tuple[str, str, str, int, int]] | None = None,
) -> list[dict[str, Any]]:
    """A load's values that the regulator's messages would refuse: coded values outside the
    spec's tables (per distinct value, with its rows and first line), and customers' ID
    numbers failing their type's rule (length, characters, check character, birth date).
    `values`: the load's distinct values (`distinct_values`), when the caller has read them."""
    if values is None:
        values = wh_issues.distinct_values(warehouse, load_id, columns_by_table(MESSAGE_FIELDS))
    found: list[dict[str, Any]] = []
    for table, column, value, rows, line in values:
        field = MESSAGE_FIELDS.get((table, column))
        if field is not None:
            for reason in problems_of(field, value):
                found.append(
                    {
                        "file": _FILE_OF[table],
                        "line": line,
                        "subject": None,
                        "column": column,
                        "id_type": None,
                        "value": value,
                        "field": field,
                        "reason": reason,
                        "rows": rows,
                    }
                )
    for customer, id_type, number in wh_issues.new_customer_ids(
        warehouse, load_id, _FORMATTED_ID_TYPES
    ):
        problem = codes.id_number_problem(id_type, number)
        if problem:
            found.append(
                {
                    "file": "customers",
                    "line": 0,
                    "subject": customer,
                    "column": "id_number",
                    "id_type": id_type,
                    "value": number,
                    "field": "CTID",
                    "reason": f"{id_type} 证件号码: {problem}",
                    "rows": 1,
                }
            )
    return found


def columns_by_table(*columns: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """(table, column) pairs grouped by table, each column once."""
    grouped: dict[str, list[str]] = {}
    for pairs in columns:
        for table, column in pairs:
            if column not in grouped.setdefault(table, []):
                grouped[table].append(column)
    return grouped


def shown(issue: dict[str, Any]) -> dict[str, Any]:
    """An issue as output quotes it: customer and value masked."""
    return issue | {
        "subject": mask_value(str(issue["subject"])) if issue.get("subject") else None,
        "value": mask_value(str(issue["value"])) if issue.get("value") is not None else None,
    }


def record_load_issues(
    warehouse: Warehouse,
    load_id: str,
    business_date: dt.date,
    values: Sequence[tuple[str, str, str, int, int]] | None = None,
) -> list[dict[str, Any]]:
    """Find and keep a load's data issues; returns them masked (for the load report)."""
    issues = find_data_issues(warehouse, load_id, values)
    wh_issues.record_data_issues(warehouse, load_id, business_date, issues)
    return [shown(i) for i in issues]


def open_data_issues(
    db: Path | None = None, since: dt.date | None = None, include_closed: bool = False
) -> list[dict[str, Any]]:
    """The data issues still open (or all of them), newest first, masked."""
    path = wiring.warehouse_path(db)
    if not path.exists():
        return []
    with wiring.open_warehouse(path, read_only=True) as warehouse:
        rows = wh_issues.open_data_issues(warehouse, since, include_closed)
    return [shown(r) for r in rows]
