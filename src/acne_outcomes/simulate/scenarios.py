"""Scenarios: named designs, each a set of parameter overrides that plants one bias.

Examples
--------
>>> sorted(SCENARIOS)
['flare_enrollment', 'informative_dropout', 'observational', 'rct', 'single_arm']
>>> SCENARIOS["single_arm"].overrides["treatment_assignment"]
'single_arm'
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scenario:
    """A design: what it represents, the bias it plants, its default size and its overrides."""

    description: str
    bias: str
    n_subjects: int
    overrides: dict = field(default_factory=dict)
    knobs: tuple[str, ...] = ()


_EFFECT_KNOBS = (
    "lesion_effect_scale",
    "pih_effect",
    "pih_formation_rate",
    "scar_remodelling_isotretinoin",
    "scar_remodelling_comparator",
    "scar_formation_rate",
)

SCENARIOS: dict[str, Scenario] = {
    "rct": Scenario(
        description="Randomised 1:1 trial of isotretinoin vs doxycycline + adapalene/BPO, "
        "n = 266, 12 months (modelled on Tan 2014, NCT01474590).",
        bias="none planted: randomisation balances confounders; dropout is at random given "
        "arm and adverse events (MAR).",
        n_subjects=266,
        overrides={"treatment_assignment": "randomised"},
        knobs=("allocation_isotretinoin", *_EFFECT_KNOBS),
    ),
    "single_arm": Scenario(
        description="Uncontrolled before-after cohort: everyone receives isotretinoin.",
        bias="no control group: natural fading of PIH, regression to the mean and rater drift "
        "are read as treatment effects (with pih_effect = 0 PIH still falls).",
        n_subjects=266,
        overrides={"treatment_assignment": "single_arm"},
        knobs=_EFFECT_KNOBS,
    ),
    "observational": Scenario(
        description="Registry-like cohort: the clinician chooses isotretinoin more often for "
        "severe acne, less often for women and for darker skin (Fitzpatrick IV-VI).",
        bias="confounding by indication: severity (more scarring, slower proportional "
        "response) and skin type (more PIH) differ between arms.",
        n_subjects=1000,
        overrides={"treatment_assignment": "by_indication"},
        knobs=(
            "indication_log_odds_severity",
            "indication_log_odds_female",
            "indication_log_odds_dark_skin",
            *_EFFECT_KNOBS,
        ),
    ),
    "flare_enrollment": Scenario(
        description="Randomised trial that enrols patients during a flare: large visit-to-visit "
        "fluctuation and a high entry threshold on the observed baseline count.",
        bias="regression to the mean: the baseline is selected high, so counts fall in both "
        "arms even without treatment; before-after changes overstate the effect.",
        n_subjects=266,
        overrides={
            "treatment_assignment": "randomised",
            "visit_fluctuation_sd": 0.5,
            "eligibility_min_inflammatory": 50,
        },
        knobs=("visit_fluctuation_sd", "eligibility_min_inflammatory", *_EFFECT_KNOBS),
    ),
    "informative_dropout": Scenario(
        description="Randomised trial in which poor responders leave: the dropout hazard rises "
        "with the subject's unobserved current lesion burden relative to the arm's typical "
        "response.",
        bias="missing not at random: completers look better than everyone; more so in the "
        "arm with more poor responders.",
        n_subjects=266,
        overrides={"treatment_assignment": "randomised", "dropout_response_effect": 3.0},
        knobs=("dropout_response_effect", *_EFFECT_KNOBS),
    ),
}
