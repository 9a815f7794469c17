"""Tests of acne_outcomes.stats.counts: R references, truth recovery, argument checks."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats as scipy_stats

from acne_outcomes.checks import NotEstimable
from acne_outcomes.stats.ancova import ancova
from acne_outcomes.stats.counts import count_model, percent_change_ancova

REFERENCE = Path(__file__).parents[1] / "reference" / "counts"
COLUMNS = {"outcome": "lesions", "subject": "subject_id", "visit": "month", "arm": "arm"}


@pytest.fixture(scope="module")
def reference_data():
    return pd.read_csv(REFERENCE / "counts_data.csv")


@pytest.fixture(scope="module")
def expected():
    coefficients = pd.read_csv(REFERENCE / "expected_coefficients.csv")
    parameters = pd.read_csv(REFERENCE / "expected_parameters.csv").set_index("quantity")
    return coefficients, parameters["value"]


def _r_rows(coefficients, model):
    rows = coefficients.loc[coefficients["model"] == model]
    return rows.loc[rows["term"].str.endswith(":iso")]


def test_poisson_exchangeable_matches_geepack(reference_data, expected):
    coefficients, parameters = expected
    result = count_model(reference_data, **COLUMNS, baseline="baseline", family="poisson")
    fit = result.estimates
    per_visit = fit.loc[fit["visit"].notna()]
    r_rows = _r_rows(coefficients, "poisson_exchangeable")
    assert_allclose(np.log(per_visit["estimate"]), r_rows["estimate"], rtol=1e-4, atol=1e-5)
    assert_allclose(per_visit["se"], r_rows["robust_se"], rtol=1e-3, atol=1e-5)
    # geepack and statsmodels use different degrees-of-freedom corrections in the moment
    # estimator of the exchangeable correlation (statsmodels subtracts p from the pair count
    # and rescales by the Pearson scale with N − p): about 0.5 % apart here.
    assert_allclose(
        result.diagnostic("correlation_parameter"),
        parameters["poisson_exchangeable_correlation"],
        rtol=1e-2,
    )
    assert result.diagnostic("alpha") is None
    assert result.diagnostic("converged")


def test_negbin_alpha_and_coefficients_match_glm_nb(reference_data, expected):
    coefficients, parameters = expected
    result = count_model(reference_data, **COLUMNS, baseline="baseline", correlation="independence")
    assert_allclose(result.diagnostic("alpha"), parameters["alpha_all_visits"], rtol=1e-5)
    fit = result.estimates
    per_visit = fit.loc[fit["visit"].notna()]
    r_rows = _r_rows(coefficients, "negbin_independence")
    assert_allclose(np.log(per_visit["estimate"]), r_rows["estimate"], rtol=1e-5, atol=1e-6)
    assert_allclose(per_visit["se"], r_rows["robust_se"], rtol=1e-4, atol=1e-6)


def test_negbin_single_visit_matches_glm_nb(reference_data, expected):
    coefficients, parameters = expected
    month12 = reference_data.loc[reference_data["month"] == 12]
    result = count_model(month12, **COLUMNS, baseline="baseline", correlation="independence")
    assert_allclose(result.diagnostic("alpha"), parameters["alpha_month12"], rtol=1e-5)
    fit = result.estimates
    r_iso = coefficients.query("model == 'negbin_month12' and term == 'iso'")
    row = fit.loc[fit["visit"] == 12].iloc[0]
    assert_allclose(np.log(row["estimate"]), r_iso["estimate"].iloc[0], rtol=1e-5)
    assert_allclose(row["se"], r_iso["robust_se"].iloc[0], rtol=1e-4)


def test_negbin_exchangeable_estimates_alpha_and_reports_it(reference_data, expected):
    _, parameters = expected
    result = count_model(reference_data, **COLUMNS, baseline="baseline")
    alpha = result.diagnostic("alpha")
    assert alpha != 1.0
    assert_allclose(alpha, parameters["alpha_all_visits"], rtol=1e-5)
    assert result.diagnostic("alpha_method") == "ML, independence NB2 model"
    fit = result.estimates
    assert f"alpha = {alpha:.3f}" in fit["method"].iloc[0]
    assert list(fit["visit"].iloc[:4]) == [3, 6, 9, 12]
    assert fit["visit"].iloc[-1] is pd.NA
    # the average is the geometric mean of the visit ratios
    assert_allclose(
        fit["estimate"].iloc[-1], np.exp(np.log(fit["estimate"].iloc[:4]).mean()), rtol=1e-12
    )
    assert (fit["ci_low"] < fit["estimate"]).all() and (fit["estimate"] < fit["ci_high"]).all()


def test_percent_change_ancova_matches_lm(reference_data):
    expected = pd.read_csv(REFERENCE / "expected_ancova.csv").iloc[0]
    data = reference_data.copy()
    data.loc[0, "baseline"] = 0  # a month-3 row: must not matter at month 12
    result = percent_change_ancova(data, **COLUMNS, baseline="baseline", at_visit=12, ci_level=0.9)
    fit = result.estimates
    row = fit.loc[fit["scale"] == "mean difference"].iloc[0]
    assert_allclose(
        row[["estimate", "se", "ci_low", "ci_high", "p_value"]].to_numpy(float),
        expected[["estimate", "se", "ci_low_90", "ci_high_90", "p_value"]].to_numpy(float),
        rtol=1e-8,
    )
    assert row["n"] == expected["n"]
    assert result.diagnostic("residual_df") == expected["n"] - 3
    means = fit.loc[fit["scale"] == "mean"].set_index("contrast")["estimate"]
    assert_allclose(means["isotretinoin"] - means["comparator"], row["estimate"], rtol=1e-10)


def test_percent_change_ancova_counts_zero_baselines(reference_data):
    data = reference_data.copy()
    twelve = data.index[data["month"] == 12]
    data.loc[twelve[:3], "baseline"] = 0
    data.loc[twelve[3], "lesions"] = np.nan
    fit = percent_change_ancova(data, **COLUMNS, baseline="baseline", at_visit=12)
    assert fit.n_excluded == 4
    assert fit.exclusions() == {
        "lesions missing": 1,
        "baseline is 0: percent change undefined": 3,
    }
    assert fit.estimates["n"].iloc[-1] == len(twelve) - 4


def _simulate(rng, n_subjects, rate_ratio, months=(3, 6, 12)):
    arm = np.repeat(["comparator", "isotretinoin"], n_subjects // 2)
    frailty = rng.gamma(2.0, 0.5, n_subjects)
    rows = []
    for month in months:
        mean = 15 * frailty * np.where(arm == "isotretinoin", rate_ratio, 1.0)
        counts = rng.poisson(rng.gamma(2.0, mean / 2.0))
        rows.append(
            pd.DataFrame(
                {"subject_id": np.arange(n_subjects), "arm": arm, "month": month, "lesions": counts}
            )
        )
    return pd.concat(rows, ignore_index=True)


def _recovery(n_replicates, n_subjects, family, seed):
    rng = np.random.default_rng(seed)
    true_ratio = 0.6
    log_estimates, covered = [], 0
    for _ in range(n_replicates):
        fit = count_model(_simulate(rng, n_subjects, true_ratio), **COLUMNS, family=family)
        average = fit.estimates.iloc[-1]
        log_estimates.append(np.log(average["estimate"]))
        covered += average["ci_low"] <= true_ratio <= average["ci_high"]
    return np.mean(log_estimates) - np.log(true_ratio), covered


def _min_covered(n_replicates, level=0.95, tail=0.001):
    return scipy_stats.binom.ppf(tail, n_replicates, level)


@pytest.mark.parametrize("family", ["negbin", "poisson"])
def test_truth_recovery_fast(family):
    bias, covered = _recovery(40, 120, family, seed=11)
    assert abs(bias) < 0.05
    assert covered >= _min_covered(40)


@pytest.mark.slow
def test_truth_recovery_slow():
    bias, covered = _recovery(400, 200, "negbin", seed=12)
    assert abs(bias) < 0.015
    assert covered >= _min_covered(400)


def test_same_input_same_output(reference_data):
    first = count_model(reference_data, **COLUMNS, baseline="baseline")
    second = count_model(
        reference_data.sample(frac=1, random_state=3), **COLUMNS, baseline="baseline"
    )
    pd.testing.assert_frame_equal(first.estimates, second.estimates, rtol=1e-6)


def test_boundary_alpha_warns_and_flags():
    rng = np.random.default_rng(5)
    data = pd.DataFrame(
        {
            "subject_id": np.arange(400),
            "month": 6,
            "arm": np.repeat(["comparator", "isotretinoin"], 200),
        }
    )
    data["lesions"] = rng.binomial(20, 0.5, 400)  # under-dispersed: NB alpha ML is 0
    with pytest.warns(Warning, match="boundary"):
        fit = count_model(data, **COLUMNS)
    assert fit.diagnostic("boundary")
    assert "Poisson" in fit.estimates["method"].iloc[0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcome": "nope"}, "allowed"),
        ({"family": "gamma"}, r"allowed: \['negbin', 'poisson'\]"),
        ({"correlation": "unstructured"}, "allowed: .*exchangeable"),
        ({"reference": "placebo"}, r"allowed: \['comparator', 'isotretinoin'\]"),
        ({"ci_level": 95}, r"\(0, 1\)"),
        ({"ci_level": 0.0}, r"\(0, 1\)"),
    ],
)
def test_bad_arguments_raise(reference_data, kwargs, message):
    with pytest.raises(ValueError, match=message):
        count_model(reference_data, **{**COLUMNS, **kwargs})


def test_negative_counts_rejected(reference_data):
    data = reference_data.copy()
    data.loc[0, "lesions"] = -1
    with pytest.raises(ValueError, match="non-negative integer"):
        count_model(data, **COLUMNS)


def test_missing_rows_excluded_and_counted(reference_data):
    data = reference_data.copy()
    data.loc[[0, 5, 9], "lesions"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = count_model(data, **COLUMNS, baseline="baseline")
    assert fit.n_excluded == 3
    assert fit.exclusions() == {"lesions missing": 3}
    rows = fit.estimates
    assert rows.loc[rows["visit"] == 3, "n"].iloc[0] == 160 - 1


def test_standard_dtypes_nullable_counts_and_categorical_arm(reference_data):
    data = reference_data.copy()
    data["lesions"] = data["lesions"].astype("Int64")
    data.loc[[2, 7], "lesions"] = pd.NA
    data["arm"] = pd.Categorical(data["arm"], categories=["comparator", "isotretinoin"])
    data["subject_id"] = "S" + data["subject_id"].astype(str)
    fit = count_model(data, **COLUMNS, baseline="baseline")
    plain = count_model(reference_data.drop(index=[2, 7]), **COLUMNS, baseline="baseline")
    assert fit.n_excluded == 2
    assert_allclose(fit.estimates["estimate"], plain.estimates["estimate"], rtol=1e-6)


# ---- published data: MASS::epil and nlme::BodyWeight against R gee ---------------------
# (tests/reference/counts_epil/epil_reference.R wrote the data and expected_gee.csv)

EPIL = Path(__file__).parents[1] / "reference" / "counts_epil"
EPIL_COLUMNS = {"outcome": "y", "subject": "subject", "visit": "period", "arm": "trt"}


@pytest.fixture(scope="module")
def epil():
    return pd.read_csv(EPIL / "epil.csv")


@pytest.fixture(scope="module")
def gee_reference():
    return pd.read_csv(EPIL / "expected_gee.csv")


def _gee(reference, model, term):
    return reference.query("model == @model and term == @term").iloc[0]


def _log_ratio_and_se(fit):
    rows = fit.estimates
    return np.log(rows["estimate"].to_numpy(float)), rows["se"].to_numpy(float)


def test_epil_common_effect_matches_gee(epil, gee_reference):
    """Thall & Vail's covariates, one treatment effect for all periods: gee::gee(y ~ trt +
    lbase + lage + V4, family = poisson, corstr = "exchangeable")."""
    fit = count_model(epil, **EPIL_COLUMNS, covariates=["lbase", "lage", "V4"],
                      arm_effect="common", visit_effect="none", family="poisson")  # fmt: skip
    expected = _gee(gee_reference, "common", "trtprogabide")
    log_ratio, se = _log_ratio_and_se(fit)
    assert fit.estimates["contrast"].tolist() == ["progabide / placebo"]
    assert fit.estimates["visit"].isna().all() and fit.estimates["n"].tolist() == [59]
    assert_allclose(log_ratio, expected["estimate"], rtol=1e-6)
    assert_allclose(se, expected["robust_se"], rtol=1e-6)
    assert_allclose(fit.diagnostic("correlation_parameter"), expected["correlation"], rtol=1e-5)
    assert (
        "one rate ratio for all visits; adjusted for lbase, lage, V4" in fit.estimates["method"][0]
    )


def test_epil_treatment_by_baseline_with_log_transform_matches_gee(epil, gee_reference):
    """Breslow & Clayton's model II: trt * lbase; the log baseline, centred, is MASS's lbase."""
    fit = count_model(epil, **EPIL_COLUMNS, baseline="base", baseline_transform="log",
                      arm_by_baseline=True, covariates=["lage", "V4"], arm_effect="common",
                      visit_effect="none", family="poisson")  # fmt: skip
    log_ratio, se = _log_ratio_and_se(fit)
    expected = _gee(gee_reference, "interaction", "trtprogabide")
    assert_allclose(log_ratio, expected["estimate"], rtol=1e-6)
    assert_allclose(se, expected["robust_se"], rtol=1e-6)


def test_epil_rate_ratio_per_period_with_covariates_matches_gee(epil, gee_reference):
    fit = count_model(epil, **EPIL_COLUMNS, covariates=["lbase", "lage"], family="poisson")
    rows = fit.estimates.loc[fit.estimates["visit"].notna()]
    expected = gee_reference.query("model == 'by_period' and term.str.endswith(':progabide')")
    assert_allclose(np.log(rows["estimate"]), expected["estimate"], rtol=1e-6, atol=1e-9)
    assert_allclose(rows["se"], expected["robust_se"], rtol=1e-6)


def test_epil_offset_for_the_eight_week_baseline_matches_gee(epil, gee_reference):
    """The baseline count as a response over 8 weeks, the periods over 2: offset log(weeks)."""
    baseline = epil.loc[epil["period"] == 1].assign(y=lambda frame: frame["base"], period=0)
    stacked = pd.concat([baseline, epil], ignore_index=True)
    stacked["post"] = (stacked["period"] > 0).astype(float)
    stacked["log_weeks"] = np.log(np.where(stacked["period"] == 0, 8.0, 2.0))
    fit = count_model(stacked, **EPIL_COLUMNS, covariates=["post"], offset="log_weeks",
                      arm_effect="common", visit_effect="none", family="poisson")  # fmt: skip
    log_ratio, se = _log_ratio_and_se(fit)
    expected = _gee(gee_reference, "offset", "trtprogabide")
    assert_allclose(log_ratio, expected["estimate"], rtol=1e-5)
    assert_allclose(se, expected["robust_se"], rtol=1e-5)
    assert fit.estimates["method"][0].endswith("offset log_weeks)")


def test_epil_ar1_matches_gee_without_a_warning(epil, gee_reference):
    """Finding 7: correlation="ar1" leaked statsmodels' FutureWarning (grid); grid=True is
    gee's AR-M (Mv = 1) moment estimator."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = count_model(epil, **EPIL_COLUMNS, covariates=["lbase", "lage"], family="poisson",
                          correlation="ar1")  # fmt: skip
    rows = fit.estimates.loc[fit.estimates["visit"].notna()]
    expected = gee_reference.query("model == 'ar1' and term.str.endswith(':progabide')")
    assert_allclose(np.log(rows["estimate"]), expected["estimate"], rtol=1e-5, atol=1e-7)
    assert_allclose(rows["se"], expected["robust_se"], rtol=1e-5)
    ar1 = gee_reference.query("model == 'ar1'")["correlation"].iloc[0]
    assert_allclose(fit.diagnostic("correlation_parameter"), ar1, rtol=1e-5)


def test_text_visits_fail_early_with_the_labels(epil):
    """Finding 6: text visit labels failed late, with a pyarrow error."""
    data = epil.assign(period="period " + epil["period"].astype(str))
    with pytest.raises(ValueError, match=r"visit column 'period' must be numeric.*'period 1'"):
        count_model(data, **EPIL_COLUMNS)


def test_three_arms_n_counts_the_two_compared_arms(gee_reference):
    """Finding 8: per-visit n counted the subjects of every arm (16 rats, not 12)."""
    data = pd.read_csv(EPIL / "bodyweight.csv")
    fit = count_model(data, outcome="weight", subject="Rat", visit="Time", arm="Diet",
                      family="poisson")  # fmt: skip
    rows = fit.estimates.loc[fit.estimates["visit"].notna()]
    expected_n = gee_reference.query("model == 'bodyweight_n'")
    labels = rows["contrast"] + " at " + rows["visit"].astype(int).astype(str)
    assert labels.tolist() == expected_n["term"].tolist()
    assert rows["n"].tolist() == expected_n["estimate"].astype(int).tolist()
    assert fit.estimates.loc[fit.estimates["visit"].isna(), "n"].tolist() == [12, 12]
    expected = gee_reference.query("model == 'bodyweight' and term.str.contains(':diet')")
    order = [f"fTime{t}:diet{d}" for d in (2, 3) for t in (1, 22, 43, 64)]
    expected = expected.set_index("term").loc[order]
    assert_allclose(np.log(rows["estimate"]), expected["estimate"], rtol=1e-5)
    assert_allclose(rows["se"], expected["robust_se"], rtol=1e-4)


def test_categorical_covariate_is_dummy_coded(epil):
    data = epil.assign(age_group=np.where(epil["age"] >= 30, "30+", "under 30"))
    coded = data.assign(age_30=(data["age_group"] == "under 30").astype(float))
    text = count_model(data, **EPIL_COLUMNS, covariates=["age_group"], family="poisson")
    numeric = count_model(coded, **EPIL_COLUMNS, covariates=["age_30"], family="poisson")
    assert_allclose(text.estimates["estimate"], numeric.estimates["estimate"], rtol=1e-8)
    assert_allclose(text.estimates["se"], numeric.estimates["se"], rtol=1e-8)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"arm_effect": "pooled"}, ValueError, r"allowed: \['by_visit', 'common'\]"),
        ({"visit_effect": "linear"}, ValueError, r"allowed: \['by_visit', 'none'\]"),
        ({"baseline_transform": "sqrt"}, ValueError, r"allowed: \['log1p', 'log', 'identity'\]"),
        ({"arm_by_baseline": True}, ValueError, "needs baseline="),
        ({"covariates": ["weight"]}, ValueError, r"covariates\[0\]='weight' is not a column"),
        ({"offset": "trt"}, ValueError, "offset column 'trt' must be numeric"),
        ({"covariates": ["V4"]}, NotEstimable, "rank deficient"),
        ({"baseline": "y", "baseline_transform": "log"}, NotEstimable, "positive baseline"),
    ],
)
def test_bad_new_arguments_raise(epil, kwargs, error, message):
    with pytest.raises(error, match=message):
        count_model(epil, **EPIL_COLUMNS, family="poisson", **kwargs)


def test_percent_change_ancova_with_a_categorical_covariate(reference_data):
    data = reference_data.assign(site=np.where(reference_data["subject_id"] % 3 == 0, "A", "B"))
    fit = percent_change_ancova(data, **COLUMNS, baseline="baseline", at_visit=12,
                                covariates=["site"])  # fmt: skip
    month12 = data.loc[(data["month"] == 12) & (data["baseline"] > 0)]
    change = 100 * (month12["lesions"] - month12["baseline"]) / month12["baseline"]
    coded = month12.assign(change=change, site_b=(month12["site"] == "B").astype(float))
    by_hand = ancova(coded, outcome="change", arm="arm", covariates=["baseline", "site_b"])
    assert_allclose(fit.estimates["estimate"], by_hand.estimates["estimate"], rtol=1e-10)
    assert_allclose(fit.estimates["se"], by_hand.estimates["se"], rtol=1e-10)
    assert fit.estimates["method"].iloc[0].endswith("adjusted for baseline, site")


# ---- the vectorised GEE against statsmodels' (issue 16) -----------------------------------


def _unbalanced_counts(seed):
    """Clusters of 1 to 5 visits, NB counts with a subject effect, an offset and a covariate."""
    rng = np.random.default_rng(seed)
    rows = []
    for subject in range(150):
        arm = "isotretinoin" if subject % 2 else "comparator"
        frailty, sex = rng.gamma(2, 0.5), rng.choice(["f", "m"])
        for month in sorted(rng.choice([1, 2, 3, 4, 5], size=rng.integers(1, 6), replace=False)):
            weeks = rng.uniform(3, 5)
            rate = frailty * weeks * 4 * (0.6 if arm == "isotretinoin" else 1.0) * (1 + month / 10)
            rows.append({"subject_id": subject, "month": month, "arm": arm, "sex": sex,
                         "log_weeks": np.log(weeks), "lesions": rng.negative_binomial(3, 3 / (3 + rate))})  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize(
    "options",
    [{}, {"family": "poisson"}, {"correlation": "independence"},
     {"covariates": ["sex"], "offset": "log_weeks", "arm_effect": "common"}],
)  # fmt: skip
def test_vectorised_gee_equals_statsmodels_gee(monkeypatch, seed, options):
    """The hand-written GEE (every cluster at once) is statsmodels' algorithm step for step: the
    same estimates, robust SEs, p-values and working correlation to 1e-8 (relative)."""
    from acne_outcomes.stats import counts

    data = _unbalanced_counts(seed)
    fast = count_model(data, **COLUMNS, **options)

    def statsmodels_path(endog, exog, groups, alpha, offset, start, correlation):
        return counts._statsmodels_gee(endog, exog, groups, None, alpha, offset, start, correlation)

    monkeypatch.setattr(counts, "_gee_log_link", statsmodels_path)
    reference = count_model(data, **COLUMNS, **options)
    for column in ("estimate", "se", "ci_low", "ci_high", "p_value"):
        assert_allclose(fast.estimates[column].to_numpy(float),
                        reference.estimates[column].to_numpy(float), rtol=1e-8)  # fmt: skip
    if options.get("correlation") != "independence":
        assert_allclose(fast.diagnostic("correlation_parameter"),
                        reference.diagnostic("correlation_parameter"), rtol=1e-8)  # fmt: skip
    else:
        assert fast.diagnostic("correlation_parameter") is None
