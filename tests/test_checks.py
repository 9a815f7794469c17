"""The shared argument checks: one message for one mistake, whichever helper it reaches."""

from __future__ import annotations

import pandas as pd
import pytest

from acne_outcomes import checks


def test_ci_level_and_choices():
    assert checks.check_ci_level(0.9) == 0.9
    for bad in (1.5, 0, 1, True, "0.95"):
        with pytest.raises(ValueError, match=r"\(0, 1\)"):
            checks.check_ci_level(bad)
    with pytest.raises(ValueError, match=r"allowed: \['a', 'b'\]"):
        checks.check_choice("x", "c", ["a", "b"])


def test_resolve_arms_orders_categoricals_by_category_and_text_by_sort():
    with pytest.raises(ValueError, match=r"allowed: \['a', 'b'\]"):
        checks.resolve_arms(pd.Series(["a", "b"]), "c")
    with pytest.raises(ValueError, match="at least two arms"):
        checks.resolve_arms(pd.Series(["a", "a"]), None)
    assert checks.resolve_arms(pd.Series(["isotretinoin", "comparator"]), None) == (
        "comparator",
        ["isotretinoin"],
    )
    arms = pd.Series(pd.Categorical(["x", "y"], categories=["y", "x", "z"]))
    assert checks.resolve_arms(arms, None) == ("y", ["x"])


def test_frame_and_column_checks_name_what_is_wrong():
    with pytest.raises(ValueError, match="plot_x: expected a DataFrame"):
        checks.require_frame([1, 2], "plot_x", "a")
    with pytest.raises(ValueError, match=r"missing column\(s\) \['b'\]"):
        checks.require_frame(pd.DataFrame({"a": [1]}), "plot_x", "a", "b")
    with pytest.raises(ValueError, match="data must be a pandas DataFrame"):
        checks.require_columns([1], outcome="a")
    with pytest.raises(ValueError, match="must be numeric"):
        checks.require_numeric(pd.DataFrame({"y": ["1"]}), outcome="y")
    checks.require_numeric(pd.DataFrame({"y": [1.0]}), outcome="y", visit=None)


def test_not_estimable_is_a_value_error_so_old_handlers_still_catch_it():
    assert issubclass(checks.NotEstimable, ValueError)
