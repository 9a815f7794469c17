"""Loading and saving data packages: exact dtypes, identical round trips, raw data left alone."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import tree_digest, valid_tables, write_tables
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acne_outcomes import Study, StudyValidationError, load_study, paths, save_study
from acne_outcomes.validate import validate_tables

EXPECTED_DTYPES = {
    ("subjects", "fitzpatrick"): "category",
    ("subjects", "age"): "Int64",
    ("subjects", "weight_kg"): "float64",
    ("subjects", "childbearing_potential"): "boolean",
    ("subjects", "subject_id"): "string",
    ("visits", "inflammatory_lesions"): "Int64",
    ("visits", "scar_grade"): "category",
    ("visits", "pih_index"): "float64",
    ("adverse_events", "related"): "category",
    ("adverse_events", "serious"): "boolean",
}


def test_dtypes_are_exact(study_folder):
    study = load_study(study_folder)
    for (table, column), dtype in EXPECTED_DTYPES.items():
        assert str(study.tables[table][column].dtype) == dtype, (table, column)
    assert study.visits["iga"].cat.ordered
    assert list(study.visits["iga"].cat.categories) == [0, 1, 2, 3, 4]
    assert study.subjects["fitzpatrick"].max() == "VI"
    assert study.metadata["rows_loaded"] == {
        "subjects": 3,
        "visits": 9,
        "adverse_events": 2,
        "labs": 6,
    }
    assert set(study.metadata["checksums"]) == {f"{name}.csv" for name in study.tables}


@pytest.mark.parametrize("format", ["csv", "parquet"])
def test_save_and_load_round_trip(study_folder, tmp_path, format):
    study = load_study(study_folder)
    study.truth = {"rate_ratio": {"5": 0.31}, "note": "known"}
    study.metadata["scenario"] = "hand-made"
    target = save_study(study, tmp_path / "copy", format=format)
    again = load_study(target)
    assert again.equals(study)
    assert again.truth == study.truth
    assert again.metadata["scenario"] == "hand-made"


def test_save_is_atomic_and_refuses_to_overwrite_by_default(study_folder, tmp_path):
    study = load_study(study_folder)
    target = save_study(study, tmp_path / "copy")
    before = tree_digest(target)
    with pytest.raises(FileExistsError, match="overwrite"):
        save_study(study, target)
    broken = Study(**{**study.tables, "visits": study.visits.assign(month=object())})
    with pytest.raises(Exception):  # noqa: B017 - any failure while writing
        save_study(broken, target, format="parquet", overwrite=True)
    assert tree_digest(target) == before
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []
    save_study(study, target, format="parquet", overwrite=True)
    assert {path.suffix for path in target.iterdir()} == {".parquet", ".json"}


def test_raw_folder_is_never_written():
    study = Study.from_tables(**valid_tables())
    with pytest.raises(ValueError, match="read-only"):
        save_study(study, paths.RAW_DIR / "copy")
    with pytest.raises(ValueError, match="allowed"):
        save_study(study, "/tmp/anything", format="xlsx")


def test_loading_a_study_leaves_its_files_untouched(study_folder):
    before = tree_digest(study_folder)
    load_study(study_folder)
    assert tree_digest(study_folder) == before


def test_from_tables_then_validate_reports_problems():
    tables = valid_tables()
    tables["visits"].loc[0, "comedones"] = -1
    problems = validate_tables(Study.from_tables(**tables).tables)
    assert problems["rule"].tolist() == ["minimum"]


# ---------------------------------------------------------------- property test: round trip

counts = st.one_of(st.none(), st.integers(0, 400))
floats = st.floats(0, 12, allow_nan=False, allow_subnormal=False)


@st.composite
def studies(draw):
    n = draw(st.integers(1, 6))
    ids = [f"S{i:03d}" for i in range(n)]
    subjects = pd.DataFrame(
        {
            "subject_id": ids,
            "arm": draw(st.lists(st.sampled_from(["isotretinoin", "comparator"]), min_size=n, max_size=n)),
            "site": draw(st.lists(st.sampled_from(["SITE01", "SITE02", "Zürich"]), min_size=n, max_size=n)),
            "age": draw(st.lists(st.integers(12, 55), min_size=n, max_size=n)),
            "sex": draw(st.lists(st.sampled_from(["female", "male"]), min_size=n, max_size=n)),
            "fitzpatrick": draw(st.lists(st.sampled_from(["I", "II", "III", "IV", "V", "VI"]), min_size=n, max_size=n)),
            "weight_kg": draw(st.lists(st.floats(40, 110, allow_nan=False), min_size=n, max_size=n)),
            "baseline_iga": [3] * n,
            "childbearing_potential": draw(st.lists(st.sampled_from([True, False, None]), min_size=n, max_size=n)),
            "randomisation_day": [0] * n,
            "cumulative_dose_mg_per_kg": draw(st.lists(st.one_of(st.none(), st.floats(0, 300)), min_size=n, max_size=n)),
        }
    )  # fmt: skip
    months = draw(st.lists(st.sampled_from([1, 2, 3, 5, 6, 9, 12]), max_size=4, unique=True))
    rows = []
    for subject in ids:
        for index, month in enumerate([0, *sorted(months)]):
            inflammatory = draw(counts)
            rows.append(
                {
                    "subject_id": subject, "month": month, "study_day": month * 30 + index,
                    "inflammatory_lesions": inflammatory,
                    "comedones": draw(counts),
                    "nodules": None if inflammatory is None else min(inflammatory, draw(st.integers(0, 5))),
                    "iga": 3 if month == 0 else draw(st.one_of(st.none(), st.integers(0, 4))),
                    "scar_grade": draw(st.one_of(st.none(), st.integers(0, 4))),
                    "ecca_score": draw(st.one_of(st.none(), st.integers(0, 540))),
                    "pih_macules": draw(counts),
                    "pih_index": draw(st.one_of(st.none(), floats)),
                }
            )  # fmt: skip
    return Study.from_tables(subjects, pd.DataFrame(rows), truth={"seed": draw(st.integers(0, 9))})


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(study=studies(), format=st.sampled_from(["csv", "parquet"]))
def test_any_valid_study_round_trips_identically(tmp_path, study, format):
    problems = validate_tables(study.tables)
    assert problems.empty, problems.to_string()
    again = load_study(save_study(study, tmp_path / "package", format=format, overwrite=True))
    assert again.equals(study)


def test_invalid_tables_are_not_loaded(tmp_path):
    tables = valid_tables()
    tables["subjects"]["sex"] = ["male", "F", "female"]
    folder = write_tables(tmp_path / "study", tables)
    with pytest.raises(StudyValidationError) as raised:
        load_study(folder)
    assert raised.value.problems.loc[0, "value"] == "F"
    assert "sex" in str(raised.value)


def test_overwrite_replaces_only_a_package_this_project_wrote(study_folder, tmp_path):
    from acne_outcomes.io import PACKAGE_MARKER

    study = load_study(study_folder)
    target = save_study(study, tmp_path / "copy")
    assert (target / PACKAGE_MARKER).is_file()
    save_study(study, target, overwrite=True)  # marked: replaced
    thesis = tmp_path / "thesis.docx"
    thesis.write_bytes(b"PK my thesis")
    with pytest.raises(FileExistsError, match="is a file"):
        save_study(study, thesis, overwrite=True)
    assert thesis.read_bytes() == b"PK my thesis"
    with pytest.raises(FileExistsError, match="not a data package written by acne-outcomes"):
        save_study(study, tmp_path, overwrite=True)
    assert thesis.exists()
    # a package written before the marker existed (only its own files) may be replaced
    (target / PACKAGE_MARKER).unlink()
    save_study(study, target, overwrite=True)
    # the input folder (no acne_outcomes metadata) may not
    with pytest.raises(FileExistsError, match="not a data package"):
        save_study(study, study_folder, overwrite=True)


def test_a_killed_save_leaves_nothing_the_next_one_does_not_remove(study_folder, tmp_path):
    study = load_study(study_folder)
    dead = tmp_path / ".copy.staging-999999999-0badc0de"
    dead.mkdir()
    (dead / "visits.csv").write_text("half written")
    save_study(study, tmp_path / "copy")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["copy", "study"]


def test_checksums_describe_the_bytes_read(study_folder):
    study = load_study(study_folder)
    assert study.metadata["checksums"] == {
        name: digest for name, digest in tree_digest(study_folder).items()
    }
