"""Large-value transactions (大额交易): single or same-day cumulative amounts at or over a threshold.

The rule, per customer (all accounts), per calendar day, per direction (receipts and
payments apart), per characteristic: RMB transactions are summed in CNY against the RMB
threshold, foreign-currency ones in USD equivalent against the USD threshold; every counted
transaction of a group whose total reaches the threshold (inclusive) is a hit. A pack that
does not cumulate compares each transaction alone. Exempt transactions neither count nor hit.

Money inside the kernel is int64 thousandths (厘) of a yuan or a dollar: the contract's amounts
have three decimals, and cumulating rounded fen could fall a fraction of a fen short of a
threshold the exact amounts reach.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from amlwatch.rules import RulePack
from amlwatch.scanners.checks import check_columns
from amlwatch.scanners.config import JIT
from amlwatch.scanners.exceptions import ScannerInputError

SCOPES = {"cash": 0, "transfer": 1, "domestic_transfer": 2, "cross_border_transfer": 3}
NO_THRESHOLD = -1
MILLI = 1000


@dataclass(frozen=True, slots=True)
class LargeValueInput:
    """One row per transaction, sorted by (customer, day); ids already encoded to ints.

    Attributes:
        customer: int64 customer code.
        day: int32 calendar day of the transaction (days since 1970-01-01).
        out: bool, a payment (else a receipt).
        entity: bool, the customer is not a natural person.
        cash: bool, physical cash involved.
        cross_border: bool.
        rmb: bool, denominated in CNY.
        counted: bool, not exempt (and, for an RMB-only pack, in CNY).
        cny: int64 CNY equivalent in thousandths.
        usd: int64 USD equivalent in thousandths.
    """

    customer: np.ndarray
    day: np.ndarray
    out: np.ndarray
    entity: np.ndarray
    cash: np.ndarray
    cross_border: np.ndarray
    rmb: np.ndarray
    counted: np.ndarray
    cny: np.ndarray
    usd: np.ndarray


@dataclass(frozen=True, slots=True)
class LargeValueHits:
    """Hits as parallel arrays: input row, characteristic index in the pack, and the single or
    cumulative amount (thousandths, CNY for RMB rows, USD for foreign-currency rows) that met
    the threshold."""

    row: np.ndarray
    characteristic: np.ndarray
    total: np.ndarray


_DTYPES = {
    "customer": np.int64,
    "day": np.int32,
    "out": np.bool_,
    "entity": np.bool_,
    "cash": np.bool_,
    "cross_border": np.bool_,
    "rmb": np.bool_,
    "counted": np.bool_,
    "cny": np.int64,
    "usd": np.int64,
}


def scan_large_value(data: LargeValueInput, pack: RulePack) -> LargeValueHits:
    """Find every large-value hit of `pack` in `data`.

    Args:
        data: the transactions, sorted by (customer, day).
        pack: the rule pack whose characteristics and thresholds apply.

    Returns:
        One entry per (transaction, characteristic) hit, ordered by row then characteristic.

    Raises:
        ScannerInputError: wrong dtypes, lengths, layout or order.
    """
    n = check_columns(data, _DTYPES)
    if n > 1 and not _is_sorted(data.customer, data.day):
        raise ScannerInputError("rows must be sorted by (customer, day)")
    # amounts are magnitudes (direction is its own column): the kernel's early exits rely on it
    if n and (data.cny.min() < 0 or data.usd.min() < 0):
        raise ScannerInputError("amounts must not be negative")
    rule = pack.large_value
    scope = np.array([SCOPES[c.scope] for c in rule.characteristics], dtype=np.int8)
    individual = np.array(["individual" in c.customer_types for c in rule.characteristics])
    entity = np.array(["entity" in c.customer_types for c in rule.characteristics])
    threshold_cny = np.array([int(c.threshold_cny * MILLI) for c in rule.characteristics], np.int64)
    threshold_usd = np.array(
        [
            NO_THRESHOLD if c.threshold_usd is None else int(c.threshold_usd * MILLI)
            for c in rule.characteristics
        ],
        np.int64,
    )
    # which characteristics a row may count towards, by (entity, cash, cross-border): 8 masks
    masks = np.zeros(8, dtype=np.int64)
    for combo in range(8):
        is_entity, is_cash, is_xb = bool(combo & 4), bool(combo & 2), bool(combo & 1)
        for k in range(len(rule.characteristics)):
            if (entity[k] if is_entity else individual[k]) and _eligible(scope[k], is_cash, is_xb):
                masks[combo] |= 1 << k
    # each row's characteristics as one byte, computed once (0 for exempt rows)
    row_mask = _row_masks(data.entity, data.cash, data.cross_border, data.counted, masks)
    rows, characteristics, totals = _kernel(
        data.customer,
        data.day,
        data.out,
        data.rmb,
        data.cny,
        data.usd,
        row_mask,
        threshold_cny,
        threshold_usd,
        rule.cumulate_same_day,
    )
    return LargeValueHits(row=rows, characteristic=characteristics.astype(np.int16), total=totals)


def lowest_thresholds(pack: RulePack) -> tuple[int, int]:
    """The lowest RMB (fen-thousandths) and USD thresholds of any characteristic of the pack;
    an amount below both can reach no threshold."""
    rule = pack.large_value
    cny = [int(c.threshold_cny * MILLI) for c in rule.characteristics]
    usd = [
        int(c.threshold_usd * MILLI) for c in rule.characteristics if c.threshold_usd is not None
    ]
    never = int(np.iinfo(np.int64).max)
    return (min(cny) if cny else never), (min(usd) if usd else never)


def candidate_rows(
    customer: np.ndarray,
    day: np.ndarray,
    counted: np.ndarray,
    rmb: np.ndarray,
    cny: np.ndarray,
    usd: np.ndarray,
    pack: RulePack,
    max_cells: int = 100_000_000,
) -> np.ndarray | None:
    """The rows, in any order, of the customer-days that may hold a hit: counted rows of a
    customer-day whose counted RMB total or foreign-currency USD total reaches the pack's
    lowest threshold. Every other row is below every threshold alone and summed with its day
    (amounts are magnitudes), so scanning only these finds exactly the same hits.

    Args:
        customer: dense customer codes (0 … m-1), unsorted.
        day: trade dates as day numbers.
        counted, rmb, cny, usd: as in `LargeValueInput`.
        pack: the rule pack.
        max_cells: the largest customer × day table counted (16 bytes a cell).

    Returns:
        The candidate row indices, ascending; None when the customer × day table would be too
        large to count in memory (scan every row then).
    """
    n = customer.shape[0]
    if n == 0:
        return np.empty(0, np.int64)
    first, last = int(day.min()), int(day.max())
    span = last - first + 1
    customers = int(customer.max()) + 1
    if customers * span > max_cells:
        return None
    lowest_cny, lowest_usd = lowest_thresholds(pack)
    return _candidates(
        np.ascontiguousarray(customer, np.int64),
        np.ascontiguousarray(day, np.int64) - first,
        span,
        customers,
        counted,
        rmb,
        cny,
        usd,
        lowest_cny,
        lowest_usd,
    )


@njit(**JIT)
def _candidates(
    customer: np.ndarray,
    day: np.ndarray,
    span: int,
    customers: int,
    counted: np.ndarray,
    rmb: np.ndarray,
    cny: np.ndarray,
    usd: np.ndarray,
    lowest_cny: int,
    lowest_usd: int,
) -> np.ndarray:
    n = customer.shape[0]
    # one cache line holds a cell's two totals (RMB, foreign): one miss per row and pass
    top = np.zeros(2 * customers * span, np.int64)
    for i in range(n):
        if counted[i]:
            cell = 2 * (customer[i] * span + day[i])
            if rmb[i]:
                top[cell] += cny[i]
            else:
                top[cell + 1] += usd[i]
    keep = np.empty(n, np.int64)
    found = 0
    for i in range(n):
        if counted[i]:
            cell = 2 * (customer[i] * span + day[i])
            if top[cell] >= lowest_cny or top[cell + 1] >= lowest_usd:
                keep[found] = i
                found += 1
    return keep[:found].copy()


def _eligible(scope: int, cash: bool, cross_border: bool) -> bool:
    if scope == 0:
        return cash
    if scope == 1:
        return not cash
    if scope == 2:
        return (not cash) and (not cross_border)
    return (not cash) and cross_border


@njit(**JIT)
def _is_sorted(customer: np.ndarray, day: np.ndarray) -> bool:
    for i in range(1, customer.shape[0]):
        if customer[i] < customer[i - 1] or (
            customer[i] == customer[i - 1] and day[i] < day[i - 1]
        ):
            return False
    return True


@njit(**JIT)
def _row_masks(
    entity: np.ndarray,
    cash: np.ndarray,
    cross_border: np.ndarray,
    counted: np.ndarray,
    masks: np.ndarray,
) -> np.ndarray:
    result = np.zeros(entity.shape[0], dtype=np.uint8)
    for i in range(entity.shape[0]):
        if counted[i]:
            result[i] = masks[
                (4 if entity[i] else 0) + (2 if cash[i] else 0) + (1 if cross_border[i] else 0)
            ]
    return result


@njit(**JIT)
def _kernel(
    customer: np.ndarray,
    day: np.ndarray,
    out: np.ndarray,
    rmb: np.ndarray,
    cny: np.ndarray,
    usd: np.ndarray,
    row_mask: np.ndarray,
    threshold_cny: np.ndarray,
    threshold_usd: np.ndarray,
    cumulate: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (row, characteristic) whose amount — alone, or summed over its customer-day —
    reaches that characteristic's threshold.

    Precondition: rows sorted by (customer, day) (`_is_sorted`), so each customer-day is one
    contiguous run; `row_mask[t]` has bit k set where row t counts towards characteristic k
    (0: the row counts towards none: exempt, out of scope or not counted).

    Units: `cny` and `usd` are int64 thousandths of a yuan / dollar (厘), magnitudes >= 0;
    `threshold_cny[k]` / `threshold_usd[k]` in the same units, -1 where characteristic k has
    no foreign-currency threshold. RMB rows (`rmb`) are tested in CNY, the others in USD;
    receipts and payments (`out`) are summed apart. `cumulate` false: every row stands alone.

    Returns:
        (row, k, total): int64 arrays of equal length, in row order then k — the hit row's
        index in the sorted input, the characteristic's index in the pack, and the amount
        that reached the threshold (the row's own amount, or its customer-day's sum).
    """
    n = customer.shape[0]
    k_count = threshold_cny.shape[0]
    # sums[direction, characteristic, currency class (0 RMB in CNY, 1 foreign in USD)]
    sums = np.zeros((2, k_count, 2), dtype=np.int64)
    capacity = 1024
    hit_row = np.empty(capacity, dtype=np.int64)
    hit_k = np.empty(capacity, dtype=np.int64)
    hit_total = np.empty(capacity, dtype=np.int64)
    found = 0
    lowest_cny = threshold_cny.min() if k_count else 0
    lowest_usd = np.iinfo(np.int64).max
    for k in range(k_count):
        if threshold_usd[k] != -1 and threshold_usd[k] < lowest_usd:
            lowest_usd = threshold_usd[k]
    start = 0
    while start < n:
        end = start + 1
        while end < n and customer[end] == customer[start] and day[end] == day[start]:
            end += 1
        # most customer-days hold one transaction: its own amount is its day's total, so no
        # sums are needed; without cumulation every row stands alone
        alone = end - start == 1 or not cumulate
        if not alone:
            # the day's totals per currency class bound every characteristic's sum from above
            top_cny = 0
            top_usd = 0
            for t in range(start, end):
                if row_mask[t] != 0:
                    if rmb[t]:
                        top_cny += cny[t]
                    else:
                        top_usd += usd[t]
            if top_cny < lowest_cny and top_usd < lowest_usd:
                start = end
                continue
            sums[:] = 0
            for t in range(start, end):
                mask = row_mask[t]
                if mask != 0:
                    d = 1 if out[t] else 0
                    c = 0 if rmb[t] else 1
                    amount = cny[t] if rmb[t] else usd[t]
                    for k in range(k_count):
                        if mask & (1 << k):
                            sums[d, k, c] += amount
        for t in range(start, end):
            mask = row_mask[t]
            if mask == 0:
                continue
            # one comparison rejects most rows: below every threshold alone
            if alone and ((cny[t] < lowest_cny) if rmb[t] else (usd[t] < lowest_usd)):
                continue
            d = 1 if out[t] else 0
            for k in range(k_count):
                if not mask & (1 << k):
                    continue
                if rmb[t]:
                    amount = cny[t] if alone else sums[d, k, 0]
                    threshold = threshold_cny[k]
                else:
                    amount = usd[t] if alone else sums[d, k, 1]
                    threshold = threshold_usd[k]
                    if threshold == -1:
                        continue
                if amount >= threshold:
                    if found == capacity:
                        capacity *= 2
                        hit_row = _grow(hit_row, capacity)
                        hit_k = _grow(hit_k, capacity)
                        hit_total = _grow(hit_total, capacity)
                    hit_row[found] = t
                    hit_k[found] = k
                    hit_total[found] = amount
                    found += 1
        start = end
    return hit_row[:found].copy(), hit_k[:found].copy(), hit_total[:found].copy()


@njit(**JIT)
def _grow(array: np.ndarray, capacity: int) -> np.ndarray:
    grown = np.empty(capacity, dtype=array.dtype)
    grown[: array.shape[0]] = array
    return grown
