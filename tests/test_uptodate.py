"""A rebuild with nothing changed is answered by hashing alone (acne_outcomes.uptodate): the same
keys as the build's, no for any change the build would act on, and the command line then imports
neither the build nor pandas."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from acne_outcomes import paths, report, uptodate

NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "id": "a", "metadata": {}, "source": ["# A small page"]},
        {"cell_type": "code", "id": "b", "metadata": {"tags": ["parameters"]}, "execution_count": None,
         "outputs": [], "source": ["data_path = None\n", "public = False\n", "output_dir = None\n",
                                   "notebook_name = None"]},
        {"cell_type": "code", "id": "c", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["print(1 + 1)"]},
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("uptodate")
    notebooks = root / "notebooks"
    notebooks.mkdir()
    (notebooks / "01-small.ipynb").write_text(json.dumps(NOTEBOOK), encoding="utf-8")
    config = report.ReportConfig(out=root / "site" / "reports", notebooks=notebooks,
                                 synthetic_dir=root / "synthetic", n_subjects=30, jobs=1)  # fmt: skip
    report.build_report(config, progress=False)
    return config


def _fresh(config):
    return uptodate.synthetic_report_is_fresh(
        config.out, notebooks=config.notebooks, synthetic_dir=config.synthetic_dir,
        n_subjects=config.n_subjects,
    )  # fmt: skip


def test_the_hashes_are_the_builds(built):
    """One definition of each hash: the build computes its keys with uptodate's functions."""
    assert report.source_hash is uptodate.source_hash
    assert report.generator_hash is uptodate.generator_hash
    assert report.notebook_key is uptodate.notebook_key
    manifest = json.loads((built.out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["code_sha256"] == uptodate.source_hash()


def test_fresh_exactly_when_the_build_would_execute_nothing(built, tmp_path):
    manifest = json.loads((built.out / "manifest.json").read_text(encoding="utf-8"))
    assert _fresh(built) == manifest
    again = report.build_report(built, progress=False)  # the build agrees: nothing executed
    assert again == manifest and _fresh(built) == manifest
    # another setting than the manifest's: not sure, so no
    assert (
        uptodate.synthetic_report_is_fresh(
            built.out, notebooks=built.notebooks, synthetic_dir=built.synthetic_dir, n_subjects=31
        )
        is None
    )
    assert uptodate.synthetic_report_is_fresh(
        built.out, notebooks=built.notebooks, synthetic_dir=built.synthetic_dir,
        n_subjects=built.n_subjects, public=True,
    ) is None  # fmt: skip
    assert (
        uptodate.synthetic_report_is_fresh(
            tmp_path / "nothing", notebooks=built.notebooks, synthetic_dir=built.synthetic_dir
        )
        is None
    )


@pytest.mark.parametrize("change", ["notebook", "data", "extra file", "staging", "page"])
def test_any_change_the_build_acts_on_is_not_fresh(built, tmp_path, change):
    import shutil

    copy = tmp_path / "copy"
    for name in ("notebooks", "synthetic", "site"):
        shutil.copytree(built.out.parent.parent / name, copy / name, symlinks=True)
    config = report.ReportConfig(out=copy / "site" / "reports", notebooks=copy / "notebooks",
                                 synthetic_dir=copy / "synthetic", n_subjects=30, jobs=1)  # fmt: skip
    manifest = json.loads((config.out / "manifest.json").read_text(encoding="utf-8"))
    manifest["config"].update(out=str(config.out), notebooks=str(config.notebooks),
                              synthetic_dir=str(config.synthetic_dir))  # fmt: skip
    study = next(config.synthetic_dir.iterdir())
    manifest["inputs"]["data"] = str(study)
    (config.out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    # the copy's keys name the copy's study folder: rewrite them as the build would
    inputs, code = manifest["inputs"], uptodate.source_hash()
    parameters = {"data_path": str(study), "public": False, "_remove_tags": []}
    manifest["notebooks"]["01-small"]["key"] = uptodate.notebook_key(
        config.notebooks / "01-small.ipynb", parameters, inputs, code
    )
    (config.out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert _fresh(config) is not None
    if change == "notebook":
        (config.notebooks / "01-small.ipynb").write_text(
            json.dumps({**NOTEBOOK, "metadata": {**NOTEBOOK["metadata"], "x": 1}}), encoding="utf-8"
        )
    elif change == "data":
        with open(study / "visits.csv", "a", encoding="utf-8") as handle:
            handle.write("\n")
    elif change == "extra file":
        (study / "notes.csv").write_text("a\n1\n", encoding="utf-8")
    elif change == "staging":
        (config.out.parent / ".reports.staging-999999-abcd").mkdir()
    else:
        (config.out / "01-small.html").unlink()
    assert _fresh(config) is None


def test_the_command_line_answers_without_importing_the_build(built):
    code = (
        "import sys; from pathlib import Path; from acne_outcomes import paths; "
        f"paths.SYNTHETIC_DIR = Path({str(built.synthetic_dir)!r}); "
        "from acne_outcomes.cli import main; "
        f"code = main(['report', '--out', {str(built.out)!r}, '--notebooks', "
        f"{str(built.notebooks)!r}, '--n', '30']); "
        "print(code, 'pandas' in sys.modules, 'acne_outcomes.report' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "report up to date" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "0 False False"
    assert paths.SYNTHETIC_DIR != built.synthetic_dir  # the subprocess's change stayed there


def test_importing_the_package_imports_no_pandas():
    code = "import sys, acne_outcomes; print('pandas' in sys.modules, acne_outcomes.load_study.__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "load_study"]
    assert Path(paths.PACKAGE_DIR / "uptodate.py").is_file()
