"""A mapping applied to a file as read: columns left out, dates into days, renaming, recoding.

:func:`prepare` runs first, on the file as read: it leaves out the columns in ``drop`` and turns
the ``dates`` into days from each subject's ``anchor``, so that no date reaches a table, and
gives the identifier scan every other column. :func:`apply_columns` then takes the standard's
columns as ``columns`` maps them, :func:`recode` recodes their values, and
:func:`complete_columns` adds those declared not recorded.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from acne_outcomes import privacy, standard
from acne_outcomes.importers import dates as dating
from acne_outcomes.importers.mapping import GUIDE, ImportLog, short_list
from acne_outcomes.validate import concat_problems, make_problems


def matching(columns, patterns) -> list[str]:
    """The columns named by ``patterns`` (names, or ``fnmatch`` patterns such as ``*DT``).

    >>> matching(["RANDDT", "AGE", "TRTSDT"], ["*DT"])
    ['RANDDT', 'TRTSDT']
    """
    return [
        str(column)
        for column in columns
        if any(str(column) == item or fnmatch.fnmatchcase(str(column), item) for item in patterns)
    ]


def unmatched(patterns, columns) -> list[str]:
    """The names and patterns of ``patterns`` that match none of ``columns``.

    >>> unmatched(["RANDDT", "*DTM", "initials"], ["RANDDT", "AGE"])
    ['*DTM', 'initials']
    """
    return [item for item in patterns if not matching(columns, [item])]


@dataclass
class Prepared:
    """A file after :func:`prepare`: for the tables, for the scan, and what went wrong."""

    frame: pd.DataFrame
    scan: pd.DataFrame
    problems: pd.DataFrame
    anchors: pd.Series | None = None


def prepare(
    raw: pd.DataFrame,
    rows,
    log: ImportLog,
    *,
    file_label: str,
    id_column: str | None,
    drop=(),
    dates=(),
    anchor: str | None = None,
    anchors: pd.Series | None = None,
    date_format: str | None = None,
    auto_drop: dict[str, str] | None = None,
) -> Prepared:
    """Leave columns out and turn dates into days, before any table is built or scanned.

    Parameters
    ----------
    raw : pandas.DataFrame
        A file as read.
    rows : array-like
        The row number of each row in the file.
    log : ImportLog
        Where what was converted and dropped is recorded.
    file_label : str
        The file's name, for messages.
    id_column : str or None
        The column holding each row's subject (for each subject's own day 0).
    drop : sequence of str
        Columns (or patterns) to leave out.
    dates : sequence of str
        Date columns to turn into days from the anchor (those this file has).
    anchor : str, optional
        The date column that is day 0, when this file has it.
    anchors : pandas.Series, optional
        Each subject's day 0 found in another file (ADaM: ADSL's), indexed by subject.
    date_format : str, optional
        How text dates are written (default ISO 8601).
    auto_drop : dict of str to str, optional
        Further columns to leave out, with why (ADaM: date variables not converted).

    Returns
    -------
    Prepared
        ``frame``: the file without dropped columns, dates as days (the anchor as 0), any
        other date blanked; ``scan``: the file without dropped, converted and anchor columns,
        for the identifier scan; ``problems``: dates that are not dates, subjects without a
        day 0, the one hint for dates left; ``anchors``: each subject's day 0.
    """
    rows = np.asarray(rows)
    problems = []
    dropped = matching(raw.columns, drop)
    for name in dropped:
        log.dropped.setdefault(name, 'the mapping\'s "drop"')
    for name, why in (auto_drop or {}).items():
        if name in raw.columns and name not in dropped:
            dropped.append(name)
            log.dropped.setdefault(name, why)
    frame = raw.drop(columns=dropped)
    ids = frame[id_column] if id_column in frame.columns else None
    if anchor is not None and anchor in frame.columns:
        log.anchor = anchor
        if ids is not None:
            anchors, anchor_problems = dating.subject_anchors(
                ids, frame[anchor], rows, column=anchor, file_label=file_label,
                date_format=date_format,
            )  # fmt: skip
            problems.append(anchor_problems)
    converted = [name for name in dates if name in frame.columns]
    if anchor is not None and anchor in frame.columns and anchor not in converted:
        converted.append(anchor)
    if converted and anchors is None:
        listed = [name for name in converted if name != anchor]
        if listed and anchor is None:
            problems.append(
                make_problems(
                    file_label, "dates",
                    f"the dates {short_list(listed)} need a day 0: name the date column that is "
                    'day 0 with "anchor" in the mapping (e.g. the consent or randomisation date)',
                )
            )  # fmt: skip
        frame = frame.assign(**{name: pd.Series(pd.NA, index=frame.index, dtype=object)
                                for name in converted})  # fmt: skip
    elif converted:
        frame = frame.copy()
        for name in converted:
            days, date_problems = dating.days_from_anchor(
                ids, frame[name], anchors, rows, column=name, file_label=file_label,
                date_format=date_format,
            )  # fmt: skip
            frame[name] = days
            problems.append(date_problems)
            if name not in log.dates and name != anchor:
                log.dates.append(name)
    scan = raw.drop(columns=[*dropped, *converted])
    if id_column is not None:
        scan.attrs["subject_id_columns"] = [id_column]
    left = privacy.date_columns(scan)
    if left:
        problems.append(
            make_problems(
                file_label, "dates",
                f"{short_list(left)} hold{'s' if len(left) == 1 else ''} calendar dates, which identify "
                'people: turn them into days with "anchor" (the date that is day 0) and "dates" in '
                f'the mapping, or leave them out with "drop" (see {GUIDE})',
            )
        )  # fmt: skip
        frame = frame.copy()
        for name in left:
            if name in frame.columns:
                cells = privacy.date_cells(frame[name])
                frame[name] = frame[name].astype(object).where(~cells, None)
    return Prepared(frame, scan, concat_problems(problems), anchors)


# --------------------------------------------------------------------------- renaming, recoding


def apply_columns(
    raw: pd.DataFrame,
    columns: dict,
    names: list[str],
    *,
    labels: dict | None = None,
    file_label: str = "the file",
    header_hint: bool = True,
    left_out: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Take the standard columns ``names`` from ``raw`` as ``columns`` maps them.

    Returns ``(frame, problems, not_recorded)``: the standard columns found, in the
    standard's order; one problem naming every mapped source column the file lacks (with a
    short list of its columns, and the header-row hint when the names sit on the first data
    row), and one naming those mapped but left out (``left_out``: column → why, e.g. a date
    not converted); and the columns the mapping declares not recorded (``null``).

    Examples
    --------
    >>> raw = pd.DataFrame({"Patient": ["S1"], "age": ["19"]})
    >>> frame, problems, _ = apply_columns(raw, {"subject_id": "Patient", "sex": "Sex"},
    ...                                    ["subject_id", "age", "sex"])
    >>> list(frame.columns)
    ['subject_id', 'age']
    >>> print(problems["message"].iloc[0])
    the mapping names a column the file does not have: 'Sex' (for sex). Its columns: Patient, age.
    """
    labels = labels or {}
    sources = {source for source in columns.values() if source is not None}
    taken, missing, not_recorded = {}, {}, []
    for name in names:
        if name in columns:
            source = columns[name]
            if source is None:
                not_recorded.append(name)
            elif source in raw.columns:
                taken[name] = raw[source]
            else:
                missing[name] = source
        elif name in raw.columns and name not in sources:
            taken[name] = raw[name]
    frame = pd.DataFrame(taken, index=raw.index)
    problems = []
    dropped = {name: source for name, source in missing.items() if source in (left_out or {})}
    if dropped:
        listed = [f"{source} (for {name}: {left_out[source]})" for name, source in dropped.items()]
        problems.append(
            make_problems(
                file_label, "mapping",
                f"the mapping takes columns that were left out: {short_list(listed)}. A date "
                'becomes days when "dates" lists it; a column in "drop" cannot also be mapped',
                column=None if len(dropped) > 1 else next(iter(dropped)),
            )
        )  # fmt: skip
        missing = {name: source for name, source in missing.items() if name not in dropped}
    if missing:
        available = [
            f"{column} ({labels[column]})" if labels.get(column) else str(column)
            for column in raw.columns
        ]
        wanted = [f"{source!r} (for {name})" for name, source in missing.items()]
        hint = ""
        first_row = (
            set(raw.iloc[0].astype("string").dropna()) if len(raw) and header_hint else set()
        )
        if first_row & set(missing.values()):
            hint = (
                " Those names are on the first data row: a title row is above the header, so "
                'set "header_row": 2 in the mapping.'
            )
        many = len(missing) > 1
        problems.append(
            make_problems(
                file_label, "mapping",
                f"the mapping names {'columns' if many else 'a column'} the file does not have: "
                f"{short_list(wanted)}. Its columns: {short_list(available)}.{hint}",
                column=None if many else next(iter(missing)),
            )
        )  # fmt: skip
    return frame, concat_problems(problems), not_recorded


def _normalised(value: object) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(value).strip().lower()).strip("_")


def _integral(text: str) -> str:
    """``"4.0"`` → ``"4"`` (codes written as decimals by Excel or SAS), other text unchanged."""
    match = re.fullmatch(r"([+-]?\d+)\.0*", text)
    return match.group(1) if match else text


def recode(frame: pd.DataFrame, values: dict, table: str, unit: str = "months") -> pd.DataFrame:
    """Recode the standard columns of ``frame`` with ``values``, and tidy category labels.

    A value is looked up as written, then as a whole number (``4.0`` as ``4``). In a text
    column with categories, a value that differs from a category only in case, spaces or
    punctuation becomes that category (``"Lost to follow-up"`` → ``lost_to_follow_up``).

    Examples
    --------
    >>> frame = pd.DataFrame({"baseline_iga": ["4.0", "3"], "sex": ["Female", "M"]})
    >>> values = {"baseline_iga": {"4": "3"}, "sex": {"M": "male"}}
    >>> recode(frame, values, "subjects").to_dict("list")
    {'baseline_iga': ['3', '3'], 'sex': ['female', 'male']}
    """
    frame = frame.copy()
    for name, codes in values.items():
        if name not in frame.columns:
            continue
        codes = {str(key).strip(): value for key, value in codes.items()}
        text = frame[name].astype("string").str.strip()

        def look_up(value, codes=codes):
            if value in codes:
                return codes[value]
            return codes.get(_integral(value), value)

        frame[name] = text.map(look_up, na_action="ignore").astype(object)
    fields = {item["name"]: item for item in standard.fields(table, unit)}
    for name in frame.columns:
        item = fields.get(name)
        if item is None or item["type"] != "string" or not item.get("constraints", {}).get("enum"):
            continue
        allowed = {_normalised(value): value for value in item["constraints"]["enum"]}
        present = frame[name].dropna().astype(str).unique()
        tidy = {
            value: allowed[_normalised(value)]
            for value in present
            if value not in allowed.values() and _normalised(value) in allowed
        }
        if tidy:
            frame[name] = frame[name].map(lambda value, tidy=tidy: tidy.get(value, value))
    return frame


def complete_columns(
    tables: dict[str, pd.DataFrame], not_recorded: dict[str, list[str]], unit: str, file_label: str
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Add the columns declared not recorded, and name, once, those neither mapped nor found.

    A column the standard requires to be present but allows to be empty (``study_day``,
    ``discontinuation_day``, ...) is added empty when the mapping declares it ``null``;
    otherwise one problem lists every such column with the fix, and they are added empty so
    that validation does not report them again. Outcome columns declared ``null`` stay
    absent: they were not collected.

    Examples
    --------
    >>> subjects = pd.DataFrame({"subject_id": ["S1"]})
    >>> tables, problems = complete_columns({"subjects": subjects},
    ...     {"subjects": ["childbearing_potential"]}, "months", "long.csv")
    >>> "childbearing_potential" in tables["subjects"], problems["rule"].tolist()
    (True, ['missing-column'])
    >>> print(problems["message"].iloc[0][:78])
    subjects columns neither in the mapping nor in long.csv: end_of_treatment_day,
    """
    out, problems = {}, []
    for table, frame in tables.items():
        frame = frame.copy()
        absent = []
        for item in standard.fields(table, unit):
            name = item["name"]
            if name in frame.columns or item.get("optionalColumn"):
                continue
            if item.get("constraints", {}).get("required"):
                continue  # validation reports a required column missing
            if name not in not_recorded.get(table, []):
                absent.append(name)
            frame[name] = pd.Series(pd.NA, index=frame.index, dtype=object)
        if absent:
            example = absent[0]
            problems.append(
                make_problems(
                    table, "missing-column",
                    f"{table} columns neither in the mapping nor in {file_label}: {short_list(absent)}. "
                    f'Map each to your column ("columns": {{"{example}": "your column"}}), or, '
                    f'if it was not recorded, declare it empty ("columns": {{"{example}": null}})',
                    column=absent[0] if len(absent) == 1 else None,
                )
            )  # fmt: skip
        out[table] = frame
    return out, concat_problems(problems)
