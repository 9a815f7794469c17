"""Project hygiene: the two environment files agree, the lock pins them, the code is lint-clean."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import unquote

import pytest

from acne_outcomes.paths import PROJECT_ROOT


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["dev"]
    pins = {}
    for requirement in requirements:
        name, version = requirement.split("==")
        pins[_normalise(name)] = version
    return pins


def _conda_pins() -> dict[str, str]:
    pins = {}
    for line in (PROJECT_ROOT / "environment.yml").read_text().splitlines():
        match = re.fullmatch(r"\s*-\s*([A-Za-z0-9_.-]+)=([^=\s]+)\s*", line)
        if match and match.group(1) != "python":
            pins[_normalise(match.group(1))] = match.group(2)
    return pins


def test_environment_yml_and_pyproject_list_the_same_pinned_packages():
    assert _pyproject_pins() == _conda_pins()
    for required in ("jupyterlab", "pandas", "matplotlib", "scipy", "statsmodels"):
        assert required in _pyproject_pins()


def test_lock_file_pins_every_direct_dependency():
    lock = {}
    for line in (PROJECT_ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            lock[_normalise(name)] = version.strip()
    for name, version in _pyproject_pins().items():
        assert lock.get(name) == version, f"{name}: pyproject {version}, lock {lock.get(name)}"


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff(command):
    targets = [str(PROJECT_ROOT / name) for name in ("src", "tests", "benchmarks")]
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command, *targets], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ---- the repository stands alone ------------------------------------------------------------
#
# Nothing may depend on where the repository is checked out or on files beside it: no absolute
# path of a machine (home folders, the temporary folder, mounts, a Windows drive) and no relative
# path that climbs out of the repository. The files searched are those git tracks, plus new files
# it does not ignore (what the next commit can contain); binary files are skipped.
#
# What is allowed, and why (keep this list tiny):
#   * web addresses (http, https, ftp, ssh, git) are removed before the search: not machine paths;
#   * a first line that starts a script through env (shebang `#!` + env's path + interpreter):
#     the portable way, which finds the interpreter on PATH;
#   * device paths such as /dev/null are not searched for;
#   * ALLOWED_OCCURRENCES: a path that a test passes on purpose and that is refused before
#     anything is written (never a path the project reads or writes). Each is written here
#     without its leading slash, so that this file does not contain it.
MACHINE_PATH = re.compile(
    r"(?<![\w.~-])/(?:work|home|root|Users|tmp|mnt|opt|srv|var|usr|Volumes)/"  # POSIX, macOS
    r"|(?<![A-Za-z0-9])[A-Za-z]:\\"  # a Windows drive
)
OUTSIDE_FOLDER = re.compile(r"\.\./shared\b")  # the folder that used to hold the design notes
URL = re.compile(r"\b(?:https?|ftp|ssh|git)://[^\s)\]>\"'`]+")
SHEBANG_ENV = re.compile(r"#!/(?:usr/)?bin/env \S[^\n]*\n")
ALLOWED_OCCURRENCES = {
    "tests/test_io.py": ("tmp/anything",),  # refused by save_study: format not allowed
}
LINKING_SUFFIXES = {".md", ".html", ".j2", ".ipynb"}
LINK_TARGET = re.compile(
    r"\]\(\s*<?([^)\s>]+)"  # Markdown [text](target)
    r"|^\s*\[[^\]]+\]:\s*<?([^\s>]+)"  # Markdown reference definition [label]: target
    r"|\b(?:href|src)=\\?[\"']([^\"'\\]+)",  # HTML href="..." / src="..." (also JSON-escaped)
    re.MULTILINE,
)


def _git_files(root: Path) -> list[str]:
    try:
        listing = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout (or git is missing): nothing to list")
    names = sorted({name for name in listing.decode().split("\0") if name})
    return [name for name in names if (root / name).is_file()]


def _text(path: Path) -> str | None:
    """The file's text, or None for a binary file."""
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def _link_targets(text: str) -> list[str]:
    return [
        next(group for group in match.groups() if group) for match in LINK_TARGET.finditer(text)
    ]


def _is_external(target: str) -> bool:
    """A URL (any scheme, mailto: included) or an anchor in the same page."""
    return target.startswith("#") or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", target) is not None


def _local_path(root: Path, page: str, target: str) -> Path:
    """Where a relative link in ``page`` points (anchor and query removed)."""
    target = unquote(re.split(r"[#?]", target, maxsplit=1)[0])
    return ((root / page).parent / target).resolve()


def _inside(root: Path, path: Path) -> bool:
    return path.is_relative_to(root.resolve())


def leaks(root: Path) -> list[str]:
    """Every machine path or climb out of ``root`` in its files, as 'file:line: text'."""
    found = []
    for name in _git_files(root):
        text = _text(root / name)
        if text is None:
            continue
        if SHEBANG_ENV.match(text):
            text = text.partition("\n")[2]
        for allowed in ALLOWED_OCCURRENCES.get(name, ()):
            text = text.replace("/" + allowed, "")
        searched = URL.sub("", text)
        for pattern in (MACHINE_PATH, OUTSIDE_FOLDER):
            for match in pattern.finditer(searched):
                line = searched.count("\n", 0, match.start()) + 1
                found.append(f"{name}:{line}: {match.group()}")
        if Path(name).suffix in LINKING_SUFFIXES:
            for target in _link_targets(searched):
                if "../" in target and not _is_external(target):
                    if not _inside(root, _local_path(root, name, target)):
                        found.append(f"{name}: link {target} leaves the repository")
    return found


def test_no_file_names_a_machine_path_or_a_path_outside_the_repository():
    assert leaks(PROJECT_ROOT) == []


def _strip_code(markdown: str) -> str:
    """Markdown without fenced code blocks and inline code spans (their brackets are not links)."""
    markdown = re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", markdown, flags=re.MULTILINE | re.DOTALL)
    return re.sub(r"(`+)[^`]*?\1", "", markdown)


def markdown_links(root: Path) -> list[tuple[str, str]]:
    """(page, target) for each local link in README.md and docs/*.md (URLs and anchors left out)."""
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    links = []
    for page in pages:
        name = page.relative_to(root).as_posix()
        for target in _link_targets(_strip_code(page.read_text(encoding="utf-8"))):
            if not _is_external(target) and (name, target) not in links:
                links.append((name, target))
    return links


@pytest.mark.parametrize(
    ("page", "target"),
    markdown_links(PROJECT_ROOT),
    ids=lambda value: value,
)
def test_markdown_link_resolves_to_a_file_in_the_repository(page, target):
    path = _local_path(PROJECT_ROOT, page, target)
    assert _inside(PROJECT_ROOT, path), f"{page}: {target} points outside the repository"
    assert path.exists(), f"{page}: {target} does not exist ({path.relative_to(PROJECT_ROOT)})"


# ---- every generator default is traced to docs/references.md ----------------------------------
#
# A default's source note cites a row of docs/references.md as "LD: section / quantity" (or
# "LD section / quantity"; several quantities joined by " + "). Every citation must name a
# section heading and a row of that section's table; every default that is not cited, or is
# marked [assumption], must be listed by name in the section "Defaults without a source".
CITATION = re.compile(r"\bLD:? (?P<section>[A-Z][\w -]*?) / (?P<rows>[^():;]+)")
ASSUMPTIONS_HEADING = "Defaults without a source"


def _reference_sections() -> dict[str, str]:
    text = (PROJECT_ROOT / "docs" / "references.md").read_text(encoding="utf-8")
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _rows(section_text: str) -> list[str]:
    cells = [
        line.split("|")[1].strip() for line in section_text.splitlines() if line.startswith("|")
    ]
    return [cell for cell in cells if cell and cell != "quantity" and not set(cell) <= {"-", ":"}]


def _cites_a_row(sections: dict[str, str], section: str, row: str) -> bool:
    for heading, body in sections.items():
        if heading == section or re.match(re.escape(section) + r"[ :(]", heading):
            return any(
                cell == row or cell.startswith((row + ",", row + " ")) for cell in _rows(body)
            )
    return False


def _sources() -> dict[str, str]:
    from acne_outcomes.simulate.defaults import ADVERSE_EVENT_TERMS, DEFAULTS, LAB_TESTS

    sources = {name: item.source for name, item in DEFAULTS.items()}
    sources |= {f"adverse event {term.term}": term.source for term in ADVERSE_EVENT_TERMS}
    sources |= {f"lab test {test.test}": test.source for test in LAB_TESTS}
    return sources


def test_every_citation_of_a_default_names_a_row_of_docs_references_md():
    sections = _reference_sections()
    unresolved = []
    for name, source in _sources().items():
        for match in CITATION.finditer(source):
            for row in match.group("rows").split(" + "):
                if not _cites_a_row(sections, match.group("section"), row.strip()):
                    unresolved.append(f"{name}: {match.group('section')} / {row.strip()}")
    assert unresolved == []


def test_every_default_without_a_source_is_listed_as_an_assumption_in_docs_references_md():
    from acne_outcomes.simulate.defaults import ADVERSE_EVENT_TERMS, ASSUMPTION, DEFAULTS

    listed = next(
        body for heading, body in _reference_sections().items() if ASSUMPTIONS_HEADING in heading
    )
    names = [
        name
        for name, item in DEFAULTS.items()
        if ASSUMPTION in item.source or ASSUMPTION in item.note or not CITATION.search(item.source)
    ]
    names += [term.term for term in ADVERSE_EVENT_TERMS if not CITATION.search(term.source)]
    assert [name for name in names if f"`{name}`" not in listed] == []


# ---- the test tools ---------------------------------------------------------------------------


def test_make_test_makes_sure_the_test_tools_are_there_first():
    """`make test` runs scripts/ensure-test-tools.sh before pytest: Chromium and chromedriver for
    the browser tests, pdflatex with booktabs for the LaTeX tables (as root it installs them)."""
    script = PROJECT_ROOT / "scripts" / "ensure-test-tools.sh"
    assert script.is_file() and not (PROJECT_ROOT / "scripts" / "ensure-browser.sh").exists()
    assert subprocess.run(["sh", "-n", str(script)], capture_output=True).returncode == 0
    text = script.read_text(encoding="utf-8")
    for package in (
        "chromium",
        "chromium-driver",
        "texlive-latex-base",
        "texlive-latex-recommended",
    ):
        assert package in text, package
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^test: test-tools ", makefile, re.MULTILINE)
    assert re.search(r"^test-slow: test-tools ", makefile, re.MULTILINE)
    assert "sh scripts/ensure-test-tools.sh" in makefile
    for name in ("README.md", ".ci/run", "tests/browser_check.py"):
        assert "ensure-test-tools.sh" in (PROJECT_ROOT / name).read_text(encoding="utf-8"), name


# ------------------------------------------------------------------ the docs say what is there


def _readme() -> str:
    return (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_names_every_table_format_written():
    from acne_outcomes.tables import TABLE_FORMATS

    documented = re.search(r"reports/tables/NN-topic/\*\.\{([a-z,]+)\}", _readme()).group(1)
    assert documented.split(",") == list(TABLE_FORMATS)


def test_readme_commands_name_every_benchmark_and_option():
    from benchmarks.__main__ import available

    commands = _readme().split("## Commands", 1)[1].split("\n## ", 1)[0]
    bench = next(line for line in commands.splitlines() if "make bench" in line)
    assert all(name in bench for name in available()), (available(), bench)
    assert "--quick" in bench
    report = next(line for line in commands.splitlines() if "acne-outcomes report" in line)
    assert "--mapping" in report and "--n " in report


def test_top_level_help_describes_every_subcommand():
    from acne_outcomes.cli import _parser

    parser = _parser()
    commands = next(action for action in parser._actions if action.dest == "command").choices
    description = " ".join(parser.description.split())
    assert all(f"({name})" in description for name in commands), description


def test_reports_readme_describes_the_report_as_built():
    text = (PROJECT_ROOT / "reports" / "README.md").read_text(encoding="utf-8")
    assert "later parts" not in text
    for name in ("index.html", "manifest.json", "figures/", "tables/", "notebooks/", ".rtf"):
        assert name in text, name


def test_readme_does_not_promise_a_one_minute_setup():
    assert "about\na minute" not in _readme() and "about a minute" not in _readme()
