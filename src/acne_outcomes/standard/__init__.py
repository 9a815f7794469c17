"""The data standard: a Frictionless Data Package descriptor, the single source of truth.

``datapackage.json`` (beside this file) describes the four tables (``subjects``, ``visits``,
``adverse_events``, ``labs``): every field's type, unit, description, constraints, ordered
categories, primary and foreign keys, and a ``source`` note. This module reads it and derives
what the rest of the package needs (pandas dtypes, category orders, the words read as true or
false), so nothing about the standard is written twice.

Examples
--------
>>> TABLES
('subjects', 'visits', 'adverse_events', 'labs')
>>> field("subjects", "fitzpatrick")["categories"]
['I', 'II', 'III', 'IV', 'V', 'VI']
>>> pandas_dtypes("visits")["inflammatory_lesions"]
'Int64'
"""

from __future__ import annotations

import copy
import json
from functools import cache

import numpy as np
import pandas as pd

from acne_outcomes.paths import STANDARD_DESCRIPTOR

TABLES = ("subjects", "visits", "adverse_events", "labs")

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


def fields(table: str) -> list[dict]:
    """Return the field descriptors of a table, in column order."""
    return resource(table)["schema"]["fields"]


def field_names(table: str) -> list[str]:
    """Return the column names of a table, in the standard's order."""
    return [item["name"] for item in fields(table)]


def field(table: str, name: str) -> dict:
    """Return one field descriptor; ``ValueError`` names the table's fields if unknown."""
    for item in fields(table):
        if item["name"] == name:
            return item
    raise ValueError(f"unknown field {name!r} in {table}; fields are {field_names(table)}")


def primary_key(table: str) -> list[str]:
    """Return the primary-key columns of a table."""
    return list(resource(table)["schema"]["primaryKey"])


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


def pandas_dtypes(table: str) -> dict:
    """Map every column of a table to its pandas dtype (see :func:`pandas_dtype`)."""
    return {item["name"]: pandas_dtype(item) for item in fields(table)}


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
    parsed = text.map(BOOLEAN_WORDS)
    bad = (parsed.isna() & text.notna()).to_numpy()
    return parsed.astype("boolean"), bad
