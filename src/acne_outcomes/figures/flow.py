"""The CONSORT-style flow diagram of the row accounting."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, Rectangle

from acne_outcomes import style
from acne_outcomes.figures._common import (
    INK,
    add_note,
    arm_order,
    arm_palette,
    axes_for,
    finish,
    require_frame,
    shared_docs,
)
from acne_outcomes.privacy import SUPPRESSED, small_cell_policy

#: Columns of the flow frame of :func:`plot_flow` (and ``suppressed``, optional).
FLOW_COLUMNS = ("stage", "arm", "n", "detail")


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
        arm; a categorical keeps its order of the arms, the design's), ``n`` (subjects, a
        non-negative integer) and optionally ``detail`` (free text, e.g. reasons with counts,
        lines separated by ``"\\n"``) and ``suppressed`` (a box with a count suppressed in
        public mode, :func:`acne_outcomes.derive.consort_flow`; its ``n`` may then be
        missing, drawn as ``*``); other columns are ignored. Or a mapping
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
    require_frame(flow, function, "stage", "arm", "n")
    arms = flow["arm"]
    order = list(arms.cat.categories) if isinstance(arms.dtype, pd.CategoricalDtype) else None
    suppressed = flow["suppressed"].fillna(False).astype(bool) if "suppressed" in flow else None
    frame = flow.reindex(columns=list(FLOW_COLUMNS)).astype(object)
    frame["detail"] = frame["detail"].where(frame["detail"].notna(), "").map(str)
    frame["arm"] = frame["arm"].where(frame["arm"].notna() & (frame["arm"] != ""), None)
    counts = pd.to_numeric(frame["n"], errors="coerce")
    hidden = counts.isna() & (suppressed.to_numpy() if suppressed is not None else False)
    wrong = counts.isna() & ~hidden
    if wrong.any() or (counts < 0).any() or (counts.dropna() % 1 != 0).any():
        raise ValueError(
            f"{function}: column 'n' must hold non-negative integers (missing only where "
            f"'suppressed'); got {frame['n'].tolist()}"
        )
    frame["n"] = pd.Series(
        [None if gone else int(value) for gone, value in zip(hidden, counts, strict=True)],
        index=frame.index,
        dtype=object,
    )
    frame["suppressed"] = suppressed.to_numpy() if suppressed is not None else [False] * len(frame)
    for stage, rows in frame.groupby("stage", sort=False):
        shared = rows["arm"].isna()
        if (shared.any() and len(rows) > 1) or rows["arm"].duplicated().any():
            raise ValueError(
                f"{function}: stage {stage!r} needs one box for all arms (arm "
                f"missing) or one row per arm; got arms {rows['arm'].tolist()}"
            )
    if order is not None:  # a categorical keeps the design's order of the arms
        frame["arm"] = pd.Categorical(frame["arm"], categories=order)
    return frame.reset_index(drop=True)


def _box_text(row: pd.Series, characters: int, named: bool) -> str:
    heading = f"{row['stage']}: {row['arm']}" if named else str(row["stage"])
    n = SUPPRESSED if row["n"] is None else row["n"]
    lines = [*textwrap.wrap(heading, characters), f"n = {n}"]
    for line in str(row["detail"]).splitlines():
        lines += textwrap.wrap(line, characters) or [""]
    return "\n".join(lines)


@shared_docs
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
    {{title}}
    ax : Axes, optional
        Without it, a double-column figure tall enough for the text.

    Returns
    -------
    Axes
        Axis hidden; one ``Rectangle`` per row of the flow (``gid="flow-box"``, titled with
        the stage and arm, edge in the arm colour, grey for boxes spanning all arms) and one
        arrow per connection: a shared box to each arm box, an arm box to the same arm below,
        arm boxes into a shared box. When a box has a suppressed count (public mode), the
        figure says what ``*`` means in a note under it (``gid="suppression-note"``).

    Examples
    --------
    >>> ax = plot_flow({"randomised": 240, "allocated": {"isotretinoin": 120,
    ...                                                 "comparator": 120}})
    >>> len([patch for patch in ax.patches if patch.get_gid() == "flow-box"])
    3
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    frame = flow_frame(flow)
    shared = frame["arm"].isna().to_numpy()
    arms = arm_order(frame["arm"]) if not shared.all() else []
    palette = arm_palette(frame["arm"]) if arms else {}
    columns = max(len(arms), 1)
    # an arm is named in its first box; the boxes below it stand in its column
    named = ~shared & ~frame["arm"].astype(object).duplicated().to_numpy()
    stages = list(pd.unique(frame["stage"]))
    line, pad, gap = 1.0, 0.8, 1.6
    created = ax is None
    ax = axes_for(ax, "double")
    with style.house_style():
        width_in = ax.figure.get_figwidth() * ax.get_position().width
        characters = max(int(width_in * 0.9 / columns * 72 / (7 * 0.6)), 12)
        texts = {index: _box_text(row, characters, named[index]) for index, row in frame.iterrows()}
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
                arm = None if shared[index] else frame.at[index, "arm"]
                if arm is None:
                    left, box_width, edge = 0.2, 0.6, INK
                else:
                    left, box_width = (arms.index(arm) + 0.05) / columns, 0.9 / columns
                    edge = palette[arm]
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
                                color=INK,
                                linewidth=0.9,
                                shrinkA=0,
                                shrinkB=0,
                                gid="flow-arrow",
                            )
                        )
        ax.set_xlim(0, 1)
        ax.set_ylim(top - gap + 0.05, -0.05)
        ax.set_axis_off()
        if frame["suppressed"].any():
            add_note(ax, small_cell_policy().note())
        return finish(ax, title)
