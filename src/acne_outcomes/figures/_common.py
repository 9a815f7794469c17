"""What every figure shares: column checks, axes, labels, arm order, visit ticks, docs.

Private to :mod:`acne_outcomes.figures`. The shared parameter descriptions are written once
(:data:`PARAMETERS`) and put into each figure's docstring by :func:`shared_docs`, where a line
holds only ``{{name}}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from acne_outcomes import standard, style
from acne_outcomes.checks import require_frame

__all__ = ["require_frame"]

ACRONYMS = {"pih": "PIH", "iga": "IGA", "ecca": "ECCA", "alt": "ALT", "ast": "AST"}
COUNT_UNITS = {"lesions", "macules"}
MISSING_COLOUR = "#E6E6E6"
INK = "#333333"
ARM_MARKERS = ("o", "^", "s", "D", "v")
#: Markers of ordered groups (skin types), so a group is told apart without its colour.
GROUP_MARKERS = ("o", "s", "^", "D", "v", "P")

#: Parameter descriptions shared by the figures, numpydoc formatted.
PARAMETERS = {
    "title": "title : str, optional\n    Axes title.",
    "ax": (
        "ax : Axes, optional\n    The Axes to draw on; by default a new figure at a journal "
        "column width, in the house style."
    ),
    "dodge": (
        "dodge : float, default 0.15\n    Horizontal shift between arms (or groups), in visit "
        "units, so intervals do not overlap."
    ),
    "columns": "outcome, subject, visit, arm : str\n    Column names.",
}
_PLACEHOLDER = re.compile(r"^(?P<indent>[ ]*)\{\{(?P<name>\w+)\}\}$", re.MULTILINE)


def shared_docs(function: Callable) -> Callable:
    """Replace each docstring line ``{{name}}`` with :data:`PARAMETERS` ``[name]``, indented."""

    def expand(match: re.Match) -> str:
        indent = match.group("indent")
        text = PARAMETERS[match.group("name")]
        return "\n".join(indent + line for line in text.split("\n"))

    function.__doc__ = _PLACEHOLDER.sub(expand, function.__doc__ or "")
    return function


def floats(values: pd.Series) -> np.ndarray:
    """A column as floats, missing and non-numeric values as NaN."""
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def axes_for(ax: Axes | None, width: str = "single", height: float | None = None) -> Axes:
    """``ax`` itself, or the Axes of a new house-style figure at ``width``."""
    if ax is None:
        return style.figure(width, height)[1]
    if not isinstance(ax, Axes):
        raise ValueError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}")
    return ax


def field_of(name: str) -> dict | None:
    """The data standard's field descriptor of a column name, if any table has it."""
    for table in standard.TABLES:
        if name in standard.field_names(table):
            return standard.field(table, name)
    return None


def words(name: str) -> str:
    """A column name as words: its label in the data dictionary (``"pih_index"`` → ``"PIH
    index"``), else the name with its acronyms in capitals (``"alt_ratio"`` → ``"ALT ratio"``).

    >>> words("baseline_iga"), words("alt_ratio")
    ('IGA at baseline', 'ALT ratio')
    """
    if field_of(str(name)) is not None:
        return standard.label(str(name))
    parts = [ACRONYMS.get(part, part) for part in str(name).split("_")]
    text = " ".join(parts)
    return text[0].upper() + text[1:] if text else text


def scale_bounds(name: str) -> tuple[float | None, float | None]:
    """The lowest and highest value a column can take, from the data standard's constraints.

    >>> scale_bounds("pih_index"), scale_bounds("not_a_column")
    ((0, 12), (None, None))
    """
    item = field_of(str(name))
    limits = (item or {}).get("constraints", {})
    return limits.get("minimum"), limits.get("maximum")


def honest_y(ax: Axes, name: str, values: Sequence[np.ndarray] = ()) -> None:
    """Start the y axis at the scale's floor when it is 0 (counts, scores, indices): a cut axis
    would make small differences look large. Values (means, limits) never go below it."""
    lower, _ = scale_bounds(name)
    drawn = np.concatenate([np.asarray(v, dtype=float).ravel() for v in values] or [np.zeros(0)])
    drawn = drawn[np.isfinite(drawn)]
    if lower is not None and lower == 0 and (drawn.size == 0 or drawn.min() >= 0):
        ax.set_ylim(bottom=0)


def clip_to_scale(name: str, *values: np.ndarray) -> list[np.ndarray]:
    """Interval limits cut at the scale's bounds (a mean of a 0–12 index has no limit below 0).

    >>> clip_to_scale("pih_index", np.array([-0.4, 1.0]))[0].tolist()
    [0.0, 1.0]
    """
    lower, upper = scale_bounds(name)
    return [
        np.clip(np.asarray(value, dtype=float), -np.inf if lower is None else lower,
                np.inf if upper is None else upper)
        for value in values
    ]  # fmt: skip


def mark_primary(ax: Axes, visit: float | None, label: str = "primary") -> None:
    """A dotted vertical line at the primary visit, labelled at the top (``gid="primary-visit"``)."""
    if visit is None or pd.isna(visit):
        return
    ax.axvline(float(visit), color=INK, linestyle=":", linewidth=0.9, gid="primary-visit",
               zorder=1)  # fmt: skip
    ax.annotate(label, xy=(float(visit), 1.0), xycoords=("data", "axes fraction"),
                xytext=(2, -2), textcoords="offset points", ha="left", va="top", fontsize=6,
                color=INK)  # fmt: skip


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
    item = field_of(name)
    if unit is None and item is not None:
        unit = item.get("unit")
    if unit in COUNT_UNITS:
        unit = "count"
    if unit in (None, "months", "grade", "proportion") or name == "month":
        return words(name)
    return f"{words(name)} ({unit})"


def _all_arms(values: pd.Series) -> list:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return list(values.cat.categories)
    return sorted(pd.unique(values.dropna()), key=str)


def arm_order(values: pd.Series) -> list:
    """The arms present, in the study's order: a categorical's (the design's, reference first),
    else sorted (the order :func:`acne_outcomes.checks.resolve_arms` takes the reference from)."""
    present = set(pd.unique(values.dropna()))
    return [arm for arm in _all_arms(values) if arm in present]


def arm_palette(values: pd.Series) -> dict:
    """Each arm's colour by its place among all the arms (a categorical's categories, so an
    arm keeps its colour in every figure of a study; else the sorted arms present)."""
    return style.arm_colours(_all_arms(values))


def ordered_levels(values: pd.Series, name: str) -> list:
    """Ordered levels of a grouping or grade column: categories, the standard, else sorted."""
    present = list(pd.unique(values.dropna()))
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [level for level in values.cat.categories if level in present]
    item = field_of(name)
    order = standard.category_values(item) if item is not None else None
    if order is not None and all(level in order for level in present):
        return [level for level in order if level in present]
    if all(str(level) in style.FITZPATRICK_TYPES for level in present):
        return [level for level in style.FITZPATRICK_TYPES if level in present]
    return sorted(present, key=lambda level: (str(type(level)), level))


def offsets(count: int, dodge: float) -> list[float]:
    """Horizontal shifts of ``count`` series centred on 0, ``dodge`` apart."""
    return [dodge * (index - (count - 1) / 2) for index in range(count)]


def arm_handles(arms: Sequence, palette: dict, *, kind: str = "line") -> list:
    """Legend handles in the arm colours: lines, or patches with ``kind="patch"``."""
    if kind == "patch":
        return [Patch(facecolor=palette[arm], label=str(arm)) for arm in arms]
    return [Line2D([], [], color=palette[arm], label=str(arm)) for arm in arms]


def visit_axis(ax: Axes, values: pd.Series, name: str) -> None:
    """Label the visit axis; ticks at the visits when there are few of them."""
    visits = np.unique(floats(values.dropna()))
    if len(visits) <= 13:
        ax.set_xticks(visits, [f"{visit:g}" for visit in visits])
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(axis_label(name))


def finish(ax: Axes, title: str | None) -> Axes:
    """Set the title (if any) and return ``ax``."""
    if title is not None:
        ax.set_title(title)
    return ax


def add_note(ax: Axes, text: str) -> None:
    """Write a note under the figure of ``ax`` (small print, ``gid="suppression-note"``),
    e.g. what public mode left out: a figure never drops data silently."""
    note = ax.figure.supxlabel(text, fontsize=6, color=INK, ha="center", wrap=True)
    note.set_gid("suppression-note")


def two_axes(
    ax: Axes | None, axes: Sequence[Axes] | None, height: float, *, sharey: bool = True
) -> tuple[Axes, Axes]:
    """Two side-by-side panels: ``axes`` as given, ``ax`` split in two, or a new figure."""
    if axes is not None:
        if len(axes) != 2 or not all(isinstance(item, Axes) for item in axes):
            raise ValueError("axes must be a pair of matplotlib Axes (left, right)")
        return axes[0], axes[1]
    if ax is None:
        _, (left, right) = style.figure("double", height, ncols=2, sharey=sharey)
        return left, right
    spec = ax.get_subplotspec()
    if spec is None:
        raise ValueError("ax must be a grid subplot (it is split in two panels); or pass axes=")
    cells = spec.subgridspec(1, 2, wspace=0.05)
    figure = ax.figure
    ax.remove()
    left = figure.add_subplot(cells[0])
    return left, figure.add_subplot(cells[1], sharey=left if sharey else None)
