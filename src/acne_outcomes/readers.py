"""Readers: input files to raw tables, with the row numbers and file-level problems found.

The low level of loading. A reader opens its input for reading only and returns a
:class:`RawStudy`: the tables as read (text columns from CSV, typed columns from Parquet),
each row's number in the user's file, the problems that made a file or a row unreadable
(an empty file, a wrong encoding or delimiter, rows of the wrong length) and the files read.
Readers never scan, validate or conform: :func:`acne_outcomes.io.load_study` does that,
once, for every kind of input. This module reads *data package folders*;
:mod:`acne_outcomes.importers` reads the other kinds onto the standard through a mapping.

A study is confined to its folder. Every file is read once, through :func:`read_input`:
only regular files (never a FIFO, a device or a folder), at most :func:`max_file_bytes`
bytes, and the SHA-256 recorded is that of the bytes parsed. A path named inside the study
(a resource of ``datapackage.json``, an ADaM dataset, a REDCap dictionary) goes through
:func:`confined_path`: relative, without ``..``, and no symbolic link leading out of the
folder.

Inputs that cannot be read at all raise :class:`StudyReadError`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from acne_outcomes import standard
from acne_outcomes.validate import concat_problems, empty_problems, make_problems

TRUTH_FILE = "truth.json"
#: The largest input file read, in bytes (512 MiB), unless the environment variable
#: :data:`MAX_FILE_ENV` sets another limit in MiB.
MAX_FILE_BYTES = 512 * 2**20
MAX_FILE_ENV = "ACNE_OUTCOMES_MAX_FILE_MB"
#: The largest JSON file read (``datapackage.json``, ``truth.json``, a mapping): 16 MiB.
MAX_JSON_BYTES = 16 * 2**20
#: The largest CSV row, in bytes: a longer one is taken for a quote that never closes.
MAX_ROW_BYTES = 16 * 2**20
_FILE_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


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
    checksums : dict of str to str
        The SHA-256 of the bytes read from each file, by file name (:func:`read_input`
        records them), so that the checksum describes the bytes validated.
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
    checksums: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- reading files


def max_file_bytes() -> int:
    """The largest input file read, in bytes: :data:`MAX_FILE_BYTES`, or the environment's.

    ``ACNE_OUTCOMES_MAX_FILE_MB`` (a whole number of MiB, at least 1) raises or lowers it.

    Examples
    --------
    >>> max_file_bytes() == MAX_FILE_BYTES or MAX_FILE_ENV in os.environ
    True
    """
    text = os.environ.get(MAX_FILE_ENV)
    if text is None:
        return MAX_FILE_BYTES
    try:
        megabytes = int(text)
    except ValueError:
        megabytes = 0
    if megabytes < 1:
        raise StudyReadError(f"{MAX_FILE_ENV} is a whole number of MiB (at least 1); got {text!r}")
    return megabytes * 2**20


def describe_size(size: int) -> str:
    """A size in bytes as people read it.

    Examples
    --------
    >>> describe_size(512), describe_size(3 * 2**20), describe_size(2 * 2**30)
    ('512 bytes', '3.0 MiB', '2.0 GiB')
    """
    if size < 2**10:
        return f"{size} bytes"
    for unit, power in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 2**power:
            return f"{size / 2**power:.1f} {unit}"
    return f"{size} bytes"  # pragma: no cover - every size >= 1 KiB has a unit above


def _kind(mode: int) -> str | None:
    """What a file that is not a regular file is (``None`` for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")


def read_input(
    file: Path,
    checksums: dict[str, str] | None = None,
    *,
    limit: int | None = None,
    label: str | None = None,
) -> bytes:
    """Read one input file, once: a regular file of at most ``limit`` bytes.

    The file is opened without blocking (a named pipe cannot hang the read), checked on the
    open descriptor to be a regular file no larger than the limit, and read whole.

    Parameters
    ----------
    file : pathlib.Path
        The file (a symbolic link is followed: confine it first with :func:`confined_path`).
    checksums : dict, optional
        Where to record the SHA-256 of the bytes read, under the file's name.
    limit : int, optional
        The most bytes accepted (default :func:`max_file_bytes`).
    label : str, optional
        How messages name the file (default its name).

    Returns
    -------
    bytes
        The file's content.

    Raises
    ------
    StudyReadError
        The file is missing, unreadable, not a regular file (a folder, a FIFO, a device, a
        socket) or larger than the limit.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "subjects.csv"
    ...     _ = path.write_bytes(b"subject_id\\nS1\\n")
    ...     found = {}
    ...     data = read_input(path, found)
    ...     try:
    ...         read_input(path, limit=4)
    ...     except StudyReadError as error:
    ...         print(error)
    subjects.csv is 14 bytes, over the limit of 4 bytes for one input file (set ACNE_OUTCOMES_MAX_FILE_MB to raise it)
    >>> data, found["subjects.csv"][:12]
    (b'subject_id\\nS1\\n', '3b63a0699ea7')
    """
    file = Path(file)
    label = label or file.name
    limit = max_file_bytes() if limit is None else limit
    try:
        kind = _kind(os.stat(file).st_mode)  # before opening: a device is never opened
        if kind is not None:
            raise StudyReadError(f"{label} is {kind}, not a regular file: only files are read")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        descriptor = os.open(file, flags | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise StudyReadError(f"{label} is missing") from None
    except PermissionError:
        raise StudyReadError(f"{label} cannot be read: permission denied") from None
    except OSError as error:
        if isinstance(error, StudyReadError):
            raise
        raise StudyReadError(f"{label} cannot be read: {error.strerror or error}") from None
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        kind = _kind(info.st_mode)
        if kind is not None:
            raise StudyReadError(f"{label} is {kind}, not a regular file: only files are read")
        if info.st_size > limit:
            raise StudyReadError(
                f"{label} is {describe_size(info.st_size)}, over the limit of "
                f"{describe_size(limit)} for one input file (set {MAX_FILE_ENV} to raise it)"
            )
        try:
            data = handle.read(limit + 1)
        except OSError as error:
            raise StudyReadError(f"{label} cannot be read: {error.strerror or error}") from None
    if len(data) > limit:
        raise StudyReadError(f"{label} grew past {describe_size(limit)} while it was read")
    if checksums is not None:
        checksums[file.name] = hashlib.sha256(data).hexdigest()
    return data


def read_json_input(file: Path, checksums: dict[str, str] | None = None, *, label=None):
    """Read a JSON file (at most :data:`MAX_JSON_BYTES`) with every failure a clear message.

    Raises
    ------
    StudyReadError
        The file cannot be read, is not UTF-8 JSON, or is nested too deeply to read.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "deep.json"
    ...     _ = path.write_text("[" * 100_000 + "]" * 100_000)
    ...     try:
    ...         read_json_input(path)
    ...     except StudyReadError as error:
    ...         print(error)
    deep.json is nested too deeply to be read (100,000 levels or so)
    """
    label = label or Path(file).name
    data = read_input(file, checksums, limit=MAX_JSON_BYTES, label=label)
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise StudyReadError(f"{label} is not UTF-8 text: {error.reason}") from None
    except json.JSONDecodeError as error:
        raise StudyReadError(f"{label} is not valid JSON: {error}") from None
    except RecursionError:
        depth = data.count(b"[") + data.count(b"{")
        raise StudyReadError(
            f"{label} is nested too deeply to be read ({depth:,} levels or so)"
        ) from None


def confined_path(root: Path, name: object, *, what: str) -> Path:
    """The file a path written inside a study names, if it stays inside the study's folder.

    Parameters
    ----------
    root : pathlib.Path
        The study's folder.
    name : object
        The path as written (in ``datapackage.json`` or a mapping).
    what : str
        What names it, for messages (e.g. ``"datapackage.json names"``).

    Returns
    -------
    pathlib.Path
        The resolved path (symbolic links followed), inside ``root``.

    Raises
    ------
    StudyReadError
        ``name`` is not text, is a URL, an absolute path or holds ``..``, or a symbolic link
        leads outside ``root``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     confined_path(Path(folder), "tables/visits.csv", what="it names").name
    ...     for name in ("../secret.txt", "/etc/passwd", "https://example.org/x.csv", 3):
    ...         try:
    ...             confined_path(Path(folder), name, what="it names")
    ...         except StudyReadError as error:
    ...             print(str(error)[:52])
    'visits.csv'
    it names '../secret.txt', which is outside the study
    it names '/etc/passwd', which is outside the study f
    it names 'https://example.org/x.csv': a URL, which i
    it names 3: a path is text naming a file in the stud
    """
    if not isinstance(name, str) or not name.strip() or "\x00" in name:
        raise StudyReadError(f"{what} {name!r}: a path is text naming a file in the study folder")
    if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", name):
        raise StudyReadError(
            f"{what} {name!r}: a URL, which is never fetched; copy the file into the study folder"
        )
    relative = PurePosixPath(name.replace("\\", "/"))
    if relative.is_absolute() or PureWindowsPath(name).drive or ".." in relative.parts:
        raise StudyReadError(
            f"{what} {name!r}, which is outside the study folder: a path is relative to the "
            "folder, without '..'; copy the file into the folder"
        )
    base = Path(root).resolve()
    try:
        resolved = (base / relative).resolve()
    except (OSError, RuntimeError) as error:  # a loop of symbolic links
        raise StudyReadError(f"{what} {name!r}, which cannot be resolved: {error}") from None
    if resolved != base and base not in resolved.parents:
        raise StudyReadError(
            f"{what} {name!r}, a symbolic link that leads outside the study folder: copy the "
            "file into the folder instead"
        )
    return resolved


# --------------------------------------------------------------------------- data packages


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
        files read and the checksums of the bytes read, the design declared, and the truth
        (``truth.json``) and metadata stored with the package.

    Raises
    ------
    StudyReadError
        ``datapackage.json`` is not a valid descriptor (not JSON, not an object, resources
        of the wrong kind) or names a missing file or one outside the folder, the folder
        holds no table, a file is not a regular file or is too large, a Parquet file is
        corrupt or an encoding is unknown.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "subjects.csv").write_text("subject_id,age\\nS1,19\\n")
    ...     raw = read_package(Path(folder))
    >>> raw.tables["subjects"].to_dict("list"), raw.rows["subjects"].tolist(), len(raw.problems)
    ({'subject_id': ['S1'], 'age': ['19']}, [2], 0)
    """
    folder = Path(folder)
    checksums: dict[str, str] = {}
    descriptor_path = folder / "datapackage.json"
    descriptor = {}
    if os.path.lexists(descriptor_path):
        confined_path(folder, "datapackage.json", what="the descriptor")
        descriptor = read_json_input(descriptor_path, checksums)
    resources = _resources(descriptor)
    tables, rows, problems, files = {}, {}, [], []
    for table in standard.TABLES:
        file = _table_file(folder, table, resources.get(table))
        if file is None:
            continue
        files.append(file)
        frame, table_rows, file_problems = read_table_file(
            file, table, resources.get(table, {}), checksums=checksums
        )
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
    if os.path.lexists(folder / TRUTH_FILE):
        truth_path = confined_path(folder, TRUTH_FILE, what="the truth file")
        truth = read_json_input(truth_path, checksums)
        if not isinstance(truth, dict):
            raise StudyReadError(f"{TRUTH_FILE} is a JSON object; got {type(truth).__name__}")
        files.append(truth_path)
    extra = descriptor.get("acne_outcomes", {})
    metadata = extra.get("metadata", {}) if isinstance(extra, dict) else {}
    return RawStudy(
        tables=tables,
        rows=rows,
        problems=concat_problems(problems),
        source=str(folder),
        files=files,
        truth=truth,
        metadata=metadata if isinstance(metadata, dict) else {},
        design=descriptor.get("design"),
        checksums=checksums,
    )


def _resources(descriptor) -> dict[str, dict]:
    """The descriptor's resources by name, each checked to be of the kinds the reader uses."""
    if not isinstance(descriptor, dict):
        raise StudyReadError(
            f"datapackage.json is a JSON object with a list of resources; got {_json_kind(descriptor)}"
        )
    resources = descriptor.get("resources", [])
    if not isinstance(resources, list):
        raise StudyReadError(
            f'datapackage.json: "resources" is a list of objects; got {_json_kind(resources)}'
        )
    found = {}
    for position, item in enumerate(resources, start=1):
        where = f"datapackage.json, resource {position}"
        if not isinstance(item, dict):
            raise StudyReadError(f"{where} is an object; got {_json_kind(item)}")
        name = item.get("name")
        if name is not None and not isinstance(name, str):
            raise StudyReadError(f'{where}: "name" is text; got {_json_kind(name)}')
        if "path" in item and not isinstance(item["path"], str):
            raise StudyReadError(
                f'{where}: "path" is one file name (text); got {_json_kind(item["path"])}'
            )
        encoding = item.get("encoding", "utf-8")
        if not isinstance(encoding, str):
            raise StudyReadError(f'{where}: "encoding" is text; got {_json_kind(encoding)}')
        dialect = item.get("dialect", {})
        if not isinstance(dialect, dict):
            raise StudyReadError(
                f'{where}: "dialect" is an object such as {{"delimiter": ";"}}; got {_json_kind(dialect)}'
            )
        check_delimiter(dialect.get("delimiter", ","), where=f'{where}: "dialect.delimiter"')
        if name in standard.TABLES:
            if name in found:
                raise StudyReadError(f"datapackage.json lists the {name} table twice")
            found[name] = item
    return found


def check_delimiter(delimiter: object, *, where: str) -> str:
    """A CSV delimiter: one character, neither a quote, a line break nor a letter or digit.

    Examples
    --------
    >>> check_delimiter(";", where="delimiter")
    ';'
    >>> check_delimiter("ab", where="delimiter")
    Traceback (most recent call last):
    ...
    acne_outcomes.readers.StudyReadError: delimiter is one character such as "," or ";"; got 'ab'
    """
    if (
        not isinstance(delimiter, str)
        or len(delimiter) != 1
        or delimiter in '"\r\n'
        or delimiter.isalnum()
    ):
        raise StudyReadError(f'{where} is one character such as "," or ";"; got {delimiter!r}')
    return delimiter


def _json_kind(value) -> str:
    names = {dict: "an object", list: "a list", str: "text", bool: "true/false",
             int: "a number", float: "a number", type(None): "null"}  # fmt: skip
    return names.get(type(value), type(value).__name__)


def export_hint(folder: Path) -> str | None:
    """Which importer a folder of exports needs (CDISC ADaM datasets, a REDCap export), if any.

    Only file names and the first line of regular CSV files are read.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "adsl.xpt").write_bytes(b"")
    ...     export_hint(Path(folder))[:54]
    'It holds CDISC ADaM datasets (adsl.xpt): import them w'
    """
    folder = Path(folder)
    names = sorted(path.name for path in folder.iterdir() if _is_regular(path))
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
            header = _first_line(folder / name)
            if b"redcap_event_name" in header or b"redcap_repeat_instrument" in header:
                return (
                    f"{name} is a REDCap export: import that file with its data dictionary and a "
                    "REDCap mapping (acne-outcomes validate EXPORT.csv --mapping mapping.json; see "
                    "docs/bring-your-own-data.md)"
                )
    return None


def _is_regular(path: Path) -> bool:
    """A regular file that is not a symbolic link (nothing is opened)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _first_line(file: Path, limit: int = 65536) -> bytes:
    """The first line of a regular file (at most ``limit`` bytes), opened without blocking."""
    try:
        descriptor = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return b""
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return b""
        return handle.readline(limit)


def _table_file(folder: Path, table: str, resource: dict | None) -> Path | None:
    if resource and isinstance(resource.get("path"), str):
        what = f"datapackage.json names, for the {table} table,"
        file = confined_path(folder, resource["path"], what=what)
        if not os.path.lexists(file):
            raise StudyReadError(
                f"datapackage.json names {resource['path']} for {table}, but it is missing"
            )
        return file
    for suffix in (".csv", ".parquet"):
        name = f"{table}{suffix}"
        if os.path.lexists(folder / name):
            return confined_path(folder, name, what=f"the {table} table file")
    return None


def read_table_file(file: Path, table: str, resource: dict | None = None, *, checksums=None):
    """Read one table file (``.parquet``, otherwise CSV), once, through :func:`read_input`.

    Parameters
    ----------
    file : pathlib.Path
        The file.
    table : str
        The standard table it holds (named in problems).
    resource : dict, optional
        Its resource in ``datapackage.json``: ``encoding`` and ``dialect.delimiter`` of a CSV.
    checksums : dict, optional
        Where to record the SHA-256 of the bytes read.

    Returns
    -------
    frame : pandas.DataFrame or None
        The table (text columns for CSV), or ``None`` when a problem made it unreadable.
    rows : numpy.ndarray
        The user-facing number of each row (CSV: line numbers; Parquet: 1-based rows).
    problems : pandas.DataFrame
        File-level problems (see :func:`read_csv_text`; for Parquet, nested or repeated
        columns).

    Raises
    ------
    StudyReadError
        A file that is not a regular file or is too large, a corrupt Parquet file, or an
        unknown encoding declared for a CSV file.
    """
    resource = resource or {}
    data = read_input(file, checksums)
    if file.suffix.lower() == ".parquet":
        return read_parquet_bytes(data, table, file_label=file.name)
    dialect = resource.get("dialect") or {}
    return read_csv_text(
        data,
        table,
        file_label=file.name,
        encoding=resource.get("encoding", "utf-8"),
        delimiter=dialect.get("delimiter", ","),
    )


def read_parquet_bytes(data: bytes, table: str, *, file_label: str):
    """Parse Parquet bytes; nested columns (struct, list, map) and repeated names are problems.

    Examples
    --------
    >>> buffer = io.BytesIO()
    >>> pq.write_table(pa.table({"subject_id": ["S1"], "extra": [{"a": 1}]}), buffer)
    >>> frame, rows, problems = read_parquet_bytes(buffer.getvalue(), "subjects",
    ...                                            file_label="subjects.parquet")
    >>> frame is None, problems["message"].iloc[0][:62]
    (True, "subjects.parquet: column 'extra' holds nested values (struct<a")
    """
    nothing = (None, np.array([], dtype=int))
    try:
        arrow = pq.read_table(pa.BufferReader(data))
    except (OSError, pa.ArrowException, ValueError) as error:
        raise StudyReadError(f"{file_label} is not a readable Parquet file: {error}") from None
    problems = []
    names = [str(name) for name in arrow.column_names]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        problems.append(
            make_problems(
                table, "file-header",
                f"{file_label} has more than one column named {', '.join(map(repr, repeated))}: "
                "rename or remove the repeats",
            )
        )  # fmt: skip
    for name, kind in zip(names, arrow.schema.types, strict=True):
        if (
            pa.types.is_nested(kind)
            or pa.types.is_dictionary(kind)
            and pa.types.is_nested(kind.value_type)
        ):
            problems.append(
                make_problems(
                    table, "file-type",
                    f"{file_label}: column {name!r} holds nested values ({kind}); a table column "
                    "holds one number, text or true/false per row: flatten it",
                    column=name,
                )
            )  # fmt: skip
    if problems:
        return *nothing, concat_problems(problems)
    try:
        frame = arrow.to_pandas()
    except (pa.ArrowException, ValueError, OverflowError) as error:
        raise StudyReadError(f"{file_label} cannot be converted to a table: {error}") from None
    return frame.reset_index(drop=True), np.arange(1, len(frame) + 1), empty_problems()


# --------------------------------------------------------------------------- CSV text


def read_csv_text(data: bytes, table: str, *, file_label: str, encoding="utf-8", delimiter=","):
    """Parse CSV bytes into a frame of text columns, reporting file-level problems.

    Empty files, wrong encodings (UTF-16 named as such), binary files, another delimiter than
    declared, a header naming a column twice, a quote that never closes and rows with the
    wrong number of fields (e.g. a truncated file) become problems rather than exceptions.
    Lines may end in ``\\n``, ``\\r\\n`` or ``\\r``; a quoted value may hold line breaks, and
    row numbers stay the line on which each row starts.

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
        The declared delimiter (one character).

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
        The declared encoding is unknown or not text, or the delimiter is not one character.

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
    >>> frame, rows, _ = read_csv_text(b'id,note\\nS1,"two\\nlines"\\nS2,x\\n', "subjects",
    ...                                file_label="subjects.csv")
    >>> rows.tolist()
    [2, 4]
    """
    nothing = (None, np.array([], dtype=int))
    if not isinstance(encoding, str):
        raise StudyReadError(f"the encoding declared for {table} is text; got {encoding!r}")
    delimiter = check_delimiter(delimiter, where=f"the delimiter declared for {table}")
    if not data.strip():
        return *nothing, make_problems(
            table, "file-empty", f"{file_label} is empty: expected a header line and rows"
        )
    text, problem = _decode(data, encoding, file_label, table)
    if problem is not None:
        return *nothing, problem
    header_line = text.split("\n", 1)[0]
    header = next(csv.reader([header_line], delimiter=delimiter), [])
    if len(header) == 1:
        for other in (";", "\t", "|", ","):
            if other != delimiter and other in header_line:
                name = {";": "semicolon", "\t": "tab", "|": "pipe", ",": "comma"}[other]
                return *nothing, make_problems(
                    table, "file-delimiter",
                    f"{file_label} uses {name}s ({other!r}) between columns, not {delimiter!r}: re-save it "
                    f'with commas, or declare "dialect": {{"delimiter": "{other}"}} for {table} in datapackage.json',
                )  # fmt: skip
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        return *nothing, make_problems(
            table, "file-header",
            f"{file_label}'s header names {', '.join(map(repr, repeated))} more than once: each "
            "column needs a name of its own",
            rows=[1],
        )  # fmt: skip
    try:
        parsed, invalid = _parse_csv(text, header, delimiter, use_threads=True)
        if invalid:  # parse again serially: only then does Arrow know the row numbers
            parsed, invalid = _parse_csv(text, header, delimiter, use_threads=False)
    except pa.ArrowInvalid as error:
        return *nothing, make_problems(table, "file-unparseable", _unparseable(file_label, error))
    records = _record_lines(text, delimiter)
    if invalid:
        truncated = not text.endswith("\n")
        hint = " (the file looks truncated: its last line is incomplete)" if truncated else ""
        if text.count('"') % 2:
            hint = ' (a quoted value never closes: a quote " has no partner)'

        lines = [_line_of(records, row.number) for row in invalid]
        return *nothing, make_problems(
            table, "file-row-length",
            f"row has a different number of fields than the header's {len(header)}{hint}",
            rows=lines, values=[f"{row.actual_columns} fields" for row in invalid],
        )  # fmt: skip
    frame = parsed.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    rows = records[1:] if records is not None and len(records) == len(frame) + 1 else None
    if rows is None:
        rows = np.arange(2, len(frame) + 2)
    return frame, np.asarray(rows, dtype=int), empty_problems()


def _unparseable(file_label: str, error: Exception) -> str:
    text = str(error).removeprefix("CSV parse error: ")
    if "straddling" in text or "block" in text.lower():
        return (
            f"{file_label} is not valid CSV: a quoted value never closes (an unbalanced "
            f'quote "), or a row is longer than {describe_size(MAX_ROW_BYTES)}'
        )
    return f"{file_label} is not valid CSV: {text}"


def _record_lines(text: str, delimiter: str) -> np.ndarray | None:
    """The line on which each record (the header first) starts; blank lines are no record.

    ``None`` when every record is one line (the common case, answered without parsing).
    """
    if '"' not in text and "\n\n" not in text:
        return None
    starts, end = [], 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for record in reader:
            start, end = end + 1, reader.line_num
            if record:
                starts.append(start)
    except csv.Error:
        return None
    return np.asarray(starts, dtype=int)


def _line_of(records: np.ndarray | None, number: int) -> int:
    """The line of Arrow's ``number``-th record (the header is record 1)."""
    if records is not None and 1 <= number <= len(records):
        return int(records[number - 1])
    return int(number)


def _parse_csv(text: str, header: list[str], delimiter: str, *, use_threads: bool):
    invalid = []

    def keep_invalid(row):
        invalid.append(row)
        return "skip"

    parsed = pacsv.read_csv(
        io.BytesIO(text.encode("utf-8")),
        read_options=pacsv.ReadOptions(
            column_names=header, skip_rows=1, use_threads=use_threads, block_size=MAX_ROW_BYTES
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, invalid_row_handler=keep_invalid
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    return parsed, invalid


_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


def _looks_utf16(sample: bytes) -> bool:
    """A UTF-16 byte-order mark, or NUL bytes in every other place (ASCII text as UTF-16)."""
    if sample.startswith(_UTF16_MARKS):
        return True
    if len(sample) < 4:
        return False
    even, odd = sample[0::2], sample[1::2]
    return (odd.count(0) > 0.4 * len(odd) and not even.count(0)) or (
        even.count(0) > 0.4 * len(even) and not odd.count(0)
    )


def _decode(data: bytes, encoding: str, file_label: str, table: str):
    declared = encoding.lower().replace("_", "-")
    if declared in ("utf-8", "utf8"):
        encoding = "utf-8-sig"  # a byte-order mark is harmless: drop it
        sample = data[:4096]
        if _looks_utf16(sample):
            return None, make_problems(
                table, "file-encoding",
                f"{file_label} is UTF-16 text, not UTF-8: re-save it as UTF-8 (CSV UTF-8), or "
                f'declare its encoding ("encoding": "utf-16") for {table} in datapackage.json',
                rows=[1],
            )  # fmt: skip
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        if b"\x00" in data[:4096]:
            return None, make_problems(
                table, "file-encoding",
                f"{file_label} is a binary file (it holds NUL bytes), not CSV text",
                rows=[line],
            )  # fmt: skip
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
    except LookupError:
        raise StudyReadError(f"unknown encoding {encoding!r} declared for {table}") from None
    if "\x00" in text:
        return None, make_problems(
            table, "file-encoding", f"{file_label} holds NUL characters: it is not CSV text"
        )
    text = text.lstrip("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


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
