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

:func:`compare_missing_data_methods` puts the first four in one tidy frame.
All take long data and column names, like every helper in :mod:`acne_outcomes.stats`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from acne_outcomes.stats.mmrm import _arm_levels, mmrm
from acne_outcomes.stats.tidy import estimate_frame


@dataclass(frozen=True)
class _Wide:
    """One row per subject: outcomes by visit, arm, and the ANCOVA covariates."""

    outcomes: np.ndarray  # (subjects, visits), NaN where missing
    visits: np.ndarray
    arm_codes: np.ndarray  # index into arms, 0 = reference
    arms: list
    covariates: np.ndarray  # (subjects, k): centred baseline and covariates
    baseline: np.ndarray | None  # (subjects,) baseline values as given


def _check_columns(data, outcome, subject, visit, arm, baseline, covariates, ci_level):
    if not isinstance(data, pd.DataFrame):
        raise ValueError("data must be a pandas DataFrame in long format")
    named = {"outcome": outcome, "subject": subject, "visit": visit, "arm": arm}
    if baseline is not None:
        named["baseline"] = baseline
    named |= {f"covariates[{index}]": name for index, name in enumerate(covariates)}
    for role, name in named.items():
        if name not in data.columns:
            raise ValueError(f"{role}={name!r} is not a column; allowed: {list(data.columns)}")
    for role in ("outcome", "visit"):
        column = data[named[role]]
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            raise ValueError(f"{role} column {named[role]!r} must be numeric, not {column.dtype}")
    if not 0 < ci_level < 1:
        raise ValueError(f"ci_level={ci_level!r}; allowed: a number strictly between 0 and 1")


def _wide(data, outcome, subject, visit, arm, baseline, covariates, reference, endpoint):
    """Pivot to one row per subject with outcomes at the visits up to ``endpoint``."""
    if data.duplicated([subject, visit]).any():
        raise ValueError(f"more than one row per {subject!r} and {visit!r}")
    visits = np.sort(data.loc[data[outcome].notna(), visit].unique().astype(float))
    if endpoint is None:
        endpoint = visits[-1]
    if endpoint not in visits:
        raise ValueError(f"endpoint={endpoint!r}; allowed: the visits {visits.tolist()}")
    visits = visits[visits <= endpoint]
    subject_codes, _ = pd.factorize(data[subject])
    first_row = np.unique(subject_codes, return_index=True)[1]
    subjects = data.iloc[first_row]
    position = np.searchsorted(visits, data[visit].to_numpy(dtype=float))
    in_window = (position < visits.size) & (
        visits[np.minimum(position, visits.size - 1)] == data[visit].to_numpy(dtype=float)
    )
    values = data[outcome].to_numpy(dtype=float)
    outcomes = np.full((first_row.size, visits.size), np.nan)
    outcomes[subject_codes[in_window], position[in_window]] = values[in_window]
    names = ([baseline] if baseline is not None else []) + list(covariates)
    for name in [arm, *names]:
        codes = pd.factorize(data[name])[0]
        if np.any(codes != codes[first_row][subject_codes]):
            raise ValueError(f"column {name!r} must be constant within each subject")
    if subjects[arm].isna().any():
        raise ValueError(f"arm column {arm!r} has missing values")
    arms = _arm_levels(subjects[arm], reference)
    blocks = []
    for name in names:
        column = subjects[name]
        if column.isna().any():
            raise ValueError(f"column {name!r} has missing values; impute or drop them first")
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            blocks.append(column.to_numpy(dtype=float)[:, None])
        else:
            dummies = pd.get_dummies(column.astype("category"), drop_first=True, dtype=float)
            blocks.append(dummies.to_numpy())
    design = np.hstack(blocks) if blocks else np.zeros((len(subjects), 0))
    return _Wide(
        outcomes=outcomes,
        visits=visits,
        arm_codes=pd.Index(arms).get_indexer(subjects[arm]),
        arms=arms,
        covariates=design - design.mean(axis=0),
        baseline=None if baseline is None else subjects[baseline].to_numpy(dtype=float),
    )


def _ancova(values, arm_codes, covariates, n_arms):
    """OLS of ``values`` on arm indicators and covariates; (differences, variances, df).

    Rows with a missing value are dropped. Differences are arm k - arm 0, k = 1..n_arms-1.
    """
    keep = ~np.isnan(values)
    indicators = np.eye(n_arms)[arm_codes[keep]]
    design = np.hstack([indicators, covariates[keep]])
    if np.linalg.matrix_rank(design) < design.shape[1]:
        raise ValueError("the endpoint ANCOVA is not estimable (an arm without data?)")
    coefficients, *_ = np.linalg.lstsq(design, values[keep], rcond=None)
    residual_df = keep.sum() - design.shape[1]
    if residual_df < 1:
        raise ValueError("too few subjects with an endpoint value for the ANCOVA")
    sigma2 = np.sum((values[keep] - design @ coefficients) ** 2) / residual_df
    inverse = np.linalg.inv(design.T @ design)
    differences = coefficients[1:n_arms] - coefficients[0]
    variances = sigma2 * (np.diag(inverse)[1:n_arms] + inverse[0, 0] - 2 * inverse[0, 1:n_arms])
    return differences, variances, float(residual_df), keep


def _rows(outcome, wide, estimates, variances, dof, counts, ci_level, method):
    """Tidy rows "<arm k> - <reference>" at the endpoint, k = 1..len(estimates)."""
    errors = np.sqrt(variances)
    dof = np.broadcast_to(np.asarray(dof, dtype=float), errors.shape)
    quantile = stats.t.ppf(0.5 + ci_level / 2, dof)
    p_values = 2 * stats.t.sf(np.abs(estimates) / errors, dof)
    return [
        {
            "outcome": outcome,
            "contrast": f"{wide.arms[k + 1]} - {wide.arms[0]}",
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


def _pair_counts(wide, included):
    return [np.sum(included & np.isin(wide.arm_codes, [0, k])) for k in range(1, len(wide.arms))]


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
    pandas.DataFrame
        Tidy frame, one row per non-reference arm: ``estimate`` is the adjusted mean
        difference "<arm> - <reference>" at the endpoint; ``n`` the completers analysed.

    Notes
    -----
    The ANCOVA is :math:`y_{iT} = \\mu_{a(i)} + \\gamma'(z_i - \\bar z) + e_i` by OLS, with
    Student's t on :math:`n - p` df. Unbiased only if completers are a random sample of
    the randomised subjects (missing completely at random).

    Examples
    --------
    >>> data = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4], "arm": list("aabbaab"),
    ...                      "month": [1, 2, 1, 2, 1, 2, 1], "y": [5., 3, 6, 6, 4, 2, 7]})
    >>> row = complete_case(data, outcome="y", subject="id", visit="month", arm="arm")
    >>> row.loc[0, "contrast"], round(float(row.loc[0, "estimate"]), 9), int(row.loc[0, "n"])
    ('b - a', 3.5, 3)
    """
    _check_columns(data, outcome, subject, visit, arm, baseline, covariates, ci_level)
    wide = _wide(data, outcome, subject, visit, arm, baseline, covariates, reference, endpoint)
    return estimate_frame(_complete_case_rows(wide, outcome, ci_level))


def _complete_case_rows(wide, outcome, ci_level):
    estimates, variances, dof, kept = _ancova(
        wide.outcomes[:, -1], wide.arm_codes, wide.covariates, len(wide.arms)
    )
    counts = _pair_counts(wide, kept)
    return _rows(outcome, wide, estimates, variances, dof, counts, ci_level, "complete case ANCOVA")


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

    Parameters and returned frame as :func:`complete_case`; ``n`` counts the subjects with
    at least one observed value up to the endpoint (or a baseline value, see Notes).

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
    >>> row = locf(data, outcome="y", subject="id", visit="month", arm="arm")
    >>> round(float(row.loc[0, "estimate"]), 9), int(row.loc[0, "n"])
    (4.0, 4)
    """
    _check_columns(data, outcome, subject, visit, arm, baseline, covariates, ci_level)
    wide = _wide(data, outcome, subject, visit, arm, baseline, covariates, reference, endpoint)
    return estimate_frame(_locf_rows(wide, outcome, ci_level))


def _locf_rows(wide, outcome, ci_level):
    carried = pd.DataFrame(wide.outcomes).ffill(axis=1).to_numpy()[:, -1]
    if wide.baseline is not None:
        carried = np.where(np.isnan(carried), wide.baseline, carried)
    estimates, variances, dof, kept = _ancova(
        carried, wide.arm_codes, wide.covariates, len(wide.arms)
    )
    counts = _pair_counts(wide, kept)
    return _rows(outcome, wide, estimates, variances, dof, counts, ci_level, "LOCF ANCOVA")


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

    Parameters and returned frame as :func:`complete_case`; the model uses every visit
    up to the endpoint and ``n`` counts the subjects of the compared arms with at least one
    observed outcome (all of them inform the endpoint estimate through the covariance).
    See :func:`acne_outcomes.stats.mmrm.mmrm` for the model.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> data = pd.DataFrame({"id": np.repeat(np.arange(30), 2), "month": np.tile([1, 2], 30),
    ...                      "arm": np.repeat(np.arange(30) % 2, 2)})
    >>> data["y"] = rng.normal(size=60) + data["arm"] * data["month"]
    >>> row = mmrm_endpoint(data, outcome="y", subject="id", visit="month", arm="arm")
    >>> row["contrast"].tolist(), int(row.loc[0, "n"])
    (['1 - 0'], 30)
    """
    _check_columns(data, outcome, subject, visit, arm, baseline, covariates, ci_level)
    wide = _wide(data, outcome, subject, visit, arm, baseline, covariates, reference, endpoint)
    columns = {"outcome": outcome, "subject": subject, "visit": visit, "arm": arm}
    return estimate_frame(_mmrm_rows(data, wide, columns, baseline, covariates, ci_level))


def _mmrm_rows(data, wide, columns, baseline, covariates, ci_level):
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
    return [record | {"n": int(count)} for record, count in zip(records, counts, strict=True)]


@dataclass(frozen=True)
class RubinResult:
    """Multiple-imputation inference for one scalar estimand (:func:`rubin_rules`).

    Attributes: ``estimate`` (mean of the m estimates), ``within`` (mean variance),
    ``between`` (variance of the estimates), ``variance`` (total), ``se``, ``df``
    (Barnard-Rubin), ``relative_increase`` ((1 + 1/m) B / W) and ``fraction_missing``
    (lambda = (1 + 1/m) B / T).
    """

    estimate: float
    within: float
    between: float
    variance: float
    se: float
    df: float
    relative_increase: float
    fraction_missing: float


def rubin_rules(estimates, variances, complete_df=np.inf) -> RubinResult:
    """Combine m completed-data estimates and variances by Rubin's rules.

    Parameters
    ----------
    estimates, variances : array-like of length m >= 2
        Point estimates and their squared standard errors from each imputed data set.
    complete_df : float, default inf
        Degrees of freedom of the completed-data analysis (e.g. n - p of an ANCOVA).

    Returns
    -------
    RubinResult

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
    >>> round(result.variance, 6), round(result.df, 4)
    (0.075, 13.3975)
    """
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
    return RubinResult(
        estimate=float(estimates.mean()),
        within=float(within),
        between=float(between),
        variance=float(total),
        se=float(np.sqrt(total)),
        df=float(dof),
        relative_increase=float((1 + 1 / m) * between / within),
        fraction_missing=float(fraction),
    )


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


def _pooled_rows(outcome, wide, per_imputation, counts, ci_level, method):
    rows = []
    n_contrasts = len(wide.arms) - 1
    for k in range(n_contrasts):
        pooled = rubin_rules(
            [estimates[k] for estimates, _, _ in per_imputation],
            [variances[k] for _, variances, _ in per_imputation],
            per_imputation[0][2],
        )
        row = _rows(
            outcome,
            wide,
            np.array([pooled.estimate]),
            np.array([pooled.variance]),
            pooled.df,
            [counts[k]],
            ci_level,
            method,
        )[0]
        rows.append(row | {"contrast": f"{wide.arms[k + 1]} - {wide.arms[0]}"})
    return rows


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
    pandas.DataFrame
        Tidy frame as :func:`complete_case`; ``n`` counts all subjects of the compared arms.

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
    """
    _check_columns(data, outcome, subject, visit, arm, baseline, covariates, ci_level)
    _check_imputations(m)
    wide = _wide(data, outcome, subject, visit, arm, baseline, covariates, reference, endpoint)
    return estimate_frame(_imputation_rows(wide, outcome, ci_level, m, seed))


def _imputation_rows(wide, outcome, ci_level, m, seed):
    completed = _impute(wide, m, np.random.default_rng(seed))
    per_imputation = [
        _ancova(values[:, -1], wide.arm_codes, wide.covariates, len(wide.arms))[:3]
        for values in completed
    ]
    counts = _pair_counts(wide, np.ones(wide.arm_codes.size, dtype=bool))
    method = f"MI (m={m}, sequential regression by arm) ANCOVA, Rubin's rules"
    return _pooled_rows(outcome, wide, per_imputation, counts, ci_level, method)


@dataclass(frozen=True)
class TippingPointResult:
    """What :func:`tipping_point` returns.

    Attributes
    ----------
    estimates : pandas.DataFrame
        Tidy frame, one row per delta (same order as ``deltas``), the MI estimate of
        "<delta_arm> - <reference>" at the endpoint after the shift.
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

    estimates: pd.DataFrame
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
    >>> bool(scan.significant[0]), bool(scan.tipping_point > 0)
    (True, True)
    """
    _check_columns(data, outcome, subject, visit, arm, baseline, covariates, ci_level)
    _check_imputations(m)
    wide = _wide(data, outcome, subject, visit, arm, baseline, covariates, reference, endpoint)
    delta_arm = wide.arms[1] if delta_arm is None else delta_arm
    if delta_arm not in wide.arms[1:]:
        raise ValueError(f"delta_arm={delta_arm!r}; allowed: {wide.arms[1:]}")
    deltas = np.asarray(deltas, dtype=float)
    if deltas.ndim != 1 or deltas.size == 0 or not np.all(np.isfinite(deltas)):
        raise ValueError("deltas must be a non-empty one-dimensional array of finite numbers")
    completed = _impute(wide, m, np.random.default_rng(seed))
    arm_code = wide.arms.index(delta_arm)
    shifted_rows = np.isnan(wide.outcomes[:, -1]) & (wide.arm_codes == arm_code)
    counts = _pair_counts(wide, np.ones(wide.arm_codes.size, dtype=bool))
    rows = []
    for delta in np.concatenate([[0.0], deltas]):
        per_imputation = []
        for values in completed:
            endpoint_values = values[:, -1] + delta * shifted_rows
            per_imputation.append(
                _ancova(endpoint_values, wide.arm_codes, wide.covariates, len(wide.arms))[:3]
            )
        method = f"MI (m={m}) ANCOVA, delta = {delta:+g} on imputed {delta_arm} values"
        pooled = _pooled_rows(outcome, wide, per_imputation, counts, ci_level, method)
        rows.append(pooled[arm_code - 1])
    frame = estimate_frame(rows)
    significant = frame["p_value"].to_numpy() < 1 - ci_level
    changed = np.flatnonzero(significant[1:] != significant[0])
    tipping = deltas[changed[np.argmin(np.abs(deltas[changed]))]] if changed.size else np.nan
    return TippingPointResult(
        estimates=frame.iloc[1:].reset_index(drop=True),
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
    """Complete case, LOCF, MMRM and multiple imputation of one endpoint, in one tidy frame.

    Parameters
    ----------
    data, outcome, subject, visit, arm, endpoint, baseline, covariates, reference, ci_level
        As :func:`complete_case`.
    m, seed
        As :func:`multiple_imputation`.

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`complete_case`, :func:`locf`, :func:`mmrm_endpoint` and
        :func:`multiple_imputation`, in that order; ``method`` names each, ``n`` the
        subjects each one uses.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> data = pd.DataFrame({"id": np.repeat(np.arange(40), 3), "month": np.tile([1, 2, 3], 40),
    ...                      "arm": np.repeat(np.arange(40) % 2, 3)})
    >>> data["y"] = rng.normal(size=120) + data["arm"] * data["month"]
    >>> data = data.loc[~((data["id"] % 5 == 0) & (data["month"] > 1))]
    >>> table = compare_missing_data_methods(data, outcome="y", subject="id", visit="month",
    ...                                      arm="arm", m=5, seed=3)
    >>> table["n"].tolist()
    [32, 40, 40, 40]
    """
    _check_columns(data, outcome, subject, visit, arm, baseline, covariates, ci_level)
    _check_imputations(m)
    wide = _wide(data, outcome, subject, visit, arm, baseline, covariates, reference, endpoint)
    columns = {"outcome": outcome, "subject": subject, "visit": visit, "arm": arm}
    return estimate_frame(
        _complete_case_rows(wide, outcome, ci_level)
        + _locf_rows(wide, outcome, ci_level)
        + _mmrm_rows(data, wide, columns, baseline, covariates, ci_level)
        + _imputation_rows(wide, outcome, ci_level, m, seed)
    )
