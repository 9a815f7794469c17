"""The result every statistics helper returns: a tidy estimate frame plus its diagnostics.

Every helper of :mod:`acne_outcomes.stats` returns a :class:`Result` (or a subclass with extra
model detail, such as :class:`~acne_outcomes.stats.mmrm.MMRMResult`):

``Result.estimates``
    the tidy estimate frame described below (for the safety tabulations, the count table);
``Result.diagnostics``
    one row per diagnostic (:data:`DIAGNOSTIC_COLUMNS`): the dispersion of a count model,
    convergence, a boundary fit, quasi-separation, the proportional-odds test, and every
    exclusion with its reason and count. It is a frame, not ``DataFrame.attrs``, so it
    survives concatenation: :func:`concat_results` joins several results into one. Each
    helper's docstring (Returns) names its diagnostics; a diagnostic that repeats (one per
    covariate, cut-point or contrast) keeps its name and tells its rows apart by ``detail``.

Excluded rows are counted the same way everywhere (:func:`complete_rows`): each row with a
missing value is counted once, under the first of the analysed columns it is missing in, so
``Result.n_excluded`` is the number of rows (or subjects) left out.

The estimate frame has one row per estimate, with the columns of :data:`ESTIMATE_COLUMNS` (DESIGN.md,
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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from acne_outcomes import standard

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
    # column by column: building records and converting them afterwards took five times longer
    return pd.DataFrame(
        {name: pd.array([row.get(name) for row in rows], dtype=_DTYPES[name])
         for name in ESTIMATE_COLUMNS}
    )  # fmt: skip


def require_numeric_visits(data: pd.DataFrame, visit: str | None) -> None:
    """Raise ``ValueError`` unless the ``visit`` column is numeric (``None`` is skipped).

    The ``visit`` of an estimate is a number (the time, e.g. the month; see the module
    docstring), so a helper that reports estimates per visit checks its visits first,
    before any model is fitted, and names the text labels it found.

    Examples
    --------
    >>> require_numeric_visits(pd.DataFrame({"week": ["week 2", "week 4"]}), "week")
    Traceback (most recent call last):
    ...
    ValueError: visit column 'week' must be numeric: visits are times (e.g. months); map labels such as ['week 2', 'week 4'] to numbers first
    """
    if visit is None:
        return
    column = data[visit]
    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        labels = sorted(map(str, column.dropna().unique()))[:3]
        raise ValueError(
            f"visit column {visit!r} must be numeric: visits are times (e.g. months); map "
            f"labels such as {labels} to numbers first"
        )


#: Columns of :attr:`Result.diagnostics`.
DIAGNOSTIC_COLUMNS = ("outcome", "method", "diagnostic", "value", "detail")
#: The ``diagnostic`` name of an exclusion row: ``value`` = rows (or subjects) excluded,
#: ``detail`` = the reason.
EXCLUDED = "excluded"


def diagnostics_frame(
    rows: Iterable[Mapping[str, object]] = (), *, outcome: object = pd.NA, method: object = pd.NA
) -> pd.DataFrame:
    """Build a diagnostics frame; ``outcome`` and ``method`` fill rows that do not set them.

    Each row has ``diagnostic`` (a name such as ``"converged"`` or ``"alpha"``), ``value``
    (a number, a boolean or text; never an array) and ``detail`` (free text, e.g. the reason
    of an exclusion or a warning's message).

    Examples
    --------
    >>> frame = diagnostics_frame([{"diagnostic": "converged", "value": True}], outcome="y")
    >>> frame[["outcome", "diagnostic", "value"]].values.tolist()
    [['y', 'converged', True]]
    """
    records = []
    for row in rows:
        unknown = set(row) - set(DIAGNOSTIC_COLUMNS)
        if unknown:
            raise ValueError(
                f"unknown diagnostic column(s) {sorted(unknown)}; allowed: {list(DIAGNOSTIC_COLUMNS)}"
            )
        value = row.get("value")
        if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
            value = value.item()  # numpy scalars as Python scalars
        records.append({"outcome": outcome, "method": method, "detail": "", **row, "value": value})
    # each value keeps its own type (an int stays an int beside floats and booleans)
    return pd.DataFrame(
        {name: pd.array([record.get(name) for record in records],
                        dtype=object if name == "value" else "string")
         for name in DIAGNOSTIC_COLUMNS}
    )  # fmt: skip


def complete_rows(data: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, dict]:
    """The rows of ``data`` without a missing value in ``columns``, and the excluded by reason.

    Each excluded row is counted once, under the first column (in the order given) that it is
    missing in; the reason reads ``"<column> missing"``. Pass the result to
    :func:`exclusion_rows`.

    Examples
    --------
    >>> data = pd.DataFrame({"y": [1.0, None, None], "arm": ["a", None, "b"]})
    >>> frame, reasons = complete_rows(data, ["arm", "y"])
    >>> len(frame), reasons
    (1, {'arm missing': 1, 'y missing': 1})
    """
    missing = data[list(columns)].isna().to_numpy()
    first = np.full(len(data), -1)
    incomplete = missing.any(axis=1)
    if incomplete.any():
        first[incomplete] = missing[incomplete].argmax(axis=1)
    reasons = {
        f"{name} missing": int(np.sum(first == index))
        for index, name in enumerate(columns)
        if np.any(first == index)
    }
    return data.loc[first < 0], reasons


def exclusion_rows(reasons: Mapping[str, int]) -> list[dict]:
    """Diagnostic rows for excluded rows: one per reason with a positive count.

    >>> exclusion_rows({"outcome missing": 3, "arm missing": 0})
    [{'diagnostic': 'excluded', 'value': 3, 'detail': 'outcome missing'}]
    """
    return [
        {"diagnostic": EXCLUDED, "value": int(count), "detail": str(reason)}
        for reason, count in reasons.items()
        if count
    ]


@dataclass(frozen=True)
class Result:
    """What every statistics helper returns: ``estimates`` and ``diagnostics`` (module docs).

    Examples
    --------
    >>> result = Result(
    ...     estimate_frame([{"outcome": "y", "estimate": 1.0}]),
    ...     diagnostics_frame([{"diagnostic": "alpha", "value": 0.5},
    ...                        *exclusion_rows({"y missing": 2})], outcome="y"))
    >>> result.diagnostic("alpha"), result.exclusions()
    (0.5, {'y missing': 2})
    """

    estimates: pd.DataFrame
    diagnostics: pd.DataFrame

    def diagnostic(self, name: str, *, outcome: str | None = None, detail: str | None = None):
        """The value of one diagnostic.

        ``outcome`` picks it when several outcomes are present (e.g. after
        :func:`concat_results`), ``detail`` when the diagnostic repeats (one row per
        covariate, cut-point or contrast). Raises ``KeyError`` naming the diagnostics present
        when there is not exactly one.
        """
        rows = self.diagnostics[self.diagnostics["diagnostic"] == name]
        if outcome is not None:
            rows = rows[rows["outcome"] == outcome]
        if detail is not None:
            rows = rows[rows["detail"] == detail]
        if len(rows) != 1:
            present = sorted(set(self.diagnostics["diagnostic"].dropna()))
            raise KeyError(
                f"{len(rows)} diagnostics named {name!r}"
                + (f" for outcome {outcome!r}" if outcome is not None else "")
                + (f" with detail {detail!r}" if detail is not None else "")
                + f"; present: {present}"
            )
        return rows["value"].iloc[0]

    def equals(self, other: object) -> bool:
        """Whether ``other`` is a result with equal estimates and diagnostics
        (:meth:`pandas.DataFrame.equals`; the extra fields of a subclass are not compared)."""
        return (
            isinstance(other, Result)
            and self.estimates.equals(other.estimates)
            and self.diagnostics.equals(other.diagnostics)
        )

    def exclusions(self) -> dict[str, int]:
        """Excluded rows by reason (summed over outcomes)."""
        rows = self.diagnostics[self.diagnostics["diagnostic"] == EXCLUDED]
        counts: dict[str, int] = {}
        for reason, value in zip(rows["detail"], rows["value"], strict=True):
            counts[str(reason)] = counts.get(str(reason), 0) + int(value)
        return counts

    @property
    def n_excluded(self) -> int:
        """All excluded rows."""
        return sum(self.exclusions().values())


def concat_results(results: Sequence[Result]) -> Result:
    """Join several results: estimates and diagnostics each concatenated in order.

    The joined result is a plain :class:`Result` (the extra fields of a subclass such as
    :class:`~acne_outcomes.stats.mmrm.MMRMResult` are not carried over); the ``outcome`` and
    ``method`` columns of the diagnostics tell the parts apart.

    >>> a = Result(estimate_frame([{"outcome": "a"}]), diagnostics_frame(outcome="a"))
    >>> len(concat_results([a, a]).estimates)
    2
    """
    results = list(results)
    if not results:
        raise ValueError("concat_results needs at least one result")
    return Result(
        pd.concat([result.estimates for result in results], ignore_index=True),
        pd.concat([result.diagnostics for result in results], ignore_index=True),
    )


def column_words(names: Iterable[str]) -> str:
    """Columns named in a method line by their labels in the standard, lower case unless an
    acronym starts them: ``"IGA at baseline, baseline grade, site"``.

    >>> column_words(["baseline_iga", "baseline_grade", "site"])
    'IGA at baseline, baseline grade, site'
    """
    words = []
    for name in names:
        label = standard.label(str(name))
        first = label.split(" ", 1)[0]
        if not (len(first) > 1 and first.isupper()):
            label = label[:1].lower() + label[1:]
        words.append(label)
    return ", ".join(words)
