"""Slow, obviously correct reference implementations the fast code is checked against."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from amlwatch.rules import RulePack


@dataclass(frozen=True)
class NaiveTxn:
    """What the large-value rule looks at in one transaction."""

    txn_id: str
    customer_id: str
    customer_type: str
    trade_date: object
    direction: str
    currency: str
    is_cash: bool
    is_cross_border: bool
    amount_cny: Decimal
    amount_usd: Decimal
    exemption_code: str | None
    counterparty_is_government: bool | None


def _in_scope(scope: str, t: NaiveTxn) -> bool:
    if scope == "cash":
        return t.is_cash
    if scope == "transfer":
        return not t.is_cash
    if scope == "domestic_transfer":
        return not t.is_cash and not t.is_cross_border
    if scope == "cross_border_transfer":
        return not t.is_cash and t.is_cross_border
    raise ValueError(scope)


def large_value_hits(txns: Iterable[NaiveTxn], pack: RulePack) -> set[tuple[str, str]]:
    """(txn_id, characteristic code) of every large-value hit, by the rule's plain words."""
    rule = pack.large_value
    counted = [
        t
        for t in txns
        if not (t.exemption_code and t.exemption_code in rule.exemption_codes)
        and not (rule.government_counterparty_exempt and t.counterparty_is_government)
        and not (rule.rmb_only and t.currency != "CNY")
    ]
    hits: set[tuple[str, str]] = set()
    for c in rule.characteristics:
        groups: dict[tuple, list[NaiveTxn]] = defaultdict(list)
        for t in counted:
            if t.customer_type in c.customer_types and _in_scope(c.scope, t):
                rmb = t.currency == "CNY"
                key = (t.customer_id, t.trade_date, t.direction, rmb)
                groups[key if rule.cumulate_same_day else (*key, t.txn_id)].append(t)
        for (_, _, _, rmb, *_), members in groups.items():
            if rmb:
                total, threshold = sum(m.amount_cny for m in members), c.threshold_cny
            else:
                if c.threshold_usd is None:
                    continue
                total, threshold = sum(m.amount_usd for m in members), c.threshold_usd
            if total >= threshold:
                hits.update((m.txn_id, c.code) for m in members)
    return hits
