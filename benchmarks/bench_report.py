"""Report build speed (issues: the one-command report, and "Speed").

Targets (issue 16): a cold build (environment installed, no previous report, no cached synthetic
study) <= 20 s on this 2-core machine; a rebuild with nothing changed <= 0.5 s, executing nothing
(the median of several runs of ``acne-outcomes report`` in a fresh process, which answers from
hashes alone, :mod:`acne_outcomes.uptodate`; the old path, ``build_report`` imported and asked in
a fresh process, is timed in the same run).
Every build runs as a user's does, in a fresh process. The cold build is timed ``RUNS`` times
each way, warm kernels (one kernel per job for the whole build, the default) and a fresh kernel
per notebook (``ReportConfig(warm_kernels=False)``), alternating so that other load on the
machine falls on both alike; the medians and their ratio are printed.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from acne_outcomes import paths
from benchmarks import targets

RUNS = 1 if targets.quick() else 3
REBUILDS = 5
JOBS = 2


def _build(out: Path, synthetic: Path, *, warm: bool = True) -> float:
    """Seconds for one ``build_report`` in a fresh Python process."""
    code = (
        "from pathlib import Path; from acne_outcomes.report import ReportConfig, build_report; "
        f"build_report(ReportConfig(out=Path({str(out)!r}), synthetic_dir=Path({str(synthetic)!r}), "
        f"jobs={JOBS}, warm_kernels={warm}), progress=False)"
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return time.perf_counter() - started


def _command(out: Path) -> float:
    """Seconds for ``acne-outcomes report --out OUT --jobs 2`` (a fresh process, as a user runs it)."""
    command = Path(sys.executable).with_name("acne-outcomes")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}
    started = time.perf_counter()
    subprocess.run([str(command), "report", "--out", str(out), "--jobs", str(JOBS)], check=True,
                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    """Print the cold-build medians (warm and fresh kernels), their ratio, and a no-op rebuild."""
    times: dict[bool, list[float]] = {True: [], False: []}
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(RUNS):
            for warm in (True, False):
                root = Path(scratch) / f"{'warm' if warm else 'fresh'}-{run}"
                times[warm].append(_build(root / "reports", root / "synthetic", warm=warm))
        out = Path(scratch) / "warm-0" / "reports"
        # the rebuild as a user runs it: the command line, on the project's synthetic study
        cli_out = Path(scratch) / "cli" / "reports"
        _command(cli_out)
        again = [_command(cli_out) for _ in range(REBUILDS)]
        # the old path: the build imported and asked, in a fresh process
        old = [_build(cli_out, paths.SYNTHETIC_DIR) for _ in range(REBUILDS)]
        figures = sum(1 for _ in (out / "figures").rglob("*.png"))
        tables = sum(1 for _ in (out / "tables").rglob("*.csv"))
    warm, fresh = statistics.median(times[True]), statistics.median(times[False])

    def runs(values: list[float]) -> str:
        return ", ".join(f"{value:.2f}" for value in values)

    print(f"cold build, {JOBS} jobs, synthetic study generated; median of {RUNS} (target <= 20 s):")
    print(f"  warm kernels (one per job for the build): {warm:6.1f} s  ({runs(times[True])})")
    print(f"  a fresh kernel per notebook:              {fresh:6.1f} s  ({runs(times[False])})")
    print(f"  fresh / warm:                             {fresh / warm:6.2f}")
    print(
        f"rebuild, nothing changed (nothing executed), median of {REBUILDS}: "
        f"{statistics.median(again):5.2f} s  ({runs(again)}; target <= 0.5 s)"
    )
    targets.record("report_cold", times[True], baseline=times[False],
                   baseline_label="a fresh kernel per notebook")  # fmt: skip
    print(f"  the old path, build_report imported in a fresh process: {statistics.median(old):5.2f} s "
          f"({runs(old)})")  # fmt: skip
    targets.record("report_rebuild", again, baseline=old, note="acne-outcomes report, a fresh process",
                   baseline_label="build_report imported and asked")  # fmt: skip
    print(f"built: {figures} figures (PNG+SVG+PDF each), {tables} tables (CSV+HTML+TeX each)")
