"""Descriptive statistics and the one ANCOVA against R (tests/reference/descriptive, made by
``Rscript descriptive_reference.R`` there) and against data with a known truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from acne_outcomes.checks import NotEstimable
from acne_outcomes.stats import descriptive
from acne_outcomes.stats.ancova import ancova, fit_ancova

REFERENCE = Path(__file__).parents[1] / "reference" / "descriptive"
TOLERANCE = {"rtol": 1e-10, "atol": 1e-12}


def _expected(analysis: str) -> pd.DataFrame:
    table = pd.read_csv(REFERENCE / "expected_descriptive.csv")
    return table[table["analysis"] == analysis].set_index("term")


def _sleep() -> tuple[np.ndarray, np.ndarray]:
    sleep = pd.read_csv(REFERENCE / "sleep.csv").sort_values(["group", "ID"])
    return (sleep.loc[sleep["group"] == group, "extra"].to_numpy() for group in (1, 2))


def _assert_test(result: dict, row: pd.Series, keys=("estimate", "se", "ci_low", "ci_high")):
    for key in keys:
        assert_allclose(result[key], row[key], **TOLERANCE, err_msg=key)


def test_one_sample_paired_and_two_sample_t_tests_equal_r():
    first, second = _sleep()
    paired = descriptive.paired_t(first, second)
    _assert_test(
        paired,
        _expected("paired_t").iloc[0],
        keys=("estimate", "se", "ci_low", "ci_high", "p_value", "df"),
    )
    one = descriptive.one_sample_t(first, ci_level=0.9)
    _assert_test(
        one,
        _expected("one_sample_t_90").iloc[0],
        keys=("estimate", "se", "ci_low", "ci_high", "p_value", "df"),
    )
    two = descriptive.two_sample_t(first, second)
    _assert_test(
        two,
        _expected("two_sample_t").iloc[0],
        keys=("estimate", "se", "ci_low", "ci_high", "p_value", "df"),
    )


def test_summaries_by_group_equal_r():
    iris = pd.read_csv(REFERENCE / "iris.csv")
    means = descriptive.summarise(iris, value="Sepal.Length", by=["Species"]).set_index("Species")
    expected = _expected("mean_ci")
    assert_allclose(means["centre"], expected["estimate"], **TOLERANCE)
    assert_allclose(means["low"], expected["ci_low"], **TOLERANCE)
    assert_allclose(means["high"], expected["ci_high"], **TOLERANCE)
    assert means["n"].tolist() == [50, 50, 50]
    medians = descriptive.summarise(iris, value="Sepal.Length", by=["Species"], statistic="median")
    expected = _expected("median_iqr")
    assert_allclose(medians[["centre", "low", "high"]].to_numpy(),
                    expected[["estimate", "ci_low", "ci_high"]].to_numpy(), **TOLERANCE)  # fmt: skip


def test_arm_visit_means_is_a_tidy_frame_of_observed_means():
    frame = pd.DataFrame({"arm": ["a", "a", "b", "b"], "month": [0, 0, 0, 0],
                          "y": [1.0, 3.0, 5.0, None]})  # fmt: skip
    means = descriptive.arm_visit_means(frame, "y")
    assert means["estimate"].tolist() == [2.0, 5.0] and means["n"].tolist() == [2, 1]
    assert means["ci_low"].iloc[0] < 2.0 < means["ci_high"].iloc[0]
    assert np.isnan(means["se"].iloc[1])  # a single value has no spread
    assert set(means["scale"]) == {"mean"}


def test_proportions_count_within_groups_and_fill_absent_categories():
    frame = pd.DataFrame({"visit": [0, 0, 0, 6, 6], "grade": [0, 1, 1, 2, None]})
    shares = descriptive.proportions(frame, value="grade", by=["visit"], categories=[0, 1, 2])
    at_six = shares[shares["visit"] == 6].set_index("category")
    assert at_six["count"].tolist() == [0, 0, 1] and at_six["total"].tolist() == [1, 1, 1]
    assert shares.groupby("visit")["proportion"].sum().tolist() == [1.0, 1.0]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="statistic='mode' is not allowed"):
        descriptive.summarise(pd.DataFrame({"y": [1.0]}), value="y", statistic="mode")
    with pytest.raises(ValueError, match="value='z' is not a column"):
        descriptive.summarise(pd.DataFrame({"y": [1.0]}), value="z")
    with pytest.raises(ValueError, match="same length"):
        descriptive.paired_t([1.0, 2.0], [1.0])
    assert np.isnan(descriptive.one_sample_t([4.0])["ci_low"])


def test_t_interval_covers_a_known_mean_about_95_percent():
    rng = np.random.default_rng(7)
    samples = rng.normal(loc=3.0, scale=2.0, size=(4000, 12))
    covered = [
        test["ci_low"] <= 3.0 <= test["ci_high"]
        for test in (descriptive.one_sample_t(sample) for sample in samples)
    ]
    assert abs(np.mean(covered) - 0.95) < 3.5 * np.sqrt(0.95 * 0.05 / len(covered))
    two = descriptive.two_sample_t(samples[:, :6], samples[:, 6:])
    rejected = np.mean(two["p_value"] < 0.05)
    assert abs(rejected - 0.05) < 3.5 * np.sqrt(0.05 * 0.95 / len(samples))


def test_ancova_three_arms_equals_r_lm():
    iris = pd.read_csv(REFERENCE / "iris.csv")
    fit = ancova(iris, outcome="Sepal.Length", arm="Species", covariates=["Petal.Width"])
    estimates = fit.estimates
    differences = estimates[estimates["scale"] == "mean difference"].set_index("contrast")
    expected = _expected("ancova_iris_difference")
    for arm in ("versicolor", "virginica"):
        row = differences.loc[f"{arm} - setosa"]
        _assert_test(
            row, expected.loc[arm], keys=("estimate", "se", "ci_low", "ci_high", "p_value")
        )
    means = estimates[estimates["scale"] == "mean"].set_index("contrast")
    expected = _expected("ancova_iris_mean")
    for arm in ("setosa", "versicolor", "virginica"):
        _assert_test(means.loc[arm], expected.loc[arm])
    assert fit.diagnostic("residual_df") == expected["df"].iloc[0] == 146


def test_ancova_two_arms_equals_r_lm_and_counts_exclusions():
    cars = pd.read_csv(REFERENCE / "mtcars.csv")
    cars.loc[0, "wt"] = np.nan  # one row cannot be analysed
    fit = ancova(cars.assign(am=cars["am"].astype(str)), outcome="mpg", arm="am", covariates=["wt"])
    assert fit.exclusions() == {"wt missing": 1} and fit.n_excluded == 1
    complete = pd.read_csv(REFERENCE / "mtcars.csv")
    fit = ancova(complete.assign(am=complete["am"].astype(str)), outcome="mpg", arm="am",
                 covariates=["wt"])  # fmt: skip
    row = fit.estimates[fit.estimates["scale"] == "mean difference"].iloc[0]
    _assert_test(row, _expected("ancova_mtcars_difference").iloc[0],
                 keys=("estimate", "se", "ci_low", "ci_high", "p_value"))  # fmt: skip


def test_ancova_recovers_a_known_effect_and_refuses_what_it_cannot_estimate():
    rng = np.random.default_rng(3)
    covered = 0
    for _ in range(400):
        baseline = rng.normal(10, 2, 60)
        arm = np.repeat([0, 1], 30)
        outcome = 2.0 + 0.8 * baseline - 1.5 * arm + rng.normal(0, 1, 60)
        test = fit_ancova(outcome, arm, 2, (baseline - baseline.mean())[:, None]).difference_test()
        covered += test["ci_low"] <= -1.5 <= test["ci_high"]
    assert abs(covered / 400 - 0.95) < 3.5 * np.sqrt(0.95 * 0.05 / 400)
    with pytest.raises(NotEstimable, match="an arm has no subject"):
        fit_ancova(np.array([1.0, 2.0, np.nan]), np.array([0, 0, 1]), 2)
    with pytest.raises(NotEstimable, match="too few subjects"):
        fit_ancova(np.array([1.0, 2.0]), np.array([0, 1]), 2)
