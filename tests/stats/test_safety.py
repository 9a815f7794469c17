"""Tests of acne_outcomes.stats.safety: R reference, counting by hand, shift tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from acne_outcomes.simulate import simulate_study
from acne_outcomes.stats.safety import (
    ANY_EVENT,
    ae_incidence,
    ae_overview,
    ae_table,
    lab_abnormalities,
    lab_shift_table,
    share_above_limit,
    worst_grade_table,
)

REFERENCE = Path(__file__).parents[1] / "reference" / "safety"
KEYS = {"subject": "subject_id", "arm": "arm", "term": "term"}


@pytest.fixture(scope="module")
def subjects():
    return pd.read_csv(REFERENCE / "safety_subjects.csv")


@pytest.fixture(scope="module")
def events():
    return pd.read_csv(REFERENCE / "safety_events.csv")


def test_incidence_matches_r(subjects, events):
    expected = pd.read_csv(REFERENCE / "expected_incidence.csv").set_index("term")
    result = ae_incidence(
        events, subjects, **KEYS, exposure_days="exposure_days", onset="onset_day"
    )
    fit = result.estimates
    assert fit["outcome"].iloc[0] == ANY_EVENT
    exposure = subjects.groupby("arm")["exposure_days"].sum() / 365.25
    for arm, years in exposure.items():
        assert_allclose(result.diagnostic("person_years", detail=arm), years, rtol=1e-12)
    assert result.diagnostic("n_events") == len(events)
    assert result.diagnostic("n_subjects") == len(subjects)
    for term, row in expected.iterrows():
        block = fit.loc[fit["outcome"] == term].set_index(["scale", "contrast"])
        rate = "incidence rate per 100 person-years"
        for arm, suffix in [("comparator", "comp"), ("isotretinoin", "iso")]:
            assert_allclose(block.loc[("proportion", arm), "estimate"] * 60, row[f"x_{suffix}"])
            assert_allclose(
                block.loc[(rate, arm), ["estimate", "ci_low", "ci_high"]].to_numpy(float),
                row[[f"rate_{suffix}", f"rate_{suffix}_low", f"rate_{suffix}_high"]],
                rtol=1e-8,
                atol=1e-12,
                err_msg=f"{term} {arm}",
            )
        difference = block.loc[("risk difference", "isotretinoin - comparator")]
        assert_allclose(
            difference[["estimate", "ci_low", "ci_high"]].to_numpy(float),
            row[["rd", "rd_low", "rd_high"]],
            rtol=1e-9,
            err_msg=term,
        )


def test_ae_table_counts_by_hand():
    subjects = pd.DataFrame(
        {"subject_id": [1, 2, 3, 4, 5], "arm": ["iso", "iso", "iso", "comp", "comp"]}
    )
    events = pd.DataFrame(
        {
            "subject_id": [1, 1, 1, 2, 4],
            "term": ["dry lips", "dry lips", "nosebleed", "nosebleed", "rash"],
        }
    )
    counts = ae_table(events, subjects, **KEYS)
    assert counts.diagnostic("n_events") == 5 and counts.diagnostic("n_subjects") == 5
    assert counts.diagnostic("n_events_without_term") == 0 and counts.n_excluded == 0
    table = counts.estimates.set_index(["term", "arm"])
    assert table.loc[(ANY_EVENT, "iso"), ["n_subjects", "n_with_event", "n_events"]].tolist() == [
        3,
        2,
        4,
    ]
    assert table.loc[("dry lips", "iso"), ["n_with_event", "n_events"]].tolist() == [1, 2]
    assert table.loc[("dry lips", "comp"), ["n_with_event", "percent"]].tolist() == [0, 0.0]
    assert table.loc[("rash", "comp"), "percent"] == 50.0
    assert len(table) == 4 * 2  # any + three terms, two arms, zeros kept


def test_unknown_event_subject_rejected(subjects, events):
    stray = pd.concat(
        [events, pd.DataFrame({"subject_id": ["X999"], "term": ["rash"], "severity_grade": [1]})]
    )
    with pytest.raises(ValueError, match="not in subjects"):
        ae_table(stray, subjects, **KEYS)


def test_bad_arguments(subjects, events):
    with pytest.raises(ValueError, match="allowed"):
        ae_incidence(events, subjects, **KEYS, exposure_days="days_on_drug", onset="onset_day")
    with pytest.raises(ValueError, match="onset='day' is not a column"):
        ae_incidence(events, subjects, **KEYS, exposure_days="exposure_days", onset="day")
    with pytest.raises(ValueError, match="exposure_days= needs onset="):
        ae_incidence(events, subjects, **KEYS, exposure_days="exposure_days")
    undated = events.assign(onset_day=events["onset_day"].where(events.index > 0))
    with pytest.raises(ValueError, match="1 adverse event.* have no onset_day"):
        ae_incidence(undated, subjects, **KEYS, exposure_days="exposure_days", onset="onset_day")
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        ae_incidence(events, subjects, **KEYS, ci_level=1.5)
    with pytest.raises(ValueError, match="allowed: .*comparator"):
        ae_incidence(events, subjects, **KEYS, reference="placebo")


def test_lab_shift_table():
    labs = pd.DataFrame(
        {
            "subject_id": [1, 1, 1, 2, 2, 3, 3, 4, 5, 5],
            "arm": ["iso"] * 3 + ["iso"] * 2 + ["comp"] * 2 + ["comp"] + ["comp"] * 2,
            "month": [0, 1, 3, 0, 1, 0, 1, 0, 0, 1],
            "test": ["triglycerides"] * 9 + ["pregnancy"],
            "value": [140, 180, 260, 160, 140, 120, 130, 150, 0, 0],
            "uln": [150.0] * 9 + [np.nan],
        }
    )
    shifts = lab_shift_table(
        labs,
        subject="subject_id",
        visit="month",
        test="test",
        value="value",
        upper_limit="uln",
        arm="arm",
    )
    table = shifts.estimates
    nonzero = table.loc[table["n_subjects"] > 0]
    assert nonzero[["arm", "baseline", "worst_post_baseline", "n_subjects"]].values.tolist() == [
        ["comp", "<= 1 x ULN", "<= 1 x ULN", 1],
        ["iso", "<= 1 x ULN", "> 1 x ULN", 1],
        ["iso", "> 1 x ULN", "<= 1 x ULN", 1],
    ]
    # arm × 2 × 2 for triglycerides, zeros kept; the pregnancy test (no ULN) has no rows
    assert len(table) == 2 * 2 * 2 and set(table["test"]) == {"triglycerides"}
    excluded = shifts.diagnostics.loc[shifts.diagnostics["diagnostic"] == "excluded"]
    assert excluded[["outcome", "detail", "value"]].values.tolist() == [
        ["pregnancy", "no ULN or no value (qualitative test)", 1],
        ["triglycerides", "no post-baseline value", 2],
    ]
    assert shifts.exclusions() == {
        "no ULN or no value (qualitative test)": 1,
        "no post-baseline value": 2,
    }
    assert shifts.diagnostic("n_subjects", outcome="triglycerides") == 3
    assert shifts.diagnostic("n_subjects", outcome="pregnancy") == 0
    with pytest.raises(ValueError, match="increasing"):
        lab_shift_table(
            labs,
            subject="subject_id",
            visit="month",
            test="test",
            value="value",
            upper_limit="uln",
            multiples=(3, 1),
        )


def test_worst_grade_counts_each_subject_once(subjects, events):
    worst_grades = worst_grade_table(
        events, subjects, subject="subject_id", arm="arm", grade="severity_grade"
    )
    assert worst_grades.diagnostic("n_subjects") == 120 and worst_grades.n_excluded == 0
    table = worst_grades.estimates
    assert table.groupby("arm")["n_subjects"].sum().tolist() == [60, 60]
    worst = events.groupby("subject_id")["severity_grade"].max()
    iso = subjects.loc[subjects["arm"] == "isotretinoin", "subject_id"]
    expected = worst.reindex(iso).fillna(0).astype(int).value_counts()
    got = table.loc[table["arm"] == "isotretinoin"].set_index("worst_grade")["n_subjects"]
    assert got[got > 0].to_dict() == expected.to_dict()
    assert_allclose(table.groupby("arm")["percent"].sum(), [100.0, 100.0])
    with pytest.raises(ValueError, match=r"1\.\.5"):
        worst_grade_table(
            events.assign(severity_grade=7),
            subjects,
            subject="subject_id",
            arm="arm",
            grade="severity_grade",
        )


PUBLISHED = Path(__file__).parents[1] / "reference" / "safety_published"


def test_exposure_adjusted_rate_censors_at_the_first_event_on_cgd():
    """Finding 8: the rate divided the subjects with an event by the whole exposure, not the
    time at risk up to the first event, understating common events (placebo arm of the
    gamma interferon trial in CGD: 59.2 instead of 80.0 per 100 person-years)."""
    subjects = pd.read_csv(PUBLISHED / "cgd_subjects.csv")
    events = pd.read_csv(PUBLISHED / "cgd_events.csv")
    expected = pd.read_csv(PUBLISHED / "expected_eair.csv").set_index("arm")
    result = ae_incidence(events, subjects, subject="id", arm="arm", term="term",
                          exposure_days="follow_up_days", onset="onset_day",
                          reference="placebo")  # fmt: skip
    rows = result.estimates
    rates = rows.loc[(rows["scale"] == "incidence rate per 100 person-years")
                     & (rows["outcome"] == "serious infection")].set_index("contrast")  # fmt: skip
    assert_allclose(rates[["estimate", "ci_low", "ci_high"]].to_numpy(float),
                    expected.loc[rates.index, ["rate", "rate_low", "rate_high"]].to_numpy(float),
                    rtol=1e-9)  # fmt: skip
    assert rates.loc["placebo", "method"].startswith(
        "exposure-adjusted (37.5 person-years at risk)"
    )
    for arm in expected.index:
        whole = result.diagnostic("person_years", detail=arm)
        assert_allclose(100 * expected.loc[arm, "x"] / whole,
                        expected.loc[arm, "rate_whole_follow_up"], rtol=1e-9)  # fmt: skip
        assert rates.loc[arm, "estimate"] > expected.loc[arm, "rate_whole_follow_up"]


# ---------------------------------------------------------------------- the overview, by hand


@pytest.fixture(scope="module")
def rct():
    return simulate_study("rct", seed=0)


def _direct_overview(study) -> dict:
    """Each overview row counted straight from the tables: {(category, arm): (n, N)}."""
    subjects = study.subjects
    events = study.adverse_events
    arms = {
        arm: set(subjects.loc[subjects["arm"] == arm, "subject_id"])
        for arm in ("comparator", "isotretinoin")
    }
    serious = set(events.loc[events["serious"].astype(bool), "subject_id"])
    severe = set(events.loc[events["severity_grade"].astype(int) >= 3, "subject_id"])
    anyone = set(events["subject_id"])
    left = set(subjects.loc[subjects["discontinuation_reason"] == "adverse_event", "subject_id"])
    tests = study.labs[(study.labs["test"] == "pregnancy") & study.labs["value"].notna()]
    tested = set(tests["subject_id"])
    positive = set(tests.loc[tests["value"] == 1, "subject_id"])
    out = {}
    for arm, members in arms.items():
        out[("any adverse event", arm)] = (len(anyone & members), len(members))
        out[("serious adverse event", arm)] = (len(serious & members), len(members))
        out[("adverse event of grade ≥ 3", arm)] = (len(severe & members), len(members))
        out[("adverse event leading to discontinuation", arm)] = (len(left & members), len(members))
        out[("positive pregnancy test", arm)] = (len(positive & members), len(tested & members))
    return out


def test_every_row_of_the_ae_overview_against_a_direct_count(rct):
    result = ae_overview(
        rct.adverse_events, rct.subjects, rct.labs, subject="subject_id", arm="arm"
    )
    table = result.estimates
    expected = _direct_overview(rct)
    assert len(table) == len(expected) == 10
    for row in table.to_dict("records"):
        n, denominator = expected[(row["category"], row["arm"])]
        assert (row["n_with_event"], row["n_subjects"]) == (n, denominator), row
        assert row["percent"] == pytest.approx(100 * n / denominator)
    assert result.diagnostic("n_subjects") == rct.n_subjects
    # the default study has what the safety section must show: severe events, discontinuations
    # for adverse events and positive pregnancy tests on isotretinoin
    iso = table[table["arm"] == "isotretinoin"].set_index("category")["n_with_event"]
    assert (
        iso["adverse event of grade ≥ 3"] > 0
        and iso["adverse event leading to discontinuation"] > 0
    )
    assert iso["positive pregnancy test"] > 0


def test_ae_overview_without_labs_or_events_and_with_missing_grades():
    subjects = pd.DataFrame({"subject_id": [1, 2, 3], "arm": ["a", "b", "b"],
                             "discontinuation_reason": [None, None, "adverse_event"]})  # fmt: skip
    events = pd.DataFrame({"subject_id": [2, 3], "serious": [None, False],
                           "severity_grade": [4, None]})  # fmt: skip
    result = ae_overview(events, subjects, subject="subject_id", arm="arm")
    table = result.estimates.set_index(["category", "arm"])
    assert "positive pregnancy test" not in table.index.get_level_values(0)
    assert table.loc[("adverse event of grade ≥ 3", "b"), "n_with_event"] == 1
    assert table.loc[("adverse event leading to discontinuation", "b"), "n_with_event"] == 1
    assert result.exclusions() == {
        "serious missing (events)": 1,
        "severity_grade missing (events)": 1,
    }
    empty = ae_overview(events.iloc[0:0], subjects, subject="subject_id", arm="arm").estimates
    assert (empty.loc[empty["category"] == "any adverse event", "n_with_event"] == 0).all()
    with pytest.raises(ValueError, match="not in subjects"):
        ae_overview(events.assign(subject_id=[2, 9]), subjects, subject="subject_id", arm="arm")


def test_lab_abnormalities_and_share_above_limit_against_direct_counts(rct):
    labs = rct.labs.merge(rct.subjects[["subject_id", "arm"]], on="subject_id")
    keys = dict(subject="subject_id", visit="month", test="test", value="value",
                upper_limit="upper_limit_normal", arm="arm")  # fmt: skip
    table = lab_abnormalities(labs, **keys).estimates.set_index(["test", "arm"])
    assert "pregnancy" not in table.index.get_level_values(0)
    limited = labs[labs["upper_limit_normal"].notna() & labs["value"].notna()]
    above = limited["value"] > limited["upper_limit_normal"]
    base = (
        limited[limited["month"] == 0]
        .assign(above=above)
        .groupby(["test", "arm", "subject_id"], observed=True)["above"]
        .max()
    )
    post = (
        limited[limited["month"] != 0]
        .assign(above=above)
        .groupby(["test", "arm", "subject_id"], observed=True)["above"]
        .max()
    )
    both = pd.concat({"base": base, "post": post}, axis=1, join="inner").reset_index()
    for (name, arm), block in both.groupby(["test", "arm"], observed=True):
        row = table.loc[(name, arm)]
        assert row["n_subjects"] == len(block)
        assert row["n_above"] == block["post"].sum()
        assert row["n_normal_baseline"] == (~block["base"]).sum()
        assert row["n_new"] == (~block["base"] & block["post"]).sum()
    shares = share_above_limit(labs, **keys).estimates
    row = shares[(shares["outcome"] == "triglycerides") & (shares["contrast"] == "isotretinoin")
                 & (shares["visit"] == 3)].iloc[0]  # fmt: skip
    at = limited[(limited["test"] == "triglycerides") & (limited["arm"] == "isotretinoin")
                 & (limited["month"] == 3)]  # fmt: skip
    assert row["n"] == at["subject_id"].nunique()
    assert row["estimate"] == pytest.approx((at["value"] > at["upper_limit_normal"]).mean())
    assert row["ci_low"] <= row["estimate"] <= row["ci_high"]
