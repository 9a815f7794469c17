"""Tests of acne_outcomes.stats.multiplicity: R p.adjust, statsmodels, fixed sequence, g."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats as scipy_stats
from statsmodels.stats.multitest import multipletests

from acne_outcomes.stats.multiplicity import (
    adjust_estimates,
    adjust_p_values,
    fixed_sequence,
    hedges_g,
)
from acne_outcomes.stats.tidy import estimate_frame

REFERENCE = Path(__file__).parents[1] / "reference" / "multiplicity"
STATSMODELS_NAMES = {
    "holm": "holm",
    "hochberg": "simes-hochberg",
    "bh": "fdr_bh",
    "bonferroni": "bonferroni",
}


@pytest.mark.parametrize("method", ["holm", "hochberg", "bh", "bonferroni"])
def test_matches_r_p_adjust(method):
    expected = pd.read_csv(REFERENCE / "expected_p_adjust.csv")
    assert_allclose(
        adjust_p_values(expected["p"], method=method), expected[method], rtol=1e-12, atol=1e-15
    )


@pytest.mark.parametrize("method", ["holm", "hochberg", "bh", "bonferroni"])
@pytest.mark.parametrize("seed", range(5))
def test_matches_statsmodels_multipletests(method, seed):
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(0, 0.05, 6), rng.uniform(0, 1, 14)])
    p[3] = p[4]  # a tie
    expected = multipletests(p, method=STATSMODELS_NAMES[method])[1]
    assert_allclose(adjust_p_values(p, method=method), expected, rtol=1e-12)


def test_missing_p_values_do_not_count():
    adjusted = adjust_p_values([0.01, np.nan, 0.02], method="bonferroni")
    assert np.isnan(adjusted[1])
    assert_allclose(adjusted[[0, 2]], [0.02, 0.04])


def test_adjust_estimates_keeps_untested_rows():
    frame = estimate_frame(
        [
            {"outcome": "a", "p_value": 0.01, "method": "m"},
            {"outcome": "b", "method": "mean"},
            {"outcome": "c", "p_value": 0.04, "method": "m"},
        ]
    )
    result = adjust_estimates(frame, method="holm")
    out = result.estimates
    assert result.diagnostic("multiplicity_method") == "Holm"
    assert result.diagnostic("n_tests") == 2
    assert_allclose(out["p_value"].to_numpy(float)[[0, 2]], [0.02, 0.04])
    assert np.isnan(out["p_value"].iloc[1]) and out["method"].iloc[1] == "mean"
    assert out["method"].iloc[0] == "m; Holm-adjusted over 2 tests"
    assert frame["p_value"].iloc[0] == 0.01  # input untouched


def test_adjust_estimates_keeps_the_diagnostics_of_a_result():
    data = pd.DataFrame({"arm": ["a"] * 4 + ["b"] * 4, "y": [1.0, 2, 3, None, 3, 5, 4, 6]})
    fit = hedges_g(data, outcome="y", arm="arm")
    adjusted = adjust_estimates(fit, method="bonferroni")
    assert adjusted.exclusions() == fit.exclusions() == {"y missing": 1}
    assert adjusted.diagnostic("n_tests") == 1
    assert_allclose(adjusted.estimates["p_value"], fit.estimates["p_value"])


def test_fixed_sequence_stops_at_first_non_significant():
    p = {"iga_success": 0.001, "lesions": 0.03, "scar": 0.2, "pih": 0.01}
    sequence = fixed_sequence(p, order=["iga_success", "lesions", "scar", "pih"])
    result = sequence.estimates
    assert result["rejected"].tolist() == [True, True, False, False]
    assert result["tested"].tolist() == [True, True, True, False]
    assert_allclose(result["adjusted_p_value"], [0.001, 0.03, 0.2, 0.2])
    assert [sequence.diagnostic(name) for name in ("alpha", "n_tested", "n_rejected")] == [
        0.05,
        3,
        2,
    ]
    reordered = fixed_sequence(p, order=["pih", "iga_success", "lesions"], alpha=0.025)
    assert reordered.estimates["rejected"].tolist() == [True, True, False]
    with pytest.raises(ValueError, match="allowed: .*iga_success"):
        fixed_sequence(p, order=["acne"])
    with pytest.raises(ValueError, match="twice"):
        fixed_sequence(p, order=["pih", "pih"])


def test_fixed_sequence_controls_familywise_error():
    # all nulls true: P(reject anything) = P(first p <= alpha) = alpha
    rng = np.random.default_rng(3)
    n_replicates = 2000
    false_rejections = sum(
        fixed_sequence(dict(zip("abc", rng.uniform(size=3), strict=True)), order=list("abc"))
        .estimates["rejected"]
        .any()
        for _ in range(n_replicates)
    )
    assert false_rejections <= scipy_stats.binom.isf(0.001, n_replicates, 0.05)


@pytest.mark.parametrize("method", ["holm", "hochberg", "bonferroni"])
def test_familywise_error_under_global_null(method):
    rng = np.random.default_rng(4)
    n_replicates = 2000
    rejections = sum(
        (adjust_p_values(rng.uniform(size=5), method=method) <= 0.05).any()
        for _ in range(n_replicates)
    )
    assert rejections <= scipy_stats.binom.isf(0.001, n_replicates, 0.05)


def test_hedges_g_matches_r():
    expected = pd.read_csv(REFERENCE / "expected_hedges_g.csv").set_index("example")
    small = pd.DataFrame(
        {
            "arm": ["isotretinoin"] * 5 + ["comparator"] * 5,
            "change": [-12, -15, -9, -14, -10, -6, -3, -8, -5, -7],
        }
    )
    medium = pd.read_csv(REFERENCE / "hedges_data.csv")
    for name, data in [("small", small), ("medium", medium), ("medium_90", medium)]:
        level = expected.loc[name, "level"]
        row = hedges_g(data, outcome="change", arm="arm", ci_level=level).estimates.iloc[0]
        assert_allclose(
            row[["estimate", "ci_low", "ci_high", "p_value"]].to_numpy(float),
            expected.loc[name, ["g", "low", "high", "p_value"]].to_numpy(float),
            rtol=1e-7,
            err_msg=name,
        )


def _g_recovery(n_replicates, n_per_arm, seed):
    rng = np.random.default_rng(seed)
    delta, estimates, covered = -0.5, [], 0
    for _ in range(n_replicates):
        frame = pd.DataFrame(
            {
                "arm": np.repeat(["comparator", "isotretinoin"], n_per_arm),
                "change": np.concatenate(
                    [rng.normal(0, 2, n_per_arm), rng.normal(2 * delta, 2, n_per_arm)]
                ),
            }
        )
        row = hedges_g(frame, outcome="change", arm="arm").estimates.iloc[0]
        estimates.append(row["estimate"])
        covered += row["ci_low"] <= delta <= row["ci_high"]
    return np.mean(estimates) - delta, covered


def test_hedges_g_truth_recovery_fast():
    # small samples: g is (nearly) unbiased where d is biased away from 0 by ~1/(4n)
    bias, covered = _g_recovery(300, 8, seed=5)
    assert abs(bias) < 0.05
    assert covered >= scipy_stats.binom.ppf(0.001, 300, 0.95)


@pytest.mark.slow
def test_hedges_g_truth_recovery_slow():
    bias, covered = _g_recovery(4000, 8, seed=6)
    assert abs(bias) < 0.015
    assert covered >= scipy_stats.binom.ppf(0.001, 4000, 0.95)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"allowed: \['holm', 'hochberg', 'bh', 'bonferroni'\]"):
        adjust_p_values([0.1], method="sidak")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        adjust_p_values([1.2])
    data = pd.DataFrame({"arm": ["a", "a", "b", "b"], "y": [1.0, 2.0, 3.0, 5.0]})
    with pytest.raises(ValueError, match="allowed"):
        hedges_g(data, outcome="z", arm="arm")
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        hedges_g(data, outcome="y", arm="arm", ci_level=2)
    with pytest.raises(ValueError, match=r"allowed: \['a', 'b'\]"):
        hedges_g(data, outcome="y", arm="arm", reference="c")
