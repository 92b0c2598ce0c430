"""The record-by-record CSV reader: slow, but it knows the first line of every record.

Used when the fast reader cannot prove that one record is one line (blank lines, quoted
newlines, rows with the wrong number of fields, CR-only line ends). Every record the csv
module refuses is quarantined with its line; a file that ends inside a quoted field, or holds
bytes its encoding cannot decode, is rejected with the byte offset and line.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa

from amlwatch.ingest.exceptions import FileRejected
from amlwatch.masking import mask_text
from amlwatch.models import RejectedRow

_CHUNK = 16 << 20
_SLOW_PATH_BATCH = 200_000
FIELD_LIMIT = 16 << 20  # characters of one field: longer is a broken file, not a value
csv.field_size_limit(FIELD_LIMIT)
# one record over more lines than this is the file's structure broken, not a field's line breaks
FOLD_LIMIT = 1_000
_T = TypeVar("_T")
_NOTHING: Any = object()


def read_csv_exact(
    path: Path, names: list[str], encoding: str
) -> tuple[pa.Table, np.ndarray, list[RejectedRow]]:
    """Record-by-record read that knows the first line of every record."""
    malformed: list[RejectedRow] = []
    chunks: list[list[pa.Array]] = []
    line_chunks: list[np.ndarray] = []
    columns: list[list[str | None]] = [[] for _ in names]
    lines: list[int] = []

    def flush() -> None:
        if lines:
            chunks.append([pa.array(values, pa.string()) for values in columns])
            line_chunks.append(np.asarray(lines, dtype=np.int64))
            for values in columns:
                values.clear()
            lines.clear()

    # a line ends at LF (CRLF too); a CR alone ends one only in a file of CR-only line ends
    newline = "" if _cr_only(path) else "\n"
    try:
        with path.open(newline=newline, encoding=encoding, errors="strict") as fh:
            reader = csv.reader(fh)
            next(reader)
            previous_end = reader.line_num
            for (record, end), last in _with_last(_records(reader)):
                start, previous_end = previous_end + 1, end
                if end - start >= FOLD_LIMIT:
                    raise FileRejected(
                        path.name,
                        f"lines {start}-{end} read as one record: a quote opened on line "
                        f"{start} is not closed where its field ends; fix it and export again",
                    )
                reason, raw = (record, "") if isinstance(record, str) else (None, "")
                if reason is None and isinstance(record, list) and record:
                    # the last record may be a quote never closed: its field ran to the end
                    unclosed = last and (end > start or record[-1][-1:] in ("\n", "\r"))
                    unclosed = unclosed and _unclosed_at_end(path, encoding, newline, start)
                    if end > start or unclosed:
                        reason = _folded(record, names, start, end, unclosed)
                        raw = json.dumps(record, ensure_ascii=False)
                if reason is not None:
                    malformed.append(
                        RejectedRow(file=path.name, line=start, column=None, reason=reason, raw=raw)
                    )
                    continue
                assert not isinstance(record, str)
                if not record:
                    continue  # a blank line is not a record
                if len(record) != len(names):
                    spans = ""
                    if previous_end > start:
                        spans = (
                            f"; the record runs over lines {start}-{previous_end}: a quote "
                            "opened in it is not closed where its field ends"
                        )
                    malformed.append(
                        RejectedRow(
                            file=path.name,
                            line=start,
                            column=None,
                            reason=f"expected {len(names)} fields as in the header, "
                            f"found {len(record)}{spans}",
                            raw=json.dumps(record, ensure_ascii=False),
                        )
                    )
                    continue
                for values, value in zip(columns, record, strict=True):
                    values.append(value if value != "" else None)
                lines.append(start)
                if len(lines) >= _SLOW_PATH_BATCH:
                    flush()
    except UnicodeDecodeError as exc:
        offset, line = _undecodable(path, encoding)
        raise FileRejected(
            path.name,
            f"not UTF-8 or GB18030 text: undecodable bytes at byte offset {offset} (line {line})",
        ) from exc
    flush()
    malformed = _with_text(malformed, path, encoding, newline)
    if chunks:
        arrays = [pa.chunked_array([chunk[i] for chunk in chunks]) for i in range(len(names))]
        table = pa.table(arrays, names=names)
        all_lines = np.concatenate(line_chunks)
    else:
        table = pa.table([pa.array([], pa.string()) for _ in names], names=names)
        all_lines = np.zeros(0, dtype=np.int64)
    return table, all_lines, malformed


RAW_KEPT = 1000  # characters of a refused record's text kept in the quarantine


def _with_text(
    rows: list[RejectedRow], path: Path, encoding: str, newline: str
) -> list[RejectedRow]:
    """Refused records the reader gave no fields of (a CR inside an unquoted field) keep
    their line's text, masked, so that the quarantine shows what was refused."""
    wanted = {r.line for r in rows if not r.raw}
    if not wanted:
        return rows
    found: dict[int, str] = {}
    with path.open(newline=newline, encoding=encoding, errors="replace") as fh:
        for number, text in enumerate(fh, 1):
            if number in wanted:
                found[number] = mask_text(text.rstrip("\n").replace("\r", "␍"))[:RAW_KEPT]
            if number >= max(wanted):
                break
    return [replace(r, raw=found.get(r.line, "")) if not r.raw else r for r in rows]


def _with_last(items: Iterator[_T]) -> Iterator[tuple[_T, bool]]:
    """Each item with whether it is the last one."""
    previous = next(items, _NOTHING)
    for item in items:
        yield previous, False  # type: ignore[misc]
        previous = item
    if previous is not _NOTHING:
        yield previous, True  # type: ignore[misc]


def _folded(
    record: list[str], names: list[str], start: int, end: int, unclosed: bool
) -> str | None:
    """Why a record over lines `start`-`end` is not one row but rows a stray quote folded, or
    None for a field that really holds line breaks (an address over two lines)."""
    where = f"lines {start}-{end} read as one record"
    if unclosed:
        return (
            f"{where}: a quote opened on line {start} is never closed (the file ends inside "
            "it); fix the quote and export again"
        )
    if len(record) != len(names):
        return None  # told with its field count by the caller
    for value in record:
        if any(line.count(",") >= len(names) - 1 for line in value.splitlines()[1:]):
            return (
                f"{where}: a line inside a quoted field looks like a row of its own, so a "
                f"quote opened on line {start} is probably not closed where its field ends"
            )
    return None


def _records(reader: Any) -> Iterator[tuple[list[str] | str, int]]:
    """The reader's records with the line each ends on; for a line the reader refuses (it
    goes on after it), why."""
    while True:
        try:
            record: list[str] | str = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field limit" in str(exc):
                record = f"a field longer than {FIELD_LIMIT:,} characters"
            else:
                record = (
                    "a carriage return (CR) inside a field that is not quoted (quote the "
                    "field or remove the character)"
                )
        yield record, reader.line_num


def _cr_only(path: Path) -> bool:
    """Whether the file's lines end in CR alone (no LF anywhere, CR somewhere)."""
    with path.open("rb") as fh:
        head = fh.read(_CHUNK)
    return b"\n" not in head and b"\r" in head


def _unclosed_at_end(path: Path, encoding: str, newline: str, start: int) -> bool:
    """Whether the file's last record, from line `start`, is a quoted field never closed."""
    with path.open(newline=newline, encoding=encoding) as fh:
        tail = "".join(line for number, line in enumerate(fh, 1) if number >= start)
    try:
        for _ in csv.reader(tail.splitlines(keepends=True), strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _undecodable(path: Path, encoding: str) -> tuple[int, int]:
    """The byte offset of the first byte the encoding cannot decode, and its line."""
    decoder = codecs.getincrementaldecoder("utf-8" if encoding.startswith("utf-8") else encoding)()
    offset, lines = 0, 1
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            pending = len(decoder.getstate()[0])  # bytes of a character the last chunk began
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                at = max(exc.start - pending, 0)
                return offset + at, lines + chunk[:at].count(b"\n")
            offset += len(chunk)
            lines += chunk.count(b"\n")
    return offset, lines
