"""A standard's parameters as the integer tables its family's kernel takes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.standards.window import BASIS, GATE_COLUMNS, MILLI, NO_LIMIT, exact, gate

CUSTOMER_TYPES = ("individual", "entity")  # rows 0 and 1 of every table


@dataclass(frozen=True, slots=True)
class FamilyParams:
    """What marks a row (`marks`, the family's own columns) and what a window must pass
    (`gates`, `window.G_*`), one row per customer type."""

    marks: np.ndarray
    gates: np.ndarray

    def __post_init__(self) -> None:
        if self.gates.shape != (2, GATE_COLUMNS) or self.marks.ndim != 2 or len(self.marks) != 2:
            raise ScannerInputError("params: expected two rows (individual, entity)")


def money(values: dict[str, Decimal], name: str) -> int:
    """A money parameter in thousandths of a yuan."""
    return exact(values[name], MILLI, name)


def ratio(values: dict[str, Decimal], name: str) -> int:
    """A ratio parameter in basis points."""
    return exact(values[name], BASIS, name)


def whole(values: dict[str, Decimal], name: str) -> int:
    """A count or seconds parameter."""
    return exact(values[name], 1, name)


def family_params(
    values: dict[str, dict[str, Decimal]],
    row: Callable[[dict[str, Decimal]], tuple[list[int], list[int]]],
    width: int,
) -> FamilyParams:
    """The tables from each customer type's parameters (`row`: its marks and gate rows); a
    customer type the standard is not for (no parameters) gets a gate nothing passes."""
    if not values:
        raise ScannerInputError("params: no customer type has parameters")
    marks, gates = [], []
    for customer_type in CUSTOMER_TYPES:
        if customer_type in values:
            mark, gate_row = row(values[customer_type])
        else:
            mark, gate_row = [0] * width, gate(min_count=NO_LIMIT)
        marks.append(mark)
        gates.append(gate_row)
    return FamilyParams(np.array(marks, np.int64), np.array(gates, np.int64))
