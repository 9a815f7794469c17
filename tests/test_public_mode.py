"""Public mode: one small-cell policy for the flow diagram, figures and sentences (issue 12).

Tables already follow :func:`acne_outcomes.privacy.small_cell_policy`; these tests hold the
other outputs of a public report to it: the CONSORT flow (boxes and reasons), the
adverse-event dot plot, the Kaplan–Meier numbers at risk, the missing-data pattern, the means
by skin type and the sentences that count rows. Each output says in words what it left out.
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acne_outcomes import derive, figures, narrative, tables
from acne_outcomes.privacy import SUPPRESSED, small_cell_policy
from acne_outcomes.simulate import simulate_study
from acne_outcomes.stats import safety, survival

K = small_cell_policy().k


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _note(ax) -> str:
    label = ax.figure._supxlabel
    assert label is not None and label.get_gid() == "suppression-note", "no note on the figure"
    return label.get_text()


def _small_numbers(text: str) -> list[str]:
    """Counts 1 to k - 1 standing alone in ``text`` (not part of a visit name or a decimal)."""
    text = re.sub(r"\b(?:month|week|day|visit)s?\s+\d+", "", text, flags=re.IGNORECASE)
    return [m.group(0) for m in re.finditer(r"(?<![\w.])[1-9]\d*(?![\w.])", text)
            if int(m.group(0)) < K]  # fmt: skip


# ------------------------------------------------------------------ the policy over sums


def _recoverable(counts, sums, masked) -> list:
    """Masked counts a reader could work out from one sum and the counts shown."""
    found = []
    for total, parts in sums:
        hidden = [part for part in parts if part in masked]
        if total not in masked and len(hidden) == 1:
            found.append(hidden[0])
        if total in masked and not hidden and counts[total]:
            found.append(total)
    return found


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), min_size=1, max_size=4), min_size=1, max_size=4))
def test_mask_sums_leaves_no_small_count_and_no_sum_that_gives_one_back(groups):
    policy = small_cell_policy()
    counts, sums, boxes = {}, [], []
    for index, reasons in enumerate(groups):
        parts = [("reason", index, position) for position in range(len(reasons))]
        counts.update(zip(parts, reasons, strict=True))
        counts[("box", index)] = sum(reasons)
        sums.append((("box", index), parts))
        boxes.append(("box", index))
    counts["completed"] = 20
    counts["allocated"] = sum(counts[box] for box in boxes) + 20
    sums.append(("allocated", [*boxes, "completed"]))
    masked = policy.mask_sums(counts, sums)
    assert not [name for name, count in counts.items() if 0 < count < K and name not in masked]
    assert _recoverable(counts, sums, masked) == []


def test_mask_sums_masks_a_total_of_one_part():
    counts = {"box": 6, "only": 6, "other": 2, "all": 8}
    masked = small_cell_policy().mask_sums(counts, [("all", ["box", "other"]), ("box", ["only"])])
    assert {"other", "box", "only"} <= masked


# ------------------------------------------------------------------ the flow diagram


@pytest.fixture(scope="module")
def rare_study():
    """The synthetic trial with one pregnancy among the reasons for leaving and two rare AEs."""
    study = simulate_study(n_subjects=80, seed=11)
    subjects = study.subjects.copy()
    subjects["discontinuation_reason"] = subjects["discontinuation_reason"].astype("object")
    leaving = subjects.index[subjects["discontinuation_reason"].notna()][:1]
    subjects.loc[leaving, "discontinuation_reason"] = "pregnancy"
    study.subjects = subjects
    events = study.adverse_events.copy()
    terms = events["term"].astype(str)
    terms.iloc[30], terms.iloc[31] = "alopecia areata", "acute pancreatitis"
    events["term"] = terms
    study.adverse_events = events
    return study


def test_public_flow_suppresses_small_counts_and_what_adds_up_to_them(rare_study):
    plain = derive.consort_flow(rare_study)
    flow = derive.consort_flow(rare_study, public=True)
    assert "pregnancy 1" in "\n".join(plain["detail"])  # the study has a small count to hide
    details = "\n".join(flow["detail"])
    assert "pregnancy 1" not in details and f"pregnancy {SUPPRESSED}" in details
    for text in flow["detail"]:
        assert _small_numbers(text) == [], text
    shown = flow["n"].dropna().astype(int)
    assert not ((shown > 0) & (shown < K)).any()
    assert flow["suppressed"].any() and flow.attrs["note"] == small_cell_policy().note()
    # per arm, allocated = discontinued boxes + completed: never exactly one of them hidden
    parts = flow[flow["key"].str.startswith("discontinued") | (flow["key"] == "completed")]
    for _, boxes in parts.groupby("arm", observed=True):
        assert boxes["n"].isna().sum() != 1
    # the counts the public flow shows are the plain flow's
    same = flow["n"].notna()
    assert (flow.loc[same, "n"].astype(int) == plain.loc[same, "n"]).all()


def test_public_flow_figure_and_sentences_say_what_is_suppressed(rare_study):
    flow = derive.consort_flow(rare_study, public=True)
    design = rare_study.design
    ax = figures.plot_flow(design.named(flow), title="Flow of participants")
    drawn = "\n".join(text.get_text() for text in ax.texts)
    assert f"n = {SUPPRESSED}" in drawn and "pregnancy 1" not in drawn
    assert _small_numbers(drawn) == [], drawn
    assert "fewer than 5" in _note(ax)
    sentence = narrative.describe_consort(flow, design)
    assert _small_numbers(sentence) == [], sentence
    assert small_cell_policy().note() in sentence
    plain = figures.plot_flow(design.named(derive.consort_flow(rare_study)))
    assert plain.figure._supxlabel is None  # nothing suppressed, nothing said


def test_describe_exclusions_in_public_mode():
    counts = {"outcome missing": 40, "no baseline value": 2, "left early": 7}
    assert narrative.describe_exclusions(counts) == (
        "Rows not analysed (49), by reason — outcome missing: 40; left early: 7; "
        "no baseline value: 2."
    )
    public = narrative.describe_exclusions(counts, public=True)
    assert "no baseline value: *" in public and "left early: *" in public
    assert "outcome missing: 40" in public and "(49)" in public
    assert "fewer than 5 rows" in public
    assert narrative.describe_exclusions({"outcome missing": 40}, public=True) == (
        "Rows not analysed (40), by reason — outcome missing: 40."
    )


# ------------------------------------------------------------------ adverse events


def test_public_ae_dots_leave_out_the_terms_the_table_suppresses(rare_study):
    design = rare_study.design
    incidence = safety.ae_incidence(rare_study.adverse_events, rare_study.subjects,
                                    subject="subject_id", arm="arm", term="term")  # fmt: skip
    estimates = design.named_contrasts(incidence.estimates)
    arm = design.arms[1].name
    plain = figures.ae_dots_frame(estimates, arm=arm)
    public = figures.ae_dots_frame(estimates, arm=arm, public=True)
    assert {"alopecia areata", "acute pancreatitis"} <= set(plain["term"])
    assert not {"alopecia areata", "acute pancreatitis"} & set(public["term"])
    counts = safety.ae_table(rare_study.adverse_events, design.named(rare_study.subjects),
                             subject="subject_id", arm="arm", term="term")  # fmt: skip
    table = tables.adverse_event_table(counts.estimates, public=True)
    starred = table.iloc[:, 1:].eq(SUPPRESSED).any(axis=1)
    labels = {tables.term_label(term) for term in public["term"]}
    assert labels == set(table.loc[~starred, "Adverse event"])
    ax = figures.plot_ae_dots(public, title="Adverse events")
    drawn = " ".join(label.get_text() for label in ax.get_yticklabels())
    assert "Alopecia areata" not in drawn
    assert "not shown" in _note(ax) and "fewer than 5 subjects" in _note(ax)


# ------------------------------------------------------------------ Kaplan–Meier


def _times(n_long: int = 3) -> pd.DataFrame:
    """Two arms of 20; in arm b only ``n_long`` subjects are followed past day 200."""
    rng = np.random.default_rng(3)
    rows = []
    for arm in ("a", "b"):
        for index in range(20):
            late = arm == "b" and index < n_long
            time = 300 + 10 * index if late else float(rng.integers(20, 190))
            rows.append({"arm": arm, "time": time, "event": int(index % 3 != 0)})
    return pd.DataFrame(rows)


def test_public_km_hides_small_numbers_at_risk_and_ends_the_curve():
    times = _times()
    curves = survival.kaplan_meier(times, time="time", event="event", arm="arm")
    risk = survival.at_risk(times, time="time", event="event", arm="arm", times=[0, 100, 200, 300])
    plain = figures.plot_km(curves.estimates, at_risk=risk.estimates, xlabel="Day")
    numbers = [text.get_text() for text in plain.texts if text.get_gid() == "at-risk"]
    assert any(0 < int(number) < K for number in numbers if number)  # something to hide
    ax = figures.plot_km(curves.estimates, at_risk=risk.estimates, xlabel="Day", public=True)
    numbers = [text.get_text() for text in ax.texts if text.get_gid() == "at-risk"]
    assert SUPPRESSED in numbers
    assert not [n for n in numbers if n not in ("", SUPPRESSED) and 0 < int(n) < K]
    rows = curves.estimates[curves.estimates["scale"] == "survival probability"]
    last = rows.loc[(rows["contrast"] == "b") & (rows["n"] >= K), "visit"].max()
    line = next(line for line in ax.get_lines() if line.get_label() == "b")
    assert line.get_xdata().max() == pytest.approx(last)
    assert "fewer than 5 subjects remain at risk" in _note(ax)
    assert "shown as *" in _note(ax)


# ------------------------------------------------------------------ missing data, skin types


def test_public_missing_pattern_draws_no_pattern_of_fewer_than_k(rare_study):
    frame = rare_study.design.named(derive.analysis_frame(rare_study))
    visit = rare_study.design.visit_column
    plain = figures.plot_missing_pattern(frame, outcome="pih_index", visit=visit)
    counts = [
        int(t.get_text().split("=")[1]) for t in plain.texts if t.get_gid() == "pattern-count"
    ]
    assert min(counts) < K
    ax = figures.plot_missing_pattern(frame, outcome="pih_index", visit=visit, public=True)
    counts = [int(t.get_text().split("=")[1]) for t in ax.texts if t.get_gid() == "pattern-count"]
    assert counts and min(counts) >= K
    assert ax.images[0].get_array().shape[0] == sum(counts)
    assert "fewer than 5" in _note(ax)


def test_public_means_by_group_leave_out_groups_of_fewer_than_k():
    rows = []
    for group, size in (("II", 12), ("V", 9), ("VI", 2)):
        for subject in range(size):
            for month in (0, 6):
                rows.append({"subject_id": f"{group}-{subject}", "month": month,
                             "fitzpatrick": group, "pih_index": 4.0 + subject % 3})  # fmt: skip
    visits = pd.DataFrame(rows)
    plain = figures.plot_by_group(visits)
    assert [line.get_label() for line in plain.get_lines()] == ["II", "V", "VI"]
    ax = figures.plot_by_group(visits, public=True)
    assert [line.get_label() for line in ax.get_lines()] == ["II", "V"]
    assert "VI not shown" in _note(ax) and "fewer than 5 subjects" in _note(ax)


# ------------------------------------------------------------------ the notebooks copied


def test_scrubbed_notebook_keeps_no_path_in_its_metadata(tmp_path):
    import nbformat

    from acne_outcomes.report import _scrub_paths

    secret = str(tmp_path / "someone" / "secret-trial")
    node = nbformat.v4.new_notebook()
    node.metadata["papermill"] = {"parameters": {"data_path": secret, "public": True}}
    node.cells.append(nbformat.v4.new_code_cell(f"data_path = {secret!r}"))
    _scrub_paths(node, [(secret, "secret-trial")])
    text = nbformat.writes(node)
    assert secret not in text and "secret-trial" in text
    assert node.metadata.papermill.parameters.public is True
