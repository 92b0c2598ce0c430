"""Each standard over the subjects that can reach it: the merged window holds every customer
some running standard may match (`scanners.prune`, the least of their bounds), but most
standards need far more money than the least of them. A subject whose receipts and payments
over the whole input fall short of a standard's least window total (`least_total`) has no
window that matches it, so that standard's kernel runs over the other subjects' rows only —
the same matches, over a fraction of the rows.

`Subjects` is computed once per input (each subject's rows and total) and shared by every
standard of the night.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from amlwatch.scanners.patterns import PatternInput
from amlwatch.scanners.standards.window import FamilyWindows

_PER_ROW = ("subject", "ts", "out", "amount", "party", "entity", "kind")


@dataclass(frozen=True, slots=True)
class Subjects:
    """Each subject's run of rows in the sorted input: its first row, its length, whether it
    is an entity and its receipts and payments over the whole input."""

    first: np.ndarray
    length: np.ndarray
    entity: np.ndarray
    total: np.ndarray

    @classmethod
    def of(cls, data: PatternInput) -> Subjects:
        n = len(data.subject)
        if n == 0:
            empty = np.empty(0, np.int64)
            return cls(empty, empty, np.empty(0, np.bool_), empty)
        first = np.flatnonzero(np.r_[True, data.subject[1:] != data.subject[:-1]])
        return cls(
            first=first,
            length=np.diff(np.r_[first, n]),
            entity=data.entity[first],
            total=np.add.reduceat(data.amount, first),
        )

    def reaching(self, least: np.ndarray, worth: float = 1.0) -> np.ndarray | None:
        """The rows of the subjects whose total reaches their type's least window total
        (`least[0]` individuals, `least[1]` entities), in input order; None: every row, or
        more than the `worth` share of them (copying them would cost more than it saves)."""
        ok = self.total >= np.where(self.entity, least[1], least[0])
        if ok.all() or self.length[ok].sum() > worth * self.length.sum():
            return None
        first, length = self.first[ok], self.length[ok]
        if not len(first):
            return np.empty(0, np.int64)
        # each kept run's rows: its first row, then +1 along the run
        shift = np.repeat(first - (np.cumsum(length) - length), length)
        return shift + np.arange(int(length.sum()), dtype=np.int64)


def restricted(data: PatternInput, rows: np.ndarray) -> PatternInput:
    """The input's rows `rows` (whole subjects, in order); per-subject arrays unchanged
    (subject codes are kept)."""
    picked = {
        name: getattr(data, name)[rows] for name in _PER_ROW if getattr(data, name) is not None
    }
    return dataclasses.replace(data, **picked)


def in_full(found: FamilyWindows, rows: np.ndarray) -> FamilyWindows:
    """A scan of `restricted(data, rows)` with its row ranges in the full input's rows."""
    if not len(found):
        return found
    lo = rows[found.lo]
    hi = rows[found.hi - 1] + 1  # a window is never empty
    return dataclasses.replace(found, lo=lo, hi=hi)
