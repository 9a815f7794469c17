"""CDISC ADaM: ADSL, a BDS dataset, and optionally ADAE and ADLB, mapped onto the four tables.

A folder of SAS datasets (XPT or sas7bdat) as CDISC writes them. The mapping names them and
the parameters, besides the common keys::

    {
      "adsl": "adsl.xpt", "bds": "adqs.xpt", "adae": "adae.xpt", "adlb": "adlb.xpt",
      "params": {"INFL": "inflammatory_lesions", "IGA": "iga", "ECCA": "ecca_score"},
      "lab_params": {"TRIG": "triglycerides"},          # optional: CDISC codes are known
      "visits": {"0": 0, "4": 1, "8": 2},               # optional: AVISITN → visit
      "anchor": "RFICDT", "dates": ["RANDDT", "TRTEDT"],
      "columns": {"randomisation_day": "RANDDT", "end_of_treatment_day": "TRTEDT"},
      "derived_records": "leave_out"                    # or "keep"
    }

* **Subjects** come from ADSL: ``USUBJID``, ``TRT01A``, ``SITEID``, ``AGE``, ``SEX`` (``M``/``F``)
  and ``WEIGHTBL`` by default; ``columns`` maps the others. ``USUBJID`` values such as
  ``01-701-1015`` are study IDs, not phone numbers.
* **Dates**: every date variable (a name ending in ``DT``, ``DTM``, ``TM`` or ``DTC``, or a
  SAS date) is left out unless ``dates`` (or ``anchor``) names it; with an ``anchor``, the
  analysis dates ``ADT`` and ``ASTDT`` become days from it. Without an analysis date, the
  analysis day (``ADY``, ``ASTDY``: day 1 is the first dose, ``TRTSDT``, and there is no day
  0) becomes days from the anchor through ADSL's ``TRTSDT``, or, without an anchor, days from
  the first dose.
* **Records**: those derived rather than observed (``DTYPE`` such as ``LOCF``, ``WOCF``) are
  left out and counted, or kept and counted with ``"derived_records": "keep"``; with
  ``ANL01FL``, only records flagged ``Y`` are used; two records for one subject, parameter
  and visit are an error naming them. Parameters not in ``params`` are left out and counted;
  a parameter mapped but without records was not collected.
* **Visits** are pivoted from the BDS dataset, one row per subject and visit; **adverse
  events** come from ADAE (``AESEQ``, ``AEDECOD`` in lower case, ``AEBODSYS`` grouped into the
  standard's categories, ``AETOXGR`` or ``ASEV``, ``AREL``/``AEREL``, ``AESER``) and **labs**
  from ADLB (``PARAMCD``, ``AVAL``, ``AVALU``, ``ANRHI``); ``"adverse_events"`` and ``"labs"``
  take ``columns`` and ``values`` to override these.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import numpy as np
import pandas as pd

from acne_outcomes import standard
from acne_outcomes.importers import dates as dating
from acne_outcomes.importers.columns import (
    apply_columns,
    complete_columns,
    prepare,
    recode,
    unmatched,
)
from acne_outcomes.importers.long import read_sas
from acne_outcomes.importers.mapping import (
    ImportLog,
    short_list,
    visit_unit,
)
from acne_outcomes.readers import RawStudy, StudyReadError, confined_path
from acne_outcomes.validate import concat_problems, empty_problems, make_problems

ID = "USUBJID"
ADSL_DEFAULTS = {"subject_id": ID, "arm": "TRT01A", "site": "SITEID", "age": "AGE", "sex": "SEX",
                 "weight_kg": "WEIGHTBL"}  # fmt: skip
#: Each adverse-event column's ADAE variables, the first present taken.
ADAE_DEFAULTS = {"subject_id": (ID,), "event_number": ("AESEQ",), "term": ("AEDECOD", "AETERM"),
                 "category": ("AEBODSYS", "AESOC"), "severity_grade": ("AETOXGR", "ATOXGR", "ASEV", "AESEV"),
                 "related": ("AREL", "AEREL"), "serious": ("AESER",)}  # fmt: skip
#: MedDRA system organ classes and the standard's adverse-event categories (others: "other").
SOC_CATEGORIES = {
    "SKIN AND SUBCUTANEOUS TISSUE DISORDERS": "mucocutaneous",
    "MUSCULOSKELETAL AND CONNECTIVE TISSUE DISORDERS": "musculoskeletal",
    "PSYCHIATRIC DISORDERS": "psychiatric",
    "GASTROINTESTINAL DISORDERS": "gastrointestinal",
    "INVESTIGATIONS": "laboratory",
    "NERVOUS SYSTEM DISORDERS": "neurological",
}
RELATEDNESS = {
    "NOT RELATED": "not_related", "NONE": "not_related", "UNRELATED": "not_related", "N": "not_related",
    "UNLIKELY": "unlikely", "UNLIKELY RELATED": "unlikely", "REMOTE": "unlikely",
    "POSSIBLE": "possible", "POSSIBLY RELATED": "possible",
    "PROBABLE": "probable", "PROBABLY RELATED": "probable",
    "DEFINITE": "definite", "DEFINITELY RELATED": "definite", "RELATED": "definite", "Y": "definite",
}  # fmt: skip
SEVERITY = {"MILD": "1", "MODERATE": "2", "SEVERE": "3"}
LAB_PARAMS = {"TRIG": "triglycerides", "CHOL": "total_cholesterol", "ALT": "alt", "AST": "ast",
              "HCG": "pregnancy", "PREG": "pregnancy"}  # fmt: skip
PREGNANCY_RESULTS = {"NEGATIVE": 0.0, "NEG": 0.0, "POSITIVE": 1.0, "POS": 1.0}
_DATE_NAME = re.compile(r"(?:DT|DTM|TM|DTC)$")


def date_variables(frame: pd.DataFrame) -> list[str]:
    """The date variables of an ADaM dataset: CDISC's date names, or values read as dates.

    >>> frame = pd.DataFrame({"RANDDT": [1.0], "AGE": [30.0], "X": [datetime.date(2024, 1, 2)]})
    >>> date_variables(frame)
    ['RANDDT', 'X']
    """
    found = []
    for name in frame.columns:
        column = frame[name]
        if _DATE_NAME.search(str(name).upper()) or pd.api.types.is_datetime64_any_dtype(
            column.dtype
        ):
            found.append(str(name))
        elif column.dtype == object:
            present = column.dropna()
            if len(present) and all(isinstance(value, datetime.date) for value in present.head(50)):
                found.append(str(name))
    return found


def import_adam(folder: Path, mapping: dict) -> RawStudy:
    """Import a folder of ADaM datasets (see the module docs).

    The datasets the mapping names must be files inside ``folder`` (no ``..``, no absolute
    path, no symbolic link out of it), each read once.
    """
    for key in ("adsl", "bds"):
        if key not in mapping:
            raise StudyReadError(
                f"ADaM import: set '{key}' in the mapping to the dataset's file name "
                "('adsl' and 'bds' are needed)"
            )
    paths = {
        key: confined_path(folder, mapping[key], what=f"the mapping's {key!r} names")
        for key in ("adsl", "bds", "adae", "adlb")
        if key in mapping
    }
    for key, path in paths.items():
        if not path.exists():
            raise StudyReadError(f"ADaM import: {mapping[key]} is missing (set '{key}')")
    if not mapping.get("params"):
        raise ValueError("ADaM import needs 'params': a map from PARAMCD to standard visit columns")
    checksums: dict[str, str] = {}
    read = {key: read_sas(path, checksums=checksums) for key, path in paths.items()}
    log = ImportLog("adam")
    unit = visit_unit(mapping)
    anchor = mapping.get("anchor")
    problems = []
    everything = [str(name) for frame, _, _ in read.values() for name in frame.columns]
    unknown = unmatched(
        [*mapping.get("dates", []), *([anchor] if anchor else []), *mapping.get("drop", [])],
        everything,
    )
    if unknown:
        problems.append(
            make_problems(
                "mapping", "mapping",
                f'"anchor", "dates" or "drop" name {short_list(unknown)}, which no dataset has',
            )
        )  # fmt: skip
    adsl, adsl_rows, adsl_labels = read["adsl"]
    if ID not in adsl.columns:
        raise StudyReadError(f"{paths['adsl'].name} is not an ADSL dataset: it has no {ID}")
    prepared = {}
    anchors = None
    for key in ("adsl", "bds", "adae", "adlb"):
        if key not in read:
            continue
        frame, rows, _ = read[key]
        extra = {"bds": ["ADT"], "adlb": ["ADT"], "adae": ["ASTDT"]}.get(key, []) if anchor else []
        wanted = [*mapping.get("dates", []), *extra]
        convert = {*wanted, *([anchor] if anchor else [])}
        auto = {name: "a date variable not converted to days" for name in date_variables(frame)
                if name not in convert}  # fmt: skip
        prepared[key] = prepare(
            frame, rows, log, file_label=paths[key].name, id_column=ID,
            drop=mapping.get("drop", []), dates=wanted, anchor=anchor if key == "adsl" else None,
            anchors=anchors, date_format=mapping.get("date_format"), auto_drop=auto,
        )  # fmt: skip
        if key == "adsl":
            anchors = prepared[key].anchors
            if anchor and anchor not in adsl.columns and anchor not in unknown:
                problems.append(
                    make_problems(
                        paths["adsl"].name, "anchor",
                        f"the anchor {anchor} is not in {paths['adsl'].name}: day 0 is a subject "
                        "date of ADSL (e.g. RFICDT, RANDDT or TRTSDT)",
                    )
                )  # fmt: skip
        problems.append(prepared[key].problems)
    shift, shift_problems = _reference_shift(adsl, adsl_rows, anchors, paths["adsl"].name)
    context = {"log": log, "mapping": mapping, "unit": unit, "shift": shift,
               "anchored": anchors is not None, "shifted": False}  # fmt: skip
    subjects, subject_problems, not_recorded = _subjects(prepared["adsl"].frame, mapping, adsl_labels,
                                                         paths["adsl"].name, unit, log)  # fmt: skip
    problems.append(subject_problems)
    tables = {"subjects": subjects}
    rows = {"subjects": adsl_rows}
    tables["visits"], rows["visits"], visit_problems = _visits(
        prepared["bds"].frame, read["bds"][1], paths["bds"].name, context
    )
    problems.append(visit_problems)
    if "adae" in read:
        tables["adverse_events"], rows["adverse_events"], ae_problems = _adverse_events(
            prepared["adae"].frame, read["adae"][1], paths["adae"].name, context
        )
        problems.append(ae_problems)
    if "adlb" in read:
        tables["labs"], rows["labs"], lab_problems = _labs(
            prepared["adlb"].frame, read["adlb"][1], paths["adlb"].name, context
        )
        problems.append(lab_problems)
    if context["shifted"]:  # analysis days were carried to day 0 through TRTSDT
        problems.append(shift_problems)
    tables, fill = complete_columns(tables, {"subjects": not_recorded}, unit, paths["adsl"].name)
    problems.append(fill)
    design = _design(mapping.get("design"), tables)
    scan = []
    for key, item in prepared.items():
        scan.append((paths[key].name, item.scan, read[key][1]))
    return RawStudy(
        tables, rows, concat_problems(problems), source=str(folder), files=list(paths.values()),
        scan=scan, design=design, metadata={"import": log.as_dict()}, checksums=checksums,
    )  # fmt: skip


def _design(declared, tables) -> dict:
    """The mapping's design, with the outcomes and tables collected declared from the import."""
    design = dict(declared) if isinstance(declared, dict) else {}
    if declared is not None and not isinstance(declared, dict):
        return declared  # malformed: the loader says so
    visits = tables["visits"]
    design.setdefault(
        "outcomes",
        [name for name in standard.outcome_families()
         if name in visits and visits[name].notna().any()],
    )  # fmt: skip
    design.setdefault("tables", [name for name in standard.TABLES if name in tables])
    return design


def _reference_shift(adsl, rows, anchors, label):
    """Days from each subject's day 0 to their first dose (``TRTSDT``), for analysis days."""
    if anchors is None:
        return None, empty_problems()
    if "TRTSDT" not in adsl.columns:
        return None, make_problems(
            label, "anchor",
            "analysis days (ADY, ASTDY) count from the first dose, TRTSDT, which ADSL does not have: "
            "add TRTSDT to ADSL, or the analysis dates (ADT, ASTDT) to the datasets",
        )  # fmt: skip
    days, problems = dating.days_from_anchor(
        adsl[ID], adsl["TRTSDT"], anchors, rows, column="TRTSDT", file_label=label
    )
    shift = pd.Series(
        days.to_numpy(dtype="float64", na_value=np.nan), index=adsl[ID].astype("string")
    )
    return shift, problems


def _subjects(frame, mapping, labels, label, unit, log):
    columns = {name: source for name, source in ADSL_DEFAULTS.items() if source in frame.columns}
    columns.update(mapping.get("columns", {}))
    names = standard.field_names("subjects")
    columns = {name: source for name, source in columns.items() if name in names}
    subjects, problems, not_recorded = apply_columns(
        frame, columns, names, labels=labels, file_label=label, header_hint=False,
        left_out=log.dropped,
    )  # fmt: skip
    values = {"sex": {"M": "male", "F": "female"}, **mapping.get("values", {})}
    return recode(subjects, values, "subjects", unit).reset_index(drop=True), problems, not_recorded


def _analysis_records(frame, rows, label, codes, context, kind):
    """The records to use: observed (or derived kept), flagged ANL01FL, mapped, at a visit."""
    log, mapping = context["log"], context["mapping"]
    keep = np.ones(len(frame), dtype=bool)
    if "DTYPE" in frame.columns:
        dtype = frame["DTYPE"].astype("string").str.strip().fillna("")
        for value, count in dtype[dtype != ""].value_counts().items():
            reason = f"{label} DTYPE {value} records (derived, not observed)"
            if mapping.get("derived_records", "leave_out") == "keep":
                log.kept[reason] = int(count)
            else:
                log.leave_out(reason, count)
        if mapping.get("derived_records", "leave_out") != "keep":
            keep &= (dtype == "").to_numpy()
    if "ANL01FL" in frame.columns:
        flagged = (frame["ANL01FL"].astype("string").str.strip() == "Y").to_numpy(
            dtype=bool, na_value=False
        )
        log.leave_out(f"{label} records with ANL01FL not Y", np.count_nonzero(keep & ~flagged))
        keep &= flagged
    code = frame["PARAMCD"].astype("string").str.strip()
    mapped = code.isin(list(codes)).to_numpy(dtype=bool, na_value=False)
    others = sorted(set(code[keep & ~mapped].dropna()))
    if others:
        log.leave_out(f"{label} records of {kind} not mapped ({short_list(others, 6)})",
                      np.count_nonzero(keep & ~mapped))  # fmt: skip
    keep &= mapped
    visit_map = {float(key): value for key, value in mapping.get("visits", {}).items()}
    number = pd.to_numeric(frame["AVISITN"], errors="coerce")
    visit = number.map(visit_map) if visit_map else number
    log.leave_out(
        f"{label} records without AVISITN", np.count_nonzero(keep & number.isna().to_numpy())
    )
    unscheduled = keep & number.notna().to_numpy() & visit.isna().to_numpy()
    log.leave_out(f'{label} records at an AVISITN not in "visits"', np.count_nonzero(unscheduled))
    keep &= visit.notna().to_numpy()
    return keep, visit.to_numpy(dtype="float64", na_value=np.nan), code


def _duplicates(frame, rows, label, keep, visit, code):
    """Two records for one subject, parameter and visit: an error naming every one."""
    key = pd.DataFrame({"id": frame[ID].astype("string"), "code": code, "visit": visit})[keep]
    repeated = key.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return empty_problems()
    named = key[repeated]
    values = (
        named["id"]
        + " "
        + named["code"]
        + " at AVISITN "
        + frame.loc[named.index, "AVISITN"].astype(str)
    )
    return make_problems(
        label, "adam-duplicate",
        "two or more records for one subject, parameter and visit: flag the one to analyse with "
        'ANL01FL = "Y", or leave the others out',
        rows=np.asarray(rows)[keep][repeated], column=f"{ID}, PARAMCD, AVISITN", values=values,
    )  # fmt: skip


def _days(frame, date_column, day_column, context, label):
    """Each record's day from day 0: the converted analysis date, else the analysis day."""
    days = np.full(len(frame), np.nan)
    if date_column in frame.columns and context["anchored"]:
        days = pd.to_numeric(frame[date_column], errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
    if day_column in frame.columns:
        raw = pd.to_numeric(frame[day_column], errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        needed = np.isnan(days) & ~np.isnan(raw)
        if needed.any():
            cdisc = not (raw == 0).any()
            converted = dating.cdisc_days(raw) if cdisc else raw
            log = context["log"]
            if not cdisc:
                note = (f"{label}: {day_column} has a day 0, which CDISC's analysis days do not: "
                        "taken as days from day 0")  # fmt: skip
            elif context["anchored"]:
                note = (f"{label}: {day_column} (day 1 = first dose, TRTSDT) turned into days "
                        "from day 0 through TRTSDT")  # fmt: skip
            else:
                note = (f"{label}: {day_column} (day 1 = first dose) turned into days from the "
                        "first dose (day 0)")  # fmt: skip
            if note not in log.notes:
                log.notes.append(note)
            if context["anchored"] and cdisc:
                context["shifted"] = True
                shift = context["shift"]
                if shift is None:  # no TRTSDT: the problem says so
                    converted = np.full(len(frame), np.nan)
                else:
                    offset = (
                        frame[ID]
                        .astype("string")
                        .map(shift)
                        .to_numpy(dtype="float64", na_value=np.nan)
                    )
                    converted = converted + offset
            days = np.where(needed, converted, days)
    return days


def _visits(bds, rows, label, context):
    needed = [ID, "PARAMCD", "AVISITN", "AVAL"]
    absent = [name for name in needed if name not in bds.columns]
    unit = context["unit"]
    visit_column = standard.visit_column(unit)
    if absent:
        problem = make_problems(
            label, "mapping", f"a BDS dataset needs the variables {needed}; missing: {absent}"
        )
        return pd.DataFrame(columns=["subject_id", visit_column]), np.array([], dtype=int), problem
    params = context["mapping"]["params"]
    keep, visit, code = _analysis_records(bds, rows, label, params, context, "parameters")
    problems = [_duplicates(bds, rows, label, keep, visit, code)]
    days = _days(bds, "ADT", "ADY", context, label)
    records = pd.DataFrame({
        "subject_id": bds[ID].astype("string"), visit_column: visit, "column": code.map(params),
        "value": pd.to_numeric(bds["AVAL"], errors="coerce"), "study_day": days, "_row": np.asarray(rows),
    })[keep]  # fmt: skip
    index = ["subject_id", visit_column]
    wide = records.groupby([*index, "column"], sort=True)["value"].first().unstack("column")
    wide.columns.name = None
    found = records.groupby(index, sort=True).agg(
        study_day=("study_day", "min"), _row=("_row", "min")
    )
    visits = found.join(wide).reset_index()
    log = context["log"]
    for paramcd, name in params.items():
        if name not in visits or visits[name].isna().all():
            log.not_collected.append(f"{name} (PARAMCD {paramcd}: no records)")
    visit_rows = visits.pop("_row").to_numpy(dtype=int)
    order = [name for name in standard.field_names("visits", unit) if name in visits]
    return visits[order], visit_rows, concat_problems(problems)


def _first_present(frame, candidates):
    return next((name for name in candidates if name in frame.columns), None)


def _adverse_events(adae, rows, label, context):
    sub = context["mapping"].get("adverse_events", {})
    unit = context["unit"]
    columns = {name: _first_present(adae, candidates) for name, candidates in ADAE_DEFAULTS.items()}
    columns = {name: source for name, source in columns.items() if source is not None}
    columns.update(sub.get("columns", {}))
    frame = adae.copy()
    if "onset_day" not in columns:
        frame["_onset"] = _days(adae, "ASTDT", "ASTDY", context, label)
        columns["onset_day"] = "_onset"
    table, problems, _ = apply_columns(frame, columns, standard.field_names("adverse_events", unit),
                                       file_label=label, header_hint=False)  # fmt: skip
    user = sub.get("values", {})
    if "term" in table and "term" not in user:
        table["term"] = table["term"].astype("string").str.strip().str.lower()
    defaults = {"related": RELATEDNESS, "severity_grade": SEVERITY}
    for name, codes in defaults.items():
        if name in table and name not in user:
            table[name] = (
                table[name]
                .astype("string")
                .str.strip()
                .str.upper()
                .map(lambda value, codes=codes: codes.get(value, value), na_action="ignore")
            )
    if "category" in table and "category" not in user:
        soc = table["category"].astype("string").str.strip().str.upper()
        table["category"] = soc.map(
            lambda value: SOC_CATEGORIES.get(value, "other"), na_action="ignore"
        )
        others = sorted(set(soc[table["category"] == "other"].dropna()))
        if others:
            context["log"].notes.append(
                f"{label}: adverse events of {short_list(others, 4)} grouped as category 'other' "
                '(map AEBODSYS with "adverse_events": {"values": {"category": {...}}})'
            )
    table = recode(table, user, "adverse_events", unit)
    return table.reset_index(drop=True), np.asarray(rows), problems


def _labs(adlb, rows, label, context):
    unit = context["unit"]
    visit_column = standard.visit_column(unit)
    names = standard.field_names("labs", unit)
    needed = [ID, "PARAMCD", "AVISITN", "AVAL"]
    absent = [name for name in needed if name not in adlb.columns]
    if absent:
        problem = make_problems(
            label, "mapping", f"ADLB needs the variables {needed}; missing: {absent}"
        )
        return pd.DataFrame(columns=names), np.array([], dtype=int), problem
    codes = {**LAB_PARAMS, **context["mapping"].get("lab_params", {})}
    keep, visit, code = _analysis_records(adlb, rows, label, codes, context, "tests")
    problems = [_duplicates(adlb, rows, label, keep, visit, code)]
    test = code.map(codes)
    value = pd.to_numeric(adlb["AVAL"], errors="coerce")
    if "AVALC" in adlb.columns:
        result = adlb["AVALC"].astype("string").str.strip().str.upper().map(PREGNANCY_RESULTS)
        value = value.where(value.notna() | (test != "pregnancy"), result)
    units = (
        adlb["AVALU"].astype("string").str.strip()
        if "AVALU" in adlb.columns
        else pd.Series(pd.NA, index=adlb.index, dtype="string")
    )
    units = units.mask(units == "")
    units = units.where(units.notna() | (test != "pregnancy"), "result")
    upper = pd.to_numeric(adlb["ANRHI"], errors="coerce") if "ANRHI" in adlb.columns else np.nan
    labs = pd.DataFrame({
        "subject_id": adlb[ID].astype("string"), visit_column: visit,
        "study_day": _days(adlb, "ADT", "ADY", context, label), "test": test,
        "value": value, "unit": units, "upper_limit_normal": upper,
    })  # fmt: skip
    sub = context["mapping"].get("labs", {})
    labs = recode(labs[keep].reset_index(drop=True), sub.get("values", {}), "labs", unit)
    return labs[names], np.asarray(rows)[keep], concat_problems(problems)
