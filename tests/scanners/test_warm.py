"""The kernels' cached specialisations load up front (`scanners.warm`): a process that
preloads them has each one a scan will call before calling it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from amlwatch.scanners import warm

COMPILE = """
import numpy as np
from amlwatch.scanners.encode import dense_codes
dense_codes(np.array([3, 1, 3], np.uint64), np.array([7, 2, 7], np.uint64))
"""

LOAD = """
import json
from amlwatch.scanners import warm
from amlwatch.scanners.encode import dense_codes  # imported, not called
kernels = {f"{k.py_func.__module__}.{k.py_func.__qualname__}": k for k in warm.dispatchers()}
before = {name: len(k.signatures) for name, k in kernels.items()}
loaded = warm.load_kernels()
again = warm.load_kernels()  # once per process
after = {name: len(k.signatures) for name, k in kernels.items()}
print(json.dumps({"before": before, "loaded": loaded, "after": after, "again": again == loaded}))
"""


def run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_fresh_process_loads_every_cached_kernel_before_its_first_call() -> None:
    run(COMPILE)  # the cache holds dense_codes' kernels now (a fresh checkout compiles them)
    seen = json.loads(run(LOAD).strip().splitlines()[-1])
    assert not any(seen["before"].values())  # nothing loaded by importing
    assert seen["again"]
    encoded = [n for n in seen["loaded"] if n.startswith("amlwatch.scanners.encode.")]
    assert any(seen["loaded"][n] for n in encoded)
    for name, count in seen["loaded"].items():
        assert seen["after"][name] >= count > -1


def test_every_scanner_module_is_searched() -> None:
    names = {f"{k.py_func.__module__}" for k in warm.dispatchers()}
    assert {"amlwatch.scanners.patterns", "amlwatch.scanners.large_value",
            "amlwatch.scanners.runs", "amlwatch.scanners.network.chains"} <= names  # fmt: skip
