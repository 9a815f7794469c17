"""Derived outcomes: change from baseline, percent change, responders and time-to-event.

Every derivation accounts for every row it receives. Each public derivation returns a
:class:`Derived` pair ``(data, exclusions)``:

``data``
    the derived rows that can be analysed;
``exclusions``
    one row per input unit that was *not* carried into ``data``, with three columns: the
    subject and visit columns (named as in the input; the visit is missing for subject-level
    exclusions) and ``reason`` (a human-readable string, one of the ``REASON_*`` constants or
    a reason documented by the derivation).

For visit-level derivations (change, percent change, responders, IGA success) the unit is a
visit row: ``len(data) + len(exclusions) == len(visits)``. For time-to-event derivations the
unit is a subject: ``len(data) + len(exclusions) == number of subjects in the input``.
The baseline row of each subject is the reference value, not a change, so it is listed in
``exclusions`` with the reason :data:`REASON_BASELINE_ROW` — a CONSORT-style flow can
separate it from genuine losses by that reason.

Argument checks come from :mod:`acne_outcomes.checks`, shared with ``stats`` and ``figures``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from acne_outcomes import standard
from acne_outcomes.checks import NotEstimable, require_columns
from acne_outcomes.privacy import SUPPRESSED, small_cell_policy

REASON_BASELINE_ROW = "baseline visit (reference value, not a change)"
REASON_OUTCOME_MISSING = "outcome missing"
REASON_NO_BASELINE = "no baseline value"
REASON_BASELINE_ZERO = "baseline is 0: percent change undefined"


class Derived(NamedTuple):
    """A derived frame and the rows (or subjects) excluded from it, with reasons."""

    data: pd.DataFrame
    exclusions: pd.DataFrame


def as_grade(values: pd.Series) -> pd.Series:
    """Ordered grades as nullable floats: a categorical's codes, otherwise its numbers.

    Categories are assumed to be in grade order starting at 0 (IGA 0–4, Goodman & Baron 0–4).

    Examples
    --------
    >>> as_grade(pd.Series(pd.Categorical([2, None, 0], categories=[0, 1, 2]))).tolist()
    [2.0, nan, 0.0]
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.astype("float64")
        return codes.where(codes >= 0)
    return pd.to_numeric(values, errors="raise").astype("float64")


def _exclusions(frame: pd.DataFrame, subject: str, visit: str, groups) -> pd.DataFrame:
    """The excluded rows of ``frame``, from ``groups`` of (row positions, reason), in order."""
    positions = np.concatenate([np.asarray(rows, dtype=np.int64) for rows, _ in groups])
    reasons = np.repeat(
        np.array([reason for _, reason in groups], dtype=object), [len(rows) for rows, _ in groups]
    )
    out = pd.DataFrame({subject: frame[subject].to_numpy()[positions]})
    out[visit] = frame[visit].to_numpy()[positions]
    out["reason"] = reasons
    return out.astype({"reason": "string"})


def _empty_exclusions(subject: str, visit: str) -> pd.DataFrame:
    return pd.DataFrame({subject: [], visit: [], "reason": pd.Series([], dtype="string")})


def _baseline_of_rows(
    frame: pd.DataFrame, subject: str, outcome: str, at_baseline: np.ndarray, *, first: bool
) -> np.ndarray:
    """Each row's subject's ``outcome`` at baseline (float; NaN for a subject without one).

    ``first``: the subject's first baseline row counts, whatever its value (a missing value
    gives NaN); otherwise only baseline rows with a value count, and a subject with two is an
    error. One factorisation of the subject ids and numpy indexing: mapping Arrow strings
    through an index was most of a derivation's time.
    """
    codes, uniques = pd.factorize(frame[subject])
    values = frame[outcome].astype("float64").to_numpy(dtype="float64", na_value=np.nan)
    rows = np.flatnonzero(at_baseline & (codes >= 0))
    if not first:
        rows = rows[~np.isnan(values[rows])]
    subjects, where = np.unique(codes[rows], return_index=True)
    if not first and len(subjects) < len(rows):
        raise ValueError("more than one baseline row for a subject")
    by_subject = np.full(len(uniques) + 1, np.nan)  # the last entry: a missing subject id
    by_subject[subjects] = values[rows[where]]
    return by_subject[codes]


def _with_baseline(
    visits: pd.DataFrame, *, subject: str, visit: str, outcome: str, baseline_visit: object
) -> tuple[pd.DataFrame, np.ndarray, list[tuple[np.ndarray, str]]]:
    """Post-baseline rows with a ``baseline`` column, their positions in ``visits``, and the
    exclusions so far as (positions in ``visits``, reason)."""
    require_columns(visits, subject=subject, visit=visit, outcome=outcome)
    at_baseline = (visits[visit] == baseline_visit).to_numpy(dtype=bool, na_value=False)
    try:
        baseline = _baseline_of_rows(visits, subject, outcome, at_baseline, first=False)
    except ValueError:
        raise ValueError(
            f"more than one baseline row ({visit}={baseline_visit!r}) for a subject"
        ) from None
    missing_outcome = ~at_baseline & visits[outcome].isna().to_numpy()
    missing_baseline = ~at_baseline & ~missing_outcome & np.isnan(baseline)
    kept_rows = np.flatnonzero(~at_baseline & ~missing_outcome & ~missing_baseline)
    kept = visits.take(kept_rows)
    kept["baseline"] = baseline[kept_rows]
    excluded = [
        (np.flatnonzero(at_baseline), REASON_BASELINE_ROW),
        (np.flatnonzero(missing_outcome), REASON_OUTCOME_MISSING),
        (np.flatnonzero(missing_baseline), REASON_NO_BASELINE),
    ]
    return kept, kept_rows, excluded


def change_from_baseline(
    visits: pd.DataFrame, *, subject: str, visit: str, outcome: str, baseline_visit: object = 0
) -> Derived:
    """Absolute change from baseline of one outcome, per post-baseline visit.

    Parameters
    ----------
    visits : DataFrame
        Long data, one row per subject × visit.
    subject, visit, outcome : str
        Column names of the subject identifier, the scheduled visit and the outcome.
    baseline_visit : scalar, default 0
        Value of ``visit`` that marks the baseline row.

    Returns
    -------
    Derived
        ``data``: the post-baseline rows of ``visits`` (all their columns) plus ``baseline``
        (the subject's value at ``baseline_visit``) and ``change`` (value − baseline).
        ``exclusions``: baseline rows, rows with a missing outcome and rows of subjects
        without a baseline value, each with its reason.

    Notes
    -----
    ``change = y_visit − y_baseline``; negative is improvement for lesion counts and grades.

    Examples
    --------
    >>> visits = pd.DataFrame({"subject_id": [1, 1, 2, 2], "month": [0, 3, 0, 3],
    ...                        "inflammatory_lesions": [20, 5, 10, None]})
    >>> derived = change_from_baseline(visits, subject="subject_id", visit="month",
    ...                                outcome="inflammatory_lesions")
    >>> derived.data["change"].tolist()
    [-15.0]
    >>> derived.exclusions["reason"].value_counts().to_dict()
    {'baseline visit (reference value, not a change)': 2, 'outcome missing': 1}
    """
    kept, _, excluded = _with_baseline(
        visits, subject=subject, visit=visit, outcome=outcome, baseline_visit=baseline_visit
    )
    kept["change"] = kept[outcome].astype("float64") - kept["baseline"]
    return Derived(kept.reset_index(drop=True), _exclusions(visits, subject, visit, excluded))


def percent_change_from_baseline(
    visits: pd.DataFrame, *, subject: str, visit: str, outcome: str, baseline_visit: object = 0
) -> Derived:
    """Percent change from baseline, ``100 · (y − y₀) / y₀``, per post-baseline visit.

    Parameters are as in :func:`change_from_baseline`.

    Returns
    -------
    Derived
        ``data``: post-baseline rows plus ``baseline`` and ``percent_change``
        (−100 = cleared, 0 = unchanged, > 0 = worse). ``exclusions`` as in
        :func:`change_from_baseline`, plus rows whose baseline is 0 (percent change undefined).

    Notes
    -----
    ``percent_change = 100 · (y_visit − y_baseline) / y_baseline``, undefined when
    ``y_baseline = 0``; such rows are excluded, never imputed.

    Examples
    --------
    >>> visits = pd.DataFrame({"subject_id": [1, 1, 2, 2], "month": [0, 3, 0, 3],
    ...                        "inflammatory_lesions": [20, 5, 0, 1]})
    >>> derived = percent_change_from_baseline(visits, subject="subject_id", visit="month",
    ...                                        outcome="inflammatory_lesions")
    >>> derived.data["percent_change"].tolist()
    [-75.0]
    >>> len(derived.data) + len(derived.exclusions) == len(visits)
    True
    """
    kept, kept_rows, excluded = _with_baseline(
        visits, subject=subject, visit=visit, outcome=outcome, baseline_visit=baseline_visit
    )
    zero = (kept["baseline"] == 0).to_numpy()
    excluded.append((kept_rows[zero], REASON_BASELINE_ZERO))
    kept = kept.loc[~zero].copy()
    kept["percent_change"] = 100.0 * (kept[outcome].astype("float64") - kept["baseline"])
    kept["percent_change"] /= kept["baseline"]
    return Derived(kept.reset_index(drop=True), _exclusions(visits, subject, visit, excluded))


def responders(
    visits: pd.DataFrame,
    *,
    subject: str,
    visit: str,
    outcome: str,
    reductions: Iterable[float] = (50, 75, 90),
    baseline_visit: object = 0,
) -> Derived:
    """Responder flags: at least ``r`` % reduction from baseline, for each ``r`` in ``reductions``.

    Returns
    -------
    Derived
        ``data``: the rows of :func:`percent_change_from_baseline` plus one boolean column
        ``responder_<r>`` per reduction (e.g. ``responder_50``), true when
        ``percent_change ≤ −r``. ``exclusions`` as in :func:`percent_change_from_baseline`
        (subjects with a baseline of 0 cannot be classified).

    Examples
    --------
    >>> visits = pd.DataFrame({"subject_id": [1, 1, 2, 2], "month": [0, 6, 0, 6],
    ...                        "inflammatory_lesions": [20, 4, 10, 6]})
    >>> derived = responders(visits, subject="subject_id", visit="month",
    ...                      outcome="inflammatory_lesions", reductions=(50, 75))
    >>> derived.data[["responder_50", "responder_75"]].values.tolist()
    [[True, True], [False, False]]
    """
    derived = percent_change_from_baseline(
        visits, subject=subject, visit=visit, outcome=outcome, baseline_visit=baseline_visit
    )
    data = derived.data
    for reduction in reductions:
        if not 0 < reduction <= 100:
            raise ValueError(f"reductions must lie in (0, 100]; got {reduction!r}")
        data[f"responder_{reduction:g}"] = data["percent_change"] <= -float(reduction)
    return Derived(data, derived.exclusions)


def iga_success(
    visits: pd.DataFrame,
    *,
    subject: str,
    visit: str,
    iga: str,
    success_max: int = 1,
    min_improvement: int = 2,
    baseline_visit: object = 0,
) -> Derived:
    """IGA success: grade ≤ ``success_max`` (clear/almost clear) and ≥ ``min_improvement`` better.

    Returns
    -------
    Derived
        ``data``: post-baseline rows plus ``baseline`` (baseline grade), ``change`` (grade
        change) and boolean ``iga_success``. ``exclusions`` as in :func:`change_from_baseline`.

    Notes
    -----
    ``iga_success = (IGA_visit ≤ 1) and (IGA_baseline − IGA_visit ≥ 2)`` with the default
    arguments (FDA acne guidance 2018). An ordered categorical IGA is read by its codes.

    Examples
    --------
    >>> visits = pd.DataFrame({"subject_id": [1, 1, 2, 2], "month": [0, 12, 0, 12],
    ...                        "iga": [3, 1, 2, 1]})
    >>> iga_success(visits, subject="subject_id", visit="month", iga="iga").data[
    ...     "iga_success"].tolist()
    [True, False]
    """
    require_columns(visits, iga=iga)
    graded = visits.assign(**{iga: as_grade(visits[iga])})
    derived = change_from_baseline(
        graded, subject=subject, visit=visit, outcome=iga, baseline_visit=baseline_visit
    )
    data = derived.data
    data["iga_success"] = (data[iga] <= success_max) & (-data["change"] >= min_improvement)
    return Derived(data, derived.exclusions)


def _first_event(rows: pd.DataFrame, *, subject: str, day: str, event: pd.Series) -> pd.DataFrame:
    """Per subject: time of the first row with ``event``, else the last row's time (censored)."""
    rows = rows.assign(_event=event.to_numpy()).sort_values([subject, day], kind="stable")
    first = rows.loc[rows["_event"]].groupby(subject, sort=True)[day].min()
    last = rows.groupby(subject, sort=True)[day].max()
    out = pd.DataFrame({subject: last.index})
    out["event"] = out[subject].isin(first.index)
    out["time"] = np.where(
        out["event"], out[subject].map(first).to_numpy(dtype=float), last.to_numpy(dtype=float)
    )
    return out


def time_to_clearance(
    visits: pd.DataFrame,
    *,
    subject: str,
    visit: str,
    day: str,
    outcome: str,
    clear_at: float = 0,
    baseline_visit: object = 0,
) -> Derived:
    """Time to clearance: first post-baseline visit with ``outcome ≤ clear_at``.

    Use ``outcome="inflammatory_lesions"`` (0 lesions) or ``outcome="iga"`` (IGA 0); an
    ordered categorical is read by its codes.

    Returns
    -------
    Derived
        ``data``: one row per subject with ``time`` (study day of the first clear visit, or of
        the last observed post-baseline visit when censored) and ``event`` (True = cleared,
        False = censored). ``exclusions`` (subject level, visit missing): subjects already
        clear at baseline, and subjects with no observed post-baseline value.

    Notes
    -----
    Clearance is only seen at visits, so the true time lies between the previous visit and
    the visit of detection (interval censored); ``time`` is the visit day, as is usual in
    trial reports. Time origin is study day 0.

    Examples
    --------
    >>> visits = pd.DataFrame({"subject_id": [1, 1, 1, 2, 2], "month": [0, 3, 6, 0, 3],
    ...                        "study_day": [0, 91, 182, 0, 90],
    ...                        "inflammatory_lesions": [12, 0, 0, 9, 4]})
    >>> time_to_clearance(visits, subject="subject_id", visit="month", day="study_day",
    ...                   outcome="inflammatory_lesions").data.values.tolist()
    [[1, True, 91.0], [2, False, 90.0]]
    """
    require_columns(visits, subject=subject, visit=visit, day=day, outcome=outcome)
    values = as_grade(visits[outcome])
    at_baseline = visits[visit] == baseline_visit
    clear_baseline = set(visits.loc[at_baseline & (values <= clear_at), subject])
    observed = ~at_baseline & values.notna() & visits[day].notna()
    rows = visits.loc[observed & ~visits[subject].isin(clear_baseline), [subject, day]]
    data = _first_event(rows, subject=subject, day=day, event=values[rows.index] <= clear_at)
    all_subjects = pd.Index(visits[subject].unique())
    unobserved = all_subjects.difference(data[subject]).difference(list(clear_baseline))
    excluded = pd.DataFrame({subject: list(clear_baseline) + list(unobserved)})
    excluded[visit] = np.nan
    excluded["reason"] = ["clear at baseline"] * len(clear_baseline) + [
        "no observed post-baseline value"
    ] * len(unobserved)
    return Derived(data, excluded.astype({"reason": "string"}))


def time_to_relapse(
    visits: pd.DataFrame,
    subjects: pd.DataFrame,
    *,
    subject: str,
    visit: str,
    day: str,
    outcome: str,
    end_of_treatment: str,
    fraction_of_baseline: float | None = 0.5,
    at_least: float | None = None,
    baseline_visit: object = 0,
) -> Derived:
    """Time from end of treatment to relapse.

    Relapse is the first visit strictly after the subject's end-of-treatment day at which
    either ``outcome ≥ fraction_of_baseline × baseline`` (e.g. inflammatory lesions back to
    ≥ 50 % of baseline, the default) or, when ``at_least`` is given instead,
    ``outcome ≥ at_least`` (e.g. ``outcome="iga", at_least=3``). Give exactly one of the two.

    Returns
    -------
    Derived
        ``data``: one row per subject at risk, with ``time`` (days from end of treatment to
        the relapse visit, or to the last post-treatment visit when censored) and ``event``.
        ``exclusions`` (subject level): end-of-treatment day missing; no baseline value
        (fraction rule); relapse criterion already met at the last visit on or before the end
        of treatment (not in remission, so not at risk of relapse); no visit after the end of
        treatment.

    Notes
    -----
    A subject is at risk when the last observed value on or before the end-of-treatment
    day does not meet the relapse criterion. Relapse is detected at visits only
    (interval censored), as for :func:`time_to_clearance`.

    Examples
    --------
    >>> visits = pd.DataFrame({"subject_id": [1] * 4, "month": [0, 6, 9, 12],
    ...                        "study_day": [0, 150, 270, 365],
    ...                        "inflammatory_lesions": [20, 2, 6, 12]})
    >>> subjects = pd.DataFrame({"subject_id": [1], "end_of_treatment_day": [150]})
    >>> time_to_relapse(visits, subjects, subject="subject_id", visit="month",
    ...                 day="study_day", outcome="inflammatory_lesions",
    ...                 end_of_treatment="end_of_treatment_day").data.values.tolist()
    [[1, True, 215.0]]
    """
    if (fraction_of_baseline is None) == (at_least is None):
        raise ValueError("give exactly one of fraction_of_baseline= and at_least=")
    require_columns(visits, subject=subject, visit=visit, day=day, outcome=outcome)
    require_columns(subjects, subject=subject, end_of_treatment=end_of_treatment)
    values = as_grade(visits[outcome])
    frame = pd.DataFrame({subject: visits[subject], day: visits[day], "value": values})
    frame["eot"] = frame[subject].map(subjects.set_index(subject)[end_of_treatment])
    at_baseline = visits[visit] == baseline_visit
    if at_least is not None:
        frame["threshold"] = float(at_least)
    else:
        base = frame.loc[at_baseline].dropna(subset=["value"]).set_index(subject)["value"]
        frame["threshold"] = fraction_of_baseline * frame[subject].map(base)
    frame = frame.loc[~at_baseline]
    eot_by_subject = subjects.drop_duplicates(subject).set_index(subject)[end_of_treatment]
    no_base = frame.groupby(subject)["threshold"].first().isna()
    usable = frame.dropna(subset=["value", day, "eot", "threshold"])
    relapsed = usable["value"] >= usable["threshold"]
    on_treatment = usable.loc[usable[day] <= usable["eot"]].sort_values([subject, day])
    last_on = on_treatment.groupby(subject).tail(1)
    not_remitted = set(last_on.loc[relapsed[last_on.index], subject])
    after = usable.loc[(usable[day] > usable["eot"]) & ~usable[subject].isin(not_remitted)]
    data = _first_event(after, subject=subject, day=day, event=relapsed[after.index])
    data["time"] -= data[subject].map(usable.groupby(subject)["eot"].first()).to_numpy(float)
    at_risk = set(data[subject])
    reasons: dict[object, str] = {}
    for subject_id in visits[subject].unique():
        if pd.isna(eot_by_subject.get(subject_id, np.nan)):
            reasons[subject_id] = "end-of-treatment day missing"
        elif no_base.get(subject_id, False):
            reasons[subject_id] = "no baseline value"
        elif subject_id in not_remitted:
            reasons[subject_id] = "relapse criterion met at end of treatment (not in remission)"
        elif subject_id not in at_risk:
            reasons[subject_id] = "no visit after end of treatment"
    excluded = pd.DataFrame(
        [(s, np.nan, r) for s, r in reasons.items() if r], columns=[subject, visit, "reason"]
    )
    return Derived(data, excluded.astype({"reason": "string"}))


SUBJECT_COLUMNS = ("arm", "site", "sex", "fitzpatrick", "age", "baseline_iga")


def analysis_frame(study, *, subject_columns: Sequence[str] = SUBJECT_COLUMNS) -> pd.DataFrame:
    """The long visits table with subject-level columns (arm, site, sex, ...) joined on.

    Every visit row is kept (a left join on ``subject_id``); the subject columns are those of
    the standard's ``subjects`` table.

    Examples
    --------
    >>> from acne_outcomes.study import Study
    >>> subjects = pd.DataFrame({"subject_id": ["S1"], "arm": ["comparator"], "site": ["A"],
    ...     "age": [19], "sex": ["male"], "fitzpatrick": ["IV"], "weight_kg": [70.0],
    ...     "baseline_iga": [3], "randomisation_day": [0]})
    >>> visits = pd.DataFrame({"subject_id": ["S1", "S1"], "month": [0, 1]})
    >>> analysis_frame(Study.from_tables(subjects, visits))[["month", "arm"]].values.tolist()
    [[0, 'comparator'], [1, 'comparator']]
    """
    columns = ["subject_id", *subject_columns]
    subjects, visits = study.subjects[columns], study.visits
    index = pd.Index(subjects["subject_id"])
    if index.is_unique and not set(subject_columns) & set(visits.columns):
        position = index.get_indexer(visits["subject_id"])
        if (position >= 0).all():  # every visit's subject is known: the join is a take
            joined = subjects.iloc[position, 1:].reset_index(drop=True)
            return pd.concat([visits.reset_index(drop=True), joined], axis=1)
    return visits.merge(subjects, on="subject_id", how="left", validate="many_to_one")


def study_flow(
    study, *, analysed: str | None = None, endpoint_visit: object = None
) -> pd.DataFrame:
    """CONSORT-style row accounting: enrolled, allocated, discontinued (by reason), analysed.

    Parameters
    ----------
    study : Study
    analysed : str, optional
        The outcome whose presence at ``endpoint_visit`` counts a subject as analysed; default
        the first lesion measurement the study collected (else its first outcome).
    endpoint_visit : optional
        Default: the primary visit of ``analysed``'s family in the study's design.

    Returns
    -------
    DataFrame
        Columns ``stage``, ``arm`` (empty for the whole study; the arm label otherwise), ``n``
        and ``detail``, as drawn by :func:`acne_outcomes.figures.plot_flow`. The detail of the
        outcome stage says how many allocated subjects lack the outcome there, so allocated =
        analysed + missing.
    """
    design = study.design
    families = standard.outcome_families()
    if analysed is None:
        collected = [name for name in design.outcomes if families.get(name) != "treatment"]
        lesions = [name for name in collected if families[name] == "lesions"]
        if not (lesions or collected):
            raise NotEstimable("no outcome was collected in this study")
        analysed = (lesions or collected)[0]
    if endpoint_visit is None:
        endpoint_visit = design.require_primary_visit(families.get(analysed, "lesions"))
    visit = design.visit_column
    subjects = study.subjects
    rows = [{"stage": "enrolled", "arm": "", "n": len(subjects), "detail": ""}]
    observed = study.visits.loc[
        (study.visits[visit] == endpoint_visit) & study.visits[analysed].notna(), "subject_id"
    ]
    for arm in design.labels:
        members = subjects[subjects["arm"] == arm]
        rows.append({"stage": "allocated", "arm": arm, "n": len(members), "detail": ""})
        reasons = members["discontinuation_reason"].dropna().astype(str).str.replace("_", " ")
        detail = "; ".join(
            f"{reason} {count}" for reason, count in reasons.value_counts().sort_index().items()
        )
        rows.append({"stage": "discontinued", "arm": arm, "n": int(reasons.size), "detail": detail})
        with_outcome = int(members["subject_id"].isin(observed).sum())
        missing = len(members) - with_outcome
        rows.append(
            {
                "stage": f"outcome at {design.visit_name(endpoint_visit)}",
                "arm": arm,
                "n": with_outcome,
                "detail": f"missing {missing}" if missing else "",
            }
        )
    return pd.DataFrame(rows)


#: Why the flow diagram starts at enrolment: what the data standard cannot show.
NO_SCREENING = (
    "screening is not recorded (the data standard has no screening table): those assessed "
    "for eligibility and those excluded before randomisation cannot be shown"
)
#: The allocation boxes' detail when ``end_of_treatment_day`` is missing for every subject
#: (declared not recorded, or not collected): who received the treatment is not known.
TREATMENT_NOT_RECORDED = "receipt of the allocated treatment not recorded"
#: The words of the outcome families in the flow diagram.
FAMILY_WORDS = {"lesions": "lesions", "scars": "scars", "pih": "PIH"}


def scheduled_day(design, visit) -> float:
    """The study day of a scheduled visit: the visit times the days of its unit.

    >>> from acne_outcomes.design import Design
    >>> round(scheduled_day(Design(visit_unit="months"), 5), 1), scheduled_day(Design(visit_unit="weeks"), 12)
    (152.2, 84.0)
    """
    return float(visit) * standard.DAYS_PER_VISIT_UNIT[design.visit_unit]


def _reasons(reasons: pd.Series) -> list[tuple[str, int]]:
    """Reasons with their counts, most frequent first: ``[("adverse event", 3), ...]``."""
    labels = standard.category_labels("discontinuation_reason")
    words = [
        "reason not recorded"
        if pd.isna(reason)
        else labels.get(reason, str(reason).replace("_", " "))
        for reason in reasons.astype(object)
    ]
    counts = pd.Series(words, dtype=object).value_counts()
    return sorted(((str(reason), int(count)) for reason, count in counts.items()),
                  key=lambda item: (-item[1], item[0]))  # fmt: skip


def _observed_after_baseline(study, outcomes) -> pd.Series:
    """Whether each visit row holds an observed value of any of ``outcomes`` after baseline."""
    visits = study.visits
    column = study.design.visit_column
    present = [name for name in outcomes if name in visits.columns]
    observed = visits[present].notna().any(axis=1) if present else pd.Series(False, visits.index)
    return observed & (visits[column] != study.design.baseline_visit)


def consort_flow(study, *, public: bool = False) -> pd.DataFrame:
    """The CONSORT 2010 flow of participants, from the row accounting of the study's tables.

    Enrolment (every subject in ``subjects``, randomised; screening is not in the data
    standard, :data:`NO_SCREENING`), allocation per arm (with those who received the
    allocated treatment: ``end_of_treatment_day`` recorded; when it is recorded for no
    subject — declared not recorded — the box says so, :data:`TREATMENT_NOT_RECORDED`),
    follow-up per arm (discontinued during treatment — ``discontinuation_day`` on or before
    the scheduled day of the design's end of treatment — and in the follow-up after it, each with its reasons; completed; no
    outcome recorded after baseline) and analysis per arm at each primary visit of the design
    (the families measured there), with who was not analysed and why.

    Parameters
    ----------
    study : Study
    public : bool, default False
        Apply the small-cell policy (:func:`acne_outcomes.privacy.small_cell_policy`): every
        count from 1 to k - 1 — a box's ``n``, a reason's count in ``detail`` ("pregnancy *")
        — and enough others that the sums of the flow cannot give one back
        (:meth:`~acne_outcomes.privacy.SmallCellPolicy.mask_sums` over allocated =
        discontinued + completed = received + not received = analysed + not analysed,
        discontinued = Σ reasons, not analysed = left before + value missing, enrolled =
        Σ allocated) are suppressed: ``n`` and ``not_analysed`` become nullable integers,
        missing where suppressed, :data:`~acne_outcomes.privacy.SUPPRESSED` stands in
        ``detail``, a ``suppressed`` column marks the boxes with a suppressed count and
        ``attrs["note"]`` says what ``*`` means.

    Returns
    -------
    DataFrame
        One row per box, in drawing order, with the columns of
        :func:`acne_outcomes.figures.plot_flow` (``stage``, ``arm``, ``n``, ``detail``) and
        ``key`` (what the box counts: ``enrolled``, ``allocated``, ``discontinued_treatment``
        and ``discontinued_follow_up`` — or ``discontinued`` when the design has no end of
        treatment, or no visit after it — ``completed``, ``no_post_baseline`` and
        ``analysed:<visit>``) and ``not_analysed`` (allocated minus analysed, on the analysis
        boxes; 0 elsewhere). ``arm`` is a categorical in the design's order (missing for the
        enrolment box). The boxes add up: per arm, allocated = the discontinued boxes +
        completed = analysed + not analysed at each primary visit; enrolled = Σ allocated.

    Examples
    --------
    >>> from acne_outcomes.study import Study
    >>> subjects = pd.DataFrame({"subject_id": ["S1", "S2", "S3"], "arm": ["a", "a", "b"],
    ...     "site": "X", "age": 20, "sex": "male", "fitzpatrick": "II", "weight_kg": 70.0,
    ...     "baseline_iga": 3, "randomisation_day": 0, "end_of_treatment_day": [90, 20, 90],
    ...     "discontinuation_day": [None, 20, None],
    ...     "discontinuation_reason": [None, "adverse_event", None]})
    >>> visits = pd.DataFrame({"subject_id": ["S1", "S1", "S2", "S3", "S3"],
    ...     "month": [0, 3, 0, 0, 3], "inflammatory_lesions": [20, 5, 30, 25, 20]})
    >>> flow = consort_flow(Study.from_tables(subjects, visits))
    >>> flow[["key", "arm", "n", "not_analysed"]].values.tolist()[:4]
    [['enrolled', nan, 3, 0], ['allocated', 'a', 2, 0], ['allocated', 'b', 1, 0], ['discontinued', 'a', 1, 0]]
    >>> flow.loc[flow["key"] == "analysed:3", ["arm", "n", "not_analysed"]].values.tolist()
    [['a', 1, 1], ['b', 1, 0]]
    """
    design = study.design
    subjects = study.subjects
    column = design.visit_column
    families = standard.outcome_families()
    outcomes = [name for name in design.outcomes if families.get(name) in standard.OUTCOME_FAMILIES]
    left_day = pd.to_numeric(subjects["discontinuation_day"], errors="coerce").astype("float64")
    eot = design.end_of_treatment
    later = eot is not None and any(visit > eot for visit in design.visits)
    observed = _observed_after_baseline(study, outcomes)
    # end_of_treatment_day missing for everyone: not recorded (a column declared null, or not
    # collected), so who received the treatment is unknown rather than nobody
    treatment_recorded = bool(subjects["end_of_treatment_day"].notna().any())
    with_data = set(study.visits.loc[observed, "subject_id"])
    counts: dict = {"enrolled": len(subjects)}  # every count the flow shows, by name
    sums: list = []  # (total, parts) that add up, for public mode
    rows = [
        {"key": "enrolled", "stage": "Enrolled and randomised", "arm": None,
         "n": "enrolled", "detail": [[NO_SCREENING]]}
    ]  # fmt: skip
    if later:
        end = scheduled_day(design, eot)
        name = design.visit_name(eot)
        periods = [
            ("discontinued_treatment", f"Discontinued during treatment (to {name})",
             left_day.notna() & (left_day <= end)),
            ("discontinued_follow_up", f"Discontinued in follow-up (after {name})",
             left_day.notna() & (left_day > end)),
        ]  # fmt: skip
    else:
        periods = [("discontinued", "Discontinued", left_day.notna())]
    primary = {}
    for family, visit in design.primary_visits.items():
        primary.setdefault(visit, []).append(family)
    arms = design.labels
    boxes = {key: [] for key in ["allocated", *(p[0] for p in periods), "completed",
                                 "no_post_baseline", *(f"analysed:{v:g}" for v in sorted(primary))]}  # fmt: skip

    def count(name, value) -> tuple:
        counts[name] = int(value)
        return name

    for label in arms:
        member = (subjects["arm"] == label).to_numpy()
        members = subjects.loc[member]
        allocated = count(("allocated", label), len(members))
        if treatment_recorded:
            received = int(members["end_of_treatment_day"].notna().sum())
            given = [count(("received", label), received),
                     count(("not_received", label), len(members) - received)]  # fmt: skip
            sums.append((allocated, given))
            detail = [["received the allocated treatment ", given[0]],
                      ["did not receive it ", given[1]]]  # fmt: skip
        else:
            detail = [[TREATMENT_NOT_RECORDED]]
        boxes["allocated"].append(("Allocated", label, allocated, detail, 0))
        parts = []
        for key, stage, mask in periods:
            chosen = members.loc[mask.to_numpy()[member]]
            box = count((key, label), len(chosen))
            reasons = _reasons(chosen["discontinuation_reason"])
            lines = [[reason + " ", count((key, label, reason), n)] for reason, n in reasons]
            sums.append((box, [line[1] for line in lines]))
            boxes[key].append((stage, label, box, lines, 0))
            parts.append(box)
        completed = count(("completed", label), left_day[member].isna().sum())
        sums.append((allocated, [*parts, completed]))
        boxes["completed"].append(("Completed the study", label, completed, [], 0))
        without = int((~members["subject_id"].isin(with_data)).sum())
        boxes["no_post_baseline"].append(
            ("No outcome recorded after baseline", label, count(("no_post_baseline", label), without),
             [["in no longitudinal analysis"]] if without else [], 0)
        )  # fmt: skip
        for visit in sorted(primary):
            measured = [name for name in outcomes if families[name] in primary[visit]]
            at = study.visits[(study.visits[column] == visit)]
            seen = (
                set(at.loc[at[measured].notna().any(axis=1), "subject_id"]) if measured else set()
            )
            analysed = members["subject_id"].isin(seen).to_numpy()
            missing = len(members) - int(analysed.sum())
            before = int(
                (left_day[member] < scheduled_day(design, visit)).to_numpy()[~analysed].sum()
            )
            shown = count(("analysed", visit, label), analysed.sum())
            lost = count(("not_analysed", visit, label), missing)
            why = [count(("left_before", visit, label), before),
                   count(("value_missing", visit, label), missing - before)]  # fmt: skip
            sums += [(allocated, [shown, lost]), (lost, why)]
            detail = [["not analysed ", lost, f": left before {design.visit_name(visit)} ",
                       why[0], "; value missing ", why[1]]]  # fmt: skip
            words = ", ".join(FAMILY_WORDS[family] for family in primary[visit])
            stage = f"Analysed at {design.visit_name(visit)}: {words}"
            boxes[f"analysed:{visit:g}"].append((stage, label, shown, detail, lost))
    sums.append(("enrolled", [entry[2] for entry in boxes["allocated"]]))
    policy = small_cell_policy() if public else None
    masked = policy.mask_sums(counts, sums) if public else set()
    for key, entries in boxes.items():
        rows += [
            {"key": key, "stage": stage, "arm": label, "n": n, "detail": detail}
            | {"not_analysed": missing}
            for stage, label, n, detail, missing in entries
        ]

    def shown(name):
        return pd.NA if name in masked else counts[name]

    def text(lines) -> tuple[str, bool]:
        out, hidden = [], False
        for line in lines:
            names = [part for part in line[1:] if isinstance(part, tuple)]
            if names and not any(counts[name] or name in masked for name in names):
                continue  # a line of zeros is not written (none did not receive it)
            hidden |= any(name in masked for name in names)
            out.append("".join(
                part if isinstance(part, str) else (SUPPRESSED if part in masked else str(counts[part]))
                for part in line
            ))  # fmt: skip
        return "\n".join(out), hidden

    for row in rows:
        row["detail"], hidden = text(row["detail"])
        row["suppressed"] = hidden or row["n"] in masked
        row["n"] = shown(row["n"])
        lost = row.get("not_analysed", 0)
        row["not_analysed"] = shown(lost) if isinstance(lost, tuple) else lost
    columns = ["key", "stage", "arm", "n", "detail", "not_analysed"]
    flow = pd.DataFrame(rows, columns=[*columns, *(["suppressed"] if public else [])])
    integers = "Int64" if public else "int64"
    flow["n"] = flow["n"].astype(integers)
    flow["not_analysed"] = flow["not_analysed"].astype(integers)
    flow["arm"] = pd.Categorical(flow["arm"], categories=arms)
    if public:
        flow.attrs["note"] = policy.note()
    return flow


def at_visit(frame: pd.DataFrame, *, visit: str, value, outcome: str | None = None) -> pd.DataFrame:
    """The rows of ``frame`` at one visit (with ``outcome`` present, if named).

    Raises :class:`~acne_outcomes.checks.NotEstimable` when there are none, naming the visit:
    an analysis at a visit that no subject attended cannot be done.

    Examples
    --------
    >>> frame = pd.DataFrame({"month": [0, 5, 5], "y": [1.0, None, 2.0]})
    >>> at_visit(frame, visit="month", value=5, outcome="y")["y"].tolist()
    [2.0]
    >>> at_visit(frame, visit="month", value=3)
    Traceback (most recent call last):
    ...
    acne_outcomes.checks.NotEstimable: no subject has data at month 3
    """
    require_columns(frame, visit=visit, outcome=outcome)
    rows = frame[frame[visit] == value]
    if outcome is not None:
        rows = rows[rows[outcome].notna()]
    if rows.empty:
        what = f" for {outcome}" if outcome is not None else ""
        raise NotEstimable(f"no subject has data{what} at {visit} {value:g}")
    return rows


def with_baseline(
    frame: pd.DataFrame,
    outcome: str,
    *,
    subject: str = "subject_id",
    visit: str = "month",
    baseline_visit: object = 0,
) -> pd.DataFrame:
    """Post-baseline rows of ``frame`` with the subject's baseline ``outcome`` in ``baseline``.

    The input of the baseline-adjusted longitudinal models (MMRM, missing-data analyses):
    every post-baseline row is kept, including rows whose outcome is missing (the models
    drop those themselves, under MAR); subjects without a baseline value get ``NaN``.

    Examples
    --------
    >>> visits = pd.DataFrame({"subject_id": [1, 1, 2], "month": [0, 1, 1], "y": [5.0, 3.0, 4.0]})
    >>> with_baseline(visits, "y")["baseline"].tolist()
    [5.0, nan]
    """
    require_columns(frame, subject=subject, visit=visit, outcome=outcome)
    at_baseline = (frame[visit] == baseline_visit).to_numpy(dtype=bool, na_value=False)
    baseline = _baseline_of_rows(frame, subject, outcome, at_baseline, first=True)
    post_rows = np.flatnonzero(
        (frame[visit] != baseline_visit).to_numpy(dtype=bool, na_value=False)
    )
    post = frame.take(post_rows).reset_index(drop=True)
    post["baseline"] = baseline[post_rows]
    return post
