"""Rule packs (versioned thresholds, codes, windows) and the business-day calendar."""

from amlwatch.rules.calendar import BusinessCalendar
from amlwatch.rules.exceptions import CalendarUnknown, RulesError, UnknownRulePack
from amlwatch.rules.packs import (
    LargeValueCharacteristic,
    LargeValueRule,
    PatternThresholds,
    RulePack,
    SuspiciousRule,
    bundled_packs,
    load_pack,
    pack_for,
)
from amlwatch.rules.standards import (
    FAMILY_NAMES,
    FAMILY_PARAMS,
    INDICATORS_2003,
    NETWORK_FAMILIES,
    STATUS_NAMES,
    STATUSES,
    PatternStandard,
)

__all__ = [
    "FAMILY_NAMES",
    "FAMILY_PARAMS",
    "INDICATORS_2003",
    "NETWORK_FAMILIES",
    "STATUSES",
    "STATUS_NAMES",
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
