"""Teaching figures: simulated studies against the truth, the winner's curse, claims' evidence.

They draw the tables of :mod:`acne_outcomes.appraisal` (per-study diagnosis results,
:func:`~acne_outcomes.appraisal.lessons.winners_curse_table`,
:func:`~acne_outcomes.appraisal.lessons.claims_evidence`) and the arms' course against the
true untreated course, in the house style, with the teaching colours of
:data:`acne_outcomes.style.TEACHING_COLOURS` — and, wherever two colours carry a meaning, a
second cue that needs no colour vision (a marker, a line's strength, a hatch).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from acne_outcomes import style
from acne_outcomes.figures._common import axes_for, finish, require_frame, shared_docs, two_axes
from acne_outcomes.figures.trajectories import plot_mean_trajectories

_COLOURS = style.TEACHING_COLOURS

#: How an interval that covers the truth and one that misses it are drawn: colour (grey, blue)
#: and, so that neither colour vision nor a grey-scale print is needed, marker and line
#: strength too.
MARKS = {
    "covers": {"marker": "o", "size": 2.5, "line_alpha": 0.25},
    "misses": {"marker": "x", "size": 4.0, "line_alpha": 0.6},
}

#: Hatching that marks "significant against the claim" in :func:`plot_claims_evidence`.
AGAINST_HATCH = "////"


@shared_docs
def plot_estimates_vs_truth(
    replicates: pd.DataFrame, *, title: str | None = None, ax: Axes | None = None
) -> Axes:
    """Every simulated study's estimate and interval, one row per strategy, with the truth.

    Parameters
    ----------
    replicates : DataFrame
        Per-study results of a design diagnosis: ``strategy``, ``estimate``, ``ci_low``,
        ``ci_high``, ``truth`` and ``error`` (empty for a study whose analysis ran; failed
        studies are not drawn).
    {{title}}
    {{ax}}

    Returns
    -------
    Axes
        Strategies top to bottom in order of appearance; each study's estimate with its
        interval, told apart by more than colour (:data:`MARKS`): a small grey dot and a faint
        line when the interval contains the truth (``gid="covers-estimate"``), a blue cross
        and a stronger line when it misses (``gid="misses-estimate"``); each strategy's truth
        a dashed segment (``gid="truth"``).

    Examples
    --------
    >>> rows = pd.DataFrame({"strategy": ["a", "a", "b"], "estimate": [0.1, -0.1, -0.6],
    ...     "ci_low": [-0.2, -0.4, -0.9], "ci_high": [0.4, 0.2, -0.3], "truth": 0.0, "error": ""})
    >>> ax = plot_estimates_vs_truth(rows)
    >>> [line.get_gid() for line in ax.get_lines()][-1]
    'truth'
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    function = "plot_estimates_vs_truth"
    require_frame(
        replicates, function, "strategy", "estimate", "ci_low", "ci_high", "truth", "error"
    )
    ok = replicates[replicates["error"] == ""]
    names = list(dict.fromkeys(ok["strategy"]))
    ax = axes_for(ax, "double", 0.9 + 0.9 * len(names))
    with style.house_style():
        rng = np.random.default_rng(0)
        for position, name in enumerate(names):
            rows = ok[ok["strategy"] == name]
            y = len(names) - 1 - position + rng.uniform(-0.25, 0.25, len(rows))
            missed = (
                (rows["ci_low"] > rows["truth"]) | (rows["ci_high"] < rows["truth"])
            ).to_numpy()
            for flag, key in ((False, "covers"), (True, "misses")):
                chosen = missed == flag
                look = MARKS[key]
                ax.hlines(y[chosen], rows["ci_low"].to_numpy()[chosen],
                          rows["ci_high"].to_numpy()[chosen], color=_COLOURS[key],
                          alpha=look["line_alpha"], linewidth=0.6, gid=f"{key}-interval")  # fmt: skip
                ax.plot(rows["estimate"].to_numpy()[chosen], y[chosen], look["marker"],
                        color=_COLOURS[key], markersize=look["size"], alpha=0.8,
                        linestyle="none", gid=f"{key}-estimate")  # fmt: skip
        for position, name in enumerate(names):
            truth = float(ok.loc[ok["strategy"] == name, "truth"].mean())
            row = len(names) - 1 - position
            ax.plot([truth, truth], [row - 0.4, row + 0.4], color=_COLOURS["truth"], linestyle="--",
                    linewidth=1.2, gid="truth")  # fmt: skip
        ax.set_yticks(range(len(names)), [textwrap.fill(name, 26) for name in names[::-1]])
        ax.set_xlabel(
            "Estimate per simulated study, with its 95% CI: grey dots cover the truth, "
            "blue crosses miss it"
        )
        return finish(ax, title)


@shared_docs
def plot_winners_curse(
    table: pd.DataFrame,
    *,
    title: str | None = None,
    ax: Axes | None = None,
    axes: Sequence[Axes] | None = None,
) -> Axes:
    """Power, and the mean estimate of all studies against only the significant ones, per setting.

    Parameters
    ----------
    table : DataFrame
        :func:`~acne_outcomes.appraisal.lessons.winners_curse_table` output for one strategy:
        ``setting``, ``power``, ``mean_estimate``, ``mean_significant`` and ``truth``.
    {{title}}
    ax : Axes, optional
        A grid subplot to split into the two panels (it is replaced).
    axes : pair of Axes, optional
        The left (power) and right (estimates) panels to draw on, instead of ``ax``.

    Returns
    -------
    Axes
        The left panel (power bars); ``fig.axes`` also holds the right one (mean estimate of
        all studies, of the significant studies only, and the truth, ``gid="truth"``).

    Examples
    --------
    >>> table = pd.DataFrame({"setting": ["n=40", "n=266"], "power": [0.1, 0.5],
    ...     "mean_estimate": [-0.3, -0.35], "mean_significant": [-1.2, -0.5], "truth": -0.36})
    >>> ax = plot_winners_curse(table)
    >>> len(ax.figure.axes)
    2
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    function = "plot_winners_curse"
    require_frame(table, function, "setting", "power", "mean_estimate", "mean_significant", "truth")
    power_axes, estimate_axes = two_axes(ax, axes, 2.8, sharey=False)
    with style.house_style():
        x = np.arange(len(table))
        power_axes.bar(x, table["power"], color=_COLOURS["better"])
        power_axes.set_xticks(x, table["setting"])
        power_axes.set_ylim(0, 1)
        power_axes.set_ylabel("Power (share with p < 0.05)")
        estimate_axes.plot(x, table["mean_estimate"], "o-", label="all studies",
                           color=_COLOURS["covers"])  # fmt: skip
        estimate_axes.plot(x, table["mean_significant"], "s-", label="significant studies only",
                           color=_COLOURS["naive"])  # fmt: skip
        estimate_axes.axhline(float(table["truth"].iloc[0]), linestyle="--", color=_COLOURS["truth"],
                              label="truth", gid="truth")  # fmt: skip
        estimate_axes.set_xticks(x, table["setting"])
        estimate_axes.set_ylabel("Mean estimate")
        estimate_axes.legend()
        if title:
            power_axes.figure.suptitle(title)
        return power_axes


@shared_docs
def plot_claims_evidence(
    evidence: pd.DataFrame,
    *,
    title: str | None = None,
    ax: Axes | None = None,
    axes: Sequence[Axes] | None = None,
) -> Axes:
    """Naive against better evidence per claim design: which way it points, and its coverage.

    Parameters
    ----------
    evidence : DataFrame
        :func:`~acne_outcomes.appraisal.lessons.claims_evidence` output: ``claims``, ``role``
        ("naive" or "better"), ``supports`` and ``contradicts`` (shares of studies
        significant in the claimed direction and against it), ``coverage`` and
        ``coverage_mcse``.
    {{title}}
    ax : Axes, optional
        A grid subplot to split into the two panels (it is replaced).
    axes : pair of Axes, optional
        The left (direction) and right (coverage) panels to draw on, instead of ``ax``.

    Returns
    -------
    Axes
        The left panel: per design and analysis (labelled "C3 naive", ...), a bar of the
        share significant in the claimed direction (solid, ``gid="supports"``) followed by
        the share significant against the claim (hatched, ``gid="contradicts"``), in the
        naive or better colour, and a dotted line at 5%. ``fig.axes`` also holds the right
        panel: each analysis's coverage of the truth (``gid="coverage"``) with ± 2 Monte
        Carlo SE and a dashed line at the nominal 95% (``gid="nominal"``).

    Examples
    --------
    >>> evidence = pd.DataFrame({"claims": ["C3", "C3"], "role": ["naive", "better"],
    ...     "supports": [0.0, 0.3], "contradicts": [0.99, 0.0], "coverage": [0.0, 0.95],
    ...     "coverage_mcse": [0.0, 0.015]})
    >>> ax = plot_claims_evidence(evidence)
    >>> [patch.get_gid() for patch in ax.patches]
    ['supports', 'supports', 'contradicts', 'contradicts']
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    function = "plot_claims_evidence"
    require_frame(evidence, function, "claims", "role", "supports", "contradicts", "coverage",
                  "coverage_mcse")  # fmt: skip
    rows = evidence.reset_index(drop=True)
    labels = [f"{claims} {role}" for claims, role in zip(rows["claims"], rows["role"], strict=True)]
    colours = [_COLOURS[role] for role in rows["role"]]
    direction_axes, coverage_axes = two_axes(ax, axes, 0.9 + 0.3 * len(rows), sharey=True)
    with style.house_style():
        y = np.arange(len(rows))[::-1]
        direction_axes.barh(y, rows["supports"], height=0.7, color=colours, edgecolor=colours,
                            gid="supports")  # fmt: skip
        direction_axes.barh(y, rows["contradicts"], left=rows["supports"], height=0.7,
                            color="white", edgecolor=colours, hatch=AGAINST_HATCH,
                            gid="contradicts")  # fmt: skip
        direction_axes.axvline(0.05, color=_COLOURS["truth"], linestyle=":", linewidth=0.8)
        direction_axes.set_xlim(0, 1)
        direction_axes.set_yticks(y, labels)
        direction_axes.grid(axis="y", visible=False)
        direction_axes.set_xlabel("Share of studies significant at 5%")
        coverage_axes.barh(y, rows["coverage"], height=0.7, color=colours, gid="coverage",
                           xerr=2 * rows["coverage_mcse"].fillna(0), ecolor=_COLOURS["truth"],
                           error_kw={"linewidth": 0.8})  # fmt: skip
        coverage_axes.axvline(0.95, color=_COLOURS["truth"], linestyle="--", linewidth=1.0,
                              gid="nominal")  # fmt: skip
        whiskers = 2 * rows["coverage_mcse"].fillna(0)
        dark = {"better": "white", "naive": _COLOURS["truth"]}  # readable on the bar's colour
        for row_y, value, whisker, role in zip(
            y, rows["coverage"], whiskers, rows["role"], strict=True
        ):
            inside = value >= 0.3  # the label inside the bar, or after its whisker
            coverage_axes.text(value - whisker - 0.02 if inside else value + whisker + 0.02, row_y,
                               f"{100 * value:.0f}%", va="center", ha="right" if inside else "left",
                               color=dark[role] if inside else _COLOURS["truth"], fontsize=7,
                               gid="coverage-label")  # fmt: skip
        coverage_axes.set_xlim(0, 1)
        coverage_axes.grid(axis="y", visible=False)
        coverage_axes.tick_params(axis="y", labelleft=False)
        coverage_axes.set_xlabel("Coverage of the truth (dashed: nominal 95%)")
        handles = [
            Patch(facecolor=_COLOURS["naive"], label="naive analysis"),
            Patch(facecolor=_COLOURS["better"], label="better analysis"),
            Patch(facecolor="white", edgecolor=_COLOURS["truth"], hatch=AGAINST_HATCH,
                  label="significant against the claim"),
        ]  # fmt: skip
        direction_axes.figure.legend(handles=handles, loc="outside lower center", ncols=3)
        if title:
            direction_axes.figure.suptitle(title)
        return direction_axes


@shared_docs
def plot_course_against_untreated(
    means: pd.DataFrame,
    untreated: pd.DataFrame,
    *,
    outcome: str | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The arms' observed means by visit, and the true untreated course as a dashed black line.

    Parameters
    ----------
    means : DataFrame
        Tidy "mean" rows per arm and visit
        (:func:`acne_outcomes.stats.descriptive.arm_visit_means`), drawn by
        :func:`acne_outcomes.figures.plot_mean_trajectories`.
    untreated : DataFrame
        The true course without treatment: ``visit`` and ``estimate``
        (:func:`acne_outcomes.appraisal.lessons.untreated_course`).
    outcome : str, optional
        Passed to :func:`~acne_outcomes.figures.plot_mean_trajectories`.
    {{title}}
    ax : Axes, optional
        Without it, a double-column figure; the title is wrapped to the axes' width.

    Returns
    -------
    Axes
        The arms in their colours, the untreated truth in the truth colour, dashed
        (``gid="untreated-truth"``): it is not an arm of the study.

    Examples
    --------
    >>> means = pd.DataFrame({"outcome": "y", "contrast": "a", "visit": [0, 1], "estimate": [10.0, 8.0],
    ...     "ci_low": [9.0, 7.0], "ci_high": [11.0, 9.0], "scale": "mean", "ci_level": 0.95})
    >>> ax = plot_course_against_untreated(means, pd.DataFrame({"visit": [0, 1],
    ...     "estimate": [10.0, 9.5]}), title="A long title " * 8)
    >>> [line.get_gid() for line in ax.get_lines()][-1]
    'untreated-truth'
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    require_frame(untreated, "plot_course_against_untreated", "visit", "estimate")
    ax = axes_for(ax, "double", 3.2)
    plot_mean_trajectories(means, outcome=outcome, ax=ax)
    with style.house_style():
        ax.plot(untreated["visit"], untreated["estimate"], color=_COLOURS["truth"],
                linestyle="--", linewidth=1.2, label="untreated (truth)",
                gid="untreated-truth")  # fmt: skip
        ax.legend(title=ax.get_legend().get_title().get_text() if ax.get_legend() else None)
        if title:
            width = ax.figure.get_figwidth() * ax.get_position().width
            ax.set_title(textwrap.fill(title, max(int(width * 72 / (9 * 0.55)), 20)))
        return ax
