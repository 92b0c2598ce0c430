"""Customers planted for the risk rating: what a rating model must rate higher than the bank's
ordinary customers — a cash trader, a firm trading across the border with a high-risk region,
a politically exposed person — each with the level the default model must give at least
(`risk_level` in the ground truth). Listed and reported customers come from the screening
plants and the review."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

import numpy as np
import pyarrow as pa

from amlwatch.synth.planter import PlanterBase


class RatingPlants(PlanterBase):
    """Each plant on draws of its own: the rest of the bank is as it was without them."""

    @contextmanager
    def _rating_draws(self, jumps: int) -> Iterator[None]:
        """The generator's stream jumped ahead (further than the fans'), the main one
        untouched: planting these changes nothing else the committed sample holds."""
        shared = self.rng
        self.rng = np.random.Generator(cast(np.random.PCG64, shared.bit_generator).jumped(jumps))
        try:
            yield
        finally:
            self.rng = shared

    def _sum(self, low: float, high: float) -> float:
        return float(round(self.rng.uniform(low, high), 2))

    def cash_trader(self) -> None:
        with self._rating_draws(2):
            self._cash_trader()

    def border_trader(self) -> None:
        with self._rating_draws(3):
            self._border_trader()

    def exposed_person(self) -> None:
        with self._rating_draws(4):
            self._exposed_person()

    def _cash_trader(self) -> None:
        """Cash in every business day, 20,000-38,000 a time (well under 0501 and any
        structuring band), some of it drawn again in cash: cash is nearly all of what moves."""
        cust = self.customer(False)
        if cust is None or len(self.business_days) < 10:
            return
        tags = []
        for k, day in enumerate(self.business_days):
            tags.append(self.txn(cust, day, self._time(), False, self._sum(20_000, 38_000),
                                 cash=True, purpose="存现"))  # fmt: skip
            if k % 5 == 4:
                tags.append(self.txn(cust, day, self._time() + 60, True, self._sum(15_000, 30_000),
                                     cash=True, purpose="取现"))  # fmt: skip
        # cash every day is also frequent cash (个人账户短期内频繁发生现金收付): that standard's alert
        self._case("rating_cash_trader", "rating", cust, "cash in every business day, cash ~100%",
                   tags=tags, risk_level="12", standards=["AMLW-SP-0602"],
                   window=(self.business_days[0], self.business_days[-1]))  # fmt: skip

    def _border_trader(self) -> None:
        """A firm paid from and paying to a party in a high-risk region every week."""
        cust = self.customer(True)
        if cust is None or len(self.business_days) < 10:
            return
        other = self.party("risky")
        tags = [
            self.txn(cust, day, self._time(), k % 2 == 1, self._sum(60_000, 90_000), xb=True,
                     cp=other, purpose="货款")
            for k, day in enumerate(self.business_days[::3])
        ]  # fmt: skip
        self._case("rating_border_trader", "rating", cust, "cross-border, a high-risk region",
                   tags=tags, risk_level="12")  # fmt: skip

    def _exposed_person(self) -> None:
        """A politically exposed person (the customers file's is_pep), ordinary flows."""
        cust = self.customer(False)
        if cust is None or not self.business_days:
            return
        flags = self.pop.customers["is_pep"].to_numpy(zero_copy_only=False).copy()
        flags[cust] = True
        at = self.pop.customers.schema.get_field_index("is_pep")
        self.pop.customers = self.pop.customers.set_column(at, "is_pep", pa.array(flags))
        day = self.business_days[len(self.business_days) // 2]
        tag = self.txn(
            cust, day, self._time(), False, self._sum(8_000, 12_000), cp=self.party("person")
        )
        self._case("rating_exposed_person", "rating", cust, "a PEP: at least 中 by the hard rule",
                   tags=[tag], risk_level="12")  # fmt: skip


def no_pep(n: int) -> pa.Array:
    """The customers file's is_pep column: nobody, until a plant marks someone."""
    return pa.array(np.zeros(n, bool))
