"""The house style of every figure, and deterministic saving.

One palette (Okabe & Ito 2008, safe for the common colour-vision deficiencies), one colour per
arm everywhere, by the arm's place in the study's design (:data:`ARM_PALETTE`,
:func:`arm_colours`: the reference arm blue, the next vermillion, ...), ordered sequential palettes
that stay clear of every arm colour — greys for ordinal grades (:func:`grade_colours`) and
skin-toned browns for Fitzpatrick skin-phototype groups (:func:`group_colours`) — matplotlib settings readable at journal
column widths (:data:`HOUSE_RC`, :func:`house_style`, :func:`figure`) and :func:`save_figure`,
which writes PNG, SVG and PDF whose bytes depend only on the figure (no dates, no version
strings, fixed SVG ids, fixed resolution).

Examples
--------
>>> arm_colours(["vehicle", "sarecycline"]) == {"vehicle": "#0072B2", "sarecycline": "#D55E00"}
True
>>> fig, ax = figure("single")
>>> [round(float(size), 2) for size in fig.get_size_inches()]
[3.5, 2.63]
>>> import matplotlib.pyplot as plt
>>> plt.close(fig)
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, LinearSegmentedColormap, to_hex, to_rgb
from matplotlib.figure import Figure

#: Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), black omitted.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}

#: Arm colours in the order of the design's arms: the reference first (blue), then vermillion,
#: bluish green, reddish purple, orange and sky blue.
ARM_PALETTE = (
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky_blue"],
)

#: Teaching figures, distinguishable in the common colour-vision deficiencies (blue against grey or
#: orange keeps apart for deuteranopes and protanopes) and apart from the arm colours where it
#: matters: an interval that covers the truth or misses it, the truth, and a naive analysis
#: against a better one.
TEACHING_COLOURS = {
    "covers": OKABE_ITO["grey"],
    "misses": OKABE_ITO["blue"],
    "truth": "#000000",
    "naive": OKABE_ITO["orange"],
    "better": OKABE_ITO["blue"],
}

#: Fitzpatrick skin phototypes, in order.
FITZPATRICK_TYPES = ("I", "II", "III", "IV", "V", "VI")

#: Sequential colour map of ordinal grades (no scars ... severe): greys, light to dark. A hue would
#: meet an arm colour (the Okabe-Ito hues are all arms), so a grade is never read as an arm.
SEQUENTIAL_CMAP = "Greys"

#: The two ends of the skin-phototype ramp, light (type I) to dark (type VI): desaturated browns,
#: far from the saturated orange and vermillion of the arms (CIE L*a*b* distance above 40).
SKIN_TONE_ENDS = ("#C8B29C", "#2E1E14")

#: The smallest CIE L*a*b* distance (ΔE*ab, 1976) a grade or skin-type colour keeps from every arm
#: colour of :data:`ARM_PALETTE`; a test holds the palettes to it.
MIN_DISTANCE_FROM_ARMS = 35.0

#: Journal column widths in inches: single 89 mm, double 183 mm.
WIDTHS = {"single": 89 / 25.4, "double": 183 / 25.4}

#: Resolution of raster output (PNG), dots per inch.
DPI = 300

#: Formats written by :func:`save_figure`.
FORMATS = ("png", "svg", "pdf")

#: The matplotlib settings of the house style (8 pt text, readable at 89 mm width).
HOUSE_RC = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.title_fontsize": 7,
    "legend.frameon": False,
    "figure.titlesize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.8,
    "axes.grid": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.5,
    "axes.axisbelow": True,
    "axes.prop_cycle": mpl.cycler(
        color=[
            OKABE_ITO[name]
            for name in (
                "vermillion",
                "blue",
                "bluish_green",
                "reddish_purple",
                "orange",
                "sky_blue",
                "grey",
            )
        ]  # fmt: skip
    ),
    "lines.linewidth": 1.2,
    "lines.markersize": 4,
    "xtick.major.width": 0.8,
    "ytick.major.width": 0.8,
    "figure.dpi": 100,
    "figure.constrained_layout.use": True,
    "savefig.dpi": DPI,
    "svg.hashsalt": "acne-outcomes",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
}

#: Metadata per format: no dates and no software version strings (byte-stable output).
SAVE_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}


def arm_colours(arms: Sequence[object]) -> dict[object, str]:
    """Each arm's colour by its place among all of a study's arms, the reference first.

    Pass every arm of the design (not only those in one figure), so an arm keeps its colour
    in every figure of a report; arms beyond the palette's six repeat it.

    Examples
    --------
    >>> arm_colours(["comparator", "isotretinoin"])
    {'comparator': '#0072B2', 'isotretinoin': '#D55E00'}
    """
    return {arm: ARM_PALETTE[index % len(ARM_PALETTE)] for index, arm in enumerate(arms)}


def sequential_colours(
    count: int, *, low: float = 0.4, high: float = 1.0, cmap: str | Colormap = SEQUENTIAL_CMAP
) -> list[str]:
    """Return ``count`` ordered colours (light to dark) from a sequential colour map.

    ``low`` and ``high`` are the positions (0–1) of the first and last colour in the map; the
    default starts at a mid tone, dark enough for lines on white. ``cmap`` is a colour map or
    its name, by default :data:`SEQUENTIAL_CMAP` (greys).

    Examples
    --------
    >>> sequential_colours(3)
    ['#b5b5b5', '#5f5f5f', '#000000']
    """
    if count < 1:
        raise ValueError(f"count must be at least 1; got {count!r}")
    cmap = mpl.colormaps[cmap] if isinstance(cmap, str) else cmap
    if count == 1:
        return [to_hex(cmap((low + high) / 2))]
    step = (high - low) / (count - 1)
    return [to_hex(cmap(low + step * index)) for index in range(count)]


def grade_colours(count: int) -> list[str]:
    """``count`` colours for the levels of an ordinal grade, light (lowest grade) to dark.

    Greys (:data:`SEQUENTIAL_CMAP`), from a near-white that still shows on white paper to
    near-black: no grade takes an arm's colour.

    Examples
    --------
    >>> grade_colours(5)
    ['#f6f6f6', '#d2d2d2', '#999999', '#616161', '#1d1d1d']
    """
    return sequential_colours(count, low=0.08, high=0.9)


#: The skin-phototype colour map, light to dark browns (:data:`SKIN_TONE_ENDS`).
SKIN_TONE_CMAP = LinearSegmentedColormap.from_list("skin-tones", list(SKIN_TONE_ENDS))

#: One colour per Fitzpatrick type, light (I) to dark (VI).
FITZPATRICK_COLOURS = dict(
    zip(
        FITZPATRICK_TYPES,
        sequential_colours(6, low=0.0, high=1.0, cmap=SKIN_TONE_CMAP),
        strict=True,
    )
)


def lab_distance(first: str, second: str) -> float:
    """The CIE 1976 L*a*b* colour difference ΔE*ab of two colours (sRGB, D65 white).

    About 2.3 is a just-noticeable difference; colours more than 30 apart are not confused.

    Examples
    --------
    >>> round(lab_distance("#000000", "#FFFFFF"), 1)
    100.0
    """
    return float(np.linalg.norm(_lab(first) - _lab(second)))


def _lab(colour: str) -> np.ndarray:
    rgb = np.array(to_rgb(colour))
    linear = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = _SRGB_TO_XYZ @ linear / _D65
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


_SRGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
)
_D65 = np.array([0.95047, 1.0, 1.08883])


def group_colours(levels: Sequence[object]) -> dict[object, str]:
    """Map ordered group levels (e.g. ``I–II, III, IV, V–VI``) to sequential colours.

    Single Fitzpatrick types keep their colour of :data:`FITZPATRICK_COLOURS` when every
    level is one; any other set of levels is spread over the same skin-tone ramp in order.

    Examples
    --------
    >>> group_colours(["II", "IV"]) == {"II": FITZPATRICK_COLOURS["II"],
    ...                                 "IV": FITZPATRICK_COLOURS["IV"]}
    True
    >>> len(group_colours(["I–II", "III", "IV", "V–VI"]))
    4
    """
    levels = list(levels)
    if levels and all(str(level) in FITZPATRICK_COLOURS for level in levels):
        return {level: FITZPATRICK_COLOURS[str(level)] for level in levels}
    colours = sequential_colours(len(levels), low=0.0, high=1.0, cmap=SKIN_TONE_CMAP)
    return dict(zip(levels, colours, strict=True))


@contextlib.contextmanager
def house_style() -> Iterator[None]:
    """Apply :data:`HOUSE_RC` inside a ``with`` block (``matplotlib.rc_context``)."""
    with mpl.rc_context(HOUSE_RC):
        yield


def figure(
    width: str = "single", height: float | None = None, *, ncols: int = 1, sharey: bool = False
) -> tuple[Figure, Axes | list[Axes]]:
    """Create a figure in house style at a journal width; return ``(fig, ax)``.

    Parameters
    ----------
    width : {"single", "double"}, default "single"
        Single column (89 mm ≈ 3.5 in) or double column (183 mm ≈ 7.2 in).
    height : float, optional
        Height in inches; default 3/4 of the single width (≈ 2.6 in) for single and
        1/2 of the double width (≈ 3.6 in) for double.
    ncols : int, default 1
        Panels side by side; with more than one, ``ax`` is the list of panels.
    sharey : bool, default False
        Panels share the y axis.

    Notes
    -----
    The figure itself is created outside the house style's ``rc_context``: when it is the
    first figure of a session, pyplot loads the backend then, and a notebook kernel's inline
    backend switches interactive mode on; inside the context, leaving it would switch
    interactive mode off again and later figures would not be shown. Only the axes, whose
    look the style sets, are made inside.
    """
    if width not in WIDTHS:
        raise ValueError(f"width={width!r} is not allowed; allowed: {list(WIDTHS)}")
    if height is None:
        height = WIDTHS[width] * (0.75 if width == "single" else 0.5)
    if not height > 0:
        raise ValueError(f"height must be a positive number of inches; got {height!r}")
    fig = plt.figure(figsize=(WIDTHS[width], float(height)), layout="constrained")
    with house_style():
        axes = fig.subplots(1, ncols, sharey=sharey, squeeze=False)[0]
    return fig, axes[0] if ncols == 1 else list(axes)


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise ValueError(
            f"name must be a file stem of letters, digits, '_', '-', '.' (no folders); got {name!r}"
        )
    if name.lower().endswith(tuple(f".{fmt}" for fmt in FORMATS)):
        raise ValueError(f"name is a stem without a format suffix; got {name!r}")
    return name


def check_formats(formats: str | Sequence[str]) -> tuple[str, ...]:
    """``formats`` (one name or several) as a tuple, if it names one or more of
    :data:`FORMATS` and nothing else.

    >>> check_formats(["png", "pdf"]), check_formats("svg")
    (('png', 'pdf'), ('svg',))
    """
    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    unknown = [fmt for fmt in formats if fmt not in FORMATS]
    if unknown or not formats:
        named = ", ".join(repr(fmt) for fmt in unknown) if unknown else "none given"
        raise ValueError(f"figure format {named} not allowed; allowed: {', '.join(FORMATS)}")
    return formats


def save_figure(
    fig: Figure, name: str, folder: str | os.PathLike, *, formats: Sequence[str] = FORMATS
) -> list[Path]:
    """Write ``fig`` as ``folder/name.png``, ``.svg`` and ``.pdf`` with byte-stable content.

    Parameters
    ----------
    fig : Figure
    name : str
        File stem (no folder, no suffix).
    folder : path
        Output folder, created if needed.
    formats : sequence of {"png", "svg", "pdf"}, default all three

    Returns
    -------
    list of Path
        The files written, in the order PNG, SVG, PDF whatever the order of ``formats``.

    Notes
    -----
    The same figure gives the same bytes in any process: PNG without the ``Software`` text
    chunk (it carries the matplotlib version), SVG without ``dc:date``/creator and with the
    fixed ``svg.hashsalt`` of :data:`HOUSE_RC` (element ids are hashes salted with it), PDF
    without ``CreationDate``/``ModDate``/``Creator``/``Producer``; fonts are the DejaVu Sans
    bundled with matplotlib and raster resolution is :data:`DPI`. Each file is written to a
    temporary file in ``folder`` and then renamed, so an interrupted save leaves the previous
    file intact. The formats are always drawn in the same order: constrained layout is refined
    at each drawing, so an SVG drawn first could differ slightly from one drawn after the PNG.
    """
    _check_name(name)
    formats = [fmt for fmt in FORMATS if fmt in check_formats(formats)]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with mpl.rc_context({"svg.hashsalt": HOUSE_RC["svg.hashsalt"], "pdf.fonttype": 42}):
        for fmt in formats:
            target = folder / f"{name}.{fmt}"
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=f".{fmt}")
            try:
                with os.fdopen(handle, "wb") as stream:
                    fig.savefig(stream, format=fmt, dpi=DPI, metadata=SAVE_METADATA[fmt])
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            written.append(target)
    return written
