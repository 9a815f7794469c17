"""One result convention for every statistics helper: a Result with tidy diagnostics.

Every public helper of the analysis modules returns a :class:`Result` whose diagnostics hold
the names its docstring documents, never anything in ``DataFrame.attrs``; diagnostics survive
:func:`concat_results`; no module of the package keeps a hand-written copy of the shared
checks or imports inside a function.
"""

from __future__ import annotations

import ast
import inspect
import warnings
from importlib import import_module
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from acne_outcomes import narrative
from acne_outcomes.stats import (
    binary,
    counts,
    missing,
    mmrm,
    multiplicity,
    ordinal,
    safety,
    survival,
)
from acne_outcomes.stats.tidy import (
    DIAGNOSTIC_COLUMNS,
    ESTIMATE_COLUMNS,
    EXCLUDED,
    Result,
    complete_rows,
    concat_results,
    diagnostics_frame,
    estimate_frame,
    exclusion_rows,
)

REFERENCE = Path(__file__).parents[1] / "reference"
STATS = Path(binary.__file__).parent
MODULES = (binary, counts, missing, mmrm, multiplicity, ordinal, safety, survival)
# arithmetic building blocks, not analyses: an array or a formatted interval in, the same out
NOT_RESULTS = {"adjust_p_values", "nnt_interval", "nnt_label"}
# data queries that choose what to analyse: a list in, no estimate out
QUERIES = {"tests_with_limits"}
# results whose estimates are a documented table rather than the tidy estimate frame
TABLES = {"ae_table", "lab_shift_table", "worst_grade_table", "fixed_sequence", "ae_overview",
          "lab_abnormalities"}  # fmt: skip

MMRM_NAMES = {"converged", "iterations", "log_likelihood", "covariance_structure", "df_method",
              "n_subjects", "n_observations"}  # fmt: skip
BRANT_NAMES = {f"brant_{name}{suffix}" for name in ("statistic", "df", "p_value")
               for suffix in ("", "_by_covariate")}  # fmt: skip
MI_NAMES = {"m", "n_imputed", "fraction_missing", "relative_increase", "barnard_rubin_df"}


def _csv(path):
    return pd.read_csv(REFERENCE / path)


def _with_missing(frame, column, rows=(1, 2)):
    frame = frame.copy()
    frame[column] = frame[column].astype("float64")
    frame.loc[list(rows), column] = np.nan
    return frame


def _longitudinal_trial(n_subjects=40, seed=0):
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({"id": np.repeat(np.arange(n_subjects), 3),
                         "month": np.tile([1, 2, 3], n_subjects),
                         "arm": np.repeat(np.where(np.arange(n_subjects) % 2, "b", "a"), 3),
                         "base": np.repeat(rng.normal(10, 2, n_subjects), 3)})  # fmt: skip
    data["y"] = data["base"] + rng.normal(size=len(data)) - (data["arm"] == "b") * data["month"]
    return data.loc[~((data["id"] % 5 == 0) & (data["month"] > 1))]


MISSING = {"outcome": "y", "subject": "id", "visit": "month", "arm": "arm", "baseline": "base"}
LABS = {"subject": "subject_id", "visit": "month", "test": "test", "value": "value",
        "upper_limit": "uln"}  # fmt: skip
COUNTS = {"outcome": "lesions", "subject": "subject_id", "visit": "month", "arm": "arm"}
SAFETY = {"subject": "subject_id", "arm": "arm"}


def _labs():
    return pd.DataFrame({"subject_id": [1, 1, 2, 3, 3], "month": [0, 1, 0, 0, 1], "test": "alt",
                         "value": [30, 90, 20, 50, 20], "uln": 40.0})  # fmt: skip


def _safety():
    return _csv("safety/safety_events.csv"), _csv("safety/safety_subjects.csv")


# helper name -> (call returning its result, the diagnostic names its docstring documents)
CASES = {
    "binary_comparison": (
        lambda: binary.binary_comparison(
            _with_missing(_csv("binary/binary_data.csv"), "success"), outcome="success", arm="arm"
        ),
        {"zero_cell_correction", "ratios_not_estimable", EXCLUDED},
    ),
    "within_arm_proportions": (
        lambda: binary.within_arm_proportions(
            _with_missing(_csv("binary/binary_data.csv"), "success"), outcome="success", arm="arm"
        ),
        {EXCLUDED},
    ),
    "logistic_model": (
        lambda: binary.logistic_model(
            _csv("binary/binary_data.csv"), outcome="success", arm="arm", baseline="baseline_iga"
        ),
        {"converged", "separation"},
    ),
    "cmh_odds_ratio": (
        lambda: binary.cmh_odds_ratio(
            _csv("binary/binary_data.csv"), outcome="success", arm="arm", stratum="site"
        ),
        {"breslow_day_p_value", "boundary", "n_strata", "n_strata_dropped"},
    ),
    "count_model": (
        lambda: counts.count_model(
            _with_missing(_csv("counts/counts_data.csv"), "lesions"), **COUNTS, baseline="baseline"
        ),
        {"alpha", "alpha_method", "correlation_parameter", "converged", "boundary", EXCLUDED},
    ),
    "percent_change_ancova": (
        lambda: counts.percent_change_ancova(
            _csv("counts/counts_data.csv"), **COUNTS, baseline="baseline", at_visit=12
        ),
        {"residual_df"},
    ),
    "complete_case": (
        lambda: missing.complete_case(_longitudinal_trial(), **MISSING),
        {"residual_df", EXCLUDED},
    ),
    "locf": (
        lambda: missing.locf(_longitudinal_trial(), **MISSING),
        {"residual_df", "n_carried_forward", "n_carried_from_baseline"},
    ),
    "mmrm_endpoint": (
        lambda: missing.mmrm_endpoint(_longitudinal_trial(), **MISSING),
        MMRM_NAMES,
    ),
    "multiple_imputation": (
        lambda: missing.multiple_imputation(_longitudinal_trial(), **MISSING, m=3, seed=1),
        MI_NAMES,
    ),
    "tipping_point": (
        lambda: missing.tipping_point(
            _longitudinal_trial(), **MISSING, deltas=[0.0, 2.0], m=3, seed=1
        ),
        {"tipping_point", "delta_arm", "m", "n_shifted"},
    ),
    "compare_missing_data_methods": (
        lambda: missing.compare_missing_data_methods(_longitudinal_trial(), **MISSING, m=3, seed=1),
        {"residual_df", "n_carried_forward", "n_carried_from_baseline", EXCLUDED}
        | MMRM_NAMES
        | MI_NAMES,
    ),
    "rubin_rules": (
        lambda: missing.rubin_rules([1.0, 1.2, 0.8], [0.04, 0.05, 0.045], 30),
        {"m", "within", "between", "variance", "df", "relative_increase", "fraction_missing"},
    ),
    "mmrm": (
        lambda: mmrm.mmrm(
            _csv("mmrm/dropout.csv"),
            outcome="inflammatory",
            subject="subject",
            visit="month",
            arm="arm",
            baseline="baseline",
        ),
        MMRM_NAMES | {EXCLUDED},
    ),
    "adjust_estimates": (
        lambda: multiplicity.adjust_estimates(
            concat_results(
                [
                    binary.binary_comparison(
                        _csv("binary/binary_data.csv"), outcome="success", arm="arm"
                    ),
                    multiplicity.hedges_g(
                        _with_missing(_csv("multiplicity/hedges_data.csv"), "change"),
                        outcome="change",
                        arm="arm",
                    ),
                ]
            )
        ),
        {
            "zero_cell_correction",
            "ratios_not_estimable",
            EXCLUDED,
            "multiplicity_method",
            "n_tests",
        },
    ),
    "fixed_sequence": (
        lambda: multiplicity.fixed_sequence({"a": 0.01, "b": 0.2}, order=["a", "b"]),
        {"alpha", "n_tested", "n_rejected"},
    ),
    "hedges_g": (
        lambda: multiplicity.hedges_g(
            _with_missing(_csv("multiplicity/hedges_data.csv"), "change"),
            outcome="change",
            arm="arm",
        ),
        {EXCLUDED},
    ),
    "ordinal_model": (
        lambda: ordinal.ordinal_model(
            _csv("ordinal/ordinal_data.csv").query("month == 12"),
            outcome="scar_grade",
            arm="arm",
            baseline="baseline_grade",
        ),
        {"converged", "brant_quasi_separation"} | BRANT_NAMES,
    ),
    "ordinal_model (longitudinal)": (
        lambda: ordinal.ordinal_model(
            _csv("ordinal/ordinal_data.csv"),
            outcome="scar_grade",
            arm="arm",
            subject="subject_id",
            visit="month",
        ),
        {"converged", "cut_point", "global_odds_ratio"},
    ),
    "brant_test": (
        lambda: ordinal.brant_test(
            np.digitize(np.arange(60) % 7, [2, 4]), (np.arange(60) % 2)[:, None] * 1.0, ["x"]
        ),
        BRANT_NAMES,
    ),
    "kaplan_meier": (
        lambda: survival.kaplan_meier(
            _csv("survival/survival_data.csv"), time="day", event="cleared", arm="arm"
        ),
        {"n_events"},
    ),
    "log_rank": (
        lambda: survival.log_rank(
            _csv("survival/survival_data.csv"), time="day", event="cleared", arm="arm"
        ),
        {"df", "n_events"},
    ),
    "cox_model": (
        lambda: survival.cox_model(
            _with_missing(_csv("survival/survival_data.csv"), "day"),
            time="day",
            event="cleared",
            arm="arm",
        ),
        {"converged", "monotone_likelihood", "n_events", EXCLUDED},
    ),
    "ae_table": (
        lambda: safety.ae_table(*_safety(), **SAFETY, term="term"),
        {"n_subjects", "n_events", "n_events_without_term"},
    ),
    "ae_incidence": (
        lambda: safety.ae_incidence(
            *_safety(), **SAFETY, term="term", exposure_days="exposure_days", onset="onset_day"
        ),
        {"n_subjects", "n_events", "n_events_without_term", "person_years"},
    ),
    "lab_shift_table": (
        lambda: safety.lab_shift_table(
            pd.DataFrame(
                {
                    "subject_id": [1, 1, 2, 3, 3],
                    "month": [0, 1, 0, 0, 1],
                    "test": "alt",
                    "value": [30, 90, 20, 50, 20],
                    "uln": 40.0,
                }
            ),
            subject="subject_id",
            visit="month",
            test="test",
            value="value",
            upper_limit="uln",
        ),
        {"n_subjects", EXCLUDED},
    ),
    "worst_grade_table": (
        lambda: safety.worst_grade_table(
            _safety()[0], _safety()[1], **SAFETY, grade="severity_grade"
        ),
        {"n_subjects"},
    ),
    "ae_overview": (
        lambda: safety.ae_overview(
            _with_missing(_safety()[0], "severity_grade"),
            _safety()[1],
            **SAFETY,
            serious=None,
            reason=None,
        ),  # fmt: skip
        {"n_subjects", EXCLUDED},
    ),
    "lab_abnormalities": (
        lambda: safety.lab_abnormalities(_labs(), **LABS),
        {"n_subjects", EXCLUDED},
    ),
    "share_above_limit": (
        lambda: safety.share_above_limit(
            _labs().assign(uln=[40.0, None, 40.0, 40.0, 40.0]), **LABS
        ),
        {EXCLUDED},
    ),
    "at_risk": (
        lambda: survival.at_risk(
            _with_missing(_csv("survival/survival_data.csv"), "day"),
            time="day",
            event="cleared",
            arm="arm",
            times=[0, 30],
        ),  # fmt: skip
        {"n_subjects", EXCLUDED},
    ),
    "time_to_event_summary": (
        lambda: survival.time_to_event_summary(
            _with_missing(_csv("survival/survival_data.csv"), "day"),
            time="day",
            event="cleared",
            arm="arm",
        ),  # fmt: skip
        {"n_events", "converged", "monotone_likelihood", EXCLUDED},
    ),
}


@pytest.fixture(scope="module")
def results():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {name: call() for name, (call, _) in CASES.items()}


def test_every_public_helper_is_covered():
    public = {
        name
        for module in MODULES
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    }
    covered = {name.split(" ")[0] for name in CASES}
    assert public - NOT_RESULTS - QUERIES == covered


@pytest.mark.parametrize("name", CASES)
def test_result_holds_the_documented_diagnostics(results, name):
    result, expected = results[name], CASES[name][1]
    assert isinstance(result, Result)
    assert isinstance(result.estimates, pd.DataFrame)
    assert list(result.diagnostics.columns) == list(DIAGNOSTIC_COLUMNS)
    assert set(result.diagnostics["diagnostic"]) == expected
    for value in result.diagnostics["value"]:
        assert value is None or np.ndim(value) == 0, (name, value)
        assert not isinstance(value, np.generic), (name, type(value))
    excluded = result.diagnostics.loc[result.diagnostics["diagnostic"] == EXCLUDED, "value"]
    assert result.n_excluded == sum(excluded) and (EXCLUDED not in expected or result.n_excluded)


@pytest.mark.parametrize("name", CASES)
def test_no_result_uses_dataframe_attrs(results, name):
    result = results[name]
    assert result.estimates.attrs == {} and result.diagnostics.attrs == {}


@pytest.mark.parametrize("name", [name for name in CASES if name not in TABLES])
def test_estimates_are_tidy_except_the_tables(results, name):
    assert list(results[name].estimates.columns) == list(ESTIMATE_COLUMNS)


def test_diagnostics_survive_concat_results():
    data = _csv("binary/binary_data.csv")
    data["success_50"] = data["success"]
    data["rare"] = (np.arange(len(data)) % 40 == 0) & (data["arm"] == "isotretinoin")
    data = _with_missing(data, "success_50", rows=[3, 4, 5])
    with pytest.warns(RuntimeWarning, match="zero cell"):
        parts = [binary.binary_comparison(data, outcome=outcome, arm="arm")
                 for outcome in ("success", "success_50", "rare")]  # fmt: skip
    joined = concat_results(parts)
    assert joined.estimates.equals(pd.concat([part.estimates for part in parts], ignore_index=True))
    assert joined.diagnostic("zero_cell_correction", outcome="success") is False
    assert joined.diagnostic("zero_cell_correction", outcome="rare") is True
    assert joined.exclusions() == {"success_50 missing": 3}
    assert joined.n_excluded == sum(part.n_excluded for part in parts) == 3
    with pytest.raises(KeyError, match="3 diagnostics named 'zero_cell_correction'"):
        joined.diagnostic("zero_cell_correction")


def test_repeated_diagnostics_are_told_apart_by_detail(results):
    fit = results["ordinal_model"]
    assert fit.diagnostic("brant_df_by_covariate", detail="isotretinoin") == 3
    with pytest.raises(KeyError, match="present: .*brant_p_value"):
        fit.diagnostic("brant_p_value_by_covariate")
    cuts = results["ordinal_model (longitudinal)"]
    assert cuts.diagnostic("cut_point", detail="0|1") < cuts.diagnostic("cut_point", detail="1|2")


def test_narrative_reads_the_diagnostics_of_a_result(results):
    assert narrative.describe_exclusions(results["lab_shift_table"]) == (
        "Rows not analysed (1), by reason — no post-baseline value: 1."
    )
    assert narrative.describe_exclusions(results["logistic_model"]) == "No rows were excluded."
    sentence = narrative.describe_tipping_point(results["tipping_point"])
    assert sentence.startswith("Under MAR (multiple imputation, m = ") and "the b arm" in sentence


def test_result_equals_compares_estimates_and_diagnostics():
    first = Result(estimate_frame([{"outcome": "y"}]), diagnostics_frame(outcome="y"))
    same = Result(estimate_frame([{"outcome": "y"}]), diagnostics_frame(outcome="y"))
    other = Result(first.estimates, diagnostics_frame(exclusion_rows({"y missing": 1})))
    assert first.equals(same) and not first.equals(other) and not first.equals(first.estimates)


def test_complete_rows_counts_each_row_once():
    data = pd.DataFrame({"y": [1.0, None, None, 4.0], "arm": ["a", None, "b", None]})
    frame, reasons = complete_rows(data, ["y", "arm"])
    assert frame.index.tolist() == [0]
    assert reasons == {"y missing": 2, "arm missing": 1}


def test_diagnostic_values_keep_their_type():
    frame = diagnostics_frame(
        [{"diagnostic": "n", "value": np.int64(3)}, {"diagnostic": "p", "value": 0.5},
         {"diagnostic": "ok", "value": np.bool_(True)}]
    )  # fmt: skip
    assert [type(value) for value in frame["value"]] == [int, float, bool]


def _source_files():
    return sorted(STATS.glob("*.py"))


def test_no_module_writes_dataframe_attrs():
    for path in _source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        uses = [node.lineno for node in ast.walk(tree)
                if isinstance(node, ast.Attribute) and node.attr == "attrs"]  # fmt: skip
        assert not uses, f"{path.name} uses .attrs at lines {uses}"


def test_no_import_inside_a_function():
    for path in _source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                nested = [node.lineno for node in ast.walk(function)
                          if isinstance(node, ast.Import | ast.ImportFrom)]  # fmt: skip
                assert not nested, f"{path.name}:{function.name} imports at lines {nested}"


def test_argument_checks_are_the_shared_ones():
    """No module of stats keeps its own copy of a check that acne_outcomes.checks provides."""
    for path in _source_files():
        source = path.read_text(encoding="utf-8")
        module = import_module(f"acne_outcomes.stats.{path.stem}")
        assert "is not a column" not in source, path.name
        assert "0 < ci_level < 1" not in source, path.name
        assert not hasattr(module, "_arm_levels") and not hasattr(module, "_check_columns")
