"""Errors of the warehouse. A locked or busy warehouse is transient: retrying can help."""

from __future__ import annotations

import duckdb

from amlwatch.masking import mask_text


class WarehouseError(Exception):
    """Base of warehouse errors."""

    retryable = False


class WarehouseLocked(WarehouseError):
    """Another process holds the DuckDB file; try again later."""

    retryable = True


class WarehouseUnavailable(WarehouseError):
    """The file or disk could not be used (I/O error, disk full); try again later."""

    retryable = True


class UnreadableRows(WarehouseError):
    """A file's rows could not be read into the load (a damaged page, a type no column of the
    contract can take); nothing of its date is loaded."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


def told_while_loading(exc: duckdb.Error, file: str) -> Exception:
    """A database error met while loading a file, as what it means to an operator."""
    text = " ".join(str(exc).split())
    if "No space left" in text or "disk is full" in text.lower():
        return WarehouseUnavailable(f"the disk is full while loading {file} ({text[:200]})")
    if isinstance(exc, duckdb.IOException):
        return WarehouseUnavailable(f"cannot write the warehouse, loading {file}: {text[:200]}")
    first = text.split(" LINE ")[0][:200]
    return UnreadableRows(
        file,
        "its rows cannot be read as the data contract's columns (a damaged file, or a column "
        f"of a type no contract column takes: {mask_text(first)}); export it again",
    )
