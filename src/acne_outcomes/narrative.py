"""Narrative sentences with computed numbers, for notebooks and reports (never typed by hand).

Each function takes the objects a notebook already has (a study, a flow frame, a tidy
estimate frame, the truth) and returns Markdown text.
"""

from __future__ import annotations

import pandas as pd

from acne_outcomes.tables import format_p


def describe_source(study) -> str:
    """Where the data come from, in one sentence.

    >>> from types import SimpleNamespace
    >>> describe_source(SimpleNamespace(n_subjects=3, metadata={"source": "data/raw/x"}, truth=None))
    'Data: `x`, 3 subjects (a validated data package).'
    """
    metadata = study.metadata
    if study.truth is not None:
        scenario = metadata.get("scenario", study.truth.get("scenario", "unknown"))
        seed = metadata.get("seed", "unknown")
        return (
            f"Data: **synthetic** study, scenario `{scenario}`, seed {seed}, {study.n_subjects} subjects. "
            "Its true effects are known, so estimates below are compared with the truth."
        )
    name = str(metadata.get("source", "unknown")).rstrip("/").rsplit("/", 1)[-1]
    return f"Data: `{name}`, {study.n_subjects} subjects (a validated data package)."


def describe_estimate(row, digits: int = 2) -> str:
    """``"-14.30 (95% CI -18.00 to -10.60; p <0.001)"`` from one tidy-frame row."""
    level = f"{100 * row['ci_level']:g}% CI " if not pd.isna(row["ci_level"]) else "CI "
    p = f"; p {format_p(row['p_value'])}" if not pd.isna(row["p_value"]) else ""
    return f"{row['estimate']:.{digits}f} ({level}{row['ci_low']:.{digits}f} to {row['ci_high']:.{digits}f}{p})"


def describe_flow(flow: pd.DataFrame) -> str:
    """Summarise :func:`acne_outcomes.derive.study_flow` in a sentence per arm."""
    enrolled = int(flow.loc[flow["stage"] == "enrolled", "n"].iloc[0])
    parts = [f"{enrolled} subjects were enrolled."]
    allocated = flow[flow["stage"] == "allocated"]
    for arm, n in zip(allocated["arm"], allocated["n"], strict=True):
        left = flow[(flow["stage"] == "discontinued") & (flow["arm"] == arm)].iloc[0]
        share = 100 * left["n"] / n if n else float("nan")
        reasons = f" ({left['detail']})" if left["detail"] else ""
        parts.append(
            f"**{arm}**: {n} allocated, {left['n']} ({share:.0f}%) left the study early{reasons}."
        )
    return " ".join(parts)


def describe_exclusions(exclusions: pd.DataFrame) -> str:
    """Count excluded rows by reason, e.g. for a derivation's ``exclusions`` frame."""
    if exclusions.empty:
        return "No rows were excluded."
    counts = exclusions["reason"].value_counts()
    listed = "; ".join(f"{reason}: {count}" for reason, count in counts.items())
    return f"Rows not analysed ({len(exclusions)}), by reason — {listed}."


def compare_with_truth(
    estimates: pd.DataFrame, truth: dict | None, estimand: str, *, contrast: str | None = None
) -> str:
    """For synthetic data: the true difference beside the estimate, and whether the CI covers it.

    ``estimand`` names an entry of ``truth["estimands"]`` with a ``difference`` (isotretinoin
    minus comparator). Returns an empty string for real data (no truth).
    """
    if not truth:
        return ""
    target = truth["estimands"][estimand]
    rows = estimates[estimates["scale"] == "mean difference"]
    if contrast is not None:
        rows = rows[rows["contrast"] == contrast]
    if rows.empty:
        raise ValueError(f"no mean-difference row to compare with {estimand!r}")
    row = rows.iloc[-1]
    true_value = float(target["difference"])
    covered = row["ci_low"] <= true_value <= row["ci_high"]
    return (
        f"True value (known for synthetic data): **{true_value:.2f}**. Estimate {describe_estimate(row)} — the "
        f"interval {'covers' if covered else 'does not cover'} the truth "
        f"(error {row['estimate'] - true_value:+.2f})."
    )


def describe_tipping_point(result) -> str:
    """One sentence on a :func:`acne_outcomes.stats.missing.tipping_point` result."""
    mar = result.estimates.iloc[int(abs(result.deltas).argmin())]
    conclusion = "significant" if mar["p_value"] < 1 - mar["ci_level"] else "not significant"
    if pd.isna(result.tipping_point):
        return (
            f"Under MAR the difference is {describe_estimate(mar)}, {conclusion}; no shift of the missing "
            f"values in the {result.delta_arm} arm between {result.deltas.min():g} and {result.deltas.max():g} "
            "changes that conclusion."
        )
    return (
        f"Under MAR the difference is {describe_estimate(mar)}, {conclusion}. Shifting the imputed values of "
        f"the {result.delta_arm} arm by {result.tipping_point:+g} points changes the conclusion: that is how far "
        "the missing outcomes would have to depart from the MAR prediction."
    )
