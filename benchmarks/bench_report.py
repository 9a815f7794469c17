"""Report build speed (issue: figures, tables, notebooks and the one-command report).

Targets: a cold build (environment installed, no previous report, no cached synthetic study)
<= 60 s on this 2-core machine; a rebuild with nothing changed <= 3 s, executing nothing.
Both run as the command a user types, `acne-outcomes report`, in a fresh process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _build(out: Path, synthetic: Path) -> float:
    code = (
        "from pathlib import Path; from acne_outcomes.report import ReportConfig, build_report; "
        f"build_report(ReportConfig(out=Path({str(out)!r}), synthetic_dir=Path({str(synthetic)!r}), jobs=2), "
        "progress=False)"
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        out, synthetic = Path(scratch) / "reports", Path(scratch) / "synthetic"
        cold = _build(out, synthetic)
        print(
            f"cold build (6 notebooks, 2 jobs, synthetic study generated): {cold:6.1f} s  (target <= 60 s)"
        )
        again = _build(out, synthetic)
        print(
            f"rebuild, nothing changed (nothing executed):               {again:6.1f} s  (target <= 3 s)"
        )
        figures = sum(1 for _ in (out / "figures").rglob("*.png"))
        tables = sum(1 for _ in (out / "tables").rglob("*.csv"))
        print(f"built: {figures} figures (PNG+SVG+PDF each), {tables} tables (CSV+HTML+TeX each)")
