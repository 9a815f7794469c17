"""The small logic behind the evidence-appraisal lessons (``notebooks/teaching``).

Each lesson shows a pitfall with numbers from a design diagnosis against the known truth
(:func:`acne_outcomes.appraisal.diagnose.diagnose`) or from a purpose-built simulation here:

* :func:`run_diagnosis` / :func:`diagnose_settings` — diagnoses with the lessons' executor
  rule, several settings in one tidy table; :func:`diagnosis_table` formats one for print;
  :func:`coverage_check` says whether a shortfall in coverage comes from bias or from
  intervals that are too narrow.
* The analyses the lessons compare are strategies of the one registry,
  :mod:`acne_outcomes.appraisal.strategies`; the lessons' figures are in
  :mod:`acne_outcomes.figures.teaching`; their sentences and people-friendly tables in
  :mod:`acne_outcomes.appraisal.present`.
* Dropout (:func:`dropout_summary`, :func:`sourced_dropout`, :func:`missingness_settings`
  with :func:`mcar_parameters`), subgroup fishing (:func:`subgroup_tests`,
  :func:`subgroup_fishing`, :func:`null_family_tests`, :func:`fishing_summary`,
  :func:`subgroup_count`), the winner's curse (:func:`normal_winners_curse`,
  :func:`winners_curse_table`, and the exact :func:`power_of`,
  :func:`standard_error_for_power` and :func:`winners_curse_at_power`) and measurement error
  (:func:`apparent_improvement`, :func:`rater_noise_parameters`).
* :func:`claims_evidence`: for each claim of the ledger with a simulation, what naive and
  better evidence look like when the truth is known — how often each is significant in the
  direction the claim predicts and against it (:func:`direction_shares`), and how often it
  covers the truth.

Nothing here is evidence about isotretinoin: the numbers describe the generator's
synthetic studies, whose truth is set by the lesson.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import optimize
from scipy import stats as scipy_stats

from acne_outcomes import derive
from acne_outcomes.appraisal import strategies
from acne_outcomes.appraisal.claims import claims_records
from acne_outcomes.appraisal.diagnose import CODE, diagnose, replicate_seeds
from acne_outcomes.appraisal.present import number, with_mcse
from acne_outcomes.appraisal.strategies import Strategy
from acne_outcomes.cache import cached
from acne_outcomes.checks import NotEstimable
from acne_outcomes.simulate import simulate_study
from acne_outcomes.simulate.defaults import DEFAULTS
from acne_outcomes.stats.ancova import fit_ancova
from acne_outcomes.stats.descriptive import two_sample_t
from acne_outcomes.stats.multiplicity import adjust_p_values

SERIAL_UP_TO = 50  # n_sims at or below this run serially (process start-up costs more)
PIH_NULL = {"pih_effect": 0.0, "pih_formation_rate": 0.0}
SCAR_NULL = {"scar_formation_rate": 0.0}
SHARED_SCAR_REMODELLING = {
    "scar_formation_rate": 0.0,
    "scar_remodelling_isotretinoin": -0.1,
    "scar_remodelling_comparator": -0.1,
}
ALL_NULL = {**PIH_NULL, **SCAR_NULL, "lesion_effect_scale": 0.0}
NULL_ENDPOINTS = (
    "inflammatory_lesions",
    "comedones",
    "iga",
    "ecca_score",
    "pih_macules",
    "pih_index",
)
RATER_KNOBS = ("pih_number_rater_sd", "pih_size_rater_sd", "pih_intensity_rater_sd")
MISSINGNESS = (
    "MCAR: anyone may leave",
    "MAR: leaving depends on arm and adverse events",
    "MNAR: poor responders leave",
)


# --------------------------------------------------------------------------- diagnoses


def executor_for(n_sims: int, jobs: int | None) -> tuple[str, int | None]:
    """The executor a lesson uses: serial for few studies or one job, else processes.

    >>> executor_for(20, None), executor_for(200, 2), executor_for(200, 1)
    (('serial', 1), ('processes', 2), ('serial', 1))
    """
    if n_sims <= SERIAL_UP_TO or jobs == 1:
        return "serial", 1
    return "processes", jobs


def run_diagnosis(
    scenario: str,
    analyses: Sequence[Strategy],
    *,
    n_sims: int,
    seed: int = 0,
    jobs: int | None = None,
    return_replicates: bool = False,
    **parameters,
):
    """:func:`~acne_outcomes.appraisal.diagnose.diagnose` with the lessons' executor rule.

    Serial when ``n_sims`` ≤ 50 or ``jobs`` = 1, else local processes (``jobs`` workers, all
    cores when None); no progress bar. The result does not depend on the executor. Each
    diagnosis is kept on disk by its inputs (``diagnose(..., cache=True)``), so a rebuild of
    the lessons runs none it has run before.

    Examples
    --------
    >>> summary = run_diagnosis("rct", [strategies.BEFORE_AFTER_PIH], n_sims=3,
    ...                         n_subjects=60, **PIH_NULL)
    >>> summary[["strategy", "truth", "n_sims"]].values.tolist()
    [['before-after (treated arm only), PIH month 12', 0.0, 3]]
    """
    executor, n_jobs = executor_for(n_sims, jobs)
    return diagnose(
        scenario, list(analyses), n_sims=n_sims, seed=seed, executor=executor, n_jobs=n_jobs,
        progress=False, return_replicates=return_replicates, cache=True, **parameters,
    )  # fmt: skip


def diagnose_settings(
    settings: Sequence[Mapping], *, n_sims: int, seed: int = 0, jobs: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Diagnose several settings (scenario, strategies, parameters) into one table.

    Parameters
    ----------
    settings : sequence of mapping
        Each with ``label`` (str), ``scenario`` (str), ``analyses`` (strategies) and optional
        ``parameters`` (generator overrides, including ``n_subjects``).
    n_sims, seed, jobs
        As :func:`run_diagnosis`; every setting uses the same ``seed``.

    Returns
    -------
    (summary, replicates)
        The diagnosis summaries and the per-study results, each with a first column
        ``setting`` (the label).

    Examples
    --------
    >>> summary, replicates = diagnose_settings(
    ...     [{"label": "small", "scenario": "rct", "analyses": [strategies.MMRM_PIH],
    ...       "parameters": {"n_subjects": 60}}], n_sims=2)
    >>> summary["setting"].tolist(), len(replicates)
    (['small'], 2)
    """
    summaries, replicates = [], []
    for setting in settings:
        summary, rows = run_diagnosis(
            setting["scenario"], setting["analyses"], n_sims=n_sims, seed=seed, jobs=jobs,
            return_replicates=True, **dict(setting.get("parameters", {})),
        )  # fmt: skip
        summaries.append(summary.assign(setting=setting["label"]))
        replicates.append(rows.assign(setting=setting["label"]))
    first = ["setting"]
    summary = pd.concat(summaries, ignore_index=True)
    rows = pd.concat(replicates, ignore_index=True)
    return summary[first + [c for c in summary.columns if c not in first]], rows[
        first + [c for c in rows.columns if c not in first]
    ]


def diagnosis_table(summary: pd.DataFrame, *, digits: int = 2) -> pd.DataFrame:
    """A diagnosis summary formatted for print: values with their Monte Carlo SE.

    Columns: ``setting`` (when present), ``strategy``, ``studies``, ``failed``, ``truth``,
    ``mean estimate``, ``bias (MCSE)``, ``RMSE``, ``coverage (MCSE)`` and ``rejection rate
    (MCSE)`` — the last two in percent.

    Examples
    --------
    >>> summary = pd.DataFrame({"strategy": ["naive"], "n_sims": [200], "n_failed": [0],
    ...     "truth": [0.0], "mean_estimate": [-0.5], "bias": [-0.5], "bias_mcse": [0.01],
    ...     "rmse": [0.52], "coverage": [0.0], "coverage_mcse": [0.0],
    ...     "rejection_rate": [1.0], "rejection_mcse": [0.0]})
    >>> diagnosis_table(summary).iloc[0, 3:].tolist()
    ['0.00', '-0.50', '-0.50 (0.01)', '0.52', '0.0% (0.0)', '100.0% (0.0)']
    """
    table = pd.DataFrame(
        {
            "strategy": summary["strategy"],
            "studies": summary["n_sims"].astype(int),
            "failed": summary["n_failed"].astype(int),
            "truth": [number(value, digits) for value in summary["truth"]],
            "mean estimate": [number(value, digits) for value in summary["mean_estimate"]],
            "bias (MCSE)": [
                with_mcse(v, s, digits)
                for v, s in zip(summary["bias"], summary["bias_mcse"], strict=True)
            ],
            "RMSE": [number(value, digits) for value in summary["rmse"]],
            "coverage (MCSE)": [
                with_mcse(v, s, digits, as_percent=True)
                for v, s in zip(summary["coverage"], summary["coverage_mcse"], strict=True)
            ],
            "rejection rate (MCSE)": [
                with_mcse(v, s, digits, as_percent=True)
                for v, s in zip(summary["rejection_rate"], summary["rejection_mcse"], strict=True)
            ],
        }
    )
    if "setting" in summary.columns:
        table.insert(0, "setting", summary["setting"].to_numpy())
    return table.reset_index(drop=True)


def pick(summary: pd.DataFrame, strategy: Strategy | str, setting: str | None = None) -> pd.Series:
    """The summary row of one strategy (and setting), to quote its numbers in text.

    >>> summary = pd.DataFrame({"strategy": ["a", "b"], "rejection_rate": [0.05, 1.0]})
    >>> float(pick(summary, "b")["rejection_rate"])
    1.0
    """
    name = strategy.name if isinstance(strategy, Strategy) else strategy
    rows = summary[summary["strategy"] == name]
    if setting is not None:
        rows = rows[rows["setting"] == setting]
    if len(rows) != 1:
        raise ValueError(f"expected one row for {name!r} (setting {setting!r}), found {len(rows)}")
    return rows.iloc[0]


# --------------------------------------------------------------------------- subgroup fishing


def _ancova_test(values, treated, baseline) -> tuple[float, float, float, float]:
    """Arm effect, 95% CI and p-value of an ANCOVA on the baseline; NaN where not estimable."""
    try:
        fit = fit_ancova(values, treated.astype(int), 2, baseline[:, None])
    except NotEstimable:
        return (math.nan,) * 4
    test = fit.difference_test()
    if fit.df < 2 or not test["se"] > 0:
        return (math.nan,) * 4
    return test["estimate"], test["ci_low"], test["ci_high"], test["p_value"]


def subgroup_tests(
    study, *, endpoints: Sequence[str] = NULL_ENDPOINTS, visit: int = 12, min_per_arm: int = 5
) -> pd.DataFrame:
    """Every endpoint in every Fitzpatrick subgroup (and overall): ANCOVA arm effect at ``visit``.

    Each test regresses the ``visit`` value on treatment and the baseline value among the
    subjects observed at both (complete cases). A subgroup with fewer than ``min_per_arm``
    such subjects in an arm is not tested.

    Returns
    -------
    DataFrame
        ``endpoint``, ``subgroup`` ("all" or "Fitzpatrick I" ...), ``estimate``, ``ci_low``,
        ``ci_high``, ``p_value``, ``n`` — one row per test.

    Examples
    --------
    >>> tests = subgroup_tests(simulate_study("rct", n_subjects=120, seed=1))
    >>> tests["subgroup"].iloc[0], set(tests["endpoint"]) == set(NULL_ENDPOINTS)
    ('all', True)
    """
    frame = derive.analysis_frame(study)
    frame = frame[frame["month"].isin([0, visit])]
    rows = []
    for endpoint in endpoints:
        wide = frame.pivot_table(
            index="subject_id", columns="month", values=endpoint, aggfunc="first"
        )
        wide = wide.dropna().rename(columns={0: "baseline", visit: "value"})
        if "value" not in wide:
            continue
        subjects = study.subjects.set_index("subject_id").loc[wide.index]
        treated = (subjects["arm"] == strategies.TREATED).to_numpy(float)
        groups = [("all", np.ones(len(wide), bool))] + [
            (f"Fitzpatrick {level}", (subjects["fitzpatrick"].astype(str) == level).to_numpy())
            for level in subjects["fitzpatrick"].cat.categories
        ]
        for name, members in groups:
            arm_counts = (treated[members].sum(), (1 - treated[members]).sum())
            if min(arm_counts) < min_per_arm:
                continue
            estimate, low, high, p_value = _ancova_test(
                wide["value"].to_numpy(float)[members], treated[members],
                wide["baseline"].to_numpy(float)[members],
            )  # fmt: skip
            rows.append({"endpoint": endpoint, "subgroup": name, "estimate": estimate,
                         "ci_low": low, "ci_high": high, "p_value": p_value,
                         "n": int(members.sum())})  # fmt: skip
    return pd.DataFrame(rows, columns=["endpoint", "subgroup", "estimate", "ci_low", "ci_high",
                                       "p_value", "n"])  # fmt: skip


def _fishing_batch(jobs, n_subjects, parameters, endpoints):
    frames = []
    for replicate, seed in jobs:
        study = simulate_study("rct", n_subjects=n_subjects, seed=seed, **parameters)
        frames.append(subgroup_tests(study, endpoints=endpoints).assign(replicate=replicate))
    return frames


def subgroup_fishing(
    *,
    n_sims: int,
    seed: int = 0,
    jobs: int | None = None,
    n_subjects: int | None = None,
    endpoints: Sequence[str] = NULL_ENDPOINTS,
    **parameters,
) -> pd.DataFrame:
    """Simulate ``n_sims`` randomised trials and run :func:`subgroup_tests` on each.

    ``parameters`` go to the generator; with :data:`ALL_NULL` every tested difference is
    truly zero, so every "significant" result is a false positive. The result is kept on disk
    by its inputs (:func:`acne_outcomes.cache.cached`), as the diagnoses are.

    Returns
    -------
    DataFrame
        The tests of all studies, with a first column ``replicate``.

    Examples
    --------
    >>> tests = subgroup_fishing(n_sims=2, n_subjects=80, endpoints=("pih_index",), **ALL_NULL)
    >>> sorted(tests["replicate"].unique().tolist())
    [0, 1]
    """
    inputs = {"n_sims": n_sims, "seed": seed, "n_subjects": n_subjects,
              "endpoints": list(endpoints), "parameters": parameters}  # fmt: skip
    return cached(
        "subgroup-fishing", inputs,
        lambda: _subgroup_fishing(n_sims, seed, jobs, n_subjects, endpoints, parameters),
        code=CODE,
    )  # fmt: skip


def _subgroup_fishing(n_sims, seed, jobs, n_subjects, endpoints, parameters) -> pd.DataFrame:
    seeds = list(enumerate(replicate_seeds(seed, n_sims)))
    executor, n_jobs = executor_for(n_sims, jobs)
    if executor == "serial":
        frames = _fishing_batch(seeds, n_subjects, parameters, endpoints)
    else:
        size = max(1, math.ceil(n_sims / (4 * (n_jobs or 2))))
        batches = [seeds[start : start + size] for start in range(0, n_sims, size)]
        parts = Parallel(n_jobs=n_jobs or -1)(
            delayed(_fishing_batch)(batch, n_subjects, parameters, endpoints) for batch in batches
        )
        frames = [frame for part in parts for frame in part]
    tests = pd.concat(frames, ignore_index=True)
    return tests[["replicate", *[c for c in tests.columns if c != "replicate"]]]


def null_family_tests(k: int, *, n_sims: int, n_per_arm: int = 30, seed: int = 0) -> pd.DataFrame:
    """``k`` independent two-arm comparisons per study, all truly null (normal outcomes, t-tests).

    The reference case for :func:`fishing_summary`: with independent tests the chance of at
    least one p < α is exactly ``1 - (1 - α)^k``.

    Returns
    -------
    DataFrame
        ``replicate``, ``endpoint`` ("test 1" ...), ``subgroup`` ("all"), ``estimate``,
        ``ci_low``, ``ci_high``, ``p_value``, ``n``.

    Examples
    --------
    >>> null_family_tests(3, n_sims=2).shape
    (6, 8)
    """
    rng = np.random.default_rng(seed)
    treated = rng.normal(size=(n_sims, k, n_per_arm))
    control = rng.normal(size=(n_sims, k, n_per_arm))
    test = two_sample_t(treated, control, axis=2)
    return pd.DataFrame({
        "replicate": np.repeat(np.arange(n_sims), k),
        "endpoint": np.tile([f"test {i + 1}" for i in range(k)], n_sims),
        "subgroup": "all", **{key: test[key].ravel() for key in ("estimate", "ci_low", "ci_high", "p_value")},
        "n": 2 * n_per_arm,
    })  # fmt: skip


def fishing_summary(
    tests: pd.DataFrame, *, alpha: float = 0.05, methods: Sequence[str] = ("none", "holm", "bh")
) -> pd.DataFrame:
    """Share of studies with at least one "significant" test, raw and after adjustment.

    Within each study (``replicate``) all its tests form one family; ``"holm"`` and ``"bh"``
    adjust them with :func:`acne_outcomes.stats.multiplicity.adjust_p_values`.

    Returns
    -------
    DataFrame
        One row per method: ``method``, ``studies``, ``tests_per_study`` (mean),
        ``any_significant`` (share of studies with ≥ 1 adjusted p < α),
        ``any_significant_mcse``, ``significant_per_study`` (mean count),
        ``independent_expectation`` = ``1 - (1 - α)^k`` for the mean family size ``k``
        (unadjusted row only).

    Examples
    --------
    >>> summary = fishing_summary(null_family_tests(10, n_sims=400))
    >>> round(float(summary.loc[0, "independent_expectation"]), 3)
    0.401
    """
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    tested = tests[tests["p_value"].notna()]
    groups = [group["p_value"].to_numpy(float) for _, group in tested.groupby("replicate")]
    size = float(np.mean([len(group) for group in groups]))
    rows = []
    for method in methods:
        counts = np.array([
            int(np.sum((p if method == "none" else adjust_p_values(p, method=method)) < alpha))
            for p in groups
        ])  # fmt: skip
        share = float(np.mean(counts > 0))
        rows.append({
            "method": {"none": "unadjusted", "holm": "Holm", "bh": "Benjamini-Hochberg"}.get(method, method),
            "studies": len(groups), "tests_per_study": size, "any_significant": share,
            "any_significant_mcse": math.sqrt(share * (1 - share) / len(groups)),
            "significant_per_study": float(counts.mean()),
            "independent_expectation": 1 - (1 - alpha) ** size if method == "none" else math.nan,
        })  # fmt: skip
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- winner's curse


def normal_winners_curse(
    true_effect: float, standard_error: float, *, n_sims: int = 100_000, alpha: float = 0.05,
    seed: int = 0,
) -> dict:  # fmt: skip
    """What significant studies report when estimates are ``N(true_effect, standard_error²)``.

    Returns
    -------
    dict
        ``power`` (share with p < α, two-sided z-test), ``mean_estimate`` (all studies),
        ``mean_significant`` (mean estimate among significant studies),
        ``exaggeration`` (mean |estimate| among significant / |true effect|, Gelman &
        Carlin's type M error) and ``wrong_sign`` (share of significant studies with the
        wrong sign, type S).

    References
    ----------
    Gelman A, Carlin J (2014). Beyond power calculations: assessing type S (sign) and type M
    (magnitude) errors. Perspect Psychol Sci 9:641-651.

    Examples
    --------
    >>> curse = normal_winners_curse(1.0, 1.0, n_sims=20_000)
    >>> round(curse["power"], 2), curse["exaggeration"] > 2
    (0.17, True)
    """
    if standard_error <= 0 or true_effect == 0:
        raise ValueError("standard_error must be positive and true_effect non-zero")
    estimates = np.random.default_rng(seed).normal(true_effect, standard_error, n_sims)
    significant = np.abs(estimates / standard_error) > scipy_stats.norm.ppf(1 - alpha / 2)
    chosen = estimates[significant]
    return {
        "power": float(significant.mean()),
        "mean_estimate": float(estimates.mean()),
        "mean_significant": float(chosen.mean()) if len(chosen) else math.nan,
        "exaggeration": float(np.abs(chosen).mean() / abs(true_effect)) if len(chosen) else math.nan,
        "wrong_sign": float(np.mean(np.sign(chosen) != np.sign(true_effect))) if len(chosen) else math.nan,
    }  # fmt: skip


def power_of(standard_error: float, *, true_effect: float = 1.0, alpha: float = 0.05) -> float:
    """Power of a two-sided z-test at level ``alpha`` when estimates are N(true effect, SE²).

    Both tails count: P(estimate/SE > z) + P(estimate/SE < -z), z the normal critical value.

    >>> round(power_of(1 / 2.8), 3), round(power_of(1.0), 3)
    (0.8, 0.17)
    """
    critical = scipy_stats.norm.ppf(1 - alpha / 2)
    shift = abs(true_effect) / standard_error
    return float(scipy_stats.norm.cdf(shift - critical) + scipy_stats.norm.cdf(-shift - critical))


def standard_error_for_power(
    power: float, *, true_effect: float = 1.0, alpha: float = 0.05
) -> float:
    """The standard error at which a two-sided z-test of ``true_effect`` has ``power``.

    Solved exactly (both tails, :func:`power_of`), for a power between ``alpha`` and 1.

    Examples
    --------
    >>> se = standard_error_for_power(0.2)
    >>> round(se, 3), round(power_of(se), 4)
    (0.897, 0.2)
    """
    if not alpha < power < 1:
        raise ValueError(f"power must be between alpha ({alpha}) and 1; got {power}")
    return float(optimize.brentq(
        lambda se: power_of(se, true_effect=true_effect, alpha=alpha) - power,
        abs(true_effect) * 1e-6, abs(true_effect) * 1e6, xtol=1e-12,
    ))  # fmt: skip


def winners_curse_at_power(power: float, *, n_sims: int = 200_000, alpha: float = 0.05,
                           seed: int = 0) -> dict:  # fmt: skip
    """What significant studies report when the test has ``power``: the answer to lesson 6's
    exercise 3.

    The true effect is 1 and the standard error the one giving ``power``
    (:func:`standard_error_for_power`); the studies are simulated by
    :func:`normal_winners_curse`.

    Returns
    -------
    dict
        :func:`normal_winners_curse`'s keys and ``standard_error``.

    Examples
    --------
    >>> result = winners_curse_at_power(0.2, n_sims=100_000)
    >>> round(result["power"], 2), round(result["exaggeration"], 1)
    (0.2, 2.3)
    """
    standard_error = standard_error_for_power(power, alpha=alpha)
    result = normal_winners_curse(1.0, standard_error, n_sims=n_sims, alpha=alpha, seed=seed)
    return {**result, "standard_error": standard_error}


def winners_curse_table(replicates: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Per setting and strategy: power, and the mean estimate among the significant studies.

    Parameters
    ----------
    replicates : DataFrame
        Per-study results (:func:`diagnose_settings`), with ``setting``.

    Returns
    -------
    DataFrame
        ``setting``, ``strategy``, ``studies``, ``truth``, ``power``, ``mean_estimate``,
        ``mean_significant`` (mean estimate of the studies with p < α),
        ``exaggeration`` (mean |estimate| among them / |truth|), ``wrong_sign`` (share of
        them with the opposite sign to the truth).

    Examples
    --------
    >>> rows = pd.DataFrame({"setting": "n=20", "strategy": "t", "truth": -1.0, "error": "",
    ...     "estimate": [-3.0, -0.5, 1.0], "p_value": [0.01, 0.4, 0.6]})
    >>> winners_curse_table(rows)[["power", "mean_significant", "exaggeration"]].values.tolist()
    [[0.3333333333333333, -3.0, 3.0]]
    """
    rows = []
    ok = replicates[replicates["error"] == ""]
    for (setting, strategy), group in ok.groupby(["setting", "strategy"], sort=False):
        truth = float(group["truth"].mean())
        significant = group[group["p_value"] < alpha]
        chosen = significant["estimate"].to_numpy(float)
        rows.append({
            "setting": setting, "strategy": strategy, "studies": len(group), "truth": truth,
            "power": float(np.mean(group["p_value"] < alpha)),
            "mean_estimate": float(group["estimate"].mean()),
            "mean_significant": float(chosen.mean()) if len(chosen) else math.nan,
            "exaggeration": float(np.abs(chosen).mean() / abs(truth)) if len(chosen) and truth else math.nan,
            "wrong_sign": float(np.mean(np.sign(chosen) != np.sign(truth))) if len(chosen) else math.nan,
        })  # fmt: skip
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- dropout


def sourced_dropout() -> dict[str, float]:
    """The share of each arm that left by month 5 in the trial the generator follows.

    >>> sourced_dropout()
    {'comparator': 0.21, 'isotretinoin': 0.128}
    """
    return {"comparator": DEFAULTS["dropout_month5_comparator"].value,
            "isotretinoin": DEFAULTS["dropout_month5_isotretinoin"].value}  # fmt: skip


def mcar_parameters() -> dict:
    """Generator settings that make dropout missing completely at random (MCAR).

    The same dropout in both arms (the mean of the trial's two rates), none driven by
    adverse events or pregnancy, none by response: who leaves has nothing to do with arm,
    outcome or anything else.

    >>> parameters = mcar_parameters()
    >>> parameters["dropout_month5_isotretinoin"] == parameters["dropout_month5_comparator"]
    True
    """
    rate = round(sum(sourced_dropout().values()) / 2, 6)
    return {"dropout_month5_isotretinoin": rate, "dropout_month5_comparator": rate,
            "ae_discontinuation_probability": 0.0, "pregnancy_probability_per_month": 0.0,
            "dropout_response_effect": 0.0}  # fmt: skip


def missingness_settings(analyses: Sequence[Strategy]) -> list[dict]:
    """The three missing-data mechanisms side by side, as :func:`diagnose_settings` settings.

    * MCAR — :func:`mcar_parameters` in the ``rct`` scenario;
    * MAR — the ``rct`` scenario: dropout depends on the arm and on adverse events, both
      recorded;
    * MNAR — ``informative_dropout``: poor responders leave, depending on the unobserved
      outcome itself.

    >>> [setting["label"] for setting in missingness_settings([strategies.COMPLETERS])]
    ['MCAR: anyone may leave', 'MAR: leaving depends on arm and adverse events', 'MNAR: poor responders leave']
    """
    return [
        {"label": MISSINGNESS[0], "scenario": "rct", "analyses": list(analyses),
         "parameters": mcar_parameters()},
        {"label": MISSINGNESS[1], "scenario": "rct", "analyses": list(analyses)},
        {"label": MISSINGNESS[2], "scenario": "informative_dropout", "analyses": list(analyses)},
    ]  # fmt: skip


def dropout_summary(
    study, *, visit: int = 5, outcome: str = "inflammatory_lesions"
) -> pd.DataFrame:
    """Per arm: who has no ``outcome`` at ``visit``, who left early, and the leavers' reasons.

    Returns
    -------
    DataFrame
        ``arm``, ``allocated``, ``missing_at_visit`` (share without ``outcome`` at ``visit``),
        ``left_early`` (share who left before the end of follow-up), ``lack_of_efficacy``
        (leavers with that reason) and ``lack_of_efficacy_after_treatment`` (those of them whose
        last visit came after ``visit``, the end of treatment).

    Examples
    --------
    >>> summary = dropout_summary(simulate_study("informative_dropout", n_subjects=120, seed=1))
    >>> summary.columns.tolist()[:3], summary["allocated"].sum()
    (['arm', 'allocated', 'missing_at_visit'], np.int64(120))
    """
    subjects = study.subjects
    observed = study.visits.loc[
        (study.visits["month"] == visit) & study.visits[outcome].notna(), "subject_id"
    ]
    last_visit = study.visits.groupby("subject_id")["month"].max()
    rows = []
    for arm in study.design.labels:
        members = subjects[subjects["arm"] == arm]
        left = members[members["discontinuation_reason"].notna()]
        efficacy = left[left["discontinuation_reason"].astype(str) == "lack_of_efficacy"]
        after = int((last_visit.reindex(efficacy["subject_id"]) > visit).sum())
        rows.append({
            "arm": str(arm), "allocated": len(members),
            "missing_at_visit": 1 - members["subject_id"].isin(observed).mean(),
            "left_early": len(left) / len(members) if len(members) else math.nan,
            "lack_of_efficacy": len(efficacy), "lack_of_efficacy_after_treatment": after,
        })  # fmt: skip
    return pd.DataFrame(rows)


def subgroup_count(tests: pd.DataFrame) -> int:
    """How many subgroups (skin types) were tested, the overall analysis not counted.

    >>> subgroup_count(pd.DataFrame({"subgroup": ["all", "Fitzpatrick I", "Fitzpatrick II"]}))
    2
    """
    return int(tests.loc[tests["subgroup"] != "all", "subgroup"].nunique())


# --------------------------------------------------------------------------- measurement


def rater_noise_parameters(scale: float, knobs: Sequence[str] = RATER_KNOBS) -> dict:
    """Generator overrides multiplying the default rater SDs of ``knobs`` by ``scale``.

    >>> rater_noise_parameters(0.5)["pih_number_rater_sd"]
    0.325
    """
    if scale < 0:
        raise ValueError("scale must be non-negative")
    return {knob: round(DEFAULTS[knob].value * scale, 6) for knob in knobs}


def apparent_improvement(study, *, outcome: str = "scar_grade", visit: int = 12) -> pd.DataFrame:
    """Share of subjects per arm whose observed ``outcome`` at ``visit`` is below baseline.

    With the scar knobs at zero no true grade can fall, so every "improved" subject is rater
    error; ``truth`` gives the true share when the study holds it (scar grade only).

    Returns
    -------
    DataFrame
        ``arm``, ``subjects`` (observed at baseline and ``visit``), ``improved`` (count),
        ``share``, ``truth``.

    Examples
    --------
    >>> table = apparent_improvement(simulate_study("rct", n_subjects=100, seed=1, **SCAR_NULL))
    >>> table["truth"].tolist()
    [0.0, 0.0]
    """
    frame = study.visits[study.visits["month"].isin([0, visit])]
    wide = frame.pivot_table(index="subject_id", columns="month", values=outcome, aggfunc="first")
    wide = wide.dropna()
    arms = study.subjects.set_index("subject_id").loc[wide.index, "arm"].astype(str)
    improved = (wide[visit] < wide[0]).groupby(arms)
    target = (study.truth or {}).get("estimands", {}).get("scar_grade_improvement_month12", {})
    table = pd.DataFrame({"subjects": improved.size(), "improved": improved.sum().astype(int)})
    table["share"] = table["improved"] / table["subjects"]
    table["truth"] = [
        float(target[arm])
        if outcome == "scar_grade" and visit == 12 and arm in target
        else math.nan
        for arm in table.index
    ]
    return table.rename_axis("arm").reset_index()


# --------------------------------------------------------------------------- claims


CLAIM_DESIGNS = {
    ("single_arm", "pih_index_difference_month12"): {
        "label": "uncontrolled before-after, no PIH effect",
        "parameters": PIH_NULL, "naive": strategies.BEFORE_AFTER_PIH,
        "better": ("rct", strategies.MMRM_PIH),
    },
    ("single_arm", "ecca_difference_month12"): {
        "label": "uncontrolled before-after, scars soften 10%/year in both arms, no drug effect",
        "parameters": SHARED_SCAR_REMODELLING, "naive": strategies.BEFORE_AFTER_ECCA,
        "better": ("rct", strategies.MMRM_ECCA),
    },
    ("rct", "pih_index_difference_month12"): {
        "label": "randomised trial, PIH effect through lesion control only (default knobs)",
        "parameters": {}, "naive": strategies.BEFORE_AFTER_PIH,
        "better": ("rct", strategies.MMRM_PIH),
    },
    ("rct", "ecca_difference_month12"): {
        "label": "randomised trial, fewer new scars through lesion control (default knobs)",
        "parameters": {}, "naive": strategies.BEFORE_AFTER_ECCA,
        "better": ("rct", strategies.MMRM_ECCA),
    },
    ("observational", "ecca_difference_month12"): {
        "label": "registry cohort, treatment by indication (default knobs)",
        "parameters": {}, "naive": strategies.UNADJUSTED_ECCA,
        "better": ("observational", strategies.ADJUSTED_ECCA),
    },
}  # fmt: skip


def claim_settings(ledger_claims: Sequence[Mapping]) -> list[dict]:
    """The diagnoses behind a ledger's simulations: a naive and a better analysis per design.

    "Better" is the randomised comparison where a trial can answer the claim, and regression
    adjustment where only registry data exist — which may still be biased (lesson 4).

    ``ledger_claims`` are the raw claim records (``simulation`` a dict or None); claims whose
    (scenario, estimand) has no design here are skipped. Returns :func:`diagnose_settings`
    settings, one per distinct design and analysis, each with the ``claims`` it serves and the
    first claim's ``simulation`` record (the claimed direction, what it compares).

    Examples
    --------
    >>> claims = [{"id": "C8", "simulation": {"scenario": "single_arm",
    ...            "estimand": "pih_index_difference_month12", "claimed_direction": "lower"}}]
    >>> [(s["scenario"], s["role"]) for s in claim_settings(claims)]
    [('single_arm', 'naive'), ('rct', 'better')]
    """
    settings: dict[tuple, dict] = {}
    for claim in ledger_claims:
        simulation = claim.get("simulation")
        key = None if simulation is None else (simulation["scenario"], simulation["estimand"])
        if key not in CLAIM_DESIGNS:
            continue
        design = CLAIM_DESIGNS[key]
        better_scenario, better = design["better"]
        for role, scenario, strategy in (("naive", key[0], design["naive"]),
                                         ("better", better_scenario, better)):  # fmt: skip
            entry = settings.setdefault((key, role), {
                "label": design["label"], "scenario": scenario, "analyses": [strategy],
                "parameters": design["parameters"], "role": role, "claims": [],
                "simulation": simulation,
            })  # fmt: skip
            entry["claims"].append(claim["id"])
    return list(settings.values())


def direction_shares(rows: pd.DataFrame, claimed_direction: str, *, alpha: float = 0.05) -> dict:
    """Shares of studies significant in the claimed direction and against it.

    ``rows`` are one strategy's per-study results (``estimate``, ``p_value``, ``error``);
    ``claimed_direction`` is "lower" (the claim predicts a negative difference) or "higher".

    Examples
    --------
    >>> rows = pd.DataFrame({"estimate": [-1.0, 2.0, 3.0, -0.1], "p_value": [0.01, 0.01, 0.02, 0.5],
    ...                      "error": ""})
    >>> direction_shares(rows, "lower")
    {'supports': 0.25, 'contradicts': 0.5}
    """
    if claimed_direction not in ("lower", "higher"):
        raise ValueError(
            f"claimed_direction must be 'lower' or 'higher'; got {claimed_direction!r}"
        )
    ok = rows[rows["error"] == ""]
    significant = (ok["p_value"] < alpha).to_numpy()
    claimed = (ok["estimate"] < 0) if claimed_direction == "lower" else (ok["estimate"] > 0)
    claimed = claimed.to_numpy()
    count = max(len(ok), 1)
    return {"supports": float(np.sum(significant & claimed) / count),
            "contradicts": float(np.sum(significant & ~claimed) / count)}  # fmt: skip


def claims_evidence(
    ledger_claims: Sequence[Mapping], *, n_sims: int, seed: int = 0, jobs: int | None = None
) -> pd.DataFrame:
    """Naive versus better evidence for each simulated claim: direction, coverage, bias.

    Returns
    -------
    DataFrame
        One row per design and role: ``claims`` (ids, joined), ``design`` (the setting's
        label), ``role`` ("naive" or "better"), ``scenario``, ``strategy``, ``truth``,
        ``mean_estimate``, ``bias``, ``bias_mcse``, ``coverage``, ``coverage_mcse``,
        ``rejection_rate`` (share of studies declaring an effect at 5%), ``rejection_mcse``,
        ``supports`` and ``contradicts`` (shares significant in the claimed direction and
        against it: they add up to ``rejection_rate``), ``claimed_direction``, ``compares``
        and ``matches_claim`` (from the claim's simulation record), ``n_sims``.

    Examples
    --------
    >>> claims = [{"id": "C2", "simulation": {"scenario": "single_arm",
    ...            "estimand": "pih_index_difference_month12", "claimed_direction": "lower",
    ...            "compares": "before and after", "matches_claim": True}}]
    >>> evidence = claims_evidence(claims, n_sims=2)
    >>> evidence[["claims", "role", "truth"]].values.tolist()
    [['C2', 'naive', 0.0], ['C2', 'better', 0.0]]
    """
    settings = claim_settings(ledger_claims)
    groups: dict[tuple, list[dict]] = {}  # one diagnosis per design: the studies are shared
    for setting in settings:
        key = (setting["scenario"], tuple(sorted(setting["parameters"].items())))
        groups.setdefault(key, []).append(setting)
    picked = {}
    for (scenario, parameters), members in groups.items():
        analyses = list(dict.fromkeys(member["analyses"][0] for member in members))
        summary, replicates = run_diagnosis(
            scenario, analyses, n_sims=n_sims, seed=seed, jobs=jobs, return_replicates=True,
            **dict(parameters),
        )  # fmt: skip
        for member in members:
            name = member["analyses"][0].name
            picked[id(member)] = (pick(summary, name), replicates[replicates["strategy"] == name])
    rows = []
    for setting in settings:
        row, replicate_rows = picked[id(setting)]
        simulation = setting["simulation"]
        direction = simulation.get("claimed_direction", "lower")
        rows.append({
            "claims": ", ".join(setting["claims"]), "design": setting["label"],
            "role": setting["role"], "scenario": setting["scenario"], "strategy": row["strategy"],
            **{key: row[key] for key in ("truth", "mean_estimate", "bias", "bias_mcse", "coverage",
                                         "coverage_mcse", "rejection_rate", "rejection_mcse")},
            **direction_shares(replicate_rows, direction),
            "claimed_direction": direction, "compares": simulation.get("compares", ""),
            "matches_claim": bool(simulation.get("matches_claim", True)), "n_sims": row["n_sims"],
        })  # fmt: skip
    return pd.DataFrame(rows)


def claims_evidence_table(evidence: pd.DataFrame) -> pd.DataFrame:
    """:func:`claims_evidence` for people: direction, coverage and bias with their MCSEs.

    Examples
    --------
    >>> evidence = pd.DataFrame({"claims": ["C3"], "role": ["naive"], "strategy": ["s"],
    ...     "truth": [-3.46], "mean_estimate": [13.07], "bias": [16.5], "bias_mcse": [0.2],
    ...     "coverage": [0.0], "coverage_mcse": [0.0], "rejection_rate": [0.99],
    ...     "rejection_mcse": [0.007], "supports": [0.0], "contradicts": [0.99], "n_sims": [200]})
    >>> claims_evidence_table(evidence).iloc[0].tolist()
    ['C3', 'naive', 's', '200', '-3.46', '13.07', '16.50 (0.20)', '99.0% (0.7)', '0.0%', '99.0%', '0.0% (0.0)']
    """
    return pd.DataFrame({
        "claims": evidence["claims"], "analysis": evidence["role"],
        "strategy": evidence["strategy"], "studies": evidence["n_sims"].map(lambda v: f"{int(v)}"),
        "truth": [number(value) for value in evidence["truth"]],
        "mean estimate": [number(value) for value in evidence["mean_estimate"]],
        "bias (MCSE)": [with_mcse(v, s) for v, s in zip(evidence["bias"], evidence["bias_mcse"], strict=True)],
        "significant (MCSE)": [with_mcse(v, s, as_percent=True) for v, s
                               in zip(evidence["rejection_rate"], evidence["rejection_mcse"], strict=True)],
        "…in the claimed direction": [with_mcse(v, None, as_percent=True) for v in evidence["supports"]],
        "…against the claim": [with_mcse(v, None, as_percent=True) for v in evidence["contradicts"]],
        "coverage (MCSE)": [with_mcse(v, s, as_percent=True) for v, s
                            in zip(evidence["coverage"], evidence["coverage_mcse"], strict=True)],
    })  # fmt: skip


def ledger_records() -> list[dict]:
    """The ledger's raw claim records (``simulation`` as a dict or None), for :func:`claim_settings`.

    >>> [record["id"] for record in ledger_records()][:2]
    ['C1', 'C2']
    """
    return claims_records()


# --------------------------------------------------------------------------- coverage


def coverage_check(rows: pd.DataFrame, *, level: float = 0.95) -> dict:
    """Why an analysis covers the truth less (or more) often than its level: bias or width.

    Parameters
    ----------
    rows : DataFrame
        One strategy's per-study results (``estimate``, ``ci_low``, ``ci_high``, ``truth``,
        ``error``).
    level : float
        The intervals' nominal level.

    Returns
    -------
    dict
        ``coverage``; ``mcse`` (its Monte Carlo SE at the nominal level, sqrt(level (1 - level)
        / n)); ``bias_sd`` (mean error over the standard deviation of the estimates);
        ``width_ratio`` (mean interval width over the width a normal interval around the
        truth would need to cover ``level`` of the estimates: below 1, the intervals are too
        narrow); ``n``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> estimates = rng.normal(0.0, 1.0, 4000)
    >>> rows = pd.DataFrame({"estimate": estimates, "ci_low": estimates - 1.2,
    ...                      "ci_high": estimates + 1.2, "truth": 0.0, "error": ""})
    >>> check = coverage_check(rows)
    >>> round(check["width_ratio"], 2), check["coverage"] < 0.95
    (0.61, True)
    """
    ok = rows[rows["error"] == ""]
    n = len(ok)
    if n < 2:
        raise ValueError("coverage_check needs at least two studies that ran")
    errors = (ok["estimate"] - ok["truth"]).to_numpy(float)
    spread = float(np.std(ok["estimate"].to_numpy(float), ddof=1))
    covered = ((ok["ci_low"] <= ok["truth"]) & (ok["truth"] <= ok["ci_high"])).to_numpy(float)
    needed = 2 * scipy_stats.norm.ppf(0.5 + level / 2) * spread
    width = float(np.mean((ok["ci_high"] - ok["ci_low"]).to_numpy(float)))
    return {
        "coverage": float(covered.mean()), "mcse": math.sqrt(level * (1 - level) / n),
        "bias_sd": float(errors.mean() / spread) if spread > 0 else math.nan,
        "width_ratio": float(width / needed) if needed > 0 else math.nan, "n": n,
    }  # fmt: skip


# --------------------------------------------------------------------------- lesson helpers


def percent_change_truth(scenarios: Sequence[str], **parameters) -> pd.DataFrame:
    """True mean percent change of inflammatory lesions to month 5, per scenario and course.

    Read from each scenario's truth (Monte Carlo over 20,000 subjects, independent of any
    study's seed). Columns: ``scenario``, ``isotretinoin``, ``comparator``, ``untreated``
    (the natural course: regression to the mean and spontaneous change), ``difference``.

    Examples
    --------
    >>> table = percent_change_truth(["rct"])
    >>> table.columns.tolist()
    ['scenario', 'isotretinoin', 'comparator', 'untreated', 'difference']
    """
    rows = []
    for scenario in scenarios:
        truth = simulate_study(scenario, n_subjects=20, seed=0, **parameters).truth
        target = truth["estimands"]["inflammatory_percent_change_month5"]
        rows.append({"scenario": scenario, **{key: float(target[key]) for key in
                     ("isotretinoin", "comparator", "untreated", "difference")}})  # fmt: skip
    return pd.DataFrame(rows)


def untreated_course(study) -> pd.DataFrame:
    """The true mean inflammatory count with no treatment at all, by month (tidy "mean" rows).

    Shaped like :func:`acne_outcomes.stats.descriptive.arm_visit_means` (``contrast`` = "untreated (truth)", interval of zero
    width), to draw beside the observed arms.

    Examples
    --------
    >>> course = untreated_course(simulate_study("flare_enrollment", n_subjects=20))
    >>> course["visit"].tolist()[:3], course["contrast"].iloc[0]
    ([0, 1, 2], 'untreated (truth)')
    """
    target = study.truth["estimands"]["inflammatory_rate_ratio"]
    means = np.asarray(target["mean_untreated"], dtype=float)
    return pd.DataFrame({
        "outcome": "inflammatory_lesions", "contrast": "untreated (truth)",
        "visit": list(target["months"]), "estimate": means, "se": 0.0, "ci_low": means,
        "ci_high": means, "ci_level": 0.95, "n": study.n_subjects, "scale": "mean",
    })  # fmt: skip


def baseline_balance(study) -> pd.DataFrame:
    """Baseline characteristics that drive treatment choice and PIH, by arm.

    Columns: ``arm``, ``subjects``, ``fitzpatrick_IV_VI`` (share), ``female`` (share),
    ``baseline_iga_4`` (share with IGA 4), ``baseline_pih_index`` (mean).

    Examples
    --------
    >>> baseline_balance(simulate_study("rct", n_subjects=60))["arm"].tolist()
    ['comparator', 'isotretinoin']
    """
    baseline = study.visits.loc[study.visits["month"] == 0, ["subject_id", "pih_index"]]
    frame = study.subjects.merge(baseline, on="subject_id", how="left")
    frame = frame.assign(
        dark=frame["fitzpatrick"].astype(str).isin(["IV", "V", "VI"]),
        female=frame["sex"].astype(str) == "female",
        severe=frame["baseline_iga"].astype(float) == 4,
    )
    grouped = frame.groupby(frame["arm"].astype(str))
    return pd.DataFrame({
        "subjects": grouped.size(), "fitzpatrick_IV_VI": grouped["dark"].mean(),
        "female": grouped["female"].mean(), "baseline_iga_4": grouped["severe"].mean(),
        "baseline_pih_index": grouped["pih_index"].mean(),
    }).rename_axis("arm").reset_index()  # fmt: skip


def apparent_improvement_by_noise(
    scales: Sequence[float], *, seed: int = 0, n_subjects: int | None = None
) -> pd.DataFrame:
    """:func:`apparent_improvement` of the scar grade in studies where no scar can improve.

    Each study has the scar knobs at zero (:data:`SCAR_NULL`) and the scar-grade rater SD
    multiplied by one of ``scales`` (0 = a perfect rater).

    Examples
    --------
    >>> table = apparent_improvement_by_noise([0.0], n_subjects=80)
    >>> table["share"].tolist()
    [0.0, 0.0]
    """
    frames = []
    for scale in scales:
        noise = rater_noise_parameters(scale, ("scar_grade_rater_sd", "ecca_rater_sd"))
        study = simulate_study("rct", n_subjects=n_subjects, seed=seed, **SCAR_NULL, **noise)
        frames.append(apparent_improvement(study).assign(rater_noise_scale=scale))
    table = pd.concat(frames, ignore_index=True)
    return table[["rater_noise_scale", *[c for c in table.columns if c != "rater_noise_scale"]]]
