"""Synthetic acne studies with known truth: :func:`simulate_study`.

The generative model is described in ``docs/generator.md`` (the model card); defaults and
their sources are in :mod:`acne_outcomes.simulate.defaults`, the designs in
:mod:`acne_outcomes.simulate.scenarios`, the true estimands in
:mod:`acne_outcomes.simulate.truth`.

Examples
--------
>>> study = simulate_study(n_subjects=20, seed=1)
>>> study.n_subjects, study.subjects["subject_id"].iloc[0]
(20, 'S000001')
"""

from __future__ import annotations

import copy
from dataclasses import replace
from importlib.metadata import version

import numpy as np

from acne_outcomes import standard
from acne_outcomes.design import Arm, Design
from acne_outcomes.simulate import model
from acne_outcomes.simulate.assemble import assemble
from acne_outcomes.simulate.defaults import DEFAULTS, defaults_table, resolve_parameters
from acne_outcomes.simulate.scenarios import SCENARIOS
from acne_outcomes.simulate.truth import true_values
from acne_outcomes.study import Study

__all__ = ["BLOCK_SIZE", "DEFAULTS", "SCENARIOS", "defaults_table", "simulate_study"]

BLOCK_SIZE = 4096
_VERSION = version("acne-outcomes")  # recorded in every synthetic study's metadata


def simulate_study(
    scenario: str = "rct",
    n_subjects: int | None = None,
    seed: int = 0,
    *,
    n_jobs: int = 1,
    **parameters,
) -> Study:
    """Simulate a longitudinal acne study with known truth.

    Parameters
    ----------
    scenario : str
        One of ``rct`` (default), ``single_arm``, ``observational``, ``flare_enrollment``,
        ``informative_dropout`` (see ``SCENARIOS`` and the model card).
    n_subjects : int, optional
        Number of enrolled subjects; the scenario's default (266 for ``rct``) if omitted.
    seed : int
        Non-negative seed; the same seed and parameters give identical tables.
    n_jobs : int
        Worker processes (joblib) generating the fixed-size subject blocks; the result does
        not depend on it.
    **parameters
        Overrides of the defaults (``defaults_table()`` lists names, values and sources),
        applied on top of the scenario's own settings.

    Returns
    -------
    Study
        The four tables conformed to the data standard; ``metadata`` (scenario, seed,
        parameters) and ``truth`` (true parameters and estimands, JSON-serialisable).

    Raises
    ------
    ValueError
        Unknown scenario or parameter names (naming the allowed ones) or impossible values.

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
    """
    if scenario not in SCENARIOS:
        raise ValueError(
            f"unknown scenario {scenario!r}; allowed scenarios are {sorted(SCENARIOS)}"
        )
    chosen = SCENARIOS[scenario]
    n_subjects = chosen.n_subjects if n_subjects is None else n_subjects
    _check_integer("n_subjects", n_subjects, 1)
    _check_integer("seed", seed, 0)
    _check_integer("n_jobs", n_jobs, 1)
    resolved = resolve_parameters({**chosen.overrides, **parameters})
    sizes = [min(BLOCK_SIZE, n_subjects - start) for start in range(0, n_subjects, BLOCK_SIZE)]
    blocks = _generate(resolved, sizes, seed, n_jobs)
    design = _design(resolved)
    labels = {code: label for code, label in enumerate(model.ARMS) if label in design.labels}
    tables = assemble(blocks, sizes, resolved["n_sites"], labels, design.labels)
    truth = true_values(resolved, scenario)
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
    # The tables are built in the standard's dtypes (assemble.py; the tests check that
    # study.conform leaves them unchanged), so the Study is made without re-conforming.
    outcomes = tuple(name for name in design_outcomes() if tables["visits"][name].notna().any())
    design = replace(design, outcomes=outcomes)
    return Study(**tables, metadata=metadata, truth=truth, design=design)


def design_outcomes() -> tuple[str, ...]:
    """The visit measurements the generator can produce (``melanin_index_difference`` is not)."""
    return tuple(name for name in standard.outcome_families() if name != "melanin_index_difference")


def _design(parameters: dict) -> Design:
    """The generator's design: comparator (the reference) and isotretinoin, or isotretinoin
    alone for a single-arm study; visits at months 0-6, 9 and 12; treatment to month 5."""
    arms = [Arm(label, label) for label in reversed(model.ARMS)]
    if parameters["treatment_assignment"] == "single_arm":
        arms = [Arm(model.ARMS[0], model.ARMS[0])]
    return Design(
        arms=tuple(arms),
        visit_unit="months",
        visits=tuple(int(month) for month in model.MONTHS),
        end_of_treatment=int(model.MONTHS[model.END_OF_TREATMENT_VISIT]),
        primary_visits={"lesions": 5, "scars": 12, "pih": 12},
        outcomes=design_outcomes(),
        tables=standard.TABLES,
    )


def _check_integer(name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _generate(parameters: dict, sizes: list[int], seed: int, n_jobs: int) -> list[dict]:
    if n_jobs == 1 or len(sizes) == 1:
        return [model.generate_block(parameters, size, seed, b) for b, size in enumerate(sizes)]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n_jobs)(
        delayed(model.generate_block)(parameters, size, seed, b) for b, size in enumerate(sizes)
    )
