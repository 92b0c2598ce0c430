"""numba scanners: private kernels on arrays, typed public wrappers. No I/O."""

from amlwatch.scanners.large_value import LargeValueHits, LargeValueInput, scan_large_value
from amlwatch.scanners.order import pattern_order, sorted_input
from amlwatch.scanners.patterns import (
    FLAG_SCATTER_IN,
    FLAG_SCATTER_OUT,
    PatternInput,
    PatternParams,
    PatternWindows,
    scan_patterns,
)

__all__ = [
    "FLAG_SCATTER_IN",
    "FLAG_SCATTER_OUT",
    "LargeValueHits",
    "LargeValueInput",
    "PatternInput",
    "PatternParams",
    "PatternWindows",
    "pattern_order",
    "scan_large_value",
    "scan_patterns",
    "sorted_input",
]
