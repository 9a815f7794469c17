"""Building ``reports/`` from the notebooks: parallel, incremental, atomic and reproducible.

``build_report`` executes every ``notebooks/NN-topic.ipynb`` with papermill in a fresh kernel
(notebooks in parallel across cores, via joblib threads that each drive a kernel process), then
writes one HTML page per notebook (code hidden, with a toggle), ``index.html``, the figures and
tables the notebooks saved (``figures/NN-topic/``, ``tables/NN-topic/``), the data dictionary,
and ``manifest.json`` (input checksums, scenario and seed, package versions, git commit, timings).

* **Incremental**: each notebook has a key, the hash of its own bytes, its parameters, the input
  data's checksums and the package's source. A notebook whose key matches the manifest and whose
  outputs exist is not executed again; with nothing changed, nothing runs.
* **Atomic**: the build happens in a staging folder beside ``out``, which replaces ``out`` only
  when every notebook succeeded. A failing cell leaves the previous report as it was and raises
  :class:`ReportBuildError` naming the notebook, the cell and the error.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path

from acne_outcomes import paths
from acne_outcomes.io import load_study, save_study
from acne_outcomes.simulate import simulate_study
from acne_outcomes.standard.render import write_dictionary

MANIFEST = "manifest.json"
PACKAGES = (
    "acne-outcomes",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "matplotlib",
    "papermill",
    "tableone",
)


class ReportBuildError(RuntimeError):
    """A notebook failed; the previous report is left intact."""


@dataclass
class ReportConfig:
    """What to build: the data (a data package path, or a scenario and seed) and where."""

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
    parameters: dict = field(default_factory=dict)  # extra notebook parameters (e.g. n_sims)
    remove_tags: tuple[str, ...] = ()  # cells with these tags are left out of the pages
    description: str | None = None  # the index's opening sentence (default: the data used)


def discover_notebooks(folder: Path) -> list[Path]:
    """The report's notebooks: ``NN-topic.ipynb`` files in ``folder``, in number order."""
    found = sorted(path for path in Path(folder).glob("[0-9][0-9]-*.ipynb"))
    if not found:
        raise ValueError(f"no notebooks named NN-topic.ipynb in {folder}")
    return found


def resolve_input(config: ReportConfig) -> tuple[Path, dict]:
    """Return the data package the notebooks read, and its description for the manifest.

    Real data is validated first (a ``StudyValidationError`` stops the build before anything
    runs). For a scenario, the synthetic study is generated once into ``data/synthetic/``.
    """
    if config.data is not None:
        study = load_study(config.data)
        return Path(config.data), {
            "data": str(config.data),
            "checksums": study.metadata["checksums"],
        }
    size = "default" if config.n_subjects is None else str(config.n_subjects)
    folder = Path(config.synthetic_dir) / f"{config.scenario}-n{size}-seed{config.seed}"
    if not (folder / "datapackage.json").exists():
        study = simulate_study(config.scenario, n_subjects=config.n_subjects, seed=config.seed)
        save_study(study, folder, overwrite=True)
    study = load_study(folder)
    described = {"scenario": config.scenario, "seed": config.seed, "n_subjects": study.n_subjects}
    return folder, {**described, "data": str(folder), "checksums": study.metadata["checksums"]}


def source_hash() -> str:
    """SHA-256 over the package's source files and the standard (any change rebuilds everything)."""
    digest = hashlib.sha256()
    for path in sorted(paths.PACKAGE_DIR.rglob("*")):
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(paths.PACKAGE_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def notebook_key(notebook: Path, parameters: dict, inputs: dict, code: str) -> str:
    """The notebook's build key: what its outputs depend on."""
    digest = hashlib.sha256(notebook.read_bytes())
    digest.update(json.dumps([parameters, inputs.get("checksums"), code], sort_keys=True).encode())
    return digest.hexdigest()


def build_report(config: ReportConfig, *, progress: bool = True) -> dict:
    """Build (or bring up to date) the report; return the manifest.

    Raises
    ------
    ReportBuildError
        A notebook failed; the message names the notebook, the cell and the error.
    """
    started = time.perf_counter()
    out = Path(config.out).resolve()
    notebooks = discover_notebooks(config.notebooks)
    data_path, inputs = resolve_input(config)
    code = source_hash()
    previous = _read_manifest(out)
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
        if progress:
            print(f"report up to date: {out} (nothing executed)")
        return previous
    staging = _stage(out)
    try:
        timings = _execute(to_run, plan, staging, config, progress)
        manifest = _finish(staging, notebooks, plan, timings, inputs, config, code, started)
        _swap(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    if progress:
        print(f"report built in {time.perf_counter() - started:.1f} s: {out / 'index.html'}")
    return manifest


def _read_manifest(out: Path) -> dict:
    try:
        return json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def _stage(out: Path) -> Path:
    staging = out.parent / f".{out.name}.staging-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    if out.exists():
        shutil.copytree(out, staging)
    else:
        staging.mkdir(parents=True)
    return staging


def _execute(to_run, plan, staging: Path, config: ReportConfig, progress: bool) -> dict[str, float]:
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    jobs = config.jobs or os.cpu_count() or 1
    for notebook in to_run:
        for kind in ("figures", "tables"):
            shutil.rmtree(staging / kind / notebook.stem, ignore_errors=True)
    bar = tqdm(total=len(to_run), desc="notebooks", unit="nb", disable=not progress or not to_run)
    results = {}

    def run(notebook: Path):
        seconds = _run_notebook(notebook, plan[notebook]["parameters"], staging, config)
        bar.set_postfix_str(f"{notebook.stem} {seconds:.1f} s")
        bar.update()
        return notebook.stem, seconds

    try:
        for stem, seconds in Parallel(n_jobs=min(jobs, max(len(to_run), 1)), backend="threading")(
            delayed(run)(notebook) for notebook in to_run
        ):
            results[stem] = seconds
    finally:
        bar.close()
    return results


def _run_notebook(notebook: Path, parameters: dict, staging: Path, config: ReportConfig) -> float:
    import papermill

    started = time.perf_counter()
    executed = staging / "notebooks" / notebook.name
    executed.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(
            str(notebook), str(executed),
            parameters={**parameters, "output_dir": str(staging), "notebook_name": notebook.stem},
            kernel_name=config.kernel, cwd=str(notebook.parent), progress_bar=False,
            request_save_on_cell_execute=False,
            # the kernel's own log (transport notes, the interrupt at shutdown) is noise here
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )  # fmt: skip
    except papermill.PapermillExecutionError as error:
        raise ReportBuildError(
            f"{notebook.name}: cell {error.exec_count} failed: {error.ename}: {error.evalue}\n"
            f"(executed copy with the traceback: {executed}; the previous report is unchanged)"
        ) from None
    _remove_tagged_cells(executed, config.remove_tags)
    _to_html(executed, staging / f"{notebook.stem}.html", _title(executed, notebook.stem))
    return time.perf_counter() - started


PAGE_TEMPLATE = paths.PACKAGE_DIR / "templates" / "report_page.html.j2"


def _remove_tagged_cells(executed: Path, tags: tuple[str, ...]) -> None:
    """Drop cells carrying any of ``tags`` (e.g. worked solutions in the student build)."""
    if not tags:
        return
    import nbformat

    notebook = nbformat.read(executed, as_version=4)
    notebook.cells = [
        cell for cell in notebook.cells if not set(tags) & set(cell.metadata.get("tags", []))
    ]
    nbformat.write(notebook, executed)


def _to_html(executed: Path, target: Path, title: str) -> None:
    """Render an executed notebook as a self-contained page (no CDN scripts; code toggle)."""
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(executed, as_version=4)
    exporter = HTMLExporter(
        template_file=str(PAGE_TEMPLATE),
        extra_template_basedirs=[str(PAGE_TEMPLATE.parent)],
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    target.write_text(body, encoding="utf-8")


def _finish(staging, notebooks, plan, timings, inputs, config, code, started) -> dict:
    write_dictionary(staging)
    entries = {}
    for notebook in notebooks:
        item = plan[notebook]
        seconds = timings.get(notebook.stem, item["old"].get("seconds"))
        entries[notebook.stem] = {
            "key": item["key"],
            "executed": notebook.stem in timings,
            "seconds": seconds,
            "title": _title(staging / "notebooks" / notebook.name, notebook.stem),
            "figures": _listing(staging / "figures" / notebook.stem, staging),
            "tables": _listing(staging / "tables" / notebook.stem, staging),
        }
    manifest = {
        "inputs": inputs,
        "public": config.public,
        "notebooks": entries,
        "code_sha256": code,
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "packages": _versions(),
        "build_seconds": round(time.perf_counter() - started, 2),
        "config": {key: str(value) for key, value in asdict(config).items()},
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    _write_index(staging, entries, inputs, config)
    readme = paths.REPORTS_DIR / "README.md"
    if readme.exists() and not (staging / "README.md").exists():
        shutil.copy2(readme, staging / "README.md")
    return manifest


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


def _write_index(staging: Path, entries: dict, inputs: dict, config: ReportConfig) -> None:
    escape = html.escape
    source = inputs.get("scenario")
    described = (
        f"synthetic study, scenario <code>{escape(str(source))}</code>, seed {inputs.get('seed')}, "
        f"{inputs.get('n_subjects')} subjects"
        if source
        else f"data package <code>{escape(Path(inputs['data']).name)}</code>"
    )
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(config.title)}</title>',
        '<link rel="icon" href="data:,">',
        "<style>body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem}"
        ".section{margin-bottom:2rem}.figs{display:flex;flex-wrap:wrap;gap:1rem}"
        ".figs img{max-width:32rem;width:100%;border:1px solid #ddd}</style></head><body>",
        f"<h1>{escape(config.title)}</h1>",
        f"<p>{config.description or f'Built from the {described}'}"
        f"{' in public mode (small cells suppressed)' if config.public else ''}. "
        'See <a href="manifest.json">manifest.json</a> for input checksums, versions and timings, and the '
        '<a href="data-dictionary.html">data dictionary</a>.</p>',
    ]
    for stem, entry in entries.items():
        parts.append(
            f'<div class="section"><h2><a href="{stem}.html">{escape(entry["title"])}</a></h2>'
        )
        key_figures = [name for name in entry["figures"] if name.endswith(".png")][:2]
        if key_figures:
            parts.append('<div class="figs">')
            parts += [
                f'<a href="{stem}.html"><img src="{name}" alt="{escape(Path(name).stem)}"></a>'
                for name in key_figures
            ]
            parts.append("</div>")
        parts.append("</div>")
    parts.append("</body></html>")
    (staging / "index.html").write_text("\n".join(parts) + "\n", encoding="utf-8")


def _swap(staging: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists():
        os.replace(staging, out)
        return
    retired = out.parent / f".{out.name}.old-{os.getpid()}"
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
