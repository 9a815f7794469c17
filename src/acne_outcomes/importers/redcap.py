"""REDCap: a flat CSV export (raw data) and its data dictionary, mapped onto the four tables.

A REDCap export has one row per record and event (``redcap_event_name``, e.g.
``month_3_arm_1``), plus one row per instance of a repeating instrument
(``redcap_repeat_instrument``, ``redcap_repeat_instance``). Coded fields hold codes, decoded
with the data dictionary; a checkbox field is one column per choice (``field___1``). The
mapping names the dictionary, besides the common keys::

    {
      "dictionary": "dictionary.csv",      # beside the export, or a path
      "anchor": "consent_date",            # the date that is day 0
      "dates": ["rand_date", "visit_date", "withdrawal_date", "ae_onset_date", "lab_date"],
      "drop": ["initials", "email", "dob"],
      "columns": {"arm": "rand_group", "randomisation_day": "rand_date",
                  "study_day": "visit_date", "inflammatory_lesions": "infl_count", ...},
      "values": {"arm": {"1": "comparator", "2": "isotretinoin"}},
      "events": {"screening_arm_1": null, "visit_1_arm_1": 0},      # optional
      "adverse_events": {"instrument": "adverse_events",
                         "columns": {"term": "ae_term", "onset_day": "ae_onset_date", ...}},
      "labs": {"columns": {"study_day": "lab_date"},
               "tests": {"triglycerides": {"field": "lab_tg", "unit": "mg/dL",
                                           "upper_limit_normal": 150}, ...}}
    }

* **Subjects**: ``subject_id`` is the record ID (the dictionary's first field) unless mapped;
  ``site`` is the data access group (``redcap_data_access_group``) unless mapped. A subject
  field takes the record's value from whichever event holds it; two different values are an
  error. ``redcap_arm`` (the ``N`` of ``_arm_N``) can be mapped to ``arm``.
* **Visits**: each event becomes a visit by ``events``, or by default by its name:
  ``baseline`` or ``randomisation`` is visit 0, ``month_3`` (``week_12``, ``day_30``) is visit
  3 (12, 30) in that unit; other events (screening, end of study) are not visits, and their
  fields are subject fields. A visit event's row without any visit value is a missed visit.
* **Coded fields**: a field mapped to a text column is decoded to its label (``"values"``
  recodes labels or codes); mapped to a number or a true/false column it keeps its code. A
  checkbox mapped to a true/false column is true when any choice is ticked; mapped to a text
  column it gives the label ticked.
* **Adverse events** come from a repeating instrument (``event_number`` is the instance unless
  mapped); **labs** from the lab fields of each visit event (or a repeating instrument), one
  row per test with a value, with the unit and upper limit of normal the mapping gives.
* **Identifiers**: the fields named in ``drop`` are left out before the identifier scan (a
  checkbox field with all its columns); a field the dictionary marks as an identifier that is
  neither dropped nor turned into days is refused, as is any other identifier the scan finds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from acne_outcomes import standard
from acne_outcomes.importers.columns import (
    apply_columns,
    complete_columns,
    prepare,
    recode,
    unmatched,
)
from acne_outcomes.importers.mapping import (
    GUIDE,
    ImportLog,
    declared_unit,
    short_list,
)
from acne_outcomes.readers import (
    RawStudy,
    StudyReadError,
    confined_path,
    read_csv_text,
    read_input,
)
from acne_outcomes.validate import (
    StudyValidationError,
    concat_problems,
    empty_problems,
    make_problems,
)

EVENT, INSTRUMENT, INSTANCE = (
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
)
GROUP, ARM = "redcap_data_access_group", "redcap_arm"
#: The data dictionary's columns as the API names them, and as the Designer's CSV does.
DICTIONARY_HEADERS = {
    "field_name": "Variable / Field Name",
    "form_name": "Form Name",
    "field_type": "Field Type",
    "select_choices_or_calculations": "Choices, Calculations, OR Slider Labels",
    "text_validation_type_or_show_slider_number": "Text Validation Type OR Show Slider Number",
    "identifier": "Identifier?",
}
CODED_TYPES = ("radio", "dropdown", "checkbox", "yesno", "truefalse")
_ARM_SUFFIX = re.compile(r"_arm_(\d+)$")
_BASELINE = re.compile(r"^(?:baseline|randomi[sz]ation|enrol+ment)(?:_|$)")
_TIMED = re.compile(r"(?:^|_)(day|week|month)s?_?(\d+)(?:_|$)")


@dataclass(frozen=True)
class Field:
    """One field of the data dictionary."""

    name: str
    form: str
    type: str
    choices: dict
    identifier: bool


def read_dictionary(path: Path, checksums: dict | None = None) -> dict[str, Field]:
    """Read a REDCap data dictionary (API or Designer headers) into its fields, in order.

    Raises :class:`~acne_outcomes.readers.StudyReadError` when it is missing or is not a
    data dictionary.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "dictionary.csv"
    ...     _ = path.write_text('field_name,form_name,field_type,select_choices_or_calculations\\n'
    ...                         'record_id,enrolment,text,\\nsex,enrolment,radio,"1, Female | 2, Male"\\n')
    ...     fields = read_dictionary(path)
    >>> list(fields), fields["sex"].choices
    (['record_id', 'sex'], {'1': 'Female', '2': 'Male'})
    """
    if not path.exists():
        raise StudyReadError(
            f'REDCap import: the data dictionary {path.name} is missing (set "dictionary")'
        )
    data = read_input(path, checksums)
    frame, _, problems = read_csv_text(data, "dictionary", file_label=path.name)
    if frame is None:
        raise StudyReadError(f"{path.name} cannot be read: {problems['message'].iloc[0]}")
    renames = {friendly: api for api, friendly in DICTIONARY_HEADERS.items()}
    frame = frame.rename(columns=lambda name: renames.get(str(name).strip(), str(name).strip()))
    absent = [name for name in ("field_name", "form_name", "field_type") if name not in frame]
    if absent:
        raise StudyReadError(
            f"{path.name} is not a REDCap data dictionary: it lacks {absent} (download it from "
            "Project Setup → Data Dictionary)"
        )
    fields = {}
    for item in frame.to_dict("records"):
        name = str(item["field_name"]).strip()
        kind = str(item["field_type"]).strip().lower()
        choices = {}
        if kind in ("radio", "dropdown", "checkbox"):
            choices = parse_choices(item.get("select_choices_or_calculations"))
        elif kind == "yesno":
            choices = {"1": "Yes", "0": "No"}
        elif kind == "truefalse":
            choices = {"1": "True", "0": "False"}
        identifier = str(item.get("identifier") or "").strip().lower() == "y"
        fields[name] = Field(name, str(item["form_name"]).strip(), kind, choices, identifier)
    return fields


def parse_choices(text) -> dict[str, str]:
    """REDCap choices ``"1, Female | 2, Male"`` as ``{"1": "Female", "2": "Male"}``.

    >>> parse_choices("0, Clear | 1, Almost clear, minimal")
    {'0': 'Clear', '1': 'Almost clear, minimal'}
    """
    if text is None or pd.isna(text):
        return {}
    choices = {}
    for item in str(text).split("|"):
        code, _, label = item.partition(",")
        if code.strip():
            choices[code.strip()] = label.strip()
    return choices


def checkbox_columns(field: Field, columns) -> dict[str, str]:
    """The export's column of each choice of a checkbox field: ``{code: "field___code"}``.

    >>> field = Field("sae", "ae", "checkbox", {"1": "Death", "-9": "Unknown"}, False)
    >>> checkbox_columns(field, ["sae___1", "sae____9", "other"])
    {'1': 'sae___1', '-9': 'sae____9'}
    """
    out = {}
    for code in field.choices:
        column = f"{field.name}___{re.sub(r'[^a-z0-9_]', '_', code.lower())}"
        if column in columns:
            out[code] = column
    return out


def event_visits(events, explicit: dict, declared_unit: str | None):
    """Each event's visit: ``(visits, unit, problems)``.

    ``explicit`` maps event names (with or without the ``_arm_N`` suffix) to a visit or
    ``None``; other events follow their names (see the module docs).

    Examples
    --------
    >>> visits, unit, _ = event_visits(["screening_arm_1", "baseline_arm_1", "month_3_arm_1"],
    ...                                {}, None)
    >>> visits, unit
    ({'screening_arm_1': None, 'baseline_arm_1': 0, 'month_3_arm_1': 3}, 'months')
    """
    visits, timed = {}, {}
    for event in events:
        base = _ARM_SUFFIX.sub("", event)
        if event in explicit or base in explicit:
            value = explicit.get(event, explicit.get(base))
            visits[event] = None if value is None else float(value)
        elif _BASELINE.match(base):
            visits[event] = 0
        elif match := _TIMED.search(base):
            timed[event] = (match.group(1) + "s", int(match.group(2)))
            visits[event] = None
        else:
            visits[event] = None
    units = sorted({unit for unit, _ in timed.values()})
    unit = declared_unit or (units[0] if len(units) == 1 else None) or "months"
    problems = []
    other = [event for event, (event_unit, _) in timed.items() if event_unit != unit]
    if other:
        problems.append(
            make_problems(
                "events", "events",
                f"events named in another unit than the visits ({unit}): {short_list(other)}; "
                'map each event to its visit with "events" in the mapping, e.g. '
                f'{{"{other[0]}": 1}}',
            )
        )  # fmt: skip
    for event, (event_unit, number) in timed.items():
        if event_unit == unit:
            visits[event] = number
    visits = {
        event: (None if value is None else (int(value) if float(value).is_integer() else value))
        for event, value in visits.items()
    }
    return visits, unit, concat_problems(problems)


def import_redcap(path: Path, mapping: dict) -> RawStudy:
    """Import a REDCap flat export with its data dictionary (see the module docs)."""
    checksums: dict[str, str] = {}
    dictionary_path = confined_path(
        path.parent, mapping["dictionary"], what='the mapping\'s "dictionary" names'
    )
    fields = read_dictionary(dictionary_path, checksums)
    data, rows, problems = read_csv_text(
        read_input(path, checksums), "visits", file_label=path.name,
        encoding=mapping.get("encoding", "utf-8"), delimiter=mapping.get("delimiter", ","),
    )  # fmt: skip
    if data is None:
        raise StudyValidationError(problems, source=str(path))
    label = path.name
    if EVENT not in data.columns:
        raise StudyValidationError(
            make_problems(
                label, "import-route",
                f"{label} has no {EVENT} column: export the records of a longitudinal project with "
                f"their events (each visit is an event; see {GUIDE})",
            ),
            source=str(path),
        )  # fmt: skip
    log = ImportLog("redcap")
    columns = dict(mapping.get("columns", {}))
    record = columns.get("subject_id") or next(iter(fields), "record_id")
    drop = _expand_checkboxes(mapping.get("drop", []), fields, data.columns)
    named = [*mapping.get("dates", []), *([mapping["anchor"]] if "anchor" in mapping else [])]
    unknown = unmatched([*named, *mapping.get("drop", [])], data.columns)
    prepared = prepare(
        data, rows, log, file_label=label, id_column=record, drop=drop,
        dates=mapping.get("dates", []), anchor=mapping.get("anchor"),
        date_format=mapping.get("date_format"),
    )  # fmt: skip
    problems = [problems, prepared.problems, _identifiers(fields, data.columns, log, label)]
    if unknown:
        problems.append(
            make_problems(
                label, "mapping",
                f'"anchor", "dates" or "drop" name {short_list(unknown)}, which {label} does not have',
            )
        )  # fmt: skip
    frame = prepared.frame
    events = frame[EVENT].astype("string")
    visits_of, unit, event_problems = event_visits(
        list(dict.fromkeys(events.dropna())), mapping.get("events", {}), declared_unit(mapping)
    )
    problems.append(event_problems)
    log.events, log.visit_column = visits_of, standard.visit_column(unit)
    frame = frame.assign(**{ARM: events.str.extract(_ARM_SUFFIX.pattern, expand=False)})
    columns.setdefault("subject_id", record)
    if GROUP in frame.columns and "site" not in columns:
        columns["site"] = GROUP
    repeating = frame[INSTRUMENT].astype("string").fillna("") if INSTRUMENT in frame else None
    plain = (repeating == "").to_numpy() if repeating is not None else np.ones(len(frame), bool)
    visit = events.map(visits_of).to_numpy(dtype="float64", na_value=np.nan)
    rows = np.asarray(rows)
    tables, table_rows = {}, {}
    main, main_rows, main_problems = _subjects_and_visits(
        frame, rows, plain, visit, columns, mapping, fields, unit, label, log
    )
    tables.update(main)
    table_rows.update(main_rows)
    problems.append(main_problems)
    if "adverse_events" in mapping:
        table, table_row, ae_problems = _adverse_events(
            frame, rows, repeating, mapping["adverse_events"], record, fields, unit, label
        )
        tables["adverse_events"], table_rows["adverse_events"] = table, table_row
        problems.append(ae_problems)
    if "labs" in mapping:
        table, table_row, lab_problems = _labs(
            frame, rows, repeating, visit, mapping["labs"], record, fields, unit, label, log
        )
        tables["labs"], table_rows["labs"] = table, table_row
        problems.append(lab_problems)
    if repeating is not None:
        taken = {(mapping.get(name) or {}).get("instrument", name) for name in ("adverse_events", "labs")
                 if name in mapping}  # fmt: skip
        for instrument, count in repeating[~plain].value_counts().items():
            if instrument not in taken:
                log.leave_out(f"rows of the repeating instrument {instrument} (not mapped)", count)
    return RawStudy(
        tables, table_rows, concat_problems(problems), source=str(path),
        files=[path, dictionary_path], scan=[(label, prepared.scan, rows)],
        design=mapping.get("design"), metadata={"import": log.as_dict()}, checksums=checksums,
    )  # fmt: skip


def _expand_checkboxes(drop, fields, columns) -> list[str]:
    """``drop`` with each checkbox field named replaced by its choice columns."""
    out = []
    for item in drop:
        out.append(item)
        if item in fields and fields[item].type == "checkbox":
            out.extend(checkbox_columns(fields[item], columns).values())
    return out


def _identifiers(fields, columns, log, label) -> pd.DataFrame:
    """One problem naming the fields the dictionary marks as identifiers and the mapping keeps."""
    kept = []
    for field in fields.values():
        if not field.identifier:
            continue
        own = (
            list(checkbox_columns(field, columns).values())
            if field.type == "checkbox"
            else [field.name]
        )
        own = [column for column in own if column in columns]
        if own and not all(column in log.dropped or column in log.dates or column == log.anchor
                           for column in own):  # fmt: skip
            kept.append(field.name)
    if not kept:
        return empty_problems()
    listed = ", ".join(f'"{name}"' for name in kept)
    return make_problems(
        label, "privacy:identifier",
        f"the data dictionary marks {short_list(kept)} as identifying: leave "
        f'{"it" if len(kept) == 1 else "them"} out with "drop": [{listed}] (a date may instead '
        'become days with "anchor" and "dates")',
    )  # fmt: skip


def _with_own_names(columns: dict, names, present) -> dict:
    """``columns`` and the fields named as standard columns that the mapping does not map."""
    sources = set(columns.values())
    own = {
        name: name
        for name in names
        if name not in columns and name in present and name not in sources
    }
    return {**columns, **own}


def _decoded(frame: pd.DataFrame, columns: dict, table: str, unit: str, fields, values: dict):
    """``frame`` with the coded fields mapped in ``columns`` decoded for their target columns.

    Returns ``(frame, values)``: ``values`` gains each label beside its code, so that a
    recode written with codes also recodes the labels.
    """
    frame = frame.copy()
    values = {name: dict(codes) for name, codes in values.items()}
    targets = {item["name"]: item for item in standard.fields(table, unit)}
    for name, source in columns.items():
        field = fields.get(source)
        if field is None or field.type not in CODED_TYPES or name not in targets:
            continue
        kind = targets[name]["type"]
        if field.type == "checkbox":
            frame[source] = _checkbox(frame, field, kind)
        elif kind == "string" and source in frame.columns:
            text = frame[source].astype("string").str.strip()
            frame[source] = text.map(
                lambda code, field=field: field.choices.get(code, code), na_action="ignore"
            )
        if kind == "string" and name in values:
            for code, label in field.choices.items():
                if code in values[name] and label not in values[name]:
                    values[name][label] = values[name][code]
    return frame, values


def _checkbox(frame: pd.DataFrame, field: Field, kind: str) -> pd.Series:
    own = checkbox_columns(field, frame.columns)
    if not own:
        return pd.Series(pd.NA, index=frame.index, dtype=object)
    ticks = pd.DataFrame({code: frame[column].astype("string").str.strip() == "1"
                          for code, column in own.items()})  # fmt: skip
    answered = pd.concat([frame[column].notna() for column in own.values()], axis=1).any(axis=1)
    if kind == "boolean":
        out = ticks.any(axis=1).map({True: "1", False: "0"})
    else:
        out = ticks.apply(
            lambda row: (
                " | ".join(field.choices[code] for code, ticked in row.items() if ticked) or None
            ),
            axis=1,
        )
    return out.where(answered.to_numpy(), None).astype(object)


def _subjects_and_visits(frame, rows, plain, visit, columns, mapping, fields, unit, label, log):
    visit_column = standard.visit_column(unit)
    subject_names = standard.field_names("subjects")
    visit_names = [name for name in standard.field_names("visits", unit) if name != visit_column]
    names = list(dict.fromkeys(subject_names + visit_names))
    columns = _with_own_names(columns, names, frame.columns)
    decoded, values = _decoded(frame, columns, "subjects", unit, fields, mapping.get("values", {}))
    decoded, values = _decoded(decoded, columns, "visits", unit, fields, values)
    renamed, problems, not_recorded = apply_columns(
        decoded, columns, names, file_label=label, header_hint=False, left_out=log.dropped
    )
    renamed = recode(renamed, values, "subjects", unit)
    if "subject_id" not in renamed:
        return {}, {}, problems
    problems = [problems]
    ids = renamed["subject_id"].astype("string")
    subject_columns = [name for name in subject_names if name in renamed]
    own = renamed.loc[plain, subject_columns]
    first_row = pd.Series(rows).groupby(ids.to_numpy(), sort=False).first()
    subjects = own.groupby(ids[plain].to_numpy(), sort=False).first().reindex(first_row.index)
    subjects["subject_id"] = first_row.index
    subjects = subjects.reset_index(drop=True)
    for name in subject_columns[1:]:
        values_now = own[name].astype("string")
        firsts = ids[plain].map(subjects.set_index("subject_id")[name].astype("string"))
        differs = (values_now.notna() & (values_now != firsts)).to_numpy(dtype=bool, na_value=False)
        if differs.any():
            problems.append(
                make_problems(
                    "subjects", "subject-inconsistent",
                    f"{name} differs between the events of a record; a subject has one value",
                    rows=rows[plain][differs], column=name, values=values_now[differs],
                )
            )  # fmt: skip
    at_visit = plain & ~np.isnan(visit)
    visit_columns = [name for name in visit_names if name in renamed and name != "subject_id"]
    measured = (
        renamed[visit_columns].notna().any(axis=1).to_numpy()
        if visit_columns
        else np.zeros(len(renamed), bool)
    )
    log.leave_out(
        "rows of visit events without any visit value (missed visits)",
        np.count_nonzero(at_visit & ~measured),
    )
    elsewhere = plain & np.isnan(visit) & measured
    if elsewhere.any():
        events = sorted(set(frame.loc[elsewhere, EVENT].astype(str)))
        log.leave_out(f"rows with visit values at events that are not visits ({short_list(events, 4)})",
                      np.count_nonzero(elsewhere))  # fmt: skip
    keep = at_visit & measured
    visits = renamed.loc[keep, ["subject_id", *visit_columns]].reset_index(drop=True)
    visits.insert(1, visit_column, visit[keep])
    for name in standard.outcome_families():
        if name in columns and columns[name] is None:
            log.not_collected.append(f"{name} (the mapping declares it null)")
        elif columns.get(name) is not None and name in visits and visits[name].isna().all():
            log.not_collected.append(f"{name} ({columns[name]} holds no value)")
    tables, fill = complete_columns(
        {"subjects": subjects, "visits": visits},
        {"subjects": not_recorded, "visits": not_recorded}, unit, label,
    )  # fmt: skip
    problems.append(fill)
    return (
        tables,
        {"subjects": first_row.to_numpy(), "visits": rows[keep]},
        concat_problems(problems),
    )


def _adverse_events(frame, rows, repeating, sub, record, fields, unit, label):
    instrument = sub.get("instrument", "adverse_events")
    chosen = (
        (repeating == instrument).to_numpy()
        if repeating is not None
        else np.zeros(len(frame), bool)
    )
    part = frame.loc[chosen]
    columns = {"subject_id": record, **({"event_number": INSTANCE} if INSTANCE in frame else {}),
               **sub.get("columns", {})}  # fmt: skip
    names = standard.field_names("adverse_events", unit)
    columns = _with_own_names(columns, names, part.columns)
    decoded, values = _decoded(part, columns, "adverse_events", unit, fields, sub.get("values", {}))
    table, problems, _ = apply_columns(decoded, columns, names, file_label=label, header_hint=False)
    table = recode(table, values, "adverse_events", unit).reset_index(drop=True)
    if not chosen.any() and repeating is not None and instrument not in set(repeating):
        problems = concat_problems([problems, _no_instrument(instrument, repeating, label)])
    return table, rows[chosen], problems


def _no_instrument(instrument, repeating, label):
    present = sorted(set(repeating) - {""})
    return make_problems(
        label, "mapping",
        f"the export has no rows of the repeating instrument {instrument!r}"
        + (f" (it has {short_list(present)})" if present else "")
        + '; correct "instrument", or leave the table out of the mapping if it was not collected',
    )  # fmt: skip


def _labs(frame, rows, repeating, visit, sub, record, fields, unit, label, log):
    visit_column = standard.visit_column(unit)
    names = standard.field_names("labs", unit)
    tests = sub.get("tests", {})
    if not tests:
        return pd.DataFrame(columns=names), np.array([], dtype=int), make_problems(
            label, "mapping",
            '"labs" needs "tests": {"triglycerides": {"field": "your field", "unit": "mg/dL", '
            '"upper_limit_normal": 150}, ...}',
        )  # fmt: skip
    instrument = sub.get("instrument")
    if instrument is not None and repeating is not None and (repeating == instrument).any():
        chosen = (repeating == instrument).to_numpy()
    else:
        chosen = (
            (repeating == "").to_numpy() if repeating is not None else np.ones(len(frame), bool)
        )
    part, part_rows, part_visit = frame.loc[chosen], rows[chosen], visit[chosen]
    problems = []
    absent = [spec["field"] for spec in tests.values() if spec["field"] not in part.columns]
    if absent:
        problems.append(
            make_problems(label, "mapping", f"lab fields not in {label}: {short_list(absent)}")
        )
    day_source = sub.get("columns", {}).get("study_day")
    days = part[day_source] if day_source in part.columns else pd.Series(pd.NA, index=part.index)
    pieces = []
    for test, spec in tests.items():
        if spec["field"] not in part.columns:
            continue
        decoded, _ = _decoded(part, {"value": spec["field"]}, "labs", unit, fields, {})
        value = decoded[spec["field"]]
        upper = spec.get("upper_limit_normal")
        if isinstance(upper, str):  # a field of the export
            upper = part[upper].to_numpy() if upper in part.columns else np.nan
        elif upper is None:
            upper = np.nan
        pieces.append(pd.DataFrame({
            "subject_id": part[record].to_numpy(), visit_column: part_visit, "study_day": days.to_numpy(),
            "test": test, "value": value.to_numpy(), "unit": spec.get("unit"),
            "upper_limit_normal": upper,
            "_row": part_rows,
        }))  # fmt: skip
    labs = (
        pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=[*names, "_row"])
    )
    labs = labs[labs["value"].notna()]
    off = labs[visit_column].isna()
    log.leave_out("lab results at events that are not visits", int(off.sum()))
    labs = labs[~off].sort_values("_row", kind="stable").reset_index(drop=True)
    table_rows = labs.pop("_row").to_numpy(dtype=int)
    return labs[names], table_rows, concat_problems(problems)
