"""The notebook runtime: what a notebook needs to open its study and save its outputs.

A report notebook starts with ``study = open_study(data_path, ...)`` and
``out = NotebookOutputs(output_dir, notebook_name)``; the build passes both parameters, and
interactively (``data_path=None``, ``output_dir=None``) the notebook simulates a study and
saves nothing. This module is presentation: the build (:mod:`acne_outcomes.report`) is above
it and never needed inside a kernel.
"""

from __future__ import annotations

from pathlib import Path

from acne_outcomes.io import load_study
from acne_outcomes.simulate import simulate_study
from acne_outcomes.style import save_figure
from acne_outcomes.tables import write_table


class NotebookOutputs:
    """Where a notebook saves its figures and tables: ``figures/NN-topic/`` and ``tables/NN-topic/``.

    In the build, papermill passes ``output_dir`` (the staging report folder) and
    ``notebook_name``; run interactively with ``output_dir=None``, nothing is written.
    """

    def __init__(self, output_dir: str | Path | None, notebook_name: str):
        self.root = None if output_dir is None else Path(output_dir)
        self.name = notebook_name

    def folder(self, kind: str) -> Path | None:
        if self.root is None:
            return None
        folder = self.root / kind / self.name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def figure(self, fig, name: str) -> None:
        """Save a figure as PNG, SVG and PDF (deterministic bytes).

        Returns nothing, so that a notebook cell ending with it shows no paths.
        """
        folder = self.folder("figures")
        if folder is not None:
            save_figure(fig, name, folder)

    def table(self, frame, name: str) -> None:
        """Save a table as CSV, HTML and LaTeX."""
        folder = self.folder("tables")
        if folder is not None:
            write_table(frame, name, folder)


def open_study(
    data_path=None, *, scenario: str = "rct", seed: int = 0, n_subjects: int | None = None
):
    """The study a notebook analyses: the data package at ``data_path``, else a synthetic one.

    The report build always passes ``data_path`` (a validated package, real or generated
    once per build); run interactively with ``data_path=None``, a notebook simulates the
    scenario in memory.
    """
    if data_path is not None:
        return load_study(data_path)
    return simulate_study(scenario, n_subjects=n_subjects, seed=seed)
