"""Loading and saving studies: the ``load_study`` entry point and data package folders.

:func:`load_study` reads the input with one reader (:func:`acne_outcomes.readers.read_package`
for a *data package folder*; :func:`acne_outcomes.importers.import_tables` for one long CSV
or Excel file, SAS XPT/sas7bdat or CDISC ADaM, with a column mapping), then
:func:`build_study` scans what was read for direct identifiers, validates it and conforms it
to the standard, once each, in that order.

A data package folder holds ``datapackage.json`` (the standard's descriptor, written by
:func:`save_study`) and one file per table (``subjects``, ``visits``, ``adverse_events``,
``labs``; ``.csv`` or ``.parquet``), plus ``truth.json`` for synthetic studies. A folder
without ``datapackage.json`` is read by file name.

Input files are only ever opened for reading, once each (the checksums recorded are those of
the bytes validated), and a study is confined to its folder (:mod:`acne_outcomes.readers`).
:func:`save_study` marks every package it writes (:data:`PACKAGE_MARKER`) and replaces only
such a folder: never a file, never a folder the project did not write, never ``data/raw``.
Problems in the content raise
:class:`~acne_outcomes.validate.StudyValidationError` listing every problem; inputs that
cannot be read at all raise :class:`StudyReadError` (defined in
:mod:`acne_outcomes.readers`, and importable from here).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd

from acne_outcomes import paths, privacy, standard
from acne_outcomes.design import Design, DesignError, resolve_design, visit_unit_of
from acne_outcomes.importers import import_tables
from acne_outcomes.readers import TRUTH_FILE, RawStudy, StudyReadError, file_sha256, read_package
from acne_outcomes.study import Study, conform, json_default
from acne_outcomes.validate import (
    StudyValidationError,
    check_design,
    concat_problems,
    empty_problems,
    make_problems,
    validate_tables,
)

__all__ = ["FORMATS", "StudyReadError", "build_study", "load_study", "save_study"]

FORMATS = ("csv", "parquet")
#: The file that marks a folder as a data package written by this project.
PACKAGE_MARKER = ".acne-outcomes-package.json"
#: The files a package written by this project may hold (besides the marker).
_PACKAGE_FILES = re.compile(
    r"(datapackage\.json|truth\.json|(subjects|visits|adverse_events|labs)\.(csv|parquet))"
)


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
    if not os.path.lexists(path):
        raise StudyReadError(f"{path} does not exist")
    if not path.exists():
        raise StudyReadError(f"{path} is a symbolic link to nothing")
    if mapping is not None or path.is_file():
        return build_study(import_tables(path, mapping))
    return build_study(read_package(path))


def build_study(raw: RawStudy) -> Study:
    """Scan for identifiers, validate and conform what a reader read into a ``Study``.

    Parameters
    ----------
    raw : RawStudy
        A reader's result. ``raw.scan`` lists the ``(label, frame, rows)`` searched for
        direct identifiers; ``None`` means the tables themselves. ``raw.design`` is the design
        declared, if any.

    Returns
    -------
    Study
        The conformed tables, the design (declared, completed from the data where it is
        silent: :func:`acne_outcomes.design.resolve_design`), ``raw.truth``, and
        ``raw.metadata`` with the provenance ``source``, ``rows_loaded`` and ``checksums``
        (SHA-256 of the bytes read from each file, as the reader recorded them).

    Raises
    ------
    StudyValidationError
        With every problem: the reader's, identifiers found, the standard's rules and the
        design held against the data (:func:`acne_outcomes.validate.check_design`).
    """
    scan = raw.scan
    if scan is None:
        scan = [(name, frame, raw.rows[name]) for name, frame in raw.tables.items()]
    scans = [
        privacy.scan_identifiers(label, frame, frame_rows) for label, frame, frame_rows in scan
    ]
    declared, design_problems = _declared_design(raw.design)
    visits = raw.tables.get("visits", pd.DataFrame())
    unit = (declared.visit_unit if declared else None) or visit_unit_of(visits) or "months"
    problems, parsed = validate_tables(raw.tables, raw.rows, visit_unit=unit, return_parsed=True)
    unreadable = set(raw.problems["table"].dropna()) - set(raw.tables)
    if (raw.metadata or {}).get("import") and not raw.tables and len(raw.problems):
        # an import that could not split the file into tables has said why: its subjects
        # and visits tables are not also missing
        unreadable |= {"subjects", "visits"}
    if unreadable:  # a file that could not be read is not also a missing table
        problems = problems[
            ~((problems["rule"] == "missing-table") & problems["table"].isin(unreadable))
        ]
    problems = concat_problems([raw.problems, *scans, design_problems, problems])
    if len(problems):
        raise StudyValidationError(problems, source=raw.source)
    design = resolve_design(
        replace(declared, visit_unit=unit) if declared else Design(visit_unit=unit), parsed
    )
    problems = check_design(design, parsed, raw.rows)
    if len(problems):
        raise StudyValidationError(problems, source=raw.source)
    loaded = dict(raw.metadata or {})
    loaded.update(
        source=raw.source,
        rows_loaded={name: int(len(frame)) for name, frame in raw.tables.items()},
        checksums={
            Path(file).name: raw.checksums.get(Path(file).name) or file_sha256(file)
            for file in raw.files
        },
    )
    conformed = {
        name: conform(name, parsed.get(name, pd.DataFrame()), design) for name in standard.TABLES
    }
    return Study(**conformed, metadata=loaded, truth=raw.truth, design=design)


def _declared_design(declared) -> tuple[Design | None, pd.DataFrame]:
    """The declared design (``None`` if none), or the problem that makes it unreadable."""
    if declared is None:
        return None, empty_problems()
    try:
        return Design.from_dict(declared), empty_problems()
    except DesignError as error:
        return None, make_problems("design", "design", f"the declared design: {error}")


# --------------------------------------------------------------------------- saving


def save_study(study: Study, path, format: str = "csv", *, overwrite: bool = False) -> Path:
    """Write ``study`` as a data package folder that :func:`load_study` reads back identical.

    The folder holds ``datapackage.json`` (the standard's descriptor, with the study's
    metadata under ``acne_outcomes``), one file per table collected (a table the
    design does not list is not written: a table with no rows would say none occurred), for
    synthetic studies ``truth.json``, and the marker :data:`PACKAGE_MARKER`. Writing goes to a
    staging folder beside ``path`` that replaces it only when complete, so a failure leaves
    any previous package intact; staging folders left by a killed process are removed on the
    next write.

    Parameters
    ----------
    study : Study
        The study to write.
    path : str or Path
        The package folder to create (or replace, with ``overwrite``).
    format : {"csv", "parquet"}
        The format of the table files.
    overwrite : bool
        Replace an existing ``path``: only a package this project wrote (it has the marker,
        or holds nothing but a package's own files), or an empty folder.

    Returns
    -------
    pathlib.Path
        The package folder, resolved.

    Raises
    ------
    ValueError
        An unknown format, or a path inside ``data/raw`` or holding it (raw data is
        read-only).
    FileExistsError
        ``path`` exists and ``overwrite`` is false, or it is not a package this project wrote
        (a file, a symbolic link, a folder of other files).

    Examples
    --------
    >>> import tempfile
    >>> subjects = pd.DataFrame({"subject_id": ["S1"], "arm": ["comparator"], "site": ["A"],
    ...     "age": [19], "sex": ["male"], "fitzpatrick": ["III"], "weight_kg": [70.0],
    ...     "baseline_iga": [3], "randomisation_day": [0]})
    >>> visits = pd.DataFrame({"subject_id": ["S1"], "month": [0], "study_day": [0],
    ...     "inflammatory_lesions": [30], "comedones": [40], "nodules": [1], "iga": [3],
    ...     "scar_grade": [1], "ecca_score": [90], "pih_macules": [3], "pih_index": [4.0]})
    >>> study = Study.from_tables(subjects, visits)
    >>> with tempfile.TemporaryDirectory() as scratch:
    ...     folder = save_study(study, Path(scratch) / "package", format="parquet")
    ...     again = load_study(folder)
    ...     sorted(again.metadata["checksums"])
    ['subjects.parquet', 'visits.parquet']
    >>> again.equals(study)
    True
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; allowed: {list(FORMATS)}")
    given = Path(path)
    if os.path.islink(given):
        raise FileExistsError(f"{given} is a symbolic link: give the package folder itself")
    target = given.resolve()
    raw = paths.RAW_DIR.resolve()
    if target == raw or raw in target.parents or target in raw.parents:
        raise ValueError(f"refusing to write into {paths.RAW_DIR}: raw data is read-only")
    if os.path.lexists(target):
        if not overwrite:
            raise FileExistsError(
                f"{target} exists; pass overwrite=True (or --overwrite) to replace it"
            )
        why = _not_replaceable(target)
        if why:
            raise FileExistsError(f"refusing to replace {target}: {why}")
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(target.parent, target.name)
    staging = work_folder(target.parent, target.name, "staging")
    try:
        _write_package(study, staging, format)
        if os.path.lexists(target):
            retired = work_folder(target.parent, target.name, "retired", create=False)
            os.replace(target, retired)
            os.replace(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def _not_replaceable(target: Path) -> str | None:
    """Why ``target`` may not be replaced by a package (``None``: it may)."""
    if not target.is_dir():
        return "it is a file, not a data package folder written by acne-outcomes"
    names = {entry.name for entry in target.iterdir()}
    if not names or PACKAGE_MARKER in names:
        return None
    descriptor = target / "datapackage.json"
    written = False
    if "datapackage.json" in names and all(_PACKAGE_FILES.fullmatch(name) for name in names):
        try:
            written = "acne_outcomes" in json.loads(descriptor.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, TypeError):
            written = False
    if written:
        return None
    return (
        "it is not a data package written by acne-outcomes (it holds other files); choose "
        "another folder, or remove it yourself"
    )


# --------------------------------------------------------------------------- work folders


def work_folder(parent: Path, name: str, kind: str, *, create: bool = True) -> Path:
    """A hidden folder beside ``parent / name`` for work in progress, named with this process.

    ``.NAME.KIND-PID-RANDOM``: :func:`remove_stale` removes those of processes that died.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     work_folder(Path(folder), "reports", "staging").name.startswith(".reports.staging-")
    True
    """
    folder = Path(parent) / f".{name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"
    if create:
        folder.mkdir(parents=True)
    return folder


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs (a process of another user counts as running).

    Examples
    --------
    >>> process_alive(os.getpid())
    True
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def remove_stale(parent: Path, name: str) -> list[Path]:
    """Remove the work folders beside ``parent / name`` left by processes that died.

    Parameters
    ----------
    parent : pathlib.Path
        The folder holding ``name``.
    name : str
        The folder whose work folders (:func:`work_folder`, and the report build's
        ``.NAME.staging-PID`` and ``.NAME.old-PID``) are looked for.

    Returns
    -------
    list of pathlib.Path
        The folders removed.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     dead = Path(folder) / ".reports.staging-999999999-0a1b2c3d"
    ...     dead.mkdir()
    ...     [path.name for path in remove_stale(Path(folder), "reports")]
    ['.reports.staging-999999999-0a1b2c3d']
    """
    pattern = re.compile(rf"\.{re.escape(name)}\.[a-z]+-(\d+)(?:-[0-9a-f]+)?")
    removed = []
    try:
        entries = list(Path(parent).iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None or process_alive(int(match.group(1))) or entry.is_symlink():
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _write_package(study: Study, folder: Path, format: str) -> None:
    descriptor = standard.descriptor()
    descriptor["design"] = study.design.to_dict()
    metadata = {key: value for key, value in study.metadata.items() if key != "checksums"}
    # a table not collected is not written (an empty one would say none occurred)
    descriptor["resources"] = [
        resource for resource in descriptor["resources"] if study.design.has_table(resource["name"])
    ]
    for resource in descriptor["resources"]:
        name = resource["name"]
        resource["schema"]["fields"] = standard.fields(name, study.design.visit_unit)
        resource["schema"]["primaryKey"] = standard.primary_key(name, study.design.visit_unit)
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
    _write_json({"written_by": "acne-outcomes", "format": format}, folder / PACKAGE_MARKER)


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
    text = json.dumps(value, indent=2, sort_keys=False, ensure_ascii=False, default=json_default)
    file.write_text(text + "\n", encoding="utf-8")
