"""Outcomes over time: mean trajectories, individual lines, grade distributions, groups."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from acne_outcomes import style
from acne_outcomes.figures._common import (
    arm_handles,
    arm_order,
    arm_palette,
    axes_for,
    axis_label,
    clip_to_scale,
    finish,
    floats,
    honest_y,
    mark_primary,
    offsets,
    ordered_levels,
    require_frame,
    shared_docs,
    visit_axis,
    words,
)
from acne_outcomes.stats.descriptive import proportions
from acne_outcomes.tables import level_label


@shared_docs
def plot_mean_trajectories(
    estimates: pd.DataFrame,
    *,
    outcome: str | None = None,
    band: bool = False,
    visit: str = "month",
    primary: float | None = None,
    from_zero: bool = True,
    dodge: float = 0.15,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Per-arm means with confidence intervals by visit, from a tidy estimate frame.

    Parameters
    ----------
    estimates : DataFrame
        Tidy estimate frame (:mod:`acne_outcomes.stats.tidy`); the rows with
        ``scale == "mean"`` and a ``visit`` are drawn: ``contrast`` = arm name, ``visit`` = month,
        ``estimate``, ``ci_low``, ``ci_high`` (and ``ci_level`` for the legend title).
    outcome : str, optional
        Which ``outcome`` to draw; required when the mean rows hold several outcomes. Its
        label and unit come from the data dictionary.
    band : bool, default False
        Draw the intervals as shaded bands instead of error bars.
    visit : str, default "month"
        The visit column's name (``month``, ``week``, ``day``), for the axis label.
    primary : float, optional
        The primary visit, marked with a dotted line labelled "primary".
    from_zero : bool, default True
        Start the y axis at 0 when the outcome's scale starts there (counts, scores, indices;
        the data standard says): a cut axis magnifies small differences. With ``False`` the
        axis fits the data and its label says "(axis cut)". Intervals never leave the scale
        (the standard's bounds).
    {{dodge}}
    {{title}}
    {{ax}}

    Returns
    -------
    Axes
        One line per arm (labelled with the arm) in the arm colour.

    Examples
    --------
    >>> estimates = pd.DataFrame({
    ...     "outcome": "pih_index", "contrast": ["isotretinoin"] * 2 + ["comparator"] * 2,
    ...     "visit": [0, 12, 0, 12], "estimate": [6.0, 3.0, 6.1, 4.5],
    ...     "ci_low": [5.5, 2.5, 5.6, 4.0], "ci_high": [6.5, 3.5, 6.6, 5.0], "scale": "mean"})
    >>> ax = plot_mean_trajectories(estimates)
    >>> [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
    ['comparator', 'isotretinoin']
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    function = "plot_mean_trajectories"
    columns = ("outcome", "contrast", "visit", "estimate", "ci_low", "ci_high", "scale")
    require_frame(estimates, function, *columns)
    means = estimates[(estimates["scale"] == "mean") & estimates["visit"].notna()]
    if means.empty:
        raise ValueError(f"{function}: no rows with scale 'mean' (per-arm means) in the estimates")
    outcomes = list(pd.unique(means["outcome"].dropna()))
    if outcome is None and len(outcomes) != 1:
        raise ValueError(f"{function}: pass outcome=, one of {outcomes}")
    outcome = outcomes[0] if outcome is None else outcome
    means = means[means["outcome"] == outcome]
    if means.empty:
        raise ValueError(f"{function}: outcome={outcome!r} has no mean rows; allowed: {outcomes}")
    ax = axes_for(ax)
    drawn = []
    with style.house_style():
        arms = arm_order(means["contrast"])
        palette = arm_palette(means["contrast"])
        for arm, shift in zip(arms, offsets(len(arms), dodge), strict=True):
            rows = means[means["contrast"] == arm].sort_values("visit")
            x = floats(rows["visit"]) + shift
            centre, low, high = (floats(rows[name]) for name in ("estimate", "ci_low", "ci_high"))
            low, high = clip_to_scale(str(outcome), low, high)
            drawn += [centre, low, high]
            colour = palette[arm]
            ax.plot(x, centre, marker="o", color=colour, label=str(arm), zorder=3)
            if band:
                ax.fill_between(x, low, high, color=colour, alpha=0.2, linewidth=0)
            else:
                ax.errorbar(x, centre, yerr=[centre - low, high - centre], fmt="none",
                            ecolor=colour, elinewidth=0.9, capsize=2)  # fmt: skip
        level = floats(means["ci_level"]).max() if "ci_level" in means.columns else np.nan
        legend_title = "Mean" if np.isnan(level) else f"Mean ({level:.0%} CI)"
        ax.legend(title=legend_title)
        visit_axis(ax, means["visit"], visit)
        if from_zero:
            honest_y(ax, str(outcome), drawn)
        ax.set_ylabel(axis_label(str(outcome)) + (" (axis cut)" if ax.get_ylim()[0] > 0 else ""))
        mark_primary(ax, primary)
        return finish(ax, title)


@shared_docs
def plot_spaghetti(
    visits: pd.DataFrame,
    *,
    outcome: str,
    subject: str = "subject_id",
    visit: str = "month",
    arm: str = "arm",
    highlight: Iterable | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Individual trajectories: one thin, transparent line per subject, coloured by arm.

    Parameters
    ----------
    visits : DataFrame
        Long visit table, one row per subject × visit, with the ``outcome``, ``subject``,
        ``visit`` and ``arm`` columns (merge the arm from ``subjects`` first). Missing outcome
        values are skipped: a line joins the observed visits.
    outcome, subject, visit, arm : str
        Column names.
    highlight : iterable, optional
        Subject ids drawn bold and opaque (e.g. outliers or teaching examples).
    {{title}}
    {{ax}}

    Returns
    -------
    Axes
        One line per subject, with ``gid`` ``"subject-<k>"`` (``k``: the subject's position in
        sorted order; identifiers are never written into a figure, where SVG output would
        carry them); highlighted lines are wider.
    """
    function = "plot_spaghetti"
    require_frame(visits, function, outcome, subject, visit, arm)
    chosen = set() if highlight is None else set(highlight)
    unknown = chosen - set(visits[subject])
    if unknown:
        raise ValueError(
            f"{function}: highlight subjects not in the data: {sorted(unknown, key=str)}"
        )
    ax = axes_for(ax)
    with style.house_style():
        arms = arm_order(visits[arm])
        palette = arm_palette(visits[arm])
        grouped = visits.sort_values([subject, visit]).groupby(subject, sort=True)
        for position, (name, rows) in enumerate(grouped):
            observed = rows[rows[outcome].notna()]
            bold = name in chosen
            ax.plot(
                floats(observed[visit]),
                floats(observed[outcome]),
                color=palette[rows[arm].iloc[0]],
                gid=f"subject-{position}",
                linewidth=1.8 if bold else 0.6,
                alpha=1.0 if bold else 0.35,
                zorder=3 if bold else 2,
                marker="o" if bold else None,
                markersize=2.5,
            )
        ax.legend(handles=arm_handles(arms, palette))
        visit_axis(ax, visits[visit], visit)
        honest_y(ax, outcome, [floats(visits[outcome])])
        ax.set_ylabel(axis_label(outcome))
        return finish(ax, title)


@shared_docs
def plot_stacked_grades(
    visits: pd.DataFrame,
    *,
    outcome: str = "scar_grade",
    visit: str = "month",
    arm: str = "arm",
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Stacked proportions of an ordinal grade by visit, the arms side by side at each visit.

    Parameters
    ----------
    visits : DataFrame
        Long visit table with the ordinal ``outcome`` (e.g. Goodman & Baron scar grade 0–4,
        IGA 0–4), ``visit`` and ``arm``. Proportions are among subjects with a grade at that
        visit. The grade order is the categorical order, else the data standard's, else sorted.
    outcome, visit, arm : str
        Column names.
    {{title}}
    {{ax}}

    Returns
    -------
    Axes
        Per visit and arm, one stacked bar segment per grade, in greys (light = low grade;
        :func:`acne_outcomes.style.grade_colours`, so no grade takes an arm's colour); above
        each bar a small strip in the arm colour (``gid="arm-strip"``). Two legends: grades
        (with the standard's labels) and arms.
    """
    function = "plot_stacked_grades"
    require_frame(visits, function, outcome, visit, arm)
    graded = visits[visits[outcome].notna()]
    if graded.empty:
        raise ValueError(f"{function}: every value in column {outcome!r} is missing")
    grades = ordered_levels(graded[outcome], outcome)
    arms = arm_order(graded[arm])
    palette = arm_palette(graded[arm])
    times = sorted(pd.unique(floats(graded[visit])))
    colours = style.grade_colours(len(grades))
    width = 0.8 / len(arms)
    ax = axes_for(ax, "double")
    with style.house_style():
        for arm_name, shift in zip(arms, offsets(len(arms), width), strict=True):
            rows = graded[graded[arm] == arm_name]
            shares = proportions(
                rows.assign(_visit=floats(rows[visit])), value=outcome, by=["_visit"],
                categories=grades,
            )  # fmt: skip
            table = shares.pivot(index="_visit", columns="category", values="proportion")
            table = table.reindex(index=times, columns=grades, fill_value=0.0).fillna(0.0)
            x = np.arange(len(times)) + shift
            bottom = np.zeros(len(times))
            for grade, colour in zip(grades, colours, strict=True):
                heights = table[grade].to_numpy(dtype=float)
                ax.bar(
                    x,
                    heights,
                    width=width * 0.92,
                    bottom=bottom,
                    color=colour,
                    edgecolor="white",
                    linewidth=0.3,
                )
                bottom += heights
            present = table.sum(axis=1).to_numpy() > 0
            ax.bar(
                x[present],
                0.035,
                width=width * 0.92,
                bottom=1.015,
                color=palette[arm_name],
                linewidth=0,
                gid="arm-strip",
            )
        ax.set_xticks(np.arange(len(times)), [f"{time:g}" for time in times])
        ax.set_ylim(0, 1.06)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.grid(axis="x", visible=False)
        ax.set_xlabel(axis_label(visit))
        ax.set_ylabel("Subjects (%)")
        grade_handles = [
            Patch(facecolor=colour, edgecolor="0.6", linewidth=0.3, label=label)
            for colour, label in zip(
                colours, [level_label(outcome, grade) for grade in grades], strict=True
            )
        ]
        first = ax.legend(
            handles=grade_handles[::-1],
            title=textwrap.fill(words(outcome), 16),
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
        )
        ax.add_artist(first)
        ax.legend(
            handles=arm_handles(arms, palette, kind="patch"),
            title="Arm (strip)",
            loc="lower left",
            bbox_to_anchor=(1.01, 0.0),
        )
        return finish(ax, title)
