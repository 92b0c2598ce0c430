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
    n = len(data.customer)
    for name, dtype in _DTYPES.items():
        array = getattr(data, name)
        if array.dtype != dtype or array.ndim != 1 or len(array) != n:
            raise ScannerInputError(f"{name}: expected a 1-d {np.dtype(dtype)} array of length {n}")
        if not array.flags.c_contiguous:
            raise ScannerInputError(f"{name}: must be contiguous")
    if n > 1:
        later = data.customer[1:] > data.customer[:-1]
        same = data.customer[1:] == data.customer[:-1]
        if not np.all(later | (same & (data.day[1:] >= data.day[:-1]))):
            raise ScannerInputError("rows must be sorted by (customer, day)")
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
    hit, total = _kernel(
        data.customer,
        data.day,
        data.out,
        data.entity,
        data.cash,
        data.cross_border,
        data.rmb,
        data.counted,
        data.cny,
        data.usd,
        scope,
        individual,
        entity,
        threshold_cny,
        threshold_usd,
        rule.cumulate_same_day,
    )
    rows, characteristics = np.nonzero(hit)
    return LargeValueHits(
        row=rows.astype(np.int64),
        characteristic=characteristics.astype(np.int16),
        total=total[rows, characteristics],
    )


@njit(**JIT)
def _eligible(scope: int, cash: bool, cross_border: bool) -> bool:
    if scope == 0:
        return cash
    if scope == 1:
        return not cash
    if scope == 2:
        return (not cash) and (not cross_border)
    return (not cash) and cross_border


@njit(**JIT)
def _kernel(
    customer: np.ndarray,
    day: np.ndarray,
    out: np.ndarray,
    entity: np.ndarray,
    cash: np.ndarray,
    cross_border: np.ndarray,
    rmb: np.ndarray,
    counted: np.ndarray,
    cny: np.ndarray,
    usd: np.ndarray,
    scope: np.ndarray,
    for_individual: np.ndarray,
    for_entity: np.ndarray,
    threshold_cny: np.ndarray,
    threshold_usd: np.ndarray,
    cumulate: bool,
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled; NUMBA_DISABLE_JIT covers it
    n = customer.shape[0]
    k_count = scope.shape[0]
    hit = np.zeros((n, k_count), dtype=np.bool_)
    total = np.zeros((n, k_count), dtype=np.int64)
    # sums[direction, characteristic, currency class (0 RMB in CNY, 1 foreign in USD)]
    sums = np.zeros((2, k_count, 2), dtype=np.int64)
    start = 0
    while start < n:
        end = start + 1
        while end < n and customer[end] == customer[start] and day[end] == day[start]:
            end += 1
        sums[:] = 0
        for t in range(start, end):
            if not counted[t]:
                continue
            d = 1 if out[t] else 0
            for k in range(k_count):
                if (for_entity[k] if entity[t] else for_individual[k]) and _eligible(
                    scope[k], cash[t], cross_border[t]
                ):
                    if rmb[t]:
                        sums[d, k, 0] += cny[t]
                    else:
                        sums[d, k, 1] += usd[t]
        for t in range(start, end):
            if not counted[t]:
                continue
            d = 1 if out[t] else 0
            for k in range(k_count):
                if not (
                    (for_entity[k] if entity[t] else for_individual[k])
                    and _eligible(scope[k], cash[t], cross_border[t])
                ):
                    continue
                if rmb[t]:
                    amount = sums[d, k, 0] if cumulate else cny[t]
                    if amount >= threshold_cny[k]:
                        hit[t, k] = True
                        total[t, k] = amount
                elif threshold_usd[k] != -1:
                    amount = sums[d, k, 1] if cumulate else usd[t]
                    if amount >= threshold_usd[k]:
                        hit[t, k] = True
                        total[t, k] = amount
        start = end
    return hit, total
