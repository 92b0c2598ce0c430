"""Planted, labelled cases: what a correct monitoring run must find, and what it must not.

Every planted subject is a customer kept out of the background activity, so a case's
expectation depends on nothing but its own rows. Each case records the large-value hits it
must produce (characteristic, trade date, direction, transactions) — none for a near miss —
and, for patterns, whether an alert is expected.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from amlwatch.rules import LargeValueCharacteristic, RulePack
from amlwatch.synth.activity import (
    CHANNELS,
    CURRENCIES,
    EXEMPTIONS,
    METHODS,
    PURPOSES,
    Rows,
    code,
    midnight_seconds,
)
from amlwatch.synth.population import Population

SCATTER_IN_CONCENTRATE_OUT = "scatter_in_concentrate_out"
CONCENTRATE_IN_SCATTER_OUT = "concentrate_in_scatter_out"


@dataclass(slots=True)
class PlantedCase:
    """One labelled case of the ground truth."""

    case_id: str
    kind: str
    expect: str  # hit | no_hit | alert | no_alert | quarantine
    customer: int
    note: str
    tags: list[int] = field(default_factory=list)
    large_value: list[dict[str, Any]] = field(default_factory=list)
    window: tuple[dt.date, dt.date] | None = None
    column: str | None = None
    txn_ids: list[str] = field(default_factory=list)  # for rows named by id, not planted by tag


@dataclass(slots=True)
class _Row:
    day: dt.date
    fields: tuple[Any, ...]


class Planter:
    """Builds planted rows day by day and the cases they belong to."""

    def __init__(
        self,
        rng: np.random.Generator,
        pop: Population,
        pack: RulePack,
        rate_on: Any,
        business_days: list[dt.date],
        all_days: list[dt.date],
    ) -> None:
        self.rng = rng
        self.pop = pop
        self.pack = pack
        self.rate_on = rate_on  # day -> {currency: CNY per unit} in force that day
        self.business_days = business_days
        self.all_days = all_days
        self.rows: dict[dt.date, list[tuple[Any, ...]]] = {}
        self.cases: list[PlantedCase] = []
        self._next_tag = 0
        self._free = {
            True: [int(c) for c in pop.reserved if pop.is_entity[c]],
            False: [int(c) for c in pop.reserved if not pop.is_entity[c]],
        }

    # ---------------------------------------------------------------- building blocks

    def customer(self, entity: bool) -> int | None:
        """A reserved customer of the given type not used by any case yet."""
        free = self._free[entity]
        return free.pop(0) if free else None

    def txn(
        self,
        cust: int,
        day: dt.date,
        seconds: int,
        out: bool,
        amount: float,
        *,
        currency: str = "CNY",
        cash: bool = False,
        xb: bool = False,
        pool: str = "person",
        cp: int | None = None,
        exempt: str = "",
        purpose: str = "转账",
        account: int = 0,
    ) -> int:
        """Add one planted transaction; returns its tag."""
        tag = self._next_tag
        self._next_tag += 1
        if cp is None:
            start, end = self.pop.pools[pool]
            cp = int(self.rng.integers(start, end))
        acct = int(self.pop.first_account[cust] + account % self.pop.n_accounts[cust])
        if cash:
            method, channel = ("010001" if currency != "CNY" else "000030"), "COUNTER"
        elif xb or currency != "CNY":
            method, channel = "010104", "COUNTER"
        else:
            method, channel = "000131", "ONLINE"
        fields = (
            cust,
            acct,
            midnight_seconds(day) + seconds,
            out,
            round(amount * 100),
            code(CURRENCIES, currency),
            cash,
            xb,
            code(METHODS, method),
            cp,
            code(EXEMPTIONS, exempt),
            code(CHANNELS, channel),
            code(PURPOSES, purpose),
            tag,
        )
        self.rows.setdefault(day, []).append(fields)
        return tag

    def party(self, pool: str) -> int:
        """A fresh counterparty row of a pool."""
        start, end = self.pop.pools[pool]
        return int(self.rng.integers(start, end))

    def rows_for(self, day: dt.date) -> Rows | None:
        """The planted rows booked on `day`."""
        items = self.rows.get(day)
        if not items:
            return None
        columns = list(zip(*items, strict=True))
        dtypes = [
            np.int64,
            np.int64,
            np.int64,
            bool,
            np.int64,
            np.int64,
            bool,
            bool,
            np.int64,
            np.int64,
            np.int64,
            np.int64,
            np.int64,
            np.int64,
        ]
        return Rows(*(np.asarray(col, dtype=t) for col, t in zip(columns, dtypes, strict=True)))

    def _time(self, business_hours: bool = True) -> int:
        return (
            int(self.rng.integers(9 * 3600, 17 * 3600))
            if business_hours
            else int(self.rng.integers(0, 86_400))
        )

    def _case(self, kind: str, expect: str, cust: int, note: str, **kw: Any) -> PlantedCase:
        case = PlantedCase(
            case_id=f"{kind}-{len(self.cases) + 1:04d}",
            kind=kind,
            expect=expect,
            customer=cust,
            note=note,
            **kw,
        )
        self.cases.append(case)
        return case

    # ---------------------------------------------------------------- large-value cases

    def large_value_cases(self) -> None:
        """Single and cumulative, at, over and under every threshold, RMB and FX, exemptions."""
        days = self.business_days[:-1] or self.business_days
        if not days:
            return
        for c in self.pack.large_value.characteristics:
            for entity in sorted({t == "entity" for t in c.customer_types}, reverse=True):
                self._characteristic_cases(c, entity, days)

    def _characteristic_cases(
        self, c: LargeValueCharacteristic, entity: bool, days: list[dt.date]
    ) -> None:
        t = float(c.threshold_cny)
        u = None if c.threshold_usd is None else float(c.threshold_usd)
        cash = c.scope == "cash"
        xb = c.scope == "cross_border_transfer"
        variants: list[tuple[str, list[float], str, bool]] = [
            ("single_at_threshold", [t], "CNY", True),
            ("single_just_under", [t - 0.01], "CNY", False),
            ("cumulative_over", _split(t + 100.0, 3), "CNY", True),
            ("cumulative_just_under", _split(t - 1.0, 3), "CNY", False),
        ]
        if u is not None and not self.pack.large_value.rmb_only:
            variants += [
                ("fx_single_at_threshold", [u], "USD", True),
                ("fx_single_just_under", [u - 0.01], "USD", False),
                ("fx_cumulative_over", [], "EUR", True),
            ]
        if not self.pack.large_value.cumulate_same_day:
            variants = [(n, a, cur, hit if len(a) <= 1 else False) for n, a, cur, hit in variants]
        for i, (variant, amounts, currency, hit) in enumerate(variants):
            cust = self.customer(entity)
            if cust is None:
                return
            day = days[int(self.rng.integers(0, len(days)))]
            out = bool(i % 2)
            if currency == "EUR":
                rates = self.rate_on(day)
                each = math.ceil((u / 2 + 1) * rates["USD"] / rates["EUR"] * 100) / 100  # type: ignore[operator]
                amounts = [each, each]
            tags = [
                self.txn(
                    cust,
                    day,
                    self._time(),
                    out,
                    a,
                    currency=currency,
                    cash=cash,
                    xb=xb,
                    account=k,
                    pool="foreign" if xb else ("company" if entity else "person"),
                    purpose="存现" if cash else "往来款",
                )
                for k, a in enumerate(amounts)
            ]
            expected = [self._expect(c, day, out, tags)] if hit else []
            self._case(
                f"large_value_{c.code}_{variant}",
                "hit" if hit else "no_hit",
                cust,
                f"{c.code} {'entity' if entity else 'individual'} {variant}: {currency} "
                f"{' + '.join(f'{a:,.2f}' for a in amounts)} {'out' if out else 'in'} on {day}",
                tags=tags,
                large_value=expected,
            )
        self._boundary_cases(c, entity, days, t, cash, xb)

    def _boundary_cases(
        self,
        c: LargeValueCharacteristic,
        entity: bool,
        days: list[dt.date],
        t: float,
        cash: bool,
        xb: bool,
    ) -> None:
        pool = "foreign" if xb else ("company" if entity else "person")
        kw: dict[str, Any] = {"cash": cash, "xb": xb, "pool": pool}
        # receipts and payments are cumulated separately
        cust = self.customer(entity)
        if cust is not None:
            day = days[int(self.rng.integers(0, len(days)))]
            tags = [
                self.txn(cust, day, 36_000, False, t * 0.6, **kw),
                self.txn(cust, day, 50_000, True, t * 0.6, **kw),
            ]
            self._case(
                f"large_value_{c.code}_two_sided",
                "no_hit",
                cust,
                f"{c.code}: 60% in and 60% out the same day",
                tags=tags,
            )
        # the calendar day decides cumulation: 23:59:59 and 00:00:00 are different days
        cust = self.customer(entity)
        later = [d for d in days if d + dt.timedelta(days=1) in self.all_days]
        if cust is not None and later:
            day = later[int(self.rng.integers(0, len(later)))]
            tags = [
                self.txn(cust, day, 86_399, True, t * 0.6, **kw),
                self.txn(cust, day + dt.timedelta(days=1), 0, True, t * 0.6, **kw),
            ]
            self._case(
                f"large_value_{c.code}_midnight_split",
                "no_hit",
                cust,
                f"{c.code}: 60% at 23:59:59 and 60% at 00:00:00 next day",
                tags=tags,
            )
        # exempt records neither count nor are reported
        cust = self.customer(entity)
        if cust is not None:
            day = days[int(self.rng.integers(0, len(days)))]
            reason = sorted(self.pack.large_value.exemption_codes)[
                int(self.rng.integers(0, len(self.pack.large_value.exemption_codes)))
            ]
            tags = [
                self.txn(cust, day, 40_000, False, t * 1.5, exempt=reason, **kw),
                self.txn(cust, day, 41_000, False, t * 0.6, **kw),
            ]
            self._case(
                f"large_value_{c.code}_exempt",
                "no_hit",
                cust,
                f"{c.code}: 150% exempt ({reason}) plus 60% ordinary",
                tags=tags,
            )
        if not cash:
            cust = self.customer(entity)
            if cust is not None and self.pack.large_value.government_counterparty_exempt:
                day = days[int(self.rng.integers(0, len(days)))]
                tags = [self.txn(cust, day, 40_000, False, t * 2, pool="government", xb=False)]
                self._case(
                    f"large_value_{c.code}_government_counterparty",
                    "no_hit",
                    cust,
                    f"{c.code}: 200% from a state organ",
                    tags=tags,
                )

    def _expect(
        self, c: LargeValueCharacteristic, day: dt.date, out: bool, tags: list[int]
    ) -> dict[str, Any]:
        return {
            "characteristic_code": c.code,
            "trade_date": day,
            "direction": "out" if out else "in",
            "tags": tags,
        }

    # ---------------------------------------------------------------- patterns

    def _window(self) -> list[dt.date] | None:
        b = self.business_days
        if len(b) < 10:
            return None
        i = int(self.rng.integers(0, len(b) - 9))
        return b[i : i + 10]

    def _calendar_days(self, window: list[dt.date]) -> list[dt.date]:
        return [d for d in self.all_days if window[0] <= d <= window[-1]]

    def ring(self, kind: str, entity: bool) -> None:
        """Scatter-in / concentrate-out or concentrate-in / scatter-out within 10 business days."""
        window = self._window()
        cust = self.customer(entity)
        if window is None or cust is None:
            return
        rng = self.rng
        scattered_pool = "company" if entity else "person"
        unit = 100_000 if entity else 30_000
        daily_limit = 0.7 * (2_000_000 if entity else 500_000)
        tags: list[int] = []
        scatter_n = int(rng.integers(20, 31) if entity else rng.integers(12, 21))
        scatter_parties = [self.party(scattered_pool) for _ in range(scatter_n)]
        scatter_amounts = [
            float(round(a, 2)) for a in rng.uniform(0.6 * unit, 1.6 * unit, scatter_n)
        ]
        total = sum(scatter_amounts)
        concentrated_parties = [
            self.party("company" if entity else "person") for _ in range(int(rng.integers(1, 3)))
        ]
        if kind == SCATTER_IN_CONCENTRATE_OUT:
            scatter_days, concentrate_days, scatter_out = window[:6], window[6:9], False
            conc_total = total * float(rng.uniform(0.92, 0.98))
        else:
            concentrate_days, scatter_days, scatter_out = window[:3], window[3:10], True
            conc_total = total * float(rng.uniform(1.02, 1.08))
        # scattered leg: one party, one transfer each, spread over its days (weekends in the window too)
        spread = [
            d for d in self._calendar_days(window) if scatter_days[0] <= d <= scatter_days[-1]
        ]
        per_day: dict[dt.date, float] = {}
        for party, amount in zip(scatter_parties, scatter_amounts, strict=True):
            day = spread[int(rng.integers(0, len(spread)))]
            if per_day.get(day, 0) + amount > daily_limit:
                day = min(spread, key=lambda d: per_day.get(d, 0))
            per_day[day] = per_day.get(day, 0) + amount
            tags.append(
                self.txn(
                    cust, day, self._time(), scatter_out, amount, cp=party, pool=scattered_pool
                )
            )
        # concentrated leg: few parties, a few large transfers, each day below the large-value threshold
        pieces = max(len(concentrate_days), math.ceil(conc_total / daily_limit))
        amount = round(conc_total / pieces, 2)
        for k in range(pieces):
            day = concentrate_days[k % len(concentrate_days)]
            party = concentrated_parties[k % len(concentrated_parties)]
            tags.append(self.txn(cust, day, self._time() + k, not scatter_out, amount, cp=party))
        self._case(
            kind,
            "alert",
            cust,
            f"{'entity' if entity else 'individual'}: {scatter_n} parties {'out' if scatter_out else 'in'}, "
            f"{len(concentrated_parties)} {'in' if scatter_out else 'out'}, {total:,.0f} CNY",
            tags=tags,
            window=(window[0], window[-1]),
        )

    def structuring(self) -> None:
        """Cash deposits just under the 0501 threshold on several days (化整为零)."""
        window = self._window()
        cust = self.customer(False)
        cash = next((c for c in self.pack.large_value.characteristics if c.scope == "cash"), None)
        if window is None or cust is None or cash is None:
            return
        t = float(cash.threshold_cny)
        days = sorted(self.rng.choice(len(window), 5, replace=False))
        tags = [
            self.txn(
                cust,
                window[i],
                self._time(),
                False,
                float(round(self.rng.uniform(0.9 * t, t - 50), 2)),
                cash=True,
                purpose="存现",
            )
            for i in days
        ]
        self._case(
            "structuring",
            "no_hit",
            cust,
            "five cash deposits just under the cash threshold",
            tags=tags,
            window=(window[0], window[-1]),
        )

    def inheritance_and_house(self) -> None:
        """A one-off inheritance received, then a house bought: large, but not a pattern."""
        window = self._window()
        cust = self.customer(False)
        code_0503 = next(
            (c for c in self.pack.large_value.characteristics if c.scope == "domestic_transfer"),
            None,
        )
        if window is None or cust is None or code_0503 is None:
            return
        receive = self.txn(
            cust, window[0], 40_000, False, 2_600_000.00, pool="person", purpose="遗产继承"
        )
        buy = self.txn(
            cust, window[4], 40_000, True, 2_450_000.00, pool="company", purpose="购房款"
        )
        self._case(
            "decoy_inheritance_house",
            "no_alert",
            cust,
            "2.6M inheritance from one party, 2.45M to one developer",
            tags=[receive, buy],
            window=(window[0], window[-1]),
            large_value=[
                self._expect(code_0503, window[0], False, [receive]),
                self._expect(code_0503, window[4], True, [buy]),
            ],
        )

    def salaried_shopper(self) -> None:
        """A salary in, then card payments at dozens of shops: scatter-out of small amounts."""
        window = self._window()
        cust = self.customer(False)
        if window is None or cust is None:
            return
        tags = [self.txn(cust, window[0], 36_000, False, 15_000.00, pool="company", purpose="工资")]
        calendar = self._calendar_days(window)
        for _ in range(40):
            day = calendar[int(self.rng.integers(0, len(calendar)))]
            tags.append(
                self.txn(
                    cust,
                    day,
                    self._time(False),
                    True,
                    float(round(self.rng.uniform(50, 900), 2)),
                    pool="shop",
                    purpose="消费",
                )
            )
        self._case(
            "decoy_salaried_shopper",
            "no_alert",
            cust,
            "salary 15,000 then 40 card payments at shops",
            tags=tags,
            window=(window[0], window[-1]),
        )


def _split(total: float, parts: int) -> list[float]:
    """`total` in `parts` unequal amounts (cents), each below the total."""
    weights = np.array([0.45, 0.35, 0.2][:parts])
    amounts = [round(total * float(w), 2) for w in weights[:-1]]
    amounts.append(round(total - sum(amounts), 2))
    return amounts
