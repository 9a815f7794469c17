"""Safety: the adverse-event dot plot and laboratory values against the normal range."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from acne_outcomes import standard, style
from acne_outcomes.checks import NotEstimable
from acne_outcomes.figures._common import (
    ARM_MARKERS,
    INK,
    add_note,
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
from acne_outcomes.privacy import small_cell_policy
from acne_outcomes.stats.descriptive import summarise
from acne_outcomes.stats.safety import share_above_limit
from acne_outcomes.tables import term_label

#: Columns of the incidence frame of :func:`plot_ae_dots`.
AE_DOT_COLUMNS = ("term", "arm", "percent", "risk_difference", "rd_ci_low", "rd_ci_high")


def ae_dots_frame(
    estimates: pd.DataFrame, *, arm: object = None, public: bool = False
) -> pd.DataFrame:
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
    public : bool, default False
        Apply the small-cell policy as the adverse-event table does: the subjects with each
        term by arm (``estimate`` × ``n`` of the proportion rows, every arm) are suppressed
        with :meth:`acne_outcomes.privacy.SmallCellPolicy.suppress`, and a term with any
        suppressed cell is left out of the figure, since its incidence would give the count
        back. ``attrs["note"]`` then says which rule left terms out, for the figure to show.

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
    frame = frame.merge(rd, on="term", how="inner", validate="many_to_one")
    frame = frame.reset_index(drop=True)
    if public:
        hidden = _suppressed_terms(estimates)
        frame = frame[~frame["term"].isin(hidden)].reset_index(drop=True)
        if frame.empty:
            raise NotEstimable(
                f"every adverse-event term has fewer than {small_cell_policy().k} subjects in an "
                "arm, or a count that would reveal one (public mode)"
            )
        if hidden:
            policy = small_cell_policy()
            frame.attrs["note"] = (
                f"Public mode: {len(hidden)} term{'s' if len(hidden) > 1 else ''} not shown "
                f"(fewer than {policy.k} subjects with the event in an arm, or a count that "
                "would reveal one; the table marks them *)."
            )
    return frame


def _suppressed_terms(estimates: pd.DataFrame) -> list:
    """The terms with a cell the small-cell policy suppresses, from the proportion rows."""
    rows = estimates[estimates["scale"] == "proportion"]
    if rows.empty or "n" not in rows:
        return []
    counts = (
        rows.assign(_count=(floats(rows["estimate"]) * floats(rows["n"])).round())
        .pivot_table(index="outcome", columns="contrast", values="_count", aggfunc="first",
                     observed=True, sort=False)
        .fillna(0)
    )  # fmt: skip
    masked = small_cell_policy().suppress(counts.astype("int64")).attrs["suppressed"]
    return list(counts.index[masked.any(axis=1).to_numpy()])


@shared_docs
def plot_ae_dots(
    incidence: pd.DataFrame,
    *,
    sort: bool = True,
    title: str | None = None,
    ax: Axes | None = None,
    axes: Sequence[Axes] | None = None,
    note: str | None = None,
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
        from the top. Terms are written in words (``"dry_eyes"`` as "Dry eyes").
    {{title}}
    ax : Axes, optional
        A grid subplot to split into the two panels (it is replaced).
    axes : pair of Axes, optional
        The left and right panels to draw on (instead of ``ax``).
    note : str, optional
        Written under the figure (``gid="suppression-note"``); by default
        ``incidence.attrs["note"]``, which :func:`ae_dots_frame` sets when public mode left
        terms out.

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
        left.set_yticks(y, [term_label(term) for term in terms.index])
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
        note = incidence.attrs.get("note") if note is None else note
        if note:
            add_note(left, note)
        return finish(left, title)


def test_label(test: object) -> str:
    """A laboratory test's label from the data dictionary: ``"alt"`` → ``"ALT"``.

    >>> test_label("alt"), test_label("total_cholesterol"), test_label("ferritin")
    ('ALT', 'Total cholesterol', 'Ferritin')
    """
    return standard.category_labels("test").get(str(test)) or words(str(test))


@shared_docs
def plot_labs(
    labs: pd.DataFrame,
    *,
    test: str = "triglycerides",
    subject: str = "subject_id",
    visit: str = "month",
    arm: str = "arm",
    value: str = "value",
    upper_limit: str = "upper_limit_normal",
    statistic: str = "mean",
    shares: bool = True,
    dodge: float = 0.15,
    title: str | None = None,
    ax: Axes | None = None,
    axes: Sequence[Axes] | None = None,
) -> Axes:
    """Laboratory values over time by arm against the upper limit of normal (ULN), and the
    share of subjects above it.

    A mean can sit below the ULN while many subjects exceed it, so with ``shares`` (and a
    ULN in the data) a second panel shows, per arm and visit, the percentage of subjects
    above the limit with its Wilson interval
    (:func:`acne_outcomes.stats.safety.share_above_limit`).

    Parameters
    ----------
    labs : DataFrame
        Long lab table, one row per subject × visit × test, with ``test`` (test name column),
        ``subject``, ``visit``, ``arm`` (merged from ``subjects``), ``value`` and optionally
        ``unit`` and ``upper_limit``.
    test : str, default "triglycerides"
        The test to draw (a value of the ``test`` column); labelled from the data dictionary.
    subject, visit, arm, value, upper_limit : str
        Column names.
    statistic : {"mean", "median"}, default "mean"
        Mean with its 95 % t-interval, or median with the interquartile range.
    shares : bool, default True
        Add the panel of the share above the ULN (when the data have a ULN).
    {{dodge}}
    {{title}}
    ax : Axes, optional
        Without a share panel, the Axes to draw on; with one, a grid subplot split in two.
    axes : pair of Axes, optional
        The two panels to draw on (values, shares).

    Returns
    -------
    Axes
        The values panel: one line per arm in the arm colour, one dashed line per distinct
        ULN (``gid="uln"``), the y axis from 0. With the share panel, ``fig.axes`` also holds
        it: one line per arm (``gid="share-<arm>"``), 0-100 %.
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
    limited = upper_limit in rows.columns and rows[upper_limit].notna().any()
    with_shares = shares and limited and subject in rows.columns
    if with_shares:
        left, right = two_axes(ax, axes, 2.6, sharey=False)
    else:
        left, right = axes_for(ax), None
    with style.house_style():
        arms = arm_order(rows[arm])
        palette = arm_palette(rows[arm])
        drawn = []
        for arm_name, shift in zip(arms, offsets(len(arms), dodge), strict=True):
            block = rows[rows[arm] == arm_name]
            summary = summarise(
                block.assign(_visit=floats(block[visit])), value=value, by=["_visit"],
                statistic=statistic,
            )  # fmt: skip
            x = summary["_visit"].to_numpy(dtype=float) + shift
            centre = summary["centre"].to_numpy(float)
            low = np.maximum(summary["low"].to_numpy(float), 0.0)
            high = summary["high"].to_numpy(float)
            drawn += [centre, low, high]
            colour = palette[arm_name]
            left.plot(x, centre, marker="o", color=colour, label=str(arm_name), zorder=3)
            left.errorbar(
                x, centre, yerr=np.clip([centre - low, high - centre], 0, None), fmt="none", ecolor=colour,
                elinewidth=0.9, capsize=2,
            )  # fmt: skip
        limits = sorted(pd.unique(floats(rows[upper_limit].dropna()))) if limited else []
        handles = arm_handles(arms, palette)
        for limit in limits:
            left.axhline(limit, color=INK, linestyle="--", linewidth=0.8, gid="uln")
            label = f"ULN {limit:g} {unit}" if unit else f"ULN {limit:g}"
            handles.append(Line2D([], [], color=INK, linestyle="--", linewidth=0.8, label=label))
        interval = "mean, 95% CI" if statistic == "mean" else "median, IQR"
        visit_axis(left, rows[visit], visit)
        left.set_ylim(bottom=0, top=max([*limits, *(np.nanmax(d) for d in drawn)]) * 1.08)
        name = test_label(test)
        left.set_ylabel(f"{name} ({unit})" if unit else name)
        if right is None:
            left.legend(handles=handles, title=f"Arm\n({interval})", loc="upper left",
                        bbox_to_anchor=(1.01, 1))  # fmt: skip
            return finish(left, title)
        shared = share_above_limit(rows, subject=subject, visit=visit, test="test", value=value,
                                   upper_limit=upper_limit, arm=arm).estimates  # fmt: skip
        for arm_name, shift in zip(arms, offsets(len(arms), dodge), strict=True):
            block = shared[shared["contrast"] == str(arm_name)]
            x = floats(block["visit"]) + shift
            centre, low, high = (100 * floats(block[c]) for c in ("estimate", "ci_low", "ci_high"))
            right.plot(
                x, centre, marker="o", color=palette[arm_name], gid=f"share-{arms.index(arm_name)}"
            )
            right.errorbar(x, centre, yerr=np.clip([centre - low, high - centre], 0, None), fmt="none",
                           ecolor=palette[arm_name], elinewidth=0.9, capsize=2)  # fmt: skip
        right.set_ylim(0, 100)
        right.yaxis.set_major_formatter(PercentFormatter(100))
        visit_axis(right, rows[visit], visit)
        right.set_ylabel("Subjects above the ULN (95% CI)")
        right.legend(handles=handles, title=f"Arm\n({interval})", loc="upper left",
                     bbox_to_anchor=(1.01, 1))  # fmt: skip
        return finish(left, title)
