"""Time to event: Kaplan–Meier curves with their numbers at risk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib import transforms
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from acne_outcomes import style
from acne_outcomes.figures._common import (
    INK,
    add_note,
    arm_order,
    arm_palette,
    axes_for,
    finish,
    floats,
    require_frame,
    shared_docs,
)
from acne_outcomes.privacy import SUPPRESSED, small_cell_policy

#: Columns of the curve frame of :func:`plot_km`.
KM_COLUMNS = ("arm", "time", "survival", "ci_low", "ci_high")


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


def at_risk_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The numbers at risk as ``arm, time, at_risk`` rows.

    Accepts the estimates of :func:`acne_outcomes.stats.survival.at_risk` (``contrast``,
    ``visit``, ``estimate`` with ``scale="number at risk"``) or a frame with those three
    columns already.

    Examples
    --------
    >>> tidy = pd.DataFrame({"contrast": ["a", "a"], "visit": [0.0, 30.0], "estimate": [10.0, 7.0],
    ...                      "scale": "number at risk"})
    >>> at_risk_frame(tidy).values.tolist()
    [['a', 0.0, 10], ['a', 30.0, 7]]
    """
    function = "plot_km"
    if {"contrast", "visit", "estimate", "scale"} <= set(table.columns):
        rows = table[table["scale"] == "number at risk"]
        table = pd.DataFrame(
            {"arm": rows["contrast"], "time": rows["visit"], "at_risk": rows["estimate"]}
        )
    require_frame(table, function, "arm", "time", "at_risk")
    counts = pd.to_numeric(table["at_risk"], errors="coerce")
    if counts.isna().any() or (counts < 0).any() or (counts % 1 != 0).any():
        raise ValueError(f"{function}: the numbers at risk must be non-negative whole numbers")
    out = table[["arm", "time"]].copy()
    out["time"] = floats(out["time"])
    out["at_risk"] = counts.astype(int).to_numpy()
    return out.reset_index(drop=True)


def _at_risk_table(
    ax: Axes,
    per_arm: Mapping[object, pd.DataFrame],
    ticks: Sequence,
    palette: Mapping,
    show=lambda count: str(int(count)),
) -> None:
    """Write the numbers at risk under the axis: a header, then one row per arm (``per_arm``:
    each arm's ``time, at_risk`` rows, written at their times)."""
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
            color=INK if arm is None else palette[arm],
            transform=left_edge
            + transforms.ScaledTranslation(-label_gap / 72, drop, figure_inches),
        )
        if arm is None:
            continue
        counts = per_arm[arm].drop_duplicates("time").set_index("time")["at_risk"]
        for tick in ticks:
            ax.text(
                tick,
                0,
                show(counts[tick]) if tick in counts.index else "",
                fontsize=7,
                ha="center",
                color=palette[arm],
                gid="at-risk",
                transform=under_tick + transforms.ScaledTranslation(0, drop, figure_inches),
            )


@shared_docs
def plot_km(
    curves: pd.DataFrame,
    *,
    at_risk: pd.DataFrame | None = None,
    band: bool = True,
    xlabel: str = "Month",
    ylabel: str = "Probability without event",
    title: str | None = None,
    ax: Axes | None = None,
    public: bool = False,
) -> Axes:
    """Kaplan–Meier step curves per arm with pointwise CI bands and a numbers-at-risk table.

    Parameters
    ----------
    curves : DataFrame
        One row per arm and time (:data:`KM_COLUMNS`): ``arm``; ``time`` (in the unit of
        ``xlabel``); ``survival`` = S(t) just after ``time``; ``ci_low``, ``ci_high`` =
        pointwise interval (needed when ``band``). A curve not starting at time 0 is drawn
        from S(0) = 1. The estimates of :func:`acne_outcomes.stats.survival.kaplan_meier`
        (``contrast``, ``visit``, ``estimate`` with ``scale="survival probability"``) are
        accepted as they are.
    at_risk : DataFrame, optional
        The numbers at risk to write under the axis, counted from the data
        (:func:`acne_outcomes.stats.survival.at_risk`, or ``arm, time, at_risk`` rows; see
        :func:`at_risk_frame`): the x ticks are its times, and each number is written under
        its time, as given. The figure never derives them from the curves (whose rows are
        event times: a number read there skips the subjects censored in between).
    band : bool, default True
    xlabel, ylabel, title : str
    {{ax}}
    public : bool, default False
        Apply the small-cell policy (:func:`acne_outcomes.privacy.small_cell_policy`): a
        number at risk from 1 to k - 1 is written ``*``, and each curve ends at its last time
        with at least k subjects at risk (the curves' number at risk, ``n`` in the estimates
        of ``kaplan_meier`` or an ``at_risk`` column), since each step of a curve with fewer
        at risk shows what happened to one of them. A note under the figure says so.

    Returns
    -------
    Axes
        One step line per arm (label = arm) in the arm colour, one band per arm; with
        ``at_risk``, one text per arm and time (``gid="at-risk"``).
    """
    function = "plot_km"
    data = _km_curves(require_frame(curves, function))
    require_frame(
        data, function, "arm", "time", "survival", *(("ci_low", "ci_high") if band else ())
    )
    table = None if at_risk is None else at_risk_frame(at_risk)
    policy = small_cell_policy() if public else None
    notes = []
    if public and "at_risk" in data and data["at_risk"].notna().any():
        few = policy.is_small(floats(data["at_risk"])) | (floats(data["at_risk"]) == 0)
        if few.any():
            data = data[~few]
            notes.append(f"each curve ends where fewer than {policy.k} subjects remain at risk")
    if public and table is not None and policy.is_small(table["at_risk"].to_numpy()).any():
        notes.append(f"numbers at risk below {policy.k} shown as {SUPPRESSED}")
    ax = axes_for(ax, "single", 3.0 if table is not None else None)
    with style.house_style():
        arms = arm_order(data["arm"])
        palette = arm_palette(data["arm"])
        for arm in arms:
            rows = data[data["arm"] == arm].sort_values("time", kind="stable")
            x = np.concatenate([[0.0], floats(rows["time"])])
            y = np.concatenate([[1.0], floats(rows["survival"])])
            colour = palette[arm]
            ax.step(x, y, where="post", color=colour, label=str(arm))
            if band:
                low = np.concatenate([[1.0], floats(rows["ci_low"])])
                high = np.concatenate([[1.0], floats(rows["ci_high"])])
                ax.fill_between(x, low, high, step="post", color=colour, alpha=0.18, linewidth=0)
        right = np.nanmax(floats(data["time"]))
        if table is not None:
            right = max(right, float(table["time"].max()))
        ax.set_xlim(0, right * 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(loc="lower left")
        if table is not None:
            ticks = sorted(table["time"].unique())
            ax.set_xticks(ticks, [f"{tick:g}" for tick in ticks])
            per_arm = {
                arm: table[table["arm"].astype(str) == str(arm)]
                for arm in arms
                if (table["arm"].astype(str) == str(arm)).any()
            }
            _at_risk_table(ax, per_arm, ticks, palette, *((policy.show,) if public else ()))
        if notes:
            add_note(ax, "Public mode: " + "; ".join(notes) + ".")
        return finish(ax, title)


def time_ticks(times: Sequence[float] | pd.Series, count: int = 6) -> list[float]:
    """Round tick positions from 0 to the last time, e.g. for the numbers at risk.

    >>> time_ticks([3, 120, 364])
    [0.0, 100.0, 200.0, 300.0]
    """
    values = floats(pd.Series(list(times)))
    last = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
    ticks = MaxNLocator(nbins=count, steps=[1, 2, 2.5, 5, 10], integer=True).tick_values(0, last)
    return [float(tick) for tick in ticks if 0 <= tick <= last]
