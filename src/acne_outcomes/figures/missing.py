"""Missing data: the pattern of observed and missing values by subject and visit."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import transforms
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from acne_outcomes import style
from acne_outcomes.checks import NotEstimable
from acne_outcomes.figures._common import (
    MISSING_COLOUR,
    add_note,
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
from acne_outcomes.privacy import small_cell_policy


@shared_docs
def plot_missing_pattern(
    visits: pd.DataFrame,
    *,
    outcome: str,
    subject: str = "subject_id",
    visit: str = "month",
    arm: str = "arm",
    title: str | None = None,
    ax: Axes | None = None,
    public: bool = False,
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
    {{title}}
    {{ax}}
    public : bool, default False
        Apply the small-cell policy (:func:`acne_outcomes.privacy.small_cell_policy`): the
        subjects of a pattern shared by fewer than k subjects of their arm are not drawn (a
        block's height is its count), and a note under the figure says so.

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
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    function = "plot_missing_pattern"
    require_frame(visits, function, outcome, subject, visit, arm)
    times = sorted(pd.unique(floats(visits[visit].dropna())))
    observed = (
        visits.assign(_seen=visits[outcome].notna(), _time=floats(visits[visit]))
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
    arms = arm_order(visits[arm])
    palette = arm_palette(visits[arm])
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
    left_out = False
    if public:
        policy = small_cell_policy()
        sizes = order.groupby(["arm", "pattern"])["last"].transform("size")
        left_out = bool((sizes < policy.k).any())
        order = order[(sizes >= policy.k).to_numpy()]
        if order.empty:
            raise NotEstimable(
                f"every pattern of observed and missing values is shared by fewer than "
                f"{policy.k} subjects of an arm (public mode)"
            )
    matrix = observed.loc[order.index].to_numpy(dtype=float) * (
        order["arm"].to_numpy()[:, None] + 1
    )
    colours = [MISSING_COLOUR] + [palette[name] for name in arms]
    ax = axes_for(ax, "single", min(1.6 + 0.04 * len(order), 7.0))
    with style.house_style():
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
            label.set_color(palette[arms[i]])
        ax.set_xticks(np.arange(len(times)), [f"{time:g}" for time in times])
        note = f"{len(order)} subjects{' shown' if left_out else ''}" + (
            f";\n{hidden} small pattern(s)\nnot labelled" if hidden else ""
        )
        ax.set_xlabel(axis_label(visit))
        ax.set_ylabel("Subjects, sorted by dropout")
        beside = ax.transAxes + transforms.ScaledTranslation(0.45, 0, ax.figure.dpi_scale_trans)
        ax.legend(
            handles=[Patch(facecolor=MISSING_COLOUR, label="missing")]
            + arm_handles(arms, palette, kind="patch")
            + [Patch(facecolor="none", edgecolor="none", label=note)],
            title=f"{words(outcome)}\nobserved / missing",
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            bbox_transform=beside,
        )
        if left_out:
            add_note(
                ax,
                f"Public mode: subjects whose pattern is shared by fewer than {policy.k} "
                "subjects of their arm are not shown.",
            )
        return finish(ax, title)
