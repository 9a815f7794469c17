"""The report build machinery on two tiny notebooks: parallel execution in real kernels,
incremental rebuilds, atomic failure, manifest and HTML pages."""

from __future__ import annotations

import json

import nbformat
import pytest
from conftest import tree_digest

from acne_outcomes.report import ReportBuildError, ReportConfig, build_report

PARAMETERS = 'data_path = None\noutput_dir = None\nnotebook_name = "interactive"\npublic = False'
BODY = """
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from acne_outcomes import load_study
from acne_outcomes.runtime import NotebookOutputs
study = load_study(data_path)
fig, ax = plt.subplots()
ax.bar(["subjects", "visits"], [study.n_subjects, len(study.visits)])
folder = NotebookOutputs(output_dir, notebook_name).folder("figures")
fig.savefig(folder / "counts.png", metadata={"Software": None})
print(f"{study.n_subjects} subjects")
"""


def _notebook(path, title, body=BODY):
    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell(PARAMETERS)
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [
        nbformat.v4.new_markdown_cell(f"# {title}"),
        parameters,
        nbformat.v4.new_code_cell(body),
    ]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, path)


@pytest.fixture
def project(tmp_path, study_folder):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _notebook(notebooks / "01-first.ipynb", "First section")
    _notebook(notebooks / "02-second.ipynb", "Second section")
    config = ReportConfig(data=study_folder, out=tmp_path / "reports", jobs=2, notebooks=notebooks)
    return config


def test_build_incremental_and_atomic(project):
    manifest = build_report(project, progress=False)
    out = project.out
    assert {entry["executed"] for entry in manifest["notebooks"].values()} == {True}
    for name in (
        "index.html",
        "01-first.html",
        "02-second.html",
        "manifest.json",
        "data-dictionary.html",
    ):
        assert (out / name).is_file(), name
    assert (out / "figures" / "01-first" / "counts.png").is_file()
    index = (out / "index.html").read_text()
    assert 'href="01-first.html"' in index and "Second section" in index
    assert 'src="figures/01-first/counts.png"' in index
    page = (out / "01-first.html").read_text()
    assert "3 subjects" in page and 'id="code-toggle"' in page
    written = json.loads((out / "manifest.json").read_text())
    assert set(written["inputs"]["checksums"]) == {
        "subjects.csv",
        "visits.csv",
        "adverse_events.csv",
        "labs.csv",
    }
    assert written["packages"]["pandas"]

    # nothing changed: nothing runs (its time is measured by make bench, not here)
    before = tree_digest(out)
    build_report(project, progress=False)
    assert tree_digest(out) == before

    # one notebook changed: only it runs
    _notebook(project.notebooks / "02-second.ipynb", "Second section, revised")
    manifest = build_report(project, progress=False)
    assert {stem: entry["executed"] for stem, entry in manifest["notebooks"].items()} == {
        "01-first": False,
        "02-second": True,
    }
    assert "revised" in (out / "index.html").read_text()

    # a failing cell leaves the previous report intact and names notebook, cell and error
    before = tree_digest(out)
    _notebook(project.notebooks / "02-second.ipynb", "Broken", body="1 / 0")
    with pytest.raises(
        ReportBuildError, match=r"02-second.ipynb: cell \d+ failed: ZeroDivisionError"
    ):
        build_report(project, progress=False)
    assert tree_digest(out) == before
    assert [path.name for path in out.parent.iterdir() if path.name.startswith(".")] == []


def test_report_opens_in_chromium(project, tmp_path):
    from browser_check import check_report

    build_report(project, progress=False)
    result = check_report(project.out, tmp_path / "screenshots", tmp_path)
    assert result["problems"] == []
    assert {url.rsplit("/", 1)[1] for url in result["visited"]} >= {
        "index.html",
        "01-first.html",
        "02-second.html",
    }
    assert all(shot.stat().st_size > 1000 for shot in result["screenshots"])

    # the checker itself catches a broken image and a broken link
    index = project.out / "index.html"
    index.write_text(
        index.read_text().replace(
            "</body>", '<img src="missing.png"><a href="gone.html">x</a></body>'
        )
    )
    problems = check_report(project.out, tmp_path / "screenshots2", tmp_path)["problems"]
    assert any("broken image missing.png" in problem for problem in problems)
    assert any("gone.html" in problem and "404" in problem for problem in problems)
