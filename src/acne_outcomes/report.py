"""Building ``reports/`` from the notebooks: parallel, incremental, atomic and reproducible.

``build_report`` executes every ``notebooks/NN-topic.ipynb`` (parameters injected by papermill,
cells executed by nbclient) and writes one HTML page per notebook (code hidden, with a toggle),
``index.html``, the figures and tables the notebooks saved (``figures/NN-topic/``,
``tables/NN-topic/``), the data dictionary, and ``manifest.json`` (input checksums, scenario and
seed or the imported file and its mapping, the study's design, package versions, git commit,
timings, and what each notebook found not estimable).

* **Warm kernels**: one kernel per parallel worker (``jobs``) is started once per build and
  imports the scientific stack once; it then executes notebook after notebook, each from a clean
  state (see :data:`KERNEL_STATE`), so results do not depend on which notebooks ran before in
  that kernel. ``ReportConfig(warm_kernels=False)`` starts a fresh kernel for every notebook.
* **Incremental**: each notebook has a key, the hash of its own bytes, its parameters, the input
  data's checksums (and mapping) and the package's source. A notebook whose key matches the
  manifest and whose outputs exist is not executed again; with nothing changed, nothing runs.
* **Atomic**: the build happens in a staging folder beside ``out`` (``.<out>.staging-PID-*``),
  which replaces ``out`` only when every notebook succeeded. The swap leaves no moment without a
  complete report: on Linux the staging folder and ``out`` are exchanged in one step
  (``renameat2`` with ``RENAME_EXCHANGE``), so ``out`` stays a real folder that is the old report
  until it is the new one; where the file system cannot exchange, two renames follow each other
  (a window of microseconds). A build starts by removing the staging and retired folders of
  builds whose process died (``kill -9``), found by the process id in their names. A failing
  cell leaves the previous report as it was, keeps the executed notebook with its traceback in
  ``<out>.failed/`` beside ``out`` (replaced on the next failure, removed by the next successful
  build) and raises :class:`ReportBuildError` naming the notebook, the cell, the error and the
  kept notebook.
* **Nothing lost**: ``out`` may not be, hold or lie inside the input, its mapping, the
  notebooks, the folders of processed and synthetic data, or ``data/raw``, and an existing
  ``out`` must be a report this build wrote (it has ``manifest.json``) or an empty folder
  (:func:`check_out`).
* **Any importable input, analysed as validated**: the input (a data package folder, or a long
  CSV/Excel/SAS file or an ADaM folder with a mapping) is read once and validated, and the study
  validated is written as a data package into ``data/processed/<name>-<hash>/`` (the hash covers
  the input's checksums and the mapping): the notebooks read that package, never the input, so
  the checksums in the manifest describe the bytes the pages analysed even if the input changes
  during the build. The input itself is only ever read. Relative paths in a
  :class:`ReportConfig` are taken from the current directory, whatever the notebooks' folder.
* **Public mode** (``public=True``): the small-cell policy of :mod:`acne_outcomes.privacy`
  applies to the manifest and the index (a small count quoted in a not-estimable reason or an
  inferred design becomes "fewer than k"), and the manifest shows no absolute path.
* **No machine paths on a page**, in any mode: paths inside the project are shown relative to
  it, others by their name, in the injected parameters and every text output of a page.
* **The design**: the manifest records the study's design (``inputs["design"]``); when parts of
  it were inferred from the data rather than declared, the index lists what was inferred.
* **Not estimable**: a notebook records each analysis the data cannot support in
  ``<output_dir>/not-estimable/<notebook_name>.json``, a JSON list of
  ``{"section": str, "reason": str}`` (absent when there is none). The build moves these lists
  into ``manifest["notebooks"][stem]["not_estimable"]`` and lists them on the index; the
  ``not-estimable/`` folder itself is not published.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import platform
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata as importlib_metadata
from pathlib import Path

from acne_outcomes import paths
from acne_outcomes.importers import read_mapping
from acne_outcomes.io import PACKAGE_MARKER, load_study, remove_stale, save_study, work_folder
from acne_outcomes.paths import FIGURE_NAME, HEADLINES_DIR, NOT_ESTIMABLE_DIR
from acne_outcomes.privacy import small_cell_policy
from acne_outcomes.simulate import simulate_study
from acne_outcomes.standard.render import write_dictionary
from acne_outcomes.uptodate import generator_hash, notebook_key, source_hash

MANIFEST = "manifest.json"
FAILED_SUFFIX = ".failed"
PACKAGES = (
    "acne-outcomes",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "matplotlib",
    "papermill",
    "nbclient",
    "tableone",
)
PAGE_TEMPLATE = paths.PACKAGE_DIR / "templates" / "report_page.html.j2"

#: Arguments of every build kernel: its own log (transport notes, the interrupt at shutdown) is
#: noise here, and its history stays in memory (parallel kernels would contend for one file).
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=CRITICAL", "--HistoryManager.hist_file=:memory:")
#: Modules a warm kernel imports once, before its first notebook (``NAME.*``: every module of
#: the package ``NAME``).
PRELOAD = (
    "numpy",
    "pandas",
    "matplotlib.pyplot",
    "acne_outcomes.derive",
    "acne_outcomes.figures",
    "acne_outcomes.narrative",
    "acne_outcomes.runtime",
    "acne_outcomes.tables",
    "acne_outcomes.stats.*",
)
KERNEL_START_TIMEOUT = 120  # seconds for a kernel to start and import PRELOAD
#: Seconds between the interrupts a stopping build sends to the kernels still executing.
INTERRUPT_REPEAT = 1.0
#: Seconds a stopping build interrupts a kernel before it kills it (an interrupt can be lost
#: between two cells, or break the kernel's reply so that the client would wait for ever).
STOP_GRACE = 10.0
KERNEL_MODULE = "_acne_outcomes_build_kernel"

#: The source of a small module each build kernel holds (under :data:`KERNEL_MODULE`, outside
#: the user namespace). ``capture`` imports the modules it is given (:data:`PRELOAD` in a warm
#: kernel), resolves the matplotlib backend as a first figure would, and remembers the state;
#: ``restore`` returns the kernel to it before each notebook: a new IPython session (empty user
#: namespace, execution count 1), every figure closed, the backend, rcParams, pandas options,
#: NumPy print and error settings, warning filters, environment variables and ``sys.path`` as
#: captured, and the working directory the notebook's folder.
KERNEL_STATE = """
import contextlib
import importlib
import os
import pkgutil
import sys
import warnings

from IPython import get_ipython

_saved = {}


def _pandas_options(pandas):
    registered = getattr(pandas._config.config, "_registered_options", {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {key: pandas.get_option(key) for key in registered}


def _import(name):
    # a module that fails to import is left to the notebook that imports it, whose cell then
    # names the error: importing ahead is only a head start
    with contextlib.suppress(Exception):
        return importlib.import_module(name)


def capture(preload):
    for name in preload:
        module = _import(name.removesuffix(".*"))
        if module is not None and name.endswith(".*"):
            for found in pkgutil.iter_modules(module.__path__, f"{module.__name__}."):
                _import(found.name)
    import matplotlib
    import matplotlib.pyplot as plt
    import numpy
    import pandas

    plt.close(plt.figure())
    rc = dict(matplotlib.rcParams.copy())
    rc.pop("backend", None)
    _saved.update(
        backend=matplotlib.get_backend(), rc=rc, pandas=_pandas_options(pandas),
        numpy_print=numpy.get_printoptions(), numpy_err=numpy.geterr(),
        warnings=list(warnings.filters), environ=dict(os.environ), path=list(sys.path),
    )


def restore(cwd):
    import matplotlib
    import matplotlib.pyplot as plt
    import numpy
    import pandas

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        get_ipython().reset(new_session=True)
        plt.close("all")
        if matplotlib.get_backend() != _saved["backend"]:
            plt.switch_backend(_saved["backend"])
        matplotlib.rcParams.update(_saved["rc"])
        current = _pandas_options(pandas)
        for key, value in _saved["pandas"].items():
            if current.get(key) != value:
                pandas.set_option(key, value)
        numpy.set_printoptions(**_saved["numpy_print"])
        numpy.seterr(**_saved["numpy_err"])
        if dict(os.environ) != _saved["environ"]:
            os.environ.clear()
            os.environ.update(_saved["environ"])
        sys.path[:] = _saved["path"]
        os.chdir(cwd)
    warnings.resetwarnings()
    warnings.filters[:] = _saved["warnings"]
"""


class ReportBuildError(RuntimeError):
    """The build failed (a notebook, its kernel, or what a notebook recorded); the previous
    report is left intact.

    Attributes
    ----------
    kept : list of pathlib.Path
        The executed notebooks, with their tracebacks, kept in ``<out>.failed/``.
    """

    def __init__(self, message: str, kept: list[Path] | None = None):
        super().__init__(message)
        self.kept = list(kept or [])


@dataclass
class ReportConfig:
    """What to build: the data (a data package path, or a scenario and seed) and where.

    Every path is made absolute when the configuration is made (relative paths are taken from
    the current directory), so a build reads and writes the same places from any directory.

    Attributes
    ----------
    data : Path, optional
        The study: a data package folder, or a long CSV/Excel/SAS file or ADaM folder (with
        ``mapping``); None builds from the synthetic ``scenario``.
    mapping : Path or dict, optional
        The column mapping of an import (see :mod:`acne_outcomes.importers`); a path is read as
        JSON.
    scenario, seed, n_subjects
        The synthetic study, when ``data`` is None.
    out : Path
        The report folder (``reports/``).
    jobs : int, optional
        Notebooks executed at once, one kernel each (all cores if None).
    public : bool
        Suppress small cells and omit subject identifiers.
    notebooks : Path
        The folder of ``NN-topic.ipynb`` notebooks.
    synthetic_dir, processed_dir : Path
        Where a synthetic study is generated, and where an imported study is written as a data
        package.
    kernel : str
        The Jupyter kernel's name.
    title : str
        The index's title.
    parameters : dict
        Extra notebook parameters (e.g. ``n_sims``).
    remove_tags : tuple of str
        Cells with these tags are left out of the pages.
    description : str, optional
        The index's opening sentence (default: the data used).
    warm_kernels : bool
        Keep one kernel per worker for the whole build (True), or start a fresh kernel for
        every notebook (False: slower, for comparison).
    links : tuple of (str, str)
        Links the index offers to related sites, as (text, href); by default the
        evidence-appraisal lab, built into ``teaching/`` beside the pages. A relative link whose
        target does not exist when the index is written is shown as text saying it is not
        built yet, never as a broken link.
    """

    data: Path | None = None
    scenario: str = "rct"
    seed: int = 0
    n_subjects: int | None = None
    out: Path = field(default_factory=lambda: paths.REPORTS_DIR)
    jobs: int | None = None
    public: bool = False
    notebooks: Path = field(default_factory=lambda: paths.NOTEBOOKS_DIR)
    synthetic_dir: Path = field(default_factory=lambda: paths.SYNTHETIC_DIR)
    kernel: str = "python3"
    title: str = "acne-outcomes report"
    parameters: dict = field(default_factory=dict)
    remove_tags: tuple[str, ...] = ()
    description: str | None = None
    mapping: Path | dict | None = None
    processed_dir: Path = field(default_factory=lambda: paths.PROCESSED_DIR)
    warm_kernels: bool = True
    links: tuple[tuple[str, str], ...] = (
        ("Evidence-appraisal lab (student edition)", "teaching/index.html"),
        ("instructor edition", "teaching-instructor/index.html"),
    )

    def __post_init__(self):
        if self.data is not None:
            self.data = Path(self.data).resolve()
        if self.mapping is not None and not isinstance(self.mapping, dict):
            self.mapping = Path(self.mapping).resolve()
        for name in ("out", "notebooks", "synthetic_dir", "processed_dir"):
            setattr(self, name, Path(getattr(self, name)).resolve())
        if self.parameters.get("figure_formats") is not None:
            from acne_outcomes.style import check_formats  # only then: it loads matplotlib

            formats = check_formats(self.parameters["figure_formats"])
            if "png" not in formats:  # _key_figures: the index shows the PNG files
                raise ValueError(
                    "the figure formats must include png: the report's index shows the PNG files"
                )


def discover_notebooks(folder: Path) -> list[Path]:
    """The report's notebooks: ``NN-topic.ipynb`` files in ``folder``, in number order."""
    found = sorted(path for path in Path(folder).glob("[0-9][0-9]-*.ipynb"))
    if not found:
        raise ValueError(f"no notebooks named NN-topic.ipynb in {folder}")
    return found


def resolve_input(config: ReportConfig) -> tuple[Path, dict]:
    """Return the data package the notebooks read, and its description for the manifest.

    Real data is validated first (a ``StudyValidationError`` stops the build before anything
    runs). The study validated (a data package folder, a long CSV/Excel/SAS file, or anything
    given with a mapping) is written as a data package into ``config.processed_dir`` under a
    folder named from the input's name and a hash of its checksums and the mapping, and the
    notebooks read that copy: what they analyse is what was validated and checksummed, even if
    the input changes during the build. The input is only read. For a scenario, the synthetic
    study is generated once into ``config.synthetic_dir``.

    Returns
    -------
    tuple of (pathlib.Path, dict)
        The package folder, and the manifest's ``inputs``: ``data`` (the input as given),
        ``checksums`` (SHA-256 of the input's files), ``design`` (the study's design,
        :meth:`acne_outcomes.design.Design.to_dict`), and ``scenario``/``seed``/``n_subjects``
        for a synthetic study or ``mapping``/``mapping_sha256``/``package`` for an import.
    """
    if config.data is not None:
        data = Path(config.data)
        study = load_study(data, mapping=config.mapping)
        inputs = {"data": str(data), "checksums": study.metadata["checksums"]}
        mapping = read_mapping(config.mapping)
        mapping_sha256 = hashlib.sha256(_canonical(mapping)).hexdigest()
        digest = hashlib.sha256(_canonical([inputs["checksums"], mapping_sha256])).hexdigest()
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", data.stem if data.is_file() else data.name)
        name = name.strip(".-") or "study"
        package = save_study(study, config.processed_dir / f"{name}-{digest[:12]}", overwrite=True)
        given = config.mapping
        described = {**inputs, "package": str(package), "design": study.design.to_dict()}
        if study.metadata.get("import"):  # what the import converted, left out and assumed
            described["import"] = study.metadata["import"]
        if config.mapping is None and not data.is_file():
            return package, described
        return package, {
            **described,
            "mapping": given if given is None or isinstance(given, dict) else str(given),
            "mapping_sha256": mapping_sha256,
        }
    size = "default" if config.n_subjects is None else str(config.n_subjects)
    stem = f"{config.scenario}-n{size}-seed{config.seed}"
    folder = Path(config.synthetic_dir) / f"{stem}-{generator_hash()[:12]}"
    if not (folder / "datapackage.json").exists():
        study = simulate_study(config.scenario, n_subjects=config.n_subjects, seed=config.seed)
        save_study(study, folder, overwrite=True)
        for older in Path(config.synthetic_dir).glob(f"{stem}-*"):
            if older != folder and (older / PACKAGE_MARKER).is_file():
                shutil.rmtree(older)  # a study an older generator wrote
    study = load_study(folder)
    described = {"scenario": config.scenario, "seed": config.seed, "n_subjects": study.n_subjects}
    return folder, {
        **described,
        "data": str(folder),
        "checksums": study.metadata["checksums"],
        "design": study.design.to_dict(),
    }


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()


def failed_dir(out: Path) -> Path:
    """Where a failed build keeps its executed notebooks: ``<out>.failed`` beside ``out``."""
    out = Path(out)
    return out.parent / f"{out.name}{FAILED_SUFFIX}"


def _overlap(first: Path, second: Path) -> bool:
    """Whether one path is, holds or lies inside the other."""
    return first == second or first in second.parents or second in first.parents


def check_out(config: ReportConfig) -> None:
    """Refuse a report folder whose replacement would lose anything.

    The report folder is replaced whole, so it may not be, hold or lie inside the input, its
    mapping, the notebooks, the processed or synthetic data folders, ``data/raw``, the project
    itself or the home folder; and an existing one must be a report (it has ``manifest.json``),
    a folder holding only ``README.md``, or empty.

    Raises
    ------
    ValueError
        Naming the clash.

    Examples
    --------
    >>> config = ReportConfig(out=paths.RAW_DIR / "reports")
    >>> try:
    ...     check_out(config)
    ... except ValueError as error:
    ...     print(str(error)[:73])
    refusing to build the report in .../raw/reports: it overlaps the raw data
    """
    out = Path(config.out).resolve()
    shown = f".../{out.parent.name}/{out.name}"
    guarded = {
        "the raw data (data/raw, read-only)": paths.RAW_DIR,
        "the study's data": config.data,
        "the mapping": None if isinstance(config.mapping, dict) else config.mapping,
        "the notebooks": config.notebooks,
        "the processed data": config.processed_dir,
        "the synthetic data": config.synthetic_dir,
    }
    for what, path in guarded.items():
        if path is not None and _overlap(out, Path(path).resolve()):
            raise ValueError(
                f"refusing to build the report in {shown}: it overlaps {what}, which the build "
                "would replace; choose another --out"
            )
    for what, path in (("the project", paths.PROJECT_ROOT), ("the home folder", Path.home())):
        if out == path.resolve() or out in path.resolve().parents:
            raise ValueError(f"refusing to build the report in {shown}: it is {what} or holds it")
    if os.path.islink(config.out):
        raise ValueError(f"refusing to build the report in {shown}: it is a symbolic link")
    if not os.path.lexists(out):
        return
    if not out.is_dir():
        raise ValueError(f"refusing to build the report in {shown}: it is a file")
    names = {entry.name for entry in out.iterdir()}
    if names and MANIFEST not in names and names != {"README.md"}:
        raise ValueError(
            f"refusing to build the report in {shown}: it is a folder of other files, not a "
            "report (it has no manifest.json); choose another --out or empty it yourself"
        )


def build_report(config: ReportConfig, *, progress: bool = True) -> dict:
    """Build (or bring up to date) the report; return the manifest.

    Parameters
    ----------
    config : ReportConfig
        What to build and where (relative paths in it are taken from the current directory).
    progress : bool, default True
        Show a progress bar and the per-notebook times.

    Returns
    -------
    dict
        The manifest (also written to ``manifest.json``).

    Raises
    ------
    ReportBuildError
        A notebook failed; the message names the notebook, the cell, the error and the
        executed notebook kept with its traceback in ``<out>.failed/``.
    """
    started = time.perf_counter()
    config = replace(config)  # paths made absolute again, should a field have been reassigned
    out = config.out
    check_out(config)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(out.parent, out.name)
    remove_stale(out.parent, failed_dir(out).name)
    notebooks = discover_notebooks(config.notebooks)
    code = source_hash()
    previous = _read_manifest(out)
    pool = None
    if previous.get("code_sha256") != code:
        # every notebook will run (the code is in every key): start the kernels while the
        # input is read, validated or generated
        pool = _KernelPool(config, len(notebooks))
    try:
        data_path, inputs = resolve_input(config)
        plan = {}
        for notebook in notebooks:
            parameters = {"data_path": str(data_path), "public": config.public, **config.parameters}
            key = notebook_key(
                notebook, {**parameters, "_remove_tags": list(config.remove_tags)}, inputs, code
            )
            old = previous.get("notebooks", {}).get(notebook.stem, {})
            fresh = old.get("key") == key and (out / f"{notebook.stem}.html").exists()
            plan[notebook] = {"parameters": parameters, "key": key, "run": not fresh, "old": old}
        to_run = [notebook for notebook, item in plan.items() if item["run"]]
        if not to_run and (out / "index.html").exists() and previous.get("public") == config.public:
            shutil.rmtree(failed_dir(out), ignore_errors=True)
            if progress:
                print(f"report up to date: {out} (nothing executed)")
            return previous
        staging = _stage(out)
        try:
            pool = pool or _KernelPool(config, len(to_run))
            timings = pool.run(to_run, plan, staging, progress)
            run = {"timings": timings, "kernel_starts": pool.starts, "started": started}
            manifest = _finish(staging, notebooks, plan, run, inputs, config, code)
            _swap(staging, out)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
    finally:
        if pool is not None:
            pool.close()
    shutil.rmtree(failed_dir(out), ignore_errors=True)
    if progress:
        print(f"report built in {time.perf_counter() - started:.1f} s: {out / 'index.html'}")
    return manifest


def _read_manifest(out: Path) -> dict:
    try:
        return json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def _stage(out: Path) -> Path:
    staging = work_folder(out.parent, out.name, "staging", create=False)
    if out.exists():
        shutil.copytree(out, staging, symlinks=True)
    else:
        staging.mkdir(parents=True)
    return staging


# --------------------------------------------------------------------------- kernels


class _Kernel:
    """One kernel process that executes notebook after notebook, each from a clean state.

    Created, used and shut down by one worker thread (its ZeroMQ sockets belong to that
    thread's event loop); only :meth:`interrupt` may be called from another thread.
    """

    def __init__(self, name: str, cwd: Path, preload: tuple[str, ...] = PRELOAD):
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self._sync = run_sync
        started = time.perf_counter()
        self.manager = AsyncKernelManager(kernel_name=name)
        run_sync(self.manager.start_kernel)(extra_arguments=list(KERNEL_ARGUMENTS), cwd=str(cwd))
        self.client = self.manager.client()
        try:
            self.client.start_channels()
            run_sync(self.client.wait_for_ready)(timeout=KERNEL_START_TIMEOUT)
            self._silent(
                "import sys as _sys, types as _types\n"
                f"_module = _types.ModuleType({KERNEL_MODULE!r})\n"
                f"exec({KERNEL_STATE!r}, _module.__dict__)\n"
                f"_sys.modules[{KERNEL_MODULE!r}] = _module\n"
                f"_module.capture({list(preload)!r})\n"
                "del _sys, _types, _module\n"
            )
        except BaseException:
            self.shutdown()
            raise
        self.start_seconds = time.perf_counter() - started

    def _silent(self, code: str) -> None:
        """Run build code in the kernel: no history, no output, an error raised here."""
        reply = self._sync(self.client.execute_interactive)(
            code, silent=True, store_history=False, timeout=KERNEL_START_TIMEOUT,
            output_hook=lambda message: None,
        )  # fmt: skip
        content = reply["content"]
        if content["status"] != "ok":
            raise ReportBuildError(
                f"the build kernel failed: {content.get('ename')}: {content.get('evalue')}"
            )

    def execute(self, notebook, cwd: Path, stop: threading.Event | None = None) -> None:
        """Execute every cell of ``notebook`` (in place) from the clean state, in ``cwd``.

        With ``stop`` set (another notebook failed), no further cell starts.

        Raises
        ------
        _Stopped
            ``stop`` was set before a cell.
        nbclient.exceptions.CellExecutionError
            A cell failed; its outputs (the traceback) are in ``notebook``.
        nbclient.exceptions.DeadKernelError
            The kernel died.
        """
        from nbclient import NotebookClient

        self._silent(f"__import__('sys').modules[{KERNEL_MODULE!r}].restore({str(cwd)!r})")
        client = NotebookClient(notebook, km=self.manager, raise_on_iopub_timeout=True)
        client.kc = self.client  # the kernel is this object's: nbclient neither starts nor stops it
        info = client.wait_for_reply(self.client.kernel_info())
        notebook.metadata["language_info"] = info["content"]["language_info"]
        for index, cell in enumerate(notebook.cells):
            if stop is not None and stop.is_set():
                raise _Stopped(f"the build stopped before cell {index}")
            client.execute_cell(cell, index)

    def interrupt(self) -> None:
        """Interrupt the running cell (from any thread).

        The kernel's process group gets SIGINT directly, as jupyter_client's local provisioner
        sends it: no event loop is involved, so a thread that does not own the kernel (the
        build's main thread) can interrupt it too.
        """
        provisioner = getattr(self.manager, "provisioner", None)
        process = getattr(provisioner, "process", None)
        if process is not None and self.manager.kernel_spec.interrupt_mode == "signal":
            with contextlib.suppress(OSError):
                if process.poll() is None:
                    pgid = getattr(provisioner, "pgid", None)
                    if pgid and hasattr(os, "killpg"):
                        os.killpg(pgid, signal.SIGINT)
                    else:
                        process.send_signal(signal.SIGINT)
            return
        try:
            self._sync(self.manager.interrupt_kernel)()
        except (RuntimeError, OSError):
            pass

    def kill(self) -> None:
        """Kill the kernel process (from any thread): its client then finds it dead."""
        process = getattr(getattr(self.manager, "provisioner", None), "process", None)
        if process is not None:
            with contextlib.suppress(OSError):
                process.kill()

    def shutdown(self) -> None:
        """Stop the client's channels and the kernel process."""
        try:
            self.client.stop_channels()
        finally:
            if self._sync(self.manager.is_alive)():
                self._sync(self.manager.shutdown_kernel)(now=False)
            else:
                self._sync(self.manager.cleanup_resources)()


class _Stopped(Exception):
    """The build stopped (another notebook failed) before this notebook's next cell."""


class _Failure(Exception):
    """A notebook failed: the message, and the executed notebook with its traceback."""

    def __init__(self, source: Path, message: str, executed):
        super().__init__(message)
        self.source, self.message, self.executed = source, message, executed


class _KernelPool:
    """Worker threads, each owning a kernel, that execute the notebooks given to :meth:`run`.

    With warm kernels each worker starts its kernel as soon as the pool is made (so kernels can
    start while the build prepares its input) and keeps it for the build; otherwise a worker
    starts a fresh kernel for every notebook. The first failure stops the build: the other
    workers' running notebooks are interrupted (again every :data:`INTERRUPT_REPEAT` seconds,
    since a kernel between two cells ignores an interrupt, and killed after
    :data:`STOP_GRACE` seconds; no further cell starts), the failed notebooks are kept in
    ``<out>.failed/`` and :class:`ReportBuildError` is raised.

    Parameters
    ----------
    config : ReportConfig
        The build's configuration (``jobs``, ``kernel``, ``warm_kernels``, ``notebooks``).
    notebooks : int
        How many notebooks at most will run: the pool has ``min(jobs, notebooks)`` workers.
    """

    def __init__(self, config: ReportConfig, notebooks: int):
        self.config = config
        self.size = max(1, min(config.jobs or os.cpu_count() or 1, notebooks))
        self.starts: list[float] = []
        self._work: queue.SimpleQueue = queue.SimpleQueue()
        self._timings: dict[str, float] = {}
        self._failures: list[_Failure] = []
        self._live: set[_Kernel] = set()
        self._running: set[_Kernel] = set()  # the kernels executing a notebook now
        self._lock, self._stop = threading.Lock(), threading.Event()
        self._bar = None
        self._closed = False
        self._executor = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="report")
        self._futures = [self._executor.submit(self._worker) for _ in range(self.size)]

    def run(self, to_run: list[Path], plan: dict, staging: Path, progress: bool) -> dict:
        """Execute ``to_run`` (longest of the previous build first); return seconds per notebook.

        Raises
        ------
        ReportBuildError
            A notebook failed (the executed notebook is kept in ``<out>.failed/``).
        """
        from tqdm.auto import tqdm

        for notebook in to_run:
            for kind in ("figures", "tables"):
                shutil.rmtree(staging / kind / notebook.stem, ignore_errors=True)
            for kind in (NOT_ESTIMABLE_DIR, HEADLINES_DIR):
                (staging / kind / f"{notebook.stem}.json").unlink(missing_ok=True)
        self._bar = tqdm(total=len(to_run), desc="notebooks", unit="nb", disable=not progress)
        try:
            for notebook in sorted(
                to_run, key=lambda path: -(plan[path]["old"].get("seconds") or 0)
            ):
                self._work.put((notebook, plan[notebook], staging))
            self._finish_workers()
        finally:
            self._bar.close()
        if self._failures:
            _raise_failed(self._failures, self.config.out)
        return dict(self._timings)

    def close(self) -> None:
        """Stop the workers and their kernels when the build stops before :meth:`run`.

        The build is then failing with an error of its own, which a kernel's failure to start
        must not hide.
        """
        if not self._closed:
            self._stop.set()
            with contextlib.suppress(Exception):
                self._finish_workers()

    def _finish_workers(self) -> None:
        """Tell every worker there is no more work, and wait for them."""
        if self._closed:
            return
        self._closed = True
        for _ in range(self.size):
            self._work.put(None)
        try:
            pending = set(self._futures)
            stopping = None
            while pending:
                done, pending = wait(pending, timeout=INTERRUPT_REPEAT)
                for future in done:
                    future.result()
                if pending and self._stop.is_set():
                    # a kernel ignores an interrupt between two cells (ipykernel handles
                    # SIGINT only while it executes), and one that lands while the kernel
                    # replies can leave its client waiting: interrupt every second, then kill
                    stopping = stopping or time.perf_counter()
                    late = time.perf_counter() - stopping > STOP_GRACE
                    with self._lock:
                        running = list(self._running)
                    for kernel in running:
                        kernel.kill() if late else kernel.interrupt()
        except BaseException:
            self._halt()
            raise
        finally:
            self._executor.shutdown(wait=True)

    def _halt(self, own: _Kernel | None = None) -> None:
        """Stop taking work and interrupt every other kernel's running cell."""
        self._stop.set()
        with self._lock:
            others = [kernel for kernel in self._live if kernel is not own]
        for kernel in others:
            kernel.interrupt()

    def _start(self, cwd: Path) -> _Kernel:
        kernel = _Kernel(self.config.kernel, cwd, PRELOAD if self.config.warm_kernels else ())
        with self._lock:
            self._live.add(kernel)
            self.starts.append(round(kernel.start_seconds, 2))
        return kernel

    def _retire(self, kernel: _Kernel) -> None:
        with self._lock:
            self._live.discard(kernel)
        kernel.shutdown()

    def _worker(self) -> None:
        kernel = None
        try:
            if self.config.warm_kernels:
                kernel = self._start(self.config.notebooks)
            while (item := self._work.get()) is not None and not self._stop.is_set():
                notebook, planned, staging = item
                if kernel is None:
                    kernel = self._start(notebook.parent)
                try:
                    with self._lock:
                        self._running.add(kernel)
                    seconds = _run_notebook(
                        kernel, notebook, planned, staging, self.config, self._stop
                    )
                except _Failure as failure:
                    with self._lock:
                        if not self._stop.is_set():
                            self._failures.append(failure)
                    self._halt(kernel)
                    return
                finally:
                    with self._lock:
                        self._running.discard(kernel)
                self._timings[notebook.stem] = seconds
                self._bar.set_postfix_str(f"{notebook.stem} {seconds:.1f} s")
                self._bar.update()
                if not self.config.warm_kernels:
                    self._retire(kernel)
                    kernel = None
        except Exception:
            if self._stop.is_set():
                return  # the build is stopping: this is the interrupt's doing, not news
            self._halt(kernel)
            raise
        except BaseException:
            self._halt(kernel)
            raise
        finally:
            if kernel is not None:
                self._retire(kernel)


def _run_notebook(
    kernel: _Kernel, notebook: Path, item: dict, staging: Path, config, stop=None
) -> float:
    """Inject the parameters, execute, and write the executed notebook and its page."""
    import nbformat
    from nbclient.exceptions import CellExecutionError, DeadKernelError
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    started = time.perf_counter()
    parameters = {**item["parameters"], "output_dir": str(staging), "notebook_name": notebook.stem}
    node = parameterize_notebook(
        load_notebook_node(str(notebook)), parameters, kernel_name=config.kernel
    )
    replacements = _page_paths(staging, item["parameters"].get("data_path"), config)
    try:
        kernel.execute(node, notebook.parent, stop)
    except CellExecutionError as error:
        failed = next(
            (
                cell
                for cell in node.cells
                if any(output.get("output_type") == "error" for output in cell.get("outputs", []))
            ),
            None,
        )
        count = "?" if failed is None else failed.get("execution_count")
        raise _Failure(
            notebook, f"{notebook.name}: cell {count} failed: {error.ename}: {error.evalue}", node
        ) from None
    except DeadKernelError as error:
        raise _Failure(notebook, f"{notebook.name}: the kernel died ({error})", node) from None
    if config.remove_tags:
        node.cells = [
            cell
            for cell in node.cells
            if not set(config.remove_tags) & set(cell.metadata.get("tags", []))
        ]
    _scrub_paths(node, replacements)
    executed = staging / "notebooks" / notebook.name
    executed.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(node, executed)
    _to_html(node, staging / f"{notebook.stem}.html", _title(executed, notebook.stem))
    return time.perf_counter() - started


def shown_path(path, *, root: Path | None = None) -> str:
    """A path as public outputs show it: relative to the project, else its name only.

    Examples
    --------
    >>> shown_path(paths.PROCESSED_DIR / "trial-0a1b2c3d4e5f")
    'data/processed/trial-0a1b2c3d4e5f'
    >>> shown_path("/data/someone/secret-trial/export.csv")
    'export.csv'
    """
    root = Path(root or paths.PROJECT_ROOT).resolve()
    path = Path(path)
    try:
        return path.resolve().relative_to(root).as_posix() or "."
    except ValueError:
        return path.name


def _page_paths(staging: Path, data_path, config: ReportConfig) -> list[tuple[str, str]]:
    """The paths a page may show, longest first, and what it shows instead.

    The staging folder becomes the report folder (a page never shows a folder that no longer
    exists), and every absolute path the build knows becomes :func:`shown_path`, and the project
    and home folders ``.`` and ``~``: pages are read elsewhere (a published report, a teaching
    site), so none shows the folders of the machine that built it. The manifest keeps the
    paths, except in public mode.
    """
    pairs = {str(staging): shown_path(config.out)}
    known = [data_path, config.data, config.out, config.notebooks, config.processed_dir,
             config.synthetic_dir]  # fmt: skip
    if config.mapping is not None and not isinstance(config.mapping, dict):
        known.append(config.mapping)
    for path in known:
        if path is not None:
            pairs[str(path)] = shown_path(path)
            pairs[str(Path(path).resolve())] = shown_path(path)
    pairs[str(paths.PROJECT_ROOT.resolve())] = "."
    pairs[str(Path.home())] = "~"
    return sorted(pairs.items(), key=lambda pair: -len(pair[0]))


def _scrub_paths(node, replacements: list[tuple[str, str]]) -> None:
    """Replace the paths of ``replacements`` in the notebook's metadata (papermill records the
    injected parameters there) and every cell's source and text outputs."""
    import nbformat

    def scrub(text):
        return _replace_paths(text, replacements)

    node.metadata = nbformat.from_dict(scrub(dict(node.metadata)))
    for cell in node.cells:
        cell.source = scrub(cell.source)
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = scrub(output["text"])
            if "traceback" in output:
                output["traceback"] = scrub(output["traceback"])
            if "evalue" in output:
                output["evalue"] = scrub(output["evalue"])
            for kind, value in output.get("data", {}).items():
                if kind.startswith("text/") or kind in ("application/json", "image/svg+xml"):
                    output["data"][kind] = scrub(value)


def _raise_failed(failures: list[_Failure], out: Path) -> None:
    """Keep the failed notebooks in ``<out>.failed/`` (replacing any earlier ones) and raise."""
    import nbformat

    target = failed_dir(out)
    fresh = work_folder(target.parent, target.name, "staging")
    failures = sorted(failures, key=lambda failure: failure.source.name)
    for failure in failures:
        nbformat.write(failure.executed, fresh / failure.source.name)
    _swap(fresh, target)
    kept = [target / failure.source.name for failure in failures]
    lines = [
        f"{failure.message}\n(executed notebook with the traceback: {path})"
        for failure, path in zip(failures, kept, strict=True)
    ]
    raise ReportBuildError("\n".join(lines) + "\nThe previous report is unchanged.", kept)


def _to_html(notebook, target: Path, title: str) -> None:
    """Render an executed notebook as a self-contained page (no CDN scripts; code toggle)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_file=str(PAGE_TEMPLATE),
        extra_template_basedirs=[str(PAGE_TEMPLATE.parent)],
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    target.write_text(body, encoding="utf-8")


# --------------------------------------------------------------------------- manifest and index


def _finish(staging, notebooks, plan, run, inputs, config, code) -> dict:
    """Write the dictionary, the manifest and the index into ``staging``; return the manifest."""
    timings = run["timings"]
    write_dictionary(staging)
    entries = {}
    for notebook in notebooks:
        item = plan[notebook]
        executed = notebook.stem in timings
        seconds = timings.get(notebook.stem, item["old"].get("seconds"))
        entries[notebook.stem] = {
            "key": item["key"],
            "executed": executed,
            "seconds": seconds,
            "title": _title(staging / "notebooks" / notebook.name, notebook.stem),
            "figures": _listing(staging / "figures" / notebook.stem, staging),
            "tables": _listing(staging / "tables" / notebook.stem, staging),
            "not_estimable": (
                _records(
                    staging / NOT_ESTIMABLE_DIR / f"{notebook.stem}.json", ("section", "reason")
                )
                if executed
                else item["old"].get("not_estimable", [])
            ),
            "headlines": (
                _records(staging / HEADLINES_DIR / f"{notebook.stem}.json", ("text", "figure"))
                if executed
                else item["old"].get("headlines", [])
            ),
        }
    for kind in (NOT_ESTIMABLE_DIR, HEADLINES_DIR):
        shutil.rmtree(staging / kind, ignore_errors=True)
    settings = _settings(config)
    if config.public:
        known = _page_paths(staging, plan[notebooks[0]]["parameters"].get("data_path"), config)
        inputs, entries, settings = _public_manifest(inputs, entries, config, known)
    manifest = {
        "inputs": inputs,
        "public": config.public,
        "notebooks": entries,
        "code_sha256": code,
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "packages": _versions(),
        "build_seconds": round(time.perf_counter() - run["started"], 2),
        "kernels": {"warm": config.warm_kernels, "start_seconds": run["kernel_starts"]},
        "config": settings,
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    _write_index(staging, entries, inputs, config)
    readme = paths.REPORTS_DIR / "README.md"
    if readme.exists() and not (staging / "README.md").exists():
        shutil.copy2(readme, staging / "README.md")
    return manifest


def _public_manifest(inputs: dict, entries: dict, config: ReportConfig, known):
    """The manifest's inputs, notebook entries and configuration as public mode shows them.

    No absolute path (:func:`shown_path`; ``known`` are the paths the build knows, with what
    to show instead, replaced inside any text), and every small count quoted in words (a
    not-estimable reason, an inferred design) said as "fewer than k"
    (:meth:`acne_outcomes.privacy.SmallCellPolicy.redact_text`). Totals such as the rows
    loaded per table stay.
    """
    policy = small_cell_policy()
    inputs = dict(inputs)
    for key in ("data", "package"):
        if inputs.get(key):
            inputs[key] = shown_path(inputs[key])
    if isinstance(inputs.get("mapping"), str):
        inputs["mapping"] = shown_path(inputs["mapping"])
    if isinstance(inputs.get("design"), dict):
        inputs["design"] = policy.redact(inputs["design"])
    if isinstance(inputs.get("import"), dict):
        log = policy.redact(inputs["import"])
        for counts in ("left_out", "kept"):  # records by reason: a small count is shown as *
            if isinstance(log.get(counts), dict):
                log[counts] = {reason: policy.show(n) for reason, n in log[counts].items()}
        inputs["import"] = log
    entries = {
        stem: {
            **entry,
            "not_estimable": policy.redact(entry.get("not_estimable", [])),
            "headlines": policy.redact(entry.get("headlines", [])),
        }
        for stem, entry in entries.items()
    }
    settings = _settings(config, path=shown_path)
    if isinstance(config.mapping, dict):
        settings["mapping"] = "given in code"
    return _replace_paths([inputs, entries, settings], known)


def _settings(config: ReportConfig, path=str) -> dict:
    """The build's settings as the manifest records them, as JSON values (``null``, ``false``,
    numbers, lists), paths written by ``path``; a build from data has no scenario or seed.

    >>> _settings(ReportConfig(data="trial", out="reports"))["remove_tags"], "seed" in _settings(
    ...     ReportConfig(data="trial"))
    ([], False)
    """

    def value_of(value):
        if isinstance(value, Path):
            return path(value)
        if isinstance(value, tuple | list):
            return [value_of(item) for item in value]
        if isinstance(value, dict):
            return {str(key): value_of(item) for key, item in value.items()}
        if value is None or isinstance(value, bool | int | float | str):
            return value
        return str(value)

    synthetic_only = ("scenario", "seed", "n_subjects") if config.data is not None else ()
    return {
        key: value_of(value) for key, value in asdict(config).items() if key not in synthetic_only
    }


def _replace_paths(value, replacements: list[tuple[str, str]]):
    """Every string inside a JSON-like value with the paths of ``replacements`` replaced."""
    if isinstance(value, str):
        for old, new in replacements:
            if old and old in value:
                value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {key: _replace_paths(item, replacements) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_replace_paths(item, replacements) for item in value]
    return value


def _records(file: Path, fields: tuple[str, str]) -> list[dict[str, str | None]]:
    """What a notebook recorded for the index: the analyses it found not estimable
    (``[{"section", "reason"}, ...]``) or its primary results (``[{"text", "figure"}, ...]``)."""
    if not file.exists():
        return []
    try:
        items = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(items, list):
            raise TypeError("not a list")
        return [
            {field: None if item[field] is None else str(item[field]) for field in fields}
            for item in items
        ]
    except (json.JSONDecodeError, TypeError, KeyError) as error:
        raise ReportBuildError(
            f"{file.name}: not a list of {{{', '.join(map(repr, fields))}}} objects ({error})"
        ) from None


def _listing(folder: Path, root: Path) -> list[str]:
    if not folder.exists():
        return []
    return sorted(str(path.relative_to(root)) for path in folder.iterdir() if path.is_file())


def _title(executed: Path, default: str) -> str:
    try:
        cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    except (OSError, json.JSONDecodeError, KeyError):
        return default
    for cell in cells:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return default


def _described(inputs: dict) -> str:
    """The data the report was built from, as HTML (every value escaped)."""
    escape = html.escape
    if inputs.get("scenario"):
        return (
            f"synthetic study, scenario <code>{escape(str(inputs['scenario']))}</code>, "
            f"seed {escape(str(inputs.get('seed')))}, "
            f"{escape(str(inputs.get('n_subjects')))} subjects"
        )
    name = escape(Path(inputs["data"]).name)
    if "package" not in inputs:
        return f"data package <code>{name}</code>"
    mapping = inputs.get("mapping")
    if mapping is None:
        return f"file <code>{name}</code>"
    given = Path(mapping).name if isinstance(mapping, str) else "given in code"
    return f"input <code>{name}</code>, imported with the mapping <code>{escape(given)}</code>"


def _links_html(staging: Path, links) -> str:
    """The index's links to related sites; a relative one whose target is missing as text."""
    shown = []
    for text, href in links:
        relative = "://" not in href and not href.startswith("/")
        if relative and not (staging / href.split("#")[0]).exists():
            shown.append(f"{html.escape(text)} (not built yet)")
        else:
            shown.append(f'<a href="{html.escape(href)}">{html.escape(text)}</a>')
    return "See also: " + " · ".join(shown) + "."


def _write_index(staging: Path, entries: dict, inputs: dict, config: ReportConfig) -> None:
    escape = html.escape
    description = (
        escape(config.description) if config.description else f"Built from the {_described(inputs)}"
    )
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(config.title)}</title>',
        '<link rel="icon" href="data:,">',
        "<style>body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem}"
        ".section{margin-bottom:2rem}.figs{display:flex;flex-wrap:wrap;gap:1rem}"
        ".figs img{max-width:32rem;width:100%;border:1px solid #ddd}"
        ".not-estimable,.design{border-left:3px solid #e69f00;padding-left:.8rem}"
        ".primary{border-left:3px solid #0072b2;padding-left:.8rem}</style></head><body>",
        f"<h1>{escape(config.title)}</h1>",
        f"<p>{description}"
        f"{' in public mode (small cells suppressed)' if config.public else ''}. "
        'See <a href="manifest.json">manifest.json</a> for input checksums, versions and timings, and the '
        '<a href="data-dictionary.html">data dictionary</a>.</p>',
    ]
    if config.links:
        parts.append(f'<p class="links">{_links_html(staging, config.links)}</p>')
    inferred = (inputs.get("design") or {}).get("inferred") or []
    if inferred:
        parts.append(
            '<div class="design"><p>The study did not declare all of its design; '
            "this was inferred from the data:</p><ul>"
        )
        parts += [f"<li>{escape(str(sentence))}</li>" for sentence in inferred]
        parts.append("</ul></div>")
    primary = [
        (stem, item) for stem, entry in entries.items() for item in entry.get("headlines", [])
    ]
    if primary:
        parts.append('<div class="primary"><h2>Primary results</h2><ul>')
        parts += [
            f'<li>{escape(item["text"])} <a href="{escape(stem)}.html">'
            f"{escape(entries[stem]['title'])}</a></li>"
            for stem, item in primary
        ]
        parts.append("</ul></div>")
    for stem, entry in entries.items():
        parts.append(
            f'<div class="section"><h2><a href="{escape(stem)}.html">{escape(entry["title"])}</a></h2>'
        )
        missing = entry.get("not_estimable") or []
        if missing:
            parts.append('<div class="not-estimable"><p>Not estimable here:</p><ul>')
            parts += [
                f"<li><strong>{escape(item['section'])}</strong>: {escape(item['reason'])}</li>"
                for item in missing
            ]
            parts.append("</ul></div>")
        key_figures = _key_figures(entry)
        if key_figures:
            alts = _figure_alts(staging / "notebooks" / f"{stem}.ipynb")
            parts.append('<div class="figs">')
            parts += [
                f'<a href="{escape(stem)}.html"><img src="{escape(name)}" '
                f'alt="{escape(alts.get(Path(name).stem, Path(name).stem))}"></a>'
                for name in key_figures
            ]
            parts.append("</div>")
        parts.append("</div>")
    parts.append("</body></html>")
    (staging / "index.html").write_text("\n".join(parts) + "\n", encoding="utf-8")


def _figure_alts(executed: Path) -> dict[str, str]:
    """The alternative text of each figure an executed notebook showed, by its saved name
    (the ``alt`` of the PNG output's metadata, which is the figure's title)."""
    try:
        cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    except (OSError, json.JSONDecodeError, KeyError):
        return {}
    alts = {}
    for cell in cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata") or {}
            alt = (meta.get("image/png") or {}).get("alt")
            if meta.get(FIGURE_NAME) and alt:
                alts[str(meta[FIGURE_NAME])] = str(alt)
    return alts


def _key_figures(entry: dict, count: int = 2) -> list[str]:
    """The figures the index shows for a section: those of its primary results first, then the
    section's others in the order the notebook saved them, ``count`` at most (PNG files)."""
    pngs = [name for name in entry["figures"] if name.endswith(".png")]
    named = {Path(name).stem: name for name in pngs}
    primary = [
        named[item["figure"]] for item in entry.get("headlines", []) if item.get("figure") in named
    ]
    return list(dict.fromkeys([*primary, *pngs]))[:count]


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step (Linux ``renameat2``); False where that is not possible."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    return result == 0


def _swap(staging: Path, out: Path) -> None:
    """Put ``staging`` in the place of ``out``, leaving no moment without a complete ``out``.

    ``out`` becomes the new report in one step (the two folders are exchanged), then the old
    report, now at the staging path, is removed; if the process dies between the two, the next
    build removes it (:func:`acne_outcomes.io.remove_stale`).
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists():
        os.replace(staging, out)
        return
    if _exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)
        return
    retired = work_folder(out.parent, out.name, "retired", create=False)
    os.replace(out, retired)
    os.replace(staging, out)
    shutil.rmtree(retired, ignore_errors=True)


def _git_commit() -> str | None:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=paths.PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return result.stdout.strip()


def _versions() -> dict[str, str | None]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = None
    versions["python"] = sys.version.split()[0]
    return versions
