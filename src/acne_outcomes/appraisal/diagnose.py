"""Design diagnosis against the truth: simulate many studies, analyse each, score the analyses.

In the spirit of R's DeclareDesign: for a scenario of the generator, ``diagnose`` simulates
``n_sims`` studies (replicate ``i`` has its own seed, spawned from ``seed``), runs every analysis
*strategy* on each, and reports per strategy and estimand the true value, the mean estimate,
bias, RMSE, CI coverage and rejection rate, each with its Monte Carlo standard error.

Replicates run serially, in local processes (joblib) or on a Dask distributed cluster; the
result is identical whichever executor runs them, because every replicate's seed is fixed in
advance and results are put back in replicate order.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from acne_outcomes.appraisal.strategies import (
    Strategy,
    default_strategies,
    finish_arm_difference,
)
from acne_outcomes.cache import cached
from acne_outcomes.simulate import simulate_study
from acne_outcomes.stats.ancova import fit_ancova_many

EXECUTORS = ("serial", "processes", "dask")
#: The source a cached diagnosis depends on (:func:`acne_outcomes.cache.source_digest`).
CODE = ("simulate", "stats", "appraisal", "derive.py", "design.py", "study.py", "checks.py",
        "standard")  # fmt: skip
RESULT_COLUMNS = (
    "replicate",
    "strategy",
    "estimand",
    "truth",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "error",
)


def replicate_seeds(seed: int, n_sims: int) -> list[int]:
    """One independent integer seed per replicate, spawned from ``seed`` (executor-independent).

    >>> replicate_seeds(0, 3) == replicate_seeds(0, 3)
    True
    >>> len(set(replicate_seeds(0, 100)))
    100
    """
    children = np.random.SeedSequence(seed).spawn(n_sims)
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for child in children]


def run_replicates(
    scenario: str,
    parameters: dict,
    strategies: Sequence[Strategy],
    jobs: list[tuple[int, int]],
    batched: bool = True,
):
    """Simulate and analyse a batch of ``(replicate, seed)``; return result rows (no exceptions).

    With ``batched``, the strategies that can give their least-squares problem
    (``Strategy.prepare``: the ANCOVAs) have the problems of every replicate of the batch
    solved together (:func:`acne_outcomes.stats.ancova.fit_ancova_many`); the others run one
    study at a time. The rows are the same either way (to rounding; tested to 1e-8).
    """
    rows, pending = [], []
    for replicate, seed in jobs:
        study = simulate_study(scenario, seed=seed, **parameters)
        for strategy in strategies:
            row = {"replicate": replicate, "strategy": strategy.name, "estimand": strategy.estimand}
            rows.append(row)
            try:
                row["truth"] = float(strategy.truth(study))
                if batched and strategy.prepare is not None:
                    values, codes, design, n_arms = strategy.prepare(study)
                    pending.append((row, (values, codes, design), n_arms))
                    continue
                _fill(row, strategy.run(study))
            except Exception as error:  # a failed fit is counted, not fatal
                row["error"] = f"{type(error).__name__}: {error}"
    by_arms: dict[int, list] = {}
    for item in pending:
        by_arms.setdefault(item[2], []).append(item)
    for n_arms, items in by_arms.items():
        fits = fit_ancova_many([problem for _, problem, _ in items], n_arms)
        for (row, _, _), fit in zip(items, fits, strict=True):
            try:
                if isinstance(fit, Exception):
                    raise fit
                _fill(row, finish_arm_difference(fit))
            except Exception as error:
                row["error"] = f"{type(error).__name__}: {error}"
    return rows


def _fill(row: dict, result) -> None:
    row.update({key: float(result[key]) for key in ("estimate", "ci_low", "ci_high", "p_value")})
    row["error"] = ""


def diagnose(
    scenario: str = "rct",
    analyses: Sequence[Strategy] | None = None,
    n_sims: int = 1000,
    seed: int = 0,
    executor: str = "processes",
    *,
    n_jobs: int | None = None,
    scheduler: str | None = None,
    alpha: float = 0.05,
    batch_size: int | None = None,
    progress: bool = True,
    return_replicates: bool = False,
    cache: bool = False,
    batched: bool = True,
    **parameters,
):
    """Diagnose a design: bias, RMSE, coverage and rejection rate of each analysis strategy.

    Parameters
    ----------
    scenario : str
        Generator scenario (see :func:`acne_outcomes.simulate.simulate_study`).
    analyses : sequence of Strategy, optional
        Default: :func:`acne_outcomes.appraisal.strategies.default_strategies` for the scenario.
    n_sims : int
        Number of simulated studies.
    seed : int
        Master seed; replicate ``i`` uses ``replicate_seeds(seed, n_sims)[i]``.
    executor : {"serial", "processes", "dask"}
        ``"processes"`` uses joblib (loky) with ``n_jobs`` workers (default: all cores);
        ``"dask"`` uses the cluster at ``scheduler`` (``tcp://HOST:PORT``) or a local cluster
        of ``n_jobs`` worker processes.
    alpha : float
        Significance level for the rejection rate.
    return_replicates : bool
        Also return the per-replicate results.
    cache : bool, default False
        Keep the result on disk and return it when asked again
        (:func:`acne_outcomes.cache.cached`), keyed by the scenario, the parameters, the
        strategies (name, estimand and the functions' names), ``n_sims``, ``seed``, ``alpha``
        and the source of the simulation, analysis and diagnosis code. The executor, the number
        of workers, the batch size and ``batched`` are not in the key: the result does not
        depend on them.
    batched : bool, default True
        Solve the least-squares problems of the ANCOVA strategies of a batch of replicates
        together (see :func:`run_replicates`); False runs every analysis one study at a time
        (the old path, for comparison).
    **parameters
        Passed to the generator (e.g. ``n_subjects=266``, ``pih_effect=0``).

    Returns
    -------
    DataFrame
        One row per strategy: ``strategy``, ``estimand``, ``n_sims``, ``n_failed``, ``truth``,
        ``mean_estimate``, ``bias``, ``bias_mcse``, ``rmse``, ``rmse_mcse``, ``coverage``,
        ``coverage_mcse``, ``rejection_rate``, ``rejection_mcse``. With ``return_replicates``,
        ``(summary, replicates)``.

    Notes
    -----
    Over the ``R`` successful replicates with estimates ``e_r``, truths ``t_r``: bias
    ``mean(e - t)`` with MCSE ``sd(e - t)/sqrt(R)``; RMSE ``sqrt(mean((e - t)^2))`` with MCSE
    ``sd((e - t)^2) / (2 RMSE sqrt(R))`` (delta method); coverage ``mean(ci_low <= t <= ci_high)``
    and rejection rate ``mean(p < alpha)``, each with MCSE ``sqrt(p (1 - p) / R)``
    (Morris, White & Crowther, Stat Med 2019;38:2074).
    """
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; allowed: {list(EXECUTORS)}")
    if n_sims < 2:
        raise ValueError("n_sims must be at least 2")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    if analyses is None:
        analyses = default_strategies(scenario)
    analyses = list(analyses)
    if cache:
        inputs = {
            "scenario": scenario, "parameters": parameters, "n_sims": n_sims, "seed": seed,
            "alpha": alpha, "strategies": [_described(strategy) for strategy in analyses],
        }  # fmt: skip
        summary, replicates = cached(
            "diagnosis", inputs, lambda: diagnose(
                scenario, analyses, n_sims, seed, executor, n_jobs=n_jobs, scheduler=scheduler,
                alpha=alpha, batch_size=batch_size, progress=progress, return_replicates=True,
                batched=batched, **parameters,
            ), code=CODE,
        )  # fmt: skip
        return (summary, replicates) if return_replicates else summary
    seeds = replicate_seeds(seed, n_sims)
    workers = n_jobs or os.cpu_count() or 1
    size = batch_size or max(1, min(25, math.ceil(n_sims / (4 * workers))))
    batches = [list(enumerate(seeds))[start : start + size] for start in range(0, n_sims, size)]
    runner = {"serial": _serial, "processes": _processes, "dask": _dask}[executor]
    rows = runner(
        scenario, parameters, list(analyses), batches, workers, scheduler, progress, n_sims, batched
    )
    replicates = pd.DataFrame(rows, columns=list(RESULT_COLUMNS)).sort_values(
        ["replicate", "strategy"], kind="stable"
    )
    replicates = replicates.reset_index(drop=True)
    summary = summarise(replicates, alpha=alpha, order=[strategy.name for strategy in analyses])
    return (summary, replicates) if return_replicates else summary


def _described(strategy: Strategy) -> list[str]:
    """A strategy as the cache's key sees it: name, estimand, and its functions' full names."""
    return [strategy.name, strategy.estimand,
            *(f"{f.__module__}.{f.__qualname__}" for f in (strategy.run, strategy.truth))]  # fmt: skip


def _bar(total: int, progress: bool, description: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, unit="study", disable=not progress)


def _serial(scenario, parameters, strategies, batches, workers, scheduler, progress, total,
            batched):  # fmt: skip
    rows = []
    with _bar(total, progress, "diagnose (serial)") as bar:
        for batch in batches:
            rows += run_replicates(scenario, parameters, strategies, batch, batched)
            bar.update(len(batch))
    return rows


def _processes(scenario, parameters, strategies, batches, workers, scheduler, progress, total,
               batched):  # fmt: skip
    from joblib import Parallel, delayed

    rows = []
    parallel = Parallel(n_jobs=workers, backend="loky", return_as="generator")
    with _bar(total, progress, f"diagnose ({workers} processes)") as bar:
        for batch_rows in parallel(
            delayed(run_replicates)(scenario, parameters, strategies, batch, batched)
            for batch in batches
        ):
            rows += batch_rows
            bar.update(len({row["replicate"] for row in batch_rows}))
    return rows


def _dask(scenario, parameters, strategies, batches, workers, scheduler, progress, total,
          batched):  # fmt: skip
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
    client = Client(scheduler or cluster)
    rows = []
    try:
        futures = client.map(run_replicates, [scenario] * len(batches), [parameters] * len(batches),
                             [strategies] * len(batches), batches, [batched] * len(batches),
                             pure=False)  # fmt: skip
        with _bar(
            total, progress, f"diagnose (dask, {len(client.scheduler_info()['workers'])} workers)"
        ) as bar:
            for future in as_completed(futures):
                batch_rows = future.result()
                rows += batch_rows
                bar.update(len({row["replicate"] for row in batch_rows}))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return rows


def summarise(
    replicates: pd.DataFrame, *, alpha: float = 0.05, order: Sequence[str] | None = None
) -> pd.DataFrame:
    """Summarise per-replicate results into the diagnosis table (see :func:`diagnose`)."""
    rows = []
    for (strategy, estimand), group in replicates.groupby(["strategy", "estimand"], sort=False):
        ok = group[group["error"] == ""]
        count = len(ok)
        error = (ok["estimate"] - ok["truth"]).to_numpy()
        covered = ((ok["ci_low"] <= ok["truth"]) & (ok["truth"] <= ok["ci_high"])).to_numpy(
            dtype=float
        )
        rejected = (ok["p_value"] < alpha).to_numpy(dtype=float)
        rmse = math.sqrt(np.mean(error**2)) if count else math.nan
        rows.append(
            {
                "strategy": strategy,
                "estimand": estimand,
                "n_sims": len(group),
                "n_failed": len(group) - count,
                "truth": ok["truth"].mean(),
                "mean_estimate": ok["estimate"].mean(),
                "bias": error.mean() if count else math.nan,
                "bias_mcse": _sd(error) / math.sqrt(count) if count > 1 else math.nan,
                "rmse": rmse,
                "rmse_mcse": _sd(error**2) / (2 * rmse * math.sqrt(count))
                if count > 1 and rmse > 0
                else math.nan,
                "coverage": covered.mean() if count else math.nan,
                "coverage_mcse": _proportion_mcse(covered),
                "rejection_rate": rejected.mean() if count else math.nan,
                "rejection_mcse": _proportion_mcse(rejected),
            }
        )
    summary = pd.DataFrame(rows)
    if order is not None and len(summary):
        summary["_order"] = summary["strategy"].map(
            {name: index for index, name in enumerate(order)}
        )
        summary = (
            summary.sort_values("_order", kind="stable")
            .drop(columns="_order")
            .reset_index(drop=True)
        )
    return summary


def _sd(values: np.ndarray) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else math.nan


def _proportion_mcse(values: np.ndarray) -> float:
    if len(values) == 0:
        return math.nan
    share = float(np.mean(values))
    return math.sqrt(share * (1 - share) / len(values))
