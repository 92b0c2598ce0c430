"""What the pruning knows of each customer of the table before the merge, for the standards
only some customers can match at all (`scanners.prune`'s own least totals)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Customers:
    """Per row of the customer table.

    Attributes:
        entity: bool, not a natural person.
        first_day, last_day: the read window's first and last day (days since 1970-01-01).
        opened: int64 day of the newest account's opening, -1 unknown; None: not read.
        event_ptr, event_day, event_kind: the accounts' openings and closings
            (`PatternInput.event_*`, by customer row); None: not read.
        declared: int64 thousandths declared (income or capital), -1 unknown; None: not read.
        active_ptr: int64 pointer per row (+1) into the days it moved money before the read
            window (`PatternInput.active_*`); None: not read.
    """

    entity: np.ndarray
    first_day: int
    last_day: int
    opened: np.ndarray | None = None
    event_ptr: np.ndarray | None = None
    event_day: np.ndarray | None = None
    event_kind: np.ndarray | None = None
    declared: np.ndarray | None = None
    active_ptr: np.ndarray | None = None
