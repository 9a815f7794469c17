"""The teaching build: the evidence-appraisal lessons of ``notebooks/teaching`` as an HTML site.

A build-level module beside :mod:`acne_outcomes.report` (the lessons' logic is in
:mod:`acne_outcomes.appraisal`, which never imports the build). ``build_teaching`` executes the
lessons with :func:`acne_outcomes.report.build_report` (so it is
incremental, atomic and leaves a manifest), passing ``n_sims`` and ``jobs`` to every lesson.
The student edition leaves out the worked solutions (cells tagged ``solution``); the
instructor edition keeps them. The lab is built beside the report (``reports/teaching`` and
``reports/teaching-instructor``), and each index links to the other (:data:`REPORT_LINK`;
the report's own index links back).
"""

from __future__ import annotations

from pathlib import Path

from acne_outcomes import paths
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
