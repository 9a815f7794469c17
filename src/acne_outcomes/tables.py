"""Presentation tables — Table 1, endpoints, time to event, adverse events, labs — and their files.

Tables are plain DataFrames of display strings (one row per line of the printed table), built
from the study tables or from the statistics helpers' outputs, so that what a notebook shows
and what the report writes are the same object. Rows and columns are named from the data
dictionary (:func:`outcome_label`, :func:`variable_label`: the standard's field titles, units
and category labels), never from column names. A table's footnotes travel with it in
``frame.attrs["notes"]`` (:func:`notes_of`) and are printed under it on the page and in every
file; :func:`show` displays it in a notebook, :func:`write_table` writes CSV (the data),
HTML, LaTeX (a booktabs ``tabular`` that compiles as it is) and RTF (which Word opens).

In *public* mode small counts are suppressed (:func:`acne_outcomes.privacy.suppress_small_cells`,
primary and complementary) and shown as :data:`SUPPRESSED`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from acne_outcomes import standard
from acne_outcomes.privacy import small_cell_policy, suppress_small_cells
from acne_outcomes.stats.binary import nnt_label

SUPPRESSED = "*"
SUPPRESSION_NOTE = "* suppressed: fewer than {k} subjects, or a cell that would reveal one"
#: Where a table keeps its footnotes (a list of sentences).
NOTES = "notes"
#: Units shown as "count" in labels (the standard names what is counted).
COUNT_UNITS = {"lesions", "macules"}
#: Abbreviations explained under a table when one of its labels uses them.
ABBREVIATIONS = {
    "IGA": "Investigator's Global Assessment",
    "ECCA": "échelle d'évaluation clinique des cicatrices d'acné",
    "PIH": "post-inflammatory hyperpigmentation",
    "ULN": "upper limit of normal",
    "ALT": "alanine aminotransferase",
    "AST": "aspartate aminotransferase",
    "NE": "not estimable",
    "NNTB": "number needed to treat for one more subject to benefit",
    "NNTH": "number needed to treat for one more subject to be harmed",
}
_NOT_ESTIMABLE = "NE"
_COMPARISON_SCALES = (
    "difference",
    "ratio",
    "number needed to treat",
)


# ---------------------------------------------------------------------- labels


def outcome_label(name: str) -> str:
    """An outcome's row label, from the data dictionary.

    Examples
    --------
    >>> outcome_label("pih_index"), outcome_label("percent change in inflammatory_lesions")
    ('PIH index', 'Inflammatory lesions, % change from baseline')
    >>> outcome_label("responder_50")
    'Responders (≥ 50% reduction from baseline)'
    """
    name = str(name)
    change = re.fullmatch(r"percent change in (\w+)", name)
    if change:
        return f"{standard.label(change.group(1))}, % change from baseline"
    responder = re.fullmatch(r"responder_(\d+(?:\.\d+)?)", name)
    if responder:
        return f"Responders (≥ {responder.group(1)}% reduction from baseline)"
    return standard.label(name)


def variable_label(name: str) -> str:
    """A column's label with its unit: ``"Age (years)"``, ``"ECCA score (points, 0–540)"``.

    Counts are "count"; grades and categories carry no unit.

    >>> variable_label("weight_kg"), variable_label("nodules"), variable_label("scar_grade")
    ('Weight (kg)', 'Nodules (count)', 'Scar grade (Goodman & Baron)')
    >>> variable_label("pih_index")
    'PIH index (points, 0–12)'
    """
    label = standard.label(name)
    unit = standard.unit(name)
    if unit in COUNT_UNITS:
        return f"{label} (count)"
    if unit in (None, "grade", "proportion") or unit in standard.VISIT_UNITS:
        return label
    if unit == "points":
        limits = (standard.find_field(name) or {}).get("constraints", {})
        if "minimum" in limits and "maximum" in limits:
            return f"{label} (points, {limits['minimum']:g}–{limits['maximum']:g})"
    return f"{label} ({unit})"


def term_label(term: object) -> str:
    """An adverse-event term in words: ``"dry_eyes"`` → ``"Dry eyes"``.

    >>> term_label("dry_eyes"), term_label("any adverse event"), term_label("ALT increased")
    ('Dry eyes', 'Any adverse event', 'ALT increased')
    """
    text = str(term).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def level_label(name: str, value: object) -> str:
    """A category of a column as printed: ``"3: moderate"`` for a labelled grade, else the
    value with a capital (``"Female"``, ``"IV"``).

    >>> level_label("scar_grade", 3), level_label("sex", "female"), level_label("fitzpatrick", "IV")
    ('3: moderate', 'Female', 'IV')
    """
    labels = standard.category_labels(name)
    for key, label in labels.items():
        if str(key) == str(value):
            return f"{key}: {label}" if not isinstance(key, str) else term_label(label)
    return term_label(value)


def visit_label(visit: object, design=None, *, primary: object = None) -> str:
    """A visit as printed: ``"Month 5 (primary)"``, ``"Month 3 (secondary)"``, ``"Baseline"``.

    Without a design, the number; with ``primary`` (the primary visit of the outcome's
    family), every other post-baseline visit is flagged secondary.

    >>> from acne_outcomes.design import Design
    >>> design = Design(visit_unit="weeks", visits=(0, 4, 12))
    >>> visit_label(12, design, primary=12), visit_label(4, design, primary=12)
    ('Week 12 (primary)', 'Week 4 (secondary)')
    >>> visit_label(0, design), visit_label(float("nan"))
    ('Baseline', '')
    """
    if visit is None or pd.isna(visit):
        return ""
    if design is None:
        return f"{float(visit):g}"
    text = design.visit_name(visit)
    text = text[:1].upper() + text[1:]
    if primary is not None and visit != design.baseline_visit:
        text += " (primary)" if visit == primary else " (secondary)"
    return text


# ---------------------------------------------------------------------- notes


def with_notes(frame: pd.DataFrame, notes: Iterable[str]) -> pd.DataFrame:
    """``frame`` with its footnotes (kept in ``frame.attrs["notes"]``, in order, no repeats).

    >>> notes_of(with_notes(pd.DataFrame({"a": [1]}), ["First.", "Second.", "First."]))
    ['First.', 'Second.']
    """
    frame.attrs[NOTES] = list(dict.fromkeys([*notes_of(frame), *(str(n) for n in notes if n)]))
    return frame


def notes_of(frame: pd.DataFrame) -> list[str]:
    """The footnotes of a table (empty when it has none)."""
    return list(frame.attrs.get(NOTES, []))


def _abbreviations(texts: Iterable[str]) -> str:
    found = []
    words = set(re.findall(r"[A-Z]{2,}", " ".join(str(text) for text in texts)))
    for abbreviation, meaning in ABBREVIATIONS.items():
        if abbreviation in words:
            found.append(f"{abbreviation}, {meaning}")
    return "; ".join(found) + "." if found else ""


def _finish(table: pd.DataFrame, notes: Iterable[str], *, public: bool = False, k: int = 5):
    """Reset the index, add the abbreviations of its text and the notes."""
    table = table.reset_index(drop=True)
    texts = [*map(str, table.columns), *table.astype("string").fillna("").to_numpy().ravel()]
    notes = [*notes, _abbreviations(texts)]
    if public:
        notes.append(SUPPRESSION_NOTE.format(k=k))
    return with_notes(table, notes)


# ---------------------------------------------------------------------- numbers


def format_number(value: float, digits: int = 2) -> str:
    """A number with fixed decimals; empty for missing.

    >>> format_number(3.14159), format_number(None)
    ('3.14', '')
    """
    return "" if value is None or pd.isna(value) else f"{value:.{digits}f}"


def format_p(p_value: float) -> str:
    """p-values as journals print them: ``<0.001``, else three decimals.

    >>> format_p(0.0004), format_p(0.04567), format_p(float("nan"))
    ('<0.001', '0.046', '')
    """
    if p_value is None or pd.isna(p_value):
        return ""
    return "<0.001" if p_value < 0.001 else f"{p_value:.3f}"


def format_interval(estimate, low, high, digits: int = 2) -> str:
    """``"estimate (low to high)"``; a missing limit is NE (not estimable).

    >>> format_interval(1.5, 1.0, None, 1)
    '1.5 (1.0 to NE)'
    """
    parts = [format_number(value, digits) or _NOT_ESTIMABLE for value in (estimate, low, high)]
    return f"{parts[0]} ({parts[1]} to {parts[2]})"


def count_percent(n: int, denominator: int, *, show_denominator: bool = False) -> str:
    """``"n (%)"`` or ``"n/N (%)"``, one decimal; no percentage of an empty denominator.

    >>> count_percent(3, 40), count_percent(3, 40, show_denominator=True), count_percent(0, 0)
    ('3 (7.5)', '3/40 (7.5)', '0')
    """
    head = f"{int(n)}/{int(denominator)}" if show_denominator else f"{int(n)}"
    if not denominator:
        return head
    return f"{head} ({100 * n / denominator:.1f})"


def _suppressed(counts: pd.DataFrame, text: pd.DataFrame, public: bool, k: int) -> pd.DataFrame:
    if not public or counts.empty:
        return text
    masked = suppress_small_cells(counts.fillna(0).astype("int64"), k=k).attrs["suppressed"]
    return text.mask(masked.to_numpy(), SUPPRESSED)


# ---------------------------------------------------------------------- Table 1


def _baseline_outcomes(design) -> list[str]:
    """The outcomes of the design to describe at baseline (IGA is in ``baseline_iga``)."""
    families = standard.outcome_families()
    return [
        name
        for name in design.outcomes
        if families.get(name) in standard.OUTCOME_FAMILIES and name != "iga"
    ]


def table_one(
    subjects: pd.DataFrame,
    visits: pd.DataFrame | None = None,
    *,
    design=None,
    continuous: tuple[str, ...] = ("age", "weight_kg"),
    categorical: tuple[str, ...] = ("sex", "fitzpatrick", "baseline_iga"),
    nonnormal: tuple[str, ...] = (),
    groupby: str = "arm",
    public: bool = False,
    k: int = 5,
) -> pd.DataFrame:
    """Table 1: baseline characteristics by arm, then overall (``tableone``).

    Parameters
    ----------
    subjects : DataFrame
        One row per subject.
    visits : DataFrame, optional
        The visits table: with ``design``, every outcome the design collected is described
        at its baseline visit (counts and scores as median [Q1, Q3], ordinal grades as n (%)),
        so Table 1 holds the disease at baseline as well as the demographics.
    design : Design, optional
        Names the arms, gives the baseline visit and the outcomes collected.
    continuous, categorical, nonnormal : tuple of str
        Columns of ``subjects`` described as mean (SD), n (%) and median [Q1, Q3].
    groupby : str, default "arm"
    public : bool, default False
        Category counts below ``k`` (and the complementary cells that would reveal them, per
        variable and arm) become :data:`SUPPRESSED`.
    k : int, default 5

    Returns
    -------
    DataFrame
        Columns ``Characteristic`` (label, unit and statistic from the data dictionary),
        ``Category`` (labelled levels, e.g. ``3: moderate``), one column per arm (in the
        design's order) and ``Overall``, each headed with its N; the footnotes say what the
        values are, which visit is baseline, what is missing and what the abbreviations mean.

    Examples
    --------
    >>> subjects = pd.DataFrame({"arm": ["a", "a", "b", "b"], "age": [18, 20, 22, 24],
    ...                          "sex": ["female", "male", "male", "male"]})
    >>> table = table_one(subjects, continuous=("age",), categorical=("sex",))
    >>> table.columns.tolist()
    ['Characteristic', 'Category', 'a (N=2)', 'b (N=2)', 'Overall (N=4)']
    >>> table.iloc[0].tolist()
    ['Age (years), mean (SD)', '', '19.0 (1.4)', '23.0 (1.4)', '21.0 (2.6)']
    """
    from tableone import TableOne

    if visits is not None and design is None:
        raise ValueError("table_one: visits= needs design= (the baseline visit and outcomes)")
    continuous, categorical, nonnormal = list(continuous), list(categorical), list(nonnormal)
    data = subjects.copy()
    if design is not None:
        data = design.named(data, groupby)
    if visits is not None:
        column = design.visit_column
        outcomes = [name for name in _baseline_outcomes(design) if name in visits.columns]
        at_baseline = visits.loc[visits[column] == design.baseline_visit, ["subject_id", *outcomes]]
        data = data.merge(at_baseline.drop_duplicates("subject_id"), on="subject_id", how="left")
        for name in outcomes:
            item = standard.find_field(name) or {}
            (categorical if standard.is_ordinal(item) else nonnormal).append(name)
    _check_columns(data, [*continuous, *categorical, *nonnormal, groupby], "table_one")
    numeric = [*continuous, *nonnormal]
    columns = [*numeric, *categorical]
    frame = data[[*columns, groupby]].copy()
    for name in numeric:
        frame[name] = pd.to_numeric(frame[name].astype("Float64"), errors="coerce").astype(float)
    order = {}
    for name in categorical:
        values = frame[name]
        levels = (
            list(values.cat.categories)
            if isinstance(values.dtype, pd.CategoricalDtype)
            else sorted(values.dropna().unique(), key=str)
        )
        order[name] = [str(level) for level in levels if (values.astype(object) == level).any()]
        frame[name] = values.astype("string").astype(object)
    arms = (
        list(data[groupby].cat.categories)
        if isinstance(data[groupby].dtype, pd.CategoricalDtype)
        else sorted(data[groupby].dropna().unique(), key=str)
    )
    arms = [str(arm) for arm in arms if (data[groupby] == arm).any()]
    frame[groupby] = frame[groupby].astype("string").astype(object)
    decimals = {name: 0 if _is_whole(frame[name]) else 1 for name in nonnormal}
    table = TableOne(
        frame, columns=columns, categorical=categorical, nonnormal=nonnormal, groupby=groupby,
        order=order, pval=False, missing=False, decimals={**dict.fromkeys(columns, 1), **decimals},
        overall=True,
    ).tableone  # fmt: skip
    table.columns = [column[1] for column in table.columns]
    table.index.names = ["variable", "level"]
    table = table.reset_index().astype("string").fillna("")
    table = table[table["variable"] != "n"]
    groups = [column for column in table.columns if column not in ("variable", "level")]
    table[groups] = table[groups].apply(
        lambda column: column.str.replace(r",(?=\S)", ", ", regex=True)
    )
    if public:
        table = _suppress_table_one(table, k)
    sizes = {arm: int((frame[groupby] == arm).sum()) for arm in arms}
    out = pd.DataFrame(
        {
            "Characteristic": table["variable"].map(_characteristic),
            "Category": [
                "" if level == "" else level_label(_variable_name(variable), level)
                for variable, level in zip(table["variable"], table["level"], strict=True)
            ],
        }
    )
    for arm in arms:
        out[f"{arm} (N={sizes[arm]})"] = table[arm].to_numpy()
    out[f"Overall (N={len(frame)})"] = table["Overall"].to_numpy()
    notes = [
        "Values are mean (SD), median [Q1, Q3] or n (%), as labelled; percentages of the "
        "subjects with a value."
    ]
    if visits is not None:
        notes.append(
            f"Disease characteristics at baseline ({design.visit_column} "
            f"{design.baseline_visit:g})."
        )
    missing = frame[columns].isna().sum()
    missing = missing[missing > 0]
    if len(missing):
        notes.append(
            "Missing: "
            + "; ".join(f"{standard.label(name)} {int(count)}" for name, count in missing.items())
            + "."
        )
    return _finish(out, notes, public=public, k=k)


def _is_whole(values: pd.Series) -> bool:
    """Whether every value present is a whole number (counts, ECCA points)."""
    present = values.dropna().to_numpy(dtype=float)
    return bool(present.size) and bool(np.all(present == np.round(present)))


def _variable_name(variable: str) -> str:
    return str(variable).rsplit(", ", 1)[0]


def _characteristic(variable: str) -> str:
    """tableone's ``"age, mean (SD)"`` as ``"Age (years), mean (SD)"``."""
    name, _, statistic = str(variable).rpartition(", ")
    statistic = statistic.replace("median [Q1,Q3]", "median [Q1, Q3]")
    return f"{variable_label(name)}, {statistic}" if name else str(variable)


_COUNT = re.compile(r"^\s*(\d+) \(")


def _suppress_table_one(table: pd.DataFrame, k: int) -> pd.DataFrame:
    table = table.copy()
    groups = [column for column in table.columns if column not in ("variable", "level")]
    for _, block in table[table["variable"].str.endswith("n (%)")].groupby("variable", sort=False):
        counts = (
            block[groups]
            .apply(lambda column: column.str.extract(_COUNT, expand=False))
            .astype("Int64")
        )
        masked = suppress_small_cells(counts.fillna(0).astype("int64"), k=k).attrs["suppressed"]
        table.loc[block.index, groups] = block[groups].mask(masked.to_numpy(), SUPPRESSED)
    return table


def _check_columns(frame: pd.DataFrame, columns, what: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs column(s) {missing}; it has {list(frame.columns)}")


# ---------------------------------------------------------------------- endpoints


def _arms_of(contrast: str) -> tuple[str, ...]:
    for separator in (" - ", " / "):
        if separator in contrast:
            return tuple(sorted(contrast.split(separator, 1)))
    return (contrast,)


def _is_comparison(scale: str) -> bool:
    return any(word in str(scale) for word in _COMPARISON_SCALES)


def _estimate_text(row: Mapping, digits: int) -> str:
    if row["scale"] == "number needed to treat":
        text = nnt_label(row["estimate"], row["ci_low"], row["ci_high"])
        return re.sub(r"\(\d+% CI ", "(", text)
    return format_interval(row["estimate"], row["ci_low"], row["ci_high"], digits)


def endpoint_table(
    estimates: pd.DataFrame,
    *,
    design=None,
    family: str | None = None,
    visit: object = None,
    digits: int = 2,
    public: bool = False,
    k: int = 5,
) -> pd.DataFrame:
    """A tidy estimate frame for print: outcome, visit, comparison, measure, estimate (CI), p, n.

    Parameters
    ----------
    estimates : DataFrame
        Tidy estimates (:mod:`acne_outcomes.stats.tidy`), contrasts in the arms' names.
    design : Design, optional
        Names the visits (``Month 5``).
    family : str, optional
        The outcome family (``lesions``, ``scars``, ``pih``): its primary visit is marked
        "(primary)" and every other visit "(secondary)".
    visit : optional
        The visit of rows that carry none (an analysis at one visit, e.g. responders).
    digits : int, default 2
        Decimals of estimates (NNTs have one).
    public : bool, default False
        Apply the small-cell policy: a proportion times its n is a count, so when any arm's
        count with or without the event (``round(estimate * n)``) is small, every estimate and
        p-value of that outcome at that visit is shown as ``*`` (its risk difference, ratios and
        NNT would give the proportions back).
    k : int, default 5
        The policy's threshold (counts 1 to k - 1 are small).

    Returns
    -------
    DataFrame
        One row per estimate, labelled from the data dictionary. Model parameters that are
        not results (the cut-points of an ordinal model) are left out. One p-value per
        comparison: several measures of one comparison (risk difference, risk ratio, odds
        ratio, NNT) test the same hypothesis, so only the first shows it. The methods are
        footnotes, once each, not a column.

    Examples
    --------
    >>> from acne_outcomes.stats.tidy import estimate_frame
    >>> frame = estimate_frame([{"outcome": "pih_index", "contrast": "isotretinoin - comparator",
    ...     "visit": 12, "estimate": -0.5, "ci_low": -0.9, "ci_high": -0.1, "ci_level": 0.95,
    ...     "p_value": 0.012, "n": 266, "method": "MMRM", "scale": "mean difference"}])
    >>> table = endpoint_table(frame)
    >>> table.iloc[0].tolist()
    ['PIH index', '12', 'isotretinoin - comparator', 'Mean difference', '-0.50 (-0.90 to -0.10)', '0.012', '266']
    >>> table.columns[4], notes_of(table)[0]
    ('Estimate (95% CI)', 'Method: MMRM.')
    """
    _check_columns(
        estimates,
        ["outcome", "contrast", "visit", "estimate", "ci_low", "ci_high"],
        "endpoint_table",
    )
    rows = estimates.copy()
    for name, default in (("scale", ""), ("method", ""), ("p_value", np.nan), ("n", pd.NA),
                          ("ci_level", np.nan)):  # fmt: skip
        if name not in rows.columns:
            rows[name] = default
    rows["scale"] = rows["scale"].astype("string").fillna("")
    cut_points = rows["scale"].str.startswith("cut-point")
    rows = rows.loc[~cut_points].reset_index(drop=True)
    rows["visit"] = rows["visit"].astype("Float64")
    if visit is not None:
        rows["visit"] = rows["visit"].fillna(float(visit))
    primary = None
    if design is not None and family is not None:
        primary = design.primary_visit(family)
    keys = [
        (str(outcome), when, _arms_of(str(contrast)))
        for outcome, when, contrast in zip(
            rows["outcome"], rows["visit"], rows["contrast"], strict=True
        )
    ]
    owner, p_values = {}, []  # the first comparison scale of each comparison shows its p
    for key, scale, p_value in zip(keys, rows["scale"], rows["p_value"], strict=True):
        if _is_comparison(scale):
            owner.setdefault(key, scale)
        p_values.append(format_p(p_value) if owner.get(key) == scale else "")
    levels = sorted({f"{100 * level:g}%" for level in rows["ci_level"].dropna()})
    header = f"Estimate ({levels[0]} CI)" if len(levels) == 1 else "Estimate (CI)"
    table = pd.DataFrame(
        {
            "Outcome": rows["outcome"].map(outcome_label),
            "Visit": [visit_label(value, design, primary=primary) for value in rows["visit"]],
            "Comparison": rows["contrast"].astype("string").fillna(""),
            "Measure": rows["scale"].map(term_label),
            header: [
                _estimate_text(row, 1 if row["scale"] == "number needed to treat" else digits)
                for row in rows.to_dict("records")
            ],  # fmt: skip
            "p": p_values,
            "n": rows["n"].map(lambda n: "" if pd.isna(n) else str(int(n))),
        }
    )
    notes = []
    methods, outcomes_of = {}, {}  # a method's scales, and its rows' outcomes
    described = zip(
        rows["scale"],
        rows["method"].astype("string").fillna(""),
        rows["contrast"],
        rows["outcome"],
        strict=True,
    )
    for scale, method, contrast, outcome in described:
        if method and scale != "number needed to treat" and method != str(contrast):
            methods.setdefault(method, []).append(term_label(scale))
            outcomes_of.setdefault(method, []).append(outcome_label(outcome))
    for method in list(methods):
        base = re.fullmatch(r"(.+) \((.+)\)", method)
        if (
            base
            and base.group(1) in methods
            and set(methods[method]) <= set(methods[base.group(1)])
        ):
            which = " and ".join(dict.fromkeys(outcomes_of[method]))
            merged = f"{base.group(1)} ({base.group(2)} for {which})"
            methods = {merged if key == base.group(1) else key: value
                       for key, value in methods.items() if key != method}  # fmt: skip
    if len(methods) == 1:
        notes.append(f"Method: {next(iter(methods))}.")
    else:
        notes += [
            f"{', '.join(dict.fromkeys(scales))}: {method}." for method, scales in methods.items()
        ]
    if (rows["scale"] == "number needed to treat").any():
        notes.append("NNT: 1 / risk difference, with its interval (Altman 1998).")
    scales = {}
    for key, scale in zip(keys, rows["scale"], strict=True):
        if _is_comparison(scale):
            scales.setdefault(key, set()).add(scale)
    if any(len(found) > 1 for found in scales.values()):
        notes.append(
            "One p-value per comparison: the measures of one comparison test the same hypothesis."
        )
    if primary is not None and (rows["visit"].dropna() != primary).any():
        notes.append(
            f"The primary visit is {design.visit_name(primary)}; estimates at secondary visits "
            "are descriptive and their p-values are not adjusted for multiplicity."
        )
    if cut_points.any():
        notes.append("The cut-points (thresholds) of the ordinal model are not shown.")
    if public:
        hidden = _small_proportion_groups(rows, k)
        table.loc[hidden, [header, "p"]] = "*"
    return _finish(table, notes, public=public and bool(hidden.any()), k=k)


def _small_proportion_groups(rows: pd.DataFrame, k: int) -> pd.Series:
    """The rows of every (outcome, visit) whose proportions reveal a small count."""
    policy = small_cell_policy(k)
    proportions = rows[rows["scale"] == "proportion"]
    n = pd.to_numeric(proportions["n"], errors="coerce")
    events = (pd.to_numeric(proportions["estimate"], errors="coerce") * n).round()
    small = [
        bool(policy.is_small(int(count)) or policy.is_small(int(total - count)))
        if pd.notna(count) and pd.notna(total) else False
        for count, total in zip(events, n, strict=True)
    ]  # fmt: skip
    groups = {(str(outcome), visit) for outcome, visit, flag in
              zip(proportions["outcome"], proportions["visit"], small, strict=True) if flag}  # fmt: skip
    return pd.Series([(str(outcome), visit) in groups for outcome, visit in
                      zip(rows["outcome"], rows["visit"], strict=True)], index=rows.index)  # fmt: skip


def tipping_point_table(result, *, design=None, family: str | None = None) -> pd.DataFrame:
    """The estimates of a :func:`acne_outcomes.stats.missing.tipping_point` scan, one row per shift.

    The shifted arm is named by ``design`` (its display name, never its code) in the one
    method footnote.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from acne_outcomes.design import Arm, Design
    >>> rows = pd.DataFrame({"outcome": "pih_index", "visit": 12.0, "contrast": "SAR - VEH",
    ...     "scale": "mean difference", "estimate": [-0.4, 0.1], "ci_low": [-0.8, -0.3],
    ...     "ci_high": [0.0, 0.5], "p_value": [0.05, 0.6], "ci_level": 0.95, "n": 90,
    ...     "method": "MI (m=5) ANCOVA, delta-adjusted on imputed SAR values"})
    >>> scan = SimpleNamespace(deltas=np.array([-1.0, 0.0]), estimates=rows,
    ...     diagnostic={"delta_arm": "SAR", "m": 5}.get)
    >>> table = tipping_point_table(scan, design=Design(arms=(Arm("VEH", "Vehicle"),
    ...     Arm("SAR", "Sarecycline 1.5 mg/kg")), visit_unit="months", visits=(0, 12)))
    >>> list(table["Comparison"]), notes_of(table)[0]
    (['Shift -1.0', 'Shift +0.0'], "Method: multiple imputation (m = 5), ANCOVA pooled by Rubin's rules; the shift is added to the imputed outcomes of the Sarecycline 1.5 mg/kg arm.")
    """
    code = result.diagnostic("delta_arm")
    arm = design.name_of(code) if design is not None else str(code)
    m = result.diagnostic("m")
    method = (
        f"multiple imputation (m = {m}), ANCOVA pooled by Rubin's rules; the shift is added to "
        f"the imputed outcomes of the {arm} arm"
    )
    estimates = result.estimates.assign(
        contrast=[f"Shift {delta:+.1f}" for delta in np.asarray(result.deltas, dtype=float)],
        method=method,
    )
    return endpoint_table(estimates, design=design, family=family)


def grade_distribution_table(
    shares: pd.DataFrame,
    *,
    outcome: str,
    visit: str,
    design=None,
    public: bool = False,
    k: int = 5,
) -> pd.DataFrame:
    """The subjects at each grade, ``n (%)``, one column per arm and visit (a single arm's result).

    ``shares`` is :func:`acne_outcomes.stats.descriptive.proportions` by ``["arm", visit]``
    (arms in their display names); rows are the grades in words (:func:`level_label`).

    >>> shares = pd.DataFrame({"arm": "Drug", "month": [0, 0, 12, 12], "category": [0, 1, 0, 1],
    ...     "count": [3, 1, 4, 0], "total": [4, 4, 4, 4]})
    >>> table = grade_distribution_table(shares, outcome="scar_grade", visit="month")
    >>> table.columns.tolist(), table.values.tolist()
    (['Scar grade (Goodman & Baron)', 'Drug, month 0', 'Drug, month 12'], [['0: no scars', '3 (75.0)', '4 (100.0)'], ['1: macular', '1 (25.0)', '0 (0.0)']])
    """
    counts, text = {}, {}
    for (arm, when), group in shares.groupby(["arm", visit], sort=False, observed=True):
        when_text = design.visit_name(when) if design is not None else f"{visit} {when:g}"
        name = f"{arm}, {when_text}"
        indexed = group.set_index("category")
        counts[name] = indexed["count"]
        text[name] = pd.Series(
            [count_percent(int(n), int(total))
             for n, total in zip(indexed["count"], indexed["total"], strict=True)],
            index=indexed.index,
        )  # fmt: skip
    grades = list(dict.fromkeys(shares["category"]))
    count_frame = pd.DataFrame(counts).reindex(grades).fillna(0)
    text_frame = pd.DataFrame(text).reindex(grades)
    text_frame = _suppressed(count_frame, text_frame.fillna("0"), public, k)
    table = pd.concat(
        [pd.DataFrame({variable_label(outcome): [level_label(outcome, g) for g in grades]}),
         text_frame.reset_index(drop=True)],
        axis=1,
    )  # fmt: skip
    notes = ["n (%) of the subjects with a grade at the visit."]
    return _finish(table, notes, public=public, k=k)


# ---------------------------------------------------------------------- time to event


def time_to_event_table(
    summary: pd.DataFrame,
    *,
    time_unit: str = "days",
    event: str = "event",
    public: bool = False,
    k: int = 5,
) -> pd.DataFrame:
    """The time-to-event result by arm, from :func:`acne_outcomes.stats.survival.time_to_event_summary`.

    Parameters
    ----------
    summary : DataFrame
        Its estimates, contrasts in the arms' names.
    time_unit : str, default "days"
        The unit of the times (for the median's label).
    event : str, default "event"
        The event in words (e.g. "clearance").
    public : bool, default False
        Event counts below ``k`` become :data:`SUPPRESSED`.
    k : int, default 5

    Returns
    -------
    DataFrame
        Rows: subjects with the event, n (%); median time with its CI; hazard ratio against
        the reference with its CI and p-value; the log-rank p-value. One column per arm,
        headed with its N.

    Examples
    --------
    >>> summary = pd.DataFrame({"contrast": ["a", "b", "a", "b", "b / a", "a vs b"],
    ...     "estimate": [2.0, 3.0, 180.0, 75.0, 2.1, 1.4], "ci_low": [None, None, 60, 30, 0.5, None],
    ...     "ci_high": [None, None, None, 150, 8.0, None], "p_value": [None] * 4 + [0.3, 0.24],
    ...     "n": [4, 4, 4, 4, 8, 8], "method": "", "ci_level": 0.95,
    ...     "scale": ["events", "events", "median time", "median time", "hazard ratio", "chi-square"]})
    >>> time_to_event_table(summary, event="clearance").values.tolist()
    [['Subjects with clearance, n (%)', '2 (50.0)', '3 (75.0)'], ['Median time to clearance (95% CI), days', '180 (60 to NE)', '75 (30 to 150)'], ['Hazard ratio vs a (95% CI)', '', '2.10 (0.50 to 8.00)'], ['p (Cox, Wald)', '', '0.300'], ['p (log-rank)', '', '0.240']]
    """
    _check_columns(
        summary, ["contrast", "estimate", "ci_low", "ci_high", "scale"], "time_to_event_table"
    )
    events = summary[summary["scale"] == "events"]
    arms = [str(arm) for arm in events["contrast"]]
    sizes = dict(zip(arms, events["n"].astype(int), strict=True))
    counts = dict(zip(arms, events["estimate"].astype(int), strict=True))
    level = summary["ci_level"].dropna() if "ci_level" in summary.columns else pd.Series([])
    ci = f"{100 * level.iloc[0]:g}% CI" if len(level) else "CI"
    medians = summary[summary["scale"] == "median time"].set_index(
        summary.loc[summary["scale"] == "median time", "contrast"].astype(str)
    )
    rows = {
        f"Subjects with {event}, n (%)": {
            arm: count_percent(counts[arm], sizes[arm]) for arm in arms
        },
        f"Median time to {event} ({ci}), {time_unit}": {
            arm: _median_text(*medians.loc[arm, ["estimate", "ci_low", "ci_high"]])
            for arm in arms
            if arm in medians.index
        },
    }
    ratios = summary[summary["scale"] == "hazard ratio"]
    reference = None
    for contrast, row in zip(
        ratios["contrast"].astype(str), ratios.to_dict("records"), strict=True
    ):
        arm, _, reference = contrast.partition(" / ")
        rows.setdefault(f"Hazard ratio vs {reference} ({ci})", {})[arm] = format_interval(
            row["estimate"], row["ci_low"], row["ci_high"], 2
        )
        rows.setdefault("p (Cox, Wald)", {})[arm] = format_p(row["p_value"])
    log_rank = summary[summary["scale"] == "chi-square"]
    if len(log_rank) and arms:
        rows["p (log-rank)"] = {arms[-1]: format_p(log_rank["p_value"].iloc[0])}
    table = pd.DataFrame(
        [[name, *(cells.get(arm, "") for arm in arms)] for name, cells in rows.items()],
        columns=["", *(f"{arm} (N={sizes[arm]})" for arm in arms)],
    )
    if public:
        small = [0 < counts[arm] < k for arm in arms]
        if any(small):
            masked = [
                SUPPRESSED if flag else cell
                for flag, cell in zip(small, table.iloc[0, 1:], strict=True)
            ]
            table.iloc[0, 1:] = masked
    notes = [
        "N: subjects in the time-to-event analysis. Kaplan–Meier median with its interval "
        "(Brookmeyer–Crowley); not reached: the Kaplan–Meier curve, which accounts for "
        "censoring, does not fall to 0.5 within the follow-up; NE: the limit of the interval "
        "does not reach 0.5."
    ]
    if reference is not None:
        notes.append(
            "Hazard ratio from a Cox proportional-hazards model (Efron ties); above 1 the event "
            "comes sooner on the arm than on the reference. The log-rank test compares all arms."
        )
    return _finish(table, notes, public=public, k=k)


def _median_text(estimate, low, high) -> str:
    """A median time with its interval, in whole units; "not reached" when the curve stays
    above 0.5.

    >>> _median_text(float("nan"), float("nan"), float("nan")), _median_text(90.0, 60.0, None)
    ('not reached (NE to NE)', '90 (60 to NE)')
    """
    text = format_interval(estimate, low, high, 0)
    return text.replace(f"{_NOT_ESTIMABLE} (", "not reached (", 1) if pd.isna(estimate) else text


# ---------------------------------------------------------------------- safety


def _arm_columns(counts: pd.DataFrame, row: str, value: str) -> pd.DataFrame:
    table = counts.pivot(index=row, columns="arm", values=value)
    arms = [arm for arm in dict.fromkeys(counts["arm"]) if arm in table.columns]
    order = list(dict.fromkeys(counts[row]))
    return table.loc[order, arms]


def adverse_event_table(counts: pd.DataFrame, *, public: bool = False, k: int = 5) -> pd.DataFrame:
    """Adverse events by term (rows, most frequent first) and arm (columns) as "n (%)".

    From :func:`acne_outcomes.stats.safety.ae_table`; the terms in words ("Dry eyes"), the
    any-event row first, then by the number of subjects over all arms. In public mode, counts
    below ``k`` and complementary cells become :data:`SUPPRESSED`.

    Examples
    --------
    >>> counts = pd.DataFrame({"term": ["any adverse event"] * 2 + ["dry_eyes"] * 2 + ["nausea"] * 2,
    ...     "arm": ["a", "b"] * 3, "n_subjects": 10, "n_with_event": [7, 5, 1, 2, 6, 1],
    ...     "percent": [70.0, 50.0, 10.0, 20.0, 60.0, 10.0], "n_events": [9, 5, 1, 2, 6, 1]})
    >>> adverse_event_table(counts).values.tolist()
    [['Any adverse event', '7 (70.0)', '5 (50.0)'], ['Nausea', '6 (60.0)', '1 (10.0)'], ['Dry eyes', '1 (10.0)', '2 (20.0)']]
    """
    _check_columns(
        counts, ["term", "arm", "n_subjects", "n_with_event", "percent"], "adverse_event_table"
    )
    n = _arm_columns(counts, "term", "n_with_event")
    total = n.sum(axis=1)
    first = [term for term in n.index if str(term).lower() == "any adverse event"]
    rest = sorted(
        (term for term in n.index if term not in first),
        key=lambda term: (-int(total[term]), term_label(term)),
    )
    n = n.loc[first + rest]
    denominators = counts.drop_duplicates("arm").set_index("arm")["n_subjects"]
    text = pd.DataFrame(
        {arm: [count_percent(x, denominators[arm]) for x in n[arm]] for arm in n.columns},
        index=n.index,
    )
    text = _suppressed(n.astype("int64"), text, public, k)
    table = pd.DataFrame({"Adverse event": [term_label(term) for term in n.index]})
    for arm in n.columns:
        table[f"{arm} (N={int(denominators[arm])})"] = text[arm].to_numpy()
    notes = [
        "n (%) of the subjects of the arm with at least one event of the term; terms by the "
        "number of subjects over all arms."
    ]
    return _finish(table, notes, public=public, k=k)


def ae_overview_table(overview: pd.DataFrame, *, public: bool = False, k: int = 5) -> pd.DataFrame:
    """The adverse-event overview by arm, from :func:`acne_outcomes.stats.safety.ae_overview`.

    A row whose denominator is not the arm's N (the pregnancy row: subjects tested) shows
    ``n/N (%)``; the others ``n (%)`` of the N in the column header.

    Examples
    --------
    >>> overview = pd.DataFrame({"category": ["any adverse event"] * 2 + ["positive pregnancy test"] * 2,
    ...     "arm": ["a", "b"] * 2, "n_subjects": [10, 10, 4, 5], "n_with_event": [7, 5, 1, 0],
    ...     "percent": [70.0, 50.0, 25.0, 0.0], "n_events": [9, 5, 1, 0]})
    >>> ae_overview_table(overview).values.tolist()
    [['Any adverse event', '7 (70.0)', '5 (50.0)'], ['Positive pregnancy test', '1/4 (25.0)', '0/5 (0.0)']]
    """
    _check_columns(overview, ["category", "arm", "n_subjects", "n_with_event"], "ae_overview_table")
    n = _arm_columns(overview, "category", "n_with_event")
    denominators = _arm_columns(overview, "category", "n_subjects")
    arm_sizes = denominators.max(axis=0)
    text = pd.DataFrame(
        {
            arm: [
                count_percent(
                    x, d, show_denominator=bool((denominators.loc[row] != arm_sizes).any())
                )
                for row, x, d in zip(n.index, n[arm], denominators[arm], strict=True)
            ]
            for arm in n.columns
        },
        index=n.index,
    )
    text = _suppressed(n.astype("int64"), text, public, k)
    table = pd.DataFrame({"": [term_label(name) for name in n.index]})
    for arm in n.columns:
        table[f"{arm} (N={int(arm_sizes[arm])})"] = text[arm].to_numpy()
    notes = ["Subjects counted once per row: n (%) of the arm."]
    if "positive pregnancy test" in n.index:
        notes.append(
            "Positive pregnancy test: n/N, N = subjects of the arm with at least one pregnancy "
            "test result."
        )
    severe = [name for name in n.index if "grade" in str(name)]
    if severe:
        notes.append("Severity graded as in CTCAE (grade 3 severe, 4 life-threatening, 5 death).")
    return _finish(table, notes, public=public, k=k)


def _uln_words(category: object) -> str:
    """``"<= 1 x ULN"`` as ``"≤ 1 × ULN"``."""
    return str(category).replace("<=", "≤").replace(" x ", " × ").replace("> ", "> ")


def _test_label(test: object) -> str:
    label = level_label("test", test)
    unit = standard.units_by_test().get(str(test))
    return f"{label} ({unit})" if unit and unit != "result" else label


def lab_shift_display(shifts: pd.DataFrame, *, public: bool = False, k: int = 5) -> pd.DataFrame:
    """The lab shift table with denominators and row percentages.

    From :func:`acne_outcomes.stats.safety.lab_shift_table` (with an arm): one row per test,
    arm and baseline category, with N (subjects in that baseline category) and, per worst
    post-baseline category, n (% of N): the row of subjects normal at baseline reads as the
    share newly above the limit.

    Examples
    --------
    >>> shifts = pd.DataFrame({"test": "alt", "arm": ["a"] * 4,
    ...     "baseline": ["<= 1 x ULN"] * 2 + ["> 1 x ULN"] * 2,
    ...     "worst_post_baseline": ["<= 1 x ULN", "> 1 x ULN"] * 2, "n_subjects": [8, 2, 0, 1]})
    >>> lab_shift_display(shifts).values.tolist()
    [['ALT (U/L)', 'a', '≤ 1 × ULN', '10', '8 (80.0)', '2 (20.0)'], ['ALT (U/L)', 'a', '> 1 × ULN', '1', '0 (0.0)', '1 (100.0)']]
    """
    _check_columns(
        shifts,
        ["test", "arm", "baseline", "worst_post_baseline", "n_subjects"],
        "lab_shift_display",
    )
    counts = shifts.pivot_table(
        index=["test", "arm", "baseline"], columns="worst_post_baseline", values="n_subjects",
        aggfunc="sum", observed=True, sort=False,
    )  # fmt: skip
    categories = list(dict.fromkeys(shifts["worst_post_baseline"]))
    counts = counts.reindex(columns=categories).fillna(0).astype("int64")
    totals = counts.sum(axis=1)
    text = pd.DataFrame(
        {
            category: [count_percent(x, n) for x, n in zip(counts[category], totals, strict=True)]
            for category in categories
        },
        index=counts.index,
    )
    text = _suppressed(counts, text, public, k)
    index = counts.index.to_frame(index=False)
    table = pd.DataFrame(
        {
            "Test": index["test"].map(_test_label),
            "Arm": index["arm"].astype(str),
            "Baseline": index["baseline"].map(_uln_words),
            "N": totals.astype(str).to_numpy(),
        }
    )
    for category in categories:
        table[f"Worst after baseline {_uln_words(category)}"] = text[category].to_numpy()
    notes = [
        "Each subject's baseline category against the category of the highest value after "
        "baseline; n (% of N), N = subjects of that row with a baseline and a post-baseline "
        "value. Qualitative tests (pregnancy) have no limit and are in the adverse-event "
        "overview."
    ]
    return _finish(table, notes, public=public, k=k)


def lab_abnormality_table(
    abnormalities: pd.DataFrame, *, public: bool = False, k: int = 5
) -> pd.DataFrame:
    """Subjects above the ULN after baseline, by test and arm, with denominators.

    From :func:`acne_outcomes.stats.safety.lab_abnormalities` (with an arm): per test two
    rows, any value above the limit after baseline (of the subjects with a baseline and a
    post-baseline value) and newly above it (of those normal at baseline), as n/N (%).

    Examples
    --------
    >>> frame = pd.DataFrame({"test": ["alt", "alt"], "arm": ["a", "b"], "n_subjects": [10, 12],
    ...     "n_above": [2, 1], "percent_above": [20.0, 8.3], "n_normal_baseline": [9, 12],
    ...     "n_new": [1, 1], "percent_new": [11.1, 8.3]})
    >>> lab_abnormality_table(frame).values.tolist()
    [['ALT (U/L)', 'Above ULN after baseline', '2/10 (20.0)', '1/12 (8.3)'], ['ALT (U/L)', 'Newly above ULN (≤ ULN at baseline)', '1/9 (11.1)', '1/12 (8.3)']]
    """
    _check_columns(
        abnormalities,
        ["test", "arm", "n_subjects", "n_above", "n_normal_baseline", "n_new"],
        "lab_abnormality_table",
    )
    arms = list(dict.fromkeys(abnormalities["arm"]))
    measures = (
        ("Above ULN after baseline", "n_above", "n_subjects"),
        ("Newly above ULN (≤ ULN at baseline)", "n_new", "n_normal_baseline"),
    )
    rows, counts = [], []
    for test, block in abnormalities.groupby("test", sort=False, observed=True):
        block = block.set_index("arm")
        for words, numerator, denominator in measures:
            rows.append(
                [_test_label(test), words, *(count_percent(block.loc[arm, numerator],
                 block.loc[arm, denominator], show_denominator=True) for arm in arms)]
            )  # fmt: skip
            counts.append([int(block.loc[arm, numerator]) for arm in arms])
    table = pd.DataFrame(rows, columns=["Test", "", *map(str, arms)])
    text = _suppressed(pd.DataFrame(counts, columns=arms), table[arms].copy(), public, k)
    table[arms] = text.to_numpy()
    notes = [
        "n/N (%): N = subjects of the arm with a baseline and a post-baseline value; for "
        "'newly above', those at or below the ULN at baseline."
    ]
    return _finish(table, notes, public=public, k=k)


def count_table(counts: pd.DataFrame, *, public: bool = False, k: int = 5) -> pd.DataFrame:
    """A table of counts as text, suppressed in public mode.

    >>> count_table(pd.DataFrame({"group": ["x"], "n": [3]})).values.tolist()
    [['x', '3']]
    """
    numeric = counts.select_dtypes("number")
    text = counts.copy().astype(object)
    text[numeric.columns] = numeric.astype("Int64").astype("string")
    if public and not numeric.empty:
        masked = suppress_small_cells(numeric.fillna(0).astype("int64"), k=k).attrs["suppressed"]
        text[numeric.columns] = text[numeric.columns].mask(masked.to_numpy(), SUPPRESSED)
    return text.astype("string").fillna("")


# ---------------------------------------------------------------------- writing


def _text_cells(frame: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    header = [str(column) for column in frame.columns]
    body = frame.astype("string").fillna("").astype(str).to_numpy().tolist()
    return header, body


_NUMBER_LIKE = re.compile(r"^(?:[-−+<>≤≥]?\s*\d|NNT[BH] |NE\b|\*$)")


def alignments(frame: pd.DataFrame) -> list[str]:
    """Each column's alignment: ``"r"`` for numbers (half its cells or more start with one),
    else ``"l"``.

    >>> alignments(pd.DataFrame({"Outcome": ["PIH index"], "Estimate": ["-0.50 (-0.90 to -0.10)"]}))
    ['l', 'r']
    """
    _, body = _text_cells(frame)
    out = []
    for index in range(frame.shape[1]):
        cells = [row[index] for row in body if row[index]]
        numeric = sum(bool(_NUMBER_LIKE.match(cell)) for cell in cells)
        out.append("r" if cells and numeric * 2 >= len(cells) else "l")
    return out


def to_html(frame: pd.DataFrame) -> str:
    """The table as an HTML ``<table>``: text left, numbers right, footnotes in ``<tfoot>``.

    Every value is escaped.

    >>> print(to_html(with_notes(pd.DataFrame({"a & b": ["x < y"]}), ["Note."])))
    <table class="report-table">
    <thead><tr><th style="text-align:left">a &amp; b</th></tr></thead>
    <tbody>
    <tr><td style="text-align:left">x &lt; y</td></tr>
    </tbody>
    <tfoot><tr><td colspan="1" style="text-align:left;font-size:smaller">Note.</td></tr></tfoot>
    </table>
    """
    header, body = _text_cells(frame)
    align = {"l": "left", "r": "right"}
    where = [align[a] for a in alignments(frame)]
    lines = ['<table class="report-table">']
    lines.append(
        "<thead><tr>"
        + "".join(
            f'<th style="text-align:{side}">{html.escape(name)}</th>'
            for name, side in zip(header, where, strict=True)
        )
        + "</tr></thead>"
    )
    lines.append("<tbody>")
    for row in body:
        lines.append(
            "<tr>"
            + "".join(
                f'<td style="text-align:{side}">{html.escape(cell)}</td>'
                for cell, side in zip(row, where, strict=True)
            )
            + "</tr>"
        )
    lines.append("</tbody>")
    notes = notes_of(frame)
    if notes:
        lines.append(
            "<tfoot>"
            + "".join(
                f'<tr><td colspan="{len(header)}" style="text-align:left;font-size:smaller">'
                f"{html.escape(note)}</td></tr>"
                for note in notes
            )
            + "</tfoot>"
        )
    lines.append("</table>")
    return "\n".join(lines)


class _Shown:
    """What :func:`show` returns: a table that Jupyter displays as its HTML."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame

    def _repr_html_(self) -> str:
        return to_html(self.frame)


def show(frame: pd.DataFrame) -> _Shown:
    """The table for ``display()`` in a notebook: aligned, escaped, with its footnotes.

    >>> show(pd.DataFrame({"a": ["x"]}))._repr_html_().startswith('<table class="report-table">')
    True
    """
    return _Shown(frame)


#: LaTeX for the characters of the tables that ``pdflatex`` (UTF-8 input) does not set itself.
LATEX_CHARACTERS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "≤": r"\ensuremath{\leq}",
    "≥": r"\ensuremath{\geq}",
    "−": r"\ensuremath{-}",
    "×": r"\ensuremath{\times}",
    "±": r"\ensuremath{\pm}",
    "∞": r"\ensuremath{\infty}",
    "χ": r"\ensuremath{\chi}",
    "µ": r"\ensuremath{\mu}",
    "μ": r"\ensuremath{\mu}",
    "α": r"\ensuremath{\alpha}",
    "²": r"\textsuperscript{2}",
    "–": "--",
    "—": "---",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
    "\N{NO-BREAK SPACE}": "~",
}


def latex_escape(text: object) -> str:
    """Cell text as LaTeX that ``pdflatex`` sets as written.

    The special characters are escaped, the mathematical signs of the tables set in math
    mode (:data:`LATEX_CHARACTERS`); accented Latin letters pass (UTF-8 input); any other
    character is reduced to its ASCII letters, else ``?``, so the file always compiles.

    >>> latex_escape("50% & more_than ≥ 3 × ULN <0.001")
    '50\\\\% \\\\& more\\\\_than \\\\ensuremath{\\\\geq} 3 \\\\ensuremath{\\\\times} ULN \\\\textless{}0.001'
    """
    out = []
    for character in str(text):
        if character in LATEX_CHARACTERS:
            out.append(LATEX_CHARACTERS[character])
        elif character == "\n":
            out.append(" ")
        elif ord(character) < 128 or (0xC0 <= ord(character) <= 0xFF):
            out.append(character)
        else:
            ascii_form = unicodedata.normalize("NFKD", character).encode("ascii", "ignore")
            out.append(latex_escape(ascii_form.decode()) if ascii_form else "?")
    return "".join(out)


def to_latex(frame: pd.DataFrame) -> str:
    """The table as a booktabs ``tabular`` (``\\usepackage{booktabs}``), footnotes below it.

    Every cell is escaped (:func:`latex_escape`); ``&`` and ``\\\\`` appear only as the
    table's separators.

    >>> print(to_latex(pd.DataFrame({"Term": ["dry_eyes"], "n (%)": ["3 (2.0)"]})))
    % Needs \\usepackage{booktabs}; \\input it, e.g. inside a table float.
    \\begin{tabular}{lr}
    \\toprule
    Term & n (\\%) \\\\
    \\midrule
    dry\\_eyes & 3 (2.0) \\\\
    \\bottomrule
    \\end{tabular}
    <BLANKLINE>
    """
    header, body = _text_cells(frame)
    lines = [
        r"% Needs \usepackage{booktabs}; \input it, e.g. inside a table float.",
        r"\begin{tabular}{" + "".join(alignments(frame)) + "}",
        r"\toprule",
        " & ".join(latex_escape(name) for name in header) + r" \\",
        r"\midrule",
        *(" & ".join(latex_escape(cell) for cell in row) + r" \\" for row in body),
        r"\bottomrule",
        r"\end{tabular}",
    ]
    notes = notes_of(frame)
    if notes:
        lines += [r"\par\smallskip", r"{\footnotesize"]
        lines += [latex_escape(note) + r"\par" for note in notes]
        lines.append("}")
    return "\n".join(lines) + "\n"


def _rtf_text(text: object) -> str:
    out = []
    for character in str(text):
        code = ord(character)
        if character in "\\{}":
            out.append("\\" + character)
        elif character == "\n":
            out.append("\\line ")
        elif code < 128:
            out.append(character)
        else:  # one UTF-16 unit each (two for a character beyond the BMP), signed
            data = character.encode("utf-16-le")
            for start in range(0, len(data), 2):
                value = int.from_bytes(data[start : start + 2], "little")
                out.append(f"\\u{value - 65536 if value > 32767 else value}?")
    return "".join(out)


#: The width of an RTF table, in twips (1/1440 inch): 17 cm, an A4 page's text width.
RTF_WIDTH = 9638


def to_rtf(frame: pd.DataFrame) -> str:
    """The table as a Rich Text Format document, which Word (and LibreOffice) open as a table.

    Arial 9 pt; a rule above and below the header and under the last row (as booktabs);
    columns sized by their longest text within 17 cm; footnotes below in 8 pt; every
    character escaped (non-ASCII as ``\\uN?``).

    >>> rtf = to_rtf(pd.DataFrame({"Term": ["Dry eyes {a}"], "n": ["3 (2.0)"]}))
    >>> rtf.startswith("{\\\\rtf1\\\\ansi"), "Dry eyes \\\\{a\\\\}\\\\cell" in rtf, rtf.count("\\\\row")
    (True, True, 2)
    """
    header, body = _text_cells(frame)
    lengths = [
        max([len(name)] + [len(row[index]) for row in body]) for index, name in enumerate(header)
    ]
    widths = np.maximum(np.array(lengths, dtype=float) * 110 + 220, 600)
    if widths.sum() > RTF_WIDTH * 1.45:
        widths *= RTF_WIDTH * 1.45 / widths.sum()
    edges = np.cumsum(widths).round().astype(int)
    align = ["\\qr" if side == "r" else "\\ql" for side in alignments(frame)]
    lines = [
        "{\\rtf1\\ansi\\ansicpg1252\\deff0",
        "{\\fonttbl{\\f0\\fswiss Arial;}}",
        "\\viewkind4\\uc1\\pard\\f0\\fs18",
    ]

    def row(cells: list[str], *, top: bool, bottom: bool, bold: bool) -> str:
        borders = ("\\clbrdrt\\brdrs\\brdrw15" if top else "") + (
            "\\clbrdrb\\brdrs\\brdrw15" if bottom else ""
        )
        definition = "\\trowd\\trgaph70\\trleft0" + "".join(
            f"{borders}\\cellx{edge}" for edge in edges
        )
        start, end = ("\\b ", "\\b0") if bold else (" ", "")
        text = "".join(
            f"\\pard\\intbl{side}{start}{_rtf_text(cell)}{end}\\cell "
            for cell, side in zip(cells, align, strict=True)
        )
        return f"{definition}\n{text}\\row"

    lines.append(row(header, top=True, bottom=True, bold=True))
    for index, cells in enumerate(body):
        lines.append(row(cells, top=False, bottom=index == len(body) - 1, bold=False))
    lines.append("\\pard\\fs16")
    lines += [f"{_rtf_text(note)}\\par" for note in notes_of(frame)]
    lines.append("}")
    return "\n".join(lines) + "\n"


#: The files :func:`write_table` writes, by suffix.
TABLE_FORMATS = ("csv", "html", "tex", "rtf")


def write_table(frame: pd.DataFrame, name: str, folder) -> list[Path]:
    """Write ``name.csv``, ``.html``, ``.tex`` and ``.rtf`` into ``folder`` (deterministic bytes).

    The CSV holds the data (the table's cells, no footnotes); HTML, LaTeX (:func:`to_latex`)
    and RTF (:func:`to_rtf`, for Word) hold the table as printed, with its footnotes.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     [path.name for path in write_table(pd.DataFrame({"a": ["x"]}), "t", folder)]
    ['t.csv', 't.html', 't.tex', 't.rtf']
    """
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"table name {name!r} may only hold letters, digits, '.', '_' and '-'")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    notes = notes_of(frame)
    frame = with_notes(frame.reset_index(drop=True), notes)
    paths = [folder / f"{name}.{suffix}" for suffix in TABLE_FORMATS]
    frame.to_csv(paths[0], index=False, lineterminator="\n")
    paths[1].write_text(to_html(frame) + "\n", encoding="utf-8")
    paths[2].write_text(to_latex(frame), encoding="utf-8")
    paths[3].write_text(to_rtf(frame), encoding="ascii")
    return paths
