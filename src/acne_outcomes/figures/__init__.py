"""Report figures: each ``plot_x(data, *, ..., ax=None) -> Axes`` draws on one Axes.

Every function takes a long DataFrame (or a tidy estimate frame from :mod:`acne_outcomes.stats`)
and column names as keywords, draws in the house style of :mod:`acne_outcomes.style` (arm
colours, Fitzpatrick colours, font sizes) and returns the Axes. Without ``ax`` a new figure at a
journal column width is created. Nothing here shows or saves a figure: save with
:func:`acne_outcomes.style.save_figure`. Bad input (not a DataFrame, no rows, a missing
column) raises ``ValueError`` naming the missing column(s) and the expected ones.

Figures never compute a statistic: the summaries they draw (means with t-intervals, medians
with quartiles, proportions) come from :mod:`acne_outcomes.stats.descriptive`, model-based
estimates from the other :mod:`acne_outcomes.stats` helpers as tidy frames.

One module per family: :mod:`~acne_outcomes.figures.trajectories` (outcomes over time),
:mod:`~acne_outcomes.figures.groups` (means by group, e.g. skin type),
:mod:`~acne_outcomes.figures.estimates` (forest and waterfall),
:mod:`~acne_outcomes.figures.flow` (flow diagram), :mod:`~acne_outcomes.figures.survival`
(Kaplan–Meier), :mod:`~acne_outcomes.figures.safety` (adverse events, labs),
:mod:`~acne_outcomes.figures.missing` (missing-data pattern) and
:mod:`~acne_outcomes.figures.teaching` (the evidence-appraisal lab); every function is also
available here, e.g. ``figures.plot_forest``.
"""

from acne_outcomes.figures._common import axis_label
from acne_outcomes.figures.estimates import plot_forest, plot_waterfall
from acne_outcomes.figures.flow import FLOW_COLUMNS, flow_frame, plot_flow
from acne_outcomes.figures.groups import plot_by_group
from acne_outcomes.figures.missing import plot_missing_pattern
from acne_outcomes.figures.safety import (
    AE_DOT_COLUMNS,
    ae_dots_frame,
    plot_ae_dots,
    plot_labs,
    test_label,
)
from acne_outcomes.figures.survival import KM_COLUMNS, at_risk_frame, plot_km, time_ticks
from acne_outcomes.figures.teaching import (
    plot_claims_evidence,
    plot_estimates_vs_truth,
    plot_winners_curse,
)
from acne_outcomes.figures.trajectories import (
    plot_mean_trajectories,
    plot_spaghetti,
    plot_stacked_grades,
)

__all__ = [
    "AE_DOT_COLUMNS",
    "FLOW_COLUMNS",
    "KM_COLUMNS",
    "ae_dots_frame",
    "at_risk_frame",
    "axis_label",
    "flow_frame",
    "plot_ae_dots",
    "plot_by_group",
    "plot_claims_evidence",
    "plot_estimates_vs_truth",
    "plot_flow",
    "plot_forest",
    "plot_km",
    "plot_labs",
    "plot_mean_trajectories",
    "plot_missing_pattern",
    "plot_spaghetti",
    "plot_stacked_grades",
    "plot_waterfall",
    "plot_winners_curse",
    "test_label",
    "time_ticks",
]
