"""The code tables a submission's fields must come from (spec chapter 10 and §9)."""

from __future__ import annotations

import re

import pycountry

from amlwatch.codes import (  # noqa: F401  (the code tables of the spec, in one place)
    RESIDENT_ID_TYPES,
    USCC_TYPES,
    id_number_problem,
    resident_id_problem,
    uscc_check_character,
    uscc_problem,
)

# 10.1 身份证件/证明文件类型
ID_TYPES = frozenset(
    """110001 110003 110005 110007 110009 110011 110013 110015 110017 110019 110021 110023
    110025 110027 110029 119999 129999 610001 610003 610005 610007 610009 610011 610013
    610015 610017 610019 610021 610023 610025 610027 610029 610031 610033 610035 610037
    610039 610041 610043 610045 610047 610049 610051 610053 610055 610057 610059 610061
    610099 619999 629999""".split()
)
# the "other" types: the OITP / ORIT / OCIT field beside them must say which document
OTHER_ID_TYPES = frozenset({"119999", "129999", "619999", "629999"})

# 10.2 账户类型 (the printed table's 7-digit 1200011…1200019 are typos of 6-digit codes:
# the field holds 6 characters)
ACCOUNT_TYPES = frozenset(
    [f"1200{i:02d}" for i in range(1, 21)]
    + ["129999"]
    + [f"6200{i:02d}" for i in range(1, 15)]
    + ["629999"]
)

# 10.3 交易方式: a family prefix, then the codes of that family
_RMB_CASH = ("00", "01")  # cash / non-cash
_RMB_TOOLS = frozenset(
    "00 01 02 03 04 10 11 12 13 14 15 16 17 20 21 30 31 32 33 34 35 36 51".split()
)
_FOREIGN = frozenset(
    "0001 0002 0003 0004 0005 0006 0007 0101 0102 0103 0104 0105 0106 0107 0108 0109 0110 "
    "0111".split()
)
_REMITTANCE = frozenset("0001 0002 0003 0004 0005 0099 0101 0102 0103 0104 0105 0199".split())
_CROSS_CURRENCY = frozenset({"0100", "0110", "0120"})


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


SPECIAL_ZONES = frozenset({"Z01", "Z02", "Z03"})  # 10.4
MATCH_NO_TYPES = frozenset({"01", "02", "03", "04", "05", "06", "11"})  # 10.5
# 10.6 疑似涉罪类型: code → the behaviour, shortened for pick lists
CRIME_TYPE_NAMES = {
    "0101": "毒品犯罪",
    "0201": "黑社会性质的组织犯罪",
    "0301": "恐怖活动犯罪",
    "0401": "走私犯罪",
    "0501": "贪污贿赂：行贿、受贿",
    "0502": "贪污贿赂：与公职人员或其亲属身份不符",
    "0601": "非国家工作人员商业贿赂",
    "0602": "非法关联经营",
    "0603": "组织或参与经营非法金融机构",
    "0604": "高利转贷",
    "0605": "非法套取金融机构资金",
    "0606": "非法吸收公众存款",
    "0607": "擅自发行股票、公司、企业债券",
    "0608": "内幕交易、操纵股价等证券类洗钱",
    "0609": "非法挪用、拆借资金",
    "0610": "非法跨境转移资金（例如逃汇）",
    "0701": "集资诈骗",
    "0702": "骗贷、信用证诈骗、票券诈骗等银行诈骗",
    "0703": "有价证券诈骗",
    "0704": "信用卡诈骗",
    "0705": "保险诈骗",
    "0801": "掩饰、隐瞒七类上游犯罪所得",
    "0802": "掩饰、隐瞒其他上游犯罪所得",
    "0901": "虚假注册、验资",
    "0902": "虚假出资、抽逃出资",
    "0903": "欺诈发行股票、债券",
    "1001": "逃税、避税、骗税",
    "1101": "组织、领导传销活动",
    "1102": "非法经营（地下钱庄、非法买卖外汇、套现等）",
    "1201": "诈骗（例如电信诈骗）",
    "1202": "职务侵占",
    "1203": "挪用资金、物资",
    "1301": "伪造、变造、买卖国家机关公文、证件、印章",
    "1302": "组织经营赌博或为其转移资金",
    "1401": "司法机构或行政调查已介入",
    "1402": "其他犯罪",
}
CRIME_TYPES = frozenset(CRIME_TYPE_NAMES)
LARGE_VALUE_CHARACTERISTICS = frozenset({"0501", "0502", "0503", "0504"})
COUNTRIES = frozenset(c.alpha_3 for c in pycountry.countries)  # GB/T 2659 = ISO 3166 alpha-3
CURRENCIES = frozenset(c.alpha_3 for c in pycountry.currencies)  # GB/T 12406 = ISO 4217

# small closed lists of the data dictionary
DIRECTIONS = frozenset({"01", "02"})  # TSDR 收 / 付
RELATIONS = frozenset({"00", "01", "02"})  # RLFC
CARD_TYPES = frozenset({"10", "20", "30", "90"})  # CBCT
BANK_CODE_TYPES = frozenset({"11", "12", "13", "14", "99"})  # CFCT
CHANNELS = frozenset({"11", "12", "13", "14", "15", "16", "17", "99"})  # OCTT
URGENCY = frozenset({"01", "02"})  # DETR
REPORT_DIRECTIONS = frozenset({"01", "02", "03", "04", "99"})  # DORP
TRIGGERS = frozenset({"01", "02", "03", "04", "05", "06", "99"})  # TPTR

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
