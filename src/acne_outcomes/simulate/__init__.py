"""Synthetic acne studies with known truth: :func:`simulate_study`.

The generative model is described in ``docs/generator.md`` (the model card); defaults and
their sources are in :mod:`acne_outcomes.simulate.defaults`, the scenarios in
:mod:`acne_outcomes.simulate.scenarios`, the design knobs (arms, visits, visit unit, outcomes
and tables collected) in :mod:`acne_outcomes.simulate.plan`, the true estimands and the
design's true contrasts in :mod:`acne_outcomes.simulate.truth`.

Examples
--------
>>> study = simulate_study(n_subjects=20, seed=1)
>>> study.n_subjects, study.subjects["subject_id"].iloc[0]
(20, 'S000001')
"""

from __future__ import annotations

import copy
from importlib.metadata import version

import numpy as np

from acne_outcomes.simulate import model
from acne_outcomes.simulate.assemble import assemble
from acne_outcomes.simulate.defaults import DEFAULTS, defaults_table, resolve_parameters
from acne_outcomes.simulate.plan import generator_outcomes, make_plan
from acne_outcomes.simulate.scenarios import SCENARIOS
from acne_outcomes.simulate.truth import true_contrast, true_values
from acne_outcomes.study import Study

__all__ = [
    "BLOCK_SIZE",
    "DEFAULTS",
    "SCENARIOS",
    "defaults_table",
    "simulate_study",
    "true_contrast",
]

BLOCK_SIZE = 4096
#: The most subjects one study may have (about 9 million visit rows), the most worker
#: threads, and the largest seed: bounds that keep a mistyped number from exhausting memory.
MAX_SUBJECTS = 1_000_000
MAX_JOBS = 256
MAX_SEED = 2**63 - 1
_VERSION = version("acne-outcomes")  # recorded in every synthetic study's metadata


def simulate_study(
    scenario: str = "rct",
    n_subjects: int | None = None,
    seed: int = 0,
    *,
    n_jobs: int = 1,
    arms=None,
    visits=None,
    visit_unit: str | None = None,
    outcomes=None,
    tables=None,
    **parameters,
) -> Study:
    """Simulate a longitudinal acne study with known truth.

    Parameters
    ----------
    scenario : str
        One of ``rct`` (default), ``single_arm``, ``observational``, ``flare_enrollment``,
        ``informative_dropout`` (see ``SCENARIOS`` and the model card).
    n_subjects : int, optional
        Number of enrolled subjects, 1 to :data:`MAX_SUBJECTS`; the scenario's default (266
        for ``rct``) if omitted.
    seed : int
        Non-negative seed (at most :data:`MAX_SEED`); the same seed and parameters give
        identical tables.
    n_jobs : int
        Worker threads (joblib, at most :data:`MAX_JOBS`) generating the fixed-size subject
        blocks and then building the tables; the result does not depend on it.
    arms : sequence or mapping, optional
        Which model courses (``isotretinoin``, ``comparator``, ``untreated`` = the natural
        course) are the arms, with their labels and display names, the reference first: e.g.
        ``[("comparator", "vehicle"), ("isotretinoin", "sarecycline", "Sarecycline")]`` or
        ``{"untreated": "vehicle", "isotretinoin": "drug"}``; one to three arms (forms in
        :func:`acne_outcomes.simulate.plan.make_plan`). Default: comparator and isotretinoin,
        or isotretinoin alone in ``single_arm``. Allocation is equal across arms, except that
        ``allocation_isotretinoin`` applies to two arms of which one is isotretinoin.
    visits : sequence of int, optional
        The scheduled visits as native months, a subset of 0, 1, 2, 3, 4, 5, 6, 9, 12 with
        0 (e.g. ``(0, 3, 6)``); other visits, and their labs, are not generated.
    visit_unit : {"months", "weeks", "days"}, optional
        Names the visit column ``month``, ``week`` or ``day``, holding the native month
        converted (weeks = round(month x 52/12), days = round(month x 365.25/12));
        ``study_day`` stays the actual day. Default months.
    outcomes : iterable of str, optional
        The visit measurements collected (the others' columns are all missing); default every
        measurement the generator makes (all but ``melanin_index_difference``).
    tables : iterable of str, optional
        The tables collected: ``subjects`` and ``visits`` always, ``adverse_events`` and
        ``labs`` if listed (else empty). Default all four.
    **parameters
        Overrides of the defaults (``defaults_table()`` lists names, values and sources),
        applied on top of the scenario's own settings.

    Returns
    -------
    Study
        The four tables conformed to the data standard; ``design`` (exactly what was
        generated); ``metadata`` (scenario, seed, parameters and, when any was given, the
        design knobs) and ``truth`` (true parameters, estimands and the design's true
        ``contrasts``, JSON-serialisable; look one up with :func:`true_contrast`).

    Raises
    ------
    ValueError
        Unknown scenario, parameter or knob values (naming the allowed ones), impossible
        values, or a design the assignment rule cannot produce (``single_arm`` with several
        arms, ``by_indication`` without two arms one of which is isotretinoin, an explicit
        ``allocation_isotretinoin`` that does not apply).

    Notes
    -----
    Subjects are generated in blocks of ``BLOCK_SIZE`` with one random stream per purpose
    spawned from ``SeedSequence(seed, spawn_key=(block,))``. The truth targets the
    hypothetical estimand (had every subject stayed on the assigned treatment), on the true
    state without rater error, averaged over the enrolled population; it is computed by a
    cached Monte Carlo run of the same model (``truth.MONTE_CARLO_SUBJECTS`` subjects, fixed
    seed). The model, its sources and assumptions are described in ``docs/generator.md``.

    Examples
    --------
    >>> study = simulate_study("single_arm", n_subjects=10, seed=3, pih_effect=0.0)
    >>> study.subjects["arm"].unique().tolist()
    ['isotretinoin']
    >>> round(study.truth["estimands"]["pih_index_difference_month12"]["difference"], 6) <= 0
    True
    >>> trial = simulate_study(n_subjects=30, seed=1, visits=(0, 3, 6), visit_unit="weeks",
    ...     arms=[("untreated", "vehicle", "Vehicle"), ("isotretinoin", "drug", "Drug")])
    >>> trial.design.visits, trial.subjects["arm"].cat.categories.tolist()
    ((0, 13, 26), ['vehicle', 'drug'])
    >>> value = true_contrast(trial.truth, outcome="pih_index", visit=26,
    ...                       contrast="drug - vehicle", scale="mean difference")
    """
    if scenario not in SCENARIOS:
        raise ValueError(
            f"unknown scenario {scenario!r}; allowed scenarios are {sorted(SCENARIOS)}"
        )
    chosen = SCENARIOS[scenario]
    n_subjects = chosen.n_subjects if n_subjects is None else n_subjects
    _check_integer("n_subjects", n_subjects, 1, MAX_SUBJECTS)
    _check_integer("seed", seed, 0, MAX_SEED)
    _check_integer("n_jobs", n_jobs, 1, MAX_JOBS)
    explicit = {**chosen.overrides, **parameters}
    resolved = resolve_parameters(explicit)
    knobs = {"arms": arms, "visits": visits, "visit_unit": visit_unit, "outcomes": outcomes,
             "tables": tables}  # fmt: skip
    plan = make_plan(resolved, **knobs, explicit=explicit)
    sizes = [min(BLOCK_SIZE, n_subjects - start) for start in range(0, n_subjects, BLOCK_SIZE)]
    blocks = _generate(resolved, sizes, seed, n_jobs, plan.courses, plan.scheduled)
    tables = assemble(
        blocks, sizes, resolved["n_sites"], plan.arm_labels, list(plan.labels),
        visit_unit=plan.visit_unit, outcomes=plan.outcomes, tables=plan.tables, n_jobs=n_jobs,
    )  # fmt: skip
    truth = true_values(
        resolved, scenario, arms=[(model.COURSES[c], label) for c, label in plan.arm_labels.items()],
        months=plan.months, visit_unit=plan.visit_unit, outcomes=plan.outcomes,
    )  # fmt: skip
    metadata = {
        "source": "synthetic",
        "generator": "acne_outcomes.simulate",
        "version": _VERSION,
        "scenario": scenario,
        "seed": int(seed),
        "n_subjects": int(n_subjects),
        "block_size": BLOCK_SIZE,
        "parameters": copy.deepcopy(truth["parameters"]),
        "rows_loaded": {name: len(frame) for name, frame in tables.items()},
    }
    if any(value is not None for value in knobs.values()):
        metadata["design_knobs"] = plan.knobs()
    # The tables are built in the standard's dtypes (assemble.py; the tests check that
    # study.conform leaves them unchanged), so the Study is made without re-conforming.
    # The design lists the outcomes with a value (an untreated arm alone has no adherence).
    design = plan.design(name for name in plan.outcomes if tables["visits"][name].notna().any())
    return Study(**tables, metadata=metadata, truth=truth, design=design)


def design_outcomes() -> tuple[str, ...]:
    """The visit measurements the generator can produce (``melanin_index_difference`` is not)."""
    return generator_outcomes()


def _check_integer(name: str, value, minimum: int, maximum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value > maximum:
        raise ValueError(f"{name} must be at most {maximum:,}, got {value:,}")


def _generate(
    parameters: dict, sizes: list[int], seed: int, n_jobs: int, courses, scheduled
) -> list[dict]:
    if n_jobs == 1 or len(sizes) == 1:
        return [
            model.generate_block(parameters, size, seed, b, courses, scheduled)
            for b, size in enumerate(sizes)
        ]
    from joblib import Parallel, delayed

    # Threads, not processes: numpy releases the GIL in the bulk of a block's work, and a
    # block's arrays need not be pickled back (processes were no faster at 10^6 subjects).
    return Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(model.generate_block)(parameters, size, seed, b, courses, scheduled)
        for b, size in enumerate(sizes)
    )
