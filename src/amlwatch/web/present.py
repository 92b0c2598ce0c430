"""How the review app shows things: masked identifiers, money, dates, Chinese names."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from amlwatch.cases.usecases import DIRECTIONS, STATE_NAMES, URGENCY
from amlwatch.models import CaseState, Role

ROLE_NAMES = {
    Role.LIAISON: "反洗钱联络员",
    Role.APPROVER: "审批人",
    Role.ADMIN: "系统管理员",
    Role.AUDITOR: "审计员",
}
DEADLINE_NAMES = {
    "overdue": "已逾期",
    "due_soon": "即将到期",
    "ok": "未到期",
    "met": "按期报送",
    "missed": "逾期报送",
    "none": "",
}
LEG_NAMES = {"scattered": "分散端", "concentrated": "集中端"}
STATE_CHOICES = [(str(s), STATE_NAMES[s]) for s in CaseState]


def mask(value: Any, keep_start: int = 3, keep_end: int = 4) -> str:
    """An ID or account number with its middle hidden: 3501********1234."""
    text = "" if value is None else str(value)
    if len(text) <= keep_start + keep_end:
        return "*" * len(text)
    return text[:keep_start] + "*" * (len(text) - keep_start - keep_end) + text[-keep_end:]


def money(value: Any) -> str:
    """12,345.67 (two decimals; amounts are kept to three)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{number:,.2f}"


def day(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def hours(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} 小时" if value < 48 else f"{value / 24:.1f} 天"


FILTERS = {
    "mask": mask,
    "money": money,
    "day": day,
    "percent": percent,
    "hours": hours,
}
# what `?done=` may say after a redirect: a known code's words, nothing else (no page
# shows text a link carries)
FLASH = {
    "start": "已开始审查", "dismiss": "已排除或已提交复核",
    "confirm-dismissal": "已确认排除", "propose": "已提交审批", "approve": "已批准",
    "send-back": "已退回", "generate": "报告已生成", "submitted": "已登记报送",
    "snooze": "已申请暂停监测", "created": "用户已创建", "reason": "排除原因已保存",
    "settings": "设置已保存", "uploaded": "已登记上报",
    "active": "已处理（启用须另一名管理员批准）",
    "password": "已处理（用户须在下次登录时修改；涉及案件权限的须另一名管理员批准）",
    "branches": "已处理（扩大查看范围须另一名管理员批准）",
    "unlock": "登录暂停已解除", "reject": "已驳回",
    "requested": "已提交，待另一名管理员批准后生效", "access-approve": "已批准，变更已生效",
    "access-reject": "已驳回该变更",
}  # fmt: skip

GLOBALS = {
    "STATE_NAMES": {str(k): v for k, v in STATE_NAMES.items()},
    "ROLE_NAMES": {str(k): v for k, v in ROLE_NAMES.items()},
    "DEADLINE_NAMES": DEADLINE_NAMES,
    "LEG_NAMES": LEG_NAMES,
    "URGENCY": URGENCY,
    "DIRECTIONS": DIRECTIONS,
    "STATE_CHOICES": STATE_CHOICES,
}
