"""Input checks the scanner wrappers share."""

from __future__ import annotations

from typing import Any

import numpy as np

from amlwatch.scanners.exceptions import ScannerInputError


def check_columns(data: Any, dtypes: dict[str, Any]) -> int:
    """Every named array of `data` 1-d, contiguous, of its dtype and of one length; returns it."""
    n = len(getattr(data, next(iter(dtypes))))
    for name, dtype in dtypes.items():
        array = getattr(data, name)
        if array.dtype != dtype or array.ndim != 1 or len(array) != n:
            raise ScannerInputError(f"{name}: expected a 1-d {np.dtype(dtype)} array of length {n}")
        if not array.flags.c_contiguous:
            raise ScannerInputError(f"{name}: must be contiguous")
    return n
