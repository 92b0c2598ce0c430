"""Errors of the warehouse. A locked or busy warehouse is transient: retrying can help."""

from __future__ import annotations


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
