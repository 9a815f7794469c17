"""Teaching figures: simulated studies against the truth, the winner's curse, claims' evidence.

They draw the tables of :mod:`acne_outcomes.appraisal` (per-study diagnosis results,
:func:`~acne_outcomes.appraisal.lessons.winners_curse_table`,
:func:`~acne_outcomes.appraisal.lessons.claims_evidence`) in the house style, with the
teaching colours of :data:`acne_outcomes.style.TEACHING_COLOURS`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from acne_outcomes import style
from acne_outcomes.figures._common import axes_for, finish, require_frame, shared_docs, two_axes

_COLOURS = style.TEACHING_COLOURS


@shared_docs
def plot_estimates_vs_truth(
    replicates: pd.DataFrame, *, title: str | None = None, ax: Axes | None = None
) -> Axes:
    """Every simulated study's estimate and interval, one row per strategy, with the truth.

    Parameters
    ----------
    replicates : DataFrame
        Per-study results of a design diagnosis: ``strategy``, ``estimate``, ``ci_low``,
        ``ci_high``, ``truth`` and ``error`` (empty for a study whose analysis ran; failed
        studies are not drawn).
    {{title}}
    {{ax}}

    Returns
    -------
    Axes
        Strategies top to bottom in order of appearance; each study a faint dot with its
        interval, in the "covers" colour when the interval contains the truth and the
        "misses" colour when it does not; each strategy's truth a dashed segment
        (``gid="truth"``).

    Examples
    --------
    >>> rows = pd.DataFrame({"strategy": ["a", "a", "b"], "estimate": [0.1, -0.1, -0.6],
    ...     "ci_low": [-0.2, -0.4, -0.9], "ci_high": [0.4, 0.2, -0.3], "truth": 0.0, "error": ""})
    >>> ax = plot_estimates_vs_truth(rows)
    >>> [line.get_gid() for line in ax.get_lines()][-1]
    'truth'
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    function = "plot_estimates_vs_truth"
    require_frame(
        replicates, function, "strategy", "estimate", "ci_low", "ci_high", "truth", "error"
    )
    ok = replicates[replicates["error"] == ""]
    names = list(dict.fromkeys(ok["strategy"]))
    ax = axes_for(ax, "double", 0.9 + 0.9 * len(names))
    with style.house_style():
        rng = np.random.default_rng(0)
        for position, name in enumerate(names):
            rows = ok[ok["strategy"] == name]
            y = len(names) - 1 - position + rng.uniform(-0.25, 0.25, len(rows))
            missed = (
                (rows["ci_low"] > rows["truth"]) | (rows["ci_high"] < rows["truth"])
            ).to_numpy()
            for flag, colour in ((False, _COLOURS["covers"]), (True, _COLOURS["misses"])):
                chosen = missed == flag
                ax.hlines(y[chosen], rows["ci_low"].to_numpy()[chosen],
                          rows["ci_high"].to_numpy()[chosen], color=colour, alpha=0.25, linewidth=0.6)  # fmt: skip
                ax.plot(rows["estimate"].to_numpy()[chosen], y[chosen], "o", color=colour,
                        markersize=2.5, alpha=0.7)  # fmt: skip
        for position, name in enumerate(names):
            truth = float(ok.loc[ok["strategy"] == name, "truth"].mean())
            row = len(names) - 1 - position
            ax.plot([truth, truth], [row - 0.4, row + 0.4], color=_COLOURS["truth"], linestyle="--",
                    linewidth=1.2, gid="truth")  # fmt: skip
        ax.set_yticks(range(len(names)), [textwrap.fill(name, 26) for name in names[::-1]])
        ax.set_xlabel("Estimate per simulated study (95% CI; blue: misses the truth)")
        return finish(ax, title)


@shared_docs
def plot_winners_curse(
    table: pd.DataFrame,
    *,
    title: str | None = None,
    ax: Axes | None = None,
    axes: Sequence[Axes] | None = None,
) -> Axes:
    """Power, and the mean estimate of all studies against only the significant ones, per setting.

    Parameters
    ----------
    table : DataFrame
        :func:`~acne_outcomes.appraisal.lessons.winners_curse_table` output for one strategy:
        ``setting``, ``power``, ``mean_estimate``, ``mean_significant`` and ``truth``.
    {{title}}
    ax : Axes, optional
        A grid subplot to split into the two panels (it is replaced).
    axes : pair of Axes, optional
        The left (power) and right (estimates) panels to draw on, instead of ``ax``.

    Returns
    -------
    Axes
        The left panel (power bars); ``fig.axes`` also holds the right one (mean estimate of
        all studies, of the significant studies only, and the truth, ``gid="truth"``).

    Examples
    --------
    >>> table = pd.DataFrame({"setting": ["n=40", "n=266"], "power": [0.1, 0.5],
    ...     "mean_estimate": [-0.3, -0.35], "mean_significant": [-1.2, -0.5], "truth": -0.36})
    >>> ax = plot_winners_curse(table)
    >>> len(ax.figure.axes)
    2
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    function = "plot_winners_curse"
    require_frame(table, function, "setting", "power", "mean_estimate", "mean_significant", "truth")
    power_axes, estimate_axes = two_axes(ax, axes, 2.8, sharey=False)
    with style.house_style():
        x = np.arange(len(table))
        power_axes.bar(x, table["power"], color=_COLOURS["better"])
        power_axes.set_xticks(x, table["setting"])
        power_axes.set_ylim(0, 1)
        power_axes.set_ylabel("Power (share with p < 0.05)")
        estimate_axes.plot(x, table["mean_estimate"], "o-", label="all studies",
                           color=_COLOURS["covers"])  # fmt: skip
        estimate_axes.plot(x, table["mean_significant"], "s-", label="significant studies only",
                           color=_COLOURS["naive"])  # fmt: skip
        estimate_axes.axhline(float(table["truth"].iloc[0]), linestyle="--", color=_COLOURS["truth"],
                              label="truth", gid="truth")  # fmt: skip
        estimate_axes.set_xticks(x, table["setting"])
        estimate_axes.set_ylabel("Mean estimate")
        estimate_axes.legend()
        if title:
            power_axes.figure.suptitle(title)
        return power_axes


@shared_docs
def plot_claims_evidence(
    evidence: pd.DataFrame, *, title: str | None = None, ax: Axes | None = None
) -> Axes:
    """Share of studies declaring an effect, naive against better analysis, per claim design.

    Parameters
    ----------
    evidence : DataFrame
        :func:`~acne_outcomes.appraisal.lessons.claims_evidence` output: ``claims``, ``role``
        ("naive" or "better"), ``rejection_rate`` and ``truth``; each row is labelled with its
        claims and the true value (where it is not zero, "declaring an effect" is power, not
        an error).
    {{title}}
    {{ax}}

    Returns
    -------
    Axes
        Two horizontal bars per design (naive, better) and a dotted line at 5%.

    Examples
    --------
    >>> evidence = pd.DataFrame({"claims": ["C2", "C2"], "role": ["naive", "better"],
    ...     "rejection_rate": [1.0, 0.05], "design": "d", "truth": 0.0})
    >>> ax = plot_claims_evidence(evidence)
    >>> len(ax.patches)
    2
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    function = "plot_claims_evidence"
    require_frame(evidence, function, "claims", "role", "rejection_rate", "truth")
    designs = list(dict.fromkeys(evidence["claims"]))
    ax = axes_for(ax, "double", 0.8 + 0.5 * len(designs))
    with style.house_style():
        y = np.arange(len(designs))[::-1]
        for offset, role in ((0.18, "naive"), (-0.18, "better")):
            rows = evidence[evidence["role"] == role].set_index("claims").reindex(designs)
            ax.barh(y + offset, rows["rejection_rate"].fillna(0), height=0.34,
                    color=_COLOURS[role], label=f"{role} analysis")  # fmt: skip
        ax.axvline(0.05, color=_COLOURS["truth"], linestyle=":", linewidth=0.8)
        truths = evidence.drop_duplicates("claims").set_index("claims")["truth"]
        ax.set_yticks(y, [f"{name}\n(truth {truths[name]:.2f})" for name in designs])
        ax.set_xlim(0, 1)
        ax.set_xlabel("Share of simulated studies declaring an effect (p < 0.05)")
        ax.legend(loc="lower right")
        return finish(ax, title)
