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

    def out_of_profile(self) -> None:
        """A person who declared 60,000 a year: 900,000 in from several people and out to
        others within eight days (资金收付与其身份、收入明显不符)."""
        self._declared_and_moved(60_000, "standard_out_of_profile", "alert", ["AMLW-SP-1001"])

    def well_off(self) -> None:
        """The same flows by a person who declared 2,000,000 a year (in profile)."""
        self._declared_and_moved(2_000_000, "decoy_well_off", "no_alert", [])

    def _declared_and_moved(
        self, figure: float, kind: str, expect: str, standards: list[str]
    ) -> None:
        """A person who declared `figure` a year, then ~900,000 in and out over eight days."""
        days, cust = self._days(8), self.customer(False)
        if days is None or cust is None:
            return
        self.declare(cust, figure)
        tags = [
            self.txn(cust, day, self._time(), k % 2 == 1, self._amount(100_000, 125_000),
                     pool="person")
            for k, day in enumerate(days)
        ]  # fmt: skip
        extra = {"standards": standards} if standards else {}
        self._case(
            kind, expect, cust, f"declared {figure:,.0f} a year, ~900,000 moved",
            tags=tags, window=(days[0], days[-1]), **extra,
        )  # fmt: skip

    def dormant(self) -> None:
        """An account that last moved money eight months ago, then 600,000-800,000 in and
        out within a week (长期闲置的账户突然启用，且短期内出现大量资金收付)."""
        self._woken(175_000, 200_000, "standard_dormant", "alert", ["AMLW-SP-1101"])

    def asleep_small(self) -> None:
        """An account asleep as long that wakes for a pension's few thousand (not 大量)."""
        self._woken(2_000, 4_000, "decoy_asleep_small", "no_alert", [])

    def _woken(self, low: float, high: float, kind: str, expect: str, standards: list[str]) -> None:
        days, cust = self._days(4), self.customer(False)
        if days is None or cust is None:
            return
        self.moved_on[cust] = self.all_days[0] - dt.timedelta(days=240)
        tags = [
            self.txn(cust, day, self._time(), k % 2 == 1, self._amount(low, high), pool="person")
            for k, day in enumerate(days)
        ]
        extra = {"standards": standards} if standards else {}
        self._case(
            kind, expect, cust, f"asleep 240 days, then 4 transfers of {low:,.0f}-{high:,.0f}",
            tags=tags, window=(days[0], days[-1]), **extra,
        )  # fmt: skip

    def periodic(self) -> None:
        """A person who receives 220,000-260,000 from one payer every week, give or take a
        day, four times (周期性发生大量资金收付，与其性质、业务特点明显不符)."""
        gaps = [7 + int(self.rng.integers(-1, 2)) for _ in range(3)]
        self._large_days(gaps, "standard_periodic", "alert", ["AMLW-SP-1201"])

    def irregular_large(self) -> None:
        """A well-off person's four large sums as uneven as life (5, 12 and 6 days apart):
        large, but not periodic."""
        self._large_days([5, 12, 6], "decoy_irregular_large", "no_alert", [])

    def _large_days(self, gaps: list[int], kind: str, expect: str, standards: list[str]) -> None:
        span, cust = sum(gaps), self.customer(False)
        if cust is None or len(self.all_days) <= span:
            return
        first = int(self.rng.integers(0, len(self.all_days) - span))
        days = [self.all_days[first + sum(gaps[:k])] for k in range(len(gaps) + 1)]
        payer = int(self.rng.integers(*self.pop.pools["person"]))
        tags = [
            self.txn(cust, day, self._time(), False, self._amount(220_000, 260_000), cp=payer)
            for day in days
        ]
        extra = {"standards": standards} if standards else {}
        self._case(
            kind, expect, cust, f"220,000-260,000 from one payer, {gaps} days apart",
            tags=tags, window=(days[0], days[-1]), **extra,
        )  # fmt: skip

    def beyond_past(self) -> None:
        """A person who moved a few thousand now and then for two weeks, then 600,000-800,000
        within one (资金收付金额与客户以往交易明显不符)."""
        cust, days = self.customer(False), self.all_days
        if cust is None or len(days) < 28:
            return
        tags = [
            self.txn(cust, day, self._time(), k % 2 == 1, self._amount(1_000, 3_000))
            for k, day in enumerate(days[1:14:2])
        ]
        late = days[-8:-1:2]
        tags += [
            self.txn(cust, day, self._time(), k % 2 == 1, self._amount(150_000, 200_000))
            for k, day in enumerate(late)
        ]
        self._case(
            "standard_beyond_past", "alert", cust, "a few thousand a week, then ~700,000",
            tags=tags, window=(late[0], late[-1]), standards=["AMLW-SP-1002"],
        )  # fmt: skip

    def steady_trader(self) -> None:
        """A person who moves 100,000-150,000 every third day all along: large, but as
        usual for it."""
        cust = self.customer(False)
        if cust is None:
            return
        tags = [
            self.txn(cust, day, self._time(), k % 2 == 1, self._amount(100_000, 150_000))
            for k, day in enumerate(self.all_days[::3])
        ]
        self._case(
            "decoy_steady_trader", "no_alert", cust, "100,000-150,000 every third day",
            tags=tags, window=(self.all_days[0], self.all_days[-1]),
        )  # fmt: skip

    def declare(self, cust: int, figure: float) -> None:
        """Set what a reserved customer declared (income or capital, by its type)."""
        customers = self.pop.customers
        column = "registered_capital_cny" if self.pop.is_entity[cust] else "declared_income_cny"
        values = customers[column].to_pylist()
        values[cust] = f"{figure:.2f}"
        at = customers.schema.get_field_index(column)
        self.pop.customers = customers.set_column(at, column, pa.array(values, pa.string()))

    def open_close(self) -> None:
        """Two accounts opened and closed again within two weeks, money in through each and
        out the next day while it lived (频繁开户、销户: accounts bought, used and dropped)."""
        days, cust = self._days(10), self.customer(False)
        if days is None or cust is None:
            return
        tags = []
        for k, (opened, closed) in enumerate(((0, 5), (2, 8))):
            self.open_and_close(cust, k, days[opened], days[closed])
            for day in (opened + 1, opened + 2):
                received = self._amount(70_000, 95_000)
                tags.append(self.txn(cust, days[day], self._time(), False, received,
                                     pool="person", account=k))  # fmt: skip
                tags.append(self.txn(cust, days[day + 1], self._time(), True,
                                     round(received * 0.98, 2), pool="person", account=k))  # fmt: skip
        self._case(
            "standard_open_close", "alert", cust, "2 accounts opened and closed in 9 days",
            # new accounts moving money: the new-account standard sees it too (one case)
            tags=tags, window=(days[0], days[-1]), standards=["AMLW-SP-0901", "AMLW-SP-0801"],
        )  # fmt: skip

    def card_replacement(self) -> None:
        """A lost card replaced: one account closed, a new one opened, the salary and the
        rent as usual (one opening and one closing: not 频繁)."""
        days, cust = self._days(10), self.customer(False)
        if days is None or cust is None:
            return
        self.open_and_close(cust, 0, None, days[3])
        self.open_and_close(cust, 1, days[3], None)
        tags = [
            self.txn(cust, days[k], self._time(), k % 2 == 1, self._amount(90_000, 120_000),
                     pool="person", account=0 if k < 3 else 1)
            for k in (0, 1, 5, 6)
        ]  # fmt: skip
        self._case(
            "decoy_card_replacement", "no_alert", cust, "a card replaced: 1 closed, 1 opened",
            tags=tags, window=(days[0], days[-1]),
        )  # fmt: skip

    def open_and_close(
        self, cust: int, k: int, opened: dt.date | None, closed: dt.date | None
    ) -> None:
        """The reserved customer's `k`th account opened (None: long ago, as it is) and closed
        (None: not) on those days; the accounts file sends it on each of them."""
        accounts = self.pop.accounts
        row = int(self.pop.first_account[cust]) + k
        eight = np.timedelta64(8 * 3600, "s")
        for column, day in (("opened_at", opened), ("closed_at", closed)):
            if day is None:
                continue
            values = accounts[column].to_numpy(zero_copy_only=False).copy()
            values[row] = np.datetime64(day, "s") + eight
            at = accounts.schema.get_field_index(column)
            accounts = accounts.set_column(at, column, pa.array(values, pa.timestamp("s")))
            self.account_days.setdefault(day, []).append(row)
            if column == "opened_at":
                self.opened_late[row] = day
        self.pop.accounts = accounts

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
