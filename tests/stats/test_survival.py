"""Tests of acne_outcomes.stats.survival against R survival, plus truth recovery."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats as scipy_stats

from acne_outcomes.stats.survival import (
    at_risk,
    cox_model,
    kaplan_meier,
    log_rank,
    time_to_event_summary,
)

REFERENCE = Path(__file__).parents[1] / "reference" / "survival"
KEYS = {"time": "day", "event": "cleared"}


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REFERENCE / "survival_data.csv")


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_kaplan_meier_matches_survfit(data, conf_type):
    expected = pd.read_csv(REFERENCE / "expected_km.csv").query("conf_type == @conf_type")
    result = kaplan_meier(data, **KEYS, arm="arm", conf_type=conf_type)
    assert result.diagnostic("n_events") == int(data["cleared"].sum())
    curve = result.estimates
    curve = curve.loc[curve["scale"] == "survival probability"]
    assert curve["contrast"].tolist() == expected["arm"].tolist()
    assert_allclose(curve["visit"].astype(float), expected["time"], rtol=0, atol=0)
    assert_allclose(curve["n"].astype(float), expected["n_risk"], rtol=0, atol=0)
    assert_allclose(curve["estimate"], expected["surv"], rtol=1e-12)
    assert_allclose(curve["se"], expected["std_err"], rtol=1e-9, atol=1e-12)
    assert_allclose(
        curve[["ci_low", "ci_high"]], expected[["lower", "upper"]], rtol=1e-9, atol=1e-12
    )


def test_median_matches_survfit(data):
    """Finding 4: where S(t) sits exactly at 0.5, R averages the two times (115.5 and 66.5
    here); the tolerance of one week hid the difference."""
    expected = pd.read_csv(REFERENCE / "expected_median.csv").set_index("arm")
    curve = kaplan_meier(data, **KEYS, arm="arm", conf_type="log-log").estimates
    medians = curve.loc[curve["scale"] == "median time"].set_index("contrast")
    assert_allclose(medians["estimate"], expected["median"], rtol=1e-12)
    assert_allclose(medians[["ci_low", "ci_high"]], expected[["lower", "upper"]], rtol=1e-12)


PUBLISHED = Path(__file__).parents[1] / "reference" / "survival_published"


@pytest.fixture(scope="module")
def published():
    return {name: pd.read_csv(PUBLISHED / f"{name}.csv") for name in ("veteran", "lung")}


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_median_and_its_interval_match_survfit_on_veteran_and_lung(published, conf_type):
    """Finding 4: the median is R's (52.5 on the test arm of veteran, where S(t) = 0.5) and
    its interval inverts the conf_type band (veteran standard arm: 59-132 with "log", 54-126
    with "log-log"); it was always log-log."""
    expected = pd.read_csv(PUBLISHED / "expected_median.csv").query("conf_type == @conf_type")
    for (dataset, by), rows in expected.groupby(["dataset", "by"]):
        arm = None if by == "none" else by
        curve = kaplan_meier(published[dataset], time="time", event="died", arm=arm,
                             conf_type=conf_type).estimates  # fmt: skip
        medians = curve.loc[curve["scale"] == "median time"].set_index("contrast")
        ours = medians.loc[rows["group"].astype(str), ["estimate", "ci_low", "ci_high"]]
        assert_allclose(ours.to_numpy(float), rows[["median", "lower", "upper"]].to_numpy(float),
                        rtol=1e-12, err_msg=f"{dataset} by {by}")  # fmt: skip
        assert (medians["method"] == f"Kaplan-Meier median ({conf_type} CI)").all()


def test_cox_with_a_categorical_covariate_matches_coxph(published):
    """Finding 7: a categorical covariate (veteran's cell type) failed."""
    expected = pd.read_csv(PUBLISHED / "expected_cox.csv").set_index("term").loc["armtest"]
    fit = cox_model(published["veteran"], time="time", event="died", arm="arm",
                    covariates=["celltype", "karno"])  # fmt: skip
    row = fit.estimates.iloc[0]
    assert row["contrast"] == "test / standard"
    assert_allclose(np.log(row["estimate"]), expected["estimate"], rtol=1e-7)
    assert_allclose(row["se"], expected["se"], rtol=1e-6)
    assert_allclose(row["p_value"], expected["p_value"], rtol=1e-5)
    assert fit.diagnostic("converged")


def test_log_rank_matches_survdiff(data):
    expected = pd.read_csv(REFERENCE / "expected_logrank.csv").set_index("test")
    plain_result = log_rank(data, **KEYS, arm="arm")
    assert plain_result.diagnostic("df") == 1
    plain = plain_result.estimates.iloc[0]
    stratified = log_rank(data, **KEYS, arm="arm", strata="site").estimates.iloc[0]
    assert_allclose([plain["estimate"], plain["p_value"]], expected.loc["log_rank"], rtol=1e-9)
    assert_allclose(
        [stratified["estimate"], stratified["p_value"]],
        expected.loc["log_rank_stratified"],
        rtol=1e-9,
    )


@pytest.mark.parametrize(
    ("label", "kwargs"),
    [
        ("efron", {}),
        ("breslow", {"ties": "breslow"}),
        ("efron_adjusted", {"covariates": ["baseline_lesions"], "strata": "site"}),
    ],
)
def test_cox_matches_coxph(data, label, kwargs):
    expected = pd.read_csv(REFERENCE / "expected_cox.csv").set_index("model").loc[label]
    result = cox_model(data, **KEYS, arm="arm", **kwargs)
    assert result.diagnostic("converged") and not result.diagnostic("monotone_likelihood")
    assert result.diagnostic("n_events") == int(data["cleared"].sum())
    row = result.estimates.iloc[0]
    assert_allclose(np.log(row["estimate"]), expected["estimate"], rtol=1e-7)
    assert_allclose(row["se"], expected["se"], rtol=1e-6)
    assert_allclose(row["p_value"], expected["p_value"], rtol=1e-5)


def test_monotone_likelihood_warns_and_flags():
    frame = pd.DataFrame(
        {
            "day": np.arange(1, 41),
            "cleared": [1] * 20 + [0] * 20,
            "arm": ["isotretinoin"] * 20 + ["comparator"] * 20,
        }
    )
    with pytest.warns(Warning, match="monotone"):
        fit = cox_model(frame, **KEYS, arm="arm")
    assert fit.diagnostic("monotone_likelihood")


def test_bad_arguments(data):
    with pytest.raises(ValueError, match=r"allowed: \['efron', 'breslow'\]"):
        cox_model(data, **KEYS, arm="arm", ties="exact")
    with pytest.raises(ValueError, match=r"allowed: \['log', 'log-log', 'plain'\]"):
        kaplan_meier(data, **KEYS, conf_type="arcsin")
    with pytest.raises(ValueError, match="allowed: .*comparator"):
        cox_model(data, **KEYS, arm="arm", reference="placebo")
    frame = data.assign(cleared=data["cleared"] * 2)
    with pytest.raises(ValueError, match="0/1"):
        log_rank(frame, **KEYS, arm="arm")
    with pytest.raises(ValueError, match=r"time='days'"):
        log_rank(data, time="days", event="cleared", arm="arm")


def _recovery(n_replicates, n, seed):
    rng = np.random.default_rng(seed)
    hazard_ratio, covered, estimates, km_covered = 1.8, 0, [], 0
    for _ in range(n_replicates):
        arm = np.repeat(["comparator", "isotretinoin"], n // 2)
        rate = np.where(arm == "isotretinoin", hazard_ratio, 1.0) / 120
        event_day = rng.exponential(1 / rate)
        censor = rng.uniform(100, 365, n)
        frame = pd.DataFrame(
            {
                "arm": arm,
                "day": np.minimum(event_day, censor),
                "cleared": (event_day <= censor).astype(int),
            }
        )
        row = cox_model(frame, **KEYS, arm="arm").estimates.iloc[0]
        estimates.append(np.log(row["estimate"]))
        covered += row["ci_low"] <= hazard_ratio <= row["ci_high"]
        curve = kaplan_meier(frame.loc[frame["arm"] == "comparator"], **KEYS).estimates
        at = curve.loc[curve["visit"] <= 90].iloc[-1]
        km_covered += at["ci_low"] <= np.exp(-90 / 120) <= at["ci_high"]
    return np.mean(estimates) - np.log(hazard_ratio), covered, km_covered


def test_truth_recovery_fast():
    n_replicates = 60
    bias, covered, km_covered = _recovery(n_replicates, 200, seed=7)
    assert abs(bias) < 0.06
    minimum = scipy_stats.binom.ppf(0.001, n_replicates, 0.95)
    assert covered >= minimum and km_covered >= minimum


@pytest.mark.slow
def test_truth_recovery_slow():
    bias, covered, km_covered = _recovery(600, 300, seed=8)
    assert abs(bias) < 0.02
    minimum = scipy_stats.binom.ppf(0.001, 600, 0.95)
    assert covered >= minimum and km_covered >= minimum


def test_numbers_at_risk_are_a_direct_count(data):
    times = [0, 30, 61.5, 90, 1000]
    table = at_risk(data, **KEYS, arm="arm", times=times).estimates
    for row in table.to_dict("records"):
        followed = data.loc[data["arm"] == row["contrast"], "day"]
        assert row["estimate"] == (followed >= row["visit"]).sum(), row
        assert row["n"] == len(followed)
    assert table["scale"].unique().tolist() == ["number at risk"]
    first = table[table["visit"] == 0].set_index("contrast")["estimate"]
    assert first.to_dict() == data.groupby("arm").size().astype(float).to_dict()
    with pytest.raises(ValueError, match="non-negative"):
        at_risk(data, **KEYS, times=[-1])


def test_numbers_at_risk_differ_from_the_next_event_times_where_subjects_are_censored():
    """The old figure read the risk set of the next event time: it lost the subjects censored
    between the tick and that event."""
    data = pd.DataFrame({"day": [5, 10, 20, 100], "cleared": [0, 0, 0, 1], "arm": "a"})
    table = at_risk(data, **KEYS, arm="arm", times=[0, 8]).estimates
    assert table["estimate"].tolist() == [4.0, 3.0]
    curve = kaplan_meier(data, **KEYS, arm="arm").estimates
    assert curve.loc[curve["scale"] == "survival probability", "n"].tolist() == [1]


def test_time_to_event_summary_is_the_kaplan_meier_cox_and_log_rank_results(data):
    summary = time_to_event_summary(data, **KEYS, arm="arm")
    rows = summary.estimates
    events = rows[rows["scale"] == "events"].set_index("contrast")
    counts = data.groupby("arm")["cleared"].agg(["sum", "size"])
    assert events["estimate"].to_dict() == counts["sum"].astype(float).to_dict()
    assert events["n"].astype(int).to_dict() == counts["size"].to_dict()
    km = kaplan_meier(data, **KEYS, arm="arm").estimates
    medians = km[km["scale"] == "median time"].reset_index(drop=True)
    mine = rows[rows["scale"] == "median time"].reset_index(drop=True)
    assert_allclose(
        mine[["estimate", "ci_low", "ci_high"]], medians[["estimate", "ci_low", "ci_high"]]
    )
    cox = cox_model(data, **KEYS, arm="arm").estimates.iloc[0]
    ratio = rows[rows["scale"] == "hazard ratio"].iloc[0]
    assert ratio["contrast"] == cox["contrast"]
    assert_allclose(ratio[["estimate", "ci_low", "ci_high", "p_value"]].astype(float),
                    cox[["estimate", "ci_low", "ci_high", "p_value"]].astype(float))  # fmt: skip
    test = log_rank(data, **KEYS, arm="arm").estimates.iloc[0]
    assert rows.loc[rows["scale"] == "chi-square", "p_value"].iloc[0] == test["p_value"]
    assert summary.diagnostic("converged") is True
    one_arm = time_to_event_summary(data[data["arm"] == data["arm"].iloc[0]], **KEYS, arm="arm")
    assert set(one_arm.estimates["scale"]) == {"events", "median time"}
    assert one_arm.diagnostic("converged") is None
