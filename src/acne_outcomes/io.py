"""Reading and writing studies: data package folders (CSV or Parquet) and the ``load_study`` entry point.

A *data package folder* holds ``datapackage.json`` (the standard's descriptor, written by
:func:`save_study`) and one file per table (``subjects``, ``visits``, ``adverse_events``,
``labs``; ``.csv`` or ``.parquet``), plus ``truth.json`` for synthetic studies. A folder
without ``datapackage.json`` is read by file name. Other inputs (one long CSV or Excel file,
SAS XPT/sas7bdat, CDISC ADaM) go through :mod:`acne_outcomes.importers` with a column mapping.

Input files are only ever opened for reading. Problems in the content raise
:class:`~acne_outcomes.validate.StudyValidationError` listing every problem; inputs that
cannot be read at all raise :class:`StudyReadError`.
"""

from __future__ import annotations

import csv
import hashlib
import io as _io
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from acne_outcomes import paths, privacy, standard
from acne_outcomes.study import Study, conform
from acne_outcomes.validate import (
    StudyValidationError,
    concat_problems,
    empty_problems,
    make_problems,
    validate_tables,
)

FORMATS = ("csv", "parquet")
TRUTH_FILE = "truth.json"


class StudyReadError(OSError):
    """The input cannot be read at all (missing path, unknown format, corrupt file)."""


# --------------------------------------------------------------------------- loading


def load_study(path, mapping=None) -> Study:
    """Load and validate a study; raise with every problem if it does not meet the standard.

    Parameters
    ----------
    path : str or Path
        A data package folder (CSV or Parquet tables), or a single file (``.csv``,
        ``.xlsx``, ``.xpt``, ``.sas7bdat``) or an ADaM folder, which need ``mapping``.
    mapping : dict, str or Path, optional
        Column mapping for imports (see :mod:`acne_outcomes.importers`); a path is read as JSON.

    Returns
    -------
    Study
        With ``metadata["source"]``, ``metadata["rows_loaded"]`` (per table) and
        ``metadata["checksums"]`` (SHA-256 of every input file).

    Raises
    ------
    StudyValidationError
        The content breaks the standard; ``.problems`` lists every problem.
    StudyReadError
        The input cannot be read at all.
    """
    path = Path(path)
    if not path.exists():
        raise StudyReadError(f"{path} does not exist")
    if mapping is not None or path.is_file():
        from acne_outcomes.importers import import_study

        return import_study(path, mapping)
    return _load_package(path)


def _load_package(folder: Path) -> Study:
    tables, rows, problems, files, extras = read_package(folder)
    return build_study(tables, rows, problems, source=str(folder), files=files, **extras)


def build_study(
    tables, rows, file_problems, *, source, files, truth=None, metadata=None, scan=None
) -> Study:
    """Scan for identifiers, validate and conform raw tables into a ``Study`` (or raise).

    ``scan`` lists the ``(label, frame, rows)`` searched for direct identifiers: by default
    the tables themselves; importers pass the files as read, unmapped columns included.
    """
    if scan is None:
        scan = [(name, frame, rows[name]) for name, frame in tables.items()]
    scans = [
        privacy.scan_identifiers(label, frame, frame_rows) for label, frame, frame_rows in scan
    ]
    problems, parsed = validate_tables(tables, rows, return_parsed=True)
    problems = concat_problems([file_problems, *scans, problems])
    if len(problems):
        raise StudyValidationError(problems, source=source)
    loaded = dict(metadata or {})
    loaded.update(
        source=source,
        rows_loaded={name: int(len(frame)) for name, frame in tables.items()},
        checksums={str(Path(file).name): _sha256(file) for file in files},
    )
    conformed = {name: conform(name, frame) for name, frame in parsed.items()}
    return Study(
        subjects=conformed["subjects"],
        visits=conformed["visits"],
        adverse_events=conformed.get("adverse_events", conform("adverse_events", pd.DataFrame())),
        labs=conformed.get("labs", conform("labs", pd.DataFrame())),
        metadata=loaded,
        truth=truth,
    )


def read_package(folder: Path):
    """Read a data package folder's tables as text (CSV) or typed (Parquet) frames.

    Returns ``(tables, rows, problems, files, extras)``: frames by table name, the
    user-facing row numbers of each frame, file-level problems, the files read, and
    ``{"truth": ..., "metadata": ...}`` stored with the package.
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
        raise StudyReadError(
            f"{folder} holds no study tables: expected subjects and visits files "
            "(.csv or .parquet) or a datapackage.json naming them"
        )
    extras = {"metadata": descriptor.get("acne_outcomes", {}).get("metadata", {})}
    truth_path = folder / TRUTH_FILE
    if truth_path.exists():
        extras["truth"] = json.loads(truth_path.read_text(encoding="utf-8"))
        files.append(truth_path)
    return tables, rows, concat_problems(problems), files, extras


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
    """Read one table file; return ``(frame or None, row numbers, problems)``."""
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
    Row numbers are line numbers (the header is line 1).
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
        _io.BytesIO(text.encode("utf-8")),
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


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------- saving


def save_study(study: Study, path, format: str = "csv", *, overwrite: bool = False) -> Path:
    """Write ``study`` as a data package folder that :func:`load_study` reads back identical.

    The folder holds ``datapackage.json`` (the standard's descriptor, with the study's
    metadata under ``acne_outcomes``), one file per table and, for synthetic studies,
    ``truth.json``. Writing goes to a temporary folder that replaces ``path`` only when
    complete, so a failure leaves any previous package intact. ``data/raw`` is refused:
    raw data is read-only.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; allowed: {list(FORMATS)}")
    target = Path(path).resolve()
    if target == paths.RAW_DIR or paths.RAW_DIR in target.parents:
        raise ValueError(f"refusing to write into {paths.RAW_DIR}: raw data is read-only")
    if target.exists() and not overwrite:
        raise FileExistsError(
            f"{target} exists; pass overwrite=True (or --overwrite) to replace it"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        _write_package(study, staging, format)
        if target.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
            os.replace(target, retired / "package")
            os.replace(staging, target)
            shutil.rmtree(retired)
        else:
            os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def _write_package(study: Study, folder: Path, format: str) -> None:
    descriptor = standard.descriptor()
    metadata = {key: value for key, value in study.metadata.items() if key != "checksums"}
    for resource in descriptor["resources"]:
        name = resource["name"]
        resource["path"] = f"{name}.{format}"
        resource["format"] = format
        if format == "parquet":
            resource["mediatype"] = "application/vnd.apache.parquet"
            resource.pop("encoding", None)
        _write_table(study.tables[name], folder / resource["path"], format)
    descriptor["acne_outcomes"] = {"metadata": metadata}
    if study.truth is not None:
        descriptor["acne_outcomes"]["truth"] = TRUTH_FILE
        _write_json(study.truth, folder / TRUTH_FILE)
    _write_json(descriptor, folder / "datapackage.json")


def _write_table(frame: pd.DataFrame, file: Path, format: str) -> None:
    if format == "parquet":
        frame.to_parquet(file, index=False)
        return
    out = frame.copy()
    for name in out.columns:
        if pd.api.types.is_bool_dtype(out[name].dtype):
            out[name] = out[name].map({True: "true", False: "false"}, na_action="ignore")
    out.to_csv(file, index=False, lineterminator="\n")


def _write_json(value, file: Path) -> None:
    from acne_outcomes.study import _json_default

    text = json.dumps(value, indent=2, sort_keys=False, ensure_ascii=False, default=_json_default)
    file.write_text(text + "\n", encoding="utf-8")
