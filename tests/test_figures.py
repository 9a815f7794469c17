"""Figures and house style: artists drawn, arm colours, bad input, deterministic saving."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import FancyArrowPatch
from numpy.testing import assert_allclose

from acne_outcomes import figures, style
from acne_outcomes.figures._common import INK
from acne_outcomes.stats.survival import at_risk, kaplan_meier

ISO, COMP = "isotretinoin", "comparator"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------------------------------------
# small synthetic inputs
# ---------------------------------------------------------------------------------------------


def visit_table() -> pd.DataFrame:
    """Four subjects (two per arm) × months 0, 3, 6; S4 drops out after month 3."""
    rows = []
    spec = {
        "S1": (ISO, "II", [40, 20, 5], [2, 1, 1], [6.0, 4.0, 2.0]),
        "S2": (ISO, "V", [30, None, 3], [1, 1, 0], [8.0, 7.0, 5.0]),
        "S3": (COMP, "II", [35, 30, 25], [2, 2, 2], [5.0, 5.0, 4.0]),
        "S4": (COMP, "V", [45, 40, None], [3, 3, None], [9.0, 8.0, None]),
    }
    for subject, (arm, skin, lesions, scars, pih) in spec.items():
        for month, lesion, scar, index in zip([0, 3, 6], lesions, scars, pih, strict=True):
            if subject == "S4" and month == 6:
                continue
            rows.append(
                {
                    "subject_id": subject,
                    "arm": arm,
                    "fitzpatrick": skin,
                    "month": month,
                    "inflammatory_lesions": lesion,
                    "scar_grade": scar,
                    "pih_index": index,
                }
            )
    frame = pd.DataFrame(rows)
    frame["inflammatory_lesions"] = frame["inflammatory_lesions"].astype("Int64")
    return frame


def mean_estimates() -> pd.DataFrame:
    rows = []
    for arm, values in [(ISO, [40.0, 20.0, 8.0]), (COMP, [41.0, 33.0, 28.0])]:
        for visit, value in zip([0, 3, 6], values, strict=True):
            rows.append(
                {
                    "outcome": "inflammatory_lesions",
                    "contrast": arm,
                    "visit": visit,
                    "estimate": value,
                    "ci_low": value - 3,
                    "ci_high": value + 3,
                    "ci_level": 0.95,
                    "scale": "mean",
                }
            )
    difference = dict(rows[-1], contrast=f"{ISO} - {COMP}", scale="mean difference")
    return pd.DataFrame([*rows, difference])


def forest_estimates(scale: str = "mean difference") -> pd.DataFrame:
    ratio = "ratio" in scale
    return pd.DataFrame(
        {
            "outcome": ["inflammatory_lesions", "comedones", "nodules"],
            "contrast": f"{ISO} - {COMP}",
            "estimate": [0.5, 0.7, 0.9] if ratio else [-10.0, -4.0, 1.0],
            "ci_low": [0.4, 0.5, 0.6] if ratio else [-14.0, -8.0, -1.0],
            "ci_high": [0.6, 0.9, 1.3] if ratio else [-6.0, 0.0, 3.0],
            "ci_level": 0.95,
            "scale": scale,
        }
    )


FLOW = {
    "assessed": (130, "excluded 30"),
    "randomised": 100,
    "allocated": {ISO: 50, COMP: 50},
    "discontinued": {ISO: (5, "adverse event 3\nlost to follow-up 2"), COMP: (8, "other 8")},
    "analysed": {ISO: 50, COMP: 50},
}


def km_curves() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "arm": [ISO] * 3 + [COMP] * 3,
            "time": [2.0, 4.0, 8.0, 3.0, 6.0, 9.0],
            "survival": [0.8, 0.5, 0.2, 0.9, 0.8, 0.7],
            "ci_low": [0.7, 0.4, 0.1, 0.8, 0.7, 0.6],
            "ci_high": [0.9, 0.6, 0.3, 1.0, 0.9, 0.8],
        }
    )


def at_risk_table() -> pd.DataFrame:
    """Numbers at risk as :func:`acne_outcomes.stats.survival.at_risk` gives them."""
    return pd.DataFrame(
        {
            "contrast": [ISO] * 4 + [COMP] * 4,
            "visit": [0.0, 3.0, 6.0, 9.0] * 2,
            "estimate": [50.0, 41.0, 22.0, 0.0, 50.0, 48.0, 44.0, 36.0],
            "scale": "number at risk",
        }
    )


def ae_incidence() -> pd.DataFrame:
    rows = []
    for term, iso, comp in [
        ("cheilitis", 80.0, 10.0),
        ("headache", 12.0, 10.0),
        ("xerosis", 40.0, 5.0),
    ]:
        for arm, percent in [(ISO, iso), (COMP, comp)]:
            rows.append(
                {
                    "term": term,
                    "arm": arm,
                    "percent": percent,
                    "risk_difference": iso - comp,
                    "rd_ci_low": iso - comp - 8,
                    "rd_ci_high": iso - comp + 8,
                }
            )
    return pd.DataFrame(rows)


def lab_table() -> pd.DataFrame:
    rows = []
    for subject, arm, values in [
        ("S1", ISO, [100.0, 160.0]),
        ("S2", ISO, [110.0, 180.0]),
        ("S3", ISO, [90.0, 170.0]),
        ("S4", COMP, [100.0, 105.0]),
        ("S5", COMP, [120.0, 115.0]),
    ]:
        for month, value in zip([0, 3], values, strict=True):
            rows.append(
                {
                    "subject_id": subject,
                    "arm": arm,
                    "month": month,
                    "test": "triglycerides",
                    "value": value,
                    "unit": "mg/dL",
                    "upper_limit_normal": 150.0,
                }
            )
            rows.append(dict(rows[-1], test="alt", value=20.0, unit="U/L", upper_limit_normal=40.0))
    return pd.DataFrame(rows)


def changes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "subject_id": ["S1", "S2", "S3", "S4", "S5"],
            "percent_change": [-88.0, 12.0, -40.0, np.nan, -60.0],
            "arm": [ISO, COMP, COMP, COMP, ISO],
        }
    )


# Every figure function with a valid input (for the shared checks below).
CALLS = {
    "plot_mean_trajectories": lambda **kw: figures.plot_mean_trajectories(mean_estimates(), **kw),
    "plot_spaghetti": lambda **kw: figures.plot_spaghetti(
        visit_table(), outcome="inflammatory_lesions", **kw
    ),
    "plot_waterfall": lambda **kw: figures.plot_waterfall(changes(), **kw),
    "plot_stacked_grades": lambda **kw: figures.plot_stacked_grades(visit_table(), **kw),
    "plot_by_group": lambda **kw: figures.plot_by_group(visit_table(), **kw),
    "plot_forest": lambda **kw: figures.plot_forest(forest_estimates(), **kw),
    "plot_flow": lambda **kw: figures.plot_flow(FLOW, **kw),
    "plot_km": lambda **kw: figures.plot_km(km_curves(), **kw),
    "plot_ae_dots": lambda **kw: figures.plot_ae_dots(ae_incidence(), **kw),
    "plot_labs": lambda **kw: figures.plot_labs(lab_table(), **kw),
    "plot_missing_pattern": lambda **kw: figures.plot_missing_pattern(
        visit_table(), outcome="inflammatory_lesions", **kw
    ),
}


def colour_of(artist) -> tuple:
    return to_rgba(artist.get_color())


def arm_rgba(arm: str) -> tuple:
    """The colour of an arm of these tests (comparator and isotretinoin, sorted)."""
    return to_rgba(style.arm_colours([COMP, ISO])[arm])


def labelled_lines(ax: Axes) -> dict[str, object]:
    return {
        line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")
    }


# ---------------------------------------------------------------------------------------------
# shared behaviour of every figure function
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CALLS))
def test_returns_axes_with_title(name):
    ax = CALLS[name](title="A title")
    assert isinstance(ax, Axes)
    assert ax.get_title() == "A title"


@pytest.mark.parametrize("name", sorted(set(CALLS) - {"plot_ae_dots", "plot_labs"}))
def test_draws_on_the_given_axes_without_a_new_figure(name):
    fig, given = plt.subplots()
    before = plt.get_fignums()
    assert CALLS[name](ax=given) is given
    assert plt.get_fignums() == before


@pytest.mark.parametrize("name", sorted(CALLS))
def test_never_shows_or_saves(name, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("figure functions must not show or save")

    monkeypatch.setattr(plt, "show", refuse)
    monkeypatch.setattr(plt, "savefig", refuse)
    monkeypatch.setattr(Figure, "show", refuse)
    monkeypatch.setattr(Figure, "savefig", refuse)
    assert isinstance(CALLS[name](), Axes)


BAD_INPUT = {
    "plot_mean_trajectories": (figures.plot_mean_trajectories, {}, mean_estimates, "ci_low"),
    "plot_spaghetti": (
        figures.plot_spaghetti,
        {"outcome": "inflammatory_lesions"},
        visit_table,
        "arm",
    ),
    "plot_waterfall": (figures.plot_waterfall, {}, changes, "percent_change"),
    "plot_stacked_grades": (figures.plot_stacked_grades, {}, visit_table, "scar_grade"),
    "plot_by_group": (figures.plot_by_group, {}, visit_table, "fitzpatrick"),
    "plot_forest": (figures.plot_forest, {}, forest_estimates, "scale"),
    "plot_flow": (figures.plot_flow, {}, lambda: figures.flow_frame(FLOW), "n"),
    "plot_km": (figures.plot_km, {}, km_curves, "survival"),
    "plot_ae_dots": (figures.plot_ae_dots, {}, ae_incidence, "rd_ci_high"),
    "plot_labs": (figures.plot_labs, {}, lab_table, "value"),
    "plot_missing_pattern": (
        figures.plot_missing_pattern,
        {"outcome": "inflammatory_lesions"},
        visit_table,
        "month",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUT))
def test_missing_column_names_it_and_the_expected_ones(name):
    function, keywords, make, column = BAD_INPUT[name]
    data = make().drop(columns=[column])
    with pytest.raises(ValueError, match=rf"missing column\(s\) \['{column}'\]; expected columns"):
        function(data, **keywords)


@pytest.mark.parametrize("name", sorted(BAD_INPUT))
def test_empty_frame_raises(name):
    function, keywords, make, _ = BAD_INPUT[name]
    with pytest.raises(ValueError, match="no rows"):
        function(make().iloc[0:0], **keywords)


def test_not_a_frame_raises():
    with pytest.raises(ValueError, match="expected a DataFrame"):
        figures.plot_waterfall({"percent_change": [1.0]})


# ---------------------------------------------------------------------------------------------
# each figure
# ---------------------------------------------------------------------------------------------


def test_mean_trajectories_one_dodged_line_per_arm_in_arm_colours():
    ax = figures.plot_mean_trajectories(mean_estimates(), dodge=0.2)
    lines = labelled_lines(ax)
    assert list(lines) == [COMP, ISO]  # sorted: the default reference first
    for arm, line in lines.items():
        assert colour_of(line) == arm_rgba(arm)
    assert_allclose(lines[COMP].get_xdata(), [-0.1, 2.9, 5.9])
    assert_allclose(lines[ISO].get_xdata(), [0.1, 3.1, 6.1])
    assert_allclose(lines[ISO].get_ydata(), [40.0, 20.0, 8.0])
    assert len(ax.containers) == 2  # error bars, one set per arm
    assert ax.get_legend().get_title().get_text() == "Mean (95% CI)"
    assert ax.get_ylabel() == "Inflammatory lesions (count)"


def test_mean_trajectories_bands_and_outcome_choice():
    estimates = pd.concat([mean_estimates(), mean_estimates().assign(outcome="pih_index")])
    with pytest.raises(ValueError, match="pass outcome="):
        figures.plot_mean_trajectories(estimates)
    ax = figures.plot_mean_trajectories(estimates, outcome="pih_index", band=True)
    assert len(ax.collections) == 2
    assert ax.get_ylabel() == "PIH index (points)"
    with pytest.raises(ValueError, match="no rows with scale 'mean'"):
        figures.plot_mean_trajectories(mean_estimates().assign(scale="mean difference"))


def test_spaghetti_one_line_per_subject_highlighted_bold():
    ax = figures.plot_spaghetti(visit_table(), outcome="inflammatory_lesions", highlight=["S3"])
    by_gid = {line.get_gid(): line for line in ax.get_lines()}
    assert sorted(by_gid) == ["subject-0", "subject-1", "subject-2", "subject-3"]
    lines = {f"S{k + 1}": by_gid[f"subject-{k}"] for k in range(4)}  # sorted order S1..S4
    assert colour_of(lines["S1"])[:3] == arm_rgba(ISO)[:3]
    assert colour_of(lines["S3"])[:3] == arm_rgba(COMP)[:3]
    assert lines["S3"].get_linewidth() > lines["S1"].get_linewidth()
    assert lines["S3"].get_alpha() == 1.0 and lines["S1"].get_alpha() < 1.0
    assert_allclose(lines["S2"].get_xdata(), [0, 6])  # the missing month-3 value is skipped
    with pytest.raises(ValueError, match="not in the data"):
        figures.plot_spaghetti(visit_table(), outcome="pih_index", highlight=["S9"])


def test_waterfall_bars_sorted_coloured_by_arm_with_reference_lines():
    ax = figures.plot_waterfall(changes())
    heights = [bar.get_height() for bar in ax.patches]
    assert heights == [12.0, -40.0, -60.0, -88.0]  # the missing value is not drawn
    colours = [bar.get_facecolor() for bar in ax.patches]
    assert colours == [arm_rgba(arm) for arm in [COMP, COMP, ISO, ISO]]
    levels = [line.get_ydata()[0] for line in ax.get_lines() if line.get_gid() == "reference-line"]
    assert levels == [-50, -75, -90]
    assert "1 missing" in ax.get_legend().get_texts()[-1].get_text()
    ax = figures.plot_waterfall(changes(), reference_lines=())
    assert not [line for line in ax.get_lines() if line.get_gid() == "reference-line"]


def test_stacked_grades_proportions_per_arm_and_visit():
    visits = visit_table()
    ax = figures.plot_stacked_grades(visits)
    strips = [patch for patch in ax.patches if patch.get_gid() == "arm-strip"]
    segments = [patch for patch in ax.patches if patch.get_gid() != "arm-strip"]
    grades, visits_count, arms = 4, 3, 2  # grades 0-3 occur
    assert len(segments) == grades * visits_count * arms
    assert len(strips) == visits_count * arms
    assert {patch.get_facecolor() for patch in strips} == {arm_rgba(ISO), arm_rgba(COMP)}
    tops = {}
    for patch in segments:
        x = round(patch.get_x(), 6)
        tops[x] = tops.get(x, 0.0) + patch.get_height()
    assert_allclose(sorted(tops.values()), [1.0] * 6)
    legend_texts = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend_texts == [COMP, ISO]
    grade_legend = next(
        child for child in ax.get_children() if child.__class__.__name__ == "Legend"
    )
    assert "0: no scars" in [text.get_text() for text in grade_legend.get_texts()]
    iso_month0 = [
        p.get_height() for p in segments if round(p.get_x() + p.get_width() / 2, 6) == 0.2
    ]
    assert_allclose(iso_month0, [0.0, 0.5, 0.5, 0.0])  # S1 grade 2, S2 grade 1


def test_by_group_lines_and_bands_in_fitzpatrick_colours():
    ax = figures.plot_by_group(visit_table(), dodge=0.0)
    lines = labelled_lines(ax)
    assert list(lines) == ["II", "V"]
    assert colour_of(lines["II"]) == to_rgba(style.FITZPATRICK_COLOURS["II"])
    assert colour_of(lines["V"]) == to_rgba(style.FITZPATRICK_COLOURS["V"])
    assert_allclose(lines["II"].get_ydata(), [5.5, 4.5, 3.0])  # means of S1 and S3
    assert len(ax.collections) == 2


def test_forest_difference_scale_null_at_zero_linear():
    ax = figures.plot_forest(forest_estimates(), label="outcome")
    null = next(line for line in ax.get_lines() if line.get_gid() == "null-line")
    assert null.get_xdata()[0] == 0.0
    assert ax.get_xscale() == "linear"
    points = next(line for line in ax.get_lines() if line.get_gid() == "points")
    assert_allclose(points.get_xdata(), [-10.0, -4.0, 1.0])
    assert_allclose(points.get_ydata(), [2.0, 1.0, 0.0])  # first row on top
    assert len(ax.collections[0].get_segments()) == 3
    labels = [text.get_text() for text in ax.get_yticklabels()]
    assert labels == ["Inflammatory lesions", "Non-inflammatory lesions", "Nodules"]
    texts = [text.get_text() for text in ax.texts]
    assert "\N{MINUS SIGN}10.00 (\N{MINUS SIGN}14.00 to \N{MINUS SIGN}6.00)" in texts
    assert ax.get_xlabel() == "Mean difference (95% CI)"


def test_forest_ratio_scale_null_at_one_log_axis_and_mixed_scales_refused():
    ax = figures.plot_forest(forest_estimates("rate ratio"), show_estimates=False)
    null = next(line for line in ax.get_lines() if line.get_gid() == "null-line")
    assert null.get_xdata()[0] == 1.0
    assert ax.get_xscale() == "log"
    assert not ax.texts
    mixed = pd.concat([forest_estimates(), forest_estimates("odds ratio")])
    with pytest.raises(ValueError, match="cannot share an axis"):
        figures.plot_forest(mixed)


def test_flow_one_box_per_stage_and_arm_with_arrows():
    ax = figures.plot_flow(FLOW)
    boxes = [patch for patch in ax.patches if patch.get_gid() == "flow-box"]
    arrows = [patch for patch in ax.patches if isinstance(patch, FancyArrowPatch)]
    assert len(boxes) == 2 + 3 * 2
    # assessed→randomised 1, randomised→allocated 2, allocated→discontinued 2, →analysed 2
    assert len(arrows) == 7
    edges = {to_rgba(box.get_edgecolor()) for box in boxes}
    assert {arm_rgba(ISO), arm_rgba(COMP)} <= edges
    texts = " ".join(text.get_text() for text in ax.texts)
    assert "n = 130" in texts and "adverse event 3" in texts
    # an arm is named in its first box; the boxes below stand in its column
    assert f"allocated: {ISO}\nn = 50" in texts and "discontinued\nn = 5\n" in texts


def test_flow_frame_input_and_validation():
    frame = pd.DataFrame(
        {"stage": ["randomised", "analysed", "analysed"], "arm": [None, ISO, COMP], "n": [10, 5, 5]}
    )
    ax = figures.plot_flow(frame)
    assert len([patch for patch in ax.patches if patch.get_gid() == "flow-box"]) == 3
    with pytest.raises(ValueError, match="non-negative integers"):
        figures.plot_flow({"randomised": -1})
    with pytest.raises(ValueError, match="one box for all arms"):
        figures.plot_flow(pd.concat([frame, frame.iloc[[0]].assign(stage="analysed")]))


def test_km_step_lines_bands_and_the_numbers_at_risk_as_given():
    ax = figures.plot_km(km_curves(), at_risk=at_risk_table())
    lines = labelled_lines(ax)
    assert list(lines) == [COMP, ISO]  # sorted: the default reference first
    assert colour_of(lines[ISO]) == arm_rgba(ISO)
    assert lines[ISO].get_drawstyle() == "steps-post"
    assert lines[ISO].get_xdata()[0] == 0.0 and lines[ISO].get_ydata()[0] == 1.0
    assert len(ax.collections) == 2
    assert list(ax.get_xticks()) == [0.0, 3.0, 6.0, 9.0]  # the ticks are the table's times
    at_risk = [text for text in ax.texts if text.get_gid() == "at-risk"]
    colours = style.arm_colours([COMP, ISO])
    iso = [text.get_text() for text in at_risk if text.get_color() == colours[ISO]]
    comp = [text.get_text() for text in at_risk if text.get_color() == colours[COMP]]
    assert iso == ["50", "41", "22", "0"]  # written as counted, never read off the curve
    assert comp == ["50", "48", "44", "36"]


def test_km_draws_the_at_risk_table_of_the_statistics_helper():
    rng = np.random.default_rng(1)
    data = pd.DataFrame({"arm": np.repeat([COMP, ISO], 30), "day": rng.integers(1, 300, 60)})
    data["event"] = rng.random(60) < 0.6
    ticks = figures.time_ticks(data["day"])
    table = at_risk(data, time="day", event="event", arm="arm", times=ticks)
    curves = kaplan_meier(data, time="day", event="event", arm="arm")
    ax = figures.plot_km(curves.estimates, at_risk=table.estimates)
    written = [int(text.get_text()) for text in ax.texts if text.get_gid() == "at-risk"]
    direct = [int((data.loc[data["arm"] == arm, "day"] >= tick).sum()) for arm in (COMP, ISO)
              for tick in ticks]  # fmt: skip
    assert written == direct and ticks[0] == 0


def test_km_accepts_the_tidy_kaplan_meier_frame_and_no_table():
    curves = km_curves()
    tidy = pd.DataFrame(
        {
            "outcome": "cleared",
            "contrast": curves["arm"],
            "visit": curves["time"],
            "estimate": curves["survival"],
            "ci_low": curves["ci_low"],
            "ci_high": curves["ci_high"],
            "n": 10,
            "scale": "survival probability",
        }
    )
    median = tidy.iloc[[0]].assign(visit=np.nan, scale="median time")
    ax = figures.plot_km(pd.concat([tidy, median]))
    assert list(labelled_lines(ax)) == [COMP, ISO]
    assert not [text for text in ax.texts if text.get_gid() == "at-risk"]
    with pytest.raises(ValueError, match="whole numbers"):
        figures.plot_km(km_curves(), at_risk=at_risk_table().assign(estimate=-1.0))


def test_ae_dots_two_panels_sorted_by_risk_difference():
    ax = figures.plot_ae_dots(ae_incidence())
    assert len(ax.figure.axes) == 2
    right = ax.figure.axes[1]
    lines = labelled_lines(ax)
    assert list(lines) == [COMP, ISO]  # sorted: the default reference first
    assert colour_of(lines[COMP]) == arm_rgba(COMP)
    labels = [text.get_text() for text in ax.get_yticklabels()]
    assert labels == ["Headache", "Xerosis", "Cheilitis"]  # largest difference on top, in words
    assert_allclose(lines[ISO].get_ydata(), [2, 0, 1])  # cheilitis, headache, xerosis rows
    points = next(line for line in right.get_lines() if line.get_gid() == "points")
    assert_allclose(points.get_xdata(), [2.0, 35.0, 70.0])
    null = next(line for line in right.get_lines() if line.get_gid() == "null-line")
    assert null.get_xdata()[0] == 0.0


def test_ae_dots_on_given_axes_and_inconsistent_difference_refused():
    fig, (left, right) = plt.subplots(1, 2)
    assert figures.plot_ae_dots(ae_incidence(), axes=(left, right)) is left
    assert len(right.get_lines()) == 2
    fig, ax = plt.subplots()
    returned = figures.plot_ae_dots(ae_incidence(), ax=ax)
    assert len(fig.axes) == 2 and returned in fig.axes and ax not in fig.axes
    bad = ae_incidence()
    bad.loc[0, "risk_difference"] = 0.0
    with pytest.raises(ValueError, match="constant within a term"):
        figures.plot_ae_dots(bad)


def test_ae_dots_frame_from_tidy_incidence():
    tidy = pd.DataFrame(
        {
            "outcome": ["cheilitis"] * 3,
            "contrast": [COMP, ISO, f"{ISO} - {COMP}"],
            "estimate": [0.1, 0.8, 0.7],
            "ci_low": [0.02, 0.6, 0.5],
            "ci_high": [0.3, 0.9, 0.85],
            "scale": ["proportion", "proportion", "risk difference"],
        }
    )
    frame = figures.ae_dots_frame(tidy)
    assert list(frame.columns[:6]) == list(figures.AE_DOT_COLUMNS)
    assert_allclose(frame["rd_ci_low"], [50.0, 50.0])
    assert isinstance(figures.plot_ae_dots(frame), Axes)


def test_labs_mean_and_median_by_arm_with_uln_and_the_share_above_it():
    ax = figures.plot_labs(lab_table(), dodge=0.0)
    lines = labelled_lines(ax)
    assert list(lines) == [COMP, ISO]  # sorted: the default reference first
    assert colour_of(lines[ISO]) == arm_rgba(ISO)
    assert_allclose(lines[ISO].get_ydata(), [100.0, 170.0])
    uln = [line for line in ax.get_lines() if line.get_gid() == "uln"]
    assert [line.get_ydata()[0] for line in uln] == [150.0]
    assert ax.get_ylim()[0] == 0  # values of a non-negative test from 0
    shares = ax.figure.axes[1]
    legend = [text.get_text() for text in shares.get_legend().get_texts()]
    assert legend == [COMP, ISO, "ULN 150 mg/dL"]
    assert ax.get_ylabel() == "Triglycerides (mg/dL)"
    iso = next(line for line in shares.get_lines() if line.get_gid() == "share-1")
    assert_allclose(iso.get_ydata(), [0.0, 100.0])  # 3 of 3 isotretinoin subjects above at month 3
    assert shares.get_ylim() == (0, 100)
    ax = figures.plot_labs(lab_table(), test="alt", statistic="median", shares=False)
    assert ax.get_ylabel() == "ALT (U/L)" and len(ax.figure.axes) == 1
    with pytest.raises(ValueError, match=r"tests in the data: \['alt', 'triglycerides'\]"):
        figures.plot_labs(lab_table(), test="ast")
    with pytest.raises(ValueError, match="allowed"):
        figures.plot_labs(lab_table(), statistic="mode")


def test_labs_on_given_axes():
    fig, given = plt.subplots()
    assert figures.plot_labs(lab_table(), shares=False, ax=given) is given
    fig, (left, right) = plt.subplots(1, 2)
    assert figures.plot_labs(lab_table(), axes=(left, right)) is left
    assert figures.test_label("total_cholesterol") == "Total cholesterol"


def test_missing_pattern_matrix_sorted_with_counts():
    visits = visit_table()
    ax = figures.plot_missing_pattern(visits, outcome="inflammatory_lesions")
    image = next(child for child in ax.get_children() if isinstance(child, AxesImage))
    matrix = np.asarray(image.get_array())
    # comparator first (value 1 = observed in arm 1): S3 complete, S4 missing month 6;
    # isotretinoin: complete S1 before S2 (month 3 missing).
    assert_allclose(matrix, [[1, 1, 1], [1, 1, 0], [2, 2, 2], [2, 0, 2]])
    counts = [text.get_text() for text in ax.texts if text.get_gid() == "pattern-count"]
    assert counts == [" n = 1"] * 4
    assert [label.get_text() for label in ax.get_yticklabels()] == [COMP, ISO]
    colours = image.get_cmap().colors
    assert [to_rgba(colour) for colour in colours[1:]] == [arm_rgba(COMP), arm_rgba(ISO)]
    switched = visits.assign(arm=visits["arm"].where(visits["month"] != 6, COMP))
    with pytest.raises(ValueError, match=r"more than one arm: \['S1', 'S2'\]"):
        figures.plot_missing_pattern(switched, outcome="inflammatory_lesions")


# ---------------------------------------------------------------------------------------------
# honest axes
# ---------------------------------------------------------------------------------------------


def pih_means(low_values=(1.7, 2.0, 2.4)) -> pd.DataFrame:
    rows = []
    for arm, shift in ((COMP, 0.0), (ISO, 0.3)):
        for visit, value in zip((1, 3, 12), low_values, strict=True):
            rows.append({"outcome": "pih_index", "contrast": arm, "visit": visit,
                         "estimate": value + shift, "ci_low": value + shift - 2.5,
                         "ci_high": value + shift + 0.4, "ci_level": 0.95, "scale": "mean"})  # fmt: skip
    return pd.DataFrame(rows)


def test_mean_trajectories_start_at_zero_clip_at_the_scale_and_mark_the_primary_visit():
    ax = figures.plot_mean_trajectories(pih_means(), primary=12, visit="week")
    assert ax.get_ylim()[0] == 0  # a 0-12 index: the axis is not cut
    assert "axis cut" not in ax.get_ylabel() and ax.get_xlabel() == "Week"
    for bars in ax.collections:  # the error bars end at 0, the floor of the index
        for segment in bars.get_segments():
            assert np.min(np.asarray(segment)[:, 1]) >= 0
    marker = [line for line in ax.get_lines() if line.get_gid() == "primary-visit"]
    assert len(marker) == 1 and marker[0].get_xdata()[0] == 12
    assert "primary" in [text.get_text() for text in ax.texts]
    cut = figures.plot_mean_trajectories(pih_means(), from_zero=False)
    assert cut.get_ylim()[0] < 0 or "axis cut" in cut.get_ylabel()


def test_by_group_bands_stay_within_the_scale():
    visits = visit_table()
    visits["pih_index"] = [0.0, 0.0, 0.0, 9.0, 0.1, 0.0, 0.2, 8.0, 0.0, 0.0, 0.0]
    ax = figures.plot_by_group(visits)
    assert ax.get_ylim()[0] == 0
    for band in ax.collections:
        assert band.get_paths()[0].vertices[:, 1].min() >= 0


def test_forest_log_ticks_cover_every_estimate_and_the_rows_show_n():
    estimates = forest_estimates("rate ratio").assign(
        estimate=[0.35, 0.6, 1.2],
        ci_low=[0.28, 0.5, 0.9],
        ci_high=[0.45, 0.75, 1.6],
        n=[206, 183, 176],
    )
    ax = figures.plot_forest(estimates, truth=0.4)
    ticks = [tick for tick in ax.get_xticks() if ax.get_xlim()[0] <= tick <= ax.get_xlim()[1]]
    assert min(ticks) <= 0.28 and max(ticks) >= 1.6
    assert [label.get_text() for label in ax.get_xticklabels()][:2] == ["0.2", "0.5"]
    assert [text.get_text() for text in ax.texts if text.get_gid() == "n-text"] == [
        "206",
        "183",
        "176",
    ]
    assert [line.get_xdata()[0] for line in ax.get_lines() if line.get_gid() == "truth"] == [0.4]
    assert any(text.get_gid() == "truth-label" for text in ax.texts)
    assert figures.estimates.log_ticks(np.array([0.35, 0.5])) == [0.2, 0.5]


def test_flow_keeps_the_design_order_of_the_arms():
    frame = figures.flow_frame(FLOW)
    frame["arm"] = pd.Categorical(frame["arm"], categories=["vehicle", COMP, ISO])
    ax = figures.plot_flow(frame)
    boxes = [patch for patch in ax.patches if patch.get_gid() == "flow-box"]
    allocated = [box for box in boxes if to_rgba(box.get_edgecolor()) != to_rgba(INK)][:2]
    # isotretinoin (third arm of the design) keeps the design's third colour and the right column
    palette = style.arm_colours(["vehicle", COMP, ISO])
    assert {to_rgba(box.get_edgecolor()) for box in allocated} == {
        to_rgba(palette[COMP]),
        to_rgba(palette[ISO]),
    }
    iso = next(box for box in allocated if to_rgba(box.get_edgecolor()) == to_rgba(palette[ISO]))
    assert iso.get_x() > 0.5


# ---------------------------------------------------------------------------------------------
# house style
# ---------------------------------------------------------------------------------------------


def test_arm_colours_follow_the_design_order_and_stay_put_across_figures():
    okabe_ito = set(style.OKABE_ITO.values())
    assert set(style.ARM_PALETTE) <= okabe_ito and len(set(style.ARM_PALETTE)) == 6
    assert style.arm_colours(["vehicle", "sarecycline", "doxycycline"]) == dict(
        zip(["vehicle", "sarecycline", "doxycycline"], style.ARM_PALETTE[:3], strict=True)
    )
    arms = pd.Categorical(["sarecycline"] * 2, categories=["vehicle", "sarecycline"])
    visits = pd.DataFrame(
        {"subject_id": ["S1", "S1"], "month": [0, 3], "y": [4.0, 2.0], "arm": arms}
    )
    ax = figures.plot_spaghetti(visits, outcome="y")
    # sarecycline alone in this figure keeps its colour of the whole design (second arm)
    assert colour_of(ax.get_lines()[0]) == to_rgba(style.ARM_PALETTE[1])


def test_grade_and_skin_type_colours_are_not_arm_colours():
    palettes = [style.grade_colours(5), list(style.FITZPATRICK_COLOURS.values()),
                list(style.group_colours(["I–II", "III", "IV", "V–VI"]).values())]  # fmt: skip
    for colours in palettes:
        for colour in colours:
            distance = min(style.lab_distance(colour, arm) for arm in style.ARM_PALETTE)
            assert distance >= style.MIN_DISTANCE_FROM_ARMS, colour
    ax = figures.plot_stacked_grades(visit_table())
    grades = {
        to_rgba(patch.get_facecolor()) for patch in ax.patches if patch.get_gid() != "arm-strip"
    }
    assert not grades & {to_rgba(colour) for colour in style.ARM_PALETTE}


def test_sequential_palette_goes_light_to_dark():
    def luminance(colour):
        red, green, blue, _ = to_rgba(colour)
        return 0.2126 * red + 0.7152 * green + 0.0722 * blue

    values = [luminance(style.FITZPATRICK_COLOURS[kind]) for kind in style.FITZPATRICK_TYPES]
    assert values == sorted(values, reverse=True)
    grouped = style.group_colours(["I–II", "III", "IV", "V–VI"])
    assert list(grouped) == ["I–II", "III", "IV", "V–VI"]
    assert len(set(grouped.values())) == 4


def test_house_style_context_and_figure_sizes():
    before = plt.rcParams["axes.spines.top"]
    with style.house_style():
        assert plt.rcParams["axes.spines.top"] is False
        assert plt.rcParams["axes.spines.right"] is False
        assert plt.rcParams["font.size"] == 8
    assert plt.rcParams["axes.spines.top"] == before
    fig, ax = style.figure("double", 3.0)
    assert_allclose(fig.get_size_inches(), [183 / 25.4, 3.0])
    assert not ax.spines["top"].get_visible()
    with pytest.raises(ValueError, match="allowed"):
        style.figure("triple")


# ---------------------------------------------------------------------------------------------
# deterministic saving
# ---------------------------------------------------------------------------------------------

SAVE_SCRIPT = textwrap.dedent(
    """
    import sys
    import pandas as pd
    from acne_outcomes import figures
    from acne_outcomes.style import save_figure

    estimates = pd.DataFrame({
        "outcome": "pih_index", "contrast": ["isotretinoin"] * 2 + ["comparator"] * 2,
        "visit": [0, 12, 0, 12], "estimate": [6.0, 3.0, 6.1, 4.5],
        "ci_low": [5.5, 2.5, 5.6, 4.0], "ci_high": [6.5, 3.5, 6.6, 5.0], "scale": "mean"})
    ax = figures.plot_mean_trajectories(estimates, title="PIH", band=True)
    for path in save_figure(ax.figure, "trajectories", sys.argv[1]):
        print(path.name)
    """
)


def test_save_figure_identical_bytes_across_processes(tmp_path):
    folders = [tmp_path / "first", tmp_path / "second"]
    environment = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", SAVE_SCRIPT, str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(environment, MPLBACKEND="Agg", PYTHONHASHSEED=str(seed)),
        )
        for seed, folder in enumerate(folders)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    for run, (stdout, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, stderr
        assert stdout.split() == ["trajectories.png", "trajectories.svg", "trajectories.pdf"]
    for suffix in ("png", "svg", "pdf"):
        first = (folders[0] / f"trajectories.{suffix}").read_bytes()
        second = (folders[1] / f"trajectories.{suffix}").read_bytes()
        assert len(first) > 1000
        assert first == second, suffix
    pdf = (folders[0] / "trajectories.pdf").read_bytes()
    svg = (folders[0] / "trajectories.svg").read_bytes()
    png = (folders[0] / "trajectories.png").read_bytes()
    assert b"CreationDate" not in pdf and matplotlib.__version__.encode() not in pdf
    assert b"<dc:date>" not in svg and matplotlib.__version__.encode() not in svg
    assert b"Software" not in png and matplotlib.__version__.encode() not in png
    assert not [path for path in folders[0].iterdir() if path.name.startswith(".")]


def test_save_figure_validates_name_and_formats(tmp_path):
    fig, _ = style.figure()
    with pytest.raises(ValueError, match="file stem"):
        style.save_figure(fig, "../escape", tmp_path)
    with pytest.raises(ValueError, match="without a format suffix"):
        style.save_figure(fig, "plot.png", tmp_path)
    with pytest.raises(ValueError, match="allowed"):
        style.save_figure(fig, "plot", tmp_path, formats=("jpg",))
    written = style.save_figure(fig, "plot", tmp_path / "new", formats=("svg",))
    assert written == [tmp_path / "new" / "plot.svg"] and written[0].exists()
    assert isinstance(written[0], Path)
    # drawn in one order whatever the order asked (the layout is refined at each drawing)
    written = style.save_figure(fig, "both", tmp_path, formats=("pdf", "png"))
    assert [path.name for path in written] == ["both.png", "both.pdf"]
