"""The bad-input catalogue: each broken input gets a clear problem (table, row, column, rule,
message) and exit code, and the input files are byte-identical afterwards."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from conftest import tree_digest, valid_tables, write_tables

from acne_outcomes import StudyReadError, StudyValidationError, load_study
from acne_outcomes.cli import main as cli


def _set(table, row, column, value):
    def change(tables):
        tables[table][column] = tables[table][column].astype(object)
        tables[table].loc[row, column] = value

    return change


def _edit_file(name, transform):
    def change(folder: Path):
        path = folder / name
        path.write_bytes(transform(path.read_bytes()))

    return change


def _declare(design):
    def change(folder: Path):
        (folder / "datapackage.json").write_text(json.dumps({"design": design}))

    return change


@dataclass
class Case:
    name: str
    rule: str
    table: str | None = None
    row: int | None = None  # line number in the user's file
    column: str | None = None
    tables_change: object = None  # edits the DataFrames before writing
    file_change: object = None  # edits the written files
    in_message: str = ""


CASES = [
    Case("missing column", "missing-column", "subjects", None, "site",
         tables_change=lambda t: t.update(subjects=t["subjects"].drop(columns="site"))),
    Case("extra column", "extra-column", "visits", None, "rater",
         tables_change=lambda t: t["visits"].insert(3, "rater", "R1")),
    Case("wrong type", "type", "subjects", 3, "age", _set("subjects", 1, "age", "twenty")),
    Case("fractional count", "type", "visits", 4, "comedones", _set("visits", 2, "comedones", 2.5)),
    Case("negative count", "minimum", "visits", 5, "inflammatory_lesions",
         _set("visits", 3, "inflammatory_lesions", -3)),
    Case("grade out of range", "maximum", "visits", 2, "scar_grade", _set("visits", 0, "scar_grade", 7)),
    Case("unknown category", "enum", "subjects", 2, "fitzpatrick", _set("subjects", 0, "fitzpatrick", "7")),
    Case("arm not in the declared design", "design-arm", "subjects", 3, "arm",
         _set("subjects", 1, "arm", "placebo"), file_change=_declare({"arms": ["comparator", "isotretinoin"]}),
         in_message="isotretinoin"),
    Case("visit off the declared schedule", "design-schedule", "visits", 4, "month",
         file_change=_declare({"visits": [0, 1, 12]})),
    Case("bad boolean", "type", "adverse_events", 2, "serious", _set("adverse_events", 0, "serious", "maybe")),
    Case("missing required value", "required", "subjects", 4, "site", _set("subjects", 2, "site", "")),
    Case("duplicate visit", "primary-key", "visits", 11, "subject_id, month",
         tables_change=lambda t: t.update(visits=pd.concat([t["visits"], t["visits"].iloc[[1]]]))),
    Case("orphan subject", "foreign-key", "labs", 2, "subject_id", _set("labs", 0, "subject_id", "S999")),
    Case("no baseline visit", "baseline-visit", "subjects", 4, "subject_id", _set("visits", 7, "month", 2)),
    Case("study day going backwards", "day-order", "visits", 4, "study_day", _set("visits", 2, "study_day", 20)),
    Case("event after follow-up", "onset-in-follow-up", "adverse_events", 2, "onset_day",
         _set("adverse_events", 0, "onset_day", 900)),
    Case("lab unit", "lab-unit", "labs", 2, "unit", _set("labs", 0, "unit", "mmol/L"), in_message="mg/dL"),
    Case("reason without day", "discontinuation", "subjects", 2, "discontinuation_day",
         _set("subjects", 0, "discontinuation_reason", "other")),
    Case("visit after leaving", "after-discontinuation", "visits", 11, "study_day",
         lambda t: t.update(visits=pd.concat([t["visits"], t["visits"].iloc[[8]].assign(month=5, study_day=150)]))),
    Case("baseline IGA mismatch", "baseline-iga", "subjects", 2, "baseline_iga", _set("subjects", 0, "baseline_iga", 2)),
    Case("more nodules than inflammatory lesions", "nodules-within-inflammatory", "visits", 3, "nodules",
         _set("visits", 1, "nodules", 51)),
    Case("empty file", "file-empty", "visits", file_change=_edit_file("visits.csv", lambda b: b"")),
    Case("truncated file", "file-row-length", "visits", 10,
         file_change=_edit_file("visits.csv", lambda b: b[: b.rstrip().rfind(b",", 0, len(b) - 20)]),
         in_message="truncated"),
    Case("semicolon delimiter", "file-delimiter", "subjects",
         file_change=_edit_file("subjects.csv", lambda b: b.replace(b",", b";")), in_message="dialect"),
    Case("latin-1 encoding", "file-encoding", "subjects", 2,
         file_change=_edit_file("subjects.csv", lambda b: b.replace(b"SITE01,19", b"SIT\xc901,19")),
         in_message="Latin-1"),
    Case("e-mail column", "privacy:column-name", "subjects", None, "email",
         tables_change=lambda t: t["subjects"].insert(1, "email", ["a@b.org", "c@d.org", "e@f.org"])),
    Case("dates in a column", "privacy:date", "adverse_events", 2, "term",
         _set("adverse_events", 0, "term", "2024-06-18")),
]  # fmt: skip


def _prepare(folder: Path, case: Case) -> Path:
    tables = valid_tables()
    if case.tables_change is not None:
        case.tables_change(tables)
    write_tables(folder, tables)
    if case.file_change is not None:
        case.file_change(folder)
    return folder


def test_catalogue_is_large_enough():
    assert len(CASES) >= 20
    assert len({case.rule for case in CASES}) >= 20


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_is_reported_and_left_untouched(tmp_path, case, capsys):
    folder = _prepare(tmp_path / "study", case)
    before = tree_digest(folder)
    with pytest.raises(StudyValidationError) as raised:
        load_study(folder)
    problems = raised.value.problems
    matching = problems[problems["rule"] == case.rule]
    assert len(matching) >= 1, problems.to_string()
    first = matching.iloc[0]
    if case.table is not None:
        assert case.table in first["table"]
    if case.row is not None:
        assert first["row"] == case.row, matching.to_string()
    if case.column is not None:
        assert first["column"] == case.column
    assert case.in_message in first["message"]
    assert len(first["message"]) > 15
    assert tree_digest(folder) == before

    assert cli(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("INVALID") and f"[{case.rule}]" in out
    assert tree_digest(folder) == before


def test_every_problem_is_reported_at_once(tmp_path):
    tables = valid_tables()
    chosen = ("wrong type", "negative count", "orphan subject")
    for case in CASES:
        if case.name in chosen:
            case.tables_change(tables)
    folder = write_tables(tmp_path / "study", tables)
    with pytest.raises(StudyValidationError) as raised:
        load_study(folder)
    rules = set(raised.value.problems["rule"])
    assert {"type", "minimum", "foreign-key"} <= rules


def test_byte_order_mark_is_accepted(tmp_path):
    folder = write_tables(tmp_path / "study", valid_tables())
    path = folder / "subjects.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_study(folder).n_subjects == 3


def test_declared_dialect_and_encoding_are_honoured(tmp_path):
    folder = write_tables(tmp_path / "study", valid_tables())
    path = folder / "subjects.csv"
    path.write_bytes(path.read_bytes().replace(b",", b";").replace(b"SITE02", b"SIT\xc902"))
    descriptor = (
        '{"resources": [{"name": "subjects", "path": "subjects.csv", "encoding": "latin-1", '
        '"dialect": {"delimiter": ";"}}]}'
    )
    (folder / "datapackage.json").write_text(descriptor)
    study = load_study(folder)
    assert study.subjects["site"].tolist() == ["SITE01", "SITE01", "SITÉ02"]


def test_unreadable_inputs_exit_2(tmp_path, capsys):
    assert cli(["validate", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli(["validate", str(empty)]) == 2
    with pytest.raises(StudyReadError, match="no study tables"):
        load_study(empty)
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "subjects.parquet").write_bytes(b"PAR1 this is not parquet")
    assert cli(["validate", str(corrupt)]) == 2
    err = capsys.readouterr().err
    assert "Parquet" in err and "Traceback" not in err


def test_valid_study_exits_0(study_folder, capsys):
    assert cli(["validate", str(study_folder)]) == 0
    assert capsys.readouterr().out.startswith("VALID")


def test_problems_csv_lists_every_problem(tmp_path):
    folder = _prepare(tmp_path / "study", CASES[4])
    out = tmp_path / "problems.csv"
    assert cli(["validate", str(folder), "--problems", str(out)]) == 1
    written = pd.read_csv(out, dtype=str)
    assert list(written.columns) == ["table", "row", "column", "value", "rule", "message"]
    assert written.loc[0, "value"] == "-3"


# ----------------------------------------------------------------- imports with a mapping


def _long_frame():
    tables = valid_tables()
    subjects = tables["subjects"][["subject_id", "arm", "site", "age", "sex", "fitzpatrick", "weight_kg",
                                   "baseline_iga", "randomisation_day"]]  # fmt: skip
    long = tables["visits"].drop(columns=["melanin_index_difference", "adherence"]).merge(subjects)
    return long.rename(columns={"subject_id": "Patient", "arm": "Group", "month": "Visit"}).assign(
        Group=lambda frame: frame["Group"].map({"isotretinoin": "ISO", "comparator": "DOXY"})
    )


MAPPING = {
    "columns": {"subject_id": "Patient", "arm": "Group", "month": "Visit"},
    "values": {"arm": {"ISO": "isotretinoin", "DOXY": "comparator"}},
}

OPTIONAL_SUBJECT_COLUMNS = ["childbearing_potential", "end_of_treatment_day", "cumulative_dose_mg_per_kg",
                            "discontinuation_day", "discontinuation_reason"]  # fmt: skip


def _complete(long):
    return long.assign(**{name: pd.NA for name in OPTIONAL_SUBJECT_COLUMNS})


def test_long_csv_with_mapping(tmp_path):
    path = tmp_path / "long.csv"
    _complete(_long_frame()).to_csv(path, index=False)
    before = path.read_bytes()
    study = load_study(path, mapping=MAPPING)
    assert study.n_subjects == 3 and len(study.visits) == 9
    assert study.subjects["arm"].tolist() == ["isotretinoin", "comparator", "isotretinoin"]
    assert path.read_bytes() == before


def test_long_csv_inconsistent_subject_values(tmp_path):
    path = tmp_path / "long.csv"
    frame = _complete(_long_frame())
    frame.loc[2, "age"] = 40
    frame.to_csv(path, index=False)
    with pytest.raises(StudyValidationError) as raised:
        load_study(path, mapping=MAPPING)
    problem = raised.value.problems.query("rule == 'subject-inconsistent'").iloc[0]
    assert problem["column"] == "age"


def test_excel_with_two_row_header(tmp_path):
    path = tmp_path / "study.xlsx"
    frame = _complete(_long_frame())
    with pd.ExcelWriter(path) as writer:
        # a title row above the real header: the names are on the sheet's second row
        pd.concat([pd.DataFrame([frame.columns], columns=frame.columns), frame]).to_excel(
            writer, index=False, header=[f"Study export {i}" for i in range(frame.shape[1])]
        )
    before = path.read_bytes()
    with pytest.raises(StudyValidationError) as raised:
        load_study(path, mapping=MAPPING)
    message = raised.value.problems.query("rule == 'mapping'")["message"].iloc[0]
    assert '"header_row": 2' in message
    study = load_study(path, mapping={**MAPPING, "header_row": 2})
    assert len(study.visits) == 9
    assert path.read_bytes() == before


def test_xpt_with_labels_lists_names_and_labels(tmp_path):
    path = tmp_path / "study.xpt"
    frame = _complete(_long_frame()).drop(columns=OPTIONAL_SUBJECT_COLUMNS)
    frame.columns = [column.upper()[:8] for column in frame.columns]
    labels = [f"Label of {column}" for column in frame.columns]
    pyreadstat.write_xport(frame, str(path), column_labels=labels, table_name="LONG")
    before = path.read_bytes()
    with pytest.raises(StudyValidationError) as raised:
        load_study(path, mapping=MAPPING)
    message = raised.value.problems.query("rule == 'mapping'")["message"].iloc[0]
    assert "PATIENT (Label of PATIENT)" in message
    assert path.read_bytes() == before


def test_adam_import(tmp_path):
    tables = valid_tables()
    subjects = tables["subjects"]
    adsl = pd.DataFrame({
        "USUBJID": subjects["subject_id"], "TRT01A": subjects["arm"].map({"isotretinoin": "ISOTRETINOIN",
                                                                         "comparator": "DOXY+ADA/BPO"}),
        "SITEID": subjects["site"], "AGE": subjects["age"].astype(float), "SEX": subjects["sex"].str[0].str.upper(),
        "FITZ": subjects["fitzpatrick"], "WEIGHTBL": subjects["weight_kg"], "IGABL": subjects["baseline_iga"],
        "RANDDY": subjects["randomisation_day"].astype(float),
    })  # fmt: skip
    visits = tables["visits"]
    params = {"INFL": "inflammatory_lesions", "COMED": "comedones", "NOD": "nodules", "IGA": "iga",
              "SCARGB": "scar_grade", "ECCA": "ecca_score", "PIHN": "pih_macules", "PAHPI": "pih_index"}  # fmt: skip
    long = visits.melt(
        id_vars=["subject_id", "month", "study_day"], value_vars=list(params.values())
    )
    code = {value: key for key, value in params.items()}
    bds = pd.DataFrame({
        "USUBJID": long["subject_id"], "PARAMCD": long["variable"].map(code),
        "AVISITN": long["month"].astype(float) * 4, "ADY": long["study_day"].astype(float),
        "AVAL": pd.to_numeric(long["value"]).astype(float),
    })  # fmt: skip
    pyreadstat.write_xport(adsl, str(tmp_path / "adsl.xpt"), table_name="ADSL")
    pyreadstat.write_xport(bds, str(tmp_path / "adqs.xpt"), table_name="ADQS")
    mapping = {
        "adsl": "adsl.xpt", "bds": "adqs.xpt", "params": params,
        "visits": {str(float(week)): week // 4 for week in (0, 4, 20, 48)},
        "columns": {"fitzpatrick": "FITZ", "weight_kg": "WEIGHTBL", "baseline_iga": "IGABL",
                    "randomisation_day": "RANDDY"},
        "values": {"arm": {"ISOTRETINOIN": "isotretinoin", "DOXY+ADA/BPO": "comparator"},
                   "sex": {"M": "male", "F": "female"}},
    }  # fmt: skip
    before = tree_digest(tmp_path)
    with pytest.raises(StudyValidationError) as raised:  # ADSL lacks the optional subject columns
        load_study(tmp_path, mapping=mapping)
    assert set(raised.value.problems["rule"]) == {"missing-column"}
    adsl = adsl.assign(EOTDY=np.nan, CUMDOSE=np.nan, DISCDY=np.nan, DISCRS="", CBP="")
    pyreadstat.write_xport(adsl, str(tmp_path / "adsl.xpt"), table_name="ADSL")
    mapping["columns"].update(end_of_treatment_day="EOTDY", cumulative_dose_mg_per_kg="CUMDOSE",
                              discontinuation_day="DISCDY", discontinuation_reason="DISCRS",
                              childbearing_potential="CBP")  # fmt: skip
    study = load_study(tmp_path, mapping=mapping)
    expected = visits.drop(columns=["melanin_index_difference", "adherence"])
    got = (
        study.visits[expected.columns]
        .astype(object)
        .where(study.visits[expected.columns].notna(), None)
    )
    want = expected.astype(object).where(expected.notna(), None)
    assert got.to_numpy().tolist() == want.to_numpy().tolist()
    assert study.subjects["sex"].tolist() == ["male", "female", "female"]
    assert tree_digest(tmp_path) == {**before, "adsl.xpt": tree_digest(tmp_path)["adsl.xpt"]}
