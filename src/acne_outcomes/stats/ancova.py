"""Analysis of covariance: the one ordinary-least-squares arm comparison of the package.

:func:`fit_ancova` is the array core (arm cell means plus covariates); :func:`ancova` takes a
long or one-row-per-subject frame with column names and returns the tidy :class:`Result`.
Every ANCOVA elsewhere — the percent-change endpoint, the missing-data methods, the
appraisal strategies and lessons — calls one of these two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from acne_outcomes.checks import (
    NotEstimable,
    check_ci_level,
    require_columns,
    require_numeric,
    resolve_arms,
)
from acne_outcomes.stats.tidy import (
    Result,
    column_words,
    complete_rows,
    diagnostics_frame,
    estimate_frame,
    exclusion_rows,
)


@dataclass(frozen=True)
class AncovaFit:
    """An OLS fit of ``y = Σ_k μ_k [arm = k] + γ'x + ε`` (arm cell means, then covariates).

    Attributes
    ----------
    coefficients : ndarray
        ``μ_0 … μ_{K−1}`` (the arm means at the covariate origin), then ``γ``.
    covariance : ndarray
        ``σ² (X'X)⁻¹``, the model-based covariance of ``coefficients``.
    sigma2 : float
        Residual variance, ``RSS / (n − p)``.
    df : float
        Residual degrees of freedom ``n − p``.
    n_arms : int
    counts : ndarray
        Observations per arm.
    """

    coefficients: np.ndarray
    covariance: np.ndarray
    sigma2: float
    df: float
    n_arms: int
    counts: np.ndarray

    def difference_test(self, arm: int = 1, ci_level: float = 0.95) -> dict:
        """Arm ``arm`` minus arm 0: ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``p_value``, ``df``.

        The t-interval and two-sided t-test on the residual degrees of freedom; with no spread
        (``se`` = 0) the test is undefined and ``p_value`` is NaN.
        """
        estimates, variances = self.differences()
        return {**_t_row(estimates[arm - 1], variances[arm - 1], self.df, ci_level, test=True),
                "df": self.df}  # fmt: skip

    def differences(self) -> tuple[np.ndarray, np.ndarray]:
        """Arm k minus arm 0 (k = 1 … K−1): ``(estimates, variances)``."""
        k = self.n_arms
        estimates = self.coefficients[1:k] - self.coefficients[0]
        variances = (
            np.diag(self.covariance)[1:k] + self.covariance[0, 0] - 2 * self.covariance[0, 1:k]
        )
        return estimates, variances


def fit_ancova(
    values: np.ndarray, arm_codes: np.ndarray, n_arms: int, covariates: np.ndarray | None = None
) -> AncovaFit:
    """Fit the ANCOVA by least squares on the rows where ``values`` is not missing.

    Parameters
    ----------
    values : array (n,)
    arm_codes : int array (n,)
        0 … n_arms − 1; 0 is the reference.
    n_arms : int
    covariates : array (n, p), optional
        Design columns of the covariates (numbers; categorical covariates as dummies). Centre
        them to make the arm coefficients adjusted means at the covariate means.

    Raises
    ------
    NotEstimable
        An arm without data, collinear covariates, or no residual degrees of freedom.

    Examples
    --------
    >>> fit = fit_ancova(np.array([1.0, 2.0, 4.0, 5.0]), np.array([0, 0, 1, 1]), 2)
    >>> fit.differences()[0].round(6).tolist(), fit.df
    ([3.0], 2.0)
    """
    values = np.asarray(values, dtype=float)
    arm_codes = np.asarray(arm_codes)
    covariates = np.zeros((len(values), 0)) if covariates is None else np.asarray(covariates, float)
    keep = ~np.isnan(values)
    indicators = np.eye(n_arms)[arm_codes[keep]]
    design = np.hstack([indicators, covariates[keep]])
    counts = indicators.sum(axis=0)
    if np.any(counts == 0):
        raise NotEstimable("an arm has no subject with a value to compare")
    if np.linalg.matrix_rank(design) < design.shape[1]:
        raise NotEstimable("the covariates are collinear with the arms (or constant) here")
    residual_df = int(keep.sum()) - design.shape[1]
    if residual_df < 1:
        raise NotEstimable(
            f"too few subjects ({int(keep.sum())}) for an ANCOVA with {design.shape[1]} parameters"
        )
    coefficients, *_ = np.linalg.lstsq(design, values[keep], rcond=None)
    sigma2 = float(np.sum((values[keep] - design @ coefficients) ** 2) / residual_df)
    covariance = sigma2 * np.linalg.inv(design.T @ design)
    return AncovaFit(coefficients, covariance, sigma2, float(residual_df), n_arms, counts)


def ancova_problem(data: pd.DataFrame, outcome: str, arm: str, covariates: Sequence[str],
                   reference=None):  # fmt: skip
    """The least-squares problem :func:`ancova` solves: the rows it keeps, as arrays.

    Returns ``(values, arm_codes, covariate_design, levels, reasons)``: the outcome, the arm
    codes (0: the reference), the centred covariate columns, the arm levels (reference first)
    and the exclusion reasons of :func:`~acne_outcomes.stats.tidy.complete_rows`. With
    :func:`fit_ancova_many`, the problems of many data sets are solved together.
    """
    frame, reasons = complete_rows(data, [outcome, arm, *covariates])
    reference, others = resolve_arms(frame[arm], reference)
    levels = [reference, *others]
    codes = pd.Index(levels).get_indexer(frame[arm])
    design, _ = covariate_design(frame, covariates)
    return frame[outcome].to_numpy(dtype=float), codes, design, levels, reasons


def fit_ancova_many(
    problems: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray | None]], n_arms: int
) -> list[AncovaFit | NotEstimable]:
    """:func:`fit_ancova` on many data sets at once (the replicates of a design diagnosis).

    Each problem is ``(values, arm_codes, covariates)`` as :func:`fit_ancova` takes them; the
    result is, per problem, its :class:`AncovaFit` or the :class:`NotEstimable` that
    :func:`fit_ancova` would raise (with the same message). The checks are the same, problem by
    problem; the least squares of every problem with the same number of parameters are solved
    together: the designs are stacked, padded with rows of zeros (which change neither the fit
    nor the rank), and the rank (singular values, with each problem's own tolerance), QR
    decomposition, coefficients and ``(X'X)⁻¹`` computed for the whole stack in one call each.
    The results equal :func:`fit_ancova`'s to rounding (tested to 1e-8).

    Examples
    --------
    >>> problems = [(np.array([1.0, 2.0, 4.0, 5.0]), np.array([0, 0, 1, 1]), None),
    ...             (np.array([1.0, 2.0]), np.array([0, 0]), None)]
    >>> first, second = fit_ancova_many(problems, 2)
    >>> first.differences()[0].round(6).tolist(), type(second).__name__
    ([3.0], 'NotEstimable')
    """
    results: list = [None] * len(problems)
    prepared: dict[int, list] = {}
    for index, (values, arm_codes, covariates) in enumerate(problems):
        values = np.asarray(values, dtype=float)
        arm_codes = np.asarray(arm_codes)
        covariates = (
            np.zeros((len(values), 0)) if covariates is None else np.asarray(covariates, float)
        )
        keep = ~np.isnan(values)
        indicators = np.eye(n_arms)[arm_codes[keep]]
        design = np.hstack([indicators, covariates[keep]])
        counts = indicators.sum(axis=0)
        if np.any(counts == 0):
            results[index] = NotEstimable("an arm has no subject with a value to compare")
            continue
        prepared.setdefault(design.shape[1], []).append((index, design, values[keep], counts))
    for p, group in prepared.items():
        rows = max(len(item[2]) for item in group)
        stack = np.zeros((len(group), rows, p))
        response = np.zeros((len(group), rows))
        for position, (_, design, values, _) in enumerate(group):
            stack[position, : len(values)] = design
            response[position, : len(values)] = values
        singular = np.linalg.svd(stack, compute_uv=False)
        sizes = np.array([len(item[2]) for item in group])
        tolerance = singular.max(axis=1) * np.maximum(sizes, p) * np.finfo(float).eps
        ranks = (singular > tolerance[:, None]).sum(axis=1)
        q, r = np.linalg.qr(stack)
        solvable = (ranks == p) & (sizes - p >= 1)
        coefficients = np.full((len(group), p), np.nan)
        if solvable.any():
            qty = np.einsum("gnp,gn->gp", q[solvable], response[solvable])
            coefficients[solvable] = np.linalg.solve(r[solvable], qty[..., None])[..., 0]
        residuals = response - np.einsum("gnp,gp->gn", stack, coefficients)
        inverse = np.full((len(group), p, p), np.nan)
        if solvable.any():
            gram = np.einsum("gnp,gnq->gpq", stack[solvable], stack[solvable])
            inverse[solvable] = np.linalg.inv(gram)
        for position, (index, _, values, counts) in enumerate(group):
            if ranks[position] < p:
                results[index] = NotEstimable(
                    "the covariates are collinear with the arms (or constant) here"
                )
                continue
            residual_df = len(values) - p
            if residual_df < 1:
                results[index] = NotEstimable(
                    f"too few subjects ({len(values)}) for an ANCOVA with {p} parameters"
                )
                continue
            sigma2 = float(np.sum(residuals[position, : len(values)] ** 2) / residual_df)
            results[index] = AncovaFit(coefficients[position], sigma2 * inverse[position], sigma2,
                                       float(residual_df), n_arms, counts)  # fmt: skip
    return results


def covariate_design(
    frame: pd.DataFrame,
    covariates: Sequence[str],
    *,
    weights: np.ndarray | None = None,
    centre: bool = True,
) -> tuple[np.ndarray, list[str]]:
    """Design columns of ``covariates``, centred at their (weighted) mean.

    Numeric columns are used as they are; any other column (text, categorical, boolean)
    becomes treatment dummies (first level dropped: a categorical's first category,
    otherwise the first in sorted order, as R's ``contr.treatment``), named ``name[level]``.
    Missing values raise ``ValueError``: impute or drop them first. Every helper of
    :mod:`acne_outcomes.stats` that takes ``covariates=`` builds its columns here.

    Parameters
    ----------
    frame : DataFrame
    covariates : sequence of str
        Column names.
    weights : array, optional
        Weights of the rows in the centring mean.
    centre : bool, default True
        Subtract the (weighted) mean of every column. ``False`` keeps R's coding (numbers as
        they are, dummies 0/1), for models whose other parameters are reported on R's scale
        (the cut-points of a proportional-odds model).

    Examples
    --------
    >>> design, names = covariate_design(
    ...     pd.DataFrame({"age": [20.0, 30.0], "sex": ["female", "male"]}), ["age", "sex"])
    >>> design.tolist(), names
    ([[-5.0, -0.5], [5.0, 0.5]], ['age', 'sex[male]'])
    >>> covariate_design(pd.DataFrame({"cell": ["b", "a", "c"]}), ["cell"], centre=False)
    (array([[1., 0.],
           [0., 0.],
           [0., 1.]]), ['cell[b]', 'cell[c]'])
    """
    blocks, names = [], []
    for name in covariates:
        column = frame[name]
        if column.isna().any():
            raise ValueError(f"covariate {name!r} has missing values; impute or drop them first")
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            blocks.append(column.to_numpy(dtype=float)[:, None])
            names.append(name)
        else:
            levels = column.astype("category")
            if isinstance(column.dtype, pd.CategoricalDtype):
                levels = levels.cat.remove_unused_categories()
            dummies = pd.get_dummies(levels, drop_first=True, dtype=float)
            blocks.append(dummies.to_numpy())
            names.extend(f"{name}[{level}]" for level in dummies.columns)
    if not blocks:
        return np.zeros((len(frame), 0)), names
    design = np.hstack(blocks)
    if not centre:
        return design, names
    return design - np.average(design, axis=0, weights=weights), names


def _t_row(estimate, variance, df, ci_level, *, test: bool) -> dict:
    se = float(np.sqrt(variance))
    t = float(scipy_stats.t.ppf(0.5 + ci_level / 2, df))
    row = {"estimate": float(estimate), "se": se, "ci_low": estimate - t * se,
           "ci_high": estimate + t * se, "ci_level": ci_level, "p_value": np.nan}  # fmt: skip
    if test:
        row["p_value"] = float(2 * scipy_stats.t.sf(abs(estimate) / se, df)) if se > 0 else np.nan
    return row


def ancova(
    data: pd.DataFrame,
    *,
    outcome: str,
    arm: str,
    covariates: Sequence[str] = (),
    reference: object | None = None,
    ci_level: float = 0.95,
    visit: object = pd.NA,
    outcome_label: str | None = None,
    method: str | None = None,
) -> Result:
    """ANCOVA of ``outcome`` on the arm, adjusted for ``covariates`` (one row per subject).

    Parameters
    ----------
    data : DataFrame
        One row per subject (e.g. the endpoint visit), with ``outcome``, ``arm`` and the
        covariates. Rows with a missing value in any of them are excluded and counted.
    outcome, arm : str
        Column names.
    covariates : sequence of str
        Numeric covariates (e.g. the baseline value) or categorical ones (dummies).
    reference : optional
        Reference arm (default: the first arm present, see
        :func:`acne_outcomes.checks.resolve_arms`).
    ci_level : float, default 0.95
    visit : optional
        The visit the endpoint is measured at, written in the ``visit`` column.
    outcome_label, method : str, optional
        The ``outcome`` and ``method`` written in the frame (default: ``outcome`` and
        "ANCOVA (OLS), adjusted for …").

    Returns
    -------
    Result
        ``estimates``: one row per arm with its adjusted mean at the mean of the covariates
        over the analysed subjects (``scale="mean"``, no p-value), then one row per other arm
        with the difference arm − reference (``scale="mean difference"``), t-interval on
        ``n − p`` degrees of freedom and two-sided p-value. ``n``: subjects analysed (in the
        arm, or in both arms). ``diagnostics``: ``residual_df`` (``n − p``) and one
        ``excluded`` row per reason (``"<column> missing"``, rows counted once, see
        :func:`~acne_outcomes.stats.tidy.complete_rows`).

    Notes
    -----
    ``y_i = μ_{arm(i)} + γ'(x_i − x̄) + ε_i``, ``ε ~ N(0, σ²)``, by ordinary least squares;
    the difference ``μ_k − μ_0`` has variance ``c'σ²(X'X)⁻¹c``.

    Examples
    --------
    >>> data = pd.DataFrame({"arm": ["a", "a", "a", "b", "b", "b"],
    ...                      "y": [5.0, 6.0, 7.0, 3.0, 4.0, 6.0], "y0": [5, 6, 7, 4, 5, 6]})
    >>> fit = ancova(data, outcome="y", arm="arm", covariates=["y0"])
    >>> fit.estimates[["contrast", "scale"]].values.tolist()
    [['a', 'mean'], ['b', 'mean'], ['b - a', 'mean difference']]
    >>> round(float(fit.estimates["estimate"].iloc[-1]), 3)
    -0.417
    """
    covariates = list(covariates)
    require_columns(data, outcome=outcome, arm=arm,
                    **{f"covariates[{i}]": name for i, name in enumerate(covariates)})  # fmt: skip
    require_numeric(data, outcome=outcome)
    ci_level = check_ci_level(ci_level)
    values, codes, design, levels, reasons = ancova_problem(data, outcome, arm, covariates,
                                                            reference)  # fmt: skip
    reference, others = levels[0], levels[1:]
    fit = fit_ancova(values, codes, len(levels), design)
    label = outcome if outcome_label is None else outcome_label
    if method is None:
        method = "ANCOVA (OLS)" + (
            f", adjusted for {column_words(covariates)}" if covariates else ""
        )
    common = {"outcome": label, "visit": visit, "method": method}
    rows = []
    for index, level in enumerate(levels):
        row = _t_row(fit.coefficients[index], fit.covariance[index, index], fit.df, ci_level,
                     test=False)  # fmt: skip
        rows.append({**common, **row, "contrast": str(level), "n": int(fit.counts[index]),
                     "scale": "mean"})  # fmt: skip
    for index, level in enumerate(others, start=1):
        row = fit.difference_test(index, ci_level)
        del row["df"]
        n = int(fit.counts[0] + fit.counts[index])
        rows.append({**common, **row, "contrast": f"{level} - {reference}", "n": n,
                     "scale": "mean difference"})  # fmt: skip
    diagnostics = diagnostics_frame(
        [{"diagnostic": "residual_df", "value": fit.df}, *exclusion_rows(reasons)],
        outcome=label, method=method,
    )  # fmt: skip
    return Result(estimate_frame(rows), diagnostics)
