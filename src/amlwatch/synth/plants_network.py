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

from amlwatch.synth.planter import PlanterBase

HOUR = 3_600


class NetworkPlants(PlanterBase):
    """Relays and circles between reserved individuals, and what looks like them."""

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
