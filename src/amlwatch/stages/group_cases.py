"""Network structures become group cases (团伙): one case per structure the standards in force
found, its member customers all subjects of the case (and of its report, one SEIF each) with
their roles, its transfers the evidence, and a draft narrative that names the path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from amlwatch.cases import AlertEvidence
from amlwatch.labels import STRUCTURE_ROLES
from amlwatch.models import DRAFT_MARKERS
from amlwatch.rules import FAMILY_NAMES
from amlwatch.stages.evidence import evidence_row, without_load
from amlwatch.submission.messages import split_narrative
from amlwatch.warehouse import Warehouse
from amlwatch.warehouse import network as wh_network
from amlwatch.warehouse import submission as wh_submission

# what each shape's money did, in the narrative's words
_MOVEMENT = {
    "chain": "资金在成员之间逐户链式转移",
    "cycle": "资金经多名成员转移后回流至原客户",
    "scatter_gather": "资金由来源客户分散转给多名中转客户后，再集中汇入同一去向客户",
    "gather_scatter": "资金由多名来源客户集中转入同一中转客户后，再分散转给多名去向客户",
    "fan_in": "多名来源客户的资金集中转入同一中转客户后，随即整笔转给去向客户",
    "fan_out": "中转客户收到来源客户的整笔资金后，随即分散转给多名去向客户",
    "bipartite": "多名来源客户在短时间内分别向多名去向客户交叉转账",
    "stack": "资金由多名来源客户交叉转给多名中转客户，再由中转客户交叉转给多名去向客户",
}


def structure_items(warehouse: Warehouse, scan_dates: Sequence[dt.date]) -> list[AlertEvidence]:
    """The in-force network structures found on those nights, each as the intake takes an
    alert: the structure as its alert, every member's customer row as a subject, the
    transfers (the payers' records) as evidence."""
    hits = wh_network.structures_of_run(warehouse, list(scan_dates))
    if not hits:
        return []
    ids = sorted({str(m["customer_id"]) for h in hits for m in h["members"]})
    people = {str(c["customer_id"]): c for c in wh_submission.customers_by_id(warehouse, ids)}
    detail = {
        str(r["txn_id"]): without_load(r)
        for r in wh_submission.transfer_detail_rows(
            warehouse,
            [str(e["txn_id"]) for h in hits for e in h["edges"]],
            min(h["window_start"] for h in hits),
            max(h["window_end"] for h in hits),
        )
    }
    items = []
    for hit in hits:
        sid = str(hit["structure_id"])
        subjects = [
            without_load(people[c])
            for c in dict.fromkeys(str(m["customer_id"]) for m in hit["members"])
            if c in people
        ]
        rows = [detail[str(e["txn_id"])] | {"alert_id": sid, "leg": "window"} for e in hit["edges"]]
        rows = [r for r in rows if r.get("customer_id") is not None]
        evidence = [evidence_row(r) for r in rows]
        structure = _structure(hit, people)
        alert = _alert(hit, structure)
        stcb, aosp = split_narrative(str(alert["narrative"]))
        items.append(AlertEvidence(alert, subjects, evidence, rows, stcb, aosp, structure))
    return items


def _structure(hit: dict[str, Any], people: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What the case page draws and lists: the figures, members (with name and branch) and
    transfers of the structure."""
    members = []
    for m in hit["members"]:
        person = people.get(str(m["customer_id"]), {})
        members.append(
            {
                "customer_id": str(m["customer_id"]),
                "role": str(m["role"]),
                "name": str(person.get("name") or ""),
                "customer_type": person.get("customer_type"),
                "branch_code": person.get("branch_code"),
                "received_cny": m["received_cny"],
                "sent_cny": m["sent_cny"],
            }
        )
    keep = ("step", "business_date", "txn_id", "booked_at", "payer_customer", "payer_account",
            "payee_customer", "payee_account", "amount_cny")  # fmt: skip
    figures = ("structure_id", "shape", "score", "edge_count", "member_count", "shared_members",
               "account_count", "new_accounts", "rule_pack")  # fmt: skip
    return {k: hit[k] for k in figures} | {
        "members": members,
        "edges": [{k: e[k] for k in keep} for e in hit["edges"]],
    }


def _alert(hit: dict[str, Any], structure: dict[str, Any]) -> dict[str, Any]:
    """The structure as the case's alert: its first source (or origin) is the case's
    customer; the totals are what its sources paid in and its sinks received."""
    members = structure["members"]
    first = members[0]
    sent_in = sum((m["sent_cny"] for m in members if m["role"] in ("source", "origin")), Decimal(0))
    out = sum((m["received_cny"] for m in members if m["role"] in ("sink", "origin")), Decimal(0))
    name = first["name"] or first["customer_id"]
    return {
        "alert_id": str(hit["structure_id"]),
        "rule_code": str(hit["rule_code"]),
        "rule_name": str(hit.get("rule_name") or FAMILY_NAMES.get(str(hit["shape"]), "")),
        "family": str(hit["shape"]),
        "customer_id": first["customer_id"],
        "customer_name": f"{name}等{len(members)}名客户（团伙）",
        "customer_type": first["customer_type"],
        "branch_code": first["branch_code"] or "-",
        "window_start": hit["window_start"],
        "window_end": hit["window_end"],
        # the night it was first found: the same transfers found again change nothing
        "first_scan_date": hit["first_scan_date"],
        "last_scan_date": hit["first_scan_date"],
        "score": float(hit["score"]),
        "in_total": sent_in,
        "out_total": out,
        "evidence_count": int(hit["edge_count"]),
        "members": len(members),
        "rule_pack": hit["rule_pack"],
        "standard_status": hit["standard_status"],
        "status": "new",
        "narrative": structure_narrative(hit, structure),
    }


def structure_narrative(hit: dict[str, Any], structure: dict[str, Any]) -> str:
    """A draft of the report's STCB / AOSP for a group case, naming every member by role."""
    members, edges = structure["members"], structure["edges"]

    def who(role: str) -> str:
        return "、".join(
            f"{m['name'] or '（名称未知）'}（客户号{m['customer_id']}）"
            for m in members
            if m["role"] == role
        )

    parts = [f"{who(r)}（{STRUCTURE_ROLES[r]}）" for r in STRUCTURE_ROLES if who(r)]
    total = sum((Decimal(e["amount_cny"]) for e in edges), Decimal(0))
    span = f"{hit['window_start']:%Y年%m月%d日}至{hit['window_end']:%Y年%m月%d日}"
    first, last = edges[0], edges[-1]
    shape = str(hit["shape"])
    return (
        f"【资金交易及客户行为情况】{span}期间，本行{len(members)}名客户之间发生行内转账"
        f"{len(edges)}笔，合计{total:,.2f}元，{_MOVEMENT.get(shape, '资金在成员之间转移')}："
        f"{'；'.join(parts)}。首笔{Decimal(first['amount_cny']):,.2f}元"
        f"（{first['booked_at']:%Y年%m月%d日%H时%M分}），末笔{Decimal(last['amount_cny']):,.2f}元"
        f"（{last['booked_at']:%Y年%m月%d日%H时%M分}），每一笔在上一笔到账后不久即转出，"
        f"金额基本相当。"
        f"【疑点分析】资金在多名客户之间快速过渡、金额基本守恒，{FAMILY_NAMES.get(shape, '')}；"
        f"{hit['shared_members']}名成员与其他成员共用电话、地址或交易设备，{hit['new_accounts']}个账户在首笔"
        f"转账前90日内开立。疑似利用多个客户账户分层转移资金，需结合各成员身份、职业或经营范围、"
        f"相互关系及资金来源{DRAFT_MARKERS[1]}。（{DRAFT_MARKERS[0]}，监测标准{hit['rule_code']}，"
        f"规则包{hit['rule_pack']}，结构{hit['structure_id']}）"
    )
