"""Small, plausible studies written by hand (not by ``acne_outcomes.simulate``) for the test matrix.

A :class:`StudyPlan` says what a study is: its arms (label, display name, kind of drug, how
much of the inflammatory acne it clears), the visit unit and schedule, the end of treatment,
the size, what was collected and how much of its design it declares. :func:`write_study`
draws the four tables from it with a seeded generator and writes them as CSV files, plus a
``datapackage.json`` holding only ``{"design": {...}}`` when the study declares a design.

The tables follow every rule of the standard: a baseline visit (0) for every subject,
``baseline_iga`` equal to the baseline visit's ``iga``, study days increasing with the visits,
nodules counted among the inflammatory lesions, no visit after a subject's discontinuation,
adverse events within follow-up, labs in the standard's units, values in range, and no date,
name, e-mail or long number anywhere. Lesions fall more in the active arms than in the control.

Each named study is a function ``study(root) -> folder`` that writes ``root/<name>/``;
:data:`STUDIES` maps the names to them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: Days in one unit of each visit schedule.
#: The notebook parameters of a report build whose tests read its pages and tables rather than
#: every figure file: PNG only (the PDF is the slowest format to save). The builds of
#: test_report_full, test_hostile and test_teach save all three formats.
PNG_ONLY = {"figure_formats": ["png"]}
DAYS_PER_UNIT = {"months": 30.44, "weeks": 7.0, "days": 1.0}
VISIT_COLUMN = {"months": "month", "weeks": "week", "days": "day"}
#: The visit measurements every study collects (ECCA and adherence depend on the plan).
LESION_COLUMNS = ("inflammatory_lesions", "comedones", "nodules", "iga")
SCAR_COLUMNS = ("scar_grade", "ecca_score")
PIH_COLUMNS = ("pih_macules", "pih_index")
#: Adverse events by kind of drug: (term, category, probability per subject, drug-related).
ADVERSE_EVENTS = {
    "isotretinoin": (
        ("cheilitis", "mucocutaneous", 0.85, True),
        ("xerosis", "mucocutaneous", 0.55, True),
        ("dry eye", "mucocutaneous", 0.30, True),
        ("epistaxis", "mucocutaneous", 0.15, True),
        ("myalgia", "musculoskeletal", 0.12, True),
        ("headache", "neurological", 0.10, False),
        ("depressed mood", "psychiatric", 0.05, False),
    ),
    "antibiotic": (
        ("nausea", "gastrointestinal", 0.12, True),
        ("photosensitivity reaction", "mucocutaneous", 0.08, True),
        ("dizziness", "neurological", 0.05, True),
        ("headache", "neurological", 0.08, False),
        ("nasopharyngitis", "other", 0.08, False),
    ),
    "topical": (
        ("application site irritation", "mucocutaneous", 0.20, True),
        ("application site erythema", "mucocutaneous", 0.10, True),
        ("xerosis", "mucocutaneous", 0.10, True),
        ("headache", "neurological", 0.05, False),
    ),
    "control": (
        ("headache", "neurological", 0.07, False),
        ("nasopharyngitis", "other", 0.08, False),
        ("application site irritation", "mucocutaneous", 0.04, True),
    ),
}
#: Lab tests: (unit, baseline median, log-scale spread, upper limit of normal, isotretinoin shift).
LAB_TESTS = {
    "triglycerides": ("mg/dL", 90.0, 0.35, 150.0, 0.30),
    "total_cholesterol": ("mg/dL", 165.0, 0.13, 200.0, 0.08),
    "alt": ("U/L", 19.0, 0.30, 40.0, 0.10),
    "ast": ("U/L", 20.0, 0.22, 40.0, 0.10),
}
ADVERSE_EVENT_COLUMNS = (
    "subject_id",
    "event_number",
    "onset_day",
    "term",
    "category",
    "severity_grade",
    "related",
    "serious",
)
DROPOUT_REASONS = ("lost_to_follow_up", "withdrew_consent", "lack_of_efficacy")


@dataclass(frozen=True)
class ArmPlan:
    """One arm: its label in the data, display name, kind of drug and mean lesion clearance.

    ``drug`` is ``"isotretinoin"``, ``"antibiotic"``, ``"topical"`` or ``"control"``: it sets
    the adverse events, the lab shifts and whether a cumulative dose is recorded.
    ``clearance`` is the mean fraction of inflammatory lesions gone by the end of treatment.
    """

    label: str
    name: str
    drug: str
    clearance: float


@dataclass(frozen=True)
class StudyPlan:
    """What a hand-written study is; :func:`write_study` draws and writes it.

    ``arms`` lists the reference arm first. ``fewest_lesions`` is the fewest inflammatory
    lesions a subject has after baseline (1 or more: nobody clears). ``declare`` is ``"full"`` (the whole design in
    ``datapackage.json``), ``"arms"`` (only the arms; the rest is inferred) or ``"none"``
    (no ``datapackage.json``: everything is inferred). ``end_of_treatment`` is a scheduled
    visit, or ``None`` when treatment runs to the last visit (and adherence is not recorded).
    """

    name: str
    arms: tuple[ArmPlan, ...]
    seed: int
    visit_unit: str = "months"
    visits: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
    end_of_treatment: int | None = 5
    n_subjects: int = 36
    declare: str = "full"
    ecca: bool = True
    adverse_events: bool = True
    labs: bool = True
    scars_change: bool = True
    event_free_arms: tuple[str, ...] = ()
    leave_after_baseline: int = 0
    fewest_lesions: int = 0
    dropout: float = 0.08
    missed_visit: float = 0.04

    @property
    def visit_column(self) -> str:
        return VISIT_COLUMN[self.visit_unit]

    @property
    def has_isotretinoin(self) -> bool:
        return any(arm.drug == "isotretinoin" for arm in self.arms)

    @property
    def outcomes(self) -> tuple[str, ...]:
        """The visit measurements written, in the standard's order."""
        scars = SCAR_COLUMNS if self.ecca else SCAR_COLUMNS[:1]
        adherence = ("adherence",) if self.end_of_treatment is not None else ()
        return LESION_COLUMNS + scars + PIH_COLUMNS + adherence

    @property
    def tables(self) -> tuple[str, ...]:
        optional = (("adverse_events", self.adverse_events), ("labs", self.labs))
        return ("subjects", "visits") + tuple(name for name, kept in optional if kept)

    def design(self) -> dict | None:
        """The ``design`` object this study declares (``None``: it declares none)."""
        if self.declare == "none":
            return None
        arms = [
            {"label": arm.label, "name": arm.name, **({"reference": True} if i == 0 else {})}
            for i, arm in enumerate(self.arms)
        ]
        if self.declare == "arms":
            return {"arms": arms}
        last = self.visits[-1]
        lesions = last if self.end_of_treatment is None else self.end_of_treatment
        declared = {"arms": arms, "visitUnit": self.visit_unit, "visits": list(self.visits)}
        if self.end_of_treatment is not None:
            declared["endOfTreatment"] = self.end_of_treatment
        declared["primaryVisits"] = {"lesions": lesions, "scars": last, "pih": last}
        declared["outcomes"] = list(self.outcomes)
        declared["tables"] = list(self.tables)
        return declared


# ---------------------------------------------------------------------- drawing the tables


def draw_tables(plan: StudyPlan) -> dict[str, pd.DataFrame]:
    """Draw the study's tables (only those it collects) with the plan's seed."""
    rng = np.random.default_rng(plan.seed)
    subjects = _subjects(plan, rng)
    visits, contact = _visits(plan, subjects, rng)
    subjects = _exposure(plan, subjects, visits, contact, rng)
    tables = {"subjects": subjects, "visits": visits}
    if plan.adverse_events:
        tables["adverse_events"] = _adverse_events(plan, subjects, contact, rng)
    if plan.labs:
        tables["labs"] = _labs(plan, subjects, visits, rng)
    return tables


def _subjects(plan: StudyPlan, rng: np.random.Generator) -> pd.DataFrame:
    n = plan.n_subjects
    width = max(2, len(str(n)))
    arms = np.resize([arm.label for arm in plan.arms], n)
    sex = rng.choice(["female", "male"], size=n)
    weight = np.where(sex == "male", rng.normal(73, 10, n), rng.normal(62, 9, n))
    iga_weights = [0.05, 0.45, 0.50] if plan.has_isotretinoin else [0.20, 0.65, 0.15]
    fertile = rng.random(n) < 0.85
    sites = max(2, n // 12)
    return pd.DataFrame(
        {
            "subject_id": [f"P{i:0{width}d}" for i in range(1, n + 1)],
            "arm": rng.permutation(arms),
            "site": [f"SITE{rng.integers(1, sites + 1):02d}" for _ in range(n)],
            "age": np.clip(14 + np.round(rng.gamma(2.0, 3.5, n)), 12, 45).astype(int),
            "sex": sex,
            "fitzpatrick": rng.choice(
                ["I", "II", "III", "IV", "V", "VI"], size=n, p=[0.08, 0.25, 0.30, 0.20, 0.10, 0.07]
            ),
            "weight_kg": np.round(np.clip(weight, 42, 120), 1),
            "baseline_iga": rng.choice([2, 3, 4], size=n, p=iga_weights),
            "childbearing_potential": pd.array(
                [bool(f) if s == "female" else pd.NA for s, f in zip(sex, fertile, strict=True)],
                dtype="boolean",
            ),
            "randomisation_day": rng.integers(0, 4, n),
        }
    )


def _schedule_days(plan: StudyPlan, rng: np.random.Generator, start: int) -> np.ndarray:
    """The actual day of each scheduled visit: on time give or take a few days, increasing."""
    nominal = np.round(np.asarray(plan.visits) * DAYS_PER_UNIT[plan.visit_unit]).astype(int)
    gaps = np.diff(nominal, prepend=-(10**6))
    windows = np.minimum(3, np.maximum(gaps // 4, 0))
    days = start + nominal + rng.integers(-windows, windows + 1)
    days[0] = start
    steps = np.arange(len(days))
    return np.maximum.accumulate(days - steps) + steps


def _attended(plan: StudyPlan, index: int, rng: np.random.Generator) -> tuple[int, bool]:
    """How many scheduled visits the subject reaches, and whether they left early."""
    n_visits = len(plan.visits)
    if index < plan.leave_after_baseline:
        return 1, True
    if n_visits > 2 and rng.random() < plan.dropout:
        return int(rng.integers(2, n_visits)), True
    return n_visits, False


def _visits(plan: StudyPlan, subjects: pd.DataFrame, rng: np.random.Generator):
    """The visits table, and each subject's contact: ``(last day, reason for leaving or None)``."""
    arms = {arm.label: arm for arm in plan.arms}
    eot = plan.visits[-1] if plan.end_of_treatment is None else plan.end_of_treatment
    rows, contact = [], {}
    for index, subject in enumerate(subjects.itertuples(index=False)):
        arm = arms[subject.arm]
        days = _schedule_days(plan, rng, int(subject.randomisation_day))
        reached, left = _attended(plan, index, rng)
        curve = _subject_course(plan, arm, subject, rng)
        for position in range(reached):
            if 0 < position < reached - 1 and rng.random() < plan.missed_visit:
                continue
            visit = plan.visits[position]
            fraction = min(visit / eot, 1.0)
            rows.append(
                {
                    "subject_id": subject.subject_id,
                    plan.visit_column: visit,
                    "study_day": int(days[position]),
                    **curve(position, fraction, 0 < visit <= eot, rng),
                }
            )
        last_day = int(days[reached - 1])
        if left:
            next_day = int(days[reached]) if reached < len(days) else last_day + 30
            leaving = last_day + int(rng.integers(3, max(4, (next_day - last_day) // 2)))
            contact[subject.subject_id] = (leaving, str(rng.choice(DROPOUT_REASONS)))
        else:
            contact[subject.subject_id] = (last_day, None)
    visits = pd.DataFrame(rows)
    visits = visits[["subject_id", plan.visit_column, "study_day", *plan.outcomes]]
    for column in ("study_day", *plan.outcomes):
        if column not in ("pih_index", "adherence"):
            visits[column] = visits[column].astype("Int64")
    return visits, contact


def _subject_course(plan: StudyPlan, arm: ArmPlan, subject, rng: np.random.Generator):
    """A function drawing the subject's measurements at a visit from their own course."""
    iga = int(subject.baseline_iga)
    inflammatory = max(6, round({2: 15, 3: 30, 4: 50}[iga] * rng.lognormal(0, 0.25)))
    comedones = round(inflammatory * rng.uniform(0.8, 1.6)) + int(rng.poisson(5))
    nodules = min(int(rng.poisson({2: 0.1, 3: 0.6, 4: 2.5}[iga])), inflammatory)
    clearance = float(rng.beta(5 * arm.clearance, 5 * (1 - arm.clearance)))
    if rng.random() < arm.clearance**2 / 4:
        clearance = 1.0  # a complete responder: no inflammatory lesion left by the end
    grade = int(rng.choice(5, p=[0.15, 0.30, 0.30, 0.20, 0.05]))
    ecca = _ecca_for(grade, rng)
    scar_change_at = int(rng.integers(1, len(plan.visits))) if len(plan.visits) > 1 else 0
    scar_step = 0
    if plan.scars_change and arm.drug == "control" and grade < 4 and rng.random() < 0.2:
        scar_step = 1
    elif plan.scars_change and arm.drug != "control" and grade > 0 and rng.random() < 0.25:
        scar_step = -1
    skin = "I II III IV V VI".split().index(subject.fitzpatrick)
    macules = int(rng.poisson((1, 2, 4, 7, 9, 10)[skin] * iga / 3))
    size = int(rng.integers(1, 3))
    intensity = int(rng.integers(1, 3)) + (skin >= 4)
    pih_clearance = 0.25 + 0.5 * clearance

    def measure(position: int, fraction: float, on_treatment: bool, rng: np.random.Generator):
        course = (1 - np.exp(-2.5 * fraction)) / (1 - np.exp(-2.5))
        lesions = {
            "inflammatory_lesions": inflammatory,
            "comedones": comedones,
            "nodules": nodules,
            "iga": iga,
        }
        now_macules = macules
        if position > 0:
            kept = 1 - clearance * course
            drawn = int(rng.poisson(inflammatory * kept * rng.lognormal(0, 0.15)))
            now_inflammatory = max(drawn, plan.fewest_lesions)
            ratio = now_inflammatory / inflammatory
            lesions = {
                "inflammatory_lesions": now_inflammatory,
                "comedones": int(rng.poisson(comedones * (1 - 0.8 * clearance * course))),
                "nodules": min(int(rng.binomial(nodules, max(kept - 0.1, 0.0))), now_inflammatory),
                "iga": int(np.clip(round(iga * ratio**0.5 + rng.normal(0, 0.35)), 0, 4)),
            }
            now_macules = int(rng.poisson(macules * (1 - pih_clearance * course) + 0.3))
        now_grade = grade + (scar_step if position >= scar_change_at else 0)
        now_ecca = _ecca_after(ecca, grade, now_grade, position, rng)
        values = {
            **lesions,
            "scar_grade": now_grade,
            "ecca_score": now_ecca,
            "pih_macules": now_macules,
            "pih_index": _pih_index(now_macules, size, intensity, course * pih_clearance, rng),
            "adherence": round(float(rng.beta(18, 2)), 2) if on_treatment else np.nan,
        }
        return {name: values[name] for name in plan.outcomes}

    return measure


def _ecca_for(grade: int, rng: np.random.Generator) -> int:
    """An ECCA score that fits a scar grade (a multiple of 5: weights 15-50 times extent)."""
    if grade == 0:
        return 0
    low, high = {1: (15, 45), 2: (40, 95), 3: (90, 170), 4: (160, 260)}[grade]
    return 5 * int(rng.integers(low // 5, high // 5 + 1))


def _ecca_after(ecca: int, grade: int, now_grade: int, position: int, rng) -> int:
    """The ECCA score at a later visit: following the grade, with a rater's noise."""
    if now_grade == 0:
        return 0
    if position == 0:
        return ecca
    moved = ecca + 25 * (now_grade - grade) + 5 * int(rng.integers(-1, 2))
    return max(15, moved)


def _pih_index(macules: int, size: int, intensity: int, faded: float, rng) -> float:
    """A PAHPI-style index (number + size + intensity scores), the mean of two raters."""
    if macules == 0:
        return 0.0
    number = min(4, 1 + macules // 4)
    now_intensity = max(1, round(intensity - 1.5 * faded))
    first = number + size + now_intensity
    second = int(np.clip(first + rng.integers(-1, 2), 1, 12))
    return (first + second) / 2


def _exposure(plan: StudyPlan, subjects: pd.DataFrame, visits: pd.DataFrame, contact: dict, rng):
    """End of treatment, cumulative isotretinoin dose and discontinuation, from the visits."""
    eot_visit = plan.visits[-1] if plan.end_of_treatment is None else plan.end_of_treatment
    nominal_eot = round(eot_visit * DAYS_PER_UNIT[plan.visit_unit])
    at_eot = visits[visits[plan.visit_column] == eot_visit].set_index("subject_id")["study_day"]
    drugs = {arm.label: arm.drug for arm in plan.arms}
    ends, doses, left_days, reasons = [], [], [], []
    for subject in subjects.itertuples(index=False):
        leaving, reason = contact[subject.subject_id]
        start = int(subject.randomisation_day)
        if subject.subject_id in at_eot.index:
            end = int(at_eot[subject.subject_id])
        elif reason is None:
            end = start + nominal_eot
        else:
            end = min(leaving, start + nominal_eot)
        treated = end - start
        dose = (0.5 * min(treated, 30) + 1.0 * max(treated - 30, 0)) * rng.uniform(0.85, 1.0)
        ends.append(end)
        doses.append(round(min(dose, 600.0), 1) if drugs[subject.arm] == "isotretinoin" else None)
        left_days.append(pd.NA if reason is None else leaving)
        reasons.append(reason)
    subjects = subjects.assign(end_of_treatment_day=pd.array(ends, dtype="Int64"))
    subjects["cumulative_dose_mg_per_kg"] = pd.array(doses, dtype="Float64")
    subjects["discontinuation_day"] = pd.array(left_days, dtype="Int64")
    subjects["discontinuation_reason"] = pd.array(reasons, dtype="string")
    return subjects


def _adverse_events(plan: StudyPlan, subjects: pd.DataFrame, contact: dict, rng) -> pd.DataFrame:
    """Each subject's events, drawn from their arm's drug, between treatment start and last contact."""
    drugs = {arm.label: arm.drug for arm in plan.arms}
    rows = []
    for subject in subjects.itertuples(index=False):
        if subject.arm in plan.event_free_arms:
            continue
        first, last = int(subject.randomisation_day) + 1, contact[subject.subject_id][0]
        if last < first:
            continue
        events = []
        for term, category, probability, drug_related in ADVERSE_EVENTS[drugs[subject.arm]]:
            if rng.random() >= probability:
                continue
            onset = int(rng.integers(first, min(last, first + 150) + 1))
            psychiatric = category == "psychiatric"
            grade = int(
                rng.choice([1, 2, 3], p=[0.5, 0.4, 0.1] if psychiatric else [0.8, 0.18, 0.02])
            )
            related = (
                rng.choice(["possible", "probable", "definite"], p=[0.3, 0.5, 0.2])
                if drug_related
                else rng.choice(["not_related", "unlikely", "possible"], p=[0.4, 0.4, 0.2])
            )
            serious = grade >= 3 and bool(rng.random() < 0.5)
            events.append((onset, term, category, grade, str(related), serious))
        for number, (onset, *event) in enumerate(sorted(events), start=1):
            rows.append((subject.subject_id, number, onset, *event))
    return pd.DataFrame(rows, columns=ADVERSE_EVENT_COLUMNS)


def _labs(plan: StudyPlan, subjects: pd.DataFrame, visits: pd.DataFrame, rng) -> pd.DataFrame:
    """Lipids and liver enzymes (monthly on isotretinoin, else at baseline and the end), and
    pregnancy tests for subjects who can become pregnant, on the days of the visits attended."""
    column = plan.visit_column
    eot = plan.visits[-1] if plan.end_of_treatment is None else plan.end_of_treatment
    lab_visits = [v for v in plan.visits if v <= eot] if plan.has_isotretinoin else [0, eot]
    drugs = {arm.label: arm.drug for arm in plan.arms}
    attended = visits[visits[column].isin(lab_visits)]
    arm_of = dict(zip(subjects["subject_id"], subjects["arm"], strict=True))
    fertile = set(subjects.loc[subjects["childbearing_potential"].fillna(False), "subject_id"])
    baselines = {
        (subject, test): median * rng.lognormal(0, spread)
        for subject in subjects["subject_id"]
        for test, (_, median, spread, _, _) in LAB_TESTS.items()
    }
    rows = []
    for visit in attended.itertuples(index=False):
        visit_number = getattr(visit, column)
        sample = (visit.subject_id, visit_number, visit.study_day)
        on_drug = drugs[arm_of[visit.subject_id]] == "isotretinoin" and visit_number > 0
        for test, (unit, _, _, upper, shift) in LAB_TESTS.items():
            value = baselines[visit.subject_id, test] * np.exp(
                shift * on_drug + rng.normal(0, 0.12) * (visit_number > 0)
            )
            rows.append((*sample, test, round(value, 1), unit, upper))
        if visit.subject_id in fertile:
            rows.append((*sample, "pregnancy", 0.0, "result", None))
    columns = ["subject_id", column, "study_day", "test", "value", "unit", "upper_limit_normal"]
    labs = pd.DataFrame(rows, columns=columns)
    labs["study_day"] = labs["study_day"].astype("Int64")
    return labs


# ---------------------------------------------------------------------- writing a study


def write_study(plan: StudyPlan, root: Path) -> Path:
    """Write the study as ``root/<plan.name>/``: CSV tables and, if declared, its design."""
    folder = Path(root) / plan.name
    folder.mkdir(parents=True, exist_ok=True)
    tables = draw_tables(plan)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
    design = plan.design()
    if design is not None:
        text = json.dumps({"design": design}, indent=2, ensure_ascii=False)
        (folder / "datapackage.json").write_text(text + "\n", encoding="utf-8")
    return folder


# ---------------------------------------------------------------------- the named studies

ISOTRETINOIN = ArmPlan("isotretinoin", "Isotretinoin", "isotretinoin", 0.90)
COMPARATOR = ArmPlan("comparator", "Comparator", "antibiotic", 0.55)

PLANS: dict[str, StudyPlan] = {
    plan.name: plan
    for plan in (
        StudyPlan("one_arm", (ISOTRETINOIN,), seed=101),
        StudyPlan(
            "three_arms",
            (
                ArmPlan("vehicle", "Vehicle", "control", 0.30),
                ArmPlan("doxycycline", "Doxycycline 100 mg", "antibiotic", 0.55),
                ISOTRETINOIN,
            ),
            seed=102,
            visits=(0, 1, 3, 5, 9),
            declare="arms",
        ),
        StudyPlan(
            "other_arm_names",
            (
                ArmPlan("vehicle", "Vehicle", "control", 0.35),
                ArmPlan("sarecycline", "Sarecycline 1.5 mg/kg", "antibiotic", 0.60),
            ),
            seed=103,
            visit_unit="weeks",
            visits=(0, 3, 6, 9, 12),
            end_of_treatment=12,
        ),
        StudyPlan(
            "months_0_3_6",
            (ArmPlan("doxycycline", "Doxycycline", "antibiotic", 0.55), ISOTRETINOIN),
            seed=104,
            visits=(0, 3, 6),
            end_of_treatment=None,
        ),
        StudyPlan(
            "weeks_0_4_8_12_24",
            (
                ArmPlan("vehicle", "Vehicle cream", "control", 0.30),
                ArmPlan("clascoterone", "Clascoterone 1% cream", "topical", 0.55),
            ),
            seed=105,
            visit_unit="weeks",
            visits=(0, 4, 8, 12, 24),
            end_of_treatment=12,
        ),
        StudyPlan(
            "visits_in_days",
            (
                ArmPlan("placebo", "placebo", "control", 0.30),
                ArmPlan("minocycline", "minocycline", "antibiotic", 0.55),
            ),
            seed=106,
            visit_unit="days",
            visits=(0, 30, 90, 180),
            end_of_treatment=None,
            declare="none",
        ),
        StudyPlan("no_ecca", (COMPARATOR, ISOTRETINOIN), seed=107, ecca=False),
        StudyPlan(
            "no_adverse_events_or_labs",
            (
                ArmPlan("vehicle", "Vehicle gel", "control", 0.30),
                ArmPlan("adapalene", "Adapalene 0.3% gel", "topical", 0.55),
            ),
            seed=108,
            visits=(0, 1, 2, 3),
            end_of_treatment=3,
            adverse_events=False,
            labs=False,
        ),
        StudyPlan(
            "scar_grades_never_change",
            (COMPARATOR, ISOTRETINOIN),
            seed=109,
            visits=(0, 1, 2, 3, 4, 5, 6, 9, 12),
            scars_change=False,
        ),
        StudyPlan(
            "zero_events_in_one_arm",
            (
                ArmPlan("vehicle", "Vehicle foam", "control", 0.30),
                ArmPlan("minocycline_foam", "Minocycline 4% foam", "topical", 0.55),
            ),
            seed=130,
            visits=(0, 1, 2, 3),
            end_of_treatment=3,
            event_free_arms=("vehicle",),
        ),
        StudyPlan(
            "twelve_subjects",
            (COMPARATOR, ISOTRETINOIN),
            seed=111,
            visits=(0, 1, 3, 5),
            n_subjects=12,
            declare="none",
        ),
        StudyPlan(
            "baseline_only_subject", (COMPARATOR, ISOTRETINOIN), seed=112, leave_after_baseline=1
        ),
        StudyPlan(
            "months_0_2_4_8_12",
            (COMPARATOR, ISOTRETINOIN),
            seed=113,
            visits=(0, 2, 4, 8, 12),
            end_of_treatment=4,
        ),
        StudyPlan(
            "no_subject_clears",
            (
                ArmPlan("vehicle", "Vehicle gel", "control", 0.30),
                ArmPlan("benzoyl_peroxide", "Benzoyl peroxide 5% gel", "topical", 0.50),
            ),
            seed=115,
            visit_unit="weeks",
            visits=(0, 2, 4, 8),
            end_of_treatment=8,
            fewest_lesions=2,
        ),
        StudyPlan(
            "coded_arms",
            (
                ArmPlan("A", "Vehicle cream", "control", 0.30),
                ArmPlan("B", "Trifarotene 50 µg/g cream", "topical", 0.55),
            ),
            seed=124,
            visit_unit="weeks",
            visits=(0, 1, 2, 4, 8, 12),
            end_of_treatment=12,
        ),
    )
}


def one_arm(root: Path) -> Path:
    """A single-arm isotretinoin cohort: months 0-6, treatment to month 5."""
    return write_study(PLANS["one_arm"], root)


def three_arms(root: Path) -> Path:
    """Vehicle (reference), doxycycline and isotretinoin; declares only its arms."""
    return write_study(PLANS["three_arms"], root)


def other_arm_names(root: Path) -> Path:
    """Sarecycline against vehicle over 12 weeks; isotretinoin appears nowhere."""
    return write_study(PLANS["other_arm_names"], root)


def months_0_3_6(root: Path) -> Path:
    """Isotretinoin against doxycycline (the declared reference), visits at months 0, 3, 6."""
    return write_study(PLANS["months_0_3_6"], root)


def weeks_0_4_8_12_24(root: Path) -> Path:
    """Clascoterone against vehicle: weeks 0, 4, 8, 12 (end of treatment) and 24."""
    return write_study(PLANS["weeks_0_4_8_12_24"], root)


def visits_in_days(root: Path) -> Path:
    """Minocycline against placebo at days 0, 30, 90, 180; declares no design."""
    return write_study(PLANS["visits_in_days"], root)


def no_ecca(root: Path) -> Path:
    """Isotretinoin against a comparator with scar grades but no ECCA score."""
    return write_study(PLANS["no_ecca"], root)


def no_adverse_events_or_labs(root: Path) -> Path:
    """Adapalene against vehicle: subjects and visits only (no adverse events, no labs)."""
    return write_study(PLANS["no_adverse_events_or_labs"], root)


def scar_grades_never_change(root: Path) -> Path:
    """Isotretinoin against a comparator over a year; every subject keeps their scar grade."""
    return write_study(PLANS["scar_grades_never_change"], root)


def zero_events_in_one_arm(root: Path) -> Path:
    """Minocycline foam against vehicle foam; no subject on vehicle has an adverse event."""
    return write_study(PLANS["zero_events_in_one_arm"], root)


def twelve_subjects(root: Path) -> Path:
    """Twelve subjects, isotretinoin against a comparator; declares no design."""
    return write_study(PLANS["twelve_subjects"], root)


def baseline_only_subject(root: Path) -> Path:
    """Isotretinoin against a comparator; one subject leaves after the baseline visit."""
    return write_study(PLANS["baseline_only_subject"], root)


def months_0_2_4_8_12(root: Path) -> Path:
    """Isotretinoin against a comparator at months 0, 2, 4 (end of treatment), 8 and 12."""
    return write_study(PLANS["months_0_2_4_8_12"], root)


def no_subject_clears(root: Path) -> Path:
    """Benzoyl peroxide against vehicle over 8 weeks; no subject's inflammatory lesions clear."""
    return write_study(PLANS["no_subject_clears"], root)


def coded_arms(root: Path) -> Path:
    """Arms coded "A" (vehicle, the reference) and "B" (trifarotene) with display names."""
    return write_study(PLANS["coded_arms"], root)


#: Every named study: its name and the function writing it.
STUDIES: dict[str, Callable[[Path], Path]] = {
    function.__name__: function
    for function in (
        one_arm,
        three_arms,
        other_arm_names,
        months_0_3_6,
        weeks_0_4_8_12_24,
        visits_in_days,
        no_ecca,
        no_adverse_events_or_labs,
        scar_grades_never_change,
        zero_events_in_one_arm,
        twelve_subjects,
        baseline_only_subject,
        months_0_2_4_8_12,
        no_subject_clears,
        coded_arms,
    )
}
