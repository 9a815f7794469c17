"""Presentation tables: content against the data, labels from the data dictionary, small-cell
suppression in public mode, and files (CSV, HTML, LaTeX, RTF) that are escaped and deterministic."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
import pytest

from acne_outcomes.design import Arm, Design
from acne_outcomes.simulate import simulate_study
from acne_outcomes.stats import safety, survival
from acne_outcomes.stats.binary import binary_comparison
from acne_outcomes.stats.ordinal import ordinal_model
from acne_outcomes.stats.tidy import estimate_frame
from acne_outcomes.tables import (
    SUPPRESSED,
    adverse_event_table,
    ae_overview_table,
    alignments,
    count_table,
    endpoint_table,
    lab_abnormality_table,
    lab_shift_display,
    latex_escape,
    notes_of,
    outcome_label,
    table_one,
    term_label,
    time_to_event_table,
    to_html,
    to_latex,
    to_rtf,
    variable_label,
    with_notes,
    write_table,
)

DESIGN = Design(
    arms=(Arm("comparator", "Comparator"), Arm("isotretinoin", "Isotretinoin")),
    visit_unit="months",
    visits=(0, 1, 3, 5),
    primary_visits={"lesions": 5, "scars": 5, "pih": 5},
    outcomes=("inflammatory_lesions", "scar_grade"),
    tables=("subjects", "visits"),
)


def _subjects(n=40, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "subject_id": [f"S{i:03d}" for i in range(n)],
            "arm": np.repeat(["comparator", "isotretinoin"], n // 2),
            "age": rng.integers(14, 40, n),
            "weight_kg": rng.normal(68, 10, n).round(1),
            "sex": np.where(np.arange(n) % 7 == 0, "female", "male"),
            "fitzpatrick": pd.Categorical(
                rng.choice(["I", "II", "III", "IV", "V", "VI"], n),
                categories=["I", "II", "III", "IV", "V", "VI"],
                ordered=True,
            ),
            "baseline_iga": rng.integers(3, 5, n),
        }
    )


def _visits(subjects, seed=2):
    rng = np.random.default_rng(seed)
    rows = subjects[["subject_id"]].merge(pd.DataFrame({"month": [0, 1, 3, 5]}), how="cross")
    rows["inflammatory_lesions"] = pd.array(rng.poisson(30, len(rows)), dtype="Int64")
    missing = (rows["subject_id"] == "S001") & (rows["month"] == 0)  # one baseline missing
    rows.loc[missing, "inflammatory_lesions"] = pd.NA
    rows["scar_grade"] = rng.integers(0, 5, len(rows))
    return rows


# ---------------------------------------------------------------------- labels


def test_labels_come_from_the_data_dictionary():
    assert outcome_label("inflammatory_lesions") == "Inflammatory lesions"
    assert outcome_label("baseline_iga") == "IGA at baseline"
    assert outcome_label("responder_75") == "Responders (≥ 75% reduction from baseline)"
    assert variable_label("weight_kg") == "Weight (kg)"
    assert variable_label("ecca_score") == "ECCA score (points, 0–540)"
    assert term_label("dry_eyes") == "Dry eyes"


# ---------------------------------------------------------------------- Table 1


def test_table_one_counts_headers_order_and_public_suppression():
    subjects = _subjects()
    table = table_one(subjects)
    assert list(table.columns) == [
        "Characteristic",
        "Category",
        "comparator (N=20)",
        "isotretinoin (N=20)",
        "Overall (N=40)",
    ]  # the arms first, overall last, each with its N
    females = int((subjects["sex"] == "female").sum())
    row = table[(table["Characteristic"] == "Sex, n (%)") & (table["Category"] == "Female")]
    assert row["Overall (N=40)"].iloc[0].startswith(f"{females} (")
    assert "Age (years), mean (SD)" in set(table["Characteristic"])
    iga = table.loc[table["Characteristic"] == "IGA at baseline, n (%)", "Category"].tolist()
    assert iga == ["3: moderate", "4: severe"]  # the category labels of the standard
    assert notes_of(table)[0].startswith("Values are mean (SD)")
    public = table_one(subjects, public=True)
    sex = public[public["Characteristic"] == "Sex, n (%)"]
    # few females per arm: masked, and the male cell beside it too (else n - males reveals it)
    assert (sex[["comparator (N=20)", "isotretinoin (N=20)"]] == SUPPRESSED).all().all()
    assert any("suppressed" in note for note in notes_of(public))


def test_table_one_holds_the_disease_at_baseline_from_the_visits():
    subjects = _subjects()
    visits = _visits(subjects)
    table = table_one(subjects, visits, design=DESIGN)
    assert "Comparator (N=20)" in table.columns and "Isotretinoin (N=20)" in table.columns
    lesions = table[table["Characteristic"] == "Inflammatory lesions (count), median [Q1, Q3]"]
    assert len(lesions) == 1
    baseline = visits[visits["month"] == 0].merge(subjects[["subject_id", "arm"]])
    for arm, name in (("comparator", "Comparator (N=20)"), ("isotretinoin", "Isotretinoin (N=20)")):
        values = baseline.loc[baseline["arm"] == arm, "inflammatory_lesions"].dropna().astype(float)
        median, q1, q3 = values.median(), values.quantile(0.25), values.quantile(0.75)
        assert lesions[name].iloc[0] == f"{median:.0f} [{q1:.0f}, {q3:.0f}]"
    grades = table.loc[table["Characteristic"] == "Scar grade (Goodman & Baron), n (%)", "Category"]
    assert grades.iloc[0] == "0: no scars"
    assert "Missing: Inflammatory lesions 1." in notes_of(table)
    with pytest.raises(ValueError, match="design"):
        table_one(subjects, visits)


def test_table_one_names_missing_columns():
    with pytest.raises(ValueError, match="fitzpatrick"):
        table_one(_subjects().drop(columns="fitzpatrick"))


# ---------------------------------------------------------------------- endpoints


def _mmrm_like():
    rows = []
    for visit in (1, 3, 5):
        rows += [
            {"outcome": "pih_index", "contrast": arm, "visit": visit, "estimate": 2.0,
             "ci_low": 1.5, "ci_high": 2.5, "ci_level": 0.95, "n": 20, "method": "MMRM",
             "scale": "mean"}
            for arm in ("Comparator", "Isotretinoin")
        ]  # fmt: skip
        rows.append(
            {"outcome": "pih_index", "contrast": "Isotretinoin - Comparator", "visit": visit,
             "estimate": -0.2, "ci_low": -0.6, "ci_high": 0.2, "ci_level": 0.95, "p_value": 0.3,
             "n": 40, "method": "MMRM", "scale": "mean difference"}
        )  # fmt: skip
    return estimate_frame(rows)


def test_endpoint_table_marks_the_primary_visit_and_states_the_method_once():
    table = endpoint_table(_mmrm_like(), design=DESIGN, family="pih")
    assert table.columns.tolist() == [
        "Outcome", "Visit", "Comparison", "Measure", "Estimate (95% CI)", "p", "n",
    ]  # fmt: skip
    assert set(table["Outcome"]) == {"PIH index"}
    assert table["Visit"].unique().tolist() == [
        "Month 1 (secondary)", "Month 3 (secondary)", "Month 5 (primary)",
    ]  # fmt: skip
    assert (table.loc[table["Measure"] == "Mean", "p"] == "").all()
    assert (table.loc[table["Measure"] == "Mean difference", "p"] == "0.300").all()
    notes = notes_of(table)
    assert notes[0] == "Method: MMRM."
    assert any("primary visit is month 5" in note for note in notes)


def _responders():
    rng = np.random.default_rng(3)
    data = pd.DataFrame({"arm": np.repeat(["comparator", "isotretinoin"], 60)})
    data["responder_50"] = rng.random(120) < np.where(data["arm"] == "isotretinoin", 0.8, 0.5)
    return binary_comparison(data, outcome="responder_50", arm="arm")


def test_endpoint_table_one_p_value_per_comparison_and_an_nnt_with_one_decimal():
    estimates = _responders().estimates
    table = endpoint_table(estimates, design=DESIGN, family="lesions", visit=5)
    assert set(table["Visit"]) == {"Month 5 (primary)"}  # no "all": the visit is given
    comparisons = table[table["Measure"] != "Proportion"]
    assert comparisons["Measure"].tolist() == [
        "Risk difference", "Number needed to treat", "Risk ratio", "Odds ratio",
    ]  # fmt: skip
    assert (comparisons["p"] != "").sum() == 1 and comparisons["p"].iloc[0] != ""
    nnt = comparisons.loc[comparisons["Measure"] == "Number needed to treat"].iloc[0, 4]
    assert re.fullmatch(r"NNT[BH] \d+\.\d \(.*\)", nnt) and "95% CI" not in nnt
    assert any("One p-value per comparison" in note for note in notes_of(table))


def test_endpoint_table_leaves_the_cut_points_of_an_ordinal_model_out():
    rng = np.random.default_rng(5)
    data = pd.DataFrame({"arm": np.repeat(["comparator", "isotretinoin"], 80)})
    data["grade"] = pd.Categorical(rng.integers(0, 4, 160), categories=[0, 1, 2, 3], ordered=True)
    fit = ordinal_model(data, outcome="grade", arm="arm")
    table = endpoint_table(fit.estimates, visit=12)
    assert table["Measure"].tolist() == ["Odds ratio"]
    assert any("cut-points" in note for note in notes_of(table))


def test_endpoint_table_requires_tidy_columns():
    with pytest.raises(ValueError, match="ci_low"):
        endpoint_table(pd.DataFrame({"outcome": ["x"]}))


def test_time_to_event_table_against_the_summary():
    rng = np.random.default_rng(2)
    data = pd.DataFrame({"arm": np.repeat(["comparator", "isotretinoin"], 50)})
    data["day"] = np.ceil(rng.exponential(np.where(data["arm"] == "isotretinoin", 100, 300)))
    data["cleared"] = data["day"] < 250
    data["day"] = np.minimum(data["day"], 250)
    summary = survival.time_to_event_summary(data, time="day", event="cleared", arm="arm")
    table = time_to_event_table(summary.estimates, event="clearance")
    events = data.groupby("arm")["cleared"].sum()
    assert table.columns.tolist() == ["", "comparator (N=50)", "isotretinoin (N=50)"]
    assert table.iloc[0, 1] == f"{events['comparator']} ({2 * events['comparator']:.1f})"
    ratio = summary.estimates[summary.estimates["scale"] == "hazard ratio"].iloc[0]
    assert table.iloc[2, 2].startswith(f"{ratio['estimate']:.2f} (")
    assert table.iloc[2, 0] == "Hazard ratio vs comparator (95% CI)"
    assert "chi" not in " ".join(table.astype(str).to_numpy().ravel()).lower()


# ---------------------------------------------------------------------- safety


def test_adverse_event_table_by_frequency_in_words_and_suppressed_in_public():
    counts = pd.DataFrame(
        {
            "term": ["any adverse event"] * 2 + ["dry_eyes"] * 2 + ["headache"] * 2,
            "arm": ["comparator", "isotretinoin"] * 3,
            "n_subjects": [100, 100] * 3,
            "n_with_event": [40, 90, 2, 85, 3, 30],
            "percent": [40.0, 90.0, 2.0, 85.0, 3.0, 30.0],
        }
    )
    table = adverse_event_table(counts)
    assert table.columns.tolist() == [
        "Adverse event", "comparator (N=100)", "isotretinoin (N=100)",
    ]  # fmt: skip
    assert table["Adverse event"].tolist() == ["Any adverse event", "Dry eyes", "Headache"]
    assert table.iloc[2].tolist() == ["Headache", "3 (3.0)", "30 (30.0)"]
    public = adverse_event_table(counts, public=True)
    assert public.iloc[1, 1] == SUPPRESSED and public.iloc[0, 1] == "40 (40.0)"
    assert (public == SUPPRESSED).sum().sum() >= 2  # complementary suppression adds a cell


@pytest.fixture(scope="module")
def rct():
    return simulate_study("rct", n_subjects=200, seed=4)


def test_ae_overview_table_shows_every_row_with_its_denominator(rct):
    overview = safety.ae_overview(
        rct.adverse_events, rct.subjects, rct.labs, subject="subject_id", arm="arm"
    ).estimates
    table = ae_overview_table(overview)
    assert table.iloc[:, 0].tolist() == [
        "Any adverse event",
        "Serious adverse event",
        "Adverse event of grade ≥ 3",
        "Adverse event leading to discontinuation",
        "Positive pregnancy test",
    ]
    tested = overview[overview["category"] == "positive pregnancy test"].set_index("arm")
    for column in table.columns[1:]:
        arm = column.split(" (N=")[0]
        row = tested.loc[arm]
        assert table[column].iloc[4].startswith(f"{row['n_with_event']}/{row['n_subjects']}")


def test_lab_tables_have_denominators_and_no_qualitative_test(rct):
    labs = rct.labs.merge(rct.subjects[["subject_id", "arm"]], on="subject_id")
    keys = dict(subject="subject_id", visit="month", test="test", value="value",
                upper_limit="upper_limit_normal", arm="arm")  # fmt: skip
    shifts = lab_shift_display(safety.lab_shift_table(labs, **keys).estimates)
    assert "Pregnancy test" not in set(shifts["Test"])
    assert shifts.columns.tolist()[:4] == ["Test", "Arm", "Baseline", "N"]
    for row in shifts.to_dict("records"):
        counts = [int(cell.split(" ")[0]) for cell in list(row.values())[4:]]
        assert sum(counts) == int(row["N"])
    abnormal = lab_abnormality_table(safety.lab_abnormalities(labs, **keys).estimates)
    assert all(re.fullmatch(r"\d+/\d+( \(\d+\.\d\))?", cell) for cell in abnormal.iloc[:, 2])


def test_count_table_public():
    shifts = pd.DataFrame(
        {
            "baseline": ["normal", "high", "very high"],
            "normal": [80, 3, 20],
            "high": [12, 40, 30],
            "very high": [9, 7, 60],
        }
    )
    public = count_table(shifts, public=True)
    assert public.loc[1, "normal"] == SUPPRESSED
    # complementary: the smallest other cells in that row and column
    assert public.loc[1, "very high"] == SUPPRESSED and public.loc[2, "normal"] == SUPPRESSED
    assert public.loc[0, "normal"] == "80" and public.loc[2, "very high"] == "60"
    assert count_table(shifts).loc[1, "normal"] == "3"


# ---------------------------------------------------------------------- files

TRICKY = pd.DataFrame(
    {
        "term & group": ["dry_eyes", "50% & more", "#1 {x} ~ ^ \\ $", "≥ 3 × ULN, <0.001"],
        "n (%)": ["3 (2.0)", "1 (0.5)", "-0.50 (−0.9 to −0.1)", "Trifarotene 50 µg/g, é"],
    }
)


def test_latex_keeps_separators_and_escapes_every_cell():
    latex = to_latex(with_notes(TRICKY.copy(), ["Note & more: 5%."]))
    body = latex.split("\\midrule\n", 1)[1].split("\\bottomrule", 1)[0]
    for line in body.strip().splitlines():
        assert len(re.findall(r"(?<!\\)&", line)) == 1  # one separator, every & in text escaped
        assert line.endswith(" \\\\")
    assert "dry\\_eyes" in latex and "50\\% \\& more" in latex
    assert "\\ensuremath{\\geq}" in latex and "\\textless{}0.001" in latex
    assert "\\textbackslash{}" in latex and "\\{x\\}" in latex
    assert "Note \\& more: 5\\%.\\par" in latex
    assert latex_escape("日本") == "??"


def test_html_and_rtf_escape_align_and_hold_the_notes():
    frame = with_notes(TRICKY.copy(), ["A <b>note</b>."])
    page = to_html(frame)
    assert "&lt;0.001" in page and "<b>" not in page and "A &lt;b&gt;note&lt;/b&gt;." in page
    assert alignments(pd.DataFrame({"a": ["x", "y"], "b": ["1 (2.0)", "3"]})) == ["l", "r"]
    rtf = to_rtf(frame)
    assert rtf.startswith("{\\rtf1\\ansi") and rtf.rstrip().endswith("}")
    assert rtf.count("{") - rtf.count("\\{") == rtf.count("}") - rtf.count("\\}")  # balanced
    assert rtf.count("\\row") == len(frame) + 1
    assert "\\u8805?" in rtf and "\\{x\\}" in rtf and "\\\\" in rtf  # ≥, braces, backslash
    rtf.encode("ascii")  # every other character escaped


def test_write_table_is_deterministic_in_four_formats(tmp_path):
    frame = with_notes(TRICKY.copy(), ["A note."])
    first = write_table(frame, "ae", tmp_path / "a")
    second = write_table(frame, "ae", tmp_path / "b")
    assert [path.suffix for path in first] == [".csv", ".html", ".tex", ".rtf"]
    digest = [hashlib.sha256(path.read_bytes()).hexdigest() for path in first]
    assert digest == [hashlib.sha256(path.read_bytes()).hexdigest() for path in second]
    assert pd.read_csv(first[0]).equals(frame)
    for path in first[1:]:
        assert "A note." in path.read_text()
    with pytest.raises(ValueError, match="letters"):
        write_table(frame, "../escape", tmp_path)


def test_a_public_endpoint_table_hides_proportions_that_reveal_a_small_count():
    """2 responders of 17 is a small count: its proportion, and the comparisons that would give
    it back, are suppressed in public mode; a threshold with no small count is shown."""
    from acne_outcomes.stats.tidy import estimate_frame

    def rows(outcome, low, high):
        common = {"outcome": outcome, "visit": 12, "ci_level": 0.95, "ci_low": 0.0, "ci_high": 1.0}
        return [
            {**common, "contrast": "vehicle", "scale": "proportion", "estimate": low, "n": 17},
            {**common, "contrast": "active", "scale": "proportion", "estimate": high, "n": 17},
            {**common, "contrast": "active - vehicle", "scale": "risk difference",
             "estimate": high - low, "p_value": 0.001, "n": 34},
        ]  # fmt: skip

    frame = estimate_frame(
        rows("responder_75", 2 / 17, 1.0) + rows("responder_50", 8 / 17, 11 / 17)
    )
    from acne_outcomes import tables

    shown = tables.endpoint_table(frame, public=True)
    hidden = shown["Outcome"].str.contains("75")
    assert (shown.loc[hidden, "Estimate (95% CI)"] == "*").all()
    assert (shown.loc[hidden, "p"] == "*").all()
    assert not shown.loc[~hidden, "Estimate (95% CI)"].str.contains(r"\*").any()
    assert any("suppressed" in note for note in tables.notes_of(shown))
    private = tables.endpoint_table(frame)
    assert private.loc[hidden, "Estimate (95% CI)"].iloc[0].startswith("0.12")
