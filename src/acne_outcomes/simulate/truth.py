"""The true values of the estimands, computed from the generative model itself.

Population: the subjects the scenario enrols (its eligibility rules), whatever arm they
received. Estimand strategy for intercurrent events: **hypothetical** — the outcome had every
subject stayed in the study on the assigned treatment (no dropout, no missed visits, no
stopping for adverse events or pregnancy), which is what MMRM targets under MAR. Outcomes are
the **true** states (lesions present on the face, ECCA, PIH scores), free of rater error.
Contrasts are isotretinoin minus (or over) comparator: average treatment effects in the
enrolled population (also in the single-arm and observational scenarios, where the data
cannot show them directly).

Method: a Monte Carlo run of :func:`acne_outcomes.simulate.model.course` on
``MONTE_CARLO_SUBJECTS`` subjects with the fixed seed ``MONTE_CARLO_SEED``, once per arm on the
same subjects with the same random numbers (common random numbers), so contrasts have small
Monte Carlo error (reported as ``monte_carlo_se``). The effect knobs and the baseline PIH
prevalence by skin type are exact (analytic: they are parameters). Results are cached per
parameter set, so only the first study with given parameters pays for it.

Examples
--------
>>> from acne_outcomes.simulate.defaults import resolve_parameters
>>> truth = true_values(resolve_parameters({}), "rct")
>>> sorted(truth["estimands"])[:2]
['ecca_difference_month12', 'inflammatory_percent_change_month5']
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache

import numpy as np

from acne_outcomes.simulate import model

MONTE_CARLO_SUBJECTS = 20_000
MONTE_CARLO_SEED = 20_261_126
EFFECT_KNOBS = (
    "lesion_effect_scale",
    "pih_effect",
    "pih_formation_rate",
    "scar_formation_rate",
    "scar_remodelling_isotretinoin",
    "scar_remodelling_comparator",
)
STRATEGY = (
    "hypothetical: outcome had the subject stayed in the study on the assigned treatment "
    "(no dropout, missed visits or stopping); true state without rater error; average over "
    "the enrolled population; isotretinoin minus (or over) comparator"
)


def true_values(parameters: dict, scenario: str) -> dict:
    """Return the truth dict (JSON-serialisable) for a full parameter set.

    Parameters
    ----------
    parameters : dict
        Full, checked parameter set (``resolve_parameters``).
    scenario : str
        Scenario name, recorded in the result.

    Returns
    -------
    dict
        ``scenario``, ``strategy``, ``population``, ``parameters``, ``effect_knobs``,
        ``monte_carlo`` (subjects, seed) and ``estimands`` (each with its values, a
        ``definition`` and a ``method``: ``monte_carlo`` or ``analytic``).

    Examples
    --------
    >>> from acne_outcomes.simulate.defaults import resolve_parameters
    >>> truth = true_values(resolve_parameters({"lesion_effect_scale": 1.0}), "rct")
    >>> truth["effect_knobs"]["pih_effect"]
    0.0
    """
    key = json.dumps(_jsonable(parameters), sort_keys=True)
    result = copy.deepcopy(_cached(key))
    result["scenario"] = scenario
    return result


@lru_cache(maxsize=64)
def _cached(key: str) -> dict:
    parameters = {
        name: tuple(value) if isinstance(value, list) else value
        for name, value in json.loads(key).items()
    }
    base = model.baseline(
        parameters, MONTE_CARLO_SUBJECTS, model.streams(MONTE_CARLO_SEED, 0)["baseline"]
    )
    states = {}
    for code, name in ((0, "isotretinoin"), (1, "comparator"), (2, "untreated")):
        arm = np.full(MONTE_CARLO_SUBJECTS, code, dtype=np.int8)
        states[name] = model.course(parameters, base, arm, model.streams(MONTE_CARLO_SEED, 1))
    return {
        "strategy": STRATEGY,
        "population": "subjects meeting the scenario's eligibility rules at enrolment",
        "parameters": _jsonable(parameters),
        "effect_knobs": {name: parameters[name] for name in EFFECT_KNOBS},
        "monte_carlo": {
            "subjects": MONTE_CARLO_SUBJECTS,
            "seed": MONTE_CARLO_SEED,
            "common_random_numbers": True,
        },
        "estimands": {
            "inflammatory_percent_change_month5": _percent_change(states),
            "inflammatory_rate_ratio": _rate_ratio(states),
            "pih_index_difference_month12": _difference(
                states, "true_pih_index", "PAHPI-style index (0-12)"
            ),
            "ecca_difference_month12": _difference(states, "true_ecca", "ECCA score (0-540)"),
            "scar_grade_improvement_month12": _scar_improvement(states),
            "pih_prevalence_baseline_by_fitzpatrick": {
                "fitzpatrick": ["I", "II", "III", "IV", "V", "VI"],
                "prevalence": list(parameters["pih_prevalence_by_fitzpatrick"]),
                "definition": "probability of any PIH macule at baseline by skin type",
                "method": "analytic",
            },
        },
    }


def _summary(per_subject: dict[str, np.ndarray]) -> dict:
    difference = per_subject["isotretinoin"] - per_subject["comparator"]
    out = {name: float(values.mean()) for name, values in per_subject.items()}
    out["difference"] = float(difference.mean())
    out["monte_carlo_se_difference"] = float(difference.std(ddof=1) / np.sqrt(len(difference)))
    out["method"] = "monte_carlo"
    return out


def _percent_change(states: dict) -> dict:
    month5 = int(np.searchsorted(model.MONTHS, 5))
    per_subject = {
        name: 100.0
        * (state["true_inflammatory"][:, month5] - state["true_inflammatory"][:, 0])
        / state["true_inflammatory"][:, 0]
        for name, state in states.items()
    }
    out = _summary(per_subject)
    out["definition"] = (
        "mean over subjects of 100 * (N5 - N0) / N0, N = true inflammatory lesion count at "
        "month 0 and month 5; per arm (untreated = natural course) and difference"
    )
    return out


def _rate_ratio(states: dict) -> dict:
    iso = states["isotretinoin"]["true_inflammatory"].mean(axis=0)
    comp = states["comparator"]["true_inflammatory"].mean(axis=0)
    untreated = states["untreated"]["true_inflammatory"].mean(axis=0)
    return {
        "months": [int(month) for month in model.MONTHS],
        "rate_ratio": [float(value) for value in iso / comp],
        "mean_isotretinoin": [float(value) for value in iso],
        "mean_comparator": [float(value) for value in comp],
        "mean_untreated": [float(value) for value in untreated],
        "definition": "ratio of marginal means of the true inflammatory count at each visit, "
        "isotretinoin / comparator",
        "method": "monte_carlo",
    }


def _difference(states: dict, key: str, label: str) -> dict:
    per_subject = {name: state[key][:, -1].astype(float) for name, state in states.items()}
    out = _summary(per_subject)
    out["mean_by_month"] = {
        name: [float(value) for value in state[key].mean(axis=0)] for name, state in states.items()
    }
    out["months"] = [int(month) for month in model.MONTHS]
    out["definition"] = f"mean true {label} at month 12 per arm and the difference"
    return out


def _scar_improvement(states: dict) -> dict:
    per_subject = {
        name: (state["true_scar_grade"][:, -1] < state["true_scar_grade"][:, 0]).astype(float)
        for name, state in states.items()
    }
    out = _summary(per_subject)
    out["definition"] = (
        "proportion of enrolled subjects whose true Goodman & Baron grade at month 12 is below "
        "their baseline grade; per arm and the difference"
    )
    return out


def _jsonable(parameters: dict) -> dict:
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in parameters.items()
    }
