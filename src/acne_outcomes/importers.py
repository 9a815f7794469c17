"""Importers: one long CSV or Excel file, SAS XPT/sas7bdat, and CDISC ADaM, mapped onto the standard.

An importer is a reader: :func:`import_tables` returns a :class:`~acne_outcomes.readers.RawStudy`
(the mapped tables, their row numbers in the source, what could not be mapped, the files read,
and the files as read for the identifier scan); :func:`acne_outcomes.io.load_study` then scans,
validates and conforms it like any other input.

A *mapping* (a dict, or a JSON file) says where each standard column comes from::

    {
      "columns": {"subject_id": "Patient", "arm": "Group", "month": "Visit", ...},
      "values":  {"arm": {"A": "isotretinoin", "B": "comparator"}, "sex": {"M": "male", "F": "female"}},
      "sheet": "Data",          # Excel: sheet name or index (default: the first)
      "header_row": 1,          # Excel/CSV: line of the column names (default 1)
      "delimiter": ",",         # CSV (default ",")
      "encoding": "utf-8"       # CSV (default UTF-8; a byte-order mark is fine)
    }

``columns`` maps *standard name → source column*; source columns that already carry a
standard name need no entry. ``values`` recodes values of a standard column. A long file has
one row per subject and visit: subject columns (``arm``, ``age``, ...) repeat on every row of
a subject and must agree; they become the ``subjects`` table, the rest the ``visits`` table.
Columns that are neither mapped nor standard are ignored for the study, but still scanned for
direct identifiers.

CDISC ADaM (a folder) needs, in addition::

    {"adsl": "adsl.xpt", "bds": "adqs.xpt",
     "params": {"INFLLES": "inflammatory_lesions", "IGA": "iga", ...},   # PARAMCD → column
     "visits": {"0": 0, "4": 1, "8": 2}}                                # AVISITN → month (optional)

ADSL gives ``subjects`` (default columns: USUBJID, TRT01A, SITEID, AGE, SEX); the BDS dataset
(USUBJID, PARAMCD, AVISITN, AVAL, optionally ADY) is pivoted to one row per subject and visit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from acne_outcomes import standard
from acne_outcomes.design import visit_unit_of
from acne_outcomes.readers import RawStudy, StudyReadError, read_csv_text, read_package
from acne_outcomes.validate import (
    StudyValidationError,
    concat_problems,
    empty_problems,
    make_problems,
)

MAPPING_KEYS = (
    "columns", "values", "sheet", "header_row", "delimiter", "encoding",
    "adsl", "bds", "params", "visits", "design",
)  # fmt: skip
ADSL_DEFAULTS = {
    "subject_id": "USUBJID",
    "arm": "TRT01A",
    "site": "SITEID",
    "age": "AGE",
    "sex": "SEX",
}


def read_mapping(mapping) -> dict:
    """Return a mapping dict from a dict or a JSON file path; reject unknown keys."""
    if mapping is None:
        mapping = {}
    elif isinstance(mapping, (str, Path)):
        try:
            mapping = json.loads(Path(mapping).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise StudyReadError(f"cannot read the mapping {mapping}: {error}") from error
    unknown = set(mapping) - set(MAPPING_KEYS)
    if unknown:
        raise ValueError(f"unknown mapping key(s) {sorted(unknown)}; allowed: {list(MAPPING_KEYS)}")
    wrong = set(mapping.get("columns", {})) - _all_fields()
    if wrong:
        raise ValueError(
            f"mapping names column(s) {sorted(wrong)} that the standard does not have; "
            f"standard columns: {sorted(_all_fields())}"
        )
    return mapping


def _all_fields() -> set[str]:
    """Every column name of the standard, the visit column in each unit included."""
    return {
        name
        for table in standard.TABLES
        for unit in standard.VISIT_UNITS
        for name in standard.field_names(table, unit)
    }


def _visit_unit(mapping) -> str:
    design = mapping.get("design") or {}
    return (
        design.get("visitUnit", standard.VISIT_UNITS[0]) if isinstance(design, dict) else "months"
    )


def import_tables(path: Path, mapping=None) -> RawStudy:
    """Read a long CSV/Excel/SAS file or an ADaM folder and map it onto the standard's tables.

    Parameters
    ----------
    path : pathlib.Path
        A long file (``.csv``, ``.txt``, ``.tsv``, ``.xlsx``, ``.xlsm``, ``.xpt``,
        ``.sas7bdat``), or a folder: an ADaM folder when the mapping names ``adsl``,
        otherwise a data package folder (read as it is: its mapping may not rename or recode).
    mapping : dict, str or Path, optional
        The mapping (see the module docs); a path is read as JSON.

    Returns
    -------
    RawStudy
        The ``subjects`` and ``visits`` tables (not yet validated), their row numbers in the
        source, the mapping problems found, the files read and, to scan for identifiers,
        the files as read (unmapped columns included).

    Raises
    ------
    StudyReadError
        The file, its format or the mapping cannot be read.
    StudyValidationError
        A CSV file cannot be parsed at all (its problems are listed).
    ValueError
        The mapping has unknown keys or columns, or renames a data package folder's columns.
    """
    mapping = read_mapping(mapping)
    if path.is_dir():
        if "adsl" not in mapping:
            if mapping.get("columns") or mapping.get("values"):
                raise ValueError(
                    "a mapping for a data package folder is not supported; map a long file"
                )
            return read_package(path)
        return _import_adam(path, mapping)
    suffix = path.suffix.lower()
    readers = {".csv": _read_csv, ".txt": _read_csv, ".tsv": _read_csv, ".xlsx": _read_excel,
               ".xlsm": _read_excel, ".xpt": _read_sas, ".sas7bdat": _read_sas}  # fmt: skip
    if suffix not in readers:
        raise StudyReadError(
            f"cannot read {path.name}: unknown format {suffix!r}; use a data package folder or "
            f"one of {sorted(readers)}"
        )
    raw, rows, problems, labels = readers[suffix](path, mapping)
    if raw is None:
        raise StudyValidationError(problems, source=str(path))
    tables, table_rows, split_problems = split_long(
        raw, rows, mapping, labels=labels, file_label=path.name
    )
    return RawStudy(
        tables, table_rows, concat_problems([problems, split_problems]), source=str(path),
        files=[path], scan=[(path.name, raw, rows)],  # the whole file, unmapped columns too
        design=mapping.get("design"),
    )  # fmt: skip


def _read_csv(path: Path, mapping):
    header_row = int(mapping.get("header_row", 1))
    data = path.read_bytes()
    if header_row > 1:
        data = b"\n".join(data.split(b"\n")[header_row - 1 :])
    frame, rows, problems = read_csv_text(
        data, "visits", file_label=path.name,
        encoding=mapping.get("encoding", "utf-8"), delimiter=mapping.get("delimiter", ","),
    )  # fmt: skip
    if frame is not None:
        rows = rows + header_row - 1
    return frame, rows, problems, {}


def _read_excel(path: Path, mapping):
    header_row = int(mapping.get("header_row", 1))
    try:
        frame = pd.read_excel(
            path, sheet_name=mapping.get("sheet", 0), header=header_row - 1, dtype=object
        )
    except ValueError as error:
        raise StudyReadError(
            f"cannot read sheet {mapping.get('sheet', 0)!r} of {path.name}: {error}"
        ) from error
    except Exception as error:  # openpyxl raises many types for corrupt files
        raise StudyReadError(f"{path.name} is not a readable Excel workbook: {error}") from error
    frame.columns = [str(column).strip() for column in frame.columns]
    rows = np.arange(header_row + 1, header_row + 1 + len(frame))
    return frame.astype("string"), rows, empty_problems(), {}


def _read_sas(path: Path, mapping):
    import pyreadstat

    reader = pyreadstat.read_xport if path.suffix.lower() == ".xpt" else pyreadstat.read_sas7bdat
    try:
        frame, meta = reader(str(path))
    except Exception as error:  # pyreadstat raises its own ReadstatError and others
        raise StudyReadError(f"{path.name} is not a readable SAS file: {error}") from error
    labels = dict(
        zip(meta.column_names, meta.column_labels or [None] * len(meta.column_names), strict=True)
    )
    return frame, np.arange(1, len(frame) + 1), empty_problems(), labels


def split_long(raw: pd.DataFrame, rows, mapping, *, labels=None, file_label="the file"):
    """Split a long (subject × visit) frame into ``subjects`` and ``visits`` tables.

    Returns ``(tables, rows, problems)``. Subject-level values must agree across a subject's
    rows; the subjects table takes each subject's first row (its row number is reported).
    """
    renamed, problems = _apply_mapping(raw, mapping, labels or {}, file_label)
    subject_columns = [name for name in standard.field_names("subjects") if name in renamed]
    unit = visit_unit_of(renamed) or _visit_unit(mapping)
    visit_columns = [name for name in standard.field_names("visits", unit) if name in renamed]
    if "subject_id" not in renamed:
        return {}, {}, problems
    rows = np.asarray(rows)
    first = ~renamed["subject_id"].duplicated().to_numpy()
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
    visits = renamed[visit_columns].reset_index(drop=True)
    tables = {"subjects": subjects, "visits": visits}
    return (
        tables,
        {"subjects": rows[first], "visits": rows},
        concat_problems([problems, *inconsistent]),
    )


def _apply_mapping(raw: pd.DataFrame, mapping, labels, file_label):
    columns = dict(mapping.get("columns", {}))
    problems = []
    missing = {name: source for name, source in columns.items() if source not in raw.columns}
    for name, source in missing.items():
        available = ", ".join(
            f"{column} ({labels[column]})" if labels.get(column) else str(column)
            for column in raw.columns
        )
        hint = ""
        if raw.shape[0] and source in set(raw.iloc[0].astype("string").dropna()):
            hint = ' Its name is on the first data row: the header spans two rows, so set "header_row": 2.'
        problems.append(
            make_problems(
                file_label, "mapping",
                f"mapping says {name!r} comes from column {source!r}, which {file_label} does not have. "
                f"Its columns: {available}.{hint}",
                column=name,
            )
        )  # fmt: skip
    all_fields = _all_fields()
    renames = {source: name for name, source in columns.items() if name not in missing}
    keep = {column: renames.get(column, column) for column in raw.columns}
    keep = {column: name for column, name in keep.items() if name in all_fields}
    renamed = raw[list(keep)].rename(columns=keep)
    for name, codes in mapping.get("values", {}).items():
        if name in renamed:
            text = renamed[name].astype("string").str.strip()
            renamed[name] = text.map(
                lambda value, codes=codes: codes.get(value, value), na_action="ignore"
            )
    return renamed, concat_problems(problems)


def _import_adam(folder: Path, mapping):
    adsl_path, bds_path = folder / mapping["adsl"], folder / mapping.get("bds", "")
    for needed in (adsl_path, bds_path):
        if not needed.is_file():
            raise StudyReadError(
                f"ADaM import: {needed} is missing (set 'adsl' and 'bds' in the mapping)"
            )
    if not mapping.get("params"):
        raise ValueError("ADaM import needs 'params': a map from PARAMCD to standard visit columns")
    adsl, adsl_rows, _, adsl_labels = _read_sas(adsl_path, mapping)
    bds, bds_rows, _, _ = _read_sas(bds_path, mapping)
    subject_map = {**ADSL_DEFAULTS, **mapping.get("columns", {})}
    subject_map = {
        name: source
        for name, source in subject_map.items()
        if name in standard.field_names("subjects")
    }
    renamed, problems = _apply_mapping(adsl, {"columns": subject_map, "values": mapping.get("values", {})},
                                       adsl_labels, adsl_path.name)  # fmt: skip
    visits, visit_rows, visit_problems = _pivot_bds(bds, bds_rows, mapping, bds_path.name)
    tables = {"subjects": renamed.reset_index(drop=True), "visits": visits}
    rows = {"subjects": adsl_rows, "visits": visit_rows}
    return RawStudy(
        tables, rows, concat_problems([problems, visit_problems]), source=str(folder),
        files=[adsl_path, bds_path], scan=[(adsl_path.name, adsl, adsl_rows), (bds_path.name, bds, bds_rows)],
        design=mapping.get("design"),
    )  # fmt: skip


def _pivot_bds(bds: pd.DataFrame, rows, mapping, file_label):
    needed = ["USUBJID", "PARAMCD", "AVISITN", "AVAL"]
    absent = [name for name in needed if name not in bds.columns]
    if absent:
        return pd.DataFrame(), np.array([], dtype=int), make_problems(
            file_label, "mapping", f"a BDS dataset needs the variables {needed}; missing: {absent}"
        )  # fmt: skip
    params = mapping["params"]
    unknown = sorted(set(bds["PARAMCD"].dropna()) - set(params))
    problems = []
    if unknown:
        problems.append(
            make_problems(
                file_label, "mapping", f"PARAMCD values without a mapping (ignored): {unknown}"
            )
        )
    visit = standard.visit_column(_visit_unit(mapping))
    visit_map = {float(key): value for key, value in mapping.get("visits", {}).items()}
    data = bds[bds["PARAMCD"].isin(list(params))].copy()
    data[visit] = data["AVISITN"].map(visit_map) if visit_map else data["AVISITN"]
    data["column"] = data["PARAMCD"].map(params)
    wide = data.pivot_table(
        index=["USUBJID", visit], columns="column", values="AVAL", aggfunc="first"
    )
    wide = wide.reset_index().rename(columns={"USUBJID": "subject_id"})
    wide.columns.name = None
    if "ADY" in data.columns:
        days = data.groupby(["USUBJID", visit])["ADY"].min().rename("study_day").reset_index()
        wide = wide.merge(
            days.rename(columns={"USUBJID": "subject_id"}), on=["subject_id", visit], how="left"
        )
    first_row = (
        data.assign(_row=np.asarray(rows)[data.index]).groupby(["USUBJID", visit])["_row"].min()
    )
    visit_rows = first_row.reindex(pd.MultiIndex.from_frame(wide[["subject_id", visit]])).to_numpy()
    return wide, visit_rows, concat_problems(problems)
