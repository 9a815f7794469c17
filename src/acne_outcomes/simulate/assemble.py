"""Turn generated blocks into the four tables, built directly in the standard's dtypes.

Building each column in its final dtype (nullable integers from values + mask, categoricals
from codes, strings gathered into Arrow's buffers) avoids per-value Python objects, which keeps
10^6-subject studies fast and within memory. ``tests/test_simulate.py`` checks that
:func:`acne_outcomes.study.conform` leaves these tables unchanged.

Examples
--------
>>> subject_ids(2).tolist()
[b'S000001', b'S000002']
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from acne_outcomes import standard
from acne_outcomes.simulate import model
from acne_outcomes.simulate.defaults import ADVERSE_EVENT_TERMS, LAB_TESTS
from acne_outcomes.simulate.plan import visit_in_unit

FITZPATRICK = ("I", "II", "III", "IV", "V", "VI")
RELATED = ("not_related", "unlikely", "possible", "probable", "definite")


def subject_ids(n: int) -> np.ndarray:
    """Pseudonymous identifiers ``S000001`` ... (at least six digits), as ASCII bytes.

    Examples
    --------
    >>> subject_ids(3)[-1]
    np.bytes_(b'S000003')
    """
    width = max(6, len(str(n)))
    return np.strings.add(b"S", np.strings.zfill(np.arange(1, n + 1).astype("S"), width))


def _strings(codes: np.ndarray, names) -> pd.api.extensions.ExtensionArray:
    """A pandas ``string`` array of ``names[codes]``, without Python objects per value.

    ``names`` are strings, or their UTF-8 bytes as a numpy ``S`` array. Names of one length
    in bytes (the subject ids) are gathered by numpy indexing of fixed-width items straight
    into Arrow's buffers, 15x faster than Arrow's ``take`` over 10^6 names; other names go
    through Arrow's ``take``, which is fast over a few.

    Examples
    --------
    >>> _strings(np.array([1, 0, 1]), ["a", "bcé"]).tolist()
    ['bcé', 'a', 'bcé']
    """
    table = np.asarray(names)
    if table.dtype.kind != "S":
        table = np.array([str(name).encode("utf-8") for name in names], dtype=bytes)
    codes = np.asarray(codes)
    width = table.dtype.itemsize
    if (np.strings.str_len(table) == width).all():
        offsets = np.arange(len(codes) + 1, dtype=np.int64) * width
        data = table[codes]
        array = pa.LargeStringArray.from_buffers(
            len(codes), pa.py_buffer(offsets), pa.py_buffer(data)
        )
    else:
        array = pa.array(table.tolist(), pa.large_binary()).cast(pa.large_string())
        array = pc.take(array, pa.array(codes))
    return pd.array(array, dtype="string")


def _integers(values: np.ndarray, missing: np.ndarray | None = None) -> pd.arrays.IntegerArray:
    values = np.asarray(values).astype(np.int64, copy=False)
    if missing is None:
        return pd.arrays.IntegerArray(values, np.zeros(len(values), dtype=bool))
    return pd.arrays.IntegerArray(np.where(missing, 0, values), missing)


def _categories(table: str, name: str, codes: np.ndarray, names) -> pd.Categorical:
    """Categorical of ``names[codes]`` (code -1 = missing) in the standard's dtype."""
    dtype = standard.pandas_dtypes(table)[name]
    lookup = dtype.categories.get_indexer(list(names)).astype(np.int8)
    if (lookup < 0).any():
        raise ValueError(f"{table}.{name}: {list(names)} are not all categories of the standard")
    codes = np.asarray(codes).astype(np.int8, copy=False)
    if not np.array_equal(lookup, np.arange(len(lookup))):
        codes = np.where(codes < 0, np.int8(-1), lookup[codes])
    return pd.Categorical.from_codes(codes, dtype=dtype)


def _ordinal(table: str, name: str, values: np.ndarray) -> pd.Categorical:
    dtype = standard.pandas_dtypes(table)[name]
    lookup = {value: code for code, value in enumerate(dtype.categories)}
    offset = lookup[min(lookup)] - min(lookup)  # integer categories are consecutive values
    codes = np.asarray(values).astype(np.int8, copy=False)
    return pd.Categorical.from_codes(codes + np.int8(offset) if offset else codes, dtype=dtype)


def _join(blocks: list[dict], key: str, offsets=None, dtype=None) -> np.ndarray:
    """Concatenate one array over the blocks (cast to ``dtype`` in the same pass), removing it
    from the blocks to free memory; ``offsets`` turn block subject indices into study ones."""
    parts = [block.pop(key) for block in blocks]
    if offsets is not None:
        parts = [part + np.int32(offset) for part, offset in zip(parts, offsets, strict=True)]
    joined = np.concatenate(parts)
    # Cast after joining: numpy's concatenate with a dtype casts part by part, about 10x slower.
    return joined if dtype is None else joined.astype(dtype, casting="same_kind", copy=False)


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, which returns freed heap memory to the system; None elsewhere.

    The blocks' many small arrays live in malloc's heaps, which glibc keeps after they are
    freed, while the tables' columns are new large allocations. Without a trim after each
    large table, the peak memory of a 10^6-subject study was the blocks plus all four tables
    (3.5 GB measured; 2.9 GB with the trims, which took about 0.1 s in all).
    """
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def _frame(table: str, columns: dict, visit_unit: str = "months") -> pd.DataFrame:
    names = standard.field_names(table, visit_unit)
    length = len(next(iter(columns.values())))
    for name in names:
        if name not in columns:  # optional column not simulated
            columns[name] = np.full(length, np.nan)
    frame = pd.DataFrame(
        {name: columns.pop(name) for name in names}, index=pd.RangeIndex(length), copy=False
    )
    if length >= 100_000 and (trim := _malloc_trim()) is not None:
        trim(0)  # the table's block arrays are freed by now
    return frame


def _missing(frame: pd.DataFrame, name: str) -> pd.Series:
    """An all-missing column with ``frame[name]``'s dtype (an outcome not collected)."""
    dtype = frame[name].dtype
    if isinstance(dtype, pd.CategoricalDtype):
        values = pd.Categorical.from_codes(np.full(len(frame), -1, dtype=np.int8), dtype=dtype)
        return pd.Series(values, index=frame.index)
    if dtype == "Int64":
        return pd.Series(
            _integers(np.zeros(len(frame)), np.ones(len(frame), dtype=bool)), index=frame.index
        )
    return pd.Series(np.full(len(frame), np.nan), index=frame.index, dtype=dtype)


def _visits_in_unit(months: pd.arrays.IntegerArray, visit_unit: str) -> pd.arrays.IntegerArray:
    """Native months (integers) converted to the visit unit (:func:`plan.visit_in_unit`)."""
    if visit_unit == "months":
        return months
    lookup = np.zeros(int(model.MONTHS[-1]) + 1, dtype=np.int64)
    lookup[model.MONTHS] = visit_in_unit(model.MONTHS, visit_unit)
    return _integers(lookup[np.asarray(months, dtype=np.int64)])


def _arm_column(codes: np.ndarray, labels: dict[int, str], categories: list[str]) -> pd.Categorical:
    """The arm categorical: model arm ``code`` → ``labels[code]``, categories in design order."""
    lookup = np.full(max(labels) + 1, -1, dtype=np.int8)
    for code, label in labels.items():
        lookup[code] = categories.index(label)
    return pd.Categorical.from_codes(lookup[np.asarray(codes)], categories=categories)


def assemble(
    blocks: list[dict],
    sizes: list[int],
    n_sites: int,
    arm_labels: dict[int, str] | None = None,
    arm_order: list[str] | None = None,
    *,
    visit_unit: str = "months",
    outcomes: tuple[str, ...] | None = None,
    tables: tuple[str, ...] | None = None,
    n_jobs: int = 1,
) -> dict[str, pd.DataFrame]:
    """Concatenate blocks into the ``subjects``, ``visits``, ``adverse_events`` and ``labs`` tables.

    The blocks are emptied on the way (each array is removed once joined) to bound memory.
    ``arm_labels`` names each model arm (default: the model's names) and ``arm_order`` gives
    the arm categories, the design's reference first (default: comparator, isotretinoin).
    ``visit_unit`` names the visit column of ``visits`` and ``labs`` and converts the native
    months to it (:func:`acne_outcomes.simulate.plan.visit_in_unit`); visit measurements not
    in ``outcomes`` are left missing and tables not in ``tables`` are empty (default: all
    collected). With ``n_jobs`` > 1, threads build the tables at once.

    Examples
    --------
    >>> from acne_outcomes.simulate.defaults import resolve_parameters
    >>> block = model.generate_block(resolve_parameters({}), n=4, seed=0, block=0)
    >>> tables = assemble([block], [4], n_sites=10)
    >>> tables["subjects"]["subject_id"].tolist()
    ['S000001', 'S000002', 'S000003', 'S000004']
    """
    if arm_labels is None:
        arm_labels = dict(enumerate(model.ARMS))
    if arm_order is None:
        arm_order = [arm_labels[code] for code in sorted(arm_labels, reverse=True)]
    n = sum(sizes)
    visit_column = standard.visit_column(visit_unit)
    offsets = np.r_[0, np.cumsum(sizes)[:-1]]
    ids = subject_ids(n)
    sites = [f"SITE{number:02d}" for number in range(1, n_sites + 1)]

    def column(key, dtype=None):
        return _join(blocks, key, dtype=dtype)

    def integers(key):
        return _integers(_join(blocks, key, dtype=np.int64))

    def subject_of(key):
        return _join(blocks, key, offsets)

    def build_subjects():
        stopped = column("subject_discontinuation_day")
        reason = column("subject_reason")
        dose = column("subject_dose")
        subjects = _frame(
            "subjects",
            {
                "subject_id": _strings(np.arange(n), ids),
                "arm": _arm_column(column("subject_arm"), arm_labels, arm_order),
                "site": _strings(column("subject_site"), sites),
                "age": integers("subject_age"),
                "sex": _categories("subjects", "sex", column("subject_male"), ("female", "male")),
                "fitzpatrick": _categories(
                    "subjects", "fitzpatrick", column("subject_fitzpatrick"), FITZPATRICK
                ),
                "weight_kg": column("subject_weight").astype(float),
                "baseline_iga": _ordinal("subjects", "baseline_iga", column("subject_iga")),
                "childbearing_potential": pd.arrays.BooleanArray(
                    column("subject_childbearing"), np.zeros(n, dtype=bool)
                ),
                "randomisation_day": _integers(np.zeros(n)),
                "end_of_treatment_day": integers("subject_end_of_treatment_day"),
                "cumulative_dose_mg_per_kg": dose,
                "discontinuation_day": _integers(stopped, stopped < 0),
                "discontinuation_reason": _categories(
                    "subjects", "discontinuation_reason", reason, model.REASONS
                ),
            },
        )
        return subjects

    def build_visits():
        visit_subject = subject_of("visit_subject")
        visits = _frame(
            "visits",
            {
                "subject_id": _strings(visit_subject, ids),
                visit_column: _visits_in_unit(integers("visit_month"), visit_unit),
                "study_day": integers("visit_day"),
                "inflammatory_lesions": integers("visit_inflammatory"),
                "comedones": integers("visit_comedones"),
                "nodules": integers("visit_nodules"),
                "iga": _ordinal("visits", "iga", column("visit_iga")),
                "scar_grade": _ordinal("visits", "scar_grade", column("visit_scar_grade")),
                "ecca_score": integers("visit_ecca"),
                "pih_macules": integers("visit_pih_macules"),
                "pih_index": column("visit_pih_index"),
                "adherence": column("visit_adherence"),
            },
            visit_unit,
        )
        return visits

    def build_adverse_events():
        terms = [term.term for term in ADVERSE_EVENT_TERMS]
        categories = [term.category for term in ADVERSE_EVENT_TERMS]
        term_code = column("ae_term")
        adverse_events = _frame(
            "adverse_events",
            {
                "subject_id": _strings(subject_of("ae_subject"), ids),
                "event_number": integers("ae_number"),
                "onset_day": integers("ae_onset"),
                "term": _strings(term_code, terms),
                "category": _categories("adverse_events", "category", term_code, categories),
                "severity_grade": _ordinal("adverse_events", "severity_grade", column("ae_grade")),
                "related": _categories("adverse_events", "related", column("ae_related"), RELATED),
                "serious": pd.arrays.BooleanArray(
                    column("ae_serious"), np.zeros(len(term_code), dtype=bool)
                ),
            },
        )
        return adverse_events

    def build_labs():
        units = standard.units_by_test()
        test_names = [test.test for test in LAB_TESTS] + ["pregnancy"]
        limits = np.array([test.upper_limit_normal for test in LAB_TESTS] + [np.nan])
        test_code = column("lab_test")
        labs = _frame(
            "labs",
            {
                "subject_id": _strings(subject_of("lab_subject"), ids),
                visit_column: _visits_in_unit(integers("lab_month"), visit_unit),
                "study_day": integers("lab_day"),
                "test": _categories("labs", "test", test_code, test_names),
                "value": column("lab_value"),
                "unit": _strings(test_code, [units[name] for name in test_names]),
                "upper_limit_normal": limits[test_code],
            },
            visit_unit,
        )
        return labs

    # The four tables use disjoint arrays of the blocks, so threads may build them at once
    # (numpy and Arrow release the GIL); the largest, labs, goes first.
    builders = (build_labs, build_subjects, build_visits, build_adverse_events)
    if n_jobs == 1 or len(blocks) == 1:
        labs, subjects, visits, adverse_events = (build() for build in builders)
    else:
        from joblib import Parallel, delayed

        parallel = Parallel(n_jobs=min(n_jobs, len(builders)), prefer="threads")
        labs, subjects, visits, adverse_events = parallel(delayed(build)() for build in builders)
    if outcomes is not None:
        for name in standard.outcome_families():
            if name not in outcomes and name in visits:
                visits[name] = _missing(visits, name)
    out = {"subjects": subjects, "visits": visits, "adverse_events": adverse_events, "labs": labs}
    if tables is not None:
        for name in standard.TABLES:
            if name not in tables:
                out[name] = out[name].iloc[:0].reset_index(drop=True)
    return out
