"""What a reader of the built report sees in sentences, footnotes and messages: arms by their
display names, columns by their labels, one footnote per method, numbers and words that agree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from acne_outcomes import narrative, tables
from acne_outcomes.design import Arm, Design
from acne_outcomes.stats.missing import tipping_point

DESIGN = Design(
    arms=(Arm("VEH", "Vehicle"), Arm("SAR", "Sarecycline 1.5 mg/kg")),
    visit_unit="months",
    visits=(0, 1, 3),
    primary_visits={"pih": 3},
    outcomes=("pih_index",),
    tables=(),
)


@pytest.fixture(scope="module")
def scan():
    """A null effect with missing endpoints, scanned far enough that both directions tip."""
    rng = np.random.default_rng(3)
    n = 120
    arm = np.where(np.arange(n) % 2 == 1, "SAR", "VEH")
    baseline = rng.normal(6, 1, n)
    rows = []
    for month in (1, 3):
        y = baseline - 0.3 * month + rng.normal(0, 1, n)
        rows.append(
            pd.DataFrame(
                {"id": np.arange(n), "month": month, "arm": arm, "baseline": baseline, "y": y}
            )
        )
    data = pd.concat(rows, ignore_index=True)
    data.loc[(data["month"] == 3) & (data["id"] % 4 == 1), "y"] = np.nan
    deltas = np.linspace(-6, 6, 13)
    return tipping_point(
        data,
        outcome="y",
        subject="id",
        visit="month",
        arm="arm",
        baseline="baseline",
        endpoint=3,
        reference="VEH",
        deltas=deltas,
        m=5,
        seed=1,
    )


def test_tipping_point_sentence_names_the_arm_and_every_shift_that_changes_the_conclusion(scan):
    sentence = narrative.describe_tipping_point(scan, DESIGN)
    assert "Sarecycline 1.5 mg/kg arm" in sentence
    assert "SAR " not in sentence and "SAR arm" not in sentence
    assert sentence.startswith("Under MAR (multiple imputation, m = 5) the difference is ")
    # the null effect is not significant at 0; both a low and a high shift make it significant
    assert not scan.significant[scan.deltas == 0][0]
    assert (
        " lower than the MAR prediction" in sentence
        and " higher (a significant difference" in sentence
    )
    assert "-1 points" not in sentence and "by -" not in sentence
    for delta, estimate in zip(scan.deltas, scan.estimates["estimate"], strict=True):
        if delta in (
            scan.deltas[scan.significant & (scan.deltas < 0)].max(),
            scan.deltas[scan.significant & (scan.deltas > 0)].min(),
        ):
            assert f"of {estimate:.2f}, 95% CI" in sentence


def test_tipping_point_table_names_the_arm_once_in_one_footnote(scan):
    table = tables.tipping_point_table(scan, design=DESIGN, family="pih")
    notes = tables.notes_of(table)
    methods = [note for note in notes if "imputation" in note]
    assert len(methods) == 1 and "Sarecycline 1.5 mg/kg arm" in methods[0]
    assert not any("SAR" in note for note in notes)
    assert list(table["Comparison"])[:2] == ["Shift -6.0", "Shift -5.0"]


def test_p_values_are_written_one_way():
    row = {"estimate": -0.2, "ci_low": -0.6, "ci_high": 0.2, "p_value": 0.2871, "ci_level": 0.95}
    assert narrative.describe_estimate(row).endswith("; p = 0.287)")
    assert narrative.describe_estimate({**row, "p_value": 0.0001}).endswith("; p < 0.001)")


# ---- columns by their labels ---------------------------------------------------------------


def test_not_collected_outcome_is_named_by_its_label():
    from acne_outcomes.checks import NotEstimable

    for outcome in ("scar_grade", "ecca_score"):
        with pytest.raises(NotEstimable) as raised:
            DESIGN.require_outcome(outcome)
        message = str(raised.value)
        assert outcome not in message and message.endswith("was not collected in this study")
    with pytest.raises(NotEstimable, match=r"^ECCA score"):
        DESIGN.require_outcome("ecca_score")


def test_ordinal_method_footnote_names_the_baseline_in_words():
    from acne_outcomes.stats.ordinal import ordinal_model

    rng = np.random.default_rng(0)
    n = 80
    data = pd.DataFrame(
        {
            "arm": np.where(np.arange(n) % 2 == 1, "SAR", "VEH"),
            "baseline_grade": rng.integers(0, 3, n),
            "scar_grade": rng.integers(0, 3, n),
        }
    )
    fit = ordinal_model(data, outcome="scar_grade", arm="arm", baseline="baseline_grade")
    notes = " ".join(tables.notes_of(tables.endpoint_table(fit.estimates)))
    assert "adjusted for baseline grade" in notes and "baseline_grade" not in notes


def test_no_event_message_names_no_column():
    from acne_outcomes.checks import NotEstimable
    from acne_outcomes.stats.survival import kaplan_meier

    times = pd.DataFrame({"time": [10.0, 20.0, 30.0], "event": [0, 0, 0], "arm": "SAR"})
    with pytest.raises(NotEstimable) as raised:
        kaplan_meier(times, time="time", event="event", arm="arm")
    assert "(event)" not in str(raised.value)
    assert str(raised.value).startswith("none of the 3 subjects had the event:")


def test_only_pages_that_compare_with_the_truth_say_so():
    import json
    from pathlib import Path
    from types import SimpleNamespace

    synthetic = SimpleNamespace(n_subjects=5, metadata={"scenario": "s", "seed": 1}, truth={})
    assert "compared with the truth" not in narrative.describe_source(synthetic)
    assert "compared with the truth" in narrative.describe_source(synthetic, truth_compared=True)
    notebooks = sorted((Path(__file__).parents[1] / "notebooks").glob("0*.ipynb"))
    assert notebooks
    for path in notebooks:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
        compares = "true_value(" in code or "study.truth" in code
        assert ("truth_compared=True" in code) == compares, path.name


def test_median_not_reached_is_explained_by_the_curve_not_the_share_with_the_event():
    summary = pd.DataFrame(
        {
            "contrast": ["a", "b", "a", "b"],
            "scale": ["median time", "median time", "events", "events"],
            "estimate": [np.nan, 371.0, 10, 14],
            "ci_low": [np.nan, 366.0, np.nan, np.nan],
            "ci_high": [np.nan, np.nan, np.nan, np.nan],
            "n": [40, 39, 40, 39],
        }
    )
    notes = " ".join(tables.notes_of(tables.time_to_event_table(summary, event="clearance")))
    assert "fewer than half had the event" not in notes
    assert "not reached: the Kaplan–Meier curve" in notes and "does not fall to 0.5" in notes


def test_a_method_with_a_correction_for_some_rows_is_one_footnote():
    from acne_outcomes.stats import binary
    from acne_outcomes.stats.tidy import concat_results

    rng = np.random.default_rng(0)
    data = pd.DataFrame(
        {
            "arm": np.repeat(["VEH", "SAR"], 30),
            "responder_50": rng.integers(0, 2, 60),
            "responder_90": np.r_[np.zeros(30), rng.integers(0, 2, 30)],
        }
    )
    with pytest.warns(RuntimeWarning, match="zero cell"):
        rows = [binary.binary_comparison(data, outcome=o, arm="arm", reference="VEH")
                for o in ("responder_50", "responder_90")]  # fmt: skip
    notes = tables.notes_of(tables.endpoint_table(concat_results(rows).estimates))
    risk_ratio = [note for note in notes if note.startswith("Risk ratio")]
    assert risk_ratio == [
        "Risk ratio: Katz log interval (+0.5 per cell for "
        "Responders (≥ 90% reduction from baseline))."
    ]
    assert len(notes) == len(set(notes))


# ---- notes and figures on the page ----------------------------------------------------------


@pytest.fixture
def shown(monkeypatch):
    """What a NotebookOutputs displays: (object, metadata) pairs."""
    from acne_outcomes import runtime

    calls = []
    monkeypatch.setattr(
        runtime, "display", lambda obj, **kw: calls.append((obj, kw.get("metadata")))
    )
    return calls


def test_a_warning_that_repeats_a_sentence_already_said_is_not_a_second_note(shown):
    import warnings

    from acne_outcomes.runtime import NotebookOutputs

    out = NotebookOutputs(None, "03-x")
    reason = "the binary logit of cut 0|1 is quasi-separated"
    with out.section("Scar grade"):
        warnings.warn(f"Brant test not computed: {reason}", RuntimeWarning, stacklevel=1)
        out.say(f"The Brant test of proportional odds cannot be computed here: {reason}.")
    with out.section("Other"):
        warnings.warn("the fit did not converge", RuntimeWarning, stacklevel=1)
    texts = [getattr(obj, "data", str(obj)) for obj, _ in shown]
    assert sum(reason in text for text in texts) == 1
    assert any(text.startswith("**Note:** the fit did not converge") for text in texts)


def test_each_figure_on_the_page_has_its_title_as_alternative_text(shown, tmp_path):
    import matplotlib.pyplot as plt

    from acne_outcomes.runtime import NotebookOutputs

    out = NotebookOutputs(tmp_path, "02-x")
    fig, ax = plt.subplots()
    ax.set_title("Time to clearance")
    out.figure(fig, "clearance")
    assert shown[-1][1]["image/png"] == {"alt": "Time to clearance"}
    fig, _ = plt.subplots()
    out.figure(fig, "scar-grade")
    assert shown[-1][1]["image/png"] == {"alt": "scar grade"}


def test_a_notebook_saves_the_figure_formats_it_is_given(shown, tmp_path):
    import matplotlib.pyplot as plt

    from acne_outcomes.runtime import NotebookOutputs

    NotebookOutputs(tmp_path, "02-x").figure(plt.subplots()[0], "all")
    NotebookOutputs(tmp_path, "02-x", ["png"]).figure(plt.subplots()[0], "draft")
    NotebookOutputs(tmp_path, "02-x", ("svg", "pdf")).figure(plt.subplots()[0], "vector")
    saved = sorted(path.name for path in (tmp_path / "figures" / "02-x").iterdir())
    assert saved == ["all.pdf", "all.png", "all.svg", "draft.png", "vector.pdf", "vector.svg"]
    for formats, named in ((["gif"], "'gif'"), ([], "none given"), (["png", "jpg"], "'jpg'")):
        with pytest.raises(ValueError, match=f"figure format {named} not allowed; allowed: png"):
            NotebookOutputs(tmp_path, "02-x", formats)


def test_the_index_shows_a_figure_with_the_alternative_text_of_its_page(shown, tmp_path):
    import base64

    import matplotlib.pyplot as plt
    import nbformat

    from acne_outcomes import report
    from acne_outcomes.runtime import NotebookOutputs

    fig, ax = plt.subplots()
    ax.set_title("Adverse events: incidence and risk difference, B vs A")
    NotebookOutputs(None, "05-x").figure(fig, "adverse-events")
    _, metadata = shown[-1]
    png = base64.b64encode(bytes.fromhex("89504e470d0a1a0a")).decode()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"image/png": png}, metadata=metadata)
    ]
    path = tmp_path / "05-x.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    assert report._figure_alts(path) == {
        "adverse-events": "Adverse events: incidence and risk difference, B vs A"
    }


def test_the_page_renders_the_alternative_text_of_a_figure(tmp_path):
    import base64

    import nbformat

    from acne_outcomes import report

    png = base64.b64encode(bytes.fromhex("89504e470d0a1a0a")).decode()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"image/png": png, "text/plain": "<Figure>"},
            metadata={"image/png": {"alt": "Adverse events: A & B"}},
        )
    ]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    report._to_html(notebook, tmp_path / "page.html", "page")
    page = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert 'alt="Adverse events: A &amp; B"' in page
    assert "No description has been provided" not in page


# ---- a single arm ----------------------------------------------------------------------------


def test_single_arm_responders_are_proportions_within_the_arm_with_their_interval():
    from acne_outcomes.stats import binary

    data = pd.DataFrame({"arm": "SAR", "responder_50": [1, 1, 0, 1, 0, 1, 1, 1, 0, 1]})
    fit = binary.within_arm_proportions(data, outcome="responder_50", arm="arm")
    table = tables.endpoint_table(DESIGN.named_contrasts(fit.estimates), design=DESIGN)
    assert table[["Comparison", "Measure", "Estimate (95% CI)", "n"]].values.tolist() == [
        ["Sarecycline 1.5 mg/kg", "Proportion", "0.70 (0.40 to 0.89)", "10"]
    ]
    assert tables.notes_of(table)[0] == "Method: Wilson score interval."


def test_single_arm_grades_are_a_distribution_at_baseline_and_the_primary_visit():
    from acne_outcomes.stats.descriptive import proportions

    frame = pd.DataFrame(
        {
            "arm": "Sarecycline 1.5 mg/kg",
            "month": [0] * 4 + [3] * 4,
            "scar_grade": [1, 2, 2, 3, 0, 1, 1, 2],
        }
    )
    shares = proportions(frame, value="scar_grade", by=["arm", "month"])
    table = tables.grade_distribution_table(
        shares, outcome="scar_grade", visit="month", design=DESIGN
    )
    assert list(table.columns) == [
        "Scar grade (Goodman & Baron)",
        "Sarecycline 1.5 mg/kg, baseline",
        "Sarecycline 1.5 mg/kg, month 3",
    ]
    assert table.iloc[2].tolist()[1:] == ["2 (50.0)", "1 (25.0)"]


def test_messages_list_values_in_words_not_as_python_lists():
    from acne_outcomes.design import DesignError

    with pytest.raises(DesignError) as raised:
        Design.from_dict({"primaryVisits": {"lesion": 5}})
    message = str(raised.value)
    assert "['" not in message and "'lesion'" in message
    assert "unknown family 'lesion'" in message


def test_an_arm_no_subject_has_is_named_in_words():
    from acne_outcomes.validate import _check_design_arms

    design = Design(arms=(Arm("VEH", "Vehicle"), Arm("SAR", "Sarecycline 1.5 mg/kg")))
    subjects = pd.DataFrame({"subject_id": ["s1", "s2"], "arm": ["SAR", "SAR"]})
    problems = _check_design_arms(design, subjects, np.arange(1, 3))
    messages = " ".join(problems["message"].astype(str))
    assert "the design lists an arm 'VEH' that no subject has; remove it" in messages
    assert "['VEH']" not in messages


def test_the_comparison_with_the_truth_names_the_arms(monkeypatch):
    monkeypatch.setattr(narrative, "_true_value", lambda truth, row: -0.1)
    row = {"outcome": "pih_index", "visit": 3.0, "contrast": "SAR - VEH", "scale": "mean difference",
           "estimate": -0.2, "ci_low": -0.5, "ci_high": 0.1, "p_value": 0.2, "ci_level": 0.95}  # fmt: skip
    text = narrative.compare_with_truth(pd.DataFrame([row]), {"x": 1}, visit=3.0, design=DESIGN)
    assert text.startswith("Sarecycline 1.5 mg/kg - Vehicle: true value")
