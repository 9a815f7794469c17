"""Results kept on disk by their inputs: the generator's truth and the lessons' diagnoses.

A result is stored under a key, the SHA-256 of everything it depends on: the inputs given
(:func:`key`) and the code that computes it — the package's version and a hash of the source
files concerned (:func:`source_digest`). Change a parameter, a seed or a line of that code and
the key changes: the next call computes afresh. The files are pickles written by this project
into its own folder, written whole or not at all (a temporary file renamed into place), so
parallel processes never read half a result.

Where: ``ACNE_OUTCOMES_CACHE`` names the folder; unset, it is ``build/cache`` in the project;
``off`` (or ``0``) keeps nothing on disk. A folder that cannot be written is not an error: the
result is computed and returned as without a cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from acne_outcomes import paths

ENVIRONMENT = "ACNE_OUTCOMES_CACHE"
DEFAULT_DIR = paths.PROJECT_ROOT / "build" / "cache"
OFF = ("off", "0", "false", "no")


def cache_dir() -> Path | None:
    """The cache's folder, or None when the disk cache is off (``ACNE_OUTCOMES_CACHE=off``)."""
    chosen = os.environ.get(ENVIRONMENT, "").strip()
    if chosen.lower() in OFF:
        return None
    return Path(chosen) if chosen else DEFAULT_DIR


@lru_cache(maxsize=16)
def source_digest(parts: tuple[str, ...] = ()) -> str:
    """SHA-256 of the package's version and the source files under ``parts`` (all when empty).

    ``parts`` are paths inside the package (``"simulate"``, ``"derive.py"``); a folder counts
    every ``.py`` and ``.json`` file in it. Computed once per process.

    >>> source_digest(("simulate",)) == source_digest(("simulate",)) != source_digest()
    True
    """
    from importlib.metadata import version

    digest = hashlib.sha256(version("acne-outcomes").encode())
    roots = [paths.PACKAGE_DIR / part for part in parts] or [paths.PACKAGE_DIR]
    files = set()
    for root in roots:
        files |= {root} if root.is_file() else set(root.rglob("*"))
    for path in sorted(files):
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(paths.PACKAGE_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def key(*inputs) -> str:
    """The SHA-256 of ``inputs`` written as canonical JSON (sorted keys; other objects by repr).

    >>> key({"b": 1, "a": 2}) == key({"a": 2, "b": 1}) != key({"a": 2, "b": 2})
    True
    """
    text = json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def _file(kind: str, digest: str) -> Path | None:
    folder = cache_dir()
    return None if folder is None else folder / kind / f"{digest}.pickle"


def load(kind: str, digest: str):
    """The result stored under ``kind``/``digest``, or None (absent, unreadable or cache off)."""
    file = _file(kind, digest)
    if file is None or not file.is_file():
        return None
    try:
        with open(file, "rb") as handle:
            return pickle.load(handle)
    except Exception:  # a damaged entry is a miss, recomputed and rewritten
        return None


def store(kind: str, digest: str, value) -> None:
    """Keep ``value`` under ``kind``/``digest`` (whole or not at all; errors are ignored)."""
    file = _file(kind, digest)
    if file is None:
        return
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{file.stem}-", dir=file.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, file)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    except OSError:
        pass


def cached(kind: str, inputs, compute: Callable, *, code: Iterable[str] = ()):
    """``compute()``'s result, read from the cache when it holds one for ``inputs`` and ``code``.

    Parameters
    ----------
    kind : str
        The sort of result (a sub-folder: ``"truth"``, ``"diagnosis"``).
    inputs
        Everything the result depends on besides the code (JSON-able; other objects by repr).
    compute : callable
        Computes the result when the cache has none.
    code : iterable of str
        The parts of the package whose source the result depends on (:func:`source_digest`).

    Examples
    --------
    >>> import os, tempfile
    >>> from unittest import mock
    >>> calls = []
    >>> with mock.patch.dict(os.environ, {"ACNE_OUTCOMES_CACHE": tempfile.mkdtemp()}):
    ...     first = cached("example", {"n": 3}, lambda: calls.append(1) or 9)
    ...     again = cached("example", {"n": 3}, lambda: 0)
    ...     other = cached("example", {"n": 4}, lambda: 16)
    >>> first, again, other, len(calls)
    (9, 9, 16, 1)
    """
    digest = key(kind, inputs, source_digest(tuple(code)))
    found = load(kind, digest)
    if found is not None:
        return found
    value = compute()
    store(kind, digest, value)
    return value
