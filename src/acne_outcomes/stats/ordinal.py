"""Ordered grades (scar grade, IGA): proportional-odds models and the Brant test.

**Direction of the odds ratio.** Every odds ratio here is the cumulative odds ratio of a
*higher* grade, arm / reference: ``OR = odds(Y > j | arm) / odds(Y > j | reference)``, the
same for every cut ``j``. For Goodman & Baron scar grade and IGA a higher grade is worse, so
**OR > 1 means the arm shifts subjects towards higher (worse) grades, OR < 1 towards lower
(better) grades.** This is ``exp(β)`` of R's ``ordinal::clm`` / ``MASS::polr``, whose model
is ``logit P(Y ≤ j) = θ_j − xᵀβ``.

Cut-points are reported on that R scale (``θ_j``, increasing), converted from statsmodels'
``OrderedModel`` parameterisation (first cut, then log increments), and named as R names
them, ``"j|k"`` with the grades' own labels (an ordered categorical's categories).

:func:`ordinal_model` and :func:`brant_test` return a :class:`~acne_outcomes.stats.tidy.Result`;
the Brant test of proportional odds is part of the cross-sectional model's diagnostics.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize
from scipy import stats as scipy_stats
from statsmodels.genmod.cov_struct import GlobalOddsRatio, OrdinalIndependence
from statsmodels.genmod.generalized_estimating_equations import OrdinalGEE
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from acne_outcomes.checks import (
    NotEstimable,
    check_choice,
    check_ci_level,
    require_columns,
    resolve_arms,
)
from acne_outcomes.derive import as_grade
from acne_outcomes.stats.ancova import covariate_design
from acne_outcomes.stats.tidy import (
    Result,
    column_words,
    complete_rows,
    diagnostics_frame,
    estimate_frame,
    exclusion_rows,
    require_numeric_visits,
)

CORRELATIONS = ("global_odds_ratio", "independence")
_BRANT = "Brant Wald test of proportional odds"
_ALL_COVARIATES = "all covariates"
_BRANT_NAMES = ("statistic", "df", "p_value")
# optimum of the separation linear programme (on columns scaled to [-1, 1]) above which a
# per-cut logit counts as separated
_SEPARATION_TOLERANCE = 1e-7


def _separated(outcome: np.ndarray, design: np.ndarray) -> bool:
    """Whether a binary logit's maximum-likelihood estimate is infinite (complete or
    quasi-complete separation, Albert & Anderson 1984).

    The linear programme of Konis (2007): maximise ``Σ_i s_i x_iᵀβ`` subject to
    ``s_i x_iᵀβ ≥ 0`` for every row (``s_i = ±1`` for ``y_i = 1 / 0``) and ``|β_k| ≤ 1``. A
    positive optimum is a direction along which the likelihood keeps increasing.
    """
    scale = np.max(np.abs(design), axis=0)
    scaled = design / np.where(scale > 0, scale, 1.0)
    signed = scaled * np.where(outcome > 0, 1.0, -1.0)[:, None]
    solution = optimize.linprog(
        -signed.sum(axis=0),
        A_ub=-signed,
        b_ub=np.zeros(len(outcome)),
        bounds=[(-1.0, 1.0)] * design.shape[1],
        method="highs",
    )
    return bool(solution.status == 0 and -solution.fun > _SEPARATION_TOLERANCE * len(outcome))


def _ordinal_frame(data, outcome, columns):
    """Complete rows with the outcome as grades, and the label of each grade (R's names)."""
    frame, reasons = complete_rows(data[[outcome, *columns]], [outcome, *columns])
    frame = frame.copy()
    column = frame[outcome]
    if isinstance(column.dtype, pd.CategoricalDtype):
        labels = {float(code): _label(level) for code, level in enumerate(column.cat.categories)}
    else:
        labels = {}
    frame[outcome] = as_grade(column)
    for value in frame[outcome].unique():
        labels.setdefault(float(value), _label(value))
    return frame, reasons, labels


def _label(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float, np.number)) else str(value)


def _cut_labels(levels, labels) -> list[str]:
    """``"j|k"`` for each pair of adjacent observed grades, in the grades' own labels."""
    names = [labels.get(float(level), _label(level)) for level in levels]
    return [f"{low}|{high}" for low, high in zip(names[:-1], names[1:], strict=True)]


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

    Raises
    ------
    NotEstimable
        When a per-cut logit is separated (its maximum-likelihood slopes are infinite, e.g.
        a grade never seen in one group; found by the linear programme of Konis 2007) or
        the stacked covariance is numerically singular: the statistic would be computed from
        arbitrary numbers (R's ``solve`` stops on the latter).

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
    Albert A, Anderson JA (1984). On the existence of maximum likelihood estimates in
    logistic regression models. Biometrika 71:1–10.
    Konis K (2007). Linear programming algorithms for detecting separated data in binary
    logistic regression models. DPhil thesis, University of Oxford.

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
    if omnibus is None:
        raise NotEstimable(f"the Brant test cannot be computed here: {by_covariate}")
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


def _brant_statistics(grades, exog, names, labels=None):
    """``((statistic, df, p_value), {name: (statistic, df, p_value)})`` of the Brant test, or
    ``(None, reason)`` when it cannot be computed (see Raises of :func:`brant_test`)."""
    design = np.column_stack([np.ones(len(grades)), exog])
    levels = np.unique(grades)
    cuts = levels[:-1]
    cut_names = _cut_labels(levels, labels or {})
    fitted, coefs, informations, separated = [], [], [], []
    for index, cut in enumerate(cuts):
        above = (grades > cut).astype(float)
        if _separated(above, design):
            separated.append(cut_names[index])
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.GLM(above, design, family=sm.families.Binomial()).fit()
        probability = np.asarray(fit.fittedvalues)
        fitted.append(probability)
        coefs.append(fit.params[1:])
        informations.append(np.linalg.inv(design.T * (probability * (1 - probability)) @ design))
    if separated:
        return None, (
            f"the binary logit of cut {', '.join(separated)} is quasi-separated (a covariate "
            "splits the grades above the cut from those below: e.g. a grade never occurs in "
            "one group), so its slopes run off to infinity"
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

    middle = contrast @ covariance @ contrast.T
    if 1 / np.linalg.cond(middle) < np.finfo(float).eps:
        return None, "the covariance of the per-cut slopes is numerically singular"
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


class _GlobalOddsRatio(GlobalOddsRatio):
    """statsmodels' ordinal global odds ratio, with an empty cell handled: a 2 × 2 table with
    a zero count has inverse-variance weight 0 in the pooled log odds ratio (the limit of
    ``1 / Σ 1/n`` as a count goes to 0) instead of turning the pooled value into NaN."""

    def __init__(self):
        super().__init__("ordinal")

    def pooled_odds_ratio(self, tables):
        """The inverse-variance weighted mean log odds ratio of the tables without an empty
        cell, exponentiated (1 when every table has one)."""
        full = [np.asarray(table, dtype=float) for table in tables]
        full = [table for table in full if np.all(table > 0)]
        if not full:
            return 1.0
        log_odds = np.array([np.log(t[1, 1] * t[0, 0] / (t[0, 1] * t[1, 0])) for t in full])
        weights = np.array([1 / np.sum(1 / t) for t in full])
        return float(np.exp(np.sum(weights * log_odds) / np.sum(weights)))


def _design(frame, arm, treated, baseline, covariates):
    """Arm indicators, the baseline grade and the covariates in R's coding (not centred, so
    that the cut-points are those of ``clm``), with the covariate names."""
    columns = [(frame[arm] == level).to_numpy(float)[:, None] for level in treated]
    names = [str(level) for level in treated]
    if baseline is not None:
        columns.append(as_grade(frame[baseline]).to_numpy(float)[:, None])
        names.append(baseline)
    design, covariate_names = covariate_design(frame, covariates, centre=False)
    return np.hstack([*columns, design]), names + covariate_names


def ordinal_model(
    data: pd.DataFrame,
    *,
    outcome: str,
    arm: str,
    baseline: str | None = None,
    covariates: Sequence[str] = (),
    subject: str | None = None,
    visit: str | None = None,
    correlation: str = "global_odds_ratio",
    reference: object | None = None,
    ci_level: float = 0.95,
) -> Result:
    """Proportional-odds (cumulative logit) odds ratio between arms.

    Without ``subject``/``visit``: one row per subject, maximum likelihood
    (statsmodels ``OrderedModel``, logit). With both: longitudinal, one row per subject ×
    visit, GEE for ordinal data (statsmodels ``OrdinalGEE``, global odds ratio working
    dependence by default, robust SE) with an arm × visit interaction.

    Parameters
    ----------
    data : DataFrame
    outcome : str
        Ordered grade column (ordered categorical read by its codes, or integers).
    arm : str
        Arm column.
    baseline : str, optional
        Baseline grade column, entered as a linear covariate.
    covariates : sequence of str, default ()
        Further adjustment covariates: numeric columns enter linearly, any other column
        (text, categorical, boolean) as treatment-coded dummies, in R's coding
        (:func:`acne_outcomes.stats.ancova.covariate_design` with ``centre=False``).
    subject, visit : str, optional
        Give both for the longitudinal model; ``visit`` must be numeric (the visit time).
    correlation : {"global_odds_ratio", "independence"}, default "global_odds_ratio"
        Longitudinal model only: the working dependence between the visits of a subject, a
        global odds ratio estimated from the data (Lipsitz, Kim & Zhao 1994), or none (the
        estimates are then those of the pooled maximum-likelihood fit, R ``clm`` on the long
        data). Within one visit, the indicators ``1[Y > j]`` keep their exact multinomial
        covariance either way.
    reference : optional
        Reference arm; default the first arm in sorted order (``"comparator"``).
    ci_level : float, default 0.95

    Returns
    -------
    Result
        ``estimates``: rows with ``scale="odds ratio"``: cumulative odds ratio of a higher
        grade, arm / reference (> 1: towards higher/worse grades), SE of its log, Wald CI
        and p-value; cross-sectional: one row per non-reference arm; longitudinal: one per
        arm and visit plus one averaged over visits (geometric mean, ``visit`` missing),
        ``n`` = subjects of the two compared arms (at that visit).
        Cross-sectional fits add rows ``scale="cut-point (logit)"`` with ``contrast`` =
        ``"j|k"`` (R's names, in the grades' labels): ``θ_j`` on the ``clm``/``polr`` scale
        with delta-method SEs (no p-value). ``diagnostics``: ``converged`` (longitudinal:
        ``detail`` holds the warnings), one ``excluded`` row per reason, and
        cross-sectional: the Brant test of proportional odds, ``brant_statistic``,
        ``brant_df``, ``brant_p_value`` (omnibus) and ``brant_statistic_by_covariate``,
        ``brant_df_by_covariate``, ``brant_p_value_by_covariate`` (``detail`` = the
        covariate: each non-reference arm, the baseline, each covariate column), see
        :func:`brant_test`, and ``brant_quasi_separation`` (True when the test cannot be
        computed, see Raises of :func:`brant_test`; the ``brant_*`` values are then NaN,
        ``detail`` = the reason, and a warning is issued); longitudinal: one ``cut_point``
        row per cut (``value`` = ``θ_j`` on the ``clm`` scale, ``detail`` = ``"j|k"``) and
        ``global_odds_ratio`` (the estimated working odds ratio; ``None`` with
        ``correlation="independence"``).

    Raises
    ------
    ValueError
        On a bad argument (naming the allowed values), text visits, or fewer than three
        observed grades.
    NotEstimable
        When the outcome takes one value, or the information matrix is singular.

    Notes
    -----
    ``logit P(Y ≤ j) = θ_j − (Σ_a τ_a 1[arm = a] + γ y₀ + δᵀx)``; ``OR_a = exp(τ_a)``.
    statsmodels stores ``(θ_1, log(θ_2 − θ_1), …)``; ``θ_k = θ_1 + Σ_{i<k} exp(δ_i)``,
    SEs by the delta method. ``OrdinalGEE`` models ``logit P(Y > j) = α_j + xᵀβ``, the same
    β, with ``θ_j = −α_j``. The global odds ratio ψ of two visits of a subject, common to
    all pairs of cuts, gives the joint probabilities of their indicators (Plackett); it is
    updated by statsmodels' moment rule ``ψ ← ψ · crude / expected`` (the pooled odds ratio
    of the observed pairs over that of the fitted ones) until both ψ and β settle.

    References
    ----------
    McCullagh P (1980). Regression models for ordinal data. JRSS B 42:109–142.
    Lipsitz SR, Kim K, Zhao L (1994). Analysis of repeated categorical data using
    generalized estimating equations. Stat Med 13:1149–1163.
    Heagerty PJ, Zeger SL (1996). Marginal regression models for clustered ordinal
    measurements. JASA 91:1024–1036.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> data = pd.DataFrame({"arm": np.repeat(["comparator", "isotretinoin"], 150),
    ...                      "baseline_grade": rng.integers(1, 4, 300),
    ...                      "skin": rng.choice(["I-III", "IV-VI"], 300)})
    >>> latent = data["baseline_grade"] - 0.8 * (data["arm"] == "isotretinoin")
    >>> data["scar_grade"] = np.digitize(latent + rng.logistic(size=300), [0, 1.5, 3])
    >>> fit = ordinal_model(data, outcome="scar_grade", arm="arm", baseline="baseline_grade")
    >>> fit.estimates["contrast"].tolist()
    ['isotretinoin / comparator', '0|1', '1|2', '2|3']
    >>> bool(fit.estimates["estimate"].iloc[0] < 1), fit.diagnostic("converged")
    (True, True)
    >>> bool(0 <= fit.diagnostic("brant_p_value") <= 1)
    True
    >>> adjusted = ordinal_model(data, outcome="scar_grade", arm="arm",
    ...                          baseline="baseline_grade", covariates=["skin"])
    >>> adjusted.diagnostic("brant_df_by_covariate", detail="skin[IV-VI]")
    2
    """
    covariates = list(covariates)
    require_columns(data, outcome=outcome, arm=arm, baseline=baseline, subject=subject,
                    visit=visit,
                    **{f"covariates[{i}]": name for i, name in enumerate(covariates)})  # fmt: skip
    ci_level = check_ci_level(ci_level)
    check_choice("correlation", correlation, CORRELATIONS)
    if (subject is None) != (visit is None):
        raise ValueError("give both subject= and visit= (longitudinal) or neither")
    require_numeric_visits(data, visit)
    keys = [c for c in (subject, visit, baseline) if c is not None]
    frame, reasons, labels = _ordinal_frame(data, outcome, [arm, *keys, *covariates])
    reference, treated = resolve_arms(frame[arm], reference)
    if frame[outcome].nunique() < 3:
        raise ValueError(f"outcome={outcome!r} needs at least three observed grades")
    z = scipy_stats.norm.ppf(0.5 + ci_level / 2)
    columns = {"outcome": outcome, "arm": arm, "baseline": baseline, "covariates": covariates,
               "labels": labels}  # fmt: skip
    if subject is None:
        rows, diagnostics, method = _cross_sectional(frame, columns, reference, treated, z)
    else:
        rows, diagnostics, method = _longitudinal(
            frame, columns, subject, visit, correlation, reference, treated, z
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


def _adjusted_label(baseline, covariates) -> str:
    adjusted = ([baseline] if baseline else []) + list(covariates)
    return f", adjusted for {column_words(adjusted)}" if adjusted else ""


def _cross_sectional(frame, columns, reference, treated, z):
    outcome = columns["outcome"]
    exog, names = _design(frame, columns["arm"], treated, columns["baseline"],
                          columns["covariates"])  # fmt: skip
    grades = frame[outcome].to_numpy(int)
    levels = np.unique(grades)
    if len(levels) < 2:
        raise NotEstimable(
            f"the {column_words([outcome])} takes a single value ({levels[0]:g}) here: "
            "nothing to model"
        )
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
    method = "proportional odds (ML, logit)" + _adjusted_label(
        columns["baseline"], columns["covariates"]
    )
    rows = [
        _wald_row(
            f"{level} / {reference}", float(fit.params[i]), float(fit.bse[i]), z, len(frame), method
        )
        for i, level in enumerate(treated)
    ]
    thresholds, se = _cut_points(fit, exog.shape[1])
    cut_names = _cut_labels(levels, columns["labels"])
    for name, theta, theta_se in zip(cut_names, thresholds, se, strict=True):
        rows.append(
            {
                "contrast": name,
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
    omnibus, by_covariate = _brant_statistics(grades, exog, names, columns["labels"])
    reason = ""
    if omnibus is None:
        reason = by_covariate
        warnings.warn(f"Brant test not computed: {reason}", RuntimeWarning, stacklevel=3)
        omnibus = (np.nan, exog.shape[1] * (len(levels) - 2), np.nan)
        by_covariate = {name: (np.nan, len(levels) - 2, np.nan) for name in names}
    diagnostics = [
        {"diagnostic": "converged", "value": converged},
        *_brant_rows(omnibus, by_covariate),
        {"diagnostic": "brant_quasi_separation", "value": bool(reason), "detail": reason},
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
            f"the proportional-odds model of the {column_words([outcome])} cannot be estimated "
            "here: its information "
            "matrix is singular (with so little variation, the arm or the baseline grade nearly "
            "determines the grade)"
        )


def _longitudinal(frame, columns, subject, visit, correlation, reference, treated, z):
    outcome, arm = columns["outcome"], columns["arm"]
    frame = frame.sort_values([subject, visit], kind="stable")
    visits = sorted(frame[visit].unique().tolist())
    visit_values, arm_values = frame[visit].to_numpy(), frame[arm].to_numpy()
    blocks = [(visit_values == v).astype(float)[:, None] for v in visits[1:]]
    names = []
    for level in treated:
        for v in visits:
            blocks.append(((arm_values == level) & (visit_values == v)).astype(float)[:, None])
            names.append((level, v))
    covariates, _ = _design(frame, arm, [], columns["baseline"], columns["covariates"])
    exog = np.hstack([*blocks, covariates])
    cov_struct = _GlobalOddsRatio() if correlation == "global_odds_ratio" else OrdinalIndependence()
    model = OrdinalGEE(
        frame[outcome].to_numpy(float), exog, groups=frame[subject].to_numpy(),
        cov_struct=cov_struct,
    )  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = model.fit(maxiter=200, ctol=1e-8)
    converged = fit is not None and bool(fit.converged) and not caught
    messages = "; ".join(str(w.message) for w in caught)
    if not converged:
        warnings.warn(
            f"ordinal GEE did not converge cleanly: {messages}", ConvergenceWarning, stacklevel=3
        )
    n_cuts = frame[outcome].nunique() - 1
    offset = n_cuts + len(visits) - 1
    params, cov = np.asarray(fit.params), np.asarray(fit.cov_params())
    method = (
        f"ordinal GEE (cumulative logit, {correlation.replace('_', ' ')}, robust SE)"
        + _adjusted_label(columns["baseline"], columns["covariates"])
    )
    rows = []
    for level in treated:
        pair = frame.loc[frame[arm].isin([level, reference])]
        counts = pair.groupby(visit)[subject].nunique()
        indices = [offset + names.index((level, v)) for v in visits]
        for v, index in zip(visits, indices, strict=True):
            rows.append(
                _wald_row(
                    f"{level} / {reference}",
                    params[index],
                    np.sqrt(cov[index, index]),
                    z,
                    int(counts.get(v, 0)),
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
                pair[subject].nunique(),
                method,
            )
        )
    levels = np.unique(frame[outcome].to_numpy(float))
    odds_ratio = (
        float(np.atleast_1d(cov_struct.dep_params)[0])
        if correlation == "global_odds_ratio"
        else None
    )
    diagnostics = [
        {"diagnostic": "converged", "value": converged, "detail": messages},
        *({"diagnostic": "cut_point", "value": float(-params[j]), "detail": label}
          for j, label in enumerate(_cut_labels(levels, columns["labels"]))),
        {"diagnostic": "global_odds_ratio", "value": odds_ratio, "detail": correlation},
    ]  # fmt: skip
    return rows, diagnostics, method
