"""Analysis strategies scored by :func:`acne_outcomes.appraisal.diagnose.diagnose`.

Each strategy is a module-level function ``study -> {"estimate", "ci_low", "ci_high",
"p_value"}`` paired with the true value it should recover, read from ``study.truth``. The
*naive* strategies are the ones the lessons warn about: a before-after change in the treated
arm only (no control group), completers only, last observation carried forward, an
unadjusted comparison of a non-randomised cohort. They are scored against the same truth as
the correct analyses — that is the point.

Estimands (see ``docs/generator.md``): the drug effect is always *isotretinoin minus (or
over) comparator* in the hypothetical "had everyone stayed" sense.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from acne_outcomes import derive
from acne_outcomes.appraisal.diagnose import Strategy

TREATED, CONTROL = "isotretinoin", "comparator"


# --------------------------------------------------------------------------- truths


def true_rate_ratio_month5(study) -> float:
    """True ratio of mean inflammatory counts at month 5, isotretinoin / comparator."""
    target = study.truth["estimands"]["inflammatory_rate_ratio"]
    return float(target["rate_ratio"][target["months"].index(5)])


def true_pih_difference_month12(study) -> float:
    """True difference in mean PIH index at month 12, isotretinoin - comparator."""
    return float(study.truth["estimands"]["pih_index_difference_month12"]["difference"])


def true_ecca_difference_month12(study) -> float:
    """True difference in mean ECCA score at month 12, isotretinoin - comparator."""
    return float(study.truth["estimands"]["ecca_difference_month12"]["difference"])


def true_percent_change_difference_month5(study) -> float:
    """True difference in mean percent change of inflammatory lesions at month 5."""
    return float(study.truth["estimands"]["inflammatory_percent_change_month5"]["difference"])


# --------------------------------------------------------------------------- analyses


def estimate_at(estimates: pd.DataFrame, *, visit, scale: str) -> dict:
    """The estimate, CI and p-value of the tidy-frame row at ``visit`` on ``scale``."""
    rows = estimates[(estimates["visit"] == visit) & (estimates["scale"] == scale)]
    if rows.empty:
        raise ValueError(f"no {scale} estimate at visit {visit}")
    row = rows.iloc[0]
    return {key: float(row[key]) for key in ("estimate", "ci_low", "ci_high", "p_value")}


def gee_rate_ratio_month5(study) -> dict:
    """Negative-binomial GEE (exchangeable) of inflammatory counts; rate ratio at month 5."""
    from acne_outcomes.stats.counts import count_model

    estimates = count_model(
        derive.analysis_frame(study), outcome="inflammatory_lesions", subject="subject_id",
        visit="month", arm="arm", reference=CONTROL,
    )  # fmt: skip
    return estimate_at(estimates, visit=5, scale="rate ratio")


def _mmrm_difference(study, outcome: str, visit: int) -> dict:
    from acne_outcomes.stats.mmrm import mmrm

    data = derive.with_baseline(derive.analysis_frame(study), outcome)
    result = mmrm(
        data, outcome=outcome, subject="subject_id", visit="month", arm="arm",
        baseline="baseline", reference=CONTROL,
    )  # fmt: skip
    return estimate_at(result.estimates, visit=visit, scale="mean difference")


def mmrm_pih_month12(study) -> dict:
    """MMRM (unstructured, REML, Satterthwaite) of the PIH index, adjusted for baseline."""
    return _mmrm_difference(study, "pih_index", 12)


def mmrm_ecca_month12(study) -> dict:
    """MMRM of the ECCA scar score, adjusted for baseline."""
    return _mmrm_difference(study, "ecca_score", 12)


def _before_after(study, outcome: str, visit: int) -> dict:
    """Mean within-subject change baseline → visit in the isotretinoin arm (paired t-test)."""
    frame = derive.analysis_frame(study)
    frame = frame[frame["arm"] == TREATED]
    change = derive.change_from_baseline(
        frame, subject="subject_id", visit="month", outcome=outcome
    ).data
    values = change.loc[change["month"] == visit, "change"].astype("float64").dropna().to_numpy()
    if len(values) < 3:
        raise ValueError("fewer than 3 treated subjects with both measurements")
    mean, se = values.mean(), values.std(ddof=1) / np.sqrt(len(values))
    half = scipy_stats.t.ppf(0.975, len(values) - 1) * se
    p_value = 2 * scipy_stats.t.sf(abs(mean / se), len(values) - 1)
    return {"estimate": mean, "ci_low": mean - half, "ci_high": mean + half, "p_value": p_value}


def before_after_pih_month12(study) -> dict:
    """Naive: change in the PIH index from baseline to month 12, treated arm only."""
    return _before_after(study, "pih_index", 12)


def before_after_ecca_month12(study) -> dict:
    """Naive: change in the ECCA score from baseline to month 12, treated arm only."""
    return _before_after(study, "ecca_score", 12)


def percent_change_data(study) -> pd.DataFrame:
    """Percent change of inflammatory lesions from baseline, months 1-5, with arm and baseline."""
    frame = derive.analysis_frame(study)
    change = derive.percent_change_from_baseline(
        frame, subject="subject_id", visit="month", outcome="inflammatory_lesions"
    ).data
    return change[change["month"] <= 5]


def _missing_method(study, method: str) -> dict:
    from acne_outcomes.stats import missing

    function = {"complete case": missing.complete_case, "LOCF": missing.locf,
                "MMRM": missing.mmrm_endpoint}[method]  # fmt: skip
    estimates = function(
        percent_change_data(study), outcome="percent_change", subject="subject_id", visit="month",
        arm="arm", endpoint=5, baseline="baseline", reference=CONTROL,
    )  # fmt: skip
    return estimate_at(estimates, visit=5, scale="mean difference")


def completers_percent_change_month5(study) -> dict:
    """Naive: ANCOVA of percent change at month 5 among subjects observed then."""
    return _missing_method(study, "complete case")


def locf_percent_change_month5(study) -> dict:
    """Naive: percent change at month 5 with the last observation carried forward."""
    return _missing_method(study, "LOCF")


def mmrm_percent_change_month5(study) -> dict:
    """MMRM of percent change over months 1-5 (MAR), difference at month 5."""
    return _missing_method(study, "MMRM")


def month12_with_baseline(study, outcome: str) -> pd.DataFrame:
    """Month-12 rows with the baseline value and a 0/1 ``treated`` column (observed data only)."""
    frame = derive.with_baseline(derive.analysis_frame(study), outcome)
    frame = frame[(frame["month"] == 12) & frame[outcome].notna() & frame["baseline"].notna()]
    return frame.assign(treated=(frame["arm"] == TREATED).astype(float))


def ols_arm_difference(frame: pd.DataFrame, outcome: str, covariates: list[str]) -> dict:
    """OLS coefficient of ``treated`` (with 95% CI and p-value), adjusted for ``covariates``."""
    import statsmodels.api as sm

    design = pd.get_dummies(frame[["treated", *covariates]], drop_first=True, dtype=float)
    fit = sm.OLS(
        frame[outcome].astype(float).to_numpy(), sm.add_constant(design, has_constant="add")
    ).fit()
    low, high = fit.conf_int().loc["treated"]
    return {
        "estimate": fit.params["treated"],
        "ci_low": low,
        "ci_high": high,
        "p_value": fit.pvalues["treated"],
    }


def unadjusted_pih_month12(study) -> dict:
    """Naive for non-randomised data: difference in mean PIH index at month 12 (observed)."""
    return ols_arm_difference(month12_with_baseline(study, "pih_index"), "pih_index", [])


def adjusted_pih_month12(study) -> dict:
    """Regression adjustment for the measured confounders: baseline PIH, skin type, severity, sex."""
    frame = month12_with_baseline(study, "pih_index")
    frame = frame.assign(
        fitzpatrick=frame["fitzpatrick"].astype(str), sex=frame["sex"].astype(str),
        baseline_iga=frame["baseline_iga"].astype(float),
    )  # fmt: skip
    return ols_arm_difference(
        frame, "pih_index", ["baseline", "fitzpatrick", "baseline_iga", "sex"]
    )


# --------------------------------------------------------------------------- catalogue

RATE_RATIO = Strategy("count GEE (NB), rate ratio month 5", "rate ratio month 5", gee_rate_ratio_month5,
                      true_rate_ratio_month5)  # fmt: skip
MMRM_PIH = Strategy("MMRM, PIH index month 12", "PIH difference month 12", mmrm_pih_month12,
                    true_pih_difference_month12)  # fmt: skip
BEFORE_AFTER_PIH = Strategy("before-after (treated arm only), PIH month 12", "PIH difference month 12",
                            before_after_pih_month12, true_pih_difference_month12)  # fmt: skip
MMRM_ECCA = Strategy("MMRM, ECCA month 12", "ECCA difference month 12", mmrm_ecca_month12,
                     true_ecca_difference_month12)  # fmt: skip
BEFORE_AFTER_ECCA = Strategy("before-after (treated arm only), ECCA month 12", "ECCA difference month 12",
                             before_after_ecca_month12, true_ecca_difference_month12)  # fmt: skip
COMPLETERS = Strategy("completers only, % change month 5", "% change difference month 5",
                      completers_percent_change_month5, true_percent_change_difference_month5)  # fmt: skip
LOCF = Strategy("LOCF, % change month 5", "% change difference month 5", locf_percent_change_month5,
                true_percent_change_difference_month5)  # fmt: skip
MMRM_PERCENT = Strategy("MMRM, % change month 5", "% change difference month 5", mmrm_percent_change_month5,
                        true_percent_change_difference_month5)  # fmt: skip
UNADJUSTED_PIH = Strategy("unadjusted difference, PIH month 12", "PIH difference month 12",
                          unadjusted_pih_month12, true_pih_difference_month12)  # fmt: skip
ADJUSTED_PIH = Strategy("adjusted for measured confounders, PIH month 12", "PIH difference month 12",
                        adjusted_pih_month12, true_pih_difference_month12)  # fmt: skip

DEFAULTS = {
    "rct": (RATE_RATIO, MMRM_PIH),
    "single_arm": (BEFORE_AFTER_PIH, BEFORE_AFTER_ECCA),
    "observational": (UNADJUSTED_PIH, ADJUSTED_PIH),
    "flare_enrollment": (RATE_RATIO, COMPLETERS),
    "informative_dropout": (COMPLETERS, LOCF, MMRM_PERCENT),
}


def default_strategies(scenario: str) -> tuple[Strategy, ...]:
    """The strategies a scenario's lesson compares (the primary count and MMRM analyses for ``rct``)."""
    if scenario not in DEFAULTS:
        raise ValueError(
            f"no default strategies for scenario {scenario!r}; known: {sorted(DEFAULTS)}"
        )
    return DEFAULTS[scenario]
