"""numba options for every kernel, in one place (never literals at the decorators)."""

from __future__ import annotations

from typing import Any

# cache: compiled once per machine; nogil: a kernel can run beside other threads;
# no fastmath: sums of money must be exact and in order.
JIT: dict[str, Any] = {"cache": True, "nogil": True, "fastmath": False}
