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
        self.article_7_cases()

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
        # exempt records neither count nor are reported (an exemption needing no condition)
        plain = sorted(e.code for e in self.pack.large_value.exemptions if e.unconditional)
        cust = self.customer(entity)
        if cust is not None and plain:
            day = days[int(self.rng.integers(0, len(days)))]
            reason = plain[int(self.rng.integers(0, len(plain)))]
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
            if cust is not None and self.pack.large_value.state_organ_party != "none":
                day = days[int(self.rng.integers(0, len(days)))]
                tags = [self.txn(cust, day, 40_000, False, t * 2, pool="government", xb=False)]
                self._case(
                    f"large_value_{c.code}_government_counterparty",
                    "no_hit",
                    cust,
                    f"{c.code}: 200% from a state organ",
                    tags=tags,
                )
            # a public institution or state firm is no state organ: reported (article 7 (三))
            cust = self.customer(entity)
            if cust is not None and not xb:
                day = days[int(self.rng.integers(0, len(days)))]
                tags = [self.txn(cust, day, 40_500, False, t * 2, pool="public")]
                self._case(
                    f"large_value_{c.code}_public_institution_counterparty",
                    "hit",
                    cust,
                    f"{c.code}: 200% from a public institution (事业单位), not a state organ",
                    tags=tags,
                    large_value=[self._expect(c, day, False, tags)],
                )

    def article_7_cases(self) -> None:
        """Each conditional exemption of the pack both ways: where its conditions hold the
        record is exempt, where one fails it is reported."""
        rule = self.pack.large_value
        items = {e.code: e for e in rule.exemptions if not e.unconditional}
        by_scope = {c.scope: c for c in rule.characteristics}
        person, firm = by_scope.get("domestic_transfer"), by_scope.get("transfer")
        days = self.business_days[:-1] or self.business_days
        if not days or person is None or firm is None:
            return
        internal, _ = self.pop.pools["internal"]

        def plant(name: str, c: Any, entity: bool, hit: bool, note: str, **kw: Any) -> None:
            cust = self.customer_with_accounts(entity, 2) if kw.pop("own", False) else None
            cust = cust if cust is not None else self.customer(entity)
            if cust is None:
                return
            day = days[int(self.rng.integers(0, len(days)))]
            amount = kw.pop("amount", float(c.threshold_cny) * 1.5)
            if kw.pop("to_own_account", False):
                kw["cp"] = internal + int(self.pop.first_account[cust]) + 1
            if kw.pop("to_other_customer", False):
                other = self.customer(entity)
                if other is None:
                    return
                kw["cp"] = internal + int(self.pop.first_account[other])
            tags = [self.txn(cust, day, 42_000, False, amount, **kw)]
            self._case(
                f"large_value_article7_{name}",
                "hit" if hit else "no_hit",
                cust,
                note,
                tags=tags,
                large_value=[self._expect(c, day, False, tags)] if hit else [],
            )

        if "rollover" in items:
            plant(
                "rollover_own_account",
                person,
                False,
                False,
                "rollover into another account of the same customer here: exempt (一)",
                exempt="rollover",
                own=True,
                to_own_account=True,
            )
            plant(
                "rollover_other_customer",
                person,
                False,
                True,
                "'rollover' into another customer's account: not (一), reported",
                exempt="rollover",
                to_other_customer=True,
            )
        if "fx_conversion" in items and person.threshold_usd is not None:
            usd = float(person.threshold_usd) * 1.5
            plant(
                "fx_foreign_to_foreign",
                person,
                False,
                False,
                "a person's USD → EUR conversion: exempt (二)",
                exempt="fx_conversion",
                currency="USD",
                counter="EUR",
                amount=usd,
            )
            plant(
                "fx_rmb_conversion",
                person,
                False,
                True,
                "a person's USD bought with RMB: not (二), reported",
                exempt="fx_conversion",
                currency="USD",
                counter="CNY",
                amount=usd,
            )
        if "fx_conversion" in items and firm.threshold_usd is not None:
            plant(
                "fx_entity",
                firm,
                True,
                True,
                "a firm's USD → EUR conversion: (二) is for natural persons, reported",
                exempt="fx_conversion",
                currency="USD",
                counter="EUR",
                amount=float(firm.threshold_usd) * 1.5,
            )
        if "interest" in items:
            plant(
                "interest_by_the_bank",
                person,
                False,
                False,
                "interest paid by the bank: exempt (九)",
                exempt="interest",
                initiator="institution",
                pool="internal",
            )
            plant(
                "interest_by_the_customer",
                person,
                False,
                True,
                "'interest' the customer initiated: not (九), reported",
                exempt="interest",
                initiator="customer",
            )
        if rule.state_organ_party == "either":
            cust = self.customer(True)
            if cust is not None:
                self.mark_state_organ(cust)
                day = days[int(self.rng.integers(0, len(days)))]
                tags = [
                    self.txn(cust, day, 43_000, True, float(firm.threshold_cny) * 2, pool="company")
                ]
                self._case(
                    "large_value_article7_state_organ_customer",
                    "no_hit",
                    cust,
                    "a state organ customer pays a firm: exempt (三), either party",
                    tags=tags,
                )
