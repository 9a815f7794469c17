"""An interactive explorer for the lessons: change the truth and the design, see the estimates move.

:func:`explorer` returns an ipywidgets UI (sliders for the drug's direct effect on PIH fading,
new PIH per lesion, the lesion effect, the sample size and informative dropout; a dropdown over
the generator's scenarios; a "new sample" button that draws another study of the same design).
Each change re-simulates one study and redraws a figure in the house style: the observed PIH
index by arm and visit, and two estimates of the drug's effect on the month-12 PIH index — the
change in the treated arm (before-after) and the difference between the arms (ANCOVA) — beside
the true difference. A line above the figure says what the truth is, in words that follow its
sign ("less PIH on isotretinoin"). The estimates are fast closed-form ones (paired t, ANCOVA)
and the figure's axes are reused; most of an update is the generator computing the new truth
(:func:`explorer_update_seconds` measures it).
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from acne_outcomes import derive, figures, style
from acne_outcomes.appraisal import strategies
from acne_outcomes.simulate import simulate_study
from acne_outcomes.stats.ancova import fit_ancova
from acne_outcomes.stats.descriptive import arm_visit_means, one_sample_t

SCENARIO_CHOICES = ("rct", "single_arm", "observational", "flare_enrollment", "informative_dropout")
OUTCOME = "pih_index"
VISIT = 12
FIGURE_SIZE = (style.WIDTHS["double"], 3.4)
ANALYSES = {  # the explorer's two analyses, named for what each estimates
    "before-after": "change in the treated arm\n(before-after, no control)",
    "two-arm": "difference between the arms\n(randomised ANCOVA)",
}
START_VALUES = {  # the sliders' starting values: no direct PIH effect, lesion effect as sourced
    "pih_effect": 0.0,
    "pih_formation_rate": 0.0,
    "lesion_effect_scale": 1.0,
    "dropout_response_effect": 0.0,
}


def explorer_estimates(study) -> pd.DataFrame:
    """Before-after and two-arm estimates of the month-12 PIH difference, with the truth.

    Both estimate the drug's effect on the month-12 PIH index (isotretinoin minus
    comparator): the before-after one from the treated arm's change alone, the two-arm one
    from the randomised comparison.

    Returns
    -------
    DataFrame
        ``analysis`` (the labels of :data:`ANALYSES`), ``estimate``, ``ci_low``, ``ci_high``,
        ``truth``; the two-arm row is missing for a single-arm study.

    Examples
    --------
    >>> from acne_outcomes.appraisal.lessons import PIH_NULL
    >>> table = explorer_estimates(simulate_study("rct", n_subjects=120, seed=1, **PIH_NULL))
    >>> [name.splitlines()[0] for name in table["analysis"]], table["truth"].tolist()
    (['change in the treated arm', 'difference between the arms'], [0.0, 0.0])
    """
    frame = derive.analysis_frame(study)
    wide = frame[frame["month"].isin([0, VISIT])].pivot_table(
        index="subject_id", columns="month", values=OUTCOME, aggfunc="first"
    )
    wide = wide.dropna()
    arms = study.subjects.set_index("subject_id").loc[wide.index, "arm"].astype(str)
    treated = (arms == strategies.TREATED).to_numpy(int)
    truth = strategies.true_pih_difference_month12(study)
    rows = []
    change = one_sample_t((wide[VISIT] - wide[0]).to_numpy(float)[treated == 1])
    if change["n"] >= 3:
        rows.append((ANALYSES["before-after"], change["estimate"], change["ci_low"],
                     change["ci_high"]))  # fmt: skip
    if 0 < treated.sum() < len(treated) - 2:
        fit = fit_ancova(wide[VISIT].to_numpy(float), treated, 2, wide[[0]].to_numpy(float))
        test = fit.difference_test()
        rows.append((ANALYSES["two-arm"], test["estimate"], test["ci_low"], test["ci_high"]))
    table = pd.DataFrame(rows, columns=["analysis", "estimate", "ci_low", "ci_high"])
    return table.assign(truth=truth)


def truth_text(truth: float, digits: int = 2) -> str:
    """The true month-12 difference in words that follow its sign.

    >>> truth_text(-0.36)
    'True difference at month 12 (isotretinoin minus comparator): -0.36 PIH-index points, less PIH on isotretinoin.'
    >>> truth_text(0.2).endswith("more PIH on isotretinoin."), truth_text(0.001).endswith("no difference.")
    (True, True)
    """
    words = (
        "no difference"
        if round(truth, digits) == 0
        else ("less" if truth < 0 else "more") + " PIH on isotretinoin"
    )
    return (
        f"True difference at month 12 (isotretinoin minus comparator): {truth:.{digits}f} "
        f"PIH-index points, {words}."
    )


def _panels(figure) -> tuple:
    """The figure's two panels: reused (cleared in the house style) or created once."""
    with style.house_style():
        if len(figure.axes) == 2:
            for axes in figure.axes:
                axes.cla()
            return tuple(figure.axes)
        figure.clear()
        return tuple(figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]}))


def draw(study, estimates: pd.DataFrame, figure) -> None:
    """Draw the explorer's two panels on ``figure`` in the house style (its axes reused).

    Left: the observed PIH index by arm and visit (:func:`acne_outcomes.figures.plot_mean_trajectories`);
    right: the two estimates of the drug's effect with the truth
    (:func:`acne_outcomes.figures.plot_forest`), the truth's legend above the panel so that it
    never covers an estimate.
    """
    means_axes, estimate_axes = _panels(figure)
    means = arm_visit_means(derive.analysis_frame(study), OUTCOME)
    figures.plot_mean_trajectories(means, ax=means_axes)
    with style.house_style():
        means_axes.set_ylabel("PIH index (observed mean, 95% CI)")
    truth = float(estimates["truth"].iloc[0]) if len(estimates) else None
    forest = estimates.assign(contrast=estimates["analysis"], scale="mean difference",
                              ci_level=0.95)  # fmt: skip
    figures.plot_forest(forest, show_estimates=False, truth=truth, ax=estimate_axes)
    with style.house_style():
        if truth is not None:
            estimate_axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=1)
        estimate_axes.set_xlabel(
            "Effect on the month-12 PIH index (95% CI)\nnegative: less PIH on isotretinoin"
        )
        figure.suptitle(
            f"{study.truth['scenario']}: {study.n_subjects} subjects, seed "
            f"{study.metadata.get('seed', '')}"
        )


def explorer(scenario: str = "rct", n_subjects: int = 266, seed: int = 0):
    """An ipywidgets UI that re-simulates a study and redraws it when a control changes.

    Parameters
    ----------
    scenario : str, default "rct"
        Initial design (the dropdown offers every scenario).
    n_subjects : int, default 266
        Initial sample size (slider 40-1,000).
    seed : int, default 0

    Returns
    -------
    ipywidgets.VBox
        The UI, with extra attributes: ``controls`` (dict of the widgets by parameter name),
        ``new_sample`` (the button: the next seed, same design), ``readout`` (the truth in
        words, :func:`truth_text`), ``figure`` (the matplotlib Figure), ``estimates`` (the
        last :func:`explorer_estimates` table), ``update()`` (redraw now) and
        ``last_update_seconds``.

    Examples
    --------
    >>> ui = explorer(n_subjects=100)
    >>> before = ui.estimates["truth"].iloc[0]
    >>> ui.controls["pih_effect"].value = 2.0
    >>> bool(ui.estimates["truth"].iloc[0] < before), "less PIH" in ui.readout.value
    (True, True)
    >>> ui.new_sample.click()
    >>> ui.controls["seed"].value
    1
    """
    import ipywidgets as widgets
    import matplotlib.pyplot  # noqa: F401  (activates the kernel's inline display of figures)
    from IPython import get_ipython
    from IPython.display import display

    if scenario not in SCENARIO_CHOICES:
        raise ValueError(f"unknown scenario {scenario!r}; allowed: {list(SCENARIO_CHOICES)}")
    slider = {"continuous_update": False, "style": {"description_width": "11rem"},
              "layout": widgets.Layout(width="26rem")}  # fmt: skip
    controls = {
        "scenario": widgets.Dropdown(
            options=SCENARIO_CHOICES, value=scenario, description="design", style=slider["style"]
        ),  # fmt: skip
        "pih_effect": widgets.FloatSlider(
            value=START_VALUES["pih_effect"],
            min=-2.0,
            max=2.0,
            step=0.1,
            description="drug speeds PIH fading (log)",
            **slider,
        ),  # fmt: skip
        "pih_formation_rate": widgets.FloatSlider(
            value=START_VALUES["pih_formation_rate"],
            min=0.0,
            max=0.01,
            step=0.001,
            readout_format=".3f",
            description="new PIH per lesion-month",
            **slider,
        ),  # fmt: skip
        "lesion_effect_scale": widgets.FloatSlider(
            value=START_VALUES["lesion_effect_scale"],
            min=0.0,
            max=2.0,
            step=0.1,
            description="lesion effect scale",
            **slider,
        ),  # fmt: skip
        "n_subjects": widgets.IntSlider(
            value=n_subjects, min=40, max=1000, step=10, description="subjects", **slider
        ),  # fmt: skip
        "dropout_response_effect": widgets.FloatSlider(
            value=START_VALUES["dropout_response_effect"],
            min=0.0,
            max=6.0,
            step=0.5,
            description="informative dropout",
            **slider,
        ),  # fmt: skip
        "seed": widgets.IntText(value=seed, description="seed", style=slider["style"]),
    }
    new_sample = widgets.Button(description="new sample", tooltip="another study, same design")
    new_sample.on_click(lambda _: setattr(controls["seed"], "value", controls["seed"].value + 1))
    readout = widgets.HTML()
    figure = Figure(figsize=FIGURE_SIZE, layout="constrained")
    output = widgets.Output()
    ui = widgets.VBox([widgets.VBox(list(controls.values())), new_sample, readout, output])
    ui.controls, ui.figure, ui.last_update_seconds = controls, figure, math.nan
    ui.new_sample, ui.readout = new_sample, readout

    def update(*_):
        started = time.perf_counter()
        study = simulate_from_controls(controls)
        ui.estimates = explorer_estimates(study)
        readout.value = f"<b>{truth_text(strategies.true_pih_difference_month12(study))}</b>"
        draw(study, ui.estimates, figure)
        if get_ipython() is not None:  # in a kernel: show it; in plain Python: just compute
            with output:
                output.clear_output(wait=True)
                display(figure)
        ui.last_update_seconds = time.perf_counter() - started

    for control in controls.values():
        control.observe(update, names="value")
    ui.update = update
    update()
    return ui


def simulate_from_controls(controls: dict):
    """Simulate the study the explorer's controls describe (a dict of widgets or of values)."""
    values = {name: getattr(control, "value", control) for name, control in controls.items()}
    scenario, seed, n_subjects = (
        values.pop("scenario"),
        values.pop("seed"),
        values.pop("n_subjects"),
    )
    if scenario == "informative_dropout" and values["dropout_response_effect"] == 0:
        values.pop("dropout_response_effect")  # keep the scenario's own setting
    return simulate_study(scenario, n_subjects=n_subjects, seed=seed, **values)


def explorer_update_seconds(n_updates: int = 5, *, n_subjects: int = 266, seed: int = 0) -> float:
    """Median seconds of an explorer update (new parameters each time: re-simulate + redraw).

    Each update sets a new true PIH effect, so the study and its truth are computed afresh
    (the truth cache does not help).

    Examples
    --------
    >>> explorer_update_seconds(2, n_subjects=60) > 0
    True
    """
    ui = explorer(n_subjects=n_subjects, seed=seed)
    timings = []
    for step in range(n_updates):
        ui.controls["pih_effect"].value = round(-1.5 + 0.3 * (step + 1), 1) + 0.05
        timings.append(ui.last_update_seconds)
    return float(np.median(timings))


def explorer_snapshot(scenario: str = "rct", n_subjects: int = 266, seed: int = 0, **parameters):
    """The explorer's figure for one setting, without widgets (for static pages).

    ``parameters`` are generator overrides (the explorer's starting point has no PIH effect).
    Creating no widget keeps a built HTML page free of the widget manager's scripts.

    Examples
    --------
    >>> figure = explorer_snapshot(n_subjects=80)
    >>> len(figure.axes)
    2
    """

    controls = {"scenario": scenario, "seed": seed, "n_subjects": n_subjects,
                **START_VALUES, **parameters}  # fmt: skip
    study = simulate_from_controls(controls)
    figure = Figure(figsize=FIGURE_SIZE, layout="constrained")
    draw(study, explorer_estimates(study), figure)
    return figure
