"""Planted pattern cases: scatter / concentrate rings that must alert, and look-alikes that
must not (structuring below thresholds, an inheritance and a house sale, a salaried shopper)."""

from __future__ import annotations

import datetime as dt
import math

from amlwatch.synth.planter import (
    CONCENTRATE_IN_SCATTER_OUT,
    SCATTER_IN_CONCENTRATE_OUT,
    PlanterBase,
)

RING_STANDARDS = {
    SCATTER_IN_CONCENTRATE_OUT: "AMLW-SP-0101",
    CONCENTRATE_IN_SCATTER_OUT: "AMLW-SP-0102",
}


class PatternPlants(PlanterBase):
    """The pattern cases."""

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
            standards=[RING_STANDARDS[kind]],
        )

    def structuring(self) -> None:
        """Cash deposits just under the 0501 threshold on several days (化整为零)."""
        window = self._window()
        cust = self.customer(False)
        cash = next((c for c in self.pack.large_value.characteristics if c.scope == "cash"), None)
        if window is None or cust is None or cash is None:
            return
        t = float(cash.threshold_cny)
        # four of them within five business days (AMLW-SP-0302's window), a fifth later
        days = [*sorted(self.rng.choice(5, 4, replace=False)), int(self.rng.integers(5, 10))]
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
            standards=["AMLW-SP-0302"],
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
