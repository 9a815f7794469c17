"""What a reader of the built report sees in sentences, footnotes and messages: arms by their
display names, columns by their labels, one footnote per method, numbers and words that agree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from acne_outcomes import narrative, tables
from acne_outcomes.design import Arm, Design
from acne_outcomes.stats.missing import tipping_point

DESIGN = Design(
    arms=(Arm("VEH", "Vehicle"), Arm("SAR", "Sarecycline 1.5 mg/kg")),
    visit_unit="months",
    visits=(0, 1, 3),
    primary_visits={"pih": 3},
    outcomes=("pih_index",),
    tables=(),
)


@pytest.fixture(scope="module")
def scan():
    """A null effect with missing endpoints, scanned far enough that both directions tip."""
    rng = np.random.default_rng(3)
    n = 120
    arm = np.where(np.arange(n) % 2 == 1, "SAR", "VEH")
    baseline = rng.normal(6, 1, n)
    rows = []
    for month in (1, 3):
        y = baseline - 0.3 * month + rng.normal(0, 1, n)
        rows.append(
            pd.DataFrame(
                {"id": np.arange(n), "month": month, "arm": arm, "baseline": baseline, "y": y}
            )
        )
    data = pd.concat(rows, ignore_index=True)
    data.loc[(data["month"] == 3) & (data["id"] % 4 == 1), "y"] = np.nan
    deltas = np.linspace(-6, 6, 13)
    return tipping_point(
        data,
        outcome="y",
        subject="id",
        visit="month",
        arm="arm",
        baseline="baseline",
        endpoint=3,
        reference="VEH",
        deltas=deltas,
        m=5,
        seed=1,
    )


def test_tipping_point_sentence_names_the_arm_and_every_shift_that_changes_the_conclusion(scan):
    sentence = narrative.describe_tipping_point(scan, DESIGN)
    assert "Sarecycline 1.5 mg/kg arm" in sentence
    assert "SAR " not in sentence and "SAR arm" not in sentence
    assert sentence.startswith("Under MAR (multiple imputation, m = 5) the difference is ")
    # the null effect is not significant at 0; both a low and a high shift make it significant
    assert not scan.significant[scan.deltas == 0][0]
    assert (
        " lower than the MAR prediction" in sentence
        and " higher (a significant difference" in sentence
    )
    assert "-1 points" not in sentence and "by -" not in sentence
    for delta, estimate in zip(scan.deltas, scan.estimates["estimate"], strict=True):
        if delta in (
            scan.deltas[scan.significant & (scan.deltas < 0)].max(),
            scan.deltas[scan.significant & (scan.deltas > 0)].min(),
        ):
            assert f"of {estimate:.2f}, 95% CI" in sentence


def test_tipping_point_table_names_the_arm_once_in_one_footnote(scan):
    table = tables.tipping_point_table(scan, design=DESIGN, family="pih")
    notes = tables.notes_of(table)
    methods = [note for note in notes if "imputation" in note]
    assert len(methods) == 1 and "Sarecycline 1.5 mg/kg arm" in methods[0]
    assert not any("SAR" in note for note in notes)
    assert list(table["Comparison"])[:2] == ["Shift -6.0", "Shift -5.0"]


def test_p_values_are_written_one_way():
    row = {"estimate": -0.2, "ci_low": -0.6, "ci_high": 0.2, "p_value": 0.2871, "ci_level": 0.95}
    assert narrative.describe_estimate(row).endswith("; p = 0.287)")
    assert narrative.describe_estimate({**row, "p_value": 0.0001}).endswith("; p < 0.001)")
