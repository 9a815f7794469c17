"""simulate_study: wall time and peak memory by study size (issue 3 targets: 266 subjects in
<= 0.5 s; 10^6 subjects, about 9 million scheduled visit rows, in <= 30 s and <= 6 GB).

Each size runs in a fresh process (``benchmarks.memory.measure``): the import is setup (not
timed), and the timed call includes the first computation of the truth (Monte Carlo, cached
afterwards within a process). Peak memory is the whole child process (import + simulation);
with ``n_jobs=2`` it excludes the worker processes.
"""

from __future__ import annotations

from functools import partial

from benchmarks.memory import measure

SIZES = (266, 1_000, 10_000, 100_000, 1_000_000)
TARGETS = {266: (0.5, None), 1_000_000: (30.0, 6144.0)}


def _setup():
    from acne_outcomes.simulate import simulate_study

    return simulate_study


def _run(n_subjects: int, n_jobs: int, simulate_study) -> None:
    study = simulate_study("rct", n_subjects=n_subjects, seed=0, n_jobs=n_jobs)
    if study.n_subjects != n_subjects:
        raise RuntimeError("wrong number of subjects")
    if n_jobs > 1:
        # Stop joblib's idle workers now (timed): inside a multiprocessing child, the child's
        # exit would otherwise wait for their idle timeout before the result is reported.
        from joblib.externals.loky import get_reusable_executor

        get_reusable_executor().shutdown(wait=True)


def main() -> None:
    print(f"{'subjects':>10} {'n_jobs':>6} {'seconds':>8} {'peak MiB':>9}  target")
    runs = [(n, 1) for n in SIZES] + [(1_000_000, 2)]
    for n_subjects, n_jobs in runs:
        seconds, peak = measure(partial(_run, n_subjects, n_jobs), _setup)
        limit_seconds, limit_mib = TARGETS.get(n_subjects, (None, None))
        target = ""
        if limit_seconds is not None:
            target = f"<= {limit_seconds:g} s" + (f", <= {limit_mib:g} MiB" if limit_mib else "")
            within = seconds <= limit_seconds and (limit_mib is None or peak <= limit_mib)
            target += " ok" if within else " MISSED"
        print(f"{n_subjects:>10} {n_jobs:>6} {seconds:>8.2f} {peak:>9.0f}  {target}", flush=True)


if __name__ == "__main__":
    main()
