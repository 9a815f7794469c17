"""``make test``'s time: the whole suite with two workers, as on a fresh clone (issue 16).

Target: <= 5 minutes on this 2-core machine. The suite runs once, in a fresh process, with
pytest's cache off (``-p no:cacheprovider``: no ordering from an earlier run). Quick mode does
not run it (it takes minutes); the summary then says "not run".
"""

from __future__ import annotations

import subprocess
import sys
import time

from benchmarks import targets
from benchmarks.memory import PROJECT_ROOT

COMMAND = [sys.executable, "-m", "pytest", "-n", "2", "-q", "-p", "no:cacheprovider"]


def main() -> None:
    if targets.quick():
        print("quick mode: the test suite is not run (python -m benchmarks tests)")
        return
    started = time.perf_counter()
    completed = subprocess.run(COMMAND, cwd=PROJECT_ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    print(completed.stdout.strip().splitlines()[-1] if completed.stdout.strip() else "(no output)")
    print(f"{' '.join(COMMAND[1:])}: {seconds:.0f} s (target <= 300 s)", flush=True)
    targets.record("tests", [seconds], note="" if completed.returncode == 0 else "FAILURES")
