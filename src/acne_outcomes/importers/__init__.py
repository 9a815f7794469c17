"""Importers: long CSV/Excel/SAS files, REDCap exports and CDISC ADaM, mapped onto the standard.

An importer is a reader: :func:`import_tables` returns a :class:`~acne_outcomes.readers.RawStudy`
(the mapped tables, their row numbers in the source, what could not be mapped, the files read,
the files as read for the identifier scan, and the load report in ``metadata["import"]``);
:func:`acne_outcomes.io.load_study` then scans, validates and conforms it like any other input.

Four routes, chosen by the input and the mapping (:func:`acne_outcomes.importers.mapping.read_mapping`
checks it; ``docs/bring-your-own-data.md`` has a worked example of each):

* a long CSV, Excel or SAS file, one row per subject and visit
  (:mod:`acne_outcomes.importers.long`);
* a REDCap flat export with its data dictionary, when the mapping names ``"dictionary"``
  (:mod:`acne_outcomes.importers.redcap`);
* a folder of CDISC ADaM datasets, when the mapping names ``"adsl"``
  (:mod:`acne_outcomes.importers.adam`);
* a data package folder, read as it is (a mapping may not rename or recode it).

Every route takes the common keys: ``columns``, ``values``, ``anchor`` and ``dates`` (dates into
days from each subject's day 0), ``drop`` (columns left out before the identifier scan) and
``design`` (:mod:`acne_outcomes.importers.mapping`). A file that looks like a REDCap or ADaM
export but comes without the mapping it needs is told which route to take.
"""

from __future__ import annotations

from pathlib import Path

from acne_outcomes.importers.adam import import_adam
from acne_outcomes.importers.long import SUFFIXES, import_long, split_long
from acne_outcomes.importers.mapping import MAPPING_KEYS, ImportLog, describe_import, read_mapping
from acne_outcomes.importers.redcap import import_redcap
from acne_outcomes.readers import RawStudy, StudyReadError, export_hint, read_package

__all__ = [
    "MAPPING_KEYS",
    "ImportLog",
    "describe_import",
    "import_tables",
    "read_mapping",
    "split_long",
]


def import_tables(path: Path, mapping=None) -> RawStudy:
    """Read a long CSV/Excel/SAS file, a REDCap export or an ADaM folder onto the standard.

    Parameters
    ----------
    path : pathlib.Path
        A long file (``.csv``, ``.txt``, ``.tsv``, ``.xlsx``, ``.xlsm``, ``.xpt``,
        ``.sas7bdat``); a REDCap CSV export (the mapping names its ``dictionary``); or a
        folder: an ADaM folder when the mapping names ``adsl``, otherwise a data package
        folder (read as it is: its mapping may not rename or recode).
    mapping : dict, str or Path, optional
        The mapping (see :mod:`acne_outcomes.importers.mapping`); a path is read as JSON.

    Returns
    -------
    RawStudy
        The tables (not yet validated), their row numbers in the source, the problems found
        while mapping, the files read, the files as read for the identifier scan (without the
        columns dropped or turned into days), the design declared and, in
        ``metadata["import"]``, what was converted, dropped and left out.

    Raises
    ------
    StudyReadError
        The file, its format or the mapping cannot be read.
    StudyValidationError
        A CSV file cannot be parsed at all, or the input is a REDCap or ADaM export given
        without the mapping it needs (the problem says which).
    ValueError
        The mapping has unknown keys or columns, or renames a data package folder's columns.

    Examples
    --------
    >>> import tempfile
    >>> from acne_outcomes.validate import StudyValidationError
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     export = Path(folder) / "export.csv"
    ...     _ = export.write_text("record_id,redcap_event_name,age\\n1,baseline_arm_1,19\\n")
    ...     try:
    ...         import_tables(export)
    ...     except StudyValidationError as error:
    ...         print(error.problems["message"].iloc[0][:60])
    export.csv looks like a REDCap export (it has redcap_event_n
    """
    path = Path(path)
    mapping = read_mapping(mapping)
    if path.is_dir():
        if "adsl" in mapping:
            return import_adam(path, mapping)
        if mapping.get("columns") or mapping.get("values") or mapping.get("dictionary"):
            hint = export_hint(path)
            raise ValueError(
                f"{path.name}: {hint}"
                if hint
                else "a mapping for a data package folder is not supported; map a long file"
            )
        return read_package(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise StudyReadError(
            f"cannot read {path.name}: unknown format {suffix!r}; use a data package folder or "
            f"one of {sorted(SUFFIXES)}"
        )
    if "dictionary" in mapping:
        if SUFFIXES[suffix] != "csv":
            raise StudyReadError(
                f"a REDCap export is a CSV file (Data Exports: CSV, raw data); got {path.name}"
            )
        return import_redcap(path, mapping)
    return import_long(path, mapping)
