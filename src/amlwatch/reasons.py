"""Quarantine reasons in Chinese: the row checks write each reason in English with the value
quoted (masked); a person reads its Chinese name first, the original beside it."""

from __future__ import annotations

import re

# what a quarantine reason (written in English by the row checks, with the value quoted) says,
# in Chinese: the first pattern that matches names it
_REASONS_ZH: tuple[tuple[str, str], ...] = (
    (r" is missing", "必填字段缺失"),
    (r"^duplicate ", "业务主键重复"),
    (r"expected \d+ fields as in the header", "字段数与表头不符"),
    (r" is not one of ", "取值不在允许范围内"),
    (r"is not an ISO 4217 code", "币种不是 ISO 4217 代码"),
    (r"is not (1 or 0|true or false)", "应为是/否"),
    (r"is not a number with at most", "应为数字（小数位数超限）"),
    (r"must be positive", "须为正数"),
    (r"is negative", "不得为负数"),
    (r"is not a date-time like", "日期时间格式不符"),
    (r"is not a date like", "日期格式不符"),
    (r"is not within the \d+ days", "记账时间不在本日文件的期间内"),
    (r"was already loaded for business date", "交易流水号已在其他日期载入"),
    (r"is not a known customer", "客户号不在客户资料中"),
    (r"is not a known account", "账号不在账户资料中"),
    (r"belongs to customer", "账户不属于该客户"),
    (r"no (FX|USD) rate", "缺少汇率"),
    (r"carriage return", "未加引号的字段内含回车符"),
    (r"quote opened", "引号未闭合"),
    (r"field longer than", "字段过长"),
)


def quarantine_reason(reason: str) -> str:
    """A quarantine reason for a person: its Chinese name first, the original after it."""
    for pattern, name in _REASONS_ZH:
        if re.search(pattern, reason):
            return f"{name} / {reason}"
    return reason
