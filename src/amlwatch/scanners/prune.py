"""Which customers can match at all: bounds from a first look at the rows, so that the merge
places, and the kernel scans, only customers that may reach a standard's minimums.

Any window of the scan lies in two consecutive *blocks* of days (a block is at least as long
as the longest window). For each customer and block the first look adds up, per side, the
records with a counterparty and the amounts. Records with a counterparty are at least the
distinct counterparties, and a window's totals at most its two blocks' totals, so a customer
none of whose block pairs reaches

    scattered side's records with a counterparty  >= min_scattered_parties
    concentrated side's records with one          >= 1
    receipts and payments, each                   >= max(min_amount, 1)

for its customer type, under either standard, has no matching window. With the standards of
other families running too, a customer is kept as well when a block pair's receipts and
payments together reach `least` for its type — the least total any of those standards needs
(each needs its marked records' total, or its receipts, at a minimum, and those are part of
the window's total). Such customers are dropped before their rows are placed; the hits are
the same as scanning everyone (checked in tests/scanners/test_pruning.py and
tests/scanners/test_standards.py).

A standard whose marked records are a kind of record — cash, a listed region, a time of day,
an amount band (`filters`, one row per such standard and customer type: `PF_*`) — is
bounded tighter: the first look also adds up, per such standard, the records that may be
marked (their amounts and count), and a customer is kept for it when a block pair's reach
the standard's least marked total and count. Its least window total then need not keep the
customer: a small-hours standard needing 30,000 in 15 records no longer keeps every customer
whose window moves 30,000.

A standard only some customers can match at all — one with account events to count, a
declared figure to weigh, a newly opened account — gives its least total to those customers
only (`own_least`, per customer), not to every customer of the type.

Only matches are kept: a caller that wants every window's metrics (`scan_patterns(...,
emit_all=True)`) merges without pruning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from amlwatch.scanners.config import JIT
from amlwatch.scanners.patterns import P_MIN_AMOUNT, P_MIN_SCATTERED, SECONDS_PER_DAY, PatternParams

# the per-(customer, block) tallies (then each filter's amount and count)
IN_PARTIED, OUT_PARTIED, IN_AMOUNT, OUT_AMOUNT = range(4)
NO_FAMILY = 1 << 62  # no standard of another family runs for the customer type
# a filter row: the records a standard may mark — kind bits they all have, time of day in
# [from, to) (across midnight when from > to), amount in [lo, hi), 1: a counterparty known —
# and the least total and count of them a window needs (`NO_FAMILY`: not for the type)
PF_KIND, PF_FROM, PF_TO, PF_LO, PF_HI, PF_PARTY, PF_LEAST, PF_COUNT = range(8)
PF_COLUMNS = 8
WHOLE_DAY = (0, 86_400)


@dataclass(frozen=True, slots=True)
class Prune:
    """The blocks of a scan's windows and the thresholds a customer must be able to reach.

    Attributes:
        table: the kernel's parameter table (`PatternParams.table`).
        origin: the first day of the earliest window (days since 1970-01-01).
        block_days: a block's length in days, at least the longest window's.
        blocks: how many blocks cover the windows.
        least: per customer type (individual, entity), the least window total (receipts and
            payments) a standard of another family needs; `NO_FAMILY` where none runs.
        filters: (standards, 2, PF_COLUMNS): the filtered standards' rows (see above).
    """

    table: np.ndarray
    origin: int
    block_days: int
    blocks: int
    least: np.ndarray
    filters: np.ndarray

    @classmethod
    def for_windows(
        cls,
        params: PatternParams,
        end_days: np.ndarray,
        start_days: np.ndarray,
        max_blocks: int = 4,
        least: np.ndarray | None = None,
        filters: np.ndarray | None = None,
    ) -> Prune:
        """Blocks for windows `start_days[i]..end_days[i]` (the earliest start of every
        standard's window): as short as the longest window, unless that makes more than
        `max_blocks` (the tallies are blocks × customers × 4); `least` as the attribute."""
        ends = np.asarray(end_days, np.int64)
        starts = np.asarray(start_days, np.int64)
        origin = int(starts.min())
        span = int(ends.max()) - origin + 1
        longest = int((ends - starts).max()) + 1
        block = max(longest, -(-span // max(1, max_blocks)))
        floor = np.full(2, NO_FAMILY, np.int64) if least is None else np.asarray(least, np.int64)
        rows = np.empty((0, 2, PF_COLUMNS), np.int64) if filters is None else filters
        return cls(
            np.ascontiguousarray(params.table, np.int64), origin, block, -(-span // block), floor,
            np.ascontiguousarray(rows, np.int64),
        )  # fmt: skip

    def tallies(self, keys: int) -> np.ndarray:
        """Zeroed tallies for `keys` customers, block by block (a day's rows, in key order,
        then sweep one block's part)."""
        return np.zeros((self.blocks, keys, 4 + 2 * len(self.filters)), np.int64)


@njit(**JIT)
def tally_blocks(
    found: np.ndarray,
    ts: np.ndarray,
    out: np.ndarray,
    amount: np.ndarray,
    party: np.ndarray,
    kind: np.ndarray,
    entity: np.ndarray,
    filters: np.ndarray,
    tallies: np.ndarray,
    origin: int,
    block_days: int,
) -> None:
    """Add each located row (`found`: its customer's index, -1 for none; `entity` by that
    index) to its customer's tallies of the block its day falls in (a day outside the blocks
    counts in the nearest: the bound only grows), and to each filter it passes."""
    blocks = tallies.shape[0]
    for i in range(found.shape[0]):
        j = found[i]
        if j < 0:
            continue
        b = (ts[i] // SECONDS_PER_DAY - origin) // block_days
        b = min(max(b, 0), blocks - 1)
        side = 1 if out[i] else 0
        if party[i] != 0:
            tallies[b, j, IN_PARTIED + side] += 1
        tallies[b, j, IN_AMOUNT + side] += amount[i]
        if filters.shape[0] == 0:
            continue
        t = 1 if entity[j] else 0
        second = ts[i] % SECONDS_PER_DAY
        for s in range(filters.shape[0]):
            if _passes(filters, s, t, second, amount[i], kind[i], party[i]):
                tallies[b, j, 4 + 2 * s] += amount[i]
                tallies[b, j, 5 + 2 * s] += 1


@njit(**JIT)
def _passes(
    filters: np.ndarray, s: int, t: int, second: int, amount: int, kind: int, party: int
) -> bool:
    """Whether a record may be marked by filtered standard `s` (see `PF_*`) for type `t`."""
    mask = filters[s, t, PF_KIND]
    if kind & mask != mask or amount < filters[s, t, PF_LO] or amount >= filters[s, t, PF_HI]:
        return False
    if party == 0 and filters[s, t, PF_PARTY]:
        return False
    start, stop = filters[s, t, PF_FROM], filters[s, t, PF_TO]
    inside = start <= second < stop if start <= stop else second >= start or second < stop
    return inside and filters[s, t, PF_LEAST] < NO_FAMILY


@njit(**JIT)
def _pair(tallies: np.ndarray, b: int, j: int, column: int) -> int:
    """A tally of blocks b and b + 1 together (block b alone when it is the last)."""
    if b + 1 < tallies.shape[0]:
        return int(tallies[b, j, column] + tallies[b + 1, j, column])
    return int(tallies[b, j, column])


@njit(**JIT)
def may_match(
    tallies: np.ndarray,
    entity: np.ndarray,
    table: np.ndarray,
    least: np.ndarray,
    filters: np.ndarray,
    own_least: np.ndarray,
) -> np.ndarray:
    """Per customer: whether some pair of consecutive blocks reaches the bounds of the
    module's docstring for its type (`entity`: index 1 of `table`, `least` and the filters,
    else 0), or its own least total (`own_least`, per customer; empty: none)."""
    blocks, keys = tallies.shape[0], tallies.shape[1]
    keep = np.zeros(keys, np.bool_)
    for j in range(keys):
        t = 1 if entity[j] else 0
        p = table[t]
        floor = least[t]
        if own_least.shape[0]:
            floor = min(floor, own_least[j])
        scattered = p[P_MIN_SCATTERED]
        least_leg = max(p[P_MIN_AMOUNT], 1)
        for b in range(blocks):
            in_p = _pair(tallies, b, j, IN_PARTIED)
            out_p = _pair(tallies, b, j, OUT_PARTIED)
            in_a = _pair(tallies, b, j, IN_AMOUNT)
            out_a = _pair(tallies, b, j, OUT_AMOUNT)
            if floor < NO_FAMILY and in_a + out_a >= floor:
                keep[j] = True
                break
            for s in range(filters.shape[0]):
                f = filters[s, t]
                if (
                    f[PF_LEAST] < NO_FAMILY
                    and _pair(tallies, b, j, 4 + 2 * s) >= f[PF_LEAST]
                    and _pair(tallies, b, j, 5 + 2 * s) >= f[PF_COUNT]
                ):
                    keep[j] = True
            if keep[j]:
                break
            if in_a < least_leg or out_a < least_leg:
                continue
            if (in_p >= scattered and out_p >= 1) or (out_p >= scattered and in_p >= 1):
                keep[j] = True
                break
    return keep
