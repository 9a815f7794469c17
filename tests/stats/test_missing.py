"""Tests of acne_outcomes.stats.missing: Rubin's rules by hand, ANCOVAs against statsmodels,
bias of LOCF / complete case and near-unbiasedness of MI and MMRM against a planted truth,
the tipping-point scan, determinism and argument checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from numpy.testing import assert_allclose
from scipy import stats

from acne_outcomes.stats.missing import (
    compare_missing_data_methods,
    complete_case,
    locf,
    multiple_imputation,
    rubin_rules,
    tipping_point,
)
from acne_outcomes.stats.tidy import ESTIMATE_COLUMNS

COLUMNS = {"outcome": "score", "subject": "id", "visit": "month", "arm": "arm"}
MONTHS = np.array([1, 3, 6, 12])
COMPARATOR_MEAN = np.array([20.0, 19.0, 18.0, 17.0])
TRUE_DIFFERENCE = np.array([-1.0, -3.0, -5.0, -7.0])


def _planted_trial(rng, n_subjects=120, dropout=0.6):
    """Improving outcome, steeper on isotretinoin; MAR dropout after high observed values."""
    active = np.arange(n_subjects) % 2
    baseline = rng.normal(24, 3, n_subjects)
    correlation = 0.6 ** np.abs(np.subtract.outer(np.arange(4), np.arange(4)))
    noise = rng.multivariate_normal(np.zeros(4), 9 * correlation, n_subjects)
    outcome = (
        COMPARATOR_MEAN + active[:, None] * TRUE_DIFFERENCE + 0.5 * (baseline[:, None] - 24) + noise
    )
    observed = np.ones_like(outcome, dtype=bool)
    for position in range(1, 4):
        leave = dropout / (1 + np.exp(-(outcome[:, position - 1] - 20)))
        observed[:, position] = observed[:, position - 1] & (rng.random(n_subjects) > leave)
    subject, position = np.nonzero(observed)
    return pd.DataFrame(
        {
            "id": subject,
            "arm": np.where(active[subject] == 1, "isotretinoin", "comparator"),
            "month": MONTHS[position],
            "baseline": baseline[subject],
            "sex": np.where(subject % 3 == 0, "F", "M"),
            "score": outcome[subject, position],
        }
    )


# ---- Rubin's rules ----------------------------------------------------------------------


def test_rubin_rules_hand_computed():
    # Qbar = 1.0; W = 0.225 / 5 = 0.045; B = (0 + .04 + .04 + .01 + .01) / 4 = 0.025
    # T = 0.045 + 1.2 * 0.025 = 0.075; lambda = 0.03 / 0.075 = 0.4; r = 0.03 / 0.045 = 2/3
    # nu_old = 4 / 0.16 = 25; nu_obs = 51/53 * 50 * 0.6 = 1530/53; nu = 38250/2855
    result = rubin_rules([1.0, 1.2, 0.8, 1.1, 0.9], [0.04, 0.05, 0.045, 0.05, 0.04], 50)
    assert_allclose(
        [result.estimate, result.within, result.between, result.variance],
        [1.0, 0.045, 0.025, 0.075],
        rtol=1e-12,
    )
    assert_allclose(result.se, np.sqrt(0.075), rtol=1e-12)
    assert_allclose(result.fraction_missing, 0.4, rtol=1e-12)
    assert_allclose(result.relative_increase, 2 / 3, rtol=1e-12)
    assert_allclose(result.df, 38250 / 2855, rtol=1e-12)
    large_sample = rubin_rules([1.0, 1.2, 0.8, 1.1, 0.9], [0.04, 0.05, 0.045, 0.05, 0.04])
    assert_allclose(large_sample.df, 25.0, rtol=1e-12)
    no_between = rubin_rules([2.0, 2.0, 2.0], [0.1, 0.1, 0.1], 20)
    assert_allclose(no_between.df, 20 * 21 / 23, rtol=1e-12)
    assert result.diagnostic("m") == 5
    for name in ("within", "between", "variance", "df", "relative_increase", "fraction_missing"):
        assert result.diagnostic(name) == getattr(result, name)
    row = result.estimates.iloc[0]
    assert_allclose([row["estimate"], row["se"]], [result.estimate, result.se], rtol=1e-15)
    assert_allclose(
        row["ci_high"] - row["estimate"], stats.t.ppf(0.975, result.df) * result.se, rtol=1e-12
    )
    with pytest.raises(ValueError, match="m >= 2"):
        rubin_rules([1.0], [0.1])


# ---- the single analyses against statsmodels --------------------------------------------


@pytest.fixture(scope="module")
def trial():
    return _planted_trial(np.random.default_rng(11), n_subjects=90)


def _statsmodels_difference(frame, formula):
    fit = smf.ols(formula, data=frame).fit()
    term = "C(arm, Treatment('comparator'))[T.isotretinoin]"
    low, high = fit.conf_int().loc[term]
    return [fit.params[term], fit.bse[term], low, high, fit.pvalues[term]], int(fit.nobs)


def _row_values(result):
    columns = ["estimate", "se", "ci_low", "ci_high", "p_value"]
    return result.estimates.loc[0, columns].to_numpy(float)


def test_complete_case_matches_statsmodels_ols(trial):
    result = complete_case(trial, **COLUMNS, baseline="baseline", covariates=("sex",))
    completers = trial.loc[trial["month"] == 12]
    expected, n = _statsmodels_difference(
        completers, "score ~ C(arm, Treatment('comparator')) + baseline + sex"
    )
    assert list(result.estimates.columns) == list(ESTIMATE_COLUMNS)
    assert_allclose(_row_values(result), expected, rtol=1e-9)
    assert result.estimates.loc[0, "n"] == n < trial["id"].nunique()
    assert result.n_excluded == trial["id"].nunique() - n
    assert result.diagnostic("residual_df") == n - 4


def test_locf_carries_forward_and_matches_statsmodels(trial):
    # one subject with no observation at all after baseline: carried from baseline
    data = trial.loc[trial["id"] != 1]
    data = pd.concat(
        [data, trial.loc[trial["id"] == 1].head(1).assign(month=1, score=np.nan)],
        ignore_index=True,
    )
    result = locf(data, **COLUMNS, baseline="baseline")
    last = data.dropna(subset=["score"]).sort_values("month").groupby("id").tail(1)
    subjects = data.drop_duplicates("id").set_index("id")
    carried = subjects.assign(score=last.set_index("id")["score"])
    carried["score"] = carried["score"].fillna(carried["baseline"])
    expected, n = _statsmodels_difference(
        carried, "score ~ C(arm, Treatment('comparator')) + baseline"
    )
    assert_allclose(_row_values(result), expected, rtol=1e-9)
    assert result.estimates.loc[0, "n"] == n == data["id"].nunique()
    assert result.diagnostic("n_carried_from_baseline") == 1
    completers = data.loc[(data["month"] == 12) & data["score"].notna(), "id"].nunique()
    assert result.diagnostic("n_carried_forward") == n - completers - 1
    assert result.n_excluded == 0


def test_multiple_imputation_without_missing_data_is_the_ancova(trial):
    complete = trial.loc[trial["month"] <= 3]
    complete = complete.loc[complete.groupby("id")["month"].transform("size") == 2]
    single = complete_case(complete, **COLUMNS, baseline="baseline")
    imputed = multiple_imputation(complete, **COLUMNS, baseline="baseline", m=5, seed=1)
    assert_allclose(_row_values(imputed)[:2], _row_values(single)[:2], rtol=1e-12)
    n = complete["id"].nunique()
    residual_df = n - 3
    row = imputed.estimates.loc[0]
    half_width = row["ci_high"] - row["estimate"]
    barnard_rubin_df = residual_df * (residual_df + 1) / (residual_df + 3)
    assert_allclose(half_width, stats.t.ppf(0.975, barnard_rubin_df) * row["se"], rtol=1e-10)
    assert imputed.diagnostic("n_imputed") == 0 and imputed.diagnostic("fraction_missing") == 0
    assert_allclose(imputed.diagnostic("barnard_rubin_df"), barnard_rubin_df, rtol=1e-12)


def test_same_seed_same_output_other_seed_other_output(trial):
    arguments = dict(COLUMNS, baseline="baseline", m=5)
    first = multiple_imputation(trial, **arguments, seed=42)
    assert first.equals(multiple_imputation(trial, **arguments, seed=42))
    assert not first.equals(multiple_imputation(trial, **arguments, seed=43))
    table = compare_missing_data_methods(trial, **arguments, seed=42)
    assert table.equals(compare_missing_data_methods(trial, **arguments, seed=42))
    scan = tipping_point(trial, **arguments, deltas=[0.0, 2.0], seed=42)
    again = tipping_point(trial, **arguments, deltas=[0.0, 2.0], seed=42)
    assert scan.estimates.equals(again.estimates)
    assert scan.diagnostics.equals(again.diagnostics)
    assert_allclose(
        scan.estimates.loc[0, "estimate"], first.estimates.loc[0, "estimate"], rtol=1e-12
    )


def test_compare_table_shape(trial):
    compared = compare_missing_data_methods(trial, **COLUMNS, baseline="baseline", m=5, seed=1)
    table = compared.estimates
    assert list(table.columns) == list(ESTIMATE_COLUMNS)
    assert table["method"].str.split(" ").str[0].tolist() == ["complete", "LOCF", "MMRM", "MI"]
    assert (table["visit"] == 12).all()
    assert (table["contrast"] == "isotretinoin - comparator").all()
    everyone = trial["id"].nunique()
    assert table["n"].tolist()[1:] == [everyone] * 3
    assert table.loc[0, "n"] < everyone
    # each method's diagnostics survive the join, told apart by method
    assert set(compared.diagnostics["method"]) == set(table["method"])
    assert compared.diagnostic("n_carried_forward") > 0
    assert compared.diagnostic("converged") and compared.diagnostic("m") == 5


# ---- tipping point ----------------------------------------------------------------------


def test_tipping_point_shift_is_exact_and_crossing_is_reported(trial):
    deltas = np.arange(0.0, 15.5, 0.5)
    scan = tipping_point(trial, **COLUMNS, deltas=deltas, m=10, seed=5)
    endpoint = trial.loc[trial["month"] == 12]
    active = trial.loc[trial["arm"] == "isotretinoin", "id"].unique()
    imputed_share = 1 - endpoint["arm"].eq("isotretinoin").sum() / active.size
    # no covariates: the difference of arm means moves by delta x the imputed share
    moved = scan.estimates["estimate"] - scan.estimates.loc[0, "estimate"]
    assert_allclose(moved, deltas * imputed_share, rtol=1e-9, atol=1e-12)
    assert scan.significant[0] and not scan.significant[-1]
    assert scan.diagnostic("tipping_point") == scan.tipping_point
    assert scan.diagnostic("delta_arm") == scan.delta_arm == "isotretinoin"
    n_missing = active.size - endpoint["arm"].eq("isotretinoin").sum()
    assert scan.diagnostic("n_shifted") == n_missing
    at = np.flatnonzero(deltas == scan.tipping_point)[0]
    p_values = scan.estimates["p_value"].to_numpy()
    assert p_values[at] >= 0.05 > p_values[at - 1]
    assert scan.estimates["method"].str.contains("delta = +").all()
    never = tipping_point(trial, **COLUMNS, deltas=[0.0, 0.1], m=10, seed=5)
    assert np.isnan(never.tipping_point) and np.isnan(never.diagnostic("tipping_point"))


# ---- known truth --------------------------------------------------------------------------


def _truth_recovery(replicates, seed):
    rng = np.random.default_rng(seed)
    estimates, covered = [], []
    for replicate in range(replicates):
        data = _planted_trial(rng)
        table = compare_missing_data_methods(
            data, **COLUMNS, baseline="baseline", m=10, seed=replicate
        ).estimates
        estimates.append(table["estimate"].to_numpy())
        covered.append(
            (table["ci_low"] <= TRUE_DIFFERENCE[-1]) & (TRUE_DIFFERENCE[-1] <= table["ci_high"])
        )
    estimates, covered = np.array(estimates), np.array(covered, dtype=float)
    bias = estimates.mean(axis=0) - TRUE_DIFFERENCE[-1]
    monte_carlo_se = estimates.std(axis=0, ddof=1) / np.sqrt(replicates)
    complete, carried, model, imputed = range(4)
    # non-responders leave, more of them on the comparator: complete case and LOCF both
    # shrink the benefit of isotretinoin (LOCF also freezes the leavers' improvement)
    assert bias[complete] > 3 * monte_carlo_se[complete]
    assert bias[carried] > 5 * monte_carlo_se[carried]
    for method in (model, imputed):
        assert abs(bias[method]) < 3.5 * monte_carlo_se[method]
        band = 3.5 * np.sqrt(0.95 * 0.05 / replicates)
        assert abs(covered[:, method].mean() - 0.95) < band


def test_locf_and_complete_case_biased_mi_and_mmrm_recover_truth():
    _truth_recovery(replicates=100, seed=20260)


@pytest.mark.slow
def test_locf_and_complete_case_biased_mi_and_mmrm_recover_truth_many_replicates():
    _truth_recovery(replicates=500, seed=99)


# ---- argument checks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "change", "message"),
    [
        (complete_case, {"endpoint": 9}, r"endpoint=9 is not allowed; allowed: \[1.0, 3.0"),
        (locf, {"reference": "placebo"}, "reference='placebo' is not allowed"),
        (multiple_imputation, {"m": 1}, "m=1; allowed"),
        (multiple_imputation, {"outcome": "arm"}, "outcome column 'arm' must be numeric"),
        (tipping_point, {"deltas": [1.0], "delta_arm": "comparator"}, "delta_arm='comparator'"),
        (tipping_point, {"deltas": []}, "deltas must be a non-empty"),
        (complete_case, {"covariates": ("weight",)}, "covariates\\[0\\]='weight' is not a column"),
    ],
)
def test_bad_arguments_raise(trial, function, change, message):
    with pytest.raises(ValueError, match=message):
        function(trial, **(COLUMNS | change))


def test_subject_level_columns_must_be_constant(trial):
    switched = trial.assign(arm=np.where(trial["month"] == 12, "isotretinoin", trial["arm"]))
    with pytest.raises(ValueError, match="'arm' must be constant within each subject"):
        locf(switched, **COLUMNS)
    drifting = trial.assign(baseline=trial["baseline"] + trial["month"])
    with pytest.raises(ValueError, match="'baseline' must be constant within each subject"):
        multiple_imputation(drifting, **COLUMNS, baseline="baseline", m=2, seed=0)
