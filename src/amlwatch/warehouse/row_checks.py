"""The ingest stage's row-level validation rules, compiled to the SQL the warehouse runs
inside the load (here, because SQL lives in the warehouse package only).

The rules are amlwatch's (what a valid value is, how a reason reads); only their execution is
DuckDB's, which is multi-threaded, vectorised and spills to disk instead of running out of
memory on a 10-million-row file. This module builds SQL text and imports no database code.

The compiled `SELECT` reads the raw parsed rows (`_raw`: the file's columns as given plus
`_line`) and yields, per row, every contract column in its type, the extra columns as given,
`_line`, and `_row_column` / `_row_reason`: the first bad column in contract order and every
problem of the row, or NULL for a good row. A row is rejected once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa

from amlwatch.codes import ISO_4217
from amlwatch.masking import masked_sql
from amlwatch.models import Column, ColumnType

LINE = "_line"
RAW = "_raw"
TRUE_WORDS = ("true", "t", "1", "y", "yes", "是")
FALSE_WORDS = ("false", "f", "0", "n", "no", "否")
_CURRENCY_HINTS = {"RMB": "CNY", "YUAN": "CNY", "US$": "USD", "HK$": "HKD", "NTD": "TWD"}
_TIMESTAMP_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y%m%d%H%M%S", "%Y%m%d %H:%M:%S", "%Y-%m-%d %H:%M")
_DATE_FORMATS = ("%Y%m%d", "%Y/%m/%d")
# what a date or a date-time may look like at all (ISO, the formats above, fractions of a
# second): no zone, no offset, no words
_DATE_SHAPE = r"[0-9]{4}(-[0-9]{1,2}-[0-9]{1,2}|/[0-9]{1,2}/[0-9]{1,2}|[0-9]{4})"
_TIMESTAMP_SHAPE = (
    _DATE_SHAPE + r"(([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?)|[0-9]{6})?"
)


@dataclass(frozen=True, slots=True)
class RowChecks:
    """The compiled row checks of one input file."""

    typed_select: str  # SELECT … FROM _raw: typed columns, extras, _line, _row_column,
    # _row_reason, and _raw_json (the row as given, for rejected rows only)
    duplicate_update: str  # UPDATE _typed …: marks later copies of a key as duplicates (or "")
    extra_columns: tuple[str, ...]
    absent: tuple[str, ...]  # `NULL::<type> AS <name>` for each contract column not in the
    # file: never stored in _typed (5M rows of a NULL column are ~100 MB of memory), added
    # back where the checked rows are read


def sql_type(column: Column) -> str:
    """The DuckDB type a validated column has."""
    return {
        ColumnType.BOOL: "BOOLEAN",
        ColumnType.DECIMAL: "DECIMAL(20,3)" if column.scale <= 3 else f"DECIMAL(18,{column.scale})",
        ColumnType.TIMESTAMP: "TIMESTAMP",
        ColumnType.DATE: "DATE",
    }.get(column.type, "VARCHAR")


def quote_ident(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_text(text: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def compile_row_checks(
    spec: Sequence[Column], key: Sequence[str], source: Mapping[str, pa.DataType]
) -> RowChecks:
    """Compile the contract's checks for one file.

    Args:
        spec: the contract's columns for this input.
        key: columns whose combination must be unique within the file.
        source: the file's columns and their Arrow types as parsed (text for CSV).

    Returns:
        The SQL that types and checks every row, and the duplicate rule.
    """
    # three layers, so that each value and each problem is computed once per row:
    # values (and the raw text kept for reasons) -> problem flags -> row verdict
    values: list[str] = []
    problems: list[tuple[str, str, str]] = []  # (column, condition, reason expression)
    absent: list[str] = []
    for column in spec:
        value, column_problems = _column(column, source.get(column.name))
        if column.name in source:
            values.append(f"{value} AS {quote_ident(column.name)}")
        else:
            absent.append(f"{value} AS {quote_ident(column.name)}")
        problems.extend((column.name, cond, reason) for cond, reason in column_problems)
    known = {column.name for column in spec}
    extras = tuple(name for name in source if name not in known and name != LINE)
    values.extend(f"CAST({quote_ident(n)} AS VARCHAR) AS {quote_ident(n)}" for n in extras)
    raw_kept = [f"{quote_ident(n)} AS {quote_ident('_src_' + n)}" for n in source if n != LINE]
    flags = [f"coalesce({cond}, false) AS _p{i}" for i, (_, cond, _) in enumerate(problems)]
    present = [c.name for c in spec if c.name in source]
    outputs = [quote_ident(n) for n in present] + [quote_ident(n) for n in extras]
    if problems:
        first = " ".join(
            f"WHEN _p{i} THEN {quote_text(col)}" for i, (col, _, _) in enumerate(problems)
        )
        every = ", ".join(
            f"CASE WHEN _p{i} THEN {reason} END" for i, (_, _, reason) in enumerate(problems)
        )
        as_given = ", ".join(
            f"{quote_ident(n)} := {quote_ident('_src_' + n)}" for n in source if n != LINE
        )
        verdict = [
            f"CASE WHEN _bad THEN CASE {first} END END AS _row_column",
            f"CASE WHEN _bad THEN concat_ws('; ', {every}) END AS _row_reason",
            f"CASE WHEN _bad THEN to_json(struct_pack({as_given}))::VARCHAR END AS _raw_json",
        ]
    else:
        verdict = [
            "NULL::VARCHAR AS _row_column",
            "NULL::VARCHAR AS _row_reason",
            "NULL::VARCHAR AS _raw_json",
        ]
    layer1 = f"SELECT {LINE}, {', '.join(values + raw_kept)} FROM {RAW}"
    layer2 = f"SELECT *{''.join(', ' + f for f in flags)} FROM ({layer1})"
    if problems:  # the good rows (nearly all) are told apart once; only bad ones get a verdict
        layer2 = f"SELECT *, {' OR '.join(f'_p{i}' for i in range(len(problems)))} AS _bad FROM ({layer2})"
    typed = f"SELECT {LINE}, {', '.join(outputs + verdict)} FROM ({layer2})"
    # a key column not in the file is missing on every row: nothing left to be a duplicate
    keyed = all(k in source for k in key)
    duplicates = _duplicate_update(key, present + list(extras)) if keyed else ""
    return RowChecks(typed, duplicates, extras, tuple(absent))


def _duplicate_update(key: Sequence[str], columns: Sequence[str]) -> str:
    cols = ", ".join(quote_ident(k) for k in key)
    row = ", ".join(f"{quote_ident(c)} := t.{quote_ident(c)}" for c in columns)
    match = " AND ".join(f"t.{quote_ident(k)} = d.{quote_ident(k)}" for k in key)
    label = quote_text(f"duplicate {'+'.join(key)}: line ")
    # keys are grouped by their 64-bit hash first (a number groups faster than text); only the
    # few rows whose hash repeats are grouped by the key itself
    return f"""
        UPDATE _typed AS t
        SET _row_column = {quote_text(key[0])},
            _row_reason = {label} || d.first_line || ' of this file has it already',
            _raw_json = to_json(struct_pack({row}))::VARCHAR
        FROM (SELECT {cols}, min({LINE}) AS first_line FROM _typed
              WHERE _row_reason IS NULL AND hash({cols}) IN (
                  SELECT hash({cols}) FROM _typed WHERE _row_reason IS NULL
                  GROUP BY 1 HAVING count(*) > 1)
              GROUP BY {cols} HAVING count(*) > 1) AS d
        WHERE t._row_reason IS NULL AND {match} AND t.{LINE} <> d.first_line"""


def _is_text(arrow: pa.DataType | None) -> bool:
    return arrow is None or pa.types.is_string(arrow) or pa.types.is_large_string(arrow)


def _is_opaque(arrow: pa.DataType) -> bool:
    return bool(
        pa.types.is_nested(arrow)
        or pa.types.is_binary(arrow)
        or pa.types.is_large_binary(arrow)
        or pa.types.is_fixed_size_binary(arrow)
        or pa.types.is_dictionary(arrow)
        or pa.types.is_null(arrow)
    )


def _shown(src: str) -> str:
    """The rejected value as a reason shows it: in single quotes, like Python's repr."""
    return f"'''' || CAST({src} AS VARCHAR) || ''''"


def _column(column: Column, arrow: pa.DataType | None) -> tuple[str, list[tuple[str, str]]]:
    """A column's typed value expression (over `_raw`) and its problems as (condition, reason)
    over the first layer, where `<name>` is the typed value and `_src_<name>` the raw one."""
    name = column.name
    target = sql_type(column)
    if arrow is None:  # not in the file: every value is missing
        missing = [("true", quote_text(f"{name} is missing"))] if column.required else []
        return f"NULL::{target}", missing
    src = quote_ident(name)
    raw = quote_ident("_src_" + name)
    value_ref = quote_ident(name)
    if _is_opaque(arrow):  # a list, struct, map or bytes: judged by its text, like a CSV's
        src, raw, arrow = f"CAST({src} AS VARCHAR)", f"CAST({raw} AS VARCHAR)", pa.string()
    text = _is_text(arrow)
    # a typed source (Parquet) keeps its type where the contract's type matches; text rules
    # (enums, codes, identifiers) see it as text: an account number stored as an integer is
    # still an account number
    trimmed = f"trim({src})" if text else f"CAST({src} AS VARCHAR)"
    present = f"({raw} IS NOT NULL AND trim({raw}) <> '')" if text else f"({raw} IS NOT NULL)"
    quote = "''''"  # SQL for a string holding one single quote
    # the value in quotes, like repr(), masked if it may be an identifier
    shown = f"{quote} || {masked_sql(f'CAST({raw} AS VARCHAR)')} || {quote}"
    problems: list[tuple[str, str]] = []
    if column.required:
        problems.append((f"NOT {present}", quote_text(f"{name} is missing")))
    if column.type is ColumnType.STRING:
        return (trimmed if column.required else f"CAST({src} AS VARCHAR)"), problems

    def bad(condition: str, words: str) -> None:
        problems.append((condition, f"{quote_text(name + ' ')} || {shown} || {words}"))

    if column.type is ColumnType.ENUM:
        allowed = ", ".join(quote_text(c) for c in column.choices)
        bad(
            f"{present} AND {value_ref} NOT IN ({allowed})",
            quote_text(" is not one of " + " or ".join(column.choices)),
        )
        return f"lower({trimmed})", problems

    if column.type is ColumnType.CURRENCY:
        allowed = ", ".join(quote_text(c) for c in sorted(ISO_4217))
        hints = " ".join(
            f"WHEN {quote_text(k)} THEN ' (use {v})'" for k, v in _CURRENCY_HINTS.items()
        )
        bad(
            f"{present} AND NOT list_contains([{allowed}], {value_ref})",
            f"' is not an ISO 4217 code' || CASE {value_ref} {hints} ELSE '' END",
        )
        return f"upper({trimmed})", problems

    if column.type is ColumnType.BOOL:
        if pa.types.is_boolean(arrow):
            return src, problems
        if pa.types.is_integer(arrow):  # 1 / 0
            bad(f"{present} AND {value_ref} IS NULL", "' is not 1 or 0'")
            return f"(CASE {src} WHEN 1 THEN true WHEN 0 THEN false END)", problems
        yes = ", ".join(quote_text(w) for w in TRUE_WORDS)
        no = ", ".join(quote_text(w) for w in FALSE_WORDS)
        bad(
            f"{present} AND {value_ref} IS NULL",
            "' is not true or false (1/0, yes/no, 是/否 also accepted)'",
        )
        word = f"lower({trimmed})"
        return (
            f"(CASE WHEN {word} IN ({yes}) THEN true WHEN {word} IN ({no}) THEN false END)",
            problems,
        )

    if column.type is ColumnType.DECIMAL:
        if text:
            # plain digits only: DuckDB's cast would read 15e-4 and round extra decimals;
            # refuse both instead (trailing zeros are fine)
            dot = f"strpos({trimmed}, '.')"
            plain = f"regexp_full_match({trimmed}, '[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)')"
            fits = f"({dot} = 0 OR rtrim(substr({trimmed}, {dot} + {column.scale + 1}), '0') = '')"
            value = f"(CASE WHEN {plain} AND {fits} THEN TRY_CAST({trimmed} AS {target}) END)"
        elif pa.types.is_integer(arrow):
            value = f"TRY_CAST({src} AS {target})"
        else:
            # a Parquet decimal or float: the same rule as text, no silent rounding (a float
            # is taken at its nearest value of the scale only if it is within 1e-6 of a unit)
            units = f"(CAST({src} AS DOUBLE) * {10**column.scale})"
            value = (
                f"(CASE WHEN abs({units} - round({units})) < 1e-6 "
                f"THEN TRY_CAST(round({src}, {column.scale}) AS {target}) END)"
            )
        bad(
            f"{present} AND {value_ref} IS NULL",
            quote_text(f" is not a number with at most {column.scale} decimals"),
        )
        if column.positive:
            bad(f"{value_ref} <= 0", "' must be positive'")
        elif column.non_negative:
            bad(f"{value_ref} < 0", "' is negative'")
        return value, problems

    # TIMESTAMP / DATE: ISO first, then the other spellings banks export; an explicit UTC
    # offset is refused (times are China local time; converting would move the trade date)
    formats = _TIMESTAMP_FORMATS if column.type is ColumnType.TIMESTAMP else _DATE_FORMATS
    if text:
        listed = ", ".join(quote_text(f) for f in formats)
        # only the spellings listed: anything after the time (Z, UTC, CST, +08, -08:00, …)
        # is refused, never dropped
        shape = _TIMESTAMP_SHAPE if column.type is ColumnType.TIMESTAMP else _DATE_SHAPE
        value = (
            f"(CASE WHEN NOT regexp_full_match({trimmed}, {quote_text(shape)}) THEN NULL "
            f"ELSE coalesce(TRY_CAST({trimmed} AS {target}), "
            f"CAST(TRY_STRPTIME({trimmed}, [{listed}]) AS {target})) END)"
        )
    elif pa.types.is_timestamp(arrow) and arrow.tz is not None:
        value = f"CAST(timezone('Asia/Shanghai', {src}) AS {target})"
    else:
        value = f"TRY_CAST({src} AS {target})"
    expected = (
        " is not a date-time like 2026-11-20 14:05:00 (China local time, no offset)"
        if column.type is ColumnType.TIMESTAMP
        else " is not a date like 2026-11-20"
    )
    bad(f"{present} AND {value_ref} IS NULL", quote_text(expected))
    return value, problems


def parquet_rows_query(path: str, columns: Sequence[tuple[str, str]], row_number: str) -> str:
    """The query DuckDB reads a Parquet file's rows with: `columns` as (name in the file,
    contract name), and `_line` (the row's number from 1, as a CSV's data line would be)."""
    select = ", ".join(f"{quote_ident(o)} AS {quote_ident(n)}" for o, n in columns)
    return f"""SELECT {select}, {row_number} + 1 AS _line
               FROM read_parquet({quote_text(path)}, {row_number} = true)"""
