"""Missing outcome data in longitudinal trials: five analyses of one endpoint, side by side.

* :func:`complete_case` — ANCOVA on the subjects whose endpoint value is observed.
* :func:`locf` — last observation carried forward, then ANCOVA. Kept **for teaching
  what goes wrong**: it is biased whenever the outcome changes over time, and its
  standard errors treat carried values as if they had been measured.
* :func:`mmrm_endpoint` — the MMRM of :mod:`acne_outcomes.stats.mmrm`, valid under
  missing at random (MAR).
* :func:`multiple_imputation` — sequential regression imputation by arm, ANCOVA on
  each completed data set, Rubin's rules (:func:`rubin_rules`), also valid under MAR.
* :func:`tipping_point` — delta-adjusted multiple imputation for missing not at random
  (MNAR): how much worse must the unobserved outcomes be for significance to go?

:func:`compare_missing_data_methods` puts the first four in one result. All take long data
and column names and return a :class:`~acne_outcomes.stats.tidy.Result`, like every helper in
:mod:`acne_outcomes.stats`; every ANCOVA here is :func:`acne_outcomes.stats.ancova.fit_ancova`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from acne_outcomes.checks import (
    check_choice,
    check_ci_level,
    require_columns,
    require_numeric,
    resolve_arms,
)
from acne_outcomes.stats.ancova import covariate_design, fit_ancova
from acne_outcomes.stats.mmrm import mmrm
from acne_outcomes.stats.tidy import (
    Result,
    concat_results,
    diagnostics_frame,
    estimate_frame,
    exclusion_rows,
)


@dataclass(frozen=True)
class _Wide:
    """One row per subject: outcomes by visit, arm, and the ANCOVA covariates."""

    outcomes: np.ndarray  # (subjects, visits), NaN where missing
    visits: np.ndarray
    arm_codes: np.ndarray  # index into arms, 0 = reference
    arms: list
    covariates: np.ndarray  # (subjects, k): centred baseline and covariates
    baseline: np.ndarray | None  # (subjects,) baseline values as given


def _check(data, outcome, subject, visit, arm, baseline, covariates, ci_level) -> float:
    """The shared argument checks of every analysis here; returns ``ci_level``."""
    require_columns(data, outcome=outcome, subject=subject, visit=visit, arm=arm,
                    baseline=baseline,
                    **{f"covariates[{index}]": name for index, name in enumerate(covariates)})  # fmt: skip
    require_numeric(data, outcome=outcome, visit=visit)
    return check_ci_level(ci_level)


def _wide(data, outcome, subject, visit, arm, baseline, covariates, reference, endpoint):
    """Pivot to one row per subject with outcomes at the visits up to ``endpoint``."""
    # integer codes instead of pandas' hashing of the (subject, visit) pairs
    subject_codes, _ = pd.factorize(data[subject])
    visit_values = data[visit].to_numpy(dtype=float)
    visit_codes, distinct = pd.factorize(visit_values)
    pairs = subject_codes.astype(np.int64) * (len(distinct) + 1) + visit_codes
    if np.unique(pairs).size < pairs.size:
        raise ValueError(f"more than one row per {subject!r} and {visit!r}")
    values = data[outcome].to_numpy(dtype=float)
    visits = np.unique(visit_values[~np.isnan(values)])
    if endpoint is None:
        endpoint = visits[-1]
    check_choice("endpoint", endpoint, visits.tolist())
    visits = visits[visits <= endpoint]
    first_row = np.unique(subject_codes, return_index=True)[1]
    names = ([baseline] if baseline is not None else []) + list(covariates)
    subjects = data[list(dict.fromkeys([arm, *names]))].iloc[first_row]
    position = np.searchsorted(visits, visit_values)
    in_window = (position < visits.size) & (
        visits[np.minimum(position, visits.size - 1)] == visit_values
    )
    outcomes = np.full((first_row.size, visits.size), np.nan)
    outcomes[subject_codes[in_window], position[in_window]] = values[in_window]
    for name in [arm, *names]:
        codes = pd.factorize(data[name])[0]
        if np.any(codes != codes[first_row][subject_codes]):
            raise ValueError(f"column {name!r} must be constant within each subject")
    if subjects[arm].isna().any():
        raise ValueError(f"arm column {arm!r} has missing values")
    reference, others = resolve_arms(subjects[arm], reference)
    arms = [reference, *others]
    design, _ = covariate_design(subjects, names)
    return _Wide(
        outcomes=outcomes,
        visits=visits,
        arm_codes=pd.Index(arms).get_indexer(subjects[arm]),
        arms=arms,
        covariates=design,
        baseline=None if baseline is None else subjects[baseline].to_numpy(dtype=float),
    )


def _ancova(values, wide):
    """The endpoint ANCOVA of ``values`` (one per subject; NaN rows dropped)."""
    return fit_ancova(values, wide.arm_codes, len(wide.arms), wide.covariates)


def _rows(outcome, wide, estimates, variances, dof, counts, ci_level, method):
    """Tidy rows "<arm k> - <reference>" at the endpoint, k = 1..len(estimates)."""
    errors = np.sqrt(variances)
    dof = np.broadcast_to(np.asarray(dof, dtype=float), errors.shape)
    quantile = stats.t.ppf(0.5 + ci_level / 2, dof)
    p_values = 2 * stats.t.sf(np.abs(estimates) / errors, dof)
    return [
        {
            "outcome": outcome,
            "contrast": _contrast(wide, k + 1),
            "visit": wide.visits[-1],
            "estimate": estimates[k],
            "se": errors[k],
            "ci_low": estimates[k] - quantile[k] * errors[k],
            "ci_high": estimates[k] + quantile[k] * errors[k],
            "ci_level": ci_level,
            "p_value": p_values[k],
            "n": int(counts[k]),
            "method": method,
            "scale": "mean difference",
        }
        for k in range(len(estimates))
    ]


def _contrast(wide, k):
    return f"{wide.arms[k]} - {wide.arms[0]}"


def _pair_counts(wide, included):
    return [np.sum(included & np.isin(wide.arm_codes, [0, k])) for k in range(1, len(wide.arms))]


def _result(outcome, rows, diagnostics, method) -> Result:
    return Result(
        estimate_frame(rows), diagnostics_frame(diagnostics, outcome=outcome, method=method)
    )


def complete_case(
    data,
    *,
    outcome,
    subject,
    visit,
    arm,
    endpoint=None,
    baseline=None,
    covariates=(),
    reference=None,
    ci_level=0.95,
):
    """ANCOVA at the endpoint on the subjects whose endpoint outcome is observed.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, one row per subject and visit (absent rows or missing outcomes are
        missed visits).
    outcome, subject, visit, arm : str
        Column names; ``outcome`` and ``visit`` numeric.
    endpoint : float, optional
        The visit analysed; default the last visit with an observed outcome.
    baseline : str, optional
        Baseline value of the outcome, a covariate of the ANCOVA.
    covariates : sequence of str
        Further subject-level covariates (numeric, or categorical as dummies).
    reference : optional
        Reference arm; default the first category (categorical ``arm``) or the smallest
        value, as in :func:`acne_outcomes.stats.mmrm.mmrm`.
    ci_level : float
        Confidence level.

    Returns
    -------
    Result
        ``estimates``: one row per non-reference arm, ``estimate`` is the adjusted mean
        difference "<arm> - <reference>" at the endpoint; ``n`` the completers analysed.
        ``diagnostics``: ``residual_df`` (``n − p`` of the ANCOVA) and an ``excluded`` row
        counting the subjects without an endpoint value.

    Notes
    -----
    The ANCOVA is :math:`y_{iT} = \\mu_{a(i)} + \\gamma'(z_i - \\bar z) + e_i` by OLS, with
    Student's t on :math:`n - p` df. Unbiased only if completers are a random sample of
    the randomised subjects (missing completely at random).

    Examples
    --------
    >>> data = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4], "arm": list("aabbaab"),
    ...                      "month": [1, 2, 1, 2, 1, 2, 1], "y": [5., 3, 6, 6, 4, 2, 7]})
    >>> fit = complete_case(data, outcome="y", subject="id", visit="month", arm="arm")
    >>> row = fit.estimates.iloc[0]
    >>> row["contrast"], round(float(row["estimate"]), 9), int(row["n"]), fit.exclusions()
    ('b - a', 3.5, 3, {'y missing at visit 2': 1})
    """
    ci_level = _check(data, outcome, subject, visit, arm, baseline, covariates, ci_level)
    wide = _wide(data, outcome, subject, visit, arm, baseline, covariates, reference, endpoint)
    return _complete_case(wide, outcome, ci_level)


def _complete_case(wide, outcome, ci_level):
    values = wide.outcomes[:, -1]
    fit = _ancova(values, wide)
    estimates, variances = fit.differences()
    kept = ~np.isnan(values)
    counts = _pair_counts(wide, kept)
    method = "complete case ANCOVA"
    rows = _rows(outcome, wide, estimates, variances, fit.df, counts, ci_level, method)
    reason = f"{outcome} missing at visit {wide.visits[-1]:g}"
    diagnostics = [{"diagnostic": "residual_df", "value": fit.df},
                   *exclusion_rows({reason: int(np.sum(~kept))})]  # fmt: skip
    return _result(outcome, rows, diagnostics, method)


def locf(
    data,
    *,
    outcome,
    subject,
    visit,
    arm,
    endpoint=None,
    baseline=None,
    covariates=(),
    reference=None,
    ci_level=0.95,
):
    """Last observation carried forward to the endpoint, then ANCOVA (for teaching only).

    Parameters as :func:`complete_case`.

    Returns
    -------
    Result
        ``estimates`` as :func:`complete_case`; ``n`` counts the subjects with at least one
        observed value up to the endpoint (or a baseline value, see Notes).
        ``diagnostics``: ``residual_df``, ``n_carried_forward`` (subjects whose endpoint
        value was carried from an earlier visit), ``n_carried_from_baseline`` (from the
        baseline value; 0 without ``baseline``) and an ``excluded`` row counting the
        subjects with nothing to carry.

    Notes
    -----
    Each subject's endpoint value is replaced by the last observed value at or before
    the endpoint; a subject with no observed post-baseline value is carried from
    ``baseline`` when it is given (baseline observation carried forward), else dropped.
    LOCF assumes the outcome would have stayed frozen after dropout. When the outcome
    improves over time it attenuates the effect in the arm that drops out earlier, and
    its standard errors are too small because carried values count as measurements;
    regulators discourage it (National Research Council 2010). It is provided to show
    that bias against known truth.

    References
    ----------
    National Research Council (2010). The Prevention and Treatment of Missing Data in
    Clinical Trials. National Academies Press.

    Examples
    --------
    >>> data = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4], "arm": list("aabbaab"),
    ...                      "month": [1, 2, 1, 2, 1, 2, 1], "y": [5., 3, 6, 6, 4, 2, 7]})
    >>> fit = locf(data, outcome="y", subject="id", visit="month", arm="arm")
    >>> row = fit.estimates.iloc[0]
    >>> round(float(row["estimate"]), 9), int(row["n"]), fit.diagnostic("n_carried_forward")
    (4.0, 4, 1)
    """
    ci_level = _check(data, outcome, subject, visit, arm, baseline, covariates, ci_level)
    wide = _wide(data, outcome, subject, visit, arm, baseline, covariates, reference, endpoint)
    return _locf(wide, outcome, ci_level)


def _locf(wide, outcome, ci_level):
    observed = wide.outcomes[:, -1]
    carried = pd.DataFrame(wide.outcomes).ffill(axis=1).to_numpy()[:, -1]
    forward = np.isnan(observed) & ~np.isnan(carried)
    from_baseline = np.zeros_like(forward)
    if wide.baseline is not None:
        from_baseline = np.isnan(carried) & ~np.isnan(wide.baseline)
        carried = np.where(np.isnan(carried), wide.baseline, carried)
    fit = _ancova(carried, wide)
    estimates, variances = fit.differences()
    kept = ~np.isnan(carried)
    counts = _pair_counts(wide, kept)
    method = "LOCF ANCOVA"
    rows = _rows(outcome, wide, estimates, variances, fit.df, counts, ci_level, method)
    reason = f"no {outcome} to carry forward to visit {wide.visits[-1]:g}"
    diagnostics = [
        {"diagnostic": "residual_df", "value": fit.df},
        {"diagnostic": "n_carried_forward", "value": int(forward.sum())},
        {"diagnostic": "n_carried_from_baseline", "value": int(from_baseline.sum())},
        *exclusion_rows({reason: int(np.sum(~kept))}),
    ]
    return _result(outcome, rows, diagnostics, method)


def mmrm_endpoint(
    data,
    *,
    outcome,
    subject,
    visit,
    arm,
    endpoint=None,
    baseline=None,
    covariates=(),
    reference=None,
    ci_level=0.95,
):
    """The MMRM arm difference at the endpoint (unstructured, Satterthwaite), under MAR.

    Parameters as :func:`complete_case`; the model uses every visit up to the endpoint.
    See :func:`acne_outcomes.stats.mmrm.mmrm` for the model.

    Returns
    -------
    Result
        ``estimates`` as :func:`complete_case`; ``n`` counts the subjects of the compared
        arms with at least one observed outcome (all of them inform the endpoint estimate
        through the covariance). ``diagnostics``: those of the MMRM fit (``converged``,
        ``iterations``, ``log_likelihood``, ``covariance_structure``, ``df_method``,
        ``n_subjects``, ``n_observations`` and the ``excluded`` rows without an outcome).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> data = pd.DataFrame({"id": np.repeat(np.arange(30), 2), "month": np.tile([1, 2], 30),
    ...                      "arm": np.repeat(np.arange(30) % 2, 2)})
    >>> data["y"] = rng.normal(size=60) + data["arm"] * data["month"]
    >>> fit = mmrm_endpoint(data, outcome="y", subject="id", visit="month", arm="arm")
    >>> fit.estimates["contrast"].tolist(), int(fit.estimates.loc[0, "n"])
    (['1 - 0'], 30)
    >>> fit.diagnostic("converged")
    True
    """
    ci_level = _check(data, outcome, subject, visit, arm, baseline, covariates, ci_level)
    wide = _wide(data, outcome, subject, visit, arm, baseline, covariates, reference, endpoint)
    columns = {"outcome": outcome, "subject": subject, "visit": visit, "arm": arm}
    return _mmrm_endpoint(data, wide, columns, baseline, covariates, ci_level)


def _mmrm_endpoint(data, wide, columns, baseline, covariates, ci_level):
    analysed = data.loc[data[columns["visit"]].astype(float) <= wide.visits[-1]]
    fit = mmrm(
        analysed,
        **columns,
        covariates=tuple(covariates),
        baseline=baseline,
        reference=wide.arms[0],
        ci_level=ci_level,
    )
    frame = fit.estimates
    rows = frame.loc[(frame["scale"] == "mean difference") & (frame["visit"] == wide.visits[-1])]
    observed = ~np.all(np.isnan(wide.outcomes), axis=1)
    records = rows.astype(object).to_dict("records")
    counts = _pair_counts(wide, observed)
    records = [record | {"n": int(count)} for record, count in zip(records, counts, strict=True)]
    return Result(estimate_frame(records), fit.diagnostics)


@dataclass(frozen=True)
class RubinResult(Result):
    """Multiple-imputation inference for one scalar estimand (:func:`rubin_rules`).

    A :class:`~acne_outcomes.stats.tidy.Result` (``estimates``: the pooled row;
    ``diagnostics``: ``m`` and the fields below by name) with the pooled quantities as
    fields: ``estimate`` (mean of the m estimates), ``within`` (mean variance), ``between``
    (variance of the estimates), ``variance`` (total), ``se``, ``df`` (Barnard-Rubin),
    ``relative_increase`` ((1 + 1/m) B / W) and ``fraction_missing`` (lambda = (1 + 1/m) B / T).
    """

    estimate: float
    within: float
    between: float
    variance: float
    se: float
    df: float
    relative_increase: float
    fraction_missing: float


_POOLED = ("within", "between", "variance", "df", "relative_increase", "fraction_missing")


def _pool(estimates, variances, complete_df) -> dict:
    """Rubin's rules as plain numbers (the fields of :class:`RubinResult`)."""
    estimates = np.asarray(estimates, dtype=float)
    variances = np.asarray(variances, dtype=float)
    m = estimates.size
    if m < 2 or variances.shape != estimates.shape:
        raise ValueError("need m >= 2 estimates and as many variances")
    within = variances.mean()
    between = estimates.var(ddof=1)
    total = within + (1 + 1 / m) * between
    fraction = (1 + 1 / m) * between / total
    df_old = (m - 1) / fraction**2 if fraction > 0 else np.inf
    if np.isinf(complete_df):
        dof = df_old
    else:
        df_observed = (complete_df + 1) / (complete_df + 3) * complete_df * (1 - fraction)
        dof = 1 / (1 / df_old + 1 / df_observed)
    return {
        "estimate": float(estimates.mean()),
        "within": float(within),
        "between": float(between),
        "variance": float(total),
        "se": float(np.sqrt(total)),
        "df": float(dof),
        "relative_increase": float((1 + 1 / m) * between / within),
        "fraction_missing": float(fraction),
    }


def rubin_rules(estimates, variances, complete_df=np.inf, *, ci_level=0.95) -> RubinResult:
    """Combine m completed-data estimates and variances by Rubin's rules.

    Parameters
    ----------
    estimates, variances : array-like of length m >= 2
        Point estimates and their squared standard errors from each imputed data set.
    complete_df : float, default inf
        Degrees of freedom of the completed-data analysis (e.g. n - p of an ANCOVA).
    ci_level : float, default 0.95
        Level of the interval in ``estimates``.

    Returns
    -------
    RubinResult
        ``estimates``: one row, the pooled estimate with ``se`` = √T, a t-interval and
        two-sided p-value on the Barnard-Rubin degrees of freedom (``outcome``,
        ``contrast``, ``n`` and ``scale`` missing: the caller knows them).
        ``diagnostics``: ``m``, ``within``, ``between``, ``variance``, ``df``,
        ``relative_increase`` and ``fraction_missing``, equal to the fields of the same
        names.

    Notes
    -----
    With :math:`\\bar Q = \\frac1m\\sum Q_j`, :math:`W = \\frac1m\\sum U_j`,
    :math:`B = \\frac1{m-1}\\sum (Q_j - \\bar Q)^2`, the total variance is
    :math:`T = W + (1 + 1/m)B` and :math:`\\lambda = (1 + 1/m)B/T`. Barnard and Rubin's
    degrees of freedom are :math:`\\nu = (1/\\nu_{old} + 1/\\nu_{obs})^{-1}` with
    :math:`\\nu_{old} = (m-1)/\\lambda^2` and
    :math:`\\nu_{obs} = \\frac{\\nu_{com}+1}{\\nu_{com}+3}\\nu_{com}(1-\\lambda)`;
    for :math:`\\nu_{com} = \\infty`, :math:`\\nu = \\nu_{old}`.

    References
    ----------
    Rubin DB (1987). Multiple Imputation for Nonresponse in Surveys. Wiley.
    Barnard J, Rubin DB (1999). Small-sample degrees of freedom with multiple
    imputation. Biometrika 86:948-955.

    Examples
    --------
    >>> result = rubin_rules([1.0, 1.2, 0.8, 1.1, 0.9], [0.04, 0.05, 0.045, 0.05, 0.04], 50)
    >>> round(result.variance, 6), round(result.df, 4), round(result.diagnostic("df"), 4)
    (0.075, 13.3975, 13.3975)
    >>> round(float(result.estimates.loc[0, "ci_low"]), 4)
    0.4101
    """
    ci_level = check_ci_level(ci_level)
    pooled = _pool(estimates, variances, complete_df)
    m = len(np.asarray(estimates))
    method = f"Rubin's rules (m={m}, Barnard-Rubin df)"
    estimate, se, dof = pooled["estimate"], pooled["se"], pooled["df"]
    half = float(stats.t.ppf(0.5 + ci_level / 2, dof)) * se
    with np.errstate(divide="ignore", invalid="ignore"):
        p_value = float(2 * stats.t.sf(abs(estimate) / se, dof))
    row = {"estimate": estimate, "se": se, "ci_low": estimate - half, "ci_high": estimate + half,
           "ci_level": ci_level, "p_value": p_value, "method": method}  # fmt: skip
    diagnostics = diagnostics_frame(
        [{"diagnostic": "m", "value": m},
         *({"diagnostic": name, "value": pooled[name]} for name in _POOLED)],
        method=method,
    )  # fmt: skip
    return RubinResult(estimates=estimate_frame([row]), diagnostics=diagnostics, **pooled)


def _impute(wide: _Wide, m: int, rng: np.random.Generator):
    """m completed outcome matrices by sequential Bayesian regression within each arm."""
    completed = np.repeat(wide.outcomes[None], m, axis=0)
    missing = np.isnan(wide.outcomes)
    for position in range(wide.visits.size):
        for code in range(len(wide.arms)):
            in_arm = wide.arm_codes == code
            fit_rows = in_arm & ~missing[:, position]
            fill_rows = in_arm & missing[:, position]
            if not fill_rows.any():
                continue
            for draw in range(m):
                predictors = np.hstack(
                    [
                        np.ones((wide.outcomes.shape[0], 1)),
                        wide.covariates,
                        completed[draw][:, :position],
                    ]
                )
                completed[draw][fill_rows, position] = _draw_regression(
                    predictors[fit_rows],
                    completed[draw][fit_rows, position],
                    predictors[fill_rows],
                    rng,
                )
    return completed


def _draw_regression(design, response, new_design, rng):
    """Impute from one draw of (beta, sigma^2) of a normal linear regression (flat prior)."""
    n, k = design.shape
    if n - k < 1:
        raise ValueError(
            f"too few observed values ({n}) to impute from a regression on {k} predictors"
        )
    q, r = np.linalg.qr(design)
    coefficients = np.linalg.solve(r, q.T @ response)
    residual = response - design @ coefficients
    sigma2 = residual @ residual / rng.chisquare(n - k)
    r_inverse = np.linalg.inv(r)
    beta = coefficients + np.sqrt(sigma2) * r_inverse @ rng.standard_normal(k)
    return new_design @ beta + np.sqrt(sigma2) * rng.standard_normal(new_design.shape[0])


def _check_imputations(m):
    if not isinstance(m, int | np.integer) or m < 2:
        raise ValueError(f"m={m!r}; allowed: an integer number of imputations >= 2")


def _pooled(outcome, wide, per_imputation, counts, ci_level, method):
    """Rubin's rules per contrast: (estimate rows, diagnostic rows by contrast)."""
    rows, diagnostics = [], []
    for k in range(len(wide.arms) - 1):
        pooled = _pool(
            [estimates[k] for estimates, _, _ in per_imputation],
            [variances[k] for _, variances, _ in per_imputation],
            per_imputation[0][2],
        )
        rows += _rows(
            outcome,
            wide,
            np.array([pooled["estimate"]]),
            np.array([pooled["variance"]]),
            pooled["df"],
            [counts[k]],
            ci_level,
            method,
        )
        rows[-1]["contrast"] = _contrast(wide, k + 1)
        diagnostics += [
            {"diagnostic": name, "value": pooled[key], "detail": _contrast(wide, k + 1)}
            for name, key in [("fraction_missing", "fraction_missing"),
                              ("relative_increase", "relative_increase"),
                              ("barnard_rubin_df", "df")]
        ]  # fmt: skip
    return rows, diagnostics


def _fits(completed_endpoints, wide):
    """(differences, variances, residual df) of the endpoint ANCOVA of each imputation."""
    fits = [_ancova(values, wide) for values in completed_endpoints]
    return [(*fit.differences(), fit.df) for fit in fits]


def multiple_imputation(
    data,
    *,
    outcome,
    subject,
    visit,
    arm,
    endpoint=None,
    baseline=None,
    covariates=(),
    reference=None,
    ci_level=0.95,
    m=20,
    seed=None,
):
    """Multiple imputation under MAR (sequential regression by arm), ANCOVA, Rubin's rules.

    Parameters
    ----------
    data, outcome, subject, visit, arm, endpoint, baseline, covariates, reference, ci_level
        As :func:`complete_case`.
    m : int, default 20
        Number of imputations.
    seed : int or numpy.random.Generator, optional
        Randomness; the same seed gives identical output.

    Returns
    -------
    Result
        ``estimates`` as :func:`complete_case`; ``n`` counts all subjects of the compared
        arms. ``diagnostics``: ``m``, ``n_imputed`` (missing outcome values imputed, visits
        up to the endpoint) and, once per contrast (``detail`` = the contrast),
        ``fraction_missing`` (fraction of missing information λ), ``relative_increase``
        (relative increase in variance r) and ``barnard_rubin_df`` (see
        :func:`rubin_rules`).

    Notes
    -----
    Visits are imputed in time order, separately in each arm. At visit *t* the observed
    values are regressed on an intercept, the centred baseline and covariates, and the
    (observed or already imputed) values at earlier visits; each imputation draws
    :math:`\\sigma^{2*} = RSS/\\chi^2_{n-k}` and
    :math:`\\beta^* \\sim N(\\hat\\beta, \\sigma^{2*}(X'X)^{-1})` and imputes
    :math:`x'\\beta^* + N(0, \\sigma^{2*})` (proper imputation, Rubin 1987, the monotone
    regression method of SAS PROC MI). With monotone dropout this is exact under MAR;
    for intermittent gaps the imputed earlier values serve as predictors, an
    approximation (use :func:`mmrm_endpoint` for an exact MAR analysis then). Each
    completed data set is analysed by the endpoint ANCOVA of :func:`complete_case` and
    the results combined with :func:`rubin_rules` (Barnard-Rubin df).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> data = pd.DataFrame({"id": np.repeat(np.arange(40), 2), "month": np.tile([1, 2], 40),
    ...                      "arm": np.repeat(np.arange(40) % 2, 2)})
    >>> data["y"] = rng.normal(size=80) + data["arm"] * data["month"]
    >>> data.loc[data.index % 7 == 1, "y"] = np.nan
    >>> one = multiple_imputation(data, outcome="y", subject="id", visit="month", arm="arm",
    ...                           m=5, seed=1)
    >>> one.equals(multiple_imputation(data, outcome="y", subject="id", visit="month",
    ...                                arm="arm", m=5, seed=1))
    True
    >>> one.diagnostic("m"), one.diagnostic("n_imputed")
    (5, 12)
    """
    ci_level = _check(data, outcome, subject, visit, arm, baseline, covariates, ci_level)
    _check_imputations(m)
    wide = _wide(data, outcome, subject, visit, arm, baseline, covariates, reference, endpoint)
    return _imputation(wide, outcome, ci_level, m, seed)


def _imputation(wide, outcome, ci_level, m, seed):
    completed = _impute(wide, m, np.random.default_rng(seed))
    per_imputation = _fits(completed[:, :, -1], wide)
    counts = _pair_counts(wide, np.ones(wide.arm_codes.size, dtype=bool))
    method = f"MI (m={m}, sequential regression by arm) ANCOVA, Rubin's rules"
    rows, by_contrast = _pooled(outcome, wide, per_imputation, counts, ci_level, method)
    diagnostics = [
        {"diagnostic": "m", "value": int(m)},
        {"diagnostic": "n_imputed", "value": int(np.isnan(wide.outcomes).sum())},
        *by_contrast,
    ]
    return _result(outcome, rows, diagnostics, method)


@dataclass(frozen=True)
class TippingPointResult(Result):
    """What :func:`tipping_point` returns: a :class:`~acne_outcomes.stats.tidy.Result` plus
    the scan.

    Attributes
    ----------
    estimates : pandas.DataFrame
        Tidy frame, one row per delta (same order as ``deltas``), the MI estimate of
        "<delta_arm> - <reference>" at the endpoint after the shift.
    diagnostics : pandas.DataFrame
        ``tipping_point``, ``delta_arm``, ``m`` and ``n_shifted`` (see :func:`tipping_point`).
    deltas : numpy.ndarray
        The shifts scanned.
    delta_arm : object
        The arm whose imputed endpoint values were shifted.
    significant : numpy.ndarray of bool
        Whether ``p_value < 1 - ci_level`` at each delta.
    tipping_point : float
        The scanned delta closest to 0 at which significance differs from the MAR analysis
        (delta = 0); NaN if none does within the scan.
    """

    deltas: np.ndarray
    delta_arm: object
    significant: np.ndarray
    tipping_point: float


def tipping_point(
    data,
    *,
    outcome,
    subject,
    visit,
    arm,
    deltas,
    delta_arm=None,
    endpoint=None,
    baseline=None,
    covariates=(),
    reference=None,
    ci_level=0.95,
    m=20,
    seed=None,
) -> TippingPointResult:
    """Delta-adjusted multiple imputation: scan MNAR departures until significance is lost.

    Parameters
    ----------
    data, outcome, subject, visit, arm, endpoint, baseline, covariates, reference, ci_level
        As :func:`complete_case`.
    deltas : array-like of float
        Shifts added to the imputed endpoint values of ``delta_arm``.
    delta_arm : optional
        Arm whose missing outcomes are assumed worse (or better) than MAR predicts; default
        the first non-reference arm.
    m, seed
        As :func:`multiple_imputation`.

    Returns
    -------
    TippingPointResult
        ``estimates``: one row per delta (the order of ``deltas``). ``diagnostics``:
        ``tipping_point`` (as the field; NaN when no scanned delta changes the
        conclusion), ``delta_arm`` (the arm's name as text), ``m`` and ``n_shifted``
        (imputed endpoint values of ``delta_arm``, the ones shifted). The fields
        ``deltas``, ``delta_arm``, ``significant`` and ``tipping_point`` hold the scan.

    Notes
    -----
    The m MAR imputations of :func:`multiple_imputation` are drawn once; for each delta
    the imputed (never the observed) endpoint values in ``delta_arm`` are shifted by
    delta, i.e. the dropouts of that arm are assumed to have a mean endpoint delta units
    away from what MAR predicts, the ANCOVA refitted and pooled by Rubin's rules. The
    tipping point is the smallest departure in the scan that overturns the MAR
    conclusion; whether that delta is clinically plausible is the judgement the analysis
    supports (Ratitch, O'Kelly and Tosiello 2013).

    References
    ----------
    Ratitch B, O'Kelly M, Tosiello R (2013). Missing data in clinical trials: from
    clinical assumptions to statistical analysis using pattern mixture models.
    Pharmaceutical Statistics 12:337-347.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> data = pd.DataFrame({"id": np.repeat(np.arange(60), 2), "month": np.tile([1, 2], 60),
    ...                      "arm": np.repeat(np.arange(60) % 2, 2)})
    >>> data["y"] = rng.normal(size=120) - 1.5 * data["arm"] * data["month"]
    >>> data.loc[data.index % 6 == 1, "y"] = np.nan
    >>> scan = tipping_point(data, outcome="y", subject="id", visit="month", arm="arm",
    ...                      deltas=np.arange(0, 8.5, 0.5), m=5, seed=2)
    >>> bool(scan.significant[0]), bool(scan.diagnostic("tipping_point") > 0)
    (True, True)
    >>> scan.diagnostic("delta_arm"), scan.diagnostic("n_shifted")
    ('1', 10)
    """
    ci_level = _check(data, outcome, subject, visit, arm, baseline, covariates, ci_level)
    _check_imputations(m)
    wide = _wide(data, outcome, subject, visit, arm, baseline, covariates, reference, endpoint)
    delta_arm = wide.arms[1] if delta_arm is None else delta_arm
    check_choice("delta_arm", delta_arm, wide.arms[1:])
    deltas = np.asarray(deltas, dtype=float)
    if deltas.ndim != 1 or deltas.size == 0 or not np.all(np.isfinite(deltas)):
        raise ValueError("deltas must be a non-empty one-dimensional array of finite numbers")
    completed = _impute(wide, m, np.random.default_rng(seed))
    arm_code = wide.arms.index(delta_arm)
    shifted_rows = np.isnan(wide.outcomes[:, -1]) & (wide.arm_codes == arm_code)
    counts = _pair_counts(wide, np.ones(wide.arm_codes.size, dtype=bool))
    rows = []
    for delta in np.concatenate([[0.0], deltas]):
        per_imputation = _fits(completed[:, :, -1] + delta * shifted_rows, wide)
        method = f"MI (m={m}) ANCOVA, delta = {delta:+g} on imputed {delta_arm} values"
        pooled, _ = _pooled(outcome, wide, per_imputation, counts, ci_level, method)
        rows.append(pooled[arm_code - 1])
    frame = estimate_frame(rows)
    significant = frame["p_value"].to_numpy() < 1 - ci_level
    changed = np.flatnonzero(significant[1:] != significant[0])
    tipping = deltas[changed[np.argmin(np.abs(deltas[changed]))]] if changed.size else np.nan
    diagnostics = [
        {"diagnostic": "tipping_point", "value": float(tipping)},
        {"diagnostic": "delta_arm", "value": str(delta_arm)},
        {"diagnostic": "m", "value": int(m)},
        {"diagnostic": "n_shifted", "value": int(shifted_rows.sum())},
    ]
    method = f"MI (m={m}) ANCOVA, delta-adjusted on imputed {delta_arm} values"
    return TippingPointResult(
        estimates=frame.iloc[1:].reset_index(drop=True),
        diagnostics=diagnostics_frame(diagnostics, outcome=outcome, method=method),
        deltas=deltas,
        delta_arm=delta_arm,
        significant=significant[1:],
        tipping_point=float(tipping),
    )


def compare_missing_data_methods(
    data,
    *,
    outcome,
    subject,
    visit,
    arm,
    endpoint=None,
    baseline=None,
    covariates=(),
    reference=None,
    ci_level=0.95,
    m=20,
    seed=None,
):
    """Complete case, LOCF, MMRM and multiple imputation of one endpoint, in one result.

    Parameters
    ----------
    data, outcome, subject, visit, arm, endpoint, baseline, covariates, reference, ci_level
        As :func:`complete_case`.
    m, seed
        As :func:`multiple_imputation`.

    Returns
    -------
    Result
        :func:`~acne_outcomes.stats.tidy.concat_results` of :func:`complete_case`,
        :func:`locf`, :func:`mmrm_endpoint` and :func:`multiple_imputation`, in that order:
        ``estimates`` has their rows (``method`` names each, ``n`` the subjects each one
        uses), ``diagnostics`` the diagnostics of each (told apart by ``method``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> data = pd.DataFrame({"id": np.repeat(np.arange(40), 3), "month": np.tile([1, 2, 3], 40),
    ...                      "arm": np.repeat(np.arange(40) % 2, 3)})
    >>> data["y"] = rng.normal(size=120) + data["arm"] * data["month"]
    >>> data = data.loc[~((data["id"] % 5 == 0) & (data["month"] > 1))]
    >>> compared = compare_missing_data_methods(data, outcome="y", subject="id", visit="month",
    ...                                         arm="arm", m=5, seed=3)
    >>> compared.estimates["n"].tolist()
    [32, 40, 40, 40]
    >>> compared.diagnostic("n_carried_forward")
    8
    """
    ci_level = _check(data, outcome, subject, visit, arm, baseline, covariates, ci_level)
    _check_imputations(m)
    wide = _wide(data, outcome, subject, visit, arm, baseline, covariates, reference, endpoint)
    columns = {"outcome": outcome, "subject": subject, "visit": visit, "arm": arm}
    return concat_results(
        [
            _complete_case(wide, outcome, ci_level),
            _locf(wide, outcome, ci_level),
            _mmrm_endpoint(data, wide, columns, baseline, covariates, ci_level),
            _imputation(wide, outcome, ci_level, m, seed),
        ]
    )
