"""Ordered grades (scar grade, IGA): proportional-odds models and the Brant test.

**Direction of the odds ratio.** Every odds ratio here is the cumulative odds ratio of a
*higher* grade, arm / reference: ``OR = odds(Y > j | arm) / odds(Y > j | reference)``, the
same for every cut ``j``. For Goodman & Baron scar grade and IGA a higher grade is worse, so
**OR > 1 means the arm shifts subjects towards higher (worse) grades, OR < 1 towards lower
(better) grades.** This is ``exp(β)`` of R's ``ordinal::clm`` / ``MASS::polr``, whose model
is ``logit P(Y ≤ j) = θ_j − xᵀβ``.

Cut-points are reported on that R scale (``θ_j``, increasing), converted from statsmodels'
``OrderedModel`` parameterisation (first cut, then log increments).

:func:`ordinal_model` and :func:`brant_test` return a :class:`~acne_outcomes.stats.tidy.Result`;
the Brant test of proportional odds is part of the cross-sectional model's diagnostics.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as scipy_stats
from statsmodels.genmod.generalized_estimating_equations import OrdinalGEE
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from acne_outcomes.checks import NotEstimable, check_ci_level, require_columns, resolve_arms
from acne_outcomes.derive import as_grade
from acne_outcomes.stats.tidy import (
    Result,
    complete_rows,
    diagnostics_frame,
    estimate_frame,
    exclusion_rows,
)

_BRANT = "Brant Wald test of proportional odds"
_ALL_COVARIATES = "all covariates"


def _ordinal_frame(data, outcome, columns):
    frame, reasons = complete_rows(data[[outcome, *columns]], [outcome, *columns])
    frame = frame.copy()
    frame[outcome] = as_grade(frame[outcome])
    return frame, reasons


def brant_test(grades: np.ndarray, exog: np.ndarray, names: list[str]) -> Result:
    """Brant (1990) Wald test of the proportional-odds assumption.

    Fits one binary logit per cut (``Y > j``) with the same covariates and tests that the
    slopes are equal across cuts.

    Parameters
    ----------
    grades : array
        Integer grades; the observed distinct values define the cuts.
    exog : array
        Covariates without intercept (n × p).
    names : list of str
        Covariate names (length p).

    Returns
    -------
    Result
        ``estimates``: one row per test (``scale="chi-square"``, ``estimate`` = the Wald
        statistic, ``p_value`` its upper χ² tail, ``n`` = observations, degrees of freedom in
        ``method``): first the omnibus test (``contrast="all covariates"``, ``(J − 2) p``
        degrees of freedom), then one per covariate (``contrast`` = its name, ``J − 2``
        degrees of freedom). ``diagnostics``: ``brant_statistic``, ``brant_df`` and
        ``brant_p_value`` of the omnibus test (``detail="all covariates"``), and
        ``brant_statistic_by_covariate``, ``brant_df_by_covariate`` and
        ``brant_p_value_by_covariate`` once per covariate (``detail`` = its name).

    Notes
    -----
    With ``β̂_j`` from the logit of ``1[Y > j]`` and ``W_{jl} = diag(π̂_l − π̂_j π̂_l)``
    (``l ≥ j``), ``Cov(β̂_j, β̂_l) = (XᵀW_{jj}X)⁻¹ XᵀW_{jl}X (XᵀW_{ll}X)⁻¹``. The statistic is
    ``(Dβ̂)ᵀ(D V Dᵀ)⁻¹(Dβ̂)`` with ``D`` the contrasts ``β_1 − β_k`` of the slopes (R package
    ``brant`` uses the same formula).

    References
    ----------
    Brant R (1990). Assessing proportionality in the proportional odds model for ordinal
    logistic regression. Biometrics 46:1171–1178.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(300, 1))
    >>> grades = np.digitize(x[:, 0] + rng.logistic(size=300), [-1, 0, 1])
    >>> result = brant_test(grades, x, ["x"])
    >>> result.diagnostic("brant_df"), bool(0 <= result.diagnostic("brant_p_value") <= 1)
    (2, True)
    >>> result.estimates["contrast"].tolist()
    ['all covariates', 'x']
    """
    omnibus, by_covariate = _brant_statistics(grades, exog, names)
    estimates = estimate_frame(
        {"contrast": label, "estimate": statistic, "p_value": p_value, "n": len(grades),
         "method": f"{_BRANT} ({df} df)", "scale": "chi-square"}
        for label, (statistic, df, p_value) in [(_ALL_COVARIATES, omnibus), *by_covariate.items()]
    )  # fmt: skip
    diagnostics = diagnostics_frame(_brant_rows(omnibus, by_covariate), method=_BRANT)
    return Result(estimates, diagnostics)


def _brant_rows(omnibus, by_covariate) -> list[dict]:
    """Diagnostic rows of the Brant test (names as documented in :func:`brant_test`)."""
    rows = [
        {"diagnostic": f"brant_{name}", "value": value, "detail": _ALL_COVARIATES}
        for name, value in zip(("statistic", "df", "p_value"), omnibus, strict=True)
    ]
    for covariate, values in by_covariate.items():
        rows.extend(
            {"diagnostic": f"brant_{name}_by_covariate", "value": value, "detail": covariate}
            for name, value in zip(("statistic", "df", "p_value"), values, strict=True)
        )
    return rows


def _brant_statistics(grades, exog, names):
    """``((statistic, df, p_value), {name: (statistic, df, p_value)})`` of the Brant test."""
    design = np.column_stack([np.ones(len(grades)), exog])
    cuts = np.unique(grades)[:-1]
    fitted, coefs, informations = [], [], []
    for cut in cuts:
        fit = sm.GLM((grades > cut).astype(float), design, family=sm.families.Binomial()).fit()
        fitted.append(fit.fittedvalues)
        coefs.append(fit.params[1:])
        informations.append(
            np.linalg.inv(design.T * (fit.fittedvalues * (1 - fit.fittedvalues)) @ design)
        )
    n_cuts, p = len(cuts), exog.shape[1]
    covariance = np.zeros((n_cuts * p, n_cuts * p))
    for j in range(n_cuts):
        for k in range(j, n_cuts):
            middle = design.T * (fitted[k] - fitted[j] * fitted[k]) @ design
            block = (informations[j] @ middle @ informations[k])[1:, 1:]
            covariance[j * p : (j + 1) * p, k * p : (k + 1) * p] = block
            covariance[k * p : (k + 1) * p, j * p : (j + 1) * p] = block.T
    stacked = np.concatenate(coefs)
    contrast = np.zeros(((n_cuts - 1) * p, n_cuts * p))
    for k in range(1, n_cuts):
        contrast[(k - 1) * p : k * p, :p] = np.eye(p)
        contrast[(k - 1) * p : k * p, k * p : (k + 1) * p] = -np.eye(p)

    def wald(rows):
        d = contrast[rows]
        difference = d @ stacked
        statistic = float(difference @ np.linalg.solve(d @ covariance @ d.T, difference))
        return statistic, len(rows), float(scipy_stats.chi2.sf(statistic, len(rows)))

    omnibus = wald(np.arange(contrast.shape[0]))
    by_covariate = {
        name: wald(np.arange(index, contrast.shape[0], p)) for index, name in enumerate(names)
    }
    return omnibus, by_covariate


def _cut_points(fit, n_exog):
    """Thresholds θ_j on the clm/polr scale and their delta-method SEs."""
    raw = np.asarray(fit.params)[n_exog:]
    thresholds = np.cumsum(np.concatenate([[raw[0]], np.exp(raw[1:])]))
    jacobian = np.tril(np.ones((len(raw), len(raw))))
    jacobian[:, 1:] *= np.exp(raw[1:])
    cov = np.asarray(fit.cov_params())[n_exog:, n_exog:]
    return thresholds, np.sqrt(np.diag(jacobian @ cov @ jacobian.T))


def _design(frame, arm, treated, baseline):
    columns = [(frame[arm] == level).to_numpy(float) for level in treated]
    if baseline is not None:
        columns.append(as_grade(frame[baseline]).to_numpy(float))
    return np.column_stack(columns)


def ordinal_model(
    data: pd.DataFrame,
    *,
    outcome: str,
    arm: str,
    baseline: str | None = None,
    subject: str | None = None,
    visit: str | None = None,
    reference: object | None = None,
    ci_level: float = 0.95,
) -> Result:
    """Proportional-odds (cumulative logit) odds ratio between arms.

    Without ``subject``/``visit``: one row per subject, maximum likelihood
    (statsmodels ``OrderedModel``, logit). With both: longitudinal, one row per subject ×
    visit, GEE for ordinal data (statsmodels ``OrdinalGEE``, global odds ratio working
    dependence, robust SE) with an arm × visit interaction.

    Parameters
    ----------
    data : DataFrame
    outcome : str
        Ordered grade column (ordered categorical read by its codes, or integers).
    arm : str
        Arm column.
    baseline : str, optional
        Baseline grade column, entered as a linear covariate.
    subject, visit : str, optional
        Give both for the longitudinal model.
    reference : optional
        Reference arm; default the first arm in sorted order (``"comparator"``).
    ci_level : float, default 0.95

    Returns
    -------
    Result
        ``estimates``: rows with ``scale="odds ratio"``: cumulative odds ratio of a higher
        grade, arm / reference (> 1: towards higher/worse grades), SE of its log, Wald CI
        and p-value; cross-sectional: one row per non-reference arm; longitudinal: one per
        arm and visit plus one averaged over visits (geometric mean, ``visit`` missing).
        Cross-sectional fits add rows ``scale="cut-point (logit)"`` with ``contrast`` =
        ``"j|k"`` (R's names): ``θ_j`` on the ``clm``/``polr`` scale with delta-method SEs
        (no p-value). ``diagnostics``: ``converged`` (longitudinal: ``detail`` holds the
        warnings), one ``excluded`` row per reason, and
        cross-sectional: the Brant test of proportional odds, ``brant_statistic``,
        ``brant_df``, ``brant_p_value`` (omnibus) and ``brant_statistic_by_covariate``,
        ``brant_df_by_covariate``, ``brant_p_value_by_covariate`` (``detail`` = the
        covariate: each non-reference arm, the baseline), see :func:`brant_test`;
        longitudinal: one ``cut_point`` row per cut (``value`` = ``θ_j`` on the
        ``clm`` scale, ``detail`` = ``"j|k"``).

    Notes
    -----
    ``logit P(Y ≤ j) = θ_j − (Σ_a τ_a 1[arm = a] + γ y₀)``; ``OR_a = exp(τ_a)``.
    statsmodels stores ``(θ_1, log(θ_2 − θ_1), …)``; ``θ_k = θ_1 + Σ_{i<k} exp(δ_i)``,
    SEs by the delta method. ``OrdinalGEE`` models ``logit P(Y > j) = α_j + xᵀβ``, the same
    β, with ``θ_j = −α_j``.

    References
    ----------
    McCullagh P (1980). Regression models for ordinal data. JRSS B 42:109–142.
    Lipsitz SR, Kim K, Zhao L (1994). Analysis of repeated categorical data using
    generalized estimating equations. Stat Med 13:1149–1163.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> data = pd.DataFrame({"arm": np.repeat(["comparator", "isotretinoin"], 150),
    ...                      "baseline_grade": rng.integers(1, 4, 300)})
    >>> latent = data["baseline_grade"] - 0.8 * (data["arm"] == "isotretinoin")
    >>> data["scar_grade"] = np.digitize(latent + rng.logistic(size=300), [0, 1.5, 3])
    >>> fit = ordinal_model(data, outcome="scar_grade", arm="arm", baseline="baseline_grade")
    >>> fit.estimates["contrast"].tolist()
    ['isotretinoin / comparator', '0|1', '1|2', '2|3']
    >>> bool(fit.estimates["estimate"].iloc[0] < 1), fit.diagnostic("converged")
    (True, True)
    >>> bool(0 <= fit.diagnostic("brant_p_value") <= 1)
    True
    """
    require_columns(data, outcome=outcome, arm=arm, baseline=baseline, subject=subject, visit=visit)
    ci_level = check_ci_level(ci_level)
    if (subject is None) != (visit is None):
        raise ValueError("give both subject= and visit= (longitudinal) or neither")
    keys = [c for c in (subject, visit, baseline) if c is not None]
    frame, reasons = _ordinal_frame(data, outcome, [arm, *keys])
    reference, treated = resolve_arms(frame[arm], reference)
    if frame[outcome].nunique() < 3:
        raise ValueError(f"outcome={outcome!r} needs at least three observed grades")
    z = scipy_stats.norm.ppf(0.5 + ci_level / 2)
    if subject is None:
        rows, diagnostics, method = _cross_sectional(
            frame, outcome, arm, baseline, reference, treated, z
        )
    else:
        rows, diagnostics, method = _longitudinal(
            frame, outcome, arm, baseline, subject, visit, reference, treated, z
        )
    estimates = estimate_frame({"outcome": outcome, "ci_level": ci_level, **row} for row in rows)
    diagnostics = diagnostics_frame(
        [*diagnostics, *exclusion_rows(reasons)], outcome=outcome, method=method
    )
    return Result(estimates, diagnostics)


def _wald_row(label, log_or, se, z, n, method, visit=pd.NA):
    return {
        "contrast": label,
        "visit": visit,
        "estimate": np.exp(log_or),
        "se": se,
        "ci_low": np.exp(log_or - z * se),
        "ci_high": np.exp(log_or + z * se),
        "p_value": 2 * scipy_stats.norm.sf(abs(log_or) / se),
        "n": n,
        "method": method,
        "scale": "odds ratio",
    }


def _cross_sectional(frame, outcome, arm, baseline, reference, treated, z):
    exog = _design(frame, arm, treated, baseline)
    grades = frame[outcome].to_numpy(int)
    levels = np.unique(grades)
    if len(levels) < 2:
        raise NotEstimable(f"{outcome} takes a single value ({levels[0]:g}) here: nothing to model")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = OrderedModel(grades, exog, distr="logit").fit(
            method="bfgs", maxiter=2000, gtol=1e-8, disp=False
        )
    converged = bool(fit.mle_retvals["converged"]) and not any(
        issubclass(w.category, ConvergenceWarning) for w in caught
    )
    _require_covariance(fit, outcome)
    if not converged:
        warnings.warn("proportional-odds fit did not converge", ConvergenceWarning, stacklevel=3)
    method = "proportional odds (ML, logit)" + (f", adjusted for {baseline}" if baseline else "")
    rows = [
        _wald_row(
            f"{level} / {reference}", float(fit.params[i]), float(fit.bse[i]), z, len(frame), method
        )
        for i, level in enumerate(treated)
    ]
    thresholds, se = _cut_points(fit, exog.shape[1])
    for j, (theta, theta_se) in enumerate(zip(thresholds, se, strict=True)):
        rows.append(
            {
                "contrast": f"{levels[j]:g}|{levels[j + 1]:g}",
                "visit": pd.NA,
                "estimate": theta,
                "se": theta_se,
                "ci_low": theta - z * theta_se,
                "ci_high": theta + z * theta_se,
                "n": len(frame),
                "method": method,
                "scale": "cut-point (logit)",
            }
        )
    names = [str(level) for level in treated] + ([baseline] if baseline else [])
    diagnostics = [
        {"diagnostic": "converged", "value": converged},
        *_brant_rows(*_brant_statistics(grades, exog, names)),
    ]
    return rows, diagnostics, method


def _require_covariance(fit, outcome: str) -> None:
    """Raise ``NotEstimable`` when the fit has no usable covariance (a singular information
    matrix: with little variation, the arm or the baseline nearly determines the grade)."""
    try:
        finite = np.all(np.isfinite(np.asarray(fit.bse, dtype=float)))
    except (ValueError, np.linalg.LinAlgError):
        finite = False
    if not finite:
        raise NotEstimable(
            f"the proportional-odds model of {outcome} cannot be estimated here: its information "
            "matrix is singular (with so little variation, the arm or the baseline grade nearly "
            "determines the grade)"
        )


def _longitudinal(frame, outcome, arm, baseline, subject, visit, reference, treated, z):
    frame = frame.sort_values([subject, visit], kind="stable")
    visits = sorted(frame[visit].unique().tolist())
    visit_values, arm_values = frame[visit].to_numpy(), frame[arm].to_numpy()
    columns = [(visit_values == v).astype(float) for v in visits[1:]]
    names = []
    for level in treated:
        for v in visits:
            columns.append(((arm_values == level) & (visit_values == v)).astype(float))
            names.append((level, v))
    if baseline is not None:
        columns.append(as_grade(frame[baseline]).to_numpy(float))
    exog = np.column_stack(columns)
    model = OrdinalGEE(frame[outcome].to_numpy(float), exog, groups=frame[subject].to_numpy())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = model.fit()
    converged = fit is not None and bool(fit.converged) and not caught
    messages = "; ".join(str(w.message) for w in caught)
    if not converged:
        warnings.warn(
            f"ordinal GEE did not converge cleanly: {messages}", ConvergenceWarning, stacklevel=3
        )
    n_cuts = frame[outcome].nunique() - 1
    offset = n_cuts + len(visits) - 1
    params, cov = np.asarray(fit.params), np.asarray(fit.cov_params())
    method = "ordinal GEE (cumulative logit, global odds ratio, robust SE)"
    counts = frame.groupby(visit)[subject].nunique()
    rows = []
    for level in treated:
        indices = [offset + names.index((level, v)) for v in visits]
        for v, index in zip(visits, indices, strict=True):
            rows.append(
                _wald_row(
                    f"{level} / {reference}",
                    params[index],
                    np.sqrt(cov[index, index]),
                    z,
                    int(counts[v]),
                    method,
                    v,
                )
            )
        vector = np.zeros(len(params))
        vector[indices] = 1 / len(visits)
        rows.append(
            _wald_row(
                f"{level} / {reference}",
                vector @ params,
                np.sqrt(vector @ cov @ vector),
                z,
                frame[subject].nunique(),
                method,
            )
        )
    levels = np.unique(frame[outcome].to_numpy(float))
    diagnostics = [{"diagnostic": "converged", "value": converged, "detail": messages}] + [
        {"diagnostic": "cut_point", "value": float(-params[j]),
         "detail": f"{levels[j]:g}|{levels[j + 1]:g}"}
        for j in range(n_cuts)
    ]  # fmt: skip
    return rows, diagnostics, method
