"""Arrow → NumPy adapters: the window rows DuckDB hands over as the kernels' arrays.

Identifiers arrive as 128-bit hash keys (two uint64 columns) and become dense int codes;
amounts arrive as DECIMAL(p, 3) and become int64 thousandths, read in place.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amlwatch.scanners import PatternInput, sorted_input
from amlwatch.scanners.encode import dense_codes, low_words
from amlwatch.scanners.prune import Prune
from amlwatch.scanners.runs import DayRuns, MergedWindow, RunPiece, merge_runs


def decimal_milli(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """int64 thousandths of a DECIMAL(p, 3) column, read from Arrow's 128-bit words in place
    (chunk by chunk, one pass: no combined copy).

    Raises:
        ValueError: another scale, nulls, or a value beyond int64.
    """
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    if not pa.types.is_decimal128(column.type) or column.type.scale != 3:
        raise ValueError(f"expected decimal128(p, 3), got {column.type}")
    if column.null_count:
        raise ValueError("amounts must not be null")
    out = np.empty(len(column), np.int64)
    at = 0
    for array in chunks:
        words = np.frombuffer(array.buffers()[1], dtype=np.int64)
        words = words[2 * array.offset : 2 * (array.offset + len(array))]
        if not low_words(words, out[at : at + len(array)]):
            raise ValueError("an amount is beyond the int64 range of thousandths")
        at += len(array)
    return out


@dataclass(frozen=True, slots=True)
class PreparedWindow:
    """The scanner's input, and the row id of each sorted row (to name subjects of hits)."""

    data: PatternInput
    rid: np.ndarray


def u64(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table[name].to_numpy(), dtype=np.uint64)


def customer_codes(
    table: pa.Table, types: pa.Table, flag: str = "entity"
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's customer as a dense code, and that customer's `flag` (a boolean column of
    the customer table: `entity`, `state_organ`; false for a customer it lacks).

    `table` and `types` carry the customer's 128-bit hash key (`customer_id_1/_2`); the
    customer table's keys are numbered first, in the same numbering, so that the codes index
    its flags.
    """
    customer, flags = customer_flags(table, types, (flag,))
    return customer, flags[0]


def customer_flags(
    table: pa.Table, types: pa.Table, flags: tuple[str, ...]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each row's customer as a dense code, and per name in `flags` that customer's flag."""
    codes, _ = dense_codes(
        np.concatenate([u64(types, "customer_id_1"), u64(table, "customer_id_1")]),
        np.concatenate([u64(types, "customer_id_2"), u64(table, "customer_id_2")]),
    )
    known = types.num_rows
    customer = codes[known:]
    found = []
    for name in flags:
        flag_of = np.zeros(int(codes.max()) + 1 if len(codes) else 0, np.bool_)
        flag_of[codes[:known]] = np.asarray(
            pc.fill_null(types[name], False).to_numpy(zero_copy_only=False), np.bool_
        )
        found.append(flag_of[customer])
    return customer, found


def prepare(table: pa.Table, types: pa.Table, subject: str) -> PreparedWindow:
    """Dense codes from the hash keys, the kernel's arrays, sorted by `pattern_order`."""
    n = table.num_rows
    customer, entity = customer_codes(table, types)
    if subject == "account":
        subject_code, _ = dense_codes(u64(table, "account_id_1"), u64(table, "account_id_2"))
    else:
        subject_code = customer
    has_party = np.asarray(table["has_party"].to_numpy(zero_copy_only=False), np.bool_)
    party, n_parties = dense_codes(u64(table, "party_1"), u64(table, "party_2"), has_party)
    ts = np.asarray(table["booked_at"].cast(pa.int64()).to_numpy(), np.int64) // 1_000_000
    out = np.asarray(table["out"].to_numpy(zero_copy_only=False), np.bool_)
    amount = decimal_milli(table["amount_cny"]) if n else np.empty(0, np.int64)
    rid = np.asarray(table["rid"].to_numpy(), np.int64)
    kind = np.asarray(table["kind"].to_numpy(), np.uint8)
    data, order = sorted_input(subject_code, ts, out, amount, party, entity, n_parties, kind)
    if "risk_level" in types.column_names and n:  # an account's customer's level, per subject
        level = _customer_numbers(table, types, "risk_level")
        per_subject = np.full(int(subject_code.max()) + 1, -1, np.int64)
        per_subject[subject_code] = level
        data = dataclasses.replace(data, risk_level=per_subject)
    return PreparedWindow(data, rid[order])


def _customer_numbers(table: pa.Table, types: pa.Table, name: str) -> np.ndarray:
    """Each row's customer's int64 value of a column of the customer table (-1 if it lacks it)."""
    codes, _ = dense_codes(
        np.concatenate([u64(types, "customer_id_1"), u64(table, "customer_id_1")]),
        np.concatenate([u64(types, "customer_id_2"), u64(table, "customer_id_2")]),
    )
    known = types.num_rows
    value_of = np.full(int(codes.max()) + 1, -1, np.int64)
    value_of[codes[:known]] = np.asarray(types[name].to_numpy(zero_copy_only=False), np.int64)
    return value_of[codes[known:]]


def merge_window(
    parts: list[pa.Table],
    types: pa.Table,
    block_rows: int = 100_000,
    prune: Prune | None = None,
    type_least: np.ndarray | None = None,
) -> MergedWindow:
    """The kernel's input from day runs (`warehouse.day_runs.window_runs`: one table per run,
    in run order). The runs are read in place, batch by batch; `parts` is emptied after.
    With `prune`, customers that cannot match are left out (`scanners.prune`; `type_least`:
    each customer's own least total, per row of `types`)."""
    runs = DayRuns(
        tuple(
            tuple(
                RunPiece(
                    key_1=_values(batch, "customer_1"),
                    key_2=_values(batch, "customer_2"),
                    ts=_values(batch, "ts"),
                    out=np.asarray(batch["out"].to_numpy(zero_copy_only=False), np.bool_),
                    amount=_values(batch, "amount"),
                    party=_values(batch, "party"),
                    kind=_values(batch, "kind"),
                )
                for batch in part.to_batches()
            )
            for part in parts
        )
    )
    merged = merge_runs(
        runs,
        u64(types, "customer_id_1"),
        u64(types, "customer_id_2"),
        np.asarray(pc.fill_null(types["entity"], False).to_numpy(zero_copy_only=False), np.bool_),
        block_rows=block_rows,
        prune=prune,
        type_least=type_least,
    )
    parts.clear()
    return merged


def _values(batch: pa.RecordBatch, name: str) -> np.ndarray:
    """A column without nulls as the numpy view of its Arrow buffer."""
    return batch[name].to_numpy(zero_copy_only=True)
