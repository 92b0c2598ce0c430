"""Planted structures of money moving through several of the bank's own customers (issue 35's
shapes), and their look-alikes.

Every transfer is booked as the bank books one between two of its accounts: the payer's
payment (its counterparty account the payee's) and the payee's receipt (the payer's). Each
member moves two records of 80,000-200,000 CNY, so that no single-customer standard sees
it: the structure is only visible across customers.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

import numpy as np
import pyarrow.compute as pc

from amlwatch.synth.planter import PlanterBase

HOUR = 3_600


class NetworkPlants(PlanterBase):
    """Relays, circles, scatter-gathers and gather-scatters between reserved individuals,
    and what looks like them."""

    def _members(self, count: int) -> list[int] | None:
        members = []
        for _ in range(count):
            cust = self.customer(False)
            if cust is None:
                return None
            members.append(cust)
        return members

    def _transfer(self, payer: int, payee: int, at: int, amount: float) -> list[int]:
        """One transfer between two reserved customers' first accounts, `at` seconds after
        the first day's midnight: the payer's payment and the payee's receipt (tags)."""
        internal, _ = self.pop.pools["internal"]
        day, seconds = self.all_days[0] + dt.timedelta(days=at // 86_400), at % 86_400
        payee_account = internal + int(self.pop.first_account[payee])
        payer_account = internal + int(self.pop.first_account[payer])
        return [
            self.txn(payer, day, seconds, True, amount, cp=payee_account),
            self.txn(payee, day, seconds + 1, False, amount, cp=payer_account),
        ]

    def _route(self, members: list[int], amount: float, gaps: tuple[int, int],
               keep: tuple[float, float]) -> tuple[list[int], dt.date, dt.date] | None:  # fmt: skip
        """Money passed along `members` in order (the last pays on to the next in the list:
        a circle repeats its first member at the end): each hop `gaps` seconds after the
        previous, keeping `keep` of the amount. Its tags and first / last day."""
        span = _span(len(members) - 1, gaps)
        if len(self.all_days) <= span:
            return None
        start = int(self.rng.integers(0, len(self.all_days) - span)) * 86_400
        at = start + int(self.rng.integers(9 * HOUR, 12 * HOUR))
        tags: list[int] = []
        last = at
        for payer, payee in itertools.pairwise(members):
            tags += self._transfer(payer, payee, at, round(amount, 2))
            last = at
            at = _office_hours(at + int(self.rng.integers(*gaps)))
            amount *= float(self.rng.uniform(*keep))
        first = self.all_days[0] + dt.timedelta(days=start // 86_400)
        return tags, first, self.all_days[0] + dt.timedelta(days=last // 86_400)

    def _plant(self, kind: str, expect: str, count: int, note: str, amount: tuple[float, float],
               gaps: tuple[int, int], keep: tuple[float, float], circle: bool = False) -> None:  # fmt: skip
        if len(self.all_days) <= _span(count if circle else count - 1, gaps):
            return
        members = self._members(count)
        if members is None:
            return
        route = self._route(members + members[:1] if circle else members,
                            float(self.rng.uniform(*amount)), gaps, keep)  # fmt: skip
        if route is None:
            return
        tags, first, last = route
        self._case(kind, expect, members[0], note, tags=tags, window=(first, last),
                   members=members)  # fmt: skip

    def relay(self) -> None:
        """A → B → C → D (→ E): each passes on 97-99.5 % of what it got, 2-30 hours later."""
        self._plant("network_chain", "network", int(self.rng.integers(4, 6)),
                    "passed on through 3-4 customers, a few hours to a day apart",
                    (80_000, 200_000), (2 * HOUR, 30 * HOUR), (0.97, 0.995))  # fmt: skip

    def circle(self) -> None:
        """A → B → C (→ D) → A: the money comes back to where it left, less 1-3 % a hop."""
        self._plant("network_cycle", "network", int(self.rng.integers(3, 5)),
                    "round 3-4 customers and back (资金回流)",
                    (80_000, 200_000), (2 * HOUR, 30 * HOUR), (0.97, 0.99), circle=True)  # fmt: skip

    def loan_repaid(self) -> None:
        """A lends B a sum and B pays it back in full twelve days later: a circle of two, but
        far slower than any relay."""
        self._plant("lookalike_loan_repaid", "no_network", 2, "lent, repaid 12-13 days later",
                    (80_000, 150_000), (12 * 86_400, 13 * 86_400), (1.0, 1.0), circle=True)  # fmt: skip

    def rent_after_salary(self) -> None:
        """A pays B, B pays C a day later, C pays D: amounts that have nothing to do with each
        other (a fee, a rent, a purchase)."""
        self._plant("lookalike_unrelated_payments", "no_network", 4,
                    "three payments a day apart, each half or less of the last",
                    (120_000, 200_000), (20 * HOUR, 30 * HOUR), (0.3, 0.5))  # fmt: skip

    def small_relay(self) -> None:
        """A → B → C → D with a few thousand: friends splitting a bill, under any least sum."""
        self._plant("lookalike_small_relay", "no_network", 4, "a few thousand passed on",
                    (1_000, 3_000), (2 * HOUR, 10 * HOUR), (0.97, 0.995))  # fmt: skip

    @contextmanager
    def _own_draws(self) -> Iterator[None]:
        """Draws of their own — the generator's stream jumped ahead, the main one untouched —
        so that planting the fans changes nothing else a bank (the committed sample) holds."""
        main = self.rng
        self.rng = np.random.Generator(cast(np.random.PCG64, main.bit_generator).jumped())
        try:
            yield
        finally:
            self.rng = main

    def _ordinary(self, count: int) -> list[int] | None:
        """`count` ordinary individuals outside the reserved pool — no firm, no shop, with an
        everyday life of their own that goes on around the ring, as its members' would — none
        in two fans. Of those who declared no income: a ring's members are what the network
        standards are for, and a declared salary a tenth of the sums would let the
        out-of-profile standard see each of them alone."""
        pop = self.pop
        used: set[int] = getattr(self, "_fan_members", set())
        taken = np.array(sorted(used), np.int64)
        undeclared = pc.is_null(pop.customers["declared_income_cny"]).to_numpy(zero_copy_only=False)
        ordinary = np.flatnonzero(
            ~pop.is_entity & ~pop.is_merchant & (pop.activity > 0) & undeclared
        )
        free = np.setdiff1d(ordinary, np.concatenate([pop.reserved, taken]))
        if len(free) < count:
            return None
        picked = [int(c) for c in self.rng.choice(free, count, replace=False)]
        self._fan_members = used | set(picked)
        return picked

    def _fan(self, kind: str, expect: str, note: str, ins: list[tuple[int, int]],
             outs: list[tuple[int, int]], members: list[int], keep: tuple[float, float],
             paired: bool, sums: tuple[float, float] = (60_000, 120_000)) -> None:  # fmt: skip
        """Transfers `ins` on a morning an hour or two apart, then `outs` 2-30 hours after
        the last of them; with `paired`, out k passes on `keep` of in k (else an amount
        unrelated to any: a third to a half of the sum gathered); each `in` a sum drawn in
        `sums` (kept so that no member moves 500,000 in the window: each alone stays under the
        single-customer standards, as a ring's members arrange)."""
        span = _span(2, (2 * HOUR, 30 * HOUR))
        if len(self.all_days) <= span:
            return
        day = int(self.rng.integers(0, len(self.all_days) - span))
        at = day * 86_400 + int(self.rng.integers(9 * HOUR, 11 * HOUR))
        tags: list[int] = []
        amounts = [round(float(self.rng.uniform(*sums)), 2) for _ in ins]
        for (payer, payee), amount in zip(ins, amounts, strict=True):
            tags += self._transfer(payer, payee, at, amount)
            at = _office_hours(at + int(self.rng.integers(HOUR, 2 * HOUR)))
        first = self.all_days[0] + dt.timedelta(days=day)
        last = at
        at = _office_hours(at + int(self.rng.integers(2 * HOUR, 30 * HOUR)))
        for k, (payer, payee) in enumerate(outs):
            base = (
                amounts[k % len(amounts)] if paired
                else sum(amounts) * float(self.rng.uniform(0.3, 0.5))
            )  # fmt: skip
            tags += self._transfer(
                payer, payee, at, round(base * float(self.rng.uniform(*keep)), 2)
            )
            last = at
            at = _office_hours(at + int(self.rng.integers(HOUR, 3 * HOUR)))
        self._case(kind, expect, members[0], note, tags=tags,
                   window=(first, self.all_days[0] + dt.timedelta(days=last // 86_400)),
                   members=members)  # fmt: skip

    def fans(self) -> None:
        """The fans and their look-alikes, on draws of their own (`_own_draws`), between
        ordinary customers (`_ordinary`: the reserved pool is spent by then)."""
        with self._own_draws():
            self.scatter_gather()
            self.gather_scatter()
            self.scattered_and_spent()
            self.pooled_purchase()

    def scatter_gather(self) -> None:
        """A → B1 … Bk → C (k 3-4): A pays each a sum, each passes on 97-99.5 % of it to C."""
        people = self._ordinary(int(self.rng.integers(5, 7)))
        if people is None:
            return
        a, middles, c = people[0], people[1:-1], people[-1]
        self._fan("network_scatter_gather", "network", "scattered to 3-4 customers, gathered by one",
                  [(a, m) for m in middles], [(m, c) for m in middles], people,
                  (0.97, 0.995), paired=True)  # fmt: skip

    def gather_scatter(self) -> None:
        """A1 … A3 → H → C1 … C3: H passes each sum it gathered on to another customer."""
        people = self._ordinary(7)
        if people is None:
            return
        sources, h, sinks = people[:3], people[3], people[4:]
        self._fan("network_gather_scatter", "network", "gathered from 3 customers, scattered to 3",
                  [(a, h) for a in sources], [(h, c) for c in sinks], people,
                  (0.97, 0.995), paired=True, sums=(55_000, 80_000))  # fmt: skip

    def scattered_and_spent(self) -> None:
        """A pays three customers (wages, refunds); each spends it with a different shop (one
        of three other customers): no common end, amounts a third to a half of A's total."""
        people = self._ordinary(7)
        if people is None:
            return
        a, paid, shops = people[0], people[1:4], people[4:]
        self._fan("lookalike_scattered_spent", "no_network", "paid out to 3, each spent elsewhere",
                  [(a, p) for p in paid], list(zip(paid, shops, strict=True)), people,
                  (0.95, 1.05), paired=False)  # fmt: skip

    def pooled_purchase(self) -> None:
        """Three friends pay one their shares; it pays a seller once, the whole price: one
        payment out of no single share's band."""
        people = self._ordinary(5)
        if people is None:
            return
        friends, h, seller = people[:3], people[3], people[4]
        self._fan("lookalike_pooled_purchase", "no_network", "three shares pooled, one purchase",
                  [(f, h) for f in friends], [(h, seller)], people, (2.9, 3.1), paired=True,
                  sums=(55_000, 80_000))  # fmt: skip


def _span(hops: int, gaps: tuple[int, int]) -> int:
    """The days a route of `hops` transfers may need: each gap at its longest, plus a night's
    wait for office hours."""
    return (hops * (gaps[1] + 16 * HOUR) + 12 * HOUR) // 86_400 + 1


def _office_hours(at: int) -> int:
    """The time itself if between 09:00 and 17:00, else 09:00 of the next morning (nobody
    here moves money at night: the night standards would see them)."""
    day, seconds = divmod(at, 86_400)
    if 9 * HOUR <= seconds < 17 * HOUR:
        return at
    return (day + (1 if seconds >= 17 * HOUR else 0)) * 86_400 + 9 * HOUR
