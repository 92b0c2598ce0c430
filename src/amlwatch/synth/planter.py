"""The planter's building blocks: reserved customers, planted rows, labelled cases.

Every planted subject is a customer kept out of the background activity, so a case's
expectation depends on nothing but its own rows. Each case records the large-value hits it
must produce (characteristic, trade date, direction, transactions) — none for a near miss —
and, for patterns, whether an alert is expected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from amlwatch.rules import LargeValueCharacteristic, RulePack
from amlwatch.synth.activity import (
    CHANNELS,
    CURRENCIES,
    EXEMPTIONS,
    INITIATORS,
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
    standards: list[str] = field(default_factory=list)  # monitoring standards that must alert
    members: list[int] = field(default_factory=list)  # a structure's customers, in its order
    risk_level: str | None = None  # the level the default rating model gives it at least


@dataclass(slots=True)
class _Row:
    day: dt.date
    fields: tuple[Any, ...]


class PlanterBase:
    """Builds planted rows day by day and the cases they belong to (the cases themselves are
    `plants_large_value`'s and `plants_patterns`')."""

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
        # accounts the accounts file sends again on a later day (opened or closed then): day
        # -> account rows; and those opened after the first day, with their opening day
        self.account_days: dict[dt.date, list[int]] = {}
        self.opened_late: dict[int, dt.date] = {}
        # customers whose accounts last moved money long before the first day (dormant)
        self.moved_on: dict[int, dt.date] = {}
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

    def customer_with_accounts(self, entity: bool, accounts: int) -> int | None:
        """A free reserved customer with at least `accounts` accounts, if there is one."""
        free = self._free[entity]
        for i, cust in enumerate(free):
            if self.pop.n_accounts[cust] >= accounts:
                return free.pop(i)
        return None

    def mark_state_organ(self, cust: int) -> None:
        """Make a reserved customer a state organ (article 7 (三))."""
        flags = self.pop.customers["is_state_organ"].to_numpy(zero_copy_only=False).copy()
        flags[cust] = True
        at = self.pop.customers.schema.get_field_index("is_state_organ")
        self.pop.customers = self.pop.customers.set_column(at, "is_state_organ", pa.array(flags))

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
        counter: str = "",
        initiator: str = "",
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
        elif currency != "CNY":  # 010104 电汇 is a foreign-currency method (spec 10.3)
            method, channel = "010104", "COUNTER"
        elif xb:  # RMB sent abroad: 汇兑, a RMB method
            method, channel = "000131", "COUNTER"
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
            0 if not counter else 1 + code(CURRENCIES, counter),
            code(INITIATORS, initiator),
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

    # ---------------------------------------------------------------- patterns

    def _expect(
        self, c: LargeValueCharacteristic, day: dt.date, out: bool, tags: list[int]
    ) -> dict[str, Any]:
        return {
            "characteristic_code": c.code,
            "trade_date": day,
            "direction": "out" if out else "in",
            "tags": tags,
        }


def split_total(total: float, parts: int) -> list[float]:
    """`total` in `parts` unequal amounts (cents), each below the total."""
    weights = np.array([0.45, 0.35, 0.2][:parts])
    amounts = [round(total * float(w), 2) for w in weights[:-1]]
    amounts.append(round(total - sum(amounts), 2))
    return amounts
