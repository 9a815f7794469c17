"""CDISC ADaM as CDISC writes it: ADSL, a BDS dataset with LOCF records and ANL01FL, ADAE and
ADLB, written as SAS transport files with pyreadstat (``exports.write_adam``), import to the
study they hold. Derived records are left out and counted, ANL01FL is honoured, duplicates are an
error naming them, analysis days have no day 0, USUBJID is a study ID, date variables are
converted or left out, and the whole report builds. The datasets' bytes are the same after."""

from __future__ import annotations

import json
import re

import exports
import numpy as np
import pandas as pd
import pyreadstat
import pytest
from conftest import tree_digest
from studies import PNG_ONLY

from acne_outcomes import StudyReadError, StudyValidationError, load_study
from acne_outcomes.cli import main as cli
from acne_outcomes.importers.adam import date_variables
from acne_outcomes.report import ReportConfig, build_report


@pytest.fixture(scope="module")
def study_tables():
    return exports.base_tables()


@pytest.fixture(scope="module")
def written(study_tables, tmp_path_factory):
    folder, _ = exports.write_adam(study_tables, tmp_path_factory.mktemp("adam"))
    return folder


@pytest.fixture
def adam(written):
    """The ADaM folder and a fresh copy of its mapping (a test may change it)."""
    return written, exports.adam_mapping()


def _load(folder, mapping):
    before = tree_digest(folder)
    try:
        return load_study(folder, mapping=mapping)
    finally:
        assert tree_digest(folder) == before


def _ids(study_tables):
    return exports.usubjids(study_tables["subjects"])


def test_adam_imports_with_locf_left_out_and_counted(adam, study_tables):
    folder, mapping = adam
    bds, _ = pyreadstat.read_xport(str(folder / "adqs.xpt"))
    locf = int((bds["DTYPE"] == "LOCF").sum())
    assert locf > 0 and (bds["ANL01FL"] == "").sum() == 3
    study = _load(folder, mapping)
    exports.assert_same_study(study, study_tables, ids=_ids(study_tables))
    record = study.metadata["import"]
    assert record["left_out"] == {
        "adqs.xpt DTYPE LOCF records (derived, not observed)": locf,
        "adqs.xpt records with ANL01FL not Y": 3,
    }
    assert record["anchor"] == "RFICDT"
    assert {"RANDDT", "TRTEDT", "DCSDT", "ADT", "ASTDT"} == set(record["dates"])
    assert record["dropped"]["BRTHDT"] == "a date variable not converted to days"
    assert study.design.tables == ("subjects", "visits", "adverse_events", "labs")


def test_usubjid_is_not_taken_for_a_phone_number(adam, study_tables):
    folder, mapping = adam
    study = _load(folder, mapping)
    assert study.subjects["subject_id"].str.fullmatch(r"01-7\d\d-1\d{3}").all()


def test_derived_records_are_kept_and_counted_when_asked(adam, study_tables):
    folder, mapping = adam
    mapping["derived_records"] = "keep"
    study = _load(folder, mapping)
    kept = study.metadata["import"]["kept"]["adqs.xpt DTYPE LOCF records (derived, not observed)"]
    assert kept > 0
    assert not any("DTYPE" in reason for reason in study.metadata["import"]["left_out"])
    assert len(study.visits) > len(study_tables["visits"])
    imputed = study.visits[study.visits["study_day"].isna()]
    assert len(imputed) > 0 and imputed["comedones"].isna().all()  # only INFL and IGA carried


def test_two_records_at_one_visit_are_an_error_naming_them(study_tables, tmp_path):
    folder, mapping = exports.write_adam(study_tables, tmp_path / "adam", anl01fl=False)
    before = tree_digest(folder)
    with pytest.raises(StudyValidationError) as raised:
        load_study(folder, mapping=mapping)
    assert tree_digest(folder) == before
    problems = raised.value.problems.query("rule == 'adam-duplicate'")
    assert len(problems) == 6 and set(problems["table"]) == {"adqs.xpt"}
    assert problems["value"].str.fullmatch(r"01-7\d\d-1\d{3} INFL at AVISITN 1\.0").all()
    assert "ANL01FL" in problems["message"].iloc[0]


def _rewrite(folder, name, change):
    frame, meta = pyreadstat.read_xport(str(folder / name))
    frame = change(frame)
    formats = {column: "DATE9." for column in date_variables(frame) if column in meta.original_variable_types
               and (meta.original_variable_types[column] or "").startswith("DATE")}  # fmt: skip
    pyreadstat.write_xport(frame, str(folder / name), table_name=name.split(".")[0].upper(),
                           variable_format=formats)  # fmt: skip


def test_analysis_days_have_no_day_zero_and_count_from_the_first_dose(study_tables, tmp_path):
    folder, mapping = exports.write_adam(study_tables, tmp_path / "adam")
    for name in ("adqs.xpt", "adlb.xpt"):
        _rewrite(folder, name, lambda frame: frame.drop(columns="ADT"))
    _rewrite(folder, "adae.xpt", lambda frame: frame.drop(columns="ASTDT"))
    study = load_study(folder, mapping=mapping)  # ADY through TRTSDT to days from RFICDT
    exports.assert_same_study(study, study_tables, ids=_ids(study_tables))
    assert any(
        "ADY (day 1 = first dose, TRTSDT)" in note for note in study.metadata["import"]["notes"]
    )

    subjects = study_tables["subjects"]
    shift = subjects["randomisation_day"].to_numpy()

    def days(frame):
        frame = frame.copy()
        frame["RANDDY"] = 0.0
        frame["TRTEDY"] = (
            (subjects["end_of_treatment_day"] - subjects["randomisation_day"])
            .astype(float)
            .to_numpy()
        )
        frame["DCSDY"] = (
            (subjects["discontinuation_day"] - subjects["randomisation_day"])
            .astype(float)
            .to_numpy()
        )
        return frame

    _rewrite(folder, "adsl.xpt", days)
    mapping = {key: value for key, value in mapping.items() if key not in ("anchor", "dates")}
    mapping["columns"].update(
        randomisation_day="RANDDY", end_of_treatment_day="TRTEDY", discontinuation_day="DCSDY"
    )
    study = load_study(folder, mapping=mapping)  # no anchor: day 0 is the first dose
    note = "adqs.xpt: ADY (day 1 = first dose) turned into days from the first dose (day 0)"
    assert note in study.metadata["import"]["notes"]
    by_subject = dict(zip(subjects["subject_id"].map(_ids(study_tables)), shift, strict=True))
    want = study_tables["visits"].assign(
        subject_id=lambda frame: frame["subject_id"].map(_ids(study_tables))
    )
    want = want.assign(study_day=want["study_day"] - want["subject_id"].map(by_subject))
    got = study.visits.merge(want, on=["subject_id", "month"], suffixes=("", "_want"))
    assert len(got) == len(want) and (got["study_day"] == got["study_day_want"]).all()
    assert (study.subjects["randomisation_day"] == 0).all()


def test_an_outcome_without_records_is_not_collected(study_tables, tmp_path):
    folder, mapping = exports.write_adam(study_tables, tmp_path / "adam", ecca=False)
    study = load_study(folder, mapping=mapping)
    assert not study.design.collected("ecca_score") and study.design.collected("scar_grade")
    assert study.metadata["import"]["not_collected"] == ["ecca_score (PARAMCD ECCA: no records)"]


def test_without_adae_and_adlb_those_tables_are_not_collected(adam):
    folder, mapping = adam
    del mapping["adae"], mapping["adlb"]
    study = _load(folder, mapping)
    assert study.design.tables == ("subjects", "visits")
    assert study.adverse_events.empty and study.labs.empty


def test_drop_and_unmapped_parameters(adam):
    folder, mapping = adam
    del mapping["params"]["PIHN"]
    mapping["drop"] = ["SUBJID", "TRT01P"]
    study = _load(folder, mapping)
    record = study.metadata["import"]
    assert record["dropped"]["SUBJID"] == 'the mapping\'s "drop"'
    assert any("parameters not mapped (PIHN)" in reason for reason in record["left_out"])
    assert not study.design.collected("pih_macules")


def test_dates_are_never_shown(adam):
    folder, mapping = adam
    mapping["dates"] = ["RANDDT"]  # TRTEDT and DCSDT are then left out: their columns go missing
    with pytest.raises(StudyValidationError) as raised:
        _load(folder, mapping)
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d\d[A-Z]{3}\d{4}", str(raised.value))
    message = raised.value.problems.query("rule == 'mapping'")["message"].iloc[0]
    assert "TRTEDT (for end_of_treatment_day: a date variable not converted to days)" in message
    assert '"dates" lists it' in message


def test_an_adam_folder_without_a_mapping_is_told_its_route(adam, capsys):
    folder, _ = adam
    with pytest.raises(StudyReadError, match='"adsl": "adsl.xpt"'):
        load_study(folder)
    assert cli(["validate", str(folder)]) == 2
    assert "CDISC ADaM datasets (adae.xpt, adlb.xpt, adqs.xpt, adsl.xpt)" in capsys.readouterr().err


def test_missing_dataset_is_one_clear_error(adam):
    folder, mapping = adam
    mapping["adlb"] = "adlb2.xpt"
    with pytest.raises(StudyReadError, match="adlb2.xpt is missing"):
        load_study(folder, mapping=mapping)


def test_date_variables_by_name_and_by_format():
    frame = pd.DataFrame({"TRTSDT": [np.nan], "ADTM": pd.to_datetime(["2024-01-01"]), "AVAL": [1.0],
                          "AVISIT": ["WEEK 4"]})  # fmt: skip
    assert date_variables(frame) == ["TRTSDT", "ADTM"]


def test_report_from_adam_datasets(adam, tmp_path):
    folder, mapping = adam
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(json.dumps(mapping))
    before = tree_digest(folder)
    config = ReportConfig(data=folder, mapping=mapping_file, out=tmp_path / "reports", jobs=2,
                          processed_dir=tmp_path / "processed", parameters=PNG_ONLY)  # fmt: skip
    manifest = build_report(config, progress=False)
    assert tree_digest(folder) == before
    assert (
        manifest["inputs"]["mapping"] == str(mapping_file) and manifest["inputs"]["mapping_sha256"]
    )
    assert set(manifest["inputs"]["checksums"]) == {"adsl.xpt", "adqs.xpt", "adae.xpt", "adlb.xpt"}
    assert all(entry["executed"] for entry in manifest["notebooks"].values())
    package = next((tmp_path / "processed").glob("*/datapackage.json"))
    record = json.loads(package.read_text())["acne_outcomes"]["metadata"]["import"]
    assert record["route"] == "adam" and any("LOCF" in reason for reason in record["left_out"])
    assert manifest["inputs"]["import"] == record  # the manifest says what the import left out
