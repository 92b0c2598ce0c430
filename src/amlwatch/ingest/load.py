"""The ingest stage: find a business date's files, parse and validate them, load them at once."""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

import pyarrow as pa

from amlwatch.ingest.exceptions import FileRejected, InboxMissing
from amlwatch.ingest.parse import read_input
from amlwatch.ingest.schema import KEYS, SPECS
from amlwatch.ingest.validate import LINE, compile_row_checks
from amlwatch.models import InputFile, InputKind, LoadReport
from amlwatch.warehouse import LoadBatch, Warehouse

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


def ingest_business_date(warehouse: Warehouse, inbox: Path, business_date: dt.date) -> LoadReport:
    """Load one business date from the inbox, replacing whatever was loaded for it before.

    Args:
        warehouse: the open warehouse.
        inbox: the inbox root (one folder per business date).
        business_date: the date to load.

    Returns:
        Rows loaded and quarantined per file.

    Raises:
        InboxMissing: the folder or its transactions file is missing.
        FileRejected: a file cannot be parsed at all; the date keeps its previous state.
    """
    started = time.monotonic()
    paths = discover(inbox, business_date)
    batches: dict[InputKind, LoadBatch] = {}
    sources: list[InputFile] = []
    try:
        for kind, path in paths.items():
            spec = SPECS[kind]
            parsed = read_input(path, kind, [c.name for c in spec if c.required])
            sources.append(parsed.source)
            table = parsed.table.append_column(LINE, pa.array(parsed.lines, pa.int64()))
            checks = compile_row_checks(spec, KEYS[kind], dict(zip(
                parsed.table.column_names, parsed.table.schema.types, strict=True)))
            batches[kind] = LoadBatch(
                source=parsed.source,
                table=table,
                typed_select=checks.typed_select,
                duplicate_update=checks.duplicate_update,
                extra_columns=checks.extra_columns,
                rejects=parsed.malformed,
            )
    except FileRejected as exc:
        warehouse.record_failed_load(business_date, sources, str(exc), started)
        log.error("business date %s not loaded: %s", business_date, exc)
        raise
    report = warehouse.load_business_date(business_date, batches, started)
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
