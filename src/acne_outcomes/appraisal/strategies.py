"""Analysis strategies scored by :func:`acne_outcomes.appraisal.diagnose.diagnose`: one registry.

A :class:`Strategy` pairs a module-level function ``study -> {"estimate", "ci_low", "ci_high",
"p_value"}`` with the true value it should recover, read from ``study.truth``. The *naive*
strategies are the ones the lessons warn about: a before-after change in the treated arm only
(no control group), completers only, last observation carried forward, an unadjusted
comparison of a non-randomised cohort, an adjustment that misses a confounder. They are scored
against the same truth as the correct analyses — that is the point.

Every strategy is in :data:`REGISTRY`, by the name the command line takes
(``acne-outcomes diagnose --strategy MMRM_PIH``). Each analysis is a call into
:mod:`acne_outcomes.stats`; nothing here computes an interval or a test itself.

Estimands (see ``docs/generator.md``): the drug effect is always *isotretinoin minus (or
over) comparator* in the hypothetical "had everyone stayed" sense; the before-after estimands
against no treatment at all use the generator's untreated natural course.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from acne_outcomes import derive
from acne_outcomes.checks import NotEstimable
from acne_outcomes.stats import missing
from acne_outcomes.stats.ancova import ancova, ancova_problem
from acne_outcomes.stats.counts import count_model
from acne_outcomes.stats.descriptive import one_sample_t
from acne_outcomes.stats.mmrm import mmrm

TREATED, CONTROL = "isotretinoin", "comparator"
KEYS = ("estimate", "ci_low", "ci_high", "p_value")


@dataclass(frozen=True)
class Strategy:
    """An analysis strategy: a name, the estimand it targets, and the function that runs it.

    ``run(study)`` returns a mapping with ``estimate``, ``ci_low``, ``ci_high`` and ``p_value``
    (the test of no effect). ``truth(study)`` returns the estimand's true value, usually read
    from ``study.truth``. Both must be module-level functions (picklable) for the process and
    Dask executors.

    ``prepare(study)``, when given, returns the least-squares problem ``run`` solves, as
    :func:`ancova_problem` does (``run`` is then ``finish(fit)`` of that problem's fit), so
    that a diagnosis can solve the problems of many replicates together
    (:func:`acne_outcomes.stats.ancova.fit_ancova_many`); the result is the same.
    """

    name: str
    estimand: str
    run: Callable
    truth: Callable
    prepare: Callable | None = None


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


def true_effect_vs_untreated_month5(study) -> float:
    """True mean percent change on isotretinoin minus the untreated natural course, month 5."""
    target = study.truth["estimands"]["inflammatory_percent_change_month5"]
    return float(target["isotretinoin"] - target["untreated"])


# --------------------------------------------------------------------------- data

_DERIVED: dict = {}


def _per_study(function):
    """Keep ``function(study, *args)`` for the last study it was given.

    A diagnosis runs every strategy on each simulated study in turn, and the strategies start
    from the same derived frames (the analysis frame, percent change, month-12 rows); each is
    derived once per study. The frames are shared, so nothing here may change them (the
    :mod:`acne_outcomes.stats` functions never change their input).
    """

    @functools.wraps(function)
    def derived(study, *args):
        if _DERIVED.get("study") is not study:
            _DERIVED.clear()
            _DERIVED["study"] = study  # held, so its id cannot be reused while kept
        key = (function.__name__, *args)
        if key not in _DERIVED:
            _DERIVED[key] = function(study, *args)
        return _DERIVED[key]

    return derived


_analysis_frame = _per_study(derive.analysis_frame)


def estimate_at(estimates: pd.DataFrame, *, visit=None, scale: str) -> dict:
    """The estimate, CI and p-value of the tidy-frame row on ``scale`` (at ``visit`` if given)."""
    rows = estimates[estimates["scale"] == scale]
    if visit is not None:
        rows = rows[rows["visit"] == visit]
    if rows.empty:
        raise NotEstimable(f"no {scale} estimate" + ("" if visit is None else f" at visit {visit}"))
    row = rows.iloc[0]
    return {key: float(row[key]) for key in KEYS}


@_per_study
def percent_change_data(study) -> pd.DataFrame:
    """Percent change of inflammatory lesions from baseline, months 1-5, with arm and baseline."""
    frame = _analysis_frame(study)
    change = derive.percent_change_from_baseline(
        frame, subject="subject_id", visit="month", outcome="inflammatory_lesions"
    ).data
    return change[change["month"] <= 5]


@_per_study
def month12_with_baseline(study, outcome: str) -> pd.DataFrame:
    """Month-12 rows with the baseline value (observed data only), arm and subject covariates."""
    frame = derive.with_baseline(_analysis_frame(study), outcome)
    return frame[(frame["month"] == 12) & frame[outcome].notna() & frame["baseline"].notna()]


def _typed(frame: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Covariates that are not numbers (skin type, sex) as categories; baseline IGA a number."""
    return frame.assign(
        **{name: frame[name].astype(str) for name in ("fitzpatrick", "sex") if name in covariates},
        **({"baseline_iga": frame["baseline_iga"].astype(float)} if "baseline_iga" in covariates else {}),
    )  # fmt: skip


def arm_difference(frame: pd.DataFrame, outcome: str, covariates: Sequence[str]) -> dict:
    """ANCOVA difference isotretinoin − comparator (95% CI, p-value), adjusted for ``covariates``.

    Covariates that are not numbers (skin type, sex) enter as categories; the baseline IGA as a
    number.
    """
    result = ancova(
        _typed(frame, covariates), outcome=outcome, arm="arm", covariates=list(covariates),
        reference=CONTROL,
    )  # fmt: skip
    return estimate_at(result.estimates, scale="mean difference")


def arm_difference_problem(frame: pd.DataFrame, outcome: str, covariates: Sequence[str]):
    """The least-squares problem of :func:`arm_difference`: ``(values, codes, design, n_arms)``."""
    values, codes, design, levels, _ = ancova_problem(
        _typed(frame, covariates), outcome, "arm", list(covariates), reference=CONTROL
    )
    return values, codes, design, len(levels)


def finish_arm_difference(fit) -> dict:
    """:func:`arm_difference`'s result from the fit of its problem (the first arm vs reference)."""
    if fit.n_arms < 2:
        raise NotEstimable("no mean difference estimate")
    test = fit.difference_test(1)
    return {key: float(test[key]) for key in KEYS}


def _treated_change(study, outcome: str, visit: int, *, percent: bool) -> pd.Series:
    frame = _analysis_frame(study)
    derivation = derive.percent_change_from_baseline if percent else derive.change_from_baseline
    change = derivation(
        frame[frame["arm"] == TREATED], subject="subject_id", visit="month", outcome=outcome
    ).data
    return change.loc[change["month"] == visit, "percent_change" if percent else "change"]


def _before_after(values: pd.Series) -> dict:
    """One-sample t-test of the treated arm's change (the naive uncontrolled analysis)."""
    test = one_sample_t(values.astype("float64"))
    if test["n"] < 3:
        raise NotEstimable("fewer than 3 treated subjects with both measurements")
    return {key: test[key] for key in KEYS}


# --------------------------------------------------------------------------- analyses


def gee_rate_ratio_month5(study) -> dict:
    """Negative-binomial GEE (exchangeable) of inflammatory counts; rate ratio at month 5."""
    result = count_model(
        _analysis_frame(study), outcome="inflammatory_lesions", subject="subject_id",
        visit="month", arm="arm", reference=CONTROL,
    )  # fmt: skip
    return estimate_at(result.estimates, visit=5, scale="rate ratio")


def _mmrm_difference(study, outcome: str, visit: int) -> dict:
    data = derive.with_baseline(_analysis_frame(study), outcome)
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


def before_after_pih_month12(study) -> dict:
    """Naive: change in the PIH index from baseline to month 12, treated arm only."""
    return _before_after(_treated_change(study, "pih_index", 12, percent=False))


def before_after_ecca_month12(study) -> dict:
    """Naive: change in the ECCA score from baseline to month 12, treated arm only."""
    return _before_after(_treated_change(study, "ecca_score", 12, percent=False))


def before_after_percent_month5(study) -> dict:
    """Naive: mean percent change of inflammatory lesions to month 5, treated arm only."""
    return _before_after(_treated_change(study, "inflammatory_lesions", 5, percent=True))


def _missing_method(study, method: str) -> dict:
    function = {"complete case": missing.complete_case, "LOCF": missing.locf,
                "MMRM": missing.mmrm_endpoint}[method]  # fmt: skip
    result = function(
        percent_change_data(study), outcome="percent_change", subject="subject_id", visit="month",
        arm="arm", endpoint=5, baseline="baseline", reference=CONTROL,
    )  # fmt: skip
    return estimate_at(result.estimates, visit=5, scale="mean difference")


def completers_percent_change_month5(study) -> dict:
    """Naive: ANCOVA of percent change at month 5 among subjects observed then."""
    return _missing_method(study, "complete case")


def locf_percent_change_month5(study) -> dict:
    """Naive: percent change at month 5 with the last observation carried forward."""
    return _missing_method(study, "LOCF")


def mmrm_percent_change_month5(study) -> dict:
    """MMRM of percent change over months 1-5 (MAR), difference at month 5."""
    return _missing_method(study, "MMRM")


def multiple_imputation_percent_month5(study) -> dict:
    """Multiple imputation under MAR (10 imputations), ANCOVA of percent change at month 5."""
    result = missing.multiple_imputation(
        percent_change_data(study), outcome="percent_change", subject="subject_id",
        visit="month", arm="arm", endpoint=5, baseline="baseline", reference=CONTROL,
        m=10, seed=0,
    )  # fmt: skip
    return estimate_at(result.estimates, visit=5, scale="mean difference")


def unadjusted_pih_month12(study) -> dict:
    """Naive for non-randomised data: difference in mean PIH index at month 12 (observed)."""
    return arm_difference(month12_with_baseline(study, "pih_index"), "pih_index", [])


def adjusted_pih_month12(study) -> dict:
    """Regression adjustment for the measured confounders: baseline PIH, skin type, severity, sex."""
    return arm_difference(
        month12_with_baseline(study, "pih_index"), "pih_index",
        ["baseline", "fitzpatrick", "baseline_iga", "sex"],
    )  # fmt: skip


def adjusted_pih_without_skin_type(study) -> dict:
    """Adjusted for baseline PIH, severity and sex — skin type not recorded (a hidden confounder)."""
    return arm_difference(
        month12_with_baseline(study, "pih_index"), "pih_index", ["baseline", "baseline_iga", "sex"]
    )


def ancova_pih_month12(study) -> dict:
    """ANCOVA of the PIH index at month 12 on arm and baseline (subjects observed at both)."""
    return arm_difference(month12_with_baseline(study, "pih_index"), "pih_index", ["baseline"])


def unadjusted_ecca_month12(study) -> dict:
    """Naive for non-randomised data: difference in mean ECCA at month 12 (observed)."""
    return arm_difference(month12_with_baseline(study, "ecca_score"), "ecca_score", [])


def adjusted_ecca_month12(study) -> dict:
    """Regression adjustment of ECCA at month 12 for baseline ECCA, skin type, severity, sex."""
    return arm_difference(
        month12_with_baseline(study, "ecca_score"), "ecca_score",
        ["baseline", "fitzpatrick", "baseline_iga", "sex"],
    )  # fmt: skip


# --------------------------------------------------------------------------- batched problems
# The least-squares problems of the ANCOVA strategies above, for a diagnosis that solves the
# problems of many replicates at once (Strategy.prepare); each uses the same inputs as its run.

_CONFOUNDERS = ["baseline", "fitzpatrick", "baseline_iga", "sex"]


def problem_unadjusted_pih(study):
    """The problem of :func:`unadjusted_pih_month12`."""
    return arm_difference_problem(month12_with_baseline(study, "pih_index"), "pih_index", [])


def problem_adjusted_pih(study):
    """The problem of :func:`adjusted_pih_month12`."""
    return arm_difference_problem(
        month12_with_baseline(study, "pih_index"), "pih_index", _CONFOUNDERS
    )


def problem_adjusted_pih_without_skin_type(study):
    """The problem of :func:`adjusted_pih_without_skin_type`."""
    return arm_difference_problem(
        month12_with_baseline(study, "pih_index"), "pih_index", ["baseline", "baseline_iga", "sex"]
    )


def problem_ancova_pih(study):
    """The problem of :func:`ancova_pih_month12`."""
    return arm_difference_problem(
        month12_with_baseline(study, "pih_index"), "pih_index", ["baseline"]
    )


def problem_unadjusted_ecca(study):
    """The problem of :func:`unadjusted_ecca_month12`."""
    return arm_difference_problem(month12_with_baseline(study, "ecca_score"), "ecca_score", [])


def problem_adjusted_ecca(study):
    """The problem of :func:`adjusted_ecca_month12`."""
    return arm_difference_problem(
        month12_with_baseline(study, "ecca_score"), "ecca_score", _CONFOUNDERS
    )


# --------------------------------------------------------------------------- the registry

RATE_RATIO = Strategy("count GEE (NB), rate ratio month 5", "rate ratio month 5", gee_rate_ratio_month5,
                      true_rate_ratio_month5)  # fmt: skip
MMRM_PIH = Strategy("MMRM, PIH index month 12", "PIH difference month 12", mmrm_pih_month12,
                    true_pih_difference_month12)  # fmt: skip
ANCOVA_PIH = Strategy("ANCOVA (baseline-adjusted), PIH month 12", "PIH difference month 12",
                      ancova_pih_month12, true_pih_difference_month12, problem_ancova_pih)  # fmt: skip
BEFORE_AFTER_PIH = Strategy("before-after (treated arm only), PIH month 12", "PIH difference month 12",
                            before_after_pih_month12, true_pih_difference_month12)  # fmt: skip
MMRM_ECCA = Strategy("MMRM, ECCA month 12", "ECCA difference month 12", mmrm_ecca_month12,
                     true_ecca_difference_month12)  # fmt: skip
BEFORE_AFTER_ECCA = Strategy("before-after (treated arm only), ECCA month 12", "ECCA difference month 12",
                             before_after_ecca_month12, true_ecca_difference_month12)  # fmt: skip
BEFORE_AFTER_PERCENT = Strategy("before-after (treated arm only), % change month 5",
                                "effect vs no treatment, month 5", before_after_percent_month5,
                                true_effect_vs_untreated_month5)  # fmt: skip
COMPLETERS = Strategy("completers only, % change month 5", "% change difference month 5",
                      completers_percent_change_month5, true_percent_change_difference_month5)  # fmt: skip
LOCF = Strategy("LOCF, % change month 5", "% change difference month 5", locf_percent_change_month5,
                true_percent_change_difference_month5)  # fmt: skip
MMRM_PERCENT = Strategy("MMRM, % change month 5", "% change difference month 5", mmrm_percent_change_month5,
                        true_percent_change_difference_month5)  # fmt: skip
MI_PERCENT = Strategy("multiple imputation (MAR), % change month 5", "% change difference month 5",
                      multiple_imputation_percent_month5, true_percent_change_difference_month5)  # fmt: skip
UNADJUSTED_PIH = Strategy("unadjusted difference, PIH month 12", "PIH difference month 12",
                          unadjusted_pih_month12, true_pih_difference_month12, problem_unadjusted_pih)  # fmt: skip
ADJUSTED_PIH = Strategy("adjusted for measured confounders, PIH month 12", "PIH difference month 12",
                        adjusted_pih_month12, true_pih_difference_month12, problem_adjusted_pih)  # fmt: skip
ADJUSTED_PIH_NO_SKIN_TYPE = Strategy("adjusted, skin type not recorded, PIH month 12",
                                     "PIH difference month 12", adjusted_pih_without_skin_type,
                                     true_pih_difference_month12, problem_adjusted_pih_without_skin_type)  # fmt: skip
UNADJUSTED_ECCA = Strategy("unadjusted difference, ECCA month 12", "ECCA difference month 12",
                           unadjusted_ecca_month12, true_ecca_difference_month12, problem_unadjusted_ecca)  # fmt: skip
ADJUSTED_ECCA = Strategy("adjusted for measured confounders, ECCA month 12", "ECCA difference month 12",
                         adjusted_ecca_month12, true_ecca_difference_month12, problem_adjusted_ecca)  # fmt: skip

#: Every strategy, by the name ``acne-outcomes diagnose --strategy`` takes.
REGISTRY: dict[str, Strategy] = {
    name: value for name, value in globals().items() if isinstance(value, Strategy)
}

DEFAULTS = {
    "rct": (RATE_RATIO, MMRM_PIH),
    "single_arm": (BEFORE_AFTER_PIH, BEFORE_AFTER_ECCA),
    "observational": (UNADJUSTED_PIH, ADJUSTED_PIH),
    "flare_enrollment": (RATE_RATIO, COMPLETERS),
    "informative_dropout": (COMPLETERS, LOCF, MMRM_PERCENT),
}


def strategy(name: str) -> Strategy:
    """The registered strategy called ``name``; ``ValueError`` lists the names otherwise.

    >>> strategy("MMRM_PIH").estimand
    'PIH difference month 12'
    """
    if name not in REGISTRY:
        raise ValueError(f"unknown strategy {name!r}; allowed: {sorted(REGISTRY)}")
    return REGISTRY[name]


def default_strategies(scenario: str) -> tuple[Strategy, ...]:
    """The strategies a scenario's lesson compares (the primary count and MMRM analyses for ``rct``)."""
    if scenario not in DEFAULTS:
        raise ValueError(
            f"no default strategies for scenario {scenario!r}; known: {sorted(DEFAULTS)}"
        )
    return DEFAULTS[scenario]
