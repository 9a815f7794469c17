"""The command line: help everywhere, one clear error line, tracebacks only with --debug."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from acne_outcomes.cli import main as cli


@pytest.mark.parametrize(
    "argv", [["--help"], ["validate", "--help"], ["dictionary", "--help"], ["report", "--help"]]
)
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        cli(argv)
    assert exited.value.code == 0
    assert "usage: acne-outcomes" in capsys.readouterr().out


def test_report_mapping_needs_data(capsys):
    """``report --mapping`` maps an imported ``--data``; alone it is one clear error line."""
    assert cli(["report", "--mapping", "mapping.json"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == (
        "error: bad input: --mapping needs --data (the file or ADaM folder it maps)"
    )


def test_errors_are_one_line_without_traceback_unless_debug(tmp_path, capsys):
    missing = str(tmp_path / "missing")
    assert cli(["validate", missing]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0].startswith("error: cannot read the input:")
    assert "Traceback" not in err
    assert cli(["--debug", "validate", missing]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_entry_point_is_installed(study_folder):
    result = subprocess.run(
        [sys.executable, "-m", "acne_outcomes.cli", "validate", str(study_folder)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("VALID")


def test_simulate_writes_a_valid_package(tmp_path, capsys):
    out = tmp_path / "rct"
    assert (
        cli(["simulate", "--n", "40", "--seed", "3", "--out", str(out), "--param", "pih_effect=0"])
        == 0
    )
    assert "wrote" in capsys.readouterr().out
    assert cli(["validate", str(out)]) == 0
    assert (
        cli(["simulate", "--n", "40", "--out", str(out)]) == 2
    )  # exists: refuses without --overwrite
    assert "overwrite" in capsys.readouterr().err
    assert cli(["simulate", "--param", "no_such_knob=1", "--out", str(tmp_path / "x")]) == 1
    assert "allowed parameters" in capsys.readouterr().err


def test_the_command_runs_blas_on_one_thread_unless_told_otherwise():
    """Set before numpy loads: the command's parallelism is across processes."""
    code = ("import os, sys; import acne_outcomes.cli; "
            "print(os.environ['OPENBLAS_NUM_THREADS'], os.environ['OMP_NUM_THREADS'], "
            "'numpy' in sys.modules)")  # fmt: skip
    env = {key: value for key, value in os.environ.items() if not key.endswith("_NUM_THREADS")}
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert shown.stdout.split() == ["1", "1", "False"], shown.stderr  # before numpy loads
    env["OMP_NUM_THREADS"] = "3"
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert shown.stdout.split() == ["1", "3", "False"], shown.stderr


def test_the_command_turns_numpys_huge_page_advice_off_unless_told_otherwise():
    code = ("import acne_outcomes.cli, numpy; "
            "print(numpy._core.multiarray._get_madvise_hugepage())")  # fmt: skip
    env = {key: value for key, value in os.environ.items() if key != "NUMPY_MADVISE_HUGEPAGE"}
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert shown.stdout.split() == ["False"], shown.stderr
    env["NUMPY_MADVISE_HUGEPAGE"] = "1"
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert shown.stdout.split() == ["True"], shown.stderr


def test_simulate_refuses_a_number_of_threads_below_one(tmp_path, capsys):
    assert cli(["simulate", "--n", "40", "--jobs", "0", "--out", str(tmp_path / "x")]) == 1
    assert "--jobs is a number of threads, 1 to 256; got 0" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_report_refuses_an_unknown_figure_format_before_building(tmp_path, capsys):
    out = tmp_path / "reports"
    assert cli(["report", "--figures", "png,gif", "--out", str(out)]) == 1
    assert "figure format 'gif' not allowed; allowed: png, svg, pdf" in capsys.readouterr().err
    assert cli(["report", "--figures", "svg,pdf", "--out", str(out)]) == 1
    assert "must include png: the report's index shows the PNG files" in capsys.readouterr().err
    assert not out.exists()
