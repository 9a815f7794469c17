"""Is the report already up to date? Answered by hashing alone, before the build is imported.

``acne-outcomes report`` with nothing changed used to import the scientific stack (pandas,
SciPy, statsmodels: about a second), read and validate the synthetic study to learn its
checksums, and only then find that no notebook needed to run. :func:`synthetic_report_is_fresh`
gives the same answer from the manifest, the notebooks' bytes, the package's source and the
study's file hashes, importing nothing beyond the standard library, so the command returns in
a fraction of a second. When it cannot be sure (another kind of input, a setting that differs
from the manifest's, leftovers of a killed build), it says no and the full build decides.

The build's keys are defined here (:func:`notebook_key` over :func:`source_hash` and the
study's checksums; :func:`generator_hash` names a generated study's folder), and
:mod:`acne_outcomes.report` uses these functions, so the two cannot disagree.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from acne_outcomes import paths

MANIFEST = "manifest.json"
#: Files of a package folder the reader does not checksum.
NOT_CHECKSUMMED = ("datapackage.json", ".acne-outcomes-package.json")


def source_hash() -> str:
    """SHA-256 over the package's source, the standard and the page template (any change rebuilds)."""
    digest = hashlib.sha256()
    for path in sorted(paths.PACKAGE_DIR.rglob("*")):
        if path.suffix in (".py", ".json", ".j2") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(paths.PACKAGE_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def generator_hash() -> str:
    """SHA-256 over the generator's source: a synthetic study is regenerated when it changes.

    The folder of a generated study is named with it, so a report never analyses a study that
    an older version of the generator wrote."""
    digest = hashlib.sha256()
    for path in sorted((paths.PACKAGE_DIR / "simulate").rglob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def notebook_key(notebook: Path, parameters: dict, inputs: dict, code: str) -> str:
    """The notebook's build key: what its outputs depend on."""
    digest = hashlib.sha256(Path(notebook).read_bytes())
    depends = [parameters, inputs.get("checksums"), inputs.get("mapping_sha256"), code]
    digest.update(json.dumps(depends, sort_keys=True).encode())
    return digest.hexdigest()


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def synthetic_report_is_fresh(
    out: Path,
    *,
    notebooks: Path,
    synthetic_dir: Path,
    scenario: str = "rct",
    seed: int = 0,
    n_subjects: int | None = None,
    public: bool = False,
) -> dict | None:
    """The manifest of the report in ``out`` if building it again would execute nothing, else None.

    For a report built from a synthetic study (``ReportConfig`` with ``data=None`` and the
    default title, parameters, tags and processed folder). True only when: the manifest
    records these settings; no staging, retired or failed folder of an earlier build lies
    beside ``out``; the study's folder is the one this generator names and its files are
    exactly those checksummed, with the same bytes; and every notebook's key (its bytes,
    parameters, the checksums and the package's source) matches the manifest's, with its page
    and the index present.
    """
    out, notebooks, synthetic_dir = (Path(p).resolve() for p in (out, notebooks, synthetic_dir))
    try:
        previous = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if os.path.islink(out) or not (out / "index.html").is_file():
        return None
    if any(entry.name.startswith(f".{out.name}.") or entry.name == f"{out.name}.failed"
           for entry in out.parent.iterdir()):  # fmt: skip
        return None  # the full build removes these first
    expected = {
        "data": None, "mapping": None, "scenario": scenario, "seed": seed,
        "n_subjects": n_subjects, "out": str(out), "public": public,
        "notebooks": str(notebooks), "synthetic_dir": str(synthetic_dir),
        "parameters": {}, "remove_tags": [], "title": "acne-outcomes report",
        "description": None, "processed_dir": str(paths.PROCESSED_DIR.resolve()),
    }  # fmt: skip
    config = previous.get("config") or {}
    if previous.get("public") != public or any(config.get(k) != v for k, v in expected.items()):
        return None
    size = "default" if n_subjects is None else str(n_subjects)
    folder = synthetic_dir / f"{scenario}-n{size}-seed{seed}-{generator_hash()[:12]}"
    inputs = previous.get("inputs") or {}
    checksums = inputs.get("checksums") or {}
    if inputs.get("data") != str(folder) or not (folder / "datapackage.json").is_file():
        return None
    files = {entry.name for entry in folder.iterdir() if entry.is_file() or entry.is_symlink()}
    if files - set(NOT_CHECKSUMMED) != set(checksums):
        return None
    if any(
        not (folder / name).is_file() or (folder / name).is_symlink()
        or _sha256(folder / name) != digest
        for name, digest in checksums.items()
    ):  # fmt: skip
        return None
    code = source_hash()
    found = sorted(notebooks.glob("[0-9][0-9]-*.ipynb"))
    entries = previous.get("notebooks") or {}
    if not found or [path.stem for path in found] != list(entries):
        return None
    parameters = {"data_path": str(folder), "public": public, "_remove_tags": []}
    for notebook in found:
        key = notebook_key(notebook, parameters, inputs, code)
        if entries[notebook.stem].get("key") != key or not (out / f"{notebook.stem}.html").exists():
            return None
    return previous
