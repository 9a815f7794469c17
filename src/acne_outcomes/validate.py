"""Validation of study tables against the data standard, with row-level problem reports.

Every problem is found at once, not only the first: missing or extra columns, values of the
wrong type, missing required values, values outside their range or category list, duplicate
keys, orphan subjects, and the cross-table rules of the standard (one baseline visit per
subject, study days increasing with months, adverse-event onset within follow-up, lab units,
discontinuation day and reason given together, baseline IGA matching the month-0 visit,
nodules within the inflammatory count, no visit after a subject left the study).

Problems are a DataFrame with the columns of :data:`PROBLEM_COLUMNS`:

``table``
    the table (``subjects``, ``visits``, ``adverse_events``, ``labs``) or the file.
``row``
    the line number in the user's CSV file (the header is line 1), or the 1-based row
    number for Parquet, Excel and SAS inputs; empty for table-level problems.
``column``
    the offending column; empty for row-level rules without a single column.
``value``
    the offending value as text (masked for privacy problems).
``rule``
    a short rule identifier (``type``, ``required``, ``minimum``, ``maximum``, ``enum``,
    ``missing-column``, ``extra-column``, ``primary-key``, ``foreign-key``, ...).
``message``
    what is wrong and how to fix it, in words.

Hand-written rather than delegated to ``frictionless``: frictionless validates row by row in
Python, far too slowly for a 900,000-row visits table; these checks are vectorized and driven
by the same descriptor (the tests cross-check both on small bad inputs).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from acne_outcomes import standard
from acne_outcomes.checks import in_words
from acne_outcomes.design import Design, visit_unit_of
from acne_outcomes.privacy import redact_problems

PROBLEM_COLUMNS = ("table", "row", "column", "value", "rule", "message")
_PROBLEM_DTYPES = {
    "table": "string",
    "row": "Int64",
    "column": "string",
    "value": "string",
    "rule": "string",
    "message": "string",
}


class StudyValidationError(ValueError):
    """The input does not meet the data standard.

    Every value, column name and message that an identifier rule would flag is masked
    (:func:`acne_outcomes.privacy.redact_problems`), whichever rule found the problem, so
    neither the message nor a problems file written from :attr:`problems` shows it in full.

    Attributes
    ----------
    problems : pandas.DataFrame
        Every problem found (columns of :data:`PROBLEM_COLUMNS`), identifying values masked.
    """

    def __init__(self, problems: pd.DataFrame, source: str = "the study"):
        problems = redact_problems(problems)
        self.problems = problems
        self.source = source
        count = len(problems)
        super().__init__(
            f"{source} does not meet the data standard: {count} problem{'s' * (count != 1)}\n"
            + format_problems(problems)
        )


def empty_problems() -> pd.DataFrame:
    """An empty problems frame with the standard columns."""
    return pd.DataFrame(
        {name: pd.Series([], dtype=dtype) for name, dtype in _PROBLEM_DTYPES.items()}
    )


def make_problems(
    table: str,
    rule: str,
    message: str,
    *,
    rows=None,
    column: str | None = None,
    values=None,
) -> pd.DataFrame:
    """Build problems sharing one table, rule and message (one per element of ``rows``)."""
    if rows is None:
        rows = [pd.NA]
    rows = pd.array(rows, dtype="Int64")
    count = len(rows)
    if values is None:
        values = pd.array([pd.NA] * count, dtype="string")
    else:
        values = _as_text(pd.Series(values)).array
    return pd.DataFrame(
        {
            "table": pd.array([table] * count, dtype="string"),
            "row": rows,
            "column": pd.array([column] * count, dtype="string"),
            "value": values,
            "rule": pd.array([rule] * count, dtype="string"),
            "message": pd.array([message] * count, dtype="string"),
        }
    )


def _as_text(values: pd.Series) -> pd.Series:
    """Values as shown in messages: a whole number parsed as a float is written without
    ``.0`` (an age of 4, not 4.0).

    >>> _as_text(pd.Series([4.0, 2.5, None])).tolist()
    ['4', '2.5', <NA>]
    """
    text = values.astype("string")
    if pd.api.types.is_float_dtype(values.dtype):
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(numbers) & (numbers == np.round(numbers)) & (abs(numbers) < 2**53)
        if whole.any():
            text[whole] = pd.array(numbers[whole].astype("int64"), dtype="Int64").astype("string")
    return text


def concat_problems(frames) -> pd.DataFrame:
    """Concatenate problem frames (an empty list gives an empty frame)."""
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return empty_problems()
    return pd.concat(frames, ignore_index=True).astype(_PROBLEM_DTYPES)


def format_problems(problems: pd.DataFrame, max_rows: int = 5, files: dict | None = None) -> str:
    """A readable report: one line per (table, column, rule), with counts and first rows.

    ``files`` maps a table to ``(noun, file name)``, the file its row numbers are in: a CSV's
    line numbers are then said as ``lines of subjects.csv`` (by default ``rows``).

    Examples
    --------
    >>> problems = make_problems("visits", "minimum", "must be >= 0", rows=[4, 9],
    ...                          column="comedones", values=["-1", "-3"])
    >>> print(format_problems(problems))
    visits, column 'comedones' [minimum]: must be >= 0 - 2 rows: 4 ('-1'), 9 ('-3')
    >>> print(format_problems(problems, files={"visits": ("line", "visits.csv")}))
    visits, column 'comedones' [minimum]: must be >= 0 - 2 lines of visits.csv: 4 ('-1'), 9 ('-3')
    """
    if problems.empty:
        return "no problems"
    lines = []
    keys = ["table", "column", "rule", "message"]
    for (table, column, rule, message), group in problems.groupby(keys, sort=False, dropna=False):
        where = f"{table}" + (f", column '{column}'" if not pd.isna(column) else "")
        shown = []
        for row, value in zip(
            group["row"].head(max_rows), group["value"].head(max_rows), strict=True
        ):
            if pd.isna(row):
                continue
            shown.append(f"{row}" + (f" ({value!r})" if not pd.isna(value) else ""))
        count = len(group)
        detail = ""
        if shown:
            more = f", ... {count - len(shown)} more" if count > len(shown) else ""
            noun, file = (files or {}).get(table, ("row", None))
            noun += "s" * (count != 1) + (f" of {file}" if file else "")
            detail = f" - {count} {noun}: " + ", ".join(shown) + more
        lines.append(printable(f"{where} [{rule}]: {message}") + detail)
    return "\n".join(lines)


def printable(text: str) -> str:
    r"""``text`` with every control character (an ANSI escape sequence, a carriage return) and
    every bidirectional override written as its escape, so that a column name or message
    from the data cannot redraw or reorder the terminal it is printed on.

    >>> print(printable("column '\x1b[2Jsite' and \u202edrow"))
    column '\x1b[2Jsite' and \u202edrow
    """
    return "".join(
        character
        if unicodedata.category(character) not in ("Cc", "Cf")
        else character.encode("unicode_escape").decode("ascii")
        for character in str(text)
    )


# --------------------------------------------------------------------------- parsing


def _is_string(column: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(column.dtype) or column.dtype == object


def parse_number(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse a column to float64; return (values with NaN for missing, mask of unparseable)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype(object)
    if pd.api.types.is_bool_dtype(column.dtype):
        return np.full(len(column), np.nan), column.notna().to_numpy()
    if pd.api.types.is_numeric_dtype(column.dtype):
        values = column.astype("float64").to_numpy(na_value=np.nan)
        return values, ~np.isfinite(values) & ~np.isnan(values)
    if column.dtype == object:
        column = column.map(
            lambda value: value if isinstance(value, str) else str(value), na_action="ignore"
        )
    text = column.astype("string")
    try:
        values = pc.cast(pa.array(text.array), pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:  # some text is not a number: pandas finds which (as NaN)
        values = pd.to_numeric(text.str.strip(), errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
    bad = ~np.isfinite(values) & text.notna().to_numpy()  # unparseable, "nan" or infinite
    return np.where(bad, np.nan, values), bad


# --------------------------------------------------------------------------- per table


def check_table(
    table: str, frame: pd.DataFrame, rows: np.ndarray | None = None, visit_unit: str = "months"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check one table's columns and values against the standard (visit column for the unit).

    Returns ``(problems, parsed)``: ``parsed`` has the standard's columns that were present,
    parsed to numbers, booleans or strings (unparseable values missing), ready for
    :func:`acne_outcomes.study.conform` when there are no problems.
    """
    rows = np.arange(1, len(frame) + 1) if rows is None else np.asarray(rows)
    names = standard.field_names(table, visit_unit)
    problems = []
    extra = [column for column in frame.columns if column not in names]
    for column in extra:
        problems.append(
            make_problems(
                table, "extra-column",
                f"column {column!r} is not in the standard for {table} (allowed: {', '.join(names)}); "
                "rename it with a mapping or remove it from a copy of the file",
                column=str(column),
            )
        )  # fmt: skip
    parsed = {}
    for item in standard.fields(table, visit_unit):
        name = item["name"]
        if name not in frame.columns:
            if not item.get("optionalColumn"):
                problems.append(
                    make_problems(
                        table, "missing-column",
                        f"required column {name!r} is missing ({item['description']})",
                        column=name,
                    )
                )  # fmt: skip
            continue
        column_problems, parsed[name] = check_field(table, item, frame[name], rows)
        problems.extend(column_problems)
    # copy=False: no consolidation of the columns into blocks (a large, useless copy here)
    parsed_frame = pd.DataFrame(parsed, index=pd.RangeIndex(len(frame)), copy=False)
    return concat_problems(problems), parsed_frame


def check_field(table: str, item: dict, column: pd.Series, rows: np.ndarray):
    """Check one column against its field of the standard: ``(problems, parsed)``."""
    name = item["name"]
    kind = item["type"]
    column = column.reset_index(drop=True)
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype(object)
    if _is_string(column):  # blank text is a missing value (Excel and SAS write "")
        text = column.astype("string").str.strip()
        column = text.mask(text == "")
    problems = []
    if kind in ("integer", "number"):
        values, bad = parse_number(column)
        if kind == "integer":
            fractional = ~np.isnan(values) & (values != np.round(values))
            bad = bad | fractional
            values = np.where(fractional, np.nan, values)
        if bad.any():
            problems.append(
                make_problems(
                    table, "type", f"must be {'a whole number' if kind == 'integer' else 'a number'}",
                    rows=rows[bad], column=name, values=column[bad],
                )
            )  # fmt: skip
        parsed = pd.Series(values)
        missing = np.isnan(values) & ~bad
    elif kind == "boolean":
        parsed, bad = standard.parse_boolean(column)
        if bad.any():
            problems.append(
                make_problems(
                    table, "type", "must be true or false",
                    rows=rows[bad], column=name, values=column[bad],
                )
            )  # fmt: skip
        missing = parsed.isna().to_numpy() & ~bad
    else:
        parsed = column.astype("string")
        missing = parsed.isna().to_numpy()
    constraints = item.get("constraints", {})
    if constraints.get("required") and missing.any():
        problems.append(
            make_problems(table, "required", "a value is required", rows=rows[missing], column=name)
        )
    problems.extend(_range_and_enum(table, item, parsed, column, rows))
    return problems, parsed


def _range_and_enum(table, item, parsed, column, rows):
    name = item["name"]
    constraints = item.get("constraints", {})
    problems = []
    if item["type"] in ("integer", "number"):
        values = parsed.to_numpy(dtype="float64", na_value=np.nan)
        for rule, bound, compare in (
            ("minimum", constraints.get("minimum"), np.less),
            ("maximum", constraints.get("maximum"), np.greater),
        ):
            if bound is None:
                continue
            with np.errstate(invalid="ignore"):
                bad = compare(values, bound)
            if bad.any():
                word = ">=" if rule == "minimum" else "<="
                unit = f" {item['unit']}" if item.get("unit") else ""
                problems.append(
                    make_problems(
                        table, rule, f"must be {word} {bound}{unit}",
                        rows=rows[bad], column=name, values=column[bad],
                    )
                )  # fmt: skip
    allowed = constraints.get("enum")
    if allowed is not None:
        present = parsed.notna().to_numpy()
        if isinstance(parsed.dtype, pd.StringDtype):  # each distinct text once, not each row
            codes, uniques = pd.factorize(parsed)
            known = np.append(pd.Index(uniques, dtype=object).isin(allowed), True)
            bad = present & ~known[codes]
        else:
            bad = present & ~parsed.isin(allowed).to_numpy()
        if item["type"] in ("integer", "number"):
            values = parsed.to_numpy(dtype="float64", na_value=np.nan)
            inside = ~np.isnan(values)
            if constraints.get("minimum") is not None:
                inside &= values >= constraints["minimum"]
            if constraints.get("maximum") is not None:
                inside &= values <= constraints["maximum"]
            bad &= inside  # out-of-range values are already reported by minimum/maximum
        if bad.any():
            listed = ", ".join(str(value) for value in allowed)
            problems.append(
                make_problems(
                    table, "enum", f"must be one of: {listed}",
                    rows=rows[bad], column=name, values=column[bad],
                )
            )  # fmt: skip
    return problems


# --------------------------------------------------------------------------- whole study


def validate_tables(
    tables: Mapping[str, pd.DataFrame],
    rows: Mapping[str, np.ndarray] | None = None,
    *,
    visit_unit: str | None = None,
    return_parsed: bool = False,
):
    """Check the four tables against the standard, including keys and cross-table rules.

    Parameters
    ----------
    tables : mapping of table name to DataFrame
        Raw (text) or typed tables. ``adverse_events`` and ``labs`` may be absent.
    rows : mapping of table name to array, optional
        The user-facing row number of each row (e.g. line numbers in the CSV file).
    visit_unit : {"months", "weeks", "days"}, optional
        The unit of the visit column (``month``, ``week`` or ``day``); by default the one
        whose column the visits table has, else months.
    return_parsed : bool
        Also return the parsed tables (for :func:`acne_outcomes.study.conform`).

    Returns
    -------
    pandas.DataFrame
        Every problem found (empty when valid); with ``return_parsed``, ``(problems, parsed)``.

    Examples
    --------
    >>> subjects = pd.DataFrame({"subject_id": ["S1"], "arm": ["placebo"], "site": ["A"],
    ...     "age": [19], "sex": ["male"], "fitzpatrick": ["VII"], "weight_kg": [70.0],
    ...     "baseline_iga": [3], "randomisation_day": [0]})
    >>> visits = pd.DataFrame({"subject_id": ["S1", "S2"], "month": [0, 0], "study_day": [0, 0],
    ...     "inflammatory_lesions": [30, -2], "comedones": [40, 10], "nodules": [1, 0],
    ...     "iga": [3, 3], "scar_grade": [1, 0], "ecca_score": [90, 0], "pih_macules": [3, 0],
    ...     "pih_index": [4.0, 0.0]})
    >>> problems = validate_tables({"subjects": subjects, "visits": visits})
    >>> problems.query("rule != 'missing-column'")[["table", "row", "column", "rule"]]
          table  row                column                         rule
    0  subjects    1           fitzpatrick                         enum
    6    visits    2  inflammatory_lesions                      minimum
    7    visits    2            subject_id                  foreign-key
    8    visits    2               nodules  nodules-within-inflammatory
    >>> sorted(problems.query("rule == 'missing-column'")["column"])[:2]
    ['childbearing_potential', 'cumulative_dose_mg_per_kg']
    """
    rows = dict(rows or {})
    if visit_unit is None:
        visit_unit = visit_unit_of(tables["visits"]) if "visits" in tables else None
        visit_unit = visit_unit or standard.VISIT_UNITS[0]
    problems, parsed = [], {}
    for table in standard.TABLES:
        if table not in tables:
            if table in ("subjects", "visits"):
                problems.append(
                    make_problems(table, "missing-table", f"the {table} table is required")
                )
            continue
        frame = tables[table]
        rows.setdefault(table, np.arange(1, len(frame) + 1))
        table_problems, parsed[table] = check_table(table, frame, rows[table], visit_unit)
        problems.append(table_problems)
        if table == "subjects" and len(frame) == 0:
            problems.append(make_problems(table, "no-rows", "the subjects table has no rows"))
    codes = _subject_codes(parsed)
    problems.append(_check_keys(parsed, rows, codes, visit_unit))
    problems.append(_check_cross_table(parsed, rows, codes, standard.visit_column(visit_unit)))
    result = concat_problems(problems)
    return (result, parsed) if return_parsed else result


def _subject_codes(parsed) -> dict[str, np.ndarray]:
    """Each table's subject_id as the row position in the subjects table (-1: unknown).

    Cross-table rules work on these integer codes: comparing Arrow strings row by row
    (``isin``, ``map``, ``groupby``) is an order of magnitude slower on 900,000 rows.
    """
    if not _has(parsed, "subjects", "subject_id"):
        return {}
    ids = pa.array(parsed["subjects"]["subject_id"].astype("string").array)
    codes = {}
    for table, frame in parsed.items():
        if "subject_id" in frame:
            found = pc.index_in(pa.array(frame["subject_id"].astype("string").array), value_set=ids)
            codes[table] = pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes


def _per_subject(codes: np.ndarray, values: np.ndarray, n: int, reduce=np.fmax) -> np.ndarray:
    """Reduce ``values`` per subject code into an array of length ``n`` (NaN where none)."""
    out = np.full(n, np.nan)
    keep = (codes >= 0) & ~np.isnan(values)
    reduce.at(out, codes[keep], values[keep])
    return out


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = frame[column]
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype("float64")
    return values.to_numpy(dtype="float64", na_value=np.nan)


def _duplicated_keys(keyed: pd.DataFrame) -> np.ndarray:
    """Rows repeating an earlier row's complete key (rows with a missing key part are not).

    Each key column becomes integer codes (whole numbers in a small range directly, anything
    else by ``factorize``) combined into one integer (mixed radix); a stable sort of that
    integer puts each key's rows together, first row first, so a row is a repeat when it
    equals its predecessor in that order. No hashing of several Arrow string columns.
    """
    combined = np.zeros(len(keyed), dtype=np.int64)
    complete = np.ones(len(keyed), dtype=bool)
    for name in keyed.columns:
        codes, size = _key_codes(keyed[name])
        complete &= codes >= 0
        combined = combined * (size + 1) + codes
    order = np.argsort(combined, kind="stable")
    repeats = np.zeros(len(keyed), dtype=bool)
    repeats[order[1:]] = combined[order[1:]] == combined[order[:-1]]
    return repeats & complete


def _key_codes(column: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes of a key column (-1: missing) and how many values the codes can take."""
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        values = column.to_numpy(dtype="float64", na_value=np.nan)
        present = ~np.isnan(values)
        if present.any():
            low, high = values[present].min(), values[present].max()
            whole = np.array_equal(values[present], np.round(values[present]))
            if whole and high - low < 2**20:
                codes = np.where(present, values - low, -1).astype(np.int64)
                return codes, int(high - low) + 1
    codes, uniques = pd.factorize(column)
    return codes.astype(np.int64), len(uniques)


def _check_keys(parsed, rows, codes, visit_unit):
    problems = []
    for table, frame in parsed.items():
        key = standard.primary_key(table, visit_unit)
        if not (all(column in frame for column in key) and len(frame)):
            continue
        keyed = frame[key].copy()
        if table in codes and (codes[table] >= 0).all():
            keyed["subject_id"] = codes[table]
        duplicated = _duplicated_keys(keyed)
        if duplicated.any():
            position = pd.Series(np.arange(len(keyed)), index=pd.MultiIndex.from_frame(keyed))
            first = position[~position.index.duplicated(keep="first")]
            repeats = first.reindex(pd.MultiIndex.from_frame(keyed[duplicated])).to_numpy()
            problems.append(
                make_problems(
                    table, "primary-key",
                    f"duplicate ({', '.join(key)}): each must be unique; the value gives the row it repeats",
                    rows=rows[table][duplicated], column=", ".join(key), values=rows[table][repeats],
                )
            )  # fmt: skip
        if table != "subjects" and table in codes:
            orphan = (codes[table] < 0) & frame["subject_id"].notna().to_numpy()
            if orphan.any():
                problems.append(
                    make_problems(
                        table, "foreign-key", "subject_id is not in the subjects table",
                        rows=rows[table][orphan], column="subject_id",
                        values=frame["subject_id"][orphan],
                    )
                )  # fmt: skip
    return concat_problems(problems)


def _has(parsed, table, *columns):
    return table in parsed and all(column in parsed[table] for column in columns)


def _check_cross_table(parsed, rows, codes, visit):
    if "subjects" not in codes:
        return empty_problems()
    checks = (
        _check_baseline_visit,
        _check_days_increase,
        _check_visits_after_discontinuation,
        _check_adverse_event_onset,
        _check_lab_units,
        _check_discontinuation_pairs,
        _check_baseline_iga,
        _check_nodules,
    )
    return concat_problems(check(parsed, rows, codes, visit=visit) for check in checks)


def _check_baseline_visit(parsed, rows, codes, *, visit="month"):
    if not _has(parsed, "visits", visit):
        return empty_problems()
    subjects = parsed["subjects"]["subject_id"]
    baseline = codes["visits"][_numbers(parsed["visits"], visit) == 0]
    has_baseline = np.zeros(len(subjects), dtype=bool)
    has_baseline[baseline[baseline >= 0]] = True
    lacking = ~has_baseline & subjects.notna().to_numpy()
    return make_problems(
        "subjects", "baseline-visit",
        f"the subject has no baseline visit ({visit} 0) in the visits table",
        rows=rows["subjects"][lacking], column="subject_id", values=subjects[lacking],
    )  # fmt: skip


def _check_days_increase(parsed, rows, codes, *, visit="month"):
    problems = []
    for table in ("visits", "labs"):
        if not _has(parsed, table, visit, "study_day") or table not in codes:
            continue
        code = codes[table]
        scheduled = _numbers(parsed[table], visit)
        day = _numbers(parsed[table], "study_day")
        # the key orders rows by subject, then visit (below 4096: every unit's maximum is lower)
        keep = np.flatnonzero((code >= 0) & (scheduled >= 0) & (scheduled < 4096) & ~np.isnan(day))
        key = code[keep] * 4096 + scheduled[keep].astype(np.int64)
        order = keep if np.all(key[1:] >= key[:-1]) else keep[np.argsort(key, kind="stable")]
        same_subject = code[order][1:] == code[order][:-1]
        later_visit = scheduled[order][1:] > scheduled[order][:-1]
        not_later_day = day[order][1:] <= day[order][:-1]
        bad = order[1:][same_subject & later_visit & not_later_day]
        if len(bad):
            problems.append(
                make_problems(
                    table, "day-order",
                    f"study_day must increase with {visit} within a subject (this visit is not later "
                    "than the subject's previous one)",
                    rows=rows[table][np.sort(bad)], column="study_day", values=day[np.sort(bad)],
                )
            )  # fmt: skip
    return concat_problems(problems)


def _last_contact(parsed, codes) -> np.ndarray:
    n = len(parsed["subjects"])
    last = np.full(n, np.nan)
    for table in ("visits", "labs"):
        if _has(parsed, table, "study_day") and table in codes:
            last = np.fmax(
                last, _per_subject(codes[table], _numbers(parsed[table], "study_day"), n)
            )
    if _has(parsed, "subjects", "discontinuation_day"):
        last = np.fmax(last, _numbers(parsed["subjects"], "discontinuation_day"))
    return last


def _check_adverse_event_onset(parsed, rows, codes, *, visit="month"):
    if not _has(parsed, "adverse_events", "onset_day") or "adverse_events" not in codes:
        return empty_problems()
    code = codes["adverse_events"]
    last = np.append(_last_contact(parsed, codes), np.nan)[code]  # code -1 → NaN
    onset = _numbers(parsed["adverse_events"], "onset_day")
    with np.errstate(invalid="ignore"):
        late = onset > last
    return make_problems(
        "adverse_events", "onset-in-follow-up",
        "onset_day is after the subject's last contact (last visit, lab or discontinuation day)",
        rows=rows["adverse_events"][late], column="onset_day", values=onset[late],
    )  # fmt: skip


def _check_visits_after_discontinuation(parsed, rows, codes, *, visit="month"):
    if not (
        _has(parsed, "subjects", "discontinuation_day") and _has(parsed, "visits", "study_day")
    ):
        return empty_problems()
    left = np.append(_numbers(parsed["subjects"], "discontinuation_day"), np.nan)[codes["visits"]]
    day = _numbers(parsed["visits"], "study_day")
    with np.errstate(invalid="ignore"):
        after = day > left
    return make_problems(
        "visits", "after-discontinuation",
        "visit is after the subject's discontinuation_day",
        rows=rows["visits"][after], column="study_day", values=day[after],
    )  # fmt: skip


def _check_lab_units(parsed, rows, codes, *, visit="month"):
    if not _has(parsed, "labs", "test", "unit"):
        return empty_problems()
    labs = parsed["labs"]
    wrong = np.zeros(len(labs), dtype=bool)
    present = labs["unit"].notna().to_numpy()
    for test, unit in standard.units_by_test().items():  # a few tests: compare column-wise
        wrong |= (
            (labs["test"] == test).to_numpy(dtype=bool, na_value=False)
            & present
            & (labs["unit"] != unit).to_numpy(dtype=bool, na_value=False)
        )
    units = ", ".join(f"{test} {unit}" for test, unit in standard.units_by_test().items())
    return make_problems(
        "labs", "lab-unit", f"wrong unit for the test: convert to the standard unit ({units})",
        rows=rows["labs"][wrong], column="unit", values=labs["unit"][wrong],
    )  # fmt: skip


def _check_discontinuation_pairs(parsed, rows, codes, *, visit="month"):
    if not _has(parsed, "subjects", "discontinuation_day", "discontinuation_reason"):
        return empty_problems()
    subjects = parsed["subjects"]
    day = subjects["discontinuation_day"].notna()
    reason = subjects["discontinuation_reason"].notna()
    return concat_problems(
        [
            make_problems(
                "subjects", "discontinuation", "discontinuation_reason is required with discontinuation_day",
                rows=rows["subjects"][(day & ~reason).to_numpy()], column="discontinuation_reason",
            ),
            make_problems(
                "subjects", "discontinuation", "discontinuation_day is required with discontinuation_reason",
                rows=rows["subjects"][(reason & ~day).to_numpy()], column="discontinuation_day",
            ),
        ]
    )  # fmt: skip


def _check_baseline_iga(parsed, rows, codes, *, visit="month"):
    if not (_has(parsed, "subjects", "baseline_iga") and _has(parsed, "visits", visit, "iga")):
        return empty_problems()
    visits = parsed["visits"]
    at_baseline = _numbers(visits, visit) == 0
    n = len(parsed["subjects"])
    iga = _per_subject(
        codes["visits"][at_baseline], _numbers(visits, "iga")[at_baseline], n, np.fmin
    )
    recorded = _numbers(parsed["subjects"], "baseline_iga")
    differ = ~np.isnan(iga) & ~np.isnan(recorded) & (iga != recorded)
    return make_problems(
        "subjects", "baseline-iga", f"baseline_iga differs from the iga of the baseline visit ({visit} 0)",
        rows=rows["subjects"][differ], column="baseline_iga", values=recorded[differ],
    )  # fmt: skip


def _check_nodules(parsed, rows, codes, *, visit="month"):
    if not _has(parsed, "visits", "nodules", "inflammatory_lesions"):
        return empty_problems()
    visits = parsed["visits"]
    nodules = visits["nodules"].to_numpy(dtype="float64", na_value=np.nan)
    inflammatory = visits["inflammatory_lesions"].to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        more = nodules > inflammatory
    return make_problems(
        "visits", "nodules-within-inflammatory",
        "nodules are counted among inflammatory lesions, so cannot exceed inflammatory_lesions",
        rows=rows["visits"][more], column="nodules", values=nodules[more],
    )  # fmt: skip


# --------------------------------------------------------------------------- the design


def check_design(
    design: Design,
    tables: Mapping[str, pd.DataFrame],
    rows: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Hold a study's design (declared, or completed from the data) against its tables.

    Problems have the table ``design`` unless a row of a table breaks the design: an arm
    label that is not an arm of the design, a visit off the schedule. The rules: every
    subject's arm is a design arm and every design arm has subjects; the visit column is the
    one the visit unit names; visits and lab visits are on the schedule, which starts at
    baseline (0); primary visits and the end of treatment are on the schedule; an outcome is
    collected if and only if its column holds a value; a table is collected if and only if it
    is present.

    Examples
    --------
    >>> from acne_outcomes.design import Arm
    >>> design = Design(arms=(Arm("placebo", "Placebo"),), visit_unit="weeks", visits=(0, 4),
    ...                 outcomes=(), tables=("subjects", "visits"))
    >>> subjects = pd.DataFrame({"subject_id": ["a", "b"], "arm": ["placebo", "drug"]})
    >>> visits = pd.DataFrame({"subject_id": ["a", "b"], "week": [0, 8]})
    >>> check_design(design, {"subjects": subjects, "visits": visits})[["table", "row", "rule"]]
          table  row             rule
    0  subjects    2       design-arm
    1    visits    2  design-schedule
    """
    rows = {name: np.asarray((rows or {}).get(name, np.arange(1, len(frame) + 1)))
            for name, frame in tables.items()}  # fmt: skip
    problems = [_check_design_arms(design, tables["subjects"], rows["subjects"])]
    problems.append(_check_design_schedule(design, tables, rows))
    problems.append(_check_design_collected(design, tables))
    return concat_problems(problems)


def _check_design_arms(design, subjects, rows):
    if "arm" not in subjects:
        return empty_problems()
    labels = subjects["arm"].astype("string")
    unknown = (labels.notna() & ~labels.isin(design.labels)).to_numpy()
    problems = [
        make_problems(
            "subjects", "design-arm",
            f"arm is not an arm of the study's design (arms: {', '.join(design.labels) or 'none'}); "
            "fix the label or list the arm in the design",
            rows=rows[unknown], column="arm", values=labels[unknown],
        )
    ]  # fmt: skip
    empty = [label for label in design.labels if not (labels == label).any()]
    if empty:
        problems.append(
            make_problems(
                "design", "design-arm",
                f"the design lists {'arms' if len(empty) > 1 else 'an arm'} {in_words(empty)} "
                f"that no subject has; remove {'them' if len(empty) > 1 else 'it'} from the design",
                column="arms",
            )
        )  # fmt: skip
    if not design.arms:
        problems.append(
            make_problems("design", "design-arm", "the study has no arm", column="arms")
        )
    return concat_problems(problems)


def _check_design_schedule(design, tables, rows):
    visit, problems = design.visit_column, []
    schedule = list(design.visits)
    if not schedule or schedule[0] != 0:
        problems.append(
            make_problems(
                "design", "design-schedule",
                f"the visit schedule must start with the baseline visit 0; got {schedule}",
                column="visits",
            )
        )  # fmt: skip
    visits = tables["visits"]
    if visit not in visits:
        others = [name for name in standard.visit_columns().values() if name in visits]
        found = f"it has {others[0]!r}" if others else "it has no visit column"
        problems.append(
            make_problems(
                "design", "design-unit",
                f"the design's visits are in {design.visit_unit}, so the visits table needs a "
                f"column {visit!r}; {found}: rename the column or declare the unit that matches it",
                column="visitUnit",
            )
        )  # fmt: skip
    for table in ("visits", "labs"):
        if table not in tables or visit not in tables[table]:
            continue
        values = pd.to_numeric(tables[table][visit], errors="coerce")
        off = (values.notna() & ~values.isin(schedule)).to_numpy()
        if off.any():
            problems.append(
                make_problems(
                    table, "design-schedule",
                    f"{visit} is not on the design's schedule ({', '.join(map(str, schedule))}); "
                    "correct it or add the visit to the design",
                    rows=rows[table][off], column=visit, values=tables[table][visit][off],
                )
            )  # fmt: skip
    named = {f"primaryVisits.{family}": value for family, value in design.primary_visits.items()}
    if design.end_of_treatment is not None:
        named["endOfTreatment"] = design.end_of_treatment
    for key, value in named.items():
        if value not in schedule:
            problems.append(
                make_problems(
                    "design", "design-schedule",
                    f"{key} is {value}, which is not a scheduled visit ({', '.join(map(str, schedule))})",
                    column=key,
                )
            )  # fmt: skip
    return concat_problems(problems)


def _check_design_collected(design, tables):
    problems, visits = [], tables["visits"]
    for name in standard.outcome_families():
        has_values = name in visits and bool(visits[name].notna().any())
        if design.collected(name) and not has_values:
            problems.append(
                make_problems(
                    "design", "design-outcome",
                    f"the design says {name} was collected, but the visits table has no value "
                    "for it; remove it from the design's outcomes",
                    column="outcomes", values=[name],
                )
            )  # fmt: skip
        elif has_values and not design.collected(name):
            problems.append(
                make_problems(
                    "design", "design-outcome",
                    f"the visits table has values for {name}, but the design does not list it "
                    "among the outcomes collected; add it to the design",
                    column="outcomes", values=[name],
                )
            )  # fmt: skip
    for table in standard.TABLES:
        present = table in tables
        if design.has_table(table) and not present:
            problems.append(
                make_problems(
                    "design", "design-table",
                    f"the design says the {table} table was collected, but there is no {table} "
                    "file; add it (with no rows if nothing occurred) or remove it from the design",
                    column="tables",
                )
            )  # fmt: skip
        elif present and not design.has_table(table) and len(tables[table]):
            problems.append(
                make_problems(
                    "design", "design-table",
                    f"there is a {table} table with rows, but the design does not list it among "
                    "the tables collected; add it to the design",
                    column="tables",
                )
            )  # fmt: skip
    return concat_problems(problems)
