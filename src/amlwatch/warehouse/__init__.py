"""The only code that talks to DuckDB: schema, loads, window queries, result tables."""

from amlwatch.warehouse.buckets import WHOLE, Bucket
from amlwatch.warehouse.database import LoadBatch, Warehouse
from amlwatch.warehouse.exceptions import (
    UnreadableRows,
    WarehouseError,
    WarehouseLocked,
    WarehouseUnavailable,
)

__all__ = [
    "WHOLE",
    "Bucket",
    "LoadBatch",
    "UnreadableRows",
    "Warehouse",
    "WarehouseError",
    "WarehouseLocked",
    "WarehouseUnavailable",
]
