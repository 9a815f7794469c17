"""Imports through a mapping: the keys every route shares (dates to days, drop, null columns,
recodes), long CSV, Excel and SAS files, the messages, and a whole report from each long route.

Every test that loads a file checks that the file's bytes are the same afterwards.
"""

from __future__ import annotations

import json
import re

import exports
import numpy as np
import pandas as pd
import pytest
from conftest import tree_digest, valid_tables
from studies import PNG_ONLY

from acne_outcomes import StudyReadError, StudyValidationError, load_study
from acne_outcomes.cli import main as cli
from acne_outcomes.derive import consort_flow
from acne_outcomes.importers import import_tables, read_mapping
from acne_outcomes.importers.columns import recode
from acne_outcomes.importers.dates import days_from_anchor, parse_dates
from acne_outcomes.privacy import scan_identifiers
from acne_outcomes.report import ReportConfig, build_report

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@pytest.fixture(scope="module")
def study_tables():
    return exports.base_tables()


@pytest.fixture(scope="module")
def long_csv(study_tables, tmp_path_factory):
    """The long export as CSV with ISO dates, and its mapping."""
    folder = tmp_path_factory.mktemp("long")
    frame = exports.long_frame(study_tables)
    for name in ("Consent", "Randomised", "TreatmentEnd", "Withdrawn", "VisitDate"):
        frame[name] = frame[name].map(lambda value: value.isoformat() if value else None)
    path = folder / "long.csv"
    frame.to_csv(path, index=False, lineterminator="\n")
    return path, exports.long_mapping()


def _load(path, mapping):
    """Load, and check the input's bytes are unchanged."""
    before = tree_digest(path.parent)
    try:
        return load_study(path, mapping=mapping)
    finally:
        assert tree_digest(path.parent) == before


def _problems(path, mapping) -> pd.DataFrame:
    with pytest.raises(StudyValidationError) as raised:
        _load(path, mapping)
    return raised.value.problems


def _no_dates_shown(error_text: str, problems: pd.DataFrame) -> None:
    shown = error_text + " ".join(problems["value"].dropna()) + " ".join(problems["message"])
    assert not ISO_DATE.search(shown), ISO_DATE.search(shown)


# ------------------------------------------------------------------------ the long routes


def test_long_csv_with_dates_imports_to_the_study_it_holds(long_csv, study_tables):
    path, mapping = long_csv
    study = _load(path, mapping)
    exports.assert_same_study(study, study_tables, tables_compared=("subjects", "visits"),
                              skip=("ecca_score",))  # fmt: skip
    record = study.metadata["import"]
    assert record["route"] == "csv" and record["anchor"] == "Consent"
    assert record["dates"] == ["Randomised", "TreatmentEnd", "Withdrawn", "VisitDate"]
    assert record["not_collected"] == ["ecca_score (the mapping declares it null)"]
    assert "ecca_score" not in study.design.outcomes and study.visits["ecca_score"].isna().all()


def test_excel_with_two_row_header_dates_and_decimal_codes(study_tables, tmp_path):
    path, mapping = exports.write_long_excel(study_tables, tmp_path / "export.xlsx")
    study = _load(path, mapping)  # arm and sex are written 1.0/2.0, the mapping says "1"/"2"
    exports.assert_same_study(study, study_tables, tables_compared=("subjects", "visits"),
                              skip=("ecca_score",))  # fmt: skip
    assert study.metadata["import"]["route"] == "excel"


def test_two_row_header_gets_one_short_hint(study_tables, tmp_path):
    path, mapping = exports.write_long_excel(study_tables, tmp_path / "export.xlsx")
    del mapping["header_row"]
    problems = _problems(path, mapping)
    # the hint alone: no dates under "Unnamed" columns, no missing subjects table
    assert len(problems) == 1, problems["message"].tolist()
    message = problems["message"].iloc[0]
    assert '"header_row": 2' in message and "one title row is above the header" in message
    assert "spans two rows" not in message
    assert len(message) < 1200 and "and 13 more" in message
    assert "'Patient' (for subject_id)" in message


def test_validate_prints_the_header_hint_alone(study_tables, tmp_path, capsys):
    path, mapping = exports.write_long_excel(study_tables, tmp_path / "export.xlsx")
    del mapping["header_row"]
    (tmp_path / "mapping.json").write_text(json.dumps(mapping), encoding="utf-8")
    capsys.readouterr()
    assert cli(["validate", str(path), "--mapping", str(tmp_path / "mapping.json")]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("1 problem") and len(lines) == 2, lines
    assert '"header_row": 2' in lines[1] and "Unnamed" not in lines[1].split("the header row")[0]


def test_a_single_csv_without_a_mapping_is_not_also_missing_its_tables(long_csv, capsys):
    path, _ = long_csv
    capsys.readouterr()
    assert cli(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "no column gives subject_id" in out
    assert "missing-table" not in out and "table is required" not in out


def test_sas_transport_file_with_sas_dates(study_tables, tmp_path):
    path, mapping = exports.write_long_xpt(study_tables, tmp_path / "export.xpt")
    study = _load(path, mapping)
    exports.assert_same_study(study, study_tables, tables_compared=("subjects", "visits"),
                              skip=("ecca_score",))  # fmt: skip
    assert study.metadata["import"]["route"] == "sas"


def test_codes_written_as_decimals_are_recoded():
    frame = pd.DataFrame({"baseline_iga": ["4.0", "3", None], "sex": ["2.0", "1", "Female"]})
    values = {"baseline_iga": {"4": "3"}, "sex": {"1": "female", "2": "male"}}
    recoded = recode(frame, values, "subjects")
    assert recoded["baseline_iga"].fillna("missing").tolist() == ["3", "3", "missing"]
    assert recoded["sex"].tolist() == ["male", "female", "female"]  # "Female": a tidied label


# ------------------------------------------------------------------------ columns not recorded


def _long_without_optional(folder):
    tables = valid_tables()
    subjects = tables["subjects"].drop(
        columns=["childbearing_potential", "end_of_treatment_day", "cumulative_dose_mg_per_kg",
                 "discontinuation_day", "discontinuation_reason"]
    )  # fmt: skip
    visits = tables["visits"].drop(columns=["ecca_score", "melanin_index_difference"])
    path = folder / "long.csv"
    visits.merge(subjects).to_csv(path, index=False, lineterminator="\n")
    return path


def test_columns_neither_mapped_nor_found_get_one_problem_with_the_fix(tmp_path):
    path = _long_without_optional(tmp_path)
    problems = _problems(path, {"columns": {"subject_id": "subject_id"}})
    assert problems["rule"].tolist() == ["missing-column"]
    message = problems["message"].iloc[0]
    assert "childbearing_potential, end_of_treatment_day" in message
    assert '"columns": {"childbearing_potential": null}' in message


def test_a_mapping_declares_columns_not_recorded_with_null(tmp_path):
    path = _long_without_optional(tmp_path)
    columns = {name: None for name in ("childbearing_potential", "end_of_treatment_day",
                                       "cumulative_dose_mg_per_kg", "discontinuation_day",
                                       "discontinuation_reason", "ecca_score")}  # fmt: skip
    study = _load(path, {"columns": columns})
    assert study.subjects["end_of_treatment_day"].isna().all()
    assert not study.design.collected("ecca_score")
    assert study.design.collected("scar_grade")


def test_a_flow_says_treatment_not_recorded_when_its_column_is_declared_null(long_csv):
    """Declared not recorded, the end of treatment is not counted as 'did not receive it'."""
    path, mapping = long_csv
    mapping = json.loads(json.dumps(mapping))
    mapping["columns"]["end_of_treatment_day"] = None
    mapping["dates"].remove("TreatmentEnd")
    mapping["drop"] = ["TreatmentEnd"]
    flow = consort_flow(_load(path, mapping))
    allocated = flow[flow["key"] == "allocated"]
    assert len(allocated) == 2
    for detail in allocated["detail"]:
        assert "not recorded" in detail
        assert "did not receive" not in detail and "received the allocated treatment " not in detail
    # recorded, the counts are shown as before
    recorded = consort_flow(_load(*long_csv))
    details = recorded.loc[recorded["key"] == "allocated", "detail"]
    assert details.str.startswith("received the allocated treatment ").all()


def test_validate_lists_every_problem_of_a_subject_value_with_its_line(long_csv, tmp_path, capsys):
    """An age of 7 on a subject's second row is below the minimum as well as inconsistent; an
    integer is shown as one ('9', not '9.0'); row numbers are lines of the user's file."""
    path, mapping = long_csv
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[1, "Age"] = "7"  # line 3, the first subject's second row
    frame.loc[0, "IGA_0"] = "9"  # line 2, against an IGA of 4 at baseline
    changed = tmp_path / "long.csv"
    frame.to_csv(changed, index=False, lineterminator="\n")
    (tmp_path / "mapping.json").write_text(json.dumps(mapping), encoding="utf-8")
    capsys.readouterr()
    assert cli(["validate", str(changed), "--mapping", str(tmp_path / "mapping.json")]) == 1
    out = capsys.readouterr().out
    lines = {line.split("]")[0].split("[")[-1] + ":" + line.split("column '")[-1].split("'")[0]: line
             for line in out.splitlines()[1:]}  # fmt: skip
    assert "1 line of long.csv: 3 ('7')" in lines["minimum:age"]
    assert "lines of long.csv" in lines["subject-inconsistent:age"]
    assert "'9.0'" not in out and "2 ('9')" in lines["baseline-iga:baseline_iga"]


# ------------------------------------------------------------------------ dates and drop


def test_dates_without_an_anchor_get_one_hint_and_are_never_shown(long_csv):
    path, mapping = long_csv
    mapping = {key: value for key, value in mapping.items() if key not in ("anchor", "dates")}
    with pytest.raises(StudyValidationError) as raised:
        _load(path, mapping)
    problems = raised.value.problems
    hints = problems[problems["rule"] == "dates"]
    assert len(hints) == 1
    assert (
        "Consent, Randomised, TreatmentEnd, Withdrawn, VisitDate hold calendar dates"
        in hints["message"].iloc[0]
    )
    assert '"anchor"' in hints["message"].iloc[0] and '"drop"' in hints["message"].iloc[0]
    assert set(problems.loc[problems["rule"] == "privacy:date", "column"]) == {
        "Consent", "Randomised", "TreatmentEnd", "Withdrawn", "VisitDate"
    }  # fmt: skip
    _no_dates_shown(str(raised.value), problems)


def test_dates_listed_without_an_anchor(long_csv):
    path, mapping = long_csv
    mapping = {key: value for key, value in mapping.items() if key != "anchor"}
    problems = _problems(path, mapping)
    message = problems.loc[problems["rule"] == "dates", "message"].iloc[0]
    assert "need a day 0" in message and '"anchor"' in message


def test_a_bad_date_is_reported_masked_at_its_row(long_csv, tmp_path):
    path, mapping = long_csv
    text = path.read_text().splitlines()
    fields = text[5].split(",")
    fields[list(text[0].split(",")).index("VisitDate")] = "2023-13-45"
    text[5] = ",".join(fields)
    broken = tmp_path / "long.csv"
    broken.write_text("\n".join(text) + "\n")
    with pytest.raises(StudyValidationError) as raised:
        _load(broken, mapping)
    problem = raised.value.problems.query("rule == 'date'").iloc[0]
    assert (problem["row"], problem["column"], problem["value"]) == (6, "VisitDate", "2***-**-**")
    _no_dates_shown(str(raised.value), raised.value.problems)


def test_the_anchor_is_each_subjects_own_and_must_agree(long_csv, tmp_path):
    path, mapping = long_csv
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[1, "Consent"] = "2022-01-01"  # another day 0 on the subject's second row
    first = frame["Patient"] == frame.loc[frame.index[-1], "Patient"]
    frame.loc[first, "Consent"] = ""  # the last subject has no day 0
    changed = tmp_path / "long.csv"
    frame.to_csv(changed, index=False, lineterminator="\n")
    problems = _problems(changed, mapping)
    anchor = problems[problems["rule"] == "anchor"]
    assert anchor["row"].iloc[0] == 3 and "same on every row" in anchor["message"].iloc[0]
    assert "has no day 0" in anchor["message"].iloc[-1]
    assert anchor["value"].iloc[-1] == frame["Patient"].iloc[-1]


def test_text_dates_in_another_format(long_csv):
    dates, bad = parse_dates(pd.Series(["18/06/2024", "1/2/2024", "x"]), date_format="%d/%m/%Y")
    assert dates.dt.month.tolist()[:2] == [6, 2] and bad.tolist() == [False, False, True]
    anchors = pd.Series(pd.to_datetime(["2024-06-01"]), index=["S1"])
    days, problems = days_from_anchor(pd.Series(["S1"]), pd.Series(["2024-05-31"]), anchors, [2],
                                      column="d", file_label="f")  # fmt: skip
    assert days.tolist() == [-1] and problems.empty


def test_drop_leaves_columns_out_before_the_scan_and_the_rest_is_still_scanned(long_csv, tmp_path):
    path, mapping = long_csv
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["Email"] = "someone@example.org"
    frame["Notes"] = ""
    frame.loc[4, "Notes"] = "call +44 20 7946 0958"
    changed = tmp_path / "long.csv"
    frame.to_csv(changed, index=False, lineterminator="\n")
    problems = _problems(changed, {**mapping, "drop": ["Email"]})
    assert set(problems["rule"]) == {"privacy:phone"} and problems["column"].tolist() == ["Notes"]
    study = _load(changed, {**mapping, "drop": ["Email", "Not*"]})
    assert study.metadata["import"]["dropped"] == {"Email": 'the mapping\'s "drop"',
                                                   "Notes": 'the mapping\'s "drop"'}  # fmt: skip


def test_names_the_file_does_not_have(long_csv):
    path, mapping = long_csv
    problems = _problems(
        path, {**mapping, "drop": ["Initials"], "dates": [*mapping["dates"], "DOB"]}
    )
    message = problems.loc[problems["rule"] == "mapping", "message"].iloc[0]
    assert "DOB, Initials" in message or "DOB" in message and "Initials" in message


def test_no_subject_column_is_one_clear_problem(long_csv):
    path, mapping = long_csv
    columns = {key: value for key, value in mapping["columns"].items() if key != "subject_id"}
    problems = _problems(path, {**mapping, "columns": columns})
    assert (
        "no column gives subject_id"
        in problems.loc[problems["rule"] == "mapping", "message"].iloc[0]
    )
    assert "missing-table" not in set(problems["rule"])  # a consequence, not another problem


# ------------------------------------------------------------------------ the mapping itself


@pytest.mark.parametrize(
    ("mapping", "match"),
    [
        ({"colums": {}}, "unknown mapping key"),
        ({"columns": {"patient": "ID"}}, "does not have"),
        ({"columns": {"age": 3}}, "column name or null"),
        ({"dates": [1]}, "list of column names"),
        ({"derived_records": "sometimes"}, "derived_records"),
        ({"labs": {"tests": {"glucose": {"field": "g"}}}}, "glucose"),
        ({"adverse_events": {"columns": {"month": "x"}}}, "does not have"),
        ({"events": {"visit_1": "one"}}, "visit number or null"),
        ({"visits": {"week 4": 1}}, "AVISITN values"),
        ({"params": {"INFL": "inflammatory"}}, "visit measurements"),
        ({"lab_params": {"GLUC": "glucose"}}, "lab tests"),
        ({"header_row": "two"}, "header_row"),
    ],
)
def test_a_malformed_mapping_is_one_clear_error(mapping, match):
    with pytest.raises(ValueError, match=match):
        read_mapping(mapping)


def test_unreadable_mapping_file(tmp_path):
    bad = tmp_path / "mapping.json"
    bad.write_text("{not json")
    with pytest.raises(StudyReadError, match="cannot read the mapping"):
        read_mapping(bad)


# ------------------------------------------------------------------------ routes and identifiers


def test_adam_dataset_without_a_mapping_is_told_its_route(tmp_path):
    import pyreadstat

    path = tmp_path / "adqs.xpt"
    pyreadstat.write_xport(pd.DataFrame({"USUBJID": ["01-701-1015"], "PARAMCD": ["IGA"],
                                         "AVAL": [3.0]}), str(path))  # fmt: skip
    problems = _problems(path, None)
    assert problems["rule"].tolist() == ["import-route"]
    assert '"adsl": "adsl.xpt"' in problems["message"].iloc[0]


def test_usubjid_is_a_study_id_in_the_subject_column_only():
    frame = pd.DataFrame({"PATID": ["01-701-1015", "01-701-1023"],
                          "contact": ["01-701-1015", "020-7946-0958"]})  # fmt: skip
    assert scan_identifiers("t", frame)["column"].tolist() == ["PATID", "contact"]
    frame.attrs["subject_id_columns"] = ["PATID"]
    assert scan_identifiers("t", frame)["column"].tolist() == ["contact"]
    assert scan_identifiers("t", frame, subject_columns=[])["column"].tolist() == [
        "PATID",
        "contact",
    ]
    cdisc = pd.DataFrame({"USUBJID": ["01-701-1015"], "subject_id": ["CDISCPILOT01-701-1015"]})
    assert scan_identifiers("adsl", cdisc).empty
    phone = pd.DataFrame({"subject_id": ["+44 20 7946 0958"]})
    assert scan_identifiers("subjects", phone)["rule"].tolist() == ["privacy:phone"]


def test_import_tables_keeps_its_interface(long_csv):
    path, mapping = long_csv
    raw = import_tables(path, mapping)
    assert set(raw.tables) == {"subjects", "visits"} and raw.files == [path]
    assert raw.metadata["import"]["anchor"] == "Consent"
    scanned = raw.scan[0][1]
    assert "VisitDate" not in scanned and "Consent" not in scanned and "Patient" in scanned


# ------------------------------------------------------------------------ the command line


def test_validate_prints_what_the_import_converted(long_csv, tmp_path, capsys):
    path, mapping = long_csv
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(json.dumps(mapping))
    assert cli(["validate", str(path), "--mapping", str(mapping_file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("VALID") and "imported from long CSV file" in out
    assert "day 0: each subject's Consent" in out
    assert (
        "dates turned into days from day 0: Randomised, TreatmentEnd, Withdrawn, VisitDate" in out
    )
    assert "not collected: ecca_score" in out


# ------------------------------------------------------------------------ whole reports


def _build(data, mapping, tmp_path):
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(json.dumps(mapping))
    before = tree_digest(data.parent if data.is_file() else data)
    config = ReportConfig(data=data, mapping=mapping_file, out=tmp_path / "reports", jobs=2,
                          processed_dir=tmp_path / "processed", parameters=PNG_ONLY)  # fmt: skip
    manifest = build_report(config, progress=False)
    assert tree_digest(data.parent if data.is_file() else data) == before
    assert manifest["inputs"]["mapping"] == str(mapping_file)
    assert manifest["inputs"]["mapping_sha256"]
    assert all(entry["executed"] for entry in manifest["notebooks"].values())
    assert (config.out / "index.html").is_file()
    package = json.loads((tmp_path / "processed").glob("*/datapackage.json").__next__().read_text())
    return manifest, package["acne_outcomes"]["metadata"]["import"]


def test_report_from_an_excel_export(study_tables, tmp_path):
    path, mapping = exports.write_long_excel(study_tables, tmp_path / "data" / "export.xlsx")
    manifest, record = _build(path, mapping, tmp_path)
    assert record["route"] == "excel"
    assert manifest["inputs"]["design"]["arms"][0]["name"] == "Doxycycline + BPO"


def test_report_from_a_sas_transport_file(study_tables, tmp_path):
    path, mapping = exports.write_long_xpt(study_tables, tmp_path / "data" / "export.xpt")
    manifest, record = _build(path, mapping, tmp_path)
    assert record["route"] == "sas" and record["anchor"] == "CONSENT"
    assert np.isclose(len(manifest["notebooks"]), 6)


# ------------------------------------------------------------------------ the guide


def test_the_guide_shows_the_mappings_the_tests_import():
    from acne_outcomes.paths import PROJECT_ROOT

    text = (PROJECT_ROOT / "docs" / "bring-your-own-data.md").read_text(encoding="utf-8")
    blocks = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, flags=re.S)]
    assert len(blocks) == 4
    for block in blocks:
        read_mapping(block)
    redcap, excel, sas, adam = blocks
    assert redcap == exports.redcap_mapping()
    assert excel == {key: value for key, value in exports.long_mapping().items() if key != "design"} | {
        "sheet": "Data", "header_row": 2
    }  # fmt: skip
    assert adam == {key: value for key, value in exports.adam_mapping().items() if key != "design"}
    assert sas["anchor"] == "CONSENT"
