"""The code tables a submission's fields must come from (spec chapter 10 and §9)."""

from __future__ import annotations

import re

import pycountry

from amlwatch import labels
from amlwatch.codes import (  # noqa: F401  (the code tables of the spec, in one place)
    RESIDENT_ID_TYPES,
    USCC_TYPES,
    id_number_problem,
    resident_id_problem,
    uscc_check_character,
    uscc_problem,
)

# 10.1 身份证件/证明文件类型, 10.2 账户类型: the label tables are the lists
ID_TYPES = frozenset(labels.ID_TYPES)
# the "other" types: the OITP / ORIT / OCIT field beside them must say which document
OTHER_ID_TYPES = frozenset({"119999", "129999", "619999", "629999"})

ACCOUNT_TYPES = frozenset(labels.ACCOUNT_TYPES)

# 10.3 交易方式: a family prefix, then the codes of that family
_RMB_CASH = frozenset(labels.RMB_CASH)  # cash / non-cash
_RMB_TOOLS = frozenset(labels.RMB_TOOLS)
_FOREIGN = frozenset(labels.FOREIGN_METHODS)
_REMITTANCE = frozenset(labels.REMITTANCE_METHODS)
_CROSS_CURRENCY = frozenset(labels.CROSS_CURRENCY_METHODS)


def is_tx_method(code: str) -> bool:
    """A transaction method code of table 10.3."""
    if len(code) != 6:
        return False
    family, rest = code[:2], code[2:]
    if family == "00":
        return rest[:2] in _RMB_CASH and rest[2:] in _RMB_TOOLS
    return rest in {"01": _FOREIGN, "02": _REMITTANCE, "03": _CROSS_CURRENCY}.get(
        family, frozenset()
    )


SPECIAL_ZONES = frozenset(labels.SPECIAL_ZONES)  # 10.4
MATCH_NO_TYPES = frozenset(labels.MATCH_NO_TYPES)  # 10.5
CRIME_TYPE_NAMES = labels.CRIME_TYPE_NAMES  # 10.6
CRIME_TYPES = frozenset(CRIME_TYPE_NAMES)
LARGE_VALUE_CHARACTERISTICS = frozenset({"0501", "0502", "0503", "0504"})
COUNTRIES = frozenset(c.alpha_3 for c in pycountry.countries)  # GB/T 2659 = ISO 3166 alpha-3
CURRENCIES = frozenset(c.alpha_3 for c in pycountry.currencies)  # GB/T 12406 = ISO 4217

# small closed lists of the data dictionary
DIRECTIONS = frozenset(labels.DIRECTIONS)  # TSDR 收 / 付
RELATIONS = frozenset(labels.RELATIONS)  # RLFC
CARD_TYPES = frozenset(labels.CARD_TYPES)  # CBCT
BANK_CODE_TYPES = frozenset(labels.BANK_CODE_TYPES)  # CFCT
CHANNELS = frozenset(labels.CHANNELS)  # OCTT
URGENCY = frozenset(labels.URGENCY)  # DETR
REPORT_DIRECTIONS = frozenset(labels.REPORT_DIRECTIONS)  # DORP
TRIGGERS = frozenset(labels.TRIGGERS)  # TPTR

_REGION = re.compile(r"^([A-Z0-9]{3})(\d{6})$")


# prefecture-level cities with no county-level division: their own code is the finest
NO_COUNTY_LEVEL = frozenset({"441900", "442000", "460400", "620200"})  # 东莞 中山 儋州 嘉峪关


def is_county_region(code: str) -> bool:
    """A place code at the spec's granularity (TRCD, CFRC: 区、县级): for mainland China and
    the special zones a district or county code, not a province's or a city's."""
    if not is_region(code):
        return False
    prefix, digits = code[:3], code[3:]
    if prefix != "CHN" and prefix not in SPECIAL_ZONES:
        return True
    return digits[4:] != "00" or digits in NO_COUNTY_LEVEL


def is_tx_method_for(code: str, currency: str, cash: bool | None = None) -> bool:
    """Whether a 10.3 method fits the record: RMB methods (00…) for CNY, foreign-currency and
    agent-remittance methods (01…, 02…) for other currencies, cross-currency (03…) for both;
    with `cash`, a cash method (现钞) exactly when the record is cash."""
    family, rest = code[:2], code[2:]
    if family == "00" and currency != "CNY":
        return False
    if family in ("01", "02") and currency == "CNY":
        return False
    if cash is None or family == "03":
        return True
    is_cash = {"00": rest[:2] == "00", "01": rest in _FOREIGN_CASH, "02": rest[:2] == "00"}
    return is_cash.get(family, False) == cash


_FOREIGN_CASH = frozenset({"0001", "0002", "0003", "0004", "0005", "0006", "0007"})


def is_region(code: str) -> bool:
    """A place code (TRCD, CFRC): CHN or a special zone + a 6-digit admin code, or a
    country + 000000."""
    match = _REGION.match(code)
    if not match:
        return False
    prefix, digits = match.groups()
    if prefix == "CHN" or prefix in SPECIAL_ZONES:
        return digits != "000000"
    return prefix in COUNTRIES and digits == "000000"
