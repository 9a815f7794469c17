"""The data standard: a Frictionless Data Package descriptor, the single source of truth.

``datapackage.json`` (beside this file) describes the four tables (``subjects``, ``visits``,
``adverse_events``, ``labs``): every field's type, unit, description, constraints, ordered
categories, primary and foreign keys, and a ``source`` note, and the schema of the design a
study declares (``designSchema``). This module reads it and derives what the rest of the package
needs (pandas dtypes, category orders, the visit column of each visit unit, outcome families,
the words read as true or false), so nothing about the standard is written twice.

The scheduled-visit column of ``visits`` and ``labs`` is named after the design's visit unit:
``month``, ``week`` or ``day`` (``visitColumn`` in the descriptor). Functions that describe
those tables take ``visit_unit`` (default ``"months"``).

Examples
--------
>>> TABLES
('subjects', 'visits', 'adverse_events', 'labs')
>>> field("subjects", "fitzpatrick")["categories"]
['I', 'II', 'III', 'IV', 'V', 'VI']
>>> pandas_dtypes("visits")["inflammatory_lesions"]
'Int64'
>>> primary_key("visits", visit_unit="weeks")
['subject_id', 'week']
"""

from __future__ import annotations

import copy
import json
from functools import cache

import numpy as np
import pandas as pd

from acne_outcomes.paths import STANDARD_DESCRIPTOR

TABLES = ("subjects", "visits", "adverse_events", "labs")
#: Tables every study has; the others are collected or not (the design says which).
REQUIRED_TABLES = ("subjects", "visits")
#: The units of a visit schedule, each naming the visit column (``month``, ``week``, ``day``).
VISIT_UNITS = ("months", "weeks", "days")
#: The outcome families, each with a primary visit in the design.
OUTCOME_FAMILIES = ("lesions", "scars", "pih")
#: The length of one visit unit in days, to place a scheduled visit on the study-day scale
#: (a month is a twelfth of a mean Gregorian year).
DAYS_PER_VISIT_UNIT = {"months": 365.25 / 12, "weeks": 7.0, "days": 1.0}

BOOLEAN_WORDS = {
    "true": True, "false": False, "1": True, "0": False, "yes": True, "no": False,
    "y": True, "n": False, "t": True, "f": False,
}  # fmt: skip
"""The words that mean true or false in a boolean field (compared stripped and lower-case)."""


@cache
def _descriptor() -> dict:
    with STANDARD_DESCRIPTOR.open(encoding="utf-8") as handle:
        return json.load(handle)


def descriptor() -> dict:
    """Return a copy of the whole Data Package descriptor."""
    return copy.deepcopy(_descriptor())


def resource(table: str) -> dict:
    """Return the descriptor of one table (a Tabular Data Resource)."""
    for candidate in _descriptor()["resources"]:
        if candidate["name"] == table:
            return candidate
    raise ValueError(f"unknown table {table!r}; the standard has {list(TABLES)}")


def _visit_field(item: dict, visit_unit: str) -> dict:
    """The visit field for ``visit_unit``: named and bounded as ``visitColumn`` says."""
    if visit_unit not in VISIT_UNITS:
        raise ValueError(f"visit_unit={visit_unit!r} is not allowed; allowed: {list(VISIT_UNITS)}")
    column = item["visitColumn"][visit_unit]
    renamed = copy.deepcopy(item)
    renamed["name"] = column["name"]
    renamed["title"] = column["name"].capitalize()
    renamed["unit"] = visit_unit
    renamed["constraints"]["maximum"] = column["maximum"]
    return renamed


@cache
def _fields(table: str, visit_unit: str) -> tuple[dict, ...]:
    return tuple(
        _visit_field(item, visit_unit) if "visitColumn" in item else item
        for item in resource(table)["schema"]["fields"]
    )


def fields(table: str, visit_unit: str = "months") -> list[dict]:
    """Return the field descriptors of a table, in column order (visit column for the unit)."""
    return list(_fields(table, visit_unit))


def field_names(table: str, visit_unit: str = "months") -> list[str]:
    """Return the column names of a table, in the standard's order."""
    return [item["name"] for item in fields(table, visit_unit)]


def field(table: str, name: str, visit_unit: str = "months") -> dict:
    """Return one field descriptor; ``ValueError`` names the table's fields if unknown."""
    for item in fields(table, visit_unit):
        if item["name"] == name:
            return item
    raise ValueError(
        f"unknown field {name!r} in {table}; fields are {field_names(table, visit_unit)}"
    )


def visit_column(visit_unit: str = "months") -> str:
    """The name of the scheduled-visit column for ``visit_unit``.

    >>> visit_column("days")
    'day'
    """
    return _visit_field(_visit_item(), visit_unit)["name"]


def visit_columns() -> dict[str, str]:
    """Each visit unit's column name: ``{"months": "month", "weeks": "week", "days": "day"}``."""
    return {unit: visit_column(unit) for unit in VISIT_UNITS}


def _visit_item() -> dict:
    return next(item for item in resource("visits")["schema"]["fields"] if "visitColumn" in item)


def outcome_families() -> dict[str, str]:
    """Each visit measurement column and its family (``lesions``, ``scars``, ``pih``, ...).

    >>> outcome_families()["ecca_score"]
    'scars'
    """
    return {item["name"]: item["family"] for item in fields("visits") if "family" in item}


def primary_key(table: str, visit_unit: str = "months") -> list[str]:
    """Return the primary-key columns of a table (the visit column named for the unit)."""
    key = resource(table)["schema"]["primaryKey"]
    visit = visit_column(visit_unit)
    return [visit if name == _visit_item()["name"] else name for name in key]


def category_values(item: dict) -> list | None:
    """Return the allowed category values of a field (``None`` if it has no categories)."""
    categories = item.get("categories")
    if categories is None:
        return None
    return [entry["value"] if isinstance(entry, dict) else entry for entry in categories]


def is_ordinal(item: dict) -> bool:
    """Whether the field is an ordered categorical."""
    return bool(item.get("categoriesOrdered")) and item.get("categories") is not None


def pandas_dtype(item: dict):
    """The exact pandas dtype of a field in a loaded ``Study``.

    Fields with categories become ``CategoricalDtype`` (ordered for ordinal fields, with
    integer categories for integer scales such as IGA); other integers are nullable
    ``Int64``; numbers ``float64``; booleans nullable ``boolean``; strings ``string``.
    """
    values = category_values(item)
    if values is not None:
        return pd.CategoricalDtype(values, ordered=is_ordinal(item))
    return {"integer": "Int64", "number": "float64", "boolean": "boolean", "string": "string"}[
        item["type"]
    ]


def pandas_dtypes(table: str, visit_unit: str = "months") -> dict:
    """Map every column of a table to its pandas dtype (see :func:`pandas_dtype`)."""
    return dict(_pandas_dtypes(table, visit_unit))  # a copy: the caller may change it


@cache
def _pandas_dtypes(table: str, visit_unit: str) -> dict:
    # made once: a categorical dtype takes about 0.2 ms to validate its categories, and the
    # generator of a diagnosis builds a dozen categorical columns per simulated study
    return {item["name"]: pandas_dtype(item) for item in fields(table, visit_unit)}


def find_field(name: str) -> dict | None:
    """The descriptor of a column name in the first table that has it (any visit unit), or None.

    >>> find_field("ecca_score")["unit"], find_field("week")["title"], find_field("papules")
    ('points', 'Week', None)
    """
    for table in TABLES:
        for visit_unit in VISIT_UNITS:
            for item in _fields(table, visit_unit):
                if item["name"] == name:
                    return item
    return None


def label(name: str) -> str:
    """A column's short human label: the field's ``title`` in the standard, else the name in words.

    Table rows and figure labels read it, so a column is named the same way everywhere.

    Examples
    --------
    >>> label("inflammatory_lesions"), label("baseline_iga"), label("day")
    ('Inflammatory lesions', 'IGA at baseline', 'Day')
    >>> label("responder_rate")
    'Responder rate'
    """
    item = find_field(name)
    if item is not None and item.get("title"):
        return item["title"]
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def unit(name: str) -> str | None:
    """A column's unit in the standard (``None`` when it has none or is not in the standard).

    >>> unit("weight_kg"), unit("sex")
    ('kg', None)
    """
    item = find_field(name)
    return None if item is None else item.get("unit")


def category_labels(name: str) -> dict:
    """A column's category labels, ``{value: label}``, for the categories that have one.

    >>> category_labels("scar_grade")[3], category_labels("test")["alt"], category_labels("sex")
    ('moderate', 'ALT', {})
    """
    item = find_field(name) or {}
    return {
        entry["value"]: entry["label"]
        for entry in item.get("categories") or []
        if isinstance(entry, dict) and "label" in entry
    }


def units_by_test() -> dict[str, str]:
    """The required unit of each laboratory test."""
    return dict(resource("labs")["schema"]["unitsByTest"])


def parse_boolean(column: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse a column to nullable booleans with the standard's true/false words.

    Parameters
    ----------
    column : pandas.Series
        Text (any case, surrounding spaces allowed), numbers (``1``/``0``) or booleans.

    Returns
    -------
    values : pandas.Series
        Nullable ``boolean`` values; missing where the input is missing or not a true/false
        word.
    bad : numpy.ndarray
        Boolean mask of the values present but not in :data:`BOOLEAN_WORDS`.

    Examples
    --------
    >>> values, bad = parse_boolean(pd.Series([" Yes", "0", None, "maybe"]))
    >>> values.tolist(), bad.tolist()
    ([True, False, <NA>, <NA>], [False, False, False, True])
    """
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.astype("boolean"), np.zeros(len(column), dtype=bool)
    text = column.astype("string").str.strip().str.lower()
    if pd.api.types.is_numeric_dtype(column.dtype):
        text = column.astype("Float64").astype("string").str.replace(r"\.0$", "", regex=True)
    codes, words = pd.factorize(text)  # each distinct word is looked up once; missing: -1
    lookup = pd.array([BOOLEAN_WORDS.get(word) for word in words] + [None], dtype="boolean")
    parsed = pd.Series(lookup[codes], index=column.index)
    bad = (parsed.isna() & text.notna()).to_numpy()
    return parsed, bad
