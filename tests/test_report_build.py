"""The report build machinery on two tiny notebooks: parallel execution in real kernels,
warm kernels that start every notebook clean, incremental rebuilds, atomic failure with the
failed notebook kept, imports through a mapping, manifest and HTML pages."""

from __future__ import annotations

import html
import json
import os
import re
import tempfile
import threading
import time

import nbformat
import pytest
from conftest import tree_digest, valid_tables

from acne_outcomes import paths, report
from acne_outcomes.cli import main as cli
from acne_outcomes.report import ReportBuildError, ReportConfig, build_report, failed_dir

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
    config = ReportConfig(
        data=study_folder, out=tmp_path / "reports", jobs=2, notebooks=notebooks,
        processed_dir=tmp_path / "processed",
    )  # fmt: skip
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
    settings = written["config"]  # JSON values, not Python's text of them
    assert settings["public"] is False and settings["remove_tags"] == [] and settings["jobs"] == 2
    assert "seed" not in settings and "scenario" not in settings  # a build from data

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

    # a failing cell leaves the previous report intact, names notebook, cell and error, and
    # keeps the executed notebook with its traceback beside the report
    before = tree_digest(out)
    _notebook(project.notebooks / "02-second.ipynb", "Broken", body="x = 1\n1 / 0")
    with pytest.raises(
        ReportBuildError, match=r"02-second.ipynb: cell \d+ failed: ZeroDivisionError"
    ) as failed:
        build_report(project, progress=False)
    assert tree_digest(out) == before
    assert [path.name for path in out.parent.iterdir() if path.name.startswith(".")] == []
    kept = failed_dir(out) / "02-second.ipynb"
    assert failed.value.kept == [kept] and str(kept) in str(failed.value)
    errors = [
        output
        for cell in nbformat.read(kept, as_version=4).cells
        for output in cell.get("outputs", [])
        if output["output_type"] == "error"
    ]
    assert [error["ename"] for error in errors] == ["ZeroDivisionError"]
    traceback = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(errors[0]["traceback"]))
    assert "1 / 0" in traceback

    # a later failure replaces the kept notebook; a later success removes the folder
    _notebook(project.notebooks / "02-second.ipynb", "Broken again", body="raise KeyError('k')")
    with pytest.raises(ReportBuildError, match="KeyError"):
        build_report(project, progress=False)
    assert "KeyError" in kept.read_text() and "ZeroDivisionError" not in kept.read_text()
    _notebook(project.notebooks / "02-second.ipynb", "Second section, mended")
    build_report(project, progress=False)
    assert not failed_dir(out).exists()
    assert "mended" in (out / "index.html").read_text()


LEAKS = """
import os, warnings
from pathlib import Path
import matplotlib
import pandas as pd
leaked = 1
matplotlib.rcParams["lines.linewidth"] = 9.5
pd.set_option("display.max_rows", 3)
warnings.simplefilter("error")
os.environ["ACNE_OUTCOMES_LEAK"] = "1"
os.chdir("/")
matplotlib.use("Agg")
folder = Path(output_dir) / "not-estimable"
folder.mkdir(exist_ok=True)
(folder / f"{notebook_name}.json").write_text(
    '[{"section": "Rate <ratio> & co", "reason": "one arm: <no control>"}]'
)
print(f"kernel pid {os.getpid()}")
"""
CLEAN = """
import os, warnings
from pathlib import Path
import matplotlib
import pandas as pd
assert "leaked" not in globals()
assert matplotlib.rcParams["lines.linewidth"] != 9.5
assert pd.get_option("display.max_rows") == 60
assert not any(item[0] == "error" and item[2] is Warning for item in warnings.filters)
assert "ACNE_OUTCOMES_LEAK" not in os.environ
assert Path.cwd().name == "notebooks"
assert "inline" in matplotlib.get_backend()
print(f"kernel pid {os.getpid()}")
"""


def _pids(out) -> set[str]:
    return {
        re.search(r"kernel pid (\d+)", (out / f"{stem}.html").read_text()).group(1)
        for stem in ("01-leaks", "02-clean")
    }


def test_warm_kernel_starts_every_notebook_clean(tmp_path, study_folder, monkeypatch):
    # a module that cannot be imported ahead is left to the notebook that imports it
    monkeypatch.setattr(report, "PRELOAD", (*report.PRELOAD, "no_such_module_to_preload"))
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _notebook(notebooks / "01-leaks.ipynb", "Leaks", body=LEAKS)
    _notebook(notebooks / "02-clean.ipynb", "Clean", body=CLEAN)
    config = ReportConfig(
        data=study_folder, out=tmp_path / "warm", jobs=1, notebooks=notebooks,
        processed_dir=tmp_path / "processed",
    )  # fmt: skip
    manifest = build_report(config, progress=False)
    assert len(_pids(config.out)) == 1  # one kernel ran both notebooks

    # what a notebook found not estimable: in the manifest and on the index, escaped
    entries = manifest["notebooks"]
    assert entries["01-leaks"]["not_estimable"] == [
        {"section": "Rate <ratio> & co", "reason": "one arm: <no control>"}
    ]
    assert entries["02-clean"]["not_estimable"] == []
    assert not (config.out / "not-estimable").exists()
    index = (config.out / "index.html").read_text()
    assert "Not estimable here:" in index and "<no control>" not in index
    assert "Rate &lt;ratio&gt; &amp; co" in index and "one arm: &lt;no control&gt;" in index

    # the design: the plain CSV folder declares none, so the index lists what was inferred
    inferred = manifest["inputs"]["design"]["inferred"]
    assert inferred and "inferred from the data" in index
    assert all(f"<li>{html.escape(sentence)}</li>" in index for sentence in inferred)

    # a fresh kernel for every notebook, on request
    fresh = ReportConfig(
        data=study_folder, out=tmp_path / "fresh", jobs=1, notebooks=notebooks, warm_kernels=False,
        processed_dir=tmp_path / "processed",
    )  # fmt: skip
    build_report(fresh, progress=False)
    assert len(_pids(fresh.out)) == 2


FINISHED = "slow-notebook-finished"


def _build_with_a_failure(tmp_path, study_folder, slow_cells, broken_sleep):
    """Build a slow notebook (``slow_cells``, then a long sleep that would write
    :data:`FINISHED` into its folder) beside one that fails; return the failure."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _notebook(notebooks / "01-slow.ipynb", "Slow", body="import time")
    slow = nbformat.read(notebooks / "01-slow.ipynb", as_version=4)
    slow.cells += [nbformat.v4.new_code_cell(source) for source in slow_cells]
    slow.cells.append(nbformat.v4.new_code_cell(f"time.sleep(600)\nopen({FINISHED!r}, 'w')"))
    nbformat.write(slow, notebooks / "01-slow.ipynb")
    _notebook(notebooks / "02-broken.ipynb", "Broken",
              body=f"import time\ntime.sleep({broken_sleep})\n1 / 0")  # fmt: skip
    config = ReportConfig(
        data=study_folder, out=tmp_path / "reports", jobs=2, notebooks=notebooks,
        processed_dir=tmp_path / "processed",
    )  # fmt: skip
    with pytest.raises(ReportBuildError) as failed:
        build_report(config, progress=False)
    assert not (notebooks / FINISHED).exists()  # the slow notebook was stopped, not waited for
    assert str(failed.value).startswith("02-broken.ipynb: cell 3 failed: ZeroDivisionError")
    assert failed.value.kept == [failed_dir(config.out) / "02-broken.ipynb"]
    return config


def test_a_failure_interrupts_the_other_notebooks(tmp_path, study_folder):
    config = _build_with_a_failure(tmp_path, study_folder, [], broken_sleep=3)
    assert not config.out.exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "notebooks", "processed", "reports.failed", "study"
    ]  # fmt: skip


def test_a_failure_stops_a_notebook_between_two_cells(tmp_path, study_folder):
    """A kernel ignores an interrupt that arrives between two cells (ipykernel handles SIGINT
    only while it executes): the build interrupts until the other notebooks stop, and starts
    no further cell. Many short cells make such an interrupt likely; before, the sleep at the
    end then ran in full (the cause of a rare failure of the test above on a busy machine)."""
    _build_with_a_failure(tmp_path, study_folder, ["x = 1"] * 300, broken_sleep=1)


def _long_csv(path) -> None:
    tables = valid_tables()
    long = tables["visits"].drop(columns=["melanin_index_difference", "adherence"])
    long = long.merge(tables["subjects"]).rename(
        columns={"subject_id": "Patient", "arm": "Group", "month": "Visit"}
    )
    long["Group"] = long["Group"].map({"isotretinoin": "ISO", "comparator": "DOXY"})
    long.to_csv(path, index=False)


MAPPING = {
    "columns": {"subject_id": "Patient", "arm": "Group", "month": "Visit"},
    "values": {"arm": {"ISO": "isotretinoin", "DOXY": "comparator"}},
}


def test_report_from_a_mapped_file_with_relative_paths(tmp_path, monkeypatch):
    """``report --data FILE --mapping M`` from the caller's folder: the file is validated,
    written as a package under data/processed, and left untouched."""
    work = tmp_path / "work"
    (work / "raw").mkdir(parents=True)
    (work / "notebooks").mkdir()
    _long_csv(work / "raw" / "long study.csv")
    (work / "mapping.json").write_text(json.dumps(MAPPING))
    _notebook(work / "notebooks" / "01-first.ipynb", "First section")
    before = tree_digest(work / "raw")
    processed = tmp_path / "processed"
    monkeypatch.setattr(paths, "PROCESSED_DIR", processed)
    monkeypatch.chdir(work)
    argv = ["report", "--data", "raw/long study.csv", "--mapping", "mapping.json", "--out",
            "reports", "--notebooks", "notebooks", "--jobs", "1"]  # fmt: skip
    assert cli(argv) == 0
    assert tree_digest(work / "raw") == before
    out = work / "reports"
    assert "3 subjects" in (out / "01-first.html").read_text()
    manifest = json.loads((out / "manifest.json").read_text())
    inputs = manifest["inputs"]
    assert inputs["data"] == str(work / "raw" / "long study.csv")
    assert inputs["mapping"] == str(work / "mapping.json")
    assert inputs["checksums"] == {"long study.csv": tree_digest(work / "raw")["long study.csv"]}
    package = processed / inputs["package"].rsplit("/", 1)[1]
    assert re.fullmatch(r"long-study-[0-9a-f]{12}", package.name)
    assert (package / "datapackage.json").is_file()
    index = (out / "index.html").read_text()
    assert "long study.csv" in index and "mapping.json" in index

    # a different mapping is a different package, and every notebook runs again
    MAPPING["values"]["arm"] = {"ISO": "isotretinoin", "DOXY": "doxycycline"}
    (work / "mapping.json").write_text(json.dumps(MAPPING))
    assert cli(argv) == 0
    again = json.loads((out / "manifest.json").read_text())
    assert again["inputs"]["package"] != inputs["package"]
    assert again["notebooks"]["01-first"]["executed"] is True
    assert sorted(path.name for path in processed.iterdir() if not path.name.startswith(".")) == (
        sorted([package.name, again["inputs"]["package"].rsplit("/", 1)[1]])
    )


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


# ----------------------------------------------------------------- nothing lost, nothing leaked


def test_the_swap_leaves_no_moment_without_a_report(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    (out / "index.html").write_text("first")
    missing, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            if not (out / "index.html").is_file():
                missing.append(time.perf_counter())

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for number in range(60):
            staging = tmp_path / f".reports.staging-{os.getpid()}-{number:08x}"
            staging.mkdir()
            (staging / "index.html").write_text(f"build {number}")
            report._swap(staging, out)
    finally:
        stop.set()
        watcher.join()
    assert missing == []
    assert (out / "index.html").read_text() == "build 59"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["reports"]


NOTES = """
import json
from pathlib import Path
from acne_outcomes import load_study
study = load_study(data_path)
Path(original, "visits.csv").write_text("changed during the build\\n")
folder = Path(output_dir) / "not-estimable"
folder.mkdir(exist_ok=True)
(folder / f"{notebook_name}.json").write_text(json.dumps(
    [{"section": "Rate ratio", "reason": "only 2 subjects in arm vehicle at month 3"}]))
print(f"{study.n_subjects} subjects from {data_path} into {output_dir}")
"""


def test_public_build_manifest_and_pages(tmp_path, study_folder):
    """Stale staging folders of dead builds go; the pages analyse the bytes validated even if
    the input changes during the build; in public mode neither the manifest nor a page shows
    an absolute path or a small count."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _notebook(notebooks / "01-notes.ipynb", "Notes", body=NOTES)
    stale = tmp_path / ".reports.staging-999999999-0badc0de"
    (stale / "figures").mkdir(parents=True)
    live = tmp_path / f".reports.staging-{os.getpid()}-0badc0de"
    live.mkdir()
    validated = tree_digest(study_folder)["visits.csv"]
    config = ReportConfig(
        data=study_folder, out=tmp_path / "reports", jobs=1, notebooks=notebooks, public=True,
        processed_dir=tmp_path / "processed", parameters={"original": str(study_folder)},
    )  # fmt: skip
    manifest = build_report(config, progress=False)
    assert not stale.exists() and live.exists()
    live.rmdir()
    assert manifest["inputs"]["checksums"]["visits.csv"] == validated
    assert tree_digest(study_folder)["visits.csv"] != validated  # the notebook changed it
    page = (config.out / "01-notes.html").read_text()
    assert "3 subjects from " in page
    written = (config.out / "manifest.json").read_text()
    for text in (written, page, (config.out / "index.html").read_text()):
        assert str(tmp_path) not in text and tempfile.gettempdir() + "/" not in text
    assert manifest["inputs"]["data"] == "study" and manifest["inputs"]["package"].startswith(
        "study-"
    )
    reason = manifest["notebooks"]["01-notes"]["not_estimable"][0]["reason"]
    assert reason == "only fewer than 5 subjects in arm vehicle at month 3"
    assert "only 2 subjects" not in (config.out / "index.html").read_text()
    executed = nbformat.read(config.out / "notebooks" / "01-notes.ipynb", as_version=4)
    injected = next(
        cell.source
        for cell in executed.cells
        if "injected-parameters" in cell.metadata.get("tags", [])
    )
    assert 'data_path = "study-' in injected and 'output_dir = "reports"' in injected
    assert 'original = "study"' in injected


def test_a_synthetic_study_written_by_an_older_generator_is_regenerated(tmp_path, monkeypatch):
    """The built-in study is cached in data/synthetic; a changed generator must not reuse it."""
    from acne_outcomes import report

    config = ReportConfig(scenario="rct", n_subjects=30, seed=3, synthetic_dir=tmp_path)
    monkeypatch.setattr(report, "generator_hash", lambda: "a" * 64)
    old, _ = report.resolve_input(config)
    written = (old / "visits.csv").stat().st_mtime_ns
    assert report.resolve_input(config)[0] == old  # same generator: the cache is used
    assert (old / "visits.csv").stat().st_mtime_ns == written
    monkeypatch.setattr(report, "generator_hash", lambda: "b" * 64)
    new, described = report.resolve_input(config)
    assert new.name.endswith("-bbbbbbbbbbbb") and not old.exists()
    assert described["n_subjects"] == 30 and (new / "visits.csv").is_file()


def test_a_public_manifest_hides_small_counts_of_records_an_import_left_out(tmp_path):
    from acne_outcomes import report

    inputs = {"data": str(tmp_path / "adam"), "checksums": {},
              "import": {"route": "adam", "left_out": {"adqs.xpt DTYPE LOCF records": 3,
                                                       "records without AVISITN": 40}}}  # fmt: skip
    config = ReportConfig(data=tmp_path / "adam", out=tmp_path / "reports", public=True)
    shown, _, _ = report._public_manifest(inputs, {}, config, [])
    assert shown["import"]["left_out"] == {"adqs.xpt DTYPE LOCF records": "*",
                                           "records without AVISITN": "40"}  # fmt: skip
    assert inputs["import"]["left_out"]["adqs.xpt DTYPE LOCF records"] == 3  # not changed in place
