"""The teaching build: eight lessons execute (n_sims=20), the student edition has no worked
solutions, the instructor edition has them and they are right, the pages open in Chromium
without errors, their tables are formatted for people, the lessons' text types no numbers, the
ledger shows every claim's certainty with its reasons, and the lab and the report link to each
other."""

from __future__ import annotations

import ast
import html
import json
import re
import shutil

import pytest
from browser_check import check_report

from acne_outcomes import narrative
from acne_outcomes.appraisal import claims
from acne_outcomes.appraisal.strategies import true_pih_difference_month12
from acne_outcomes.derive import REASON_BASELINE_ROW
from acne_outcomes.report import (
    ReportConfig,
    _links_html,
    _write_index,
    build_report,
    discover_notebooks,
)
from acne_outcomes.runtime import open_study
from acne_outcomes.teach import (
    REPORT_LINK,
    TEACHING_DIR,
    TITLES,
    build_editions,
    build_teaching,
    teaching_config,
)

LESSONS = [
    "01-before-after",
    "02-regression-to-the-mean",
    "03-dropout",
    "04-confounding",
    "05-multiplicity-and-subgroups",
    "06-small-samples",
    "07-outcome-measures",
    "08-claims-ledger",
]
SOLUTION_MARK = "Worked solution"
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    """Both editions, from one execution of the eight lessons (as ``make teach``)."""
    root = tmp_path_factory.mktemp("teaching")
    built = build_editions(root / "student", root / "instructor", n_sims=20, jobs=2, progress=False)
    return root / "student", root / "instructor", built


@pytest.fixture(scope="module")
def student(editions):
    out, _, built = editions
    return out, built["student"]


def _text(page) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


def test_lesson_notebooks_are_stripped_thin_and_have_solutions():
    notebooks = discover_notebooks(TEACHING_DIR)
    assert [path.stem for path in notebooks] == LESSONS
    for path in notebooks:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        assert notebook["metadata"]["kernelspec"]["name"] == "python3"
        cells = notebook["cells"]
        assert "".join(cells[0]["source"]).startswith("# "), path.name
        code = [cell for cell in cells if cell["cell_type"] == "code"]
        assert all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code)
        tags = [set(cell["metadata"].get("tags", [])) for cell in cells]
        parameters = "".join(code[0]["source"])
        assert "parameters" in tags[cells.index(code[0])], path.name
        for name in ("n_sims = 200", "seed = 0", "jobs = None", "output_dir = None"):
            assert name in parameters, (path.name, name)
        assert any("solution" in cell_tags for cell_tags in tags), path.name
        assert "Learning objectives" in json.dumps(cells) and "Exercises" in json.dumps(cells)
        for cell in code:  # thin notebooks: no definitions, at most ~15 statements a cell
            tree = ast.parse("".join(cell["source"]))
            nodes = list(ast.walk(tree))
            assert not any(isinstance(node, DEFINITIONS) for node in nodes), path.name
            assert sum(isinstance(node, ast.stmt) for node in nodes) <= 15, path.name


def test_every_lesson_page_exists_with_outputs(student):
    out, manifest = student
    assert list(manifest["notebooks"]) == LESSONS
    for stem, entry in manifest["notebooks"].items():
        assert entry["executed"] and (out / f"{stem}.html").is_file(), stem
        assert any(name.endswith(".png") for name in entry["figures"]), stem
        assert any(name.endswith(".csv") for name in entry["tables"]), stem
    assert "student edition" in (out / "index.html").read_text(encoding="utf-8")


def test_student_pages_have_no_solutions(student):
    out, _ = student
    for stem in LESSONS:
        page = (out / f"{stem}.html").read_text(encoding="utf-8")
        assert SOLUTION_MARK not in page and "celltag_solution" not in page, stem
        assert "Exercises" in page, stem


def _cells(executed):
    return [
        (cell["cell_type"], cell["source"], json.dumps(cell.get("outputs", []), sort_keys=True))
        for cell in json.loads(executed.read_text(encoding="utf-8"))["cells"]
    ]


def test_both_editions_come_from_one_execution(editions):
    student_out, instructor_out, built = editions
    instructor, student = built["instructor"], built["student"]
    assert all(entry["executed"] for entry in instructor["notebooks"].values())
    assert student["derived_from"] == {"edition": TITLES[True], "folder": "instructor"}
    assert student["kernels"]["start_seconds"] == []  # the student edition started no kernel
    for stem in LESSONS:
        page = (instructor_out / f"{stem}.html").read_text(encoding="utf-8")
        assert "celltag_solution" in page, stem
        assert "celltag_solution" not in (student_out / f"{stem}.html").read_text(encoding="utf-8")
        kept = [
            cell
            for cell in json.loads(
                (instructor_out / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8")
            )["cells"]
            if "solution" not in cell["metadata"].get("tags", [])
        ]
        renamed = json.loads(json.dumps(kept).replace(str(instructor_out), str(student_out)))
        expected = [
            (cell["cell_type"], cell["source"], json.dumps(cell.get("outputs", []), sort_keys=True))
            for cell in renamed
        ]
        assert _cells(student_out / "notebooks" / f"{stem}.ipynb") == expected, stem
        assert str(instructor_out) not in (student_out / f"{stem}.html").read_text(encoding="utf-8")
    assert "student edition" in (student_out / "index.html").read_text(encoding="utf-8")
    assert "instructor edition" in (instructor_out / "index.html").read_text(encoding="utf-8")
    # each edition is up to date for a build of that edition alone, and for both again
    again = build_teaching(student_out, n_sims=20, jobs=2, progress=False)
    assert again == json.loads((student_out / "manifest.json").read_text(encoding="utf-8"))
    rebuilt = build_editions(student_out, instructor_out, n_sims=20, jobs=2, progress=False)
    assert rebuilt["student"] == again and rebuilt["instructor"] == instructor


def test_instructor_edition_keeps_solutions_and_they_are_right(tmp_path):
    lesson = tmp_path / "lessons"
    lesson.mkdir()
    for name in ("05-multiplicity-and-subgroups", "06-small-samples"):
        shutil.copy(TEACHING_DIR / f"{name}.ipynb", lesson)
    (tmp_path / "index.html").write_text("<html>the report</html>", encoding="utf-8")
    config = teaching_config(tmp_path / "instructor", instructor=True, n_sims=20, jobs=1)
    config.notebooks = lesson
    build_report(config, progress=False)
    page = (config.out / "05-multiplicity-and-subgroups.html").read_text(encoding="utf-8")
    assert SOLUTION_MARK in page and "celltag_solution" in page
    subgroups = re.search(
        r"One endpoint in (\d) skin-type subgroups plus overall \((\d) tests",
        _text(config.out / "05-multiplicity-and-subgroups.html"),
    )
    assert subgroups and int(subgroups.group(2)) == int(subgroups.group(1)) + 1 <= 7
    exaggeration = re.search(
        r"overstates the effect ([\d.]+)-fold", _text(config.out / "06-small-samples.html")
    )
    assert exaggeration and 2.2 <= float(exaggeration.group(1)) <= 2.3  # not 1.12 at 80% power
    index = (config.out / "index.html").read_text(encoding="utf-8")
    assert (
        "instructor edition" in index
        and f'<a href="{REPORT_LINK[1]}">{REPORT_LINK[0]}</a>' in index
    )


def test_lesson_one_states_computed_rejection_rates(student):
    out, _ = student
    text = _text(out / "01-before-after.html")
    naive = re.search(r"declares a significant change in ([\d.]+)% of 20 studies", text)
    correct = re.search(r"randomised comparison rejects in ([\d.]+)%", text)
    assert naive and correct, text[:2000]
    assert float(naive.group(1)) >= 80 and float(correct.group(1)) <= 30
    rows = (out / "tables" / "01-before-after" / "diagnosis.csv").read_text(encoding="utf-8")
    assert "before-after (treated arm only), PIH month 12" in rows


def test_teaching_site_opens_in_chromium(student, tmp_path):
    out, _ = student
    result = check_report(out, tmp_path / "screenshots", tmp_path)
    assert result["problems"] == []
    pages = {url.rsplit("/", 1)[1] for url in result["visited"]}
    assert {f"{stem}.html" for stem in LESSONS} <= pages


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="n_sims"):
        build_teaching(tmp_path / "x", n_sims=1)
    with pytest.raises(ValueError, match="jobs"):
        build_teaching(tmp_path / "x", jobs=0)


# --------------------------------------------------------------------------- what a reader sees

RAW_FLOAT = re.compile(r"\d\.\d{5,}")


def test_tables_on_every_page_are_formatted_for_people(student):
    """Tables showed 0.368000, -93.700000, nan and raw column names."""
    out, _ = student
    for stem in LESSONS:
        page = (out / f"{stem}.html").read_text(encoding="utf-8")
        cells = [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
                 for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", page, flags=re.S)]  # fmt: skip
        headers = [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
                   for cell in re.findall(r"<th[^>]*>(.*?)</th>", page, flags=re.S)]  # fmt: skip
        assert cells, stem
        assert not [cell for cell in cells if RAW_FLOAT.search(cell) or cell.lower() == "nan"], stem
        assert not [header for header in headers if "_" in header], stem


def test_lesson_three_shows_the_mechanisms_a_consort_flow_and_explains_its_dropout(student):
    """Lesson 3 promised MCAR and a CONSORT diagram and showed neither; its dropout went unremarked."""
    out, manifest = student
    assert "figures/03-dropout/consort-flow.png" in manifest["notebooks"]["03-dropout"]["figures"]
    text = _text(out / "03-dropout.html")
    for mechanism in (
        "MCAR: anyone may leave",
        "MAR: leaving depends on arm",
        "MNAR: poor responders leave",
    ):
        assert mechanism in text
    assert re.search(r"(more|fewer) than in the trial the generator follows", text)
    assert "lack of efficacy" in text and "a fifth" not in text
    rows = (out / "tables" / "03-dropout" / "diagnosis.csv").read_text(encoding="utf-8")
    assert rows.count("MCAR") == rows.count("MNAR") == 4


def test_the_ledger_page_shows_each_claim_with_its_certainty_and_reasons(student):
    out, _ = student
    text = _text(out / "08-claims-ledger.html")
    records = claims.claims_records()
    assert text.count("Certainty of the evidence (GRADE):") == len(records)
    assert (
        text.count("What it implies:")
        == text.count("Design that could support it:")
        == len(records)
    )
    for record in records:
        assert record["implies"] in text and record["rated_down"][0]["reason"] in text
    for word in ("revolutionized", "transformative", "ensures … heal", "sales link", "not graded"):
        assert word in text
    assert not re.search(r"\bC9\b", text) and "unverifiable" not in text
    evidence = (out / "tables" / "08-claims-ledger" / "claims-evidence.csv").read_text(
        encoding="utf-8"
    )
    assert "coverage (MCSE)" in evidence and "…against the claim" in evidence


def test_no_number_is_typed_into_a_lessons_text():
    """Numbers in a lesson's prose come from computed cells; its markdown only names things.

    Allowed in markdown: list numbering, solution references "(1)", lesson and claim numbers,
    visit and week labels, code, and the premises of an exercise.
    """
    allowed = re.compile(
        r"^\s*\d+\.\s|\(\d\)|[Ll]esson \d|C\d\b|month[- ]\d+|week \d+|`[^`]*`|```.*?```",
        flags=re.MULTILINE | re.DOTALL,
    )
    typed = []
    for path in discover_notebooks(TEACHING_DIR):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            source = "".join(cell["source"])
            if cell["cell_type"] != "markdown":
                continue
            prose = allowed.sub("", source.split("## Exercises")[0])  # exercise premises aside
            typed += [f"{path.stem}: {match}" for match in re.findall(r"[^\s]*\d[^\s]*", prose)]
    assert typed == []


def test_the_lab_explains_how_to_rerun_a_report_page_with_chosen_effects():
    """open_study took no generator settings; a learner could not re-run a report notebook."""
    lesson = (TEACHING_DIR / "01-before-after.ipynb").read_text(encoding="utf-8")
    assert 'open_study(data_path, scenario=\\"rct\\", seed=seed, pih_effect=0' in lesson
    study = open_study(
        None, scenario="rct", seed=1, n_subjects=60, pih_effect=0, pih_formation_rate=0
    )
    assert true_pih_difference_month12(study) == 0


def test_report_and_lab_link_to_each_other(tmp_path):
    """The report and the lab did not link to each other."""
    assert REPORT_LINK == ("The report on the synthetic study", "../index.html")
    assert teaching_config(tmp_path / "lab").links == (REPORT_LINK,)
    assert (
        "Evidence-appraisal lab (student edition)",
        "teaching/index.html",
    ) in ReportConfig().links
    missing = _links_html(tmp_path, ReportConfig().links)
    assert (
        "Evidence-appraisal lab (student edition) (not built yet)" in missing
        and "<a " not in missing
    )
    (tmp_path / "teaching").mkdir()
    (tmp_path / "teaching" / "index.html").write_text("lab", encoding="utf-8")
    inputs = {"scenario": "rct", "seed": 0, "n_subjects": 266}
    _write_index(tmp_path, {}, inputs, ReportConfig(out=tmp_path))
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert '<a href="teaching/index.html">Evidence-appraisal lab (student edition)</a>' in index
    assert "instructor edition (not built yet)" in index


def test_the_student_lab_index_names_the_report_without_a_broken_link(student):
    out, _ = student
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f"{REPORT_LINK[0]} (not built yet)" in index  # no report beside a temporary lab


def test_baseline_rows_are_described_as_reference_values_not_losses():
    """Page 02 said "Rows not analysed (266) — baseline visit", as if nobody was analysed."""
    text = narrative.describe_exclusions({REASON_BASELINE_ROW: 266, "outcome missing": 40})
    assert text.startswith("Baseline rows (266) are the reference values") and "not losses" in text
    assert "Rows not analysed (40), by reason — outcome missing: 40." in text
    assert "266" not in text.split("Rows not analysed")[1]
    only = narrative.describe_exclusions({REASON_BASELINE_ROW: 266})
    assert "Rows not analysed" not in only and "every other row was analysed" in only
