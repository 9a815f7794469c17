"""Measure wall time and peak memory of a callable in a fresh child process.

Peak memory is the child's maximum resident set size (``ru_maxrss``), so each
measurement starts from a clean interpreter and is not polluted by earlier work.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
from collections.abc import Callable
from pathlib import Path


def _child(queue, setup, func):
    state = setup() if setup is not None else None
    started = time.perf_counter()
    func(state) if setup is not None else func()
    elapsed = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((elapsed, peak_mib))


def measure(func: Callable, setup: Callable | None = None) -> tuple[float, float]:
    """Return (seconds, peak MiB) of ``func()`` (or ``func(setup())``), run in a new process.

    Only ``func`` is timed; the peak memory covers setup and func together.
    """
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(queue, setup, func))
    process.start()
    result = queue.get()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"benchmark child failed with exit code {process.exitcode}")
    return result


PROJECT_ROOT = Path(__file__).resolve().parent.parent
