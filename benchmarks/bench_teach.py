"""The teaching build: both editions of the evidence-appraisal lab (issue 16).

Target: the student and instructor editions at the default 200 simulations per diagnosis in
<= 120 s together, on this 2-core machine (``make teach``: one execution of the lessons gives
both editions, :func:`acne_outcomes.teach.build_editions`). Two rows:

* cold: no report and an empty diagnosis cache (``ACNE_OUTCOMES_CACHE`` set to a new folder),
  so every diagnosis runs once;
* diagnoses cached: the reports removed, the cache kept (a rebuild after a lesson's text or a
  page template changed): every lesson executes, no diagnosis runs.

The old path, two builds (student, then instructor) each running every diagnosis with no cache,
is timed in the same run in quick mode (20 simulations); at 200 it takes about 20 minutes and
runs only with ``BENCH_TEACH_OLD=1``. Each build is a fresh process, as ``make teach`` is.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import targets

N_SIMS = 20 if targets.quick() else 200
RUNS = 1 if targets.quick() else 2
JOBS = 2


def _timed(code: str, cache: Path | str) -> float:
    env = {**os.environ, "ACNE_OUTCOMES_CACHE": str(cache), "OPENBLAS_NUM_THREADS": "1"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return time.perf_counter() - started


def _both(root: Path) -> str:
    return (
        "from pathlib import Path; from acne_outcomes.teach import build_editions; "
        f"build_editions(Path({str(root / 'teaching')!r}), Path({str(root / 'teaching-instructor')!r}), "
        f"n_sims={N_SIMS}, jobs={JOBS}, progress=False)"
    )


def _old(root: Path) -> str:
    return "from pathlib import Path; from acne_outcomes.teach import build_teaching; " + "; ".join(
        f"build_teaching(Path({str(root / name)!r}), instructor={instructor}, n_sims={N_SIMS}, "
        f"jobs={JOBS}, progress=False)"
        for name, instructor in (("teaching", False), ("teaching-instructor", True))
    )


def main() -> None:
    old_too = targets.quick() or os.environ.get("BENCH_TEACH_OLD", "") not in ("", "0")
    cold, cached, old = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(RUNS):
            root = Path(scratch) / f"run-{run}"
            cache = root / "cache"
            cold.append(_timed(_both(root), cache))
            for name in ("teaching", "teaching-instructor"):
                shutil.rmtree(root / name)
            cached.append(_timed(_both(root), cache))
            if old_too:
                old.append(_timed(_old(root / "old"), "off"))
            print(f"run {run + 1}: cold {cold[-1]:.1f} s, diagnoses cached {cached[-1]:.1f} s"
                  + (f", old path (two builds, no cache) {old[-1]:.1f} s" if old else ""),
                  flush=True)  # fmt: skip
    print(f"both editions, {N_SIMS} sims, {JOBS} jobs: cold {statistics.median(cold):.1f} s, "
          f"diagnoses cached {statistics.median(cached):.1f} s (target <= 120 s)")  # fmt: skip
    at = "" if N_SIMS == 200 else f"{N_SIMS} sims"
    targets.record("teach", cold, baseline=old, at=at,
                   baseline_label="student then instructor build, no cache" if old else "")  # fmt: skip
    targets.record("teach_rebuild", cached, at=at)
