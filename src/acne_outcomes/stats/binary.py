"""Binary outcomes (responders, IGA success, adverse events): risks, differences, ratios, NNT.

* :func:`binary_comparison` — per-arm proportions, risk difference (Newcombe hybrid score or
  Miettinen–Nurminen CI), risk ratio, odds ratio and number needed to treat (Altman 1998),
  unadjusted.
* :func:`logistic_model` — odds ratio adjusted for covariates (logistic regression).
* :func:`cmh_odds_ratio` — Mantel–Haenszel odds ratio across strata (sites) with the
  Cochran–Mantel–Haenszel test.

The outcome column holds booleans or 0/1. Each returns a :class:`~acne_outcomes.stats.tidy.Result`;
rows with a missing value are dropped and counted as ``excluded`` diagnostics
(``"<column> missing"``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize
from scipy import stats as scipy_stats
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from acne_outcomes.checks import (
    arms_present,
    check_choice,
    check_ci_level,
    require_columns,
    resolve_arms,
)
from acne_outcomes.stats.ancova import covariate_design
from acne_outcomes.stats.tidy import (
    Result,
    column_words,
    complete_rows,
    diagnostics_frame,
    estimate_frame,
    exclusion_rows,
)

_COMPARISON = "unadjusted binary comparison"
#: Intervals for a risk difference: Newcombe's hybrid score (method 10) or Miettinen–Nurminen.
DIFFERENCE_CIS = ("newcombe", "miettinen_nurminen")


def _binary_frame(data, outcome, columns):
    frame, reasons = complete_rows(data[[outcome, *columns]], [outcome, *columns])
    values = pd.to_numeric(frame[outcome].astype("float64"))
    if not values.isin([0.0, 1.0]).all():
        raise ValueError(f"outcome={outcome!r} must be boolean or 0/1")
    return frame.assign(**{outcome: values.to_numpy()}), reasons


def nnt_interval(risk_difference: float, ci_low: float, ci_high: float) -> tuple[float, ...]:
    """Number needed to treat and its interval from a risk difference (Altman 1998).

    ``risk_difference`` must be oriented so that positive means benefit of the arm.

    Returns
    -------
    tuple
        ``(nnt, bound_1, bound_2)`` with signed values: positive = NNTB (benefit), negative =
        NNTH (harm). If the risk-difference interval excludes 0 the bounds are the ordinary
        interval ``(min, max)``. If it includes 0 the interval passes through infinity and
        is returned as ``(NNTB bound 1/ci_high, NNTH bound 1/ci_low)``, i.e. ``bound_1 >
        bound_2``: read "NNTB bound_1 to ∞ to NNTH |bound_2|" (:func:`nnt_label`).

    Examples
    --------
    >>> nnt_interval(0.25, 0.1, 0.4)
    (4.0, 2.5, 10.0)
    >>> nnt_interval(0.1, -0.05, 0.25)
    (10.0, 4.0, -20.0)
    """
    nnt = np.inf if risk_difference == 0 else 1.0 / risk_difference
    with np.errstate(divide="ignore"):
        bounds = 1.0 / np.array([ci_low, ci_high], dtype=float)
    if ci_low > 0 or ci_high < 0:
        return float(nnt), float(bounds.min()), float(bounds.max())
    return float(nnt), float(bounds[1]), float(bounds[0])


def nnt_label(nnt: float, bound_1: float, bound_2: float) -> str:
    """Altman's wording of an NNT and its interval.

    Examples
    --------
    >>> nnt_label(*nnt_interval(0.1, -0.05, 0.25))
    'NNTB 10.0 (95% CI NNTB 4.0 to ∞ to NNTH 20.0)'
    >>> nnt_label(*nnt_interval(-0.25, -0.4, -0.1))
    'NNTH 4.0 (95% CI NNTH 2.5 to 10.0)'
    """

    def word(value):
        return "NNTB" if value > 0 else "NNTH"

    head = f"{word(nnt)} {abs(nnt):.1f}"
    if bound_1 > bound_2 or np.sign(bound_1) != np.sign(bound_2):
        return f"{head} (95% CI NNTB {abs(bound_1):.1f} to ∞ to NNTH {abs(bound_2):.1f})"
    low, high = sorted([abs(bound_1), abs(bound_2)])
    return f"{head} (95% CI {word(bound_1)} {low:.1f} to {high:.1f})"


def _restricted_proportions(x1, n1, x0, n0, delta):
    """Maximum-likelihood ``(p̃1, p̃0)`` under ``p1 − p0 = delta`` (the closed-form root of
    the likelihood's cubic; Miettinen & Nurminen 1985, Farrington & Manning 1990)."""
    theta = n0 / n1
    p1, p0 = x1 / n1, x0 / n0
    a = 1 + theta
    b = -(1 + theta + p1 + theta * p0 + delta * (theta + 2))
    c = delta**2 + delta * (2 * p1 + theta + 1) + p1 + theta * p0
    d = -p1 * delta * (1 + delta)
    v = b**3 / (3 * a) ** 3 - b * c / (6 * a**2) + d / (2 * a)
    u = np.sign(v) * np.sqrt(max(b**2 / (3 * a) ** 2 - c / (3 * a), 0.0))
    cosine = np.clip(v / u**3, -1.0, 1.0) if u != 0 else 0.0
    w = (np.pi + np.arccos(cosine)) / 3
    restricted = float(np.clip(2 * u * np.cos(w) - b / (3 * a), 0.0, 1.0))
    return restricted, float(np.clip(restricted - delta, 0.0, 1.0))


def _miettinen_nurminen(
    x1: float, n1: float, x0: float, n0: float, ci_level: float = 0.95
) -> tuple[float, float, float]:
    """Miettinen–Nurminen score interval for ``p1 − p0`` and the score test of 0.

    Parameters
    ----------
    x1, n1 : float
        Events and subjects of the arm.
    x0, n0 : float
        Events and subjects of the reference.
    ci_level : float, default 0.95

    Returns
    -------
    tuple
        ``(ci_low, ci_high, p_value)``; ``p_value`` is the two-sided score test of no
        difference (NaN when no subject, or every subject, had the event).

    Notes
    -----
    The interval holds every δ with ``(p̂1 − p̂0 − δ)² ≤ χ²₁ Ṽ(δ)``, where
    ``Ṽ(δ) = [p̃1(1 − p̃1)/n1 + p̃0(1 − p̃0)/n0] · N/(N − 1)`` at the maximum-likelihood
    proportions under ``p1 − p0 = δ`` (:func:`_restricted_proportions`) and ``N = n1 + n0``;
    its limits are found by Brent's method on each side of ``p̂1 − p̂0``. Newcombe's method 6.

    References
    ----------
    Miettinen O, Nurminen M (1985). Comparative analysis of two rates. Stat Med 4:213–226.
    Newcombe RG (1998). Stat Med 17:873–890 (Table II, method 6).

    Examples
    --------
    >>> [round(value, 4) for value in _miettinen_nurminen(56, 70, 48, 80)[:2]]
    [0.0528, 0.3382]
    """
    critical = scipy_stats.chi2.ppf(ci_level, 1)
    difference = x1 / n1 - x0 / n0
    factor = (n1 + n0) / (n1 + n0 - 1)

    def variance(delta):
        p1, p0 = _restricted_proportions(x1, n1, x0, n0, delta)
        return (p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0) * factor

    def excess(delta):
        return (difference - delta) ** 2 - critical * variance(delta)

    step = 1e-10
    low = -1.0 if difference <= -1 else optimize.brentq(excess, -1.0, difference - step,
                                                        xtol=1e-12)  # fmt: skip
    high = 1.0 if difference >= 1 else optimize.brentq(excess, difference + step, 1.0,
                                                       xtol=1e-12)  # fmt: skip
    null = variance(0.0)
    p_value = float(scipy_stats.chi2.sf(difference**2 / null, 1)) if null > 0 else np.nan
    return float(low), float(high), p_value


def _ratio_problem(events, totals) -> str:
    """Why the risk and odds ratios cannot be estimated (empty when they can)."""
    if sum(events) == 0:
        return "no subject had the event in either arm"
    if sum(events) == sum(totals):
        return "every subject had the event in both arms"
    return ""


def _ratio_row(kind, events, totals, z, haldane):
    """Log-scale Wald row for the risk ratio (Katz) or odds ratio (Woolf); arm 1 vs 0."""
    a, c = events[1] + haldane, events[0] + haldane
    n1, n0 = totals[1] + 2 * haldane, totals[0] + 2 * haldane
    if kind == "risk ratio":
        log_ratio = np.log((a / n1) / (c / n0))
        se = np.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
    else:
        b, d = n1 - a, n0 - c
        log_ratio = np.log(a * d / (b * c))
        se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return {
        "estimate": np.exp(log_ratio),
        "se": se,
        "ci_low": np.exp(log_ratio - z * se),
        "ci_high": np.exp(log_ratio + z * se),
        "p_value": 2 * scipy_stats.norm.sf(abs(log_ratio) / se),
        "scale": kind,
    }


def binary_comparison(
    data: pd.DataFrame,
    *,
    outcome: str,
    arm: str,
    reference: object | None = None,
    ci_level: float = 0.95,
    beneficial: bool = True,
    difference_ci: str = "newcombe",
) -> Result:
    """Unadjusted comparison of a binary outcome between arms.

    Parameters
    ----------
    data : DataFrame
        One row per subject (e.g. one visit of :func:`acne_outcomes.derive.responders`).
    outcome, arm : str
        Column names of the 0/1 outcome and the arm.
    reference : optional
        Reference arm; default the first arm in sorted order (``"comparator"``).
    ci_level : float, default 0.95
    beneficial : bool, default True
        Whether the outcome is good (responder, IGA success) or bad (adverse event); sets
        the sign of the NNT: positive = NNTB.
    difference_ci : {"newcombe", "miettinen_nurminen"}, default "newcombe"
        Interval of the risk difference: Newcombe's hybrid score (method 10) with the
        Pearson χ² p-value, or the Miettinen–Nurminen score interval with its score test
        (Newcombe's method 6, the usual choice for non-inferiority margins; see Notes). The
        NNT interval follows it.

    Returns
    -------
    Result
        ``estimates``: per arm the proportion (``scale="proportion"``, Wilson score CI,
        ``n`` = subjects in the arm); then per non-reference arm, contrasts
        ``"arm - reference"`` for the ``"risk difference"`` (``difference_ci``; Newcombe:
        p-value of the Pearson χ² test without continuity correction) and ``"number needed
        to treat"`` (signed, see :func:`nnt_interval`; ``method`` holds Altman's wording),
        and ``"arm / reference"`` for the ``"risk ratio"`` (Katz log CI) and ``"odds ratio"``
        (Woolf logit CI). When no subject, or every subject, of the two arms had the event,
        the ratios are not estimable: their rows keep their place with a missing estimate,
        interval and p-value, and ``method`` gives the reason. ``diagnostics`` (``method`` =
        "unadjusted binary comparison"): ``zero_cell_correction`` (True when a zero cell
        made the ratio rows add 0.5 to every cell, Haldane–Anscombe),
        ``ratios_not_estimable`` (True when a comparison's ratios are not estimable,
        ``detail`` = the reason) and one ``excluded`` row per reason (subjects with a missing
        outcome or arm).

    Notes
    -----
    With Wilson limits ``(l_i, u_i)`` for ``p_i``, Newcombe's method 10 gives for
    ``D = p_1 − p_0``: ``L = D − √((p_1 − l_1)² + (u_0 − p_0)²)``,
    ``U = D + √((u_1 − p_1)² + (p_0 − l_0)²)``. Miettinen–Nurminen: every δ with
    ``(D − δ)² ≤ χ²₁ Ṽ(δ)``, ``Ṽ(δ) = [p̃_1(1 − p̃_1)/n_1 + p̃_0(1 − p̃_0)/n_0] N/(N − 1)``
    at the maximum-likelihood proportions under ``p_1 − p_0 = δ``. Risk ratio:
    ``SE(log RR) = √(1/a − 1/n_1 + 1/c − 1/n_0)``; odds ratio:
    ``SE(log OR) = √(1/a + 1/b + 1/c + 1/d)``.

    References
    ----------
    Newcombe RG (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Stat Med 17:873–890.
    Miettinen O, Nurminen M (1985). Comparative analysis of two rates. Stat Med 4:213–226.
    Altman DG (1998). Confidence intervals for the number needed to treat. BMJ 317:1309–1312.

    Examples
    --------
    >>> data = pd.DataFrame({"arm": ["isotretinoin"] * 70 + ["comparator"] * 80,
    ...                      "responder_50": [1] * 56 + [0] * 14 + [1] * 48 + [0] * 32})
    >>> fit = binary_comparison(data, outcome="responder_50", arm="arm")
    >>> rows = fit.estimates
    >>> rows.loc[rows["scale"] == "risk difference", ["estimate", "ci_low", "ci_high"]].round(4)
       estimate  ci_low  ci_high
    2       0.2  0.0524   0.3339
    >>> fit.diagnostic("zero_cell_correction"), fit.n_excluded
    (False, 0)
    >>> no_events = pd.DataFrame({"arm": ["isotretinoin"] * 10 + ["comparator"] * 20, "y": 0})
    >>> none = binary_comparison(no_events, outcome="y", arm="arm",
    ...                          difference_ci="miettinen_nurminen")
    >>> rows = none.estimates.set_index("scale")
    >>> rows.loc["risk difference", ["ci_low", "ci_high"]].round(4).tolist()
    [-0.1658, 0.2844]
    >>> rows.loc["risk ratio", "method"], none.diagnostic("ratios_not_estimable")
    ('not estimable: no subject had the event in either arm', True)
    """
    require_columns(data, outcome=outcome, arm=arm)
    ci_level = check_ci_level(ci_level)
    check_choice("difference_ci", difference_ci, DIFFERENCE_CIS)
    frame, reasons = _binary_frame(data, outcome, [arm])
    reference, treated = resolve_arms(frame[arm], reference)
    z = scipy_stats.norm.ppf(0.5 + ci_level / 2)
    events = frame.groupby(arm, observed=True)[outcome].sum()
    totals = frame.groupby(arm, observed=True)[outcome].size()
    rows, corrected, problems = [], False, []
    for level in [reference, *treated]:
        low, high = proportion_confint(events[level], totals[level], 1 - ci_level, "wilson")
        p = events[level] / totals[level]
        rows.append(
            {
                "contrast": str(level),
                "estimate": p,
                "ci_low": low,
                "ci_high": high,
                "se": np.sqrt(p * (1 - p) / totals[level]),
                "n": totals[level],
                "scale": "proportion",
                "method": "Wilson score interval",
            }
        )
    for level in treated:
        e = (float(events[reference]), float(events[level]))
        n = (float(totals[reference]), float(totals[level]))
        difference = e[1] / n[1] - e[0] / n[0]
        table = np.array([[e[1], n[1] - e[1]], [e[0], n[0] - e[0]]])
        low, high, p_value, rd_method = _difference_interval(e, n, ci_level, difference_ci)
        both = {"n": int(sum(n)), "outcome": outcome}
        rows.append(
            {
                **both,
                "contrast": f"{level} - {reference}",
                "estimate": difference,
                "se": np.sqrt(e[1] * (n[1] - e[1]) / n[1] ** 3 + e[0] * (n[0] - e[0]) / n[0] ** 3),
                "ci_low": low,
                "ci_high": high,
                "p_value": p_value,
                "scale": "risk difference",
                "method": rd_method,
            }
        )
        sign = 1.0 if beneficial else -1.0
        oriented = sorted([sign * low, sign * high])
        nnt = nnt_interval(sign * difference, *oriented)
        rows.append(
            {
                **both,
                "contrast": f"{level} - {reference}",
                "estimate": nnt[0],
                "ci_low": nnt[1],
                "ci_high": nnt[2],
                "p_value": p_value,
                "scale": "number needed to treat",
                "method": nnt_label(*nnt).replace("95%", f"{100 * ci_level:g}%"),
            }
        )
        problem = _ratio_problem(e, n)
        if problem:
            problems.append(f"{level} / {reference}: {problem}")
        haldane = 0.5 if (table == 0).any() and not problem else 0.0
        corrected = corrected or bool(haldane)
        for kind in ("risk ratio", "odds ratio"):
            method = "Katz log interval" if kind == "risk ratio" else "Woolf logit interval"
            if problem:
                rows.append({**both, "contrast": f"{level} / {reference}", "scale": kind,
                             "method": f"not estimable: {problem}"})  # fmt: skip
                continue
            rows.append(
                {
                    **both,
                    "contrast": f"{level} / {reference}",
                    **_ratio_row(kind, e, n, z, haldane),
                    "method": method + (" (+0.5 per cell)" if haldane else ""),
                }
            )
    out = estimate_frame(
        {"outcome": outcome, "visit": pd.NA, "ci_level": ci_level, **row} for row in rows
    )
    if corrected:
        warnings.warn(
            "a zero cell: 0.5 added to every cell for the risk and odds ratios",
            RuntimeWarning,
            stacklevel=2,
        )
    diagnostics = diagnostics_frame(
        [
            {"diagnostic": "zero_cell_correction", "value": corrected},
            {"diagnostic": "ratios_not_estimable", "value": bool(problems),
             "detail": "; ".join(problems)},
            *exclusion_rows(reasons),
        ],
        outcome=outcome,
        method=_COMPARISON,
    )  # fmt: skip
    return Result(out, diagnostics)


def within_arm_proportions(
    data: pd.DataFrame, *, outcome: str, arm: str, ci_level: float = 0.95
) -> Result:
    """The proportion of subjects with a binary outcome in each arm, with its Wilson interval.

    What a single-arm study reports (no comparison: one row per arm, ``scale="proportion"``,
    ``contrast`` = the arm); the same rows :func:`binary_comparison` starts with.

    >>> data = pd.DataFrame({"arm": ["a"] * 4, "y": [1, 0, 1, 1]})
    >>> row = within_arm_proportions(data, outcome="y", arm="arm").estimates.iloc[0]
    >>> row["contrast"], float(row["estimate"]), round(float(row["ci_low"]), 3), int(row["n"])
    ('a', 0.75, 0.301, 4)
    """
    require_columns(data, outcome=outcome, arm=arm)
    ci_level = check_ci_level(ci_level)
    frame, reasons = _binary_frame(data, outcome, [arm])
    rows = []
    for level in arms_present(frame[arm]):
        values = frame.loc[frame[arm] == level, outcome]
        events, total = float(values.sum()), len(values)
        low, high = proportion_confint(events, total, 1 - ci_level, "wilson")
        p = events / total
        rows.append(
            {"outcome": outcome, "visit": pd.NA, "ci_level": ci_level, "contrast": str(level),
             "estimate": p, "ci_low": low, "ci_high": high, "se": np.sqrt(p * (1 - p) / total),
             "n": total, "scale": "proportion", "method": "Wilson score interval"}
        )  # fmt: skip
    diagnostics = diagnostics_frame(
        exclusion_rows(reasons), outcome=outcome, method="proportion within each arm"
    )
    return Result(estimate_frame(rows), diagnostics)


def _difference_interval(events, totals, ci_level, difference_ci):
    """``(ci_low, ci_high, p_value, method)`` of the risk difference arm − reference;
    ``events``/``totals`` are (reference, arm)."""
    (x0, x1), (n0, n1) = events, totals
    if difference_ci == "miettinen_nurminen":
        low, high, p_value = _miettinen_nurminen(x1, n1, x0, n0, ci_level)
        return low, high, p_value, "Miettinen-Nurminen score interval (method 6)"
    low, high = confint_proportions_2indep(
        x1, n1, x0, n0, method="newcomb", compare="diff", alpha=1 - ci_level
    )
    p_value = _pearson_p(np.array([[x1, n1 - x1], [x0, n0 - x0]]))
    return float(low), float(high), p_value, "Newcombe hybrid score (method 10)"


def _pearson_p(table):
    if (table.sum(axis=0) == 0).any():
        return np.nan
    return float(scipy_stats.chi2_contingency(table, correction=False)[1])


def logistic_model(
    data: pd.DataFrame,
    *,
    outcome: str,
    arm: str,
    baseline: str | list[str] | None = None,
    covariates: Sequence[str] = (),
    reference: object | None = None,
    ci_level: float = 0.95,
) -> Result:
    """Odds ratio between arms from a logistic regression adjusted for covariates.

    Parameters
    ----------
    data : DataFrame
        One row per subject.
    outcome, arm : str
        Column names of the 0/1 outcome and the arm.
    baseline : str or list of str, optional
        Numeric baseline covariate column(s) (e.g. baseline IGA, baseline lesion count).
    covariates : sequence of str, default ()
        Further adjustment covariates: numeric columns enter linearly, any other column
        (text, categorical, boolean) as treatment-coded dummies
        (:func:`acne_outcomes.stats.ancova.covariate_design`), e.g. race or site.
    reference, ci_level
        As in :func:`binary_comparison`.

    Returns
    -------
    Result
        ``estimates``: one row per non-reference arm, ``estimate`` = adjusted odds ratio
        arm / reference (> 1: higher odds of the outcome on the arm), ``se`` = SE of the log
        odds ratio (model-based), Wald CI and p-value, ``n`` = subjects analysed.
        ``diagnostics``: ``converged`` (IRLS converged without separation), ``separation``
        (quasi-complete separation suspected) and one ``excluded`` row per reason.

    Notes
    -----
    ``logit P(Y = 1) = β₀ + Σ_a τ_a 1[arm = a] + γᵀ x`` by maximum likelihood
    (statsmodels GLM, binomial, IRLS); the odds ratio is ``exp(τ_a)``, R's
    ``glm(y ~ arm + x, family = binomial)``.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> data = pd.DataFrame({"arm": np.repeat(["comparator", "isotretinoin"], 100),
    ...                      "baseline_iga": rng.integers(2, 5, 200)})
    >>> data["success"] = rng.random(200) < np.where(data["arm"] == "isotretinoin", .6, .3)
    >>> fit = logistic_model(data, outcome="success", arm="arm", baseline="baseline_iga")
    >>> fit.estimates[["contrast", "scale"]].values.tolist()
    [['isotretinoin / comparator', 'odds ratio']]
    >>> fit.diagnostic("converged"), fit.diagnostic("separation")
    (True, False)
    >>> data["site"] = np.tile(["A", "B", "C", "D"], 50)
    >>> logistic_model(data, outcome="success", arm="arm", baseline="baseline_iga",
    ...                covariates=["site"]).estimates["method"].iloc[0]
    'logistic regression (ML, Wald) adjusted for IGA at baseline, site'
    """
    baselines = [baseline] if isinstance(baseline, str) else list(baseline or [])
    covariates = [*baselines, *covariates]
    require_columns(data, outcome=outcome, arm=arm,
                    **{f"baseline[{i}]": name for i, name in enumerate(baselines)},
                    **{f"covariates[{i}]": name
                       for i, name in enumerate(covariates[len(baselines):])})  # fmt: skip
    ci_level = check_ci_level(ci_level)
    frame, reasons = _binary_frame(data, outcome, [arm, *covariates])
    reference, treated = resolve_arms(frame[arm], reference)
    design, _ = covariate_design(frame, covariates, centre=False)
    exog = np.column_stack(
        [np.ones(len(frame))]
        + [(frame[arm] == level).to_numpy(float) for level in treated]
        + [design]
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = sm.GLM(frame[outcome].to_numpy(float), exog, family=sm.families.Binomial()).fit()
    separation = any(issubclass(w.category, PerfectSeparationWarning) for w in caught)
    converged = bool(fit.converged) and not separation
    if not converged:
        warnings.warn(
            "logistic regression did not converge or shows separation; the odds "
            "ratio is unreliable",
            ConvergenceWarning,
            stacklevel=2,
        )
    z = scipy_stats.norm.ppf(0.5 + ci_level / 2)
    method = "logistic regression (ML, Wald)" + (
        f" adjusted for {column_words(covariates)}" if covariates else ""
    )
    rows = []
    for index, level in enumerate(treated, start=1):
        log_or, se = float(fit.params[index]), float(fit.bse[index])
        with np.errstate(over="ignore"):
            interval = np.exp([log_or - z * se, log_or + z * se])
        rows.append(
            {
                "outcome": outcome,
                "contrast": f"{level} / {reference}",
                "visit": pd.NA,
                "estimate": np.exp(log_or),
                "se": se,
                "ci_low": interval[0],
                "ci_high": interval[1],
                "ci_level": ci_level,
                "p_value": 2 * scipy_stats.norm.sf(abs(log_or) / se),
                "n": len(frame),
                "method": method,
                "scale": "odds ratio",
            }
        )
    diagnostics = diagnostics_frame(
        [
            {"diagnostic": "converged", "value": converged},
            {"diagnostic": "separation", "value": separation},
            *exclusion_rows(reasons),
        ],
        outcome=outcome,
        method=method,
    )
    return Result(estimate_frame(rows), diagnostics)


def cmh_odds_ratio(
    data: pd.DataFrame,
    *,
    outcome: str,
    arm: str,
    stratum: str,
    reference: object | None = None,
    ci_level: float = 0.95,
) -> Result:
    """Mantel–Haenszel common odds ratio across strata and the Cochran–Mantel–Haenszel test.

    Parameters
    ----------
    data : DataFrame
        One row per subject.
    outcome, arm, stratum : str
        Column names of the 0/1 outcome, the arm (exactly two arms) and the stratum (site).
    reference, ci_level
        As in :func:`binary_comparison`.

    Returns
    -------
    Result
        ``estimates``: one row, ``estimate`` = Mantel–Haenszel odds ratio arm / reference,
        ``se`` = Robins–Breslow–Greenland SE of its log, CI on the log scale, ``p_value`` =
        CMH test without continuity correction (R ``mantelhaen.test(correct = FALSE)``),
        ``n`` = subjects in informative strata. ``diagnostics``: ``breslow_day_p_value``
        (test of homogeneous odds ratios; NaN at the boundary), ``boundary`` (odds ratio 0
        or infinite: warned, interval missing), ``n_strata`` (informative strata),
        ``n_strata_dropped`` (strata without both arms or both outcomes carry no
        information and are dropped) and one ``excluded`` row per reason.

    Notes
    -----
    ``OR_MH = Σ_k a_k d_k / n_k ÷ Σ_k b_k c_k / n_k`` (statsmodels ``StratifiedTable``).

    References
    ----------
    Robins J, Breslow N, Greenland S (1986). Biometrics 42:311–323.

    Examples
    --------
    >>> data = pd.DataFrame({"site": ["A"] * 40 + ["B"] * 40,
    ...     "arm": (["isotretinoin"] * 20 + ["comparator"] * 20) * 2,
    ...     "success": [1] * 14 + [0] * 6 + [1] * 8 + [0] * 12 + [1] * 10 + [0] * 10
    ...                + [1] * 5 + [0] * 15})
    >>> fit = cmh_odds_ratio(data, outcome="success", arm="arm", stratum="site")
    >>> round(float(fit.estimates["estimate"].iloc[0]), 2), fit.diagnostic("n_strata")
    (3.24, 2)
    """
    require_columns(data, outcome=outcome, arm=arm, stratum=stratum)
    ci_level = check_ci_level(ci_level)
    frame, reasons = _binary_frame(data, outcome, [arm, stratum])
    reference, treated = resolve_arms(frame[arm], reference)
    if len(treated) != 1:
        raise ValueError(f"cmh_odds_ratio compares two arms; present: {[reference, *treated]}")
    tables, dropped, n = [], 0, 0
    for _, group in frame.groupby(stratum, observed=True, sort=True):
        table = np.array(
            [
                [((group[arm] == level) & (group[outcome] == value)).sum() for value in (1, 0)]
                for level in (treated[0], reference)
            ],
            dtype=float,
        )
        if (table.sum(axis=1) == 0).any() or (table.sum(axis=0) == 0).any():
            dropped += 1
            continue
        tables.append(table)
        n += int(table.sum())
    if not tables:
        raise ValueError("no stratum has both arms and both outcomes")
    stratified = StratifiedTable(tables)
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = float(stratified.oddsratio_pooled)
        boundary = not 0 < estimate < np.inf
        if boundary:
            warnings.warn(
                "Mantel-Haenszel odds ratio is 0 or infinite (no discordant cells in one "
                "direction); interval and Breslow-Day test not computed",
                RuntimeWarning,
                stacklevel=2,
            )
            low = high = se = breslow_day = np.nan
        else:
            low, high = stratified.oddsratio_pooled_confint(alpha=1 - ci_level)
            se = stratified.logodds_pooled_se
            breslow_day = float(stratified.test_equal_odds().pvalue)
        p_value = stratified.test_null_odds(correction=False).pvalue
    method = f"Mantel-Haenszel over {stratum} (RBG SE; CMH test)"
    row = {
        "outcome": outcome,
        "contrast": f"{treated[0]} / {reference}",
        "visit": pd.NA,
        "estimate": estimate,
        "se": se,
        "ci_low": low,
        "ci_high": high,
        "ci_level": ci_level,
        "p_value": p_value,
        "n": n,
        "method": method,
        "scale": "odds ratio",
    }
    diagnostics = diagnostics_frame(
        [
            {"diagnostic": "breslow_day_p_value", "value": breslow_day},
            {"diagnostic": "boundary", "value": boundary},
            {"diagnostic": "n_strata", "value": len(tables)},
            {"diagnostic": "n_strata_dropped", "value": dropped},
            *exclusion_rows(reasons),
        ],
        outcome=outcome,
        method=method,
    )
    return Result(estimate_frame([row]), diagnostics)
