"""Planted large-value cases: every characteristic at, above and just below its threshold,
cumulated and single, exempt and not (the ground truth a correct run must match)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from amlwatch.rules import LargeValueCharacteristic
from amlwatch.synth.planter import PlanterBase, split_total


class LargeValuePlants(PlanterBase):
    """The large-value cases."""

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
            ("cumulative_over", split_total(t + 100.0, 3), "CNY", True),
            ("cumulative_just_under", split_total(t - 1.0, 3), "CNY", False),
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
