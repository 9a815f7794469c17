"""simulate_study: tables that meet the standard, data hygiene, determinism, errors and truth."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acne_outcomes import standard
from acne_outcomes.simulate import BLOCK_SIZE, SCENARIOS, defaults_table, simulate_study
from acne_outcomes.simulate.defaults import DEFAULTS, defaults_markdown
from acne_outcomes.study import conform


@pytest.fixture(scope="module")
def rct():
    return simulate_study("rct", seed=11)


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def scenario_study(request):
    return simulate_study(request.param, seed=2)  # the scenario's default size


def _csv_digest(study) -> str:
    digest = hashlib.sha256()
    for name, frame in study.tables.items():
        digest.update(name.encode())
        digest.update(frame.to_csv(index=False, lineterminator="\n").encode())
    return digest.hexdigest()


# -- the tables meet the standard --------------------------------------------------------------


def test_default_rct_has_266_subjects_in_two_arms(rct):
    assert rct.n_subjects == 266
    counts = rct.subjects["arm"].value_counts()
    assert counts["isotretinoin"] > 90 and counts["comparator"] > 90
    assert rct.metadata["scenario"] == "rct" and rct.metadata["seed"] == 11


def test_tables_are_already_conformed(scenario_study):
    for name, frame in scenario_study.tables.items():
        conformed = conform(name, frame)
        assert conformed.equals(frame), name
        assert conformed.dtypes.equals(frame.dtypes), name
        assert list(frame.columns) == standard.field_names(name)


def test_every_scenario_validates_with_zero_problems(scenario_study):
    validate = pytest.importorskip("acne_outcomes.validate")
    problems = validate.validate_tables(scenario_study.tables)
    assert len(problems) == 0, problems.head(10).to_string()


def test_identifiers_and_sites(rct):
    assert rct.subjects["subject_id"].str.fullmatch(r"S\d{6}").all()
    assert rct.subjects["subject_id"].is_unique
    assert rct.subjects["site"].str.fullmatch(r"SITE\d{2}").all()


def test_visit_schedule_and_days(scenario_study):
    visits = scenario_study.visits
    assert set(visits["month"].unique()) <= {0, 1, 2, 3, 4, 5, 6, 9, 12}
    baseline = visits[visits["month"] == 0]
    assert len(baseline) == scenario_study.n_subjects
    assert (baseline["study_day"] == 0).all()
    ordered = visits.sort_values(["subject_id", "month"])
    same_subject = ordered["subject_id"].eq(ordered["subject_id"].shift())
    assert (ordered["study_day"].diff()[same_subject] > 0).all()
    assert not visits.duplicated(["subject_id", "month"]).any()


def test_baseline_iga_equals_month0_iga(scenario_study):
    baseline = scenario_study.visits[scenario_study.visits["month"] == 0].set_index("subject_id")
    subjects = scenario_study.subjects.set_index("subject_id")
    assert (
        baseline["iga"].astype(int).reindex(subjects.index) == subjects["baseline_iga"].astype(int)
    ).all()


def test_nodules_within_inflammatory_and_adherence_on_treatment_only(rct):
    visits = rct.visits
    assert (visits["nodules"] <= visits["inflammatory_lesions"]).all()
    on_treatment = visits["month"].between(1, 5)
    assert visits.loc[on_treatment, "adherence"].notna().all()
    assert visits.loc[~on_treatment, "adherence"].isna().all()


def test_dropouts_have_no_later_visits_and_a_reason(scenario_study):
    subjects = scenario_study.subjects.set_index("subject_id")
    stopped = subjects["discontinuation_day"].notna()
    assert (stopped == subjects["discontinuation_reason"].notna()).all()
    assert stopped.any()
    last_day = scenario_study.visits.groupby("subject_id")["study_day"].max()
    assert (last_day[stopped[stopped].index] == subjects.loc[stopped, "discontinuation_day"]).all()
    assert (
        subjects["end_of_treatment_day"] <= last_day.reindex(subjects.index).clip(lower=153)
    ).all()


def test_cumulative_dose_only_on_isotretinoin(rct):
    subjects = rct.subjects
    iso = subjects["arm"] == "isotretinoin"
    assert subjects.loc[iso, "cumulative_dose_mg_per_kg"].notna().all()
    assert subjects.loc[~iso, "cumulative_dose_mg_per_kg"].isna().all()
    completers = iso & subjects["discontinuation_day"].isna()
    dose = subjects.loc[completers, "cumulative_dose_mg_per_kg"]
    assert dose.between(60, 160).all()


def test_adverse_events_within_follow_up(scenario_study):
    events = scenario_study.adverse_events
    follow_up = (
        pd.concat(
            [
                scenario_study.visits[["subject_id", "study_day"]],
                scenario_study.labs[["subject_id", "study_day"]],
            ]
        )
        .groupby("subject_id")["study_day"]
        .max()
    )
    assert (
        events["onset_day"].to_numpy() <= follow_up.reindex(events["subject_id"]).to_numpy()
    ).all()
    numbers = events.groupby("subject_id")["event_number"]
    assert (numbers.min() == 1).all()
    assert (numbers.max() == numbers.size()).all()
    assert events["term"].str.fullmatch(r"[a-z_]+").all()


def test_labs_units_limits_and_pregnancy_tests(rct):
    labs = rct.labs
    units = standard.units_by_test()
    assert (labs["unit"] == labs["test"].astype(str).map(units)).all()
    pregnancy = labs["test"] == "pregnancy"
    assert labs.loc[~pregnancy, "upper_limit_normal"].notna().all()
    assert labs.loc[pregnancy, "upper_limit_normal"].isna().all()
    assert set(labs.loc[pregnancy, "value"].unique()) <= {0.0, 1.0}
    tested = set(labs.loc[pregnancy, "subject_id"])
    subjects = rct.subjects.set_index("subject_id")
    eligible = set(
        subjects.index[(subjects["sex"] == "female") & subjects["childbearing_potential"]]
    )
    assert tested and tested <= eligible
    limits = labs[~pregnancy].groupby("test", observed=True)["upper_limit_normal"].first()
    assert limits.to_dict() == {
        "triglycerides": 150.0,
        "total_cholesterol": 200.0,
        "alt": 40.0,
        "ast": 40.0,
    }


# -- determinism -------------------------------------------------------------------------------


def test_same_seed_gives_identical_tables():
    first = simulate_study(n_subjects=150, seed=7)
    second = simulate_study(n_subjects=150, seed=7)
    for name in standard.TABLES:
        assert first.tables[name].equals(second.tables[name])
    assert _csv_digest(first) == _csv_digest(second)
    assert first.equals(second)


def test_different_seeds_differ():
    first = simulate_study(n_subjects=150, seed=7)
    second = simulate_study(n_subjects=150, seed=8)
    assert _csv_digest(first) != _csv_digest(second)
    assert not first.visits.equals(second.visits)


def test_result_does_not_depend_on_number_of_workers():
    n = 2 * BLOCK_SIZE + 100
    serial = simulate_study(n_subjects=n, seed=4, n_jobs=1)
    parallel = simulate_study(n_subjects=n, seed=4, n_jobs=2)
    assert serial.equals(parallel)
    assert _csv_digest(serial) == _csv_digest(parallel)


# -- errors ------------------------------------------------------------------------------------


def test_unknown_parameter_names_the_allowed_ones():
    with pytest.raises(ValueError, match="allowed parameters.*pih_effect"):
        simulate_study(n_subjects=5, pih_efect=0.0)


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"allocation_isotretinoin": 1.5}, r"allocation_isotretinoin must lie in \[0.0, 1.0\]"),
        ({"scar_prevalence": -0.1}, "scar_prevalence must lie in"),
        ({"fitzpatrick_proportions": (0.5, 0.5)}, "sequence of 6 numbers"),
        ({"fitzpatrick_proportions": (0.2,) * 6}, "must sum to 1"),
        ({"treatment_assignment": "coin"}, r"must be one of \['randomised'"),
        ({"n_sites": 2.5}, "whole number"),
        ({"pih_effect": float("nan")}, "finite number"),
    ],
)
def test_impossible_values_raise(parameters, message):
    with pytest.raises(ValueError, match=message):
        simulate_study(n_subjects=5, **parameters)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"scenario": "cohort"}, "allowed scenarios are"),
        ({"n_subjects": 0}, "n_subjects must be an integer >= 1"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"n_jobs": 0}, "n_jobs must be an integer >= 1"),
    ],
)
def test_bad_arguments_raise(arguments, message):
    with pytest.raises(ValueError, match=message):
        simulate_study(**{"n_subjects": 5, **arguments})


# -- defaults and truth ------------------------------------------------------------------------


def test_every_default_has_a_source_or_is_an_assumption():
    table = defaults_table()
    assert len(table) == len(DEFAULTS)
    sourced = table["source"].str.contains(
        r"LD: |\[assumption\]|effect knob|scenario setting|sized from"
    )
    assert sourced.all(), table.loc[~sourced, "parameter"].tolist()


def test_truth_is_json_serialisable_and_complete(rct):
    text = json.dumps(rct.truth)
    assert json.loads(text) == rct.truth
    estimands = rct.truth["estimands"]
    for key in (
        "inflammatory_percent_change_month5",
        "pih_index_difference_month12",
        "ecca_difference_month12",
        "scar_grade_improvement_month12",
    ):
        entry = estimands[key]
        assert entry["difference"] == pytest.approx(entry["isotretinoin"] - entry["comparator"])
        assert entry["method"] == "monte_carlo" and entry["definition"]
    ratio = estimands["inflammatory_rate_ratio"]
    assert ratio["months"] == [0, 1, 2, 3, 4, 5, 6, 9, 12]
    np.testing.assert_allclose(
        ratio["rate_ratio"],
        np.array(ratio["mean_isotretinoin"]) / np.array(ratio["mean_comparator"]),
        rtol=1e-12,
    )
    assert ratio["rate_ratio"][0] == pytest.approx(1.0)
    assert rct.truth["effect_knobs"]["pih_effect"] == 0.0
    assert rct.truth["parameters"]["dropout_month5_comparator"] == 0.21


def test_truth_is_a_private_copy():
    first = simulate_study(n_subjects=5, seed=1)
    first.truth["estimands"]["ecca_difference_month12"]["difference"] = 999.0
    second = simulate_study(n_subjects=5, seed=1)
    assert second.truth["estimands"]["ecca_difference_month12"]["difference"] != 999.0


def test_no_pih_effect_gives_zero_true_difference_while_pih_fades():
    study = simulate_study("single_arm", n_subjects=20, pih_effect=0.0, pih_formation_rate=0.0)
    pih = study.truth["estimands"]["pih_index_difference_month12"]
    assert pih["difference"] == 0.0
    for arm in ("isotretinoin", "comparator"):
        means = pih["mean_by_month"][arm]
        assert means[-1] < means[0] - 0.3


def test_pih_effect_knob_moves_the_truth():
    faster = simulate_study(n_subjects=5, pih_effect=0.7, pih_formation_rate=0.0)
    assert faster.truth["estimands"]["pih_index_difference_month12"]["difference"] < -0.1


def test_no_scar_effect_gives_zero_true_difference():
    study = simulate_study(n_subjects=5, scar_formation_rate=0.0)
    scars = study.truth["estimands"]
    assert scars["ecca_difference_month12"]["difference"] == 0.0
    assert scars["scar_grade_improvement_month12"]["isotretinoin"] == 0.0


def test_scar_remodelling_knob_improves_grades():
    study = simulate_study(n_subjects=5, scar_remodelling_isotretinoin=-0.3)
    truth = study.truth["estimands"]
    assert truth["scar_grade_improvement_month12"]["difference"] > 0.03
    assert truth["ecca_difference_month12"]["difference"] < -10


def test_zero_lesion_effect_gives_no_difference_on_lesions():
    study = simulate_study(n_subjects=5, lesion_effect_scale=0.0)
    truth = study.truth["estimands"]
    change = truth["inflammatory_percent_change_month5"]
    assert abs(change["difference"]) < 4 * change["monte_carlo_se_difference"] + 0.2
    np.testing.assert_allclose(truth["inflammatory_rate_ratio"]["rate_ratio"], 1.0, atol=0.02)


def test_model_card_lists_every_default_with_its_value():
    card = (Path(__file__).resolve().parents[1] / "docs" / "generator.md").read_text(
        encoding="utf-8"
    )
    assert card.endswith(defaults_markdown())
    for row in defaults_table().itertuples():
        assert f"| `{row.parameter}` | {row.value} |" in card, row.parameter
    for scenario in SCENARIOS:
        assert f"`{scenario}`" in card


def test_simulated_study_round_trips_through_save_and_load(tmp_path):
    from acne_outcomes.io import load_study, save_study

    study = simulate_study("informative_dropout", n_subjects=120, seed=12)
    loaded = load_study(save_study(study, tmp_path / "study"))
    for name in standard.TABLES:
        assert loaded.tables[name].equals(study.tables[name]), name
    assert loaded.truth == study.truth


@pytest.mark.parametrize(
    "parameters",
    [
        {"inflammatory_reduction_isotretinoin": (0, 0, 0, 0, 0), "lesion_effect_scale": 0.0},
        {"response_heterogeneity_sd": 3.0, "severity_response_modifier": 2.0},
        {"lesion_effect_scale": 3.0, "flare_multipliers": (10, 10, 10)},
        {"pih_formation_rate": 10.0, "scar_formation_rate": 10.0, "pih_baseline_macules_mean": 500},
        {
            "visit_fluctuation_sd": 2.0,
            "inflammatory_baseline_mean": 300,
            "comedone_baseline_sdlog": 3,
        },
        {"dropout_month5_comparator": 0.95, "ae_discontinuation_probability": 1.0},
        {"adherence_mean_isotretinoin": 1.0, "scar_prevalence": 1.0, "missed_visit_probability": 0},
    ],
)
def test_extreme_parameters_still_give_valid_studies(parameters):
    validate = pytest.importorskip("acne_outcomes.validate")
    study = simulate_study(n_subjects=40, seed=3, **parameters)
    assert study.n_subjects == 40
    assert len(validate.validate_tables(study.tables)) == 0


def test_new_scars_follow_uncontrolled_inflammation(rct):
    ecca = rct.truth["estimands"]["ecca_difference_month12"]
    growth = {arm: means[-1] - means[0] for arm, means in ecca["mean_by_month"].items()}
    assert growth["untreated"] > growth["comparator"] > growth["isotretinoin"] > 0
    assert ecca["difference"] < 0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scenario=st.sampled_from(sorted(SCENARIOS)),
    n_subjects=st.integers(1, 60),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_seed_and_size_gives_a_valid_study(scenario, n_subjects, seed):
    validate = pytest.importorskip("acne_outcomes.validate")
    study = simulate_study(scenario, n_subjects=n_subjects, seed=seed)
    assert study.n_subjects == n_subjects
    assert len(validate.validate_tables(study.tables)) == 0


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(st.text(min_size=0, max_size=6), min_size=1, max_size=5),
    picks=st.lists(st.integers(min_value=0), max_size=40),
)
def test_string_columns_are_the_names_picked_by_code(names, picks):
    from acne_outcomes.simulate.assemble import _strings

    names = [name.replace("\x00", "") for name in names]  # the generator's names hold no NUL
    codes = np.array([pick % len(names) for pick in picks], dtype=np.int64)
    column = _strings(codes, names)
    assert column.dtype == "string"
    assert column.tolist() == [names[code] for code in codes]
    from_bytes = _strings(codes, np.array([name.encode() for name in names], dtype=bytes))
    assert from_bytes.tolist() == column.tolist()
