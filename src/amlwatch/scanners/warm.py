"""Loading the compiled kernels before the first scan needs them.

Every kernel is compiled once per machine and cached on disk (`config.JIT`); what remains is
loading each specialisation from that cache, lazily, on its first call in a process — seconds
for all of them, paid by the first scan of every new process. `load_kernels` loads every
specialisation the cache holds up front: a worker process does it as it starts (a Dask
worker with `--preload amlwatch.scanners.warm`, which the nightly flow's own LocalCluster
passes), the nightly flow in a thread while its ingest runs. A specialisation the cache lacks
is compiled on first call, as before; nothing is compiled here.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import threading
import time
from typing import Any

from numba.core.dispatcher import Dispatcher

log = logging.getLogger(__name__)

_lock = threading.Lock()
_loaded: dict[str, int] = {}


def dispatchers() -> list[Dispatcher]:
    """Every numba kernel of the scanners' modules."""
    import amlwatch.scanners as package

    found: dict[int, Dispatcher] = {}
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, Dispatcher):
                found[id(value)] = value
    return list(found.values())


def cached_signatures(kernel: Dispatcher) -> list[Any]:
    """The signatures the on-disk cache holds for this machine (numba's cache index)."""
    cache = getattr(kernel, "_cache", None)
    index_file = getattr(cache, "_cache_file", None)
    if index_file is None:
        return []
    target: Any = kernel.targetctx
    magic = target.codegen().magic_tuple()
    return [key[0] for key in index_file._load_index() if key[1] == magic]


def load_kernels() -> dict[str, int]:
    """Load every cached specialisation of every kernel into this process (once); the
    number loaded per kernel. Never raises: a kernel that cannot be loaded here is loaded,
    or compiled, on its first call."""
    with _lock:
        if _loaded:
            return dict(_loaded)
        started = time.monotonic()
        for kernel in dispatchers():
            name = f"{kernel.py_func.__module__}.{kernel.py_func.__qualname__}"
            try:
                signatures = cached_signatures(kernel)
                for signature in signatures:
                    kernel.compile(signature)
                _loaded[name] = len(signatures)
            except Exception as error:  # numba's cache layout is its own: never fatal
                log.debug("kernel %s not preloaded: %s", name, error)
                _loaded[name] = 0
        log.info(
            "%d kernel specialisations loaded in %.1f s",
            sum(_loaded.values()),
            time.monotonic() - started,
        )
        return dict(_loaded)


def load_in_background() -> threading.Thread:
    """`load_kernels` in a daemon thread (the caller goes on; a scan that needs a kernel
    before it is loaded waits for numba's own lock, not for the whole load)."""
    thread = threading.Thread(target=load_kernels, name="amlwatch-kernels", daemon=True)
    thread.start()
    return thread


def dask_setup(worker: object) -> None:
    """Dask's preload hook: a worker loads the kernels as it starts."""
    load_kernels()
