"""What every pattern scanner reads: the window's rows in the kernels' layout, and what is
known of each subject beside them (its accounts, its declared figure, its days before)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class PatternInput:
    """One row per transaction, sorted by `pattern_order` (subject, time, receipts first).

    Attributes:
        subject: int64 subject code (dense from 0 is best, any non-negative int works).
        ts: int64 booking time, seconds since 1970-01-01 in China local time.
        out: bool, a payment (else a receipt).
        amount: int64 CNY equivalent in thousandths, >= 0.
        party: int64 counterparty code in 0 .. n_parties-1, or -1 when unknown.
        entity: bool, the subject's customer is not a natural person.
        n_parties: how many party codes there are.
        kind: uint8 bits of what the record is (`KIND_*`); None: none known.
        opened: per subject code (not per row), int64 day (since 1970-01-01) of its newest
            account's opening, -1 unknown. None (this and the below): none known.
        event_ptr, event_day, event_kind: account events (1 opened, 2 closed on an int64
            day, sorted per subject): subject s has `event_ptr[s]:event_ptr[s + 1]`.
        declared: per subject code, int64 thousandths: an individual's declared income,
            an entity's registered capital; -1 unknown.
        active_ptr, active_day: the days (int64, sorted per subject) it moved money before
            the window's rows, as far back as asked: subject s has
            `active_day[active_ptr[s]:active_ptr[s + 1]]`.
        past_ptr, past_day, past_amount, past_kind: its day totals before the window's
            rows (int64 day, int64 thousandths, uint8 the records' kind bits; a day may come
            in parts, one per kind), sorted by day per subject, as far back as asked and for
            the days whose total reached the floor asked for (0: every day with a record):
            subject s has `past_ptr[s]:past_ptr[s + 1]`.
        known_since: per subject code, int64 day its customer was first known to the
            warehouse (its first customers file), -1 unknown.
        risk_level: per subject code, int64 its customer's risk level in force (客户风险等级
            code as a number: 10 高 … 14 低), -1 unrated.
    """

    subject: np.ndarray
    ts: np.ndarray
    out: np.ndarray
    amount: np.ndarray
    party: np.ndarray
    entity: np.ndarray
    n_parties: int
    kind: np.ndarray | None = None
    opened: np.ndarray | None = None
    event_ptr: np.ndarray | None = None
    event_day: np.ndarray | None = None
    event_kind: np.ndarray | None = None
    declared: np.ndarray | None = None
    active_ptr: np.ndarray | None = None
    active_day: np.ndarray | None = None
    past_ptr: np.ndarray | None = None
    past_day: np.ndarray | None = None
    past_amount: np.ndarray | None = None
    past_kind: np.ndarray | None = None
    known_since: np.ndarray | None = None
    risk_level: np.ndarray | None = None
