"""Ordinary transfers between two of the bank's own customers: what the network standards must
not mistake for a ring.

- relatives and friends: a person pays a partner (each person has one, fixed) or anyone —
  dinners, shared bills, now and then a large sum — and partners pay each other back;
- firms: a firm pays its regular supplier (one, fixed) or another firm, which pays its own
  supplier in turn, often within days and for sums of the same order: a supply chain.

Each transfer is booked twice, as the bank books one between two of its accounts: the
payer's payment (the payee's account as counterparty) and the payee's receipt.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from amlwatch.synth.activity import (
    HOUR_WEIGHTS,
    WORK_HOURS,
    Rows,
    pick_subjects,
    times_of_day,
    transfer_rows,
)
from amlwatch.synth.population import Population

SHARE = 0.03  # of a day's background rows: in-bank transfers (two rows each)


def in_bank_day(
    rng: np.random.Generator, pop: Population, day: dt.date, n_rows: int
) -> Rows | None:
    """About `n_rows × SHARE` transfers between live customers of `day`: every payer's record,
    then every payee's in the same order (`same_amounts` relies on it)."""
    customers = np.arange(len(pop.is_entity))
    live = pop.activity > 0
    internal, _ = pop.pools["internal"]  # the counterparty row of each of the bank's accounts
    first = pop.first_account
    payers, payees = [], []
    for entity, median, sigma, cap, purpose, hours in (
        (False, 1_500.0, 1.3, 150_000.0, "转账", HOUR_WEIGHTS),
        (True, 40_000.0, 1.1, 800_000.0, "货款", WORK_HOURS),
    ):
        pool = customers[live & (pop.is_entity == entity)]
        n = int(rng.poisson(n_rows * SHARE / 2))
        payer = pick_subjects(rng, pool, pop.activity, n)
        if len(pool) < 2 or len(payer) == 0:
            continue
        position = np.searchsorted(pool, payer)
        # a person's partner: its neighbour in the pool; a firm's supplier: seven places on
        usual = (
            pool[(position ^ 1).clip(0, len(pool) - 1)]
            if not entity
            else pool[(position + 7) % len(pool)]
        )
        payee = np.where(
            rng.random(len(payer)) < 0.6, usual, pool[rng.integers(0, len(pool), len(payer))]
        )
        keep = payee != payer
        payer, payee = payer[keep], payee[keep]
        fen = (np.minimum(rng.lognormal(np.log(median), sigma, len(payer)), cap) * 100).astype(
            np.int64
        )
        ts = times_of_day(rng, day, len(payer), hours)
        payers.append(transfer_rows(pop, payer, ts, True, fen, internal + first[payee], purpose))
        payees.append(
            transfer_rows(pop, payee, ts + 1, False, fen, internal + first[payer], purpose)
        )
    return Rows.concat(payers + payees) if payers else None


def same_amounts(rows: Rows, transfers: int) -> None:
    """Both records of each of the last `transfers` × 2 rows' transfers the smaller of their
    amounts (after the background was scaled under the large-value thresholds customer by
    customer, in place): a transfer moves one sum."""
    tail = rows.fen[len(rows.fen) - 2 * transfers :]
    least = np.minimum(tail[:transfers], tail[transfers:])
    tail[:transfers] = least
    tail[transfers:] = least
