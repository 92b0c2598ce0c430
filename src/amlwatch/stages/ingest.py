"""The ingest stage: one business date from the inbox into the warehouse, replacing it
exactly, with what the load derives for the scanners (the pattern scanner's day run)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from amlwatch import wiring
from amlwatch.ingest import ingest_business_date
from amlwatch.masking import mask_value
from amlwatch.models import LoadReport
from amlwatch.rules import RulePack, pack_for
from amlwatch.stages.data_issues import MESSAGE_FIELDS, columns_by_table, record_load_issues
from amlwatch.submission import codes
from amlwatch.warehouse import day_runs, inspect, large_value_store, network, window_day
from amlwatch.warehouse.data_issues import distinct_values
from amlwatch.warehouse.database import Derivation

log = logging.getLogger(__name__)


def ingest_day(run_date: dt.date, inbox: Path | None = None, db: Path | None = None) -> LoadReport:
    """Load one business date from the inbox into the warehouse, replacing it exactly, with
    the pattern scanner's day run for the rule pack in force."""
    settings = wiring.settings()
    with wiring.open_warehouse(db, settings) as warehouse:
        report = ingest_business_date(
            warehouse, Path(inbox or settings.inbox), run_date, day_run_steps(run_date)
        )
        day_runs.sweep(warehouse, [run_date])  # a replaced load's files, an earlier crash's
        # one scan of each table for both: the codes the product maps and the message fields
        values = distinct_values(
            warehouse, report.load_id, columns_by_table(inspect.CODED_PAIRS, MESSAGE_FIELDS)
        )
        report.unknown_codes = unknown_codes(values, pack_for(run_date))
        if report.unknown_codes:
            inspect.record_unknown_codes(warehouse, report.load_id, report.unknown_codes)
        report.data_issues = record_load_issues(warehouse, report.load_id, run_date, values)
    if report.data_issues:
        log.warning(
            "%d data issue(s) the regulator's messages would refuse (amlwatch data-issues)",
            len(report.data_issues),
        )
    for item in report.unknown_codes:
        log.warning(
            "unknown %s %r in %s: %d rows (first line %d)",
            item["column"],
            item["value"],
            item["file"],
            item["rows"],
            item["line"],
        )
    return report


_KNOWN: dict[str, Callable[[str, RulePack], bool]] = {
    "exemption_code": lambda v, pack: v in pack.large_value.known_codes,
    "tx_method": lambda v, pack: codes.is_tx_method(v),
    "counterparty_id_type": lambda v, pack: v in codes.ID_TYPES,
    "counterparty_account_type": lambda v, pack: v in codes.ACCOUNT_TYPES,
    "id_type": lambda v, pack: v in codes.ID_TYPES,
    "account_type": lambda v, pack: v in codes.ACCOUNT_TYPES,
}
_FILE_OF = {
    "transactions": "transactions",
    "customer_history": "customers",
    "account_history": "accounts",
}


def unknown_codes(
    values: Sequence[tuple[str, str, str, int, int]], pack: RulePack
) -> list[dict[str, Any]]:
    """The coded values a load brought that the product does not know, each with its count
    and first line: never silently mapped — an unknown exemption exempts nothing (the record
    is reported), an unknown method or type is filed as given and the validator says so.
    A bank maps its own names to the product's in its rule pack
    (`[large_value.exemptions.aliases]`)."""
    found = []
    for table, column, value, rows, line in values:
        if column not in _KNOWN or (table, column) not in inspect.CODED_PAIRS:
            continue
        if _KNOWN[column](value, pack):
            continue
        found.append(
            {
                "file": _FILE_OF[table],
                "column": column,
                "value": mask_value(value),
                "rows": rows,
                "line": line,
            }
        )
    return found


def day_run_steps(business_date: dt.date) -> list[Derivation]:
    """What a load derives for the scanners: the date's edges of the bank's transfer graph,
    its records in the window store's large-value dataset, and the day run under the pack in
    force (a scan under another pack cuts its runs on the
    fly)."""
    return [
        network.store_day_edges,
        partial(window_day.store_day, rule=pack_for(business_date).suspicious),
    ]


def cut_day_runs(db: Path | None = None) -> list[dt.date]:
    """Cut the pattern scanner's day run of every loaded business date that lacks a valid one
    (a warehouse loaded before day runs existed, or after the pack's exclusions changed), and
    derive the transfer graph's edges of every date loaded before it existed, one date per
    transaction; returns the dates cut. Scans are right without runs, only slower."""
    cut: list[dt.date] = []
    with wiring.open_warehouse(db) as warehouse:
        for day, load_id in network.missing_edge_days(warehouse):
            with warehouse.transaction():
                network.store_day_edges(warehouse, day, load_id)
            cut.append(day)
        for day, load_id in inspect.loaded_dates(warehouse):
            if large_value_store.recut_day_records(warehouse, day, load_id):
                cut.append(day)
            rule = pack_for(day).suspicious
            if rule is None or rule.subject != "customer":
                continue
            if day_runs.recut_day_run(warehouse, day, load_id, rule):
                cut.append(day)
        day_runs.sweep(warehouse, sorted(set(cut)))
    return sorted(set(cut))
