"""Design diagnosis: metrics against hand computation, identical results on every executor
(serial, joblib processes, a real Dask LocalCluster with two worker processes), and the
before-after lesson's point with the true effect set to zero."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from acne_outcomes.appraisal import Strategy, diagnose, summarise
from acne_outcomes.appraisal import strategies as catalogue
from acne_outcomes.appraisal.diagnose import replicate_seeds


def _true_zero(study):
    return 0.0


def _mean_age_difference(study):
    """A cheap strategy: difference in mean age between arms (truth 0 under randomisation)."""
    subjects = study.subjects
    ages = [
        subjects.loc[subjects["arm"] == arm, "age"].astype(float)
        for arm in ("isotretinoin", "comparator")
    ]
    estimate = ages[0].mean() - ages[1].mean()
    se = math.sqrt(ages[0].var() / len(ages[0]) + ages[1].var() / len(ages[1]))
    z = estimate / se
    p_value = math.erfc(abs(z) / math.sqrt(2))
    return {
        "estimate": estimate,
        "ci_low": estimate - 1.96 * se,
        "ci_high": estimate + 1.96 * se,
        "p_value": p_value,
    }


def _always_fails(study):
    raise RuntimeError("model did not converge")


AGE = Strategy("age difference", "zero", _mean_age_difference, _true_zero)
FAILING = Strategy("failing", "zero", _always_fails, _true_zero)


def test_summary_metrics_match_hand_computation():
    replicates = pd.DataFrame(
        {
            "replicate": [0, 1, 2, 3],
            "strategy": "s",
            "estimand": "e",
            "truth": 1.0,
            "estimate": [1.5, 0.5, 2.0, 1.0],
            "ci_low": [0.9, 0.2, 1.2, 0.1],
            "ci_high": [2.1, 0.8, 2.8, 1.9],
            "p_value": [0.01, 0.2, 0.001, 0.04],
            "error": "",
        }
    )
    row = summarise(replicates).iloc[0]
    errors = np.array([0.5, -0.5, 1.0, 0.0])
    assert row["bias"] == pytest.approx(errors.mean())
    assert row["bias_mcse"] == pytest.approx(errors.std(ddof=1) / 2)
    assert row["rmse"] == pytest.approx(math.sqrt(np.mean(errors**2)))
    assert row["coverage"] == pytest.approx(0.5) and row["coverage_mcse"] == pytest.approx(
        math.sqrt(0.25 / 4)
    )
    assert row["rejection_rate"] == pytest.approx(0.75)


def test_seeds_are_fixed_per_replicate():
    assert replicate_seeds(7, 5) == replicate_seeds(7, 5)
    assert replicate_seeds(7, 5)[:3] == replicate_seeds(7, 3)
    assert replicate_seeds(7, 5) != replicate_seeds(8, 5)


def test_failures_are_counted_not_fatal():
    summary = diagnose(
        "rct", analyses=[AGE, FAILING], n_sims=4, executor="serial", progress=False, n_subjects=60
    )
    failing = summary.set_index("strategy").loc["failing"]
    assert failing["n_failed"] == 4 and math.isnan(failing["bias"])
    assert summary.set_index("strategy").loc["age difference", "n_failed"] == 0


def test_bad_arguments():
    with pytest.raises(ValueError, match="allowed"):
        diagnose("rct", analyses=[AGE], n_sims=4, executor="threads")
    with pytest.raises(ValueError, match="known"):
        catalogue.default_strategies("case_series")
    with pytest.raises(ValueError, match="unknown parameter"):
        diagnose("rct", analyses=[AGE], n_sims=2, executor="serial", progress=False, no_such_knob=1)


def test_identical_results_on_every_executor():
    arguments = {"analyses": [AGE, catalogue.MMRM_PIH], "n_sims": 6, "seed": 11, "progress": False,
                 "return_replicates": True, "n_subjects": 80, "batch_size": 2}  # fmt: skip
    _, serial = diagnose("rct", executor="serial", **arguments)
    _, processes = diagnose("rct", executor="processes", n_jobs=2, **arguments)
    _, dask = diagnose("rct", executor="dask", n_jobs=2, **arguments)
    pd.testing.assert_frame_equal(serial, processes)
    pd.testing.assert_frame_equal(serial, dask)
    assert serial["replicate"].nunique() == 6 and (serial["error"] == "").all()


def test_before_after_finds_an_effect_that_is_not_there():
    summary = diagnose(
        "rct", analyses=[catalogue.BEFORE_AFTER_PIH, catalogue.MMRM_PIH], n_sims=30, seed=1,
        executor="processes", n_jobs=2, progress=False, pih_effect=0.0, pih_formation_rate=0.0,
    ).set_index("strategy")  # fmt: skip
    naive = summary.loc[catalogue.BEFORE_AFTER_PIH.name]
    randomised = summary.loc[catalogue.MMRM_PIH.name]
    assert naive["truth"] == 0 and randomised["truth"] == 0
    assert naive["rejection_rate"] > 0.8 and naive["mean_estimate"] < 0
    assert randomised["rejection_rate"] < 0.25
    assert abs(randomised["bias"]) < 3 * randomised["bias_mcse"] + 0.05


PRIMARY = [catalogue.RATE_RATIO, catalogue.MMRM_PIH]


def _coverage_band(n_sims: int, level: float = 0.95, z: float = 3.0) -> tuple[float, float]:
    half = z * math.sqrt(level * (1 - level) / n_sims)
    return level - half, level + half


def test_primary_analyses_recover_the_truth_on_generator_data():
    """CI's small version: 80 default RCTs; coverage within a 3-SD binomial band of 95%."""
    summary = diagnose("rct", analyses=PRIMARY, n_sims=80, seed=5, n_jobs=2, progress=False)
    low, high = _coverage_band(80)
    for row in summary.itertuples():
        assert row.n_failed == 0
        assert low <= row.coverage <= min(high, 1.0), (row.strategy, row.coverage)
        assert abs(row.bias) <= 3.5 * row.bias_mcse, (row.strategy, row.bias, row.bias_mcse)


@pytest.mark.slow
def test_primary_analyses_cover_the_truth_93_to_97_percent():
    """The issue's criterion: >= 500 simulated default RCTs, coverage 93-97%.

    The bias check allows for the Monte Carlo error of the truth itself (the generator's
    20,000-subject truth has SE ~0.011 for the PIH difference), not only the diagnosis'.
    """
    from acne_outcomes.simulate import simulate_study

    estimands = simulate_study("rct", n_subjects=20).truth["estimands"]
    truth_se = {
        catalogue.MMRM_PIH.name: estimands["pih_index_difference_month12"][
            "monte_carlo_se_difference"
        ]
    }
    summary = diagnose("rct", analyses=PRIMARY, n_sims=600, seed=2026, n_jobs=2, progress=False)
    for row in summary.itertuples():
        assert 0.93 <= row.coverage <= 0.97, (row.strategy, row.coverage)
        allowed = 3.5 * math.hypot(row.bias_mcse, truth_se.get(row.strategy, 0.0))
        assert abs(row.bias) <= allowed, (row.strategy, row.bias, allowed)


# --------------------------------------------------------------------------- batched least squares

ANCOVAS = [
    catalogue.UNADJUSTED_PIH,
    catalogue.ADJUSTED_PIH,
    catalogue.ADJUSTED_PIH_NO_SKIN_TYPE,
    catalogue.ANCOVA_PIH,
    catalogue.UNADJUSTED_ECCA,
    catalogue.ADJUSTED_ECCA,
]


@pytest.mark.parametrize("scenario", ["observational", "rct"])
def test_batched_least_squares_equal_one_study_at_a_time(scenario):
    """The ANCOVAs of a batch of replicates solved together give the one-at-a-time rows."""
    assert all(strategy.prepare is not None for strategy in ANCOVAS)
    analyses = [*ANCOVAS, catalogue.BEFORE_AFTER_PIH]  # with one that is not batched
    options = {"n_sims": 12, "seed": 5, "executor": "serial", "progress": False,
               "return_replicates": True, "n_subjects": 40}  # fmt: skip
    _, batched = diagnose(scenario, analyses, batched=True, **options)
    _, alone = diagnose(scenario, analyses, batched=False, **options)
    assert batched[["replicate", "strategy", "error"]].equals(
        alone[["replicate", "strategy", "error"]]
    )
    assert (batched["error"] == "").mean() > 0.5
    for column in ("truth", "estimate", "ci_low", "ci_high", "p_value"):
        np.testing.assert_allclose(batched[column], alone[column], rtol=1e-8, atol=1e-10)


def test_fit_ancova_many_equals_fit_ancova_and_raises_the_same():
    from acne_outcomes.checks import NotEstimable
    from acne_outcomes.stats.ancova import fit_ancova, fit_ancova_many

    rng = np.random.default_rng(3)
    problems = []
    for size in (30, 31, 45, 3, 8, 20):
        values = rng.normal(size=size)
        values[rng.random(size) < 0.1] = np.nan
        problems.append((values, rng.integers(0, 2, size), rng.normal(size=(size, 2))))
    problems.append((rng.normal(size=10), np.zeros(10, int), rng.normal(size=(10, 2))))  # one arm
    collinear = rng.normal(size=(12, 1))
    problems.append(
        (rng.normal(size=12), rng.integers(0, 2, 12), np.hstack([collinear, collinear]))
    )
    fits = fit_ancova_many(problems, 2)
    failures = 0
    for problem, fit in zip(problems, fits, strict=True):
        try:
            values, codes, covariates = problem
            expected = fit_ancova(values, codes, 2, covariates)
        except NotEstimable as error:
            failures += 1
            assert isinstance(fit, NotEstimable) and str(fit) == str(error)
            continue
        np.testing.assert_allclose(fit.coefficients, expected.coefficients, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(fit.covariance, expected.covariance, rtol=1e-8, atol=1e-12)
        assert fit.df == expected.df and fit.counts.tolist() == expected.counts.tolist()
        assert fit.difference_test(1) == pytest.approx(expected.difference_test(1), rel=1e-8)
    assert failures >= 3
