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
parameter set, in the process and on disk (:mod:`acne_outcomes.cache`, keyed by the parameters,
the Monte Carlo size and seed, and the generator's source), so only the first study with given
parameters ever pays for it, even in a new process.

**The truth follows the design.** Besides the fixed ``estimands`` (isotretinoin against the
comparator at months 5 and 12, whatever the design), ``truth["contrasts"]`` lists the true
value of each contrast the study's own analyses estimate, in the design's arm labels and visit
unit: every non-reference arm against the reference at every scheduled post-baseline visit
(or, with one arm, the arm's mean change from baseline), written as the statistics helpers
write their tidy frames, so :func:`true_contrast` finds the truth of any estimate row.

Examples
--------
>>> from acne_outcomes.simulate.defaults import resolve_parameters
>>> truth = true_values(resolve_parameters({}), "rct")
>>> sorted(truth["estimands"])[:2]
['ecca_difference_month12', 'inflammatory_percent_change_month5']
>>> value = true_contrast(truth, outcome="pih_index", visit=12,
...                       contrast="isotretinoin - comparator", scale="mean difference")
>>> abs(value - truth["estimands"]["pih_index_difference_month12"]["difference"]) < 1e-9
True
"""

from __future__ import annotations

import copy
import json
from collections.abc import Collection, Sequence
from functools import lru_cache

import numpy as np

from acne_outcomes import cache, standard
from acne_outcomes.simulate import model
from acne_outcomes.simulate.plan import visit_in_unit

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


def true_values(
    parameters: dict,
    scenario: str,
    *,
    arms: Sequence[tuple[str, str]] | None = None,
    months: Sequence[int] | None = None,
    visit_unit: str = "months",
    outcomes: Collection[str] | None = None,
) -> dict:
    """Return the truth dict (JSON-serialisable) for a full parameter set and a design.

    Parameters
    ----------
    parameters : dict
        Full, checked parameter set (``resolve_parameters``).
    scenario : str
        Scenario name, recorded in the result.
    arms : sequence of (course, label), optional
        The arms' model courses (``model.COURSES``) and labels, the reference first. Default:
        the generator's default arms for ``treatment_assignment``.
    months : sequence of int, optional
        The scheduled native months (default all of ``model.MONTHS``).
    visit_unit : {"months", "weeks", "days"}
        The unit the contrasts' visits are written in.
    outcomes : collection of str, optional
        The visit measurements collected: contrasts are given for those among
        ``inflammatory_lesions``, ``pih_index`` and ``ecca_score`` (default all three).

    Returns
    -------
    dict
        ``scenario``, ``strategy``, ``population``, ``parameters``, ``effect_knobs``,
        ``monte_carlo`` (subjects, seed), ``estimands`` (each with its values, a
        ``definition`` and a ``method``: ``monte_carlo`` or ``analytic``), ``arm_courses``
        (arm label -> model course) and ``contrasts`` (see :func:`contrasts`).

    Examples
    --------
    >>> from acne_outcomes.simulate.defaults import resolve_parameters
    >>> truth = true_values(resolve_parameters({"lesion_effect_scale": 1.0}), "rct")
    >>> truth["effect_knobs"]["pih_effect"], truth["arm_courses"]
    (0.0, {'comparator': 'comparator', 'isotretinoin': 'isotretinoin'})
    """
    key = json.dumps(_jsonable(parameters), sort_keys=True)
    base, summary = _cached(key)
    result = copy.deepcopy(base)
    result["scenario"] = scenario
    if arms is None:
        codes = model.default_courses(parameters)
        arms = [(model.COURSES[code], model.COURSES[code]) for code in codes]
    result["arm_courses"] = {label: course for course, label in arms}
    result["contrasts"] = contrasts(
        summary,
        arms=arms,
        months=[int(month) for month in model.MONTHS] if months is None else months,
        visit_unit=visit_unit,
        outcomes=CONTRAST_OUTCOMES if outcomes is None else outcomes,
    )
    return result


@lru_cache(maxsize=64)
def _cached(key: str) -> tuple[dict, dict]:
    """The Monte Carlo truth of a parameter set: in this process, on disk, or computed."""
    inputs = {"parameters": key, "subjects": MONTE_CARLO_SUBJECTS, "seed": MONTE_CARLO_SEED}
    return cache.cached("truth", inputs, lambda: _computed(key), code=("simulate",))


def _computed(key: str) -> tuple[dict, dict]:
    parameters = {
        name: tuple(value) if isinstance(value, list) else value
        for name, value in json.loads(key).items()
    }
    base = model.baseline(
        parameters, MONTE_CARLO_SUBJECTS, model.streams(MONTE_CARLO_SEED, 0)["baseline"]
    )
    from joblib import Parallel, delayed

    def arm_course(code):
        arm = np.full(MONTE_CARLO_SUBJECTS, code, dtype=np.int8)
        return model.course(parameters, base, arm, model.streams(MONTE_CARLO_SEED, 1))

    # The arms' courses on threads (numpy releases the GIL): each draws from its own copy of
    # the same streams (common random numbers), so the result does not depend on the order.
    names = ("isotretinoin", "comparator", "untreated")
    courses = Parallel(n_jobs=len(names), prefer="threads")(
        delayed(arm_course)(code) for code in range(len(names))
    )
    states = dict(zip(names, courses, strict=True))
    return _estimands(parameters, states), course_summary(states)


def _estimands(parameters: dict, states: dict) -> dict:
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


# ------------------------------------------------------------------ contrasts in the design

#: The visit measurements that have true contrasts.
CONTRAST_OUTCOMES = ("inflammatory_lesions", "pih_index", "ecca_score")
_PERCENT = "percent change in inflammatory_lesions"
#: The ``outcome`` the statistics helpers write for each measure of the course summary.
_OUTCOME_OF = {"count": "inflammatory_lesions", "percent": _PERCENT}
_LABELS = {
    "count": "inflammatory lesion count",
    "percent": "percent change of the inflammatory lesion count from baseline",
    "pih_index": "PAHPI-style PIH index (0-12)",
    "ecca_score": "ECCA scar score (0-540)",
}


def course_summary(states: dict) -> dict[str, np.ndarray]:
    """Per-month means under each course and the Monte Carlo SEs of their contrasts.

    ``states`` maps each course of ``model.COURSES`` to its :func:`model.course` result on the
    same subjects (common random numbers). Returns arrays over (course, month) — ``count``
    (mean true inflammatory count), ``percent`` (mean true percent change from baseline),
    ``pih_index`` and ``ecca_score`` (mean true scores) — and the Monte Carlo standard errors
    ``se_difference_<measure>`` (course x course x month, of the paired difference),
    ``se_log_ratio`` (course x course x month, of the log ratio of mean counts, delta method)
    and ``se_change_<measure>`` (course x month, of the mean change from baseline).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> state = {"true_inflammatory": rng.poisson(20, (50, 9)) + 1,
    ...          "true_pih_index": rng.integers(0, 12, (50, 9)),
    ...          "true_ecca": rng.integers(0, 100, (50, 9))}
    >>> summary = course_summary({name: state for name in model.COURSES})
    >>> summary["count"].shape, float(summary["se_difference_pih_index"].max())
    ((3, 9), 0.0)
    """
    per_subject = {
        "percent": lambda state: (
            100.0
            * (state["true_inflammatory"] - state["true_inflammatory"][:, [0]])
            / state["true_inflammatory"][:, [0]]
        ),
        "pih_index": lambda state: state["true_pih_index"].astype(float),
        "ecca_score": lambda state: state["true_ecca"].astype(float),
    }
    values = {
        measure: np.stack([function(states[name]) for name in model.COURSES])
        for measure, function in per_subject.items()
    }
    counts = np.stack([states[name]["true_inflammatory"].astype(float) for name in model.COURSES])
    n = counts.shape[1]
    out = {"count": counts.mean(axis=1)}
    for measure, array in values.items():
        out[measure] = array.mean(axis=1)
        out[f"se_difference_{measure}"] = _paired_difference_sd(array) / np.sqrt(n)
        change = array - array[:, :, [0]] if measure != "percent" else array
        out[f"se_change_{measure}"] = change.std(axis=1, ddof=1) / np.sqrt(n)
    influence = counts / out["count"][:, None, :]
    with np.errstate(invalid="ignore"):
        spread = _paired_difference_sd(influence)
    out["se_log_ratio"] = np.nan_to_num(spread) / np.sqrt(n)
    return out


def _paired_difference_sd(array: np.ndarray) -> np.ndarray:
    """SD over subjects of ``array[a] - array[b]`` for every pair of courses (a, b), by month.

    ``array`` is (course, subject, month); from the courses' covariance by month,
    var(a - b) = var(a) + var(b) - 2 cov(a, b): one product of the centred values instead of
    the (course x course x subject x month) array of differences.

    >>> array = np.random.default_rng(1).normal(size=(3, 40, 2))
    >>> direct = (array[:, None] - array[None, :]).std(axis=2, ddof=1)
    >>> bool(np.allclose(_paired_difference_sd(array), direct, rtol=1e-12, atol=1e-12))
    True
    """
    centred = array - array.mean(axis=1, keepdims=True)
    covariance = np.einsum("anm,bnm->abm", centred, centred) / (array.shape[1] - 1)
    variance = np.diagonal(covariance, axis1=0, axis2=1).T  # (course, month)
    paired = variance[:, None] + variance[None, :] - 2 * covariance
    return np.sqrt(np.maximum(paired, 0.0))


def contrasts(
    summary: dict,
    *,
    arms: Sequence[tuple[str, str]],
    months: Sequence[int],
    visit_unit: str = "months",
    outcomes: Collection[str] = CONTRAST_OUTCOMES,
) -> list[dict]:
    """The design's true contrasts: records ``{"outcome", "visit", "contrast", "scale", "value",
    "monte_carlo_se", "definition"}``.

    For each non-reference arm against the reference (``arms[0]``) at each scheduled
    post-baseline visit (``months``, written in ``visit_unit``): ``inflammatory_lesions``
    on the ``rate ratio`` scale (``"<arm> / <reference>"``, ratio of the true marginal mean
    counts), ``percent change in inflammatory_lesions`` on the ``mean difference`` scale
    (difference in the mean true percent change from baseline), ``pih_index`` and
    ``ecca_score`` on the ``mean difference`` scale (``"<arm> - <reference>"``). With a single
    arm: its mean change from baseline (``contrast`` = the label; ``mean change`` for
    ``pih_index`` and ``ecca_score``, ``mean percent change`` for the lesions) and nothing
    else. Only outcomes in ``outcomes`` are given.

    Examples
    --------
    >>> from acne_outcomes.simulate.defaults import resolve_parameters
    >>> truth = true_values(resolve_parameters({}), "rct", months=[0, 3], visit_unit="weeks",
    ...     arms=[("untreated", "vehicle"), ("isotretinoin", "iso")], outcomes=["pih_index"])
    >>> [(r["outcome"], r["visit"], r["contrast"], r["scale"]) for r in truth["contrasts"]]
    [('pih_index', 13, 'iso - vehicle', 'mean difference')]
    """
    index = {int(month): i for i, month in enumerate(model.MONTHS)}
    later = [int(month) for month in months if int(month) != 0]
    visits = dict(zip(later, visit_in_unit(later, visit_unit).tolist(), strict=True))
    column = standard.visit_column(visit_unit)
    code = {label: model.COURSES.index(course) for course, label in arms}
    reference = arms[0][1]
    measures = [
        measure
        for outcome in CONTRAST_OUTCOMES
        if outcome in outcomes
        for measure in (("count", "percent") if outcome == "inflammatory_lesions" else (outcome,))
    ]
    records = []
    for measure in measures:
        outcome = _OUTCOME_OF.get(measure, measure)
        for month in later:
            t, visit = index[month], int(visits[month])
            at = f"{column} {visit}"
            if len(arms) == 1:
                if measure != "count":
                    records.append(_within(summary, measure, outcome, code[reference], reference,
                                           t, visit, at))  # fmt: skip
                continue
            for _, label in arms[1:]:
                a, r = code[label], code[reference]
                if measure == "count":
                    ratio = summary["count"][a, t] / summary["count"][r, t]
                    se = ratio * summary["se_log_ratio"][a, r, t]
                    contrast, scale, value = f"{label} / {reference}", "rate ratio", ratio
                    definition = f"ratio of the mean true {_LABELS[measure]} at {at}"
                else:
                    se = summary[f"se_difference_{measure}"][a, r, t]
                    contrast, scale = f"{label} - {reference}", "mean difference"
                    value = summary[measure][a, t] - summary[measure][r, t]
                    definition = f"difference in the mean true {_LABELS[measure]} at {at}"
                records.append(_record(outcome, visit, contrast, scale, value, se,
                                       f"{definition}, {contrast}"))  # fmt: skip
    return records


def _within(summary, measure, outcome, a, label, t, visit, at) -> dict:
    """One arm's mean (percent) change from baseline to month index ``t``."""
    if measure == "percent":
        value, scale = summary["percent"][a, t], "mean percent change"
        definition = f"mean true {_LABELS[measure]} to {at} on {label}"
    else:
        value, scale = summary[measure][a, t] - summary[measure][a, 0], "mean change"
        definition = f"mean change in the true {_LABELS[measure]} from baseline to {at} on {label}"
    se = summary[f"se_change_{measure}"][a, t]
    return _record(outcome, visit, label, scale, value, se, definition)


def _record(outcome, visit, contrast, scale, value, se, definition) -> dict:
    return {"outcome": outcome, "visit": visit, "contrast": contrast, "scale": scale,
            "value": float(value), "monte_carlo_se": float(se), "definition": definition}  # fmt: skip


def true_contrast(truth: dict, *, outcome: str, visit, contrast: str, scale: str) -> float:
    """The true value of one contrast of ``truth["contrasts"]``.

    The arguments are what a statistics helper writes in its tidy frame's ``outcome``,
    ``visit``, ``contrast`` and ``scale`` columns (the visit in the design's unit).

    Raises
    ------
    KeyError
        No such contrast; the message lists the outcomes, visits, contrasts and scales the
        truth has.

    Examples
    --------
    >>> from acne_outcomes.simulate.defaults import resolve_parameters
    >>> truth = true_values(resolve_parameters({}), "rct")
    >>> round(true_contrast(truth, outcome="inflammatory_lesions", visit=5,
    ...                     contrast="isotretinoin / comparator", scale="rate ratio"), 2)
    0.31
    >>> true_contrast(truth, outcome="pih_index", visit=7, contrast="x", scale="mean")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    KeyError: "no true contrast outcome='pih_index', visit=7, contrast='x', scale='mean'; ...
    """
    records = (truth or {}).get("contrasts", [])
    for record in records:
        if (
            record["outcome"] == outcome
            and record["contrast"] == contrast
            and record["scale"] == scale
            and _same_visit(record["visit"], visit)
        ):
            return float(record["value"])

    def listed(key):
        values = {record[key] for record in records}
        return sorted(values) if key == "visit" else sorted(values, key=str)

    raise KeyError(
        f"no true contrast outcome={outcome!r}, visit={visit!r}, contrast={contrast!r}, "
        f"scale={scale!r}; the truth has outcomes {listed('outcome')}, visits "
        f"{listed('visit')}, contrasts {listed('contrast')} and scales {listed('scale')}"
    )


def _same_visit(recorded, visit) -> bool:
    try:
        return float(recorded) == float(visit)
    except (TypeError, ValueError):
        return False


def _jsonable(parameters: dict) -> dict:
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in parameters.items()
    }
