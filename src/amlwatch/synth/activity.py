"""A day of ordinary banking activity, vectorised: no Python loop over customers or rows.

Amounts are drawn from log-normal distributions per kind of activity, then every customer's
same-day, same-direction total per large-value characteristic is scaled below 70% of its
threshold, so that the background never produces a large-value hit: the only hits in a
generated bank are the planted, labelled ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from amlwatch.rules import RulePack
from amlwatch.synth.population import Population

CURRENCIES = ["CNY", "USD", "EUR", "HKD", "JPY", "GBP"]
METHODS = ["000112", "000121", "000120", "000131", "000014", "000030", "010104", "010001", "000051"]
CHANNELS = ["POS", "MOBILE", "ONLINE", "COUNTER", "ATM", ""]
# what the files carry: the spec's OCTT codes (10.x: 12 POS, 11 网上交易, 15 ATM); a counter
# transaction has no non-counter channel
CHANNEL_CODES = ["12", "11", "11", "", "15", ""]
PURPOSES = [
    "消费",
    "转账",
    "工资",
    "房租",
    "货款",
    "取现",
    "存现",
    "跨境汇款",
    "利息",
    "税款",
    "商户结算",
    "购房款",
    "遗产继承",
    "投资款",
    "借款",
    "往来款",
]
EXEMPTIONS = [
    "",
    "interest",
    "tax",
    "reversal",
    "interbank",
    "internal_transfer",
    "rollover",
    "fx_conversion",
    "gold_exchange",
    "intl_loan",
    "debt_swap",
]
INITIATORS = ["", "institution", "customer"]  # who initiated a record (article 7 (九))
_CAP_SHARE = 0.7
HOUR_WEIGHTS = np.array(
    [1, 1, 1, 1, 1, 2, 4, 8, 14, 18, 20, 20, 18, 16, 18, 20, 20, 18, 18, 20, 18, 12, 6, 3], float
)
WORK_HOURS = np.array(
    [0, 0, 0, 0, 0, 0, 0, 1, 8, 20, 20, 20, 10, 14, 20, 20, 18, 10, 2, 0, 0, 0, 0, 0], float
)


def code(vocab: list[str], value: str) -> int:
    """Index of a value in one of the vocabularies above."""
    return vocab.index(value)


@dataclass(slots=True)
class Rows:
    """Transactions as parallel arrays; small string fields as vocabulary indices."""

    cust: np.ndarray
    acct: np.ndarray
    ts: np.ndarray  # seconds since 1970-01-01, China local time
    out: np.ndarray
    fen: np.ndarray  # amount in minor units (1/100) of the transaction currency
    currency: np.ndarray
    cash: np.ndarray
    xb: np.ndarray
    method: np.ndarray
    cp: np.ndarray  # counterparty row
    exempt: np.ndarray
    channel: np.ndarray
    purpose: np.ndarray
    tag: np.ndarray  # planted-row tag, -1 for background
    counter: np.ndarray | None = None  # the other leg's currency: 1 + CURRENCIES index, 0 none
    initiator: np.ndarray | None = None  # INITIATORS index

    def __post_init__(self) -> None:
        if self.counter is None:
            self.counter = np.zeros(len(self.cust), np.int64)
        if self.initiator is None:
            self.initiator = np.zeros(len(self.cust), np.int64)

    @classmethod
    def concat(cls, parts: list[Rows]) -> Rows:
        """Rows of several parts, in order."""
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__slots__))

    def take(self, index: np.ndarray) -> Rows:
        """The rows at `index`."""
        return Rows(*(getattr(self, f)[index] for f in self.__slots__))

    def __len__(self) -> int:
        return len(self.cust)


@dataclass(frozen=True, slots=True)
class Activity:
    """One kind of everyday activity and how it looks."""

    name: str
    share: float
    subjects: str  # individual | entity | merchant
    direction: str  # out | in | both
    median: float  # yuan, or units of foreign currency
    sigma: float
    cap: float
    methods: tuple[str, ...]
    channel: str
    purpose: str
    pool: str  # counterparty kind
    cash: bool = False
    cross_border: bool = False
    foreign: bool = False
    round_to: int = 1
    exemption: str = ""


# fmt: off
ACTIVITIES: tuple[Activity, ...] = (
    Activity("card", 0.28, "individual", "out", 120, 1.0, 20_000, ("000112",), "POS", "消费", "shop"),
    Activity("mobile", 0.2, "individual", "out", 60, 1.1, 10_000, ("000121",), "MOBILE", "消费", "shop"),
    Activity("p2p_out", 0.08, "individual", "out", 1_500, 1.2, 100_000, ("000120", "000131"), "ONLINE", "转账", "person"),
    Activity("p2p_in", 0.08, "individual", "in", 1_500, 1.2, 100_000, ("000120", "000131"), "ONLINE", "转账", "person"),
    Activity("atm", 0.07, "individual", "out", 800, 0.7, 3_000, ("000014",), "ATM", "取现", "person", cash=True, round_to=100),
    Activity("counter_cash", 0.03, "individual", "both", 5_000, 0.8, 30_000, ("000030",), "COUNTER", "存现", "person", cash=True, round_to=100),
    Activity("supplier", 0.09, "entity", "out", 40_000, 1.1, 500_000, ("000131", "000120"), "ONLINE", "货款", "company"),
    Activity("sales", 0.09, "entity", "in", 30_000, 1.1, 500_000, ("000131", "000120"), "ONLINE", "货款", "company"),
    Activity("entity_cash", 0.02, "entity", "both", 8_000, 0.8, 40_000, ("000030",), "COUNTER", "存现", "person", cash=True, round_to=100),
    Activity("merchant_card", 0.04, "merchant", "in", 90, 0.9, 5_000, ("000112",), "POS", "消费", "person"),
    Activity("xb_person", 0.006, "individual", "both", 800, 0.9, 4_000, ("010104",), "COUNTER", "跨境汇款", "foreign", cross_border=True, foreign=True),
    Activity("xb_entity", 0.01, "entity", "both", 20_000, 1.0, 150_000, ("010104",), "ONLINE", "货款", "foreign", cross_border=True, foreign=True),
    Activity("interest", 0.002, "individual", "in", 20, 1.5, 50_000, ("000051",), "", "利息", "internal", exemption="interest"),
    Activity("tax", 0.002, "entity", "out", 20_000, 1.3, 3_000_000, ("000120",), "ONLINE", "税款", "government", exemption="tax"),
)
# fmt: on


def pick_subjects(
    rng: np.random.Generator, pool: np.ndarray, weights: np.ndarray, n: int
) -> np.ndarray:
    if len(pool) == 0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    p = weights[pool]
    total = p.sum()
    if total <= 0:
        return np.zeros(0, dtype=np.int64)
    return pool[
        np.searchsorted(np.cumsum(p) / total, rng.random(n), side="right").clip(0, len(pool) - 1)
    ]


def times_of_day(rng: np.random.Generator, day: dt.date, n: int, weights: np.ndarray) -> np.ndarray:
    midnight = midnight_seconds(day)
    hours = rng.choice(24, n, p=weights / weights.sum())
    return midnight + hours * 3600 + rng.integers(0, 3600, n)


def midnight_seconds(day: dt.date) -> int:
    """Wall-clock seconds from 1970-01-01 00:00 to the start of `day` (no time zone involved)."""
    return (day - dt.date(1970, 1, 1)).days * 86_400


def _pick_accounts(rng: np.random.Generator, pop: Population, cust: np.ndarray) -> np.ndarray:
    return pop.first_account[cust] + (rng.random(len(cust)) * pop.n_accounts[cust]).astype(np.int64)


def _counterparty(rng: np.random.Generator, pop: Population, kind: str, n: int) -> np.ndarray:
    start, end = pop.pools[kind]
    return rng.integers(start, end, n)


def background_day(
    rng: np.random.Generator,
    pop: Population,
    day: dt.date,
    n_rows: int,
    payday: bool,
    rent_day: bool,
) -> Rows:
    """Ordinary activity of one calendar day, about `n_rows` transactions plus payroll and rent."""
    customers = np.arange(len(pop.is_entity))
    live = pop.activity > 0
    pools = {
        "individual": customers[live & ~pop.is_entity],
        "entity": customers[live & pop.is_entity],
        "merchant": customers[live & pop.is_merchant],
    }
    parts: list[Rows] = []
    total_share = sum(a.share for a in ACTIVITIES)
    for activity in ACTIVITIES:
        n = int(rng.poisson(n_rows * activity.share / total_share))
        cust = pick_subjects(rng, pools[activity.subjects], pop.activity, n)
        n = len(cust)
        if n == 0:
            continue
        amount = np.minimum(rng.lognormal(np.log(activity.median), activity.sigma, n), activity.cap)
        fen = np.maximum((amount * 100).astype(np.int64), 100)
        if activity.round_to > 1:
            step = activity.round_to * 100
            fen = np.maximum((fen // step) * step, step)
        out = (
            rng.random(n) < 0.5
            if activity.direction == "both"
            else np.full(n, activity.direction == "out")
        )
        if activity.foreign:
            currency = rng.choice([1, 2, 3, 5], n, p=[0.6, 0.15, 0.15, 0.1])
        else:
            currency = np.zeros(n, dtype=np.int64)
        hours = (
            WORK_HOURS
            if activity.subjects == "entity" or activity.channel == "COUNTER"
            else HOUR_WEIGHTS
        )
        parts.append(
            Rows(
                cust=cust,
                acct=_pick_accounts(rng, pop, cust),
                ts=times_of_day(rng, day, n, hours),
                out=out,
                fen=fen,
                currency=currency,
                cash=np.full(n, activity.cash),
                xb=np.full(n, activity.cross_border),
                method=np.asarray([code(METHODS, m) for m in activity.methods])[
                    rng.integers(0, len(activity.methods), n)
                ],
                cp=_counterparty(rng, pop, activity.pool, n),
                exempt=np.full(n, code(EXEMPTIONS, activity.exemption)),
                channel=np.full(n, code(CHANNELS, activity.channel)),
                purpose=np.full(n, code(PURPOSES, activity.purpose)),
                tag=np.full(n, -1),
                # the bank's own interest and tax postings: initiated by the bank
                initiator=np.full(n, code(INITIATORS, "institution" if activity.exemption else "")),
            )
        )
    if payday:
        parts.extend(_payroll(rng, pop, day))
    if rent_day:
        parts.append(_rent(rng, pop, day))
    return Rows.concat(parts)


def _transfer(
    rng: np.random.Generator,
    pop: Population,
    day: dt.date,
    cust: np.ndarray,
    out: bool,
    fen: np.ndarray,
    cp: np.ndarray,
    purpose: str,
    hours: np.ndarray = WORK_HOURS,
) -> Rows:
    return transfer_rows(pop, cust, times_of_day(rng, day, len(cust), hours), out, fen, cp, purpose)


def transfer_rows(
    pop: Population,
    cust: np.ndarray,
    ts: np.ndarray,
    out: bool,
    fen: np.ndarray,
    cp: np.ndarray,
    purpose: str,
) -> Rows:
    """Online RMB transfers (汇兑) from or to each customer's first account, at `ts`."""
    n = len(cust)
    return Rows(
        cust=cust,
        acct=pop.first_account[cust],
        ts=ts,
        out=np.full(n, out),
        fen=fen,
        currency=np.zeros(n, dtype=np.int64),
        cash=np.zeros(n, bool),
        xb=np.zeros(n, bool),
        method=np.full(n, code(METHODS, "000131")),
        cp=cp,
        exempt=np.zeros(n, dtype=np.int64),
        channel=np.full(n, code(CHANNELS, "ONLINE")),
        purpose=np.full(n, code(PURPOSES, purpose)),
        tag=np.full(n, -1),
    )


def _payroll(rng: np.random.Generator, pop: Population, day: dt.date) -> list[Rows]:
    """Salaries: the employee's receipt, and the employer's payment when it banks here too."""
    employees = np.flatnonzero(pop.employer != -2)
    fen = (np.minimum(rng.lognormal(np.log(8_000), 0.45, len(employees)), 60_000) * 100).astype(
        np.int64
    )
    employer = pop.employer[employees]
    internal = employer >= 0
    start, _ = pop.pools["internal"]
    company_start, company_end = pop.pools["company"]
    cp_in = np.where(
        internal,
        start + pop.first_account[np.maximum(employer, 0)],
        rng.integers(company_start, company_end, len(employees)),
    )
    receipts = _transfer(rng, pop, day, employees, False, fen, cp_in, "工资")
    payer = employer[internal]
    payments = _transfer(
        rng,
        pop,
        day,
        payer,
        True,
        fen[internal],
        start + pop.first_account[employees[internal]],
        "工资",
    )
    return [receipts, payments]


def _rent(rng: np.random.Generator, pop: Population, day: dt.date) -> Rows:
    individuals = np.flatnonzero((~pop.is_entity) & (pop.activity > 0))
    renters = individuals[(individuals % 5 == day.day % 5) & (individuals % 3 == 0)]
    fen = (rng.uniform(2_000, 9_000, len(renters)) // 100 * 10_000).astype(np.int64)
    return _transfer(
        rng,
        pop,
        day,
        renters,
        True,
        fen,
        _counterparty(rng, pop, "person", len(renters)),
        "房租",
        HOUR_WEIGHTS,
    )


def cap_below_thresholds(
    rows: Rows, pop: Population, pack: RulePack, rate_cny: np.ndarray, usd_cny: float
) -> None:
    """Scale amounts so no customer-day-direction-characteristic total reaches 70% of its threshold.

    Args:
        rows: one day's background rows (changed in place).
        pop: the population (for customer types).
        pack: the rule pack whose thresholds to respect.
        rate_cny: CNY per unit of each currency of `CURRENCIES`, for that day.
        usd_cny: CNY per USD that day.
    """
    counted = rows.exempt == 0
    entity = pop.is_entity[rows.cust]
    scope = np.where(rows.cash, 0, np.where(entity | ~rows.xb, 1, 2))
    fx = rows.currency != 0
    key = ((rows.cust * 2 + rows.out) * 3 + scope) * 2 + fx
    key = np.where(counted, key, -1)
    value_cny = rows.fen * rate_cny[rows.currency] / 100.0
    measure = np.where(fx, value_cny / usd_cny, value_cny)
    uniq, inverse = np.unique(key, return_inverse=True)
    sums = np.bincount(inverse, weights=measure)
    # threshold of each group: cash 0501; entity transfers 0502; individual domestic 0503 / cross-border 0504
    limits = {}
    for c in pack.large_value.characteristics:
        for ctype in c.customer_types:
            limits[(c.scope, ctype)] = (
                float(c.threshold_cny),
                float(c.threshold_usd or c.threshold_cny),
            )
    g_key = uniq
    g_fx = g_key % 2
    g_scope = (g_key // 2) % 3
    g_cust = g_key // 12
    g_entity = pop.is_entity[np.maximum(g_cust, 0)]
    cny_t = np.empty(len(uniq))
    usd_t = np.empty(len(uniq))
    for scope_id, scopes in (
        (0, ("cash",)),
        (1, ("transfer", "domestic_transfer")),
        (2, ("cross_border_transfer", "transfer")),
    ):
        for is_ent, ctype in ((True, "entity"), (False, "individual")):
            limit = next(
                (limits[(s, ctype)] for s in scopes if (s, ctype) in limits), (np.inf, np.inf)
            )
            mask = (g_scope == scope_id) & (g_entity == is_ent)
            cny_t[mask], usd_t[mask] = limit
    threshold = np.where(g_fx == 1, usd_t, cny_t)
    factor = np.where(
        sums > 0, np.minimum(1.0, _CAP_SHARE * threshold / np.maximum(sums, 1e-9)), 1.0
    )
    factor[g_key < 0] = 1.0
    scaled = np.floor(rows.fen * factor[inverse]).astype(np.int64)
    rows.fen[:] = np.maximum(scaled, 1)
