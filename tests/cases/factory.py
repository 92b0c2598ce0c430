"""Alerts with evidence, as the nightly intake hands them to the case store."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from amlwatch.cases import AlertEvidence


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
