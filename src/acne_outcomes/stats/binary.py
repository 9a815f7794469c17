"""Binary outcomes (responders, IGA success, adverse events): risks, differences, ratios, NNT.

* :func:`binary_comparison` — per-arm proportions, risk difference (Newcombe hybrid score CI),
  risk ratio, odds ratio and number needed to treat (Altman 1998), unadjusted.
* :func:`logistic_model` — odds ratio adjusted for baseline covariates (logistic regression).
* :func:`cmh_odds_ratio` — Mantel–Haenszel odds ratio across strata (sites) with the
  Cochran–Mantel–Haenszel test.

The outcome column holds booleans or 0/1. Each returns a :class:`~acne_outcomes.stats.tidy.Result`;
rows with a missing value are dropped and counted as ``excluded`` diagnostics
(``"<column> missing"``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as scipy_stats
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from acne_outcomes.checks import check_ci_level, require_columns, resolve_arms
from acne_outcomes.stats.tidy import (
    Result,
    complete_rows,
    diagnostics_frame,
    estimate_frame,
    exclusion_rows,
)

_COMPARISON = "unadjusted binary comparison"


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

    Returns
    -------
    Result
        ``estimates``: per arm the proportion (``scale="proportion"``, Wilson score CI,
        ``n`` = subjects in the arm); then per non-reference arm, contrasts
        ``"arm - reference"`` for the ``"risk difference"`` (Newcombe hybrid score CI,
        p-value of the Pearson χ² test without continuity correction) and ``"number needed
        to treat"`` (signed, see :func:`nnt_interval`; ``method`` holds Altman's wording),
        and ``"arm / reference"`` for the ``"risk ratio"`` (Katz log CI) and ``"odds ratio"``
        (Woolf logit CI). ``diagnostics`` (``method`` = "unadjusted binary comparison"):
        ``zero_cell_correction`` (True when a zero cell made the ratio rows add 0.5 to
        every cell, Haldane–Anscombe) and one ``excluded`` row per reason (subjects with a
        missing outcome or arm).

    Notes
    -----
    With Wilson limits ``(l_i, u_i)`` for ``p_i``, Newcombe's method 10 gives for
    ``D = p_1 − p_0``: ``L = D − √((p_1 − l_1)² + (u_0 − p_0)²)``,
    ``U = D + √((u_1 − p_1)² + (p_0 − l_0)²)``. Risk ratio:
    ``SE(log RR) = √(1/a − 1/n_1 + 1/c − 1/n_0)``; odds ratio:
    ``SE(log OR) = √(1/a + 1/b + 1/c + 1/d)``.

    References
    ----------
    Newcombe RG (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Stat Med 17:873–890.
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
    """
    require_columns(data, outcome=outcome, arm=arm)
    ci_level = check_ci_level(ci_level)
    frame, reasons = _binary_frame(data, outcome, [arm])
    reference, treated = resolve_arms(frame[arm], reference)
    z = scipy_stats.norm.ppf(0.5 + ci_level / 2)
    events = frame.groupby(arm, observed=True)[outcome].sum()
    totals = frame.groupby(arm, observed=True)[outcome].size()
    rows, corrected = [], False
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
        low, high = confint_proportions_2indep(
            e[1], n[1], e[0], n[0], method="newcomb", compare="diff", alpha=1 - ci_level
        )
        table = np.array([[e[1], n[1] - e[1]], [e[0], n[0] - e[0]]])
        p_value = _pearson_p(table)
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
                "method": "Newcombe hybrid score (method 10)",
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
        haldane = 0.5 if (table == 0).any() else 0.0
        corrected = corrected or bool(haldane)
        for kind in ("risk ratio", "odds ratio"):
            method = "Katz log interval" if kind == "risk ratio" else "Woolf logit interval"
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
        [{"diagnostic": "zero_cell_correction", "value": corrected}, *exclusion_rows(reasons)],
        outcome=outcome,
        method=_COMPARISON,
    )
    return Result(out, diagnostics)


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
    reference: object | None = None,
    ci_level: float = 0.95,
) -> Result:
    """Odds ratio between arms from a logistic regression adjusted for baseline covariates.

    Parameters
    ----------
    data : DataFrame
        One row per subject.
    outcome, arm : str
        Column names of the 0/1 outcome and the arm.
    baseline : str or list of str, optional
        Numeric baseline covariate column(s) (e.g. baseline IGA, baseline lesion count).
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
    ``logit P(Y = 1) = β₀ + Σ_a τ_a 1[arm = a] + γᵀ x_baseline`` by maximum likelihood
    (statsmodels GLM, binomial, IRLS); the odds ratio is ``exp(τ_a)``.

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
    """
    covariates = [baseline] if isinstance(baseline, str) else list(baseline or [])
    require_columns(data, outcome=outcome, arm=arm)
    for name in covariates:
        require_columns(data, baseline=name)
    ci_level = check_ci_level(ci_level)
    frame, reasons = _binary_frame(data, outcome, [arm, *covariates])
    reference, treated = resolve_arms(frame[arm], reference)
    exog = np.column_stack(
        [np.ones(len(frame))]
        + [(frame[arm] == level).to_numpy(float) for level in treated]
        + [frame[name].to_numpy(float) for name in covariates]
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
        f" adjusted for {', '.join(covariates)}" if covariates else ""
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
