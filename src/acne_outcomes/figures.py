"""Report figures: each ``plot_x(data, *, ..., ax=None) -> Axes`` draws on one Axes.

Every function takes a long DataFrame (or a tidy estimate frame from :mod:`acne_outcomes.stats`)
and column names as keywords, draws in the house style of :mod:`acne_outcomes.style` (arm
colours, Fitzpatrick colours, font sizes) and returns the Axes. Without ``ax`` a new figure at a
journal column width is created. Nothing here shows or saves a figure: save with
:func:`acne_outcomes.style.save_figure`. Bad input (not a DataFrame, no rows, a missing
column) raises ``ValueError`` naming the missing column(s) and the expected ones.

The small summaries drawn by :func:`plot_by_group` and :func:`plot_labs` (mean with a
t-interval, median with quartiles) are computed here; model-based estimates come from
:mod:`acne_outcomes.stats` as tidy frames.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import transforms
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch, Rectangle
from matplotlib.ticker import (
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullFormatter,
    PercentFormatter,
)
from scipy import stats as scipy_stats

from acne_outcomes import standard, style

__all__ = [
    "AE_DOT_COLUMNS",
    "FLOW_COLUMNS",
    "KM_COLUMNS",
    "ae_dots_frame",
    "axis_label",
    "flow_frame",
    "plot_ae_dots",
    "plot_by_group",
    "plot_flow",
    "plot_forest",
    "plot_km",
    "plot_labs",
    "plot_mean_trajectories",
    "plot_missing_pattern",
    "plot_spaghetti",
    "plot_stacked_grades",
    "plot_waterfall",
]

#: Columns of the flow frame of :func:`plot_flow`.
FLOW_COLUMNS = ("stage", "arm", "n", "detail")
#: Columns of the curve frame of :func:`plot_km` (``at_risk`` only for the table).
KM_COLUMNS = ("arm", "time", "survival", "ci_low", "ci_high", "at_risk")
#: Columns of the incidence frame of :func:`plot_ae_dots`.
AE_DOT_COLUMNS = ("term", "arm", "percent", "risk_difference", "rd_ci_low", "rd_ci_high")

_ACRONYMS = {"pih": "PIH", "iga": "IGA", "ecca": "ECCA", "alt": "ALT", "ast": "AST"}
_COUNT_UNITS = {"lesions", "macules"}
_MISSING_COLOUR = "#E6E6E6"
_INK = "#333333"
_ARM_MARKERS = ("o", "^", "s", "D", "v")


# ---------------------------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------------------------


def _require(data: object, function: str, *columns: str | None) -> pd.DataFrame:
    """Return ``data`` if it is a non-empty DataFrame holding every named column."""
    expected = [name for name in columns if name is not None]
    if not isinstance(data, pd.DataFrame):
        raise ValueError(
            f"{function}: expected a DataFrame with columns {expected}; got {type(data).__name__}"
        )
    missing = [name for name in expected if name not in data.columns]
    if missing:
        raise ValueError(
            f"{function}: missing column(s) {missing}; expected columns {expected}, "
            f"got {list(data.columns)}"
        )
    if data.empty:
        raise ValueError(f"{function}: the data has no rows; expected rows with columns {expected}")
    return data


def _floats(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _axes(ax: Axes | None, width: str = "single", height: float | None = None) -> Axes:
    if ax is None:
        return style.figure(width, height)[1]
    if not isinstance(ax, Axes):
        raise ValueError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}")
    return ax


def _field(name: str) -> dict | None:
    for table in standard.TABLES:
        if name in standard.field_names(table):
            return standard.field(table, name)
    return None


def _words(name: str) -> str:
    words = [_ACRONYMS.get(word, word) for word in str(name).split("_")]
    text = " ".join(words)
    return text[0].upper() + text[1:] if text else text


def axis_label(name: str, unit: str | None = None) -> str:
    """Readable axis label of a column, with its unit from the data standard.

    Examples
    --------
    >>> axis_label("inflammatory_lesions")
    'Inflammatory lesions (count)'
    >>> axis_label("pih_index")
    'PIH index (points)'
    >>> axis_label("month")
    'Month'
    """
    item = _field(name)
    if unit is None and item is not None:
        unit = item.get("unit")
    if unit in _COUNT_UNITS:
        unit = "count"
    if unit in (None, "months", "grade", "proportion") or name == "month":
        return _words(name)
    return f"{_words(name)} ({unit})"


def _arm_order(values: pd.Series) -> list:
    """Arms in a fixed order: categories if categorical, else the standard's arms, then sorted."""
    present = list(pd.unique(values.dropna()))
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [level for level in values.cat.categories if level in present]
    known = [arm for arm in style.ARM_COLOURS if arm in present]
    return known + sorted((arm for arm in present if arm not in known), key=str)


def _ordered_levels(values: pd.Series, name: str) -> list:
    """Ordered levels of a grouping or grade column: categories, the standard, else sorted."""
    present = list(pd.unique(values.dropna()))
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [level for level in values.cat.categories if level in present]
    item = _field(name)
    order = standard.category_values(item) if item is not None else None
    if order is not None and all(level in order for level in present):
        return [level for level in order if level in present]
    if all(str(level) in style.FITZPATRICK_TYPES for level in present):
        return [level for level in style.FITZPATRICK_TYPES if level in present]
    return sorted(present, key=lambda level: (str(type(level)), level))


def _offsets(count: int, dodge: float) -> list[float]:
    return [dodge * (index - (count - 1) / 2) for index in range(count)]


def _arm_handles(arms: Sequence, *, kind: str = "line") -> list:
    if kind == "patch":
        return [Patch(facecolor=style.arm_colour(arm), label=str(arm)) for arm in arms]
    return [Line2D([], [], color=style.arm_colour(arm), label=str(arm)) for arm in arms]


def _visit_axis(ax: Axes, values: pd.Series, name: str) -> None:
    """Label the visit axis; ticks at the visits when there are few of them."""
    visits = np.unique(_floats(values.dropna()))
    if len(visits) <= 13:
        ax.set_xticks(visits, [f"{visit:g}" for visit in visits])
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(axis_label(name))


def _finish(ax: Axes, title: str | None) -> Axes:
    if title is not None:
        ax.set_title(title)
    return ax


def _mean_ci(values: pd.Series, ci_level: float) -> pd.Series:
    data = values.dropna().to_numpy(dtype=float)
    n = data.size
    mean = data.mean() if n else np.nan
    if n > 1:
        half = scipy_stats.t.ppf(0.5 + ci_level / 2, n - 1) * data.std(ddof=1) / np.sqrt(n)
    else:
        half = np.nan
    return pd.Series({"centre": mean, "low": mean - half, "high": mean + half, "n": n})


def _median_iqr(values: pd.Series) -> pd.Series:
    data = values.dropna().to_numpy(dtype=float)
    if data.size == 0:
        return pd.Series({"centre": np.nan, "low": np.nan, "high": np.nan, "n": 0})
    low, centre, high = np.percentile(data, [25, 50, 75])
    return pd.Series({"centre": centre, "low": low, "high": high, "n": data.size})


def _check_level(ci_level: float) -> float:
    if not isinstance(ci_level, (int, float)) or not 0 < ci_level < 1:
        raise ValueError(f"ci_level must be a number in the open interval (0, 1); got {ci_level!r}")
    return float(ci_level)


# ---------------------------------------------------------------------------------------------
# outcomes over time
# ---------------------------------------------------------------------------------------------


def plot_mean_trajectories(
    estimates: pd.DataFrame,
    *,
    outcome: str | None = None,
    band: bool = False,
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
        Which ``outcome`` to draw; required when the mean rows hold several outcomes.
    band : bool, default False
        Draw the intervals as shaded bands instead of error bars.
    dodge : float, default 0.15
        Horizontal shift between arms, in visit units, so intervals do not overlap.
    title : str, optional
    ax : Axes, optional

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
    ['isotretinoin', 'comparator']
    >>> plt.close(ax.figure)
    """
    function = "plot_mean_trajectories"
    columns = ("outcome", "contrast", "visit", "estimate", "ci_low", "ci_high", "scale")
    _require(estimates, function, *columns)
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
    with style.house_style():
        ax = _axes(ax)
        arms = _arm_order(means["contrast"])
        for arm, shift in zip(arms, _offsets(len(arms), dodge), strict=True):
            rows = means[means["contrast"] == arm].sort_values("visit")
            x = _floats(rows["visit"]) + shift
            centre, low, high = (_floats(rows[name]) for name in ("estimate", "ci_low", "ci_high"))
            colour = style.arm_colour(arm)
            ax.plot(x, centre, marker="o", color=colour, label=str(arm), zorder=3)
            if band:
                ax.fill_between(x, low, high, color=colour, alpha=0.2, linewidth=0)
            else:
                ax.errorbar(
                    x,
                    centre,
                    yerr=[centre - low, high - centre],
                    fmt="none",
                    ecolor=colour,
                    elinewidth=0.9,
                    capsize=2,
                )
        level = _floats(means["ci_level"]).max() if "ci_level" in means.columns else np.nan
        legend_title = "Mean" if np.isnan(level) else f"Mean ({level:.0%} CI)"
        ax.legend(title=legend_title)
        _visit_axis(ax, means["visit"], "month")
        ax.set_ylabel(axis_label(str(outcome)))
        return _finish(ax, title)


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
    title : str, optional
    ax : Axes, optional

    Returns
    -------
    Axes
        One line per subject, with ``gid`` ``"subject-<k>"`` (``k``: the subject's position in
        sorted order; identifiers are never written into a figure, where SVG output would
        carry them); highlighted lines are wider.
    """
    function = "plot_spaghetti"
    _require(visits, function, outcome, subject, visit, arm)
    chosen = set() if highlight is None else set(highlight)
    unknown = chosen - set(visits[subject])
    if unknown:
        raise ValueError(
            f"{function}: highlight subjects not in the data: {sorted(unknown, key=str)}"
        )
    with style.house_style():
        ax = _axes(ax)
        arms = _arm_order(visits[arm])
        grouped = visits.sort_values([subject, visit]).groupby(subject, sort=True)
        for position, (name, rows) in enumerate(grouped):
            observed = rows[rows[outcome].notna()]
            bold = name in chosen
            ax.plot(
                _floats(observed[visit]),
                _floats(observed[outcome]),
                color=style.arm_colour(rows[arm].iloc[0]),
                gid=f"subject-{position}",
                linewidth=1.8 if bold else 0.6,
                alpha=1.0 if bold else 0.35,
                zorder=3 if bold else 2,
                marker="o" if bold else None,
                markersize=2.5,
            )
        ax.legend(handles=_arm_handles(arms))
        _visit_axis(ax, visits[visit], visit)
        ax.set_ylabel(axis_label(outcome))
        return _finish(ax, title)


def plot_waterfall(
    changes: pd.DataFrame,
    *,
    value: str = "percent_change",
    arm: str = "arm",
    reference_lines: Sequence[float] = (-50, -75, -90),
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Waterfall plot: one bar per subject, the percent change sorted from worst to best.

    Parameters
    ----------
    changes : DataFrame
        One row per subject with ``value`` (percent change from baseline, e.g. −80 for an 80 %
        reduction) and ``arm``. Rows with a missing value are not drawn; their number is noted
        under the bars.
    value, arm : str
        Column names.
    reference_lines : sequence of float, default (-50, -75, -90)
        Dashed horizontal lines (responder thresholds, in %); ``()`` for none.
    title : str, optional
    ax : Axes, optional

    Returns
    -------
    Axes
        One bar per subject with a value, coloured by arm, in decreasing order of change.

    Examples
    --------
    >>> changes = pd.DataFrame({"percent_change": [-80.0, 10.0, -55.0, -95.0],
    ...                         "arm": ["isotretinoin", "comparator", "comparator",
    ...                                 "isotretinoin"]})
    >>> ax = plot_waterfall(changes)
    >>> [round(bar.get_height()) for bar in ax.patches]
    [10, -55, -80, -95]
    >>> plt.close(ax.figure)
    """
    function = "plot_waterfall"
    _require(changes, function, value, arm)
    shown = changes[changes[value].notna()].sort_values(value, ascending=False, kind="stable")
    if shown.empty:
        raise ValueError(f"{function}: every value in column {value!r} is missing")
    with style.house_style():
        ax = _axes(ax)
        positions = np.arange(len(shown))
        colours = [style.arm_colour(name) for name in shown[arm]]
        ax.bar(positions, _floats(shown[value]), width=0.85, color=colours, linewidth=0)
        ax.axhline(0, color=_INK, linewidth=0.8)
        for level in reference_lines:
            ax.axhline(level, color=_INK, linewidth=0.7, linestyle="--", gid="reference-line")
            ax.annotate(
                f"{level:g}%".replace("-", "\N{MINUS SIGN}"),
                xy=(1, level),
                xycoords=("axes fraction", "data"),
                xytext=(2, 0),
                textcoords="offset points",
                va="center",
                fontsize=6,
            )
        ax.set_xlim(-0.6, len(shown) - 0.4)
        ax.set_xticks([])
        ax.grid(axis="x", visible=False)
        dropped = len(changes) - len(shown)
        note = f"n = {len(shown)}" + (f"; {dropped} missing,\nnot shown" if dropped else "")
        ax.set_xlabel("Subjects, sorted by change")
        ax.set_ylabel(
            "Change from baseline (%)" if value == "percent_change" else axis_label(value)
        )
        ax.legend(
            handles=_arm_handles(_arm_order(shown[arm]), kind="patch")
            + [Patch(facecolor="none", edgecolor="none", label=note)],
            loc="lower left",
            frameon=True,
            framealpha=0.9,
            edgecolor="none",
        )
        return _finish(ax, title)


def _grade_labels(outcome: str, grades: Sequence) -> list[str]:
    item = _field(outcome)
    labels = {}
    for entry in (item or {}).get("categories", []) or []:
        if isinstance(entry, dict) and "label" in entry:
            labels[entry["value"]] = entry["label"]
    return [f"{grade}: {labels[grade]}" if grade in labels else str(grade) for grade in grades]


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
    title : str, optional
    ax : Axes, optional

    Returns
    -------
    Axes
        Per visit and arm, one stacked bar segment per grade (light = low grade); above each
        bar a small strip in the arm colour (``gid="arm-strip"``). Two legends: grades
        (with the standard's labels) and arms.
    """
    function = "plot_stacked_grades"
    _require(visits, function, outcome, visit, arm)
    graded = visits[visits[outcome].notna()]
    if graded.empty:
        raise ValueError(f"{function}: every value in column {outcome!r} is missing")
    grades = _ordered_levels(graded[outcome], outcome)
    arms = _arm_order(graded[arm])
    times = sorted(pd.unique(_floats(graded[visit])))
    colours = style.sequential_colours(len(grades), low=0.1, high=0.95)
    width = 0.8 / len(arms)
    with style.house_style():
        ax = _axes(ax, "double")
        for arm_name, shift in zip(arms, _offsets(len(arms), width), strict=True):
            rows = graded[graded[arm] == arm_name]
            table = pd.crosstab(
                _floats(rows[visit]), rows[outcome].astype(object), normalize="index"
            )
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
                color=style.arm_colour(arm_name),
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
            for colour, label in zip(colours, _grade_labels(outcome, grades), strict=True)
        ]
        first = ax.legend(
            handles=grade_handles[::-1],
            title=_words(outcome),
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
        )
        ax.add_artist(first)
        ax.legend(
            handles=_arm_handles(arms, kind="patch"),
            title="Arm (strip)",
            loc="lower left",
            bbox_to_anchor=(1.01, 0.0),
        )
        return _finish(ax, title)


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
) -> Axes:
    """Mean trajectories with a confidence interval of the mean, by group (Fitzpatrick type).

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
    title : str, optional
    ax : Axes, optional

    Returns
    -------
    Axes
        One line and one shaded band per group, in the ordered sequential group palette.

    Examples
    --------
    >>> visits = pd.DataFrame({"month": [0, 0, 12, 12] * 2, "pih_index": [6, 7, 3, 4, 8, 9, 6, 7],
    ...                        "fitzpatrick": ["II"] * 4 + ["V"] * 4})
    >>> ax = plot_by_group(visits)
    >>> [line.get_label() for line in ax.get_lines()]
    ['II', 'V']
    >>> plt.close(ax.figure)
    """
    function = "plot_by_group"
    _require(visits, function, outcome, group, visit)
    ci_level = _check_level(ci_level)
    used = visits[visits[outcome].notna() & visits[group].notna()]
    if used.empty:
        raise ValueError(f"{function}: no rows with both {outcome!r} and {group!r} present")
    levels = _ordered_levels(used[group], group)
    colours = style.group_colours(levels)
    with style.house_style():
        ax = _axes(ax)
        for level, shift in zip(levels, _offsets(len(levels), dodge), strict=True):
            rows = used[used[group] == level]
            summary = (
                rows.groupby(_floats(rows[visit]))[outcome]
                .apply(lambda values: _mean_ci(values, ci_level))
                .unstack()
            )
            x = summary.index.to_numpy(dtype=float) + shift
            ax.plot(
                x,
                summary["centre"].to_numpy(float),
                marker="o",
                color=colours[level],
                label=str(level),
            )
            ax.fill_between(
                x,
                summary["low"].to_numpy(float),
                summary["high"].to_numpy(float),
                color=colours[level],
                alpha=0.12,
                linewidth=0,
            )
        ax.legend(
            title=f"{_words(group)}\n(mean, {ci_level:.0%} CI)",
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
        )
        _visit_axis(ax, used[visit], visit)
        ax.set_ylabel(axis_label(outcome))
        return _finish(ax, title)


# ---------------------------------------------------------------------------------------------
# estimates
# ---------------------------------------------------------------------------------------------


def _is_ratio(scale: object) -> bool:
    return "ratio" in str(scale).lower()


def plot_forest(
    estimates: pd.DataFrame,
    *,
    label: str = "contrast",
    null: float | None = None,
    log: bool | None = None,
    show_estimates: bool = True,
    digits: int = 2,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Forest plot of tidy estimates: one row per estimate, point and interval.

    Parameters
    ----------
    estimates : DataFrame
        Tidy estimate frame with ``label``, ``estimate``, ``ci_low``, ``ci_high`` and
        ``scale`` (and ``ci_level`` for the axis label). Rows are drawn top to bottom in
        frame order. All rows must share a kind of scale (all ratios or all differences).
    label : str, default "contrast"
        Column whose values label the rows (e.g. ``"outcome"`` or a subgroup column); outcome
        column names are shown as words (``"pih_index"`` → "PIH index").
    null : float, optional
        Position of the no-effect line; default 1 for ratio scales (``scale`` containing
        "ratio") and 0 otherwise.
    log : bool, optional
        Logarithmic x axis; default True for ratio scales.
    show_estimates : bool, default True
        Write "estimate (low to high)" in a text column right of the axes.
    digits : int, default 2
        Decimals of that text.
    title : str, optional
    ax : Axes, optional

    Returns
    -------
    Axes
        Interval segments (one ``LineCollection``), point markers (one line, ``gid="points"``)
        and the null line (``gid="null-line"``).

    Examples
    --------
    >>> estimates = pd.DataFrame({"outcome": ["inflammatory_lesions", "nodules"],
    ...     "estimate": [0.45, 0.6], "ci_low": [0.35, 0.4], "ci_high": [0.58, 0.9],
    ...     "scale": "rate ratio"})
    >>> ax = plot_forest(estimates, label="outcome")
    >>> ax.get_xscale()
    'log'
    >>> plt.close(ax.figure)
    """
    function = "plot_forest"
    _require(estimates, function, label, "estimate", "ci_low", "ci_high", "scale")
    scales = list(pd.unique(estimates["scale"].dropna()))
    kinds = {_is_ratio(scale) for scale in scales}
    if len(kinds) > 1:
        raise ValueError(f"{function}: ratio and difference scales cannot share an axis: {scales}")
    ratio = kinds == {True}
    null = (1.0 if ratio else 0.0) if null is None else float(null)
    log = ratio if log is None else bool(log)
    centre, low, high = (_floats(estimates[name]) for name in ("estimate", "ci_low", "ci_high"))
    if log and (np.nanmin(np.concatenate([centre, low, high])) <= 0 or null <= 0):
        raise ValueError(f"{function}: a log axis needs positive estimates, limits and null")
    level = _floats(estimates["ci_level"]).max() if "ci_level" in estimates.columns else np.nan
    interval = "" if np.isnan(level) else f" ({level:.0%} CI)"
    with style.house_style():
        ax = _axes(ax, "double", 0.8 + 0.28 * len(estimates))
        y = np.arange(len(estimates))[::-1].astype(float)
        ax.hlines(y, low, high, color=_INK, linewidth=1.0)
        ax.plot(centre, y, linestyle="none", marker="s", color=_INK, gid="points")
        ax.axvline(null, color=_INK, linewidth=0.8, linestyle="--", gid="null-line")
        if log:
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
        names = estimates[label].map(_words if label == "outcome" else str)
        ax.set_yticks(y, names.tolist())
        ax.set_ylim(-0.7, len(estimates) - 0.3)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel((scales[0].capitalize() if len(scales) == 1 else "Estimate") + interval)
        if show_estimates:
            where = transforms.blended_transform_factory(ax.transAxes, ax.transData)
            ax.text(
                1.03,
                len(estimates) - 0.4,
                f"Estimate{interval}",
                transform=where,
                fontweight="bold",
                va="bottom",
                fontsize=7,
            )
            for row_y, values in zip(y, zip(centre, low, high, strict=True), strict=True):
                text = "{:.{d}f} ({:.{d}f} to {:.{d}f})".format(*values, d=digits)
                text = text.replace("-", "\N{MINUS SIGN}")
                ax.text(1.03, row_y, text, transform=where, va="center", fontsize=7)
        return _finish(ax, title)


# ---------------------------------------------------------------------------------------------
# flow diagram
# ---------------------------------------------------------------------------------------------


def _flow_entry(stage: object, arm: object, entry: object) -> dict:
    n, detail = entry if isinstance(entry, tuple) else (entry, "")
    return {"stage": stage, "arm": arm, "n": n, "detail": detail}


def flow_frame(flow: pd.DataFrame | Mapping) -> pd.DataFrame:
    """Return the flow of :func:`plot_flow` as a validated frame (``stage, arm, n, detail``).

    Parameters
    ----------
    flow : DataFrame or mapping
        Either a DataFrame with columns ``stage`` (box title; stages drawn top to bottom in
        order of first appearance), ``arm`` (missing for a box spanning all arms, else the
        arm), ``n`` (subjects, a non-negative integer) and optionally ``detail`` (free text,
        e.g. reasons with counts, lines separated by ``"\\n"``); or a mapping
        ``{stage: entry}`` where ``entry`` is ``n``, ``(n, detail)`` or a mapping
        ``{arm: n or (n, detail)}``.

    Examples
    --------
    >>> frame = flow_frame({"randomised": 200, "allocated": {"isotretinoin": 100,
    ...                                                    "comparator": (100, "1 untreated")}})
    >>> frame[["arm", "n", "detail"]].values.tolist()
    [[None, 200, ''], ['isotretinoin', 100, ''], ['comparator', 100, '1 untreated']]
    """
    function = "plot_flow"
    if isinstance(flow, Mapping):
        rows = []
        for stage, entry in flow.items():
            if isinstance(entry, Mapping):
                rows += [_flow_entry(stage, arm, value) for arm, value in entry.items()]
            else:
                rows.append(_flow_entry(stage, None, entry))
        flow = pd.DataFrame(rows, columns=list(FLOW_COLUMNS))
    _require(flow, function, "stage", "arm", "n")
    frame = flow.reindex(columns=list(FLOW_COLUMNS)).astype(object)
    frame["detail"] = frame["detail"].where(frame["detail"].notna(), "").map(str)
    frame["arm"] = frame["arm"].where(frame["arm"].notna() & (frame["arm"] != ""), None)
    counts = pd.to_numeric(frame["n"], errors="coerce")
    if counts.isna().any() or (counts < 0).any() or (counts % 1 != 0).any():
        raise ValueError(
            f"{function}: column 'n' must hold non-negative integers; got {frame['n'].tolist()}"
        )
    frame["n"] = counts.astype(int).tolist()
    for stage, rows in frame.groupby("stage", sort=False):
        shared = rows["arm"].isna()
        if (shared.any() and len(rows) > 1) or rows["arm"].duplicated().any():
            raise ValueError(
                f"{function}: stage {stage!r} needs one box for all arms (arm "
                f"missing) or one row per arm; got arms {rows['arm'].tolist()}"
            )
    return frame.reset_index(drop=True)


def _box_text(row: pd.Series, characters: int) -> str:
    heading = str(row["stage"]) if row["arm"] is None else f"{row['stage']}: {row['arm']}"
    lines = [*textwrap.wrap(heading, characters), f"n = {row['n']}"]
    for line in str(row["detail"]).splitlines():
        lines += textwrap.wrap(line, characters) or [""]
    return "\n".join(lines)


def plot_flow(
    flow: pd.DataFrame | Mapping, *, title: str | None = None, ax: Axes | None = None
) -> Axes:
    """CONSORT-style flow diagram: one box per stage (and arm), arrows between stages.

    Parameters
    ----------
    flow : DataFrame or mapping
        The row accounting, as described in :func:`flow_frame` (columns ``stage, arm, n,
        detail``), e.g. assessed → randomised → allocated per arm → discontinued per arm
        (reasons in ``detail``) → analysed per arm.
    title : str, optional
    ax : Axes, optional
        Without it, a double-column figure tall enough for the text.

    Returns
    -------
    Axes
        Axis hidden; one ``Rectangle`` per row of the flow (``gid="flow-box"``, titled with
        the stage and arm, edge in the arm colour, grey for boxes spanning all arms) and one
        arrow per connection: a shared box to each arm box, an arm box to the same arm below,
        arm boxes into a shared box.

    Examples
    --------
    >>> ax = plot_flow({"randomised": 240, "allocated": {"isotretinoin": 120,
    ...                                                 "comparator": 120}})
    >>> len([patch for patch in ax.patches if patch.get_gid() == "flow-box"])
    3
    >>> plt.close(ax.figure)
    """
    frame = flow_frame(flow)
    arms = _arm_order(frame["arm"].dropna()) if frame["arm"].notna().any() else []
    columns = max(len(arms), 1)
    stages = list(pd.unique(frame["stage"]))
    line, pad, gap = 1.0, 0.8, 1.6
    with style.house_style():
        created = ax is None
        ax = _axes(ax, "double")
        width_in = ax.figure.get_figwidth() * ax.get_position().width
        characters = max(int(width_in * 0.9 / columns * 72 / (7 * 0.6)), 12)
        texts = {index: _box_text(row, characters) for index, row in frame.iterrows()}
        heights = {
            stage: max(texts[i].count("\n") + 1 for i in frame.index[frame["stage"] == stage])
            * line
            + pad
            for stage in stages
        }
        if created:
            ax.figure.set_figheight(0.35 + 0.13 * (sum(heights.values()) + gap * len(stages)))
        boxes, top = {}, 0.0
        for stage in stages:
            for index in frame.index[frame["stage"] == stage]:
                arm = frame.at[index, "arm"]
                if arm is None:
                    left, box_width, edge = 0.2, 0.6, _INK
                else:
                    left, box_width = (arms.index(arm) + 0.05) / columns, 0.9 / columns
                    edge = style.arm_colour(arm)
                ax.add_patch(
                    Rectangle(
                        (left, top),
                        box_width,
                        heights[stage],
                        facecolor="white",
                        edgecolor=edge,
                        linewidth=1.2,
                        gid="flow-box",
                    )
                )
                ax.text(
                    left + box_width / 2,
                    top + heights[stage] / 2,
                    texts[index],
                    ha="center",
                    va="center",
                    fontsize=7,
                    linespacing=1.25,
                )
                boxes.setdefault(stage, {})[arm] = (left + box_width / 2, top, heights[stage])
            top += heights[stage] + gap
        for upper, lower in zip(stages, stages[1:], strict=False):
            for arm_above, (x0, y0, h0) in boxes[upper].items():
                for arm_below, (x1, y1, _) in boxes[lower].items():
                    if arm_above is None or arm_below is None or arm_above == arm_below:
                        ax.add_patch(
                            FancyArrowPatch(
                                (x0, y0 + h0),
                                (x1, y1),
                                arrowstyle="-|>",
                                mutation_scale=8,
                                color=_INK,
                                linewidth=0.9,
                                shrinkA=0,
                                shrinkB=0,
                                gid="flow-arrow",
                            )
                        )
        ax.set_xlim(0, 1)
        ax.set_ylim(top - gap + 0.05, -0.05)
        ax.set_axis_off()
        return _finish(ax, title)


# ---------------------------------------------------------------------------------------------
# time to event
# ---------------------------------------------------------------------------------------------


def _km_curves(curves: pd.DataFrame) -> pd.DataFrame:
    tidy = {"contrast", "visit", "estimate", "scale"}
    if tidy <= set(curves.columns) and not {"arm", "time", "survival"} <= set(curves.columns):
        rows = curves[curves["scale"] == "survival probability"]
        return pd.DataFrame(
            {
                "arm": rows["contrast"],
                "time": rows["visit"],
                "survival": rows["estimate"],
                "ci_low": rows.get("ci_low"),
                "ci_high": rows.get("ci_high"),
                "at_risk": rows.get("n"),
            }
        )
    return curves


def _at_risk(rows: pd.DataFrame, when: float) -> str:
    later = rows[_floats(rows["time"]) >= when]
    if later.empty or pd.isna(later["at_risk"].iloc[0]):
        return ""
    return f"{int(later['at_risk'].iloc[0])}"


def _at_risk_table(ax: Axes, per_arm: Mapping[object, pd.DataFrame], ticks: Sequence) -> None:
    """Write the numbers at risk under the axis: a header, then one row per arm."""
    figure_inches = ax.figure.dpi_scale_trans
    under_tick = transforms.blended_transform_factory(ax.transData, ax.transAxes)
    left_edge = transforms.blended_transform_factory(ax.transAxes, ax.transAxes)
    offset, label_gap = 36, 16
    for row, arm in enumerate([None, *per_arm]):
        drop = -(offset + 10 * row) / 72
        ax.text(
            0,
            0,
            "Number at risk" if arm is None else str(arm),
            fontsize=7,
            ha="right",
            fontweight="bold" if arm is None else "normal",
            color=_INK if arm is None else style.arm_colour(arm),
            transform=left_edge
            + transforms.ScaledTranslation(-label_gap / 72, drop, figure_inches),
        )
        if arm is None:
            continue
        for tick in ticks:
            ax.text(
                tick,
                0,
                _at_risk(per_arm[arm], tick),
                fontsize=7,
                ha="center",
                color=style.arm_colour(arm),
                gid="at-risk",
                transform=under_tick + transforms.ScaledTranslation(0, drop, figure_inches),
            )


def plot_km(
    curves: pd.DataFrame,
    *,
    at_risk: bool = True,
    times: Sequence[float] | None = None,
    band: bool = True,
    xlabel: str = "Month",
    ylabel: str = "Probability without event",
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Kaplan–Meier step curves per arm with pointwise CI bands and a numbers-at-risk table.

    Parameters
    ----------
    curves : DataFrame
        One row per arm and time (:data:`KM_COLUMNS`): ``arm``; ``time`` (in the unit of
        ``xlabel``); ``survival`` = S(t) just after ``time``; ``ci_low``, ``ci_high`` =
        pointwise interval (needed when ``band``); ``at_risk`` = subjects at risk just before
        ``time`` (needed when ``at_risk``). A curve not starting at time 0 is drawn from
        S(0) = 1. The tidy frame of :func:`acne_outcomes.stats.survival.kaplan_meier`
        (``contrast``, ``visit``, ``estimate``, ``n`` with ``scale="survival probability"``)
        is accepted as is.
    at_risk : bool, default True
        Draw the numbers at risk under the axis at ``times``: for each time the ``at_risk`` of
        the first row at or after it (exact when the frame has a row at every event and
        censoring time, otherwise a lower bound); blank after the last row.
    times : sequence of float, optional
        Times of the at-risk table; default the x tick positions.
    band : bool, default True
    xlabel, ylabel, title : str
    ax : Axes, optional

    Returns
    -------
    Axes
        One step line per arm (label = arm) in the arm colour, one band per arm.
    """
    function = "plot_km"
    data = _km_curves(_require(curves, function))
    _require(
        data,
        function,
        "arm",
        "time",
        "survival",
        *(("ci_low", "ci_high") if band else ()),
        "at_risk" if at_risk else None,
    )
    with style.house_style():
        ax = _axes(ax, "single", 3.0 if at_risk else None)
        arms = _arm_order(data["arm"])
        per_arm = {}
        for arm in arms:
            rows = data[data["arm"] == arm].sort_values("time", kind="stable")
            per_arm[arm] = rows
            x = np.concatenate([[0.0], _floats(rows["time"])])
            y = np.concatenate([[1.0], _floats(rows["survival"])])
            colour = style.arm_colour(arm)
            ax.step(x, y, where="post", color=colour, label=str(arm))
            if band:
                low = np.concatenate([[1.0], _floats(rows["ci_low"])])
                high = np.concatenate([[1.0], _floats(rows["ci_high"])])
                ax.fill_between(x, low, high, step="post", color=colour, alpha=0.18, linewidth=0)
        ax.set_xlim(0, np.nanmax(_floats(data["time"])) * 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(loc="lower left")
        if at_risk:
            left, right = ax.get_xlim()
            ticks = [t for t in (ax.get_xticks() if times is None else times) if left <= t <= right]
            ax.set_xticks(ticks)
            _at_risk_table(ax, per_arm, ticks)
        return _finish(ax, title)


# ---------------------------------------------------------------------------------------------
# safety
# ---------------------------------------------------------------------------------------------


def ae_dots_frame(estimates: pd.DataFrame) -> pd.DataFrame:
    """Reshape the tidy frame of :func:`acne_outcomes.stats.safety.ae_incidence` for the dot plot.

    Parameters
    ----------
    estimates : DataFrame
        Tidy frame with ``outcome`` = term, rows ``scale="proportion"`` (``contrast`` = arm)
        and ``scale="risk difference"`` (one non-reference arm; ``estimate``, ``ci_low``,
        ``ci_high`` as proportions).

    Returns
    -------
    DataFrame
        :data:`AE_DOT_COLUMNS` plus ``contrast``; percentages and percentage points.

    Examples
    --------
    >>> estimates = pd.DataFrame({"outcome": "cheilitis",
    ...     "contrast": ["comparator", "isotretinoin", "isotretinoin - comparator"],
    ...     "estimate": [0.1, 0.8, 0.7], "ci_low": [0.02, 0.6, 0.5], "ci_high": [0.3, 0.9, 0.85],
    ...     "scale": ["proportion", "proportion", "risk difference"]})
    >>> ae_dots_frame(estimates)[["arm", "percent", "risk_difference"]].values.tolist()
    [['comparator', 10.0, 70.0], ['isotretinoin', 80.0, 70.0]]
    """
    function = "ae_dots_frame"
    _require(estimates, function, "outcome", "contrast", "estimate", "ci_low", "ci_high", "scale")
    differences = estimates[estimates["scale"] == "risk difference"]
    if differences["outcome"].duplicated().any():
        raise ValueError(f"{function}: one risk difference per term is needed (two arms)")
    proportions = estimates[estimates["scale"] == "proportion"]
    frame = pd.DataFrame(
        {
            "term": proportions["outcome"],
            "arm": proportions["contrast"],
            "percent": 100 * _floats(proportions["estimate"]),
        }
    )
    rd = pd.DataFrame(
        {
            "term": differences["outcome"],
            "risk_difference": 100 * _floats(differences["estimate"]),
            "rd_ci_low": 100 * _floats(differences["ci_low"]),
            "rd_ci_high": 100 * _floats(differences["ci_high"]),
            "contrast": differences["contrast"],
        }
    )
    return frame.merge(rd, on="term", how="inner", validate="many_to_one").reset_index(drop=True)


def _two_axes(ax: Axes | None, axes: Sequence[Axes] | None, height: float) -> tuple[Axes, Axes]:
    if axes is not None:
        if len(axes) != 2 or not all(isinstance(item, Axes) for item in axes):
            raise ValueError("axes must be a pair of matplotlib Axes (left, right)")
        return axes[0], axes[1]
    if ax is None:
        fig, (left, right) = plt.subplots(
            1, 2, sharey=True, figsize=(style.WIDTHS["double"], height)
        )
        return left, right
    spec = ax.get_subplotspec()
    if spec is None:
        raise ValueError("ax must be a grid subplot (it is split in two panels); or pass axes=")
    cells = spec.subgridspec(1, 2, wspace=0.05)
    figure = ax.figure
    ax.remove()
    left = figure.add_subplot(cells[0])
    return left, figure.add_subplot(cells[1], sharey=left)


def plot_ae_dots(
    incidence: pd.DataFrame,
    *,
    sort: bool = True,
    title: str | None = None,
    ax: Axes | None = None,
    axes: Sequence[Axes] | None = None,
) -> Axes:
    """Adverse-event dot plot (Amit et al. 2008): incidence per arm and risk difference by term.

    Parameters
    ----------
    incidence : DataFrame
        One row per term × arm (:data:`AE_DOT_COLUMNS`): ``term``; ``arm``; ``percent`` =
        100 · subjects with the event / subjects in the arm; ``risk_difference``,
        ``rd_ci_low``, ``rd_ci_high`` = treatment − reference risk difference and its CI in
        percentage points (the same on every row of a term). An optional ``contrast`` column
        (e.g. ``"isotretinoin - comparator"``) names the difference on the axis.
        :func:`ae_dots_frame` builds it from the tidy ``ae_incidence`` frame.
    sort : bool, default True
        Terms ordered by risk difference, largest at the top; else in order of appearance
        from the top.
    title : str, optional
    ax : Axes, optional
        A grid subplot to split into the two panels (it is replaced).
    axes : pair of Axes, optional
        The left and right panels to draw on (instead of ``ax``).

    Returns
    -------
    Axes
        The left panel (one line of dots per arm); ``fig.axes`` also holds the right panel
        (interval segments and diamonds for the risk differences, a dashed line at 0).

    References
    ----------
    Amit O, Heiberger RM, Lane PW (2008). Graphical approaches to the analysis of safety data
    from clinical trials. Pharmaceutical Statistics 7:20–35.
    """
    function = "plot_ae_dots"
    _require(incidence, function, *AE_DOT_COLUMNS)
    if incidence.duplicated(["term", "arm"]).any():
        raise ValueError(f"{function}: more than one row for a term and arm")
    per_term = incidence.groupby("term", sort=False)[["risk_difference", "rd_ci_low", "rd_ci_high"]]
    if (per_term.nunique(dropna=False) > 1).any(axis=None):
        raise ValueError(f"{function}: the risk-difference columns must be constant within a term")
    terms = per_term.first()
    terms = terms.sort_values("risk_difference", kind="stable") if sort else terms.iloc[::-1]
    position = {term: index for index, term in enumerate(terms.index)}
    with style.house_style():
        left, right = _two_axes(ax, axes, 0.9 + 0.2 * len(terms))
        arms = _arm_order(incidence["arm"])
        for index, arm in enumerate(arms):
            rows = incidence[incidence["arm"] == arm]
            left.plot(
                _floats(rows["percent"]),
                [position[term] for term in rows["term"]],
                linestyle="none",
                marker=_ARM_MARKERS[index % len(_ARM_MARKERS)],
                color=style.arm_colour(arm),
                label=str(arm),
            )
        y = np.arange(len(terms), dtype=float)
        right.hlines(y, terms["rd_ci_low"], terms["rd_ci_high"], color=_INK, linewidth=1.0)
        right.plot(
            terms["risk_difference"].to_numpy(float),
            y,
            linestyle="none",
            marker="D",
            color=_INK,
            markersize=3.5,
            gid="points",
        )
        right.axvline(0, color=_INK, linewidth=0.8, linestyle="--", gid="null-line")
        left.set_yticks(y, [str(term) for term in terms.index])
        right.tick_params(axis="y", labelleft=False)
        left.set_ylim(-0.6, len(terms) - 0.4)
        left.set_xlim(left=0)
        left.set_xlabel("Incidence (%)")
        contrast = (
            list(pd.unique(incidence["contrast"].dropna())) if "contrast" in incidence else []
        )
        name = f"\n({contrast[0]})" if len(contrast) == 1 else ""
        right.set_xlabel(f"Risk difference with CI (percentage points){name}")
        left.legend(loc="lower right")
        return _finish(left, title)


def plot_labs(
    labs: pd.DataFrame,
    *,
    test: str = "triglycerides",
    visit: str = "month",
    arm: str = "arm",
    value: str = "value",
    statistic: str = "mean",
    dodge: float = 0.15,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Laboratory values over time by arm, with the upper limit of normal (ULN).

    Parameters
    ----------
    labs : DataFrame
        Long lab table, one row per subject × visit × test, with ``test`` (test name column),
        ``visit``, ``arm`` (merged from ``subjects``), ``value`` and optionally ``unit`` and
        ``upper_limit_normal``.
    test : str, default "triglycerides"
        The test to draw (a value of the ``test`` column).
    visit, arm, value : str
        Column names.
    statistic : {"mean", "median"}, default "mean"
        Mean with its 95 % t-interval, or median with the interquartile range.
    dodge : float, default 0.15
    title : str, optional
    ax : Axes, optional

    Returns
    -------
    Axes
        One line per arm in the arm colour; one dashed line per distinct ULN
        (``gid="uln"``).
    """
    function = "plot_labs"
    _require(labs, function, "test", visit, arm, value)
    if statistic not in ("mean", "median"):
        raise ValueError(
            f"{function}: statistic={statistic!r} is not allowed; allowed: ['mean', 'median']"
        )
    rows = labs[(labs["test"] == test) & labs[value].notna()]
    if rows.empty:
        raise ValueError(
            f"{function}: no values for test={test!r}; tests in the data: "
            f"{sorted(map(str, pd.unique(labs['test'].dropna())))}"
        )
    summarise = (lambda values: _mean_ci(values, 0.95)) if statistic == "mean" else _median_iqr
    units = list(pd.unique(rows["unit"].dropna())) if "unit" in rows.columns else []
    if len(units) > 1:
        raise ValueError(f"{function}: test {test!r} has several units {units}; convert first")
    unit = units[0] if units else standard.units_by_test().get(test)
    with style.house_style():
        ax = _axes(ax)
        arms = _arm_order(rows[arm])
        for arm_name, shift in zip(arms, _offsets(len(arms), dodge), strict=True):
            block = rows[rows[arm] == arm_name]
            summary = block.groupby(_floats(block[visit]))[value].apply(summarise).unstack()
            x = summary.index.to_numpy(dtype=float) + shift
            centre = summary["centre"].to_numpy(float)
            colour = style.arm_colour(arm_name)
            ax.plot(x, centre, marker="o", color=colour, label=str(arm_name), zorder=3)
            ax.errorbar(
                x,
                centre,
                yerr=[
                    centre - summary["low"].to_numpy(float),
                    summary["high"].to_numpy(float) - centre,
                ],
                fmt="none",
                ecolor=colour,
                elinewidth=0.9,
                capsize=2,
            )
        limits = (
            sorted(pd.unique(_floats(rows["upper_limit_normal"].dropna())))
            if "upper_limit_normal" in rows.columns
            else []
        )
        handles = _arm_handles(arms)
        for limit in limits:
            ax.axhline(limit, color=_INK, linestyle="--", linewidth=0.8, gid="uln")
            label = f"ULN {limit:g} {unit}" if unit else f"ULN {limit:g}"
            handles.append(Line2D([], [], color=_INK, linestyle="--", linewidth=0.8, label=label))
        interval = "mean, 95% CI" if statistic == "mean" else "median, IQR"
        ax.legend(
            handles=handles, title=f"Arm\n({interval})", loc="upper left", bbox_to_anchor=(1.01, 1)
        )
        _visit_axis(ax, rows[visit], visit)
        ax.set_ylabel(f"{_words(test)} ({unit})" if unit else _words(test))
        return _finish(ax, title)


# ---------------------------------------------------------------------------------------------
# missing data
# ---------------------------------------------------------------------------------------------


def plot_missing_pattern(
    visits: pd.DataFrame,
    *,
    outcome: str,
    subject: str = "subject_id",
    visit: str = "month",
    arm: str = "arm",
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Missing-data pattern: subjects × visits, observed or missing, with counts per pattern.

    Parameters
    ----------
    visits : DataFrame
        Long visit table with ``subject``, ``visit``, ``arm`` and ``outcome``. A value is
        observed when its row exists and ``outcome`` is not missing; the visits are those
        present anywhere in the data. Subjects without any row do not appear.
    outcome, subject, visit, arm : str
        Column names.
    title : str, optional
    ax : Axes, optional

    Returns
    -------
    Axes
        An image with one row per subject and one column per visit (observed cells in the arm
        colour, missing cells light grey), subjects grouped by arm and sorted by last observed
        visit (dropout time, latest first) then pattern; next to each block of identical
        pattern the count ``n = k`` (``gid="pattern-count"``; blocks too thin for text are
        unlabelled, which a note beside the legend says).

    Examples
    --------
    >>> visits = pd.DataFrame({"subject_id": [1, 1, 2, 2, 3], "month": [0, 6, 0, 6, 0],
    ...                        "pih_index": [5.0, 4.0, 6.0, None, 7.0],
    ...                        "arm": ["isotretinoin"] * 2 + ["comparator"] * 3})
    >>> ax = plot_missing_pattern(visits, outcome="pih_index")
    >>> ax.images[0].get_array().shape
    (3, 2)
    >>> plt.close(ax.figure)
    """
    function = "plot_missing_pattern"
    _require(visits, function, outcome, subject, visit, arm)
    times = sorted(pd.unique(_floats(visits[visit].dropna())))
    observed = (
        visits.assign(_seen=visits[outcome].notna(), _time=_floats(visits[visit]))
        .pivot_table(index=subject, columns="_time", values="_seen", aggfunc="max")
        .reindex(columns=times)
        .fillna(False)
        .astype(bool)
    )
    arms_per_subject = visits.groupby(subject, observed=True)[arm].nunique()
    if (arms_per_subject > 1).any():
        several = arms_per_subject.index[arms_per_subject > 1].tolist()
        raise ValueError(f"{function}: subjects with more than one arm: {several}")
    arm_of = visits.drop_duplicates(subject).set_index(subject)[arm]
    arms = _arm_order(visits[arm])
    order = pd.DataFrame(
        {
            "arm": [arms.index(arm_of[name]) for name in observed.index],
            "last": [
                max((i for i, seen in enumerate(row) if seen), default=-1)
                for row in observed.to_numpy()
            ],
            "pattern": [
                "".join("1" if seen else "0" for seen in row) for row in observed.to_numpy()
            ],
        },
        index=observed.index,
    ).sort_values(["arm", "last", "pattern"], ascending=[True, False, False], kind="stable")
    matrix = observed.loc[order.index].to_numpy(dtype=float) * (
        order["arm"].to_numpy()[:, None] + 1
    )
    colours = [_MISSING_COLOUR] + [style.arm_colour(name) for name in arms]
    with style.house_style():
        ax = _axes(ax, "single", min(1.6 + 0.04 * len(order), 7.0))
        ax.imshow(
            matrix,
            cmap=ListedColormap(colours),
            vmin=-0.5,
            vmax=len(arms) + 0.5,
            aspect="auto",
            interpolation="nearest",
        )
        ax.grid(visible=False)
        blocks = (
            (order["arm"].astype(str) + order["pattern"])
            .ne((order["arm"].astype(str) + order["pattern"]).shift())
            .cumsum()
            .to_numpy()
        )
        points_per_row = (ax.get_position().height * ax.figure.get_figheight() * 72) / len(order)
        hidden = 0
        for block in np.unique(blocks):
            rows = np.flatnonzero(blocks == block)
            ax.axhline(rows[0] - 0.5, color="white", linewidth=0.6)
            if len(rows) * points_per_row >= 7:
                ax.text(
                    len(times) - 0.5,
                    rows.mean(),
                    f" n = {len(rows)}",
                    va="center",
                    fontsize=6,
                    gid="pattern-count",
                    clip_on=False,
                )
            else:
                hidden += 1
        centres = [np.flatnonzero(order["arm"].to_numpy() == i).mean() for i in range(len(arms))]
        present = [i for i, centre in enumerate(centres) if not np.isnan(centre)]
        ax.set_yticks(
            [centres[i] for i in present], [str(arms[i]) for i in present], rotation=90, va="center"
        )
        for label, i in zip(ax.get_yticklabels(), present, strict=True):
            label.set_color(style.arm_colour(arms[i]))
        ax.set_xticks(np.arange(len(times)), [f"{time:g}" for time in times])
        note = f"{len(order)} subjects" + (
            f";\n{hidden} small pattern(s)\nnot labelled" if hidden else ""
        )
        ax.set_xlabel(axis_label(visit))
        ax.set_ylabel("Subjects, sorted by dropout")
        beside = ax.transAxes + transforms.ScaledTranslation(0.45, 0, ax.figure.dpi_scale_trans)
        ax.legend(
            handles=[Patch(facecolor=_MISSING_COLOUR, label="missing")]
            + _arm_handles(arms, kind="patch")
            + [Patch(facecolor="none", edgecolor="none", label=note)],
            title=f"{_words(outcome)}\nobserved / missing",
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            bbox_transform=beside,
        )
        return _finish(ax, title)
