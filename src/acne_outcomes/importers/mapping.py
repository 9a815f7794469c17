"""The mapping every importer reads, and what every importer does with it.

A mapping (a dict, or a JSON file) says where the standard's columns come from. These keys
apply to every route (long CSV/Excel, SAS, REDCap, ADaM):

``columns``
    standard name → source column; ``null`` declares the column not recorded (an empty
    column, or an outcome not collected). Source columns that carry a standard name already
    need no entry.
``values``
    standard name → {value in the source: value in the standard}. ``"4"`` also recodes
    ``4.0``; labels that differ from a category of the standard only in case, spaces or
    hyphens (``"Lost to follow-up"``) need no entry.
``anchor``
    the date column that is day 0 (each subject's own; e.g. the consent or randomisation date).
``dates``
    the date columns to turn into days from the anchor (then mapped like any column).
``date_format``
    how text dates are written (default ISO 8601, ``2024-06-18``), e.g. ``"%d/%m/%Y"``.
``drop``
    columns left out before the identifier scan (names, or patterns such as ``"*_DT"``).
``design``
    the study's design, as under ``design`` in ``datapackage.json``.

:func:`read_mapping` checks a mapping; :mod:`acne_outcomes.importers.columns` applies it to a
file as read. :class:`ImportLog` collects what an import converted, dropped and left out, for
``study.metadata["import"]``, and :func:`describe_import` says it in words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from acne_outcomes import standard
from acne_outcomes.readers import StudyReadError, read_json_input

COMMON_KEYS = ("columns", "values", "design", "anchor", "dates", "date_format", "drop")
LONG_KEYS = ("sheet", "header_row", "delimiter", "encoding")
REDCAP_KEYS = ("dictionary", "events", "adverse_events", "labs")
ADAM_KEYS = ("adsl", "bds", "adae", "adlb", "params", "lab_params", "visits", "derived_records")
MAPPING_KEYS = tuple(dict.fromkeys(COMMON_KEYS + LONG_KEYS + REDCAP_KEYS + ADAM_KEYS))
#: Keys of a table's own mapping (``"adverse_events": {...}``, ``"labs": {...}``).
TABLE_KEYS = ("instrument", "columns", "values", "tests")
DERIVED_RECORDS = ("leave_out", "keep")
#: Source columns listed in a message before "... and N more".
SHOWN = 12
GUIDE = "docs/bring-your-own-data.md"


def read_mapping(mapping) -> dict:
    """Return a checked mapping from a dict or a JSON file path.

    Parameters
    ----------
    mapping : dict, str, pathlib.Path or None
        The mapping (see the module docs); a path is read as JSON; ``None`` is ``{}``.

    Returns
    -------
    dict
        A copy, with ``drop`` and ``dates`` as lists.

    Raises
    ------
    StudyReadError
        The file cannot be read or is not JSON.
    ValueError
        An unknown key, a standard column that does not exist, or a value of the wrong kind.

    Examples
    --------
    >>> read_mapping({"columns": {"subject_id": "Patient"}, "drop": "initials"})["drop"]
    ['initials']
    >>> read_mapping({"colums": {}})
    Traceback (most recent call last):
    ...
    ValueError: unknown mapping key(s) ['colums']; allowed: ['columns', 'values', 'design', 'anchor', 'dates', 'date_format', 'drop', 'sheet', 'header_row', 'delimiter', 'encoding', 'dictionary', 'events', 'adverse_events', 'labs', 'adsl', 'bds', 'adae', 'adlb', 'params', 'lab_params', 'visits', 'derived_records']
    """
    if mapping is None:
        return {}
    if isinstance(mapping, (str, Path)):
        try:
            mapping = read_json_input(Path(mapping))
        except StudyReadError as error:
            raise StudyReadError(f"cannot read the mapping {Path(mapping).name}: {error}") from None
    if not isinstance(mapping, dict):
        kinds = {
            list: "a list",
            str: "text",
            int: "a number",
            float: "a number",
            bool: "true/false",
        }
        kind = kinds.get(type(mapping), "null" if mapping is None else type(mapping).__name__)
        raise ValueError(f'a mapping is a JSON object {{"columns": {{...}}, ...}}; got {kind}')
    mapping = json.loads(json.dumps(mapping))  # a deep copy: the caller's dict is left alone
    unknown = [key for key in mapping if key not in MAPPING_KEYS]
    if unknown:
        raise ValueError(f"unknown mapping key(s) {unknown}; allowed: {list(MAPPING_KEYS)}")
    _check_columns(mapping.get("columns", {}), all_fields(), "columns")
    _check_values(mapping.get("values", {}), "values")
    for key in ("drop", "dates"):
        if isinstance(mapping.get(key), str):
            mapping[key] = [mapping[key]]
        if not all(isinstance(item, str) for item in mapping.get(key, [])):
            raise ValueError(f'"{key}" is a list of column names; got {mapping[key]!r}')
    for key in ("anchor", "date_format", "dictionary", "adsl", "bds", "adae", "adlb"):
        if key in mapping and not isinstance(mapping[key], str):
            raise ValueError(f'"{key}" is text; got {mapping[key]!r}')
    for key in ("events", "params", "lab_params", "visits"):
        if not isinstance(mapping.get(key, {}), dict):
            raise ValueError(f'"{key}" is an object {{"source value": ...}}; got {mapping[key]!r}')
    _check_targets(mapping)
    header_row = mapping.get("header_row", 1)
    if isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1:
        raise ValueError(
            f'"header_row" is the line of the column names (1, 2, ...); got {header_row!r}'
        )
    if mapping.get("derived_records", "leave_out") not in DERIVED_RECORDS:
        raise ValueError(
            f'"derived_records" is one of {list(DERIVED_RECORDS)}; got {mapping["derived_records"]!r}'
        )
    for table in ("adverse_events", "labs"):
        if table in mapping:
            _check_table_mapping(table, mapping[table])
    return mapping


def _is_visit(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and value >= 0


def _check_targets(mapping: dict) -> None:
    """Events and AVISITN map to visits; parameters to visit measurements and lab tests."""
    wrong = {event: visit for event, visit in mapping.get("events", {}).items()
             if visit is not None and not _is_visit(visit)}  # fmt: skip
    if wrong:
        raise ValueError(f'"events" maps each event to a visit number or null; got {wrong}')
    for key, visit in mapping.get("visits", {}).items():
        try:
            float(key)
        except ValueError:
            raise ValueError(
                f'"visits" maps AVISITN values (numbers) to visits; got {key!r}'
            ) from None
        if not _is_visit(visit):
            raise ValueError(f'"visits" maps AVISITN {key} to a visit number; got {visit!r}')
    outcomes = set(standard.outcome_families())
    wrong = sorted(set(map(str, mapping.get("params", {}).values())) - outcomes)
    if wrong:
        raise ValueError(
            f'"params" maps PARAMCD to visit measurements {sorted(outcomes)}; got {wrong}'
        )
    tests = set(standard.category_values(standard.field("labs", "test")))
    wrong = sorted(set(map(str, mapping.get("lab_params", {}).values())) - tests)
    if wrong:
        raise ValueError(f'"lab_params" maps PARAMCD to lab tests {sorted(tests)}; got {wrong}')


def _check_columns(columns, allowed: set[str], where: str) -> None:
    if not isinstance(columns, dict):
        raise ValueError(f'"{where}" is an object {{"standard name": "your column"}}')
    wrong = sorted(set(columns) - allowed)
    if wrong:
        raise ValueError(
            f'"{where}" names column(s) {wrong} that the standard does not have; '
            f"standard columns: {sorted(allowed)}"
        )
    bad = [
        name
        for name, source in columns.items()
        if source is not None and not isinstance(source, str)
    ]
    if bad:
        raise ValueError(f'"{where}": the source of {bad} must be a column name or null')


def _check_values(values, where: str) -> None:
    if not isinstance(values, dict) or not all(
        isinstance(codes, dict) for codes in values.values()
    ):
        raise ValueError(
            f'"{where}" is an object {{"standard name": {{"your value": "standard value"}}}}'
        )


def _check_table_mapping(table: str, sub) -> None:
    if not isinstance(sub, dict):
        raise ValueError(f'"{table}" is an object with keys {list(TABLE_KEYS)}')
    unknown = [key for key in sub if key not in TABLE_KEYS]
    if unknown:
        raise ValueError(f'unknown key(s) {unknown} in "{table}"; allowed: {list(TABLE_KEYS)}')
    fields = {name for unit in standard.VISIT_UNITS for name in standard.field_names(table, unit)}
    _check_columns(sub.get("columns", {}), fields, f"{table}.columns")
    _check_values(sub.get("values", {}), f"{table}.values")
    tests = sub.get("tests", {})
    if not isinstance(tests, dict):
        raise ValueError(f'"{table}.tests" is an object {{"test": {{"field": ..., "unit": ...}}}}')
    allowed = set(standard.category_values(standard.field("labs", "test")))
    for test, spec in tests.items():
        if test not in allowed:
            raise ValueError(f'"{table}.tests" names {test!r}; tests: {sorted(allowed)}')
        if not isinstance(spec, dict) or not isinstance(spec.get("field"), str):
            raise ValueError(
                f'"{table}.tests.{test}" needs {{"field": "your field", "unit": "mg/dL", '
                '"upper_limit_normal": 150}'
            )


def all_fields() -> set[str]:
    """Every column name of the standard, the visit column in each unit included."""
    return {
        name
        for table in standard.TABLES
        for unit in standard.VISIT_UNITS
        for name in standard.field_names(table, unit)
    }


def declared_unit(mapping: dict) -> str | None:
    """The visit unit the mapping's design declares (``None``: none, or not a unit).

    >>> declared_unit({"design": {"visitUnit": "weeks"}}), declared_unit({})
    ('weeks', None)
    """
    design = mapping.get("design")
    declared = design.get("visitUnit") if isinstance(design, dict) else None
    return declared if declared in standard.VISIT_UNITS else None


def visit_unit(mapping: dict, default: str | None = None) -> str:
    """The visit unit the mapping's design declares, else ``default``, else months."""
    return declared_unit(mapping) or default or standard.VISIT_UNITS[0]


def short_list(names, limit: int = SHOWN) -> str:
    """Names joined with commas, cut after ``limit`` with "and N more".

    >>> short_list(["a", "b", "c"], limit=2)
    'a, b and 1 more'
    """
    names = [str(name) for name in names]
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f" and {len(names) - limit} more"


# --------------------------------------------------------------------------- the load report


@dataclass
class ImportLog:
    """What an import converted, left out and assumed: ``study.metadata["import"]``.

    Attributes
    ----------
    route : str
        ``csv``, ``excel``, ``sas``, ``redcap`` or ``adam``.
    anchor : str or None
        The date column that is day 0.
    dates : list of str
        The date columns turned into days from the anchor.
    dropped : dict of str to str
        Each column left out, with why.
    left_out : dict of str to int
        Records left out, by reason.
    kept : dict of str to int
        Records kept although derived (ADaM ``DTYPE`` with ``"derived_records": "keep"``).
    not_collected : list of str
        Columns mapped whose source holds no value (their outcomes are not collected).
    events : dict
        REDCap: each event and the visit it became (``None``: not a visit).
    visit_column : str or None
        The visit column the events' visits are in (``month``, ``week`` or ``day``).
    notes : list of str
        Other conversions, one sentence each.

    Examples
    --------
    >>> log = ImportLog("adam", anchor="RFICDT")
    >>> log.leave_out("adqs.xpt DTYPE LOCF records", 12)
    >>> log.leave_out("records without AVISITN", 0)
    >>> log.as_dict()
    {'route': 'adam', 'anchor': 'RFICDT', 'left_out': {'adqs.xpt DTYPE LOCF records': 12}}
    """

    route: str
    anchor: str | None = None
    dates: list[str] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)
    left_out: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    not_collected: list[str] = field(default_factory=list)
    events: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    visit_column: str | None = None

    def leave_out(self, reason: str, count: int) -> None:
        """Count ``count`` records left out for ``reason`` (nothing when 0)."""
        if count:
            self.left_out[reason] = self.left_out.get(reason, 0) + int(count)

    def as_dict(self) -> dict:
        """The log as JSON-ready data (empty parts left out)."""
        out = {"route": self.route}
        if self.anchor is not None:
            out["anchor"] = self.anchor
        for name in ("dates", "dropped", "left_out", "kept", "not_collected", "events", "notes"):
            value = getattr(self, name)
            if value:
                out[name] = value.copy()
        if self.events and self.visit_column:
            out["visit_column"] = self.visit_column
        return out


ROUTE_NAMES = {"csv": "long CSV file", "excel": "Excel workbook", "sas": "SAS file",
               "redcap": "REDCap export", "adam": "CDISC ADaM datasets"}  # fmt: skip


def describe_import(record: dict) -> list[str]:
    """The load report of an import (``study.metadata["import"]``) as lines of text.

    Examples
    --------
    >>> record = {"route": "adam", "anchor": "RFICDT", "dates": ["RANDDT"],
    ...           "dropped": {"BRTHDT": "a date variable not converted"},
    ...           "left_out": {"DTYPE LOCF (derived, not observed)": 12}}
    >>> print("\\n".join(describe_import(record)))
    imported from CDISC ADaM datasets
      day 0: each subject's RFICDT
      dates turned into days from day 0: RANDDT
      columns left out: BRTHDT (a date variable not converted)
      records left out: 12 DTYPE LOCF (derived, not observed)
    """
    lines = [f"imported from {ROUTE_NAMES.get(record.get('route'), record.get('route'))}"]
    if record.get("anchor"):
        lines.append(f"  day 0: each subject's {record['anchor']}")
    if record.get("dates"):
        lines.append(f"  dates turned into days from day 0: {', '.join(record['dates'])}")
    if record.get("dropped"):
        dropped = [f"{name} ({why})" for name, why in record["dropped"].items()]
        lines.append(f"  columns left out: {short_list(dropped, 20)}")
    if record.get("left_out"):
        counts = ", ".join(f"{count} {reason}" for reason, count in record["left_out"].items())
        lines.append(f"  records left out: {counts}")
    if record.get("kept"):
        counts = ", ".join(f"{count} {reason}" for reason, count in record["kept"].items())
        lines.append(f"  derived records kept (imputed, not observed): {counts}")
    if record.get("events"):
        column = record.get("visit_column", "visit")
        ordered = sorted(record["events"].items(), key=lambda item: (item[1] is None, item[1] or 0))
        events = [
            f"{event} → {'not a visit' if visit is None else f'{column} {visit}'}"
            for event, visit in ordered
        ]
        lines.append(f"  events: {short_list(events, 20)}")
    if record.get("not_collected"):
        lines.append(f"  not collected: {', '.join(record['not_collected'])}")
    lines.extend(f"  {note}" for note in record.get("notes", []))
    return lines
