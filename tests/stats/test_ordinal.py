"""Tests of acne_outcomes.stats.ordinal: R clm/polr and Brant references, direction, truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats as scipy_stats

from acne_outcomes.checks import NotEstimable
from acne_outcomes.stats.ordinal import brant_test, ordinal_model

REFERENCE = Path(__file__).parents[1] / "reference" / "ordinal"
CUTS = [0.5, 1.8, 3.0, 4.2]


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REFERENCE / "ordinal_data.csv")


@pytest.fixture(scope="module")
def month12(data):
    return data.loc[data["month"] == 12]


@pytest.fixture(scope="module")
def cross_sectional_fit(month12):
    return ordinal_model(month12, outcome="scar_grade", arm="arm", baseline="baseline_grade")


def test_matches_r_clm(cross_sectional_fit):
    expected = pd.read_csv(REFERENCE / "expected_clm.csv").set_index("term")
    fit = cross_sectional_fit.estimates.set_index("contrast")
    odds = fit.loc["isotretinoin / comparator"]
    assert_allclose(np.log(odds["estimate"]), expected.loc["iso", "estimate"], rtol=1e-5)
    assert_allclose(odds["se"], expected.loc["iso", "se"], rtol=2e-3)
    cuts = fit.loc[fit["scale"] == "cut-point (logit)"]
    assert list(cuts.index) == ["0|1", "1|2", "2|3", "3|4"]
    assert_allclose(cuts["estimate"], expected.loc[cuts.index, "estimate"], rtol=1e-4, atol=1e-5)
    assert_allclose(cuts["estimate"], expected.loc[cuts.index, "polr"], rtol=1e-3, atol=1e-4)
    assert_allclose(cuts["se"], expected.loc[cuts.index, "se"], rtol=2e-3)
    assert cross_sectional_fit.diagnostic("converged")


def _brant(result, covariate=None):
    """(statistic, df, p_value) of the omnibus Brant test, or of one covariate."""
    suffix, detail = ("", None) if covariate is None else ("_by_covariate", covariate)
    return [
        result.diagnostic(f"brant_{name}{suffix}", detail=detail)
        for name in ("statistic", "df", "p_value")
    ]


def test_brant_matches_r_formula(cross_sectional_fit, month12):
    expected = pd.read_csv(REFERENCE / "expected_brant.csv").set_index("test")
    fit = cross_sectional_fit
    assert_allclose(_brant(fit), expected.loc["omnibus"].to_numpy(float), rtol=1e-6)
    assert_allclose(_brant(fit, "isotretinoin"), expected.loc["iso"].to_numpy(float), rtol=1e-6)
    assert_allclose(
        _brant(fit, "baseline_grade"), expected.loc["baseline_grade"].to_numpy(float), rtol=1e-6
    )
    # brant_test on its own: the same statistics, as estimates and as diagnostics
    exog = np.column_stack(
        [(month12["arm"] == "isotretinoin").to_numpy(float), month12["baseline_grade"]]
    )
    test = brant_test(month12["scar_grade"].to_numpy(int), exog, ["isotretinoin", "baseline_grade"])
    assert test.estimates["contrast"].tolist() == [
        "all covariates",
        "isotretinoin",
        "baseline_grade",
    ]
    assert (test.estimates["scale"] == "chi-square").all()
    assert_allclose(
        test.estimates[["estimate", "p_value"]].to_numpy(float),
        expected.loc[["omnibus", "iso", "baseline_grade"], ["statistic", "p_value"]],
        rtol=1e-6,
    )
    assert_allclose(_brant(test), _brant(fit), rtol=1e-12)


def _latent_grades(rng, arm_effect, n, slope_shift=0.0):
    arm = np.repeat(["comparator", "isotretinoin"], n // 2)
    treated = arm == "isotretinoin"
    latent = arm_effect * treated + rng.logistic(size=n)
    # slope_shift != 0 spreads the treated arm's cut-points: proportional odds fails
    cuts = np.array(CUTS) + slope_shift * np.arange(len(CUTS)) * treated[:, None]
    grades = (latent[:, None] > cuts).sum(axis=1)
    return pd.DataFrame({"arm": arm, "scar_grade": grades})


def test_odds_ratio_direction_higher_grade_is_above_one():
    rng = np.random.default_rng(1)
    worse = ordinal_model(_latent_grades(rng, 1.0, 400), outcome="scar_grade", arm="arm")
    better = ordinal_model(_latent_grades(rng, -1.0, 400), outcome="scar_grade", arm="arm")
    assert worse.estimates["estimate"].iloc[0] > 1 > better.estimates["estimate"].iloc[0]
    flipped = ordinal_model(
        _latent_grades(rng, 1.0, 400), outcome="scar_grade", arm="arm", reference="isotretinoin"
    ).estimates
    assert flipped["contrast"].iloc[0] == "comparator / isotretinoin"
    assert flipped["estimate"].iloc[0] < 1


def test_brant_detects_non_proportional_odds():
    rng = np.random.default_rng(2)
    frame = _latent_grades(rng, 0.0, 1200, slope_shift=-0.6)
    fit = ordinal_model(frame, outcome="scar_grade", arm="arm")
    assert fit.diagnostic("brant_p_value") < 0.001


def _cross_sectional_recovery(n_replicates, n, seed):
    rng = np.random.default_rng(seed)
    log_or = 0.7
    estimates, covered, rejected = [], 0, 0
    for _ in range(n_replicates):
        fit = ordinal_model(_latent_grades(rng, log_or, n), outcome="scar_grade", arm="arm")
        row = fit.estimates.iloc[0]
        estimates.append(np.log(row["estimate"]))
        covered += row["ci_low"] <= np.exp(log_or) <= row["ci_high"]
        rejected += fit.diagnostic("brant_p_value") < 0.05
    return np.mean(estimates) - log_or, covered, rejected


def test_truth_recovery_cross_sectional_fast():
    n_replicates = 40
    bias, covered, rejected = _cross_sectional_recovery(n_replicates, 300, seed=3)
    assert abs(bias) < 0.07
    assert covered >= scipy_stats.binom.ppf(0.001, n_replicates, 0.95)
    # proportional odds holds: the Brant test rejects at about its nominal 5 %
    assert rejected <= scipy_stats.binom.isf(0.001, n_replicates, 0.05)


def _correlated_longitudinal(rng, n, log_or, months=(3, 6, 12), rho=0.6):
    """Marginal proportional odds with correlated latent logistic errors (Gaussian copula)."""
    arm = np.repeat(["comparator", "isotretinoin"], n // 2)
    shared = rng.normal(size=n)
    frames = []
    for month in months:
        normal = np.sqrt(rho) * shared + np.sqrt(1 - rho) * rng.normal(size=n)
        error = scipy_stats.logistic.ppf(scipy_stats.norm.cdf(normal))
        latent = log_or * (arm == "isotretinoin") + error
        frames.append(
            pd.DataFrame(
                {
                    "subject_id": np.arange(n),
                    "arm": arm,
                    "month": month,
                    "scar_grade": np.digitize(latent, CUTS),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _longitudinal_recovery(n_replicates, n, seed):
    rng = np.random.default_rng(seed)
    log_or = -0.6
    estimates, covered = [], 0
    for _ in range(n_replicates):
        fit = ordinal_model(
            _correlated_longitudinal(rng, n, log_or),
            outcome="scar_grade",
            arm="arm",
            subject="subject_id",
            visit="month",
        )
        average = fit.estimates.iloc[-1]
        estimates.append(np.log(average["estimate"]))
        covered += average["ci_low"] <= np.exp(log_or) <= average["ci_high"]
    return np.mean(estimates) - log_or, covered


def test_truth_recovery_longitudinal_fast():
    n_replicates = 15
    bias, covered = _longitudinal_recovery(n_replicates, 150, seed=4)
    assert abs(bias) < 0.08
    assert covered >= scipy_stats.binom.ppf(0.001, n_replicates, 0.95)


@pytest.mark.slow
def test_truth_recovery_slow():
    bias, covered, rejected = _cross_sectional_recovery(400, 300, seed=5)
    assert abs(bias) < 0.03
    assert covered >= scipy_stats.binom.ppf(0.001, 400, 0.95)
    assert rejected <= scipy_stats.binom.isf(0.001, 400, 0.05)
    bias, covered = _longitudinal_recovery(200, 200, seed=6)
    assert abs(bias) < 0.03
    assert covered >= scipy_stats.binom.ppf(0.001, 200, 0.95)


def test_longitudinal_rows(data):
    result = ordinal_model(
        data,
        outcome="scar_grade",
        arm="arm",
        baseline="baseline_grade",
        subject="subject_id",
        visit="month",
    )
    fit = result.estimates
    assert fit["visit"].iloc[:3].tolist() == [3, 6, 12]
    assert fit["visit"].iloc[-1] is pd.NA
    assert (fit["scale"] == "odds ratio").all()
    # treatment effect grows with time in the simulated data (latent shift 0.15 per month)
    assert fit["estimate"].iloc[2] < fit["estimate"].iloc[0] < 1
    cuts = result.diagnostics.loc[result.diagnostics["diagnostic"] == "cut_point"]
    assert cuts["detail"].tolist() == ["0|1", "1|2", "2|3", "3|4"]
    assert np.all(np.diff(cuts["value"].to_numpy(float)) > 0)
    assert result.diagnostic("converged")


def test_ordered_categorical_outcome_and_missing(month12, cross_sectional_fit):
    frame = month12.copy()
    frame["scar_grade"] = pd.Categorical(frame["scar_grade"], categories=range(5), ordered=True)
    frame = pd.concat([frame, frame.iloc[:2].assign(scar_grade=np.nan)], ignore_index=True)
    fit = ordinal_model(frame, outcome="scar_grade", arm="arm", baseline="baseline_grade")
    assert fit.exclusions() == {"scar_grade missing": 2}
    assert_allclose(fit.estimates["estimate"], cross_sectional_fit.estimates["estimate"], rtol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcome": "grade"}, "allowed"),
        ({"reference": "placebo"}, "allowed: .*comparator"),
        ({"ci_level": -0.1}, r"\(0, 1\)"),
        ({"subject": "subject_id"}, "both subject"),
    ],
)
def test_bad_arguments(month12, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ordinal_model(month12, **{"outcome": "scar_grade", "arm": "arm", **kwargs})


# ---- published data: ordinal::wine, geepack::koch, nlme::BodyWeight ----------------------
# (tests/reference/ordinal_published/ordinal_published_reference.R wrote the data and the
# expected_*.csv)

PUBLISHED = Path(__file__).parents[1] / "reference" / "ordinal_published"


@pytest.fixture(scope="module")
def wine():
    data = pd.read_csv(PUBLISHED / "wine.csv")
    data["rating"] = pd.Categorical(data["rating"], categories=[1, 2, 3, 4, 5], ordered=True)
    return data


def _wine_fit(wine):
    with pytest.warns(RuntimeWarning, match=r"Brant test not computed: .*cut 1\|2, 4\|5"):
        return ordinal_model(wine, outcome="rating", arm="temp", covariates=["contact"])


def test_wine_categorical_covariate_and_category_labels_match_clm(wine):
    """Findings 3 and 7: ordered categories 1-5 are named "1|2" … "4|5" as by R (not
    "0|1" …), and a categorical covariate (skin contact) enters as R's dummy."""
    expected = pd.read_csv(PUBLISHED / "expected_wine_clm.csv").set_index("term")
    fit = _wine_fit(wine).estimates.set_index("contrast")
    cuts = fit.loc[fit["scale"] == "cut-point (logit)"]
    assert list(cuts.index) == ["1|2", "2|3", "3|4", "4|5"]
    assert_allclose(cuts["estimate"], expected.loc[cuts.index, "estimate"], rtol=1e-5)
    assert_allclose(cuts["se"], expected.loc[cuts.index, "se"], rtol=1e-3)
    odds = fit.loc["warm / cold"]
    assert_allclose(np.log(odds["estimate"]), expected.loc["tempwarm", "estimate"], rtol=1e-5)
    assert_allclose(odds["se"], expected.loc["tempwarm", "se"], rtol=1e-3)
    assert odds["method"] == "proportional odds (ML, logit), adjusted for contact"


def test_wine_brant_test_is_not_estimable_under_quasi_separation(wine):
    """Finding 2: the per-cut logits of cuts 1|2 and 4|5 are quasi-separated (R: slopes
    near 19 with SEs near 3000), so the Brant statistic means nothing; it returned
    p = 0.958 without a warning."""
    per_cut = pd.read_csv(PUBLISHED / "expected_wine_brant.csv")
    slopes = per_cut.loc[per_cut["term"] == "tempwarm"].set_index("cut")
    assert (slopes.loc[[1, 4], "se"] > 1000).all() and (slopes.loc[[2, 3], "se"] < 1).all()
    fit = _wine_fit(wine)
    assert fit.diagnostic("brant_quasi_separation") is True
    assert (
        "cut 1|2, 4|5 is quasi-separated"
        in fit.diagnostics.loc[
            fit.diagnostics["diagnostic"] == "brant_quasi_separation", "detail"
        ].iloc[0]
    )
    assert np.isnan(fit.diagnostic("brant_p_value"))
    assert np.isnan(fit.diagnostic("brant_p_value_by_covariate", detail="contact[yes]"))
    grades = wine["rating"].cat.codes.to_numpy() + 1
    exog = np.column_stack([wine["temp"] == "warm", wine["contact"] == "yes"]).astype(float)
    with pytest.raises(NotEstimable, match="quasi-separated"):
        brant_test(grades, exog, ["warm", "contact"])


@pytest.fixture(scope="module")
def koch():
    return pd.read_csv(PUBLISHED / "koch.csv")


def _koch_rows(expected, model):
    rows = expected.loc[expected["model"] == model].set_index("term")
    return rows.loc[["day3", "day7", "day10", "day14", "average"]]


@pytest.mark.parametrize("correlation", ["global_odds_ratio", "independence"])
def test_koch_ordinal_gee_matches_r(koch, correlation):
    """Finding 1: the global odds ratio working dependence is now used (it was the
    independence fit). R: the GEE written out in ordinal_published_reference.R; its
    independence fit equals clm on the long data."""
    expected = pd.read_csv(PUBLISHED / "expected_koch.csv")
    fit = ordinal_model(koch, outcome="y", arm="trt", subject="id", visit="day",
                        correlation=correlation)  # fmt: skip
    rows = _koch_rows(expected, correlation)
    assert_allclose(np.log(fit.estimates["estimate"]), rows["estimate"], rtol=1e-6)
    assert_allclose(fit.estimates["se"], rows["robust_se"], rtol=1e-5)
    odds_ratio = expected.query("model == @correlation and term == 'global_odds_ratio'")
    if correlation == "independence":
        assert fit.diagnostic("global_odds_ratio") is None
        pooled = expected.loc[expected["model"] == "clm_pooled"].set_index("term")
        assert_allclose(rows["estimate"].iloc[:4], pooled.loc[rows.index[:4], "estimate"],
                        rtol=1e-9)  # fmt: skip
        cuts = [fit.diagnostic("cut_point", detail=name) for name in ("1|2", "2|3")]
        assert_allclose(cuts, pooled.loc[["1|2", "2|3"], "estimate"], rtol=1e-6)
    else:
        assert_allclose(fit.diagnostic("global_odds_ratio"), odds_ratio["estimate"], rtol=1e-6)
        assert "global odds ratio" in fit.estimates["method"].iloc[0]
        independent = _koch_rows(expected, "independence")["estimate"].to_numpy()
        assert np.abs(np.log(fit.estimates["estimate"]) - independent).max() > 1e-3


def test_three_arms_longitudinal_n_counts_the_two_compared_arms():
    """Finding 8: per-visit n counted the subjects of every arm (16 rats, not 12)."""
    data = pd.read_csv(PUBLISHED / "bodyweight_grades.csv")
    expected = pd.read_csv(PUBLISHED / "expected_bodyweight_grades.csv")
    fit = ordinal_model(data, outcome="grade", arm="Diet", subject="Rat", visit="Time",
                        correlation="independence")  # fmt: skip
    rows = fit.estimates.loc[fit.estimates["visit"].notna()]
    n = expected.loc[expected["model"] == "n"]
    assert (rows["contrast"] + " at " + rows["visit"].astype(int).astype(str)).tolist() == n[
        "term"
    ].tolist()
    assert rows["n"].tolist() == n["estimate"].astype(int).tolist()
    pooled = expected.loc[expected["model"] == "clm_pooled"].set_index("term")
    order = [f"factor(Time){t}:diet{d}" for d in (2, 3) for t in (43, 64)]
    assert_allclose(np.log(rows["estimate"]), pooled.loc[order, "estimate"], rtol=1e-5)


def test_text_visits_fail_early_with_the_labels(koch):
    """Finding 6: text visit labels failed late, with a pyarrow error."""
    data = koch.assign(day="day " + koch["day"].astype(str))
    with pytest.raises(ValueError, match=r"visit column 'day' must be numeric.*'day 10'"):
        ordinal_model(data, outcome="y", arm="trt", subject="id", visit="day")


def test_bad_correlation_names_the_allowed(koch):
    with pytest.raises(ValueError, match=r"allowed: \['global_odds_ratio', 'independence'\]"):
        ordinal_model(koch, outcome="y", arm="trt", subject="id", visit="day",
                      correlation="exchangeable")  # fmt: skip
