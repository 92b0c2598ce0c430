"""Free text a person types, checked once at the use case: no control characters (NUL and
the like break reports, logs and the regulator's XML), no bidirectional overrides (they make
a text read differently from what it holds), and a bounded length for every field."""

from __future__ import annotations

import unicodedata

from amlwatch.cases.exceptions import InvalidInput

# field: (Chinese name, most characters)
LIMITS = {
    "stcb": ("可疑交易特征描述", 4000),  # the spec's STCB maximum
    "aosp": ("疑点分析", 4000),  # AOSP
    "note": ("审批意见", 2000),
    "reason": ("原因说明", 2000),
    "urgent_reason": ("紧急原因", 1000),
    "display_name": ("姓名", 128),
    "label": ("原因说明", 200),
    "snooze_reason": ("暂停原因", 1000),
    "case_note": ("调查记录", 4000),
}
_ALLOWED_CONTROLS = {"\n", "\t", "\r"}
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}


def checked(value: str, field: str) -> str:
    """`value` stripped, or InvalidInput naming the field and what is wrong with it."""
    name, most = LIMITS[field]
    text = value.strip()
    for char in text:
        if char in _BIDI:
            raise InvalidInput(f"{name}含有文字方向控制字符 U+{ord(char):04X}，请删除后重试")
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co") and char not in (
            _ALLOWED_CONTROLS
        ):
            raise InvalidInput(f"{name}含有不可见控制字符 U+{ord(char):04X}，请删除后重试")
    if len(text) > most:
        raise InvalidInput(f"{name}不得超过 {most} 字（现 {len(text)} 字）")
    return text
