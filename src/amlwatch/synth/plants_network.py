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
    """Relays, circles, scatter-gathers, gather-scatters, fan-in and fan-out bursts between
    reserved or ordinary individuals, and what looks like them."""

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
            self.fan_in()
            self.fan_out()
            self.partial_split()
            self.bipartite()
            self.stack()
            self.family_gifts()

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

    def _burst(self, kind: str, expect: str, note: str, members: list[int], gather: bool,
               keep: tuple[float, float]) -> None:  # fmt: skip
        """A burst through `members`' hub: fan-in (the first k pay the hub 12,000-30,000 each,
        10-40 minutes apart; 2-20 hours after the last the hub pays `keep` of the sum to the
        last member at once) or fan-out (the first pays the hub 100,000-250,000; 1-20 hours
        later the hub splits `keep` of it among the others, 10-60 minutes apart)."""
        span = _span(2, (HOUR, 20 * HOUR))
        if len(self.all_days) <= span:
            return
        day = int(self.rng.integers(0, len(self.all_days) - span))
        at = day * 86_400 + int(self.rng.integers(9 * HOUR, 11 * HOUR))
        tags: list[int] = []
        if gather:
            sources, hub, sink = members[:-2], members[-2], members[-1]
            parts = [round(float(self.rng.uniform(12_000, 30_000)), 2) for _ in sources]
            for payer, amount in zip(sources, parts, strict=True):
                tags += self._transfer(payer, hub, at, amount)
                at = _office_hours(at + int(self.rng.integers(600, 2_400)))
            at = _office_hours(at + int(self.rng.integers(2 * HOUR, 20 * HOUR)))
            tags += self._transfer(
                hub, sink, at, round(sum(parts) * float(self.rng.uniform(*keep)), 2)
            )
        else:
            source, hub, sinks = members[0], members[1], members[2:]
            whole = round(float(self.rng.uniform(100_000, 250_000)), 2)
            tags += self._transfer(source, hub, at, whole)
            at = _office_hours(at + int(self.rng.integers(HOUR, 20 * HOUR)))
            shares = self.rng.dirichlet(np.full(len(sinks), 4.0))
            for payee, share in zip(sinks, shares, strict=True):
                amount = max(round(whole * float(self.rng.uniform(*keep)) * float(share), 2), 5_000)
                tags += self._transfer(hub, payee, at, amount)
                at = _office_hours(at + int(self.rng.integers(600, 3_600)))
        first = self.all_days[0] + dt.timedelta(days=day)
        self._case(kind, expect, members[0], note, tags=tags,
                   window=(first, self.all_days[0] + dt.timedelta(days=at // 86_400)),
                   members=members)  # fmt: skip

    def fan_in(self) -> None:
        """A1 … Ak → H → C (k 5-8): k customers pay H small sums within an hour or two, and H
        passes 97-99.5 % of the whole on to C at once (资金归集后整笔转出)."""
        people = self._ordinary(int(self.rng.integers(7, 11)))
        if people is not None:
            self._burst("network_fan_in", "network", "gathered from 5-8 customers, passed on whole",
                        people, True, (0.97, 0.995))  # fmt: skip

    def fan_out(self) -> None:
        """A → H → C1 … Ck (k 5-8): H receives one sum and splits 97-99.5 % of it among k
        customers within hours (整笔转入后分散转出)."""
        people = self._ordinary(int(self.rng.integers(7, 11)))
        if people is not None:
            self._burst("network_fan_out", "network", "one sum split among 5-8 customers",
                        people, False, (0.97, 0.995))  # fmt: skip

    def partial_split(self) -> None:
        """A pays H a sum; H pays six relatives gifts from it, together a quarter to a half of
        it: the rest stays (no pass-through)."""
        people = self._ordinary(8)
        if people is not None:
            self._burst("lookalike_partial_split", "no_network", "a sum received, a part given away",
                        people, False, (0.25, 0.5))  # fmt: skip

    def _layers(self, kind: str, expect: str, note: str, layers: list[list[int]],
                sums: tuple[float, float], keep: tuple[float, float]) -> None:  # fmt: skip
        """Layer after layer: each customer of a layer pays two of the next (in turn) a sum in
        `sums`, 20-60 minutes apart; a middle layer passes on `keep` of what it got, in two
        payments 2-20 hours after its last receipt."""
        span = _span(2 * len(layers), (HOUR, 20 * HOUR))
        if len(self.all_days) <= span:
            return
        day = int(self.rng.integers(0, len(self.all_days) - span))
        at = day * 86_400 + int(self.rng.integers(9 * HOUR, 11 * HOUR))
        tags: list[int] = []
        got = {c: 0.0 for layer in layers for c in layer}
        for depth, (payers, payees) in enumerate(itertools.pairwise(layers)):
            if depth:
                at = _office_hours(at + int(self.rng.integers(2 * HOUR, 20 * HOUR)))
            for i, payer in enumerate(payers):
                share = got[payer] * float(self.rng.uniform(*keep)) / 2 if depth else 0.0
                for j in range(2):
                    amount = share or float(self.rng.uniform(*sums))
                    payee = payees[(i + j) % len(payees)]
                    tags += self._transfer(payer, payee, at, round(amount, 2))
                    got[payee] += round(amount, 2)
                    at = _office_hours(at + int(self.rng.integers(1_200, 3_600)))
        first = self.all_days[0] + dt.timedelta(days=day)
        members = [c for layer in layers for c in layer]
        self._case(kind, expect, members[0], note, tags=tags,
                   window=(first, self.all_days[0] + dt.timedelta(days=at // 86_400)),
                   members=members)  # fmt: skip

    def bipartite(self) -> None:
        """A1 … A3 ⇉ B1 … B3: each of three customers pays two of three others 55,000-80,000
        within a day (交叉转账)."""
        people = self._ordinary(6)
        if people is not None:
            self._layers("network_bipartite", "network", "3 customers each paying 2 of 3 others",
                         [people[:3], people[3:]], (55_000, 80_000), (1.0, 1.0))  # fmt: skip

    def stack(self) -> None:
        """A1 … A3 ⇉ B1 … B3 ⇉ C1 … C3: a bipartite whose payees pass on 97-99.5 % of what
        they got to three more, in two payments each (逐层交叉转移)."""
        people = self._ordinary(9)
        if people is not None:
            self._layers("network_stack", "network", "two layers of 3, the middle passing on",
                         [people[:3], people[3:6], people[6:]], (55_000, 80_000),
                         (0.97, 0.995))  # fmt: skip

    def family_gifts(self) -> None:
        """Three relatives each give two of three children 2,000-8,000 on one day (红包): a
        block under any least sum."""
        people = self._ordinary(6)
        if people is not None:
            self._layers("lookalike_family_gifts", "no_network", "gifts among relatives",
                         [people[:3], people[3:]], (2_000, 8_000), (1.0, 1.0))  # fmt: skip


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
