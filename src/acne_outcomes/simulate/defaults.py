"""Default parameters of the generative model, each with its source or marked ``[assumption]``.

Every default names its row in ``docs/references.md`` (*LD*, the literature behind the
defaults: section and quantity, as ``LD: section / quantity``) or a better source; a figure with
no source is marked ``[assumption]`` and listed in that file's "Defaults without a source".
:func:`defaults_table` lists them all (value, source, note), and the model card
``docs/generator.md`` prints the same table.

Examples
--------
>>> DEFAULTS["dropout_month5_isotretinoin"].value
0.128
>>> table = defaults_table()
>>> list(table.columns)
['parameter', 'value', 'source', 'note']
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

ASSUMPTION = "[assumption]"


@dataclass(frozen=True)
class Default:
    """One default: its value, where it comes from, a note, and its allowed range.

    ``low``/``high`` bound a number (or every element of a tuple); ``length`` fixes a tuple's
    length; ``choices`` lists allowed strings.
    """

    value: Any
    source: str
    note: str = ""
    low: float = -math.inf
    high: float = math.inf
    length: int | None = None
    choices: tuple[str, ...] | None = None


_LD = "LD: "  # a row of docs/references.md

DEFAULTS: dict[str, Default] = {
    # -- design ---------------------------------------------------------------------------
    "allocation_isotretinoin": Default(
        0.5,
        _LD + "Design / Head-to-head RCT design (Tan 2014, 1:1)",
        "probability of isotretinoin when randomised",
        0.0,
        1.0,
    ),
    "n_sites": Default(10, ASSUMPTION, "sites, subjects spread uniformly", 1, 99),
    "visit_window_days": Default(
        7, ASSUMPTION, "actual visit day = scheduled day + uniform(-w, w)", 0, 14
    ),
    "missed_visit_probability": Default(
        0.05, ASSUMPTION, "intermittently missed post-baseline visit", 0.0, 0.5
    ),
    "treatment_assignment": Default(
        "randomised",
        "scenario setting",
        "randomised, single_arm or by_indication",
        choices=("randomised", "single_arm", "by_indication"),
    ),
    "indication_log_odds_severity": Default(
        1.0, ASSUMPTION, "by_indication: log-odds of isotretinoin per SD of latent severity"
    ),
    "indication_log_odds_female": Default(
        -0.8, ASSUMPTION, "by_indication: log-odds of isotretinoin for women (pregnancy programme)"
    ),
    "indication_log_odds_dark_skin": Default(
        -0.6, ASSUMPTION, "by_indication: log-odds of isotretinoin for Fitzpatrick IV-VI"
    ),
    # -- population -----------------------------------------------------------------------
    "age_mean": Default(20.5, _LD + "Design / Age (mean about 19-22)", "", 12, 55),
    "age_sd": Default(6.5, _LD + "Design / Age (SD about 6-7)", "12 + gamma, capped", 0.5, 20),
    "male_proportion": Default(
        0.6, _LD + "Design / Sex (1.5:1 to 2:1; Italian cohort 61% male)", "", 0.0, 1.0
    ),
    "weight_mean": Default(68.0, _LD + "Design / Weight (normal(68, 13))", "[assumption]", 40, 110),
    "weight_sd": Default(13.0, _LD + "Design / Weight", "truncated to 40-110 kg", 1, 40),
    "fitzpatrick_proportions": Default(
        (0.10, 0.25, 0.30, 0.20, 0.10, 0.05),
        _LD + "Design / Fitzpatrick skin type (I-II 35%, III 30%, IV 20%, V-VI 15%)",
        "[assumption]; split of I-II and V-VI also [assumption]",
        0.0,
        1.0,
        length=6,
    ),
    "childbearing_potential_proportion": Default(
        0.95, ASSUMPTION, "among women; men are recorded False", 0.0, 1.0
    ),
    # -- lesions at baseline --------------------------------------------------------------
    "inflammatory_baseline_mean": Default(
        44.8, _LD + "Lesion counts / Baseline inflammatory lesions (Del Rosso 2018)", "", 1, 300
    ),
    "inflammatory_baseline_sd": Default(
        21.7, _LD + "Lesion counts / Baseline inflammatory lesions (Del Rosso 2018)", "", 1, 300
    ),
    "nodule_baseline_mean": Default(
        3.0, ASSUMPTION, "part of the inflammatory mean; nodular entry is >= 5", 0, 50
    ),
    "comedone_baseline_mean": Default(
        50.0, _LD + "Lesion counts / Moderate-trial entry (25-100 comedones)", "midpoint", 1, 500
    ),
    "comedone_baseline_sdlog": Default(0.5, ASSUMPTION, "log-scale SD of comedone intensity", 0, 3),
    "frailty_loading": Default(
        0.6,
        ASSUMPTION,
        "share of log-intensity variance from the shared frailty (correlation of log intensities)",
        0.0,
        1.0,
    ),
    "visit_fluctuation_sd": Default(
        0.2, ASSUMPTION, "visit-to-visit log-normal fluctuation of lesion intensity", 0.0, 2.0
    ),
    "eligibility_min_iga": Default(
        3, _LD + "Lesion counts / Moderate-trial entry (IGA 3-4)", "", 0, 4
    ),
    "eligibility_min_inflammatory": Default(
        10, ASSUMPTION, "observed baseline inflammatory lesions needed to enrol", 1, 300
    ),
    # -- response -------------------------------------------------------------------------
    "inflammatory_reduction_isotretinoin": Default(
        (0.15, 0.45, 0.70, 0.85, 0.94),
        _LD + "Lesion counts / Default trajectory, isotretinoin (weeks 12, 20 sourced, Tan 2014)",
        "months 1-5; months 1, 2, 4 interpolated [assumption]",
        0.0,
        0.999,
        length=5,
    ),
    "inflammatory_reduction_comparator": Default(
        (0.35, 0.55, 0.66, 0.73, 0.80),
        _LD + "Lesion counts / Default trajectory, comparator (weeks 12, 20 sourced)",
        "months 1-5; months 1, 2, 4 [assumption]",
        0.0,
        0.999,
        length=5,
    ),
    "comedone_reduction_isotretinoin": Default(
        0.83, _LD + "Lesion counts / 6-month reduction (Oprica)", "at month 5", 0.0, 0.999
    ),
    "comedone_reduction_comparator": Default(
        0.45, _LD + "Lesion counts / 6-month reduction (Oprica)", "at month 5", 0.0, 0.999
    ),
    "nodule_reduction_isotretinoin": Default(
        0.956, _LD + "Lesion counts / Week-20 reduction (Tan 2014)", "at month 5", 0.0, 0.999
    ),
    "nodule_reduction_comparator": Default(
        0.887, _LD + "Lesion counts / Week-20 reduction (Tan 2014)", "at month 5", 0.0, 0.999
    ),
    "lesion_effect_scale": Default(
        1.0,
        "effect knob",
        "scales isotretinoin's difference from the comparator on lesions (log scale) and the "
        "flare; 0 = isotretinoin acts on lesions exactly like the comparator",
        0.0,
        3.0,
    ),
    "response_heterogeneity_sd": Default(
        0.5,
        ASSUMPTION,
        "SD of a subject's log lesion multiplier at month 5 (between subjects)",
        0.0,
        3.0,
    ),
    "severity_response_modifier": Default(
        0.2,
        ASSUMPTION,
        "log multiplier at month 5 per SD of latent severity: severe respond less",
        -2,
        2,
    ),
    "adherence_mean_isotretinoin": Default(0.9, ASSUMPTION, "mean proportion of doses", 0.05, 1.0),
    "adherence_mean_comparator": Default(0.8, ASSUMPTION, "mean proportion of doses", 0.05, 1.0),
    "flare_proportions": Default(
        (0.18, 0.10, 0.045),
        _LD + "Lesion counts / Initial flare (PMID 18573721)",
        "mild, moderate, severe flare in the first month of isotretinoin",
        0.0,
        1.0,
        length=3,
    ),
    "flare_multipliers": Default(
        (1.25, 1.6, 2.2),
        ASSUMPTION,
        "month-1 inflammatory intensity multiplier by flare grade",
        1,
        10,
        length=3,
    ),
    "flare_risk_ratio_male": Default(
        1.5, ASSUMPTION + " (direction: more in men, PMID 18573721)", "overall rate kept", 0.1, 10
    ),
    "initial_dose_mg_per_kg_day": Default(
        0.5, _LD + "Design / Isotretinoin dosing (NCT01474590)", "first 28 days", 0.0, 2.0
    ),
    "dose_mg_per_kg_day": Default(
        1.0, _LD + "Design / Isotretinoin dosing (NCT01474590)", "day 28 to month 5", 0.0, 2.0
    ),
    # -- relapse --------------------------------------------------------------------------
    "relapse_rate_per_100_person_years": Default(
        15.0,
        _LD + "Lesion counts / Relapse after stopping (15 per 100 py after >= 120 mg/kg)",
        "isotretinoin, after month 5",
        0.0,
        500.0,
    ),
    "relapse_rate_comparator_per_100_person_years": Default(
        40.0, ASSUMPTION, "comparator after stopping doxycycline at month 5", 0.0, 500.0
    ),
    "relapse_hazard_ratio_male": Default(
        2.0, _LD + "Lesion counts / Relapse after stopping (men twice the risk)", "", 0.1, 10
    ),
    "relapse_hazard_ratio_severe": Default(
        1.5,
        ASSUMPTION + " (direction: baseline severity predicts relapse, Lee JW)",
        "baseline IGA 4 vs lower",
        0.1,
        10,
    ),
    "relapse_hazard_ratio_low_dose": Default(
        1.5,
        ASSUMPTION + " (sources disagree: LD Lesion counts / Does cumulative dose matter?)",
        "cumulative dose < 120 mg/kg; 1 = no dose effect (large cohort)",
        0.1,
        10,
    ),
    "relapse_level": Default(
        0.5, ASSUMPTION, "relapsed intensity as a fraction of baseline", 0.0, 2.0
    ),
    # -- scars ----------------------------------------------------------------------------
    "scar_prevalence": Default(
        0.43, _LD + "Scars / Prevalence (Tan, JDD 2017)", "at baseline", 0.0, 1.0
    ),
    "scar_severity_loading": Default(
        0.5, ASSUMPTION, "probit loading of scarring on latent severity (marginal kept)", 0, 5
    ),
    "ecca_baseline_median": Default(110.0, _LD + "Scars / Default (ECCA median 110)", "", 15, 540),
    "ecca_baseline_sdlog": Default(0.6, ASSUMPTION, "log-scale SD of baseline ECCA", 0.0, 3.0),
    "scar_formation_rate": Default(
        0.07,
        ASSUMPTION + " (sized from LD Scars / Untreated course: +17-25% in 6 months)",
        "new ECCA points per inflammatory lesion-month (15-point steps)",
        0.0,
        10.0,
    ),
    "scar_formation_ratio_unscarred": Default(
        0.1,
        ASSUMPTION + " (LD Scars / Untreated course: measured in patients with scars only)",
        "new-scar rate of a subject without scars at baseline, relative to a scarred one",
        0.0,
        1.0,
    ),
    "scar_nodule_weight": Default(
        4.0, ASSUMPTION, "a nodule-month counts as this many lesion-months", 0.0, 50.0
    ),
    "scar_remodelling_isotretinoin": Default(
        0.0,
        "effect knob; " + _LD + "Scars / Isotretinoin and existing scars (weak evidence)",
        "proportional change of established ECCA by month 12 on isotretinoin; 0 = no effect",
        -1.0,
        1.0,
    ),
    "scar_remodelling_comparator": Default(
        0.0, "effect knob", "the same for the comparator", -1.0, 1.0
    ),
    "scar_grade_thresholds": Default(
        (30.0, 90.0, 200.0),
        ASSUMPTION,
        "ECCA cut-offs between Goodman & Baron grades 1-4",
        0,
        540,
        length=3,
    ),
    # -- PIH ------------------------------------------------------------------------------
    "pih_prevalence_by_fitzpatrick": Default(
        (0.10, 0.10, 0.35, 0.55, 0.65, 0.65),
        _LD + "PIH / By skin type (IV-VI sourced, rest [assumption])",
        "baseline probability of existing PIH, types I-VI",
        0.0,
        1.0,
        length=6,
    ),
    "pih_baseline_macules_mean": Default(
        8.0, ASSUMPTION, "mean macules among those with PIH", 1.0, 500.0
    ),
    "pih_formation_rate": Default(
        0.003,
        ASSUMPTION + " (LD PIH / Default)",
        "new macules per inflammatory lesion-month, times the skin type's PIH prevalence; "
        "0 = no PIH from on-study lesions",
        0.0,
        10.0,
    ),
    "pih_fading_median_months": Default(
        10.5, _LD + "PIH / Default (median 9-12 months)", "[assumption]", 0.1, 240
    ),
    "pih_persistent_fraction": Default(
        0.2, _LD + "PIH / Default (about 20% persist)", "[assumption]", 0.0, 1.0
    ),
    "pih_effect": Default(
        0.0,
        "effect knob",
        "log ratio of the PIH fading rate on isotretinoin during treatment (direct effect); "
        "0 = no effect beyond lesion control",
        -3.0,
        3.0,
    ),
    "pih_size_median_mm": Default(3.0, ASSUMPTION, "median macule diameter", 0.5, 20),
    # -- measurement ----------------------------------------------------------------------
    "lesion_count_rater_sd": Default(
        0.15, ASSUMPTION + " (no lesion-count ICC in LD)", "log-scale rater error", 0.0, 2.0
    ),
    "comedone_count_rater_sd": Default(0.25, ASSUMPTION, "log-scale rater error", 0.0, 2.0),
    "iga_rater_sd": Default(0.3, ASSUMPTION, "latent-scale rater error of IGA", 0.0, 3.0),
    "ecca_rater_sd": Default(0.15, ASSUMPTION, "log-scale rater error of ECCA", 0.0, 2.0),
    "scar_grade_rater_sd": Default(0.25, ASSUMPTION, "log-ECCA-scale error of the grade", 0.0, 3.0),
    "pih_number_rater_sd": Default(
        0.65,
        "sized from LD Measurement / Rater reliability (weighted kappa 0.27 number, Savory 2014)",
        "tuned so two simulated raters agree with linear weighted kappa ~0.27",
        0.0,
        4.0,
    ),
    "pih_size_rater_sd": Default(
        0.75,
        "sized from LD Measurement / Rater reliability (weighted kappa 0.27 size, Savory 2014)",
        "tuned so two simulated raters agree with linear weighted kappa ~0.27",
        0.0,
        4.0,
    ),
    "pih_intensity_rater_sd": Default(
        0.55,
        "sized from LD Measurement / Rater reliability (weighted kappa 0.43 intensity)",
        "tuned so two simulated raters agree with linear weighted kappa ~0.43",
        0.0,
        4.0,
    ),
    # -- dropout --------------------------------------------------------------------------
    "dropout_month5_isotretinoin": Default(
        0.128, _LD + "Design / Dropout (12.8% by week 20, NCT01474590)", "all reasons", 0.0, 0.95
    ),
    "dropout_month5_comparator": Default(
        0.21, _LD + "Design / Dropout (21% by week 20, NCT01474590)", "all reasons", 0.0, 0.95
    ),
    "dropout_per_month_after_treatment": Default(
        0.0176,
        _LD + "Design / Dropout (29% more over 104 weeks, NCT02457520)",
        "1-(1-0.29)^(1/19.3) per month",
        0.0,
        0.5,
    ),
    "ae_discontinuation_probability": Default(
        0.5, ASSUMPTION, "a grade >= 3 (psychiatric >= 2) event on treatment ends it", 0.0, 1.0
    ),
    "dropout_response_effect": Default(
        0.0,
        ASSUMPTION,
        "log hazard ratio of dropout per unit of unobserved poor response (MNAR); 0 = none",
        0.0,
        10.0,
    ),
    "pregnancy_probability_per_month": Default(
        0.002, ASSUMPTION, "positive test per on-treatment month (leads to stopping)", 0.0, 0.1
    ),
}


@dataclass(frozen=True)
class AdverseEventTerm:
    """An adverse event term: its category and the probability per subject during treatment."""

    term: str
    category: str
    probability_isotretinoin: float
    probability_comparator: float
    expected: bool
    source: str


# Probability that a subject reports the term at least once during treatment (months 0-5);
# psychiatric events over the 12-month follow-up.
ADVERSE_EVENT_TERMS: tuple[AdverseEventTerm, ...] = (
    AdverseEventTerm(
        "cheilitis",
        "mucocutaneous",
        0.95,
        0.02,
        True,
        "LD Safety / Mucocutaneous (93-100%); comparator [assumption]",
    ),
    AdverseEventTerm(
        "xerosis",
        "mucocutaneous",
        0.95,
        0.30,
        True,
        "LD Safety / Mucocutaneous (95%); comparator (topicals) [assumption]",
    ),
    AdverseEventTerm(
        "dry_eyes",
        "mucocutaneous",
        0.77,
        0.02,
        True,
        "LD Safety / Mucocutaneous (77%); comparator [assumption]",
    ),
    AdverseEventTerm(
        "dry_nose",
        "mucocutaneous",
        0.67,
        0.02,
        True,
        "LD Safety / Mucocutaneous (dry nose 67%); comparator [assumption]",
    ),
    AdverseEventTerm("epistaxis", "mucocutaneous", 0.20, 0.01, True, ASSUMPTION),
    AdverseEventTerm(
        "photosensitivity",
        "mucocutaneous",
        0.55,
        0.15,
        True,
        "LD Safety / Mucocutaneous (55% self-reported); comparator (doxycycline) [assumption]",
    ),
    AdverseEventTerm(
        "myalgia",
        "musculoskeletal",
        0.14,
        0.03,
        True,
        "LD Safety / Mucocutaneous (myalgia about 14%); comparator [assumption]",
    ),
    AdverseEventTerm(
        "hair_thinning",
        "mucocutaneous",
        0.09,
        0.01,
        True,
        "LD Safety / Mucocutaneous (8-10%); comparator [assumption]",
    ),
    AdverseEventTerm("headache", "neurological", 0.10, 0.08, False, ASSUMPTION),
    AdverseEventTerm("nausea", "gastrointestinal", 0.03, 0.10, False, ASSUMPTION),
    AdverseEventTerm(
        "depressed_mood",
        "psychiatric",
        0.038,
        0.033,
        False,
        "LD Safety / Mood (1-year risk 3.8%; comparator 3.8/1.15, RR 1.15)",
    ),
)

# Severity grade (CTCAE 1-5) probabilities by category [assumption].
GRADE_PROBABILITIES: dict[str, tuple[float, ...]] = {
    "mucocutaneous": (0.80, 0.18, 0.02, 0.0, 0.0),
    "musculoskeletal": (0.70, 0.25, 0.05, 0.0, 0.0),
    "neurological": (0.75, 0.22, 0.03, 0.0, 0.0),
    "gastrointestinal": (0.75, 0.22, 0.03, 0.0, 0.0),
    "psychiatric": (0.50, 0.35, 0.12, 0.025, 0.005),
}

# Relatedness probabilities (not_related, unlikely, possible, probable, definite) [assumption].
RELATED_PROBABILITIES: dict[bool, tuple[float, ...]] = {
    True: (0.02, 0.05, 0.18, 0.45, 0.30),
    False: (0.25, 0.35, 0.30, 0.08, 0.02),
}


@dataclass(frozen=True)
class LabTest:
    """A laboratory test: baseline distribution, isotretinoin shift, noise and reference limit."""

    test: str
    unit: str
    baseline_median: float
    baseline_sdlog: float
    isotretinoin_shift: float
    shift_sd: float
    noise_sd: float
    upper_limit_normal: float
    source: str


# Log-scale shift on isotretinoin (peak from month 2) sized so the on-treatment means approach
# Lee 2016 and the new-abnormality rates fall in the Zane 2006 / Hansen 2016 ranges.
LAB_TESTS: tuple[LabTest, ...] = (
    LabTest(
        test="triglycerides",
        unit="mg/dL",
        baseline_median=90.0,
        baseline_sdlog=0.35,
        isotretinoin_shift=0.3,
        shift_sd=0.25,
        noise_sd=0.15,
        upper_limit_normal=150.0,
        source="LD Safety / Labs + On-treatment means (120 mg/dL); baseline and ULN [assumption]",
    ),
    LabTest(
        test="total_cholesterol",
        unit="mg/dL",
        baseline_median=165.0,
        baseline_sdlog=0.13,
        isotretinoin_shift=0.08,
        shift_sd=0.07,
        noise_sd=0.05,
        upper_limit_normal=200.0,
        source="LD Safety / Labs + On-treatment means (185 mg/dL); baseline and ULN [assumption]",
    ),
    LabTest(
        test="alt",
        unit="U/L",
        baseline_median=19.0,
        baseline_sdlog=0.3,
        isotretinoin_shift=0.1,
        shift_sd=0.15,
        noise_sd=0.15,
        upper_limit_normal=40.0,
        source="LD Safety / Labs + On-treatment means (ALT 21.8); baseline and ULN [assumption]",
    ),
    LabTest(
        test="ast",
        unit="U/L",
        baseline_median=20.0,
        baseline_sdlog=0.22,
        isotretinoin_shift=0.1,
        shift_sd=0.12,
        noise_sd=0.12,
        upper_limit_normal=40.0,
        source="LD Safety / Labs + On-treatment means (AST 22.7); baseline and ULN [assumption]",
    ),
)
LAB_MONTHS = (0, 1, 2, 3, 4, 5)
LAB_SHIFT_SHAPE = (0.0, 0.7, 1.0, 1.0, 1.0, 1.0)  # peak at month 2 (LD: mean onset 50-62 days)
PREGNANCY_TEST_MONTHS = (0, 1, 2, 3, 4, 5, 6)  # LD Safety / Pregnancy prevention (iPLEDGE)


def defaults_table() -> pd.DataFrame:
    """Return every default parameter with its value, source and note.

    Returns
    -------
    pandas.DataFrame
        One row per parameter: ``parameter`` (name accepted by ``simulate_study``),
        ``value`` (as text), ``source`` (row of docs/references.md, prefixed ``LD:``, a
        citation, ``effect knob`` or ``[assumption]``) and ``note``.

    Examples
    --------
    >>> table = defaults_table()
    >>> table.set_index("parameter").loc["scar_prevalence", "value"]
    '0.43'
    """
    rows = [
        {"parameter": name, "value": _text(item.value), "source": item.source, "note": item.note}
        for name, item in DEFAULTS.items()
    ]
    return pd.DataFrame(rows, columns=["parameter", "value", "source", "note"])


def defaults_markdown() -> str:
    """The defaults, adverse-event terms and lab tests as Markdown tables (for the model card).

    ``docs/generator.md`` section 15 is this text; a test keeps the two identical.

    Examples
    --------
    >>> defaults_markdown().splitlines()[0]
    '| parameter | default | source | note |'
    """
    lines = ["| parameter | default | source | note |", "|---|---|---|---|"]
    for row in defaults_table().itertuples():
        lines.append(f"| `{row.parameter}` | {row.value} | {row.source} | {row.note} |")
    lines += [
        "",
        "### Adverse event terms (`defaults.ADVERSE_EVENT_TERMS`)",
        "",
        "| term | category | P(isotretinoin) | P(comparator) | source |",
        "|---|---|---|---|---|",
    ]
    for term in ADVERSE_EVENT_TERMS:
        lines.append(
            f"| {term.term} | {term.category} | {term.probability_isotretinoin} "
            f"| {term.probability_comparator} | {term.source} |"
        )
    lines += [
        "",
        "### Laboratory tests (`defaults.LAB_TESTS`)",
        "",
        "| test | unit | baseline median | baseline SD (log) | isotretinoin log shift (SD) "
        "| visit noise SD (log) | ULN | source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for test in LAB_TESTS:
        lines.append(
            f"| {test.test} | {test.unit} | {test.baseline_median} | {test.baseline_sdlog} "
            f"| {test.isotretinoin_shift} ({test.shift_sd}) | {test.noise_sd} "
            f"| {test.upper_limit_normal} | {test.source} |"
        )
    return "\n".join(lines) + "\n"


def _text(value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(str(item) for item in value) + ")"
    return str(value)


def resolve_parameters(overrides: dict[str, Any]) -> dict[str, Any]:
    """Return the full parameter set: defaults updated with ``overrides``, checked.

    Raises
    ------
    ValueError
        For an unknown name (naming the allowed ones) or an impossible value (naming the
        allowed range).

    Examples
    --------
    >>> resolve_parameters({"pih_effect": -0.5})["pih_effect"]
    -0.5
    """
    unknown = sorted(set(overrides) - set(DEFAULTS))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {unknown}; allowed parameters are {sorted(DEFAULTS)}"
        )
    parameters = {name: item.value for name, item in DEFAULTS.items()}
    for name, value in overrides.items():
        parameters[name] = _checked(name, value, DEFAULTS[name])
    for group in ("fitzpatrick_proportions",):
        if not math.isclose(sum(parameters[group]), 1.0, abs_tol=1e-9):
            raise ValueError(f"{group} must sum to 1, got {sum(parameters[group])}")
    if sum(parameters["flare_proportions"]) * parameters["flare_risk_ratio_male"] > 1:
        raise ValueError("flare_proportions summed and times flare_risk_ratio_male must be <= 1")
    return parameters


def _checked(name: str, value, item: Default):
    if item.choices is not None:
        if value not in item.choices:
            raise ValueError(f"{name} must be one of {list(item.choices)}, got {value!r}")
        return value
    if item.length is not None:
        if isinstance(value, str) or not hasattr(value, "__len__") or len(value) != item.length:
            raise ValueError(f"{name} must be a sequence of {item.length} numbers, got {value!r}")
        return tuple(_number(name, element, item) for element in value)
    return _number(name, value, item)


def _number(name: str, value, item: Default):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if not item.low <= value <= item.high:
        raise ValueError(f"{name} must lie in [{item.low}, {item.high}], got {value!r}")
    if isinstance(item.value, int) and not isinstance(item.value, bool):
        if value != int(value):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        return int(value)
    return float(value)
