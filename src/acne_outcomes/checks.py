"""Argument checks shared by ``derive``, ``stats``, ``figures`` and ``appraisal``.

Every helper that takes a long DataFrame and column names checks them here, so the same bad
input raises the same ``ValueError`` everywhere, naming the allowed values. This module sits
below every analysis module and imports nothing from the package.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


class NotEstimable(ValueError):
    """The data cannot support this analysis (too few subjects, no events, no variation, an
    outcome or visit not collected). Its message is the reason, written for the reader of a
    report page: "not estimable here: <reason>". Any other exception is a bug."""


def require_columns(data: pd.DataFrame, **columns: str | None) -> None:
    """Raise ``ValueError`` unless every named column (keyword → column name) is in ``data``.

    ``None`` values are skipped (optional columns).

    Examples
    --------
    >>> require_columns(pd.DataFrame({"a": [1]}), outcome="a")
    >>> require_columns(pd.DataFrame({"a": [1]}), outcome="b")
    Traceback (most recent call last):
    ...
    ValueError: outcome='b' is not a column of the data; allowed: ['a']
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError(
            f"data must be a pandas DataFrame in long format; got {type(data).__name__}"
        )
    for keyword, name in columns.items():
        if name is not None and name not in data.columns:
            raise ValueError(
                f"{keyword}={name!r} is not a column of the data; allowed: {list(data.columns)}"
            )


def require_frame(data: object, function: str, *columns: str | None) -> pd.DataFrame:
    """Return ``data`` if it is a non-empty DataFrame holding every named column.

    ``function`` names the caller in the message; ``None`` columns are skipped.

    Examples
    --------
    >>> require_frame(pd.DataFrame({"a": []}), "plot_x", "a")
    Traceback (most recent call last):
    ...
    ValueError: plot_x: the data has no rows; expected rows with columns ['a']
    """
    expected = [name for name in columns if name is not None]
    if not isinstance(data, pd.DataFrame):
        raise ValueError(
            f"{function}: expected a DataFrame with columns {expected}; got {type(data).__name__}"
        )
    missing = [name for name in expected if name not in data.columns]
    if missing:
        raise ValueError(
            f"{function}: missing column(s) {missing}; expected columns {expected}, "
            f"got {list(data.columns)}"
        )
    if data.empty:
        raise ValueError(f"{function}: the data has no rows; expected rows with columns {expected}")
    return data


def require_numeric(data: pd.DataFrame, **columns: str | None) -> None:
    """Raise ``ValueError`` unless each named column is numeric (booleans are not numbers).

    Examples
    --------
    >>> require_numeric(pd.DataFrame({"y": [True]}), outcome="y")
    Traceback (most recent call last):
    ...
    ValueError: outcome column 'y' must be numeric, not bool
    """
    for role, name in columns.items():
        if name is None:
            continue
        column = data[name]
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            raise ValueError(f"{role} column {name!r} must be numeric, not {column.dtype}")


def check_ci_level(ci_level: float) -> float:
    """Return ``ci_level`` as a float, or raise ``ValueError`` unless 0 < ci_level < 1.

    Examples
    --------
    >>> check_ci_level(0.9)
    0.9
    """
    if (
        isinstance(ci_level, bool)
        or not isinstance(ci_level, (int, float))
        or not 0.0 < float(ci_level) < 1.0
    ):
        raise ValueError(f"ci_level must be a number in the open interval (0, 1); got {ci_level!r}")
    return float(ci_level)


def in_words(values, *, quote: bool = True) -> str:
    """Values listed for a sentence, never as a Python list: ``"'a', 'b' and 'c'"``.

    >>> in_words(["VEH"]), in_words(["a", "b", "c"]), in_words([3, 4], quote=False)
    ("'VEH'", "'a', 'b' and 'c'", '3 and 4')
    """
    items = [repr(str(value)) if quote else str(value) for value in values]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def check_choice(name: str, value: object, allowed: Sequence[object]) -> None:
    """Raise ``ValueError`` naming the allowed values unless ``value`` is one of them.

    Examples
    --------
    >>> check_choice("family", "gamma", ["negbin", "poisson"])
    Traceback (most recent call last):
    ...
    ValueError: family='gamma' is not allowed; allowed: ['negbin', 'poisson']
    """
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not allowed; allowed: {list(allowed)}")


def arms_present(arms: pd.Series) -> list:
    """The arms present in ``arms``: a categorical's categories in order, otherwise sorted.

    Examples
    --------
    >>> arms_present(pd.Series(["isotretinoin", "comparator", None]))
    ['comparator', 'isotretinoin']
    """
    if isinstance(arms.dtype, pd.CategoricalDtype):
        return [level for level in arms.cat.categories if (arms == level).any()]
    return sorted(arms.dropna().unique().tolist())


def resolve_arms(arms: pd.Series, reference: object | None) -> tuple[object, list[object]]:
    """Return ``(reference, other_arms)`` for the arms present in ``arms``.

    The default reference (``None``) is the first arm of :func:`arms_present`: for a
    categorical, the first category present; otherwise the first in sorted order.

    Examples
    --------
    >>> resolve_arms(pd.Series(["isotretinoin", "comparator"]), None)
    ('comparator', ['isotretinoin'])
    """
    present = arms_present(arms)
    if len(present) < 2:
        raise NotEstimable(
            "need at least two arms with data to compare; "
            + (f"only {present[0]!r} has any here" if present else "no arm has any data here")
        )
    if reference is None:
        reference = present[0]
    check_choice("reference", reference, present)
    return reference, [level for level in present if level != reference]
