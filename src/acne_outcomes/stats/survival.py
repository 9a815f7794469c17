"""Time to clearance and time to relapse: Kaplan–Meier, log-rank and Cox regression.

All three use ``statsmodels.duration`` (``SurvfuncRight``, ``survdiff``, ``PHReg``) on one
row per subject with a time and an event indicator, e.g. the ``data`` of
:func:`acne_outcomes.derive.time_to_clearance` merged with the arm. :func:`at_risk` counts
the numbers at risk under a Kaplan–Meier plot from the data, and :func:`time_to_event_summary`
gathers what a time-to-event result reports (events and median per arm, hazard ratio,
log-rank). Each returns a :class:`~acne_outcomes.stats.tidy.Result`; rows with a missing value
are dropped and counted as ``excluded`` diagnostics (``"<column> missing"``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import SurvfuncRight, survdiff
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from acne_outcomes.checks import (
    NotEstimable,
    arms_present,
    check_choice,
    check_ci_level,
    require_columns,
    resolve_arms,
)
from acne_outcomes.stats.ancova import covariate_design
from acne_outcomes.stats.tidy import (
    ESTIMATE_COLUMNS,
    Result,
    column_words,
    complete_rows,
    diagnostics_frame,
    estimate_frame,
    exclusion_rows,
)

CONF_TYPES = ("log", "log-log", "plain")
TIES = ("efron", "breslow")
_MONOTONE_LOG_HR = 10.0
_QUANTILE_TOLERANCE = float(np.sqrt(np.finfo(float).eps))  # R survival's quantile tolerance


def _survival_frame(data, columns, time, event):
    frame, reasons = complete_rows(data[columns], columns)
    if (frame[time] < 0).any():
        raise ValueError(f"time={time!r} must be non-negative")
    status = frame[event].astype("float64")
    if not status.isin([0.0, 1.0]).all():
        raise ValueError(f"event={event!r} must be boolean or 0/1 (1 = event, 0 = censored)")
    return frame.assign(**{event: status.to_numpy()}), reasons


def _km_interval(surv, se, z, conf_type):
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "plain":
            low, high = surv - z * se, surv + z * se
        elif conf_type == "log":
            width = z * se / surv
            low, high = surv * np.exp(-width), surv * np.exp(width)
        else:
            width = z * se / (surv * np.abs(np.log(surv)))
            low, high = surv ** np.exp(width), surv ** np.exp(-width)
    return np.clip(low, 0, 1), np.clip(high, 0, 1)


def _quantile(times, distribution, p, last_time, tol=_QUANTILE_TOLERANCE):
    """R ``survival``'s quantile rule (``findq``) on a step function ``F = 1 − S``.

    ``times`` are the event times and ``distribution`` the values of ``F`` there (a band's,
    for an interval limit; NaN where undefined). The quantile is the first time ``F ≥ p``;
    where ``F`` equals ``p`` (within ``tol``) on a flat stretch, the midpoint of that
    stretch: ``(t_k + t_{k+1}) / 2``, or ``(t_k + last_time) / 2`` when the curve ends
    there. NaN when ``F`` never reaches ``p``.
    """
    x = np.concatenate([[0.0], np.asarray(times, dtype=float)])
    y = np.concatenate([[0.0], np.asarray(distribution, dtype=float)])
    if not np.nanmax(y) >= p:
        return np.nan
    first = ~pd.Series(y).duplicated().to_numpy()  # the first time of each value of F
    x, y = x[first], y[first]
    x, y = x[~np.isnan(y)], y[~np.isnan(y)]

    def reached(shifted):
        """Index of the first ``shifted ≥ p`` (R: ``approx(..., "constant", f = 1)``)."""
        return int(np.argmax(shifted >= p)) if shifted[0] <= p <= shifted[-1] else None

    lower, upper = reached(y + tol), reached(y - tol)
    if lower is not None and abs(p - y[-1]) < tol:
        return (x[lower] + last_time) / 2
    if lower is None or upper is None:
        return np.nan
    return (x[lower] + x[upper]) / 2


def _require_events(frame: pd.DataFrame, event: str) -> None:
    if not frame[event].to_numpy(bool).any():
        raise NotEstimable(
            f"none of the {len(frame)} subjects had the event: the curve stays at 1 "
            "and no time to the event can be estimated"
        )


def kaplan_meier(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    arm: str | None = None,
    ci_level: float = 0.95,
    conf_type: str = "log",
) -> Result:
    """Kaplan–Meier survival (still uncleared / relapse-free) by arm, at every event time.

    Parameters
    ----------
    data : DataFrame
        One row per subject.
    time, event : str
        Columns of the follow-up time and the event indicator (1/True = event, 0 = censored).
    arm : str, optional
        Arm column; without it one curve for all subjects (``contrast="all"``).
    ci_level : float, default 0.95
    conf_type : {"log", "log-log", "plain"}, default "log"
        Pointwise interval transform, named as in R ``survfit`` (whose default is "log").

    Returns
    -------
    Result
        ``estimates``: one row per arm and distinct event time (``visit`` = the time):
        ``estimate`` = S(t), the probability of no event by t; ``se`` = Greenwood SE of S(t);
        ``ci_low``/``ci_high`` = pointwise interval; ``n`` = number at risk just before t;
        ``scale="survival probability"``. Then one row per arm with ``scale="median time"``
        (``visit`` missing; the interval inverts the ``conf_type`` band, as R's ``survfit``
        does; a limit is missing when the band does not reach 0.5, the median when the curve
        does not). ``diagnostics``: ``n_events`` (events over all arms) and one ``excluded``
        row per reason.

    Notes
    -----
    ``S(t) = Π_{t_i ≤ t} (1 − d_i / n_i)``, Greenwood ``Var S = S² Σ d_i / (n_i (n_i − d_i))``.
    "log": ``S exp(± z SE/S)``; "log-log": ``S^{exp(± z SE / (S log S))}``. The median is
    R's: the first time with ``S(t) ≤ 0.5``, except that when ``S`` sits exactly at 0.5
    (within ``√ε``) on a stretch, the midpoint of the stretch; its lower (upper) limit is the
    same rule applied to the lower (upper) band (Brookmeyer & Crowley 1982).

    References
    ----------
    Kaplan EL, Meier P (1958). JASA 53:457–481.
    Brookmeyer R, Crowley J (1982). A confidence interval for the median survival time.
    Biometrics 38:29–41.

    Examples
    --------
    >>> data = pd.DataFrame({"day": [30, 60, 60, 90, 120, 150], "cleared": [1, 1, 0, 1, 0, 1],
    ...                      "arm": ["isotretinoin"] * 6})
    >>> curve = kaplan_meier(data, time="day", event="cleared", arm="arm")
    >>> rows = curve.estimates
    >>> rows.loc[rows["scale"] == "survival probability", "estimate"].round(3).tolist()
    [0.833, 0.667, 0.444, 0.0]
    >>> curve.diagnostic("n_events"), curve.n_excluded
    (4, 0)
    >>> rows.loc[rows["scale"] == "median time", ["estimate", "ci_low"]].values.tolist()
    [[90.0, 60.0]]
    """
    require_columns(data, time=time, event=event, arm=arm)
    ci_level = check_ci_level(ci_level)
    check_choice("conf_type", conf_type, CONF_TYPES)
    frame, reasons = _survival_frame(data, [time, event] + ([arm] if arm else []), time, event)
    _require_events(frame, event)
    z = scipy_stats.norm.ppf(0.5 + ci_level / 2)
    groups = [("all", frame)] if arm is None else list(frame.groupby(arm, observed=True))
    rows, medians = [], []
    for label, group in groups:
        curve = SurvfuncRight(group[time].to_numpy(float), group[event].to_numpy(float))
        low, high = _km_interval(curve.surv_prob, curve.surv_prob_se, z, conf_type)
        for index, t in enumerate(curve.surv_times):
            rows.append(
                {
                    "contrast": str(label),
                    "visit": t,
                    "estimate": curve.surv_prob[index],
                    "se": curve.surv_prob_se[index],
                    "ci_low": low[index],
                    "ci_high": high[index],
                    "n": int(curve.n_risk[index]),
                    "method": f"Kaplan-Meier (Greenwood SE, {conf_type} CI)",
                    "scale": "survival probability",
                }
            )
        last = float(group[time].max())
        median, median_low, median_high = (
            _quantile(curve.surv_times, 1 - values, 0.5, last)
            for values in (curve.surv_prob, low, high)
        )
        medians.append(
            {
                "contrast": str(label),
                "visit": pd.NA,
                "estimate": median,
                "ci_low": median_low,
                "ci_high": median_high,
                "n": len(group),
                "method": f"Kaplan-Meier median ({conf_type} CI)",
                "scale": "median time",
            }
        )
    out = estimate_frame({"outcome": event, "ci_level": ci_level, **row} for row in rows + medians)
    diagnostics = diagnostics_frame(
        [{"diagnostic": "n_events", "value": int(frame[event].sum())}, *exclusion_rows(reasons)],
        outcome=event,
        method=f"Kaplan-Meier (Greenwood SE, {conf_type} CI)",
    )
    return Result(out, diagnostics)


def log_rank(
    data: pd.DataFrame, *, time: str, event: str, arm: str, strata: str | None = None
) -> Result:
    """Log-rank test of equal survival across arms (optionally stratified).

    Returns
    -------
    Result
        ``estimates``: one row, ``estimate`` = the log-rank χ² statistic (``arm`` levels − 1
        degrees of freedom, in ``method``), ``p_value`` its upper tail, ``n`` = subjects,
        ``scale="chi-square"``; interval columns are missing. ``diagnostics``: ``df``
        (degrees of freedom of the χ²), ``n_events`` and one ``excluded`` row per reason.

    Notes
    -----
    ``χ² = (O − E)ᵀ V⁻¹ (O − E)`` over arms (one dropped), summed over strata when given;
    statsmodels ``survdiff``, equal to R ``survdiff(rho = 0)``.

    Examples
    --------
    >>> data = pd.DataFrame({"day": [30, 60, 90, 120, 45, 150, 180, 200],
    ...                      "cleared": [1, 1, 1, 0, 1, 0, 1, 0], "arm": ["a"] * 4 + ["b"] * 4})
    >>> test = log_rank(data, time="day", event="cleared", arm="arm")
    >>> round(float(test.estimates["p_value"][0]), 3), test.diagnostic("df")
    (0.238, 1)
    """
    require_columns(data, time=time, event=event, arm=arm, strata=strata)
    columns = [time, event, arm] + ([strata] if strata else [])
    frame, reasons = _survival_frame(data, columns, time, event)
    _require_events(frame, event)
    resolve_arms(frame[arm], None)
    statistic, p_value = survdiff(
        frame[time].to_numpy(float),
        frame[event].to_numpy(float),
        frame[arm].to_numpy(),
        strata=None if strata is None else frame[strata].to_numpy(),
    )
    df = frame[arm].nunique() - 1
    method = f"log-rank ({df} df)" + (f", stratified by {strata}" if strata else "")
    out = estimate_frame(
        [
            {
                "outcome": event,
                "contrast": " vs ".join(map(str, sorted(frame[arm].unique()))),
                "visit": pd.NA,
                "estimate": statistic,
                "p_value": p_value,
                "n": len(frame),
                "method": method,
                "scale": "chi-square",
            }
        ]
    )
    diagnostics = diagnostics_frame(
        [
            {"diagnostic": "df", "value": int(df)},
            {"diagnostic": "n_events", "value": int(frame[event].sum())},
            *exclusion_rows(reasons),
        ],
        outcome=event,
        method=method,
    )
    return Result(out, diagnostics)


def cox_model(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    arm: str,
    covariates: Sequence[str] | None = None,
    strata: str | None = None,
    reference: object | None = None,
    ci_level: float = 0.95,
    ties: str = "efron",
) -> Result:
    """Hazard ratio between arms from a Cox proportional-hazards model.

    Parameters
    ----------
    data : DataFrame
        One row per subject.
    time, event, arm : str
        Column names.
    covariates : sequence of str, optional
        Adjustment covariates: numeric columns enter linearly, any other column (text,
        categorical, boolean) as treatment-coded dummies
        (:func:`acne_outcomes.stats.ancova.covariate_design`), e.g. a tumour's cell type.
    strata : str, optional
        Stratum column (separate baseline hazards, e.g. site).
    reference : optional
        Reference arm; default the first arm in sorted order (``"comparator"``).
    ci_level : float, default 0.95
    ties : {"efron", "breslow"}, default "efron"
        Handling of tied event times (R ``coxph``'s default is Efron).

    Returns
    -------
    Result
        ``estimates``: one row per non-reference arm, ``estimate`` = hazard ratio
        arm / reference (> 1: the event — clearance or relapse — happens sooner on the arm),
        ``se`` = model-based SE of the log HR, Wald CI and p-value, ``n`` = subjects
        (events in ``method``). ``diagnostics``: ``converged`` (finite SEs and
        partial-likelihood score below 1e-3 at the solution), ``monotone_likelihood`` (some
        ``|log HR| > 10``, e.g. no events in one arm), ``n_events`` and one ``excluded`` row
        per reason.

    Notes
    -----
    Partial likelihood ``Π_i [exp(x_iᵀβ) / Σ_{j∈R(t_i)} exp(x_jᵀβ)]`` with Efron's
    correction for ties; statsmodels ``PHReg``.

    References
    ----------
    Cox DR (1972). JRSS B 34:187–220. Efron B (1977). JASA 72:557–565.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> data = pd.DataFrame({"arm": np.repeat(["comparator", "isotretinoin"], 100)})
    >>> rate = np.where(data["arm"] == "isotretinoin", 2.0, 1.0) / 100
    >>> data["day"] = np.ceil(rng.exponential(1 / rate))
    >>> data["cleared"] = 1
    >>> fit = cox_model(data, time="day", event="cleared", arm="arm")
    >>> fit.estimates["scale"].iloc[0], bool(1.3 < fit.estimates["estimate"].iloc[0] < 3)
    ('hazard ratio', True)
    >>> fit.diagnostic("converged"), fit.diagnostic("n_events")
    (True, 200)
    >>> data["site"] = np.tile(["A", "B", "C", "D"], 50)
    >>> adjusted = cox_model(data, time="day", event="cleared", arm="arm", covariates=["site"])
    >>> adjusted.estimates["method"].iloc[0]
    'Cox PH (efron ties, 200 events), adjusted for site'
    """
    covariates = list(covariates or [])
    require_columns(data, time=time, event=event, arm=arm, strata=strata,
                    **{f"covariates[{i}]": name for i, name in enumerate(covariates)})  # fmt: skip
    check_choice("ties", ties, TIES)
    ci_level = check_ci_level(ci_level)
    columns = [time, event, arm, *covariates] + ([strata] if strata else [])
    frame, reasons = _survival_frame(data, columns, time, event)
    reference, treated = resolve_arms(frame[arm], reference)
    design, _ = covariate_design(frame, covariates)
    exog = np.column_stack([(frame[arm] == level).to_numpy(float) for level in treated] + [design])
    model = PHReg(
        frame[time].to_numpy(float),
        exog,
        status=frame[event].to_numpy(float),
        ties=ties,
        strata=None if strata is None else frame[strata].to_numpy(),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = model.fit()
    params, bse = np.asarray(fit.params), np.asarray(fit.bse)
    score = np.asarray(model.score(params))
    converged = (
        bool(np.all(np.isfinite(bse)))
        and float(np.max(np.abs(score))) < 1e-3
        and not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    )
    monotone = bool(np.any(np.abs(params) > _MONOTONE_LOG_HR))
    if not converged or monotone:
        warnings.warn(
            "Cox model did not converge or the likelihood is monotone (a hazard "
            "ratio runs off to 0 or infinity)",
            ConvergenceWarning,
            stacklevel=2,
        )
    z = scipy_stats.norm.ppf(0.5 + ci_level / 2)
    n_events = int(frame[event].sum())
    method = (
        f"Cox PH ({ties} ties, {n_events} events)"
        + (f", adjusted for {column_words(covariates)}" if covariates else "")
        + (f", stratified by {strata}" if strata else "")
    )
    rows = []
    for index, level in enumerate(treated):
        log_hr, se = float(params[index]), float(bse[index])
        with np.errstate(over="ignore"):
            interval = np.exp([log_hr - z * se, log_hr + z * se])
        rows.append(
            {
                "outcome": event,
                "contrast": f"{level} / {reference}",
                "visit": pd.NA,
                "estimate": np.exp(log_hr),
                "se": se,
                "ci_low": interval[0],
                "ci_high": interval[1],
                "ci_level": ci_level,
                "p_value": 2 * scipy_stats.norm.sf(abs(log_hr) / se),
                "n": len(frame),
                "method": method,
                "scale": "hazard ratio",
            }
        )
    diagnostics = diagnostics_frame(
        [
            {"diagnostic": "converged", "value": converged},
            {"diagnostic": "monotone_likelihood", "value": monotone},
            {"diagnostic": "n_events", "value": n_events},
            *exclusion_rows(reasons),
        ],
        outcome=event,
        method=method,
    )
    return Result(estimate_frame(rows), diagnostics)


def at_risk(
    data: pd.DataFrame, *, time: str, event: str, arm: str | None = None, times: Sequence[float]
) -> Result:
    """Numbers at risk: the subjects still followed (time ≥ t) at each of ``times``, per arm.

    The table under a Kaplan–Meier plot, counted from the data itself (never read off the
    curve's event times, which would skip the subjects censored in between).

    Parameters
    ----------
    data : DataFrame
        One row per subject.
    time, event : str
        Columns of the follow-up time and the event indicator (rows missing either are left
        out and counted, as in :func:`kaplan_meier`).
    arm : str, optional
        Arm column; without it one row per time for all subjects (``contrast="all"``).
    times : sequence of float
        The times to count at (e.g. the x ticks of the plot), non-negative.

    Returns
    -------
    Result
        ``estimates``: one row per arm and time: ``contrast`` = the arm, ``visit`` = the time,
        ``estimate`` = subjects with ``time`` ≥ t (still at risk just before t),
        ``n`` = subjects of the arm analysed, ``scale="number at risk"``. ``diagnostics``:
        ``n_subjects`` (over all arms) and one ``excluded`` row per reason.

    Examples
    --------
    >>> data = pd.DataFrame({"day": [30, 60, 60, 90, 120, 150], "cleared": [1, 1, 0, 1, 0, 1],
    ...                      "arm": ["a", "a", "a", "b", "b", "b"]})
    >>> table = at_risk(data, time="day", event="cleared", arm="arm", times=[0, 60, 100])
    >>> table.estimates[["contrast", "visit", "estimate"]].values.tolist()
    [['a', 0.0, 3.0], ['a', 60.0, 2.0], ['a', 100.0, 0.0], ['b', 0.0, 3.0], ['b', 60.0, 3.0], ['b', 100.0, 2.0]]
    """
    require_columns(data, time=time, event=event, arm=arm)
    points = np.asarray(list(times), dtype=float)
    if points.size == 0 or not np.all(np.isfinite(points)) or (points < 0).any():
        raise ValueError(f"times must be non-negative numbers; got {list(times)!r}")
    frame, reasons = _survival_frame(data, [time, event] + ([arm] if arm else []), time, event)
    groups = [("all", frame)] if arm is None else list(frame.groupby(arm, observed=True))
    rows = []
    for label, group in groups:
        followed = group[time].to_numpy(float)
        for point in points:
            rows.append(
                {
                    "outcome": event,
                    "contrast": str(label),
                    "visit": point,
                    "estimate": float(np.sum(followed >= point)),
                    "n": len(group),
                    "method": f"subjects with {time} >= t",
                    "scale": "number at risk",
                }
            )
    diagnostics = diagnostics_frame(
        [{"diagnostic": "n_subjects", "value": len(frame)}, *exclusion_rows(reasons)],
        outcome=event,
        method="number at risk",
    )
    return Result(estimate_frame(rows), diagnostics)


def time_to_event_summary(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    arm: str,
    reference: object | None = None,
    ci_level: float = 0.95,
) -> Result:
    """What a time-to-event result reports: events and median time per arm, hazard ratio, log-rank.

    Parameters
    ----------
    data : DataFrame
        One row per subject.
    time, event, arm : str
        Column names.
    reference : optional
        Reference arm of the hazard ratios; default the first arm in sorted order (a
        categorical's first category: the design's reference).
    ci_level : float, default 0.95

    Returns
    -------
    Result
        ``estimates``, per arm (``contrast`` = the arm): ``scale="events"`` (``estimate`` =
        subjects with the event, ``n`` = subjects analysed) and ``scale="median time"`` (the
        Kaplan–Meier median with its interval, as :func:`kaplan_meier`); with two arms or
        more, per non-reference arm the Cox ``scale="hazard ratio"`` (arm / reference, Wald
        CI and p-value, as :func:`cox_model`) and one ``scale="chi-square"`` row of the
        log-rank test over all arms (its ``p_value``; as :func:`log_rank`). ``diagnostics``:
        ``n_events``, ``converged`` and ``monotone_likelihood`` (of the Cox model; with one arm
        ``None``) and one ``excluded`` row per reason.

    Raises
    ------
    NotEstimable
        When no subject had the event.

    Examples
    --------
    >>> data = pd.DataFrame({"day": [30, 60, 90, 120, 45, 150, 180, 200],
    ...                      "cleared": [1, 1, 1, 0, 1, 0, 1, 0], "arm": ["b"] * 4 + ["a"] * 4})
    >>> summary = time_to_event_summary(data, time="day", event="cleared", arm="arm")
    >>> rows = summary.estimates
    >>> rows.loc[rows["scale"] == "events", ["contrast", "estimate", "n"]].values.tolist()
    [['a', 2.0, 4], ['b', 3.0, 4]]
    >>> rows.loc[rows["scale"] == "median time", "estimate"].tolist()
    [180.0, 75.0]
    >>> rows.loc[rows["scale"] == "hazard ratio", "contrast"].tolist()
    ['b / a']
    """
    require_columns(data, time=time, event=event, arm=arm)
    ci_level = check_ci_level(ci_level)
    frame, reasons = _survival_frame(data, [time, event, arm], time, event)
    _require_events(frame, event)
    levels = arms_present(frame[arm])
    if reference is None:
        reference = levels[0]
    check_choice("reference", reference, levels)
    levels = [reference, *[level for level in levels if level != reference]]
    rows = []
    for level in levels:
        group = frame[frame[arm] == level]
        rows.append(
            {
                "outcome": event,
                "contrast": str(level),
                "visit": pd.NA,
                "estimate": float(group[event].sum()),
                "n": len(group),
                "method": "subjects with the event",
                "scale": "events",
            }
        )
    curves = kaplan_meier(frame, time=time, event=event, arm=arm, ci_level=ci_level)
    medians = curves.estimates[curves.estimates["scale"] == "median time"]
    medians = medians.set_index("contrast").loc[[str(level) for level in levels]].reset_index()
    parts = [estimate_frame({"ci_level": ci_level, **row} for row in rows), medians]
    cox = {"converged": None, "monotone_likelihood": None}
    if len(levels) > 1:
        fit = cox_model(frame, time=time, event=event, arm=arm, reference=reference,
                        ci_level=ci_level)  # fmt: skip
        cox = {name: fit.diagnostic(name) for name in cox}
        parts += [fit.estimates, log_rank(frame, time=time, event=event, arm=arm).estimates]
    estimates = pd.concat(parts, ignore_index=True)[list(ESTIMATE_COLUMNS)]
    diagnostics = diagnostics_frame(
        [
            {"diagnostic": "n_events", "value": int(frame[event].sum())},
            *({"diagnostic": name, "value": value} for name, value in cox.items()),
            *exclusion_rows(reasons),
        ],
        outcome=event,
        method="time-to-event summary (Kaplan-Meier, Cox PH, log-rank)",
    )
    return Result(estimates, diagnostics)
