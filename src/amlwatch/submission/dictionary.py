"""The data dictionary of the banking messages (spec chapter 9): each field's type, maximum
length and code list, by XML tag. A tag means the same thing in every banking message."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from amlwatch.submission import codes

NA = "@N"  # the placeholder for not applicable / not obtainable (§9.7 item 4)


@dataclass(frozen=True, slots=True)
class Field:
    """One data-dictionary entry."""

    tag: str
    name: str  # 字段内容
    kind: str  # text | count | amount | date | datetime
    length: int  # maximum length in characters
    code: Callable[[str], bool] | None = None  # the code list the value must come from
    code_list: str = ""  # the table named in error messages


def _in(values: frozenset[str]) -> Callable[[str], bool]:
    return values.__contains__


def _f(tag: str, name: str, kind: str, length: int, code: frozenset[str] | None = None,
       code_list: str = "") -> Field:  # fmt: skip
    return Field(tag, name, kind, length, _in(code) if code is not None else None, code_list)


_ID = (codes.ID_TYPES, "10.1 身份证件/证明文件类型")
_ACCOUNT = (codes.ACCOUNT_TYPES, "10.2 账户类型")
_COUNTRY = (codes.COUNTRIES, "GB/T 2659 国别代码")

FIELDS: dict[str, Field] = {
    f.tag: f
    for f in [
        # report basics
        _f("RICD", "报告机构编码", "text", 14),
        _f("CTTN", "大额交易客户总数", "count", 8),
        _f("TSTN", "欲修改交易总数", "count", 8),
        _f("DTTN", "欲删除交易总数", "count", 8),
        _f("MIRS", "人工补正标识", "text", 64),
        _f("RPNC", "上报网点代码", "text", 16),
        _f("DETR", "可疑交易报告紧急程度", "text", 2, codes.URGENCY, "DETR 01/02"),
        _f("TORP", "报送次数标志", "text", 5),
        _f("ORXN", "初次报送的可疑交易报告报文名称", "text", 64),
        _f("DORP", "报送方向", "text", 2, codes.REPORT_DIRECTIONS, "DORP 01–04/99"),
        _f("ODRP", "其他报送方向", "text", 32),
        _f("TPTR", "可疑交易报告触发点", "text", 2, codes.TRIGGERS, "TPTR 01–06/99"),
        _f("OTPR", "其他可疑交易报告触发点", "text", 2000),
        _f("STCB", "资金交易及客户行为情况", "text", 10000),
        _f("AOSP", "疑点分析", "text", 10000),
        _f("TOSC", "疑似涉罪类型", "text", 4, codes.CRIME_TYPES, "10.6 疑似涉罪类型"),
        _f("STCR", "可疑交易特征代码", "text", 32),
        _f("SETN", "可疑主体总数", "count", 8),
        _f("STNM", "可疑交易总数", "count", 8),
        _f("RPNM", "可疑交易报告的填报人员", "text", 16),
        # customers and subjects
        _f("CSNM", "客户号", "text", 32),
        _f("OCNM", "原客户号", "text", 32),
        _f("CTNT", "客户国籍", "text", 3, *_COUNTRY),
        _f("CTVC", "客户职业或行业", "text", 32),
        _f("CCTL", "客户联系电话", "text", 64),
        _f("CTAR", "客户住址/经营地址", "text", 512),
        _f("CCEI", "客户其他联系方式", "text", 512),
        _f("CTNM", "客户姓名/名称", "text", 512),
        _f("CITP", "客户身份证件/证明文件类型", "text", 6, *_ID),
        _f("OITP", "其他身份证件/证明文件类型", "text", 32),
        _f("CTID", "客户身份证件/证明文件号码", "text", 128),
        _f("SEVC", "可疑主体职业或行业", "text", 32),
        _f("SENM", "可疑主体姓名/名称", "text", 512),
        _f("SETP", "可疑主体身份证件/证明文件类型", "text", 6, *_ID),
        _f("SEID", "可疑主体身份证件/证明文件号码", "text", 128),
        _f("STNT", "可疑主体国籍", "text", 3, *_COUNTRY),
        _f("SCTL", "可疑主体联系电话", "text", 64),
        _f("SEAR", "可疑主体住址/经营地址", "text", 512),
        _f("SEEI", "可疑主体其他联系方式", "text", 512),
        _f("SRNM", "可疑主体法定代表人姓名", "text", 512),
        _f("SRIT", "可疑主体法定代表人身份证件类型", "text", 32, *_ID),
        _f("ORIT", "法定代表人其他身份证件类型", "text", 32),
        _f("SRID", "可疑主体法定代表人身份证件号码", "text", 128),
        _f("SCNM", "控股股东或实际控制人名称", "text", 512),
        _f("SCIT", "控股股东或实际控制人身份证件类型", "text", 6, *_ID),
        _f("OCIT", "控股股东或实际控制人其他身份证件类型", "text", 32),
        _f("SCID", "控股股东或实际控制人身份证件号码", "text", 128),
        # large-value grouping and keys
        _f("HTDT", "大额交易发生日期", "date", 8),
        _f("OTDT", "原大额交易发生日期", "date", 8),
        _f("CRCD", "大额交易特征代码", "text", 4, codes.LARGE_VALUE_CHARACTERISTICS, "0501–0504"),
        _f("OTCD", "原大额交易特征代码", "text", 4, codes.LARGE_VALUE_CHARACTERISTICS, "0501–0504"),
        _f("TTNM", "交易总数", "count", 8),
        _f("OTIC", "原业务标识号", "text", 256),
        # the transaction
        _f("FINC", "金融机构网点代码", "text", 16),
        _f("RLFC", "金融机构与客户的关系", "text", 2, codes.RELATIONS, "RLFC 00/01/02"),
        _f("CATP", "客户账户类型", "text", 6, *_ACCOUNT),
        _f("CTAC", "客户账号", "text", 64),
        _f("OATM", "客户账户开立时间", "datetime", 14),
        _f("CATM", "客户账户销户时间", "datetime", 14),
        _f("CBCT", "客户银行卡类型", "text", 2, codes.CARD_TYPES, "CBCT 10/20/30/90"),
        _f("OCBT", "客户银行卡其他类型", "text", 32),
        _f("CBCN", "客户银行卡号码", "text", 64),
        _f("TBNM", "交易代办人姓名", "text", 128),
        _f("TBIT", "交易代办人身份证件/证明文件类型", "text", 6, *_ID),
        _f("TBID", "交易代办人身份证件/证明文件号码", "text", 128),
        _f("TBNT", "交易代办人国籍", "text", 3, *_COUNTRY),
        _f("TSTM", "交易时间", "datetime", 14),
        _f("TRCD", "交易发生地", "text", 9),
        _f("TICD", "业务标识号", "text", 256),
        _f("RPMT", "收付款方匹配号类型", "text", 2, codes.MATCH_NO_TYPES, "10.5 匹配号类型"),
        _f("RPMN", "收付款方匹配号", "text", 500),
        _f("TSTP", "交易方式", "text", 6),
        _f("OCTT", "非柜台交易方式", "text", 2, codes.CHANNELS, "OCTT 11–17/99"),
        _f("OOCT", "其他非柜台交易方式", "text", 32),
        _f("OCEC", "非柜台交易方式的设备代码", "text", 500),
        _f("BPTC", "银行与支付机构之间的业务交易编码", "text", 500),
        _f("TSCT", "涉外收支交易分类与代码", "text", 16),
        _f("TSDR", "资金收付标志", "text", 2, codes.DIRECTIONS, "TSDR 01/02"),
        _f("CRPP", "资金用途", "text", 128),
        _f("CRSP", "资金来源和用途", "text", 128),
        _f("CRTP", "交易币种", "text", 3, codes.CURRENCIES, "GB/T 12406 币种"),
        _f("CRAT", "交易金额", "amount", 20),
        _f("CRMB", "交易金额（折人民币）", "amount", 20),
        _f("CUSD", "交易金额（折美元）", "amount", 20),
        _f("CFIN", "对方金融机构网点名称", "text", 64),
        _f("CFCT", "对方金融机构网点代码类型", "text", 2, codes.BANK_CODE_TYPES, "CFCT"),
        _f("CFIC", "对方金融机构网点代码", "text", 16),
        _f("CFRC", "对方金融机构网点行政区划代码", "text", 9),
        _f("TCNM", "交易对手姓名/名称", "text", 128),
        _f("TCIT", "交易对手身份证件/证明文件类型", "text", 6, *_ID),
        _f("TCID", "交易对手身份证件/证明文件号码", "text", 128),
        _f("TCAT", "交易对手账户类型", "text", 6, *_ACCOUNT),
        _f("TCAC", "交易对手账号", "text", 64),
        _f("ROTF", "交易信息备注", "text", 64),
    ]
}

_INSTITUTION = re.compile(r"^[0-9A-Z]{14}$")

# fields that can never be @N: the keys and what makes a record a record
NOT_NA = frozenset(
    """RICD CTTN TSTN SETN STNM CSNM OCNM HTDT OTDT CRCD OTCD TTNM OTIC TICD TSTM TSDR CRTP
    CRAT CTNM CITP CTID DETR TORP DORP TPTR STCB AOSP RPNC SENM SETP SEID""".split()
)
# code checks that are not a closed set
_PHONE = re.compile(r"^(1\d{10}|0\d{2,3}-\d{7,8}(-\d{1,6})?)$")  # mobile, or area-fixed(-ext)
_REGION_RULE = "CHN/特殊经济区+区县级6位行政区划代码，或国别+000000"
PATTERNS: dict[str, tuple[Callable[[str], bool], str]] = {
    "RICD": (lambda v: bool(_INSTITUTION.match(v)), "14位金融机构编码 / 14 letters or digits"),
    "TSTP": (codes.is_tx_method, "10.3 交易方式"),
    "TRCD": (codes.is_county_region, _REGION_RULE),
    "CFRC": (codes.is_county_region, _REGION_RULE),
    "TSCT": (str.isdigit, "数值型 GB/T 19583 涉外收支交易分类与代码 / digits"),
    "SCTL": (lambda v: bool(_PHONE.match(v)), "手机11位，或 区号-固定电话 / mobile or area-fixed"),
}

_COUNT = re.compile(r"^\d+$")
_AMOUNT = re.compile(r"^\d+(\.\d{1,3})?$")
_DATE = re.compile(r"^[\dt]{8}$")
_DATETIME = re.compile(r"^[\dt]{14}$")


def problems_of(tag: str, value: str | None) -> list[str]:
    """What is wrong with one field's value (empty: nothing)."""
    spec = FIELDS.get(tag)
    if spec is None:
        return []
    if value is None or value == "":
        return ["必填字段为空（未知或不适用须填 @N） / empty: mandatory (use @N)"]
    if value == NA:
        return [f"{tag} 不能为 @N / must not be @N"] if tag in NOT_NA else []
    if not value.strip():
        return ["只有空白字符（未知或不适用须填 @N）/ blank: use @N"]
    found: list[str] = []
    if value != value.strip():
        found.append("首尾有空白字符 / padded with spaces")
    if len(value) > spec.length:
        found.append(f"超过最大长度 {spec.length} / longer than {spec.length} ({len(value)})")
    if spec.kind == "count" and not _COUNT.match(value):
        found.append("应为整数 / not a whole number")
    elif spec.kind == "amount" and not _AMOUNT.match(value):
        found.append("应为数字，最多3位小数 / not a number with at most 3 decimals")
    elif spec.kind == "date" and not (_DATE.match(value) and _valid_date(value)):
        found.append("日期格式应为 yyyymmdd / not a yyyymmdd date")
    elif spec.kind == "datetime" and not (_DATETIME.match(value) and _valid_datetime(value)):
        found.append("时间格式应为 yyyymmddhhmmss / not a yyyymmddhhmmss time")
    if spec.code is not None and not spec.code(value):
        found.append(f"不在代码表 {spec.code_list} 中 / not in code list {spec.code_list}")
    if tag in PATTERNS and not PATTERNS[tag][0](value):
        found.append(f"不符合 {PATTERNS[tag][1]} / not a valid code")
    return found


def _valid_date(value: str) -> bool:
    if "t" in value:  # unknown parts are allowed; the known ones must still make sense
        month, day = value[4:6], value[6:8]
        if "t" not in month and not 1 <= int(month) <= 12:
            return False
        return "t" in day or 1 <= int(day) <= 31
    try:
        dt.datetime.strptime(value, "%Y%m%d")
    except ValueError:
        return False
    return True


_PARTS = ((8, 10, 0, 23), (10, 12, 0, 59), (12, 14, 0, 59))  # hour, minute, second


def _valid_datetime(value: str) -> bool:
    if "t" in value:  # the known parts must still be a real time
        for start, end, low, high in _PARTS:
            part = value[start:end]
            if "t" not in part and not low <= int(part) <= high:
                return False
        return _valid_date(value[:8])
    try:
        dt.datetime.strptime(value, "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return True
