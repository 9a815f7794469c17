"""The teaching build: eight lessons execute (n_sims=20), the student edition has no worked
solutions, the instructor edition has them, the pages open in Chromium without errors, and
lesson 1 states its computed rejection rates."""

from __future__ import annotations

import ast
import html
import json
import re
import shutil

import pytest
from browser_check import check_report

from acne_outcomes.report import build_report, discover_notebooks
from acne_outcomes.teach import TEACHING_DIR, build_teaching, teaching_config

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
def student(tmp_path_factory):
    out = tmp_path_factory.mktemp("teaching") / "student"
    return out, build_teaching(out, n_sims=20, jobs=2, progress=False)


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


def test_instructor_edition_keeps_solutions(tmp_path):
    lesson = tmp_path / "lessons"
    lesson.mkdir()
    shutil.copy(TEACHING_DIR / "05-multiplicity-and-subgroups.ipynb", lesson)
    config = teaching_config(tmp_path / "instructor", instructor=True, n_sims=20, jobs=1)
    config.notebooks = lesson
    build_report(config, progress=False)
    page = (config.out / "05-multiplicity-and-subgroups.html").read_text(encoding="utf-8")
    assert SOLUTION_MARK in page and "celltag_solution" in page
    assert "instructor edition" in (config.out / "index.html").read_text(encoding="utf-8")


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
