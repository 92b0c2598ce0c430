"""Row-level validation of parsed input: types, required values, enums, codes, duplicates.

Every check is vectorised over the whole column; Python touches only the rejected rows, to
word their reasons. A row is rejected once, naming the first bad column in contract order and
listing every problem it has. Checks against what is already stored (unknown customer,
duplicate of another date, missing FX rate) run in the warehouse, inside the load transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amlwatch.codes import ISO_4217
from amlwatch.ingest.parse import ParsedFile
from amlwatch.ingest.schema import Column, ColumnType
from amlwatch.models import RejectedRow

LINE = "_line"
_TRUE = ["true", "t", "1", "y", "yes", "是"]
_FALSE = ["false", "f", "0", "n", "no", "否"]
_DECIMAL_RE = r"^[+]?(\d+\.?\d*|\.\d+)$"
_TIMESTAMP_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y%m%d%H%M%S", "%Y%m%d %H:%M:%S", "%Y-%m-%d %H:%M")
_DATE_FORMATS = ("%Y%m%d", "%Y/%m/%d")
_CURRENCY_HINTS = {"RMB": "CNY", "YUAN": "CNY", "US$": "USD", "HK$": "HKD", "NTD": "TWD"}


@dataclass(slots=True)
class ValidatedTable:
    """Typed rows that passed, in contract order plus kept extra columns, and the rejects."""

    table: pa.Table
    rejects: list[RejectedRow]
    extra_columns: list[str]


@dataclass(slots=True)
class _Problem:
    column: str
    mask: np.ndarray
    word: Callable[[object, int], str]  # the reason, from the raw value and its row


def arrow_type(column: Column) -> pa.DataType:
    """The Arrow type a validated column has."""
    return {
        ColumnType.BOOL: pa.bool_(),
        ColumnType.DECIMAL: pa.decimal128(20 if column.scale <= 3 else 18, column.scale),
        ColumnType.TIMESTAMP: pa.timestamp("us"),
        ColumnType.DATE: pa.date32(),
    }.get(column.type, pa.string())


def validate(parsed: ParsedFile, spec: Sequence[Column], key: Sequence[str]) -> ValidatedTable:
    """Type and check every row of a parsed file.

    Args:
        parsed: the file's rows as read.
        spec: the contract's columns for this input.
        key: columns whose combination must be unique within the file.

    Returns:
        The rows that passed, typed, with a `_line` column; the rejected rows with reasons.
    """
    raw = parsed.table
    n = raw.num_rows
    problems: list[_Problem] = []
    typed: dict[str, pa.Array] = {}
    for column in spec:
        if column.name in raw.column_names:
            values = raw.column(column.name).combine_chunks()
        else:
            values = pa.nulls(n, pa.string())
        typed[column.name] = _coerce(column, values, problems)
    bad = np.zeros(n, dtype=bool)
    for problem in problems:
        bad |= problem.mask
    for problem in _duplicates(typed, key, bad, parsed.lines):
        bad |= problem.mask
        problems.append(problem)

    known = {column.name for column in spec}
    extras = [name for name in raw.column_names if name not in known]
    keep = pa.array(~bad)
    columns = {name: pc.filter(values, keep) for name, values in typed.items()}
    for name in extras:
        columns[name] = pc.filter(raw.column(name), keep)
    columns[LINE] = pc.filter(pa.array(parsed.lines), keep)
    table = pa.table(columns)
    rejects = _word_rejects(parsed, problems, bad, spec)
    return ValidatedTable(table=table, rejects=parsed.malformed + rejects, extra_columns=extras)


def _blank(values: pa.Array) -> pa.Array:
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return pc.fill_null(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(values)), 0), True)
    return pc.is_null(values)


def _as_numpy_mask(mask: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _coerce(column: Column, values: pa.Array, problems: list[_Problem]) -> pa.Array:
    """Convert a raw column to its contract type, recording rejected values."""
    blank = _blank(values)
    if column.required:
        name = column.name
        problems.append(_Problem(name, _as_numpy_mask(blank), lambda v, r, name=name: f"{name} is missing"))
    present = pc.invert(blank)
    target = arrow_type(column)
    match column.type:
        case ColumnType.STRING:
            out = _to_text(values)
            return pc.utf8_trim_whitespace(out) if column.required else out
        case ColumnType.ENUM | ColumnType.CURRENCY | ColumnType.BOOL:
            return _coerce_code(column, values, blank, problems)
        case ColumnType.DECIMAL:
            out, failed = _parse_decimal(values, blank, target)
        case ColumnType.TIMESTAMP:
            out, failed = _parse_temporal(values, blank, target, _TIMESTAMP_FORMATS)
        case ColumnType.DATE:
            out, failed = _parse_temporal(values, blank, target, _DATE_FORMATS)
    name, kind = column.name, column.type
    expected = {
        ColumnType.DECIMAL: f"a number with at most {column.scale} decimals",
        ColumnType.TIMESTAMP: "a date-time like 2026-11-20 14:05:00",
        ColumnType.DATE: "a date like 2026-11-20",
    }[kind]
    problems.append(
        _Problem(
            name,
            _as_numpy_mask(pc.and_(present, failed)),
            lambda v, r, name=name, expected=expected: f"{name} {v!r} is not {expected}",
        )
    )
    if column.non_negative or column.positive:
        limit = pa.scalar(0, target)
        below = pc.less_equal(out, limit) if column.positive else pc.less(out, limit)
        sign = "must be positive" if column.positive else "is negative"
        problems.append(
            _Problem(
                name, _as_numpy_mask(below), lambda v, r, name=name, sign=sign: f"{name} {v!r} {sign}"
            )
        )
    return out


def _to_text(values: pa.Array) -> pa.Array:
    if pa.types.is_string(values.type):
        return values
    return pc.cast(values, pa.string())


def _coerce_code(
    column: Column, values: pa.Array, blank: pa.Array, problems: list[_Problem]
) -> pa.Array:
    name = column.name
    if column.type is ColumnType.BOOL and pa.types.is_boolean(values.type):
        return values
    text = pc.utf8_trim_whitespace(_to_text(values))
    if column.type is ColumnType.CURRENCY:
        norm = pc.utf8_upper(text)
        allowed = pa.array(sorted(ISO_4217))

        def word(v: object, row: int) -> str:
            hint = _CURRENCY_HINTS.get(str(v).strip().upper())
            return f"{name} {v!r} is not an ISO 4217 code" + (f" (use {hint})" if hint else "")

    elif column.type is ColumnType.ENUM:
        norm = pc.utf8_lower(text)
        allowed = pa.array(column.choices)
        choices = " or ".join(column.choices)

        def word(v: object, row: int) -> str:
            return f"{name} {v!r} is not one of {choices}"

    else:
        norm = pc.utf8_lower(text)
        allowed = pa.array(_TRUE + _FALSE)

        def word(v: object, row: int) -> str:
            return f"{name} {v!r} is not true or false (1/0, yes/no, 是/否 also accepted)"

    valid = pc.is_in(norm, value_set=allowed)
    bad = pc.and_(pc.invert(blank), pc.invert(valid))
    problems.append(_Problem(name, _as_numpy_mask(bad), word))
    norm = pc.if_else(blank, pa.scalar(None, pa.string()), norm)
    if column.type is ColumnType.BOOL:
        truth = pc.is_in(norm, value_set=pa.array(_TRUE))
        return pc.if_else(pc.is_null(norm), pa.scalar(None, pa.bool_()), truth)
    return norm


def _parse_decimal(
    values: pa.Array, blank: pa.Array, target: pa.DataType
) -> tuple[pa.Array, pa.Array]:
    """Typed values (null where blank or bad) and the mask of values that failed."""
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        if pa.types.is_floating(values.type):
            values = pc.round(values, target.scale)
        try:
            return pc.cast(values, target, safe=False), pc.is_null(pc.is_null(values))
        except pa.ArrowInvalid:
            values = pc.cast(values, pa.string())
    nothing = pc.is_null(pc.is_null(values))  # all False, same length
    text = pc.if_else(blank, pa.scalar(None, pa.string()), pc.utf8_trim_whitespace(values))
    try:
        return pc.cast(text, target), nothing
    except pa.ArrowInvalid:
        pass
    shaped = pc.match_substring_regex(text, _DECIMAL_RE)
    decimals = pc.utf8_length(pc.fill_null(pc.extract_regex(text, r"\.(?P<d>\d*)$").field("d"), ""))
    ok = pc.and_(shaped, pc.less_equal(decimals, target.scale))
    ok = pc.fill_null(ok, False)
    out = pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), target)
    failed = pc.and_(pc.invert(ok), pc.invert(blank))
    return out, failed


def _parse_temporal(
    values: pa.Array, blank: pa.Array, target: pa.DataType, formats: Sequence[str]
) -> tuple[pa.Array, pa.Array]:
    if pa.types.is_timestamp(values.type) and values.type.tz is not None:
        values = pc.local_timestamp(values)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return pc.cast(values, target), pc.is_null(pc.is_null(values))
    text = pc.if_else(blank, pa.scalar(None, pa.string()), pc.utf8_trim_whitespace(values))
    nothing = pc.is_null(pc.is_null(values))
    try:
        return pc.cast(text, target), nothing
    except pa.ArrowInvalid:
        pass
    unit = "us" if pa.types.is_timestamp(target) else "s"
    candidates = [_try_cast_each(text, target)]
    for fmt in formats:
        parsed = pc.strptime(text, format=fmt, unit=unit, error_is_null=True)
        candidates.append(pc.cast(parsed, target))
    out = pc.coalesce(*candidates)
    failed = pc.and_(pc.is_null(out), pc.invert(blank))
    return out, failed


def _try_cast_each(text: pa.Array, target: pa.DataType) -> pa.Array:
    """ISO text cast value by value (only reached when a column has a bad value)."""
    shape = (
        r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?$"
        if pa.types.is_timestamp(target)
        else r"^\d{4}-\d{2}-\d{2}$"
    )
    iso = pc.fill_null(pc.match_substring_regex(text, shape), False)
    candidate = pc.if_else(iso, text, pa.scalar(None, pa.string()))
    try:
        return pc.cast(candidate, target)
    except pa.ArrowInvalid:
        # a well-shaped but impossible value (month 13, hour 25): find it one by one
        out = []
        for value in candidate.to_pylist():
            try:
                out.append(pc.cast(pa.array([value], pa.string()), target)[0].as_py())
            except pa.ArrowInvalid:
                out.append(None)
        return pa.array(out, target)


def _duplicates(
    typed: dict[str, pa.Array], key: Sequence[str], bad: np.ndarray, lines: np.ndarray
) -> list[_Problem]:
    """Rows whose key repeats an earlier valid row of the same file."""
    good = np.flatnonzero(~bad)
    if len(good) == 0:
        return []
    keys = pa.table({name: typed[name].take(pa.array(good)) for name in key})
    keys = keys.append_column("_pos", pa.array(np.arange(len(good), dtype=np.int64)))
    grouped = keys.group_by(list(key), use_threads=False).aggregate(
        [("_pos", "min"), ("_pos", "count")]
    )
    repeated = grouped.filter(pc.greater(grouped["_pos_count"], 1))
    if repeated.num_rows == 0:
        return []
    # every row of a repeated key that is not its first occurrence
    joined = keys.join(repeated, list(key), join_type="inner")
    later = joined.filter(pc.not_equal(joined["_pos"], joined["_pos_min"]))
    rows = good[later["_pos"].to_numpy()]
    first_line = dict(
        zip(rows.tolist(), lines[good[later["_pos_min"].to_numpy()]].tolist(), strict=True)
    )
    mask = np.zeros(len(bad), dtype=bool)
    mask[rows] = True
    label = "+".join(key)
    return [
        _Problem(
            key[0],
            mask,
            lambda v, r: f"duplicate {label}: line {first_line[r]} of this file has it already",
        )
    ]


def _word_rejects(
    parsed: ParsedFile, problems: list[_Problem], bad: np.ndarray, spec: Sequence[Column]
) -> list[RejectedRow]:
    rows = np.flatnonzero(bad)
    if len(rows) == 0:
        return []
    order = {column.name: i for i, column in enumerate(spec)}
    reasons: dict[int, list[tuple[int, str, str]]] = {int(r): [] for r in rows}
    raw = parsed.table
    for problem in problems:
        hits = np.flatnonzero(problem.mask)
        if len(hits) == 0:
            continue
        if problem.column in raw.column_names:
            shown = raw.column(problem.column).take(pa.array(hits)).to_pylist()
        else:
            shown = [None] * len(hits)
        for row, value in zip(hits, shown, strict=True):
            reasons[int(row)].append(
                (order.get(problem.column, len(order)), problem.column, problem.word(value, int(row)))
            )
    records = raw.take(pa.array(rows)).to_pylist()
    out = []
    for row, record in zip(rows, records, strict=True):
        found = sorted(reasons[int(row)], key=lambda item: item[0])
        out.append(
            RejectedRow(
                file=parsed.source.path.rsplit("/", 1)[-1],
                line=int(parsed.lines[row]),
                column=found[0][1],
                reason="; ".join(dict.fromkeys(reason for _, _, reason in found)),
                raw=json.dumps(record, ensure_ascii=False, default=str),
            )
        )
    return out
