"""Lesion counts: marginal rate ratios from GEE, and the percent-change ANCOVA endpoint.

:func:`count_model` fits a log-linear GEE (negative binomial or Poisson working variance) with
robust (sandwich) standard errors and reports arm rate ratios per visit and averaged over
visits. :func:`percent_change_ancova` is the endpoint analysis acne trials usually report:
ANCOVA of percent change from baseline at one visit, adjusted for baseline.

Both return a :class:`~acne_outcomes.stats.tidy.Result`: the tidy estimates and the fit
diagnostics (dispersion, convergence, exclusions) as rows of ``Result.diagnostics``; each
function's Returns section names them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize, special
from scipy import stats as scipy_stats
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from acne_outcomes.checks import (
    NotEstimable,
    check_choice,
    check_ci_level,
    require_columns,
    require_numeric,
    resolve_arms,
)
from acne_outcomes.stats.ancova import ancova, covariate_design
from acne_outcomes.stats.tidy import (
    Result,
    complete_rows,
    diagnostics_frame,
    estimate_frame,
    exclusion_rows,
    require_numeric_visits,
)

FAMILIES = ("negbin", "poisson")
CORRELATIONS = ("exchangeable", "independence", "ar1")
ARM_EFFECTS = ("by_visit", "common")
VISIT_EFFECTS = ("by_visit", "none")
BASELINE_TRANSFORMS = ("log1p", "log", "identity")
_ALPHA_BOUNDARY = 1e-6


def _baseline_column(values, transform, name):
    """The baseline count on the scale it enters the model: log(1 + b), log(b) or b."""
    if transform == "log1p":
        return np.log1p(values), f"log1p({name})"
    if transform == "log":
        if np.any(values <= 0):
            raise NotEstimable(
                f"baseline_transform='log' needs a positive baseline; {int(np.sum(values <= 0))} "
                f"row(s) have {name} = 0 (use 'log1p' or 'identity')"
            )
        return np.log(values), f"log({name})"
    return values, name


def _count_design(frame, *, visit, arm, treated, visits, options):
    """Design of the mean model (see Notes of :func:`count_model`) and its column names."""
    visit_values = frame[visit].to_numpy()
    arm_values = frame[arm].to_numpy()
    if options["visit_effect"] == "by_visit":
        columns = [(visit_values == v).astype(float) for v in visits]
        names = [f"{visit}[{v}]" for v in visits]
    else:
        columns, names = [np.ones(len(frame))], ["intercept"]
    for level in treated:
        if options["arm_effect"] == "common":
            columns.append((arm_values == level).astype(float))
            names.append(str(level))
            continue
        for v in visits:
            columns.append(((arm_values == level) & (visit_values == v)).astype(float))
            names.append(f"{level}:{visit}[{v}]")
    baseline = options["baseline"]
    if baseline is not None:
        values, label = _baseline_column(
            frame[baseline].to_numpy(dtype=float), options["baseline_transform"], baseline
        )
        if options["arm_by_baseline"]:
            values = values - values.mean()
            columns.extend((arm_values == level) * values for level in treated)
            names.extend(f"{level}:{label}" for level in treated)
        columns.append(values)
        names.append(label)
    design, covariate_names = covariate_design(frame, options["covariates"])
    exog = np.column_stack([*columns, design])
    names = names + covariate_names
    if np.linalg.matrix_rank(exog.T @ exog) < exog.shape[1]:
        raise NotEstimable(
            "the count model's design is rank deficient: a covariate is constant, or collinear "
            "with the arm, the visit effects or another covariate (with visit_effect='by_visit' "
            "a visit indicator is already in the model)"
        )
    return exog, names


def _nb2_negloglik(log_alpha, endog, mu):
    size = np.exp(-log_alpha)
    return -np.sum(
        special.gammaln(endog + size)
        - special.gammaln(size)
        - size * np.log1p(mu / size)
        + endog * np.log(mu / (mu + size))
    )


def _irls_log_link(endog, exog, alpha, mu, offset, *, tol=1e-11, maxiter=100):
    """IRLS for a log-link GLM with variance ``μ + αμ²`` (α = 0: Poisson), from means ``mu``.

    Plain numpy (weighted normal equations), because statsmodels' model set-up (rank checks)
    would cost more than the fit itself inside the α alternation. ``offset`` enters the linear
    predictor with coefficient 1. Stops when the relative change in deviance-like criterion
    ``Σ (y − μ)² / V(μ)`` is below ``tol``.
    """
    eta = np.log(mu)
    previous, params = np.inf, None
    for _ in range(maxiter):
        weights = mu / (1 + alpha * mu)
        working = eta - offset + (endog - mu) / mu
        weighted = exog.T * weights
        params = np.linalg.solve(weighted @ exog, weighted @ working)
        eta = offset + exog @ params
        mu = np.exp(eta)
        criterion = float(np.sum((endog - mu) ** 2 / (mu + alpha * mu**2)))
        if abs(criterion - previous) <= tol * (abs(criterion) + 0.1):
            break
        previous = criterion
    return params, mu


def _nb_alpha(endog, exog, offset, *, tol=1e-7, maxiter=100):
    """Joint ML of the independence NB2 model by alternation, as MASS::glm.nb does.

    Alternate (i) the ML of log α given the fitted means (bounded Brent search on
    ``log α ∈ [log 1e-8, log 1e3]``) and (ii) the IRLS fit of the coefficients at that α,
    until ``|Δ log α| < tol``; α and β are orthogonal in the NB2 information, so this
    converges in a few rounds. Returns ``(alpha, converged, coefficients)``.
    """
    start = (endog + endog.mean()) / 2 + 0.1
    params, mu = _irls_log_link(endog, exog, 0.0, start, offset)
    log_alpha, converged = np.nan, False
    for _ in range(maxiter):
        search = optimize.minimize_scalar(
            _nb2_negloglik,
            bounds=(np.log(1e-8), np.log(1e3)),
            method="bounded",
            args=(endog, mu),
            options={"xatol": tol / 100},
        )
        change = abs(search.x - log_alpha)
        log_alpha = float(search.x)
        params, mu = _irls_log_link(endog, exog, np.exp(log_alpha), mu, offset)
        if change < tol or log_alpha < np.log(_ALPHA_BOUNDARY):
            converged = True
            break
    return float(np.exp(log_alpha)), converged, params


class _GeeFit:
    """What the rate-ratio rows and diagnostics need from a GEE fit, whichever code fitted it."""

    def __init__(self, params, cov, dep_params, converged, problems):
        self.params, self.cov, self.dep_params = params, cov, dep_params
        self.converged, self.problems = converged, problems

    def cov_params(self):
        return self.cov


def _gee_log_link(endog, exog, groups, alpha, offset, start, correlation, *, maxiter=60,
                  ctol=1e-6):  # fmt: skip
    """statsmodels' ``GEE.fit`` for a log link, variance ``μ + αμ²``, independence or
    exchangeable working correlation, with every cluster's sums taken at once.

    statsmodels visits the clusters one at a time in Python (most of a diagnosis's time). This
    is its algorithm step for step, so that the two agree to rounding (tested to 1e-8): from
    ``start``, a Fisher-scoring step of the estimating equations, then (exchangeable) the
    moment estimate of the correlation, until the norm of the score falls below ``ctol`` after
    at least one correlation update; the robust (sandwich) covariance at the end. ``groups``
    must be sorted (each cluster's rows together). With correlation ρ and ``c_i = ρ / ((1 − ρ)
    (1 + ρ (n_i − 1)))``, the inverse working correlation of a cluster of ``n_i`` rows is
    ``I / (1 − ρ) − c_i J``, so every per-cluster product is a cluster sum.
    """
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    sizes = np.diff(np.r_[starts, len(groups)])
    n_obs, n_params = exog.shape
    tiny = np.finfo(float).eps
    # as statsmodels: no correlation to estimate when every cluster has one row
    exchangeable = correlation == "exchangeable" and sizes.max() > 1
    params, rho = np.array(start, dtype=float), 0.0

    def standardised(params):
        mean = np.exp(exog @ params + offset)
        clean = np.clip(mean, tiny, np.inf)
        sdev = np.sqrt(clean + alpha * clean**2)
        return mean, (exog * (mean / sdev)[:, None]), (endog - mean) / sdev

    def sums(rho, design, resid):
        """bmat = Σ D'V⁻¹D, and per cluster D'V⁻¹r (rows of ``scores``)."""
        weight = rho / (1 - rho) / (1 + rho * (sizes - 1))
        design_sums = np.add.reduceat(design, starts, axis=0)
        resid_sums = np.add.reduceat(resid, starts)
        bmat = design.T @ design / (1 - rho) - (design_sums.T * weight) @ design_sums
        scores = np.add.reduceat(design * resid[:, None], starts, axis=0) / (1 - rho)
        scores -= design_sums * (weight * resid_sums)[:, None]
        return bmat, scores

    def solve(matrix, vector):
        try:
            return np.linalg.solve(matrix, vector)
        except np.linalg.LinAlgError:
            return np.linalg.pinv(matrix) @ vector

    def correlation_update(resid):
        squares = np.add.reduceat(resid * resid, starts)
        scale = squares.sum() / (n_obs * (n_obs - n_params) / n_obs)
        cross = ((np.add.reduceat(resid, starts) ** 2 - squares) / 2).sum() / scale
        pairs = float(np.sum(0.5 * sizes * (sizes - 1)))
        return cross / (pairs * (pairs - n_params) / pairs)

    _, design, resid = standardised(params)
    score_norm, updates = -1.0, 0
    for _ in range(maxiter):
        bmat, scores = sums(rho, design, resid)
        score = scores.sum(axis=0)
        params = params + solve(bmat, score)
        _, design, resid = standardised(params)
        score_norm = float(np.sqrt(np.sum(score**2)))
        if score_norm < ctol and (updates > 0 or not exchangeable):
            break
        if exchangeable:
            rho = correlation_update(resid)
            updates += 1
    bmat, scores = sums(rho, design, resid)
    try:
        inverse = np.linalg.inv(bmat)
    except np.linalg.LinAlgError:
        inverse = np.linalg.pinv(bmat)
    cov = inverse @ (scores.T @ scores) @ inverse
    dep_params = None if correlation == "independence" else rho
    return _GeeFit(params, cov, dep_params, score_norm < ctol, [])


def _statsmodels_gee(endog, exog, groups, time, alpha, offset, start, correlation):
    """The ``ar1`` working correlation (and the reference of the tests): statsmodels' GEE."""
    family = sm.families.Poisson() if alpha == 0 else sm.families.NegativeBinomial(alpha=alpha)
    model = sm.GEE(endog, exog, groups=groups, time=time, family=family,
                   cov_struct=_cov_struct(correlation), offset=offset)  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = model.fit(start_params=start)
    dep = getattr(result.model.cov_struct, "dep_params", None)
    return _GeeFit(
        np.asarray(result.params), np.asarray(result.cov_params()),
        None if dep is None else float(np.atleast_1d(dep)[0]),
        bool(getattr(result, "converged", True)), [str(w.message) for w in caught],
    )  # fmt: skip


def _cov_struct(correlation):
    return {
        "exchangeable": sm.cov_struct.Exchangeable,
        "independence": sm.cov_struct.Independence,
        # grid=True: the lag-1 moment estimator of R gee's "AR-M" (Mv = 1), and statsmodels'
        # coming default (passing it keeps its FutureWarning out)
        "ar1": lambda: sm.cov_struct.Autoregressive(grid=True),
    }[correlation]()


def count_model(
    data: pd.DataFrame,
    *,
    outcome: str,
    subject: str,
    visit: str,
    arm: str,
    baseline: str | None = None,
    baseline_transform: str = "log1p",
    arm_by_baseline: bool = False,
    covariates: Sequence[str] = (),
    offset: str | None = None,
    arm_effect: str = "by_visit",
    visit_effect: str = "by_visit",
    family: str = "negbin",
    correlation: str = "exchangeable",
    reference: object | None = None,
    ci_level: float = 0.95,
    average: bool = True,
) -> Result:
    """Rate ratios between arms from a log-linear GEE with robust standard errors.

    Parameters
    ----------
    data : DataFrame
        Long data, one row per subject × post-baseline visit, with non-negative integer counts.
    outcome, subject, visit, arm : str
        Column names of the count, the subject identifier, the visit and the arm. ``visit``
        must be numeric (the visit time, e.g. the month): it is the ``visit`` of the estimates.
    baseline : str, optional
        Column of the baseline count, entered on the scale ``baseline_transform`` gives.
    baseline_transform : {"log1p", "log", "identity"}, default "log1p"
        ``log(1 + b)``, ``log(b)`` (every baseline must be positive) or ``b``.
    arm_by_baseline : bool, default False
        Add an arm × baseline interaction (needs ``baseline``). The transformed baseline is
        then centred at its mean over the analysed rows, so the rate ratios are those of a
        subject with the mean (transformed) baseline.
    covariates : sequence of str, default ()
        Further adjustment covariates: numeric columns enter linearly, any other column
        (text, categorical, boolean) as treatment-coded dummies
        (:func:`acne_outcomes.stats.ancova.covariate_design`).
    offset : str, optional
        Column of a log-scale offset (coefficient 1), e.g. ``log(weeks observed)`` when the
        counting periods differ in length; as R's ``offset()``.
    arm_effect : {"by_visit", "common"}, default "by_visit"
        One rate ratio per visit (arm × visit) plus their average, or one rate ratio common
        to all visits.
    visit_effect : {"by_visit", "none"}, default "by_visit"
        One intercept per visit, or a single intercept (visits then enter only through
        ``covariates``, e.g. an indicator of the last visit, and the working correlation).
    family : {"negbin", "poisson"}, default "negbin"
        Working variance: ``μ + αμ²`` (NB2, α estimated, see Notes) or ``μ``.
    correlation : {"exchangeable", "independence", "ar1"}, default "exchangeable"
        Working correlation within subject (``"ar1"`` uses the visit order and the lag-1
        moment estimator of R ``gee``'s ``"AR-M"``).
    reference : optional
        Reference arm; default the first arm in sorted order (``"comparator"``).
    ci_level : float, default 0.95
        Confidence level of the Wald intervals.
    average : bool, default True
        With ``arm_effect="by_visit"``, also report the ratio averaged over the visits. Leave it
        out (``False``) when the visits mix periods whose average means nothing, e.g. the
        treatment period and the follow-up after it.

    Returns
    -------
    Result
        ``estimates`` (:func:`acne_outcomes.stats.tidy.estimate_frame`): with
        ``arm_effect="by_visit"``, one row per non-reference arm and visit (``visit`` = that
        visit) plus, with ``average``, one averaged over visits (``visit`` missing); with ``"common"``, one row
        per non-reference arm (``visit`` missing). ``estimate`` is the rate ratio arm /
        reference (< 1: fewer lesions on the arm), ``se`` the robust standard error of its
        log, ``ci_low``/``ci_high`` the Wald interval, ``p_value`` the two-sided Wald test of
        ratio 1, ``n`` the number of subjects of the two compared arms with a count at that
        visit (with any count, for a row without a visit).
        ``diagnostics``: ``alpha`` (NB2 dispersion; ``None`` for Poisson), ``alpha_method``
        (how α was estimated; ``None`` for Poisson), ``correlation_parameter`` (the working
        correlation's parameter, ``detail`` = its structure; ``None`` for independence),
        ``converged`` (α search and GEE
        both converged; ``detail`` holds the problems otherwise), ``boundary`` (α at 0, see
        Notes) and one ``excluded`` row per reason (rows with a missing value are dropped).

    Raises
    ------
    ValueError
        On a bad argument (naming the allowed values), text visits, or counts that are not
        non-negative integers.
    NotEstimable
        When the design is rank deficient (a constant covariate, or one collinear with the
        arm or visit effects) or ``baseline_transform="log"`` meets a zero baseline.

    Notes
    -----
    Mean model (defaults): ``log E[Y_it] = β_t + γ_{a,t} · 1[arm_i = a] + δ · log(1 + y_i0)``,
    so ``exp(γ_{a,t})`` is the rate ratio at visit ``t``; the average is
    ``exp(mean_t γ_{a,t})`` (geometric mean of the visit ratios, equal visit weights), with
    variance ``L V Lᵀ`` from the sandwich covariance ``V``. ``arm_effect="common"`` replaces
    ``γ_{a,t}`` by one ``γ_a``; ``visit_effect="none"`` replaces ``β_t`` by one intercept;
    ``arm_by_baseline`` adds ``η_a · 1[arm_i = a] · (b_i − b̄)``; ``covariates`` add
    ``θ'(x_i − x̄)`` and ``offset`` adds its column. R: ``gee(y ~ trt + lbase + lage + V4,
    family = poisson, corstr = "exchangeable")`` is ``arm_effect="common",
    visit_effect="none", covariates=["lbase", "lage", "V4"], family="poisson"``; the moment
    estimators of the exchangeable and AR(1) correlations are R ``gee``'s.

    The NB2 dispersion α is not left at statsmodels' default of 1: it is estimated by maximum
    likelihood in the independence NB2 model with the same mean model, alternating a 1-D
    search for α given the fitted means and an IRLS fit of the coefficients at that α until
    ``|Δ log α| < 1e-7`` (the algorithm of ``MASS::glm.nb``; consistent for the marginal
    model whatever the true correlation); the GEE is then fitted once at that α, started
    from the ML coefficients. α = 0 is a boundary (no overdispersion): the function
    warns, sets the ``boundary`` diagnostic and falls back to the Poisson working variance.
    The working variance only affects efficiency; the robust SE is valid either way.

    References
    ----------
    Liang K-Y, Zeger SL (1986). Biometrika 73:13–22.
    Halekoh U, Højsgaard S, Yan J (2006). The R package geepack. J Stat Softw 15(2).
    Thall PF, Vail SC (1990). Some covariance models for longitudinal count data with
    overdispersion. Biometrics 46:657–671 (the epilepsy trial, ``MASS::epil``).

    Examples
    --------
    >>> rng = np.random.default_rng(4)
    >>> n = 200
    >>> subjects = pd.DataFrame({"subject_id": np.arange(n),
    ...                          "arm": np.repeat(["comparator", "isotretinoin"], n // 2),
    ...                          "sex": np.tile(["female", "male"], n // 2)})
    >>> data = subjects.merge(pd.DataFrame({"month": [3, 6]}), how="cross")
    >>> rate = 20 * np.where(data["arm"] == "isotretinoin", 0.5, 1.0)
    >>> data["inflammatory_lesions"] = rng.negative_binomial(2, 2 / (2 + rate))
    >>> fit = count_model(data, outcome="inflammatory_lesions", subject="subject_id",
    ...                   visit="month", arm="arm")
    >>> rows = fit.estimates
    >>> rows["contrast"].iloc[-1], bool(pd.isna(rows["visit"].iloc[-1]))
    ('isotretinoin / comparator', True)
    >>> bool(0.4 < rows["estimate"].iloc[-1] < 0.6), round(fit.diagnostic("alpha"), 1)
    (True, 0.5)
    >>> count_model(data, outcome="inflammatory_lesions", subject="subject_id", visit="month",
    ...             arm="arm", average=False).estimates["visit"].tolist()
    [3.0, 6.0]
    >>> common = count_model(data, outcome="inflammatory_lesions", subject="subject_id",
    ...                      visit="month", arm="arm", covariates=["sex"], arm_effect="common")
    >>> len(common.estimates), bool(0.4 < common.estimates["estimate"].iloc[0] < 0.6)
    (1, True)
    """
    covariates = list(covariates)
    require_columns(data, outcome=outcome, subject=subject, visit=visit, arm=arm,
                    baseline=baseline, offset=offset,
                    **{f"covariates[{i}]": name for i, name in enumerate(covariates)})  # fmt: skip
    check_choice("family", family, FAMILIES)
    check_choice("correlation", correlation, CORRELATIONS)
    check_choice("arm_effect", arm_effect, ARM_EFFECTS)
    check_choice("visit_effect", visit_effect, VISIT_EFFECTS)
    check_choice("baseline_transform", baseline_transform, BASELINE_TRANSFORMS)
    if arm_by_baseline and baseline is None:
        raise ValueError("arm_by_baseline=True needs baseline= (the baseline count column)")
    ci_level = check_ci_level(ci_level)
    require_numeric_visits(data, visit)
    require_numeric(data, offset=offset)
    used = [subject, visit, arm, outcome] + ([baseline] if baseline else []) + covariates
    frame, reasons = complete_rows(data, used + ([offset] if offset else []))
    reference, treated = resolve_arms(frame[arm], reference)
    endog = frame[outcome].to_numpy(dtype=float)
    if (endog < 0).any() or (endog != np.round(endog)).any():
        raise ValueError(f"outcome={outcome!r} must hold non-negative integer counts")
    frame = frame.sort_values([subject, visit], kind="stable")
    endog = frame[outcome].to_numpy(dtype=float)
    visits = sorted(frame[visit].unique().tolist())
    options = {"baseline": baseline, "baseline_transform": baseline_transform,
               "arm_by_baseline": arm_by_baseline, "covariates": covariates,
               "arm_effect": arm_effect, "visit_effect": visit_effect}  # fmt: skip
    exog, names = _count_design(
        frame, visit=visit, arm=arm, treated=treated, visits=visits, options=options
    )
    offset_values = np.zeros(len(frame)) if offset is None else frame[offset].to_numpy(float)
    alpha, alpha_converged, start, boundary = None, True, None, False
    if family == "negbin":
        alpha, alpha_converged, start = _nb_alpha(endog, exog, offset_values)
        boundary = alpha < _ALPHA_BOUNDARY
        if boundary:
            warnings.warn(
                f"negative-binomial alpha at the boundary ({alpha:.2g}): no overdispersion; "
                "using the Poisson working variance",
                ConvergenceWarning,
                stacklevel=2,
            )
    working_alpha = 0.0 if family == "poisson" or boundary else alpha
    groups = frame[subject].to_numpy()
    if correlation == "ar1":
        time = frame[visit].map({v: i for i, v in enumerate(visits)}).to_numpy()
        result = _statsmodels_gee(endog, exog, groups, time, working_alpha,
                                  None if offset is None else offset_values, start, correlation)  # fmt: skip
    else:
        if start is None:  # statsmodels' start: the Poisson GLM
            start, _ = _irls_log_link(endog, exog, 0.0, (endog + endog.mean()) / 2 + 0.1,
                                      offset_values)  # fmt: skip
        result = _gee_log_link(endog, exog, pd.factorize(groups)[0], working_alpha,
                               offset_values, start, correlation)  # fmt: skip
    problems = list(result.problems)
    if not alpha_converged:
        problems.append("alpha estimation did not converge")
    if not result.converged:
        problems.append("GEE iteration limit reached")
    if problems:
        warnings.warn(
            f"count GEE did not converge cleanly: {'; '.join(problems)}",
            ConvergenceWarning,
            stacklevel=2,
        )
    method = _method_label(family, correlation, alpha, boundary, options, offset)
    estimates = _rate_ratio_rows(
        result,
        frame,
        names=names,
        outcome=outcome,
        subject=subject,
        visit=visit,
        arm=arm,
        reference=reference,
        treated=treated,
        visits=visits if arm_effect == "by_visit" else None,
        ci_level=ci_level,
        method=method,
        average=average,
    )
    rows = [
        {"diagnostic": "alpha", "value": alpha},
        {"diagnostic": "alpha_method",
         "value": "ML, independence NB2 model" if family == "negbin" else None},
        {"diagnostic": "correlation_parameter",
         "value": result.dep_params, "detail": correlation},
        {"diagnostic": "converged", "value": not problems, "detail": "; ".join(problems)},
        {"diagnostic": "boundary", "value": bool(boundary)},
        *exclusion_rows(reasons),
    ]  # fmt: skip
    return Result(estimates, diagnostics_frame(rows, outcome=outcome, method=method))


def _method_label(family, correlation, alpha, boundary, options, offset):
    if family == "poisson" or boundary:
        variance = "Poisson"
    else:
        variance = f"negative binomial, alpha = {alpha:.3f}"
    extras = []
    if options["arm_effect"] == "common":
        extras.append("one rate ratio for all visits")
    adjusted = list(options["covariates"])
    if options["baseline"] is not None and options["baseline_transform"] != "log1p":
        adjusted.insert(0, f"{options['baseline_transform']} {options['baseline']}")
    if options["arm_by_baseline"]:
        adjusted.append(f"arm x {options['baseline']}")
    if adjusted:
        extras.append("adjusted for " + ", ".join(adjusted))
    if offset is not None:
        extras.append(f"offset {offset}")
    tail = "".join(f"; {extra}" for extra in extras)
    return f"GEE log link ({variance}; {correlation}; robust SE{tail})"


def _rate_ratio_rows(
    result,
    frame,
    *,
    names,
    outcome,
    subject,
    visit,
    arm,
    reference,
    treated,
    visits,
    ci_level,
    method,
    average=True,
):
    """Rate-ratio rows: per visit and, with ``average``, averaged (``visits`` given), or the
    common ratio."""
    params = np.asarray(result.params)
    cov = np.asarray(result.cov_params())
    z = scipy_stats.norm.ppf(0.5 + ci_level / 2)
    rows = []
    for level in treated:
        pair = frame.loc[frame[arm].isin([level, reference])]
        counts = pair.groupby(visit)[subject].nunique()
        for v in [*(visits or []), *([None] if average or visits is None else [])]:
            contrast = np.zeros(len(names))
            if visits is None:
                contrast[names.index(str(level))] = 1.0
            elif v is None:
                contrast[[names.index(f"{level}:{visit}[{w}]") for w in visits]] = 1 / len(visits)
            else:
                contrast[names.index(f"{level}:{visit}[{v}]")] = 1.0
            n = pair[subject].nunique() if v is None else counts.get(v, 0)
            log_ratio = float(contrast @ params)
            se = float(np.sqrt(contrast @ cov @ contrast))
            rows.append(
                {
                    "outcome": outcome,
                    "contrast": f"{level} / {reference}",
                    "visit": pd.NA if v is None else v,
                    "estimate": np.exp(log_ratio),
                    "se": se,
                    "ci_low": np.exp(log_ratio - z * se),
                    "ci_high": np.exp(log_ratio + z * se),
                    "ci_level": ci_level,
                    "p_value": 2 * scipy_stats.norm.sf(abs(log_ratio) / se),
                    "n": int(n),
                    "method": method,
                    "scale": "rate ratio",
                }
            )
    return estimate_frame(rows)


def percent_change_ancova(
    data: pd.DataFrame,
    *,
    outcome: str,
    subject: str,
    visit: str,
    arm: str,
    baseline: str,
    at_visit: object,
    covariates: Sequence[str] = (),
    reference: object | None = None,
    ci_level: float = 0.95,
) -> Result:
    """ANCOVA of percent change from baseline at one visit, adjusted for baseline.

    Parameters
    ----------
    data : DataFrame
        Long data with the outcome at each visit and the baseline value in ``baseline``.
    outcome, subject, visit, arm, baseline : str
        Column names.
    at_visit : scalar
        The endpoint visit (e.g. month 12).
    covariates : sequence of str, default ()
        Further adjustment covariates besides the baseline, numeric or categorical, as in
        :func:`acne_outcomes.stats.ancova.ancova`.
    reference, ci_level
        As in :func:`count_model`.

    Returns
    -------
    Result
        ``estimates`` (``outcome`` = "percent change in <outcome>"): one row per arm with
        the adjusted mean percent change (``scale="mean"``, ``contrast`` = the arm,
        evaluated at the mean baseline of the analysed subjects), then one row per
        non-reference arm with the difference in adjusted mean percent change, arm −
        reference (``scale="mean difference"``; negative = larger reduction on the arm),
        t-based CI and p-value. ``n``: subjects analysed (in the arm, or in both arms).
        ``diagnostics``: ``residual_df`` (``n − p`` of the ANCOVA) and one ``excluded`` row
        per reason (``"<column> missing"``; ``"baseline is 0: percent change undefined"``).

    Notes
    -----
    ``100 (y − y₀)/y₀ = μ_arm + β (y₀ − ȳ₀) + ε`` by ordinary least squares
    (:func:`acne_outcomes.stats.ancova.ancova`); ``μ_arm − μ_reference`` is the adjusted
    difference, with standard error from the OLS covariance and ``n − p`` degrees of freedom.

    Examples
    --------
    >>> data = pd.DataFrame({"subject_id": range(8), "month": 12,
    ...     "arm": ["comparator"] * 4 + ["isotretinoin"] * 4,
    ...     "baseline": [20, 30, 25, 40, 22, 28, 35, 30],
    ...     "inflammatory_lesions": [10, 18, 12, 20, 2, 4, 3, 5]})
    >>> fit = percent_change_ancova(data, outcome="inflammatory_lesions", subject="subject_id",
    ...     visit="month", arm="arm", baseline="baseline", at_visit=12)
    >>> fit.estimates["scale"].tolist()
    ['mean', 'mean', 'mean difference']
    >>> round(float(fit.estimates["estimate"].iloc[-1]), 1), fit.diagnostic("residual_df")
    (-39.8, 5.0)
    """
    covariates = list(covariates)
    require_columns(data, outcome=outcome, subject=subject, visit=visit, arm=arm,
                    baseline=baseline,
                    **{f"covariates[{i}]": name for i, name in enumerate(covariates)})  # fmt: skip
    ci_level = check_ci_level(ci_level)
    check_choice("at_visit", at_visit, sorted(data[visit].dropna().unique().tolist()))
    at = data.loc[data[visit] == at_visit]
    if at[subject].duplicated().any():
        raise ValueError(f"more than one row per subject at {visit}={at_visit!r}")
    frame, reasons = complete_rows(at, [arm, outcome, baseline, *covariates])
    zero = frame[baseline] == 0
    if zero.any():
        reasons["baseline is 0: percent change undefined"] = int(zero.sum())
    frame = frame.loc[~zero]
    base = frame[baseline].to_numpy(dtype=float)
    change = 100.0 * (frame[outcome].to_numpy(dtype=float) - base) / base
    label = f"percent change in {outcome}"
    method = "ANCOVA (OLS) on percent change, adjusted for baseline" + "".join(
        f", {name}" for name in covariates
    )
    fit = ancova(
        frame[[arm, *covariates]].assign(**{label: change, baseline: base}),
        outcome=label,
        arm=arm,
        covariates=[baseline, *covariates],
        reference=reference,
        ci_level=ci_level,
        visit=at_visit,
        method=method,
    )
    excluded = diagnostics_frame(
        exclusion_rows(reasons), outcome=label, method=fit.estimates["method"].iloc[0]
    )
    return Result(fit.estimates, pd.concat([fit.diagnostics, excluded], ignore_index=True))
