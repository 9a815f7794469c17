"""Tests of acne_outcomes.stats.ancova on published data: a categorical covariate against R lm.

The data and expected values were written by
``Rscript tests/reference/binary_published/binary_published_reference.R`` (MASS::birthwt).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose

from acne_outcomes.stats.ancova import ancova, covariate_design

PUBLISHED = Path(__file__).parents[1] / "reference" / "binary_published"


def test_ancova_with_a_categorical_covariate_matches_lm():
    data = pd.read_csv(PUBLISHED / "birthwt.csv")
    expected = pd.read_csv(PUBLISHED / "expected_birthwt.csv").set_index("model").loc["ancova"]
    fit = ancova(data, outcome="bwt", arm="smoke", covariates=["race", "lwt"])
    row = fit.estimates.iloc[-1]
    assert row["contrast"] == "1 - 0" and row["scale"] == "mean difference"
    assert_allclose(row[["estimate", "se", "ci_low", "ci_high", "p_value"]].to_numpy(float),
                    expected[["estimate", "se", "ci_low", "ci_high", "p_value"]].to_numpy(float),
                    rtol=1e-9)  # fmt: skip
    assert fit.diagnostic("residual_df") == expected["df"]
    assert fit.estimates["method"].iloc[0] == "ANCOVA (OLS), adjusted for race, lwt"


def test_covariate_design_codes_like_r():
    frame = pd.DataFrame(
        {"race": pd.Categorical(["white", "black", "other", "white"],
                                categories=["white", "black", "other", "unused"]),
         "age": [20.0, 30.0, 25.0, 25.0]}
    )  # fmt: skip
    design, names = covariate_design(frame, ["race", "age"], centre=False)
    assert names == ["race[black]", "race[other]", "age"]
    assert design.tolist() == [[0, 0, 20], [1, 0, 30], [0, 1, 25], [0, 0, 25]]
    centred, _ = covariate_design(frame, ["race", "age"])
    assert_allclose(centred.mean(axis=0), 0.0, atol=1e-12)
    assert_allclose(centred - design, -np.broadcast_to(design.mean(axis=0), design.shape))
