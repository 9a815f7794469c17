"""Real-world exports of one hand-written study, for the importer tests.

:func:`base_tables` draws a study with ``studies.py`` (36 subjects, comparator and
isotretinoin, months 0-6, treatment to month 5, withdrawals, adverse events, labs in mg/dL).
Each writer turns those standard tables into an export as a trial database or a statistician
would hand it over, with calendar dates (each subject's consent date is day 0) and the
identifiers real exports carry, and returns the file (or folder) and the mapping that imports
it back:

* :func:`write_redcap` — a REDCap flat export (raw data) and its data dictionary: nine events,
  arms coded 1/2, coded and checkbox fields, a repeating adverse-event instrument, lab fields
  in mg/dL, visit dates, and initials, e-mail and date of birth;
* :func:`write_long_excel` — one sheet, a title row above the header, Excel dates, codes
  written as decimals (``1.0``), no ECCA column;
* :func:`write_long_xpt` — one SAS transport file with SAS dates;
* :func:`write_adam` — ADSL, ADQS (a BDS dataset with LOCF records and ANL01FL), ADAE and ADLB
  as XPT files, with CDISC's USUBJID (``01-701-1001``) and analysis days.

:func:`assert_same_study` holds an imported study against the tables it came from.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
from studies import COMPARATOR, ISOTRETINOIN, StudyPlan, draw_tables

PLAN = StudyPlan("exported", (COMPARATOR, ISOTRETINOIN), seed=201, n_subjects=36)
FIRST_CONSENT = datetime.date(2023, 1, 9)
ARM_CODES = {"comparator": "1", "isotretinoin": "2"}
ARM_NAMES = {"comparator": "Doxycycline + BPO", "isotretinoin": "Isotretinoin"}
DESIGN = {
    "arms": [
        {"label": "comparator", "name": "Doxycycline + BPO", "reference": True},
        {"label": "isotretinoin", "name": "Isotretinoin"},
    ],
    "endOfTreatment": 5,
}
REASONS = ["adverse_event", "lack_of_efficacy", "lost_to_follow_up", "withdrew_consent",
           "pregnancy", "other"]  # fmt: skip
CATEGORIES = ["mucocutaneous", "musculoskeletal", "psychiatric", "gastrointestinal",
              "laboratory", "neurological", "other"]  # fmt: skip
RELATED = ["not_related", "unlikely", "possible", "probable", "definite"]
LAB_FIELDS = {"triglycerides": ("lab_tg", "mg/dL", 150), "total_cholesterol": ("lab_chol", "mg/dL", 200),
              "alt": ("lab_alt", "U/L", 40), "ast": ("lab_ast", "U/L", 40),
              "pregnancy": ("preg_test", "result", None)}  # fmt: skip
OUTCOME_FIELDS = {"inflammatory_lesions": "infl_count", "comedones": "comedones", "nodules": "nodules",
                  "iga": "iga", "scar_grade": "scar_grade", "ecca_score": "ecca",
                  "pih_macules": "pih_count", "pih_index": "pahpi", "adherence": "adherence"}  # fmt: skip


def base_tables() -> dict[str, pd.DataFrame]:
    """The study every export holds: the four standard tables (``studies.draw_tables``)."""
    return draw_tables(PLAN)


def consent_dates(subjects: pd.DataFrame) -> dict[str, datetime.date]:
    """Each subject's consent date (day 0): enrolment spread over the first months."""
    rng = np.random.default_rng(7)
    offsets = np.sort(rng.integers(0, 120, len(subjects)))
    return {
        subject: FIRST_CONSENT + datetime.timedelta(days=int(offset))
        for subject, offset in zip(subjects["subject_id"], offsets, strict=True)
    }


def _date(day0: datetime.date, days) -> datetime.date | None:
    if days is None or pd.isna(days):
        return None
    return day0 + datetime.timedelta(days=int(days))


def _iso(value: datetime.date | None) -> str:
    return "" if value is None else value.isoformat()


def _text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ----------------------------------------------------------------------------- REDCap

REDCAP_FIELDS = [
    # field, form, type, choices, validation, identifier
    ("record_id", "enrolment", "text", "", "", ""),
    ("consent_date", "enrolment", "text", "", "date_ymd", ""),
    ("initials", "enrolment", "text", "", "", "y"),
    ("email", "enrolment", "text", "", "email", "y"),
    ("dob", "enrolment", "text", "", "date_ymd", "y"),
    ("age", "enrolment", "text", "", "integer", ""),
    ("sex", "enrolment", "radio", "1, Female | 2, Male", "", ""),
    ("fitzpatrick", "enrolment", "dropdown", "1, I | 2, II | 3, III | 4, IV | 5, V | 6, VI", "", ""),
    ("weight", "enrolment", "text", "", "number", ""),
    ("childbearing", "enrolment", "yesno", "", "", ""),
    ("prior_tx", "enrolment", "checkbox",
     "1, Topical retinoid | 2, Oral antibiotic | 3, Benzoyl peroxide | 4, None", "", ""),
    ("rand_date", "randomisation", "text", "", "date_ymd", ""),
    ("rand_group", "randomisation", "radio", "1, Doxycycline + BPO | 2, Isotretinoin", "", ""),
    ("baseline_iga", "randomisation", "radio",
     "0, Clear | 1, Almost clear | 2, Mild | 3, Moderate | 4, Severe", "", ""),
    ("visit_date", "visit", "text", "", "date_ymd", ""),
    ("infl_count", "visit", "text", "", "integer", ""),
    ("comedones", "visit", "text", "", "integer", ""),
    ("nodules", "visit", "text", "", "integer", ""),
    ("iga", "visit", "radio", "0, Clear | 1, Almost clear | 2, Mild | 3, Moderate | 4, Severe", "", ""),
    ("scar_grade", "visit", "radio",
     "0, No scars | 1, Macular | 2, Mild | 3, Moderate | 4, Severe", "", ""),
    ("ecca", "visit", "text", "", "integer", ""),
    ("pih_count", "visit", "text", "", "integer", ""),
    ("pahpi", "visit", "text", "", "number", ""),
    ("adherence", "visit", "text", "", "number", ""),
    ("lab_date", "labs", "text", "", "date_ymd", ""),
    ("lab_tg", "labs", "text", "", "number", ""),
    ("lab_chol", "labs", "text", "", "number", ""),
    ("lab_alt", "labs", "text", "", "number", ""),
    ("lab_ast", "labs", "text", "", "number", ""),
    ("preg_test", "labs", "radio", "0, Negative | 1, Positive", "", ""),
    ("eos_completed", "end_of_study", "yesno", "", "", ""),
    ("eot_date", "end_of_study", "text", "", "date_ymd", ""),
    ("cum_dose", "end_of_study", "text", "", "number", ""),
    ("withdrawal_date", "end_of_study", "text", "", "date_ymd", ""),
    ("withdrawal_reason", "end_of_study", "radio",
     " | ".join(f"{i}, {reason.replace('_', ' ').capitalize().replace('Lost to follow up', 'Lost to follow-up')}"
                for i, reason in enumerate(REASONS, start=1)), "", ""),
    ("ae_term", "adverse_events", "text", "", "", ""),
    ("ae_onset_date", "adverse_events", "text", "", "date_ymd", ""),
    ("ae_category", "adverse_events", "radio",
     " | ".join(f"{i}, {name.capitalize()}" for i, name in enumerate(CATEGORIES, start=1)), "", ""),
    ("ae_grade", "adverse_events", "radio",
     "1, Grade 1 (mild) | 2, Grade 2 (moderate) | 3, Grade 3 (severe) | 4, Grade 4 | 5, Grade 5", "", ""),
    ("ae_related", "adverse_events", "radio",
     " | ".join(f"{i}, {name.replace('_', ' ').capitalize()}" for i, name in enumerate(RELATED, start=1)), "", ""),
    ("sae_criteria", "adverse_events", "checkbox",
     "1, Death | 2, Life-threatening | 3, Hospitalisation | 4, Disability | 5, Other important event", "", ""),
]  # fmt: skip
EVENTS = ["screening_arm_1", "baseline_arm_1", *[f"month_{m}_arm_1" for m in range(1, 7)],
          "end_of_study_arm_1"]  # fmt: skip


def redcap_mapping() -> dict:
    """The mapping that imports :func:`write_redcap`'s export."""
    tests = {test: {"field": field, "unit": unit, **({"upper_limit_normal": upper} if upper else {})}
             for test, (field, unit, upper) in LAB_FIELDS.items()}  # fmt: skip
    return {
        "dictionary": "dictionary.csv",
        "anchor": "consent_date",
        "dates": ["rand_date", "visit_date", "eot_date", "withdrawal_date", "ae_onset_date", "lab_date"],
        "drop": ["initials", "email", "dob"],
        "columns": {
            "arm": "rand_group", "weight_kg": "weight", "childbearing_potential": "childbearing",
            "randomisation_day": "rand_date", "end_of_treatment_day": "eot_date",
            "cumulative_dose_mg_per_kg": "cum_dose", "discontinuation_day": "withdrawal_date",
            "discontinuation_reason": "withdrawal_reason", "study_day": "visit_date",
            "inflammatory_lesions": "infl_count", "ecca_score": "ecca", "pih_macules": "pih_count",
            "pih_index": "pahpi",
        },
        "values": {"arm": {"1": "comparator", "2": "isotretinoin"}},
        "adverse_events": {
            "instrument": "adverse_events",
            "columns": {"term": "ae_term", "onset_day": "ae_onset_date", "category": "ae_category",
                        "severity_grade": "ae_grade", "related": "ae_related", "serious": "sae_criteria"},
        },
        "labs": {"columns": {"study_day": "lab_date"}, "tests": tests},
        "design": DESIGN,
    }  # fmt: skip


def write_redcap(tables: dict[str, pd.DataFrame], folder: Path) -> tuple[Path, dict]:
    """Write the study as ``export.csv`` (REDCap raw data) and ``dictionary.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    subjects, visits = tables["subjects"], tables["visits"]
    day0 = consent_dates(subjects)
    checkboxes = {"prior_tx": ["1", "2", "3", "4"], "sae_criteria": ["1", "2", "3", "4", "5"]}
    columns = ["record_id", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance",
               "redcap_data_access_group"]  # fmt: skip
    forms = {}
    for name, form, kind, *_ in REDCAP_FIELDS[1:]:
        forms.setdefault(form, [])
        if kind == "checkbox":
            columns.extend(f"{name}___{code}" for code in checkboxes[name])
        else:
            columns.append(name)
        forms[form].append(name)
    for form in forms:
        columns.append(f"{form}_complete")
    rows = []
    labs = tables["labs"]
    events_of = tables["adverse_events"].groupby("subject_id")
    rng = np.random.default_rng(11)
    for number, subject in enumerate(subjects.itertuples(index=False), start=1):
        start = day0[subject.subject_id]

        def row(event, subject=subject, number=number, **values):
            filled = {name: "" for name in columns}
            filled.update(record_id=str(number), redcap_event_name=event,
                          redcap_data_access_group=subject.site.lower())  # fmt: skip
            for name, codes in checkboxes.items():
                for code in codes:
                    filled[f"{name}___{code}"] = "0"
            filled.update({key: _text(value) for key, value in values.items()})
            rows.append(filled)
            return filled

        female = subject.sex == "female"
        screening = row(
            "screening_arm_1", consent_date=_iso(start), initials=f"{'AJKMR'[number % 5]}.{'BLST'[number % 4]}.",
            email=f"patient{number}@example.org", dob=_iso(start - datetime.timedelta(days=365 * int(subject.age) + 40)),
            age=subject.age, sex="1" if female else "2",
            fitzpatrick=str(["I", "II", "III", "IV", "V", "VI"].index(subject.fitzpatrick) + 1),
            weight=subject.weight_kg, childbearing=subject.childbearing_potential, enrolment_complete="2",
        )  # fmt: skip
        screening[f"prior_tx___{rng.integers(1, 5)}"] = "1"
        subject_visits = visits[visits["subject_id"] == subject.subject_id]
        for visit in subject_visits.itertuples(index=False):
            event = "baseline_arm_1" if visit.month == 0 else f"month_{visit.month}_arm_1"
            values = {field: getattr(visit, name) for name, field in OUTCOME_FIELDS.items()}
            values.update(visit_date=_iso(_date(start, visit.study_day)), visit_complete="2")
            if visit.month == 0:
                values.update(rand_date=_iso(_date(start, subject.randomisation_day)),
                              rand_group=ARM_CODES[subject.arm], baseline_iga=subject.baseline_iga,
                              randomisation_complete="2")  # fmt: skip
            drawn = labs[
                (labs["subject_id"] == subject.subject_id) & (labs["month"] == visit.month)
            ]
            if len(drawn):
                values.update(
                    lab_date=_iso(_date(start, drawn["study_day"].iloc[0])), labs_complete="2"
                )
                for test, value in zip(drawn["test"], drawn["value"], strict=True):
                    values[LAB_FIELDS[test][0]] = value
            row(event, **values)
        left = not pd.isna(subject.discontinuation_day)
        row(
            "end_of_study_arm_1", eos_completed="0" if left else "1",
            eot_date=_iso(_date(start, subject.end_of_treatment_day)),
            cum_dose=subject.cumulative_dose_mg_per_kg,
            withdrawal_date=_iso(_date(start, subject.discontinuation_day)),
            withdrawal_reason=str(REASONS.index(subject.discontinuation_reason) + 1) if left else "",
            end_of_study_complete="2",
        )  # fmt: skip
        if subject.subject_id in events_of.groups:
            for event in events_of.get_group(subject.subject_id).itertuples(index=False):
                filled = row(
                    "end_of_study_arm_1", redcap_repeat_instrument="adverse_events",
                    redcap_repeat_instance=event.event_number, ae_term=event.term,
                    ae_onset_date=_iso(_date(start, event.onset_day)),
                    ae_category=CATEGORIES.index(event.category) + 1, ae_grade=event.severity_grade,
                    ae_related=RELATED.index(event.related) + 1, adverse_events_complete="2",
                )  # fmt: skip
                if event.serious:
                    filled["sae_criteria___3"] = "1"
    pd.DataFrame(rows, columns=columns).to_csv(
        folder / "export.csv", index=False, lineterminator="\n"
    )
    dictionary = pd.DataFrame(
        [(name, form, "", kind, name.replace("_", " ").capitalize(), choices, "", validation, "", "",
          identifier, "", "", "", "", "", "", "")
         for name, form, kind, choices, validation, identifier in REDCAP_FIELDS],
        columns=["Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
                 "Choices, Calculations, OR Slider Labels", "Field Note",
                 "Text Validation Type OR Show Slider Number", "Text Validation Min",
                 "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
                 "Required Field?", "Custom Alignment", "Question Number (surveys only)",
                 "Matrix Group Name", "Matrix Ranking?", "Field Annotation"],
    )  # fmt: skip
    dictionary.to_csv(folder / "dictionary.csv", index=False, lineterminator="\n")
    return folder / "export.csv", redcap_mapping()


# ----------------------------------------------------------------------------- long files


def long_frame(tables: dict[str, pd.DataFrame], *, dates_as=None) -> pd.DataFrame:
    """One row per subject and visit, subject columns repeated, dates instead of days.

    ``dates_as`` turns each ``datetime.date`` into what the file holds (default: the date).
    """
    dates_as = dates_as or (lambda value: value)
    subjects, visits = tables["subjects"], tables["visits"]
    day0 = consent_dates(subjects)
    long = visits.drop(columns=["ecca_score"]).merge(subjects, on="subject_id")
    start = long["subject_id"].map(day0)

    def dates(days):
        return [dates_as(_date(first, day)) if _date(first, day) else None
                for first, day in zip(start, days, strict=True)]  # fmt: skip

    return pd.DataFrame({
        "Patient": long["subject_id"], "Group": long["arm"].map({"comparator": 1.0, "isotretinoin": 2.0}),
        "Centre": long["site"], "Age": long["age"], "Sex": long["sex"].map({"female": 1.0, "male": 2.0}),
        "Phototype": long["fitzpatrick"], "Weight": long["weight_kg"], "IGA_0": long["baseline_iga"],
        "Fertile": long["childbearing_potential"].map({True: "yes", False: "no"}),
        "Consent": [dates_as(first) for first in start], "Randomised": dates(long["randomisation_day"]),
        "TreatmentEnd": dates(long["end_of_treatment_day"]), "Dose": long["cumulative_dose_mg_per_kg"],
        "Withdrawn": dates(long["discontinuation_day"]), "Reason": long["discontinuation_reason"],
        "Visit": long["month"], "VisitDate": dates(long["study_day"]),
        "Inflammatory": long["inflammatory_lesions"], "Comedones": long["comedones"],
        "Nodules": long["nodules"], "IGA": long["iga"].astype("float64"), "Scars": long["scar_grade"],
        "PIH": long["pih_macules"], "PAHPI": long["pih_index"], "Adherence": long["adherence"],
    })  # fmt: skip


def long_mapping() -> dict:
    """The mapping that imports :func:`long_frame`'s columns (no ECCA: not collected)."""
    return {
        "columns": {
            "subject_id": "Patient", "arm": "Group", "site": "Centre", "age": "Age", "sex": "Sex",
            "fitzpatrick": "Phototype", "weight_kg": "Weight", "baseline_iga": "IGA_0",
            "childbearing_potential": "Fertile", "randomisation_day": "Randomised",
            "end_of_treatment_day": "TreatmentEnd", "cumulative_dose_mg_per_kg": "Dose",
            "discontinuation_day": "Withdrawn", "discontinuation_reason": "Reason", "month": "Visit",
            "study_day": "VisitDate", "inflammatory_lesions": "Inflammatory", "comedones": "Comedones",
            "nodules": "Nodules", "iga": "IGA", "scar_grade": "Scars", "ecca_score": None,
            "pih_macules": "PIH", "pih_index": "PAHPI", "adherence": "Adherence",
        },
        "values": {"arm": {"1": "comparator", "2": "isotretinoin"}, "sex": {"1": "female", "2": "male"}},
        "anchor": "Consent",
        "dates": ["Randomised", "TreatmentEnd", "Withdrawn", "VisitDate"],
        "design": DESIGN,
    }  # fmt: skip


def write_long_excel(tables: dict[str, pd.DataFrame], path: Path) -> tuple[Path, dict]:
    """An Excel sheet with a title row above the header: ``"header_row": 2``."""
    frame = long_frame(tables, dates_as=lambda value: pd.Timestamp(value) if value else None)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path) as writer:
        title = pd.DataFrame([list(frame.columns)], columns=frame.columns)
        pd.concat([title, frame.astype(object)]).to_excel(
            writer, sheet_name="Data", index=False,
            header=["Acne trial export (CONFIDENTIAL)"] + [""] * (frame.shape[1] - 1),
        )  # fmt: skip
    return path, {**long_mapping(), "sheet": "Data", "header_row": 2}


def write_long_xpt(tables: dict[str, pd.DataFrame], path: Path) -> tuple[Path, dict]:
    """A SAS transport file with SAS dates (DATE9.) and eight-character names."""
    frame = long_frame(tables)
    renamed = {column: column.upper()[:8] for column in frame.columns}
    frame = frame.rename(columns=renamed)
    for column in frame.columns:
        if frame[column].dtype == object and column not in (
            "CONSENT",
            "RANDOMIS",
            "TREATMEN",
            "WITHDRAW",
            "VISITDAT",
        ):
            frame[column] = frame[column].fillna("").astype(str)
    dates = ["CONSENT", "RANDOMIS", "TREATMEN", "WITHDRAW", "VISITDAT"]
    path.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_xport(frame, str(path), table_name="LONG",
                           variable_format={name: "DATE9." for name in dates})  # fmt: skip
    mapping = long_mapping()
    mapping["columns"] = {name: (renamed[source] if source else None)
                          for name, source in mapping["columns"].items()}  # fmt: skip
    mapping["anchor"] = "CONSENT"
    mapping["dates"] = ["RANDOMIS", "TREATMEN", "WITHDRAW", "VISITDAT"]
    return path, mapping


# ----------------------------------------------------------------------------- ADaM

PARAMS = {"INFL": "inflammatory_lesions", "COMED": "comedones", "NOD": "nodules", "IGA": "iga",
          "SCARGB": "scar_grade", "ECCA": "ecca_score", "PIHN": "pih_macules", "PAHPI": "pih_index",
          "ADHER": "adherence"}  # fmt: skip
LAB_CODES = {"triglycerides": "TRIG", "total_cholesterol": "CHOL", "alt": "ALT", "ast": "AST",
             "pregnancy": "HCG"}  # fmt: skip
SOC = {"mucocutaneous": "SKIN AND SUBCUTANEOUS TISSUE DISORDERS",
       "musculoskeletal": "MUSCULOSKELETAL AND CONNECTIVE TISSUE DISORDERS",
       "psychiatric": "PSYCHIATRIC DISORDERS", "gastrointestinal": "GASTROINTESTINAL DISORDERS",
       "laboratory": "INVESTIGATIONS", "neurological": "NERVOUS SYSTEM DISORDERS",
       "other": "INFECTIONS AND INFESTATIONS"}  # fmt: skip
DCSREAS = {"adverse_event": "ADVERSE EVENT", "lack_of_efficacy": "LACK OF EFFICACY",
           "lost_to_follow_up": "LOST TO FOLLOW-UP", "withdrew_consent": "WITHDRAWAL BY SUBJECT",
           "pregnancy": "PREGNANCY", "other": "OTHER"}  # fmt: skip


def usubjids(subjects: pd.DataFrame) -> dict[str, str]:
    """CDISC USUBJIDs, study-site-subject: ``01-701-1001``."""
    return {
        subject: f"01-{700 + int(site[-2:])}-{1000 + number}"
        for number, (subject, site) in enumerate(
            zip(subjects["subject_id"], subjects["site"], strict=True), 1
        )
    }


def _cdisc_day(days, reference):
    """CDISC analysis day: day 1 is the reference date, no day 0."""
    relative = np.asarray(days, dtype="float64") - np.asarray(reference, dtype="float64")
    return np.where(relative >= 0, relative + 1, relative)


def adam_mapping() -> dict:
    """The mapping that imports :func:`write_adam`'s folder."""
    return {
        "adsl": "adsl.xpt", "bds": "adqs.xpt", "adae": "adae.xpt", "adlb": "adlb.xpt",
        "params": dict(PARAMS),
        "anchor": "RFICDT",
        "dates": ["RANDDT", "TRTEDT", "DCSDT"],
        "columns": {"fitzpatrick": "FITZ", "baseline_iga": "IGABL", "childbearing_potential": "CHILDPOT",
                    "randomisation_day": "RANDDT", "end_of_treatment_day": "TRTEDT",
                    "cumulative_dose_mg_per_kg": "CUMDOSE", "discontinuation_day": "DCSDT",
                    "discontinuation_reason": "DCSREAS"},
        "values": {"arm": {"DOXYCYCLINE + BPO": "comparator", "ISOTRETINOIN": "isotretinoin"},
                   "discontinuation_reason": {"WITHDRAWAL BY SUBJECT": "withdrew_consent"}},
        "design": DESIGN,
    }  # fmt: skip


def write_adam(
    tables: dict[str, pd.DataFrame], folder: Path, *, ecca: bool = True, anl01fl: bool = True
) -> tuple[Path, dict]:
    """Write ADSL, ADQS, ADAE and ADLB as XPT files; ADQS has LOCF records and retests."""
    folder.mkdir(parents=True, exist_ok=True)
    subjects, visits = tables["subjects"], tables["visits"]
    ids = usubjids(subjects)
    day0 = consent_dates(subjects)
    start = subjects["subject_id"].map(day0)
    rand = subjects["randomisation_day"].astype(float)
    adsl = pd.DataFrame({
        "STUDYID": "ACNE01", "USUBJID": subjects["subject_id"].map(ids),
        "SUBJID": subjects["subject_id"].map(lambda s: ids[s][-4:]), "SITEID": subjects["site"],
        "TRT01P": subjects["arm"].map(ARM_NAMES).str.upper(), "TRT01A": subjects["arm"].map(ARM_NAMES).str.upper(),
        "AGE": subjects["age"].astype(float), "SEX": subjects["sex"].str[0].str.upper(),
        "FITZ": subjects["fitzpatrick"], "WEIGHTBL": subjects["weight_kg"].astype(float),
        "IGABL": subjects["baseline_iga"].astype(float),
        "CHILDPOT": subjects["childbearing_potential"].map({True: "Y", False: "N"}).fillna(""),
        "BRTHDT": [first - datetime.timedelta(days=365 * int(age) + 40) for first, age in zip(start, subjects["age"], strict=True)],
        "RFICDT": list(start),
        "RANDDT": [_date(first, day) for first, day in zip(start, subjects["randomisation_day"], strict=True)],
        "TRTSDT": [_date(first, day) for first, day in zip(start, subjects["randomisation_day"], strict=True)],
        "TRTEDT": [_date(first, day) for first, day in zip(start, subjects["end_of_treatment_day"], strict=True)],
        "CUMDOSE": subjects["cumulative_dose_mg_per_kg"].astype("float64"),
        "EOSSTT": np.where(subjects["discontinuation_day"].notna(), "DISCONTINUED", "COMPLETED"),
        "DCSREAS": subjects["discontinuation_reason"].map(DCSREAS).fillna(""),
        "DCSDT": [_date(first, day) for first, day in zip(start, subjects["discontinuation_day"], strict=True)],
    })  # fmt: skip
    reference = dict(zip(subjects["subject_id"], rand, strict=True))
    records = []
    for visit in visits.itertuples(index=False):
        for code, name in PARAMS.items():
            value = getattr(visit, name)
            if pd.isna(value) or (code == "ECCA" and not ecca):
                continue
            records.append({
                "USUBJID": ids[visit.subject_id], "PARAMCD": code, "AVISITN": float(visit.month),
                "AVISIT": "BASELINE" if visit.month == 0 else f"MONTH {visit.month}",
                "ADT": _date(day0[visit.subject_id], visit.study_day),
                "ADY": float(_cdisc_day([visit.study_day], [reference[visit.subject_id]])[0]),
                "AVAL": float(value), "DTYPE": "", "ANL01FL": "Y",
            })  # fmt: skip
    bds = pd.DataFrame(records)
    locf = []
    for subject, seen in visits.groupby("subject_id"):
        last = seen.sort_values("month").iloc[-1]
        for month in range(int(last["month"]) + 1, 6):
            for code in ("INFL", "IGA"):
                locf.append({
                    "USUBJID": ids[subject], "PARAMCD": code, "AVISITN": float(month), "AVISIT": f"MONTH {month}",
                    "ADT": None, "ADY": np.nan, "AVAL": float(last[PARAMS[code]]), "DTYPE": "LOCF", "ANL01FL": "Y",
                })  # fmt: skip
    retests = (
        bds[(bds["PARAMCD"] == "INFL") & (bds["AVISITN"] == 1)]
        .head(3)
        .assign(AVAL=lambda frame: frame["AVAL"] + 5, ANL01FL="")
    )
    bds = pd.concat([bds, pd.DataFrame(locf), retests], ignore_index=True)
    if not anl01fl:
        bds = bds.drop(columns="ANL01FL")
    events = tables["adverse_events"]
    adae = pd.DataFrame({
        "USUBJID": events["subject_id"].map(ids), "AESEQ": events["event_number"].astype(float),
        "AETERM": events["term"].str.upper(), "AEDECOD": events["term"].str.title(),
        "AEBODSYS": events["category"].map(SOC),
        "ASTDT": [_date(day0[s], d) for s, d in zip(events["subject_id"], events["onset_day"], strict=True)],
        "ASTDY": _cdisc_day(events["onset_day"], events["subject_id"].map(reference)),
        "AETOXGR": events["severity_grade"].astype(str),
        "AEREL": events["related"].str.replace("_", " ").str.upper(),
        "AESER": events["serious"].map({True: "Y", False: "N"}), "TRTEMFL": "Y",
    })  # fmt: skip
    labs = tables["labs"]
    adlb = pd.DataFrame({
        "USUBJID": labs["subject_id"].map(ids), "PARAMCD": labs["test"].map(LAB_CODES),
        "AVISITN": labs["month"].astype(float),
        "ADT": [_date(day0[s], d) for s, d in zip(labs["subject_id"], labs["study_day"], strict=True)],
        "ADY": _cdisc_day(labs["study_day"], labs["subject_id"].map(reference)),
        "AVAL": np.where(labs["test"] == "pregnancy", np.nan, labs["value"]),
        "AVALC": np.where(labs["test"] == "pregnancy", "NEGATIVE", ""),
        "AVALU": np.where(labs["test"] == "pregnancy", "", labs["unit"]),
        "ANRHI": labs["upper_limit_normal"].astype("float64"), "DTYPE": "", "ANL01FL": "Y",
    })  # fmt: skip
    date_formats = {
        name: "DATE9."
        for name in ("BRTHDT", "RFICDT", "RANDDT", "TRTSDT", "TRTEDT", "DCSDT", "ADT", "ASTDT")
    }
    for name, frame in (("adsl", adsl), ("adqs", bds), ("adae", adae), ("adlb", adlb)):
        formats = {column: fmt for column, fmt in date_formats.items() if column in frame.columns}
        pyreadstat.write_xport(frame, str(folder / f"{name}.xpt"), table_name=name.upper(),
                               variable_format=formats)  # fmt: skip
    return folder, adam_mapping()


# ----------------------------------------------------------------------------- comparing


def assert_same_study(study, tables, *, ids=None, tables_compared=("subjects", "visits", "adverse_events", "labs"),
                      skip=()) -> None:  # fmt: skip
    """Hold an imported ``study`` against the standard ``tables`` it was exported from.

    ``ids`` maps the original subject IDs to the export's (ADaM's USUBJID); ``skip`` names
    columns not compared (for example an outcome the export leaves out).
    """
    for name in tables_compared:
        want = tables[name].copy()
        if ids is not None:
            want["subject_id"] = want["subject_id"].map(ids)
        got = study.tables[name]
        columns = [column for column in want.columns if column not in skip]
        key = [
            column
            for column in ("subject_id", "month", "event_number", "test")
            if column in columns
        ]
        want = want[columns].astype({name: str for name in key})
        got = got[columns].astype({name: str for name in key})
        want = want.sort_values(key).reset_index(drop=True)
        got = got.sort_values(key).reset_index(drop=True)
        assert len(got) == len(want), (name, len(got), len(want))
        for column in columns:
            left = got[column].astype(object).where(got[column].notna(), None).tolist()
            right = want[column].astype(object).where(want[column].notna(), None).tolist()
            if column == "site":
                left = [str(value).upper() for value in left]
            if pd.api.types.is_float_dtype(want[column].dtype) or column in (
                "value",
                "upper_limit_normal",
            ):
                left = [None if value is None else round(float(value), 6) for value in left]
                right = [None if value is None else round(float(value), 6) for value in right]
            else:
                left = [None if value is None else str(value) for value in left]
                right = [None if value is None else str(value) for value in right]
            assert left == right, (
                name,
                column,
                [(a, b) for a, b in zip(left, right, strict=True) if a != b][:5],
            )


def record_ids(subjects: pd.DataFrame) -> dict[str, str]:
    """The REDCap record ID of each subject (1, 2, ... in order)."""
    return {subject: str(number) for number, subject in enumerate(subjects["subject_id"], start=1)}
