"""Tests for the identifier guard and small-cell suppression (``acne_outcomes.privacy``)."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from acne_outcomes import standard
from acne_outcomes.privacy import (
    PROBLEM_COLUMNS,
    SMALL_CELL_K,
    SmallCellPolicy,
    identifier_kind,
    looks_like_name,
    mask_value,
    redact_problems,
    redact_text,
    scan_identifiers,
    small_cell_policy,
    suppress_small_cells,
)

PROBLEM_DTYPES = ["string", "Int64", "string", "string", "string", "string"]

# ---------------------------------------------------------------- identifier guard


def _standard_like_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "subject_id": ["S001", "S002", "ACN-2024-0017", "S004"],
            "site": ["site-01", "A", "B", "C"],
            "term": [
                "dry_eyes",
                "depressed mood",
                "Drug reaction with eosinophilia and systemic symptoms",
                "Blood creatine phosphokinase increased",
            ],
            "unit": ["mg/dL", "U/L", "result", None],
            "age": [19, 23, 31, 17],
            "cumulative_dose_mg_per_kg": [120.0, 150.5, np.nan, 9_999_999.0],
            "serious": [True, False, False, True],
        }
    )


def test_clean_table_gives_empty_report_with_fixed_columns_and_dtypes():
    report = scan_identifiers("adverse_events", _standard_like_frame())
    assert list(report.columns) == list(PROBLEM_COLUMNS)
    assert [str(dtype) for dtype in report.dtypes] == PROBLEM_DTYPES
    assert report.empty


@pytest.mark.parametrize("table", standard.TABLES)
def test_no_standard_column_name_is_taken_for_an_identifier(table):
    names = standard.field_names(table)
    assert [name for name in names if identifier_kind(name) is not None] == []
    report = scan_identifiers(table, pd.DataFrame(columns=names))
    assert report.empty


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Name", "person's name"),
        ("first_name", "person's name"),
        ("LastName", "person's name"),
        ("Surname", "person's name"),
        ("patient name", "person's name"),
        ("Initials", "person's name"),
        ("E-mail", "e-mail address"),
        ("email_address", "e-mail address"),
        ("Phone", "phone number"),
        ("telephone_number", "phone number"),
        ("Mobile", "phone number"),
        ("fax", "phone number"),
        ("IPAddress", "network identifier"),
        ("Address", "postal address"),
        ("street", "postal address"),
        ("ZIP", "postal address"),
        ("Post Code", "postal address"),
        ("postal_code", "postal address"),
        ("DOB", "date of birth"),
        ("date_of_birth", "date of birth"),
        ("BirthDate", "date of birth"),
        ("MRN", "medical record or hospital number"),
        ("medical_record_number", "medical record or hospital number"),
        ("Hospital Number", "medical record or hospital number"),
        ("NHS number", "national or insurance identifier"),
        ("SSN", "national or insurance identifier"),
        ("social_security_number", "national or insurance identifier"),
        ("national_id", "national or insurance identifier"),
        ("passport_no", "national or insurance identifier"),
        ("insurance_number", "national or insurance identifier"),
        ("photo", "photograph"),
    ],
)
def test_identifier_column_names_are_refused(name, kind):
    assert identifier_kind(name) == kind
    report = scan_identifiers("subjects", pd.DataFrame({name: [1, 2]}))
    assert report["rule"].tolist() == ["privacy:column-name"]
    assert report["row"].isna().all()
    assert repr(name) in report.loc[0, "message"] and kind in report.loc[0, "message"]


@pytest.mark.parametrize(
    "name",
    ["site_name", "test_name", "zipper", "named_entity", "phonetic", "city", "country",
     "ip_dose", "emailed", "visit_date", "addressee"],
)  # fmt: skip
def test_ordinary_column_names_pass(name):
    assert identifier_kind(name) is None


POSITIVE_VALUES = [
    ("jane.doe@example.org", "privacy:email"),
    ("John.Smith+trial@hospital.nhs.uk", "privacy:email"),
    ("+44 20 7946 0958", "privacy:phone"),
    ("(555) 123-4567", "privacy:phone"),
    ("call 020 7946 0958 after 5", "privacy:phone"),
    ("0044 (0)20 7946 0958", "privacy:phone"),
    ("06 12 34 56 78", "privacy:phone"),
    ("2024-06-18", "privacy:date"),
    ("2024-06-18T10:30:00Z", "privacy:date"),
    ("2024/6/8", "privacy:date"),
    ("18/06/2024", "privacy:date"),
    ("06-18-2024", "privacy:date"),
    ("18.06.2024 10:30", "privacy:date"),
    ("18/06/24", "privacy:date"),
    ("18 June 2024", "privacy:date"),
    ("June 18, 2024", "privacy:date"),
    ("18JUN2024", "privacy:date"),
    ("3rd Sept 2023", "privacy:date"),
    ("12345678", "privacy:long-number"),
    ("MRN 1234567890", "privacy:long-number"),
    ("felt low after the argument with her husband at home on Friday", "privacy:free-text"),
    ("x" * 101, "privacy:free-text"),
]
NEGATIVE_VALUES = [
    "S001",
    "ACN-2024-0017",
    "dry_eyes",
    "depressed mood",
    "Drug reaction with eosinophilia and systemic symptoms",
    "mg/dL",
    "0.30000000000000004",
    "1234567",
    "12.5",
    "2024",
    "v1.2.3",
    "IV",
    "x" * 100,
]


@pytest.mark.parametrize(("value", "rule"), POSITIVE_VALUES)
def test_identifying_values_are_found_by_their_rule_only(value, rule):
    frame = pd.DataFrame({"notes": ["ok", value, "fine"]})
    report = scan_identifiers("subjects", frame)
    assert report["rule"].tolist() == [rule]
    assert report.loc[0, "row"] == 2


@pytest.mark.parametrize("value", NEGATIVE_VALUES)
def test_ordinary_values_pass(value):
    assert scan_identifiers("subjects", pd.DataFrame({"notes": [value]})).empty


def test_one_problem_per_column_and_rule_with_count_and_first_user_row():
    values = np.full(1000, "none", dtype=object)
    values[[3, 500, 999]] = ["a@b.org", "c@d.org", "a@b.org"]
    values[[10, 20]] = "2024-06-18"
    frame = pd.DataFrame({"subject_id": [f"S{i:04d}" for i in range(1000)], "contact": values})
    line_numbers = np.arange(1000) + 2  # line 1 of the user's CSV is the header
    report = scan_identifiers("subjects", frame, rows=line_numbers)
    assert report["rule"].tolist() == ["privacy:email", "privacy:date"]
    assert report["row"].tolist() == [5, 12]
    assert report["message"].tolist() == [
        "column 'contact' looks like e-mail addresses in 3 rows (first at row 5)",
        "column 'contact' looks like calendar dates (use days relative to enrolment) "
        "in 2 rows (first at row 12)",
    ]
    assert (report["table"] == "subjects").all()


def test_rows_must_align_with_the_frame():
    with pytest.raises(ValueError, match="one row number per row"):
        scan_identifiers("subjects", pd.DataFrame({"a": ["x", "y"]}), rows=[1, 2, 3])


def test_object_and_categorical_columns_are_scanned_and_missing_values_skipped():
    frame = pd.DataFrame(
        {
            "mixed": pd.Series([None, 7, "a@b.org"], dtype=object),
            "coded": pd.Categorical([None, "x", "2024-06-18"]),
        }
    )
    report = scan_identifiers("labs", frame)
    assert report[["column", "rule", "row"]].to_numpy().tolist() == [
        ["mixed", "privacy:email", 3],
        ["coded", "privacy:date", 3],
    ]


def test_numeric_columns_only_flag_whole_numbers_of_eight_digits():
    frame = pd.DataFrame(
        {
            "record": pd.array([1, None, 123_456_789], dtype="Int64"),
            "as_float": [np.nan, 12_345_678.0, 1.0],
            "fraction": [12_345_678.5, 1.0, 2.0],
            "seven_digits": [9_999_999, -9_999_999, 0],
            "flag": [True, False, True],
        }
    )
    report = scan_identifiers("subjects", frame)
    assert report[["column", "rule", "row", "value"]].to_numpy().tolist() == [
        ["record", "privacy:long-number", 3, "1********"],
        ["as_float", "privacy:long-number", 2, "1*******"],
    ]


def test_datetime_columns_are_dates():
    frame = pd.DataFrame({"visit": pd.to_datetime([None, "2024-06-18", "2024-07-01"])})
    report = scan_identifiers("visits", frame)
    assert report[["rule", "row"]].to_numpy().tolist() == [["privacy:date", 2]]
    assert "2 rows" in report.loc[0, "message"]


def test_duplicate_column_names_are_each_scanned():
    frame = pd.DataFrame([["a@b.org", "c@d.org"]], columns=["contact", "contact"])
    assert scan_identifiers("subjects", frame)["rule"].tolist() == ["privacy:email"] * 2


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("jane.doe@example.org", "j***.***@*******.***"),
        ("2024-06-18", "2***-**-**"),
        ("+44 20 7946 0958", "+4* ** **** ****"),
        ("a", "*"),
        ("--", "**"),
        ("", ""),
        ("Zoë Ångström", "Z** ********"),
        ("x" * 50, "x" + "*" * 39 + "…"),
    ],
)
def test_mask_value_examples(text, masked):
    assert mask_value(text) == masked


@given(st.text(min_size=1))
def test_mask_value_keeps_at_most_one_letter_or_digit_and_never_the_value(text):
    masked = mask_value(text)
    assert sum(character.isalnum() for character in masked) <= 1
    if any(character.isalnum() for character in text):
        assert masked != text


BIRTH_DATES = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2099, 12, 31))
IDENTIFYING = st.one_of(
    st.emails(),
    st.from_regex(r"\A\+[1-9]\d{1,2} \d{2,4} \d{3,4} \d{4}\Z"),
    BIRTH_DATES.map(lambda day: day.isoformat()),
    BIRTH_DATES.map(lambda day: day.strftime("%d %B %Y")),
    BIRTH_DATES.map(lambda day: day.strftime("%m/%d/%Y")),
    st.from_regex(r"\A[1-9]\d{7,14}\Z"),
    st.lists(st.from_regex(r"\A[A-Za-z]{2,9}\Z"), min_size=9, max_size=15).map(" ".join),
)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(IDENTIFYING, min_size=1, max_size=5), position=st.integers(0, 3))
def test_no_identifying_value_appears_in_a_report(values, position):
    column = ["none", "none", "none", "none"]
    column[position : position + 1] = values
    frame = pd.DataFrame({"subject_id": [f"S{i}" for i in range(len(column))], "who": column})
    report = scan_identifiers("subjects", frame)
    assert not report.empty
    shown = report["message"].tolist() + report["value"].dropna().tolist()
    for value in values:
        assert not any(value in text for text in shown)


# ---------------------------------------------------------------- small-cell suppression


def _counts(rows: list[list[int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, index=[f"r{i}" for i in range(len(rows))]).add_prefix("c")


def test_table_without_small_cells_is_returned_unmasked_as_int64():
    counts = _counts([[5, 10], [20, 0]])
    result = suppress_small_cells(counts)
    assert (result.dtypes == "Int64").all()
    assert result.astype("int64").equals(counts)
    assert not result.attrs["suppressed"].to_numpy().any()
    assert list(result.index) == ["r0", "r1"] and list(result.columns) == ["c0", "c1"]


def test_complementary_suppression_cascades_from_rows_to_columns_and_back():
    # (r0, c0) = 2 is small. Row r0: add its smallest other count, (r0, c1) = 10.
    # Column c0: add (r2, c0) = 8 (smaller than 30). Column c1: add (r1, c1) = 40 (< 60).
    # Second sweep: row r1 now has one mask, add (r1, c0) = 30 (< 50); row r2 has one,
    # add (r2, c1) = 60 (< 70). Then every row has two and columns c0, c1 three: stable.
    result = suppress_small_cells(_counts([[2, 10, 20], [30, 40, 50], [8, 60, 70]]), k=5)
    expected = [[True, True, False], [True, True, False], [True, True, False]]
    assert result.attrs["suppressed"].to_numpy().tolist() == expected
    assert result["c2"].tolist() == [20, 50, 70]


def test_a_zero_is_masked_when_no_nonzero_complement_is_left():
    result = suppress_small_cells(_counts([[3, 0, 0], [10, 20, 30]]), k=5)
    expected = [[True, True, False], [True, True, False]]
    assert result.attrs["suppressed"].to_numpy().tolist() == expected


@pytest.mark.parametrize(("zero_is_small", "masked_cells"), [(False, 0), (True, 4)])
def test_zero_is_small_only_when_asked(zero_is_small, masked_cells):
    result = suppress_small_cells(_counts([[0, 10], [20, 30]]), zero_is_small=zero_is_small)
    assert int(result.attrs["suppressed"].to_numpy().sum()) == masked_cells


def test_k_sets_the_threshold_and_whole_floats_are_accepted():
    counts = pd.DataFrame({"a": [1.0, 9.0, 12.0], "b": [10.0, 11.0, 13.0]})
    assert int(suppress_small_cells(counts, k=1).attrs["suppressed"].sum().sum()) == 0
    masked = suppress_small_cells(counts, k=10).attrs["suppressed"]
    assert masked.to_numpy().tolist() == [[True, True], [True, True], [False, False]]


@pytest.mark.parametrize(
    ("table", "k", "message"),
    [
        (pd.DataFrame({"a": [1, -2]}), 5, "negative"),
        (pd.DataFrame({"a": [1.0, 2.5]}), 5, "whole numbers"),
        (pd.DataFrame({"a": [1.0, np.inf]}), 5, "whole numbers"),
        (pd.DataFrame({"a": [1.0, np.nan]}), 5, "missing"),
        (pd.DataFrame({"a": ["1", "2"]}), 5, "numeric"),
        (pd.DataFrame({"a": [True, False]}), 5, "numeric"),
        (pd.DataFrame({"a": [1, 2]}), 0, "at least 1"),
        (pd.DataFrame({"a": [1, 2]}), 2.5, "at least 1"),
        (pd.DataFrame({"a": [1, 2]}), True, "at least 1"),
        ([[1, 2]], 5, "DataFrame"),
    ],
)
def test_bad_input_raises(table, k, message):
    with pytest.raises(ValueError, match=message):
        suppress_small_cells(table, k=k)


@settings(max_examples=200, deadline=None)
@given(
    counts=st.tuples(st.integers(1, 5), st.integers(1, 5)).flatmap(
        lambda shape: arrays(np.int64, shape, elements=st.integers(0, 25))
    ),
    k=st.integers(1, 8),
    zero_is_small=st.booleans(),
)
def test_suppression_properties(counts, k, zero_is_small):
    result = suppress_small_cells(pd.DataFrame(counts), k=k, zero_is_small=zero_is_small)
    masked = result.attrs["suppressed"].to_numpy()
    primary = ((counts >= 1) & (counts < k)) | (zero_is_small & (counts == 0))
    assert masked[primary].all()
    assert np.array_equal(result.isna().to_numpy(), masked)
    assert np.array_equal(result.to_numpy(dtype="float64", na_value=-1)[~masked], counts[~masked])
    for lines in (masked, masked.T):
        if lines.shape[1] >= 2:
            assert not (lines.sum(axis=1) == 1).any()


# ---------------------------------------------------------------- identifiers the guard missed


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("Jane Doe", "privacy:name"),
        ("SMITH, John", "privacy:name"),
        ("Rash (Jane Doe)", "privacy:name"),
        ("Dr Smith", "privacy:name"),
        ("jöhn@exämple.de", "privacy:email"),
        ("+44 20–7946–0958", "privacy:phone"),
        ("18-06-99", "privacy:date"),
        ("18 juin 2024", "privacy:date"),
        ("18. Juni 2024", "privacy:date"),
        ("18 de junio de 2024", "privacy:date"),
    ],
)
def test_the_identifiers_the_guard_used_to_miss_are_found(value, rule):
    report = scan_identifiers("adverse_events", pd.DataFrame({"term": ["cheilitis", value]}))
    assert report["rule"].tolist() == [rule]
    assert value not in report["value"].iloc[0]


@pytest.mark.parametrize(
    ("name", "kind"),
    [("patientname", "person's name"), ("dateofbirth", "date of birth"),
     ("PatientFirstName", "person's name"), ("emailaddress", "e-mail address")],
)  # fmt: skip
def test_identifier_column_names_run_together_are_refused(name, kind):
    assert identifier_kind(name) == kind


@pytest.mark.parametrize(
    "value",
    ["dry eyes", "SITE01", "Sarecycline 1.5 mg/kg", "Vehicle", "Nail Dystrophy", "ORAL CANDIDIASIS",
     "Royal London Hospital", "Stevens-Johnson Syndrome", "Bell's palsy", "lost_to_follow_up"],
)  # fmt: skip
def test_legitimate_values_are_not_names(value):
    assert not looks_like_name(value)


def test_a_header_that_is_data_is_refused_masked():
    report = scan_identifiers("labs", pd.DataFrame(columns=["jane.doe@example.org", "value"]))
    assert report["rule"].tolist() == ["privacy:column-name"]
    assert report["column"].tolist() == ["j***.***@*******.***"]


def test_redact_problems_masks_values_columns_and_messages_of_every_rule():
    problems = pd.DataFrame(
        {
            "table": ["subjects", "subjects", "visits"],
            "row": pd.array([2, 3, pd.NA], dtype="Int64"),
            "column": ["sex", "age", "Jane Doe"],
            "value": ["Jane Doe", "jane@example.org", pd.NA],
            "rule": ["enum", "type", "extra-column"],
            "message": ["must be one of: female, male", "must be a whole number",
                        "column 'Jane Doe' is not in the standard"],
        }
    )  # fmt: skip
    redacted = redact_problems(problems)
    shown = redacted.to_string()
    assert "Jane Doe" not in shown and "jane@example.org" not in shown
    assert redacted["message"].iloc[0] == "must be one of: female, male"
    assert redact_text("visit schedule (0, 1, 3) for 12 subjects") == (
        "visit schedule (0, 1, 3) for 12 subjects"
    )


def test_the_small_cell_policy_is_one_object():
    policy = small_cell_policy()
    assert policy == SmallCellPolicy(k=SMALL_CELL_K) and policy.k == 5
    assert policy.is_small([0, 1, 4, 5]).tolist() == [False, True, True, False]
    assert SmallCellPolicy(zero_is_small=True).is_small(0)
    counts = pd.DataFrame({"a": [2, 30], "b": [10, 40]})
    assert policy.suppress(counts).isna().sum().sum() == 4
    assert SmallCellPolicy(complementary=False).suppress(counts).isna().sum().sum() == 1
    text = "pregnancy in one subject; 3/40 responders; n = 2; 12 subjects at month 3"
    assert policy.redact_text(text) == (
        "pregnancy in fewer than 5 subject; <5/40 responders; n < 5; 12 subjects at month 3"
    )
    assert policy.redact({"a": ["2 events"], "b": 3}) == {"a": ["fewer than 5 events"], "b": 3}
    with pytest.raises(ValueError, match="at least 1"):
        SmallCellPolicy(k=0)


def test_value_rules_match_as_pythons_re_on_any_text():
    """The scan hands ASCII text to RE2 and other text to Python's re (issue 16's speed work);
    every rule must flag exactly what Python's re.search flags, on ASCII and non-ASCII text,
    with and without newlines (where RE2's \\d and $ differ from Python's)."""
    import re

    from acne_outcomes.privacy import _VALUE_RULES, _contains

    texts = pd.Series([
        "2024-06-18", "+10 00 00\u0660 0000", "call 0612345678\n", "jan 3, 2024\n",
        "a@b.example", "18 juin 2024", "\u0661\u0662/\u0660\u0663/2024", "S-001", "ok",
        "line one\nline two 2024-01-02", "Müller 1999-12-31",
    ])  # fmt: skip
    for rule, _, pattern in _VALUE_RULES:
        for subset in (texts, texts[texts.map(str.isascii)], texts[~texts.map(str.isascii)]):
            wanted = [re.search(pattern, text) is not None for text in subset]
            assert _contains(subset, pattern).tolist() == wanted, (rule, list(subset))
