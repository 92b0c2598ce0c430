"""Replay: the monitoring standards' windows of a date range under two rule packs, compared
(read only; nothing is stored) — a subject's window for most, the transfer graph's
structures for the network standards (their members the subjects). For tuning a pack before
it goes into force."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from amlwatch.rules import BusinessCalendar, RulePack
from amlwatch.settings import ScanSettings
from amlwatch.stages.network import network_rows
from amlwatch.stages.patterns import scan_hits
from amlwatch.warehouse import Warehouse
from amlwatch.warehouse import patterns as wh_patterns


@dataclass(slots=True)
class ReplayCounts:
    """One standard under the baseline and the candidate pack."""

    baseline_hits: int = 0
    candidate_hits: int = 0
    baseline_subjects: set[tuple[str, str | None]] = field(default_factory=set)
    candidate_subjects: set[tuple[str, str | None]] = field(default_factory=set)

    @property
    def added(self) -> set[tuple[str, str | None]]:
        return self.candidate_subjects - self.baseline_subjects

    @property
    def removed(self) -> set[tuple[str, str | None]]:
        return self.baseline_subjects - self.candidate_subjects


@dataclass(slots=True)
class ReplayResult:
    """What a date range gives under two packs (nothing is stored)."""

    scan_dates: list[dt.date]
    customers: int
    baseline: str
    candidate: str
    by_standard: dict[str, ReplayCounts]

    def per_10k_per_day(self, subjects: int) -> float:
        """Flagged subjects per 10,000 customers per scanned day."""
        if not self.customers or not self.scan_dates:
            return 0.0
        return subjects * 10_000 / self.customers / len(self.scan_dates)


def replay(
    warehouse: Warehouse,
    ends: Sequence[dt.date],
    calendar: BusinessCalendar,
    baseline: RulePack,
    candidate: RulePack,
    scan: ScanSettings | None = None,
) -> ReplayResult:
    """Scan the windows ending on each of `ends` under both packs and compare (read only)."""
    types = wh_patterns.customer_types(warehouse)
    result = ReplayResult(
        scan_dates=sorted(ends),
        customers=types.num_rows,
        baseline=baseline.label,
        candidate=candidate.label,
        by_standard={},
    )
    for pack, side in ((baseline, "baseline"), (candidate, "candidate")):
        if pack.suspicious is None:
            continue
        hits, _ = scan_hits(warehouse, ends, calendar, pack, pack.suspicious, types, scan=scan)
        # a network standard's hit: a structure found a night; its subjects: its members
        network = network_rows(warehouse, pack, ends, calendar)
        for hit in network["hits"]:
            counts = result.by_standard.setdefault(hit["rule_code"], ReplayCounts())
            if side == "baseline":
                counts.baseline_hits += 1
            else:
                counts.candidate_hits += 1
        for member in network["members"]:
            counts = result.by_standard[member["rule_code"]]
            subjects = counts.baseline_subjects if side == "baseline" else counts.candidate_subjects
            subjects.add((member["customer_id"], None))
        for hit in hits.select(["rule_code", "customer_id", "account_id"]).to_pylist():
            counts = result.by_standard.setdefault(hit["rule_code"], ReplayCounts())
            subject = (hit["customer_id"], hit["account_id"])
            if side == "baseline":
                counts.baseline_hits += 1
                counts.baseline_subjects.add(subject)
            else:
                counts.candidate_hits += 1
                counts.candidate_subjects.add(subject)
    return result
