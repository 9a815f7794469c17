"""Design diagnosis speed (issue: evidence-appraisal lab).

Target: diagnosing 1,000 simulated default RCTs (n = 266) with the primary count (NB GEE rate
ratio) and MMRM (PIH index) analyses in <= 120 s on this 2-core machine, with two workers at
least 1.7x faster than one. Each run is a fresh process (joblib/loky workers included).
"""

from __future__ import annotations

import os

from benchmarks.memory import measure

N_SIMS = 1000


class _Diagnose:
    def __init__(self, n_jobs: int):
        self.n_jobs = n_jobs

    def __call__(self, _state=None):
        from acne_outcomes.appraisal import diagnose

        summary = diagnose(
            "rct", n_sims=N_SIMS, seed=0, executor="processes", n_jobs=self.n_jobs, progress=False
        )
        assert (summary["n_failed"] == 0).all(), summary


def _warm():
    import acne_outcomes.appraisal.strategies  # noqa: F401 - imports are not diagnosis time


def main() -> None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    print(
        f"{N_SIMS} default RCTs (n = 266), strategies: NB GEE rate ratio month 5 + MMRM PIH month 12"
    )
    print(f"{'workers':>7} {'seconds':>8} {'studies/s':>9} {'peak MiB':>8}")
    times = {}
    for workers in (1, 2):
        seconds, peak = measure(_Diagnose(workers), _warm)
        times[workers] = seconds
        print(f"{workers:>7} {seconds:>8.1f} {N_SIMS / seconds:>9.1f} {peak:>8.0f}", flush=True)
    print(f"speed-up with 2 workers: {times[1] / times[2]:.2f}x (target >= 1.7x); target <= 120 s")
