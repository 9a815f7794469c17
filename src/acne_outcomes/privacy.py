"""Privacy guards: refuse direct identifiers at load time, suppress small cells in outputs.

Two independent tools live here.

* :func:`scan_identifiers` looks for direct identifiers in one table, by column name and by
  value pattern, and returns a problem report (one row per column and rule, never one per
  offending cell), so a 900,000-row table with one bad column gives a one-line report.
  Problem reports never show an identifying value in full: values pass through
  :func:`mask_value` first, and :func:`redact_problems` masks every value, column name and
  message of any other problem report that an identifier rule would flag, so that a type or
  category problem on the same cell cannot print it either.
* The small-cell policy, in one place: :data:`SMALL_CELL_K`, what counts as small and
  complementary suppression are :class:`SmallCellPolicy` (:func:`small_cell_policy` gives the
  project's); :func:`suppress_small_cells` masks small counts in a frequency table (primary
  suppression) and then enough other cells that row and column totals cannot reveal them
  (complementary suppression); :meth:`SmallCellPolicy.redact_text` says "fewer than k" for a
  small count quoted in a sentence.

Names are found with a name list and a pattern model (:func:`looks_like_name`): the given and
family names of every locale of the ``faker`` package (about 20,000 of each, Latin script),
in the shapes names take in data (``Jane Doe``, ``SMITH, John``, ``Dr Smith``, ``J. Smith``,
``jane doe``), never the words of clinical vocabulary nor institution names.

Both are heuristics, not a proof of anonymity: they catch the usual direct identifiers and
the usual small-cell disclosures; quasi-identifiers (age + site + sex, say) are out of scope.

Examples
--------
>>> frame = pd.DataFrame({"subject_id": ["S001", "S002"], "email": ["a@b.org", "c@d.org"]})
>>> scan_identifiers("subjects", frame)[["column", "rule"]].to_numpy().tolist()
[['email', 'privacy:column-name'], ['email', 'privacy:email']]
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
        "name_initials pt_name client_name",
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
#: Phrases that are also found run together (``patientname``, ``dateofbirth``): every phrase of
#: two or more tokens, and the longer one-token ones, matched inside a name's tokens joined.
_JOINED = [
    (label, "".join(phrase))
    for label, phrase in _PHRASES
    if len("".join(phrase)) >= 7 and (len(phrase) > 1 or len(phrase[0]) >= 8)
]

# Letters beyond ASCII (accented Latin, Greek, Cyrillic, ...), written out so that both
# Python's re and RE2 read the class.
_WIDE = "\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
# Dashes and spaces other than ASCII that people type in phone numbers and dates.
_DASHES = "\u2010-\u2015\u2212"
_SPACES = "\u00a0\u2009\u202f"
_SEPARATOR = rf"[ ().\-/{_DASHES}{_SPACES}]"
# A run of digits and separators (captured for the digit count), not inside a word or code.
_PHONE_RUN = rf"(?:^|[^\w\-./])(\+?\(?\d(?:\d|{_SEPARATOR}){{7,}}\d)(?:[^\w\-/]|$)"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
    # French, German, Dutch, Spanish, Italian and Portuguese month names and abbreviations
    "|janv(?:ier)?|f[e\u00e9]vr?(?:ier)?|mars|avr(?:il)?|mai|juin|juil(?:let)?|ao[u\u00fb]t"
    "|sept(?:embre)?|octobre|novembre|d[e\u00e9]c(?:embre)?"
    "|januar|februar|m(?:\u00e4|ae)rz|juni|juli|oktober|dezember|januari|februari|maart|mei"
    "|augustus|enero|febrero|marzo|abril|mayo|junio|julio|agosto|sept?iembre|octubre"
    "|noviembre|diciembre|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre"
    "|dicembre|janeiro|fevereiro|mar[c\u00e7]o|maio|junho|julho|setembro|outubro|dezembro"
    r")\.?"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH_NUMBER = r"(?:0?[1-9]|1[0-2])"
_DAY2 = r"(?:0[1-9]|[12]\d|3[01])"
_MONTH2 = r"(?:0[1-9]|1[0-2])"
_DATE_DASH = rf"[-/.{_DASHES}]"
# Value rules, in report order: (rule, what the column looks like, pattern). Patterns use
# no look-arounds and no \s or \S (ASCII white space is spelt out), so pandas can hand
# them to pyarrow's fast regex engine (RE2) instead of Python's ``re``.
_VALUE_RULES = (
    (
        "privacy:email",
        "e-mail addresses",
        r"[^ \t\n\r\f\v@<>(),;:\"\[\]]+"
        rf"@[A-Za-z0-9\-{_WIDE}]+(?:\.[A-Za-z0-9\-{_WIDE}]+)*\.[A-Za-z{_WIDE}][A-Za-z0-9\-{_WIDE}]+",
    ),
    (
        "privacy:date",
        "calendar dates (use days relative to enrolment)",
        "(?i)"
        + "|".join(
            [
                rf"(?:^|\D)\d{{4}}{_DATE_DASH}{_MONTH_NUMBER}{_DATE_DASH}{_DAY}(?:\D|$)",
                rf"(?:^|\D){_DAY}{_DATE_DASH}{_DAY}{_DATE_DASH}\d{{4}}(?:\D|$)",
                rf"(?:^|\D){_DAY}/{_DAY}/\d{{2}}(?:\D|$)",
                rf"(?:^|[^\d.\-]){_DAY2}[-.{_DASHES}]{_MONTH2}[-.{_DASHES}]\d{{2}}(?:[^\d.\-]|$)",
                rf"(?:^|[^\d.\-]){_MONTH2}[-.{_DASHES}]{_DAY2}[-.{_DASHES}]\d{{2}}(?:[^\d.\-]|$)",
                rf"(?:^|\D){_DAY}(?:st|nd|rd|th|er|e)?[ \-.{_SPACES}]{{0,2}}(?:de )?{_MONTH}"
                rf"[ \-.,{_SPACES}]*(?:de )?\d{{2,4}}(?:\D|$)",
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
        "privacy:name",
        "people's names",
        # a prefilter (two words, or a title): looks_like_name decides
        rf"[A-Za-z{_WIDE}][^ \t\n\r\f\v,()]*[ ,]+[^ \t\n\r\f\v,()]*[A-Za-z{_WIDE}]",
    ),
    (
        "privacy:free-text",
        f"free text (more than {FREE_TEXT_MAX_WORDS} words "
        f"or {FREE_TEXT_MAX_CHARACTERS} characters)",
        rf"(?:[^ \t\n\r\f\v]+[ \t\n\r\f\v]+){{{FREE_TEXT_MAX_WORDS}}}[^ \t\n\r\f\v]",
    ),
)
_RULE = {rule: (looks_like, pattern) for rule, looks_like, pattern in _VALUE_RULES}

# ----------------------------------------------------------------------------- names

_UPPER = "A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017f"
_LOWER = "a-z\u00df-\u00f6\u00f8-\u00ff\u0100-\u017f\u0131"
_TITLE_TOKEN = re.compile(
    rf"(?:[{_UPPER}]['\u2019])?[{_UPPER}][{_LOWER}]+(?:[{_UPPER}][{_LOWER}]+)?"
    rf"(?:-(?:[{_UPPER}]['\u2019])?[{_UPPER}]?[{_LOWER}]+)*"
)
_UPPER_TOKEN = re.compile(rf"(?:[{_UPPER}]['\u2019])?[{_UPPER}]{{2,}}(?:-[{_UPPER}]+)*")
_LOWER_TOKEN = re.compile(rf"[{_LOWER}]+(?:['\u2019\-][{_LOWER}]+)*")
_INITIAL = re.compile(rf"[{_UPPER}]\.")
_WORDS = re.compile(
    rf"[{_UPPER}{_LOWER}](?:[{_UPPER}{_LOWER}'\u2019\-]*[{_UPPER}{_LOWER}])?\.?|[,()/:;]"
)
_NAME_LETTERS = re.compile(rf"[{_UPPER}{_LOWER}'\u2019\-]{{2,}}")
_HONORIFICS = frozenset(
    "dr mr mrs ms miss mx prof sir dame herr frau mme mlle sr sra sig dott".split()
)
#: Words of clinical data that are also given or family names somewhere (``Nail``, ``Oral``,
#: ``Lips``, ``Mark``): never taken for a name.
_CLINICAL_WORDS = frozenset(
    """
    abdominal abscess acne active acute adverse aggression alopecia anaemia application area
    areata arm arms back baseline benign blindness blood body bone bowel brain breast burning
    cancer candidiasis cell chapped chest clinic cold colitis control cough cream cyst day
    decreased deep depressed disease disorder dose dry dryness dystrophy ear early erythema
    event eye eyes face fall fatigue female fever flare flu foot gel grace growth hair hand
    head heart high hope hospital increased infection injury joint june kidney late leg
    lesion lesions lip lips liver long loss low lung major male mark mass may minor month
    mood mouth muscle nail nails neck nerve night nodule nose oral other pain palsy patch
    period phenomenon plaque pressure rash reaction red renal rose scar scars severe short
    site skin sleep sore spot spots stone stomach sun swelling syndrome tablet test throat
    tooth treatment tumour ulcer vehicle visit vision week white will wound year
    general royal saint st king queen prince princess grand north south east west central
    university centre center college institute trust foundation school department patient
    subject participant site lead reported seen by study placebo drug sarecycline
    """.split()
)
_INSTITUTION = re.compile(
    r"(?i)(?:hospital|clinic|klinik|centre|center|universit|infirmary|institut|college|trust"
    r"|foundation|school|department|h[o\u00f4]pital|charit|medical|health|practice|surgery)"
)


@functools.cache
def _name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """Given names and family names (case-folded, Latin script) of every faker locale."""
    import faker.providers.person as person

    given, family = set(), set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        for attribute in dir(provider):
            if attribute.startswith("first_names"):
                target = given
            elif attribute.startswith("last_names"):
                target = family
            else:
                continue
            names = getattr(provider, attribute)
            if isinstance(names, dict | tuple | list):
                target.update(
                    str(name).casefold() for name in names if _NAME_LETTERS.fullmatch(str(name))
                )
    return frozenset(given - _CLINICAL_WORDS), frozenset(family - _CLINICAL_WORDS)


def _token_kind(token: str) -> str:
    """``T`` Title case, ``U`` upper case, ``l`` lower case, ``i`` an initial, else ``?``."""
    bare = token.rstrip(".")
    if _INITIAL.fullmatch(token):
        return "i"
    if _TITLE_TOKEN.fullmatch(bare):
        return "T"
    if _UPPER_TOKEN.fullmatch(bare):
        return "U"
    if _LOWER_TOKEN.fullmatch(bare):
        return "l"
    return "?"


def looks_like_name(text: object) -> bool:
    """Whether a value holds a person's name, as names are written in data.

    The model: a value naming an institution (hospital, clinic, university, ...) holds no
    person's name; otherwise two neighbouring words make a name when, with ``given`` and
    ``family`` the given and family names of every locale of the ``faker`` package and no word
    of clinical vocabulary counted as either,

    * a title (Dr, Mr, Mrs, Ms, Prof, ...) comes before a capitalised word: ``Dr Smith``;
    * an initial comes before a capitalised family name: ``J. Smith``;
    * a capitalised given name comes before a capitalised word: ``Jane Doe``, ``JOHN SMITH``;
    * a capitalised word comes before a capitalised family name: ``Wei Zhang``;
    * a capitalised word, a comma and a given name or an initial: ``SMITH, John``, ``Smith, J.``;
    * the whole value is a given name and a family name in lower case: ``jane doe``.

    Examples
    --------
    >>> [looks_like_name(text) for text in ("Jane Doe", "SMITH, John", "Rash (Jane Doe)",
    ...                                      "Dr. Ahmed Khan", "jane doe", "Kowalski, Jan")]
    [True, True, True, True, True, True]
    >>> [looks_like_name(text) for text in ("dry eyes", "SITE01", "Sarecycline 1.5 mg/kg",
    ...                                      "Vehicle", "Nail Dystrophy", "Royal London Hospital")]
    [False, False, False, False, False, False]
    """
    text = str(text)
    if _INSTITUTION.search(text):
        return False
    if name_spans(text):
        return True
    given, family = _name_lists()
    words = text.split()
    folded = [word.casefold() for word in words]
    return (
        len(words) == 2
        and all(_token_kind(word) == "l" for word in words)
        and folded[0] in given
        and folded[1] in family
    )


def name_spans(text: str) -> list[tuple[int, int]]:
    """Where names stand in a text: ``(start, end)`` of each, by the capitalised shapes of
    :func:`looks_like_name` (not the lower-case whole value, nor the institution rule).

    Examples
    --------
    >>> text = "seen by Dr Brown, then Jane Doe"
    >>> [text[start:end] for start, end in name_spans(text)]
    ['Dr Brown', 'Jane Doe']
    """
    given, family = _name_lists()
    found = list(_WORDS.finditer(text))
    tokens = [match.group() for match in found]
    kinds = [_token_kind(token) for token in tokens]
    folded = [token.rstrip(".").casefold() for token in tokens]

    def capitalised(position: int) -> bool:
        return kinds[position] in "TU" and folded[position] not in _CLINICAL_WORDS

    spans = []
    position = 0
    while position < len(tokens) - 1:
        first, second, last = folded[position], folded[position + 1], None
        if first in _HONORIFICS and kinds[position] in "TU" and capitalised(position + 1):
            last = position + 1
        elif kinds[position] == "i" and capitalised(position + 1) and second in family:
            last = position + 1
        elif (
            capitalised(position)
            and capitalised(position + 1)
            and (
                (first in given and (kinds[position + 1] == "T" or kinds[position] == "U"))
                or (second in family and kinds[position] == kinds[position + 1] == "T")
            )
        ):
            last = position + 1
        elif (
            position + 2 < len(tokens)
            and tokens[position + 1] == ","
            and capitalised(position)
            and (
                kinds[position + 2] == "i"
                or (capitalised(position + 2) and folded[position + 2] in given)
            )
        ):
            last = position + 2
        if last is None:
            position += 1
            continue
        spans.append((found[position].start(), found[last].end()))
        position = last + 1
    return spans


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
    after a person word (``first_name``, ``patient_name``), not ``site_name``. Phrases of
    several words, and single words of eight letters or more, are also found run together
    (``patientname``, ``dateofbirth``, ``patientfirstname``).

    Examples
    --------
    >>> identifier_kind("Date of Birth"), identifier_kind("site_name")
    ('date of birth', None)
    >>> identifier_kind("patientname"), identifier_kind("dateofbirth")
    ("person's name", 'date of birth')
    """
    tokens = tuple(normalise_column_name(name).split("_"))
    if tokens == ("name",):
        return "person's name"
    for label, phrase in _PHRASES:
        width = len(phrase)
        if any(tokens[start : start + width] == phrase for start in range(len(tokens))):
            return label
    joined = "".join(tokens)
    for label, phrase in _JOINED:
        if phrase in joined:
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
          ``privacy:phone``, ``privacy:long-number``, ``privacy:name`` or
          ``privacy:free-text``;
        * ``message`` -- what was found, in how many rows, and where first.

    Notes
    -----
    * Column names: see :func:`identifier_kind`. The standard's own column names never
      match. A column name that is itself an identifying value (an e-mail address, a date,
      a name: a first line of data taken for the header) is a ``privacy:column-name``
      problem too, with the name masked.
    * Values: only string, object and categorical columns are matched against patterns,
      one pattern per rule, on the column's distinct values (found once with
      ``pd.factorize``; the codes map offending values back to rows for the count).
      ``email``: ``local-part@domain.tld`` (letters beyond ASCII too). ``date``: ISO
      ``2024-06-18`` (also with ``/``, ``.`` or a dash), ``18/06/2024``, ``06-18-2024``,
      ``18/06/24``, ``18-06-99``, ``18 June 2024``, ``18JUN2024``, ``June 18, 2024``,
      ``18 juin 2024``, ``18. Juni 2024``, ``18 de junio de 2024`` (English, French,
      German, Dutch, Spanish, Italian and Portuguese month names), with or without a time.
      ``phone``: a run of digits and separators (space, ``.()-/``, dashes such as ``–``,
      non-breaking spaces), not
      inside a word or code such as ``ACN-2024-00017``, with ``PHONE_MIN_DIGITS`` (9) to
      15 digits, that starts with ``+`` or contains a separator, is not a plain decimal
      number and is not a date. ``long-number``: ``LONG_NUMBER_DIGITS`` (8) or more
      consecutive digits, not after a decimal point. ``free-text``: more than
      ``FREE_TEXT_MAX_WORDS`` (8) words (separated by ASCII white space) or more than
      ``FREE_TEXT_MAX_CHARACTERS`` (100) characters; adverse-event terms such as
      "Drug reaction with eosinophilia and systemic symptoms" (7 words) pass. ``name``:
      :func:`looks_like_name`.
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
    header_values = identifying_kinds([str(name) for name in frame.columns])
    for position, name in enumerate(frame.columns):
        kind = identifier_kind(name)
        if kind is not None:
            message = (
                f"column {str(name)!r} is named like a direct identifier ({kind}); "
                "remove it, or map it to a standard column if it is not one"
            )
            problems.append(_problem(name, pd.NA, pd.NA, "privacy:column-name", message))
        elif header_values[position] is not None:
            message = (
                f"a column name looks like {header_values[position]}: is the first line data "
                "rather than a header? Remove the value from the file"
            )
            problems.append(
                _problem(mask_value(name), pd.NA, pd.NA, "privacy:column-name", message)
            )
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


def _matcher(texts: pd.Series):
    """A function ``pattern -> texts.str.contains(pattern)`` for the value rules (``texts``
    has no missing value).

    pandas makes the same choice of engine, but parses the pattern with Python's regex parser
    on every call to make it, which was most of the identifier scan's time on a study of a few
    hundred subjects. The value rules have no look-around and no ``\\s``, so RE2 (pyarrow)
    matches them as Python's ``re`` does on ASCII text without a newline; other text (where
    ``\\d`` and ``$`` differ) goes to Python's ``re``.
    """
    array = pa.array(texts.array, type=pa.large_string())
    plain = (
        pc.all(pc.string_is_ascii(array)).as_py() is not False
        and not pc.any(pc.match_substring(array, "\n")).as_py()
    )
    if plain:
        return lambda pattern: (
            pc.match_substring_regex(array, pattern).to_numpy(zero_copy_only=False).astype(bool)
        )
    values = texts.tolist()
    return lambda pattern: np.fromiter(
        (_compiled(pattern).search(value) is not None for value in values), bool, len(values)
    )


def _contains(texts: pd.Series, pattern: str) -> np.ndarray:
    """``texts.str.contains(pattern)`` for one value rule (see :func:`_matcher`)."""
    return _matcher(texts)(pattern)


@functools.lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _value_flags(texts: pd.Series) -> dict[str, np.ndarray]:
    """Which of the distinct values ``texts`` break each value rule."""
    contains = _matcher(texts)
    flags = {
        rule: contains(pattern) for rule, _, pattern in _VALUE_RULES if rule != "privacy:free-text"
    }
    phone = flags["privacy:phone"] & ~flags["privacy:date"]
    phone[phone] = _is_phone_number(texts[phone])
    flags["privacy:phone"] = phone
    names = flags["privacy:name"].copy()
    names[names] = [looks_like_name(text) for text in texts[names]]
    flags["privacy:name"] = names
    lengths = texts.str.len().to_numpy()
    wordy = lengths >= 2 * FREE_TEXT_MAX_WORDS + 1
    wordy[wordy] = _contains(texts[wordy], _VALUE_RULES[-1][2])
    flags["privacy:free-text"] = wordy | (lengths > FREE_TEXT_MAX_CHARACTERS)
    return flags


def _is_phone_number(texts: pd.Series) -> np.ndarray:
    """Whether the first phone-like run of each text is a phone number (see Notes above)."""
    spans = texts.str.extract(_PHONE_RUN, expand=False)
    digits = spans.str.count(r"\d").to_numpy()
    separated = spans.str.contains(rf"^\+|{_SEPARATOR}", regex=True).to_numpy(dtype=bool)
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
    return np.append(_contains(texts, _VALUE_RULES[1][2]), False)[codes]


def identifying_kinds(texts: Sequence[str]) -> list[str | None]:
    """What each text looks like, if it is an identifying value (free text aside).

    Examples
    --------
    >>> identifying_kinds(["age", "jane@example.org", "Jane Doe", "2024-06-18"])
    [None, 'e-mail addresses', "people's names", 'calendar dates (use days relative to enrolment)']
    """
    if not len(texts):
        return []
    flags = _value_flags(pd.Series([str(text) for text in texts], dtype="str"))
    kinds = [None] * len(texts)
    for rule, looks_like, _ in reversed(_VALUE_RULES):
        if rule == "privacy:free-text":
            continue
        for position in np.flatnonzero(flags[rule]):
            kinds[position] = looks_like
    return kinds


_MESSAGE_FINDERS = (
    re.compile(_RULE["privacy:email"][1]),
    re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"),
    re.compile(rf"(?<![\w.]){_DAY}(?:st|nd|rd|th)?[ \-.]{{0,2}}{_MONTH}[ \-.,]*\d{{2,4}}", re.I),
    re.compile(rf"\d{{{LONG_NUMBER_DIGITS},}}"),
    re.compile(rf"\+?\(?\d(?:\d|{_SEPARATOR}){{7,}}\d"),
)


def redact_text(text: str) -> str:
    """Mask every identifying value inside a sentence (names, e-mail addresses, dates, long
    numbers and phone numbers), leaving the rest of the words as they are.

    Examples
    --------
    >>> redact_text("column 'Jane Doe' is not in the standard; see jane@example.org")
    "column 'J*** ***' is not in the standard; see j***@*******.***"
    """
    text = str(text)
    spans = list(name_spans(text))
    for finder in _MESSAGE_FINDERS:
        for match in finder.finditer(text):
            digits = sum(character.isdigit() for character in match.group())
            if finder is _MESSAGE_FINDERS[-1] and not (
                PHONE_MIN_DIGITS <= digits <= 15 and re.search(_SEPARATOR, match.group())
            ):
                continue
            spans.append(match.span())
    if not spans:
        return text
    out, cursor = [], 0
    for start, end in sorted(spans):
        if start < cursor:
            start = cursor
        if start >= end:
            continue
        out.append(text[cursor:start])
        out.append(mask_value(text[start:end], max_length=end - start))
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def redact_problems(problems: pd.DataFrame) -> pd.DataFrame:
    """Mask, in any problem report, every value that an identifier rule would flag.

    A value the identifier scan masks must not be printed in full by another rule (a type,
    category or unit problem on the same cell): every ``value`` that breaks an identifier
    rule (:func:`scan_identifiers`: e-mail, date, phone, long number, name, free text) is
    masked with :func:`mask_value`, and every ``column`` and ``message`` has the identifying
    values inside it masked (:func:`redact_text`). Other problems are left as they are.

    Parameters
    ----------
    problems : pandas.DataFrame
        A problem report (the columns of :data:`PROBLEM_COLUMNS`).

    Returns
    -------
    pandas.DataFrame
        A copy, masked.

    Examples
    --------
    >>> problems = pd.DataFrame({"table": ["subjects"] * 2, "row": [2, 3],
    ...     "column": ["arm", "age"], "value": ["Jane Doe", "twenty"], "rule": ["enum", "type"],
    ...     "message": ["must be one of: a, b", "must be a whole number"]})
    >>> redact_problems(problems)["value"].tolist()
    ['J*** ***', 'twenty']
    """
    if problems.empty:
        return problems
    out = problems.copy()
    present = out["value"].notna().to_numpy()
    about_ids = (
        out["column"]
        .astype("string")
        .str.contains("|".join(SUBJECT_ID_COLUMNS), regex=True)
        .to_numpy(dtype=bool, na_value=False)
    )
    for study_ids in (False, True):
        chosen = present & (about_ids == study_ids)
        if not chosen.any():
            continue
        codes, uniques = pd.factorize(out.loc[chosen, "value"].astype(str))
        texts = pd.Series([str(value) for value in uniques], dtype="str")
        flags = _value_flags(texts)
        if study_ids:  # a CDISC subject ID such as 01-701-1015 is no phone number
            spans = texts.str.extract(_PHONE_RUN, expand=False).str.strip()
            flags["privacy:phone"] &= ~spans.str.fullmatch(STUDY_ID_PATTERN).to_numpy(
                dtype=bool, na_value=False
            )
        bad = np.logical_or.reduce([flags[rule] for rule, _, _ in _VALUE_RULES])
        shown = np.array(
            [
                mask_value(text) if flagged else text
                for text, flagged in zip(texts, bad, strict=True)
            ],
            dtype=object,
        )
        out.loc[chosen, "value"] = shown[codes]
    for name in ("column", "message"):
        if name in out:
            column = out[name]
            distinct = {text: redact_text(text) for text in column.dropna().unique()}
            out[name] = column.map(distinct, na_action="ignore").astype(column.dtype)
    return out


# ----------------------------------------------------------------------------- small cells

#: The public-mode threshold: a count from 1 to ``SMALL_CELL_K - 1`` is small.
SMALL_CELL_K = 5
#: What a suppressed cell shows.
SUPPRESSED = "*"
#: Nouns after which a number is a count of people or events (for :meth:`SmallCellPolicy.redact_text`).
COUNT_NOUNS = (
    "subjects?|participants?|patients?|people|persons?|individuals?|women|men|girls|boys"
    "|events?|cases?|responders?|non-responders?|observations?|rows?|records?|pregnanc(?:y|ies)"
    "|deaths?|discontinuations?|withdrawals?|dropouts?|drop-outs?|visits?|reports?|adverse events?"
)
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "a single": 1, "single": 1}  # fmt: skip


@dataclass(frozen=True)
class SmallCellPolicy:
    """The small-cell policy of public outputs, in one place.

    Attributes
    ----------
    k : int
        Counts from 1 to ``k - 1`` are small (default :data:`SMALL_CELL_K`).
    zero_is_small : bool
        Whether 0 is small too (when "nobody" itself discloses something).
    complementary : bool
        Whether a table also masks enough other cells that totals cannot reveal a small one.

    Examples
    --------
    >>> policy = small_cell_policy()
    >>> policy.is_small(3), policy.is_small(0), policy.is_small(12)
    (True, False, False)
    >>> policy.show(3), policy.show(12)
    ('*', '12')
    >>> policy.redact_text("only 2 subjects in the vehicle arm at month 3; n = 1")
    'only fewer than 5 subjects in the vehicle arm at month 3; n < 5'
    """

    k: int = SMALL_CELL_K
    zero_is_small: bool = False
    complementary: bool = True

    def __post_init__(self):
        if isinstance(self.k, bool) or not isinstance(self.k, int | np.integer) or self.k < 1:
            raise ValueError(f"k must be a whole number of at least 1, got {self.k!r}")

    def is_small(self, count):
        """Whether a count (a number or an array of them) is small; missing is not."""
        values = np.asarray(count, dtype="float64")
        small = (values >= 1) & (values < self.k)
        if self.zero_is_small:
            small |= values == 0
        return bool(small) if small.ndim == 0 else small

    def show(self, count) -> str:
        """A single count as printed: :data:`SUPPRESSED` if small, else the number."""
        return SUPPRESSED if self.is_small(count) else f"{int(count)}"

    def suppress(self, table: pd.DataFrame) -> pd.DataFrame:
        """:func:`suppress_small_cells` under this policy."""
        return suppress_small_cells(
            table, self.k, zero_is_small=self.zero_is_small, complementary=self.complementary
        )

    def note(self, what: str = "subjects") -> str:
        """The footnote of a table with suppressed cells."""
        return (
            f"{SUPPRESSED} suppressed: fewer than {self.k} {what}, or a cell that would reveal one"
        )

    def mask_sums(
        self, counts: Mapping[Hashable, int], sums: Iterable[tuple[Hashable, Sequence[Hashable]]]
    ) -> set:
        """The counts to suppress among counts that add up: the small ones, and enough others
        that no sum reveals one.

        The counts of a flow diagram or a sentence are not a table but a tree of sums
        (allocated = discontinued + completed; discontinued = Σ its reasons). Primary
        suppression masks every small count; then, for each ``(total, parts)`` with
        ``counts[total] == Σ counts[parts]``, until nothing changes: a shown total with exactly
        one masked part (of two or more) gets a second masked part, its smallest other non-zero
        part (else a zero), as in :func:`suppress_small_cells`, or is masked itself when that
        part is its only one; a masked total whose parts are all shown gets its smallest
        non-zero part masked, so the parts cannot give it back.

        Parameters
        ----------
        counts : mapping
            Name → count (a non-negative whole number).
        sums : iterable of (name, sequence of names)
            Each total with the parts that add up to it.

        Returns
        -------
        set
            The names of the counts to suppress.

        Examples
        --------
        >>> counts = {"allocated": 40, "left": 6, "completed": 34, "pregnancy": 1, "moved": 5}
        >>> sorted(small_cell_policy().mask_sums(counts, [("allocated", ["left", "completed"]),
        ...                                               ("left", ["pregnancy", "moved"])]))
        ['moved', 'pregnancy']
        """
        masked = {name for name, count in counts.items() if self.is_small(count)}
        sums = [(total, list(parts)) for total, parts in sums]
        changed = True
        while changed:
            changed = False
            for total, parts in sums:
                hidden = [part for part in parts if part in masked]
                shown = [part for part in parts if part not in masked]
                if not shown:
                    if len(hidden) == 1 and total not in masked:
                        masked.add(total)  # a total of one part is that part
                        changed = True
                    continue
                if total in masked:
                    needed = not hidden and any(counts[part] for part in parts)
                else:
                    needed = len(hidden) == 1
                if needed:
                    nonzero = [part for part in shown if counts[part] > 0]
                    masked.add(min(nonzero or shown, key=lambda part: counts[part]))
                    changed = True
        return masked

    def redact_text(self, text: str) -> str:
        """Say "fewer than k" for every small count a sentence quotes.

        A count is a number (or a number word) before a noun of :data:`COUNT_NOUNS`
        ("2 subjects", "one pregnancy"), after ``n =``, or before ``/N`` or ``of N``; other
        numbers (visits, days, doses) are left alone.
        """
        text = str(text)

        def small(number: str) -> bool:
            value = _NUMBER_WORDS.get(number.lower())
            value = int(number) if value is None else value
            return bool(self.is_small(value))

        words = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
        count = rf"(?<![\w.])(\d+|(?i:{words}))"
        text = re.sub(
            rf"{count}(\s+(?:[\w-]+\s+)?(?i:{COUNT_NOUNS})\b)",
            lambda m: (f"fewer than {self.k}" if small(m.group(1)) else m.group(1)) + m.group(2),
            text,
        )
        text = re.sub(
            r"\b([nN])\s*=\s*(\d+)\b",
            lambda m: f"{m.group(1)} < {self.k}" if small(m.group(2)) else m.group(0),
            text,
        )
        return re.sub(
            r"(?<![\w.])(\d+)(\s*/\s*\d+|\s+of\s+\d+)",
            lambda m: f"<{self.k}{m.group(2)}" if small(m.group(1)) else m.group(0),
            text,
        )

    def redact(self, value):
        """:meth:`redact_text` on every string inside a JSON-like value (dicts, lists)."""
        if isinstance(value, str):
            return self.redact_text(value)
        if isinstance(value, dict):
            return {key: self.redact(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact(item) for item in value]
        return value


def small_cell_policy(k: int | None = None) -> SmallCellPolicy:
    """The project's small-cell policy (the one source every public output follows).

    Parameters
    ----------
    k : int, optional
        Another threshold than :data:`SMALL_CELL_K`.

    Examples
    --------
    >>> small_cell_policy().k, small_cell_policy(10).k
    (5, 10)
    """
    return SmallCellPolicy() if k is None else SmallCellPolicy(k=k)


def suppress_small_cells(
    table: pd.DataFrame,
    k: int = SMALL_CELL_K,
    *,
    zero_is_small: bool = False,
    complementary: bool = True,
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
    complementary : bool, default True
        Also mask enough other cells that row and column totals cannot reveal a small one.

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
    if complementary:
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
