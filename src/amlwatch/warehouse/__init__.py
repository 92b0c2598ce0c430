"""The only code that talks to DuckDB: schema, loads, window queries, result tables."""

from amlwatch.warehouse.exceptions import WarehouseError, WarehouseLocked, WarehouseUnavailable
from amlwatch.warehouse.store import LoadBatch, Warehouse

__all__ = ["LoadBatch", "Warehouse", "WarehouseError", "WarehouseLocked", "WarehouseUnavailable"]
