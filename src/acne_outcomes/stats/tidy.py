"""The tidy estimate frame shared by every statistics helper.

One row per estimate, with the columns of :data:`ESTIMATE_COLUMNS` (DESIGN.md,
"Statistical conventions"):

``outcome``
    name of the outcome column analysed.
``contrast``
    what is estimated, e.g. ``"isotretinoin - comparator"``, ``"isotretinoin / comparator"``
    or ``"isotretinoin"`` for a per-arm least-squares mean.
``visit``
    the visit (month) the estimate refers to, or ``pd.NA`` for an average over visits.
``estimate``, ``se``
    point estimate and its standard error, on the scale named in ``scale`` (for ratio
    scales the estimate is the ratio and ``se`` is the standard error of its logarithm).
``ci_low``, ``ci_high``, ``ci_level``
    confidence interval and its level (e.g. 0.95).
``p_value``
    two-sided p-value of the null hypothesis of no difference (ratio 1, difference 0).
``n``
    number of subjects contributing.
``method``
    short description of the estimator, e.g. ``"MMRM (REML, unstructured, Satterthwaite)"``.
``scale``
    ``"mean difference"``, ``"rate ratio"``, ``"odds ratio"``, ``"risk difference"``,
    ``"risk ratio"``, ``"hazard ratio"``, ``"mean"``, ``"proportion"`` …
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

ESTIMATE_COLUMNS = (
    "outcome",
    "contrast",
    "visit",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "ci_level",
    "p_value",
    "n",
    "method",
    "scale",
)

_DTYPES = {
    "outcome": "string",
    "contrast": "string",
    "visit": "Float64",
    "estimate": "float64",
    "se": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "ci_level": "float64",
    "p_value": "float64",
    "n": "Int64",
    "method": "string",
    "scale": "string",
}


def estimate_frame(rows: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """Build a tidy estimate frame from row mappings, with the standard columns and dtypes.

    Missing keys become missing values; unknown keys raise ``ValueError``.

    Examples
    --------
    >>> frame = estimate_frame([{"outcome": "pih_index", "contrast": "a - b", "visit": 12,
    ...                          "estimate": -0.5, "se": 0.2, "ci_level": 0.95}])
    >>> list(frame.columns) == list(ESTIMATE_COLUMNS)
    True
    >>> float(frame.loc[0, "estimate"])
    -0.5
    """
    rows = list(rows)
    for row in rows:
        unknown = set(row) - set(ESTIMATE_COLUMNS)
        if unknown:
            raise ValueError(
                f"unknown estimate column(s) {sorted(unknown)}; allowed: {list(ESTIMATE_COLUMNS)}"
            )
    frame = pd.DataFrame.from_records(rows, columns=list(ESTIMATE_COLUMNS))
    return frame.astype(_DTYPES)
