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
import pyarrow.compute as pc

from amlwatch.rules import (
    NETWORK_FAMILIES,
    BusinessCalendar,
    PatternStandard,
    RulePack,
    SuspiciousRule,
)
from amlwatch.scanners import PatternInput
from amlwatch.scanners.standards import (
    Customers,
    FamilyWindows,
    baseline,
    least_total,
    periodic,
    scan_family,
)
from amlwatch.scanners.standards.open_close import EVENT_CLOSED, EVENT_OPENED
from amlwatch.scanners.standards.reach import Subjects, in_full, restricted
from amlwatch.warehouse.standards import PastDays
from amlwatch.warehouse.tables import SUSPICIOUS_HITS

EPOCH = dt.date(1970, 1, 1)
# a standard's kernel runs over a copy of the rows of the subjects that can reach it when they
# are at most this share of the window's rows (else over all of them: the copy costs more)
REACH_WORTH = 0.25
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
    """The standards of a subject's window beside scatter / concentrate (not the network
    families') that run on any of `days`, with their windows (their own length, or the
    section's)."""
    found = []
    for standard in rule.standards:
        if standard.family == "scatter" or standard.family in NETWORK_FAMILIES:
            continue  # the scatter kernel's, and the network stage's
        if not any(standard.runs_on(d) for d in days):
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
    """The merged window with what the customer table read of each subject: its accounts'
    newest opening day (`newest_opened`; -1 for a customer the table lacks), their opening
    and closing days (`opened_days`, `closed_days`: the account events), its declared
    income or capital (`declared`, -1 unknown), the days it moved money before the read
    window (`active_days`), its day totals before it (`past_days`, `past_totals`,
    `past_kinds`) and the day its customer was first known (`known_since`, -1 unknown)."""
    if "newest_opened" in types.column_names:
        days = np.asarray(types["newest_opened"].to_numpy(), np.int64)
        found = customer_row >= 0
        opened = np.full(len(customer_row), -1, np.int64)
        opened[found] = days[customer_row[found]]
        data = dataclasses.replace(data, opened=opened)
    if "declared" in types.column_names:
        data = dataclasses.replace(data, declared=_per_subject(types, "declared", customer_row))
    if "risk_level" in types.column_names:
        data = dataclasses.replace(data, risk_level=_per_subject(types, "risk_level", customer_row))
    if "known_since" in types.column_names:
        data = dataclasses.replace(
            data, known_since=_per_subject(types, "known_since", customer_row)
        )
    if "active_days" in types.column_names:
        subject, days = _listed(types, "active_days", customer_row)
        data = dataclasses.replace(
            data, active_ptr=_pointers(subject, len(customer_row)), active_day=days
        )
    if "opened_days" in types.column_names:
        ptr, day, kind = _events(types, customer_row)
        data = dataclasses.replace(data, event_ptr=ptr, event_day=day, event_kind=kind)
    if "past_days" in types.column_names:
        subject, days = _listed(types, "past_days", customer_row)
        data = dataclasses.replace(
            data,
            past_ptr=_pointers(subject, len(customer_row)),
            past_day=days,
            past_amount=_listed(types, "past_totals", customer_row)[1],
            past_kind=_listed(types, "past_kinds", customer_row)[1].astype(np.uint8),
        )
    return data


def past_wanted(rule: SuspiciousRule, first_day: dt.date) -> PastDays | None:
    """What the running periodic and baseline standards need from before the read window
    starting on `first_day`: the subjects' day totals as far back as a cycle or a past
    reaches, the large days only when no baseline standard runs (None: none of them runs)."""
    cycles = [s.params for s in rule.running() if s.family == "periodic"]
    pasts = [s.params for s in rule.running() if s.family == "baseline"]
    if not cycles and not pasts:
        return None
    days = max([*(periodic.lookback(p) for p in cycles), *(baseline.lookback(p) for p in pasts)])
    floor = Decimal(0) if pasts else min(periodic.least_floor(p) for p in cycles)
    return PastDays(first_day, days, floor, rule, known=bool(pasts))


def nothing_before(data: PatternInput) -> PatternInput:
    """The input with nothing known of any subject before the window (`PatternInput.active_*`
    and `past_*`: no days; `known_since`: unknown)."""
    subjects = int(data.subject.max()) + 1 if len(data.subject) else 0
    return dataclasses.replace(
        data,
        active_ptr=np.zeros(subjects + 1, np.int64),
        active_day=np.empty(0, np.int64),
        past_ptr=np.zeros(subjects + 1, np.int64),
        past_day=np.empty(0, np.int64),
        past_amount=np.empty(0, np.int64),
        past_kind=np.empty(0, np.uint8),
        known_since=np.full(subjects, -1, np.int64),
    )


def without_kind(data: PatternInput, bit: int) -> PatternInput:
    """The input's day totals before the window without the parts of the records of that
    kind bit (a standard's own exclusions; the rows are left out by the caller)."""
    if data.past_ptr is None or data.past_kind is None:
        return data
    assert data.past_day is not None and data.past_amount is not None
    keep = (data.past_kind & bit) == 0
    owner = np.repeat(np.arange(len(data.past_ptr) - 1), np.diff(data.past_ptr))
    return dataclasses.replace(
        data,
        past_ptr=_pointers(owner[keep], len(data.past_ptr) - 1),
        past_day=data.past_day[keep],
        past_amount=data.past_amount[keep],
        past_kind=data.past_kind[keep],
    )


def customer_facts(types: pa.Table, first_day: dt.date, last_day: dt.date) -> Customers:
    """What the pruning knows of each customer of the table (`scanners.standards.Customers`)
    for the read window first_day..last_day: its type, newest opening, account events and
    declared figure, where the table has them."""
    names = types.column_names
    rows = np.arange(types.num_rows, dtype=np.int64)
    ptr = day = kind = None
    if "opened_days" in names:
        ptr, day, kind = _events(types, rows)
    return Customers(
        entity=np.asarray(
            pc.fill_null(types["entity"], False).to_numpy(zero_copy_only=False), np.bool_
        ),
        first_day=(first_day - EPOCH).days,
        last_day=(last_day - EPOCH).days,
        opened=np.asarray(types["newest_opened"].to_numpy(), np.int64)
        if "newest_opened" in names
        else None,
        event_ptr=ptr,
        event_day=day,
        event_kind=kind,
        declared=np.asarray(types["declared"].to_numpy(), np.int64)
        if "declared" in names
        else None,
        active_ptr=_pointers(_listed(types, "active_days", rows)[0], len(rows))
        if "active_days" in names
        else None,
    )


def no_events(data: PatternInput) -> PatternInput:
    """The input with no account events for any subject (`PatternInput.event_*`)."""
    subjects = int(data.subject.max()) + 1 if len(data.subject) else 0
    return dataclasses.replace(
        data,
        event_ptr=np.zeros(subjects + 1, np.int64),
        event_day=np.empty(0, np.int64),
        event_kind=np.empty(0, np.int8),
    )


def _per_subject(types: pa.Table, column: str, customer_row: np.ndarray) -> np.ndarray:
    """Each subject's customer's value of an int64 column (-1 for a customer the table lacks)."""
    figures = np.asarray(types[column].to_numpy(), np.int64)
    found = customer_row >= 0
    values = np.full(len(customer_row), -1, np.int64)
    values[found] = figures[customer_row[found]]
    return values


def _listed(types: pa.Table, column: str, customer_row: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each subject's values of its customer's list column, in list order: (subject, value)
    per value (none for a subject whose customer the table lacks)."""
    lists = types[column].combine_chunks()
    offsets = np.asarray(lists.offsets.to_numpy(), np.int64)
    values = np.asarray(lists.values.to_numpy(), np.int64)
    rows = np.where(customer_row >= 0, customer_row, 0)
    counts = np.where(customer_row >= 0, offsets[rows + 1] - offsets[rows], 0)
    subject = np.repeat(np.arange(len(customer_row)), counts)
    # each subject's values: its list's offset, then 0, 1, … along the list
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return subject, values[np.repeat(offsets[rows], counts) + within]


def _pointers(subject: np.ndarray, subjects: int) -> np.ndarray:
    """Where each subject's values start in values sorted by subject (and one past the end)."""
    ptr = np.zeros(subjects + 1, np.int64)
    np.cumsum(np.bincount(subject, minlength=subjects), out=ptr[1:])
    return ptr


def _events(types: pa.Table, customer_row: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each subject's account events from its customer's day lists, sorted by day."""
    parts = []
    for column, code in (("opened_days", EVENT_OPENED), ("closed_days", EVENT_CLOSED)):
        subject, day = _listed(types, column, customer_row)
        parts.append((subject, day, code))
    subject = np.concatenate([p[0] for p in parts])
    day = np.concatenate([p[1] for p in parts])
    kind = np.concatenate([np.full(len(p[0]), p[2], np.int8) for p in parts])
    order = np.lexsort((kind, day, subject))
    return _pointers(subject, len(customer_row)), day[order], kind[order]


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
    subjects = Subjects.of(data) if windows else None
    bits = {s.code: bit for s, bit in rule.own_exclusions()}
    for window in windows:
        standard = window.standard
        # the subjects that can reach the standard at all (`scanners.standards.reach`)
        rows = (
            subjects.reaching(least_total(standard.family, standard.params), REACH_WORTH)
            if subjects
            else None
        )
        bit = bits.get(standard.code)
        if bit is not None:  # the records it excludes of its own (a bit of their kind)
            if data.kind is None:
                raise ValueError(f"{standard.code}: its own exclusions need the records' kind")
            every = np.arange(len(data.subject), dtype=np.int64) if rows is None else rows
            rows = every[(data.kind[every] & bit) == 0]
        mine = data if rows is None else restricted(data, rows)
        if bit is not None:
            mine = without_kind(mine, bit)
        found = scan_family(
            standard.family, standard.params, mine, window.end_days, window.start_days
        )
        if rows is not None:
            found = in_full(found, rows)
        if standard.by_risk_level:
            found = _by_risk_level(found, data, window, bit)
        keep = np.array([standard.runs_on(days[int(e)]) for e in found.end], np.bool_)
        lo = found.lo[keep]
        names = names_of(lo) if len(lo) else []
        tables.append(hits_of_family(found, keep, data.entity[lo], names, days, window, pack, rule))
    return tables


def _by_risk_level(
    found: FamilyWindows, data: PatternInput, window: StandardWindow, bit: int | None
) -> FamilyWindows:
    """The windows of a standard with parameters per risk level: each level's customers scanned
    again with that level's (their rows only), in place of their windows of the scan with the
    standard's own parameters."""
    standard = window.standard
    if data.risk_level is None:
        raise ValueError(f"{standard.code}: parameters per risk level need the customers' levels")
    level = data.risk_level
    parts = [found]
    for code, _ in sorted(standard.by_risk_level.items()):
        at = level == int(code)
        parts[0] = _windows_where(parts[0], ~at[parts[0].subject])
        rows = np.flatnonzero(at[data.subject])
        if bit is not None and data.kind is not None:
            rows = rows[(data.kind[rows] & bit) == 0]
        if not len(rows):
            continue
        mine = restricted(data, rows)
        if bit is not None:
            mine = without_kind(mine, bit)
        params = standard.at_risk_level(code)
        parts.append(
            in_full(
                scan_family(standard.family, params, mine, window.end_days, window.start_days), rows
            )
        )
    merged = FamilyWindows(*(np.concatenate([getattr(p, f.name) for p in parts])
                             for f in dataclasses.fields(FamilyWindows)))  # fmt: skip
    order = np.lexsort((merged.end, merged.subject))
    return _windows_where(merged, order)


def _windows_where(found: FamilyWindows, pick: np.ndarray) -> FamilyWindows:
    """The windows a mask or an index array picks."""
    return FamilyWindows(*(getattr(found, f.name)[pick] for f in dataclasses.fields(FamilyWindows)))


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
