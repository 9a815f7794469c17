"""Presentation tables: content, small-cell suppression in public mode, deterministic files."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from acne_outcomes.tables import (
    SUPPRESSED,
    adverse_event_table,
    count_table,
    endpoint_table,
    table_one,
    write_table,
)


def _subjects(n=40, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "arm": np.repeat(["comparator", "isotretinoin"], n // 2),
            "age": rng.integers(14, 40, n),
            "weight_kg": rng.normal(68, 10, n).round(1),
            "sex": np.where(np.arange(n) % 7 == 0, "female", "male"),
            "fitzpatrick": pd.Categorical(
                rng.choice(["I", "II", "III", "IV", "V", "VI"], n),
                categories=["I", "II", "III", "IV", "V", "VI"],
                ordered=True,
            ),
            "baseline_iga": rng.integers(3, 5, n),
        }
    )


def test_table_one_counts_and_public_suppression():
    subjects = _subjects()
    table = table_one(subjects)
    assert list(table.columns) == ["variable", "level", "Overall", "comparator", "isotretinoin"]
    females = int((subjects["sex"] == "female").sum())
    row = table[(table["variable"] == "sex, n (%)") & (table["level"] == "female")]
    assert row["Overall"].iloc[0].startswith(f"{females} (")
    public = table_one(subjects, public=True)
    sex = public[public["variable"] == "sex, n (%)"]
    # few females per arm: masked, and the male cell beside it too (else n - males reveals it)
    assert (sex[["comparator", "isotretinoin"]] == SUPPRESSED).all().all()
    assert public.loc[public["variable"] == "n", "Overall"].iloc[0] == "40"


def test_table_one_names_missing_columns():
    with pytest.raises(ValueError, match="fitzpatrick"):
        table_one(_subjects().drop(columns="fitzpatrick"))


def test_adverse_event_table_suppresses_small_counts():
    counts = pd.DataFrame(
        {
            "term": ["any adverse event"] * 2 + ["cheilitis"] * 2 + ["headache"] * 2,
            "arm": ["comparator", "isotretinoin"] * 3,
            "n_subjects": [100, 100] * 3,
            "n_with_event": [40, 90, 10, 85, 2, 30],
            "percent": [40.0, 90.0, 10.0, 85.0, 2.0, 30.0],
        }
    )
    table = adverse_event_table(counts)
    assert table.columns.tolist() == ["term", "comparator (N=100)", "isotretinoin (N=100)"]
    assert table.iloc[2].tolist() == ["headache", "2 (2.0)", "30 (30.0)"]
    public = adverse_event_table(counts, public=True)
    assert public.iloc[2, 1] == SUPPRESSED
    assert public.iloc[0, 1] == "40 (40.0)"
    assert (public == SUPPRESSED).sum().sum() >= 2  # complementary suppression adds a cell


def test_count_table_public():
    shifts = pd.DataFrame(
        {
            "baseline": ["normal", "high", "very high"],
            "normal": [80, 3, 20],
            "high": [12, 40, 30],
            "very high": [9, 7, 60],
        }
    )
    public = count_table(shifts, public=True)
    assert public.loc[1, "normal"] == SUPPRESSED
    # complementary: the smallest other cells in that row and column
    assert public.loc[1, "very high"] == SUPPRESSED and public.loc[2, "normal"] == SUPPRESSED
    assert public.loc[0, "normal"] == "80" and public.loc[2, "very high"] == "60"
    assert count_table(shifts).loc[1, "normal"] == "3"


def test_endpoint_table_requires_tidy_columns():
    with pytest.raises(ValueError, match="ci_low"):
        endpoint_table(pd.DataFrame({"outcome": ["x"]}))


def test_write_table_is_deterministic_and_escapes_latex(tmp_path):
    frame = pd.DataFrame({"term": ["dry_eyes", "50% & more"], "n (%)": ["3 (2.0)", "1 (0.5)"]})
    first = write_table(frame, "ae", tmp_path / "a")
    second = write_table(frame, "ae", tmp_path / "b")
    digest = [hashlib.sha256(path.read_bytes()).hexdigest() for path in first]
    assert digest == [hashlib.sha256(path.read_bytes()).hexdigest() for path in second]
    latex = first[2].read_text()
    assert "dry\\_eyes" in latex and "50\\% \\& more" in latex and "\\toprule" in latex
    assert pd.read_csv(first[0]).equals(frame)
    with pytest.raises(ValueError, match="letters"):
        write_table(frame, "../escape", tmp_path)
