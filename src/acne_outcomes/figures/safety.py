"""Safety: the adverse-event dot plot and laboratory values against the normal range."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from acne_outcomes import standard, style
from acne_outcomes.figures._common import (
    ARM_MARKERS,
    INK,
    arm_handles,
    arm_order,
    arm_palette,
    axes_for,
    finish,
    floats,
    offsets,
    require_frame,
    shared_docs,
    two_axes,
    visit_axis,
    words,
)
from acne_outcomes.stats.descriptive import summarise

#: Columns of the incidence frame of :func:`plot_ae_dots`.
AE_DOT_COLUMNS = ("term", "arm", "percent", "risk_difference", "rd_ci_low", "rd_ci_high")


def ae_dots_frame(estimates: pd.DataFrame, *, arm: object = None) -> pd.DataFrame:
    """Reshape the estimates of :func:`acne_outcomes.stats.safety.ae_incidence` for the dot plot.

    Parameters
    ----------
    estimates : DataFrame
        Tidy frame with ``outcome`` = term, rows ``scale="proportion"`` (``contrast`` = arm)
        and ``scale="risk difference"`` (``contrast`` = "arm - reference"; ``estimate``,
        ``ci_low``, ``ci_high`` as proportions).
    arm : optional
        The arm compared with the reference (a study with three arms or more has one risk
        difference per other arm); required when there are several.

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
    require_frame(
        estimates, function, "outcome", "contrast", "estimate", "ci_low", "ci_high", "scale"
    )
    differences = estimates[estimates["scale"] == "risk difference"]
    contrasts = [str(value) for value in pd.unique(differences["contrast"].dropna())]
    if arm is None and len(contrasts) != 1:
        raise ValueError(f"{function}: pass arm= to choose one of the contrasts {contrasts}")
    chosen = [value for value in contrasts if arm is None or value.split(" - ")[0] == str(arm)]
    if len(chosen) != 1:
        raise ValueError(f"{function}: arm={arm!r} is not compared; contrasts: {contrasts}")
    treated, reference = chosen[0].split(" - ", 1)
    differences = differences[differences["contrast"].astype(str) == chosen[0]]
    if differences["outcome"].duplicated().any():
        raise ValueError(f"{function}: more than one risk difference per term")
    proportions = estimates[
        (estimates["scale"] == "proportion")
        & estimates["contrast"].astype(str).isin([reference, treated])
    ]
    frame = pd.DataFrame(
        {
            "term": proportions["outcome"],
            "arm": proportions["contrast"],
            "percent": 100 * floats(proportions["estimate"]),
        }
    )
    rd = pd.DataFrame(
        {
            "term": differences["outcome"],
            "risk_difference": 100 * floats(differences["estimate"]),
            "rd_ci_low": 100 * floats(differences["ci_low"]),
            "rd_ci_high": 100 * floats(differences["ci_high"]),
            "contrast": differences["contrast"],
        }
    )
    return frame.merge(rd, on="term", how="inner", validate="many_to_one").reset_index(drop=True)


@shared_docs
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
    {{title}}
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
    require_frame(incidence, function, *AE_DOT_COLUMNS)
    if incidence.duplicated(["term", "arm"]).any():
        raise ValueError(f"{function}: more than one row for a term and arm")
    per_term = incidence.groupby("term", sort=False)[["risk_difference", "rd_ci_low", "rd_ci_high"]]
    if (per_term.nunique(dropna=False) > 1).any(axis=None):
        raise ValueError(f"{function}: the risk-difference columns must be constant within a term")
    terms = per_term.first()
    terms = terms.sort_values("risk_difference", kind="stable") if sort else terms.iloc[::-1]
    position = {term: index for index, term in enumerate(terms.index)}
    left, right = two_axes(ax, axes, 0.9 + 0.2 * len(terms))
    with style.house_style():
        arms = arm_order(incidence["arm"])
        palette = arm_palette(incidence["arm"])
        for index, arm in enumerate(arms):
            rows = incidence[incidence["arm"] == arm]
            left.plot(
                floats(rows["percent"]),
                [position[term] for term in rows["term"]],
                linestyle="none",
                marker=ARM_MARKERS[index % len(ARM_MARKERS)],
                color=palette[arm],
                label=str(arm),
            )
        y = np.arange(len(terms), dtype=float)
        right.hlines(y, terms["rd_ci_low"], terms["rd_ci_high"], color=INK, linewidth=1.0)
        right.plot(
            terms["risk_difference"].to_numpy(float),
            y,
            linestyle="none",
            marker="D",
            color=INK,
            markersize=3.5,
            gid="points",
        )
        right.axvline(0, color=INK, linewidth=0.8, linestyle="--", gid="null-line")
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
        return finish(left, title)


@shared_docs
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
    {{dodge}}
    {{title}}
    {{ax}}

    Returns
    -------
    Axes
        One line per arm in the arm colour; one dashed line per distinct ULN
        (``gid="uln"``).
    """
    function = "plot_labs"
    require_frame(labs, function, "test", visit, arm, value)
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
    units = list(pd.unique(rows["unit"].dropna())) if "unit" in rows.columns else []
    if len(units) > 1:
        raise ValueError(f"{function}: test {test!r} has several units {units}; convert first")
    unit = units[0] if units else standard.units_by_test().get(test)
    ax = axes_for(ax)
    with style.house_style():
        arms = arm_order(rows[arm])
        palette = arm_palette(rows[arm])
        for arm_name, shift in zip(arms, offsets(len(arms), dodge), strict=True):
            block = rows[rows[arm] == arm_name]
            summary = summarise(
                block.assign(_visit=floats(block[visit])), value=value, by=["_visit"],
                statistic=statistic,
            )  # fmt: skip
            x = summary["_visit"].to_numpy(dtype=float) + shift
            centre = summary["centre"].to_numpy(float)
            colour = palette[arm_name]
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
            sorted(pd.unique(floats(rows["upper_limit_normal"].dropna())))
            if "upper_limit_normal" in rows.columns
            else []
        )
        handles = arm_handles(arms, palette)
        for limit in limits:
            ax.axhline(limit, color=INK, linestyle="--", linewidth=0.8, gid="uln")
            label = f"ULN {limit:g} {unit}" if unit else f"ULN {limit:g}"
            handles.append(Line2D([], [], color=INK, linestyle="--", linewidth=0.8, label=label))
        interval = "mean, 95% CI" if statistic == "mean" else "median, IQR"
        ax.legend(
            handles=handles, title=f"Arm\n({interval})", loc="upper left", bbox_to_anchor=(1.01, 1)
        )
        visit_axis(ax, rows[visit], visit)
        ax.set_ylabel(f"{words(test)} ({unit})" if unit else words(test))
        return finish(ax, title)
