"""High-risk regions (与贩毒、走私、恐怖活动严重地区的资金往来明显增多): records whose
counterparty is in one of the pack's high-risk regions (`[suspicious] high_risk_regions`).

A row is *marked* when its counterparty region is listed (`KIND_RISK_REGION`, cut at ingest)
and it is at least min_single_cny. A window matches when, for the subject's customer type:

    marked rows           >= min_count
    marked rows' total    >= min_total_cny

Measure: m_count such records, m_total their total, m_days the days holding one. (The 2003
wording says "increased": a baseline before the window is not compared yet.) The kernel and
the parameters are `cash`'s, over another bit of the records' kind.
"""

from __future__ import annotations

import numpy as np

from amlwatch.scanners.patterns import KIND_RISK_REGION, PatternInput
from amlwatch.scanners.standards.cash import params, scan_flagged
from amlwatch.scanners.standards.cash import prefilter as cash_prefilter
from amlwatch.scanners.standards.params import FamilyParams
from amlwatch.scanners.standards.window import FamilyWindows

__all__ = ["params", "prefilter", "scan_risk_region"]


def prefilter(family: FamilyParams) -> np.ndarray:
    """The records it may mark, for `scanners.prune`: a listed region's, of the minimum."""
    return cash_prefilter(family, KIND_RISK_REGION)


def scan_risk_region(
    data: PatternInput,
    end_days: np.ndarray,
    start_days: np.ndarray,
    family: FamilyParams,
    *,
    emit_all: bool = False,
) -> FamilyWindows:
    """The windows ending on each end day that match (every non-empty one with `emit_all`).

    Raises:
        ScannerInputError: wrong dtypes, lengths, order or codes; no kinds.
    """
    return scan_flagged(data, end_days, start_days, family, KIND_RISK_REGION, emit_all=emit_all)
