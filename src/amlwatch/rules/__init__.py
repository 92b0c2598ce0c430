"""Rule packs (versioned thresholds, codes, windows) and the business-day calendar."""

from amlwatch.rules.calendar import BusinessCalendar
from amlwatch.rules.exceptions import CalendarUnknown, RulesError, UnknownRulePack
from amlwatch.rules.packs import (
    LargeValueCharacteristic,
    LargeValueRule,
    PatternStandard,
    PatternThresholds,
    RulePack,
    SuspiciousRule,
    bundled_packs,
    load_pack,
    pack_for,
)

__all__ = [
    "BusinessCalendar",
    "CalendarUnknown",
    "LargeValueCharacteristic",
    "LargeValueRule",
    "PatternStandard",
    "PatternThresholds",
    "RulePack",
    "RulesError",
    "SuspiciousRule",
    "UnknownRulePack",
    "bundled_packs",
    "load_pack",
    "pack_for",
]
