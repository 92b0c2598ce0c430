"""Reading one input file into raw Arrow columns, with the line number of every row.

CSV is read with every column as text, so that validation, not the parser, decides what a
bad value is. The encoding is detected: a UTF-8 byte-order mark, else UTF-8, else GB18030.
Line numbers are exact: the fast multi-threaded reader is trusted only when the file's line
count proves that one record is one line; otherwise (blank lines, quoted newlines, rows with
the wrong number of fields) the file is re-read record by record.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from amlwatch.ingest.csv_exact import read_csv_exact
from amlwatch.ingest.exceptions import FileRejected, NeedsExactRead
from amlwatch.ingest.schema import SPECS
from amlwatch.models import InputFile, InputKind, RejectedRow
from amlwatch.warehouse.row_checks import parquet_rows_query

_BOM = b"\xef\xbb\xbf"
_CHUNK = 16 << 20
_STREAM_BATCH = 256_000
_ROW_NUMBER = "file_row_number"  # DuckDB's row number of a Parquet file, from 0


@dataclass(slots=True)
class ParsedFile:
    """The rows of one file that split into the right number of fields, and those that did not."""

    source: InputFile
    table: pa.Table
    lines: np.ndarray
    malformed: list[RejectedRow] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        """Records in the file (header excluded)."""
        return self.table.num_rows + len(self.malformed)


@dataclass(slots=True)
class _Fingerprint:
    sha256: str = ""
    size: int = 0
    newlines: int = 0
    ends_with_newline: bool = True


def _fingerprint(path: Path, out: _Fingerprint) -> None:
    digest = hashlib.sha256()
    newlines = 0
    last = b"\n"
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            newlines += chunk.count(b"\n")
            size += len(chunk)
            last = chunk[-1:]
    out.sha256, out.size, out.newlines = digest.hexdigest(), size, newlines
    out.ends_with_newline = last == b"\n"


def fingerprint_file(kind: InputKind, path: Path) -> InputFile:
    """A file as the load log records it, read once for its hash."""
    out = _Fingerprint()
    _fingerprint(path, out)
    fmt = "parquet" if path.suffix.lower() == ".parquet" else "csv"
    return InputFile(kind=kind, path=str(path), format=fmt, sha256=out.sha256, size_bytes=out.size)


@dataclass(slots=True)
class StreamedFile:
    """A file read batch by batch straight into the warehouse, never held whole in memory.

    `reader` yields the file's columns plus `_line`; for Parquet, `query` instead reads the
    file in DuckDB itself (in parallel, no Python in between). If the file turns out not to be one
    record per line, or not UTF-8, the stream fails and `needs_exact` is set: the load is
    rolled back and the file read again with `read_input`.
    """

    source: InputFile
    reader: pa.RecordBatchReader
    types: dict[str, pa.DataType]
    needs_exact: bool = False
    query: str | None = None


def stream_input(path: Path, kind: InputKind, required: Sequence[str]) -> StreamedFile:
    """Open a UTF-8 CSV or a Parquet file as a stream of record batches with line numbers.

    Raises:
        FileRejected: the header is unreadable or lacks a required column.
        NeedsExactRead: the file is not UTF-8 (streams are; `read_input` reads the rest).
    """
    is_csv = path.suffix.lower() != ".parquet"
    if is_csv and _detect_encoding(path)[0] == "gb18030":
        raise NeedsExactRead(path.name)
    source = InputFile(kind=kind, path=str(path), format="csv", sha256="", size_bytes=0)
    fingerprint = _Fingerprint()
    hasher = threading.Thread(target=_fingerprint, args=(path, fingerprint), daemon=True)
    hasher.start()
    if not is_csv:
        source.format = "parquet"
        try:
            parquet = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            hasher.join()
            raise FileRejected(path.name, f"not a readable Parquet file ({exc})") from exc
        names = _normalise(parquet.schema_arrow.names)
        batches = (b.rename_columns(names) for b in parquet.iter_batches(batch_size=_STREAM_BATCH))
        schema = pa.schema(
            [f.with_name(n) for f, n in zip(parquet.schema_arrow, names, strict=True)]
        )
        first_line = 1
        if _ROW_NUMBER not in parquet.schema_arrow.names:
            hasher.join()
            _check_header(path, schema.names, required, kind)
            source.sha256, source.size_bytes = fingerprint.sha256, fingerprint.size
            return StreamedFile(
                source=source,
                reader=pa.RecordBatchReader.from_batches(schema, iter(())),
                types=dict(zip(schema.names, schema.types, strict=True)),
                query=parquet_rows_query(
                    str(path),
                    list(zip(parquet.schema_arrow.names, names, strict=True)),
                    _ROW_NUMBER,
                ),
            )
    else:
        encoding, head = _detect_encoding(path)
        source.encoding = encoding
        try:
            names = _normalise(next(csv.reader([head.decode(encoding)])))
        except (UnicodeDecodeError, StopIteration, csv.Error) as exc:
            hasher.join()
            raise FileRejected(path.name, f"header line is not readable text ({exc})") from exc
        schema = pa.schema([pa.field(n, pa.string()) for n in names])
        invalid: list[object] = []
        batches = iter(_open_csv(path, names, invalid))
        first_line = 2
    try:
        _check_header(path, schema.names, required, kind)
    except FileRejected:
        hasher.join()
        raise
    streamed = StreamedFile(
        source=source,
        reader=pa.RecordBatchReader.from_batches(
            schema.append(pa.field("_line", pa.int64())), iter(())
        ),
        types=dict(zip(schema.names, schema.types, strict=True)),
    )

    def numbered() -> Iterator[pa.RecordBatch]:
        rows = 0
        try:
            for batch in batches:
                lines = pa.array(
                    np.arange(rows + first_line, rows + first_line + batch.num_rows, dtype=np.int64)
                )
                rows += batch.num_rows
                yield pa.RecordBatch.from_arrays(
                    [*batch.columns, lines], schema=streamed.reader.schema
                )
        except (pa.ArrowInvalid, UnicodeDecodeError):
            streamed.needs_exact = True  # not UTF-8 after all, or broken quoting
            raise
        finally:
            hasher.join()
            source.sha256, source.size_bytes = fingerprint.sha256, fingerprint.size
        if source.format == "csv":
            lines_in_file = fingerprint.newlines + (0 if fingerprint.ends_with_newline else 1)
            if invalid or lines_in_file != rows + 1 or not _last_line_closed(path):
                streamed.needs_exact = True
                raise NeedsExactRead(path.name)

    streamed.reader = pa.RecordBatchReader.from_batches(streamed.reader.schema, numbered())
    return streamed


def _open_csv(path: Path, names: list[str], invalid: list[object]) -> pacsv.CSVStreamingReader:
    def skip(row: object) -> str:
        invalid.append(row)
        return "skip"

    try:
        return pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(invalid_row_handler=skip),
            convert_options=_text_columns(names),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise NeedsExactRead(path.name) from exc


def _text_columns(names: list[str]) -> pacsv.ConvertOptions:
    """Every column as text; an empty field is null."""
    return pacsv.ConvertOptions(
        column_types={name: pa.string() for name in names},
        null_values=[""],  # an empty field is "not given"; nothing else is
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )


def read_input(
    path: Path, kind: InputKind, required: Sequence[str], record_by_record: bool = False
) -> ParsedFile:
    """Read a CSV or Parquet input file.

    Args:
        path: the file.
        kind: which input of the data contract it is.
        required: columns the header must have.
        record_by_record: skip the fast reader (a CSV already known not to be one record per
            line goes straight to the record-by-record reader).

    Returns:
        The parsed rows with their line numbers (CSV) or row numbers (Parquet).

    Raises:
        FileRejected: the file cannot be parsed at all, or lacks a required column.
    """
    fingerprint = _Fingerprint()
    hasher = threading.Thread(target=_fingerprint, args=(path, fingerprint), daemon=True)
    hasher.start()
    try:
        if path.suffix.lower() == ".parquet":
            table, lines, encoding = _read_parquet(path), None, None
            malformed: list[RejectedRow] = []
        else:
            table, lines, malformed, encoding = _read_csv(
                path, fingerprint, hasher, record_by_record
            )
    finally:
        hasher.join()
    _check_header(path, table.column_names, required, kind)
    if lines is None:
        lines = np.arange(1, table.num_rows + 1, dtype=np.int64)
    source = InputFile(
        kind=kind,
        path=str(path),
        format="parquet" if encoding is None else "csv",
        sha256=fingerprint.sha256,
        size_bytes=fingerprint.size,
        encoding=encoding,
    )
    return ParsedFile(source=source, table=table, lines=lines, malformed=malformed)


def _check_header(
    path: Path, columns: Sequence[str], required: Sequence[str], kind: InputKind | None = None
) -> None:
    """The header names its columns once each and has the required ones. A header is never
    echoed whole: a first line of data (a file without its header) would print customers'
    names and addresses; only the contract's own column names are quoted."""
    known = {c.name for c in SPECS[kind]} if kind is not None else set(required)
    if required and not known & set(columns):
        raise FileRejected(
            path.name,
            "表头行似乎缺失：第一行不含任何约定的列名（首行须为列名）/ the header row seems to be "
            f"missing: the first line names none of the contract's columns "
            f"({len(columns)} fields; the first line must name the columns, e.g. "
            f"{', '.join(list(required)[:3])})",
        )
    seen: set[str] = set()
    for number, name in enumerate(columns, 1):
        if any(ord(c) < 32 or ord(c) == 127 for c in name):
            raise FileRejected(
                path.name,
                f"column {number} of the header holds a control character "
                f"(code {next(ord(c) for c in name if ord(c) < 32 or ord(c) == 127)}); "
                "a header names its columns in plain text",
            )
        if name in seen:
            shown = repr(name) if name in known else f"{number}"
            raise FileRejected(path.name, f"column {shown} appears twice in the header")
        seen.add(name)
    missing = [name for name in required if name not in seen]
    if missing:
        named = [c for c in columns if c in known]
        others = len(columns) - len(named)
        raise FileRejected(
            path.name,
            f"required column(s) {', '.join(missing)} missing; the header has: "
            f"{', '.join(named) or '(none of the contract columns)'}"
            + (f" and {others} other column(s)" if others else "")
            + " (a file without its header line? The first line must name the columns)",
        )


def _normalise(names: Sequence[str]) -> list[str]:
    """Header names as the contract spells them; a column without a name (a trailing comma)
    is an extra column like any other, kept as `column_<n>`."""
    names = [name.strip().lstrip("\ufeff").strip().lower() for name in names]
    return [name or f"column_{number}" for number, name in enumerate(names, 1)]


def _read_parquet(path: Path) -> pa.Table:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise FileRejected(path.name, f"not a readable Parquet file ({exc})") from exc
    return table.rename_columns(_normalise(table.column_names))


def _detect_encoding(path: Path) -> tuple[str, bytes]:
    """The encoding label and the raw header line."""
    with path.open("rb") as fh:
        head = fh.readline()
    if b"\r" in head.rstrip(b"\r\n"):  # CR-only line ends: the header is the first line of them
        head = head[: head.index(b"\r") + 1]
    if not head.strip():
        raise FileRejected(path.name, "empty file: no header line")
    if head.startswith(_BOM):
        return "utf-8-sig", head
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030", head
    return "utf-8", head


def _read_csv(
    path: Path, fingerprint: _Fingerprint, hasher: threading.Thread, record_by_record: bool
) -> tuple[pa.Table, np.ndarray | None, list[RejectedRow], str]:
    encoding, head = _detect_encoding(path)
    try:
        header = next(csv.reader([head.decode(encoding)]))
    except (UnicodeDecodeError, StopIteration, csv.Error) as exc:
        raise FileRejected(path.name, f"header line is not readable text ({exc})") from exc
    names = _normalise(header)
    if record_by_record:
        if encoding != "gb18030" and not _is_utf8(path):
            encoding = "gb18030"  # a header in ASCII, but data bytes that are not UTF-8
    else:
        table, clean = _read_csv_fast(path, names, "gb18030" if encoding == "gb18030" else "utf-8")
        if table is None and encoding != "gb18030" and not _is_utf8(path):
            encoding = "gb18030"  # a header in ASCII, but data bytes that are not UTF-8
            table, clean = _read_csv_fast(path, names, encoding)
        hasher.join()
        lines_in_file = fingerprint.newlines + (0 if fingerprint.ends_with_newline else 1)
        one_per_line = table is not None and clean and lines_in_file == table.num_rows + 1
        if table is not None and one_per_line and _last_line_closed(path):
            return table, np.arange(2, table.num_rows + 2, dtype=np.int64), [], encoding
    table, lines, malformed = read_csv_exact(path, names, encoding)
    return table, lines, malformed, encoding


def _last_line_closed(path: Path) -> bool:
    """Whether the file's last line closes every quote it opens (an even count of quote
    characters): the fast reader takes a quote the file ends inside as text."""
    with path.open("rb") as fh:
        size = fh.seek(0, 2)
        fh.seek(max(size - _CHUNK, 0))
        tail = fh.read().rstrip(b"\r\n")
    if b"\n" not in tail and size > _CHUNK:
        return False  # a last line longer than we look at: let the exact reader judge it
    return tail.rsplit(b"\n", 1)[-1].count(b'"') % 2 == 0


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _read_csv_fast(path: Path, names: list[str], encoding: str) -> tuple[pa.Table | None, bool]:
    """Multi-threaded read; `clean` is False if any row had the wrong number of fields."""
    invalid: list[object] = []

    def skip(row: object) -> str:
        invalid.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, encoding=encoding, block_size=8 << 20
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=skip),
            convert_options=_text_columns(names),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None, False
    return table, not invalid
