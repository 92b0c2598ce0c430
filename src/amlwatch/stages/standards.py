"""The monitoring standards of other families than scatter / concentrate, scanned over the
window the scatter stage merged (one read, the same arrays): their hits in the
`suspicious_hits` layout, with the family's measure.

Each running standard (trial or in force, `PatternStandard.runs_on`) is one kernel call over
the merged window with its own window length; hits of a day it does not run on are dropped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pyarrow as pa

from amlwatch.rules import BusinessCalendar, PatternStandard, RulePack, SuspiciousRule
from amlwatch.scanners import PatternInput
from amlwatch.scanners.standards import FamilyWindows, scan_family
from amlwatch.warehouse.tables import SUSPICIOUS_HITS

EPOCH = dt.date(1970, 1, 1)
MILLI = Decimal("0.001")


@dataclass(frozen=True, slots=True)
class StandardWindow:
    """One running standard of another family and its windows' days (int32 since 1970)."""

    standard: PatternStandard
    end_days: np.ndarray
    start_days: np.ndarray

    @property
    def starts(self) -> list[dt.date]:
        return [EPOCH + dt.timedelta(days=int(s)) for s in self.start_days]


def other_families(
    calendar: BusinessCalendar, days: Sequence[dt.date], rule: SuspiciousRule
) -> list[StandardWindow]:
    """The standards beside scatter / concentrate that run on any of `days`, with their
    windows (their own length, or the section's)."""
    found = []
    for standard in rule.standards:
        if standard.family == "scatter" or not any(standard.runs_on(d) for d in days):
            continue
        business_days = rule.window_of(standard)
        found.append(
            StandardWindow(
                standard,
                np.array([(d - EPOCH).days for d in days], np.int32),
                np.array(
                    [(calendar.window_start(d, business_days) - EPOCH).days for d in days],
                    np.int32,
                ),
            )
        )
    return found


def with_openings(data: PatternInput, customer_row: np.ndarray, types: pa.Table) -> PatternInput:
    """The merged window with each subject's newest account opening day (from the customer
    table's `newest_opened`, when it was read), -1 for a customer the table lacks."""
    if "newest_opened" not in types.column_names:
        return data
    days = np.asarray(types["newest_opened"].to_numpy(), np.int64)
    found = customer_row >= 0
    opened = np.full(len(customer_row), -1, np.int64)
    opened[found] = days[customer_row[found]]
    return dataclasses.replace(data, opened=opened)


def family_hits(
    data: PatternInput,
    windows: Sequence[StandardWindow],
    days: Sequence[dt.date],
    names_of: Callable[[np.ndarray], list[tuple[str, str | None]]],
    pack: RulePack,
    rule: SuspiciousRule,
) -> list[pa.Table]:
    """Every standard's hits over the same arrays; `names_of` names the subjects of the
    found windows' first rows (customer id, account id)."""
    tables = []
    for window in windows:
        standard = window.standard
        found = scan_family(
            standard.family, standard.params, data, window.end_days, window.start_days
        )
        keep = np.array([standard.runs_on(days[int(e)]) for e in found.end], np.bool_)
        lo = found.lo[keep]
        names = names_of(lo) if len(lo) else []
        tables.append(hits_of_family(found, keep, data.entity[lo], names, days, window, pack, rule))
    return tables


def hits_of_family(
    found: FamilyWindows,
    keep: np.ndarray,
    entity: np.ndarray,
    names: Sequence[tuple[str, str | None]],
    days: Sequence[dt.date],
    window: StandardWindow,
    pack: RulePack,
    rule: SuspiciousRule,
) -> pa.Table:
    """One `suspicious_hits` row per kept window of a family standard."""
    standard = window.standard
    starts = window.starts
    now = dt.datetime.now()
    records: dict[str, list[object]] = {name: [] for name in SUSPICIOUS_HITS.names}
    for k, i in enumerate(np.flatnonzero(keep)):
        customer_id, account = names[k]
        e = int(found.end[i])
        values = {
            "scan_date": days[e],
            "rule_code": standard.code,
            "customer_id": customer_id,
            "account_id": account if rule.subject == "account" else None,
            "customer_type": "entity" if entity[k] else "individual",
            "window_start": starts[e],
            "window_end": days[e],
            "in_total": int(found.in_total[i]) * MILLI,
            "in_count": int(found.in_count[i]),
            "in_parties": 0,
            "out_total": int(found.out_total[i]) * MILLI,
            "out_count": int(found.out_count[i]),
            "out_parties": 0,
            "out_after_first_in": Decimal(0),
            "rule_pack": pack.label,
            "scanned_at": now,
            "family": standard.family,
            "standard_status": standard.status,
            "measure_count": int(found.m_count[i]),
            "measure_total": int(found.m_total[i]) * MILLI,
            "measure_days": int(found.m_days[i]),
        }
        for name, value in values.items():
            records[name].append(value)
    return pa.table(records, SUSPICIOUS_HITS.schema())
