"""The targets of issue 16 ("Speed where people wait") and the summary ``make bench`` ends with.

Each benchmark module measures its rows and calls :func:`record` with every run's value; the
summary (:func:`summary_lines`) prints every row of the issue's table, measured or not, with
the median of the runs, the target and ``met`` or ``missed``. Where an old path still exists
(one-at-a-time diagnosis, two teaching builds, the truth computed afresh, ...), the module
measures it in the same run and records it as the row's ``baseline``: the summary prints the
ratio old / new beside the row.

Quick mode (``python -m benchmarks --quick``, or ``BENCH_QUICK=1``) takes fewer repeats and
smaller sizes where a full measurement takes minutes; a row measured at a smaller size than its
target's says so (``at``) and its verdict is marked ``(quick)``: it is indicative, not a verdict
on the target.
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    """One row of the issue's table: what is measured, the limit, and what it was before."""

    key: str
    label: str
    limit: float
    unit: str  # "s" or "MiB"
    then: str  # as measured when the issue was filed


#: The issue's table, in its order (a row with two limits is two rows).
TARGETS: tuple[Target, ...] = (
    Target("teach", "teaching lab, both editions, 200 sims, cold", 120.0, "s", "708 + 473 s"),
    Target("teach_rebuild", "teaching lab, both editions, diagnoses cached", 120.0, "s", "-"),
    Target("diagnose", "diagnosis of 1,000 default RCTs, 2 workers", 30.0, "s", "206 s"),
    Target("explorer", "explorer update, n = 266", 0.2, "s", "1.0 s"),
    Target("report_cold", "cold make report (6 notebooks)", 20.0, "s", "37 s"),
    Target("report_rebuild", "rebuild with nothing changed", 0.5, "s", "2 s"),
    Target("load_parquet", "load_study 1e5 subjects, Parquet", 1.5, "s", "4.99 s"),
    Target("load_csv", "load_study 1e5 subjects, CSV", 4.0, "s", "7.84 s"),
    Target("simulate_266", "simulate_study 266 subjects", 0.1, "s", "0.63 s"),
    Target("simulate_1e6", "simulate_study 1e6 subjects, time", 10.0, "s", "25 s"),
    Target("simulate_1e6_memory", "simulate_study 1e6 subjects, peak", 3072.0, "MiB", "3.5 GB"),
    Target("tests", "make test (pytest -n 2), whole suite", 300.0, "s", "~11 min"),
)
BY_KEY = {target.key: target for target in TARGETS}


def quick() -> bool:
    """Whether the benchmarks run in quick mode (``BENCH_QUICK=1``)."""
    return os.environ.get("BENCH_QUICK", "") not in ("", "0")


@dataclass
class Result:
    """The runs of one row; ``at`` says when it was measured at another size than the target's."""

    runs: list[float]
    baseline: list[float] = field(default_factory=list)
    baseline_label: str = ""
    at: str = ""
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.runs)


RESULTS: dict[str, Result] = {}


def record(
    key: str,
    runs,
    *,
    baseline=(),
    baseline_label: str = "",
    at: str = "",
    note: str = "",
) -> Result:
    """Record the measured runs of row ``key`` (and of the old path, ``baseline``)."""
    if key not in BY_KEY:
        raise KeyError(f"unknown target {key!r}; known: {sorted(BY_KEY)}")
    runs = [float(value) for value in (runs if isinstance(runs, list | tuple) else [runs])]
    if not runs:
        raise ValueError("no runs to record")
    result = Result(runs, [float(value) for value in baseline], baseline_label, at, note)
    RESULTS[key] = result
    return result


def verdict(target: Target, result: Result | None) -> str:
    """``met``, ``missed``, either marked ``(quick)`` when measured at another size, or ``not run``."""
    if result is None:
        return "not run"
    word = "met" if result.median <= target.limit else "missed"
    return f"{word} (quick)" if result.at else word


def _value(value: float, unit: str) -> str:
    return (
        f"{value:,.0f} MiB"
        if unit == "MiB"
        else f"{value:.3g} s"
        if value < 10
        else f"{value:.1f} s"
    )


def summary_lines(results: dict[str, Result] | None = None, *, quick_mode: bool | None = None):
    """The summary table: one line per target, measured or not (a list of strings).

    Examples
    --------
    >>> lines = summary_lines({"explorer": Result([0.3, 0.1, 0.15])}, quick_mode=False)
    >>> [line for line in lines if line.startswith("explorer")][0].split()[-1]
    'met'
    >>> len([line for line in lines if "not run" in line]) == len(TARGETS) - 1
    True
    """
    results = RESULTS if results is None else results
    quick_mode = quick() if quick_mode is None else quick_mode
    header = ("row", "then", "median", "runs", "old/new", "target", "verdict")
    rows = []
    for target in TARGETS:
        result = results.get(target.key)
        if result is None:
            rows.append((target.label, target.then, "-", "0", "-", f"<= {_value(target.limit, target.unit)}",
                         "not run"))  # fmt: skip
            continue
        ratio = "-"
        if result.baseline:
            ratio = f"{statistics.median(result.baseline) / result.median:.1f}x"
        label = target.label + (f" [at {result.at}]" if result.at else "")
        rows.append((label, target.then, _value(result.median, target.unit), str(len(result.runs)),
                     ratio, f"<= {_value(target.limit, target.unit)}", verdict(target, result)))  # fmt: skip
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(row):
        return "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))

    out = [
        "Summary (issue 16): median of the runs; old/new = the old path's median / the new one's, "
        "measured in the same run",
        "QUICK MODE: fewer repeats and smaller sizes; a row marked [at ...] was measured at that "
        "size and its verdict is indicative only"
        if quick_mode
        else "full mode",
        line(header),
        "  ".join("-" * width for width in widths),
        *[line(row) for row in rows],
    ]
    notes = [
        f"  {BY_KEY[key].label}: "
        + "; ".join(
            part
            for part in (
                result.note,
                result.baseline_label and f"old path: {result.baseline_label}",
            )
            if part
        )
        for key, result in results.items()
        if result.note or result.baseline_label
    ]
    if notes:
        out += ["notes:", *notes]
    return [text.rstrip() for text in out]
