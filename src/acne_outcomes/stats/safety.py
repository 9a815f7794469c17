"""Safety: adverse-event incidence, exposure-adjusted rates, lab shift tables, worst grade.

* :func:`ae_incidence` — tidy estimates per term: proportion of subjects with ≥ 1 event per
  arm, risk difference (Newcombe), exposure-adjusted incidence rate per 100 person-years at
  risk (exposure censored at the first event).
* :func:`ae_table` — the count table behind it (subjects with ≥ 1 event, n, %, events).
* :func:`lab_shift_table` — baseline vs worst post-baseline category relative to the upper
  limit of normal.
* :func:`worst_grade_table` — subjects by their worst severity grade (0 = no event).
* :func:`ae_overview` — the overview a safety section opens with: subjects with any adverse
  event, a serious one, one of grade ≥ 3, one leading to discontinuation, a positive pregnancy
  test.
* :func:`lab_abnormalities` — subjects above the ULN after baseline, all and among those
  normal at baseline, with their denominators.
* :func:`share_above_limit` — the share of subjects above the ULN at each visit (the lab
  figures draw it beside the means).

Subjects come from the ``subjects`` table (the denominator: every randomised subject, with
or without events); events whose subject is not in ``subjects`` raise ``ValueError``. Each
returns a :class:`~acne_outcomes.stats.tidy.Result`: the tabulations carry their count table
as ``estimates``, and what was left out is counted in ``diagnostics``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from acne_outcomes.checks import (
    arms_present,
    check_ci_level,
    in_words,
    require_columns,
    require_numeric,
    resolve_arms,
)
from acne_outcomes.stats.tidy import (
    Result,
    diagnostics_frame,
    estimate_frame,
    exclusion_rows,
)

ANY_EVENT = "any adverse event"
DAYS_PER_YEAR = 365.25
_ADVERSE_EVENTS = "adverse events"


def _subjects_with_events(adverse_events, subjects, *, subject, arm, term):
    require_columns(adverse_events, subject=subject, term=term)
    require_columns(subjects, subject=subject, arm=arm)
    unknown = set(adverse_events[subject]) - set(subjects[subject])
    if unknown:
        raise ValueError(
            f"{len(unknown)} adverse-event subject{'s' if len(unknown) > 1 else ''} not in "
            f"subjects, e.g. {in_words(sorted(map(str, unknown))[:3])}"
        )
    events = adverse_events[[subject, term]].merge(subjects[[subject, arm]], on=subject)
    everything = events.assign(**{term: ANY_EVENT})
    return pd.concat([everything, events], ignore_index=True)


def _event_counts(adverse_events, subjects, *, subject, arm, term) -> list[dict]:
    """Diagnostic rows shared by :func:`ae_table` and :func:`ae_incidence`."""
    no_arm = subjects[arm].isna()
    no_term = int(adverse_events[term].isna().sum())
    return [
        {"diagnostic": "n_subjects", "value": int(subjects.loc[~no_arm, subject].nunique())},
        {"diagnostic": "n_events", "value": len(adverse_events)},
        {"diagnostic": "n_events_without_term", "value": no_term,
         "detail": f"counted under {ANY_EVENT!r} only"},
        *exclusion_rows({f"{arm} missing (subjects)": int(subjects.loc[no_arm, subject].nunique())}),
    ]  # fmt: skip


def ae_table(
    adverse_events: pd.DataFrame, subjects: pd.DataFrame, *, subject: str, arm: str, term: str
) -> Result:
    """Adverse-event counts by term and arm, with a first row group for any event.

    Returns
    -------
    Result
        ``estimates``: the count table, columns ``term``, ``arm``, ``n_subjects`` (arm
        denominator), ``n_with_event`` (subjects with ≥ 1 event of the term), ``percent``
        (100 · n_with_event / n_subjects) and ``n_events`` (all events, repeats included).
        Every term × arm combination appears, zeros included. ``diagnostics`` (``outcome``
        = "adverse events"): ``n_subjects`` (subjects in the denominators), ``n_events``
        (event rows), ``n_events_without_term`` (events with a missing term, counted under
        "any adverse event" only) and an ``excluded`` row for subjects without an arm.

    Examples
    --------
    >>> subjects = pd.DataFrame({"subject_id": [1, 2, 3, 4],
    ...                          "arm": ["isotretinoin", "isotretinoin", "comparator", "comparator"]})
    >>> events = pd.DataFrame({"subject_id": [1, 1, 3], "term": ["cheilitis", "cheilitis",
    ...                                                           "headache"]})
    >>> counts = ae_table(events, subjects, subject="subject_id", arm="arm", term="term")
    >>> counts.estimates.values.tolist()[:2]
    [['any adverse event', 'comparator', 2, 1, 50.0, 1], ['any adverse event', 'isotretinoin', 2, 1, 50.0, 2]]
    >>> counts.diagnostic("n_events")
    3
    """
    events = _subjects_with_events(adverse_events, subjects, subject=subject, arm=arm, term=term)
    denominators = subjects.groupby(arm, observed=True)[subject].nunique()
    terms = [ANY_EVENT] + sorted(set(adverse_events[term].dropna()) - {ANY_EVENT})
    grid = pd.MultiIndex.from_product([terms, denominators.index], names=["term", "arm"])
    grouped = events.groupby([term, arm], observed=True)[subject]
    table = pd.DataFrame({"n_with_event": grouped.nunique(), "n_events": grouped.size()})
    table.index.names = ["term", "arm"]
    table = table.reindex(grid, fill_value=0).reset_index()
    table.insert(2, "n_subjects", table["arm"].map(denominators).to_numpy())
    table.insert(4, "percent", 100.0 * table["n_with_event"] / table["n_subjects"])
    diagnostics = diagnostics_frame(
        _event_counts(adverse_events, subjects, subject=subject, arm=arm, term=term),
        outcome=_ADVERSE_EVENTS,
        method="adverse-event counts",
    )
    columns = ["term", "arm", "n_subjects", "n_with_event", "percent", "n_events"]
    return Result(table[columns], diagnostics)


def ae_incidence(
    adverse_events: pd.DataFrame,
    subjects: pd.DataFrame,
    *,
    subject: str,
    arm: str,
    term: str,
    exposure_days: str | None = None,
    onset: str | None = None,
    reference: object | None = None,
    ci_level: float = 0.95,
) -> Result:
    """Incidence of adverse events by term and arm, with risk differences and rates.

    Parameters
    ----------
    adverse_events : DataFrame
        One row per event.
    subjects : DataFrame
        One row per subject (the denominator), with the arm and optionally exposure.
    subject, arm, term : str
        Column names (``term`` in ``adverse_events``, ``arm`` in ``subjects``).
    exposure_days : str, optional
        Column of ``subjects`` with days on treatment; adds exposure-adjusted rates (needs
        ``onset``).
    onset : str, optional
        Column of ``adverse_events`` with the day of onset, on the scale of
        ``exposure_days`` (days since the start of treatment): a subject's time at risk for
        a term ends at the onset of their first event of that term.
    reference : optional
        Reference arm; default the first arm in sorted order (``"comparator"``).
    ci_level : float, default 0.95

    Returns
    -------
    Result
        ``estimates``: ``outcome`` = the term (``"any adverse event"`` first). Per arm:
        ``scale="proportion"`` (subjects with ≥ 1 event / subjects, Wilson CI, ``n`` = arm
        size) and, with exposure, ``scale="incidence rate per 100 person-years"``
        (exact Poisson CI; the person-years at risk in ``method``). Per non-reference arm:
        ``scale="risk difference"`` (arm − reference, Newcombe hybrid score CI, Pearson χ²
        p-value without correction). ``diagnostics``: as :func:`ae_table`, and with exposure
        one ``person_years`` row per arm (``detail`` = the arm; the whole exposure, before
        censoring at events).

    Raises
    ------
    ValueError
        On an unknown column, ``exposure_days`` without ``onset``, or an event without an
        onset day.

    Notes
    -----
    Exposure-adjusted incidence rate ``EAIR = 100 · x / (Σ_i T_i / 365.25)`` with ``x``
    subjects with ≥ 1 event of the term and ``T_i = min(onset of i's first event of the
    term, exposure_i)`` for them, ``T_i = exposure_i`` for the others: the time at risk of
    a first event, so that a common event is not understated by the exposure after it
    (a subject who had the event is no longer at risk of a first one). Exact CI
    ``[χ²_{α/2}(2x)/2, χ²_{1−α/2}(2x + 2)/2] / T`` (Garwood 1936).

    References
    ----------
    Garwood F (1936). Fiducial limits for the Poisson distribution. Biometrika 28:437–442.
    Zhou Y, Ke C, Jiang Q, Shahin S, Snapinn S (2015). Choosing appropriate metrics to
    evaluate adverse events in safety evaluation. Ther Innov Regul Sci 49:398–404.

    Examples
    --------
    >>> subjects = pd.DataFrame({"subject_id": range(6), "arm": ["isotretinoin"] * 3
    ...                          + ["comparator"] * 3, "exposure": [150] * 6})
    >>> events = pd.DataFrame({"subject_id": [0, 1, 3], "term": ["cheilitis"] * 3,
    ...                        "onset_day": [30, 60, 90]})
    >>> fit = ae_incidence(events, subjects, subject="subject_id", arm="arm", term="term",
    ...                    exposure_days="exposure", onset="onset_day")
    >>> rows = fit.estimates
    >>> rows.loc[rows["scale"] == "risk difference", ["outcome", "estimate"]].round(3).values.tolist()
    [['any adverse event', 0.333], ['cheilitis', 0.333]]
    >>> round(fit.diagnostic("person_years", detail="isotretinoin"), 2)
    1.23
    >>> rate = rows["scale"] == "incidence rate per 100 person-years"
    >>> round(float(rows.loc[rate & (rows["contrast"] == "isotretinoin"), "estimate"].iloc[0]), 1)
    304.4
    """
    ci_level = check_ci_level(ci_level)
    require_columns(subjects, exposure_days=exposure_days)
    require_columns(adverse_events, onset=onset)
    if exposure_days is not None and onset is None:
        raise ValueError(
            "exposure_days= needs onset= (the column of adverse_events with each event's "
            "onset day): the time at risk of a first event ends at it"
        )
    counts = ae_table(adverse_events, subjects, subject=subject, arm=arm, term=term)
    table = counts.estimates
    reference, treated = resolve_arms(subjects[arm], reference)
    exposure = at_risk = None
    if exposure_days is not None:
        exposure = subjects.groupby(arm, observed=True)[exposure_days].sum() / DAYS_PER_YEAR
        at_risk = _years_at_risk(adverse_events, subjects, subject=subject, arm=arm, term=term,
                                 exposure_days=exposure_days, onset=onset)  # fmt: skip
    rows = []
    for name, block in table.groupby("term", sort=False):
        block = block.set_index("arm")
        for level in [reference, *treated]:
            x, n = int(block.loc[level, "n_with_event"]), int(block.loc[level, "n_subjects"])
            low, high = proportion_confint(x, n, alpha=1 - ci_level, method="wilson")
            rows.append(
                {
                    "outcome": name,
                    "contrast": str(level),
                    "estimate": x / n,
                    "se": np.sqrt(x * (n - x) / n**3),
                    "ci_low": low,
                    "ci_high": high,
                    "n": n,
                    "method": "Wilson score interval",
                    "scale": "proportion",
                }
            )
            if at_risk is not None:
                years = at_risk.get(name, exposure)[level]
                rows.append(_rate_row(name, level, x, float(years), n, ci_level))
        for level in treated:
            rows.append(_difference_row(name, block, level, reference, ci_level))
    years = [] if exposure is None else [
        {"diagnostic": "person_years", "value": float(exposure[level]), "detail": str(level)}
        for level in [reference, *treated]
    ]  # fmt: skip
    diagnostics = pd.concat(
        [counts.diagnostics, diagnostics_frame(years, outcome=_ADVERSE_EVENTS,
                                               method="exposure-adjusted incidence")],
        ignore_index=True,
    )  # fmt: skip
    estimates = estimate_frame({"visit": pd.NA, "ci_level": ci_level, **row} for row in rows)
    return Result(estimates, diagnostics)


def _years_at_risk(adverse_events, subjects, *, subject, arm, term, exposure_days, onset):
    """Person-years at risk of a first event, ``{term: years by arm}`` (Notes of
    :func:`ae_incidence`), ``ANY_EVENT`` included; a term without events is not a key (its
    time at risk is the whole exposure)."""
    require_numeric(adverse_events, onset=onset)
    missing = int(adverse_events[onset].isna().sum())
    if missing:
        raise ValueError(
            f"{missing} adverse event(s) have no {onset}: the time at risk cannot be censored "
            "at them; impute the onset day or leave exposure_days out"
        )
    events = adverse_events[[subject, term, onset]]
    events = pd.concat([events.assign(**{term: ANY_EVENT}), events.dropna(subset=[term])])
    first = events.groupby([term, subject])[onset].min()
    people = subjects.loc[subjects[arm].notna(), [subject, arm, exposure_days]]
    days = people[exposure_days].to_numpy(dtype=float)
    years = {}
    for name in first.index.get_level_values(0).unique():
        onset_days = people[subject].map(first.loc[name]).to_numpy(dtype=float)
        time = np.where(np.isnan(onset_days), days, np.fmin(onset_days, days))
        totals = pd.Series(time, index=people.index).groupby(people[arm], observed=True).sum()
        years[name] = totals / DAYS_PER_YEAR
    return years


def _rate_row(name, level, events, person_years, n, ci_level):
    tail = (1 - ci_level) / 2
    low = scipy_stats.chi2.ppf(tail, 2 * events) / 2 if events else 0.0
    high = scipy_stats.chi2.ppf(1 - tail, 2 * events + 2) / 2
    return {
        "outcome": name,
        "contrast": str(level),
        "estimate": 100 * events / person_years,
        "se": 100 * np.sqrt(events) / person_years,
        "ci_low": 100 * low / person_years,
        "ci_high": 100 * high / person_years,
        "n": n,
        "method": f"exposure-adjusted ({person_years:.1f} person-years at risk), exact Poisson CI",
        "scale": "incidence rate per 100 person-years",
    }


def _difference_row(name, block, level, reference, ci_level):
    x1, n1 = (float(block.loc[level, c]) for c in ("n_with_event", "n_subjects"))
    x0, n0 = (float(block.loc[reference, c]) for c in ("n_with_event", "n_subjects"))
    low, high = confint_proportions_2indep(
        x1, n1, x0, n0, method="newcomb", compare="diff", alpha=1 - ci_level
    )
    table = np.array([[x1, n1 - x1], [x0, n0 - x0]])
    p_value = np.nan
    if (table.sum(axis=0) > 0).all():
        p_value = scipy_stats.chi2_contingency(table, correction=False)[1]
    return {
        "outcome": name,
        "contrast": f"{level} - {reference}",
        "estimate": x1 / n1 - x0 / n0,
        "se": np.sqrt(x1 * (n1 - x1) / n1**3 + x0 * (n0 - x0) / n0**3),
        "ci_low": low,
        "ci_high": high,
        "p_value": p_value,
        "n": int(n1 + n0),
        "method": "Newcombe hybrid score",
        "scale": "risk difference",
    }


def _uln_category(ratio: pd.Series, multiples: tuple[float, ...]) -> pd.Series:
    labels = [f"<= {multiples[0]:g} x ULN"] + [
        f"> {low:g} x ULN" if high is None else f"> {low:g}-{high:g} x ULN"
        for low, high in zip(multiples, [*multiples[1:], None], strict=True)
    ]
    codes = np.searchsorted(np.asarray(multiples), ratio.to_numpy(float), side="left")
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=labels, ordered=True), index=ratio.index
    )


def lab_shift_table(
    labs: pd.DataFrame,
    *,
    subject: str,
    visit: str,
    test: str,
    value: str,
    upper_limit: str,
    arm: str | None = None,
    baseline_visit: object = 0,
    multiples: tuple[float, ...] = (1.0,),
) -> Result:
    """Shift table: baseline category vs worst post-baseline category relative to the ULN.

    Parameters
    ----------
    labs : DataFrame
        Long labs, one row per subject × visit × test (merge the arm in to split by arm).
    subject, visit, test, value, upper_limit : str
        Column names; ``upper_limit`` holds the upper limit of normal (ULN) of that row.
    arm : str, optional
        Arm column in ``labs``.
    baseline_visit : default 0
    multiples : tuple of float, default (1.0,)
        Increasing ULN multiples bounding the categories, e.g. ``(1, 3)`` for ALT/AST gives
        "≤ 1 × ULN", "> 1–3 × ULN", "> 3 × ULN".

    Returns
    -------
    Result
        ``estimates``: the shift table, one row per test × arm × baseline category × worst
        category (all combinations, zeros included), with ``n_subjects``; a test without a
        subject in the table (a qualitative test such as pregnancy) has no rows. ``diagnostics``:
        ``n_subjects`` per test (``outcome`` = the test; subjects in the table) and one
        ``excluded`` row per test and reason (``outcome`` = the test, ``value`` = subjects
        left out): ``"no ULN or no value (qualitative test)"`` (e.g. pregnancy), ``"no
        baseline value"``, ``"no post-baseline value"``. ``Result.exclusions()`` sums them
        over tests.

    Notes
    -----
    ``ratio = value / ULN`` per row; the worst post-baseline category is that of the largest
    post-baseline ratio.

    Examples
    --------
    >>> labs = pd.DataFrame({"subject_id": [1, 1, 1, 2, 2], "month": [0, 1, 3, 0, 1],
    ...     "test": "alt", "value": [30, 70, 150, 20, 25], "uln": 40.0})
    >>> shifts = lab_shift_table(labs, subject="subject_id", visit="month",
    ...     test="test", value="value", upper_limit="uln", multiples=(1, 3))
    >>> table = shifts.estimates
    >>> table.loc[table["n_subjects"] > 0, ["baseline", "worst_post_baseline",
    ...                                      "n_subjects"]].values.tolist()
    [['<= 1 x ULN', '<= 1 x ULN', 1], ['<= 1 x ULN', '> 3 x ULN', 1]]
    >>> shifts.diagnostic("n_subjects", outcome="alt"), shifts.n_excluded
    (2, 0)
    """
    require_columns(
        labs, subject=subject, visit=visit, test=test, value=value, upper_limit=upper_limit, arm=arm
    )
    if list(multiples) != sorted(multiples) or not multiples:
        raise ValueError(f"multiples must be a non-empty increasing sequence; got {multiples}")
    keys = [test] + ([arm] if arm else []) + [subject]
    frame = labs.loc[labs[value].notna()].copy()
    frame["ratio"] = pd.to_numeric(frame[value]) / frame[upper_limit].astype("float64")
    frame["post"] = frame[visit] != baseline_visit
    usable = frame.loc[frame["ratio"].notna()]
    baseline = usable.loc[~usable["post"]].groupby(keys, observed=True)["ratio"].max()
    worst = usable.loc[usable["post"]].groupby(keys, observed=True)["ratio"].max()
    both = pd.concat({"baseline": baseline, "worst": worst}, axis=1, join="inner")
    categories = both.apply(lambda column: _uln_category(column, tuple(multiples)))
    labels = categories["baseline"].cat.categories
    everyone = labs.groupby(keys, observed=True).size().index
    reasons = pd.Series("", index=everyone, dtype=object)
    reasons[~everyone.isin(usable.set_index(keys).index)] = "no ULN or no value (qualitative test)"
    reasons[(reasons == "") & ~everyone.isin(baseline.index)] = "no baseline value"
    reasons[(reasons == "") & ~everyone.isin(worst.index)] = "no post-baseline value"
    excluded = reasons[reasons != ""].rename("reason").reset_index()
    analysed = both.reset_index().groupby(test, observed=True)[subject].nunique()
    rows = [
        {"outcome": str(name), "diagnostic": "n_subjects", "value": int(analysed.get(name, 0))}
        for name in sorted(labs[test].dropna().unique())
    ]
    by_reason = excluded.groupby([test, "reason"], observed=True).size()
    rows += [
        {**row, "outcome": str(name)}
        for (name, reason), count in by_reason.items()
        for row in exclusion_rows({reason: count})
    ]
    groups = [test] + ([arm] if arm else [])
    limited = [name for name in sorted(labs[test].dropna().unique()) if analysed.get(name, 0)]
    grid_levels = [limited] + [sorted(labs[name].dropna().unique()) for name in groups[1:]]
    grid_levels += [labels, labels]
    grid = pd.MultiIndex.from_product(
        grid_levels, names=[*groups, "baseline", "worst_post_baseline"]
    )
    counts = (
        categories.reset_index()
        .rename(columns={"worst": "worst_post_baseline"})
        .groupby([*groups, "baseline", "worst_post_baseline"], observed=True)
        .size()
    )
    table = counts.reindex(grid, fill_value=0).rename("n_subjects").reset_index()
    table = table.astype({"baseline": "string", "worst_post_baseline": "string"})
    return Result(table, diagnostics_frame(rows, method="lab shift table (ULN categories)"))


def worst_grade_table(
    adverse_events: pd.DataFrame,
    subjects: pd.DataFrame,
    *,
    subject: str,
    arm: str,
    grade: str,
    max_grade: int = 5,
) -> Result:
    """Subjects by their worst adverse-event severity grade, per arm.

    Returns
    -------
    Result
        ``estimates``: one row per arm × worst grade ``0..max_grade`` (0 = no adverse event)
        with ``n_subjects`` and ``percent`` of the arm. Each subject is counted once.
        ``diagnostics`` (``outcome`` = the grade column): ``n_subjects`` and an ``excluded``
        row for events without a grade (they do not count towards a subject's worst grade).

    Examples
    --------
    >>> subjects = pd.DataFrame({"subject_id": [1, 2, 3], "arm": ["a", "a", "b"]})
    >>> events = pd.DataFrame({"subject_id": [1, 1], "severity_grade": [1, 3]})
    >>> worst = worst_grade_table(events, subjects, subject="subject_id", arm="arm",
    ...                           grade="severity_grade", max_grade=3)
    >>> table = worst.estimates
    >>> table.loc[table["n_subjects"] > 0].values.tolist()
    [['a', 0, 1, 50.0], ['a', 3, 1, 50.0], ['b', 0, 1, 100.0]]
    >>> worst.diagnostic("n_subjects")
    3
    """
    require_columns(adverse_events, subject=subject, grade=grade)
    require_columns(subjects, subject=subject, arm=arm)
    grades = pd.to_numeric(adverse_events[grade])
    if ((grades < 1) | (grades > max_grade)).any():
        raise ValueError(f"grade={grade!r} values must lie in 1..{max_grade}")
    worst = grades.groupby(adverse_events[subject]).max()
    per_subject = subjects[[subject, arm]].drop_duplicates(subject)
    per_subject["worst_grade"] = per_subject[subject].map(worst).fillna(0).astype(int)
    grid = pd.MultiIndex.from_product(
        [sorted(per_subject[arm].unique()), range(max_grade + 1)], names=["arm", "worst_grade"]
    )
    counts = per_subject.groupby([arm, "worst_grade"]).size()
    counts.index.names = ["arm", "worst_grade"]
    table = counts.reindex(grid, fill_value=0).rename("n_subjects").reset_index()
    totals = table.groupby("arm")["n_subjects"].transform("sum")
    table["percent"] = 100.0 * table["n_subjects"] / totals
    rows = [
        {"diagnostic": "n_subjects", "value": int(len(per_subject))},
        *exclusion_rows({f"{grade} missing (events)": int(grades.isna().sum())}),
    ]
    return Result(table, diagnostics_frame(rows, outcome=grade, method="worst grade per subject"))


def tests_with_limits(
    labs: pd.DataFrame, *, test: str = "test", upper_limit: str = "upper_limit_normal"
) -> list:
    """The lab tests with an upper limit of normal and a value, in the data's order of tests.

    A categorical ``test`` keeps its categories' order (the data standard's); pregnancy tests
    have no limit and are left out.

    >>> labs = pd.DataFrame({"test": ["alt", "pregnancy", "alt"], "upper_limit_normal": [40.0, None, 40.0]})
    >>> tests_with_limits(labs)
    ['alt']
    """
    require_columns(labs, test=test, upper_limit=upper_limit)
    limited = set(labs.loc[labs[upper_limit].notna(), test].dropna())
    order = (
        labs[test].cat.categories
        if isinstance(labs[test].dtype, pd.CategoricalDtype)
        else sorted(limited)
    )
    return [name for name in order if name in limited]


def _subject_sets(subjects, *, subject, arm):
    """Each arm's subjects, in the arms' order (a categorical's, else sorted)."""
    with_arm = subjects.loc[subjects[arm].notna(), [subject, arm]].drop_duplicates(subject)
    levels = arms_present(with_arm[arm])
    return {level: set(with_arm.loc[with_arm[arm] == level, subject]) for level in levels}


def ae_overview(
    adverse_events: pd.DataFrame,
    subjects: pd.DataFrame,
    labs: pd.DataFrame | None = None,
    *,
    subject: str,
    arm: str,
    serious: str | None = "serious",
    grade: str | None = "severity_grade",
    severe_grade: int = 3,
    reason: str | None = "discontinuation_reason",
    reason_adverse_event: str = "adverse_event",
    test: str = "test",
    value: str = "value",
    pregnancy: str = "pregnancy",
) -> Result:
    """The overview of adverse events by arm: subjects with any, serious, severe, leading to
    discontinuation, and with a positive pregnancy test.

    Parameters
    ----------
    adverse_events : DataFrame
        One row per event (may have no rows: none occurred).
    subjects : DataFrame
        One row per subject (the denominators), with the arm and ``reason``.
    labs : DataFrame, optional
        Long labs; the pregnancy row needs them (left out without).
    subject, arm : str
        Column names (``arm`` in ``subjects``).
    serious, grade : str or None
        Columns of ``adverse_events``: the serious flag (true/false) and the severity grade
        (CTCAE 1–5); ``None`` leaves that row out.
    severe_grade : int, default 3
        The grade from which an event counts as severe (CTCAE grade ≥ 3).
    reason : str or None, default "discontinuation_reason"
        Column of ``subjects`` with the reason for leaving the study early; ``None`` leaves
        the discontinuation row out.
    reason_adverse_event : str, default "adverse_event"
        The value of ``reason`` that means an adverse event.
    test, value : str
        Columns of ``labs``: the test name and its result (pregnancy: 1 positive, 0 negative).
    pregnancy : str, default "pregnancy"
        The value of ``test`` of a pregnancy test.

    Returns
    -------
    Result
        ``estimates``: the overview table, one row per category × arm, in this order: ``any
        adverse event``, ``serious adverse event``, ``adverse event of grade ≥ 3``,
        ``adverse event leading to discontinuation``, ``positive pregnancy test``; columns
        ``category``, ``arm``, ``n_subjects`` (the denominator: subjects of the arm; for
        pregnancy, subjects of the arm with a pregnancy test result), ``n_with_event``
        (subjects counted once), ``percent`` and ``n_events`` (events; for discontinuation,
        subjects; for pregnancy, positive tests). ``diagnostics`` (``outcome`` = "adverse
        events"): ``n_subjects`` (subjects with an arm) and one ``excluded`` row per reason:
        events with a missing serious flag or grade (not counted in that row), subjects
        without an arm.

    Examples
    --------
    >>> subjects = pd.DataFrame({"subject_id": [1, 2, 3, 4], "arm": ["a", "a", "b", "b"],
    ...     "discontinuation_reason": [None, "adverse_event", None, "withdrew_consent"]})
    >>> events = pd.DataFrame({"subject_id": [1, 2, 2, 3], "serious": [False, True, False, False],
    ...                        "severity_grade": [1, 3, 2, 1]})
    >>> labs = pd.DataFrame({"subject_id": [1, 2, 3], "test": "pregnancy", "value": [0, 1, 0]})
    >>> table = ae_overview(events, subjects, labs, subject="subject_id", arm="arm").estimates
    >>> table[table["arm"] == "a"][["category", "n_with_event", "n_subjects"]].values.tolist()
    [['any adverse event', 2, 2], ['serious adverse event', 1, 2], ['adverse event of grade ≥ 3', 1, 2], ['adverse event leading to discontinuation', 1, 2], ['positive pregnancy test', 1, 2]]
    """
    require_columns(adverse_events, subject=subject, serious=serious, grade=grade)
    require_columns(subjects, subject=subject, arm=arm, reason=reason)
    unknown = set(adverse_events[subject]) - set(subjects[subject])
    if unknown:
        raise ValueError(
            f"{len(unknown)} adverse-event subject{'s' if len(unknown) > 1 else ''} not in "
            f"subjects, e.g. {in_words(sorted(map(str, unknown))[:3])}"
        )
    arms = _subject_sets(subjects, subject=subject, arm=arm)
    excluded = {}
    categories = [(ANY_EVENT, adverse_events, None)]
    if serious is not None:
        flags = adverse_events[serious].astype("boolean")
        excluded[f"{serious} missing (events)"] = int(flags.isna().sum())
        categories.append(("serious adverse event", adverse_events[flags.fillna(False)], None))
    if grade is not None:
        grades = pd.to_numeric(adverse_events[grade].astype("Float64"), errors="coerce")
        excluded[f"{grade} missing (events)"] = int(grades.isna().sum())
        severe = adverse_events[(grades >= severe_grade).fillna(False).to_numpy(bool)]
        categories.append((f"adverse event of grade ≥ {severe_grade}", severe, None))
    if reason is not None:
        left = subjects.loc[subjects[reason].astype("string") == reason_adverse_event, [subject]]
        categories.append(("adverse event leading to discontinuation", left, None))
    if labs is not None:
        require_columns(labs, subject=subject, test=test, value=value)
        tests = labs[(labs[test].astype("string") == pregnancy) & labs[value].notna()]
        positive = tests[pd.to_numeric(tests[value]) == 1]
        categories.append(("positive pregnancy test", positive, set(tests[subject])))
    rows = []
    for name, events, tested in categories:
        for level, members in arms.items():
            denominator = members if tested is None else members & tested
            mine = events[events[subject].isin(members)]
            rows.append(
                {
                    "category": name,
                    "arm": level,
                    "n_subjects": len(denominator),
                    "n_with_event": int(mine[subject].nunique()),
                    "percent": 100.0 * mine[subject].nunique() / len(denominator)
                    if denominator
                    else np.nan,
                    "n_events": len(mine),
                }
            )
    no_arm = int(subjects.loc[subjects[arm].isna(), subject].nunique())
    excluded[f"{arm} missing (subjects)"] = no_arm
    diagnostics = diagnostics_frame(
        [
            {"diagnostic": "n_subjects", "value": sum(len(members) for members in arms.values())},
            *exclusion_rows(excluded),
        ],
        outcome=_ADVERSE_EVENTS,
        method="adverse-event overview",
    )
    return Result(pd.DataFrame(rows), diagnostics)


def lab_abnormalities(
    labs: pd.DataFrame,
    *,
    subject: str,
    visit: str,
    test: str,
    value: str,
    upper_limit: str,
    arm: str | None = None,
    baseline_visit: object = 0,
) -> Result:
    """Subjects above the upper limit of normal after baseline, with their denominators.

    Parameters are those of :func:`lab_shift_table` (one ULN category boundary, 1 × ULN).

    Returns
    -------
    Result
        ``estimates``: one row per test × arm (tests with a limit only): ``n_subjects``
        (with a baseline and a post-baseline value), ``n_above`` (worst post-baseline value
        above the ULN) and ``percent_above`` (of ``n_subjects``), ``n_normal_baseline``
        (at or below the ULN at baseline), ``n_new`` (normal at baseline, above after) and
        ``percent_new`` (of ``n_normal_baseline``). ``diagnostics``: those of
        :func:`lab_shift_table`.

    Examples
    --------
    >>> labs = pd.DataFrame({"subject_id": [1, 1, 2, 2, 3, 3], "month": [0, 3] * 3,
    ...     "test": "triglycerides", "value": [100, 200, 160, 170, 90, 95], "uln": 150.0})
    >>> table = lab_abnormalities(labs, subject="subject_id", visit="month", test="test",
    ...                           value="value", upper_limit="uln").estimates
    >>> table[["n_subjects", "n_above", "n_normal_baseline", "n_new"]].values.tolist()
    [[3, 2, 2, 1]]
    """
    shifts = lab_shift_table(labs, subject=subject, visit=visit, test=test, value=value,
                             upper_limit=upper_limit, arm=arm, baseline_visit=baseline_visit)  # fmt: skip
    table = shifts.estimates
    normal = _uln_category(pd.Series([1.0]), (1.0,)).astype("string").iloc[0]
    groups = [test] + ([arm] if arm else [])
    is_above = table["worst_post_baseline"] != normal
    counts = table.assign(
        n_above=table["n_subjects"].where(is_above, 0),
        n_normal_baseline=table["n_subjects"].where(table["baseline"] == normal, 0),
        n_new=table["n_subjects"].where(is_above & (table["baseline"] == normal), 0),
    )
    columns = ["n_subjects", "n_above", "n_normal_baseline", "n_new"]
    summary = counts.groupby(groups, observed=True, sort=False)[columns].sum().reset_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        summary.insert(
            len(groups) + 2, "percent_above", 100.0 * summary["n_above"] / summary["n_subjects"]
        )
        summary["percent_new"] = 100.0 * summary["n_new"] / summary["n_normal_baseline"]
    return Result(summary, shifts.diagnostics)


def share_above_limit(
    labs: pd.DataFrame,
    *,
    subject: str,
    visit: str,
    test: str,
    value: str,
    upper_limit: str,
    arm: str | None = None,
    ci_level: float = 0.95,
) -> Result:
    """The share of subjects with a value above the upper limit of normal at each visit.

    Parameters
    ----------
    labs : DataFrame
        Long labs, one row per subject × visit × test.
    subject, visit, test, value, upper_limit : str
        Column names.
    arm : str, optional
        Arm column (one share per arm and visit).
    ci_level : float, default 0.95

    Returns
    -------
    Result
        ``estimates``: ``outcome`` = the test, ``contrast`` = the arm (``"all"`` without one),
        ``visit``, ``estimate`` = the share of the subjects with a value there whose value is
        above the ULN (Wilson CI), ``n`` = those subjects, ``scale="proportion above ULN"``.
        Tests without a limit (pregnancy) are left out. ``diagnostics``: one ``excluded`` row
        per reason (``"no ULN or no value"``).

    Examples
    --------
    >>> labs = pd.DataFrame({"subject_id": [1, 2, 1, 2], "month": [0, 0, 3, 3],
    ...     "test": "alt", "value": [20, 30, 50, 30], "uln": 40.0})
    >>> share_above_limit(labs, subject="subject_id", visit="month", test="test",
    ...                   value="value", upper_limit="uln").estimates["estimate"].tolist()
    [0.0, 0.5]
    """
    require_columns(labs, subject=subject, visit=visit, test=test, value=value,
                    upper_limit=upper_limit, arm=arm)  # fmt: skip
    ci_level = check_ci_level(ci_level)
    require_numeric(labs, value=value, upper_limit=upper_limit)
    usable = labs[labs[value].notna() & labs[upper_limit].notna()]
    if arm is not None:
        usable = usable[usable[arm].notna()]
    frame = usable.assign(
        _above=pd.to_numeric(usable[value]).to_numpy(float)
        > usable[upper_limit].astype("float64").to_numpy(float),
        _arm="all" if arm is None else usable[arm],
    )
    rows = []
    keys = [test, "_arm", visit]
    for (name, level, when), block in frame.groupby(keys, observed=True, sort=True):
        per_subject = block.groupby(subject)["_above"].max()
        x, n = int(per_subject.sum()), len(per_subject)
        low, high = proportion_confint(x, n, alpha=1 - ci_level, method="wilson")
        rows.append(
            {
                "outcome": str(name),
                "contrast": str(level),
                "visit": when,
                "estimate": x / n,
                "se": np.sqrt(x * (n - x) / n**3),
                "ci_low": low,
                "ci_high": high,
                "ci_level": ci_level,
                "n": n,
                "method": "Wilson score interval",
                "scale": "proportion above ULN",
            }
        )
    diagnostics = diagnostics_frame(
        exclusion_rows({"no ULN or no value": len(labs) - len(usable)}),
        method="share above the upper limit of normal",
    )
    return Result(estimate_frame(rows), diagnostics)
