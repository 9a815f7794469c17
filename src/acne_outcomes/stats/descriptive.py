"""Descriptive statistics: means with t-intervals, medians with quartiles, t-tests, proportions.

The one place these small summaries are computed: figures draw them, the teaching lab quotes
them and the missing-data and appraisal code builds on them, but none of those computes one.

* :func:`one_sample_t` and :func:`paired_t` — mean, t-interval and two-sided p-value;
* :func:`two_sample_t` — Student's two-sample t-test, vectorised over many samples at once;
* :func:`summarise` — mean with a t-interval, or median with the interquartile range, per group;
* :func:`arm_visit_means` — observed means per arm and visit as a tidy estimate frame;
* :func:`mean_change` — the within-arm mean change (or percent change) from baseline per visit;
* :func:`proportions` — the share of each category of a column, per group.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from acne_outcomes.checks import check_choice, check_ci_level, require_columns
from acne_outcomes.derive import change_from_baseline, percent_change_from_baseline
from acne_outcomes.stats.tidy import Result, diagnostics_frame, estimate_frame, exclusion_rows

STATISTICS = ("mean", "median")
SUMMARY_COLUMNS = ("centre", "low", "high", "n")


def _values(values) -> np.ndarray:
    data = pd.to_numeric(pd.Series(values), errors="raise").to_numpy(dtype=float, na_value=np.nan)
    return data[~np.isnan(data)]


def t_interval(estimate: float, se: float, df: float, ci_level: float = 0.95):
    """The t-interval ``estimate ± t_{df, (1+level)/2} · se`` as ``(low, high)``.

    >>> [round(bound, 3) for bound in t_interval(1.0, 0.5, 10)]
    [-0.114, 2.114]
    """
    half = float(scipy_stats.t.ppf(0.5 + check_ci_level(ci_level) / 2, df)) * se
    return estimate - half, estimate + half


def one_sample_t(values, *, null: float = 0.0, ci_level: float = 0.95) -> dict:
    """Mean of ``values`` with its t-interval and the two-sided one-sample t-test of ``null``.

    Missing values are dropped.

    Returns
    -------
    dict
        ``estimate`` (mean), ``se`` (sd / √n), ``ci_low``, ``ci_high``, ``p_value``, ``n``,
        ``df`` (n − 1). With fewer than two values the spread is unknown: everything but the
        mean and ``n`` is NaN. With no spread at all (every value equal) the p-value is 0 when
        the mean differs from ``null`` and 1 when it equals it.

    Notes
    -----
    ``t = (mean − null) / (sd / √n)`` on ``n − 1`` degrees of freedom; interval
    ``mean ± t_{n−1, (1+level)/2} · sd / √n``.

    Examples
    --------
    >>> test = one_sample_t([1.0, 2.0, 3.0, 4.0])
    >>> test["estimate"], round(test["ci_low"], 3), round(test["p_value"], 4)
    (2.5, 0.446, 0.0305)
    """
    data = _values(values)
    n = int(data.size)
    mean = float(data.mean()) if n else math.nan
    out = {"estimate": mean, "se": math.nan, "ci_low": math.nan, "ci_high": math.nan,
           "p_value": math.nan, "n": n, "df": math.nan}  # fmt: skip
    if n < 2:
        return out
    sd = float(data.std(ddof=1))
    se = sd / math.sqrt(n)
    low, high = t_interval(mean, se, n - 1, ci_level)
    if se > 0:
        p_value = float(2 * scipy_stats.t.sf(abs((mean - null) / se), n - 1))
    else:
        p_value = 1.0 if mean == null else 0.0
    return {**out, "se": se, "ci_low": low, "ci_high": high, "p_value": p_value, "df": n - 1}


def paired_t(before, after, *, ci_level: float = 0.95) -> dict:
    """Mean within-subject change ``after − before`` with its paired t-test (see :func:`one_sample_t`).

    Pairs with a missing value on either side are dropped.

    >>> paired_t([10, 12, 9], [7, 9, 7])["estimate"]
    -2.6666666666666665
    """
    before = np.asarray(before, dtype=float)
    after = np.asarray(after, dtype=float)
    if before.shape != after.shape:
        raise ValueError(
            f"before and after must have the same length; got {before.shape} and {after.shape}"
        )
    return one_sample_t(after - before, ci_level=ci_level)


def two_sample_t(first, second, *, axis: int = -1, ci_level: float = 0.95) -> dict:
    """Student's two-sample t-test (pooled variance) of ``mean(first) − mean(second)``.

    Vectorised: the samples lie along ``axis`` of arrays that may hold many comparisons
    (e.g. simulated studies × endpoints × subjects); no missing values.

    Returns
    -------
    dict of arrays
        ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``p_value`` and ``df`` (n₁ + n₂ − 2).

    Notes
    -----
    ``s² = ((n₁−1)s₁² + (n₂−1)s₂²) / (n₁+n₂−2)``, ``se = s √(1/n₁ + 1/n₂)``,
    ``t = (x̄₁ − x̄₂) / se``.

    Examples
    --------
    >>> test = two_sample_t([5.0, 6.0, 7.0], [3.0, 4.0, 5.0])
    >>> float(test["estimate"]), round(float(test["p_value"]), 4)
    (2.0, 0.0705)
    """
    first, second = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    n1, n2 = first.shape[axis], second.shape[axis]
    df = n1 + n2 - 2
    estimate = first.mean(axis=axis) - second.mean(axis=axis)
    pooled = (
        (n1 - 1) * first.var(axis=axis, ddof=1) + (n2 - 1) * second.var(axis=axis, ddof=1)
    ) / df
    se = np.sqrt(pooled * (1 / n1 + 1 / n2))
    low, high = t_interval(estimate, se, df, ci_level)
    p_value = 2 * scipy_stats.t.sf(np.abs(estimate / se), df)
    return {"estimate": estimate, "se": se, "ci_low": low, "ci_high": high, "p_value": p_value,
            "df": df}  # fmt: skip


def _mean_summary(values: np.ndarray, ci_level: float) -> tuple[float, float, float, int]:
    n = values.size
    mean = values.mean() if n else np.nan
    if n > 1:
        half = scipy_stats.t.ppf(0.5 + ci_level / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)
    else:
        half = np.nan
    return mean, mean - half, mean + half, n


def _median_summary(values: np.ndarray) -> tuple[float, float, float, int]:
    if values.size == 0:
        return np.nan, np.nan, np.nan, 0
    low, centre, high = np.percentile(values, [25, 50, 75])
    return centre, low, high, values.size


def summarise(
    data: pd.DataFrame,
    *,
    value: str,
    by: Sequence[str] = (),
    statistic: str = "mean",
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Per group of ``by``: the mean with its t-interval, or the median with its quartiles.

    Parameters
    ----------
    data : DataFrame
    value : str
        The column summarised (missing values dropped).
    by : sequence of str
        Grouping columns (none: one row for all data). Groups are sorted; a categorical's
        unobserved categories are left out.
    statistic : {"mean", "median"}
        ``"mean"``: ``centre`` = mean, ``low``/``high`` = the ``ci_level`` t-interval
        ``mean ± t_{n−1} · sd / √n`` (missing for a single value). ``"median"``: ``centre``
        = median, ``low``/``high`` = the 25th and 75th percentiles.
    ci_level : float, default 0.95

    Returns
    -------
    DataFrame
        The ``by`` columns, then ``centre``, ``low``, ``high``, ``n`` (values summarised).

    Examples
    --------
    >>> frame = pd.DataFrame({"arm": ["a", "a", "b", "b"], "y": [1.0, 3.0, 2.0, None]})
    >>> summarise(frame, value="y", by=["arm"]).round(2).values.tolist()
    [['a', 2.0, -10.71, 14.71, 2], ['b', 2.0, nan, nan, 1]]
    """
    by = list(by)
    require_columns(data, value=value, **{f"by[{index}]": name for index, name in enumerate(by)})
    check_choice("statistic", statistic, STATISTICS)
    ci_level = check_ci_level(ci_level)
    values = pd.to_numeric(data[value], errors="raise").astype("float64")

    def summary(block: np.ndarray) -> tuple:
        block = block[~np.isnan(block)]
        return _mean_summary(block, ci_level) if statistic == "mean" else _median_summary(block)

    if not by:
        rows = [summary(values.to_numpy(dtype=float, na_value=np.nan))]
        return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)).astype({"n": int})
    grouped = values.groupby([data[name] for name in by], sort=True, observed=True)
    keys, rows = [], []
    for key, block in grouped:
        keys.append(key if isinstance(key, tuple) else (key,))
        rows.append(summary(block.to_numpy(dtype=float, na_value=np.nan)))
    out = pd.DataFrame(keys, columns=by)
    out[list(SUMMARY_COLUMNS)] = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    return out.astype({"n": int}) if len(out) else out


def arm_visit_means(
    data: pd.DataFrame,
    outcome: str,
    *,
    arm: str = "arm",
    visit: str = "month",
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Observed mean of ``outcome`` per arm and visit, with its t-interval, as a tidy frame.

    Returns
    -------
    DataFrame
        A tidy estimate frame (:data:`~acne_outcomes.stats.tidy.ESTIMATE_COLUMNS`) with
        ``contrast`` = the arm, ``visit``, ``estimate`` = the observed mean, ``se`` =
        sd / √n, the t-interval, ``n`` = subjects observed and ``scale`` = "mean" — the
        input of :func:`acne_outcomes.figures.plot_mean_trajectories`.

    Examples
    --------
    >>> frame = pd.DataFrame({"arm": ["a"] * 4, "month": [0, 0, 1, 1], "y": [1.0, 3.0, 2.0, 2.0]})
    >>> means = arm_visit_means(frame, "y")
    >>> means["estimate"].tolist(), means["n"].tolist()
    ([2.0, 2.0], [2, 2])
    """
    require_columns(data, outcome=outcome, arm=arm, visit=visit)
    observed = data[data[outcome].notna()]
    rows = []
    for (arm_name, visit_value), values in observed.groupby([arm, visit], sort=True, observed=True)[
        outcome
    ]:
        test = one_sample_t(values, ci_level=ci_level)
        rows.append({"outcome": outcome, "contrast": str(arm_name), "visit": visit_value,
                     "estimate": test["estimate"], "se": test["se"], "ci_low": test["ci_low"],
                     "ci_high": test["ci_high"], "ci_level": ci_level, "n": test["n"],
                     "method": "observed mean, t-interval", "scale": "mean"})  # fmt: skip
    return estimate_frame(rows)


def mean_change(
    data: pd.DataFrame,
    *,
    outcome: str,
    subject: str,
    visit: str,
    arm: str,
    baseline_visit: object = 0,
    percent: bool = False,
    ci_level: float = 0.95,
) -> Result:
    """Within-arm mean change (or percent change) from baseline at each visit, with t-intervals.

    What a single-arm study can report: it is **not** an estimate of a treatment's effect,
    since the change also holds the natural course, regression to the mean and rater drift.

    Returns
    -------
    Result
        ``estimates``: one row per arm and post-baseline visit, ``contrast`` = the arm,
        ``estimate`` = mean change (``scale="mean change"``) or mean percent change
        (``scale="mean percent change"``, outcome ``"percent change in <outcome>"``), its
        t-interval and the one-sample t-test of no change, ``n`` = subjects with both values.
        ``diagnostics``: the rows left out, by reason (baseline rows, missing values, a zero
        baseline for percent change).

    Examples
    --------
    >>> data = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3], "month": [0, 3] * 3, "arm": "a",
    ...                      "y": [10.0, 6.0, 8.0, 6.0, 9.0, 6.0]})
    >>> change = mean_change(data, outcome="y", subject="id", visit="month", arm="arm")
    >>> change.estimates[["visit", "estimate", "n"]].values.tolist()
    [[3.0, -3.0, 3]]
    """
    require_columns(data, outcome=outcome, subject=subject, visit=visit, arm=arm)
    derive = percent_change_from_baseline if percent else change_from_baseline
    derived = derive(
        data, subject=subject, visit=visit, outcome=outcome, baseline_visit=baseline_visit
    )
    value = "percent_change" if percent else "change"
    label = f"percent change in {outcome}" if percent else outcome
    scale = "mean percent change" if percent else "mean change"
    rows = []
    groups = derived.data.groupby([arm, visit], sort=True, observed=True)[value]
    for (arm_name, visit_value), values in groups:
        test = one_sample_t(values, ci_level=ci_level)
        rows.append({"outcome": label, "contrast": str(arm_name), "visit": visit_value,
                     "estimate": test["estimate"], "se": test["se"], "ci_low": test["ci_low"],
                     "ci_high": test["ci_high"], "ci_level": ci_level, "p_value": test["p_value"],
                     "n": test["n"], "method": f"observed {scale} from baseline, t-interval",
                     "scale": scale})  # fmt: skip
    reasons = derived.exclusions["reason"].value_counts().to_dict()
    diagnostics = diagnostics_frame(exclusion_rows(reasons), outcome=label)
    return Result(estimate_frame(rows), diagnostics)


def proportions(
    data: pd.DataFrame, *, value: str, by: Sequence[str] = (), categories: Sequence | None = None
) -> pd.DataFrame:
    """The share of each category of ``value`` within each group of ``by``.

    Parameters
    ----------
    data : DataFrame
    value : str
        The categorical column (missing values are left out of numerator and denominator).
    by : sequence of str
        Grouping columns (sorted; a categorical's unobserved categories left out).
    categories : sequence, optional
        The categories to report, in order (default: those present, sorted); a category
        absent from a group has count 0.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``category``, ``count``, ``total`` (values in the group) and
        ``proportion`` = count / total.

    Examples
    --------
    >>> frame = pd.DataFrame({"month": [0, 0, 0, 12], "grade": [0, 1, 1, 0]})
    >>> print(proportions(frame, value="grade", by=["month"]).round(3).to_string(index=False))
     month  category  count  total  proportion
         0         0      1      3       0.333
         0         1      2      3       0.667
        12         0      1      1       1.000
        12         1      0      1       0.000
    """
    by = list(by)
    require_columns(data, value=value, **{f"by[{index}]": name for index, name in enumerate(by)})
    present = data[data[value].notna()]
    if categories is None:
        categories = sorted(
            pd.unique(present[value].astype(object)), key=lambda v: (str(type(v)), v)
        )
    categories = list(categories)
    keys = [present[name] for name in by] if by else [pd.Series(0, index=present.index)]
    counts = (
        present.groupby(
            [*keys, present[value].astype(object).rename("category")], sort=True, observed=True
        )
        .size()  # fmt: skip
        .unstack("category", fill_value=0)
        .reindex(columns=categories, fill_value=0)
    )
    totals = present.groupby(keys, sort=True, observed=True).size()
    long = counts.stack().rename("count").reset_index()
    long = long.rename(columns={long.columns[-2]: "category"})
    if not by:
        long = long.drop(columns=long.columns[0])
    group_totals = totals.reindex(counts.index).to_numpy()
    long["total"] = np.repeat(group_totals, len(categories))
    long["proportion"] = long["count"] / long["total"]
    return long[[*by, "category", "count", "total", "proportion"]].reset_index(drop=True)
