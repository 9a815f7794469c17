"""Time and peak memory of the statistics helpers at 266, 10⁴ and 10⁵ subjects.

Each measurement runs in a fresh process (:func:`benchmarks.memory.measure`); only the helper
call is timed, data generation is set-up. A helper whose 10⁴-subject time, scaled linearly,
exceeds 60 s is skipped at 10⁵ (the line says so). The last table sets the whole
:func:`acne_outcomes.stats.counts.count_model` call against statsmodels' GEE fit alone (same
design, same α, default start), which is what it called before its GEE was vectorised (issue
16), median of three runs each.

BLAS is pinned to one thread (``OPENBLAS_NUM_THREADS`` etc., unless already set): on a
2-core machine multi-threaded BLAS made the small solves inside statsmodels up to 100×
slower under load, which would measure contention rather than the code.
"""

from __future__ import annotations

import os
from functools import partial

import numpy as np
import pandas as pd
import statsmodels.api as sm

from acne_outcomes.derive import percent_change_from_baseline
from acne_outcomes.stats import counts
from acne_outcomes.stats.binary import binary_comparison, cmh_odds_ratio, logistic_model
from acne_outcomes.stats.counts import count_model, percent_change_ancova
from acne_outcomes.stats.multiplicity import hedges_g
from acne_outcomes.stats.ordinal import ordinal_model
from acne_outcomes.stats.safety import ae_incidence
from acne_outcomes.stats.survival import cox_model, kaplan_meier, log_rank
from benchmarks.memory import measure

SIZES = (266, 10_000, 100_000)
LIMIT_SECONDS = 60.0
MONTHS = (1, 2, 3, 4, 5, 6, 9, 12)
_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def make_visits(n_subjects: int, seed: int = 0) -> pd.DataFrame:
    """Long post-baseline visits with counts, grades and baseline values."""
    rng = np.random.default_rng(seed)
    arm = np.where(np.arange(n_subjects) % 2 == 0, "comparator", "isotretinoin")
    frailty = rng.gamma(2.0, 0.5, n_subjects)
    baseline = rng.negative_binomial(4, 4 / 29, n_subjects)
    frame = pd.DataFrame(
        {
            "subject_id": np.repeat(np.arange(n_subjects), len(MONTHS)),
            "month": np.tile(MONTHS, n_subjects),
            "arm": np.repeat(arm, len(MONTHS)),
            "site": np.repeat(rng.choice(["S1", "S2", "S3", "S4"], n_subjects), len(MONTHS)),
            "baseline": np.repeat(baseline, len(MONTHS)),
            "baseline_grade": np.repeat(rng.integers(1, 5, n_subjects), len(MONTHS)),
        }
    )
    ratio = np.where(frame["arm"] == "isotretinoin", 0.8, 0.95) ** (frame["month"] / 3)
    mean = (1 + frame["baseline"]) * ratio * np.repeat(frailty, len(MONTHS))
    frame["lesions"] = rng.poisson(rng.gamma(3.0, mean / 3.0))
    latent = frame["baseline_grade"] - 0.1 * frame["month"] * (frame["arm"] == "isotretinoin")
    frame["scar_grade"] = np.digitize(latent + rng.logistic(size=len(frame)), [0.5, 1.8, 3, 4.2])
    return frame


def make_subjects(n_subjects: int, seed: int = 1) -> pd.DataFrame:
    """One row per subject: month-12 outcomes, a time to clearance and exposure."""
    visits = make_visits(n_subjects, seed)
    frame = visits.loc[visits["month"] == 12].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    frame["responder"] = (frame["lesions"] <= frame["baseline"] / 2).astype(int)
    frame["change"] = frame["lesions"] - frame["baseline"]
    rate = np.where(frame["arm"] == "isotretinoin", 1 / 90, 1 / 160)
    event_day = np.ceil(rng.exponential(1 / rate))
    frame["day"] = np.minimum(event_day, 365)
    frame["cleared"] = (event_day <= 365).astype(int)
    frame["exposure_days"] = rng.integers(60, 170, n_subjects)
    return frame


def make_events(n_subjects: int, seed: int = 2) -> tuple[pd.DataFrame, pd.DataFrame]:
    subjects = make_subjects(n_subjects, seed)
    rng = np.random.default_rng(seed)
    n_events = rng.poisson(1.5, n_subjects)
    events = pd.DataFrame(
        {
            "subject_id": np.repeat(subjects["subject_id"].to_numpy(), n_events),
            "term": rng.choice(
                ["cheilitis", "xerosis", "headache", "myalgia", "epistaxis"], n_events.sum()
            ),
        }
    )
    exposure = np.repeat(subjects["exposure_days"].to_numpy(), n_events)
    events["onset_day"] = rng.integers(1, exposure + 1)
    return events, subjects


def _count_model(visits):
    count_model(
        visits,
        outcome="lesions",
        subject="subject_id",
        visit="month",
        arm="arm",
        baseline="baseline",
    )


def _percent_change_ancova(visits):
    percent_change_ancova(
        visits,
        outcome="lesions",
        subject="subject_id",
        visit="month",
        arm="arm",
        baseline="baseline",
        at_visit=12,
    )


def _ordinal_one_visit(visits):
    ordinal_model(
        visits.loc[visits["month"] == 12],
        outcome="scar_grade",
        arm="arm",
        baseline="baseline_grade",
    )


def _ordinal_longitudinal(visits):
    ordinal_model(
        visits,
        outcome="scar_grade",
        arm="arm",
        baseline="baseline_grade",
        subject="subject_id",
        visit="month",
    )


def _binary_comparison(subjects):
    binary_comparison(subjects, outcome="responder", arm="arm")


def _logistic_model(subjects):
    logistic_model(subjects, outcome="responder", arm="arm", baseline="baseline")


def _cmh(subjects):
    cmh_odds_ratio(subjects, outcome="responder", arm="arm", stratum="site")


def _kaplan_meier(subjects):
    kaplan_meier(subjects, time="day", event="cleared", arm="arm")


def _log_rank(subjects):
    log_rank(subjects, time="day", event="cleared", arm="arm")


def _cox(subjects):
    cox_model(subjects, time="day", event="cleared", arm="arm", covariates=["baseline"])


def _hedges_g(subjects):
    hedges_g(subjects, outcome="change", arm="arm")


def _ae_incidence(state):
    events, subjects = state
    ae_incidence(
        events,
        subjects,
        subject="subject_id",
        arm="arm",
        term="term",
        exposure_days="exposure_days",
        onset="onset_day",
    )


def _percent_change_derive(visits):
    with_baseline = pd.concat(
        [
            visits.loc[visits["month"] == 12].assign(month=0, lesions=lambda f: f["baseline"]),
            visits,
        ],
        ignore_index=True,
    )
    percent_change_from_baseline(
        with_baseline, subject="subject_id", visit="month", outcome="lesions"
    )


CASES = {
    "count_model (NB, exchangeable)": (make_visits, _count_model),
    "percent_change_ancova": (make_visits, _percent_change_ancova),
    "ordinal_model (one visit)": (make_visits, _ordinal_one_visit),
    "ordinal_model (longitudinal GEE)": (make_visits, _ordinal_longitudinal),
    "binary_comparison": (make_subjects, _binary_comparison),
    "logistic_model": (make_subjects, _logistic_model),
    "cmh_odds_ratio": (make_subjects, _cmh),
    "kaplan_meier": (make_subjects, _kaplan_meier),
    "log_rank": (make_subjects, _log_rank),
    "cox_model (Efron)": (make_subjects, _cox),
    "hedges_g": (make_subjects, _hedges_g),
    "ae_incidence": (make_events, _ae_incidence),
    "derive.percent_change_from_baseline": (make_visits, _percent_change_derive),
}


def _gee_inputs(n_subjects):
    visits = make_visits(n_subjects).sort_values(["subject_id", "month"], kind="stable")
    options = {"baseline": "baseline", "baseline_transform": "log1p", "arm_by_baseline": False,
               "covariates": [], "arm_effect": "by_visit", "visit_effect": "by_visit"}  # fmt: skip
    exog, _ = counts._count_design(
        visits, visit="month", arm="arm", treated=["isotretinoin"], visits=list(MONTHS),
        options=options,
    )  # fmt: skip
    endog = visits["lesions"].to_numpy(float)
    alpha = counts._nb_alpha(endog, exog, np.zeros(len(endog)))[0]
    return endog, exog, visits["subject_id"].to_numpy(), alpha


def _bare_gee(state):
    endog, exog, groups, alpha = state
    sm.GEE(
        endog,
        exog,
        groups=groups,
        family=sm.families.NegativeBinomial(alpha=alpha),
        cov_struct=sm.cov_struct.Exchangeable(),
    ).fit()


def _median_seconds(func, setup, repeats=3):
    return float(np.median([measure(func, setup)[0] for _ in range(repeats)]))


def main() -> None:
    for name in _THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    print(
        f"BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}; sizes = subjects "
        f"({len(MONTHS)} post-baseline visits each)"
    )
    print(f"{'helper':40s} {'subjects':>9s} {'seconds':>9s} {'peak MiB':>9s}")
    times: dict[tuple[str, int], float] = {}
    for size in SIZES:
        for name, (make, run) in CASES.items():
            previous = times.get((name, SIZES[1]))
            if size == SIZES[2] and previous is not None and previous * 10 > LIMIT_SECONDS:
                print(
                    f"{name:40s} {size:>9d}   skipped: {previous:.1f} s at 10^4 scales to "
                    f"~{previous * 10:.0f} s > {LIMIT_SECONDS:.0f} s"
                )
                continue
            seconds, peak = measure(run, partial(make, size))
            times[(name, size)] = seconds
            print(f"{name:40s} {size:>9d} {seconds:9.3f} {peak:9.0f}", flush=True)
    print("\ncount_model (the whole call; its GEE is hand-vectorised) against statsmodels' GEE fit")
    print(
        "alone on the same design and alpha (the path count_model took before issue 16), median of 3"
    )
    print(f"{'subjects':>9s} {'count_model s':>14s} {'statsmodels s':>14s} {'ratio':>7s}")
    for size in SIZES:
        if times.get(("count_model (NB, exchangeable)", size)) is None:
            continue
        wrapped = _median_seconds(_count_model, partial(make_visits, size))
        bare = _median_seconds(_bare_gee, partial(_gee_inputs, size))
        print(f"{size:>9d} {wrapped:14.3f} {bare:14.3f} {bare / wrapped:6.1f}x", flush=True)
