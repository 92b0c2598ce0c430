"""The draft narrative of an alert: the report's STCB / AOSP fields
(资金交易及客户行为情况 / 疑点分析), written from the alert's metrics for a liaison to edit."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from amlwatch.models import DRAFT_MARKERS


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f}元"


def narrative(alert: dict[str, Any], scattered: str) -> str:
    """A draft for the report's STCB / AOSP fields (资金交易及客户行为情况 / 疑点分析)."""
    subject = "账户" if alert["account_id"] else "客户"
    through = "该账户" if alert["account_id"] else "客户账户"  # funds pass through an account
    who = "对公客户" if alert["customer_type"] == "entity" else "个人客户"
    span = f"{alert['window_start']:%Y年%m月%d日}至{alert['window_end']:%Y年%m月%d日}"
    days = alert["window_business_days"]
    tops_in = "、".join(t["name"] or "（名称未知）" for t in json.loads(alert["top_in"])[:3])
    tops_out = "、".join(t["name"] or "（名称未知）" for t in json.loads(alert["top_out"])[:3])
    flow = alert["through_flow"]
    ratio = f"{flow * 100:.1f}%" if flow is not None else "—"
    if scattered == "in":
        movement = (
            f"自{alert['in_parties']}个不同交易对手分散转入资金{alert['in_count']}笔，"
            f"合计{_yuan(alert['in_total'])}（主要来源：{tops_in}）；"
            f"随后集中转出至{alert['out_parties']}个交易对手{alert['out_count']}笔，"
            f"合计{_yuan(alert['out_total'])}（主要去向：{tops_out}）"
        )
        point = "资金分散转入、集中转出"
    else:
        movement = (
            f"自{alert['in_parties']}个交易对手集中转入资金{alert['in_count']}笔，"
            f"合计{_yuan(alert['in_total'])}（主要来源：{tops_in}）；"
            f"随后分散转出至{alert['out_parties']}个不同交易对手{alert['out_count']}笔，"
            f"合计{_yuan(alert['out_total'])}（主要去向：{tops_out}）"
        )
        point = "资金集中转入、分散转出"
    follow = alert["follow_share"]
    after = f"{follow * 100:.0f}%" if follow is not None else "—"
    return (
        f"【资金交易及客户行为情况】该{who}（客户号{alert['customer_id']}）在{span}期间"
        f"（以{days}个工作日为监测窗口），{movement}。转出金额占转入金额的{ratio}，"
        f"其中{after}的转出发生在窗口内首笔转入之后，资金快进快出、过渡性特征明显。"
        f"【疑点分析】短期内{point}，交易对手数量与资金规模与{subject}的一般交易习惯不符，"
        f"疑似利用{through}过渡资金，需结合客户身份、职业或经营范围及资金来源{DRAFT_MARKERS[1]}。"
        f"（{DRAFT_MARKERS[0]}，监测标准{alert['rule_code']}，规则包{alert['rule_pack']}，"
        f"连续{alert['nights']}个监测日命中）"
    )


def _count_sentence(alert: dict[str, Any]) -> str:
    return (
        f"转入{alert['in_count']}笔合计{_yuan(alert['in_total'])}，"
        f"转出{alert['out_count']}笔合计{_yuan(alert['out_total'])}"
    )


# each family's movement sentence (from the alert's measure) and its suspicion point
_FAMILY_TEXT = {
    "pass_through": (
        lambda a: (
            f"其中{a['measure_count']}笔转出发生在当日转入后数小时内，合计"
            f"{_yuan(a['measure_total'])}，分布在{a['measure_days']}个交易日，期末余额所剩无几"
        ),
        "资金快进快出、不留余额",
    ),
    "structuring": (
        lambda a: (
            f"其中{a['measure_count']}笔金额略低于大额交易报告标准，合计"
            f"{_yuan(a['measure_total'])}，分布在{a['measure_days']}个交易日"
        ),
        "交易金额刻意低于报告标准，化整为零、拆分交易",
    ),
    "same_party": (
        lambda a: (
            f"与{a['measure_count']}个相同交易对手之间往来收付频繁，合计"
            f"{_yuan(a['measure_total'])}（主要对手：{_names(a)}）"
        ),
        "相同收付款人之间短期内频繁发生资金收付",
    ),
    "night": (
        lambda a: (
            f"其中{a['measure_count']}笔大额交易发生在非营业时间（夜间），合计"
            f"{_yuan(a['measure_total'])}，分布在{a['measure_days']}个自然日"
        ),
        "非营业时间频繁发生大额交易",
    ),
    "cash": (
        lambda a: (
            f"其中现金收付{a['measure_count']}笔，合计{_yuan(a['measure_total'])}，"
            f"分布在{a['measure_days']}个自然日"
        ),
        "短期内大额现金收付，现金使用与客户身份不符",
    ),
    "risk_region": (
        lambda a: (
            f"其中{a['measure_count']}笔交易的对手位于高风险国家或地区，合计"
            f"{_yuan(a['measure_total'])}，分布在{a['measure_days']}个自然日"
        ),
        "与高风险国家和地区之间资金往来频繁",
    ),
    "new_account": (
        lambda a: (
            f"其中新开账户后不久即发生交易{a['measure_count']}笔，合计"
            f"{_yuan(a['measure_total'])}，分布在{a['measure_days']}个自然日"
        ),
        "新开账户短期内发生大额资金收付",
    ),
    "dormant": (
        lambda a: (
            f"其中长期未动户的账户重新启用后不久即发生交易{a['measure_count']}笔，合计"
            f"{_yuan(a['measure_total'])}，分布在{a['measure_days']}个自然日"
        ),
        "长期闲置的账户原因不明地突然启用，且短期内出现大量资金收付",
    ),
    "periodic": (
        lambda a: (
            f"其中大额资金收付按相近的间隔周期性发生，本窗口内落在周期上的交易{a['measure_count']}"
            f"笔，合计{_yuan(a['measure_total'])}，分布在{a['measure_days']}个自然日"
        ),
        "周期性发生大量资金收付，与其性质、业务特点明显不符",
    ),
    "baseline": (
        lambda a: (
            f"窗口内交易{a['measure_count']}笔，合计{_yuan(a['measure_total'])}，分布在"
            f"{a['measure_days']}个自然日，日均收付金额远高于该客户以往的日均水平"
        ),
        "资金收付频率及金额与客户以往交易明显不符",
    ),
    "out_of_profile": (
        lambda a: (
            f"窗口内资金收付{a['measure_count']}笔，合计{_yuan(a['measure_total'])}，分布在"
            f"{a['measure_days']}个自然日，远超其申报的收入（个人）或注册资本（单位）所能解释的规模"
        ),
        "资金收付金额与客户身份、收入或经营规模明显不符",
    ),
    "open_close": (
        lambda a: (
            f"其间开户、销户共{a['measure_count']}次，分布在{a['measure_days']}个自然日，"
            f"同期账户收付合计{_yuan(a['measure_total'])}"
        ),
        "频繁开户、销户，且销户前后发生大量资金收付",
    ),
}


def _names(alert: dict[str, Any]) -> str:
    tops = json.loads(alert["top_in"])[:2] + json.loads(alert["top_out"])[:2]
    names = dict.fromkeys(t["name"] or "（名称未知）" for t in tops)
    return "、".join(names) or "—"


def family_narrative(alert: dict[str, Any], standard_name: str) -> str:
    """A draft for the report's STCB / AOSP fields for a standard of another family than
    scatter / concentrate, from its measure."""
    movement, point = _FAMILY_TEXT[alert["family"]]
    who = "对公客户" if alert["customer_type"] == "entity" else "个人客户"
    subject = "账户" if alert["account_id"] else "客户"
    span = f"{alert['window_start']:%Y年%m月%d日}至{alert['window_end']:%Y年%m月%d日}"
    return (
        f"【资金交易及客户行为情况】该{who}（客户号{alert['customer_id']}）在{span}期间"
        f"（以{alert['window_business_days']}个工作日为监测窗口），{_count_sentence(alert)}，"
        f"{movement(alert)}。"
        f"【疑点分析】{point}（{standard_name}），与{subject}的身份、职业或经营规模及一般交易"
        f"习惯不符，需结合客户身份、资金来源及用途{DRAFT_MARKERS[1]}。"
        f"（{DRAFT_MARKERS[0]}，监测标准{alert['rule_code']}，规则包{alert['rule_pack']}，"
        f"连续{alert['nights']}个监测日命中）"
    )
