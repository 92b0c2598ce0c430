"""Planted, labelled cases: what a correct monitoring run must find, and what it must not.

Every planted subject is a customer kept out of the background activity, so a case's
expectation depends on nothing but its own rows. Each case records the large-value hits it
must produce (characteristic, trade date, direction, transactions) — none for a near miss —
and, for patterns, whether an alert is expected.
"""

from __future__ import annotations

from amlwatch.synth.planter import (
    CONCENTRATE_IN_SCATTER_OUT,
    SCATTER_IN_CONCENTRATE_OUT,
    PlantedCase,
)
from amlwatch.synth.plants_large_value import LargeValuePlants
from amlwatch.synth.plants_network import NetworkPlants
from amlwatch.synth.plants_patterns import PatternPlants
from amlwatch.synth.plants_rating import RatingPlants
from amlwatch.synth.plants_standards import StandardPlants


class Planter(LargeValuePlants, PatternPlants, StandardPlants, NetworkPlants, RatingPlants):
    """Builds planted rows day by day and every kind of labelled case."""


__all__ = ["CONCENTRATE_IN_SCATTER_OUT", "SCATTER_IN_CONCENTRATE_OUT", "PlantedCase", "Planter"]
