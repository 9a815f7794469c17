"""A matrix of small studies written by hand (``studies.py``), each building a whole report.

Fast tests: every study loads, declares (or lets the loader infer) the design intended, has
the feature its name promises, and holds no direct identifier.

Report tests: each study's report is built once (a session-scoped fixture per study) and
checked by one test, in subtests: the build succeeds; every notebook page shows as many figure
images as the notebook saved PNG files; no page, SVG figure or table names isotretinoin unless
the study's arms do; and the analyses the data cannot support are listed as not estimable.
One test per study means ``pytest -n 2`` builds each report once, whichever worker runs it
(``xdist_group`` with ``--dist loadgroup`` would not: pytest-xdist 3.8 sets ``item._nodeid``,
which pytest 9 no longer reads, so the groups are ignored).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
import studies

from acne_outcomes import Study, load_study, standard
from acne_outcomes.paths import PROJECT_ROOT
from acne_outcomes.report import ReportBuildError, ReportConfig, build_report, discover_notebooks

STUDY_NAMES = tuple(studies.STUDIES)

OUTCOMES = (
    "inflammatory_lesions",
    "comedones",
    "nodules",
    "iga",
    "scar_grade",
    "ecca_score",
    "pih_macules",
    "pih_index",
)
OUTCOMES_WITH_ADHERENCE = (*OUTCOMES, "adherence")
ALL_TABLES = ("subjects", "visits", "adverse_events", "labs")
COMPARATOR_AND_ISOTRETINOIN = (("comparator", "Comparator"), ("isotretinoin", "Isotretinoin"))


def _design(arms, unit, visits, end, primary, outcomes=OUTCOMES_WITH_ADHERENCE, tables=ALL_TABLES):
    """A design as ``Design.to_dict()`` writes it; ``arms`` are (label, name), reference first."""
    return {
        "arms": [
            {"label": label, "name": name, **({"reference": True} if i == 0 else {})}
            for i, (label, name) in enumerate(arms)
        ],
        "visitUnit": unit,
        "visits": list(visits),
        "endOfTreatment": end,
        "primaryVisits": dict(zip(("lesions", "scars", "pih"), primary, strict=True)),
        "outcomes": list(outcomes),
        "tables": list(tables),
    }


INTENDED_DESIGNS = {
    "one_arm": _design([("isotretinoin", "Isotretinoin")], "months", range(7), 5, (5, 6, 6)),
    "three_arms": _design(
        [("vehicle", "Vehicle"), ("doxycycline", "Doxycycline 100 mg"),
         ("isotretinoin", "Isotretinoin")],
        "months", (0, 1, 3, 5, 9), None, (9, 9, 9),
    ),
    "other_arm_names": _design(
        [("vehicle", "Vehicle"), ("sarecycline", "Sarecycline 1.5 mg/kg")],
        "weeks", (0, 3, 6, 9, 12), 12, (12, 12, 12),
    ),
    "months_0_3_6": _design(
        [("doxycycline", "Doxycycline"), ("isotretinoin", "Isotretinoin")],
        "months", (0, 3, 6), None, (6, 6, 6), outcomes=OUTCOMES,
    ),
    "weeks_0_4_8_12_24": _design(
        [("vehicle", "Vehicle cream"), ("clascoterone", "Clascoterone 1% cream")],
        "weeks", (0, 4, 8, 12, 24), 12, (12, 24, 24),
    ),
    "visits_in_days": _design(
        [("placebo", "placebo"), ("minocycline", "minocycline")],
        "days", (0, 30, 90, 180), None, (180, 180, 180), outcomes=OUTCOMES,
    ),
    "no_ecca": _design(
        COMPARATOR_AND_ISOTRETINOIN, "months", range(7), 5, (5, 6, 6),
        outcomes=[name for name in OUTCOMES_WITH_ADHERENCE if name != "ecca_score"],
    ),
    "no_adverse_events_or_labs": _design(
        [("vehicle", "Vehicle gel"), ("adapalene", "Adapalene 0.3% gel")],
        "months", (0, 1, 2, 3), 3, (3, 3, 3), tables=("subjects", "visits"),
    ),
    "scar_grades_never_change": _design(
        COMPARATOR_AND_ISOTRETINOIN, "months", (0, 1, 2, 3, 4, 5, 6, 9, 12), 5, (5, 12, 12),
    ),
    "zero_events_in_one_arm": _design(
        [("vehicle", "Vehicle foam"), ("minocycline_foam", "Minocycline 4% foam")],
        "months", (0, 1, 2, 3), 3, (3, 3, 3),
    ),
    "twelve_subjects": _design(
        [("comparator", "comparator"), ("isotretinoin", "isotretinoin")],
        "months", (0, 1, 3, 5), None, (5, 5, 5),
    ),
    "baseline_only_subject": _design(COMPARATOR_AND_ISOTRETINOIN, "months", range(7), 5, (5, 6, 6)),
    "months_0_2_4_8_12": _design(
        COMPARATOR_AND_ISOTRETINOIN, "months", (0, 2, 4, 8, 12), 4, (4, 12, 12),
    ),
    "no_subject_clears": _design(
        [("vehicle", "Vehicle gel"), ("benzoyl_peroxide", "Benzoyl peroxide 5% gel")],
        "weeks", (0, 2, 4, 8), 8, (8, 8, 8),
    ),
    "coded_arms": _design(
        [("A", "Vehicle cream"), ("B", "Trifarotene 50 µg/g cream")],
        "weeks", (0, 1, 2, 4, 8, 12), 12, (12, 12, 12),
    ),
}  # fmt: skip
STUDIES_DECLARING_NO_DESIGN = frozenset({"visits_in_days", "twelve_subjects"})
STUDIES_DECLARING_ONLY_ARMS = frozenset({"three_arms"})
STUDIES_COMPARING_ARMS = tuple(
    name for name, design in INTENDED_DESIGNS.items() if len(design["arms"]) > 1
)
STUDIES_WITHOUT_ISOTRETINOIN = tuple(
    name
    for name, design in INTENDED_DESIGNS.items()
    if not any("isotretinoin" in f"{arm['label']} {arm['name']}".lower() for arm in design["arms"])
)


@dataclass(frozen=True)
class ExpectedNote:
    """A not-estimable note expected in the manifest: in a notebook whose stem starts with
    ``notebook`` (any notebook if empty), with a reason holding every one of ``words``
    (case-insensitive)."""

    notebook: str
    words: tuple[str, ...] = ()


REQUIRED_NOT_ESTIMABLE = {
    "one_arm": (
        ExpectedNote("02", ("1 arm", "control")),
        ExpectedNote("05", ("1 arm", "control")),
        ExpectedNote("06", ("1 arm", "control")),
    ),
    "no_ecca": (ExpectedNote("03", ("ecca score", "not collected")),),
    "scar_grades_never_change": (ExpectedNote("03", ("scar grade",)),),
    "no_adverse_events_or_labs": (
        ExpectedNote("05", ("adverse event", "not collected")),
        ExpectedNote("05", ("lab", "not collected")),
    ),
    "no_subject_clears": (ExpectedNote("02", ("no", "event")),),
}
#: Pages that describe the data standard itself (its field descriptions name isotretinoin).
PAGES_ABOUT_THE_STANDARD = frozenset({"data-dictionary.html"})


# ---------------------------------------------------------------------- the studies (fast)


@pytest.fixture(scope="session")
def study_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("studies")


@pytest.fixture(scope="session", params=STUDY_NAMES)
def written(request, study_root) -> tuple[str, Path]:
    """A study's name and folder, written once per session (the tests only read it)."""
    return request.param, studies.STUDIES[request.param](study_root)


@cache
def _load(folder: Path) -> Study:
    return load_study(folder)


def test_the_matrix_holds_the_named_studies():
    assert len(STUDY_NAMES) >= 12
    assert set(INTENDED_DESIGNS) == set(STUDY_NAMES)


def test_study_loads_with_the_intended_design(written):
    name, folder = written
    design = _load(folder).design.to_dict()
    inferred = design.pop("inferred", [])
    assert design == INTENDED_DESIGNS[name]
    assert (folder / "datapackage.json").exists() == (name not in STUDIES_DECLARING_NO_DESIGN)
    declares_everything = name not in STUDIES_DECLARING_NO_DESIGN | STUDIES_DECLARING_ONLY_ARMS
    assert (inferred == []) == declares_everything, inferred
    if name in STUDIES_DECLARING_NO_DESIGN:
        assert any("arms" in sentence for sentence in inferred), inferred


def _has_one_arm(study):
    return study.design.n_arms == 1 and not study.design.compares_arms


def _has_three_arms(study):
    return study.design.n_arms == 3 and study.design.reference.label == "vehicle"


def _has_nobody_clear(study):
    return not (study.visits["inflammatory_lesions"] == 0).any()


def _is_reported_in_weeks(study):
    return "week" in study.visits.columns and study.design.visit_column == "week"


def _is_reported_in_days(study):
    return "day" in study.visits.columns and study.design.visit_column == "day"


def _has_no_ecca(study):
    return study.visits["ecca_score"].isna().all()


def _has_no_adverse_events_or_labs(study):
    return study.adverse_events.empty and study.labs.empty


def _keeps_every_scar_grade(study):
    return bool((study.visits.groupby("subject_id")["scar_grade"].nunique() == 1).all())


def _has_an_arm_without_events(study):
    events = study.adverse_events.merge(study.subjects[["subject_id", "arm"]], on="subject_id")
    return set(events["arm"]) == {"minocycline_foam"}


def _has_twelve_subjects(study):
    return study.n_subjects == 12 and study.subjects["arm"].value_counts().tolist() == [6, 6]


def _has_a_subject_seen_only_at_baseline(study):
    visits = study.visits.groupby("subject_id").size()
    once = visits[visits == 1].index
    left = study.subjects.set_index("subject_id").loc[once, "discontinuation_day"]
    return len(once) == 1 and left.notna().all()


SPECIAL_FEATURES = {
    "one_arm": _has_one_arm,
    "three_arms": _has_three_arms,
    "other_arm_names": _is_reported_in_weeks,
    "weeks_0_4_8_12_24": _is_reported_in_weeks,
    "visits_in_days": _is_reported_in_days,
    "no_ecca": _has_no_ecca,
    "no_adverse_events_or_labs": _has_no_adverse_events_or_labs,
    "scar_grades_never_change": _keeps_every_scar_grade,
    "zero_events_in_one_arm": _has_an_arm_without_events,
    "twelve_subjects": _has_twelve_subjects,
    "baseline_only_subject": _has_a_subject_seen_only_at_baseline,
    "no_subject_clears": _has_nobody_clear,
    "coded_arms": _is_reported_in_weeks,
}


@pytest.mark.parametrize("written", SPECIAL_FEATURES, indirect=True)
def test_study_has_the_feature_its_name_promises(written):
    name, folder = written
    assert SPECIAL_FEATURES[name](_load(folder))


def test_files_hold_only_what_the_design_collects(written):
    name, folder = written
    design = INTENDED_DESIGNS[name]
    assert sorted(path.stem for path in folder.glob("*.csv")) == sorted(design["tables"])
    header = (folder / "visits.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    visit_column = standard.visit_column(design["visitUnit"])
    assert header == ["subject_id", visit_column, "study_day", *design["outcomes"]]


@pytest.mark.parametrize("written", STUDIES_COMPARING_ARMS, indirect=True)
def test_lesions_fall_more_on_active_treatment_than_on_the_reference(written):
    _, folder = written
    study = _load(folder)
    visit = study.design.visit_column
    at = study.design.primary_visit("lesions")
    counts = study.visits.pivot(index="subject_id", columns=visit, values="inflammatory_lesions")
    change = (counts[at] / counts[0]).dropna().rename("ratio").reset_index()
    change = change.merge(study.subjects[["subject_id", "arm"]], on="subject_id")
    remaining = change.groupby("arm", observed=True)["ratio"].median()
    reference = study.design.reference.label
    assert (remaining.drop(reference) < remaining[reference]).all(), remaining


@pytest.mark.parametrize(
    "written", [name for name in STUDY_NAMES if name != "no_subject_clears"], indirect=True
)
def test_some_subject_clears_unless_the_study_is_about_nobody_clearing(written):
    _, folder = written
    assert (_load(folder).visits["inflammatory_lesions"] == 0).any()


# ---------------------------------------------------------------------- no direct identifiers

DATE = re.compile(r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b|\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b")
EMAIL = re.compile(r"[^\s@,]+@[^\s@,]+\.[A-Za-z]{2,}")
LONG_NUMBER = re.compile(r"(?<![\d.])\d{8,}")
SUBJECT_OR_SITE = re.compile(r"P\d{2,3}|SITE\d{2}")


def _vocabulary(folder: Path) -> set[str]:
    """Every text value a study may hold: the standard's categories, the arm labels, the
    adverse-event terms, lab units and the true/false words."""
    words = {"true", "false"}
    for table in standard.TABLES:
        for item in standard.fields(table):
            words.update(str(value) for value in standard.category_values(item) or [])
    words.update(standard.units_by_test().values())
    words.update(term for events in studies.ADVERSE_EVENTS.values() for term, *_ in events)
    with (folder / "subjects.csv").open(encoding="utf-8", newline="") as handle:
        words.update(row["arm"] for row in csv.DictReader(handle))
    return words


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_study_files_hold_no_date_email_name_or_long_number(written):
    name, folder = written
    vocabulary = {word.lower() for word in _vocabulary(folder)}
    found = []
    for path in sorted(folder.iterdir()):
        text = path.read_text(encoding="utf-8")
        for pattern in (DATE, EMAIL, LONG_NUMBER):
            found += [f"{path.name}: {match}" for match in pattern.findall(text)]
        if path.suffix != ".csv":
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            unit = INTENDED_DESIGNS[name]["visitUnit"]
            assert set(header) <= set(standard.field_names(path.stem, unit)), header
            for row in reader:
                found += [
                    f"{path.name}: {cell!r} is not a code, a number or a standard word"
                    for cell in row
                    if cell
                    and not _is_number(cell)
                    and not SUBJECT_OR_SITE.fullmatch(cell)
                    and cell.lower() not in vocabulary
                ]
    assert found == []


@pytest.mark.parametrize("written", STUDIES_WITHOUT_ISOTRETINOIN, indirect=True)
def test_studies_without_isotretinoin_never_name_it(written):
    _, folder = written
    named = [
        path.name
        for path in folder.iterdir()
        if "isotretinoin" in path.read_text(encoding="utf-8").lower()
    ]
    assert named == []


def test_expectations_name_known_studies_and_notebooks():
    stems = [path.stem for path in discover_notebooks(PROJECT_ROOT / "notebooks")]
    assert set(REQUIRED_NOT_ESTIMABLE) <= set(STUDY_NAMES)
    for notes in REQUIRED_NOT_ESTIMABLE.values():
        assert all(any(stem.startswith(note.notebook) for stem in stems) for note in notes)


# ---------------------------------------------------------------------- the reports (slow)


@dataclass(frozen=True)
class BuiltReport:
    """A study's report: its folder and manifest, or the build's error."""

    name: str
    out: Path
    manifest: dict | None
    error: str | None


@pytest.fixture(scope="session")
def report(request, tmp_path_factory) -> BuiltReport:
    """Build the study's report once (its only test makes every check on it)."""
    name = request.param
    root = tmp_path_factory.mktemp(f"report-{name}")
    folder = studies.STUDIES[name](root)
    config = ReportConfig(
        data=folder, out=root / "report", jobs=2, processed_dir=root / "processed",
        parameters={"figure_formats": ["png", "svg"]},  # the SVGs are searched for arm names
    )  # fmt: skip
    try:
        manifest = build_report(config, progress=False)
    except ReportBuildError as error:
        return BuiltReport(name, config.out, None, str(error))
    return BuiltReport(name, config.out, manifest, None)


class _FigureImages(HTMLParser):
    """Counts the ``<img>`` tags of image outputs: inside a notebook output that renders an
    image (``jp-RenderedImage jp-OutputArea-output``), not in Markdown or other HTML."""

    def __init__(self):
        super().__init__()
        self.open_divs: list[set[str]] = []
        self.count = 0

    def handle_starttag(self, tag, attrs):
        if tag == "div":
            self.open_divs.append(set((dict(attrs).get("class") or "").split()))
        elif tag == "img" and any(
            {"jp-RenderedImage", "jp-OutputArea-output"} <= classes for classes in self.open_divs
        ):
            self.count += 1

    def handle_endtag(self, tag):
        if tag == "div" and self.open_divs:
            self.open_divs.pop()


class _PageText(HTMLParser):
    """A page's text and attribute values, without embedded data (``data:`` URIs)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.parts += [value for _, value in attrs if value and not value.startswith("data:")]

    def handle_data(self, data):
        self.parts.append(data)


def _parsed(parser, text: str):
    parser.feed(text)
    parser.close()
    return parser


def _pages_without_their_notebooks(report: BuiltReport) -> list[str]:
    expected = [path.stem for path in discover_notebooks(PROJECT_ROOT / "notebooks")]
    entries = report.manifest["notebooks"]
    missing = [stem for stem in expected if stem not in entries]
    missing += [
        stem
        for stem, entry in entries.items()
        if not (entry["executed"] and (report.out / f"{stem}.html").is_file())
    ]
    return missing + ([] if (report.out / "index.html").is_file() else ["index.html"])


def _figures_shown_and_saved(report: BuiltReport) -> tuple[dict, dict]:
    """Per notebook page: the figure images it shows, and the PNG files the notebook saved."""
    shown, saved = {}, {}
    for stem, entry in report.manifest["notebooks"].items():
        page = (report.out / f"{stem}.html").read_text(encoding="utf-8")
        shown[stem] = _parsed(_FigureImages(), page).count
        saved[stem] = sum(name.endswith(".png") for name in entry["figures"])
    return shown, saved


def _outputs_naming_isotretinoin(report: BuiltReport) -> list[str]:
    pages = [
        path for path in report.out.glob("*.html") if path.name not in PAGES_ABOUT_THE_STANDARD
    ]
    naming = [
        path.name
        for path in pages
        if "isotretinoin"
        in " ".join(_parsed(_PageText(), path.read_text(encoding="utf-8")).parts).lower()
    ]
    outputs = [*report.out.glob("figures/**/*.svg"), *report.out.glob("tables/**/*")]
    return naming + [
        str(path.relative_to(report.out))
        for path in outputs
        if path.is_file() and "isotretinoin" in path.read_text(encoding="utf-8").lower()
    ]


def _missing_notes(report: BuiltReport) -> tuple[list, list]:
    """The expected not-estimable notes the manifest lacks, and the notes it holds."""
    notes = [
        (stem, note)
        for stem, entry in report.manifest["notebooks"].items()
        for note in entry.get("not_estimable", [])
    ]
    missing = [
        expected
        for expected in REQUIRED_NOT_ESTIMABLE.get(report.name, ())
        if not any(
            stem.startswith(expected.notebook)
            and all(word in note["reason"].lower() for word in expected.words)
            for stem, note in notes
        )
    ]
    return missing, notes


@pytest.mark.parametrize("report", STUDY_NAMES, indirect=True)
def test_report_builds_and_shows_what_the_study_supports(report, subtests):
    assert report.error is None, f"the report did not build:\n{report.error}"
    with subtests.test("every notebook ran and has its page"):
        assert _pages_without_their_notebooks(report) == []
    with subtests.test("every page shows the figures its notebook saved"):
        shown, saved = _figures_shown_and_saved(report)
        assert shown == saved
    if report.name in STUDIES_WITHOUT_ISOTRETINOIN:
        with subtests.test("no page, figure or table names isotretinoin"):
            assert _outputs_naming_isotretinoin(report) == []
    if report.name in REQUIRED_NOT_ESTIMABLE:
        with subtests.test("the manifest lists what is not estimable"):
            missing, notes = _missing_notes(report)
            assert missing == [], f"notes found: {notes}"
    if report.name == "one_arm":
        with subtests.test("a single arm gets its responders and grades within the arm"):
            _, notes = _missing_notes(report)
            sections = {note["section"] for _, note in notes}
            assert {
                "Responders at the primary visit",
                "Scar grade at the primary visit",
            }.isdisjoint(sections)
            responders = next(report.out.glob("tables/02-*/responders-*.csv"))
            text = responders.read_text(encoding="utf-8")
            assert "Proportion" in text and "Risk difference" not in text
            grades = next(report.out.glob("tables/03-*/scar-grade-*.csv")).read_text(
                encoding="utf-8"
            )
            assert "baseline" in grades and "no scars" in grades
            page = next(report.out.glob("02-*.html")).read_text(encoding="utf-8")
            assert page.count("No control group.") >= 2
