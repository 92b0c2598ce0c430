"""numba scanners: private kernels on arrays, typed public wrappers. No I/O."""

from amlwatch.scanners.large_value import LargeValueHits, LargeValueInput, scan_large_value

__all__ = ["LargeValueHits", "LargeValueInput", "scan_large_value"]
