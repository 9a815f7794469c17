"""Shared fixtures: a small valid study written by hand, as raw tables and as files."""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

# tests/reference/ holds the scripts that produced the reference values (some need R); they are
# kept beside the values, not collected as tests or doctests.
collect_ignore_glob = ["reference/*"]

# The disk cache (acne_outcomes.cache: the generator's truth, the lessons' diagnoses) of a test
# run is a new folder, shared by the run's workers and removed at its end: a run never reads
# what an earlier run or the project's own build/cache holds.
if "ACNE_OUTCOMES_CACHE" not in os.environ:
    _CACHE = tempfile.mkdtemp(prefix="acne-outcomes-test-cache-")
    os.environ["ACNE_OUTCOMES_CACHE"] = _CACHE
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow (or make test-slow)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def valid_tables() -> dict[str, pd.DataFrame]:
    """Three subjects, nine visits, two adverse events, six lab rows: valid under the standard."""
    subjects = pd.DataFrame(
        {
            "subject_id": ["S001", "S002", "S003"],
            "arm": ["isotretinoin", "comparator", "isotretinoin"],
            "site": ["SITE01", "SITE01", "SITE02"],
            "age": [19, 23, 17],
            "sex": ["male", "female", "female"],
            "fitzpatrick": ["II", "IV", "VI"],
            "weight_kg": [72.5, 61.0, 55.25],
            "baseline_iga": [4, 3, 3],
            "childbearing_potential": [pd.NA, True, False],
            "randomisation_day": [0, 0, 1],
            "end_of_treatment_day": [150, 151, 60],
            "cumulative_dose_mg_per_kg": [128.4, pd.NA, 45.0],
            "discontinuation_day": [pd.NA, pd.NA, 62],
            "discontinuation_reason": [pd.NA, pd.NA, "adverse_event"],
        }
    )
    visits = pd.DataFrame(
        {
            "subject_id": ["S001"] * 4 + ["S002"] * 3 + ["S003"] * 2,
            "month": [0, 1, 5, 12, 0, 1, 5, 0, 1],
            "study_day": [0, 29, 152, 365, 0, 31, 150, 0, 30],
            "inflammatory_lesions": [45, 50, 3, 2, 30, 20, pd.NA, 25, 22],
            "comedones": [60, 55, 10, 8, 40, 30, 12, 35, 30],
            "nodules": [6, 7, 0, 0, 1, 0, 0, 0, 0],
            "iga": [4, 4, 1, 1, 3, 3, 2, 3, 3],
            "scar_grade": [2, 2, 2, 2, 1, 1, 1, 0, 0],
            "ecca_score": [120, 125, 120, 115, 40, 40, 45, 0, 0],
            "pih_macules": [4, 6, 3, 1, 10, 9, 7, 12, 14],
            "pih_index": [5.0, 6.0, 4.5, 2.0, 7.0, 6.5, 6.0, 8.0, 8.5],
            "melanin_index_difference": [pd.NA] * 9,
            "adherence": [pd.NA, 0.95, 0.9, pd.NA, pd.NA, 0.8, 0.85, pd.NA, 1.0],
        }
    )
    adverse_events = pd.DataFrame(
        {
            "subject_id": ["S001", "S003"],
            "event_number": [1, 1],
            "onset_day": [10, 45],
            "term": ["cheilitis", "depressed mood"],
            "category": ["mucocutaneous", "psychiatric"],
            "severity_grade": [1, 2],
            "related": ["probable", "possible"],
            "serious": [False, False],
        }
    )
    labs = pd.DataFrame(
        {
            "subject_id": ["S001", "S001", "S002", "S002", "S003", "S003"],
            "month": [0, 0, 0, 0, 0, 0],
            "study_day": [0, 0, 0, 0, 0, 0],
            "test": [
                "triglycerides",
                "alt",
                "triglycerides",
                "pregnancy",
                "triglycerides",
                "pregnancy",
            ],
            "value": [110.0, 22.0, 95.5, 0.0, 130.0, 0.0],
            "unit": ["mg/dL", "U/L", "mg/dL", "result", "mg/dL", "result"],
            "upper_limit_normal": [150.0, 40.0, 150.0, pd.NA, 150.0, pd.NA],
        }
    )
    return {"subjects": subjects, "visits": visits, "adverse_events": adverse_events, "labs": labs}


def write_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Write raw tables as CSV files named by table (no datapackage.json)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
    return folder


def tree_digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (to prove inputs are left untouched)."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def tables():
    return valid_tables()


@pytest.fixture
def study_folder(tmp_path):
    return write_tables(tmp_path / "study", valid_tables())
