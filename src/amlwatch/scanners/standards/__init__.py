"""The monitoring-standard families beside scatter / concentrate: one kernel module each
(private `_kernel`, typed `scan_*` wrapper), all over the scatter kernel's input.

`FAMILIES` maps a family name (a standard's `family` in the pack) to how its parameters
become the kernel's tables and to its scan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from amlwatch.scanners.patterns import PatternInput
from amlwatch.scanners.prune import NO_FAMILY
from amlwatch.scanners.standards import (
    baseline,
    cash,
    dormant,
    new_account,
    night,
    open_close,
    out_of_profile,
    pass_through,
    periodic,
    risk_region,
    same_party,
    structuring,
    window,
)
from amlwatch.scanners.standards.customers import Customers
from amlwatch.scanners.standards.params import FamilyParams
from amlwatch.scanners.standards.window import FamilyWindows


@dataclass(frozen=True, slots=True)
class Family:
    """A family's parameter tables and scan."""

    params: Callable[[dict[str, dict[str, Decimal]]], FamilyParams]
    scan: Callable[..., FamilyWindows]
    # the records it may mark, for the pruning (`scanners.prune` filters); None: any record
    prefilter: Callable[[FamilyParams], np.ndarray] | None = None
    # per customer, its least window total (`scanners.prune` own least); None: the type's
    customer_least: Callable[[FamilyParams, Customers], np.ndarray] | None = None


FAMILIES: dict[str, Family] = {
    "pass_through": Family(pass_through.params, pass_through.scan_pass_through),
    "structuring": Family(structuring.params, structuring.scan_structuring, structuring.prefilter),
    "same_party": Family(same_party.params, same_party.scan_same_party, same_party.prefilter),
    "night": Family(night.params, night.scan_night, night.prefilter),
    "cash": Family(cash.params, cash.scan_cash, cash.prefilter),
    "risk_region": Family(risk_region.params, risk_region.scan_risk_region, risk_region.prefilter),
    "new_account": Family(
        new_account.params, new_account.scan_new_account, customer_least=new_account.customer_least
    ),
    "open_close": Family(
        open_close.params, open_close.scan_open_close, customer_least=open_close.customer_least
    ),
    "dormant": Family(dormant.params, dormant.scan_dormant, customer_least=dormant.customer_least),
    "periodic": Family(periodic.params, periodic.scan_periodic),
    "baseline": Family(baseline.params, baseline.scan_baseline),
    "out_of_profile": Family(
        out_of_profile.params,
        out_of_profile.scan_out_of_profile,
        customer_least=out_of_profile.customer_least,
    ),
}


def least_total(family: str, values: dict[str, dict[str, Decimal]]) -> np.ndarray:
    """Per customer type, the least window total (receipts and payments) a window of this
    standard can match with (`scanners.prune`): its marked records' total or its receipts'
    minimum; `prune.NO_FAMILY` for a type it is not for."""
    tables = FAMILIES[family].params(values)
    least = np.empty(2, np.int64)
    for t in range(2):
        g = tables.gates[t]
        never = g[window.G_MIN_COUNT] >= window.NO_LIMIT
        least[t] = NO_FAMILY if never else max(g[window.G_MIN_TOTAL], g[window.G_MIN_IN])
    return least


def prune_bounds(
    standards: list[tuple[str, dict[str, dict[str, Decimal]]]], customers: Customers | None = None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """What `scanners.prune` keeps a customer for, for these (family, parameters): the least
    window total of the standards that may mark any record, per customer type; the filters
    of those that mark records of a kind (None: none); and, given the customer table's
    facts, each customer's own least total for the standards only some customers can match
    (None: none; without facts their least counts for every customer of the type)."""
    least = np.full(2, NO_FAMILY, np.int64)
    filters = []
    own = None
    for family, values in standards:
        found = FAMILIES[family]
        if found.prefilter is not None:
            filters.append(found.prefilter(found.params(values)))
        elif found.customer_least is not None and customers is not None:
            mine = found.customer_least(found.params(values), customers)
            own = mine if own is None else np.minimum(own, mine)
        else:
            least = np.minimum(least, least_total(family, values))
    return least, (np.stack(filters) if filters else None), own


def scan_family(
    family: str,
    values: dict[str, dict[str, Decimal]],
    data: PatternInput,
    end_days: np.ndarray,
    start_days: np.ndarray,
    *,
    emit_all: bool = False,
) -> FamilyWindows:
    """One standard's windows: its family's kernel with its parameters."""
    found = FAMILIES[family]
    return found.scan(data, end_days, start_days, found.params(values), emit_all=emit_all)


__all__ = [
    "FAMILIES",
    "Customers",
    "Family",
    "FamilyParams",
    "FamilyWindows",
    "least_total",
    "prune_bounds",
    "scan_family",
]
