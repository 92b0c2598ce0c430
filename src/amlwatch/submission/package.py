"""ZIP packages (spec §3.2): one message family per package, each at most 5 MB."""

from __future__ import annotations

import contextlib
import os
import time
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

MAX_PACKAGE_BYTES = 5_000_000  # "5M": taken as 5,000,000 bytes, below 5 MiB either way
_ENTRY_OVERHEAD = 200  # local header + central directory entry of one member, generously


def compressed_size(xml: bytes) -> int:
    """The deflated size of a message, as ZIP will store it."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return len(compressor.compress(xml) + compressor.flush()) + _ENTRY_OVERHEAD


def bins(sizes: Sequence[int], limit: int | None = None) -> list[list[int]]:
    """Indexes of messages grouped into packages in order, each group's total within limit
    (default: the 5 MB package limit)."""
    limit = limit or MAX_PACKAGE_BYTES
    groups: list[list[int]] = []
    total = limit + 1
    for i, size in enumerate(sizes):
        if size > limit:
            raise ValueError(f"message {i} alone compresses to {size:,} bytes, over {limit:,}")
        if total + size > limit:
            groups.append([])
            total = 0
        groups[-1].append(i)
        total += size
    return groups


def write_zip(path: Path, members: Sequence[tuple[str, bytes]]) -> None:
    """Write a package atomically (a partial file beside the upload folder, then rename)."""
    temp = _partial(path)
    try:
        with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for name, data in members:
                zf.writestr(name, data)
        size = temp.stat().st_size
        if size > MAX_PACKAGE_BYTES:
            raise ValueError(f"{path.name} would be {size:,} bytes, over 5 MB")
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_file(path: Path, data: bytes) -> None:
    """Write one file atomically (a partial file beside the upload folder, then rename)."""
    temp = _partial(path)
    try:
        temp.write_bytes(data)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


PARTIAL = ".partial"  # beside the folder written to, never in it: nothing half-written to upload
_STALE_S = 3600


def _partial(path: Path) -> Path:
    """Where `path` is written before its rename: a `.partial` folder beside its folder (same
    file system), cleared of what an earlier, killed run left there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.parent.parent / PARTIAL
    staging.mkdir(exist_ok=True)
    now = time.time()
    for stale in staging.iterdir():
        with contextlib.suppress(OSError):
            if now - stale.stat().st_mtime > _STALE_S:
                stale.unlink()
    return staging / f"{path.parent.name}-{path.name}.{os.getpid()}.tmp"
