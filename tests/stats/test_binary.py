"""Tests of acne_outcomes.stats.binary: Newcombe's table, R references, NNT, truth recovery."""

from __future__ import annotations

import warnings
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats as scipy_stats

from acne_outcomes.stats.binary import (
    binary_comparison,
    cmh_odds_ratio,
    logistic_model,
    nnt_interval,
    nnt_label,
)

REFERENCE = Path(__file__).parents[1] / "reference" / "binary"


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REFERENCE / "binary_data.csv")


@pytest.fixture(scope="module")
def expected():
    return pd.read_csv(REFERENCE / "expected_binary.csv").set_index("quantity")["value"]


def _two_arms(events_1, n_1, events_0, n_0):
    return pd.DataFrame(
        {
            "arm": ["isotretinoin"] * n_1 + ["comparator"] * n_0,
            "y": [1] * events_1 + [0] * (n_1 - events_1) + [1] * events_0 + [0] * (n_0 - events_0),
        }
    )


# Newcombe (1998) Stat Med 17:873-890, Table II, method 10 (score, no continuity correction),
# examples (a), (c), (d), (f): published to 4 decimals.
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
]


@pytest.mark.parametrize(("counts", "interval"), NEWCOMBE_TABLE_II)
def test_risk_difference_matches_newcombe_table(counts, interval):
    with pytest.warns(RuntimeWarning, match="zero cell") if 0 in counts else nullcontext():
        fit = binary_comparison(_two_arms(*counts), outcome="y", arm="arm").estimates
    row = fit.loc[fit["scale"] == "risk difference"].iloc[0]
    assert_allclose([row["ci_low"], row["ci_high"]], interval, atol=5e-5, rtol=0)
    assert_allclose(row["estimate"], counts[0] / counts[1] - counts[2] / counts[3], rtol=1e-12)


def test_binary_comparison_matches_r(data, expected):
    fit = binary_comparison(data, outcome="success", arm="arm").estimates.set_index("scale")
    proportions = fit.loc["proportion"].set_index("contrast")
    assert_allclose(
        proportions.loc["isotretinoin", ["estimate", "ci_low", "ci_high"]].to_numpy(float),
        expected[["p_iso", "p_iso_low", "p_iso_high"]],
        rtol=1e-10,
    )
    assert_allclose(
        proportions.loc["comparator", ["estimate", "ci_low", "ci_high"]].to_numpy(float),
        expected[["p_comp", "p_comp_low", "p_comp_high"]],
        rtol=1e-10,
    )
    for scale, keys in [
        ("risk difference", ["rd", "rd_low", "rd_high"]),
        ("risk ratio", ["rr", "rr_low", "rr_high"]),
        ("odds ratio", ["or", "or_low", "or_high"]),
    ]:
        assert_allclose(
            fit.loc[scale, ["estimate", "ci_low", "ci_high"]].to_numpy(float),
            expected[keys],
            rtol=1e-9,
            err_msg=scale,
        )
    assert_allclose(fit.loc["risk difference", "p_value"], expected["chisq_p"], rtol=1e-9)
    nnt = fit.loc["number needed to treat"]
    assert_allclose(
        nnt[["estimate", "ci_low", "ci_high"]].to_numpy(float),
        1 / expected[["rd", "rd_high", "rd_low"]].to_numpy(),
        rtol=1e-9,
    )
    assert nnt["method"].startswith("NNTB 6.8 (95% CI NNTB 3.9 to 28.8)")


def test_logistic_matches_r_glm(data, expected):
    fit = logistic_model(data, outcome="success", arm="arm", baseline="baseline_iga")
    row = fit.estimates.iloc[0]
    assert_allclose(
        row[["estimate", "ci_low", "ci_high", "p_value", "se"]].to_numpy(float),
        expected[["glm_or", "glm_or_low", "glm_or_high", "glm_p", "glm_se"]],
        rtol=1e-6,
    )
    assert fit.diagnostic("converged") and not fit.diagnostic("separation")


def test_cmh_matches_r_mantelhaen(data, expected):
    fit = cmh_odds_ratio(data, outcome="success", arm="arm", stratum="site")
    assert_allclose(
        fit.estimates.iloc[0][["estimate", "ci_low", "ci_high", "p_value"]].to_numpy(float),
        expected[["mh_or", "mh_low", "mh_high", "mh_p"]],
        rtol=1e-8,
    )
    assert fit.diagnostic("n_strata") == 4 and fit.diagnostic("n_strata_dropped") == 0
    assert 0 <= fit.diagnostic("breslow_day_p_value") <= 1
    assert fit.diagnostic("boundary") is False and fit.n_excluded == 0


def test_nnt_through_infinity_and_harm():
    assert nnt_interval(0.1, -0.05, 0.25) == (10.0, 4.0, -20.0)
    assert nnt_label(*nnt_interval(0.1, -0.05, 0.25)) == (
        "NNTB 10.0 (95% CI NNTB 4.0 to ∞ to NNTH 20.0)"
    )
    assert nnt_label(*nnt_interval(-0.05, -0.2, 0.1)) == (
        "NNTH 20.0 (95% CI NNTB 10.0 to ∞ to NNTH 5.0)"
    )
    assert nnt_interval(-0.25, -0.4, -0.1) == (-4.0, -10.0, -2.5)
    # adverse events: more events on the arm is harm
    fit = binary_comparison(
        _two_arms(30, 100, 10, 100), outcome="y", arm="arm", beneficial=False
    ).estimates
    nnt = fit.loc[fit["scale"] == "number needed to treat"].iloc[0]
    assert nnt["estimate"] == pytest.approx(-5.0)
    assert nnt["method"].startswith("NNTH 5.0")
    assert nnt["ci_low"] < nnt["ci_high"] < 0


def test_missing_and_bad_outcomes(data):
    frame = data.copy()
    frame["success"] = frame["success"].astype("Float64")
    frame.loc[[1, 2], "success"] = pd.NA
    fit = binary_comparison(frame, outcome="success", arm="arm")
    assert fit.n_excluded == 2
    assert fit.exclusions() == {"success missing": 2}
    rows = fit.estimates
    assert rows.loc[rows["scale"] == "risk difference", "n"].iloc[0] == len(frame) - 2
    frame.loc[3, "success"] = 2
    with pytest.raises(ValueError, match="boolean or 0/1"):
        binary_comparison(frame, outcome="success", arm="arm")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcome": "nope"}, "allowed"),
        ({"reference": "placebo"}, "allowed: .*comparator"),
        ({"ci_level": 1.0}, r"\(0, 1\)"),
    ],
)
@pytest.mark.parametrize("function", [binary_comparison, logistic_model])
def test_bad_arguments(data, function, kwargs, message):
    with pytest.raises(ValueError, match=message):
        function(data, **{"outcome": "success", "arm": "arm", **kwargs})


def test_separation_warns_and_flags():
    frame = _two_arms(50, 50, 0, 50)
    frame["x"] = np.arange(100) % 3
    with pytest.warns(Warning, match="separation"):
        fit = logistic_model(frame, outcome="y", arm="arm", baseline="x")
    assert fit.diagnostic("separation") and not fit.diagnostic("converged")


def _recovery(n_replicates, n_per_arm, seed):
    rng = np.random.default_rng(seed)
    true_log_or = np.log(2.0)
    covered = {"logistic": 0, "cmh": 0, "rd": 0}
    estimates = []
    for _ in range(n_replicates):
        frame = pd.DataFrame(
            {
                "arm": np.repeat(["comparator", "isotretinoin"], n_per_arm),
                "site": rng.choice(["a", "b", "c"], 2 * n_per_arm),
            }
        )
        shift = frame["site"].map({"a": -0.5, "b": 0.0, "c": 0.5})
        logit = -0.2 + true_log_or * (frame["arm"] == "isotretinoin") + shift
        frame["y"] = (rng.random(len(frame)) < 1 / (1 + np.exp(-logit))).astype(int)
        frame["site_code"] = frame["site"].map({"a": 0, "b": 1, "c": 2})
        logistic = logistic_model(frame, outcome="y", arm="arm", baseline=["site_code"])
        logistic = logistic.estimates.iloc[0]
        cmh = cmh_odds_ratio(frame, outcome="y", arm="arm", stratum="site").estimates.iloc[0]
        estimates.append(np.log(cmh["estimate"]))
        covered["logistic"] += logistic["ci_low"] <= 2.0 <= logistic["ci_high"]
        covered["cmh"] += cmh["ci_low"] <= 2.0 <= cmh["ci_high"]
        # marginal risk difference truth, by numerical averaging over sites
        risk = [
            np.mean([1 / (1 + np.exp(-(-0.2 + t * true_log_or + s))) for s in (-0.5, 0.0, 0.5)])
            for t in (0, 1)
        ]
        rd = binary_comparison(frame, outcome="y", arm="arm").estimates
        rd = rd.loc[rd["scale"] == "risk difference"].iloc[0]
        covered["rd"] += rd["ci_low"] <= risk[1] - risk[0] <= rd["ci_high"]
    return np.mean(estimates) - true_log_or, covered


def test_truth_recovery_fast():
    n_replicates = 60
    bias, covered = _recovery(n_replicates, 150, seed=21)
    assert abs(bias) < 0.06
    minimum = scipy_stats.binom.ppf(0.001, n_replicates, 0.95)
    assert min(covered.values()) >= minimum, covered


@pytest.mark.slow
def test_truth_recovery_slow():
    n_replicates = 600
    bias, covered = _recovery(n_replicates, 200, seed=22)
    assert abs(bias) < 0.02
    minimum = scipy_stats.binom.ppf(0.001, n_replicates, 0.95)
    assert min(covered.values()) >= minimum, covered


def test_cmh_infinite_odds_ratio_warns_and_flags():
    frame = pd.DataFrame(
        {
            "site": ["a"] * 8 + ["b"] * 8,
            "arm": (["isotretinoin"] * 4 + ["comparator"] * 4) * 2,
            "y": [1, 1, 1, 1, 0, 0, 1, 0] * 2,
        }
    )
    with pytest.warns(RuntimeWarning, match="0 or infinite"):
        fit = cmh_odds_ratio(frame, outcome="y", arm="arm", stratum="site")
    assert fit.diagnostic("boundary") and np.isinf(fit.estimates["estimate"].iloc[0])
    assert np.isnan(fit.estimates["ci_low"].iloc[0])
    assert np.isnan(fit.diagnostic("breslow_day_p_value"))


# ---- Miettinen-Nurminen, ratios without events, categorical covariates -------------------

# Newcombe (1998) Stat Med 17:873-890, Table II, method 6 (Miettinen & Nurminen 1985), the
# eight examples (a)-(h), published to 4 decimals. No R implementation is packaged in Debian;
# the interval is computed from the published formula (binary._miettinen_nurminen).
MIETTINEN_NURMINEN_TABLE_II = [
    ((56, 70, 48, 80), (0.0528, 0.3382)),
    ((9, 10, 3, 10), (0.1700, 0.8406)),
    ((6, 7, 2, 7), (0.0342, 0.8534)),
    ((5, 56, 0, 29), (-0.0326, 0.1933)),
    ((0, 10, 0, 20), (-0.1658, 0.2844)),
    ((0, 10, 0, 10), (-0.2879, 0.2879)),
    ((10, 10, 0, 20), (0.7156, 1.0000)),
    ((10, 10, 0, 10), (0.6636, 1.0000)),
]
PUBLISHED = Path(__file__).parents[1] / "reference" / "binary_published"


@pytest.mark.parametrize(("counts", "interval"), MIETTINEN_NURMINEN_TABLE_II)
def test_miettinen_nurminen_matches_newcombe_table(counts, interval):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # zero cells: the ratios' correction
        fit = binary_comparison(_two_arms(*counts), outcome="y", arm="arm",
                                difference_ci="miettinen_nurminen").estimates  # fmt: skip
    row = fit.loc[fit["scale"] == "risk difference"].iloc[0]
    assert [round(row["ci_low"], 4), round(row["ci_high"], 4)] == list(interval)  # as published
    assert row["method"] == "Miettinen-Nurminen score interval (method 6)"
    events, total = counts[0] + counts[2], counts[1] + counts[3]
    if 0 < events < total:
        # the score test at 0 is Pearson's chi-square times (N - 1) / N
        table = np.array([[counts[0], counts[1] - counts[0]], [counts[2], counts[3] - counts[2]]])
        pearson = scipy_stats.chi2_contingency(table, correction=False)[0]
        assert_allclose(row["p_value"], scipy_stats.chi2.sf(pearson * (total - 1) / total, 1))


@pytest.mark.parametrize("example", [0, 1])
def test_no_events_in_either_arm_ratios_not_estimable(example):
    """Finding 5: with no event in either arm the risk and odds ratios are 0/0 (NaN in R) and
    not estimable; they were reported (RR 1.909, 0.041-89.8). The risk difference is."""
    expected = pd.read_csv(PUBLISHED / "expected_newcombe.csv").iloc[example]
    counts = expected[["x1", "n1", "x0", "n0"]].astype(int).tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = binary_comparison(_two_arms(*counts), outcome="y", arm="arm")
    fit = result.estimates.set_index("scale")
    assert np.isnan(expected["rr"]) and np.isnan(expected["or"]) and np.isnan(expected["chisq_p"])
    for scale in ("risk ratio", "odds ratio"):
        row = fit.loc[scale]
        assert row[["estimate", "ci_low", "ci_high", "p_value", "se"]].isna().all()
        assert row["method"] == "not estimable: no subject had the event in either arm"
    difference = fit.loc["risk difference"]
    assert_allclose(difference[["estimate", "ci_low", "ci_high"]].to_numpy(float),
                    expected[["rd", "rd_low", "rd_high"]].to_numpy(float), rtol=1e-9,
                    atol=1e-15)  # fmt: skip
    assert np.isnan(difference["p_value"])
    assert result.diagnostic("ratios_not_estimable") is True
    assert result.diagnostic("zero_cell_correction") is False


def test_every_subject_with_the_event_ratios_not_estimable():
    fit = binary_comparison(_two_arms(10, 10, 20, 20), outcome="y", arm="arm")
    assert fit.diagnostic("ratios_not_estimable") is True
    rows = fit.estimates.set_index("scale")
    assert rows.loc["odds ratio", "method"].endswith("every subject had the event in both arms")


def test_logistic_with_a_categorical_covariate_matches_glm():
    """Finding 7: logistic_model took numeric baseline covariates only (birthwt's race)."""
    data = pd.read_csv(PUBLISHED / "birthwt.csv")
    expected = pd.read_csv(PUBLISHED / "expected_birthwt.csv").set_index("model")
    fit = logistic_model(data, outcome="low", arm="smoke", covariates=["race", "age", "lwt"])
    row = fit.estimates.iloc[0]
    assert_allclose(np.log(row[["estimate", "ci_low", "ci_high"]].to_numpy(float)),
                    expected.loc["logistic", ["estimate", "ci_low", "ci_high"]].to_numpy(float),
                    rtol=1e-7)  # fmt: skip
    assert_allclose(
        row[["se", "p_value"]].to_numpy(float),
        expected.loc["logistic", ["se", "p_value"]].to_numpy(float),
        rtol=1e-6,
    )
    assert row["method"] == "logistic regression (ML, Wald) adjusted for race, age, lwt"


def test_bad_difference_ci_names_the_allowed(data):
    with pytest.raises(ValueError, match=r"allowed: \['newcombe', 'miettinen_nurminen'\]"):
        binary_comparison(data, outcome="success", arm="arm", difference_ci="wald")
