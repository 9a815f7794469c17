"""Every LaTeX table of the default report compiles with pdflatex, as a paper would \\input it.

pdflatex and the booktabs package are test tools: ``make test`` makes sure they are installed
(``scripts/ensure-test-tools.sh``, as root it installs Debian's texlive-latex-base and
texlive-latex-recommended). Without them this test fails and says what to install: it is not
skipped, so CI always runs it.
"""

from __future__ import annotations

import shutil
import subprocess

import pandas as pd
import pytest
from studies import PNG_ONLY

from acne_outcomes.report import ReportConfig, build_report
from acne_outcomes.tables import with_notes, write_table

DOCUMENT = r"""\documentclass{article}
\usepackage[T1]{fontenc}
\usepackage{booktabs}
\usepackage[margin=1cm,landscape]{geometry}
\begin{document}
\begin{table}
\input{%s}
\end{table}
\end{document}
"""


def _pdflatex() -> str:
    found = shutil.which("pdflatex")
    if found is None:
        pytest.fail(
            "pdflatex not found: run `sh scripts/ensure-test-tools.sh` (as root it installs "
            "Debian's texlive-latex-base and texlive-latex-recommended), or `make test`"
        )
    return found


def _compile(table, folder) -> subprocess.CompletedProcess:
    """Compile one ``.tex`` table inside a minimal article; ``folder`` is a fresh folder."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(table, folder / "table.tex")
    (folder / "main.tex").write_text(DOCUMENT % "table.tex", encoding="utf-8")
    return subprocess.run(
        [_pdflatex(), "-interaction=nonstopmode", "-halt-on-error", "main.tex"],
        cwd=folder,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=120,
    )


def _problem(result: subprocess.CompletedProcess) -> str:
    lines = result.stdout.splitlines()
    errors = [index for index, line in enumerate(lines) if line.startswith("!")]
    start = errors[0] if errors else max(len(lines) - 15, 0)
    return "\n".join(lines[start : start + 12])


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("latex-report")
    config = ReportConfig(
        out=root / "reports", synthetic_dir=root / "synthetic", jobs=2, parameters=PNG_ONLY
    )
    build_report(config, progress=False)
    return config.out


def test_every_latex_table_of_the_default_report_compiles(report, tmp_path):
    tables = sorted(report.glob("tables/**/*.tex"))
    stems = {table.stem for table in tables}
    assert len(tables) >= 14 and {"table-1", "adverse-event-overview", "clearance"} <= stems
    for table in tables:  # each also as CSV, HTML and RTF
        assert all(table.with_suffix(suffix).is_file() for suffix in (".csv", ".html", ".rtf"))
    failed = {}
    for index, table in enumerate(tables):
        result = _compile(table, tmp_path / f"t{index}")
        if result.returncode != 0 or not (tmp_path / f"t{index}" / "main.pdf").is_file():
            failed[str(table.relative_to(report))] = _problem(result)
    assert failed == {}


def test_a_table_of_every_special_character_compiles(tmp_path):
    frame = pd.DataFrame(
        {
            "term & group_1": ["dry_eyes", "50% & more", "#1 {x} ~ ^ \\ $ |", "x < y > z"],
            "value (≥ ULN)": [
                "≤ 1 × ULN",
                "−0.50 (−0.90 to −0.10)",
                "µg/g, é, ü, ß",
                "日本, χ², ∞",
            ],
        }
    )
    frame = with_notes(frame, ["Note with 5% & _ and ≥ and ECCA, échelle."])
    paths = write_table(frame, "tricky", tmp_path / "tables")
    result = _compile(paths[2], tmp_path / "build")
    assert result.returncode == 0, _problem(result)
