"""Calibration of the default RCT against the sourced figures, and the biases each scenario plants.

Targets and sources are in docs/references.md (cited as *LD section / row*); tolerances are stated
in each test. A 20,000-subject default RCT has binomial standard errors of about 0.3-0.5
percentage points per arm, so the tolerances below are mostly model approximation (the mean
percent change is a mean of ratios of Poisson counts, selection at enrolment, flare, dropout).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from acne_outcomes.simulate import model, simulate_study
from acne_outcomes.simulate.defaults import resolve_parameters

N_CALIBRATION = 20_000
MONTH5_WINDOW_START = 145  # earliest possible month-5 visit day: round(5 * 30.44) - 7


@pytest.fixture(scope="module")
def large_rct():
    return simulate_study("rct", n_subjects=N_CALIBRATION, seed=2024)


def _arm(study) -> pd.Series:
    return study.subjects.set_index("subject_id")["arm"].astype(str)


def _percent_change_month5(study) -> pd.Series:
    wide = study.visits.pivot(index="subject_id", columns="month", values="inflammatory_lesions")
    wide = wide.astype(float)
    change = (100 * (wide[5] - wide[0]) / wide[0]).dropna()
    return change.groupby(_arm(study).reindex(change.index)).mean()


# Tan 2014 (LD Lesion counts / Week-20 reduction): 94% isotretinoin vs 80% comparator.
@pytest.mark.parametrize(
    ("arm", "target", "tolerance"), [("isotretinoin", -94.0, 2.0), ("comparator", -80.0, 2.5)]
)
def test_month5_reduction_in_inflammatory_lesions(large_rct, arm, target, tolerance):
    observed = _percent_change_month5(large_rct)[arm]
    truth = large_rct.truth["estimands"]["inflammatory_percent_change_month5"][arm]
    assert observed == pytest.approx(target, abs=tolerance)
    assert truth == pytest.approx(target, abs=tolerance)


# NCT01474590 (LD Design / Dropout): 12.8% isotretinoin vs 21% comparator by week 20.
@pytest.mark.parametrize(("arm", "target"), [("isotretinoin", 0.128), ("comparator", 0.21)])
def test_dropout_by_month5(large_rct, arm, target):
    subjects = large_rct.subjects
    left = subjects["discontinuation_day"].lt(MONTH5_WINDOW_START).fillna(False)
    proportion = left[subjects["arm"] == arm].mean()
    assert proportion == pytest.approx(target, abs=0.02)


def _new_abnormality(study, tests: list[str]) -> float:
    """Isotretinoin subjects normal at baseline on all ``tests`` with any later value > ULN."""
    labs = study.labs[study.labs["test"].isin(tests)].copy()
    labs = labs[labs["subject_id"].map(_arm(study)) == "isotretinoin"]
    labs["high"] = labs["value"] > labs["upper_limit_normal"]
    baseline_high = labs[labs["month"] == 0].groupby("subject_id")["high"].any()
    later = labs[labs["month"] > 0].groupby("subject_id")["high"].any()
    normal = baseline_high.index[~baseline_high]
    later = later.reindex(normal).dropna()
    return float(later.astype(bool).mean())


# Zane 2006; Hansen 2016 (LD Safety / Labs, new abnormalities): ranges across studies.
@pytest.mark.parametrize(
    ("tests", "low", "high"),
    [
        (["triglycerides"], 0.19, 0.44),
        (["total_cholesterol"], 0.23, 0.31),
        (["alt", "ast"], 0.02, 0.11),
        (["alt"], 0.02, 0.11),
        (["ast"], 0.02, 0.11),
    ],
)
def test_new_lab_abnormalities_inside_published_ranges(large_rct, tests, low, high):
    assert low <= _new_abnormality(large_rct, tests) <= high


# Barbieri 2020 (LD Safety / Grade >= 3): triglycerides < 1%, liver tests < 0.5%.
def test_grade3_lab_abnormalities_are_rare(large_rct):
    labs = large_rct.labs
    labs = labs[(labs["month"] > 0) & (labs["subject_id"].map(_arm(large_rct)) == "isotretinoin")]
    per_subject = (
        labs.assign(
            triglycerides=(labs["test"] == "triglycerides") & (labs["value"] > 500),
            liver=labs["test"].isin(["alt", "ast"])
            & (labs["value"] > 5 * labs["upper_limit_normal"]),
        )
        .groupby("subject_id")[["triglycerides", "liver"]]
        .any()
    )
    assert per_subject["triglycerides"].mean() < 0.01
    assert per_subject["liver"].mean() < 0.005


# LD PIH / By skin type: I-II 0.10, III 0.35, IV 0.55, V-VI 0.65; tolerance 0.03 each.
def test_pih_prevalence_rises_with_fitzpatrick_type(large_rct):
    baseline = large_rct.visits[large_rct.visits["month"] == 0].set_index("subject_id")
    group = (
        large_rct.subjects.set_index("subject_id")["fitzpatrick"]
        .astype(str)
        .map({"I": "I-II", "II": "I-II", "III": "III", "IV": "IV", "V": "V-VI", "VI": "V-VI"})
    )
    prevalence = (baseline["pih_macules"] > 0).groupby(group).mean()
    expected = pd.Series({"I-II": 0.10, "III": 0.35, "IV": 0.55, "V-VI": 0.65})
    np.testing.assert_allclose(prevalence[expected.index], expected, atol=0.03)
    assert prevalence[expected.index].is_monotonic_increasing


# Del Rosso 2018 (LD Lesion counts / Baseline): 44.8 +- 21.7; enrolment selects upwards, so 15%.
def test_baseline_inflammatory_counts(large_rct):
    baseline = large_rct.visits.loc[large_rct.visits["month"] == 0, "inflammatory_lesions"]
    assert baseline.astype(float).mean() == pytest.approx(44.8, rel=0.15)
    assert baseline.astype(float).std() == pytest.approx(21.7, rel=0.25)


# PMID 28295859 (LD Safety / Mucocutaneous): cheilitis 93-100%, dry eyes 77%, photosensitivity 55%.
@pytest.mark.parametrize(
    ("term", "low", "high"),
    [("cheilitis", 0.88, 1.0), ("dry_eyes", 0.72, 0.82), ("photosensitivity", 0.50, 0.60)],
)
def test_mucocutaneous_event_rates_on_isotretinoin(large_rct, term, low, high):
    arm = _arm(large_rct)
    events = large_rct.adverse_events
    with_term = events.loc[events["term"] == term, "subject_id"].unique()
    iso = arm.index[arm == "isotretinoin"]
    assert low <= np.isin(iso, with_term).mean() <= high


# -- scenarios plant their biases ----------------------------------------------------------------


def test_single_arm_before_after_shows_pih_fading_without_any_effect():
    study = simulate_study(
        "single_arm", n_subjects=2000, seed=5, pih_effect=0.0, pih_formation_rate=0.0
    )
    assert (study.subjects["arm"] == "isotretinoin").all()
    assert study.truth["estimands"]["pih_index_difference_month12"]["difference"] == 0.0
    wide = study.visits.pivot(index="subject_id", columns="month", values="pih_index").dropna()
    assert (wide[12] - wide[0]).mean() < -0.2


def test_observational_assignment_follows_indication():
    study = simulate_study("observational", n_subjects=4000, seed=6)
    subjects = study.subjects
    iso = subjects["arm"] == "isotretinoin"
    assert (
        iso[subjects["baseline_iga"] == 4].mean() > iso[subjects["baseline_iga"] == 3].mean() + 0.05
    )
    assert iso[subjects["sex"] == "female"].mean() < iso[subjects["sex"] == "male"].mean() - 0.1
    dark = subjects["fitzpatrick"].astype(str).isin(["IV", "V", "VI"])
    assert iso[dark].mean() < iso[~dark].mean() - 0.05


def test_flare_enrollment_plants_regression_to_the_mean():
    study = simulate_study("flare_enrollment", n_subjects=300, seed=7)
    untreated = study.truth["estimands"]["inflammatory_percent_change_month5"]["untreated"]
    reference = simulate_study("rct", n_subjects=5, seed=7)
    reference_untreated = reference.truth["estimands"]["inflammatory_percent_change_month5"][
        "untreated"
    ]
    assert untreated < -10
    assert reference_untreated > -2


def test_informative_dropout_flatters_completers():
    study = simulate_study("informative_dropout", n_subjects=6000, seed=8)
    observed = _percent_change_month5(study)["comparator"]
    truth = study.truth["estimands"]["inflammatory_percent_change_month5"]["comparator"]
    assert observed < truth - 1.5  # bias about 3 points; SE of observed about 0.5
    reasons = study.subjects["discontinuation_reason"].value_counts()
    assert reasons["lack_of_efficacy"] > reasons["withdrew_consent"]


def _linear_weighted_kappa(first: np.ndarray, second: np.ndarray, categories: int = 5) -> float:
    observed = np.zeros((categories, categories))
    np.add.at(observed, (first.astype(int), second.astype(int)), 1)
    observed /= observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    rows, columns = np.indices((categories, categories))
    weights = np.abs(rows - columns)
    return float(1 - (weights * observed).sum() / (weights * expected).sum())


# Savory 2014 (LD Measurement / Rater reliability, US): weighted kappa 0.27 number and size,
# 0.43 intensity. Linear weights are an assumption (the weighting was not given); +-0.06.
@pytest.mark.parametrize(
    ("component", "target"), [("number", 0.27), ("size", 0.27), ("intensity", 0.43)]
)
def test_pih_rater_agreement_matches_reliability_figures(component, target):
    parameters = resolve_parameters({})
    streams = model.streams(31, 0)
    base = model.baseline(parameters, 20_000, streams["baseline"])
    arm = model.assign(parameters, base, streams["assignment"])
    state = model.course(parameters, base, arm, streams)
    first = model.pih_rating(parameters, state, np.random.default_rng(1))[component][:, 0]
    second = model.pih_rating(parameters, state, np.random.default_rng(2))[component][:, 0]
    present = state["true_pih_macules"][:, 0] > 0
    kappa = _linear_weighted_kappa(first[present], second[present])
    assert kappa == pytest.approx(target, abs=0.06)
