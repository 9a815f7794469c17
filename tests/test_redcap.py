"""REDCap: a flat export and its data dictionary, written by hand (``exports.write_redcap``),
import to the study they hold; identifiers named in the mapping are dropped, every other is
refused; events become visits; coded and checkbox fields are decoded; and the whole report
builds from the export. The export's bytes are the same after every test."""

from __future__ import annotations

import json
import re

import exports
import pandas as pd
import pytest
from conftest import tree_digest
from studies import PNG_ONLY

from acne_outcomes import StudyReadError, StudyValidationError, load_study
from acne_outcomes.cli import main as cli
from acne_outcomes.importers.redcap import event_visits, parse_choices, read_dictionary
from acne_outcomes.report import ReportConfig, build_report


@pytest.fixture(scope="module")
def study_tables():
    return exports.base_tables()


@pytest.fixture(scope="module")
def exported(study_tables, tmp_path_factory):
    path, _ = exports.write_redcap(study_tables, tmp_path_factory.mktemp("redcap"))
    return path


@pytest.fixture
def export(exported):
    """The export and a fresh copy of its mapping (a test may change it)."""
    return exported, exports.redcap_mapping()


def _copy(export, folder, change=None, dictionary_change=None):
    """A copy of the export (and dictionary), each optionally changed as a frame."""
    path, mapping = export
    folder.mkdir(parents=True, exist_ok=True)
    data = pd.read_csv(path, dtype=str, keep_default_na=False)
    dictionary = pd.read_csv(path.parent / "dictionary.csv", dtype=str, keep_default_na=False)
    if change is not None:
        data = change(data)
    if dictionary_change is not None:
        dictionary = dictionary_change(dictionary)
    data.to_csv(folder / "export.csv", index=False, lineterminator="\n")
    dictionary.to_csv(folder / "dictionary.csv", index=False, lineterminator="\n")
    return folder / "export.csv", json.loads(json.dumps(mapping))


def _load(path, mapping):
    before = tree_digest(path.parent)
    try:
        return load_study(path, mapping=mapping)
    finally:
        assert tree_digest(path.parent) == before


def _problems(path, mapping):
    with pytest.raises(StudyValidationError) as raised:
        _load(path, mapping)
    return raised.value.problems


def test_the_export_is_what_the_issue_describes(export):
    path, _ = export
    data = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert data["record_id"].nunique() >= 30
    assert set(data["rand_group"]) - {""} == {"1", "2"}
    assert data["redcap_event_name"].nunique() == 9
    assert (data["withdrawal_date"] != "").sum() >= 1
    assert set(data["redcap_repeat_instrument"]) == {"", "adverse_events"}
    assert data["redcap_repeat_instance"].replace("", "0").astype(int).max() >= 2
    assert any(column.startswith("sae_criteria___") for column in data.columns)
    assert (data["visit_date"] != "").sum() > 200 and (data["lab_tg"] != "").sum() > 100
    assert {"initials", "email", "dob"} <= set(data.columns)


def test_redcap_export_imports_to_the_study_it_holds(export, study_tables):
    path, mapping = export
    study = _load(path, mapping)
    exports.assert_same_study(study, study_tables, ids=exports.record_ids(study_tables["subjects"]))
    assert study.subjects["discontinuation_day"].notna().sum() >= 1
    assert set(study.labs.loc[study.labs["test"] == "triglycerides", "unit"]) == {"mg/dL"}
    assert study.adverse_events["serious"].sum() >= 1  # the ticked checkbox
    assert study.design.name_of("comparator") == "Doxycycline + BPO"
    assert study.design.visits == (0, 1, 2, 3, 4, 5, 6)
    record = study.metadata["import"]
    assert record["route"] == "redcap" and record["anchor"] == "consent_date"
    assert set(record["dropped"]) == {"initials", "email", "dob"}
    assert record["events"]["screening_arm_1"] is None and record["events"]["month_3_arm_1"] == 3
    assert record["visit_column"] == "month"


def test_an_export_without_its_mapping_is_told_its_route(export, capsys):
    path, _ = export
    assert cli(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "[import-route]" in out and "REDCap mapping" in out and '"dictionary"' in out
    assert "subjects table is required" not in out
    assert not re.search(r"\d{4}-\d{2}-\d{2}", out) and "@" not in out


def test_identifiers_named_in_drop_are_dropped_and_every_other_refused(export, tmp_path):
    path, mapping = export
    del mapping["drop"]
    problems = _problems(path, mapping)
    flagged = problems[problems["rule"] == "privacy:identifier"]
    assert len(flagged) == 1
    assert '"drop": ["initials", "email", "dob"]' in flagged["message"].iloc[0]
    assert {"initials", "email", "dob"} <= set(
        problems.loc[problems["rule"].str.startswith("privacy:"), "column"]
    )

    def add_notes(data):
        data["notes"] = ""
        data.loc[3, "notes"] = "patient asked to be called on 07700 900123"
        return data

    def add_field(dictionary):
        row = dictionary.iloc[[5]].assign(
            **{"Variable / Field Name": "notes", "Field Type": "notes"}
        )
        return pd.concat([dictionary, row], ignore_index=True)

    changed, _ = _copy(export, tmp_path / "notes", add_notes, add_field)
    problems = _problems(changed, exports.redcap_mapping())
    assert problems[["column", "rule"]].to_numpy().tolist() == [["notes", "privacy:phone"]]
    assert "07700" not in problems["value"].iloc[0]


def test_dates_never_reach_a_table_or_a_message(export):
    path, mapping = export
    mapping = {key: value for key, value in mapping.items() if key not in ("anchor", "dates")}
    with pytest.raises(StudyValidationError) as raised:
        _load(path, mapping)
    problems = raised.value.problems
    hint = problems.loc[problems["rule"] == "dates", "message"]
    assert len(hint) == 1 and "consent_date, rand_date, visit_date" in hint.iloc[0]
    text = str(raised.value) + " ".join(problems["value"].dropna())
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)


def test_codes_or_labels_recode_coded_fields(export, study_tables):
    path, mapping = export
    mapping["values"] = {"arm": {"Doxycycline + BPO": "comparator", "Isotretinoin": "isotretinoin"}}
    study = _load(path, mapping)
    ids = exports.record_ids(study_tables["subjects"])
    want = study_tables["subjects"].set_index(study_tables["subjects"]["subject_id"].map(ids))[
        "arm"
    ]
    assert (
        study.subjects.set_index("subject_id")["arm"].astype(str)
        == want.reindex(study.subjects["subject_id"])
    ).all()


def test_a_checkbox_mapped_to_a_text_column_gives_the_label_ticked(export, study_tables, tmp_path):
    reasons = exports.REASONS

    def add_checkbox(data):
        for code in range(1, len(reasons) + 1):
            data[f"why_left___{code}"] = (data["withdrawal_reason"] == str(code)).map(
                {True: "1", False: "0"}
            )
        return data.drop(columns="withdrawal_reason")

    def add_field(dictionary):
        choices = " | ".join(
            f"{i}, {reason.replace('_', ' ').capitalize()}" for i, reason in enumerate(reasons, 1)
        )
        row = dictionary.iloc[[5]].assign(**{
            "Variable / Field Name": "why_left", "Field Type": "checkbox", "Form Name": "end_of_study",
            "Choices, Calculations, OR Slider Labels": choices, "Identifier?": "",
        })  # fmt: skip
        return pd.concat([dictionary, row], ignore_index=True)

    changed, mapping = _copy(export, tmp_path / "checkbox", add_checkbox, add_field)
    mapping["columns"]["discontinuation_reason"] = "why_left"
    study = _load(changed, mapping)
    ids = exports.record_ids(study_tables["subjects"])
    want = study_tables["subjects"].assign(subject_id=lambda frame: frame["subject_id"].map(ids))
    got = study.subjects.set_index("subject_id")["discontinuation_reason"].astype(object)
    expected = (
        want.set_index("subject_id")["discontinuation_reason"].astype(object).reindex(got.index)
    )
    assert got.fillna("-").tolist() == expected.fillna("-").tolist()
    assert got.notna().sum() >= 1


def test_events_become_visits_by_name_or_by_the_mapping():
    visits, unit, problems = event_visits(
        ["screening_arm_1", "baseline_arm_1", "week_4_arm_1", "week_12_arm_2", "follow_up_arm_1"],
        {},
        None,
    )
    assert unit == "weeks" and problems.empty
    assert visits == {"screening_arm_1": None, "baseline_arm_1": 0, "week_4_arm_1": 4,
                      "week_12_arm_2": 12, "follow_up_arm_1": None}  # fmt: skip
    visits, unit, _ = event_visits(
        ["visit_1_arm_1", "visit_2_arm_1"], {"visit_1": 0, "visit_2": 8}, "weeks"
    )
    assert visits == {"visit_1_arm_1": 0, "visit_2_arm_1": 8}
    _, _, problems = event_visits(["baseline_arm_1", "week_2_arm_1", "month_3_arm_1"], {}, None)
    assert problems["rule"].tolist() == ["events"] and "week_2_arm_1" in problems["message"].iloc[0]


def test_explicit_events_and_an_unmapped_visit_event(export, study_tables, tmp_path):
    path, mapping = export
    mapping["events"] = {"month_6": None}  # month 6 is not analysed: its rows are left out
    study = _load(path, mapping)
    assert 6 not in set(study.visits["month"]) and study.design.visits == (0, 1, 2, 3, 4, 5)
    left_out = study.metadata["import"]["left_out"]
    assert any("events that are not visits (month_6_arm_1)" in reason for reason in left_out)


def test_redcap_arms_can_give_the_arm(export, study_tables, tmp_path):
    def second_arm(data):
        comparator = data["record_id"].isin(
            [
                str(n)
                for n, arm in enumerate(study_tables["subjects"]["arm"], 1)
                if arm == "comparator"
            ]
        )
        data.loc[comparator, "redcap_event_name"] = data.loc[
            comparator, "redcap_event_name"
        ].str.replace("_arm_1", "_arm_2")
        return data

    changed, mapping = _copy(export, tmp_path / "arms", second_arm)
    mapping["columns"]["arm"] = "redcap_arm"
    mapping["values"] = {"arm": {"1": "isotretinoin", "2": "comparator"}}
    study = _load(changed, mapping)
    exports.assert_same_study(study, study_tables, ids=exports.record_ids(study_tables["subjects"]),
                              tables_compared=("subjects", "visits"))  # fmt: skip
    assert study.metadata["import"]["events"]["month_3_arm_2"] == 3


def test_tables_not_mapped_are_not_collected(export):
    path, mapping = export
    del mapping["adverse_events"], mapping["labs"]
    mapping["dates"] = [
        name for name in mapping["dates"] if name not in ("ae_onset_date", "lab_date")
    ]
    mapping["drop"] += ["ae_onset_date", "lab_date"]
    study = _load(path, mapping)
    assert study.design.tables == ("subjects", "visits")
    assert (
        study.metadata["import"]["left_out"][
            "rows of the repeating instrument adverse_events (not mapped)"
        ]
        >= 30
    )


def test_choices_and_dictionary_headers(export):
    path, _ = export
    fields = read_dictionary(path.parent / "dictionary.csv")
    assert fields["record_id"].type == "text" and fields["initials"].identifier
    assert fields["sae_criteria"].choices["3"] == "Hospitalisation"
    assert parse_choices("1, Yes, definitely | 0, No") == {"1": "Yes, definitely", "0": "No"}


def test_a_missing_dictionary_is_one_clear_error(export, tmp_path, capsys):
    path, mapping = export
    mapping["dictionary"] = "nowhere.csv"
    with pytest.raises(StudyReadError, match="data dictionary"):
        load_study(path, mapping)
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(json.dumps(mapping))
    assert cli(["validate", str(path), "--mapping", str(mapping_file)]) == 2
    assert "data dictionary" in capsys.readouterr().err


def test_validate_prints_events_dates_and_drops(export, tmp_path, capsys):
    path, mapping = export
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(json.dumps(mapping))
    assert cli(["validate", str(path), "--mapping", str(mapping_file)]) == 0
    out = capsys.readouterr().out
    assert "imported from REDCap export" in out and "day 0: each subject's consent_date" in out
    assert "baseline_arm_1 → month 0" in out and "screening_arm_1 → not a visit" in out
    assert 'initials (the mapping\'s "drop")' in out


def test_report_from_a_redcap_export(export, tmp_path):
    path, mapping = export
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(json.dumps(mapping))
    before = tree_digest(path.parent)
    config = ReportConfig(data=path, mapping=mapping_file, out=tmp_path / "reports", jobs=2,
                          processed_dir=tmp_path / "processed", parameters=PNG_ONLY)  # fmt: skip
    manifest = build_report(config, progress=False)
    assert tree_digest(path.parent) == before
    assert (
        manifest["inputs"]["mapping"] == str(mapping_file) and manifest["inputs"]["mapping_sha256"]
    )
    assert set(manifest["inputs"]["checksums"]) == {"export.csv", "dictionary.csv"}
    assert all(entry["executed"] for entry in manifest["notebooks"].values())
    figures = [name for entry in manifest["notebooks"].values() for name in entry["figures"]]
    assert figures and all(name.endswith(".png") for name in figures)  # parameters=PNG_ONLY
    assert manifest["inputs"]["design"]["tables"] == [
        "subjects",
        "visits",
        "adverse_events",
        "labs",
    ]
    package = next((tmp_path / "processed").glob("*/datapackage.json"))
    assert (
        json.loads(package.read_text())["acne_outcomes"]["metadata"]["import"]["route"] == "redcap"
    )
