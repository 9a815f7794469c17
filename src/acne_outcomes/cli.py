"""The ``acne-outcomes`` command.

Sub-commands: ``validate`` (exit 0 valid, 1 invalid, 2 unreadable), ``dictionary`` (render the
data dictionary), ``simulate`` (write a synthetic study), ``report``, ``diagnose`` and
``teach``. Errors are one clear line plus details, exit 1 or 2; a traceback only with
``--debug``, whatever the input.

Outputs never overwrite inputs: ``validate --problems FILE`` refuses a file inside the study,
the input itself, its mapping, anything under ``data/raw``, and an existing file that is not a
problems file this command wrote; the file is written whole or not at all, and a cell that a
spreadsheet would run as a formula (``=``, ``+``, ``@``, ``-`` before text) is written as text.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import traceback
from pathlib import Path

#: One BLAS thread per process, set before numpy loads unless the environment says otherwise:
#: the command's work is parallel across processes (kernels, replicates), and multi-threaded
#: BLAS on small matrices made statsmodels' rank checks about 40x slower on 2 cores.
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
for _name in BLAS_THREADS:
    os.environ.setdefault(_name, "1")
#: No huge-page advice from numpy, likewise: where Linux compacts memory to find huge pages
#: (transparent_hugepage/defrag = madvise, a common default), numpy's advice on every array of
#: 4 MB or more stalls large allocations (numpy issue 31590). Simulating 10^6 subjects took
#: 12.6 s with the advice and 10.1 s without. ``NUMPY_MADVISE_HUGEPAGE`` is numpy's switch.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2
#: The header of a problems file (``validate --problems``): only such a file is replaced.
PROBLEMS_HEADER = "table,row,column,value,rule,message"
_FORMULA = re.compile(r"^[=+@\t\r]|^-(?!\d+(?:\.\d+)?$)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="acne-outcomes",
        description="Longitudinal acne-treatment studies: validate data (validate), render the "
        "data dictionary (dictionary), simulate studies with known truth (simulate), build the "
        "report (report), score analysis strategies against the truth (diagnose) and build the "
        "evidence-appraisal teaching lab (teach). 'acne-outcomes COMMAND --help' for each.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate",
        help="check a study against the data standard",
        description="Check a data package folder (or a long CSV/Excel/SAS file with --mapping) against "
        "the data standard and list every problem. Exit 0 valid, 1 invalid, 2 unreadable. "
        "The input is only read, never modified.",
    )
    validate.add_argument("path", type=Path, help="data package folder or file")
    validate.add_argument("--mapping", type=Path, help="JSON column mapping for imports")
    validate.add_argument("--problems", type=Path, help="also write every problem to this CSV file")
    validate.add_argument(
        "--max-rows", type=int, default=5, help="rows listed per problem (default 5)"
    )

    dictionary = commands.add_parser(
        "dictionary",
        help="write the data dictionary (Markdown and HTML)",
        description="Render data-dictionary.md and data-dictionary.html from the standard's descriptor.",
    )
    dictionary.add_argument(
        "--out", type=Path, default=Path("reports"), help="folder (default: reports)"
    )

    simulate = commands.add_parser(
        "simulate",
        help="write a synthetic study with known truth",
        description="Simulate a study from the documented generative model and write it as a data "
        "package (it passes 'acne-outcomes validate'). Extra model parameters: --param NAME=VALUE. "
        "Design knobs (docs/generator.md): --arm, --visits, --visit-unit, --outcomes, --tables.",
    )
    simulate.add_argument("--scenario", default="rct", help="scenario name (default: rct)")
    simulate.add_argument(
        "--n", type=int, default=None, help="number of subjects (default: scenario's)"
    )
    simulate.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    simulate.add_argument(
        "--jobs", type=int, default=None,
        help="threads generating a large study (default: cores); the study does not depend on it",
    )  # fmt: skip
    simulate.add_argument("--out", type=Path, required=True, help="output folder")
    simulate.add_argument("--format", choices=("csv", "parquet"), default="csv")
    simulate.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    simulate.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE",
        help="model parameter (JSON value), repeatable, e.g. --param pih_effect=0",
    )  # fmt: skip
    simulate.add_argument(
        "--arm", action="append", default=None, metavar="COURSE[=LABEL[:NAME]]",
        help="an arm, repeatable, the reference first: the model course (isotretinoin, "
        "comparator, untreated), its label in the data and display name, e.g. "
        "--arm untreated=vehicle:Vehicle --arm isotretinoin=drug (default: comparator, "
        "isotretinoin)",
    )  # fmt: skip
    simulate.add_argument(
        "--visits", default=None, metavar="MONTHS",
        help="scheduled visits as comma-separated native MONTHS of the model with 0, from "
        "0,1,2,3,4,5,6,9,12 (the default: all), in months whatever --visit-unit: "
        "0,3,6 with --visit-unit weeks writes weeks 0,13,26",
    )  # fmt: skip
    simulate.add_argument(
        "--visit-unit", default=None, choices=("months", "weeks", "days"),
        help="unit the visit column is written in, month/week/day: the native months "
        "converted, weeks = round(month x 52/12), days = round(month x 365.25/12) "
        "(default: months)",
    )  # fmt: skip
    simulate.add_argument(
        "--outcomes", default=None, metavar="NAMES",
        help="visit measurements collected, comma-separated (default: all the generator makes)",
    )  # fmt: skip
    simulate.add_argument(
        "--tables", default=None, metavar="NAMES",
        help="tables collected, comma-separated; subjects and visits always are, so "
        "'subjects,visits' collects no adverse events or labs: those are not written and "
        "the design says they were not collected (default: all four)",
    )  # fmt: skip
    report = commands.add_parser(
        "report",
        help="build the report from the notebooks",
        description="Execute the notebooks (in parallel, one kernel per job) on a study or a synthetic "
        "scenario and write reports/: index.html, one page per notebook, figures, tables, manifest.json. "
        "The study is a data package folder, or a long CSV/Excel/SAS file or ADaM folder with --mapping "
        "(validated, then written as a data package under data/processed/; the input is only read). "
        "Incremental (only what changed runs) and atomic (a failure leaves the previous report and keeps "
        "the failed notebook, with its traceback, in REPORT.failed/ beside the report).",
    )
    source = report.add_mutually_exclusive_group()
    source.add_argument(
        "--data",
        type=Path,
        help="the study: data package folder, or file/ADaM folder with --mapping",
    )
    source.add_argument("--scenario", default="rct", help="synthetic scenario (default: rct)")
    report.add_argument(
        "--mapping", type=Path, help="JSON column mapping for an imported --data (as for validate)"
    )
    report.add_argument(
        "--seed", type=int, default=0, help="seed of the synthetic study (default 0)"
    )
    report.add_argument("--n", type=int, default=None, help="subjects in the synthetic study")
    report.add_argument("--out", type=Path, default=None, help="report folder (default: reports/)")
    report.add_argument(
        "--jobs", type=int, default=None, help="notebooks run at once (default: cores)"
    )
    report.add_argument(
        "--public", action="store_true", help="suppress small cells, omit subject IDs"
    )
    report.add_argument(
        "--figures", default=None, metavar="FORMATS",
        help="the figure files to save, comma-separated from png, svg, pdf, with png (default: "
        "all three; e.g. --figures png for a quicker draft: the PDFs take the longest)",
    )  # fmt: skip
    report.add_argument("--notebooks", type=Path, default=None, help=argparse.SUPPRESS)

    diagnose = commands.add_parser(
        "diagnose",
        help="score analysis strategies against the truth over many simulated studies",
        description="Simulate many studies of a scenario, run each analysis strategy, and print per "
        "strategy: truth, mean estimate, bias, RMSE, CI coverage and rejection rate, each with its Monte "
        "Carlo standard error. Results are identical whichever executor runs them.",
    )
    diagnose.add_argument("--scenario", default="rct", help="scenario (default: rct)")
    diagnose.add_argument(
        "--n-sims", type=int, default=1000, help="simulated studies (default 1000)"
    )
    diagnose.add_argument("--seed", type=int, default=0, help="master seed (default 0)")
    diagnose.add_argument(
        "--n", type=int, default=None, help="subjects per study (default: scenario's)"
    )
    diagnose.add_argument(
        "--executor", choices=("serial", "processes", "dask"), default="processes"
    )
    diagnose.add_argument(
        "--jobs", type=int, default=None, help="worker processes (default: cores)"
    )
    diagnose.add_argument(
        "--scheduler", help="address of an existing Dask cluster, tcp://HOST:PORT"
    )
    diagnose.add_argument(
        "--strategy", action="append", default=None, metavar="NAME",
        help="strategy name from the registry acne_outcomes.appraisal.strategies.REGISTRY (e.g. MMRM_PIH), repeatable; "
        "default: the scenario's",
    )  # fmt: skip
    diagnose.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="model parameter"
    )
    diagnose.add_argument("--out", type=Path, help="also write the summary to this CSV file")

    teach = commands.add_parser(
        "teach",
        help="build the evidence-appraisal lab (student or instructor edition)",
        description="Execute the lessons in notebooks/teaching and write the teaching report: the student "
        "edition leaves out the worked solutions, the instructor edition keeps them.",
    )
    edition = teach.add_mutually_exclusive_group()
    edition.add_argument("--instructor", action="store_true", help="include the worked solutions")
    edition.add_argument(
        "--both",
        action="store_true",
        help="both editions from one execution of the lessons (the instructor edition beside the "
        "student one, in OUT-instructor)",
    )
    teach.add_argument(
        "--out", type=Path, default=None, help="folder (default: reports/teaching[-instructor])"
    )
    teach.add_argument(
        "--n-sims", type=int, default=200, help="simulated studies per diagnosis (default 200)"
    )
    teach.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores)")
    return parser


def _run_teach(args) -> int:
    from acne_outcomes import paths
    from acne_outcomes.teach import build_editions, build_teaching

    if args.both:
        student = args.out or paths.REPORTS_DIR / "teaching"
        instructor = student.parent / f"{student.name}-instructor"
        build_editions(student, instructor, n_sims=args.n_sims, jobs=args.jobs)
        return EXIT_OK
    default = paths.REPORTS_DIR / ("teaching-instructor" if args.instructor else "teaching")
    build_teaching(
        args.out or default, instructor=args.instructor, n_sims=args.n_sims, jobs=args.jobs
    )
    return EXIT_OK


def _run_diagnose(args) -> int:
    import pandas as pd

    from acne_outcomes.appraisal import diagnose, strategies

    chosen = [strategies.strategy(name) for name in args.strategy] if args.strategy else None
    if args.scheduler and args.executor != "dask":
        raise ValueError("--scheduler needs --executor dask")
    parameters = _parse_params(args.param)
    if args.n is not None:
        parameters["n_subjects"] = args.n
    summary = diagnose(
        args.scenario, chosen, n_sims=args.n_sims, seed=args.seed, executor=args.executor,
        n_jobs=args.jobs, scheduler=args.scheduler, **parameters,
    )  # fmt: skip
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.precision", 4):
        print(summary.to_string(index=False))
    if args.out:
        summary.to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    return EXIT_OK


def _run_report(args) -> int:
    from acne_outcomes import paths
    from acne_outcomes.uptodate import synthetic_report_is_fresh

    if args.mapping is not None and args.data is None:
        raise ValueError("--mapping needs --data (the file or ADaM folder it maps)")
    if args.jobs is not None and not 1 <= args.jobs <= 64:
        raise ValueError(f"--jobs is a number of notebooks run at once, 1 to 64; got {args.jobs}")

    def absolute(path: Path | None) -> Path | None:
        return None if path is None else path.resolve()

    parameters = {}
    if args.figures is not None:  # checked by ReportConfig, before anything is built
        parameters["figure_formats"] = [name.strip().lower() for name in args.figures.split(",")]
    out = absolute(args.out) or paths.REPORTS_DIR
    if args.data is None and not parameters and synthetic_report_is_fresh(
        out, notebooks=absolute(args.notebooks) or paths.NOTEBOOKS_DIR,
        synthetic_dir=paths.SYNTHETIC_DIR, scenario=args.scenario, seed=args.seed,
        n_subjects=args.n, public=args.public,
    ):  # fmt: skip
        # nothing would run: answered by hashing, without importing the build (see uptodate.py)
        print(f"report up to date: {out} (nothing executed)")
        return EXIT_OK
    from acne_outcomes.report import ReportConfig, build_report

    config = ReportConfig(
        data=absolute(args.data), mapping=absolute(args.mapping), scenario=args.scenario,
        seed=args.seed, n_subjects=args.n, out=absolute(args.out) or paths.REPORTS_DIR,
        jobs=args.jobs, public=args.public, parameters=parameters,
        notebooks=absolute(args.notebooks) or paths.NOTEBOOKS_DIR,
    )  # fmt: skip
    build_report(config)
    return EXIT_OK


def _run_validate(args) -> int:
    from acne_outcomes import load_study
    from acne_outcomes.importers import describe_import
    from acne_outcomes.validate import StudyValidationError, format_problems

    if not 0 <= args.max_rows <= 10_000:
        raise ValueError(f"--max-rows is 0 to 10000; got {args.max_rows}")
    if args.problems is not None:
        check_problems_path(args.problems, args.path, args.mapping)
    try:
        study = load_study(args.path, mapping=args.mapping)
    except StudyValidationError as error:
        problems = error.problems
        print(f"INVALID: {args.path} — {len(problems)} problem{'s' * (len(problems) != 1)}")
        print(format_problems(problems, max_rows=args.max_rows, files=_row_files(args.path)))
        if args.problems:
            write_problems(problems, args.problems)
            print(f"every problem written to {args.problems}")
        return EXIT_INVALID
    print(f"VALID: {args.path} — {_table_counts(study)}")
    if study.metadata.get("import"):  # what an import converted, left out and assumed
        print("\n".join(describe_import(study.metadata["import"])))
    return EXIT_OK


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_problems_path(target: Path, data: Path, mapping: Path | None) -> None:
    """Refuse a ``--problems`` file that would overwrite an input or land in ``data/raw``.

    Raises
    ------
    ValueError
        ``target`` is inside the study folder (or is the input file or the mapping), inside
        ``data/raw``, or exists and is not a problems file (:data:`PROBLEMS_HEADER`).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     study = Path(folder) / "study"
    ...     study.mkdir()
    ...     try:
    ...         check_problems_path(study / "visits.csv", study, None)
    ...     except ValueError as error:
    ...         print(str(error)[:58])
    --problems visits.csv is inside the study folder: the inpu
    """
    from acne_outcomes import paths

    resolved = Path(os.path.abspath(target)).resolve()
    data = Path(data).resolve()
    name = Path(target).name
    if data.is_dir() and _inside(resolved, data):
        raise ValueError(
            f"--problems {name} is inside the study folder: the input is only read; write the "
            "problems elsewhere"
        )
    if resolved == data or (mapping is not None and resolved == Path(mapping).resolve()):
        raise ValueError(f"--problems {name} is an input of this command: choose another file")
    if _inside(resolved, paths.RAW_DIR.resolve()):
        raise ValueError(f"--problems {name} is inside {paths.RAW_DIR}: raw data is read-only")
    if os.path.lexists(resolved):
        if not resolved.is_file():
            raise ValueError(f"--problems {name} exists and is not a file")
        with open(resolved, "rb") as handle:
            first = handle.readline(200).decode("utf-8", "replace").strip()
        if first != PROBLEMS_HEADER:
            raise ValueError(
                f"--problems {name} exists and is not a problems file written by acne-outcomes: "
                "refusing to overwrite it; choose another file"
            )


def _safe_cell(value):
    """A cell as text a spreadsheet shows as text, never runs as a formula.

    >>> _safe_cell("=HYPERLINK(1)"), _safe_cell("-3"), _safe_cell("-x"), _safe_cell(4)
    ("'=HYPERLINK(1)", '-3', "'-x", 4)
    """
    if isinstance(value, str) and _FORMULA.search(value):
        return "'" + value
    return value


def write_problems(problems, target: Path) -> None:
    """Write the problems to a CSV file, whole or not at all, formulas defused."""
    target = Path(target)
    safe = problems.copy()
    for name in ("table", "column", "value", "message"):
        safe[name] = safe[name].astype(object).map(_safe_cell)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        safe.to_csv(staging, index=False, lineterminator="\n")
        os.replace(staging, target)
    finally:
        if staging.exists():
            staging.unlink()


def _run_dictionary(args) -> int:
    from acne_outcomes.standard.render import write_dictionary

    for path in write_dictionary(args.out):
        print(f"wrote {path}")
    return EXIT_OK


def _parse_params(items: list[str]) -> dict:
    params = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--param needs NAME=VALUE, got {item!r}")
        try:
            params[name] = json.loads(value)
        except json.JSONDecodeError:
            params[name] = value
    return params


def _simulate_knobs(args) -> dict:
    """The design knobs of ``simulate`` from its options (``None``: the generator's default)."""

    def names(text):
        return None if text is None else [item.strip() for item in text.split(",") if item.strip()]

    arms = None
    if args.arm is not None:
        arms = []
        for item in args.arm:
            course, _, rest = item.partition("=")
            label, _, name = rest.partition(":")
            course = course.strip()
            arms.append((course, label or course, name or label or course))
    visits = names(args.visits)
    if visits is not None:
        try:
            visits = [int(month) for month in visits]
        except ValueError:
            raise ValueError(
                f"--visits needs comma-separated months, e.g. 0,3,6; got {args.visits!r}"
            ) from None
    return {"arms": arms, "visits": visits, "visit_unit": args.visit_unit,
            "outcomes": names(args.outcomes), "tables": names(args.tables)}  # fmt: skip


def _run_simulate(args) -> int:
    from acne_outcomes.io import save_study
    from acne_outcomes.simulate import MAX_JOBS, simulate_study

    if args.jobs is not None and not 1 <= args.jobs <= MAX_JOBS:
        raise ValueError(f"--jobs is a number of threads, 1 to {MAX_JOBS}; got {args.jobs}")
    jobs = args.jobs or min(os.cpu_count() or 1, MAX_JOBS)
    study = simulate_study(
        args.scenario, n_subjects=args.n, seed=args.seed, n_jobs=jobs, **_simulate_knobs(args),
        **_parse_params(args.param),
    )  # fmt: skip
    target = save_study(study, args.out, format=args.format, overwrite=args.overwrite)
    print(f"wrote {target} ({args.scenario}, seed {args.seed}): {_table_counts(study)}")
    design = study.design
    if design.visit_unit != "months":  # --visits are native months: say what they became
        months = study.metadata.get("design_knobs", {}).get("visits")
        native = f" (native months {', '.join(map(str, months))})" if months else ""
        written = ", ".join(f"{visit:g}" for visit in design.visits)
        print(f"visits in {design.visit_unit}: {written}{native}")
    return EXIT_OK


def _row_files(path) -> dict:
    """Each table's file and what its row numbers count there (``line`` of a CSV file)."""
    path = Path(path)
    if path.is_file():  # an import: every row number is in this one file
        noun = "line" if path.suffix.lower() in (".csv", ".txt", ".tsv") else "row"
        tables = ("subjects", "visits", "adverse_events", "labs", path.name)
        return {name: (noun, path.name) for name in tables}
    files = {}
    for name in ("subjects", "visits", "adverse_events", "labs"):
        if (path / f"{name}.csv").is_file():
            files[name] = ("line", f"{name}.csv")
        elif (path / f"{name}.parquet").is_file():
            files[name] = ("row", f"{name}.parquet")
    return files


def _table_counts(study) -> str:
    """The rows of each table collected, then the tables not collected (not written)."""
    counts = ", ".join(
        f"{len(frame):,} {name}"
        for name, frame in study.tables.items()
        if study.design.has_table(name)
    )
    missing = [name for name in study.tables if not study.design.has_table(name)]
    return counts + (f"; not collected: {', '.join(missing)}" if missing else "")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    runners = {
        "validate": _run_validate,
        "dictionary": _run_dictionary,
        "simulate": _run_simulate,
        "report": _run_report,
        "diagnose": _run_diagnose,
        "teach": _run_teach,
    }
    bad_input = EXIT_UNREADABLE if args.command == "validate" else EXIT_INVALID
    try:
        return runners[args.command](args)
    except KeyboardInterrupt:
        _report(args, "interrupted", "stopped")
        return 130
    except Exception as error:
        return _failed(args, error, bad_input)


def _failed(args, error: Exception, bad_input: int) -> int:
    """The message and exit code of a command's error (the error classes imported only now,
    so that a command that needs no build, such as an up-to-date report, imports none)."""
    from acne_outcomes.io import StudyReadError
    from acne_outcomes.report import ReportBuildError
    from acne_outcomes.validate import StudyValidationError, format_problems

    if isinstance(error, ReportBuildError):
        _report(args, error, "the report build failed")
        return EXIT_INVALID
    if isinstance(error, StudyValidationError):
        _report(
            args, f"{error.source} is not valid:\n{format_problems(error.problems)}", "bad data"
        )
        return EXIT_INVALID
    if isinstance(error, StudyReadError):
        _report(args, error, "cannot read the input")
        return EXIT_UNREADABLE
    if isinstance(error, FileExistsError):
        _report(args, error, "refusing to overwrite")
        return EXIT_UNREADABLE
    if isinstance(error, OSError):
        _report(args, _os_message(error), "cannot read or write a file")
        return EXIT_UNREADABLE
    if isinstance(error, (ValueError, KeyError, TypeError)):
        _report(args, error, "bad input")
        return bad_input
    if isinstance(error, RecursionError):
        _report(args, "the input is nested too deeply to be read", "bad input")
        return bad_input
    if isinstance(error, MemoryError):
        _report(args, "the input is too large for this machine's memory", "bad input")
        return bad_input
    raise error


def _os_message(error: OSError) -> str:
    """An operating-system error in words: what failed, on which file."""
    where = f": {error.filename}" if error.filename else ""
    return f"{error.strerror or error}{where}"


def _report(args, error: object, what: str) -> None:
    print(f"error: {what}: {error}", file=sys.stderr)
    if args.debug:
        traceback.print_exc()
    else:
        print("(run with --debug for the traceback)", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
