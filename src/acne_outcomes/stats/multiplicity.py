"""Multiplicity (Holm, Hochberg, Benjamini–Hochberg, fixed-sequence) and Hedges' g.

* :func:`adjust_p_values` — adjusted p-values for a family of tests (as R ``p.adjust``); an
  array in, an array out (the arithmetic the others build on).
* :func:`adjust_estimates` — the same applied to the ``p_value`` column of a result.
* :func:`fixed_sequence` — hierarchical testing of endpoints in a pre-specified order.
* :func:`hedges_g` — standardised mean difference with small-sample correction and an exact
  (noncentral t) confidence interval.

The last three return a :class:`~acne_outcomes.stats.tidy.Result`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, special
from scipy import stats as scipy_stats

from acne_outcomes.checks import check_choice, check_ci_level, require_columns, resolve_arms
from acne_outcomes.stats.tidy import (
    Result,
    complete_rows,
    diagnostics_frame,
    estimate_frame,
    exclusion_rows,
)

METHODS = ("holm", "hochberg", "bh", "bonferroni")
_LABELS = {
    "holm": "Holm",
    "hochberg": "Hochberg",
    "bh": "Benjamini-Hochberg",
    "bonferroni": "Bonferroni",
}
_HEDGES = "Hedges' g (exact J, noncentral t CI)"


def adjust_p_values(p_values: Sequence[float], *, method: str = "holm") -> np.ndarray:
    """Multiplicity-adjusted p-values, in the input order.

    Parameters
    ----------
    p_values : sequence of float
        Raw p-values in [0, 1]; missing values stay missing and do not count in the family.
    method : {"holm", "hochberg", "bh", "bonferroni"}, default "holm"
        Holm step-down and Bonferroni control the family-wise error rate under any
        dependence; Hochberg step-up controls it under independence or positive dependence;
        Benjamini–Hochberg controls the false discovery rate.

    Returns
    -------
    ndarray
        Adjusted p-values (reject at level α when ≤ α), capped at 1.

    Notes
    -----
    With ``p_(1) ≤ … ≤ p_(m)``: Holm ``max_{j≤i} (m − j + 1) p_(j)``; Hochberg
    ``min_{j≥i} (m − j + 1) p_(j)``; BH ``min_{j≥i} m p_(j) / j``; Bonferroni ``m p_i``.

    References
    ----------
    Holm S (1979). Scand J Stat 6:65–70. Hochberg Y (1988). Biometrika 75:800–802.
    Benjamini Y, Hochberg Y (1995). JRSS B 57:289–300.

    Examples
    --------
    >>> adjust_p_values([0.01, 0.04, 0.03, 0.005], method="holm").round(3).tolist()
    [0.03, 0.06, 0.06, 0.02]
    >>> adjust_p_values([0.01, 0.04, 0.03, 0.005], method="bh").round(3).tolist()
    [0.02, 0.04, 0.04, 0.02]
    """
    check_choice("method", method, METHODS)
    p = np.asarray(p_values, dtype=float)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    observed = ~np.isnan(p)
    values = p[observed]
    m = len(values)
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    rank = np.arange(1, m + 1)
    if method == "bonferroni":
        adjusted_sorted = ranked * m
    elif method == "holm":
        adjusted_sorted = np.maximum.accumulate((m - rank + 1) * ranked)
    elif method == "hochberg":
        adjusted_sorted = np.minimum.accumulate(((m - rank + 1) * ranked)[::-1])[::-1]
    else:
        adjusted_sorted = np.minimum.accumulate((m * ranked / rank)[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(adjusted_sorted, 1.0)
    out = np.full(p.shape, np.nan)
    out[observed] = adjusted
    return out


def adjust_estimates(result: Result | pd.DataFrame, *, method: str = "holm") -> Result:
    """A result with the ``p_value`` column of its estimates adjusted as one family.

    Parameters
    ----------
    result : Result or DataFrame
        A result (e.g. several joined by :func:`~acne_outcomes.stats.tidy.concat_results`),
        or a bare tidy estimate frame.
    method : {"holm", "hochberg", "bh", "bonferroni"}, default "holm"
        As in :func:`adjust_p_values`.

    Returns
    -------
    Result
        ``estimates``: the input's, with adjusted p-values; rows without a p-value (e.g.
        per-arm means, cut-points) are left alone and not counted, and ``method`` of the
        others gains a suffix such as ``"; Holm-adjusted over 3 tests"``. ``diagnostics``:
        the input's (none for a frame), then ``multiplicity_method`` (the adjustment, e.g.
        ``"Holm"``) and ``n_tests`` (the size of the family).

    Examples
    --------
    >>> frame = estimate_frame([{"outcome": name, "p_value": p, "method": "t-test"}
    ...                         for name, p in [("a", 0.01), ("b", 0.04), ("c", 0.03)]])
    >>> adjusted = adjust_estimates(frame, method="holm")
    >>> adjusted.estimates["p_value"].round(2).tolist(), adjusted.diagnostic("n_tests")
    ([0.03, 0.06, 0.06], 3)
    """
    if isinstance(result, Result):
        frame, diagnostics = result.estimates, result.diagnostics
    else:
        frame, diagnostics = result, diagnostics_frame()
    require_columns(frame, p_value="p_value", method="method")
    adjusted = adjust_p_values(frame["p_value"].to_numpy(float), method=method)
    out = frame.copy()
    tested = ~np.isnan(adjusted)
    out["p_value"] = adjusted
    suffix = f"; {_LABELS[method]}-adjusted over {int(tested.sum())} tests"
    out.loc[tested, "method"] = out.loc[tested, "method"].fillna("") + suffix
    added = diagnostics_frame(
        [
            {"diagnostic": "multiplicity_method", "value": _LABELS[method]},
            {"diagnostic": "n_tests", "value": int(tested.sum())},
        ],
        method=f"{_LABELS[method]} adjustment",
    )
    return Result(out, pd.concat([diagnostics, added], ignore_index=True))


def fixed_sequence(
    p_values: Mapping[str, float], *, order: Sequence[str], alpha: float = 0.05
) -> Result:
    """Fixed-sequence (hierarchical) testing of endpoints in a pre-specified order.

    Each endpoint is tested at the full level ``alpha`` only if every endpoint before it
    was rejected; testing stops at the first non-significant endpoint.

    Parameters
    ----------
    p_values : mapping
        Endpoint name → raw p-value.
    order : sequence of str
        The pre-specified order; every name must be a key of ``p_values``. Endpoints not
        listed are not part of the sequence (not tested).
    alpha : float, default 0.05

    Returns
    -------
    Result
        ``estimates``: the decision table, one row per endpoint in ``order``: ``endpoint``,
        ``position`` (1 = first), ``p_value``, ``adjusted_p_value`` (``max`` of the raw
        p-values up to and including it), ``tested`` (reached in the sequence) and
        ``rejected``. ``diagnostics``: ``alpha`` (the level), ``n_tested`` and
        ``n_rejected``.

    Notes
    -----
    Controls the family-wise error rate at ``alpha`` in the strong sense without any
    adjustment, because each hypothesis is tested only after all earlier ones are rejected
    (Maurer, Hothorn & Lehmacher 1995).

    Examples
    --------
    >>> result = fixed_sequence({"iga_success": 0.001, "lesions": 0.03, "scar": 0.2,
    ...                          "pih": 0.01}, order=["iga_success", "lesions", "scar", "pih"])
    >>> result.estimates[["endpoint", "tested", "rejected"]].values.tolist()
    [['iga_success', True, True], ['lesions', True, True], ['scar', True, False], ['pih', False, False]]
    >>> result.diagnostic("n_rejected")
    2
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in the open interval (0, 1); got {alpha!r}")
    unknown = [name for name in order if name not in p_values]
    if unknown:
        raise ValueError(f"order names unknown endpoint(s) {unknown}; allowed: {list(p_values)}")
    if len(set(order)) != len(order):
        raise ValueError("order lists an endpoint twice")
    raw = np.array([p_values[name] for name in order], dtype=float)
    adjusted = np.maximum.accumulate(np.nan_to_num(raw, nan=1.0))
    rejected = adjusted <= alpha
    previous_rejected = np.concatenate([[True], rejected[:-1]])
    table = pd.DataFrame(
        {
            "endpoint": pd.array(list(order), dtype="string"),
            "position": np.arange(1, len(raw) + 1),
            "p_value": raw,
            "adjusted_p_value": adjusted,
            "tested": previous_rejected,
            "rejected": rejected,
        }
    )
    diagnostics = diagnostics_frame(
        [
            {"diagnostic": "alpha", "value": float(alpha)},
            {"diagnostic": "n_tested", "value": int(previous_rejected.sum())},
            {"diagnostic": "n_rejected", "value": int(rejected.sum())},
        ],
        method="fixed-sequence testing",
    )
    return Result(table, diagnostics)


def _correction(df: float) -> float:
    """Exact small-sample factor J(df) = Γ(df/2) / (√(df/2) Γ((df − 1)/2))."""
    return float(np.exp(special.gammaln(df / 2) - special.gammaln((df - 1) / 2)) / np.sqrt(df / 2))


def _noncentrality_interval(t_observed: float, df: float, ci_level: float) -> tuple[float, float]:
    """Noncentrality parameters putting ``t_observed`` at the upper and lower tail quantiles.

    The bracket grows from ``t_observed`` outwards until the sign changes, which keeps the
    search away from the far tails where scipy's noncentral t cdf can return NaN.
    """
    tail = (1 - ci_level) / 2
    step = np.sqrt(1 + t_observed**2 / (2 * df))

    def solve(target, direction):
        def gap(ncp):
            return scipy_stats.nct.cdf(t_observed, df, ncp) - target

        near, far = t_observed, t_observed + direction * step
        while gap(far) * gap(near) > 0:
            near, far = far, far + direction * step
        return optimize.brentq(gap, min(near, far), max(near, far), xtol=1e-12)

    return solve(1 - tail, -1.0), solve(tail, 1.0)


def hedges_g(
    data: pd.DataFrame,
    *,
    outcome: str,
    arm: str,
    reference: object | None = None,
    ci_level: float = 0.95,
) -> Result:
    """Hedges' g: standardised mean difference (arm − reference) with a bias correction.

    Parameters
    ----------
    data : DataFrame
        One row per subject (e.g. one visit of a change-from-baseline frame).
    outcome, arm : str
        Column names of the numeric outcome and the arm.
    reference : optional
        Reference arm; default the first arm in sorted order (``"comparator"``).
    ci_level : float, default 0.95

    Returns
    -------
    Result
        ``estimates``: one row per non-reference arm, ``estimate`` = g (negative: lower
        outcome on the arm), ``se`` = large-sample SE (Hedges & Olkin), ``ci_low`` /
        ``ci_high`` = exact interval from the noncentral t distribution, ``p_value`` =
        pooled two-sample t-test, ``n`` = subjects in both arms, ``scale="hedges g"``.
        ``diagnostics``: one ``excluded`` row per reason (subjects with a missing outcome
        or arm).

    Notes
    -----
    ``d = (ȳ_1 − ȳ_0) / s_p``, ``s_p² = ((n_1 − 1)s_1² + (n_0 − 1)s_0²)/(n_1 + n_0 − 2)``,
    ``g = J(ν) d`` with ``ν = n_1 + n_0 − 2`` and the exact ``J(ν) = Γ(ν/2) / (√(ν/2)
    Γ((ν − 1)/2)) ≈ 1 − 3/(4ν − 1)``. ``SE(g) = J √(1/n_1 + 1/n_0 + d²/(2(n_1 + n_0)))``.
    CI: the noncentrality parameters λ whose noncentral t(ν, λ) puts ``t = d/√(1/n_1 +
    1/n_0)`` at the (1 ± level)/2 quantiles, times ``J √(1/n_1 + 1/n_0)`` (as R
    ``effectsize::hedges_g``).

    References
    ----------
    Hedges LV, Olkin I (1985). Statistical Methods for Meta-Analysis. Academic Press.
    Steiger JH, Fouladi RT (1997). Noncentrality interval estimation. In: What If There Were
    No Significance Tests? Erlbaum.

    Examples
    --------
    >>> data = pd.DataFrame({"arm": ["isotretinoin"] * 5 + ["comparator"] * 5,
    ...                      "change": [-12, -15, -9, -14, -10, -6, -3, -8, -5, -7]})
    >>> fit = hedges_g(data, outcome="change", arm="arm")
    >>> round(float(fit.estimates["estimate"].iloc[0]), 3), fit.n_excluded
    (-2.478, 0)
    """
    require_columns(data, outcome=outcome, arm=arm)
    ci_level = check_ci_level(ci_level)
    frame, reasons = complete_rows(data[[outcome, arm]], [outcome, arm])
    reference, treated = resolve_arms(frame[arm], reference)
    base = frame.loc[frame[arm] == reference, outcome].to_numpy(float)
    rows = []
    for level in treated:
        values = frame.loc[frame[arm] == level, outcome].to_numpy(float)
        n1, n0 = len(values), len(base)
        if min(n1, n0) < 2:
            raise ValueError("hedges_g needs at least two subjects per arm")
        df = n1 + n0 - 2
        pooled = np.sqrt(((n1 - 1) * values.var(ddof=1) + (n0 - 1) * base.var(ddof=1)) / df)
        d = (values.mean() - base.mean()) / pooled
        scale = np.sqrt(1 / n1 + 1 / n0)
        correction = _correction(df)
        low, high = _noncentrality_interval(d / scale, df, ci_level)
        rows.append(
            {
                "outcome": outcome,
                "contrast": f"{level} - {reference}",
                "visit": pd.NA,
                "estimate": correction * d,
                "se": correction * np.sqrt(scale**2 + d**2 / (2 * (n1 + n0))),
                "ci_low": correction * low * scale,
                "ci_high": correction * high * scale,
                "ci_level": ci_level,
                "p_value": 2 * scipy_stats.t.sf(abs(d / scale), df),
                "n": n1 + n0,
                "method": _HEDGES,
                "scale": "hedges g",
            }
        )
    diagnostics = diagnostics_frame(exclusion_rows(reasons), outcome=outcome, method=_HEDGES)
    return Result(estimate_frame(rows), diagnostics)
