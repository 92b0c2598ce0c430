"""A standard's parameters as the integer tables its family's kernel takes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from amlwatch.scanners.exceptions import ScannerInputError
from amlwatch.scanners.standards.window import BASIS, GATE_COLUMNS, MILLI, exact

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


def per_type(params: dict[str, dict[str, Decimal]]) -> list[dict[str, Decimal]]:
    """The parameters of individuals and of entities, in table row order."""
    missing = [t for t in CUSTOMER_TYPES if t not in params]
    if missing:
        raise ScannerInputError(f"params: no parameters for {missing}")
    return [params[t] for t in CUSTOMER_TYPES]
