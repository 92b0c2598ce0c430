"""Planted cases of the monitoring-standard families beside scatter / concentrate, sized to
the bundled defaults (`pboc-2016`, docs/monitoring-rules.md), each naming the standard that
must alert on it; and their look-alikes, which must not: a family's transfers back and forth,
a seasonal business's busy week."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from amlwatch.synth.planter import PlanterBase

NIGHT_HOURS = (22, 23, 0, 1, 2, 3, 4, 5)


class StandardPlants(PlanterBase):
    """The cases of the other families."""

    def _days(self, count: int) -> list[dt.date] | None:
        """`count` consecutive business days (a window's worth or less)."""
        b = self.business_days
        if len(b) < 10:
            return None
        i = int(self.rng.integers(0, len(b) - count + 1))
        return b[i : i + count]

    def _amount(self, low: float, high: float) -> float:
        return float(round(self.rng.uniform(low, high), 2))

    def pass_through(self) -> None:
        """Money in from one party and out to another within hours, four days running."""
        days, cust = self._days(4), self.customer(False)
        if days is None or cust is None:
            return
        source, sink = self.party("person"), self.party("company")
        tags = []
        for day in days:
            received = self._amount(150_000, 230_000)
            at = int(self.rng.integers(9 * 3600, 12 * 3600))
            tags.append(self.txn(cust, day, at, False, received, cp=source))
            paid = round(received * float(self.rng.uniform(0.96, 0.995)), 2)
            later = at + int(self.rng.integers(1800, 4 * 3600))
            tags.append(self.txn(cust, day, later, True, paid, cp=sink))
        self._case(
            "standard_pass_through", "alert", cust, "in and out within hours, 4 days",
            tags=tags, window=(days[0], days[-1]), standards=["AMLW-SP-0201"],
        )  # fmt: skip

    def same_party(self) -> None:
        """Twelve transfers back and forth with one counterparty over two weeks."""
        days, cust = self._days(10), self.customer(False)
        if days is None or cust is None:
            return
        other = self.party("person")
        tags = [
            self.txn(cust, days[k % len(days)], self._time() + k, k % 2 == 1,
                     self._amount(20_000, 40_000), cp=other)
            for k in range(12)
        ]  # fmt: skip
        self._case(
            "standard_same_party", "alert", cust, "12 transfers both ways with one party",
            tags=tags, window=(days[0], days[-1]), standards=["AMLW-SP-0401"],
        )  # fmt: skip

    def night(self) -> None:
        """Four sizeable transfers out at night, on four days."""
        days, cust = self._days(6), self.customer(False)
        if days is None or cust is None:
            return
        tags = []
        for day in days[1:5]:
            hour = NIGHT_HOURS[int(self.rng.integers(0, len(NIGHT_HOURS)))]
            at = hour * 3600 + int(self.rng.integers(0, 3600))
            tags.append(self.txn(cust, day, at, True, self._amount(80_000, 120_000), pool="person"))
        self._case(
            "standard_night", "alert", cust, "4 transfers of 80,000-120,000 between 22:00 and 06:00",
            tags=tags, window=(days[0], days[-1]), standards=["AMLW-SP-0501"],
        )  # fmt: skip

    def cash(self) -> None:
        """Four cash deposits of 260,000-300,000 in two weeks (each a 0501 large value)."""
        days, cust = self._days(10), self.customer(False)
        code_0501 = next(
            (c for c in self.pack.large_value.characteristics if c.scope == "cash"), None
        )
        if days is None or cust is None or code_0501 is None:
            return
        picked = [days[int(i)] for i in sorted(self.rng.choice(len(days), 4, replace=False))]
        tags, expected = [], []
        for day in picked:
            tag = self.txn(cust, day, self._time(), False, self._amount(260_000, 300_000),
                           cash=True, purpose="存现")  # fmt: skip
            tags.append(tag)
            expected.append(self._expect(code_0501, day, False, [tag]))
        self._case(
            "standard_cash", "alert", cust, "4 cash deposits, 1.04M-1.2M in total",
            tags=tags, window=(days[0], days[-1]), large_value=expected,
            standards=["AMLW-SP-0601"],
        )  # fmt: skip

    def transfer_structuring(self) -> None:
        """Three transfers just under 0503's 500,000 on three days."""
        days, cust = self._days(5), self.customer(False)
        if days is None or cust is None:
            return
        tags = [
            self.txn(cust, day, self._time(), True, self._amount(455_000, 499_000), pool="company")
            for day in days[:3]
        ]
        self._case(
            "standard_transfer_structuring", "alert", cust, "3 transfers of 455,000-499,000",
            tags=tags, window=(days[0], days[-1]), standards=["AMLW-SP-0301"],
        )  # fmt: skip

    def risk_region(self) -> None:
        """A firm pays a party in a high-risk region three times (cross-border)."""
        days, cust = self._days(8), self.customer(True)
        if days is None or cust is None:
            return
        other = self.party("risky")
        tags = [
            self.txn(cust, day, self._time(), True, self._amount(180_000, 230_000), xb=True,
                     cp=other, purpose="货款")
            for day in days[1:8:3]
        ]  # fmt: skip
        self._case(
            "standard_risk_region", "alert", cust, "3 payments of 180,000-230,000 to a listed region",
            tags=tags, window=(days[0], days[-1]), standards=["AMLW-SP-0701"],
        )  # fmt: skip

    def frequent_cash(self) -> None:
        """Fifteen cash deposits of 14,000-20,000 in two weeks, at most two a day (each day
        under 0501's 50,000)."""
        days, cust = self._days(10), self.customer(False)
        if days is None or cust is None:
            return
        tags = [
            self.txn(cust, days[k % len(days)], self._time() + k, False,
                     self._amount(14_000, 20_000), cash=True, purpose="存现")
            for k in range(15)
        ]  # fmt: skip
        self._case(
            "standard_frequent_cash", "alert", cust, "15 cash deposits of 14,000-20,000",
            tags=tags, window=(days[0], days[-1]), standards=["AMLW-SP-0602"],
        )  # fmt: skip

    def small_hours(self) -> None:
        """Eighteen small receipts from different people between 01:00 and 05:00 (跑分)."""
        days, cust = self._days(10), self.customer(False)
        if days is None or cust is None:
            return
        tags = [
            self.txn(cust, days[k % len(days)], int(self.rng.integers(3600, 5 * 3600)), False,
                     self._amount(1_500, 4_000), pool="person")
            for k in range(18)
        ]  # fmt: skip
        self._case(
            "standard_small_hours", "alert", cust, "18 receipts of 1,500-4,000 at 01:00-05:00",
            tags=tags, window=(days[0], days[-1]), standards=["AMLW-SP-0502"],
        )  # fmt: skip

    def new_account(self) -> None:
        """A customer whose accounts were opened on the first day, then large sums in and out
        within its first weeks (新开账户短期内大额资金收付)."""
        days, cust = self.business_days[1:9], self.customer(False)
        if len(days) < 8 or cust is None:
            return
        self.open_on(cust, self.all_days[0])
        tags = [
            self.txn(
                cust, day, self._time(), k % 2 == 1, self._amount(180_000, 260_000), pool="person"
            )
            for k, day in enumerate(days[::2])
        ]
        self._case(
            "standard_new_account", "alert", cust, "accounts opened on day one, 4 large transfers",
            tags=tags, window=(days[0], days[-1]), standards=["AMLW-SP-0801"],
        )  # fmt: skip

    def open_on(self, cust: int, day: dt.date) -> None:
        """Date the opening of a reserved customer's accounts to `day`."""
        accounts = self.pop.accounts
        first, count = int(self.pop.first_account[cust]), int(self.pop.n_accounts[cust])
        opened = accounts["opened_at"].to_numpy().copy()
        opened[first : first + count] = np.datetime64(day, "s") + np.timedelta64(8 * 3600, "s")
        at = accounts.schema.get_field_index("opened_at")
        self.pop.accounts = accounts.set_column(at, "opened_at", pa.array(opened))

    def family_transfers(self) -> None:
        """A parent and a grown child: four transfers back and forth (not 频繁)."""
        days, cust = self._days(10), self.customer(False)
        if days is None or cust is None:
            return
        parent = self.party("person")
        tags = [
            self.txn(cust, days[2 * k], self._time(), k % 2 == 1, self._amount(2_000, 20_000),
                     cp=parent)
            for k in range(4)
        ]  # fmt: skip
        self._case(
            "decoy_family_transfers", "no_alert", cust, "4 family transfers both ways",
            tags=tags, window=(days[0], days[-1]),
        )  # fmt: skip

    def seasonal_business(self) -> None:
        """A firm's busy week: many buyers pay in, it pays its suppliers over the next days
        (more than it took in a day, days later: not same-day pass-through)."""
        days, cust = self._days(8), self.customer(True)
        if days is None or cust is None:
            return
        tags = []
        for day in days[:4]:
            for _ in range(3):
                tags.append(self.txn(cust, day, self._time(), False,
                                     self._amount(40_000, 90_000), pool="company"))  # fmt: skip
        for day in days[5:8]:
            tags.append(self.txn(cust, day, self._time(), True,
                                 self._amount(150_000, 250_000), pool="company"))  # fmt: skip
        self._case(
            "decoy_seasonal_business", "no_alert", cust, "a busy week's takings, then suppliers",
            tags=tags, window=(days[0], days[-1]),
        )  # fmt: skip
