"""`amlwatch generate`: a synthetic bank's inbox and the ground truth of what it hides."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amlwatch.rules import BusinessCalendar, CalendarUnknown, RulePack, pack_for
from amlwatch.synth.activity import (
    CHANNELS,
    CURRENCIES,
    METHODS,
    PURPOSES,
    Rows,
    background_day,
    cap_below_thresholds,
    code,
)
from amlwatch.synth.cases import (
    CONCENTRATE_IN_SCATTER_OUT,
    SCATTER_IN_CONCENTRATE_OUT,
    PlantedCase,
    Planter,
)
from amlwatch.synth.files import address_changes, corrupt, to_table, write_ground_truth, write_table
from amlwatch.synth.in_bank import in_bank_day, same_amounts
from amlwatch.synth.plants_screening import write_lists
from amlwatch.synth.population import Population, build_population, fx_rates

FORMATS = ("csv", "parquet", "mixed")
# In a "mixed" inbox, these day numbers are written in another encoding or format.
_MIXED = {2: "utf-8-sig", 4: "gb18030", 6: "parquet"}


@dataclass(slots=True)
class GenerateSummary:
    """What was written."""

    out: Path
    days: int
    customers: int
    accounts: int
    transactions: int
    cases: int
    seconds: float
    per_day: dict[str, int] = field(default_factory=dict)


def generate_bank(
    out: Path,
    *,
    customers: int = 2_000,
    days: int = 30,
    start: dt.date = dt.date(2026, 10, 1),
    txns_per_day: int | None = None,
    seed: int = 20261123,
    fmt: str = "csv",
    corrupt_days: int = 0,
    pack: RulePack | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> GenerateSummary:
    """Write `out/inbox/<date>/…` for `days` calendar days and `out/ground_truth.jsonl`.

    Args:
        out: the folder to write (an inbox below it, ground truth beside it).
        customers: number of customers (about 12% entities).
        days: calendar days from `start`.
        start: the first business date.
        txns_per_day: background transactions on a working day (weekends and holidays
            get about 55%); default 0.9 per customer.
        seed: the same seed writes the same bank, byte for byte.
        fmt: csv, parquet, or mixed (some days in UTF-8 with BOM, GB18030 or Parquet).
        corrupt_days: how many days get a few corrupted rows (labelled `bad_input`).
        pack: the rule pack whose thresholds the planted cases straddle.
        progress: called with (days done, days) after each day.

    Returns:
        Counts of what was written.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    began = time.monotonic()
    rng = np.random.default_rng(seed)
    pack = pack or pack_for(start)
    calendar = BusinessCalendar.load()
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    open_days = [_is_open(calendar, d) for d in dates]
    business_days = [d for d, o in zip(dates, open_days, strict=True) if o]
    rates = fx_rates(rng, dates, open_days)
    rate_on = _rate_lookup(rates, dates)

    rounds = max(1, min(50, customers // 2_000))
    reserved = min(150 * rounds, customers // 4)
    pop = build_population(rng, customers, reserved)
    planter = Planter(rng, pop, pack, rate_on, business_days, dates)
    for _ in range(rounds):
        planter.large_value_cases()
        for kind in (SCATTER_IN_CONCENTRATE_OUT, CONCENTRATE_IN_SCATTER_OUT):
            planter.ring(kind, entity=False)
            planter.ring(kind, entity=True)
        planter.structuring()
        planter.inheritance_and_house()
        planter.salaried_shopper()
        for plant in (planter.pass_through, planter.same_party, planter.night, planter.cash,
                      planter.transfer_structuring, planter.risk_region, planter.new_account,
                      planter.frequent_cash, planter.small_hours, planter.family_transfers,
                      planter.seasonal_business, planter.open_close,
                      planter.card_replacement, planter.out_of_profile,
                      planter.well_off, planter.dormant, planter.asleep_small,
                      planter.periodic, planter.irregular_large, planter.beyond_past,
                      planter.steady_trader, planter.relay, planter.circle,
                      planter.loan_repaid, planter.rent_after_salary,
                      planter.small_relay, planter.cash_trader, planter.border_trader,
                      planter.exposed_person):  # fmt: skip
            plant()
        planter.fans()  # last, on draws of their own: the rest of the bank as it was

    pop.accounts = _last_moved(pop.accounts, pop.first_account, pop.n_accounts, planter, dates[0])
    base = txns_per_day if txns_per_day is not None else round(customers * 0.9)
    inbox = out / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    tag_to_txn: dict[int, str] = {}
    merchants = _decoy_merchants(pop, rounds)
    corrupt_at = (
        set(np.linspace(3, max(3, days - 2), corrupt_days, dtype=int).tolist())
        if corrupt_days
        else set()
    )
    summary = GenerateSummary(
        out=out,
        days=days,
        customers=customers,
        accounts=pop.accounts.num_rows,
        transactions=0,
        cases=0,
        seconds=0.0,
    )
    paydays = _paydays(calendar, dates)
    for i, day in enumerate(dates):
        weight = 1.0 if open_days[i] else 0.55
        n = int(rng.poisson(base * weight)) if base else 0
        rows = background_day(rng, pop, day, n, payday=day in paydays, rent_day=day.day <= 5)
        day_rates = rate_on(day)
        rate_vector = np.asarray([1.0 if c == "CNY" else day_rates[c] for c in CURRENCIES])
        rows = Rows.concat([rows, _settlements(rng, pop, merchants, rows, day)])
        in_bank = in_bank_day(rng, pop, day, n)
        if in_bank is not None:  # last: their two records are matched again after the caps
            rows = Rows.concat([rows, in_bank])
        cap_below_thresholds(rows, pop, pack, rate_vector, day_rates["USD"])
        if in_bank is not None:
            same_amounts(rows, len(in_bank.fen) // 2)
        planted = planter.rows_for(day)
        if planted is not None:
            rows = Rows.concat([rows, planted])
        table, tags = to_table(rows, pop, day)
        tag_to_txn.update(tags)
        if i == 0:
            first_day = table
        style = (
            _MIXED.get(i, "utf-8")
            if fmt == "mixed"
            else ("parquet" if fmt == "parquet" else "utf-8")
        )
        if i in corrupt_at and style != "parquet":
            table = corrupt(rng, table, planter, day)
        folder = inbox / day.isoformat()
        folder.mkdir(exist_ok=True)
        write_table(table, folder / "transactions", style)
        if i == 0:
            write_table(pop.customers, folder / "customers", style)
        accounts = _accounts_as_of(pop.accounts, planter, day, first=i == 0)
        if accounts is not None:
            write_table(accounts, folder / "accounts", style)
        elif i % 7 == 0:
            changed = address_changes(rng, pop, day)
            write_table(changed, folder / "customers", style)
        published = rates.get(day)
        rate_date = day
        if published is None and i == 0:  # the first folder brings the rate last published
            published, rate_date = rate_on(day), day - dt.timedelta(days=1)
        if published is not None:
            write_table(
                pa.table(
                    {
                        "rate_date": pa.array([rate_date] * len(published), pa.date32()),
                        "currency": list(published),
                        "cny_per_unit": [f"{v:.6f}" for v in published.values()],
                    }
                ),
                folder / "fx_rates",
                style,
            )
        summary.transactions += table.num_rows
        summary.per_day[day.isoformat()] = table.num_rows
        if progress:
            progress(i + 1, days)

    _record_decoys(planter, pop, merchants, paydays, business_days)
    if days:  # on draws of their own: the bank above is the same with or without lists
        write_lists(np.random.default_rng([seed, 36]), out, pop.customers, first_day)
    summary.cases = len(planter.cases)
    write_ground_truth(out, planter.cases, pop, tag_to_txn)
    summary.seconds = time.monotonic() - began
    manifest = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(summary).items()}
    manifest.update(
        seed=seed, start=start.isoformat(), format=fmt, rule_pack=pack.label, txns_per_day=base
    )
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return summary


def _is_open(calendar: BusinessCalendar, day: dt.date) -> bool:
    try:
        return calendar.is_business_day(day)
    except CalendarUnknown:
        return day.weekday() < 5  # synthetic data only: monitoring itself never guesses


def _rate_lookup(
    rates: dict[dt.date, dict[str, float]], dates: list[dt.date]
) -> Callable[[dt.date], dict[str, float]]:
    """The rate in force on a day: that day's, else the latest earlier one (as ingest does)."""
    in_force: dict[dt.date, dict[str, float]] = {}
    last: dict[str, float] | None = None
    for day in dates:
        last = rates.get(day, last)
        if last is None:  # before the first publication: use the first one
            last = (
                rates[min(rates)]
                if rates
                else {"USD": 7.1, "EUR": 7.7, "HKD": 0.91, "JPY": 0.047, "GBP": 9.0}
            )
        in_force[day] = last
    return lambda day: in_force[day]


def _last_moved(
    accounts: pa.Table, first: np.ndarray, count: np.ndarray, planter: Planter, day: dt.date
) -> pa.Table:
    """The core system's 上次动户日 of each account as the first day's file gives it: some day
    of the six weeks before (none for an account opened after it), or what a dormant plant
    set. Drawn from a generator of its own, so that the rest of the bank is what it was."""
    rng = np.random.default_rng([accounts.num_rows, 20261208])
    moved = np.datetime64(day, "D") - rng.integers(1, 43, accounts.num_rows).astype(
        "timedelta64[D]"
    )
    for cust, slept in planter.moved_on.items():
        moved[first[cust] : first[cust] + count[cust]] = np.datetime64(slept, "D")
    opened = accounts["opened_at"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    never = np.isnat(opened) | (opened >= moved)
    column = pa.array(moved, pa.date32())
    return accounts.append_column(
        "last_moved_on", pc.if_else(pa.array(never), pa.scalar(None, pa.date32()), column)
    )


def _accounts_as_of(
    accounts: pa.Table, planter: Planter, day: dt.date, first: bool
) -> pa.Table | None:
    """The accounts file of a day: on the first, every account but those opened later; on
    a day an account is opened or closed, that account as it is then (not closed yet on the
    day it is opened). None: no file that day."""
    rows = set(planter.account_days.get(day, []))
    if first:
        rows |= {r for r in range(accounts.num_rows) if planter.opened_late.get(r, day) <= day}
    if not rows:
        return None
    table = accounts.take(pa.array(sorted(rows), pa.int64()))
    closed = table["closed_at"].to_numpy(zero_copy_only=False)
    shown = ~np.isnat(closed) & (closed < np.datetime64(day + dt.timedelta(days=1)))
    at = table.schema.get_field_index("closed_at")
    hidden = pa.scalar(None, pa.timestamp("s"))
    return table.set_column(
        at, "closed_at", pc.if_else(pa.array(shown), table["closed_at"], hidden)
    )


def _paydays(calendar: BusinessCalendar, dates: list[dt.date]) -> set[dt.date]:
    """The 15th of each month, or the business day before it."""
    out = set()
    for month in sorted({(d.year, d.month) for d in dates}):
        day = dt.date(month[0], month[1], 15)
        while not _is_open(calendar, day):
            day -= dt.timedelta(days=1)
        out.add(day)
    return out


def _decoy_merchants(pop: Population, rounds: int) -> np.ndarray:
    merchants = np.flatnonzero(pop.is_merchant)
    if len(merchants) == 0:
        return merchants
    busiest = merchants[np.argsort(-pop.activity[merchants], kind="stable")]
    return np.sort(busiest[: 2 * rounds])


def _settlements(
    rng: np.random.Generator, pop: Population, merchants: np.ndarray, rows: Rows, day: dt.date
) -> Rows:
    """Each decoy merchant settles the day's card takings to its own account at another bank."""
    card = (rows.method == code(METHODS, "000112")) & ~rows.out & np.isin(rows.cust, merchants)
    takings = np.bincount(
        np.searchsorted(merchants, rows.cust[card]),
        weights=rows.fen[card],
        minlength=len(merchants),
    ).astype(np.int64)
    who = np.flatnonzero(takings > 0)
    n = len(who)
    start, _ = pop.pools["company"]
    return Rows(
        cust=merchants[who],
        acct=pop.first_account[merchants[who]],
        ts=np.full(n, (day - dt.date(1970, 1, 1)).days * 86_400 + 23 * 3600 + 30 * 60),
        out=np.ones(n, bool),
        fen=takings[who],
        currency=np.zeros(n, np.int64),
        cash=np.zeros(n, bool),
        xb=np.zeros(n, bool),
        method=np.full(n, code(METHODS, "000131")),
        cp=start + merchants[who] % 1000,
        exempt=np.zeros(n, np.int64),
        channel=np.full(n, code(CHANNELS, "ONLINE")),
        purpose=np.full(n, code(PURPOSES, "商户结算")),
        tag=np.full(n, -1),
    )


def _record_decoys(
    planter: Planter,
    pop: Population,
    merchants: np.ndarray,
    paydays: set[dt.date],
    business_days: list[dt.date],
) -> None:
    for employer in (0, 1):
        staff = int((pop.employer == employer).sum())
        for payday in sorted(paydays):
            planter.cases.append(
                PlantedCase(
                    f"decoy_payroll-{employer}-{payday:%Y%m%d}",
                    "decoy_payroll",
                    "no_alert",
                    employer,
                    f"payroll to {staff} employees on {payday}",
                    window=(payday, payday),
                )
            )
    if business_days:
        for m in merchants:
            planter.cases.append(
                PlantedCase(
                    f"decoy_merchant-{int(m)}",
                    "decoy_merchant",
                    "no_alert",
                    int(m),
                    "card takings from many payers, settled daily to its own account",
                    window=(business_days[0], business_days[-1]),
                )
            )
