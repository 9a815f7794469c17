"""The teaching lessons' logic (acne_outcomes.appraisal.lessons, .explorer) against known truths."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from acne_outcomes.appraisal import lessons, strategies
from acne_outcomes.appraisal.explorer import explorer, explorer_snapshot
from acne_outcomes.simulate import simulate_study


def test_executor_rule_is_serial_for_few_studies_or_one_job():
    assert lessons.executor_for(50, 4) == ("serial", 1)
    assert lessons.executor_for(51, 4) == ("processes", 4)
    assert lessons.executor_for(500, 1) == ("serial", 1)


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


def test_subgroup_fishing_in_null_trials_finds_chance_subgroups():
    tests = lessons.subgroup_fishing(n_sims=12, seed=5, n_subjects=266, **lessons.ALL_NULL)
    summary = lessons.fishing_summary(tests)
    raw, holm = summary.iloc[0], summary.iloc[1]
    assert raw["tests_per_study"] >= 24  # 6 endpoints x (overall + at least 3 skin types)
    assert raw["any_significant"] >= 0.4  # about 0.8 expected
    assert holm["any_significant"] <= raw["any_significant"]
    assert set(tests["subgroup"]) >= {"all", "Fitzpatrick III"}
    again = lessons.subgroup_fishing(n_sims=12, seed=5, n_subjects=266, **lessons.ALL_NULL)
    pd.testing.assert_frame_equal(tests, again)


def test_subgroup_tests_skip_small_subgroups():
    study = simulate_study("rct", n_subjects=80, seed=2)
    tests = lessons.subgroup_tests(study, endpoints=("pih_index",), min_per_arm=8)
    subjects = study.subjects
    for name in tests["subgroup"]:
        if name != "all":
            level = name.split()[-1]
            members = subjects[subjects["fitzpatrick"].astype(str) == level]
            assert members["arm"].value_counts().min() >= 8


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


def test_rater_noise_alone_makes_apparent_scar_improvement():
    table = lessons.apparent_improvement_by_noise([0.0, 2.0], seed=1)
    perfect = table[table["rater_noise_scale"] == 0.0]
    noisy = table[table["rater_noise_scale"] == 2.0]
    assert (perfect["improved"] == 0).all() and (table["truth"] == 0).all()
    assert noisy["share"].mean() > 0.02
    with pytest.raises(ValueError):
        lessons.rater_noise_parameters(-1.0)


def test_untreated_course_falls_by_regression_to_the_mean():
    course = lessons.untreated_course(simulate_study("flare_enrollment", n_subjects=120, seed=3))
    assert course["estimate"].iloc[-1] < course["estimate"].iloc[0]


def test_pick_requires_exactly_one_row():
    summary = pd.DataFrame({"strategy": ["a", "a"], "setting": ["x", "y"]})
    assert lessons.pick(summary, "a", "y")["setting"] == "y"
    with pytest.raises(ValueError, match="expected one row"):
        lessons.pick(summary, "a")


def test_claim_settings_cover_every_simulated_claim_except_safety():
    records = lessons.ledger_records()
    covered = {claim for setting in lessons.claim_settings(records) for claim in setting["claims"]}
    simulated = {record["id"] for record in records if record["simulation"] is not None}
    safety = {record["id"] for record in records
              if record["simulation"] and record["simulation"]["estimand"] == "safety"}  # fmt: skip
    assert covered == simulated - safety


def test_claims_evidence_naive_single_arm_evidence_rejects_a_true_null():
    records = [record for record in lessons.ledger_records() if record["id"] == "C2"]
    evidence = lessons.claims_evidence(records, n_sims=6).set_index("role")
    assert (evidence["truth"] == 0).all()
    assert evidence.loc["naive", "rejection_rate"] >= 0.8
    assert evidence.loc["better", "rejection_rate"] <= 0.5


def test_describe_winners_curse_without_significant_studies():
    row = {"setting": "n = 40", "truth": -0.36, "power": 0.0, "mean_significant": math.nan,
           "exaggeration": math.nan, "wrong_sign": math.nan}  # fmt: skip
    assert lessons.describe_winners_curse(row).endswith("none of them would be noticed.")


def _figure_state(ui):
    return [tuple(line.get_xdata()) for axes in ui.figure.axes for line in axes.get_lines()]


def test_explorer_callback_resimulates_and_redraws():
    ui = explorer(n_subjects=120, seed=2)
    before, truth_before = _figure_state(ui), float(ui.estimates["truth"].iloc[0])
    assert truth_before == 0.0 and len(ui.figure.axes) == 2
    ui.controls["pih_effect"].value = 2.0
    assert float(ui.estimates["truth"].iloc[0]) < -0.3
    assert _figure_state(ui) != before
    assert ui.last_update_seconds > 0
    ui.controls["scenario"].value = "single_arm"
    assert ui.estimates["analysis"].tolist() == ["before-after (treated arm only)"]
    assert "single_arm" in ui.figure.texts[0].get_text()
    with pytest.raises(ValueError, match="unknown scenario"):
        explorer(scenario="nope")


def test_explorer_snapshot_draws_the_explorers_starting_figure():
    snapshot = explorer_snapshot(n_subjects=120, seed=2)
    ui = explorer(n_subjects=120, seed=2)
    state = [tuple(line.get_xdata()) for axes in snapshot.axes for line in axes.get_lines()]
    assert state == _figure_state(ui) and len(state) > 0
