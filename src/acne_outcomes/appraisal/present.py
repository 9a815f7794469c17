"""The lessons' words and tables for people: numbers formatted, sentences that follow their numbers.

Two halves:

* **Tables for people** — :func:`number`, :func:`percent`, :func:`with_mcse` and
  :func:`people_table` turn a frame of floats into the strings a page shows: fixed digits, rates
  as percentages, a dash for a missing value (never ``nan``), columns named in words.
* **Sentences** — every ``describe_*`` function takes the numbers a lesson computed and returns
  a Markdown sentence whose words are *chosen by those numbers*: "more" or "fewer", "falls" or
  "rises", "within Monte Carlo error" or "below", "in the claimed direction" or "against it".
  Comparisons allow for Monte Carlo error: a difference smaller than :data:`MC_TOLERANCE`
  Monte Carlo standard errors is "about the same".

Nothing here computes a statistic; the numbers come from :mod:`acne_outcomes.appraisal.lessons`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from acne_outcomes.tables import format_p

MC_TOLERANCE = 2.0  # Monte Carlo standard errors within which two rates count as the same
NOMINAL = 0.95  # the confidence level of every interval in the lessons


# --------------------------------------------------------------------------- numbers


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value)


def number(value, digits: int = 2, *, signed: bool = False) -> str:
    """A number with fixed digits; "—" when missing.

    >>> number(-93.7, 1), number(0.368), number(float("nan")), number(2.5, 1, signed=True)
    ('-93.7', '0.37', '—', '+2.5')
    """
    if _missing(value):
        return "—"
    return f"{float(value):{'+' if signed else ''}.{digits}f}"


def percent(value, digits: int = 1) -> str:
    """A share as a percentage; "—" when missing.

    >>> percent(0.995), percent(0.05, 0), percent(float("nan"))
    ('99.5%', '5%', '—')
    """
    if _missing(value):
        return "—"
    return f"{100 * float(value):.{digits}f}%"


def with_mcse(value, mcse, digits: int = 2, *, as_percent: bool = False) -> str:
    """A value followed by its Monte Carlo standard error in brackets.

    >>> with_mcse(-0.5, 0.013), with_mcse(0.95, 0.015, as_percent=True), with_mcse(0.3, None)
    ('-0.50 (0.01)', '95.0% (1.5)', '0.30')
    """
    if _missing(value):
        return "—"
    if as_percent:
        text = percent(value, 1)
        return text if _missing(mcse) else f"{text} ({100 * float(mcse):.1f})"
    text = number(value, digits)
    return text if _missing(mcse) else f"{text} ({float(mcse):.{digits}f})"


def _formatted(column: pd.Series, kind: str) -> list[str]:
    name, _, digits = kind.partition(":")
    places = int(digits) if digits else (1 if name == "percent" else 2)
    if name == "text":
        return ["—" if _missing(value) else str(value) for value in column]
    if name == "int":
        return ["—" if _missing(value) else f"{int(value):,}" for value in column]
    if name == "percent":
        return [percent(value, places) for value in column]
    if name == "p":
        return ["—" if _missing(value) else format_p(float(value)) for value in column]
    if name in ("number", "signed"):
        return [number(value, places, signed=name == "signed") for value in column]
    raise ValueError(
        f"unknown format {kind!r}; allowed: text, int, percent[:d], number[:d], signed[:d]"
    )


def people_table(frame: pd.DataFrame, columns: Mapping[str, tuple[str, str]]) -> pd.DataFrame:
    """The ``columns`` of ``frame``, formatted as strings and named for people.

    Parameters
    ----------
    frame : DataFrame
    columns : mapping
        Column name → (heading, format); formats: ``"text"``, ``"int"``, ``"p"`` (a p-value,
        :func:`acne_outcomes.tables.format_p`), ``"percent"`` (one decimal, or
        ``"percent:0"``), ``"number"`` (two decimals, or ``"number:1"``) and ``"signed"``
        (with a plus sign).

    Examples
    --------
    >>> frame = pd.DataFrame({"arm": ["a"], "share": [0.368], "mean_pih": [float("nan")]})
    >>> people_table(frame, {"arm": ("Arm", "text"), "share": ("Skin type IV-VI", "percent"),
    ...                      "mean_pih": ("Mean PIH index", "number")}).iloc[0].tolist()
    ['a', '36.8%', '—']
    """
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise ValueError(f"people_table: no columns {missing}; present: {list(frame.columns)}")
    return pd.DataFrame(
        {heading: _formatted(frame[name], kind) for name, (heading, kind) in columns.items()}
    )


def listing(items: Sequence[str]) -> str:
    """Items joined as an English list.

    >>> listing(["a"]), listing(["a", "b"]), listing(["a", "b", "c"])
    ('a', 'a and b', 'a, b and c')
    """
    items = [str(item) for item in items]
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# --------------------------------------------------------------------------- word choice


def nominal_mcse(level: float, studies: int) -> float:
    """The Monte Carlo SE of a rate whose true value is ``level``, over ``studies`` studies.

    A rate is compared with its nominal value using this SE, not the observed rate's own
    (which is 0 when no study rejected).

    >>> round(nominal_mcse(0.05, 20), 3)
    0.049
    """
    return math.sqrt(level * (1 - level) / int(studies))


def short_name(strategy: str) -> str:
    """A strategy's method without its estimand: "LOCF, % change month 5" → "LOCF".

    >>> short_name("multiple imputation (MAR), % change month 5")
    'multiple imputation (MAR)'
    """
    return str(strategy).split(", ")[0]


def compare(value: float, reference: float, tolerance: float = 0.0) -> int:
    """-1, 0 or 1: ``value`` below, about equal to (within ``tolerance``) or above ``reference``.

    >>> compare(0.85, 0.839, 0.02), compare(0.5, 0.8, 0.02), compare(0.9, 0.8)
    (0, -1, 1)
    """
    difference = float(value) - float(reference)
    if abs(difference) <= tolerance:
        return 0
    return 1 if difference > 0 else -1


def more_or_fewer(value: float, reference: float, tolerance: float = 0.0,
                  words: tuple[str, str, str] = ("fewer", "about as many", "more")) -> str:  # fmt: skip
    """The word for ``value`` against ``reference``: below, about the same, above.

    >>> more_or_fewer(0.5, 0.8), more_or_fewer(0.85, 0.84, 0.02), more_or_fewer(0.9, 0.8)
    ('fewer', 'about as many', 'more')
    """
    return words[compare(value, reference, tolerance) + 1]


def change_words(change: float, digits: int = 2) -> str:
    """ "falls by x", "rises by x" or "does not change" for a change (after minus before).

    >>> change_words(-0.59), change_words(0.2), change_words(0.0)
    ('falls by 0.59', 'rises by 0.20', 'does not change')
    """
    if round(change, digits) == 0:
        return "does not change"
    return f"{'falls' if change < 0 else 'rises'} by {abs(change):.{digits}f}"


# --------------------------------------------------------------------------- lesson 1 and 2


def describe_null_study(fall_treated: float, fall_control: float, truth: float) -> str:
    """Lesson 1: what one null study shows in each arm, against the true difference.

    ``fall_*`` are the changes of the arm's mean from baseline to month 12 (after − before).

    >>> describe_null_study(-0.59, -0.67, 0.0)[:96]
    'In this study the mean PIH index falls by 0.59 points on isotretinoin and by 0.67 on the compara'
    >>> "shared by both arms" in describe_null_study(-0.59, -0.67, 0.0)
    True
    >>> "shared by both arms" in describe_null_study(-0.59, 0.10, 0.0)
    False
    """
    treated, control = change_words(fall_treated), change_words(fall_control)
    if treated.split()[0] == control.split()[0] and treated != "does not change":
        control = control.split(" ", 1)[1]  # "falls by 0.59 ... and by 0.67"
    text = (
        f"In this study the mean PIH index {treated} points on isotretinoin and {control} on the "
        f"comparator between baseline and month 12. The true difference between the arms is "
        f"**{truth:.2f}**"
    )
    if fall_treated < 0 and fall_control < 0:
        return text + ": the fall is the natural fading of PIH, shared by both arms."
    return (
        text + ": whatever the treated arm shows, the comparison with the other arm is what counts."
    )


def describe_before_after(naive: Mapping, correct: Mapping, alpha: float = 0.05) -> str:
    """Lesson 1: how often the before-after and randomised analyses declare an effect of zero.

    Examples
    --------
    >>> naive = {"rejection_rate": 0.99, "n_sims": 200, "mean_estimate": -0.54, "coverage": 0.0,
    ...          "truth": 0.0}
    >>> correct = {"rejection_rate": 0.06, "rejection_mcse": 0.017, "coverage": 0.94, "truth": 0.0,
    ...            "n_sims": 200}
    >>> text = describe_before_after(naive, correct)
    >>> "declares a significant change in **99.0%** of 200 studies" in text, "improvement" in text
    (True, True)
    >>> "worsening" in describe_before_after({**naive, "mean_estimate": 0.3}, correct)
    True
    """
    direction = "an apparent improvement" if naive["mean_estimate"] < 0 else "an apparent worsening"
    tolerance = MC_TOLERANCE * nominal_mcse(alpha, correct.get("n_sims", naive["n_sims"]))
    level = compare(correct["rejection_rate"], alpha, tolerance)
    near = {0: "within Monte Carlo error of", -1: "below", 1: "above"}[level]
    return (
        f"The true effect is {naive['truth']:.2f}, yet the before-after analysis declares a "
        f"significant change in **{percent(naive['rejection_rate'])}** of {int(naive['n_sims'])} "
        f"studies (mean estimate {naive['mean_estimate']:.2f}, {direction}), and its 95% interval "
        f"contains the truth in only {percent(naive['coverage'])} of them. The randomised "
        f"comparison rejects in **{percent(correct['rejection_rate'])}** (MCSE "
        f"{percent(correct['rejection_mcse'])}), {near} the nominal {percent(alpha, 0)}, and "
        f"covers the truth in **{percent(correct['coverage'])}** of studies."
    )


def describe_sample_size_coverage(small: Mapping, large: Mapping, name: str) -> str:
    """How an analysis's coverage changes from a small to a large study.

    ``small`` and ``large`` are diagnosis rows with ``setting`` and ``coverage``.

    >>> describe_sample_size_coverage({"setting": "n = 60", "coverage": 0.2},
    ...                               {"setting": "n = 600", "coverage": 0.0}, "before-after")
    'The before-after analysis covers the truth in 20.0% of studies with n = 60 and in 0.0% with n = 600: a larger study makes coverage worse, because it narrows the interval around a biased estimate.'
    >>> "makes coverage better" in describe_sample_size_coverage({"setting": "a", "coverage": 0.8},
    ...     {"setting": "b", "coverage": 0.94}, "x")
    True
    """
    side = compare(large["coverage"], small["coverage"], 0.02)
    verdict = {
        -1: "a larger study makes coverage worse, because it narrows the interval around a "
        "biased estimate",
        0: "a larger study leaves coverage about where it was",
        1: "a larger study makes coverage better",
    }[side]
    return (
        f"The {name} analysis covers the truth in {percent(small['coverage'])} of studies with "
        f"{small['setting']} and in {percent(large['coverage'])} with {large['setting']}: {verdict}."
    )


def describe_null_difference(naive: Mapping, mmrm: Mapping, alpha: float = 0.05) -> str:
    """Lesson 2, exercise 1: no difference between the arms; what each analysis reports.

    Examples
    --------
    >>> naive = {"mean_estimate": -82.4, "bias": -20.9}
    >>> mmrm = {"rejection_rate": 0.055, "rejection_mcse": 0.016, "truth": 0.1, "n_sims": 200}
    >>> text = describe_null_difference(naive, mmrm)
    >>> "within Monte Carlo error of the nominal 5%" in text, "still falls" in text
    (True, True)
    >>> "above the nominal" in describe_null_difference(naive, {**mmrm, "rejection_rate": 0.2})
    True
    """
    side = compare(
        mmrm["rejection_rate"], alpha, MC_TOLERANCE * nominal_mcse(alpha, mmrm["n_sims"])
    )
    where = {0: "within Monte Carlo error of", -1: "below", 1: "above"}[side]
    change = "still falls by" if naive["mean_estimate"] < 0 else "rises by"
    return (
        f"With a true difference of {mmrm['truth']:.1f} between the arms, the randomised MMRM "
        f"is significant in {percent(mmrm['rejection_rate'])} of studies, {where} the nominal "
        f"{percent(alpha, 0)}. The treated arm {change} {abs(naive['mean_estimate']):.1f}% — the "
        f"comparator's effect plus regression to the mean — and read as a drug effect against no "
        f"treatment it is off by {naive['bias']:.1f} percentage points."
    )


def describe_regression_to_mean(
    flare_naive: Mapping, usual_naive: Mapping, untreated_flare: float, untreated_usual: float
) -> str:
    """Lesson 2: the before-after bias against the untreated change it should equal.

    Examples
    --------
    >>> text = describe_regression_to_mean({"bias": -20.9, "bias_mcse": 0.05}, {"bias": 3.5},
    ...                                    -20.7, 3.4)
    >>> "about the untreated change of -20.7%" in text
    True
    >>> "unlike" in describe_regression_to_mean({"bias": -5.0, "bias_mcse": 0.05}, {"bias": 3.5},
    ...                                         -20.7, 3.4)
    True
    """
    text = (
        f"Read as a drug effect, the before-after change is off by **{flare_naive['bias']:.1f}** "
        f"percentage points when patients are enrolled during a flare (usual enrolment: "
        f"{usual_naive['bias']:.1f})"
    )
    close = abs(flare_naive["bias"] - untreated_flare) <= max(
        1.0, MC_TOLERANCE * 10 * flare_naive["bias_mcse"]
    )
    if close:
        return (
            text
            + f" — about the untreated change of {untreated_flare:.1f}%: the bias *is* the natural course."
        )
    return text + f", unlike the untreated change of {untreated_flare:.1f}%."


def describe_natural_course(untreated_flare: float, untreated_usual: float) -> str:
    """Lesson 2: the untreated change with and without enrolment during a flare.

    >>> describe_natural_course(-20.7, 3.4)[:48]
    'Untreated, lesions change by **-20.7%** by month'
    >>> "regression to the mean" in describe_natural_course(-20.7, 3.4)
    True
    >>> "regression to the mean" in describe_natural_course(5.0, 3.4)
    False
    """
    text = (
        f"Untreated, lesions change by **{untreated_flare:.1f}%** by month 5 in patients enrolled "
        f"during a flare, against {untreated_usual:.1f}% with usual enrolment"
    )
    if untreated_flare < untreated_usual:
        return text + ": that extra fall is regression to the mean, not treatment."
    return text + ": no extra fall here, so nothing to mistake for a treatment effect."


# --------------------------------------------------------------------------- coverage


def describe_coverage(check: Mapping, name: str, level: float = NOMINAL) -> str:
    """Whether an analysis covers the truth as often as its level says, and if not, why.

    ``check`` is :func:`acne_outcomes.appraisal.lessons.coverage_check`: ``coverage``,
    ``mcse`` (at the nominal level), ``bias_sd`` (bias in standard deviations of the
    estimates) and ``width_ratio`` (mean interval width over the width that would cover
    ``level`` of the estimates).

    Examples
    --------
    >>> ok = {"coverage": 0.94, "mcse": 0.015, "bias_sd": 0.02, "width_ratio": 0.99, "n": 200}
    >>> "within Monte Carlo error" in describe_coverage(ok, "MMRM")
    True
    >>> narrow = {**ok, "coverage": 0.90, "width_ratio": 0.85}
    >>> "too narrow" in describe_coverage(narrow, "MMRM")
    True
    >>> biased = {**ok, "coverage": 0.62, "bias_sd": 0.9}
    >>> "biased by 0.90" in describe_coverage(biased, "the adjusted analysis")
    True
    >>> "wider than needed" in describe_coverage({**ok, "coverage": 0.99, "width_ratio": 1.3}, "x")
    True
    """
    coverage, mcse = check["coverage"], check["mcse"]
    text = f"{name} covers the truth in {percent(coverage)} of studies"
    side = compare(coverage, level, MC_TOLERANCE * mcse)
    if side == 0:
        return (
            text
            + f", within Monte Carlo error of the nominal {percent(level, 0)} (MCSE {percent(mcse)})."
        )
    if side > 0:
        why = (
            f"its intervals are {percent(check['width_ratio'] - 1, 0)} wider than needed "
            "(conservative)"
            if check["width_ratio"] > 1
            else "not from wide intervals: the estimates' distribution is narrower in the tails "
            "than the interval assumes"
        )
        return text + (
            f", above the nominal {percent(level, 0)} by more than {MC_TOLERANCE:g} Monte Carlo "
            f"errors: {why}."
        )
    reasons = []
    if abs(check["bias_sd"]) >= 0.25:
        reasons.append(
            f"its estimates are biased by {abs(check['bias_sd']):.2f} of their own standard "
            "deviation, so intervals of the right width are centred in the wrong place"
        )
    if check["width_ratio"] < 0.95:
        reasons.append(
            f"its intervals are too narrow, {percent(1 - check['width_ratio'], 0)} narrower than "
            "the spread of its estimates across studies calls for (the model understates its "
            "uncertainty)"
        )
    if not reasons:
        reasons.append(
            "neither bias nor interval width explains it alone: the estimates' distribution "
            "has heavier tails than the interval assumes"
        )
    return text + (
        f", below the nominal {percent(level, 0)} by more than {MC_TOLERANCE:g} Monte Carlo "
        f"errors (MCSE {percent(mcse)}): " + "; and ".join(reasons) + "."
    )


# --------------------------------------------------------------------------- lesson 3


def describe_dropout(summary: pd.DataFrame, sourced: Mapping[str, float], visit: int = 5) -> str:
    """Lesson 3: how many left in one study, against the trial the generator follows.

    ``summary`` is :func:`acne_outcomes.appraisal.lessons.dropout_summary`; ``sourced`` the
    share missing by ``visit`` in the source trial, per arm.

    Examples
    --------
    >>> summary = pd.DataFrame({"arm": ["comparator", "isotretinoin"], "allocated": [136, 130],
    ...     "missing_at_visit": [0.43, 0.22], "left_early": [0.67, 0.55],
    ...     "lack_of_efficacy": [49, 41], "lack_of_efficacy_after_treatment": [30, 35]})
    >>> text = describe_dropout(summary, {"comparator": 0.21, "isotretinoin": 0.128})
    >>> "more than in the trial" in text, "41" in text
    (True, True)
    >>> low = summary.assign(missing_at_visit=[0.1, 0.05])
    >>> "fewer than in the trial" in describe_dropout(low, {"comparator": 0.21, "isotretinoin": 0.128})
    True
    """
    rows = summary.set_index("arm")
    arms = list(rows.index)
    here = listing([f"{percent(rows.loc[arm, 'missing_at_visit'], 0)} on {arm}" for arm in arms])
    there = listing([f"{percent(sourced[arm], 1)} on {arm}" for arm in arms if arm in sourced])
    sides = {
        compare(rows.loc[arm, "missing_at_visit"], sourced[arm], 0.02)
        for arm in arms
        if arm in sourced
    }
    word = {
        1: "more than in the trial",
        -1: "fewer than in the trial",
        0: "about as many as in the trial",
    }
    verdict = (
        word[sides.pop()]
        if len(sides) == 1
        else "more in one arm and fewer in the other than in the trial"
    )
    left = listing([f"{percent(rows.loc[arm, 'left_early'], 0)} on {arm}" for arm in arms])
    text = (
        f"In this study {here} have no lesion count at month {visit} — {verdict} the generator "
        f"follows, where {there} had left by week 20. By the end of follow-up {left} had left. "
    )
    if verdict.startswith("more"):
        text += (
            "The scenario makes dropout far more common than in real trials on purpose, so that "
            "its bias shows in a single study. "
        )
    efficacy = [
        f"{int(rows.loc[arm, 'lack_of_efficacy'])} on {arm} "
        f"({int(rows.loc[arm, 'lack_of_efficacy_after_treatment'])} of them after treatment ended)"
        for arm in arms
    ]
    return text + (
        f"The reason recorded as 'lack of efficacy' — {listing(efficacy)} — is how this "
        "scenario's poor responders leave: a patient whose acne responds worse than is typical "
        "for the arm, or relapses after treatment stops, is more likely to go, even on a drug "
        "that works for most."
    )


def describe_conservative(row: Mapping, name: str = "LOCF") -> str:
    """Whether an analysis was "conservative" here: nearer to no effect than the truth.

    Examples
    --------
    >>> text = describe_conservative({"truth": -14.3, "mean_estimate": -11.7, "coverage": 0.95})
    >>> "conservative here" in text and "understates" in text
    True
    >>> "not conservative" in describe_conservative({"truth": -14.3, "mean_estimate": -16.0,
    ...                                              "coverage": 0.6})
    True
    """
    truth, estimate = row["truth"], row["mean_estimate"]
    text = f"{name}'s mean estimate ({estimate:.2f}) against the truth ({truth:.2f}): "
    if truth != 0 and (estimate / truth) < 0:
        return text + (
            "it has the opposite sign, which is neither conservative nor plausible; "
            f"its intervals cover the truth in {percent(row['coverage'])} of studies."
        )
    if abs(estimate) < abs(truth):
        return text + (
            "it is nearer to no difference, so it is conservative here — it understates the "
            f"benefit — but only by accident of why and when patients left, and its intervals "
            f"cover the truth in {percent(row['coverage'])} of studies."
        )
    return text + (
        "it is further from no difference than the truth, so it is not conservative here: it "
        f"overstates the benefit, and its intervals cover the truth in {percent(row['coverage'])} "
        "of studies."
    )


def describe_mechanisms(summary: pd.DataFrame, settings: Sequence[str]) -> str:
    """Lesson 3: which analyses are biased under each missing-data mechanism.

    ``summary`` holds diagnosis rows with ``setting``, ``strategy``, ``bias`` and
    ``bias_mcse``; an analysis counts as biased when its bias exceeds :data:`MC_TOLERANCE`
    Monte Carlo standard errors.

    >>> summary = pd.DataFrame({"setting": ["MCAR", "MCAR", "MNAR", "MNAR"],
    ...     "strategy": ["a", "b", "a", "b"], "bias": [0.01, 2.5, 3.0, 2.0],
    ...     "bias_mcse": [0.1, 0.5, 0.3, 0.3]})
    >>> describe_mechanisms(summary, ["MCAR", "MNAR"])
    '**MCAR**: unbiased (within Monte Carlo error): a; biased: b (+2.50). **MNAR**: biased: a (+3.00) and b (+2.00).'
    """
    parts = []
    for setting in settings:
        rows = summary[summary["setting"] == setting]
        biased = (rows["bias"].abs() > MC_TOLERANCE * rows["bias_mcse"]).to_numpy()
        groups = []
        if (~biased).any():
            groups.append(
                "unbiased (within Monte Carlo error): "
                + listing([short_name(name) for name in rows["strategy"][~biased]])
            )
        if biased.any():
            groups.append("biased: " + listing([
                f"{short_name(name)} ({bias:+.2f})"
                for name, bias in zip(rows["strategy"][biased], rows["bias"][biased], strict=True)
            ]))  # fmt: skip
        parts.append(f"**{setting}**: " + "; ".join(groups) + ".")
    return " ".join(parts)


def describe_bias_change(before: pd.Series, after: pd.Series) -> str:
    """Lesson 3, exercise 1: the analysis whose bias moved most when dropout became stronger.

    ``before`` and ``after`` are biases by strategy.

    >>> describe_bias_change(pd.Series({"LOCF": 2.6, "MMRM": 2.9}), pd.Series({"LOCF": 6.6, "MMRM": 5.0}))
    'Largest change in bias: **LOCF**, from +2.60 to +6.60 percentage points (it grows).'
    >>> describe_bias_change(pd.Series({"a": 3.0}), pd.Series({"a": 1.0})).endswith("(it shrinks).")
    True
    """
    moved = (after - before.reindex(after.index)).abs()
    name = moved.idxmax()
    grows = abs(after[name]) > abs(before[name])
    return (
        f"Largest change in bias: **{short_name(name)}**, from {before[name]:+.2f} to {after[name]:+.2f} "
        f"percentage points (it {'grows' if grows else 'shrinks'})."
    )


# --------------------------------------------------------------------------- lesson 4


def describe_balance(share: Mapping[tuple[str, str], float]) -> str:
    """Lesson 4: skin type IV-VI by arm in the registry and in the trial.

    ``share`` maps (design, arm) to the share with skin type IV-VI, for the designs
    "registry (by indication)" and "randomised".

    >>> share = {("registry (by indication)", "isotretinoin"): 0.285,
    ...          ("registry (by indication)", "comparator"): 0.368,
    ...          ("randomised", "isotretinoin"): 0.338, ("randomised", "comparator"): 0.353}
    >>> "fewer" in describe_balance(share), "smaller" in describe_balance(share)
    (True, True)
    """
    registry, trial = "registry (by indication)", "randomised"
    treated, other = share[(registry, "isotretinoin")], share[(registry, "comparator")]
    gap_registry = abs(treated - other)
    gap_trial = abs(share[(trial, "isotretinoin")] - share[(trial, "comparator")])
    word = more_or_fewer(treated, other, 0.0, ("fewer", "as many", "more"))
    size = "smaller" if gap_trial < gap_registry else "no smaller"
    return (
        f"In the registry, {percent(treated)} of treated patients have skin type IV-VI against "
        f"{percent(other)} of the others — {word} among the treated. In the randomised trial the "
        f"gap ({percent(share[(trial, 'isotretinoin')])} against "
        f"{percent(share[(trial, 'comparator')])}) is {size}, and what is left is chance."
    )


def describe_confounding(null_raw: Mapping, null_adj: Mapping, severe_raw: Mapping,
                         severe_adj: Mapping, trial_raw: Mapping) -> str:  # fmt: skip
    """Lesson 4: bias of unadjusted and adjusted registry comparisons, and the trial's.

    Examples
    --------
    >>> row = lambda bias, mcse=0.01, cov=0.95, rej=0.05, truth=0.0: {"bias": bias,
    ...     "bias_mcse": mcse, "coverage": cov, "rejection_rate": rej, "truth": truth}
    >>> text = describe_confounding(row(-0.27, rej=0.25), row(-0.003), row(0.16, truth=-0.11),
    ...                             row(0.10, truth=-0.11), row(-0.01, rej=0.06))
    >>> "removes the bias" in text, "still biased" in text
    (True, True)
    >>> "still biased" in describe_confounding(row(-0.27), row(-0.1), row(0.16), row(0.001), row(0))
    False
    """

    def biased(item):
        return abs(item["bias"]) > MC_TOLERANCE * item["bias_mcse"]

    text = (
        f"With no true effect, the unadjusted registry comparison has bias {null_raw['bias']:+.2f} and is "
        f"'significant' in **{percent(null_raw['rejection_rate'])}** of studies; adjustment "
        + ("leaves a bias of" if biased(null_adj) else "removes the bias (it is")
        + f" {null_adj['bias']:+.2f}"
        + ("" if biased(null_adj) else ", within Monte Carlo error of zero)")
        + f", covering the truth in {percent(null_adj['coverage'])}. "
        f"When severity drives treatment (truth {severe_adj['truth']:.2f}), the unadjusted "
        f"estimate is off by {severe_raw['bias']:+.2f} and the adjusted one is "
        + ("still biased, by" if biased(severe_adj) else "unbiased here, off by")
        + f" {severe_adj['bias']:+.2f} (MCSE {severe_adj['bias_mcse']:.2f}), covering the truth in "
        f"{percent(severe_adj['coverage'])} of studies. In the randomised trial even the plain "
        f"difference is 'significant' in only {percent(trial_raw['rejection_rate'])}."
    )
    return text


def describe_bias_reduction(raw: Mapping, adjusted: Mapping, name: str) -> str:
    """How much of an unadjusted comparison's bias an adjustment removes.

    >>> raw, adj = {"bias": -0.27, "bias_mcse": 0.01}, {"bias": -0.03, "bias_mcse": 0.01}
    >>> describe_bias_reduction(raw, adj, "Adjusted without skin type")
    'Adjusted without skin type: bias -0.03 (MCSE 0.01) against -0.27 unadjusted — it removes most of the bias, but not all of it.'
    >>> "removes the bias" in describe_bias_reduction(raw, {"bias": 0.005, "bias_mcse": 0.01}, "x")
    True
    >>> "removes little" in describe_bias_reduction(raw, {"bias": -0.25, "bias_mcse": 0.01}, "x")
    True
    """
    remaining = abs(adjusted["bias"])
    if remaining <= MC_TOLERANCE * adjusted["bias_mcse"]:
        verdict = "it removes the bias (what is left is within Monte Carlo error)"
    elif remaining < abs(raw["bias"]) / 2:
        verdict = "it removes most of the bias, but not all of it"
    else:
        verdict = "it removes little of the bias"
    return (
        f"{name}: bias {adjusted['bias']:.2f} (MCSE {adjusted['bias_mcse']:.2f}) against "
        f"{raw['bias']:.2f} unadjusted — {verdict}."
    )


#: Candidate confounders of "patients treated early scar less": how each is associated with
#: early treatment and with scarring. Only those with opposite signs (more of it among early
#: starters and less scarring, or less of it and more scarring) can produce the claimed
#: association without a drug effect.
TIMING_CONFOUNDERS = (
    {"confounder": "access to a dermatologist", "early": "more", "scarring": "less",
     "why": "patients who see a specialist sooner start isotretinoin earlier and also get other "
            "care that limits scarring"},
    {"confounder": "acne that resists antibiotics", "early": "less", "scarring": "more",
     "why": "isotretinoin is usually started after antibiotics fail, so the most persistent, "
            "most inflamed acne starts it later and scars more"},
    {"confounder": "severe nodular acne", "early": "more", "scarring": "more",
     "why": "severe acne is referred and treated sooner and also scars more"},
    {"confounder": "milder acne", "early": "less", "scarring": "less",
     "why": "mild acne is treated later and scars less"},
)  # fmt: skip


def favours_early_treatment(confounder: Mapping) -> bool:
    """Whether a confounder makes early starters look as if they scar less.

    >>> [favours_early_treatment(item) for item in TIMING_CONFOUNDERS]
    [True, True, False, False]
    """
    sign = {"more": 1, "less": -1}
    return sign[confounder["early"]] * sign[confounder["scarring"]] < 0


def describe_timing_confounders(confounders: Sequence[Mapping] = TIMING_CONFOUNDERS) -> str:
    """Lesson 4, exercise 2: which confounders could produce "early treatment, less scarring".

    >>> text = describe_timing_confounders()
    >>> text.index("access to a dermatologist") < text.index("would instead")
    True
    >>> "milder acne" in text.split("would instead")[1]
    True
    """
    favour = [item for item in confounders if favours_early_treatment(item)]
    against = [item for item in confounders if not favours_early_treatment(item)]
    text = (
        "Confounders that would make early starters look as if they scar less, with no drug effect: "
        + "; ".join(f"**{item['confounder']}** ({item['why']})" for item in favour)
        + "."
    )
    if against:
        text += (
            " These would instead make *late* starters look better, hiding a benefit of early treatment: "
            + "; ".join(f"{item['confounder']} ({item['why']})" for item in against)
            + "."
        )
    return text


# --------------------------------------------------------------------------- lesson 5


def describe_fishing(raw: Mapping, simulated_independent: float, tests: int, holm: Mapping,
                     alpha: float = 0.05) -> str:  # fmt: skip
    """Lesson 5: studies with at least one false positive, against independent tests.

    ``raw`` and ``holm`` are rows of
    :func:`~acne_outcomes.appraisal.lessons.fishing_summary`; ``simulated_independent`` the
    share for ``tests`` independent tests.

    Examples
    --------
    >>> raw = {"any_significant": 0.85, "any_significant_mcse": 0.025,
    ...        "independent_expectation": 0.839, "studies": 200}
    >>> "about as many" in describe_fishing(raw, 0.84, 34, {"any_significant": 0.05})
    True
    >>> low = {**raw, "any_significant": 0.70}
    >>> "fewer" in describe_fishing(low, 0.84, 34, {"any_significant": 0.05})
    True
    >>> "more" in describe_fishing({**raw, "any_significant": 0.95}, 0.84, 34,
    ...                            {"any_significant": 0.05})
    True
    """
    share, expected = raw["any_significant"], raw["independent_expectation"]
    side = compare(share, expected, MC_TOLERANCE * nominal_mcse(expected, raw["studies"]))
    text = (
        f"Each trial ran about {tests} tests. **{percent(share)}** of trials (MCSE "
        f"{percent(raw['any_significant_mcse'])}) had at least one p < {alpha:g} although nothing "
        f"works. With {tests} *independent* tests the chance would be 1 - {1 - alpha:g}^{tests} = "
        f"{percent(expected)} (simulated: {percent(simulated_independent)}). "
    )
    if side < 0:
        text += (
            "Our trials had fewer: their tests overlap (subgroups are parts of the whole, "
            "endpoints are correlated), so they are not independent chances. "
        )
    elif side > 0:
        text += (
            "Our trials had more, beyond Monte Carlo error: look for a test that is too liberal. "
        )
    else:
        text += (
            "Our trials had about as many, within Monte Carlo error: the overlap between the "
            "tests barely reduces the chances here. "
        )
    return text + f"Holm's adjustment brings it to {percent(holm['any_significant'])}."


def describe_family_chance(endpoints: int, subgroups: int, alpha: float = 0.05) -> str:
    """Lesson 5, exercise 3: chance of a false positive among independent tests.

    >>> describe_family_chance(6, 6)
    'Six independent endpoints: 1 - 0.95^6 = 26.5%. One endpoint in 6 skin-type subgroups plus overall (7 tests, not independent): 1 - 0.95^7 = 30.2% if they were.'
    """
    names = {1: "One", 2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six", 7: "Seven"}
    level = 1 - alpha
    tests = subgroups + 1
    return (
        f"{names.get(endpoints, str(endpoints))} independent endpoints: 1 - {level:g}^{endpoints} = "
        f"{percent(1 - level**endpoints)}. One endpoint in {subgroups} skin-type subgroups plus "
        f"overall ({tests} tests, not independent): 1 - {level:g}^{tests} = "
        f"{percent(1 - level**tests)} if they were."
    )


def describe_single_test_rates(per_subgroup: pd.Series, mcse: float, alpha: float = 0.05) -> str:
    """Lesson 5: each single test's false-positive rate by subgroup, against the level.

    >>> rates = pd.Series({"all": 0.05, "Fitzpatrick I": 0.03})
    >>> "within Monte Carlo error" in describe_single_test_rates(rates, 0.02)
    True
    >>> "beyond Monte Carlo error" in describe_single_test_rates(rates.replace(0.03, 0.15), 0.02)
    True
    """
    low, high = per_subgroup.min(), per_subgroup.max()
    inside = (
        compare(low, alpha, MC_TOLERANCE * mcse) == 0
        and compare(high, alpha, MC_TOLERANCE * mcse) == 0
    )
    return (
        f"Across all trials, each single test is 'significant' in {percent(low)} to "
        f"{percent(high)} of trials depending on the subgroup — "
        + ("all within Monte Carlo error of" if inside else "some beyond Monte Carlo error of")
        + f" the nominal {percent(alpha, 0)}. The problem is not any one test but looking at "
        "many and reporting the one that crossed the line."
    )


# --------------------------------------------------------------------------- lesson 6


def describe_winners_curse(row: Mapping) -> str:
    """One sentence on a :func:`~acne_outcomes.appraisal.lessons.winners_curse_table` row.

    >>> describe_winners_curse({"setting": "n = 40", "truth": -0.36, "power": 0.1,
    ...     "mean_significant": -1.1, "exaggeration": 3.1, "wrong_sign": 0.0})
    'With n = 40 the trial detects the true difference of -0.36 in 10.0% of studies; the significant ones report on average -1.10, 3.1 times its size.'
    >>> describe_winners_curse({"setting": "n = 40", "truth": -0.36, "power": 0.0,
    ...     "mean_significant": float("nan"), "exaggeration": float("nan"),
    ...     "wrong_sign": float("nan")}).endswith("so none of them would be noticed.")
    True
    """
    text = (
        f"With {row['setting']} the trial detects the true difference of {row['truth']:.2f} in "
        f"{percent(row['power'])} of studies"
    )
    if _missing(row["mean_significant"]):
        return text + ", so none of them would be noticed."
    text += (
        f"; the significant ones report on average {row['mean_significant']:.2f}, "
        f"{row['exaggeration']:.1f} times its size"
    )
    if row["wrong_sign"] > 0:
        text += f", and {percent(row['wrong_sign'])} of them have the wrong sign"
    return text + "."


def describe_exaggeration(result: Mapping, power: float) -> str:
    """Lesson 6, exercise 3: exaggeration and wrong signs at a given power.

    ``result`` is :func:`acne_outcomes.appraisal.lessons.winners_curse_at_power`.

    >>> text = describe_exaggeration({"power": 0.2001, "exaggeration": 2.25, "wrong_sign": 0.006,
    ...                               "standard_error": 0.89}, 0.2)
    >>> text.startswith("A study with 20% power (standard error 0.89 times the true effect")
    True
    >>> "overstates the effect 2.25-fold" in describe_exaggeration({"power": 0.2,
    ...     "exaggeration": 2.25, "wrong_sign": 0.006, "standard_error": 0.89}, 0.2)
    True
    """
    return (
        f"A study with {percent(power, 0)} power (standard error {result['standard_error']:.2f} "
        f"times the true effect; simulated power {percent(result['power'])}): when it is "
        f"significant it overstates the effect {result['exaggeration']:.2f}-fold on average, and "
        f"{percent(result['wrong_sign'])} of significant studies have the wrong sign."
    )


def describe_normal_approximation(theory: Mapping, simulated: Mapping) -> str:
    """Lesson 6: a normal approximation against the simulated small trials.

    >>> theory = {"power": 0.099, "exaggeration": 3.7}
    >>> describe_normal_approximation(theory, {"power": 0.11, "studies": 200})[:70]
    'A normal approximation with the spread of the smallest trials predicts'
    >>> "close to" in describe_normal_approximation(theory, {"power": 0.11, "studies": 200})
    True
    >>> "unlike" in describe_normal_approximation(theory, {"power": 0.4, "studies": 200})
    True
    """
    mcse = math.sqrt(
        max(simulated["power"] * (1 - simulated["power"]), 0.01) / simulated["studies"]
    )
    side = compare(theory["power"], simulated["power"], MC_TOLERANCE * mcse)
    return (
        "A normal approximation with the spread of the smallest trials predicts power "
        f"{percent(theory['power'])} — {'close to' if side == 0 else 'unlike'} the "
        f"{percent(simulated['power'])} simulated — and an exaggeration of "
        f"{number(theory['exaggeration'], 1)} among significant studies."
    )


def describe_shrinkage(small: Mapping) -> str:
    """Lesson 6, exercise 1: how far to shrink a significant result from a small trial.

    >>> describe_shrinkage({"setting": "n = 40", "exaggeration": 3.2, "power": 0.1})[:66]
    'In the smallest trials (n = 40) the significant ones overstate the'
    >>> "none was significant" in describe_shrinkage({"setting": "n = 40",
    ...     "exaggeration": float("nan"), "power": 0.0})
    True
    """
    if _missing(small["exaggeration"]):
        return (
            f"In the smallest trials ({small['setting']}) none was significant here: a significant "
            "small trial is then a rare, and all the more exaggerated, event; shrink it hard and "
            "look for a larger replication."
        )
    return (
        f"In the smallest trials ({small['setting']}) the significant ones overstate the true "
        f"effect {small['exaggeration']:.1f}-fold on average (power {percent(small['power'])}): "
        f"divide a striking small-study result by about that much, and look for a larger "
        "replication."
    )


# --------------------------------------------------------------------------- lesson 7


def describe_rater_noise(summary: pd.DataFrame) -> str:
    """Lesson 7: power and bias of the same trial with more or less rater noise.

    ``summary`` holds one diagnosis row per noise setting (``setting``, ``truth``,
    ``rejection_rate``, ``mean_estimate``, ``bias``, ``bias_mcse``), least noise first.

    >>> summary = pd.DataFrame({"setting": ["x0", "x2"], "truth": -0.36,
    ...     "rejection_rate": [0.55, 0.30], "mean_estimate": [-0.37, -0.35],
    ...     "bias": [-0.01, 0.01], "bias_mcse": [0.02, 0.03]})
    >>> text = describe_rater_noise(summary)
    >>> "falls" in text, "within Monte Carlo error" in text
    (True, True)
    >>> "not all within" in describe_rater_noise(summary.assign(bias=[-0.01, 0.2]))
    True
    """
    first, last = summary.iloc[0], summary.iloc[-1]
    powers = listing([f"{percent(rate)} ({setting})" for setting, rate
                      in zip(summary["setting"], summary["rejection_rate"], strict=True)])  # fmt: skip
    trend = {-1: "falls", 0: "hardly changes", 1: "rises"}[
        compare(last["rejection_rate"], first["rejection_rate"], 0.02)
    ]
    inside = (summary["bias"].abs() <= MC_TOLERANCE * summary["bias_mcse"]).all()
    means = listing([f"{value:.2f}" for value in summary["mean_estimate"]])
    return (
        f"Power to detect the same true effect ({first['truth']:.2f}) {trend} as the rater gets "
        f"noisier: {powers}. The mean estimates ({means}) are "
        + ("all within Monte Carlo error of the truth, because the noise is the same in both arms."
           if inside else "not all within Monte Carlo error of the truth: look at the bias column.")
    )  # fmt: skip


def describe_apparent_improvement(default: pd.DataFrame) -> str:
    """Lesson 7: patients who "improve" when no scar can improve, with the default rater.

    >>> table = pd.DataFrame({"share": [0.022, 0.059], "truth": [0.0, 0.0]})
    >>> "may be reporting rater error" in describe_apparent_improvement(table)
    True
    >>> "no patient" in describe_apparent_improvement(table.assign(share=0.0))
    True
    """
    low, high, truth = default["share"].min(), default["share"].max(), default["truth"].max()
    if high == 0:
        return f"With this rater no patient 'improves' (true share: {percent(truth)})."
    return (
        f"With the default rater, {percent(low)} to {percent(high)} of patients 'improve' by at "
        f"least one grade (true share: {percent(truth)}). An uncontrolled series reporting 'scars "
        "improved in some patients' may be reporting rater error."
    )


# --------------------------------------------------------------------------- lesson 8


def describe_claim_evidence(row: Mapping) -> str:
    """Lesson 8: what one analysis of a claim's simulated design shows, with direction.

    ``row`` is a row of :func:`~acne_outcomes.appraisal.lessons.claims_evidence`.

    Examples
    --------
    >>> row = {"claims": "C3", "role": "naive", "strategy": "before-after", "truth": -3.46,
    ...        "mean_estimate": 13.07, "rejection_rate": 0.99, "supports": 0.0,
    ...        "contradicts": 0.99, "coverage": 0.0, "coverage_mcse": 0.0, "n_sims": 200,
    ...        "claimed_direction": "lower", "matches_claim": True, "compares": "x"}
    >>> text = describe_claim_evidence(row)
    >>> "against the claim" in text, "opposite" in text
    (True, True)
    >>> "in the claimed direction" in describe_claim_evidence({**row, "mean_estimate": -5.9,
    ...     "supports": 1.0, "contradicts": 0.0})
    True
    """
    claimed = "lower" if row["claimed_direction"] == "lower" else "higher"
    observed = "lower" if row["mean_estimate"] < 0 else "higher"
    text = (
        f"**{row['claims']}**, {row['role']} analysis (*{row['strategy']}*): significant in "
        f"{percent(row['rejection_rate'])} of studies — {percent(row['supports'])} in the claimed "
        f"direction and {percent(row['contradicts'])} against the claim. Mean estimate "
        f"{row['mean_estimate']:.2f} against a truth of {row['truth']:.2f}"
    )
    if observed != claimed and row["contradicts"] > row["supports"]:
        text += (
            f": on average the opposite of what the claim says ({observed}, not {claimed}), so "
            "its 'significant' results are evidence against the claim, not for it"
        )
    side = compare(
        row["coverage"], NOMINAL, MC_TOLERANCE * math.sqrt(NOMINAL * (1 - NOMINAL) / row["n_sims"])
    )
    if side < 0:
        text += f". It covers the truth in only {percent(row['coverage'])} of studies: it is biased"
        if row["rejection_rate"] <= 0.1:
            text += ", although it rarely declares an effect"
    else:
        text += f". It covers the truth in {percent(row['coverage'])} of studies"
    text += "."
    if not row["matches_claim"]:
        text += f" Note: the simulation compares {row['compares']}."
    return text


def describe_claim_power(row: Mapping, alpha: float = 0.05) -> str:
    """Lesson 8, exercise 2: how often a trial of the usual size detects a claim's true effect.

    >>> row = {"claims": "C1", "truth": -0.11, "rejection_rate": 0.12, "supports": 0.12,
    ...        "n_sims": 200, "strategy": "MMRM"}
    >>> "would mostly miss it" in describe_claim_power(row)
    True
    >>> "would usually detect it" in describe_claim_power({**row, "rejection_rate": 0.9,
    ...                                                    "supports": 0.9})
    True
    """
    verdict = "would usually detect it" if row["supports"] >= 0.5 else "would mostly miss it"
    return (
        f"{row['claims']}, randomised analysis ({row['strategy']}): the true difference is "
        f"{row['truth']:.2f} PIH-index points; trials of the default size find it significant in "
        f"the claimed direction in {percent(row['supports'])} of studies (any direction: "
        f"{percent(row['rejection_rate'])}), so a trial of usual size {verdict}."
    )
