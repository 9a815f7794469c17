"""Outcomes by group: mean trajectories per group (Fitzpatrick skin type), public mode aware."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes

from acne_outcomes import style
from acne_outcomes.checks import NotEstimable, check_ci_level
from acne_outcomes.figures._common import (
    GROUP_MARKERS,
    add_note,
    axes_for,
    axis_label,
    clip_to_scale,
    finish,
    floats,
    honest_y,
    offsets,
    ordered_levels,
    require_frame,
    shared_docs,
    visit_axis,
    words,
)
from acne_outcomes.privacy import small_cell_policy
from acne_outcomes.stats.descriptive import summarise


@shared_docs
def plot_by_group(
    visits: pd.DataFrame,
    *,
    outcome: str = "pih_index",
    group: str = "fitzpatrick",
    visit: str = "month",
    ci_level: float = 0.95,
    dodge: float = 0.1,
    title: str | None = None,
    ax: Axes | None = None,
    public: bool = False,
) -> Axes:
    """Mean trajectories with a confidence interval of the mean, by group (Fitzpatrick type).

    The y axis starts at the scale's floor when it is 0, and the bands stay within the scale
    (the data standard's bounds).

    Parameters
    ----------
    visits : DataFrame
        Long visit table with ``outcome``, ``group`` (merged from ``subjects``; single types
        I–VI or combined levels such as ``"I–II"``; an ordered categorical keeps its order)
        and ``visit``.
    outcome, group, visit : str
        Column names.
    ci_level : float, default 0.95
        Level of the t-interval of the mean, ``mean ± t_{n−1} · sd / √n`` (no interval for
        a single subject).
    dodge : float, default 0.1
        Horizontal shift between groups, in visit units.
    {{title}}
    {{ax}}
    public : bool, default False
        Apply the small-cell policy (:func:`acne_outcomes.privacy.small_cell_policy`): a
        mean of fewer than k values (a group at a visit) is not drawn, nor a group left with
        none, and a note under the figure says so and names the groups left out.

    Returns
    -------
    Axes
        One line and one shaded band per group, in the skin-tone palette of
        :func:`acne_outcomes.style.group_colours` (light to dark, apart from the arm colours),
        each with its own marker.

    Examples
    --------
    >>> visits = pd.DataFrame({"month": [0, 0, 12, 12] * 2, "pih_index": [6, 7, 3, 4, 8, 9, 6, 7],
    ...                        "fitzpatrick": ["II"] * 4 + ["V"] * 4})
    >>> ax = plot_by_group(visits)
    >>> [line.get_label() for line in ax.get_lines()]
    ['II', 'V']
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    function = "plot_by_group"
    require_frame(visits, function, outcome, group, visit)
    ci_level = check_ci_level(ci_level)
    used = visits[visits[outcome].notna() & visits[group].notna()]
    if used.empty:
        raise ValueError(f"{function}: no rows with both {outcome!r} and {group!r} present")
    levels = ordered_levels(used[group], group)
    colours = style.group_colours(levels)
    summaries = {}
    for level in levels:
        rows = used[used[group] == level]
        summaries[level] = summarise(
            rows.assign(_visit=floats(rows[visit])), value=outcome, by=["_visit"],
            ci_level=ci_level,
        )  # fmt: skip
    policy = small_cell_policy()
    few = public and any((summary["n"] < policy.k).any() for summary in summaries.values())
    if public:
        summaries = {
            level: summary[summary["n"] >= policy.k] for level, summary in summaries.items()
        }
    gone = [level for level, summary in summaries.items() if summary.empty]
    if len(gone) == len(levels):
        raise NotEstimable(
            f"every {words(group).lower()} has fewer than {policy.k} subjects at each visit "
            "(public mode)"
        )
    ax = axes_for(ax)
    drawn = []
    with style.house_style():
        for index, (level, shift) in enumerate(
            zip(levels, offsets(len(levels), dodge), strict=True)
        ):
            summary = summaries[level]
            if summary.empty:
                continue
            x = summary["_visit"].to_numpy(dtype=float) + shift
            low, high = clip_to_scale(outcome, summary["low"].to_numpy(float),
                                      summary["high"].to_numpy(float))  # fmt: skip
            drawn += [summary["centre"].to_numpy(float), low, high]
            ax.plot(
                x,
                summary["centre"].to_numpy(float),
                marker=GROUP_MARKERS[index % len(GROUP_MARKERS)],
                color=colours[level],
                label=str(level),
            )
            ax.fill_between(x, low, high, color=colours[level], alpha=0.12, linewidth=0)
        ax.legend(
            title=f"{words(group)}\n(mean, {ci_level:.0%} CI)",
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
        )
        visit_axis(ax, used[visit], visit)
        honest_y(ax, outcome, drawn)
        ax.set_ylabel(axis_label(outcome))
        if few:
            left_out = f" ({', '.join(map(str, gone))} not shown)" if gone else ""
            add_note(
                ax, f"Public mode: means of fewer than {policy.k} subjects are not drawn{left_out}."
            )
        return finish(ax, title)
