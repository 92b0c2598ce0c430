"""How the review app shows things: masked identifiers, money, dates, Chinese names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from amlwatch import labels
from amlwatch.cases.usecases import DIRECTIONS, STATE_NAMES, URGENCY
from amlwatch.models import CaseState, Role
from amlwatch.rules import FAMILY_NAMES

BEIJING = ZoneInfo("Asia/Shanghai")  # every time on a page; the layout says so once

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
LEG_NAMES = {"scattered": "分散端", "concentrated": "集中端", "window": "窗口内"}
# what each family's measure counts, as the case page shows a standard's evidence figures
MEASURE_NAMES = {
    "pass_through": ("数小时内转出", "笔", "个交易日"),
    "structuring": ("略低于报告标准的交易", "笔", "个交易日"),
    "same_party": ("频繁往来的相同对手", "个", ""),
    "night": ("非营业时间的交易", "笔", "个自然日"),
    "cash": ("现金收付", "笔", "个自然日"),
    "risk_region": ("对手在高风险国家或地区的交易", "笔", "个自然日"),
    "new_account": ("新开账户后不久的交易", "笔", "个自然日"),
    "open_close": ("开户、销户", "次", "个自然日"),
    "out_of_profile": ("窗口内收付", "笔", "个自然日"),
    "dormant": ("长期闲置后重新启用的交易", "笔", "个自然日"),
    "periodic": ("周期性大额收付日的交易", "笔", "个自然日"),
    "baseline": ("窗口内交易（与以往相比）", "笔", "个自然日"),
}
STATE_CHOICES = [(str(s), STATE_NAMES[s]) for s in CaseState]
STATE_NAMES_BY_CODE = {str(k): v for k, v in STATE_NAMES.items()}


def mask(value: Any, keep_start: int = 3, keep_end: int = 4) -> str:
    """An ID or account number with its middle hidden: 3501********1234."""
    text = "" if value is None else str(value)
    if len(text) <= keep_start + keep_end:
        return "*" * len(text)
    return text[:keep_start] + "*" * (len(text) - keep_start - keep_end) + text[-keep_end:]


def money(value: Any) -> str:
    """12,345.67, or 35,768.191 where the third decimal is not zero: the amount as the
    contract keeps it (to the thousandth), the same on screen as in the PDF and the XML."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if number != number.quantize(Decimal("0.01")):
        return f"{number:,.3f}"
    return f"{number:,.2f}"


def day(value: Any) -> str:
    """A date, or a time of the bank's data (booked at: China local time, as the contract
    has it) as it is; a time with a zone in Beijing time."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(BEIJING)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def clock(value: Any) -> str:
    """A time the product's own clock wrote (a history or audit entry: `datetime.now()`, the
    server's local time, no zone) in Beijing time."""
    if isinstance(value, dt.datetime):
        return day(value if value.tzinfo else value.astimezone())
    return day(value)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def hours(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} 小时" if value < 48 else f"{value / 24:.1f} 天"


def action_name(code: Any) -> str:
    """A history or audit action in words; one no table holds shows its code and says so."""
    text = "" if code is None else str(code)
    return labels.ACTIONS.get(text) or f"{text}{labels.UNKNOWN}"


def branch(code: Any, names: Mapping[str, str] | None = None) -> str:
    """A branch by its code and name: B001 北京分行营业部 (the code alone where it has none)."""
    text = "" if code is None else str(code)
    name = (names or {}).get(text)
    return f"{text} {name}" if name else text


def person(username: Any, people: Mapping[str, str]) -> str:
    """A user by name, the login beside it: 张三（liaison1）; the night's jobs as 系统."""
    text = "" if username is None else str(username)
    if text == "system":
        return "系统（自动）"
    name = people.get(text)
    return f"{name}（{text}）" if name and name != text else text


_WHY = {
    "rule": "按规则轮派", "approver": "审批人分派", "taken": "联络员认领",
    "released": "人员或机构变动，退回未分配",
}  # fmt: skip
_SEARCHED = {"name": "按客户名称", "customer": "按客户号", "id": "按证件号码", "account": "按账号"}


CHANGE_KINDS = labels.ACCESS_CHANGES  # an access request's kind, in the audit trail


def _value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "":
        return "—"
    if key in ("state", "status") and str(value) in STATE_NAMES_BY_CODE:
        return STATE_NAMES_BY_CODE[str(value)]
    if key == "crime_types" and isinstance(value, list | tuple):
        return "、".join(
            f"{c} {labels.CRIME_TYPE_NAMES.get(str(c), labels.UNKNOWN)}" for c in value
        )
    if key == "what" and str(value) in labels.DOWNLOADS:
        return labels.DOWNLOADS[str(value)]
    if key == "role" and str(value) in ROLE_NAMES:
        return ROLE_NAMES[Role(str(value))]
    if key == "why" and str(value) in _WHY:
        return _WHY[str(value)]
    if key == "kind" and str(value) in _SEARCHED:
        return _SEARCHED[str(value)]
    if key == "kind" and str(value) in CHANGE_KINDS:
        return CHANGE_KINDS[str(value)]
    if key == "urgency" and str(value) in URGENCY:
        return f"{value} {URGENCY[str(value)]}"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


_PEOPLE_KEYS = frozenset({"to", "before", "user", "assignee", "by"})  # hold a login


def detail_text(detail: Mapping[str, Any] | None, people: Mapping[str, str] | None = None) -> str:
    """What an action's record holds, in words: 状态：审查中；暂停监测中：否; a person by
    name (张三（liaison1）), a note added by its number (调查记录：第 1 条)."""
    parts = []
    for key, value in (detail or {}).items():
        if key == "note" and isinstance(value, int) and not isinstance(value, bool):
            parts.append(f"调查记录：第 {value} 条")
        elif key in _PEOPLE_KEYS and people is not None and value:
            parts.append(f"{labels.EVENT_FIELDS.get(key, key)}：{person(value, people)}")
        else:
            parts.append(f"{labels.EVENT_FIELDS.get(key, key)}：{_value(key, value)}")
    return "；".join(parts)


_TARGETS = {
    "case": "案件", "user": "用户", "alert": "预警", "submission": "报送文件", "large-value": "大额交易",
    "rating": "评级复核", "rating-night": "评级（营业日）",
}  # fmt: skip


def target_name(target: Any) -> str:
    """What an audit entry is about: case:12 → 案件 12."""
    text = "" if target is None else str(target)
    kind, _, key = text.partition(":")
    if kind in _TARGETS:
        return f"{_TARGETS[kind]} {key}".strip()
    return {"audit": "审计日志", "work-report": "工作报告", "large-value": "大额交易"}.get(
        text, text
    )


def label(code: Any, kind: str) -> str:
    """A code with its label from the spec's or the product's table: `entity 单位`."""
    return labels.labelled(kind, code)


FILTERS = {
    "label": label,
    "target_name": target_name,
    "action_name": action_name,
    "person": person,
    "detail_text": detail_text,
    "branch": branch,
    "mask": mask,
    "money": money,
    "day": day,
    "clock": clock,
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
    "assign": "经办人已更新", "note": "调查记录已保存", "queue-empty": "队列中已没有其他案件",
    "assignment": "分派方式已保存",
    "screening-start": "已开始核实", "screening-propose": "结论已提交，待另一人复核",
    "screening-decide": "已复核（确认命中的已立即冻结或停止业务）", "screening-reported": "报告已登记",
    "rating-propose": "评定意见已提交，待另一名审批人复核", "rating-decide": "已复核（确认的等级已生效）",
    "rating-request": "已发起重新评级",
}  # fmt: skip

GLOBALS = {
    "STATE_NAMES": STATE_NAMES_BY_CODE,
    "ROLE_NAMES": {str(k): v for k, v in ROLE_NAMES.items()},
    "DEADLINE_NAMES": DEADLINE_NAMES,
    "LEG_NAMES": LEG_NAMES,
    "MEASURE_NAMES": MEASURE_NAMES,
    "FAMILY_NAMES": FAMILY_NAMES,
    "URGENCY": URGENCY,
    "DIRECTIONS": DIRECTIONS,
    "STATE_CHOICES": STATE_CHOICES,
    "QUEUES": {"mine": "我的待办", "none": "未分配", "": "全部"},
}
