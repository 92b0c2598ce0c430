"""Alerts with evidence, as the nightly intake hands them to the case store."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import pairwise
from typing import Any

from amlwatch.cases import AlertEvidence, CaseStore
from amlwatch.cases import repository as repo
from amlwatch.cases.snapshot import decode


def alert_evidence(
    alert_id: str,
    customer: str = "C000001",
    branch: str = "B001",
    rule: str = "0101",
    scan_date: dt.date = dt.date(2026, 9, 29),
    legs: int = 3,
    amount: str = "50000.000",
    parties: str = "62220200000099",  # the counterparties' accounts: this and a number
    family: str | None = None,  # a standard of another family than scatter / concentrate
    txn_prefix: str | None = None,  # the evidence's txn ids (alerts of one case may share)
) -> AlertEvidence:
    start = scan_date - dt.timedelta(days=13)
    evidence = []
    for i in range(legs):
        booked = dt.datetime.combine(start, dt.time(9, 0)) + dt.timedelta(hours=i)
        direction = "01" if i < legs - 1 else "02"
        evidence.append(
            {
                "alert_id": alert_id,
                "leg": "window" if family else "scattered" if direction == "01" else "concentrated",
                "txn_id": f"T{txn_prefix or alert_id[-4:]}{i:04d}",
                "booked_at": booked,
                "customer_id": customer,
                "customer_name": "张三",
                "id_type": "110001",
                "id_number": "350102199001011238",
                "account_id": "6222020000001234",
                "direction_code": direction,
                "currency": "CNY",
                "amount": Decimal(amount),
                "amount_cny": Decimal(amount),
                "tx_method": "000030",
                "channel": "网银",
                "counterparty_name": f"对手{i}",
                "counterparty_account": f"{parties}{i:02d}",
            }
        )
    total_in = sum(Decimal(e["amount_cny"]) for e in evidence if e["direction_code"] == "01")
    total_out = sum(Decimal(e["amount_cny"]) for e in evidence if e["direction_code"] == "02")
    alert = {
        "alert_id": alert_id,
        "rule_code": rule,
        "rule_name": "分散转入集中转出" if rule == "0101" else "集中转入分散转出",
        "customer_id": customer,
        "customer_name": "张三",
        "customer_type": "individual",
        "branch_code": branch,
        "window_start": start,
        "window_end": scan_date,
        "first_scan_date": scan_date,
        "last_scan_date": scan_date,
        "score": 1.5,
        "in_total": total_in,
        "in_count": legs - 1,
        "in_parties": legs - 1,
        "out_total": total_out,
        "out_count": 1,
        "out_parties": 1,
        "through_flow": Decimal("0.9"),
        "follow_share": Decimal("0.8"),
        "evidence_count": legs,
        "narrative": "草稿",
        "status": "new",
    }
    if family:
        alert |= {
            "rule_name": f"{family}标准",
            "family": family,
            "measure_count": legs,
            "measure_total": total_in + total_out,
            "measure_days": 1,
            "window_business_days": 10,
            "nights": 1,
            "narrative": f"【资金交易及客户行为情况】{rule}的交易特征【疑点分析】{rule}的疑点",
        }
    subject = {
        "customer_id": customer,
        "name": "张三",
        "id_type": "110001",
        "id_number": "350102199001011238",
        "branch_code": branch,
    }
    # the BSTR's shape: the transaction with its account and customer
    detail = [
        {
            **e,
            "direction": "in" if e["direction_code"] == "01" else "out",
            "amount_usd": (e["amount_cny"] / Decimal("7.1")).quantize(Decimal("0.001")),
            "counterparty_bank_code_type": None,
            "account_type": "120001",
            "report_branch": branch,
            "trade_date": e["booked_at"].date(),
        }
        for e in evidence
    ]
    return AlertEvidence(alert, [subject], evidence, detail, "特征描述草稿", "疑点分析草稿")


def resident_id(serial: str) -> str:
    """A resident ID number (born 1990-01-01, its check character right) ending in `serial`."""
    first = f"35010219900101{serial[-3:]:0>3}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first + "10X98765432"[sum(int(d) * w for d, w in zip(first, weights, strict=True)) % 11]


def structure_evidence(
    structure_id: str,
    members: list[tuple[str, str, str]],  # (customer, role, branch) along the path
    rule: str = "AMLW-NW-0101",
    scan_date: dt.date = dt.date(2026, 9, 29),
    amount: str = "80000.000",
    shape: str = "chain",
) -> AlertEvidence:
    """A network structure as `stages.group_cases.structure_items` hands it over: money
    relayed along `members` in their order, one transfer a day."""
    start = scan_date - dt.timedelta(days=13)
    names = {c: f"成员{c[-3:]}" for c, _, _ in members}
    edges, evidence, detail = [], [], []
    for step, ((payer, _, branch), (payee, _, _)) in enumerate(pairwise(members)):
        booked = dt.datetime.combine(start + dt.timedelta(days=step), dt.time(10, 0))
        txn = f"T{structure_id[-6:]}{step:02d}"
        money = Decimal(amount) - step * 1000
        edges.append({"step": step, "business_date": booked.date(), "txn_id": txn,
                      "booked_at": booked, "payer_customer": payer,
                      "payer_account": f"62220{payer[-6:]}01", "payee_customer": payee,
                      "payee_account": f"62220{payee[-6:]}01", "amount_cny": money})  # fmt: skip
        row = {"alert_id": structure_id, "leg": "window", "txn_id": txn, "booked_at": booked,
               "customer_id": payer, "customer_name": names[payer], "id_type": "110001",
               "id_number": resident_id(payer), "account_id": f"62220{payer[-6:]}01",
               "direction_code": "02", "currency": "CNY", "amount": money, "amount_cny": money,
               "tx_method": "000030", "channel": "网银", "counterparty_name": names[payee],
               "counterparty_account": f"62220{payee[-6:]}01"}  # fmt: skip
        evidence.append(row)
        detail.append(row | {"direction": "out", "account_type": "120001",
                             "amount_usd": (money / Decimal("7.1")).quantize(Decimal("0.001")),
                             "counterparty_bank_code_type": None, "report_branch": branch,
                             "trade_date": booked.date()})  # fmt: skip
    people = []
    for customer, role, branch in members:
        sent = sum((e["amount_cny"] for e in edges if e["payer_customer"] == customer), Decimal(0))
        got = sum((e["amount_cny"] for e in edges if e["payee_customer"] == customer), Decimal(0))
        people.append({"customer_id": customer, "role": role, "name": names[customer],
                       "customer_type": "individual", "branch_code": branch,
                       "received_cny": got, "sent_cny": sent})  # fmt: skip
    structure = {"structure_id": structure_id, "shape": shape, "score": 60.0,
                 "edge_count": len(edges), "member_count": len(people), "shared_members": 0,
                 "account_count": len(people), "new_accounts": 0, "rule_pack": "pboc-2016@2016.3",
                 "members": people, "edges": edges}  # fmt: skip
    first = people[0]
    alert = {
        "alert_id": structure_id, "rule_code": rule, "rule_name": f"{shape}标准", "family": shape,
        "customer_id": first["customer_id"], "customer_name": f"{first['name']}等{len(people)}名客户（团伙）",
        "customer_type": "individual", "branch_code": first["branch_code"],
        "window_start": start, "window_end": scan_date, "first_scan_date": scan_date,
        "last_scan_date": scan_date, "score": 60.0, "in_total": edges[0]["amount_cny"],
        "out_total": edges[-1]["amount_cny"], "evidence_count": len(edges),
        "members": len(people), "rule_pack": "pboc-2016@2016.3", "standard_status": "in_force",
        "status": "new",
        "narrative": f"【资金交易及客户行为情况】{structure_id}的路径【疑点分析】{structure_id}的疑点",
    }  # fmt: skip
    subjects = [{"customer_id": c, "name": names[c], "id_type": "110001",
                 "id_number": resident_id(c), "branch_code": b}
                for c, _, b in members]  # fmt: skip
    return AlertEvidence(alert, subjects, evidence, detail, f"{structure_id}的路径",
                         f"{structure_id}的疑点", structure)  # fmt: skip


def content_of(store: CaseStore, case_id: int) -> dict[str, Any]:
    """A case's newest evidence version, decoded."""
    with store.read() as con:
        case = repo.case_by_id(con, case_id)
        assert case is not None
        snap = repo.snapshot(con, case_id, case.snapshot_version)
    assert snap is not None
    return decode(snap[1])  # type: ignore[no-any-return]
