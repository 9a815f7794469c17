"""Run the benchmarks: ``python -m benchmarks [--quick] [NAME ...]`` (``make bench``).

Each ``benchmarks/bench_NAME.py`` module has a ``main()`` that prints its figures
(time and peak memory) as a small table and records the rows of issue 16's table it measures
(:func:`benchmarks.targets.record`). With names, only those modules run. The run ends with the
summary: every row of the issue's table with its median, target and "met" or "missed"
(:func:`benchmarks.targets.summary_lines`); rows whose module did not run say "not run".

``--quick`` (or ``BENCH_QUICK=1``) takes fewer repeats and smaller sizes; the summary says so.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import time

import benchmarks


def available() -> list[str]:
    """The benchmark names (``bench_NAME.py`` modules), sorted."""
    return sorted(
        info.name.removeprefix("bench_")
        for info in pkgutil.iter_modules(benchmarks.__path__)
        if info.name.startswith("bench_")
    )


def main(argv: list[str]) -> int:
    if "--quick" in argv:
        argv = [arg for arg in argv if arg != "--quick"]
        os.environ["BENCH_QUICK"] = "1"
    from benchmarks import targets

    names = available()
    unknown = set(argv) - set(names)
    if unknown:
        print(f"unknown benchmark(s) {sorted(unknown)}; available: {names}", file=sys.stderr)
        return 2
    if targets.quick():
        print("QUICK MODE: fewer repeats and smaller sizes (see the summary)", flush=True)
    for name in argv or names:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"benchmarks.bench_{name}").main()
        print(f"({name}: {time.perf_counter() - started:.1f} s in all)", flush=True)
    print()
    print("\n".join(targets.summary_lines()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
