"""Slow, obviously correct reference implementations the fast code is checked against."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any

from amlwatch.rules import RulePack, SuspiciousRule


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
    counter_currency: str | None = None
    initiated_by: str | None = None
    to_own_account: bool = False  # the counterparty account is another of the customer's here
    customer_is_state_organ: bool = False


def is_exempt(t: NaiveTxn, rule: Any) -> bool:
    """Article 7 by its words: a state-organ party, or a claimed exemption whose conditions
    all hold (an unknown code exempts nothing)."""
    if rule.state_organ_party in ("either", "counterparty") and t.counterparty_is_government:
        return True
    if rule.state_organ_party == "either" and t.customer_is_state_organ:
        return True
    claimed = dict(rule.aliases).get(t.exemption_code or "", t.exemption_code)
    for item in rule.exemptions:
        if item.code != claimed or t.customer_type not in item.customer_types:
            continue
        if item.currencies == "foreign_to_foreign" and not (
            t.currency != "CNY" and t.counter_currency not in (None, "", "CNY", t.currency)
        ):
            continue
        if item.counterparty == "own_account" and not t.to_own_account:
            continue
        if item.initiated_by == "institution" and t.initiated_by != "institution":
            continue
        return True
    return False


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
        t for t in txns if not is_exempt(t, rule) and not (rule.rmb_only and t.currency != "CNY")
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


@dataclass(frozen=True)
class NaiveFlow:
    """What the scatter / concentrate rule looks at in one transaction."""

    txn_id: str
    subject: str
    entity: bool
    booked_at: dt.datetime
    direction: str  # in | out
    amount_cny: Decimal
    party: str | None
    cash: bool = False
    risky: bool = False  # the counterparty is in a high-risk region
    opened: dt.date | None = None  # the subject's newest account's opening day
    # the subject's accounts' openings and closings: (day, "opened" | "closed")
    events: tuple[tuple[dt.date, str], ...] = ()
    # what the subject declared: an individual's annual income, an entity's registered capital
    declared: Decimal | None = None
    # the days the subject moved money before these flows (as far back as known)
    active: tuple[dt.date, ...] = ()
    # the subject's day totals before these flows (a day may come in parts)
    past: tuple[tuple[dt.date, Decimal], ...] = ()
    # the first day the warehouse knew the subject's customer
    known: dt.date | None = None


@dataclass(frozen=True)
class NaiveWindow:
    """One subject's window ending on one day, and which standards it matches."""

    in_total: Decimal
    in_count: int
    in_parties: int
    out_total: Decimal
    out_count: int
    out_parties: int
    out_after_first_in: Decimal
    scatter_in: bool
    scatter_out: bool
    txn_ids: frozenset[str]


def _pattern_holds(
    scattered: int, concentrated: int, w_in: Decimal, w_out: Decimal, after: Decimal, t: Any
) -> bool:
    return (
        scattered >= t.min_scattered_parties
        and 1 <= concentrated <= t.max_concentrated_parties
        and w_in > 0
        and w_out > 0
        and w_in >= t.min_amount_cny
        and w_out >= t.min_amount_cny
        and t.through_flow_min <= w_out / w_in <= t.through_flow_max
        and after >= t.min_follow_share * w_out
    )


def pattern_windows(
    flows: Iterable[NaiveFlow],
    ends: Iterable[dt.date],
    window_start: Callable[[dt.date], dt.date],
    rule: SuspiciousRule,
) -> dict[tuple[str, dt.date], NaiveWindow]:
    """Every non-empty (subject, end day) window, by the rule's plain words."""
    flows = list(flows)
    found: dict[tuple[str, dt.date], NaiveWindow] = {}
    for subject in sorted({f.subject for f in flows}):
        mine = [f for f in flows if f.subject == subject]
        for end in ends:
            start = window_start(end)
            inside = [f for f in mine if start <= f.booked_at.date() <= end]
            if not inside:
                continue
            receipts = [f for f in inside if f.direction == "in"]
            payments = [f for f in inside if f.direction == "out"]
            w_in = sum((f.amount_cny for f in receipts), Decimal(0))
            w_out = sum((f.amount_cny for f in payments), Decimal(0))
            first_in = min((f.booked_at for f in receipts), default=None)
            after = sum(
                (
                    f.amount_cny
                    for f in payments
                    if first_in is not None and f.booked_at >= first_in
                ),
                Decimal(0),
            )
            n_in = len({f.party for f in receipts if f.party is not None})
            n_out = len({f.party for f in payments if f.party is not None})
            t = rule.thresholds["entity" if mine[0].entity else "individual"]
            found[(subject, end)] = NaiveWindow(
                in_total=w_in,
                in_count=len(receipts),
                in_parties=n_in,
                out_total=w_out,
                out_count=len(payments),
                out_parties=n_out,
                out_after_first_in=after,
                scatter_in=_pattern_holds(n_in, n_out, w_in, w_out, after, t),
                scatter_out=_pattern_holds(n_out, n_in, w_in, w_out, after, t),
                txn_ids=frozenset(f.txn_id for f in inside),
            )
    return found


def large_value_candidates(
    customer: Iterable[int],
    day: Iterable[int],
    counted: Iterable[bool],
    rmb: Iterable[bool],
    cny: Iterable[int],
    usd: Iterable[int],
    lowest_cny: int,
    lowest_usd: int,
) -> list[int]:
    """`scanners.large_value.candidate_rows`: the counted rows of every customer-day whose
    counted RMB total (in CNY) or foreign-currency total (in USD) reaches the lowest
    threshold of its class, ascending."""
    rows = list(zip(customer, day, counted, rmb, cny, usd, strict=True))
    totals: dict[tuple[int, int, bool], int] = defaultdict(int)
    for c, d, k, r, a_cny, a_usd in rows:
        if k:
            totals[(int(c), int(d), bool(r))] += int(a_cny if r else a_usd)
    return [
        i
        for i, (c, d, k, _, _, _) in enumerate(rows)
        if k
        and (
            totals.get((int(c), int(d), True), 0) >= lowest_cny
            or totals.get((int(c), int(d), False), 0) >= lowest_usd
        )
    ]


def row_order(subject: Iterable[int], ts: Iterable[int], out: Iterable[bool]) -> list[int]:
    """`scanners.patterns.pattern_order`: rows by subject, then time, receipts before
    payments at the same second; ties keep their given order."""
    keyed = list(zip(subject, ts, out, strict=True))
    return sorted(
        range(len(keyed)), key=lambda i: (int(keyed[i][0]), int(keyed[i][1]), bool(keyed[i][2]))
    )


def dense_codes(keys: Iterable[tuple[int, int] | None]) -> tuple[list[int], int]:
    """`scanners.encode.dense_codes` up to renumbering: equal keys share a code, distinct keys
    have distinct codes 0 .. n-1, a missing key (None) is -1. Here codes follow first
    appearance; the kernel's follow its partitions, so compare the partitions they induce."""
    seen: dict[tuple[int, int], int] = {}
    codes = []
    for key in keys:
        codes.append(-1 if key is None else seen.setdefault(key, len(seen)))
    return codes, len(seen)


# ------------------------------------------------------------------ monitoring-standard families


@dataclass(frozen=True)
class NaiveFamilyWindow:
    """One subject's window under one family: sums, the family's measure, whether it matched."""

    in_total: Decimal
    in_count: int
    out_total: Decimal
    out_count: int
    m_count: int
    m_total: Decimal
    m_days: int
    matched: bool
    txn_ids: frozenset[str]


def _seconds(at: dt.datetime) -> int:
    return at.hour * 3600 + at.minute * 60 + at.second


def _quick(f: NaiveFlow, mine: list[NaiveFlow], p: dict[str, Decimal]) -> bool:
    """A payment after the subject's latest receipt (receipts first at the same second, the
    later listed first among equal times), booked the same day, within the hours and the
    amount band of that receipt."""
    if f.direction != "out":
        return False
    before = [
        (r.booked_at, i)
        for i, r in enumerate(mine)
        if r.direction == "in" and r.booked_at <= f.booked_at
    ]
    if not before:
        return False
    r = mine[max(before)[1]]
    return (
        r.booked_at.date() == f.booked_at.date()
        and (f.booked_at - r.booked_at).total_seconds() <= p["hours"] * 3600
        and abs(f.amount_cny - r.amount_cny) <= p["pair_band"] * r.amount_cny
    )


def _near(f: NaiveFlow, p: dict[str, Decimal]) -> bool:
    if p["cash_only"] and not f.cash:
        return False
    return p["threshold_cny"] * (1 - p["band"]) <= f.amount_cny < p["threshold_cny"]


def _at_night(f: NaiveFlow, p: dict[str, Decimal]) -> bool:
    second, start, stop = _seconds(f.booked_at), p["night_from"], p["night_to"]
    inside = start <= second < stop if start < stop else (second >= start or second < stop)
    return inside and f.amount_cny >= p["min_single_cny"]


def _woken(f: NaiveFlow, mine: list[NaiveFlow], p: dict[str, Decimal]) -> bool:
    """At most wake_days after the subject's latest day that followed more than idle_days
    without a movement (its days before the flows, then its own)."""
    previous, wake = None, None
    days = {r.booked_at.date() for r in mine if r.booked_at.date() <= f.booked_at.date()}
    for day in sorted(days | set(mine[0].active)):
        if previous is not None and (day - previous).days > p["idle_days"]:
            wake = day
        previous = day
    return wake is not None and (f.booked_at.date() - wake).days <= p["wake_days"]


def _in_cycle(f: NaiveFlow, mine: list[NaiveFlow], p: dict[str, Decimal]) -> bool:
    """On a large day (its records at least day_floor_cny) that, with the subject's
    min_cycles - 1 large days before it, is spaced by gaps of min_gap_days to max_gap_days
    that differ by at most jitter_days."""
    totals: dict[dt.date, Decimal] = defaultdict(Decimal)
    for day, amount in mine[0].past:
        totals[day] += amount
    for r in mine:
        totals[r.booked_at.date()] += r.amount_cny
    today = f.booked_at.date()
    large = sorted(d for d, t in totals.items() if t >= p["day_floor_cny"] and d <= today)
    cycles = int(p["min_cycles"])
    if not large or large[-1] != today or len(large) < cycles:
        return False
    run = large[-cycles:]
    gaps = [(b - a).days for a, b in pairwise(run)]
    return (
        all(p["min_gap_days"] <= g <= p["max_gap_days"] for g in gaps)
        and max(gaps) - min(gaps) <= p["jitter_days"]
    )


def _beyond_its_past(
    mine: list[NaiveFlow],
    start: dt.date,
    end: dt.date,
    p: dict[str, Decimal],
    count: int,
    total: Decimal,
) -> bool:
    """The window's daily average at least `multiple` times its past's: the days from
    max(start - baseline_days, the day its customer was first known) to the day before
    the window, at least min_known_days of them and min_active_days holding a record."""
    known = mine[0].known
    if known is None:
        return False
    first = max(start - dt.timedelta(days=int(p["baseline_days"])), known)
    days = (start - first).days
    past = [(d, a) for d, a in mine[0].past if first <= d < start] + [
        (f.booked_at.date(), f.amount_cny) for f in mine if first <= f.booked_at.date() < start
    ]
    before = sum((a for _, a in past), Decimal(0))
    return (
        days >= p["min_known_days"]
        and len({d for d, _ in past}) >= p["min_active_days"]
        and count >= p["min_count"]
        and total >= p["min_total_cny"]
        and total * days >= p["multiple"] * before * ((end - start).days + 1)
    )


def _marked(family: str, f: NaiveFlow, mine: list[NaiveFlow], p: dict[str, Decimal]) -> bool:
    if family == "dormant":
        return _woken(f, mine, p)
    if family == "periodic":
        return _in_cycle(f, mine, p)
    if family == "pass_through":
        return _quick(f, mine, p)
    if family == "new_account":
        age = None if f.opened is None else (f.booked_at.date() - f.opened).days
        return age is not None and 0 <= age <= p["max_age_days"]
    if family in ("cash", "risk_region"):
        flagged = f.cash if family == "cash" else f.risky
        return flagged and f.amount_cny >= p["min_single_cny"]
    return _near(f, p) if family == "structuring" else _at_night(f, p)


def family_windows(
    family: str,
    params: dict[str, dict[str, Decimal]],
    flows: Iterable[NaiveFlow],
    ends: Iterable[dt.date],
    window_start: Callable[[dt.date], dt.date],
) -> dict[tuple[str, dt.date], NaiveFamilyWindow]:
    """Every non-empty (subject, end day) window under a family, by the standard's words."""
    flows = list(flows)
    found: dict[tuple[str, dt.date], NaiveFamilyWindow] = {}
    for subject in sorted({f.subject for f in flows}):
        mine = [f for f in flows if f.subject == subject]
        p = params.get("entity" if mine[0].entity else "individual")
        for end in ends:
            start = window_start(end)
            inside = [f for f in mine if start <= f.booked_at.date() <= end]
            if not inside:
                continue
            w_in = sum((f.amount_cny for f in inside if f.direction == "in"), Decimal(0))
            w_out = sum((f.amount_cny for f in inside if f.direction == "out"), Decimal(0))
            n_in = sum(f.direction == "in" for f in inside)
            if p is None:  # a standard not for this customer type
                m_count, m_total, m_days, matched = 0, Decimal(0), 0, False
            elif family == "out_of_profile":  # every record, against the declared figure
                declared = mine[0].declared
                m_count, m_total = len(inside), w_in + w_out
                m_days = len({f.booked_at.date() for f in inside})
                matched = (
                    declared is not None
                    and m_count >= p["min_count"]
                    and m_total >= p["min_total_cny"]
                    and m_total >= p["multiple"] * declared
                )
            elif family == "baseline":  # every record, against the subject's own past
                m_count, m_total = len(inside), w_in + w_out
                m_days = len({f.booked_at.date() for f in inside})
                matched = _beyond_its_past(mine, start, end, p, m_count, m_total)
            elif family == "open_close":  # the accounts' openings and closings in the window
                happened = [(d, k) for d, k in mine[0].events if start <= d <= end]
                opened = sum(k == "opened" for _, k in happened)
                m_count = len(happened)
                m_total = w_in + w_out
                m_days = len({d for d, _ in happened})
                matched = (
                    opened >= p["min_opened"]
                    and m_count - opened >= p["min_closed"]
                    and m_count >= p["min_events"]
                    and m_total >= p["min_total_cny"]
                )
            elif family == "same_party":
                by_party: dict[str, list[NaiveFlow]] = defaultdict(list)
                for f in inside:
                    if f.party is not None:
                        by_party[f.party].append(f)
                frequent = [
                    rows
                    for rows in by_party.values()
                    if len(rows) >= p["min_rows"] and {f.direction for f in rows} == {"in", "out"}
                ]
                m_count = len(frequent)
                m_total = sum((f.amount_cny for rows in frequent for f in rows), Decimal(0))
                m_days = 0
                matched = m_count >= p["min_parties"] and m_total >= p["min_total_cny"]
            else:
                marked = [f for f in inside if _marked(family, f, mine, p)]
                m_count = len(marked)
                m_total = sum((f.amount_cny for f in marked), Decimal(0))
                m_days = len({f.booked_at.date() for f in marked})
                if family == "pass_through":
                    matched = (
                        w_in > 0
                        and w_in >= p["min_in_cny"]
                        and m_total >= p["min_quick_share"] * w_in
                        and abs(w_in - w_out) <= p["max_residual_share"] * w_in
                        and m_days >= p["min_days"]
                    )
                elif family == "structuring":
                    matched = (
                        m_count >= p["min_count"]
                        and m_days >= p["min_days"]
                        and m_total >= p["min_total_cny"]
                    )
                else:
                    matched = m_count >= p["min_count"] and m_total >= p["min_total_cny"]
            found[(subject, end)] = NaiveFamilyWindow(
                in_total=w_in,
                in_count=n_in,
                out_total=w_out,
                out_count=len(inside) - n_in,
                m_count=m_count,
                m_total=m_total,
                m_days=m_days,
                matched=matched,
                txn_ids=frozenset(f.txn_id for f in inside),
            )
    return found
