"""Estimates: the forest plot of tidy estimates and the waterfall of per-subject change."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib import transforms
from matplotlib.axes import Axes
from matplotlib.patches import Patch
from matplotlib.ticker import NullFormatter

from acne_outcomes import style
from acne_outcomes.figures._common import (
    INK,
    arm_handles,
    arm_order,
    arm_palette,
    axes_for,
    axis_label,
    finish,
    floats,
    require_frame,
    shared_docs,
    words,
)


def _is_ratio(scale: object) -> bool:
    return "ratio" in str(scale).lower()


@shared_docs
def plot_forest(
    estimates: pd.DataFrame,
    *,
    label: str = "contrast",
    null: float | None = None,
    log: bool | None = None,
    show_estimates: bool = True,
    digits: int = 2,
    show_n: bool | None = None,
    truth: float | None = None,
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
        Logarithmic x axis; default True for ratio scales. Its ticks (1, 2, 5 per decade)
        bracket every estimate and limit, the null and the truth, so no interval runs past
        the last labelled tick.
    show_estimates : bool, default True
        Write "estimate (low to high)" in a text column right of the axes.
    digits : int, default 2
        Decimals of that text.
    show_n : bool, optional
        Write each row's ``n`` (subjects analysed) in a column after the estimates; default
        when the frame has an ``n`` column with a value.
    truth : float, optional
        The true value, known for synthetic data: a solid line (``gid="truth"``), labelled
        "truth" with its value at the foot of the axis, beside the dashed null line.
    {{title}}
    {{ax}}

    Returns
    -------
    Axes
        Interval segments (one ``LineCollection``), point markers (one line, ``gid="points"``)
        and the null line (``gid="null-line"``); the truth line when ``truth`` is given; the
        texts of the estimate and n columns (``gid="estimate-text"``, ``gid="n-text"``).

    Examples
    --------
    >>> estimates = pd.DataFrame({"outcome": ["inflammatory_lesions", "nodules"],
    ...     "estimate": [0.45, 0.6], "ci_low": [0.35, 0.4], "ci_high": [0.58, 0.9],
    ...     "scale": "rate ratio"})
    >>> ax = plot_forest(estimates, label="outcome")
    >>> ax.get_xscale()
    'log'
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    function = "plot_forest"
    require_frame(estimates, function, label, "estimate", "ci_low", "ci_high", "scale")
    scales = list(pd.unique(estimates["scale"].dropna()))
    kinds = {_is_ratio(scale) for scale in scales}
    if len(kinds) > 1:
        raise ValueError(f"{function}: ratio and difference scales cannot share an axis: {scales}")
    ratio = kinds == {True}
    null = (1.0 if ratio else 0.0) if null is None else float(null)
    log = ratio if log is None else bool(log)
    centre, low, high = (floats(estimates[name]) for name in ("estimate", "ci_low", "ci_high"))
    if log and (np.nanmin(np.concatenate([centre, low, high])) <= 0 or null <= 0):
        raise ValueError(f"{function}: a log axis needs positive estimates, limits and null")
    if show_n is None:
        show_n = "n" in estimates.columns and estimates["n"].notna().any()
    level = floats(estimates["ci_level"]).max() if "ci_level" in estimates.columns else np.nan
    interval = "" if np.isnan(level) else f" ({level:.0%} CI)"
    ax = axes_for(ax, "double", 0.8 + 0.28 * len(estimates))
    with style.house_style():
        y = np.arange(len(estimates))[::-1].astype(float)
        ax.hlines(y, low, high, color=INK, linewidth=1.0)
        ax.plot(centre, y, linestyle="none", marker="s", color=INK, gid="points")
        ax.axvline(null, color=INK, linewidth=0.8, linestyle="--", gid="null-line")
        if truth is not None:
            ax.axvline(truth, color=style.TEACHING_COLOURS["truth"], linewidth=1.2, gid="truth",
                       label=f"truth {truth:.{digits}f}")  # fmt: skip
            ax.annotate(f"truth {truth:.{digits}f}".replace("-", "\N{MINUS SIGN}"),
                        xy=(truth, 0.0), xycoords=("data", "axes fraction"), xytext=(3, 2),
                        textcoords="offset points", fontsize=6, va="bottom", gid="truth-label")  # fmt: skip
        if log:
            ax.set_xscale("log")
            drawn = [centre, low, high, [null], [] if truth is None else [truth]]
            ticks = log_ticks(np.concatenate([np.asarray(v, dtype=float) for v in drawn]))
            ax.set_xticks(ticks, [f"{tick:g}" for tick in ticks])
            ax.set_xlim(ticks[0], ticks[-1])
            ax.xaxis.set_minor_formatter(NullFormatter())
        names = estimates[label].map(words if label == "outcome" else str)
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
                ax.text(1.03, row_y, text, transform=where, va="center", fontsize=7,
                        gid="estimate-text")  # fmt: skip
        if show_n:
            shift = (1.03, 115 if show_estimates else 0)
            column = where + transforms.ScaledTranslation(
                shift[1] / 72, 0, ax.figure.dpi_scale_trans
            )
            ax.text(shift[0], len(estimates) - 0.4, "n", transform=column, fontweight="bold",
                    va="bottom", fontsize=7)  # fmt: skip
            for row_y, n in zip(y, estimates["n"], strict=True):
                ax.text(shift[0], row_y, "" if pd.isna(n) else f"{int(n)}", transform=column,
                        va="center", fontsize=7, gid="n-text")  # fmt: skip
        return finish(ax, title)


def log_ticks(values: np.ndarray) -> list[float]:
    """Ticks 1, 2, 5 per decade from the last one at or below the smallest value to the first
    one at or above the largest, so the ticks cover every value drawn.

    >>> log_ticks(np.array([0.35, 0.9, 1.0]))
    [0.2, 0.5, 1.0]
    >>> log_ticks(np.array([0.8, 1.3]))
    [0.5, 1.0, 2.0]
    """
    values = values[np.isfinite(values) & (values > 0)]
    low, high = float(values.min()), float(values.max())
    decades = range(int(np.floor(np.log10(low))) - 1, int(np.ceil(np.log10(high))) + 2)
    candidates = sorted(float(f"{m * 10.0**d:.12g}") for d in decades for m in (1, 2, 5))
    first = max(tick for tick in candidates if tick <= low * (1 + 1e-9))
    last = min(tick for tick in candidates if tick >= high * (1 - 1e-9))
    if first == last:
        first = max(tick for tick in candidates if tick < first)
    return [tick for tick in candidates if first <= tick <= last]


@shared_docs
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
    {{title}}
    {{ax}}

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
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    function = "plot_waterfall"
    require_frame(changes, function, value, arm)
    shown = changes[changes[value].notna()].sort_values(value, ascending=False, kind="stable")
    if shown.empty:
        raise ValueError(f"{function}: every value in column {value!r} is missing")
    ax = axes_for(ax)
    with style.house_style():
        positions = np.arange(len(shown))
        palette = arm_palette(shown[arm])
        colours = [palette[name] for name in shown[arm]]
        ax.bar(positions, floats(shown[value]), width=0.85, color=colours, linewidth=0)
        ax.axhline(0, color=INK, linewidth=0.8)
        for level in reference_lines:
            ax.axhline(level, color=INK, linewidth=0.7, linestyle="--", gid="reference-line")
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
            handles=arm_handles(arm_order(shown[arm]), palette, kind="patch")
            + [Patch(facecolor="none", edgecolor="none", label=note)],
            loc="lower left",
            frameon=True,
            framealpha=0.9,
            edgecolor="none",
        )
        return finish(ax, title)
