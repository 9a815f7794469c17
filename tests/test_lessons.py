"""The teaching lessons' logic (acne_outcomes.appraisal: lessons, present, claims, explorer)
against known truths and independent calculations.

Every worked solution is checked against a calculation made here, independently of the code
that produces it; every sentence that chooses its words from its numbers is tested on both
sides of its threshold.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from scipy import stats

from acne_outcomes import derive, style
from acne_outcomes.appraisal import claims, lessons, present, strategies
from acne_outcomes.appraisal.explorer import (
    ANALYSES,
    explorer,
    explorer_snapshot,
    truth_text,
)
from acne_outcomes.figures import teaching as teaching_figures
from acne_outcomes.paths import NOTEBOOKS_DIR, PROJECT_ROOT
from acne_outcomes.simulate import simulate_study
from acne_outcomes.stats.descriptive import arm_visit_means

# --------------------------------------------------------------------------- diagnoses


def test_executor_rule_is_serial_for_few_studies_or_one_job():
    assert lessons.executor_for(50, 4) == ("serial", 1)
    assert lessons.executor_for(51, 4) == ("processes", 4)
    assert lessons.executor_for(500, 1) == ("serial", 1)


def test_pick_requires_exactly_one_row():
    summary = pd.DataFrame({"strategy": ["a", "a"], "setting": ["x", "y"]})
    assert lessons.pick(summary, "a", "y")["setting"] == "y"
    with pytest.raises(ValueError, match="expected one row"):
        lessons.pick(summary, "a")


def test_before_after_finds_an_effect_that_is_not_there():
    summary = lessons.run_diagnosis(
        "rct", [strategies.BEFORE_AFTER_PIH, strategies.MMRM_PIH], n_sims=10, seed=0,
        **lessons.PIH_NULL,
    )  # fmt: skip
    naive = lessons.pick(summary, strategies.BEFORE_AFTER_PIH)
    correct = lessons.pick(summary, strategies.MMRM_PIH)
    assert naive["truth"] == 0 and naive["rejection_rate"] >= 0.8 and naive["mean_estimate"] < 0
    assert correct["coverage"] >= 0.7 and abs(correct["bias"]) < abs(naive["bias"]) / 3


def test_before_after_percent_change_is_biased_by_regression_to_the_mean():
    truth = lessons.percent_change_truth(["rct", "flare_enrollment"]).set_index("scenario")
    assert truth.loc["flare_enrollment", "untreated"] < -10 < truth.loc["rct", "untreated"]
    summary = lessons.run_diagnosis(
        "flare_enrollment", [strategies.BEFORE_AFTER_PERCENT, strategies.MMRM_PERCENT], n_sims=8
    )
    naive = lessons.pick(summary, strategies.BEFORE_AFTER_PERCENT)
    target = truth.loc["flare_enrollment"]
    assert naive["truth"] == pytest.approx(target["isotretinoin"] - target["untreated"])
    assert naive["bias"] == pytest.approx(target["untreated"], abs=3)
    assert abs(lessons.pick(summary, strategies.MMRM_PERCENT)["bias"]) < 3


def test_multiple_imputation_agrees_with_mmrm_under_mar():
    study = simulate_study("rct", seed=11)
    imputed = strategies.MI_PERCENT.run(study)
    mmrm = strategies.MMRM_PERCENT.run(study)
    assert imputed["ci_low"] < imputed["estimate"] < imputed["ci_high"]
    assert imputed["estimate"] == pytest.approx(mmrm["estimate"], abs=2.0)


def test_adjustment_removes_measured_confounding():
    summary = lessons.run_diagnosis(
        "observational", [strategies.UNADJUSTED_PIH, strategies.ADJUSTED_PIH], n_sims=20, seed=2,
        **lessons.PIH_NULL,
    )  # fmt: skip
    raw = lessons.pick(summary, strategies.UNADJUSTED_PIH)
    adjusted = lessons.pick(summary, strategies.ADJUSTED_PIH)
    assert raw["bias"] < -0.1  # treated patients have lighter skin, hence less PIH
    assert abs(adjusted["bias"]) < abs(raw["bias"]) / 3


def test_untreated_course_falls_by_regression_to_the_mean():
    course = lessons.untreated_course(simulate_study("flare_enrollment", n_subjects=120, seed=3))
    assert course["estimate"].iloc[-1] < course["estimate"].iloc[0]


def test_rater_noise_alone_makes_apparent_scar_improvement():
    table = lessons.apparent_improvement_by_noise([0.0, 2.0], seed=1)
    perfect = table[table["rater_noise_scale"] == 0.0]
    noisy = table[table["rater_noise_scale"] == 2.0]
    assert (perfect["improved"] == 0).all() and (table["truth"] == 0).all()
    assert noisy["share"].mean() > 0.02
    with pytest.raises(ValueError):
        lessons.rater_noise_parameters(-1.0)


# --------------------------------------------------------------------------- lesson 5: fishing


@pytest.mark.parametrize("k", [1, 10])
def test_independent_null_tests_give_one_minus_095_to_the_k(k):
    summary = lessons.fishing_summary(lessons.null_family_tests(k, n_sims=4000, seed=3))
    raw = summary.iloc[0]
    expected = 1 - 0.95**k
    assert raw["independent_expectation"] == pytest.approx(expected)
    assert abs(raw["any_significant"] - expected) < 4 * math.sqrt(expected * (1 - expected) / 4000)
    assert raw["significant_per_study"] == pytest.approx(0.05 * k, rel=0.15)


def test_holm_and_bh_control_the_familywise_error_under_the_global_null():
    summary = lessons.fishing_summary(lessons.null_family_tests(20, n_sims=4000, seed=4))
    shares = summary.set_index("method")["any_significant"]
    assert shares["unadjusted"] > 0.55  # 1 - 0.95^20 = 0.64
    for method in ("Holm", "Benjamini-Hochberg"):  # all hypotheses null: FDR = FWER
        assert shares[method] < 0.05 + 4 * math.sqrt(0.05 * 0.95 / 4000)


def test_fishing_summary_rejects_a_bad_alpha():
    with pytest.raises(ValueError, match="alpha"):
        lessons.fishing_summary(lessons.null_family_tests(2, n_sims=3), alpha=1.5)


@pytest.fixture(scope="module")
def fishing_tests():
    return lessons.subgroup_fishing(n_sims=12, seed=5, n_subjects=266, **lessons.ALL_NULL)


def test_subgroup_fishing_in_null_trials_finds_chance_subgroups(fishing_tests):
    summary = lessons.fishing_summary(fishing_tests)
    raw, holm = summary.iloc[0], summary.iloc[1]
    assert raw["tests_per_study"] >= 24  # 6 endpoints x (overall + at least 3 skin types)
    assert raw["any_significant"] >= 0.4  # about 0.8 expected
    assert holm["any_significant"] <= raw["any_significant"]
    assert set(fishing_tests["subgroup"]) >= {"all", "Fitzpatrick III"}
    again = lessons.subgroup_fishing(n_sims=12, seed=5, n_subjects=266, **lessons.ALL_NULL)
    pd.testing.assert_frame_equal(fishing_tests, again)


def test_subgroup_tests_skip_small_subgroups():
    study = simulate_study("rct", n_subjects=80, seed=2)
    tests = lessons.subgroup_tests(study, endpoints=("pih_index",), min_per_arm=8)
    subjects = study.subjects
    for name in tests["subgroup"]:
        if name != "all":
            level = name.split()[-1]
            members = subjects[subjects["fitzpatrick"].astype(str) == level]
            assert members["arm"].value_counts().min() >= 8


def test_subgroup_count_leaves_out_the_overall_analysis(fishing_tests):
    """Lesson 5 said '7 subgroups plus overall' for six skin types."""
    skin_types = {name for name in fishing_tests["subgroup"] if name.startswith("Fitzpatrick")}
    assert lessons.subgroup_count(fishing_tests) == len(skin_types) <= 6
    per_subgroup = fishing_tests.groupby("subgroup").size()
    assert lessons.subgroup_count(fishing_tests) == per_subgroup.size - 1


def test_family_chance_solution_matches_the_binomial_and_a_simulation():
    """Lesson 5, exercise 3, against P(at least one of k) from the binomial and from simulation."""
    text = present.describe_family_chance(6, 6)
    shares = [float(value) / 100 for value in re.findall(r"= ([\d.]+)%", text)]
    independent = [1 - stats.binom.pmf(0, k, 0.05) for k in (6, 7)]
    assert shares == pytest.approx(independent, abs=0.0005)
    simulated = lessons.fishing_summary(lessons.null_family_tests(6, n_sims=20_000, seed=1))
    assert simulated["any_significant"].iloc[0] == pytest.approx(shares[0], abs=0.015)
    assert "6 skin-type subgroups plus overall (7 tests" in text


# --------------------------------------------------------------------------- lesson 6: winner's curse


def test_normal_winners_curse_direction_and_size():
    low = lessons.normal_winners_curse(0.5, 1.0, n_sims=200_000, seed=1)
    high = lessons.normal_winners_curse(4.0, 1.0, n_sims=200_000, seed=1)
    assert low["mean_estimate"] == pytest.approx(0.5, abs=0.01)  # unbiased over all studies
    assert low["power"] == pytest.approx(0.079, abs=0.005)  # Phi(-1.96+0.5) + Phi(-1.96-0.5)
    assert low["exaggeration"] > 3 and low["wrong_sign"] > 0.05
    assert high["exaggeration"] == pytest.approx(1.0, abs=0.06) and high["wrong_sign"] == 0
    with pytest.raises(ValueError):
        lessons.normal_winners_curse(0.0, 1.0)


def test_winners_curse_table_on_simulated_trials_exaggerates_in_small_trials():
    settings = [{"label": label, "scenario": "rct", "analyses": [strategies.ANCOVA_PIH],
                 "parameters": {"n_subjects": n, "pih_effect": 1.0}}
                for label, n in (("small", 60), ("large", 600))]  # fmt: skip
    _, replicates = lessons.diagnose_settings(settings, n_sims=30, seed=1)
    table = lessons.winners_curse_table(replicates).set_index("setting")
    assert (table["truth"] < 0).all()
    assert table.loc["large", "power"] > table.loc["small", "power"]
    assert table.loc["small", "exaggeration"] > table.loc["large", "exaggeration"] > 0.7


def _retrodesign(effect: float, se: float, alpha: float = 0.05) -> dict:
    """Gelman & Carlin's closed form: power, type S and type M (exaggeration) of a z-test."""
    z = stats.norm.ppf(1 - alpha / 2)
    upper, lower = z * se, -z * se  # significant beyond these
    p_high = stats.norm.sf(upper, effect, se)
    p_low = stats.norm.cdf(lower, effect, se)
    alpha_high, alpha_low = (upper - effect) / se, (lower - effect) / se
    # E[X; X > upper] and E[-X; X < lower] for X ~ N(effect, se^2)
    high = effect * p_high + se * stats.norm.pdf(alpha_high)
    low = -(effect * p_low - se * stats.norm.pdf(alpha_low))
    power = p_high + p_low
    return {"power": power, "type_s": p_low / power, "exaggeration": (high + low) / power / effect}


def test_exaggeration_at_20_percent_power_matches_the_closed_form():
    """Lesson 6, exercise 3: the solution used ppf(0.2) and answered 1.12 at 80% power."""
    answer = lessons.winners_curse_at_power(0.2, seed=0)
    exact = _retrodesign(1.0, answer["standard_error"])
    assert exact["power"] == pytest.approx(0.2, abs=1e-9)
    assert answer["power"] == pytest.approx(0.2, abs=0.003)
    assert answer["exaggeration"] == pytest.approx(exact["exaggeration"], abs=0.02)
    assert answer["exaggeration"] == pytest.approx(2.26, abs=0.03)
    assert answer["wrong_sign"] == pytest.approx(exact["type_s"], abs=0.002)
    assert answer["wrong_sign"] == pytest.approx(0.006, abs=0.002)


@pytest.mark.parametrize("power", [0.1, 0.2, 0.5, 0.8])
def test_standard_error_for_power_inverts_the_power_of_a_z_test(power):
    se = lessons.standard_error_for_power(power)
    assert _retrodesign(1.0, se)["power"] == pytest.approx(power, abs=1e-9)
    with pytest.raises(ValueError, match="power"):
        lessons.standard_error_for_power(0.01)


def test_lesson_six_solution_uses_the_exact_power_not_the_complement():
    notebook = json.loads((NOTEBOOKS_DIR / "teaching" / "06-small-samples.ipynb").read_text())
    code = "\n".join("".join(cell["source"]) for cell in notebook["cells"]
                     if "solution" in cell["metadata"].get("tags", []))  # fmt: skip
    assert "winners_curse_at_power(0.2" in code and "ppf(0.2)" not in code


# --------------------------------------------------------------------------- coverage


def test_coverage_check_explains_a_shortfall_by_width_or_by_bias():
    rng = np.random.default_rng(3)
    estimates = rng.normal(0.0, 1.0, 20_000)
    half = stats.norm.ppf(0.975)  # intervals exactly as wide as the spread calls for
    exact = pd.DataFrame({"estimate": estimates, "ci_low": estimates - half,
                          "ci_high": estimates + half, "truth": 0.0, "error": ""})  # fmt: skip
    check = lessons.coverage_check(exact)
    assert check["coverage"] == pytest.approx(0.95, abs=0.005)
    assert check["width_ratio"] == pytest.approx(1.0, abs=0.02) and abs(check["bias_sd"]) < 0.03
    assert "within Monte Carlo error" in present.describe_coverage(check, "x")
    narrow = exact.assign(ci_low=estimates - 0.7 * half, ci_high=estimates + 0.7 * half)
    assert "too narrow" in present.describe_coverage(lessons.coverage_check(narrow), "x")
    shifted = exact.assign(truth=-0.8)
    text = present.describe_coverage(lessons.coverage_check(shifted), "x")
    assert "biased by 0.8" in text and "too narrow" not in text


# --------------------------------------------------------------------------- lesson 3: dropout


def test_dropout_summary_counts_match_the_study_tables():
    study = simulate_study("informative_dropout", seed=0)
    summary = lessons.dropout_summary(study).set_index("arm")
    subjects, visits = study.subjects, study.visits
    for arm, row in summary.iterrows():
        members = subjects[subjects["arm"] == arm]
        assert row["allocated"] == len(members)
        assert row["left_early"] == pytest.approx(members["discontinuation_reason"].notna().mean())
        seen = visits[(visits["month"] == 5) & visits["inflammatory_lesions"].notna()]["subject_id"]
        assert row["missing_at_visit"] == pytest.approx(1 - members["subject_id"].isin(seen).mean())
        reasons = members["discontinuation_reason"].astype(str)
        assert row["lack_of_efficacy"] == (reasons == "lack_of_efficacy").sum()
    sourced = lessons.sourced_dropout()
    assert (summary["missing_at_visit"] > pd.Series(sourced)).all()  # the scenario exaggerates


def test_dropout_sentence_compares_with_the_sourced_trial_both_ways():
    """Lesson 3 announced 'a fifth may leave' while its study lost 55% and 67%, unremarked."""
    summary = pd.DataFrame({"arm": ["comparator", "isotretinoin"], "allocated": [136, 130],
                            "missing_at_visit": [0.43, 0.22], "left_early": [0.67, 0.55],
                            "lack_of_efficacy": [49, 41],
                            "lack_of_efficacy_after_treatment": [29, 29]})  # fmt: skip
    sourced = lessons.sourced_dropout()
    high = present.describe_dropout(summary, sourced)
    assert (
        "more than in the trial" in high and "on purpose" in high and "41 on isotretinoin" in high
    )
    low = present.describe_dropout(summary.assign(missing_at_visit=[0.10, 0.05]), sourced)
    assert "fewer than in the trial" in low and "on purpose" not in low
    mixed = present.describe_dropout(summary.assign(missing_at_visit=[0.10, 0.30]), sourced)
    assert "more in one arm and fewer in the other" in mixed


def test_mcar_settings_make_dropout_independent_of_arm_and_events():
    parameters = lessons.mcar_parameters()
    study = simulate_study("rct", n_subjects=3000, seed=4, **parameters)
    reasons = study.subjects["discontinuation_reason"].astype(str)
    assert not reasons.isin(["adverse_event", "pregnancy"]).any()
    left = lessons.dropout_summary(study).set_index("arm")["missing_at_visit"]
    assert abs(left["isotretinoin"] - left["comparator"]) < 0.05
    labels = [setting["label"] for setting in lessons.missingness_settings([strategies.LOCF])]
    assert [label.split(":")[0] for label in labels] == ["MCAR", "MAR", "MNAR"]


def test_locf_conservative_sentence_follows_the_numbers():
    """Lesson 3's LOCF solution avoided its own table; now it reads the MNAR row."""
    nearer = present.describe_conservative(
        {"truth": -14.3, "mean_estimate": -11.7, "coverage": 0.9}
    )
    further = present.describe_conservative(
        {"truth": -14.3, "mean_estimate": -17.0, "coverage": 0.6}
    )
    opposite = present.describe_conservative(
        {"truth": -14.3, "mean_estimate": 2.0, "coverage": 0.1}
    )
    assert "conservative here" in nearer and "understates" in nearer
    assert "not conservative" in further and "overstates" in further
    assert "opposite sign" in opposite


def test_mechanism_and_bias_change_sentences_match_a_hand_count():
    summary = pd.DataFrame({"setting": ["MCAR"] * 2 + ["MNAR"] * 2,
                            "strategy": ["LOCF, % change month 5", "MMRM, % change month 5"] * 2,
                            "bias": [2.4, 0.1, 2.6, 2.9], "bias_mcse": [0.5, 0.3, 0.3, 0.3]})  # fmt: skip
    text = present.describe_mechanisms(summary, ["MCAR", "MNAR"])
    mcar, mnar = text.split("**MNAR**")
    assert "unbiased (within Monte Carlo error): MMRM" in mcar and "biased: LOCF (+2.40)" in mcar
    assert "unbiased" not in mnar and "LOCF (+2.60) and MMRM (+2.90)" in mnar
    before = summary[summary["setting"] == "MNAR"].set_index("strategy")["bias"]
    after = before + pd.Series([4.0, 2.0], index=before.index)
    moved = (after - before).abs().idxmax()  # independent of the sentence's own arithmetic
    assert f"**{present.short_name(moved)}**" in present.describe_bias_change(before, after)
    assert present.describe_bias_change(before, after).endswith("(it grows).")
    assert present.describe_bias_change(after, before).endswith("(it shrinks).")


# --------------------------------------------------------------------------- lesson 4: confounding


def _timing_association(confounder: dict, rng) -> float:
    """Mean scarring, early minus late starters, in a population where only the confounder acts."""
    sign = {"more": 1.0, "less": -1.0}
    present_ = rng.random(200_000) < 0.5
    early = rng.random(present_.size) < np.where(
        present_, 0.5 + 0.2 * sign[confounder["early"]], 0.5
    )
    scarring = 10 + 3 * sign[confounder["scarring"]] * present_ + rng.normal(0, 1, present_.size)
    return float(scarring[early].mean() - scarring[~early].mean())


def test_timing_confounders_point_the_way_the_solution_says():
    """Lesson 4 proposed 'milder acne is treated later and scars less', which favours late treatment."""
    rng = np.random.default_rng(0)
    for confounder in present.TIMING_CONFOUNDERS:
        early_scar_less = _timing_association(confounder, rng) < 0
        assert present.favours_early_treatment(confounder) == early_scar_less, confounder
    text = present.describe_timing_confounders()
    favour, against = text.split("would instead")
    assert "milder acne" in against and "milder acne" not in favour
    assert "access to a dermatologist" in favour


def test_bias_reduction_and_balance_sentences_follow_their_numbers():
    raw = {"bias": -0.27, "bias_mcse": 0.01}
    assert "removes the bias" in present.describe_bias_reduction(
        raw, {"bias": 0.01, "bias_mcse": 0.01}, "x"
    )
    assert "most of the bias" in present.describe_bias_reduction(
        raw, {"bias": -0.05, "bias_mcse": 0.01}, "x"
    )
    assert "little of the bias" in present.describe_bias_reduction(
        raw, {"bias": -0.2, "bias_mcse": 0.01}, "x"
    )
    share = {("registry (by indication)", "isotretinoin"): 0.285,
             ("registry (by indication)", "comparator"): 0.368,
             ("randomised", "isotretinoin"): 0.338, ("randomised", "comparator"): 0.353}  # fmt: skip
    assert "fewer among the treated" in present.describe_balance(share)
    swapped = {**share, ("registry (by indication)", "isotretinoin"): 0.45}
    assert "more among the treated" in present.describe_balance(swapped)


# --------------------------------------------------------------------------- sentences, both sides


def test_fishing_sentence_says_fewer_only_when_there_are_fewer():
    """Lesson 5 said '85.0% … independent 83.9% … so fewer'."""
    raw = {"any_significant": 0.85, "any_significant_mcse": 0.025,
           "independent_expectation": 0.839, "studies": 200}  # fmt: skip
    holm = {"any_significant": 0.05}
    same = present.describe_fishing(raw, 0.84, 34, holm)
    assert "about as many" in same and "fewer" not in same
    fewer = present.describe_fishing({**raw, "any_significant": 0.70}, 0.84, 34, holm)
    assert "fewer" in fewer and "overlap" in fewer
    more = present.describe_fishing({**raw, "any_significant": 0.95}, 0.84, 34, holm)
    assert "more" in more and "fewer" not in more


@pytest.mark.parametrize(
    ("function", "low", "high", "low_words", "high_words"),
    [
        (present.describe_before_after,
         ({"truth": 0.0, "rejection_rate": 0.99, "n_sims": 200, "mean_estimate": -0.5, "coverage": 0.0},
          {"rejection_rate": 0.05, "rejection_mcse": 0.015, "coverage": 0.95, "n_sims": 200}),
         ({"truth": 0.0, "rejection_rate": 0.99, "n_sims": 200, "mean_estimate": 0.5, "coverage": 0.0},
          {"rejection_rate": 0.30, "rejection_mcse": 0.03, "coverage": 0.7, "n_sims": 200}),
         ("apparent improvement", "within Monte Carlo error"), ("apparent worsening", "above the nominal")),
        (present.describe_null_difference,
         ({"mean_estimate": -80.0, "bias": -20.0},
          {"rejection_rate": 0.04, "rejection_mcse": 0.014, "truth": 0.0, "n_sims": 200}),
         ({"mean_estimate": 5.0, "bias": -20.0},
          {"rejection_rate": 0.2, "rejection_mcse": 0.03, "truth": 0.0, "n_sims": 200}),
         ("still falls", "within Monte Carlo error"), ("rises", "above the nominal")),
        (present.describe_natural_course, (-20.7, 3.4), (5.0, 3.4),
         ("regression to the mean",), ("nothing to mistake",)),
        (present.describe_regression_to_mean,
         ({"bias": -20.9, "bias_mcse": 0.05}, {"bias": 3.5}, -20.7, 3.4),
         ({"bias": -5.0, "bias_mcse": 0.05}, {"bias": 3.5}, -20.7, 3.4),
         ("about the untreated change",), ("unlike the untreated change",)),
        (present.describe_null_study, (-0.59, -0.67, 0.0), (0.3, -0.2, 0.0),
         ("falls by 0.59", "and by 0.67", "shared by both arms"), ("rises by 0.30", "falls by 0.20")),
        (present.describe_sample_size_coverage,
         ({"setting": "n = 60", "coverage": 0.5}, {"setting": "n = 600", "coverage": 0.0}, "x"),
         ({"setting": "n = 60", "coverage": 0.8}, {"setting": "n = 600", "coverage": 0.94}, "x"),
         ("worse",), ("better",)),
        (present.describe_shrinkage,
         ({"setting": "n = 40", "exaggeration": float("nan"), "power": 0.0},),
         ({"setting": "n = 40", "exaggeration": 3.2, "power": 0.1},),
         ("none was significant",), ("3.2-fold",)),
        (present.describe_normal_approximation,
         ({"power": 0.1, "exaggeration": 3.7}, {"power": 0.11, "studies": 200}),
         ({"power": 0.1, "exaggeration": 3.7}, {"power": 0.4, "studies": 200}),
         ("close to",), ("unlike",)),
        (present.describe_apparent_improvement,
         (pd.DataFrame({"share": [0.0, 0.0], "truth": [0.0, 0.0]}),),
         (pd.DataFrame({"share": [0.02, 0.06], "truth": [0.0, 0.0]}),),
         ("no patient",), ("rater error",)),
        (present.describe_claim_power,
         ({"claims": "C1", "truth": -0.1, "rejection_rate": 0.1, "supports": 0.1, "strategy": "s"},),
         ({"claims": "C1", "truth": -0.1, "rejection_rate": 0.9, "supports": 0.9, "strategy": "s"},),
         ("mostly miss",), ("usually detect",)),
    ],
)  # fmt: skip
def test_sentences_choose_their_words_from_their_numbers(
    function, low, high, low_words, high_words
):
    low_text, high_text = function(*low), function(*high)
    for words in low_words:
        assert words in low_text and words not in high_text, (words, low_text)
    for words in high_words:
        assert words in high_text and words not in low_text, (words, high_text)


def test_rater_noise_sentence_follows_trend_and_bias():
    summary = pd.DataFrame({"setting": ["x0", "x2"], "truth": -0.36,
                            "rejection_rate": [0.55, 0.30], "mean_estimate": [-0.37, -0.35],
                            "bias": [-0.01, 0.01], "bias_mcse": [0.02, 0.03]})  # fmt: skip
    assert "falls" in present.describe_rater_noise(summary)
    assert "all within Monte Carlo error" in present.describe_rater_noise(summary)
    rising = summary.assign(rejection_rate=[0.3, 0.55], bias=[-0.01, 0.2])
    assert "rises" in present.describe_rater_noise(rising)
    assert "not all within" in present.describe_rater_noise(rising)


def test_single_test_rate_sentence_follows_monte_carlo_error():
    rates = pd.Series({"all": 0.05, "Fitzpatrick I": 0.04})
    assert "all within Monte Carlo error" in present.describe_single_test_rates(rates, 0.015)
    assert "some beyond" in present.describe_single_test_rates(rates.replace(0.04, 0.2), 0.015)


# --------------------------------------------------------------------------- tables for people


def test_people_tables_have_no_raw_floats_nan_or_column_names():
    """Teaching tables showed 0.368000, -93.700000, nan and raw column names."""
    frame = pd.DataFrame({"arm": ["a", "b"], "fitzpatrick_IV_VI": [0.368, float("nan")],
                          "untreated": [-93.7, 3.4], "p_value": [0.0052, 0.31]})  # fmt: skip
    shown = present.people_table(frame, {
        "arm": ("Arm", "text"), "fitzpatrick_IV_VI": ("Skin type IV-VI", "percent"),
        "untreated": ("Untreated, % change", "number:1"), "p_value": ("p", "p")})  # fmt: skip
    cells = shown.astype(str).to_numpy().ravel().tolist() + list(shown.columns)
    assert cells[:8] == ["a", "36.8%", "-93.7", "0.005", "b", "—", "3.4", "0.310"]
    assert not any(re.search(r"\d\.\d{4,}|nan|_", cell) for cell in cells), cells
    with pytest.raises(ValueError, match="unknown format"):
        present.people_table(frame, {"arm": ("Arm", "money")})
    summary = pd.DataFrame({"strategy": ["s"], "n_sims": [20], "n_failed": [0], "truth": [0.0],
                            "mean_estimate": [float("nan")], "bias": [float("nan")],
                            "bias_mcse": [float("nan")], "rmse": [float("nan")],
                            "coverage": [float("nan")], "coverage_mcse": [float("nan")],
                            "rejection_rate": [float("nan")], "rejection_mcse": [float("nan")]})  # fmt: skip
    assert "nan" not in lessons.diagnosis_table(summary).to_string()


# --------------------------------------------------------------------------- lesson 8: the ledger


def test_the_ledger_uses_the_grade_certainty_scale():
    """The grade scale was home-made (consistent, indirect, unsupported, unverifiable)."""
    scale = claims.scale()
    assert list(scale["levels"]) == ["high", "moderate", "low", "very low"]
    assert list(scale["rating_down"]) == [
        "risk of bias", "inconsistency", "indirectness", "imprecision", "publication bias"
    ]  # fmt: skip
    assert list(scale["rating_up"]) == [
        "large effect", "dose-response gradient", "opposing plausible confounding"
    ]  # fmt: skip
    assert scale["attribution"] == "the GRADE approach (GRADE Working Group)"
    ledger = claims.claims_ledger()
    assert ledger["certainty"].isin(scale["levels"]).all()
    text = json.dumps(claims.claims_records())
    for home_made in ('"unverifiable"', '"unsupported"', '"indirect"', '"consistent"'):
        assert home_made not in text


def test_every_certainty_follows_from_its_starting_point_and_ratings():
    levels = ["very low", "low", "moderate", "high"]
    start = {
        "randomised trials": 3,
        "observational studies": 1,
        "no identifiable comparative study": 0,
    }
    steps = {"serious": 1, "very serious": 2}
    for record in claims.claims_records():  # counted by hand, independently of certainty_from
        rank = start[record["start"]] - sum(
            steps[item["seriousness"]] for item in record["rated_down"]
        )
        rank += len(record["rated_up"])
        assert record["certainty"] == levels[min(max(rank, 0), 3)], record["id"]
    assert all(record["rated_down"] or record["rated_up"] or record["start"] == "randomised trials"
               for record in claims.claims_records())  # fmt: skip


def test_a_certainty_that_does_not_follow_from_its_ratings_is_refused():
    ledger = json.loads(claims.CLAIMS_FILE.read_text(encoding="utf-8"))
    ledger["claims"][6]["certainty"] = "high"
    with pytest.raises(ValueError, match="ratings give 'moderate'"):
        claims._check(ledger)
    ledger["claims"][6]["certainty"] = "moderate"
    ledger["claims"][6]["red_flags"] = ["made-up flag"]
    with pytest.raises(ValueError, match="unknown red flags"):
        claims._check(ledger)


def test_each_claim_is_shown_with_implications_design_reasons_and_flags():
    """reasons, implies and design_needed existed in claims.json but appeared in neither edition."""
    text = claims.ledger_markdown(lesson_links=False)
    for record in claims.claims_records():
        block = text.split(f"**{record['id']}.**")[1].split("\n---\n")[0]
        assert record["implies"] in block and record["design_needed"] in block
        assert f"Certainty of the evidence (GRADE): {record['certainty']}." in block
        for item in record["rated_down"]:
            assert f"{item['domain']}, {item['seriousness']}: {item['reason']}" in block
        for flag in record["red_flags"]:
            assert flag in block


def test_the_sales_link_is_a_red_flag_of_the_article_not_a_graded_claim():
    for record in claims.claims_records():
        assert "buy" not in record["claim"] and "sales link" not in record["red_flags"]
    flags = {item["flag"]: item for item in claims.article_flags()}
    assert "not graded" in flags["sales link"]["detail"]
    assert "sales link" in claims.article_flags_markdown()


def test_hype_words_are_flagged_in_the_article_and_found_in_any_text():
    terms = next(
        item["terms"] for item in claims.article_flags() if item["flag"] == "hype language"
    )
    assert terms == ["revolutionized", "transformative", "ensures … heal"]
    for term in terms:
        assert claims.hype_terms(term), term
    assert claims.hype_terms("This has revolutionised acne care and ensures your skin heals.")
    assert claims.hype_terms("Lesion counts fell by a third in both arms.") == []


def _reference_rows() -> dict[str, list[str]]:
    text = (PROJECT_ROOT / "docs" / "references.md").read_text(encoding="utf-8")
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {
        heading: [line.split("|")[1].strip() for line in body.splitlines() if line.startswith("|")]
        for heading, body in zip(parts[1::2], parts[2::2], strict=True)
    }


def test_every_cited_source_names_a_row_of_docs_references_md():
    """A source is "section / row", resolved as tests/test_project.py resolves a default's."""
    rows = _reference_rows()
    for record in claims.claims_records():
        for source in record["sources"]:
            section, row = source.split(" / ", 1)
            headings = [heading for heading in rows
                        if heading == section or re.match(re.escape(section) + r"[ :(]", heading)]  # fmt: skip
            assert headings, (record["id"], source)
            assert row in rows[headings[0]], (record["id"], source)


def test_c3_cites_the_pooled_cochrane_estimate_beside_the_trial():
    """C3 cited the head-to-head trial but not the pooled estimate (RR 1.01, very low) in the same sources."""
    c3 = next(record for record in claims.claims_records() if record["id"] == "C3")
    assert "Lesion counts / Pooled evidence" in c3["sources"]
    reasons = " ".join(item["reason"] for item in c3["rated_down"])
    assert "RR 1.01" in reasons and "very low certainty" in reasons and "92.9%" in reasons


def test_each_claim_points_to_a_lesson_or_page_about_its_pitfall():
    """C7 (side effects) pointed to lesson 7, which says nothing about safety."""
    for record in claims.claims_records():
        if record["lesson"]:
            lesson = NOTEBOOKS_DIR / "teaching" / f"{record['lesson']}.ipynb"
            assert lesson.exists(), record["id"]
        else:
            assert (NOTEBOOKS_DIR / f"{record['report_page']}.ipynb").exists(), record["id"]
    c7 = next(record for record in claims.claims_records() if record["id"] == "C7")
    assert c7["lesson"] is None and c7["report_page"] == "05-safety"
    lesson7 = (NOTEBOOKS_DIR / "teaching" / "07-outcome-measures.ipynb").read_text()
    surrogate = [record["id"] for record in claims.claims_records()
                 if record["lesson"] == "07-outcome-measures"]  # fmt: skip
    assert surrogate and "surrogate" in lesson7
    assert all("surrogate outcome" in record["red_flags"] for record in claims.claims_records()
               if record["id"] in surrogate)  # fmt: skip


def test_c6_simulation_is_marked_as_answering_a_neighbouring_question():
    """C6 is about the timing of treatment; the simulation compares treated with untreated."""
    c6 = next(record for record in claims.claims_records() if record["id"] == "C6")
    assert c6["simulation"]["matches_claim"] is False
    assert "early against late" in c6["simulation"]["compares"]
    row = {"claims": "C6", "role": "better", "strategy": "s", "truth": -3.5, "mean_estimate": -0.3,
           "rejection_rate": 0.03, "supports": 0.03, "contradicts": 0.0, "coverage": 0.62,
           "n_sims": 200, "claimed_direction": "lower", "matches_claim": False,
           "compares": c6["simulation"]["compares"]}  # fmt: skip
    text = present.describe_claim_evidence(row)
    assert "Note: the simulation compares treated with untreated" in text
    assert "only 62.0%" in text and "rarely declares an effect" in text
    matched = present.describe_claim_evidence({**row, "matches_claim": True, "coverage": 0.95})
    assert "Note:" not in matched and "only" not in matched


def test_claim_settings_cover_every_simulated_claim():
    records = lessons.ledger_records()
    covered = {claim for setting in lessons.claim_settings(records) for claim in setting["claims"]}
    assert covered == {record["id"] for record in records if record["simulation"] is not None}


def test_direction_shares_split_significant_studies_by_the_claimed_direction():
    rows = pd.DataFrame({"estimate": [-1.0, 2.0, 3.0, -0.1, 1.0], "error": ["", "", "", "", "x"],
                         "p_value": [0.01, 0.01, 0.02, 0.5, 0.01]})  # fmt: skip
    assert lessons.direction_shares(rows, "lower") == {"supports": 0.25, "contradicts": 0.5}
    assert lessons.direction_shares(rows, "higher") == {"supports": 0.5, "contradicts": 0.25}
    with pytest.raises(ValueError, match="claimed_direction"):
        lessons.direction_shares(rows, "sideways")


def test_naive_evidence_for_c3_and_c6_points_against_the_claims():
    """The chart showed C3 and C6 'declaring an effect' in 99% and 72% — of more scarring."""
    records = [record for record in lessons.ledger_records() if record["id"] in ("C3", "C6")]
    evidence = lessons.claims_evidence(records, n_sims=12, seed=0)
    naive = evidence[evidence["role"] == "naive"].set_index("claims")
    for claim in ("C3", "C6"):
        row = naive.loc[claim]
        assert row["mean_estimate"] > 0 and row["supports"] == 0 and row["contradicts"] >= 0.5
        assert row["supports"] + row["contradicts"] == pytest.approx(row["rejection_rate"])
        assert "against the claim, not for it" in present.describe_claim_evidence(
            row.to_dict() | {"claims": claim}
        )
    better = evidence[(evidence["role"] == "better") & (evidence["claims"] == "C6")].iloc[0]
    assert better["bias"] > 3 * better["bias_mcse"]  # still biased (residual confounding)
    assert "covers the truth in only" in present.describe_claim_evidence(
        better.to_dict() | {"coverage": 0.62}
    )
    table = lessons.claims_evidence_table(evidence)
    assert {"bias (MCSE)", "significant (MCSE)", "coverage (MCSE)"} <= set(table.columns)
    assert table["coverage (MCSE)"].str.match(r"^\d+\.\d% \(\d+\.\d\)$").all()


def test_claims_evidence_chart_shows_direction_and_coverage():
    evidence = pd.DataFrame({"claims": ["C3", "C3", "C6", "C6"], "role": ["naive", "better"] * 2,
                             "supports": [0.0, 0.3, 0.0, 0.0], "contradicts": [0.99, 0.0, 0.72, 0.0],
                             "coverage": [0.0, 0.95, 0.1, 0.62],
                             "coverage_mcse": [0.0, 0.015, 0.02, 0.03]})  # fmt: skip
    ax = teaching_figures.plot_claims_evidence(evidence)
    against = [patch for patch in ax.patches if patch.get_gid() == "contradicts"]
    assert [round(patch.get_width(), 2) for patch in against] == [0.99, 0.0, 0.72, 0.0]
    assert all(patch.get_hatch() == teaching_figures.AGAINST_HATCH for patch in against)
    coverage_axes = ax.figure.axes[1]
    bars = [patch.get_width() for patch in coverage_axes.patches if patch.get_gid() == "coverage"]
    assert bars == [0.0, 0.95, 0.1, 0.62]
    nominal = [line for line in coverage_axes.get_lines() if line.get_gid() == "nominal"]
    assert nominal and nominal[0].get_xdata()[0] == pytest.approx(0.95)
    labels = [text.get_text() for text in coverage_axes.texts if text.get_gid() == "coverage-label"]
    assert labels == ["0%", "95%", "10%", "62%"]
    ax.figure.clf()


def test_exercise_rating_of_a_new_claim_is_very_low():
    rating = claims.certainty_from("no identifiable comparative study", [
        {"domain": "risk of bias", "seriousness": "serious"},
        {"domain": "indirectness", "seriousness": "serious"}], [])  # fmt: skip
    assert rating == "very low"
    assert claims.certainty_from("randomised trials", [], []) == "high"
    with pytest.raises(ValueError, match="rating down"):
        claims.certainty_from(
            "randomised trials", [{"domain": "hype", "seriousness": "serious"}], []
        )


# --------------------------------------------------------------------------- colour


MACHADO = {  # Machado, Oliveira & Fernandes (2009), severity 1, on linear RGB
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}  # fmt: skip


def _lab(colour: str, deficiency: str | None) -> np.ndarray:
    rgb = np.array(to_rgb(colour))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    if deficiency:
        linear = np.clip(np.array(MACHADO[deficiency]) @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ linear / np.array([0.95047, 1.0, 1.08883])  # fmt: skip
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.mark.parametrize("deficiency", [None, "protanopia", "deuteranopia", "tritanopia"])
@pytest.mark.parametrize("pair", [("covers", "misses"), ("naive", "better"), ("truth", "covers")])
def test_teaching_colour_pairs_stay_apart_in_colour_vision_deficiencies(pair, deficiency):
    colours = style.TEACHING_COLOURS
    distance = np.linalg.norm(
        _lab(colours[pair[0]], deficiency) - _lab(colours[pair[1]], deficiency)
    )
    assert distance >= 30, (pair, deficiency, distance)  # CIE76 colour difference


def test_covers_and_misses_differ_by_more_than_colour():
    """'red: misses the truth' against grey became olive against grey for deuteranopes."""
    rows = pd.DataFrame({"strategy": "a", "estimate": [0.1, -0.9], "ci_low": [-0.2, -1.2],
                         "ci_high": [0.4, -0.6], "truth": 0.0, "error": ""})  # fmt: skip
    ax = teaching_figures.plot_estimates_vs_truth(rows)
    marks = {line.get_gid(): line for line in ax.get_lines()}
    covers, misses = marks["covers-estimate"], marks["misses-estimate"]
    assert covers.get_marker() != misses.get_marker()
    assert covers.get_markersize() < misses.get_markersize()
    assert "grey dots cover" in ax.get_xlabel() and "blue crosses miss" in ax.get_xlabel()
    ax.figure.clf()


def test_course_figure_title_fits_and_the_untreated_truth_is_not_an_arm():
    """The flare figure's title was clipped."""
    study = simulate_study("flare_enrollment", n_subjects=120, seed=3)
    means = arm_visit_means(derive.analysis_frame(study), "inflammatory_lesions")
    title = "Enrolled during a flare: the observed arms and the true untreated course"
    ax = teaching_figures.plot_course_against_untreated(
        means, lessons.untreated_course(study), outcome="inflammatory_lesions", title=title
    )
    figure = ax.figure
    figure.canvas.draw()
    box = ax.title.get_window_extent(figure.canvas.get_renderer())
    assert box.x0 >= 0 and box.x1 <= figure.bbox.width and box.y1 <= figure.bbox.height
    truth = next(line for line in ax.get_lines() if line.get_gid() == "untreated-truth")
    assert truth.get_linestyle() == "--" and truth.get_color() == style.TEACHING_COLOURS["truth"]
    long = teaching_figures.plot_course_against_untreated(
        means, lessons.untreated_course(study), outcome="inflammatory_lesions", title=title * 3,
        ax=style.figure("single")[1])  # fmt: skip
    long.figure.canvas.draw()
    box = long.title.get_window_extent(long.figure.canvas.get_renderer())
    assert box.x0 >= 0 and box.x1 <= long.figure.bbox.width
    figure.clf()
    long.figure.clf()


# --------------------------------------------------------------------------- the explorer


def _figure_state(figure):
    return [tuple(line.get_xdata()) for axes in figure.axes for line in axes.get_lines()]


def test_explorer_callback_resimulates_and_redraws():
    ui = explorer(n_subjects=120, seed=2)
    before, truth_before = _figure_state(ui.figure), float(ui.estimates["truth"].iloc[0])
    assert truth_before == 0.0 and len(ui.figure.axes) == 2
    axes = list(ui.figure.axes)
    ui.controls["pih_effect"].value = 2.0
    assert float(ui.estimates["truth"].iloc[0]) < -0.3
    assert _figure_state(ui.figure) != before and list(ui.figure.axes) == axes  # axes reused
    assert ui.last_update_seconds > 0
    ui.controls["scenario"].value = "single_arm"
    assert ui.estimates["analysis"].tolist() == [ANALYSES["before-after"]]
    assert "single_arm" in ui.figure.texts[0].get_text()
    with pytest.raises(ValueError, match="unknown scenario"):
        explorer(scenario="nope")


def test_explorer_snapshot_draws_the_explorers_starting_figure():
    snapshot = explorer_snapshot(n_subjects=120, seed=2)
    ui = explorer(n_subjects=120, seed=2)
    assert _figure_state(snapshot) == _figure_state(ui.figure) and len(_figure_state(snapshot)) > 0


def test_explorer_says_which_way_the_truth_points():
    """A positive 'true PIH effect' slider value gave a negative difference, unexplained."""
    ui = explorer(n_subjects=100, seed=1)
    assert "speeds PIH fading" in ui.controls["pih_effect"].description
    ui.controls["pih_effect"].value = 1.5
    assert (
        float(ui.estimates["truth"].iloc[0]) < 0 and "less PIH on isotretinoin" in ui.readout.value
    )
    ui.controls["pih_effect"].value = -1.5
    assert (
        float(ui.estimates["truth"].iloc[0]) > 0 and "more PIH on isotretinoin" in ui.readout.value
    )
    assert truth_text(0.0).endswith("no difference.")


def test_explorer_axis_separates_within_arm_change_from_between_arm_difference():
    """One axis labelled 'difference' mixed within-arm change and between-arm difference."""
    figure = explorer_snapshot(n_subjects=120, seed=2)
    estimate_axes = figure.axes[1]
    ticks = [label.get_text() for label in estimate_axes.get_yticklabels()]
    assert ticks == [ANALYSES["before-after"], ANALYSES["two-arm"]]
    assert "change in the treated arm" in ticks[0] and "difference between the arms" in ticks[1]
    assert estimate_axes.get_xlabel().startswith("Effect on the month-12 PIH index")
    assert "negative: less PIH" in estimate_axes.get_xlabel()


@pytest.mark.parametrize(("scenario", "effect", "seed"),
                         [("rct", 0.0, 0), ("rct", 1.5, 3), ("rct", -1.5, 5), ("single_arm", 0.0, 1)])  # fmt: skip
def test_explorer_legend_never_covers_an_estimate(scenario, effect, seed):
    figure = explorer_snapshot(scenario, n_subjects=120, seed=seed, pih_effect=effect)
    FigureCanvasAgg(figure)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    axes = figure.axes[1]
    legend = axes.get_legend().get_window_extent(renderer)
    points = []
    for collection in axes.collections:
        for segment in collection.get_segments():
            start, end = np.asarray(segment)
            points += [start + (end - start) * share for share in np.linspace(0, 1, 25)]
    for line in axes.get_lines():
        if line.get_gid() == "points":
            points += list(line.get_xydata())
    display = axes.transData.transform(np.array(points))
    assert not any(legend.contains(x, y) for x, y in display)


def test_explorer_figure_is_in_the_house_style():
    """The explorer's figure was not in the house style."""
    figure = explorer_snapshot(n_subjects=120, seed=2)
    assert figure.get_figwidth() == pytest.approx(style.WIDTHS["double"])
    for axes in figure.axes:
        assert not axes.spines["top"].get_visible() and not axes.spines["right"].get_visible()
        assert axes.xaxis.get_ticklabels()[0].get_fontsize() == style.HOUSE_RC["xtick.labelsize"]
    assert figure.axes[0].yaxis.label.get_fontsize() == style.HOUSE_RC["axes.labelsize"]


def test_explorer_new_sample_button_draws_another_study_of_the_same_design():
    ui = explorer(n_subjects=100, seed=4)
    before = _figure_state(ui.figure)
    ui.new_sample.click()
    assert ui.controls["seed"].value == 5 and _figure_state(ui.figure) != before
    assert "seed 5" in ui.figure.texts[0].get_text()
