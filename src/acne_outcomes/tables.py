"""Presentation tables: Table 1, endpoint tables, adverse events, lab shifts — HTML, CSV, LaTeX.

Tables are plain DataFrames of display strings (one row per line of the printed table), built
from the study tables or from the statistics helpers' outputs, so that what a notebook shows
and what the report writes are the same object. In *public* mode small counts are suppressed
(:func:`acne_outcomes.privacy.suppress_small_cells`, primary and complementary) and shown as
:data:`SUPPRESSED`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from acne_outcomes.privacy import suppress_small_cells

SUPPRESSED = "*"
SUPPRESSION_NOTE = "* suppressed: fewer than {k} subjects, or a cell that would reveal one"


def _check_columns(frame: pd.DataFrame, columns, what: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs column(s) {missing}; it has {list(frame.columns)}")


def table_one(
    subjects: pd.DataFrame,
    *,
    continuous: tuple[str, ...] = ("age", "weight_kg"),
    categorical: tuple[str, ...] = ("sex", "fitzpatrick", "baseline_iga"),
    groupby: str = "arm",
    public: bool = False,
    k: int = 5,
) -> pd.DataFrame:
    """Table 1: baseline characteristics by arm and overall (``tableone``).

    Continuous variables as mean (SD); categorical as n (%), with every category of an
    ordered categorical listed in order. In public mode category counts below ``k`` (and the
    complementary cells that would reveal them, per variable and arm) become :data:`SUPPRESSED`.

    Returns
    -------
    DataFrame
        Columns ``variable``, ``level``, then ``Overall`` and one column per arm.

    Examples
    --------
    >>> subjects = pd.DataFrame({"arm": ["a", "a", "b", "b"], "age": [18, 20, 22, 24],
    ...                          "sex": ["female", "male", "male", "male"]})
    >>> table_one(subjects, continuous=("age",), categorical=("sex",)).iloc[:2, :3].values.tolist()
    [['n', '', '4'], ['age, mean (SD)', '', '21.0 (2.6)']]
    """
    from tableone import TableOne

    _check_columns(subjects, [*continuous, *categorical, groupby], "table_one")
    data = subjects[[*continuous, *categorical, groupby]].copy()
    for column in categorical:
        data[column] = data[column].astype("string").astype(object)
    data[groupby] = data[groupby].astype("string").astype(object)
    table = TableOne(
        data, columns=[*continuous, *categorical], categorical=list(categorical),
        groupby=groupby, pval=False, missing=False, decimals=1,
    ).tableone  # fmt: skip
    table.columns = [column[1] for column in table.columns]
    table.index.names = ["variable", "level"]
    table = table.reset_index().astype("string").fillna("")
    if public:
        table = _suppress_table_one(table, k)
    return table


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


def format_number(value: float, digits: int = 2) -> str:
    """A number with fixed decimals; empty for missing."""
    return "" if value is None or pd.isna(value) else f"{value:.{digits}f}"


def format_p(p_value: float) -> str:
    """p-values as journals print them: ``<0.001``, else three decimals.

    >>> format_p(0.0004), format_p(0.04567), format_p(float("nan"))
    ('<0.001', '0.046', '')
    """
    if p_value is None or pd.isna(p_value):
        return ""
    return "<0.001" if p_value < 0.001 else f"{p_value:.3f}"


def endpoint_table(estimates: pd.DataFrame, *, digits: int = 2) -> pd.DataFrame:
    """Format a tidy estimate frame (DESIGN.md) for print: estimate (CI), p, n, method.

    Examples
    --------
    >>> from acne_outcomes.stats.tidy import estimate_frame
    >>> frame = estimate_frame([{"outcome": "pih_index", "contrast": "isotretinoin - comparator",
    ...     "visit": 12, "estimate": -0.5, "ci_low": -0.9, "ci_high": -0.1, "ci_level": 0.95,
    ...     "p_value": 0.012, "n": 266, "method": "MMRM", "scale": "mean difference"}])
    >>> endpoint_table(frame).iloc[0].tolist()
    ['pih_index', '12', 'isotretinoin - comparator', 'mean difference', '-0.50 (-0.90 to -0.10)', '95%', '0.012', '266', 'MMRM']
    """
    _check_columns(
        estimates,
        ["outcome", "contrast", "visit", "estimate", "ci_low", "ci_high"],
        "endpoint_table",
    )
    visit = estimates["visit"].astype("Float64")
    rows = pd.DataFrame(
        {
            "outcome": estimates["outcome"].astype("string"),
            "visit": visit.map(
                lambda month: "all" if pd.isna(month) else f"{month:g}", na_action=None
            ),
            "contrast": estimates["contrast"].astype("string"),
            "scale": estimates["scale"].astype("string"),
            "estimate (CI)": [
                f"{format_number(est, digits)} ({format_number(low, digits)} to {format_number(high, digits)})"
                for est, low, high in zip(
                    estimates["estimate"], estimates["ci_low"], estimates["ci_high"], strict=True
                )
            ],
            "CI level": estimates["ci_level"].map(
                lambda level: "" if pd.isna(level) else f"{100 * level:g}%"
            ),
            "p": estimates["p_value"].map(format_p),
            "n": estimates["n"].map(lambda n: "" if pd.isna(n) else str(int(n))),
            "method": estimates["method"].astype("string"),
        }
    )
    return rows.fillna("").reset_index(drop=True)


def adverse_event_table(counts: pd.DataFrame, *, public: bool = False, k: int = 5) -> pd.DataFrame:
    """Adverse events by term (rows) and arm (columns) as "n (%)", from ``stats.safety.ae_table``.

    In public mode, counts below ``k`` and complementary cells become :data:`SUPPRESSED`.

    Examples
    --------
    >>> counts = pd.DataFrame({"term": ["any", "any"], "arm": ["a", "b"], "n_subjects": [10, 10],
    ...                        "n_with_event": [7, 2], "percent": [70.0, 20.0], "n_events": [9, 2]})
    >>> adverse_event_table(counts).values.tolist()
    [['any', '7 (70.0)', '2 (20.0)']]
    """
    _check_columns(
        counts, ["term", "arm", "n_subjects", "n_with_event", "percent"], "adverse_event_table"
    )
    n = counts.pivot(index="term", columns="arm", values="n_with_event")
    percent = counts.pivot(index="term", columns="arm", values="percent")
    order = list(dict.fromkeys(counts["term"]))
    n, percent = n.loc[order], percent.loc[order]
    text = n.astype(int).astype(str) + " (" + percent.map(lambda value: f"{value:.1f}") + ")"
    if public:
        text = text.mask(
            suppress_small_cells(n.astype("int64"), k=k).attrs["suppressed"], SUPPRESSED
        )
    denominators = counts.drop_duplicates("arm").set_index("arm")["n_subjects"]
    text.columns = [f"{arm} (N={int(denominators[arm])})" for arm in text.columns]
    return text.reset_index().rename(columns={"index": "term"}).rename_axis(columns=None)


def count_table(counts: pd.DataFrame, *, public: bool = False, k: int = 5) -> pd.DataFrame:
    """A table of counts (e.g. a lab shift table) as text, suppressed in public mode."""
    numeric = counts.select_dtypes("number")
    text = counts.copy().astype(object)
    text[numeric.columns] = numeric.astype("Int64").astype("string")
    if public and not numeric.empty:
        masked = suppress_small_cells(numeric.fillna(0).astype("int64"), k=k).attrs["suppressed"]
        text[numeric.columns] = text[numeric.columns].mask(masked.to_numpy(), SUPPRESSED)
    return text.astype("string").fillna("")


def write_table(frame: pd.DataFrame, name: str, folder) -> list[Path]:
    """Write ``name.csv``, ``name.html`` and ``name.tex`` into ``folder`` (deterministic bytes)."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"table name {name!r} may only hold letters, digits, '.', '_' and '-'")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frame = frame.reset_index(drop=True)
    paths = [folder / f"{name}.{suffix}" for suffix in ("csv", "html", "tex")]
    frame.to_csv(paths[0], index=False, lineterminator="\n")
    paths[1].write_text(
        frame.to_html(index=False, border=0, classes="report-table", na_rep="", escape=True) + "\n",
        encoding="utf-8",
    )
    latex = frame.astype("string").fillna("").style.hide(axis="index").to_latex(hrules=True)
    paths[2].write_text(_escape_latex(latex), encoding="utf-8")
    return paths


def _escape_latex(text: str) -> str:
    lines = text.splitlines()
    escaped = [
        line if line.startswith("\\") else re.sub(r"(?<!\\)([%&#_$])", r"\\\1", line)
        for line in lines
    ]
    return "\n".join(escaped) + "\n"
