"""Narrative sentences with computed numbers, for notebooks and reports (never typed by hand).

Each function takes the objects a notebook already has (a study, a flow frame, a tidy
estimate frame, a statistics :class:`~acne_outcomes.stats.tidy.Result`, the truth) and returns
Markdown text.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from acne_outcomes.derive import REASON_BASELINE_ROW
from acne_outcomes.privacy import SUPPRESSED, small_cell_policy
from acne_outcomes.simulate import true_contrast
from acne_outcomes.stats.tidy import Result
from acne_outcomes.tables import format_p, visit_label


def describe_source(study, *, truth_compared: bool = False) -> str:
    """Where the data come from, in one sentence (the folder's name, never its whole path).

    For synthetic data the sentence says the estimates are compared with the truth only when
    ``truth_compared`` (the page does compare them).

    >>> from types import SimpleNamespace
    >>> describe_source(SimpleNamespace(n_subjects=3, metadata={"source": "data/raw/x"}, truth=None))
    'Data: `x`, 3 subjects (a validated data package).'
    >>> synthetic = SimpleNamespace(n_subjects=3, metadata={"scenario": "rct", "seed": 0}, truth={})
    >>> describe_source(synthetic)
    'Data: **synthetic** study, scenario `rct`, seed 0, 3 subjects.'
    >>> describe_source(synthetic, truth_compared=True)
    'Data: **synthetic** study, scenario `rct`, seed 0, 3 subjects. Its true effects are known, so estimates below are compared with the truth.'
    """
    metadata = study.metadata
    if study.truth is not None:
        scenario = metadata.get("scenario", study.truth.get("scenario", "unknown"))
        seed = metadata.get("seed", "unknown")
        text = f"Data: **synthetic** study, scenario `{scenario}`, seed {seed}, {study.n_subjects} subjects."
        if truth_compared:
            text += " Its true effects are known, so estimates below are compared with the truth."
        return text
    name = str(metadata.get("source", "unknown")).rstrip("/").rsplit("/", 1)[-1]
    return f"Data: `{name}`, {study.n_subjects} subjects (a validated data package)."


def describe_design(design) -> str:
    """The study's design in two sentences: arms (reference marked), visits, primary visits.

    >>> from acne_outcomes.design import Arm, Design
    >>> describe_design(Design(arms=(Arm("v", "Vehicle"), Arm("s", "Sarecycline")),
    ...     visit_unit="weeks", visits=(0, 4, 12), primary_visits={"lesions": 12},
    ...     outcomes=(), tables=()))
    'Arms: **Vehicle** (reference) and **Sarecycline**. Visits at weeks 0, 4, 12; primary visit: lesions at week 12.'
    """
    arms = [f"**{arm.name}**" for arm in design.arms]
    if design.compares_arms:
        arms[0] += " (reference)"
    listed = arms[0] if len(arms) == 1 else ", ".join(arms[:-1]) + " and " + arms[-1]
    text = f"Arm{'s' if len(arms) > 1 else ''}: {listed}."
    if not design.compares_arms:
        text += " A single arm: there is no control group."
    visits = ", ".join(f"{visit:g}" for visit in design.visits)
    text += f" Visits at {design.visit_column}s {visits}"
    if design.primary_visits:
        primary = ", ".join(
            f"{family} at {design.visit_name(visit)}"
            for family, visit in design.primary_visits.items()
        )
        text += f"; primary visit{'s' if len(design.primary_visits) > 1 else ''}: {primary}"
    return text + "."


def describe_inferred(design) -> str:
    """What the design did not declare and the loader inferred, as a Markdown list ("" if none)."""
    if not design.inferred:
        return ""
    return (
        "The study's package did not declare all of its design; inferred from the data:\n\n"
        + "\n".join(f"- {note}" for note in design.inferred)
    )


NO_CONTROL = (
    "**No control group.** With a single arm, the change from baseline mixes the treatment with "
    "everything else that changes over time — natural course, regression to the mean, rater drift "
    "— so it is not an estimate of the treatment's effect."
)


def multiplicity_note(design) -> str:
    """A caution when more than one arm is compared with the reference ("" for two arms)."""
    others = design.n_arms - 1
    if others < 2:
        return ""
    return (
        f"{others} arms are each compared with the reference ({design.reference.name}); the "
        "p-values are not adjusted for the multiple comparisons."
    )


def contrast_title(design, symbol: str = "-") -> str:
    """How the arms are compared, for a title: ``"B / A"`` (two arms), ``"each arm / A"``.

    >>> from acne_outcomes.design import Arm, Design
    >>> contrast_title(Design(arms=(Arm("v", "vehicle"), Arm("d", "drug"))), "/")
    'drug / vehicle'
    """
    left = design.arms[1].name if design.n_arms == 2 else "each arm"
    return f"{left} {symbol} {design.reference.name}"


def estimate_labels(estimates: pd.DataFrame, design) -> list[str]:
    """Row labels of per-visit estimates: ``"month 5"`` (two arms), ``"B / A, month 5"`` (more);
    ``"average"`` for a row over all visits.

    >>> from acne_outcomes.design import Arm, Design
    >>> design = Design(arms=(Arm("v", "v"), Arm("d", "d")), visit_unit="months")
    >>> estimate_labels(pd.DataFrame({"contrast": ["d / v"] * 2, "visit": [0, None]}), design)
    ['month 0', 'average']
    """
    labels = []
    for contrast, visit in zip(estimates["contrast"], estimates["visit"], strict=True):
        when = "average" if pd.isna(visit) else f"{design.visit_column} {visit:g}"
        labels.append(when if design.n_arms == 2 else f"{contrast}, {when}")
    return labels


def p_text(p_value) -> str:
    """A p-value in a sentence: ``"p = 0.287"``, ``"p < 0.001"`` (empty when missing).

    Accepts a number or a table's printed p (:func:`acne_outcomes.tables.format_p`).

    >>> p_text(0.2871), p_text(0.0002), p_text("<0.001"), p_text(float("nan"))
    ('p = 0.287', 'p < 0.001', 'p < 0.001', '')
    """
    text = p_value if isinstance(p_value, str) else format_p(p_value)
    text = text.strip()
    if not text:
        return ""
    if text.startswith("<"):
        return f"p < {text[1:].strip()}"
    return f"p = {text}"


def describe_estimate(row, digits: int = 2) -> str:
    """``"-14.30 (95% CI -18.00 to -10.60; p < 0.001)"`` from one tidy-frame row."""
    level = f"{100 * row['ci_level']:g}% CI " if not pd.isna(row["ci_level"]) else "CI "
    p = f"; {p_text(row['p_value'])}" if not pd.isna(row["p_value"]) else ""
    return f"{row['estimate']:.{digits}f} ({level}{row['ci_low']:.{digits}f} to {row['ci_high']:.{digits}f}{p})"


def describe_flow(flow: pd.DataFrame, design=None) -> str:
    """Summarise :func:`acne_outcomes.derive.study_flow` in a sentence per arm (named by ``design``)."""
    enrolled = int(flow.loc[flow["stage"] == "enrolled", "n"].iloc[0])
    parts = [f"{enrolled} subjects were enrolled."]
    allocated = flow[flow["stage"] == "allocated"]
    for arm, n in zip(allocated["arm"], allocated["n"], strict=True):
        left = flow[(flow["stage"] == "discontinued") & (flow["arm"] == arm)].iloc[0]
        share = 100 * left["n"] / n if n else float("nan")
        reasons = f" ({left['detail']})" if left["detail"] else ""
        name = design.name_of(arm) if design is not None else arm
        parts.append(
            f"**{name}**: {n} allocated, {left['n']} ({share:.0f}%) left the study early{reasons}."
        )
    return " ".join(parts)


def describe_exclusions(
    exclusions: pd.DataFrame | Result | Mapping[str, int], *, public: bool = False
) -> str:
    """Count the rows not analysed, by reason, in one sentence.

    ``exclusions`` is a derivation's ``exclusions`` frame (one row per excluded row, with a
    ``reason``), a statistics :class:`~acne_outcomes.stats.tidy.Result` (its ``excluded``
    diagnostics, :meth:`~acne_outcomes.stats.tidy.Result.exclusions`) or a mapping
    reason → count. Baseline rows set aside by a change-from-baseline derivation
    (:data:`acne_outcomes.derive.REASON_BASELINE_ROW`) are the reference values every change
    is measured from, not lost data: they are counted apart from the rows not analysed.
    With ``public``, the small-cell policy applies to the counts by reason and their total
    (:meth:`acne_outcomes.privacy.SmallCellPolicy.mask_sums`): a suppressed count is written
    ``*`` and the sentence says why.

    Examples
    --------
    >>> describe_exclusions({"no baseline value": 2, "no post-baseline value": 1})
    'Rows not analysed (3), by reason — no baseline value: 2; no post-baseline value: 1.'
    >>> describe_exclusions({REASON_BASELINE_ROW: 266, "outcome missing": 40})
    'Baseline rows (266) are the reference values each change is measured from, not losses. Rows not analysed (40), by reason — outcome missing: 40.'
    >>> describe_exclusions({REASON_BASELINE_ROW: 266})
    'Baseline rows (266) are the reference values each change is measured from, not losses; every other row was analysed.'
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
    baseline = int(counts.pop(REASON_BASELINE_ROW, 0))
    policy = small_cell_policy() if public else None
    reference = (
        f"Baseline rows ({SUPPRESSED if public and policy.is_small(baseline) else baseline}) "
        "are the reference values each change is measured from, not losses"
    )
    if not counts:
        return reference + "; every other row was analysed."
    ranked = sorted(counts.items(), key=lambda item: -item[1])  # most frequent first
    total = sum(counts.values())
    named = {("reason", reason): count for reason, count in ranked} | {("total",): total}
    sums = [(("total",), [("reason", reason) for reason, _ in ranked])]
    masked = policy.mask_sums(named, sums) if public else set()

    def shown(name) -> str:
        return SUPPRESSED if name in masked else str(named[name])

    listed = "; ".join(f"{reason}: {shown(('reason', reason))}" for reason, _ in ranked)
    sentence = f"Rows not analysed ({shown(('total',))}), by reason — {listed}."
    if masked:
        sentence += f" ({policy.note('rows')}.)"
    return f"{reference}. {sentence}" if baseline else sentence


def compare_with_truth(
    estimates: pd.DataFrame,
    truth: dict | None,
    *,
    visit,
    outcome: str | None = None,
    design=None,
) -> str:
    """For synthetic data: the true value beside each estimate at ``visit``, and whether the CI
    covers it. Returns an empty string for real data (no truth). The comparison is written in
    the arms' display names when ``design`` is given.

    The truth's ``contrasts`` (one record per outcome, visit, contrast and scale, in the
    design's labels and unit) are matched with the estimate rows of the same outcome, visit,
    contrast and scale.
    """
    if not truth:
        return ""
    rows = estimates[estimates["visit"] == visit]
    if outcome is not None:
        rows = rows[rows["outcome"] == outcome]
    sentences = []
    for row in rows.itertuples(index=False):
        row = row._asdict()
        true_value = _true_value(truth, row)
        if true_value is None:
            continue
        covered = row["ci_low"] <= true_value <= row["ci_high"]
        sentences.append(
            f"{design.contrast_name(str(row['contrast'])) if design is not None else row['contrast']}: "
            f"true value (known for synthetic data) **{true_value:.2f}**; estimate "
            f"{describe_estimate(row)} — the interval {'covers' if covered else 'does not cover'} the "
            f"truth (error {row['estimate'] - true_value:+.2f})."
        )
    return " ".join(sentences)


def _true_value(truth: dict, row: Mapping) -> float | None:
    try:
        return true_contrast(
            truth, outcome=row["outcome"], visit=row["visit"], contrast=row["contrast"],
            scale=row["scale"],
        )  # fmt: skip
    except KeyError:
        return None


def describe_brant(result) -> str:
    """The Brant test of proportional odds of an ordinal model, or why it cannot be computed.

    >>> from acne_outcomes.stats.tidy import Result, diagnostics_frame, estimate_frame
    >>> result = Result(estimate_frame([]), diagnostics_frame([
    ...     {"diagnostic": "brant_p_value", "value": 0.31},
    ...     {"diagnostic": "brant_quasi_separation", "value": False, "detail": ""}]))
    >>> describe_brant(result)
    'Brant test of proportional odds: p = 0.310.'
    """
    if result.diagnostic("brant_quasi_separation"):
        reason = result.diagnostics.loc[
            result.diagnostics["diagnostic"] == "brant_quasi_separation", "detail"
        ].iloc[0]
        return f"The Brant test of proportional odds cannot be computed here: {reason}."
    return f"Brant test of proportional odds: {p_text(result.diagnostic('brant_p_value'))}."


def describe_tipping_point(result, design=None) -> str:
    """The sentences on a :func:`acne_outcomes.stats.missing.tipping_point` result.

    The estimate at the shift nearest 0 (the MAR analysis, by multiple imputation, when 0 was
    scanned), then, in each direction, the smallest shift that changes the conclusion
    (significant or not, and the sign of a significant difference) with the estimate there.
    The shifted arm is named by ``design`` (its display name) when given.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> rows = pd.DataFrame({"estimate": [-0.5, -0.2, 0.5], "ci_low": [-0.9, -0.6, 0.1],
    ...     "ci_high": [-0.1, 0.2, 0.9], "p_value": [0.01, 0.4, 0.02], "ci_level": 0.95})
    >>> scan = SimpleNamespace(deltas=np.array([-1.0, 0.0, 2.5]), estimates=rows,
    ...     diagnostic={"delta_arm": "SAR", "m": 20}.get)
    >>> from acne_outcomes.design import Arm, Design
    >>> print(describe_tipping_point(scan, Design(arms=(Arm("VEH", "Vehicle"),
    ...     Arm("SAR", "Sarecycline 1.5 mg/kg")))))
    Under MAR (multiple imputation, m = 20) the difference is -0.20 (95% CI -0.60 to 0.20; p = 0.400), not significant. The conclusion changes if the missing outcomes in the Sarecycline 1.5 mg/kg arm are 1 point lower than the MAR prediction (a significant difference of -0.50, 95% CI -0.90 to -0.10; p = 0.010) or 2.5 points higher (a significant difference of 0.50, 95% CI 0.10 to 0.90; p = 0.020).
    """
    deltas = np.asarray(result.deltas, dtype=float)
    estimates = result.estimates.reset_index(drop=True)
    nearest = int(np.abs(deltas).argmin())
    row = estimates.iloc[nearest]
    code = result.diagnostic("delta_arm")
    arm = design.name_of(code) if design is not None else str(code)
    m = result.diagnostic("m")
    how = "multiple imputation" + (f", m = {m}" if m is not None and not pd.isna(m) else "")
    if deltas[nearest] == 0:
        where = f"Under MAR ({how})"
    else:
        where = f"At a shift of {_points(deltas[nearest], signed=True)} ({how})"

    def conclusion(item) -> tuple[bool, float]:
        significant = bool(item["p_value"] < 1 - item["ci_level"])
        return significant, (float(np.sign(item["estimate"])) if significant else 0.0)

    start = conclusion(row)
    words = "significant" if start[0] else "not significant"
    text = f"{where} the difference is {describe_estimate(row)}, {words}."
    changes = []
    for direction, side in ((-1, "lower"), (1, "higher")):
        order = [
            i
            for i in np.argsort(np.abs(deltas - deltas[nearest]))
            if np.sign(deltas[i] - deltas[nearest]) == direction
        ]
        found = next((i for i in order if conclusion(estimates.iloc[i]) != start), None)
        if found is None:
            continue
        other = estimates.iloc[found]
        kind = "a significant difference" if conclusion(other)[0] else "a difference"
        shown = describe_estimate(other).replace(" (", ", ", 1)[:-1]
        changes.append(
            f"{_points(abs(deltas[found]))} {side} than the MAR prediction ({kind} of {shown})"
        )
    if not changes:
        return (
            f"{text} No shift of the missing outcomes in the {arm} arm between "
            f"{_points(deltas.min(), signed=True)} and {_points(deltas.max(), signed=True)} "
            "changes that conclusion."
        )
    listed = (
        changes[0]
        if len(changes) == 1
        else f"{changes[0]} or {changes[1].replace(' than the MAR prediction', '')}"
    )
    return f"{text} The conclusion changes if the missing outcomes in the {arm} arm are {listed}."


def _points(value: float, *, signed: bool = False) -> str:
    """``"1 point"``, ``"2.5 points"``, ``"+2.5 points"``."""
    number = f"{value:+g}" if signed else f"{value:g}"
    return f"{number} point{'' if abs(value) == 1 else 's'}"


def true_value(truth: dict | None, row: Mapping) -> float | None:
    """The true value of one estimate (a tidy-frame row in the design's labels), for synthetic
    data; ``None`` for real data or an estimate the truth does not hold.

    >>> true_value(None, {"outcome": "pih_index"}) is None
    True
    """
    if not truth:
        return None
    return _true_value(truth, row)


def describe_consort(flow: pd.DataFrame, design) -> str:
    """The flow of participants of :func:`acne_outcomes.derive.consort_flow`, in sentences.

    One sentence for enrolment, then one per arm: allocated, left the study (during
    treatment and in follow-up, when the design has an end of treatment), completed, and
    analysed at each primary visit. A count public mode suppressed (missing ``n``, see
    :func:`acne_outcomes.derive.consort_flow` with ``public=True``) is written ``*``, without
    its percentage, and a last sentence says what ``*`` means.

    Examples
    --------
    >>> flow = pd.DataFrame({"key": ["enrolled", "allocated", "discontinued", "completed",
    ...     "no_post_baseline", "analysed:3"], "stage": ["", "", "", "", "",
    ...     "Analysed at month 3: lesions"], "arm": [None, "a", "a", "a", "a", "a"],
    ...     "n": [10, 10, 2, 8, 1, 8], "not_analysed": [0, 0, 0, 0, 0, 2]})
    >>> from acne_outcomes.design import Arm, Design
    >>> describe_consort(flow, Design(arms=(Arm("a", "Drug"),)))
    '10 subjects were enrolled and randomised. **Drug**: 10 allocated; 2 (20%) left the study early; 8 completed; 1 had no outcome recorded after baseline; analysed at month 3: lesions 8 of 10.'
    """

    hidden = False

    def count(key: str, arm=None):
        """The box's count, or None where public mode suppressed it."""
        nonlocal hidden
        rows = flow[(flow["key"] == key) & ((flow["arm"] == arm) if arm is not None else True)]
        if rows["n"].isna().any():
            hidden = True
            return None
        return int(rows["n"].sum())

    def shown(value) -> str:
        return SUPPRESSED if value is None else str(value)

    parts = [f"{shown(count('enrolled'))} subjects were enrolled and randomised."]
    for arm in design.arms:
        allocated = count("allocated", arm.label)
        pieces = [f"{shown(allocated)} allocated"]
        for key, words in (
            ("discontinued", "left the study early"),
            ("discontinued_treatment", "left during treatment"),
            ("discontinued_follow_up", "left in follow-up"),
        ):
            if (flow["key"] == key).any():
                left = count(key, arm.label)
                share = (
                    f" ({100 * left / allocated:.0f}%)" if allocated and left is not None else ""
                )
                pieces.append(f"{shown(left)}{share} {words}")
        pieces.append(f"{shown(count('completed', arm.label))} completed")
        without = count("no_post_baseline", arm.label)
        if without is None or without:
            pieces.append(f"{shown(without)} had no outcome recorded after baseline")
        for stage in pd.unique(flow.loc[flow["key"].str.startswith("analysed:"), "stage"]):
            rows = flow[(flow["stage"] == stage) & (flow["arm"] == arm.label)]
            if len(rows):
                n = None if pd.isna(rows["n"].iloc[0]) else int(rows["n"].iloc[0])
                hidden |= n is None
                pieces.append(f"{stage[0].lower()}{stage[1:]} {shown(n)} of {shown(allocated)}")
        parts.append(f"**{arm.name}**: " + "; ".join(pieces) + ".")
    if hidden or ("suppressed" in flow and flow["suppressed"].fillna(False).any()):
        parts.append(f"({small_cell_policy().note()}.)")
    return " ".join(parts)


def visit_labels(estimates: pd.DataFrame, design, family: str | None = None) -> list[str]:
    """Row labels of per-visit estimates with the primary visit marked: ``"Month 5 (primary)"``,
    ``"Month 3 (secondary)"`` (two arms), ``"B / A, month 5 (primary)"`` (more arms).

    >>> from acne_outcomes.design import Arm, Design
    >>> design = Design(arms=(Arm("v", "v"), Arm("d", "d")), visit_unit="months",
    ...                 visits=(0, 3, 5), primary_visits={"lesions": 5})
    >>> visit_labels(pd.DataFrame({"contrast": ["d / v"] * 2, "visit": [3, 5]}), design, "lesions")
    ['Month 3 (secondary)', 'Month 5 (primary)']
    """
    primary = design.primary_visit(family) if family is not None else None
    labels = []
    for contrast, visit in zip(estimates["contrast"], estimates["visit"], strict=True):
        when = visit_label(visit, design, primary=primary)
        labels.append(when if design.n_arms == 2 else f"{contrast}, {when[:1].lower()}{when[1:]}")
    return labels


def headlines(table: pd.DataFrame) -> list[str]:
    """The primary results of an endpoint table (:func:`acne_outcomes.tables.endpoint_table`),
    one sentence each, as the report's index leads with them.

    The rows at the visit marked "(primary)" that compare arms and carry the comparison's
    p-value (one per comparison); a study with one arm has no comparison, so its rows at the
    primary visit are the within-arm estimates. A table with no primary visit has none.

    >>> table = pd.DataFrame({"Outcome": ["PIH index", "PIH index", "PIH index"],
    ...     "Visit": ["Month 6 (secondary)", "Month 12 (primary)", "Month 12 (primary)"],
    ...     "Comparison": ["b - a", "b", "b - a"], "Measure": ["Mean difference", "Mean",
    ...     "Mean difference"], "Estimate (95% CI)": ["-0.1 (-0.5 to 0.3)", "2.0 (1.6 to 2.4)",
    ...     "-0.5 (-0.9 to -0.1)"], "p": ["0.620", "", "0.012"], "n": ["180", "90", "176"]})
    >>> headlines(table)
    ['PIH index at month 12 (primary): b - a, mean difference -0.5 (95% CI -0.9 to -0.1), p = 0.012, n = 176.']
    """
    if "Visit" not in table.columns:
        return []
    at_primary = table[table["Visit"].astype(str).str.endswith("(primary)")]
    compared = at_primary[at_primary["p"].astype(str) != ""]
    rows = compared if not compared.empty else at_primary
    header = next((column for column in table.columns if column.startswith("Estimate")), None)
    if header is None:
        return []
    level = header.removeprefix("Estimate").strip(" ()") or "CI"
    sentences = []
    for row in rows.to_dict("records"):
        visit = str(row["Visit"])
        estimate = str(row[header]).replace(" (", f" ({level} ", 1)
        text = (
            f"{row['Outcome']} at {visit[:1].lower() + visit[1:]}: {row['Comparison']}, "
            f"{str(row['Measure']).lower()} {estimate}"
        )
        p_value = str(row.get("p", ""))
        if p_value:
            text += f", {p_text(p_value)}"
        if str(row.get("n", "")):
            text += f", n = {row['n']}"
        sentences.append(text + ".")
    return sentences
