"""The subjects' day totals before the window (`PatternInput.past_*`), as the families that
look back (periodic, baseline) read them."""

from __future__ import annotations

import numpy as np

from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.patterns import PatternInput
from amlwatch.scanners.standards.window import per_subject, sorted_within


def past_days(data: PatternInput) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each subject's pointer into its day totals before the window, their days and totals
    (int64), checked.

    Raises:
        ScannerInputError: none given, a pointer per subject missing, days and totals of
            other lengths, or a subject's days out of order.
    """
    if data.past_ptr is None or data.past_day is None or data.past_amount is None:
        raise ScannerInputError("this family needs each subject's day totals before")
    ptr = per_subject(data.past_ptr[1:], data, "past_ptr: the day totals before")
    ptr = data.past_ptr[: len(ptr) + 1]
    days, totals = data.past_day.astype(np.int64), data.past_amount.astype(np.int64)
    if len(days) != len(totals) or (len(ptr) and ptr[-1] > len(days)):
        raise ScannerInputError("past_day, past_amount: one of each per pointer")
    if not sorted_within(ptr, days):
        raise ScannerInputError("past_day: each subject's days must be sorted")
    return ptr, days, totals
