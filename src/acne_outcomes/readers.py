"""Readers: input files to raw tables, with the row numbers and file-level problems found.

The low level of loading. A reader opens its input for reading only and returns a
:class:`RawStudy`: the tables as read (text columns from CSV, typed columns from Parquet),
each row's number in the user's file, the problems that made a file or a row unreadable
(an empty file, a wrong encoding or delimiter, rows of the wrong length) and the files read.
Readers never scan, validate or conform: :func:`acne_outcomes.io.load_study` does that,
once, for every kind of input. This module reads *data package folders*;
:mod:`acne_outcomes.importers` reads the other kinds onto the standard through a mapping.

Inputs that cannot be read at all raise :class:`StudyReadError`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from acne_outcomes import standard
from acne_outcomes.validate import concat_problems, empty_problems, make_problems

TRUTH_FILE = "truth.json"


class StudyReadError(OSError):
    """The input cannot be read at all (missing path, unknown format, corrupt file)."""


@dataclass
class RawStudy:
    """A study as a reader found it: before the identifier scan, validation and conforming.

    Attributes
    ----------
    tables : dict of str to pandas.DataFrame
        The tables that could be read, by standard table name, as read (not yet checked).
    rows : dict of str to numpy.ndarray
        For each table, the user-facing number of each row (e.g. its line in a CSV file).
    problems : pandas.DataFrame
        File-level problems found while reading (see :mod:`acne_outcomes.validate`).
    source : str
        Where the study was read from, for messages and ``metadata["source"]``.
    files : list of pathlib.Path
        Every file read (their checksums go into ``metadata["checksums"]``).
    scan : list of (str, pandas.DataFrame, numpy.ndarray), optional
        The ``(label, frame, rows)`` to search for direct identifiers: ``None`` for the
        tables themselves; importers give the files as read, unmapped columns included.
    truth : dict, optional
        The truth stored with a synthetic study.
    metadata : dict
        The metadata stored with the study.
    design : dict, optional
        The design the study declares (the ``design`` object of ``datapackage.json``, or of a
        mapping), as read: :func:`acne_outcomes.io.build_study` checks and completes it.
    """

    tables: dict[str, pd.DataFrame]
    rows: dict[str, np.ndarray]
    problems: pd.DataFrame
    source: str
    files: list[Path]
    scan: list[tuple[str, pd.DataFrame, np.ndarray]] | None = None
    truth: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    design: Any = None


def read_package(folder: Path) -> RawStudy:
    """Read a data package folder's tables as text (CSV) or typed (Parquet) frames.

    Parameters
    ----------
    folder : pathlib.Path
        A folder with ``datapackage.json`` naming the table files, or without it, files
        named after the tables (``subjects.csv``, ``visits.parquet``, ...).

    Returns
    -------
    RawStudy
        The tables found, their row numbers (CSV: line numbers), file-level problems, the
        files read, the design declared, and the truth (``truth.json``) and metadata stored
        with the package.

    Raises
    ------
    StudyReadError
        ``datapackage.json`` is not valid JSON or names a missing file, the folder holds no
        table, a Parquet file is corrupt or an encoding is unknown.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "subjects.csv").write_text("subject_id,age\\nS1,19\\n")
    ...     raw = read_package(Path(folder))
    >>> raw.tables["subjects"].to_dict("list"), raw.rows["subjects"].tolist(), len(raw.problems)
    ({'subject_id': ['S1'], 'age': ['19']}, [2], 0)
    """
    descriptor_path = folder / "datapackage.json"
    descriptor = {}
    if descriptor_path.exists():
        try:
            descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise StudyReadError(f"{descriptor_path} is not valid JSON: {error}") from error
    resources = {item.get("name"): item for item in descriptor.get("resources", [])}
    tables, rows, problems, files = {}, {}, [], []
    for table in standard.TABLES:
        file = _table_file(folder, table, resources.get(table))
        if file is None:
            continue
        files.append(file)
        frame, table_rows, file_problems = read_table_file(file, table, resources.get(table, {}))
        problems.append(file_problems)
        if frame is not None:
            tables[table], rows[table] = frame, table_rows
    if not files:
        hint = export_hint(folder)
        raise StudyReadError(
            f"{folder} holds no study tables: expected subjects and visits files "
            "(.csv or .parquet) or a datapackage.json naming them" + (f". {hint}" if hint else "")
        )
    truth = None
    truth_path = folder / TRUTH_FILE
    if truth_path.exists():
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        files.append(truth_path)
    return RawStudy(
        tables=tables,
        rows=rows,
        problems=concat_problems(problems),
        source=str(folder),
        files=files,
        truth=truth,
        metadata=descriptor.get("acne_outcomes", {}).get("metadata", {}),
        design=descriptor.get("design"),
    )


def export_hint(folder: Path) -> str | None:
    """Which importer a folder of exports needs (CDISC ADaM datasets, a REDCap export), if any.

    Only file names and CSV header lines are read.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "adsl.xpt").write_bytes(b"")
    ...     export_hint(Path(folder))[:54]
    'It holds CDISC ADaM datasets (adsl.xpt): import them w'
    """
    names = sorted(path.name for path in Path(folder).iterdir() if path.is_file())
    adam = [name for name in names if name.lower().split(".")[0].startswith("ad")
            and name.lower().endswith((".xpt", ".sas7bdat"))]  # fmt: skip
    if any(name.lower().startswith("adsl.") for name in adam):
        return (
            f"It holds CDISC ADaM datasets ({', '.join(adam[:6])}): import them with a mapping "
            'naming them, e.g. {"adsl": "adsl.xpt", "bds": "adqs.xpt", "params": {"IGA": "iga"}} '
            "(acne-outcomes validate FOLDER --mapping mapping.json; see docs/bring-your-own-data.md)"
        )
    for name in names:
        if name.lower().endswith(".csv"):
            with open(Path(folder) / name, "rb") as handle:
                header = handle.readline()
            if b"redcap_event_name" in header or b"redcap_repeat_instrument" in header:
                return (
                    f"{name} is a REDCap export: import that file with its data dictionary and a "
                    "REDCap mapping (acne-outcomes validate EXPORT.csv --mapping mapping.json; see "
                    "docs/bring-your-own-data.md)"
                )
    return None


def _table_file(folder: Path, table: str, resource: dict | None) -> Path | None:
    if resource and isinstance(resource.get("path"), str):
        file = folder / resource["path"]
        if not file.exists():
            raise StudyReadError(
                f"datapackage.json names {resource['path']} for {table}, but it is missing"
            )
        return file
    for suffix in (".csv", ".parquet"):
        if (folder / f"{table}{suffix}").exists():
            return folder / f"{table}{suffix}"
    return None


def read_table_file(file: Path, table: str, resource: dict | None = None):
    """Read one table file (``.parquet``, otherwise CSV).

    Parameters
    ----------
    file : pathlib.Path
        The file.
    table : str
        The standard table it holds (named in problems).
    resource : dict, optional
        Its resource in ``datapackage.json``: ``encoding`` and ``dialect.delimiter`` of a CSV.

    Returns
    -------
    frame : pandas.DataFrame or None
        The table (text columns for CSV), or ``None`` when a problem made it unreadable.
    rows : numpy.ndarray
        The user-facing number of each row (CSV: line numbers; Parquet: 1-based rows).
    problems : pandas.DataFrame
        File-level problems (see :func:`read_csv_text`).

    Raises
    ------
    StudyReadError
        A corrupt Parquet file, or an unknown encoding declared for a CSV file.
    """
    resource = resource or {}
    if file.suffix.lower() == ".parquet":
        try:
            frame = pd.read_parquet(file)
        except (OSError, pa.ArrowException) as error:
            raise StudyReadError(f"{file} is not a readable Parquet file: {error}") from error
        return frame.reset_index(drop=True), np.arange(1, len(frame) + 1), empty_problems()
    dialect = resource.get("dialect") or {}
    return read_csv_text(
        file.read_bytes(),
        table,
        file_label=file.name,
        encoding=resource.get("encoding", "utf-8"),
        delimiter=dialect.get("delimiter", ","),
    )


def read_csv_text(data: bytes, table: str, *, file_label: str, encoding="utf-8", delimiter=","):
    """Parse CSV bytes into a frame of text columns, reporting file-level problems.

    Empty files, wrong encodings, another delimiter than declared and rows with the wrong
    number of fields (e.g. a truncated file) become problems rather than exceptions.

    Parameters
    ----------
    data : bytes
        The file's content.
    table : str
        The table named in problems.
    file_label : str
        The file's name, for messages.
    encoding : str
        The declared encoding (UTF-8 by default; a byte-order mark is dropped).
    delimiter : str
        The declared delimiter.

    Returns
    -------
    frame : pandas.DataFrame or None
        Text columns (missing where a cell is empty), or ``None`` after a file-level problem.
    rows : numpy.ndarray
        Line numbers of the rows (the header is line 1).
    problems : pandas.DataFrame
        File-level problems (empty when the file was read).

    Raises
    ------
    StudyReadError
        The declared encoding is unknown.

    Examples
    --------
    >>> frame, rows, problems = read_csv_text(b"subject_id,age\\nS1,19\\nS2,\\n", "subjects",
    ...                                       file_label="subjects.csv")
    >>> frame["age"].tolist(), rows.tolist(), problems.empty
    (['19', <NA>], [2, 3], True)
    >>> _, _, problems = read_csv_text(b"subject_id;age\\nS1;19\\n", "subjects",
    ...                                file_label="subjects.csv")
    >>> problems["rule"].tolist()
    ['file-delimiter']
    """
    nothing = (None, np.array([], dtype=int))
    if not data.strip():
        return *nothing, make_problems(
            table, "file-empty", f"{file_label} is empty: expected a header line and rows"
        )
    text, problem = _decode(data, encoding, file_label, table)
    if problem is not None:
        return *nothing, problem
    header_line = text.split("\n", 1)[0].rstrip("\r")
    header = next(csv.reader([header_line], delimiter=delimiter))
    if len(header) == 1:
        for other in (";", "\t", "|"):
            if other != delimiter and other in header_line:
                name = {";": "semicolon", "\t": "tab", "|": "pipe"}[other]
                return *nothing, make_problems(
                    table, "file-delimiter",
                    f"{file_label} uses {name}s ({other!r}) between columns, not {delimiter!r}: re-save it "
                    f'with commas, or declare "dialect": {{"delimiter": "{other}"}} for {table} in datapackage.json',
                )  # fmt: skip
    try:
        parsed, invalid = _parse_csv(text, header, delimiter, use_threads=True)
        if invalid:  # parse again serially: only then does Arrow know the line numbers
            parsed, invalid = _parse_csv(text, header, delimiter, use_threads=False)
    except pa.ArrowInvalid as error:
        return *nothing, make_problems(
            table, "file-unparseable", f"{file_label} is not valid CSV: {error}"
        )
    if invalid:
        truncated = not text.endswith("\n")
        hint = " (the file looks truncated: its last line is incomplete)" if truncated else ""
        return *nothing, make_problems(
            table, "file-row-length",
            f"row has a different number of fields than the header's {len(header)}{hint}",
            rows=[row.number for row in invalid], values=[f"{row.actual_columns} fields" for row in invalid],
        )  # fmt: skip
    frame = parsed.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    return frame, np.arange(2, len(frame) + 2), empty_problems()


def _parse_csv(text: str, header: list[str], delimiter: str, *, use_threads: bool):
    invalid = []

    def keep_invalid(row):
        invalid.append(row)
        return "skip"

    parsed = pacsv.read_csv(
        io.BytesIO(text.encode("utf-8")),
        read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, use_threads=use_threads),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=keep_invalid),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    return parsed, invalid


def _decode(data: bytes, encoding: str, file_label: str, table: str):
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = "utf-8-sig"  # a byte-order mark is harmless: drop it
    try:
        return data.decode(encoding).replace("\r\n", "\n"), None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        hint = ""
        try:
            data.decode("cp1252")
            hint = (
                " It looks like Latin-1/Windows-1252: re-save it as UTF-8, or declare its encoding"
            )
            hint += f' ("encoding": "latin-1") for {table} in datapackage.json.'
        except UnicodeDecodeError:
            pass
        return None, make_problems(
            table, "file-encoding",
            f"{file_label} is not valid {encoding.replace('-sig', '').upper()} (byte 0x{data[error.start]:02x} "
            f"on line {line}).{hint}",
            rows=[line],
        )  # fmt: skip
    except LookupError as error:
        raise StudyReadError(f"unknown encoding {encoding!r} declared for {table}") from error


def file_sha256(file: Path) -> str:
    """Return the SHA-256 of a file's bytes, as hexadecimal.

    Parameters
    ----------
    file : pathlib.Path
        The file, read in blocks (never whole into memory).

    Returns
    -------
    str
        64 hexadecimal digits.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     empty = Path(folder) / "empty.csv"
    ...     _ = empty.write_bytes(b"")
    ...     file_sha256(empty)[:16]
    'e3b0c44298fc1c14'
    """
    digest = hashlib.sha256()
    with open(file, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
