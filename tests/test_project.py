"""Project hygiene: the two environment files agree, the lock pins them, the code is lint-clean."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

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
