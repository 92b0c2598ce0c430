"""The ingest stage: find a business date's files, parse and validate them, load them at once."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from amlwatch.ingest.exceptions import FileRejected, InboxMissing, NeedsExactRead
from amlwatch.ingest.parse import StreamedFile, read_input, stream_input
from amlwatch.ingest.schema import KEYS, SPECS
from amlwatch.models import InputFile, InputKind, LoadReport
from amlwatch.warehouse import LoadBatch, Warehouse
from amlwatch.warehouse.database import Derivation
from amlwatch.warehouse.row_checks import LINE, compile_row_checks

log = logging.getLogger(__name__)

_FORMATS = (".parquet", ".csv")


def date_folder(inbox: Path, business_date: dt.date) -> Path:
    """The inbox folder of one business date."""
    return inbox / business_date.isoformat()


def inbox_dates(inbox: Path) -> list[dt.date]:
    """Business dates that have a folder in the inbox, oldest first."""
    if not inbox.is_dir():
        raise InboxMissing(f"inbox {inbox} does not exist or is not a folder")
    dates = []
    for child in inbox.iterdir():
        try:
            dates.append(dt.date.fromisoformat(child.name))
        except ValueError:
            continue
    return sorted(dates)


def discover(inbox: Path, business_date: dt.date) -> dict[InputKind, Path]:
    """The input files of a business date's folder.

    Raises:
        InboxMissing: no inbox, no folder for the date, or no transactions file in it.
        FileRejected: an input is there both as CSV and as Parquet.
    """
    if not inbox.is_dir():
        raise InboxMissing(f"inbox {inbox} does not exist or is not a folder")
    folder = date_folder(inbox, business_date)
    if not folder.is_dir():
        raise InboxMissing(f"no folder for business date {business_date} in {inbox}")
    found: dict[InputKind, Path] = {}
    for kind in InputKind:
        candidates = [folder / f"{kind.value}{ext}" for ext in _FORMATS]
        present = [path for path in candidates if path.is_file()]
        if len(present) > 1:
            raise FileRejected(
                present[0].name, f"{kind.value} is there both as CSV and as Parquet; keep one"
            )
        if present:
            found[kind] = present[0]
    if InputKind.TRANSACTIONS not in found:
        raise InboxMissing(
            f"no transactions.csv or transactions.parquet in {folder} "
            "(a quiet day still needs the file, with its header line)"
        )
    return found


def ingest_business_date(
    warehouse: Warehouse, inbox: Path, business_date: dt.date, derive: Sequence[Derivation] = ()
) -> LoadReport:
    """Load one business date from the inbox, replacing whatever was loaded for it before.

    Files are streamed into the warehouse batch by batch. A CSV that turns out not to be one
    record per line (quoted line breaks, blank lines, rows with the wrong number of fields)
    or not UTF-8 makes the load roll back; the date is then loaded again with that file read
    record by record, so that every line number stays exact.

    Args:
        warehouse: the open warehouse.
        inbox: the inbox root (one folder per business date).
        business_date: the date to load.
        derive: what the load also derives from the rows, in its transaction.

    Returns:
        Rows loaded and quarantined per file.

    Raises:
        InboxMissing: the folder or its transactions file is missing.
        FileRejected: a file cannot be parsed at all; the date keeps its previous state.
    """
    started = time.monotonic()
    paths = discover(inbox, business_date)
    exact: set[InputKind] = set()
    while True:
        sources: list[InputFile] = []
        streams: dict[InputKind, StreamedFile] = {}
        try:
            batches = {
                kind: _batch(kind, path, kind in exact, sources, streams)
                for kind, path in paths.items()
            }
            report = warehouse.load_business_date(business_date, batches, started, derive)
        except FileRejected as exc:
            warehouse.record_failed_load(business_date, sources, str(exc), started)
            log.error("business date %s not loaded: %s", business_date, exc)
            raise
        except Exception:
            again = {kind for kind, s in streams.items() if s.needs_exact} - exact
            if not again:
                raise
            log.info("re-reading %s record by record", ", ".join(sorted(again)))
            exact |= again
            continue
        break
    log.info(
        "business date %s loaded as %s: %d rows in, %d loaded, %d quarantined (%.1f s)",
        business_date,
        report.load_id,
        report.total_in,
        report.total_loaded,
        report.total_quarantined,
        report.duration_s,
    )
    return report


def _batch(
    kind: InputKind,
    path: Path,
    record_by_record: bool,
    sources: list[InputFile],
    streams: dict[InputKind, StreamedFile],
) -> LoadBatch:
    """One file as a load batch: streamed, or read whole with exact line numbers."""
    spec = SPECS[kind]
    required = [c.name for c in spec if c.required]
    rows: pa.Table | pa.RecordBatchReader | str
    streamed = None
    if not record_by_record:
        try:
            streamed = stream_input(path, kind, required)
        except NeedsExactRead:  # not UTF-8: read whole, with the encoding found
            streamed = None
    if streamed is not None:
        streams[kind] = streamed
        sources.append(streamed.source)
        source, types, malformed = streamed.source, streamed.types, []
        rows = streamed.query or streamed.reader
    else:
        # after a failed stream the fast reader would fail the same way: go record by record
        parsed = read_input(path, kind, required, record_by_record=record_by_record)
        sources.append(parsed.source)
        source, malformed = parsed.source, parsed.malformed
        rows = parsed.table.append_column(LINE, pa.array(parsed.lines, pa.int64()))
        types = dict(zip(parsed.table.column_names, parsed.table.schema.types, strict=True))
    checks = compile_row_checks(spec, KEYS[kind], types)
    return LoadBatch(
        source=source,
        rows=rows,
        typed_select=checks.typed_select,
        duplicate_update=checks.duplicate_update,
        extra_columns=checks.extra_columns,
        absent=checks.absent,
        rejects=malformed,
    )
