"""``make bench`` ends with issue 16's table: every row, its median, target and verdict.

Nothing here times anything: the summary is fed made-up runs.
"""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks import targets
from benchmarks.__main__ import available

BENCHMARKS = Path(targets.__file__).parent


def test_the_summary_prints_every_row_with_its_target_and_verdict():
    results = {
        "explorer": targets.Result([0.3, 0.1, 0.15]),
        "diagnose": targets.Result([40.0, 50.0, 45.0], baseline=[200.0, 210.0, 190.0]),
    }
    lines = targets.summary_lines(results, quick_mode=False)
    text = "\n".join(lines)
    for target in targets.TARGETS:
        row = next(line for line in lines if line.startswith(target.label))
        assert "<= " in row
        assert row.split()[-1] in ("met", "missed") or row.endswith("not run")
    explorer = next(line for line in lines if line.startswith("explorer update"))
    assert "0.15 s" in explorer and explorer.endswith("met")
    diagnosis = next(line for line in lines if line.startswith("diagnosis of 1,000"))
    assert "45.0 s" in diagnosis and "4.4x" in diagnosis and diagnosis.endswith("missed")
    assert text.count("not run") == len(targets.TARGETS) - 2
    assert "QUICK" not in text


def test_quick_mode_says_so_and_marks_rows_measured_at_another_size():
    results = {"teach": targets.Result([30.0], at="20 sims")}
    lines = targets.summary_lines(results, quick_mode=True)
    assert any(line.startswith("QUICK MODE") for line in lines)
    row = next(line for line in lines if line.startswith(targets.BY_KEY["teach"].label))
    assert "[at 20 sims]" in row and row.endswith("met (quick)")


def test_record_knows_only_the_issues_rows():
    try:
        targets.record("no such row", [1.0])
    except KeyError as error:
        assert "unknown target" in str(error)
    else:
        raise AssertionError("an unknown row was recorded")


def test_every_row_is_recorded_by_a_benchmark_module():
    sources = "\n".join(
        (BENCHMARKS / f"bench_{name}.py").read_text(encoding="utf-8") for name in available()
    )
    recorded = set(re.findall(r'record\(\s*"(\w+)"', sources))
    recorded |= {f"load_{kind}" for kind in ("parquet", "csv") if 'f"load_{format}"' in sources}
    assert recorded == {target.key for target in targets.TARGETS}
