"""Long files: one CSV, Excel or SAS file with a row per subject and visit.

Subject columns (``arm``, ``age``, ...) repeat on every row of a subject and must agree; they
become the ``subjects`` table, the rest the ``visits`` table. Besides the common keys
(:mod:`acne_outcomes.importers.mapping`), a long file's mapping may say::

    "sheet": "Data",          # Excel: sheet name or index (default: the first)
    "header_row": 2,          # Excel/CSV: line of the column names (default 1)
    "delimiter": ";",         # CSV (default ",")
    "encoding": "latin-1"     # CSV (default UTF-8; a byte-order mark is fine)
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from acne_outcomes import standard
from acne_outcomes.importers.columns import (
    apply_columns,
    complete_columns,
    prepare,
    recode,
    unmatched,
)
from acne_outcomes.importers.mapping import (
    GUIDE,
    ImportLog,
    short_list,
    visit_unit,
)
from acne_outcomes.readers import RawStudy, StudyReadError, read_csv_text, read_input
from acne_outcomes.validate import (
    StudyValidationError,
    check_field,
    concat_problems,
    empty_problems,
    make_problems,
)

SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "excel", ".xlsm": "excel",
            ".xpt": "sas", ".sas7bdat": "sas"}  # fmt: skip


def read_long(path: Path, mapping: dict, checksums: dict | None = None):
    """Read a long file as it is, once: ``(frame, rows, problems, labels)``.

    ``frame`` is ``None`` when a file-level problem (encoding, delimiter, ragged rows) made
    the file unreadable; ``labels`` are SAS variable labels (empty otherwise). The SHA-256 of
    the bytes read goes into ``checksums``.
    """
    route = SUFFIXES[path.suffix.lower()]
    data = read_input(path, checksums)
    if route == "csv":
        return _read_csv(path, data, mapping)
    if route == "excel":
        return _read_excel(path, data, mapping)
    frame, rows, labels = read_sas(path, data)
    return frame, rows, empty_problems(), labels


def _read_csv(path: Path, data: bytes, mapping):
    header_row = int(mapping.get("header_row", 1))
    if header_row > 1:
        lines = data.replace(b"\r\n", b"\n").split(b"\n")
        if header_row > len(lines) or not b"".join(lines[header_row - 1 :]).strip():
            return None, np.array([], dtype=int), make_problems(
                "visits", "file-empty",
                f'"header_row" is {header_row}, but {path.name} has no header there '
                f"(it has {len(lines)} lines)",
            ), {}  # fmt: skip
        data = b"\n".join(lines[header_row - 1 :])
    frame, rows, problems = read_csv_text(
        data, "visits", file_label=path.name,
        encoding=mapping.get("encoding", "utf-8"), delimiter=mapping.get("delimiter", ","),
    )  # fmt: skip
    if frame is not None:
        rows = rows + header_row - 1
    return frame, rows, problems, {}


def _read_excel(path: Path, data: bytes, mapping):
    header_row = int(mapping.get("header_row", 1))
    try:
        frame = pd.read_excel(
            io.BytesIO(data), sheet_name=mapping.get("sheet", 0), header=header_row - 1,
            dtype=object,
        )  # fmt: skip
    except ValueError as error:
        raise StudyReadError(
            f"cannot read sheet {mapping.get('sheet', 0)!r} of {path.name}: {error}"
        ) from error
    except Exception as error:  # openpyxl raises many types for corrupt files
        raise StudyReadError(f"{path.name} is not a readable Excel workbook: {error}") from error
    frame.columns = [str(column).strip() for column in frame.columns]
    rows = np.arange(header_row + 1, header_row + 1 + len(frame))
    for name in frame.columns:  # Excel dates stay datetimes (for "dates"), the rest is text
        if not pd.api.types.is_datetime64_any_dtype(frame[name].dtype):
            frame[name] = frame[name].astype("string")
    return frame, rows, empty_problems(), {}


def read_sas(path: Path, data: bytes | None = None, checksums: dict | None = None):
    """Read a SAS file (XPT or sas7bdat): ``(frame, rows, labels)``; dates as dates.

    The file is read once (:func:`~acne_outcomes.readers.read_input`, or ``data`` when the
    caller read it) and parsed from a private copy of those bytes, so what is parsed is what
    was checksummed.
    """
    import pyreadstat

    if data is None:
        data = read_input(path, checksums)
    reader = pyreadstat.read_xport if path.suffix.lower() == ".xpt" else pyreadstat.read_sas7bdat
    try:
        with tempfile.TemporaryDirectory(prefix="acne-outcomes-") as scratch:
            copy = Path(scratch) / f"input{path.suffix.lower()}"
            copy.write_bytes(data)
            frame, meta = reader(str(copy))
    except Exception as error:  # pyreadstat raises its own ReadstatError and others
        raise StudyReadError(f"{path.name} is not a readable SAS file: {error}") from None
    labels = dict(
        zip(meta.column_names, meta.column_labels or [None] * len(meta.column_names), strict=True)
    )
    return frame, np.arange(1, len(frame) + 1), labels


def import_long(path: Path, mapping: dict) -> RawStudy:
    """Import one long CSV, Excel or SAS file through ``mapping`` (see the module docs).

    Raises :class:`~acne_outcomes.validate.StudyValidationError` when the file cannot be
    parsed at all.
    """
    route = SUFFIXES[path.suffix.lower()]
    checksums: dict[str, str] = {}
    raw, rows, problems, labels = read_long(path, mapping, checksums)
    if raw is None:
        raise StudyValidationError(problems, source=str(path))
    if not mapping.get("columns"):
        hint = route_hint(raw.columns, path.name)
        if hint is not None:
            raise StudyValidationError(
                make_problems(path.name, "import-route", hint), source=str(path)
            )
    misplaced = header_below(raw, rows, mapping, labels, path.name)
    if misplaced is not None:  # every other problem would follow from the wrong header
        raise StudyValidationError(misplaced, source=str(path))
    log = ImportLog(route)
    columns = mapping.get("columns", {})
    id_column = columns.get("subject_id") or "subject_id"
    named = [*mapping.get("dates", []), *([mapping["anchor"]] if "anchor" in mapping else [])]
    unknown = unmatched([*named, *mapping.get("drop", [])], raw.columns)
    prepared = prepare(
        raw, rows, log, file_label=path.name, id_column=id_column, drop=mapping.get("drop", []),
        dates=mapping.get("dates", []), anchor=mapping.get("anchor"),
        date_format=mapping.get("date_format"),
    )  # fmt: skip
    tables, table_rows, split_problems = split_long(
        prepared.frame, rows, mapping, labels=labels, file_label=path.name, log=log
    )
    return RawStudy(
        tables, table_rows,
        concat_problems([problems, _unknown_names(unknown, path.name), prepared.problems, split_problems]),
        source=str(path), files=[path], scan=[(path.name, prepared.scan, rows)],
        design=mapping.get("design"), metadata={"import": log.as_dict()}, checksums=checksums,
    )  # fmt: skip


def header_below(raw: pd.DataFrame, rows, mapping: dict, labels, file_label: str):
    """The one problem of a header read from the wrong row, or ``None``.

    When the mapping's column names are not the file's but are on one of its first rows (a
    title row above the header, and no ``"header_row"``), every other problem (dates under
    ``Unnamed`` columns, no subjects table, ...) follows from it: only this one is reported,
    naming the row to give as ``"header_row"``.

    Examples
    --------
    >>> raw = pd.DataFrame({"Trial export": ["Patient", "S1"], "Unnamed: 1": ["Visit", "0"]})
    >>> problem = header_below(raw, [2, 3], {"columns": {"subject_id": "Patient",
    ...     "month": "Visit"}}, {}, "export.csv")
    >>> print(problem["message"].iloc[0])  # doctest: +NORMALIZE_WHITESPACE
    the column names are on row 2 of export.csv, not on the row read as its header: one title
    row is above the header, so set "header_row": 2 in the mapping. The mapping names 'Patient'
    (for subject_id), 'Visit' (for month); the header row read has Trial export, Unnamed: 1.
    """
    columns = mapping.get("columns") or {}
    wanted = {name: source for name, source in columns.items() if isinstance(source, str)}
    missing = {name: source for name, source in wanted.items() if source not in raw.columns}
    if not missing or len(missing) * 2 < len(wanted):
        return None
    best, found = None, 0
    for index in range(min(10, len(raw))):
        values = {str(value).strip() for value in raw.iloc[index].dropna()}
        hits = len(set(missing.values()) & values)
        if hits > found:
            best, found = index, hits
    if best is None or found * 2 < len(missing):
        return None
    row = int(np.asarray(rows)[best])
    above = row - int(mapping.get("header_row", 1))
    title = "one title row is" if above == 1 else f"{above} rows are"
    available = [
        f"{column} ({labels[column]})" if (labels or {}).get(column) else str(column)
        for column in raw.columns
    ]
    listed = short_list([f"{source!r} (for {name})" for name, source in missing.items()])
    return make_problems(
        file_label, "mapping",
        f"the column names are on row {row} of {file_label}, not on the row read as its "
        f'header: {title} above the header, so set "header_row": {row} in the mapping. The '
        f"mapping names {listed}; the header row read has {short_list(available)}.",
    )  # fmt: skip


def route_hint(columns, file_label: str) -> str | None:
    """Which importer a file needs, when its columns are those of a REDCap or ADaM export.

    Examples
    --------
    >>> route_hint(["USUBJID", "PARAMCD", "AVAL"], "adqs.xpt")[:47]
    'adqs.xpt looks like a CDISC ADaM dataset (it ha'
    >>> route_hint(["subject_id", "month"], "long.csv") is None
    True
    """
    columns = {str(column) for column in columns}
    redcap = sorted(columns & {"redcap_event_name", "redcap_repeat_instrument"})
    if redcap:
        return (
            f"{file_label} looks like a REDCap export (it has {redcap[0]}): import it with its "
            'data dictionary through a REDCap mapping, e.g. {"dictionary": "dictionary.csv", '
            '"anchor": "consent_date", "dates": ["visit_date"], "drop": ["initials", "email"]} '
            f"(see {GUIDE})"
        )
    if {"Event Name", "Record ID"} & columns:
        return (
            f"{file_label} looks like a REDCap export with labels for headers: export the raw "
            f"data (CSV, raw data, not labels) and import it with a REDCap mapping (see {GUIDE})"
        )
    if "USUBJID" in columns and ({"PARAMCD", "AVAL"} <= columns or "TRT01A" in columns):
        return (
            f"{file_label} looks like a CDISC ADaM dataset (it has USUBJID): import the folder "
            'of datasets with an ADaM mapping, e.g. {"adsl": "adsl.xpt", "bds": "adqs.xpt", '
            f'"params": {{"IGA": "iga"}}}} (see {GUIDE})'
        )
    return None


def _unknown_names(names, file_label: str) -> pd.DataFrame:
    if not names:
        return empty_problems()
    return make_problems(
        file_label, "mapping",
        f'"anchor", "dates" or "drop" name{"s" if len(names) == 1 else ""} {short_list(names)}, '
        f"which {file_label} does not have: correct the name",
    )  # fmt: skip


def _unit_of(raw: pd.DataFrame, mapping: dict) -> str:
    columns = mapping.get("columns", {})
    found = [
        unit
        for unit, name in standard.visit_columns().items()
        if columns.get(name) is not None or (name in raw.columns and name not in columns.values())
    ]
    return visit_unit(mapping, found[0] if len(found) == 1 else None)


def split_long(raw: pd.DataFrame, rows, mapping, *, labels=None, file_label="the file", log=None):
    """Split a long (subject × visit) frame into ``subjects`` and ``visits`` tables.

    Parameters
    ----------
    raw : pandas.DataFrame
        The file as read (after :func:`~acne_outcomes.importers.mapping.prepare`).
    rows : array-like
        Each row's number in the file.
    mapping : dict
        The mapping (``columns`` and ``values`` are used here).
    labels : dict, optional
        SAS variable labels, shown beside the names in messages.
    file_label : str
        The file's name, for messages.
    log : ImportLog, optional
        Where the outcomes mapped but never recorded are noted.

    Returns
    -------
    tables : dict
        ``subjects`` (each subject's first row) and ``visits``; empty without ``subject_id``.
    rows : dict
        The file's row number of each table row.
    problems : pandas.DataFrame
        Mapped columns the file lacks (one problem), no subject column, subject values that
        differ between a subject's rows, columns neither mapped nor found.

    Examples
    --------
    >>> raw = pd.DataFrame({"Patient": ["S1", "S1"], "month": ["0", "1"], "age": ["19", "19"]})
    >>> tables, rows, _ = split_long(raw, [2, 3], {"columns": {"subject_id": "Patient"}})
    >>> tables["subjects"][["subject_id", "age"]].to_dict("list"), rows["visits"].tolist()
    ({'subject_id': ['S1'], 'age': ['19']}, [2, 3])
    """
    unit = _unit_of(raw, mapping)
    columns = mapping.get("columns", {})
    subject_names = standard.field_names("subjects")
    visit_names = standard.field_names("visits", unit)
    names = list(dict.fromkeys(subject_names + visit_names))
    renamed, problems, not_recorded = apply_columns(
        raw, columns, names, labels=labels, file_label=file_label,
        left_out=log.dropped if log is not None else None,
    )  # fmt: skip
    renamed = recode(renamed, mapping.get("values", {}), "subjects", unit)
    renamed = recode(renamed, {}, "visits", unit)
    if "subject_id" not in renamed:
        if "subject_id" not in columns:
            problems = concat_problems([
                problems,
                make_problems(
                    file_label, "mapping",
                    f"no column gives subject_id: map your subject ID column with "
                    f'"columns": {{"subject_id": "your column"}}. Its columns: {short_list(raw.columns)}',
                    column="subject_id",
                ),
            ])  # fmt: skip
        return {}, {}, problems
    if log is not None:
        for name in standard.outcome_families():
            if name in columns and columns[name] is None:
                log.not_collected.append(f"{name} (the mapping declares it null)")
            elif name in renamed and columns.get(name) is not None and renamed[name].isna().all():
                log.not_collected.append(f"{name} ({columns[name]} holds no value)")
    rows = np.asarray(rows)
    first = ~renamed["subject_id"].duplicated().to_numpy()
    subject_columns = [name for name in subject_names if name in renamed]
    subjects = renamed.loc[first, subject_columns].reset_index(drop=True)
    inconsistent = []
    for name in subject_columns[1:]:
        per_subject = renamed.groupby("subject_id", sort=False, dropna=False)[name].nunique(
            dropna=False
        )
        varying = renamed["subject_id"].map(per_subject).to_numpy() > 1
        if varying.any():
            inconsistent.append(
                make_problems(
                    "subjects", "subject-inconsistent",
                    f"{name} must be the same on every row of a subject",
                    rows=rows[varying], column=name, values=renamed.loc[varying, name],
                )
            )  # fmt: skip
            # the subjects table keeps each subject's first row, which validation checks: a
            # later row's value out of range or of the wrong type is listed too, at once
            later = varying & ~first
            item = standard.field("subjects", name, unit)
            found, _ = check_field("subjects", item, renamed.loc[later, name], rows[later])
            inconsistent += [frame for frame in found if frame["rule"].iloc[0] != "required"]
    visits = renamed[[name for name in visit_names if name in renamed]].reset_index(drop=True)
    tables, fill = complete_columns(
        {"subjects": subjects, "visits": visits},
        {"subjects": not_recorded, "visits": not_recorded}, unit, file_label,
    )  # fmt: skip
    return (
        tables,
        {"subjects": rows[first], "visits": rows},
        concat_problems([problems, *inconsistent, fill]),
    )
