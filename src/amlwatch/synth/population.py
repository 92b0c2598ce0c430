"""The synthetic bank's customers, accounts, counterparties and FX rates, built with NumPy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amlwatch.codes import uscc_check_character
from amlwatch.synth.vocabulary import (
    BANKS,
    CITIES,
    FOREIGN,
    GIVEN,
    REGIONS,
    SHOP_KINDS,
    SURNAMES,
    TRADES,
    WORDS,
)

BRANCHES = [f"B{n:03d}" for n in range(1, 9)]
FX_BASE = {"USD": 7.10, "EUR": 7.72, "HKD": 0.912, "JPY": 0.0473, "GBP": 9.05}
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"))


def _pick(rng: np.random.Generator, items: list[str], n: int) -> pa.Array:
    return pa.array(items, pa.string()).take(pa.array(rng.integers(0, len(items), n)))


def _join(*parts: pa.Array | np.ndarray | str) -> pa.Array:
    arrays = [
        p if isinstance(p, (str, pa.Array, pa.ChunkedArray)) else pa.array(p, pa.string())
        for p in parts
    ]
    return pc.binary_join_element_wise(*arrays, "")


def _digits(rng: np.random.Generator, n: int, width: int) -> pa.Array:
    values = rng.integers(0, 10**width, n, dtype=np.int64)
    return pc.utf8_lpad(pa.array(values).cast(pa.string()), width, "0")


def _seq(prefix: str, start: int, n: int, width: int) -> pa.Array:
    numbers = pa.array(np.arange(start, start + n, dtype=np.int64)).cast(pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, width, "0"), "")


def person_names(rng: np.random.Generator, n: int) -> pa.Array:
    """Chinese personal names: a surname and one or two given-name characters."""
    two = pa.array(rng.random(n) < 0.6)
    second = pc.if_else(two, _pick(rng, GIVEN, n), pa.scalar("", pa.string()))
    return _join(_pick(rng, SURNAMES, n), _pick(rng, GIVEN, n), second)


def company_names(rng: np.random.Generator, n: int) -> pa.Array:
    """Company names: city, trade name, line of business, legal form."""
    return _join(_pick(rng, CITIES, n), _pick(rng, WORDS, n), _pick(rng, TRADES, n), "有限公司")


def _with_uscc_check(first_17: pa.Array) -> pa.Array:
    """Unified social credit codes: the 17 characters and their GB 32100 check character."""
    return pa.array([b + uscc_check_character(b) for b in first_17.to_pylist()], pa.string())


def resident_ids(rng: np.random.Generator, n: int) -> pa.Array:
    """18-digit resident identity numbers with a valid ISO 7064 check character."""
    region = np.asarray(REGIONS, dtype=np.int64)[rng.integers(0, len(REGIONS), n)]
    birth = np.datetime64("1950-01-01") + rng.integers(0, 365 * 55, n).astype("timedelta64[D]")
    years = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    months = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    body = ((region * 10_000 + years) * 100 + months) * 100 + days
    body = body * 1000 + rng.integers(0, 1000, n)  # 17 digits; regions never start with 0
    powers = 10 ** np.arange(16, -1, -1, dtype=np.int64)
    digits = (body[:, None] // powers) % 10
    check = pa.array(_ID_CHECK, pa.string()).take(pa.array((digits @ _ID_WEIGHTS) % 11))
    return _join(pa.array(body).cast(pa.string()), check)


@dataclass(slots=True)
class Population:
    """Customers and accounts of the bank, and counterparties elsewhere."""

    customers: pa.Table
    accounts: pa.Table
    is_entity: np.ndarray  # per customer
    account_owner: np.ndarray  # per account: customer index
    first_account: np.ndarray  # per customer: index of its first account
    n_accounts: np.ndarray  # per customer
    activity: np.ndarray  # per customer: relative transaction frequency
    employer: np.ndarray  # per customer: employer customer index, -1 external, -2 none
    is_merchant: np.ndarray  # per customer
    reserved: np.ndarray  # customer indices kept out of background activity (planted cases)
    counterparties: pa.Table  # name, account, bank_name, bank_code, region, is_government
    pools: dict[str, tuple[int, int]]  # counterparty kind -> [start, end) rows


def _declared(
    customers: pa.Table, is_entity: np.ndarray, activity: np.ndarray, reserved: np.ndarray
) -> pa.Table:
    """What each customer declared when it opened its relationship: a person's annual income,
    a firm's registered capital (CNY), in line with how busy it is; one in five did not say,
    nor did the planted-case subjects (a plant says what its case needs). Drawn from a
    generator of its own, so that the rest of the bank is what it was."""
    n = len(is_entity)
    rng = np.random.default_rng([n, 20261207])
    scale = np.maximum(activity, 0.2)
    income = np.round(rng.lognormal(np.log(150_000), 0.5, n) * scale, -3)
    capital = np.round(rng.lognormal(np.log(10_000_000), 0.8, n) * scale, -4)
    figure = np.where(is_entity, capital, income)
    unknown = rng.random(n) < 0.2
    unknown[reserved] = True
    values = pa.array([None if u else f"{v:.2f}" for u, v in zip(unknown, figure, strict=True)])
    none = pa.nulls(n, pa.string())
    return customers.append_column(
        "declared_income_cny", pc.if_else(pa.array(~is_entity), values, none)
    ).append_column("registered_capital_cny", pc.if_else(pa.array(is_entity), values, none))


def build_population(rng: np.random.Generator, n_customers: int, n_reserved: int) -> Population:
    """Customers (12% entities), 1–3 accounts each, and external counterparty pools."""
    n = n_customers
    is_entity = rng.random(n) < 0.12
    is_entity[:2] = True  # the first two are always employers with a payroll
    # planted-case subjects (the last customers): 40% entities, whatever the draw
    is_entity[n - n_reserved :] = np.arange(n_reserved) < int(n_reserved * 0.4)
    customer_id = _seq("C", 1, n, 9)
    names = pc.if_else(pa.array(is_entity), company_names(rng, n), person_names(rng, n))
    foreigner = (~is_entity) & (rng.random(n) < 0.02)
    id_type = np.where(is_entity, "610099", np.where(foreigner, "110027", "110001"))
    id_number = pc.if_else(
        pa.array(is_entity),
        _with_uscc_check(_join("91", _pick(rng, REGIONS, n), _digits(rng, n, 9))),
        pc.if_else(pa.array(foreigner), _join("E", _digits(rng, n, 8)), resident_ids(rng, n)),
    )
    city = rng.integers(0, len(CITIES), n)
    branch = np.asarray(BRANCHES)[rng.integers(0, len(BRANCHES), n)]
    address = _join(
        pa.array(CITIES).take(pa.array(city)),
        "市",
        _pick(rng, WORDS, n),
        "路",
        pa.array(rng.integers(1, 999, n)).cast(pa.string()),
        "号",
    )
    phone = _join("1", _pick(rng, ["3", "5", "8"], n), _digits(rng, n, 9))
    occupation = np.where(
        is_entity,
        np.asarray(["F51", "I65", "C39", "E47", "H62", "K70"])[rng.integers(0, 6, n)],
        np.asarray(["10000", "20000", "30000", "40000", "60000", "80000"])[rng.integers(0, 6, n)],
    )
    legal_rep = pc.if_else(pa.array(is_entity), person_names(rng, n), pa.scalar("", pa.string()))
    legal_rep_id = pc.if_else(pa.array(is_entity), resident_ids(rng, n), pa.scalar("", pa.string()))
    customers = pa.table(
        {
            "customer_id": customer_id,
            "name": names,
            "customer_type": np.where(is_entity, "entity", "individual"),
            "id_type": id_type,
            "id_number": id_number,
            "nationality": np.where(foreigner, "USA", "CHN"),
            "occupation_or_industry": occupation,
            "address": address,
            "phone": phone,
            "legal_rep_name": legal_rep,
            "legal_rep_id_type": np.where(is_entity, "110001", ""),
            "legal_rep_id_number": legal_rep_id,
            "branch_code": branch,
            "is_state_organ": np.zeros(n, bool),  # planted cases mark a few (article 7 (三))
            "is_pep": np.zeros(n, bool),  # a planted case marks one (the risk rating)
        }
    )

    n_accounts = np.where(is_entity, rng.integers(1, 4, n), rng.integers(1, 3, n))
    n_accounts[n - n_reserved :] = np.maximum(n_accounts[n - n_reserved :], 2)  # the reserved
    first_account = np.concatenate([[0], np.cumsum(n_accounts)[:-1]])
    owner = np.repeat(np.arange(n), n_accounts)
    total = int(n_accounts.sum())
    owner_entity = is_entity[owner]
    account_id = pc.if_else(
        pa.array(owner_entity),
        _seq("3100", 10_000_001, total, 11),
        _seq("6222", 100_000_001, total, 15),
    )
    opened = np.datetime64("2010-01-01") + rng.integers(0, 365 * 14, total).astype("timedelta64[D]")
    accounts = pa.table(
        {
            "account_id": account_id,
            "customer_id": pc.take(customer_id, pa.array(owner)),
            "account_type": np.where(
                owner_entity, np.where(rng.random(total) < 0.6, "620001", "620002"), "120013"
            ),
            "opened_at": pa.array(opened.astype("datetime64[s]")),
            "closed_at": pa.nulls(total, pa.timestamp("s")),
            "card_type": np.where(owner_entity, "", "10"),
            "card_number": pc.if_else(
                pa.array(owner_entity), pa.scalar("", pa.string()), account_id
            ),
        }
    )

    activity = rng.lognormal(0.0, 0.8, n)
    entities = np.flatnonzero(is_entity)
    employer = np.full(n, -2)
    individuals = np.flatnonzero(~is_entity)
    employed = individuals[rng.random(len(individuals)) < 0.7]
    # a few large employers (the first two get a real payroll), the rest elsewhere
    internal = rng.random(len(employed)) < 0.35
    big = np.concatenate([entities[:2], entities[2:8]])
    weights = np.where(np.arange(len(big)) < 2, 6.0, 1.0)
    employer[employed[internal]] = rng.choice(big, internal.sum(), p=weights / weights.sum())
    employer[employed[~internal]] = -1
    is_merchant = np.zeros(n, dtype=bool)
    small_firms = entities[8:]
    is_merchant[small_firms[rng.random(len(small_firms)) < 0.3]] = True

    reserved = np.arange(n - n_reserved, n)  # planted-case subjects: the last customers
    activity[reserved] = 0.0
    employer[reserved] = -2
    is_merchant[reserved] = False

    counterparties, pools = _counterparties(
        rng, min(max(2000, n // 2), 200_000), customers, accounts, owner
    )
    customers = _declared(customers, is_entity, activity, reserved)
    return Population(
        customers=customers,
        accounts=accounts,
        is_entity=is_entity,
        account_owner=owner,
        first_account=first_account,
        n_accounts=n_accounts,
        activity=activity,
        employer=employer,
        is_merchant=is_merchant,
        reserved=reserved,
        counterparties=counterparties,
        pools=pools,
    )


def _counterparties(
    rng: np.random.Generator, size: int, customers: pa.Table, accounts: pa.Table, owner: np.ndarray
) -> tuple[pa.Table, dict[str, tuple[int, int]]]:
    """External parties by kind, then the bank's own accounts (for transfers between customers)."""
    parts: list[pa.Table] = []
    pools: dict[str, tuple[int, int]] = {}
    start = 0

    def add(kind: str, names: pa.Array, region: pa.Array, government: bool = False) -> None:
        nonlocal start
        k = len(names)
        bank = rng.integers(0, len(BANKS), k)
        parts.append(
            pa.table(
                {
                    "name": names,
                    "account": _seq(f"{kind[:1].upper()}9", start, k, 14),
                    "bank_name": np.asarray([b for b, _ in BANKS])[bank],
                    "bank_code": np.asarray([c for _, c in BANKS])[bank],
                    "region": region,
                    "is_government": np.full(k, government),
                }
            )
        )
        pools[kind] = (start, start + k)
        start += k

    def domestic(k: int) -> pa.Array:
        return _join("CHN", _pick(rng, REGIONS, k))

    add(
        "shop",
        _join(_pick(rng, CITIES, size), _pick(rng, WORDS, size), _pick(rng, SHOP_KINDS, size)),
        domestic(size),
    )
    add("person", person_names(rng, size * 4), domestic(size * 4))
    add("company", company_names(rng, size), domestic(size))
    foreign_k = max(200, size // 10)
    countries = _pick(rng, [c for c, _ in FOREIGN], foreign_k)
    add(
        "foreign",
        _join(
            _pick(rng, ["Global", "Pacific", "Harbour", "Northern", "Atlas"], foreign_k),
            " ",
            _pick(rng, ["Trading", "Holdings", "Logistics", "Partners"], foreign_k),
            " Ltd",
        ),
        _join(countries, "000000"),
    )
    # state organs (article 7 (三) exempts them) and, apart, public institutions and state
    # firms under them, which it does not: a provident fund centre is a 事业单位
    gov = [
        "国家税务总局",
        "市财政局",
        "市人力资源和社会保障局",
        "区人民法院",
    ]
    public = ["市住房公积金管理中心", "市第一人民医院", "市自来水集团有限公司"]
    k = len(gov) * len(CITIES)
    gov_names = _join(
        pa.array(np.repeat(np.asarray(CITIES), len(gov))),
        pa.array(np.tile(np.asarray(gov), len(CITIES))),
    )
    add("government", gov_names, domestic(k), government=True)
    k = len(public) * len(CITIES)
    public_names = _join(
        pa.array(np.repeat(np.asarray(CITIES), len(public))),
        pa.array(np.tile(np.asarray(public), len(CITIES))),
    )
    add("public", public_names, domestic(k))
    # a few parties in high-risk regions (the pack's list): only planted cases pay them
    risky_k = 30
    add(
        "risky",
        _join(_pick(rng, ["Gulf", "Eastern", "Delta"], risky_k), " General Trading Co"),
        _join(_pick(rng, ["IRN", "PRK", "MMR"], risky_k), "000000"),
    )
    internal = pa.table(
        {
            "name": pc.take(customers["name"], pa.array(owner)),
            "account": accounts["account_id"],
            "bank_name": pa.array(["本行"] * accounts.num_rows),
            "bank_code": pa.array(["999"] * accounts.num_rows),
            "region": np.full(accounts.num_rows, "CHN110105"),
            "is_government": np.zeros(accounts.num_rows, dtype=bool),
        }
    )
    parts.append(internal)
    pools["internal"] = (start, start + accounts.num_rows)
    return pa.concat_tables(parts), pools


def fx_rates(
    rng: np.random.Generator, days: list[dt.date], published: list[bool]
) -> dict[dt.date, dict[str, float]]:
    """Central parity rates (a gentle random walk), published on business days only."""
    rates: dict[dt.date, dict[str, float]] = {}
    level = dict(FX_BASE)
    for day, open_ in zip(days, published, strict=True):
        for currency in level:
            level[currency] *= float(np.exp(rng.normal(0, 0.002)))
        if open_:
            rates[day] = {c: round(v, 6 if c == "JPY" else 4) for c, v in level.items()}
    return rates
