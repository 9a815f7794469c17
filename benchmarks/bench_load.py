"""Loading + validation speed and peak memory (issue: foundation).

Targets for 100,000 subjects × 9 visits (~900,000 visit rows, plus adverse events and labs):
load ≤ 3 s from Parquet and ≤ 8 s from CSV; validation adds at most the load time again;
peak memory ≤ 2 GB. Issue 16: ``load_study`` of 100,000 subjects ≤ 1.5 s from Parquet and
≤ 4 s from CSV (the median of several fresh processes). The data are generated here with vectorized numpy (valid by
construction), written once per size, then loaded in a fresh process per measurement.

``load`` is reading the files into text/typed frames; ``load+validate`` is the whole
``load_study`` (read, identifier scan, validation, conversion to the standard's dtypes).
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks import targets
from benchmarks.memory import measure

SIZES = (100_000,) if targets.quick() else (1_000, 10_000, 100_000)
#: fresh processes per load_study measurement at 100,000 subjects (the issue's row)
RUNS = 1 if targets.quick() else 3
MONTHS = np.array([0, 1, 2, 3, 4, 5, 6, 9, 12])


def make_tables(n: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """A valid study of ``n`` subjects × 9 visits, ~1 adverse event and 18 lab rows per subject."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("S", np.char.zfill(np.arange(n).astype(str), 6))
    female = rng.random(n) < 0.4
    iga = rng.integers(3, 5, n)
    subjects = pd.DataFrame({
        "subject_id": ids, "arm": np.where(rng.random(n) < 0.5, "isotretinoin", "comparator"),
        "site": np.char.add("SITE", np.char.zfill(rng.integers(1, 20, n).astype(str), 2)),
        "age": rng.integers(12, 50, n), "sex": np.where(female, "female", "male"),
        "fitzpatrick": rng.choice(["I", "II", "III", "IV", "V", "VI"], n),
        "weight_kg": np.round(rng.normal(68, 13, n).clip(40, 110), 1), "baseline_iga": iga,
        "childbearing_potential": np.where(female, "true", ""), "randomisation_day": 0,
        "end_of_treatment_day": 150, "cumulative_dose_mg_per_kg": np.round(rng.uniform(100, 160, n), 2),
        "discontinuation_day": pd.array([pd.NA] * n, dtype="Int64"), "discontinuation_reason": "",
    })  # fmt: skip
    subject = np.repeat(ids, len(MONTHS))
    month = np.tile(MONTHS, n)
    inflammatory = rng.poisson(30 * np.exp(-0.3 * month))
    iga_visit = np.where(
        month == 0, np.repeat(iga, len(MONTHS)), rng.integers(0, 5, n * len(MONTHS))
    )
    visits = pd.DataFrame({
        "subject_id": subject, "month": month, "study_day": month * 30 + rng.integers(0, 5, month.size),
        "inflammatory_lesions": inflammatory, "comedones": rng.poisson(40, month.size),
        "nodules": np.minimum(rng.poisson(1, month.size), inflammatory), "iga": iga_visit,
        "scar_grade": rng.integers(0, 5, month.size), "ecca_score": rng.integers(0, 300, month.size),
        "pih_macules": rng.poisson(5, month.size), "pih_index": np.round(rng.uniform(0, 12, month.size), 2),
        "melanin_index_difference": np.round(rng.normal(20, 5, month.size), 2),
        "adherence": np.round(rng.uniform(0.6, 1, month.size), 3),
    })  # fmt: skip
    with_event = np.flatnonzero(rng.random(n) < 0.8)
    adverse_events = pd.DataFrame({
        "subject_id": ids[with_event], "event_number": 1, "onset_day": rng.integers(1, 150, with_event.size),
        "term": rng.choice(["cheilitis", "xerosis", "dry_eyes", "headache"], with_event.size),
        "category": "mucocutaneous", "severity_grade": rng.integers(1, 3, with_event.size),
        "related": "probable", "serious": "false",
    })  # fmt: skip
    lab_months = np.array([0, 1, 2, 3, 4, 5])
    tests = np.array(["triglycerides", "alt", "ast"])
    units = np.array(["mg/dL", "U/L", "U/L"])
    per_subject = len(lab_months) * len(tests)
    lab_month = np.tile(np.repeat(lab_months, len(tests)), n)
    labs = pd.DataFrame({
        "subject_id": np.repeat(ids, per_subject), "month": lab_month,
        "study_day": lab_month * 30 + 1, "test": np.tile(tests, n * len(lab_months)),
        "value": np.round(rng.lognormal(4, 0.4, n * per_subject), 1),
        "unit": np.tile(units, n * len(lab_months)), "upper_limit_normal": 150.0,
    })  # fmt: skip
    return {"subjects": subjects, "visits": visits, "adverse_events": adverse_events, "labs": labs}


def _write(folder: Path, tables, format: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if format == "csv":
            frame.to_csv(folder / f"{name}.csv", index=False)
        else:
            frame.to_parquet(folder / f"{name}.parquet", index=False)


class _Setup:
    """Runs in the child before timing: imports the package, returns the folder."""

    def __init__(self, folder):
        self.folder = folder

    def __call__(self):
        import acne_outcomes.io  # noqa: F401 - import time is not load time

        return self.folder


def _read(folder):
    from acne_outcomes.readers import read_package

    read_package(Path(folder))


def _read_and_validate(folder):
    from acne_outcomes import privacy
    from acne_outcomes.readers import read_package
    from acne_outcomes.validate import validate_tables

    raw = read_package(Path(folder))
    for name, frame in raw.tables.items():
        privacy.scan_identifiers(name, frame, raw.rows[name])
    validate_tables(raw.tables, raw.rows)


def _load_and_validate(folder):
    from acne_outcomes import load_study

    load_study(folder)


def main() -> None:
    print(
        "read = files to frames; checks = identifier scan + validation (time of read+checks minus"
    )
    print(
        "read); load_study = read + checks + conversion to the standard's dtypes, the whole call."
    )
    header = ("subjects", "visit rows", "format", "read s", "checks s", "load_study s", "peak MiB")
    print("{:>9} {:>10} {:>7} {:>7} {:>8} {:>12} {:>8}".format(*header))
    with tempfile.TemporaryDirectory() as scratch:
        for n in SIZES:
            tables = make_tables(n)
            for format in ("parquet", "csv"):
                folder = Path(scratch) / f"{n}-{format}"
                _write(folder, tables, format)
                read_seconds, _ = measure(_read, _Setup(folder))
                checked_seconds, _ = measure(_read_and_validate, _Setup(folder))
                runs = [
                    measure(_load_and_validate, _Setup(folder))
                    for _ in range(RUNS if n == 100_000 else 1)
                ]
                seconds = statistics.median(run[0] for run in runs)
                peak = max(run[1] for run in runs)
                if n == 100_000:
                    targets.record(f"load_{format}", [run[0] for run in runs])
                print(
                    f"{n:>9,} {len(tables['visits']):>10,} {format:>7} {read_seconds:>7.2f} "
                    f"{checked_seconds - read_seconds:>8.2f} {seconds:>12.2f} {peak:>8.0f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
