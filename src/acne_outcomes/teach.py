"""The teaching build: the evidence-appraisal lessons of ``notebooks/teaching`` as an HTML site.

A build-level module beside :mod:`acne_outcomes.report` (the lessons' logic is in
:mod:`acne_outcomes.appraisal`, which never imports the build). ``build_teaching`` executes the
lessons with :func:`acne_outcomes.report.build_report` (so it is
incremental, atomic and leaves a manifest), passing ``n_sims`` and ``jobs`` to every lesson.
The student edition leaves out the worked solutions (cells tagged ``solution``); the
instructor edition keeps them. The lab is built beside the report (``reports/teaching`` and
``reports/teaching-instructor``), and each index links to the other (:data:`REPORT_LINK`;
the report's own index links back).

Both editions come from one execution (:func:`build_editions`, ``make teach``): the instructor
edition is built, and the student edition is written from its executed notebooks with the
solution cells left out (every cell runs in either edition, so the pages are the same but for
those cells; nothing is executed twice). The lessons' diagnoses are kept on disk by their inputs
(:mod:`acne_outcomes.cache`), so a rebuild after a change to a lesson's text runs none.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from acne_outcomes import paths, report
from acne_outcomes.io import remove_stale, work_folder
from acne_outcomes.report import ReportConfig, build_report

TEACHING_DIR = paths.NOTEBOOKS_DIR / "teaching"
SOLUTION_TAG = "solution"
#: The lab's link to the report it is built beside (``reports/index.html``).
REPORT_LINK = ("The report on the synthetic study", "../index.html")
TITLES = {
    False: "Evidence-appraisal lab — student edition",
    True: "Evidence-appraisal lab — instructor edition",
}


def teaching_config(
    out: Path,
    *,
    instructor: bool = False,
    n_sims: int = 200,
    jobs: int | None = None,
    notebooks: Path = TEACHING_DIR,
):
    """The :class:`~acne_outcomes.report.ReportConfig` of a teaching build.

    Examples
    --------
    >>> config = teaching_config(Path("site"), n_sims=20)
    >>> config.remove_tags, config.parameters["n_sims"], config.title.endswith("student edition")
    (('solution',), 20, True)
    >>> teaching_config(Path("site"), instructor=True).remove_tags
    ()
    >>> teaching_config(Path("site")).links
    (('The report on the synthetic study', '../index.html'),)
    """
    if n_sims < 2:
        raise ValueError("n_sims must be at least 2")
    if jobs is not None and jobs < 1:
        raise ValueError("jobs must be a positive integer or None")
    return ReportConfig(
        notebooks=Path(notebooks),
        out=Path(out),
        title=TITLES[bool(instructor)],
        parameters={"n_sims": int(n_sims), "jobs": jobs},
        remove_tags=() if instructor else (SOLUTION_TAG,),
        jobs=jobs,
        description=(
            f"Eight lessons in evidence appraisal; every number comes from simulated studies with known "
            f"truth ({int(n_sims)} per diagnosis)"
            + ("" if instructor else "; worked solutions are in the instructor edition")
            + ". Lesson 1 shows how to re-run any report page on a study with the true effects "
            "you choose"
        ),
        links=(REPORT_LINK,),
    )


def build_teaching(
    out: Path,
    *,
    instructor: bool = False,
    n_sims: int = 200,
    jobs: int | None = None,
    progress: bool = True,
) -> dict:
    """Build the evidence-appraisal lab (student or instructor edition) into ``out``.

    Parameters
    ----------
    out : Path
        Target folder (replaced atomically when every lesson ran).
    instructor : bool, default False
        Keep the worked solutions (cells tagged ``solution``); the student edition drops them.
    n_sims : int, default 200
        Simulated studies per diagnosis in every lesson (20 is enough for a quick check;
        Monte Carlo standard errors are shown beside every rate).
    jobs : int, optional
        Lessons executed in parallel, and worker processes per diagnosis (all cores if None).
    progress : bool, default True
        Show a progress bar.

    Returns
    -------
    dict
        The build manifest (see :func:`acne_outcomes.report.build_report`).
    """
    config = teaching_config(out, instructor=instructor, n_sims=n_sims, jobs=jobs)
    return build_report(config, progress=progress)


def build_editions(
    student_out: Path,
    instructor_out: Path,
    *,
    n_sims: int = 200,
    jobs: int | None = None,
    progress: bool = True,
) -> dict[str, dict]:
    """Build both editions of the lab from one execution of the lessons.

    The instructor edition is built (or brought up to date) by
    :func:`acne_outcomes.report.build_report`; the student edition is then written from its
    executed notebooks by :func:`derive_edition`, without executing anything. Each edition's
    manifest carries the keys a build of that edition alone would give, so
    ``acne-outcomes teach`` on either finds it up to date.

    Returns
    -------
    dict
        ``{"student": manifest, "instructor": manifest}``.
    """
    instructor = teaching_config(instructor_out, instructor=True, n_sims=n_sims, jobs=jobs)
    student = teaching_config(student_out, instructor=False, n_sims=n_sims, jobs=jobs)
    report.check_out(student)  # before anything runs
    built = build_report(instructor, progress=progress)
    return {"student": derive_edition(instructor, student, progress=progress), "instructor": built}


def derive_edition(source: ReportConfig, target: ReportConfig, *, progress: bool = True) -> dict:
    """Write the edition ``target`` from the built, up-to-date edition ``source``; execute nothing.

    ``target`` differs from ``source`` only in the cells it leaves out (``remove_tags``), its
    title, description and links: its pages are ``source``'s executed notebooks without the
    cells tagged with any of ``target.remove_tags``, with ``source``'s folder named as
    ``target``'s in the outputs, rendered again; figures and tables are copied. The manifest
    records the keys of ``target``'s own notebooks (so a build of ``target`` alone finds it up
    to date), ``derived_from``, and as ``executed`` whether the build of ``source`` executed
    the notebook. When those keys match the existing ``target``, it is left as
    it is. The folder is replaced in one step, as a build replaces it.

    Returns
    -------
    dict
        ``target``'s manifest.
    """
    import nbformat

    started = time.perf_counter()
    built = report._read_manifest(source.out)
    if not built or set(source.remove_tags) - set(target.remove_tags):
        raise ValueError(f"{source.out} is not a built edition holding {target.out}'s cells")
    out = target.out
    report.check_out(target)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(out.parent, out.name)
    notebooks = report.discover_notebooks(target.notebooks)
    inputs, code = built["inputs"], built["code_sha256"]
    data_path = inputs.get("package", inputs.get("data"))
    plan = {}
    for notebook in notebooks:
        parameters = {"data_path": str(data_path), "public": target.public, **target.parameters}
        key = report.notebook_key(
            notebook, {**parameters, "_remove_tags": list(target.remove_tags)}, inputs, code
        )
        plan[notebook] = {"parameters": parameters, "key": key,
                          "old": built["notebooks"][notebook.stem]}  # fmt: skip
    previous = report._read_manifest(out)
    if (out / "index.html").exists() and all(
        previous.get("notebooks", {}).get(notebook.stem, {}).get("key") == item["key"]
        for notebook, item in plan.items()
    ):
        if progress:
            print(f"report up to date: {out} (nothing executed)")
        return previous
    staging = work_folder(out.parent, out.name, "staging", create=False)
    try:
        shutil.copytree(source.out, staging, symlinks=True)
        renamed = [(str(source.out), str(out))]
        for notebook in notebooks:
            executed = staging / "notebooks" / notebook.name
            node = nbformat.read(executed, as_version=4)
            node.cells = [
                cell
                for cell in node.cells
                if not set(target.remove_tags) & set(cell.metadata.get("tags", []))
            ]
            report._scrub_paths(node, renamed)
            nbformat.write(node, executed)
            title = report._title(executed, notebook.stem)
            report._to_html(node, staging / f"{notebook.stem}.html", title)
        run = {"timings": {}, "kernel_starts": [], "started": started}
        manifest = report._finish(staging, notebooks, plan, run, inputs, target, code)
        manifest["derived_from"] = {"edition": source.title, "folder": source.out.name}
        for stem, entry in manifest["notebooks"].items():  # executed in the source's build
            entry["executed"] = bool(built["notebooks"][stem].get("executed"))
        text = json.dumps(manifest, indent=2) + "\n"
        (staging / report.MANIFEST).write_text(text, encoding="utf-8")
        report._swap(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    shutil.rmtree(report.failed_dir(out), ignore_errors=True)
    if progress:
        print(f"{target.title} written from {source.out.name} in "
              f"{time.perf_counter() - started:.1f} s (nothing executed): {out / 'index.html'}")  # fmt: skip
    return manifest
