"""The window's transfer graph and the hop between two of its edges."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numba import njit

from amlwatch.scanners.config import JIT
from amlwatch.scanners.exceptions import ScannerInputError

BP = 10_000  # a ratio's basis points
MOST_GAP = 366 * 86_400  # a hop's gap: a year at most
MOST_AMOUNT = 1 << 46  # thousandths of CNY (70 billion): the products stay inside 2^63


@dataclass(frozen=True, slots=True)
class TransferGraph:
    """One edge per transfer between two of the bank's accounts, sorted by time.

    Attributes:
        src, dst: int64 account codes in 0 .. n_accounts-1 (payer's, payee's).
        ts: int64 booking time of the payment, seconds since 1970-01-01 (China local time),
            non-decreasing.
        amount: int64 CNY equivalent in thousandths, 0 .. 2^46.
        owner: per account code, int64 code of the customer it belongs to.
    """

    src: np.ndarray
    dst: np.ndarray
    ts: np.ndarray
    amount: np.ndarray
    owner: np.ndarray

    def checked(self) -> TransferGraph:
        """The same graph with int64 arrays, checked.

        Raises:
            ScannerInputError: arrays of other lengths, an account code outside the owner
                table, times out of order, or an amount outside 0 .. 2^46.
        """
        src, dst, ts, amount, owner = (
            np.ascontiguousarray(a, np.int64)
            for a in (self.src, self.dst, self.ts, self.amount, self.owner)
        )
        if not len(src) == len(dst) == len(ts) == len(amount):
            raise ScannerInputError("src, dst, ts, amount: one of each per edge")
        if len(src) and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= len(owner)):
            raise ScannerInputError("src, dst: account codes of the owner table")
        if len(ts) > 1 and bool((np.diff(ts) < 0).any()):
            raise ScannerInputError("ts: edges must be sorted by time")
        if len(amount) and (amount.min() < 0 or amount.max() > MOST_AMOUNT):
            raise ScannerInputError("amount: 0 .. 2^46 thousandths")
        return TransferGraph(src, dst, ts, amount, owner)

    def usable(self, hop: Hop) -> tuple[np.ndarray, TransferGraph, np.ndarray]:
        """The edges a path may use — between two customers (not one customer's own
        accounts), of the least amount — as their indexes and a graph of them (checked), and
        per account whether it is a hub (`hubs`, counted over every edge).

        Raises:
            ScannerInputError: as `checked`.
        """
        g = self.checked()
        kept = np.flatnonzero((g.owner[g.src] != g.owner[g.dst]) & (g.amount >= hop.min_amount))
        part = TransferGraph(g.src[kept], g.dst[kept], g.ts[kept], g.amount[kept], g.owner)
        return kept, part, g.hubs(hop)

    def hubs(self, hop: Hop) -> np.ndarray:
        """Per account: whether it is in more than `hop.max_degree` edges."""
        n = len(self.owner)
        degree = np.bincount(self.src, minlength=n) + np.bincount(self.dst, minlength=n)
        return degree > hop.max_degree

    def inbound(self) -> tuple[np.ndarray, np.ndarray]:
        """Each account's inbound edges in time order: `order[ptr[a]:ptr[a + 1]]` are the
        edges into account a (a stable sort: time order kept within an account)."""
        return by_account(self.dst, len(self.owner))

    def outbound(self) -> tuple[np.ndarray, np.ndarray]:
        """Each account's outbound edges in time order, as `inbound`."""
        return by_account(self.src, len(self.owner))


def grouped_pairs(
    group: np.ndarray, first: np.ndarray, then: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of edges (first[r], then[r]) already sorted by their `group`, as structures: where
    each group's pairs start (`pair_ptr`, one past the end last), and each group's edges once
    in time (index) order, back to back (`edges[ptr[c]:ptr[c + 1]]`)."""
    n = len(group)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if n else np.empty(0, np.int64)
    pair_ptr = np.append(starts, n).astype(np.int64)
    lists = [
        np.unique(np.concatenate([first[lo:hi], then[lo:hi]]))
        for lo, hi in itertools.pairwise(pair_ptr)  # a list a group, not an edge
    ]
    ptr = np.zeros(len(lists) + 1, np.int64)
    np.cumsum([len(x) for x in lists], out=ptr[1:])
    edges = np.concatenate(lists).astype(np.int64) if lists else np.empty(0, np.int64)
    return pair_ptr, ptr, edges


def by_account(account: np.ndarray, accounts: int) -> tuple[np.ndarray, np.ndarray]:
    """The edges grouped by `account` (codes 0 .. accounts-1), in their own order within an
    account — what a stable argsort gives, counted instead of compared (a tenth of the time
    at a million edges) — and where each account's start (`ptr`, one past the end last)."""
    ptr = np.zeros(accounts + 1, np.int64)
    np.cumsum(np.bincount(account, minlength=accounts), out=ptr[1:])
    return _placed(account, ptr), ptr


@njit(**JIT)
def _placed(account: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """Each edge put at its account's next free place (a counting sort, stable)."""
    order = np.empty(account.shape[0], np.int64)
    at = ptr[:-1].copy()
    for i in range(account.shape[0]):
        order[at[account[i]]] = i
        at[account[i]] += 1
    return order


@dataclass(frozen=True, slots=True)
class Hop:
    """When edge f continues edge e: f leaves the account e entered, `(0, max_gap]` seconds
    after e, with f's amount in `[low_bp, high_bp]` basis points of e's; every edge of a
    path is between two customers (not one customer's own accounts) and of `min_amount`
    thousandths at least, and no account in more than `max_degree` of the window's edges
    (paying or paid: a shop, a payroll account) relays money (it may start or end a path).

    Raises (on construction):
        ScannerInputError: a gap of no second or over a year, a band not 0 < low <= high,
            a negative least amount, or a most degree under 2.
    """

    max_gap: int
    low_bp: int
    high_bp: int
    min_amount: int = 0
    max_degree: int = 1 << 40

    def __post_init__(self) -> None:
        if not 0 < self.max_gap <= MOST_GAP:
            raise ScannerInputError(f"max_gap: 1 .. {MOST_GAP} seconds")
        if not 0 < self.low_bp <= self.high_bp <= 100 * BP:
            raise ScannerInputError("the band: 0 < low <= high <= 100x")
        if self.min_amount < 0:
            raise ScannerInputError("min_amount: at least 0")
        if self.max_degree < 2:
            raise ScannerInputError("max_degree: at least 2 (one edge in, one out)")

    def table(self) -> np.ndarray:
        """The kernels' copy: max_gap, low_bp, high_bp, min_amount."""
        return np.array([self.max_gap, self.low_bp, self.high_bp, self.min_amount], np.int64)


@njit(**JIT)
def in_band(e: int, f: int, amount: np.ndarray, hop: np.ndarray) -> bool:
    """Whether f's amount is in the band of e's (see `Hop`); the kernels pick f among the
    payments of the account e entered, after e and inside the gap."""
    return amount[f] * BP >= hop[1] * amount[e] and amount[f] * BP <= hop[2] * amount[e]


@njit(**JIT)
def first_after(order: np.ndarray, lo: int, hi: int, ts: np.ndarray, t: int) -> int:
    """The first position k in lo .. hi of a time-ordered edge list with `ts[order[k]] > t`
    (hi when none)."""
    while lo < hi:
        mid = (lo + hi) // 2
        if ts[order[mid]] > t:
            hi = mid
        else:
            lo = mid + 1
    return lo
