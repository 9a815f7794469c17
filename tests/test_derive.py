"""Tests of acne_outcomes.derive: values, exclusion accounting and argument checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import studies

from acne_outcomes import load_study
from acne_outcomes.derive import (
    REASON_BASELINE_ROW,
    REASON_BASELINE_ZERO,
    REASON_NO_BASELINE,
    REASON_OUTCOME_MISSING,
    change_from_baseline,
    consort_flow,
    iga_success,
    percent_change_from_baseline,
    responders,
    time_to_clearance,
    time_to_relapse,
)
from acne_outcomes.simulate import simulate_study

KEYS = {"subject": "subject_id", "visit": "month"}
MONTHS = [0, 1, 2, 3, 4, 5, 6, 9, 12]


def random_visits(seed, n_subjects=40):
    """Random long visits with missing rows, missing values and zero baselines."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        [(s, m) for s in range(n_subjects) for m in MONTHS], columns=["subject_id", "month"]
    )
    frame["study_day"] = frame["month"] * 30 + rng.integers(-3, 4, len(frame))
    counts = rng.poisson(rng.gamma(1.0, 12.0, len(frame))).astype(float)
    counts[rng.random(len(frame)) < 0.1] = np.nan
    frame["inflammatory_lesions"] = pd.array(counts, dtype="Float64").astype("Int64")
    return frame.sample(frac=0.9, random_state=seed).reset_index(drop=True)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("derivation", [change_from_baseline, percent_change_from_baseline])
def test_every_row_accounted_for(seed, derivation):
    visits = random_visits(seed)
    derived = derivation(visits, **KEYS, outcome="inflammatory_lesions")
    assert len(derived.data) + len(derived.exclusions) == len(visits)
    assert list(derived.exclusions.columns) == ["subject_id", "month", "reason"]
    allowed = {REASON_BASELINE_ROW, REASON_OUTCOME_MISSING, REASON_NO_BASELINE}
    if derivation is percent_change_from_baseline:
        allowed.add(REASON_BASELINE_ZERO)
    assert set(derived.exclusions["reason"]) <= allowed
    pairs = pd.concat(
        [derived.data[["subject_id", "month"]], derived.exclusions[["subject_id", "month"]]]
    )
    assert not pairs.duplicated().any()


@pytest.mark.parametrize("seed", range(5))
def test_baselines_and_reasons_match_a_direct_count(seed):
    """Each kept row's baseline is its subject's month-0 value, and each excluded row has the
    reason a plain reading of the rules gives (the derivation works on integer codes)."""
    from acne_outcomes.derive import with_baseline

    visits = random_visits(seed)
    visits["subject_id"] = "S" + visits["subject_id"].astype(str)  # identifiers as text
    value = dict.fromkeys(visits["subject_id"], np.nan)
    for row in visits.itertuples():
        if row.month == 0 and not pd.isna(row.inflammatory_lesions):
            value[row.subject_id] = float(row.inflammatory_lesions)
    derived = percent_change_from_baseline(visits, **KEYS, outcome="inflammatory_lesions")
    assert derived.data["baseline"].tolist() == [value[s] for s in derived.data["subject_id"]]
    expected = []
    for row in visits.itertuples():
        if row.month == 0:
            expected.append((row.subject_id, 0, REASON_BASELINE_ROW))
        elif pd.isna(row.inflammatory_lesions):
            expected.append((row.subject_id, row.month, REASON_OUTCOME_MISSING))
        elif np.isnan(value[row.subject_id]):
            expected.append((row.subject_id, row.month, REASON_NO_BASELINE))
        elif value[row.subject_id] == 0:
            expected.append((row.subject_id, row.month, REASON_BASELINE_ZERO))
    found = derived.exclusions.itertuples(index=False, name=None)
    assert sorted(found) == sorted(expected)
    post = with_baseline(visits, "inflammatory_lesions")
    assert len(post) == (visits["month"] != 0).sum()
    assert np.array_equal(
        post["baseline"].to_numpy(), [value[s] for s in post["subject_id"]], equal_nan=True
    )


def test_change_and_percent_change_values():
    visits = pd.DataFrame(
        {
            "subject_id": ["a", "a", "a", "b", "b", "c", "d", "d"],
            "month": [0, 3, 6, 0, 3, 3, 0, 3],
            "inflammatory_lesions": [20, 10, 25, 0, 4, 7, 8, pd.NA],
        }
    ).astype({"inflammatory_lesions": "Int64"})
    change = change_from_baseline(visits, **KEYS, outcome="inflammatory_lesions")
    assert change.data[["subject_id", "month", "change"]].values.tolist() == [
        ["a", 3, -10.0],
        ["a", 6, 5.0],
        ["b", 3, 4.0],
    ]
    reasons = change.exclusions.set_index("subject_id")["reason"]
    assert reasons["c"] == REASON_NO_BASELINE
    assert (reasons["d"] == [REASON_BASELINE_ROW, REASON_OUTCOME_MISSING]).all()
    percent = percent_change_from_baseline(visits, **KEYS, outcome="inflammatory_lesions")
    assert percent.data["percent_change"].tolist() == [-50.0, 25.0]
    zero = percent.exclusions.loc[percent.exclusions["reason"] == REASON_BASELINE_ZERO]
    assert zero[["subject_id", "month"]].values.tolist() == [["b", 3]]


def test_duplicate_baseline_rejected():
    visits = pd.DataFrame({"subject_id": [1, 1], "month": [0, 0], "y": [3, 4]})
    with pytest.raises(ValueError, match="more than one baseline"):
        change_from_baseline(visits, **KEYS, outcome="y")


def test_responders_threshold_is_inclusive():
    visits = pd.DataFrame(
        {"subject_id": [1, 1, 2, 2, 3, 3], "month": [0, 6] * 3, "y": [20, 10, 20, 11, 20, 2]}
    )
    data = responders(visits, **KEYS, outcome="y").data
    assert data["responder_50"].tolist() == [True, False, True]
    assert data["responder_75"].tolist() == [False, False, True]
    assert data["responder_90"].tolist() == [False, False, True]
    with pytest.raises(ValueError, match=r"\(0, 100\]"):
        responders(visits, **KEYS, outcome="y", reductions=(150,))


def test_iga_success_with_ordered_categorical():
    grades = pd.Categorical([4, 1, 3, 1, 2, 0, 2, 1], categories=[0, 1, 2, 3, 4], ordered=True)
    visits = pd.DataFrame(
        {"subject_id": [1, 1, 2, 2, 3, 3, 4, 4], "month": [0, 12] * 4, "iga": grades}
    )
    data = iga_success(visits, **KEYS, iga="iga").data
    # 4→1 success; 3→1 success; 2→0 success (2 grades); 2→1 only one grade: failure
    assert data["iga_success"].tolist() == [True, True, True, False]
    strict = iga_success(visits, **KEYS, iga="iga", success_max=0).data
    assert strict["iga_success"].tolist() == [False, False, True, False]


def test_time_to_clearance():
    visits = pd.DataFrame(
        {
            "subject_id": [1, 1, 1, 2, 2, 2, 3, 3, 4, 5],
            "month": [0, 3, 6, 0, 3, 6, 0, 3, 0, 0],
            "study_day": [0, 92, 180, 0, 88, 185, 0, 90, 0, 0],
            "inflammatory_lesions": [10, 0, 3, 12, 5, 2, 0, 0, 9, 4],
        }
    )
    derived = time_to_clearance(visits, **KEYS, day="study_day", outcome="inflammatory_lesions")
    assert derived.data.values.tolist() == [[1, True, 92.0], [2, False, 185.0]]
    reasons = derived.exclusions.set_index("subject_id")["reason"].to_dict()
    assert reasons == {
        3: "clear at baseline",
        4: "no observed post-baseline value",
        5: "no observed post-baseline value",
    }
    assert len(derived.data) + len(derived.exclusions) == visits["subject_id"].nunique()


def test_time_to_relapse_fraction_and_threshold():
    visits = pd.DataFrame(
        {
            "subject_id": [1] * 4 + [2] * 4 + [3] * 3 + [4] * 2 + [5] * 2,
            "month": [0, 6, 9, 12] * 2 + [0, 6, 9] + [0, 12] + [0, 12],
            "study_day": [0, 150, 270, 365] * 2 + [0, 150, 270] + [0, 365] + [0, 365],
            "inflammatory_lesions": [20, 2, 6, 12, 30, 1, 3, 4, 10, 8, 9, 10, 2, 10, 1],
            "iga": [4, 0, 1, 3, 3, 1, 1, 2, 3, 3, 3, 2, 0, 3, 1],
        }
    )
    subjects = pd.DataFrame(
        {"subject_id": [1, 2, 3, 4, 5], "end_of_treatment_day": [150, 150, 150, 365, np.nan]}
    )
    keys = dict(**KEYS, day="study_day", end_of_treatment="end_of_treatment_day")
    fraction = time_to_relapse(visits, subjects, outcome="inflammatory_lesions", **keys)
    assert fraction.data.values.tolist() == [[1, True, 215.0], [2, False, 215.0]]
    reasons = fraction.exclusions.set_index("subject_id")["reason"].to_dict()
    assert reasons == {
        3: "relapse criterion met at end of treatment (not in remission)",
        4: "no visit after end of treatment",
        5: "end-of-treatment day missing",
    }
    threshold = time_to_relapse(
        visits, subjects, outcome="iga", fraction_of_baseline=None, at_least=3, **keys
    )
    assert threshold.data.values.tolist() == [[1, True, 215.0], [2, False, 215.0]]
    assert threshold.exclusions.set_index("subject_id")["reason"].to_dict() == reasons
    for derived in (fraction, threshold):
        assert len(derived.data) + len(derived.exclusions) == 5
    with pytest.raises(ValueError, match="exactly one"):
        time_to_relapse(visits, subjects, outcome="iga", at_least=3, **keys)


def test_argument_checks():
    frame = pd.DataFrame({"subject_id": [1], "month": [0], "y": [1]})
    with pytest.raises(ValueError, match=r"outcome='z'.*allowed: \['subject_id', 'month', 'y'\]"):
        change_from_baseline(frame, **KEYS, outcome="z")


# ---------------------------------------------------------------------- the CONSORT flow


def _boxes(flow, key):
    rows = flow[flow["key"] == key]
    return dict(zip(rows["arm"].astype(str), rows["n"], strict=True))


def _check_flow_adds_up(study):
    flow = consort_flow(study)
    design = study.design
    subjects = study.subjects
    allocated = _boxes(flow, "allocated")
    assert (
        flow.loc[flow["key"] == "enrolled", "n"].item() == len(subjects) == sum(allocated.values())
    )
    assert allocated == subjects["arm"].astype(str).value_counts().to_dict()
    periods = [key for key in flow["key"].unique() if key.startswith("discontinued")]
    completed = _boxes(flow, "completed")
    for arm, n in allocated.items():
        assert sum(_boxes(flow, key)[arm] for key in periods) + completed[arm] == n
    for key in (key for key in flow["key"].unique() if key.startswith("analysed:")):
        rows = flow[flow["key"] == key]
        assert (rows["n"] + rows["not_analysed"]).tolist() == [
            allocated[str(a)] for a in rows["arm"]
        ]
    assert list(flow["arm"].cat.categories) == design.labels
    return flow


def test_consort_flow_adds_up_and_matches_a_direct_count():
    study = simulate_study("rct", seed=0)
    flow = _check_flow_adds_up(study)
    subjects = study.subjects
    left = pd.to_numeric(subjects["discontinuation_day"]).astype(float)
    end = 5 * 365.25 / 12  # the design's end of treatment, month 5, in days
    by_arm = subjects["arm"].astype(str)
    assert _boxes(flow, "discontinued_treatment") == (left <= end).groupby(by_arm).sum().to_dict()
    assert _boxes(flow, "discontinued_follow_up") == (left > end).groupby(by_arm).sum().to_dict()
    visits = study.visits.merge(subjects[["subject_id", "arm"]], on="subject_id")
    lesions = ["inflammatory_lesions", "comedones", "nodules", "iga"]
    seen = visits[(visits["month"] == 5) & visits[lesions].notna().any(axis=1)]
    assert (
        _boxes(flow, "analysed:5")
        == seen.groupby(seen["arm"].astype(str))["subject_id"].nunique().to_dict()
    )
    outcomes = [name for name in study.design.outcomes if name != "adherence"]
    after = visits[(visits["month"] > 0) & visits[outcomes].notna().any(axis=1)]
    without = ~subjects["subject_id"].isin(after["subject_id"])
    assert _boxes(flow, "no_post_baseline") == without.groupby(by_arm).sum().to_dict()
    stages = flow.drop_duplicates("key")["stage"].tolist()
    assert stages[:3] == [
        "Enrolled and randomised",
        "Allocated",
        "Discontinued during treatment (to month 5)",
    ]
    assert "Analysed at month 12: scars, PIH" in stages
    assert "screening" in flow["detail"].iloc[0]


def test_consort_flow_of_a_design_without_an_end_of_treatment(tmp_path):
    study = load_study(studies.STUDIES["three_arms"](tmp_path))
    flow = _check_flow_adds_up(study)
    assert "discontinued" in set(flow["key"]) and "discontinued_treatment" not in set(flow["key"])
    assert len(flow[flow["key"] == "allocated"]) == 3
