"""Narrative sentences with computed numbers, for notebooks and reports (never typed by hand).

Each function takes the objects a notebook already has (a study, a flow frame, a tidy
estimate frame, a statistics :class:`~acne_outcomes.stats.tidy.Result`, the truth) and returns
Markdown text.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from acne_outcomes.stats.tidy import Result
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


def describe_exclusions(exclusions: pd.DataFrame | Result | Mapping[str, int]) -> str:
    """Count the rows not analysed, by reason, in one sentence.

    ``exclusions`` is a derivation's ``exclusions`` frame (one row per excluded row, with a
    ``reason``), a statistics :class:`~acne_outcomes.stats.tidy.Result` (its ``excluded``
    diagnostics, :meth:`~acne_outcomes.stats.tidy.Result.exclusions`) or a mapping
    reason → count.

    Examples
    --------
    >>> describe_exclusions({"no baseline value": 2, "no post-baseline value": 1})
    'Rows not analysed (3), by reason — no baseline value: 2; no post-baseline value: 1.'
    >>> describe_exclusions(pd.DataFrame({"reason": []}))
    'No rows were excluded.'
    """
    if isinstance(exclusions, Result):
        counts = exclusions.exclusions()
    elif isinstance(exclusions, pd.DataFrame):
        counts = exclusions["reason"].value_counts().to_dict()
    else:
        counts = {str(reason): int(count) for reason, count in exclusions.items() if count}
    if not counts:
        return "No rows were excluded."
    ranked = sorted(counts.items(), key=lambda item: -item[1])  # most frequent first
    listed = "; ".join(f"{reason}: {count}" for reason, count in ranked)
    return f"Rows not analysed ({sum(counts.values())}), by reason — {listed}."


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
    """One sentence on a :func:`acne_outcomes.stats.missing.tipping_point` result.

    Reads the ``tipping_point`` and ``delta_arm`` diagnostics, and the estimate at the shift
    nearest 0 (the MAR analysis when 0 was scanned).
    """
    deltas = np.asarray(result.deltas, dtype=float)
    nearest = int(np.abs(deltas).argmin())
    row = result.estimates.iloc[nearest]
    where = "Under MAR" if deltas[nearest] == 0 else f"At a shift of {deltas[nearest]:+g}"
    arm = result.diagnostic("delta_arm")
    tipping = result.diagnostic("tipping_point")
    conclusion = "significant" if row["p_value"] < 1 - row["ci_level"] else "not significant"
    if pd.isna(tipping):
        return (
            f"{where} the difference is {describe_estimate(row)}, {conclusion}; no shift of the missing "
            f"values in the {arm} arm between {deltas.min():g} and {deltas.max():g} "
            "changes that conclusion."
        )
    return (
        f"{where} the difference is {describe_estimate(row)}, {conclusion}. Shifting the imputed values of "
        f"the {arm} arm by {tipping:+g} points changes the conclusion: that is how far "
        "the missing outcomes would have to depart from the MAR prediction."
    )
