"""Privacy guards: refuse direct identifiers at load time, suppress small cells in outputs.

Two independent tools live here.

* :func:`scan_identifiers` looks for direct identifiers in one table, by column name and by
  value pattern, and returns a problem report (one row per column and rule, never one per
  offending cell), so a 900,000-row table with one bad column gives a one-line report.
  Problem reports never show an identifying value in full: values pass through
  :func:`mask_value` first.
* :func:`suppress_small_cells` masks small counts in a frequency table (primary suppression)
  and then enough other cells that row and column totals cannot reveal them (complementary
  suppression).

Both are heuristics, not a proof of anonymity: they catch the usual direct identifiers and
the usual small-cell disclosures; quasi-identifiers (age + site + sex, say) are out of scope.

Examples
--------
>>> frame = pd.DataFrame({"subject_id": ["S001", "S002"], "email": ["a@b.org", "c@d.org"]})
>>> scan_identifiers("subjects", frame)[["column", "rule"]].to_numpy().tolist()
[['email', 'privacy:column-name'], ['email', 'privacy:email']]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

PROBLEM_COLUMNS = ("table", "row", "column", "value", "rule", "message")
_PROBLEM_DTYPES = dict(zip(PROBLEM_COLUMNS, ["string", "Int64"] + ["string"] * 4, strict=True))

#: Free text: a value with more than this many words ...
FREE_TEXT_MAX_WORDS = 8
#: ... or more than this many characters (MedDRA term names are at most 100 characters).
FREE_TEXT_MAX_CHARACTERS = 100
#: Digits in a run (or in a whole integer) from which a number is taken for an ID number.
LONG_NUMBER_DIGITS = 8
#: A phone number has at least this many digits (and a separator or a leading ``+``).
PHONE_MIN_DIGITS = 9
#: A CDISC-style subject identifier (USUBJID): study, site and subject parts joined by hyphens,
#: e.g. ``01-701-1015``. Pseudonymous, not a phone number, in a subject ID column only.
STUDY_ID_PATTERN = r"[A-Za-z0-9]{1,20}(?:-[A-Za-z0-9]{1,20}){1,3}"
#: Columns that hold subject identifiers, besides those an importer names in
#: ``frame.attrs["subject_id_columns"]``: the standard's and CDISC's names.
SUBJECT_ID_COLUMNS = ("subject_id", "USUBJID", "SUBJID")

# Column-name rule: phrases of whole tokens of the normalised name, by kind of identifier.
# "name" on its own is handled separately (only the bare name "name" or a person's name
# such as "patient_name"; "site_name" or "test_name" pass). "city" and "country" are
# quasi-identifiers, not direct ones, and pass.
_NAME_PHRASES: dict[str, tuple[str, str]] = {
    "person's name": (
        "surname surnames forename forenames firstname lastname fullname givenname "
        "familyname middlename maidenname initials",
        "first_name last_name given_name family_name middle_name maiden_name full_name "
        "patient_name subject_name participant_name person_name parent_name guardian_name "
        "name_initials",
    ),
    "e-mail address": ("email emails emailaddress mail", "e_mail"),
    "phone number": ("phone phones telephone tel mobile cellphone fax phonenumber", "cell_phone"),
    "network identifier": ("ipaddress url", "ip_address ip_addr mac_address"),
    "postal address": (
        "address addresses addr street zip zipcode postcode postalcode",
        "zip_code post_code postal_code",
    ),
    "date of birth": ("dob birthdate birthday", "birth_date date_of_birth birth_day"),
    "medical record or hospital number": (
        "mrn",
        "medical_record hospital_number hospital_no hospital_id",
    ),
    "national or insurance identifier": (
        "nhs ssn passport",
        "social_security national_id national_identifier national_insurance "
        "insurance_number insurance_id health_card driver_license drivers_license "
        "driving_licence licence_number license_number",
    ),
    "photograph": ("photo photos photograph photographs", "face_image facial_photo"),
}


def _phrase_table() -> list[tuple[str, tuple[str, ...]]]:
    table = []
    for label, (single_tokens, multi_tokens) in _NAME_PHRASES.items():
        for phrase in single_tokens.split() + multi_tokens.split():
            table.append((label, tuple(phrase.split("_"))))
    return table


_PHRASES = _phrase_table()

# A run of digits and separators (captured for the digit count), not inside a word or code.
_PHONE_RUN = r"(?:^|[^\w\-./])(\+?\(?\d[\d ().\-/]{7,}\d)(?:[^\w\-/]|$)"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH_NUMBER = r"(?:0?[1-9]|1[0-2])"
# Value rules, in report order: (rule, what the column looks like, pattern). Patterns use
# no look-arounds and no \s or \S (ASCII white space is spelt out), so pandas can hand
# them to pyarrow's fast regex engine (RE2) instead of Python's ``re``.
_VALUE_RULES = (
    (
        "privacy:email",
        "e-mail addresses",
        r"[^ \t\n\r\f\v@<>(),;:\"\[\]]+"
        r"@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z][A-Za-z0-9\-]+",
    ),
    (
        "privacy:date",
        "calendar dates (use days relative to enrolment)",
        "(?i)"
        + "|".join(
            [
                rf"(?:^|\D)\d{{4}}[-/.]{_MONTH_NUMBER}[-/.]{_DAY}(?:\D|$)",
                rf"(?:^|\D){_DAY}[-/.]{_DAY}[-/.]\d{{4}}(?:\D|$)",
                rf"(?:^|\D){_DAY}/{_DAY}/\d{{2}}(?:\D|$)",
                rf"(?:^|\D){_DAY}(?:st|nd|rd|th)?[ \-.]?{_MONTH}[ \-.,]*\d{{2,4}}(?:\D|$)",
                rf"(?:^|[^a-z]){_MONTH}[ \-.]*{_DAY}(?:st|nd|rd|th)?,?[ \-.]+\d{{4}}(?:\D|$)",
            ]
        ),
    ),
    ("privacy:phone", "phone numbers", _PHONE_RUN.replace(r"(\+?", r"(?:\+?")),
    (
        "privacy:long-number",
        f"long ID numbers ({LONG_NUMBER_DIGITS} or more digits)",
        rf"(?:^|[^\d.])\d{{{LONG_NUMBER_DIGITS},}}",
    ),
    (
        "privacy:free-text",
        f"free text (more than {FREE_TEXT_MAX_WORDS} words "
        f"or {FREE_TEXT_MAX_CHARACTERS} characters)",
        rf"(?:[^ \t\n\r\f\v]+[ \t\n\r\f\v]+){{{FREE_TEXT_MAX_WORDS}}}[^ \t\n\r\f\v]",
    ),
)


def normalise_column_name(name: object) -> str:
    """Return a column name in lower snake case: ``"PatientName"`` → ``"patient_name"``.

    CamelCase boundaries become ``_``; every run of characters other than ``a-z0-9``
    becomes one ``_``; leading and trailing ``_`` are dropped.

    Examples
    --------
    >>> normalise_column_name("Patient Name"), normalise_column_name("IPAddress")
    ('patient_name', 'ip_address')
    """
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", str(name))
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def identifier_kind(name: object) -> str | None:
    """Return which kind of direct identifier a column name denotes, or ``None``.

    The name is normalised (:func:`normalise_column_name`) and split on ``_`` into tokens;
    an identifier phrase matches whole consecutive tokens, never a substring, so ``"zip"``
    matches ``"zip_code"`` but not ``"zipper"``. ``"name"`` matches only on its own or
    after a person word (``first_name``, ``patient_name``), not ``site_name``.

    Examples
    --------
    >>> identifier_kind("Date of Birth"), identifier_kind("site_name")
    ('date of birth', None)
    """
    tokens = tuple(normalise_column_name(name).split("_"))
    if tokens == ("name",):
        return "person's name"
    for label, phrase in _PHRASES:
        width = len(phrase)
        if any(tokens[start : start + width] == phrase for start in range(len(tokens))):
            return label
    return None


def mask_value(text: object, max_length: int = 40) -> str:
    """Mask a value so that a problem report never shows it in full.

    Punctuation and white space are kept (they show the value's shape); every letter and
    digit becomes ``*`` except the first letter or digit of the value, which is kept only
    if the value has at least two letters or digits. A value with no letter or digit is
    masked entirely. The result is cut to ``max_length`` characters, plus ``…``.

    Examples
    --------
    >>> mask_value("jane.doe@example.org")
    'j***.***@*******.***'
    >>> mask_value("2024-06-18"), mask_value("+44 20 7946 0958")
    ('2***-**-**', '+4* ** **** ****')
    """
    text = str(text)
    alphanumeric = sum(character.isalnum() for character in text)
    if alphanumeric == 0:
        masked = "*" * len(text)
    else:
        kept_first = alphanumeric < 2
        characters = []
        for character in text:
            if not character.isalnum():
                characters.append(character)
            elif kept_first:
                characters.append("*")
            else:
                characters.append(character)
                kept_first = True
        masked = "".join(characters)
    return masked if len(masked) <= max_length else masked[:max_length] + "…"


def scan_identifiers(
    table: str,
    frame: pd.DataFrame,
    rows: Sequence[int] | None = None,
    *,
    subject_columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Find direct identifiers in a table, by column name and by value pattern.

    Parameters
    ----------
    table : str
        Name of the table, copied into the report.
    frame : DataFrame
        The table as read (any columns, any dtypes).
    rows : sequence of int, optional
        The user-facing row number of each row of ``frame`` (aligned by position, e.g. the
        line number in the user's CSV). Default: 1-based position.
    subject_columns : sequence of str, optional
        The columns holding subject identifiers, where a CDISC-style ID such as
        ``01-701-1015`` (:data:`STUDY_ID_PATTERN`) is a study ID, not a phone number.
        Default: :data:`SUBJECT_ID_COLUMNS` and the columns an importer lists in
        ``frame.attrs["subject_id_columns"]`` (the source of the mapped ``subject_id``).

    Returns
    -------
    DataFrame
        One row per problem, empty if none, with the columns

        * ``table`` -- ``table``;
        * ``row`` -- user-facing row number of the first offending row (``NA`` for a
          column-name problem);
        * ``column`` -- the offending column;
        * ``value`` -- the first offending value, masked by :func:`mask_value`;
        * ``rule`` -- ``privacy:column-name``, ``privacy:email``, ``privacy:date``,
          ``privacy:phone``, ``privacy:long-number`` or ``privacy:free-text``;
        * ``message`` -- what was found, in how many rows, and where first.

    Notes
    -----
    * Column names: see :func:`identifier_kind`. The standard's own column names never
      match.
    * Values: only string, object and categorical columns are matched against patterns,
      one pattern per rule, on the column's distinct values (found once with
      ``pd.factorize``; the codes map offending values back to rows for the count).
      ``email``: ``local-part@domain.tld``. ``date``: ISO ``2024-06-18`` (also with ``/``
      or ``.``), ``18/06/2024``, ``06-18-2024``, ``18/06/24``, ``18 June 2024``,
      ``18JUN2024``, ``June 18, 2024`` (English month names and abbreviations), with or
      without a time. ``phone``: a run of digits and separators (space, ``.()-/``), not
      inside a word or code such as ``ACN-2024-00017``, with ``PHONE_MIN_DIGITS`` (9) to
      15 digits, that starts with ``+`` or contains a separator, is not a plain decimal
      number and is not a date. ``long-number``: ``LONG_NUMBER_DIGITS`` (8) or more
      consecutive digits, not after a decimal point. ``free-text``: more than
      ``FREE_TEXT_MAX_WORDS`` (8) words (separated by ASCII white space) or more than
      ``FREE_TEXT_MAX_CHARACTERS`` (100) characters; adverse-event terms such as
      "Drug reaction with eosinophilia and systemic symptoms" (7 words) pass.
    * In a subject ID column (``subject_columns``), a value made only of two to four
      hyphen-joined letter-and-digit parts (CDISC's USUBJID, study-site-subject) is not a
      phone number; in any other column it still is.
    * Numeric columns (integer, or float as a CSV with missing values gives) are taken for
      ID numbers where a whole-number value has 8 or more digits (absolute value at least
      10,000,000): no count, dose or day in the standard comes near. Datetime columns are
      calendar dates, every non-missing row. Boolean columns are not scanned.

    Examples
    --------
    >>> frame = pd.DataFrame({"subject_id": ["S001", "S002", "S003"],
    ...                       "contact": ["none", "+44 20 7946 0958", "020 7946 0959"]})
    >>> report = scan_identifiers("subjects", frame, rows=[2, 3, 4])
    >>> report.loc[0, "message"]
    "column 'contact' looks like phone numbers in 2 rows (first at row 3)"
    >>> report.loc[0, "value"]
    '+4* ** **** ****'
    >>> ids = pd.DataFrame({"USUBJID": ["01-701-1015"], "note": ["01-701-1015"]})
    >>> scan_identifiers("adsl", ids)[["column", "rule"]].to_numpy().tolist()
    [['note', 'privacy:phone']]
    """
    row_numbers = _row_numbers(frame, rows)
    if subject_columns is None:
        subject_columns = (*SUBJECT_ID_COLUMNS, *frame.attrs.get("subject_id_columns", ()))
    subject_columns = {str(name) for name in subject_columns}
    problems = []
    for position, name in enumerate(frame.columns):
        kind = identifier_kind(name)
        if kind is not None:
            message = (
                f"column {str(name)!r} is named like a direct identifier ({kind}); "
                "remove it, or map it to a standard column if it is not one"
            )
            problems.append(_problem(name, pd.NA, pd.NA, "privacy:column-name", message))
        study_ids = str(name) in subject_columns
        problems.extend(_scan_column(name, frame.iloc[:, position], row_numbers, study_ids))
    report = pd.DataFrame(problems, columns=list(PROBLEM_COLUMNS[1:]))
    report.insert(0, "table", table)
    return report.astype(_PROBLEM_DTYPES)


def _problem(column: object, row, value, rule: str, message: str) -> dict:
    return {"row": row, "column": str(column), "value": value, "rule": rule, "message": message}


def _row_numbers(frame: pd.DataFrame, rows: Sequence[int] | None) -> np.ndarray:
    if rows is None:
        return np.arange(1, len(frame) + 1)
    numbers = np.asarray(rows)
    if numbers.shape != (len(frame),):
        raise ValueError(
            f"rows must give one row number per row of the frame: "
            f"got {numbers.size} for {len(frame)} rows"
        )
    return numbers


def _value_problem(name, rule: str, looks_like: str, offending, row_numbers, first_value):
    """One problem for a column: ``offending`` is a boolean array over the frame's rows."""
    count = int(np.count_nonzero(offending))
    first = int(np.argmax(offending))
    row = int(row_numbers[first])
    message = (
        f"column {str(name)!r} looks like {looks_like} in {count} "
        f"row{'s' if count != 1 else ''} (first at row {row})"
    )
    return _problem(name, row, mask_value(first_value(first)), rule, message)


def _scan_column(name, column: pd.Series, row_numbers: np.ndarray, study_ids=False) -> list[dict]:
    if pd.api.types.is_bool_dtype(column.dtype):
        return []
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        offending = column.notna().to_numpy()
        if not offending.any():
            return []
        looks_like = _VALUE_RULES[1][1]
        value = column.iloc[int(np.argmax(offending))]
        return [
            _value_problem(
                name, "privacy:date", looks_like, offending, row_numbers, lambda _: value
            )
        ]
    if pd.api.types.is_numeric_dtype(column.dtype):
        return _scan_numbers(name, column, row_numbers)
    return _scan_strings(name, column, row_numbers, study_ids)


def _scan_numbers(name, column: pd.Series, row_numbers: np.ndarray) -> list[dict]:
    values = column.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        offending = (np.abs(values) >= 10 ** (LONG_NUMBER_DIGITS - 1)) & (
            values == np.floor(values)
        )
    if not offending.any():
        return []
    return [
        _value_problem(
            name,
            "privacy:long-number",
            _VALUE_RULES[3][1],
            offending,
            row_numbers,
            lambda first: f"{values[first]:.0f}",
        )
    ]


def _scan_strings(name, column: pd.Series, row_numbers: np.ndarray, study_ids=False) -> list[dict]:
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = pd.Series(uniques).astype("str")
    flags = _value_flags(texts)
    if study_ids and flags["privacy:phone"].any():
        cdisc = texts.str.strip().str.fullmatch(STUDY_ID_PATTERN).to_numpy(dtype=bool)
        flags["privacy:phone"] &= ~cdisc
    problems = []
    for rule, looks_like, _ in _VALUE_RULES:
        bad = flags[rule]
        if not bad.any():
            continue
        offending = np.append(bad, False)[codes]
        problems.append(
            _value_problem(
                name, rule, looks_like, offending, row_numbers, lambda first: column.iloc[first]
            )
        )
    return problems


def _value_flags(texts: pd.Series) -> dict[str, np.ndarray]:
    """Which of the distinct values ``texts`` break each value rule."""
    flags = {
        rule: texts.str.contains(pattern, regex=True).to_numpy(dtype=bool, na_value=False)
        for rule, _, pattern in _VALUE_RULES
        if rule != "privacy:free-text"
    }
    phone = flags["privacy:phone"] & ~flags["privacy:date"]
    phone[phone] = _is_phone_number(texts[phone])
    flags["privacy:phone"] = phone
    lengths = texts.str.len().to_numpy()
    wordy = lengths >= 2 * FREE_TEXT_MAX_WORDS + 1
    wordy[wordy] = texts[wordy].str.contains(_VALUE_RULES[-1][2], regex=True).to_numpy(bool)
    flags["privacy:free-text"] = wordy | (lengths > FREE_TEXT_MAX_CHARACTERS)
    return flags


def _is_phone_number(texts: pd.Series) -> np.ndarray:
    """Whether the first phone-like run of each text is a phone number (see Notes above)."""
    spans = texts.str.extract(_PHONE_RUN, expand=False)
    digits = spans.str.count(r"\d").to_numpy()
    separated = spans.str.contains(r"^\+|[ ().\-/]", regex=True).to_numpy(dtype=bool)
    decimal = spans.str.fullmatch(r"\d+\.\d+").to_numpy(dtype=bool)
    return (digits >= PHONE_MIN_DIGITS) & (digits <= 15) & separated & ~decimal


def date_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of ``frame`` that :func:`scan_identifiers` takes for calendar dates.

    Datetime columns with a value, and text or object columns with at least one value that
    looks like a date (the ``privacy:date`` rule). Importers use it to say, once, how to turn
    dates into days; the scan itself still reports every such column.

    Examples
    --------
    >>> frame = pd.DataFrame({"visit_date": ["2024-06-18", None], "iga": ["3", "2"],
    ...                       "onset": pd.to_datetime(["2024-06-20", None])})
    >>> date_columns(frame)
    ['visit_date', 'onset']
    """
    return [
        str(name)
        for position, name in enumerate(frame.columns)
        if date_cells(frame.iloc[:, position]).any()
    ]


def date_cells(column: pd.Series) -> np.ndarray:
    """Which values of a column look like calendar dates (the ``privacy:date`` rule).

    Every present value of a datetime column; text and object values matching the rule;
    never a number or a boolean. Importers blank these cells before building the tables,
    so that a date not converted to days cannot reach a table or a message.

    Examples
    --------
    >>> date_cells(pd.Series(["cheilitis", "18JUN2024", None])).tolist()
    [False, True, False]
    """
    if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
        return np.zeros(len(column), dtype=bool)
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return column.notna().to_numpy()
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = pd.Series(uniques).astype("str")
    flags = texts.str.contains(_VALUE_RULES[1][2], regex=True).to_numpy(dtype=bool)
    return np.append(flags, False)[codes]


def suppress_small_cells(
    table: pd.DataFrame, k: int = 5, *, zero_is_small: bool = False
) -> pd.DataFrame:
    """Mask small counts in a frequency table, and enough others that totals cannot reveal them.

    Parameters
    ----------
    table : DataFrame
        Counts (non-negative whole numbers, no missing values), rows × columns, e.g.
        arms × categories, without margins.
    k : int, default 5
        Counts from 1 to ``k - 1`` are small.
    zero_is_small : bool, default False
        Treat 0 as small too (when an empty cell itself discloses something, e.g. "no one
        in this arm at this site had the event").

    Returns
    -------
    DataFrame
        The counts as nullable integers (``Int64``), same index and columns, with
        ``pd.NA`` in every masked cell. ``result.attrs["suppressed"]`` is a boolean
        DataFrame of the same shape, ``True`` where masked.

    Raises
    ------
    ValueError
        If ``k`` is not a whole number of at least 1, or a count is missing, negative, not
        a whole number or not numeric.

    Notes
    -----
    1. Primary suppression: every count ``c`` with ``1 <= c < k`` (and ``c == 0`` if
       ``zero_is_small``) is masked.
    2. Complementary suppression: any row or column (of at least two cells) with exactly
       one masked cell gets a second one: its smallest unmasked non-zero count (ties: the
       first), or its first unmasked zero if there is no non-zero count left, since a
       total minus known zeros still reveals the masked cell. Rows, then columns, are
       swept in order until no line has exactly one masked cell; a mask added to a column
       can leave a row with a single masked cell, so the sweep cascades.

    This is a heuristic. It keeps a single masked cell from being recovered by subtraction
    from a row or column total; it does not guarantee a minimum width of the interval an
    intruder can derive by combining several totals, nor is it minimal (tools such as
    sdcTable or tau-Argus optimise that). Margins to be published must be computed by the
    caller from the *unsuppressed* table, and are themselves counts that may need checking
    (a total below ``k`` is itself a small cell).

    Examples
    --------
    >>> counts = pd.DataFrame({"mild": [2, 30, 8], "moderate": [10, 40, 9],
    ...                        "severe": [20, 50, 60]}, index=["a", "b", "c"])
    >>> suppress_small_cells(counts, k=5)
       mild  moderate  severe
    a  <NA>      <NA>      20
    b    30        40      50
    c  <NA>      <NA>      60
    """
    counts = _checked_counts(table, k)
    masked = (counts >= 1) & (counts < k)
    if zero_is_small:
        masked |= counts == 0
    _complement_lines(counts, masked)
    result = pd.DataFrame(counts, index=table.index, columns=table.columns).astype("Int64")
    result = result.mask(masked)
    result.attrs["suppressed"] = pd.DataFrame(masked, index=table.index, columns=table.columns)
    return result


def _checked_counts(table: pd.DataFrame, k: int) -> np.ndarray:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be a whole number of at least 1, got {k!r}")
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a DataFrame of counts, got {type(table).__name__}")
    for name, column in table.items():
        dtype = column.dtype
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            raise ValueError(f"counts must be numeric; column {name!r} has dtype {dtype}")
    values = table.to_numpy(dtype="float64", na_value=np.nan)
    if np.isnan(values).any():
        raise ValueError("counts must not be missing; the table has missing values")
    if (values < 0).any():
        raise ValueError(f"counts must not be negative; the smallest is {values.min():g}")
    if (values != np.floor(values)).any() or np.isinf(values).any():
        raise ValueError("counts must be whole numbers; the table has fractions or infinity")
    return values.astype("int64")


def _complement_lines(counts: np.ndarray, masked: np.ndarray) -> None:
    """Complementary suppression, in place on ``masked`` (see :func:`suppress_small_cells`)."""
    changed = True
    while changed:
        changed = False
        for line_counts, line_masked in ((counts, masked), (counts.T, masked.T)):
            for position in range(line_masked.shape[0]):
                mask = line_masked[position]
                if mask.size < 2 or np.count_nonzero(mask) != 1:
                    continue
                line = line_counts[position]
                candidates = ~mask & (line > 0)
                if not candidates.any():
                    candidates = ~mask
                mask[np.argmin(np.where(candidates, line, np.iinfo(np.int64).max))] = True
                changed = True
