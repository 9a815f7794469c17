"""Dates to days: each subject's day 0 (the anchor) and date columns turned into days from it.

A date identifies a person; the standard holds days instead. An importer names the date that is
day 0 (``"anchor"``, e.g. the consent or randomisation date: each subject's own) and the date
columns to convert (``"dates"``); each becomes the number of calendar days from the subject's
day 0 (the day itself is 0, the day before -1). No date, and no part of one, reaches a table or a
message: a value that is not a date is reported masked.

Dates are read from datetime columns (Excel, SAS with a date format), from ``datetime.date``
objects (SAS), from numbers (SAS dates without a format: days since 1 January 1960) and from
text (ISO 8601, ``2024-06-18``, unless the mapping's ``date_format`` says otherwise).

CDISC analysis days (``ADY``, ``ASTDY``) have no day 0: day 1 is the reference date (usually the
first dose, ``TRTSDT``) and the day before it is -1. :func:`cdisc_days` turns them into days from
the reference date.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from acne_outcomes.privacy import mask_value
from acne_outcomes.validate import concat_problems, empty_problems, make_problems

#: Day 0 of SAS dates stored as numbers.
SAS_EPOCH = pd.Timestamp("1960-01-01")


def parse_dates(column: pd.Series, *, date_format: str | None = None):
    """Parse a column to dates (midnight), with a mask of the values that are not dates.

    Parameters
    ----------
    column : pandas.Series
        Datetimes, ``datetime.date`` objects, numbers (SAS dates) or text.
    date_format : str, optional
        The ``strftime`` format of text dates; default ISO 8601 (with or without a time).

    Returns
    -------
    dates : pandas.Series
        ``datetime64`` values at midnight, ``NaT`` where missing or not a date.
    bad : numpy.ndarray
        Values present but not dates.

    Examples
    --------
    >>> dates, bad = parse_dates(pd.Series(["2024-06-18", "", None, "18/06/2024"]))
    >>> dates.dt.strftime("%Y-%m-%d").tolist(), bad.tolist()
    (['2024-06-18', nan, nan, nan], [False, False, False, True])
    >>> parse_dates(pd.Series([0.0, 1.5]))[0].dt.day.tolist()
    [1, 2]
    """
    column = column.reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        dates = column
        if getattr(dates.dt, "tz", None) is not None:
            dates = dates.dt.tz_localize(None)
        return dates.dt.normalize().astype("datetime64[ns]"), np.zeros(len(column), dtype=bool)
    if pd.api.types.is_bool_dtype(column.dtype):
        return pd.Series(
            pd.NaT, index=column.index, dtype="datetime64[ns]"
        ), column.notna().to_numpy()
    if pd.api.types.is_numeric_dtype(column.dtype):
        numbers = column.astype("float64").to_numpy(na_value=np.nan)
        finite = np.isfinite(numbers)
        days = np.where(finite, np.floor(np.where(finite, numbers, 0)), np.nan)
        dates = SAS_EPOCH + pd.to_timedelta(days, unit="D")
        return pd.Series(dates, index=column.index).astype("datetime64[ns]"), ~finite & ~np.isnan(
            numbers
        )

    def as_text(value):
        if isinstance(value, (datetime.date, pd.Timestamp)):
            return value.isoformat()
        if isinstance(value, float) and np.isnan(value):
            return None
        return str(value)

    text = column.astype(object).map(as_text, na_action="ignore").astype("string").str.strip()
    text = text.mask(text == "")
    if date_format is None:
        dates = pd.to_datetime(text, format="ISO8601", errors="coerce")
    else:
        dates = pd.to_datetime(text, format=date_format, errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    dates = dates.dt.normalize().astype("datetime64[ns]")
    bad = (text.notna() & dates.isna()).to_numpy()
    return dates, bad


def _bad_dates(bad, column, values, rows, file_label, date_format):
    if not bad.any():
        return empty_problems()
    written = date_format or "YYYY-MM-DD (ISO 8601)"
    shown = [mask_value(value) for value in pd.Series(values).reset_index(drop=True)[bad]]
    return make_problems(
        file_label, "date",
        f"{column} is not a date written as {written}: correct it, or set \"date_format\" "
        "in the mapping (the value is masked)",
        rows=np.asarray(rows)[bad], column=column, values=shown,
    )  # fmt: skip


def subject_anchors(
    ids: pd.Series, values: pd.Series, rows, *, column: str, file_label: str, date_format=None
) -> tuple[pd.Series, pd.DataFrame]:
    """Each subject's day 0: the first date of the anchor column among the subject's rows.

    Returns ``(anchors, problems)``: a ``datetime64`` series indexed by subject, and the rows
    where the anchor is not a date or differs from the subject's first one.

    Examples
    --------
    >>> ids = pd.Series(["S1", "S1", "S2"])
    >>> anchors, problems = subject_anchors(ids, pd.Series(["2024-01-10", None, "2024-02-01"]),
    ...                                     [2, 3, 4], column="consent", file_label="x.csv")
    >>> anchors.dt.day.to_dict(), problems.empty
    ({'S1': 10, 'S2': 1}, True)
    """
    rows = np.asarray(rows)
    dates, bad = parse_dates(values, date_format=date_format)
    ids = ids.reset_index(drop=True).astype("string")
    known = dates.notna() & ids.notna()
    anchors = dates[known].groupby(ids[known], sort=False).first()
    first = ids.map(anchors)
    differs = (known & (dates != first)).to_numpy()
    problems = [_bad_dates(bad, column, values, rows, file_label, date_format)]
    if differs.any():
        problems.append(
            make_problems(
                file_label, "anchor",
                f"{column} is day 0, so it must be the same on every row of a subject; this row "
                "differs from the subject's first",
                rows=rows[differs], column=column, values=ids[differs],
            )
        )  # fmt: skip
    return anchors, concat_problems(problems)


def days_from_anchor(
    ids: pd.Series | None, values: pd.Series, anchors: pd.Series, rows, *, column: str,
    file_label: str, date_format=None,
) -> tuple[pd.Series, pd.DataFrame]:  # fmt: skip
    """Turn a date column into whole days from each subject's day 0.

    Returns ``(days, problems)``: nullable integers (missing where the date is), and the rows
    whose value is not a date or whose subject has no day 0.

    Examples
    --------
    >>> anchors = pd.Series(pd.to_datetime(["2024-01-10"]), index=["S1"])
    >>> days, _ = days_from_anchor(pd.Series(["S1", "S1", "S2"]),
    ...     pd.Series(["2024-01-10", "2024-02-09", None]), anchors, [2, 3, 4],
    ...     column="visit_date", file_label="x.csv")
    >>> days.tolist()
    [0, 30, <NA>]
    """
    rows = np.asarray(rows)
    dates, bad = parse_dates(values, date_format=date_format)
    if ids is None:
        day0 = pd.Series(pd.NaT, index=dates.index, dtype="datetime64[ns]")
    else:
        day0 = ids.reset_index(drop=True).astype("string").map(anchors).astype("datetime64[ns]")
    days = (dates - day0).dt.days
    no_anchor = (dates.notna() & day0.isna()).to_numpy()
    problems = [_bad_dates(bad, column, values, rows, file_label, date_format)]
    if no_anchor.any():
        who = ids.reset_index(drop=True)[no_anchor] if ids is not None else None
        problems.append(
            make_problems(
                file_label, "anchor",
                f"the subject has no day 0 (anchor date), so {column} cannot become days",
                rows=rows[no_anchor], column=column, values=who,
            )
        )  # fmt: skip
    return days.astype("Int64"), concat_problems(problems)


def cdisc_days(days) -> np.ndarray:
    """CDISC analysis days (no day 0: day 1 is the reference date) as days from the reference.

    Examples
    --------
    >>> cdisc_days([1, 2, 29, -1, np.nan]).tolist()
    [0.0, 1.0, 28.0, -1.0, nan]
    """
    days = np.asarray(days, dtype="float64")
    return np.where(days > 0, days - 1, days)
