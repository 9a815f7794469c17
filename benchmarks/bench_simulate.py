"""simulate_study: wall time and peak memory by study size.

Issue 16 targets: 266 subjects in <= 0.1 s without recomputing the truth; 10^6 subjects (about
9 million scheduled visit rows) in <= 10 s and <= 3 GB (3,072 MiB).

Each run is a fresh process (``benchmarks.memory.measure``): the import is setup (not timed),
the timed call is ``simulate_study``. The truth (a Monte Carlo run of the model) is kept on
disk by its parameters and the generator's code (:mod:`acne_outcomes.simulate.truth`), so a
fresh process reads it instead of recomputing it; the old path, the truth computed afresh
(cache off), is timed in the same run at 266 subjects. Peak memory is the whole child process
(import + simulation). The 266-subject row is the median of several fresh processes.

At 10^6 subjects the target row is ``n_jobs=2`` (two threads on this 2-core machine), against
``n_jobs=1`` in the same run; a third line runs ``n_jobs=2`` with numpy's huge-page advice
(``NUMPY_MADVISE_HUGEPAGE=1``, numpy's default, which the Makefile turns off; see there why).
"""

from __future__ import annotations

import os
import statistics
import sys
from functools import partial

from benchmarks import targets
from benchmarks.memory import measure

SIZES = (266, 1_000, 10_000, 100_000, 1_000_000)
RUNS_266 = 3 if targets.quick() else 7
RUNS_1E6 = 1 if targets.quick() else 3


class _Setup:
    def __init__(self, truth_cache: bool = True, hugepages: str | None = None):
        self.truth_cache = truth_cache
        self.hugepages = hugepages

    def __call__(self):
        if not self.truth_cache:
            os.environ["ACNE_OUTCOMES_CACHE"] = "off"
        if self.hugepages is not None:
            if "numpy" in sys.modules:  # numpy reads the switch when it is imported
                raise RuntimeError("numpy was imported before NUMPY_MADVISE_HUGEPAGE was set")
            os.environ["NUMPY_MADVISE_HUGEPAGE"] = self.hugepages
        from acne_outcomes.simulate import simulate_study

        return simulate_study


def _run(n_subjects: int, n_jobs: int, simulate_study) -> None:
    study = simulate_study("rct", n_subjects=n_subjects, seed=0, n_jobs=n_jobs)
    if study.n_subjects != n_subjects:
        raise RuntimeError("wrong number of subjects")


def main() -> None:
    measure(partial(_run, 266, 1), _Setup())  # the truth is on disk from here on
    print(f"{'subjects':>10} {'n_jobs':>6} {'truth':>8} {'seconds':>8} {'peak MiB':>9}  runs")
    small = [measure(partial(_run, 266, 1), _Setup())[0] for _ in range(RUNS_266)]
    afresh = [measure(partial(_run, 266, 1), _Setup(False))[0] for _ in range(RUNS_266)]
    for label, values in (("on disk", small), ("afresh", afresh)):
        runs = ", ".join(f"{value:.3f}" for value in values)
        print(f"{266:>10} {1:>6} {label:>8} {statistics.median(values):>8.3f} {'':>9}  {runs}")
    targets.record("simulate_266", small, baseline=afresh, baseline_label="truth computed afresh")
    sizes = SIZES[1:-1] if not targets.quick() else (10_000,)
    for n_subjects in sizes:
        seconds, peak = measure(partial(_run, n_subjects, 1), _Setup())
        print(f"{n_subjects:>10} {1:>6} {'on disk':>8} {seconds:>8.2f} {peak:>9.0f}", flush=True)
    advice = os.environ.get("NUMPY_MADVISE_HUGEPAGE", "numpy's default")
    by_setting = {}
    for n_jobs, hugepages in ((1, None), (2, None), (2, "1")):
        runs = [measure(partial(_run, 1_000_000, n_jobs), _Setup(hugepages=hugepages))
                for _ in range(RUNS_1E6)]  # fmt: skip
        by_setting[n_jobs, hugepages] = runs
        seconds = statistics.median(run[0] for run in runs)
        peak = statistics.median(run[1] for run in runs)
        label = f"NUMPY_MADVISE_HUGEPAGE={hugepages or advice}"
        print(f"{1_000_000:>10} {n_jobs:>6} {'on disk':>8} {seconds:>8.2f} {peak:>9.0f}  "
              + ", ".join(f"{run[0]:.1f} s" for run in runs) + f"  ({label})", flush=True)  # fmt: skip
    runs = by_setting[2, None]
    serial = [run[0] for run in by_setting[1, None]]
    targets.record("simulate_1e6", [run[0] for run in runs], baseline=serial,
                   baseline_label="n_jobs=1", note="n_jobs=2")  # fmt: skip
    targets.record("simulate_1e6_memory", [run[1] for run in runs], note="n_jobs=2")


if __name__ == "__main__":
    main()
