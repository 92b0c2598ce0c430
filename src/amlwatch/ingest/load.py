"""The ingest stage: find a business date's files, parse and validate them, load them at once."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import errno
import logging
import os
import stat
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyarrow as pa

from amlwatch.ingest.exceptions import FileRejected, InboxMissing, NeedsExactRead
from amlwatch.ingest.parse import StreamedFile, fingerprint_file, read_input, stream_input
from amlwatch.ingest.schema import KEYS, SPECS
from amlwatch.masking import mask_text
from amlwatch.models import InputFile, InputKind, LoadReport
from amlwatch.warehouse import LoadBatch, UnreadableRows, Warehouse
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
        present = [path for path in candidates if os.path.lexists(path)]
        for path in present:  # there in any way: it must be a file we can read
            _readable(path)
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


def _regular_inputs(folder: Path) -> dict[InputKind, Path]:
    """The input files of a folder that can be read (what a rejection records as seen)."""
    seen = {}
    for kind in InputKind:
        for ext in _FORMATS:
            path = folder / f"{kind.value}{ext}"
            with contextlib.suppress(OSError):
                if stat.S_ISREG(path.stat().st_mode):
                    seen[kind] = path
    return seen


def _readable(path: Path) -> None:
    """Refuse an input that is there but cannot be read: a folder, a broken or looping link,
    a file without read permission, or one that does not end where its last line does."""
    try:
        info = path.stat()
    except OSError as exc:
        if path.is_symlink():
            what = "a symbolic link loop" if exc.errno == errno.ELOOP else "a broken symbolic link"
            raise FileRejected(
                path.name, f"is {what}, not a file; put the file itself there"
            ) from exc
        raise FileRejected(path.name, f"cannot be read ({exc.strerror})") from exc
    if stat.S_ISDIR(info.st_mode):
        raise FileRejected(path.name, "is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise FileRejected(path.name, "is not a regular file (a device or a pipe?)")
    try:
        with path.open("rb") as fh:
            if info.st_size and path.suffix.lower() == ".csv":
                fh.seek(info.st_size - 1)
                if fh.read(1) not in (b"\n", b"\r"):
                    raise FileRejected(
                        path.name,
                        "does not end with a line break: its last line may be cut off (the "
                        "export still being written, or a copy that stopped); export it again",
                    )
    except OSError as exc:
        raise FileRejected(path.name, f"cannot be read ({exc.strerror})") from exc


def _snapshot(paths: Mapping[InputKind, Path]) -> dict[Path, tuple[int, int, int]]:
    """Size, modification time and inode of each file, to prove it did not change while read."""
    shots = {}
    for path in paths.values():
        info = path.stat()
        shots[path] = (info.st_size, info.st_mtime_ns, info.st_ino)
    return shots


def _unchanged(shots: dict[Path, tuple[int, int, int]], sources: list[InputFile]) -> Derivation:
    """A step of the load's transaction: every file is as it was when the load began, and its
    recorded hash is of exactly the bytes read (else the load rolls back)."""

    def check(warehouse: Warehouse, business_date: dt.date, load_id: str) -> None:
        sizes = {Path(f.path): f.size_bytes for f in sources}
        for path, before in shots.items():
            try:
                info = path.stat()
                now = (info.st_size, info.st_mtime_ns, info.st_ino)
            except OSError:
                now = (-1, -1, -1)
            if now != before or sizes.get(path, before[0]) != before[0]:
                raise FileRejected(
                    path.name,
                    "changed while it was read (is the export still being written?); load "
                    "the date again once the file is complete",
                )

    return check


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
    if not date_folder(inbox, business_date).is_dir():
        discover(inbox, business_date)  # raises: nothing has arrived, nothing to record
    try:
        paths = discover(inbox, business_date)
    except (FileRejected, InboxMissing) as exc:
        seen = _regular_inputs(date_folder(inbox, business_date))
        _record_rejection(warehouse, business_date, seen, [], exc, started)
        raise
    exact: set[InputKind] = set()
    while True:
        sources: list[InputFile] = []
        streams: dict[InputKind, StreamedFile] = {}
        try:
            shots = _snapshot(paths)
            batches = {
                kind: _batch(kind, path, kind in exact, sources, streams)
                for kind, path in paths.items()
            }
            steps = [*derive, _unchanged(shots, sources)]
            report = warehouse.load_business_date(business_date, batches, started, steps)
        except FileRejected as exc:
            _record_rejection(warehouse, business_date, paths, sources, exc, started)
            raise
        except Exception as exc:
            again = {kind for kind, s in streams.items() if s.needs_exact} - exact
            if not again:
                rejected = _rejection(exc)
                _record_rejection(warehouse, business_date, paths, sources, rejected, started)
                if rejected is exc:
                    raise
                raise rejected from exc
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


def _rejection(exc: Exception) -> Exception:
    """What a failed load tells: a file's unreadable rows as that file's rejection, an
    environment error (a full disk) as it is."""
    if isinstance(exc, UnreadableRows):
        return FileRejected(exc.file, exc.reason)
    if isinstance(exc, (pa.ArrowException, UnicodeError, csv.Error)):
        return FileRejected("input", f"cannot be read ({mask_text(str(exc).splitlines()[0])})")
    return exc


def _record_rejection(
    warehouse: Warehouse,
    business_date: dt.date,
    paths: Mapping[InputKind, Path],
    sources: list[InputFile],
    exc: Exception,
    started: float,
) -> None:
    """Record the refused load in `load_log` with every file seen and its hash; the date keeps
    its previous state. A warehouse that cannot even take the record (a full disk) is told in
    the log: the error that stopped the load is what the operator must see."""
    seen = {Path(f.path) for f in sources}
    files = [f for f in sources if f.sha256]
    for kind, path in paths.items():
        if path in seen and any(Path(f.path) == path and f.sha256 for f in sources):
            continue
        try:
            files.append(fingerprint_file(kind, path))
        except OSError:
            continue
    reason = mask_text(str(exc))
    try:
        warehouse.record_failed_load(business_date, files, reason, started)
    except Exception as record_error:  # the rejection itself stands; say why it is unrecorded
        log.error("the rejection of %s could not be recorded: %s", business_date, record_error)
    log.error("business date %s not loaded: %s", business_date, reason)


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
