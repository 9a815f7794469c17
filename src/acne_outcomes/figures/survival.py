"""Time to event: Kaplan–Meier curves with their numbers at risk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib import transforms
from matplotlib.axes import Axes

from acne_outcomes import style
from acne_outcomes.figures._common import (
    INK,
    arm_order,
    arm_palette,
    axes_for,
    finish,
    floats,
    require_frame,
    shared_docs,
)

#: Columns of the curve frame of :func:`plot_km` (``at_risk`` only for the table).
KM_COLUMNS = ("arm", "time", "survival", "ci_low", "ci_high", "at_risk")


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
    later = rows[floats(rows["time"]) >= when]
    if later.empty or pd.isna(later["at_risk"].iloc[0]):
        return ""
    return f"{int(later['at_risk'].iloc[0])}"


def _at_risk_table(
    ax: Axes, per_arm: Mapping[object, pd.DataFrame], ticks: Sequence, palette: Mapping
) -> None:
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
            color=INK if arm is None else palette[arm],
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
                color=palette[arm],
                gid="at-risk",
                transform=under_tick + transforms.ScaledTranslation(0, drop, figure_inches),
            )


@shared_docs
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
        S(0) = 1. The estimates of :func:`acne_outcomes.stats.survival.kaplan_meier`
        (``contrast``, ``visit``, ``estimate``, ``n`` with ``scale="survival probability"``)
        are accepted as they are.
    at_risk : bool, default True
        Draw the numbers at risk under the axis at ``times``: for each time the ``at_risk`` of
        the first row at or after it (exact when the frame has a row at every event and
        censoring time, otherwise a lower bound); blank after the last row.
    times : sequence of float, optional
        Times of the at-risk table; default the x tick positions.
    band : bool, default True
    xlabel, ylabel, title : str
    {{ax}}

    Returns
    -------
    Axes
        One step line per arm (label = arm) in the arm colour, one band per arm.
    """
    function = "plot_km"
    data = _km_curves(require_frame(curves, function))
    require_frame(
        data,
        function,
        "arm",
        "time",
        "survival",
        *(("ci_low", "ci_high") if band else ()),
        "at_risk" if at_risk else None,
    )
    ax = axes_for(ax, "single", 3.0 if at_risk else None)
    with style.house_style():
        arms = arm_order(data["arm"])
        palette = arm_palette(data["arm"])
        per_arm = {}
        for arm in arms:
            rows = data[data["arm"] == arm].sort_values("time", kind="stable")
            per_arm[arm] = rows
            x = np.concatenate([[0.0], floats(rows["time"])])
            y = np.concatenate([[1.0], floats(rows["survival"])])
            colour = palette[arm]
            ax.step(x, y, where="post", color=colour, label=str(arm))
            if band:
                low = np.concatenate([[1.0], floats(rows["ci_low"])])
                high = np.concatenate([[1.0], floats(rows["ci_high"])])
                ax.fill_between(x, low, high, step="post", color=colour, alpha=0.18, linewidth=0)
        ax.set_xlim(0, np.nanmax(floats(data["time"])) * 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(loc="lower left")
        if at_risk:
            left, right = ax.get_xlim()
            ticks = [t for t in (ax.get_xticks() if times is None else times) if left <= t <= right]
            ax.set_xticks(ticks)
            _at_risk_table(ax, per_arm, ticks, palette)
        return finish(ax, title)
