"""The notebook runtime: what a notebook needs to open its study, show and save its outputs.

A report notebook starts with ``study = open_study(data_path, ...)`` and
``out = NotebookOutputs(output_dir, notebook_name, figure_formats)``; the build injects the
parameters (``figure_formats``: which of PNG, SVG and PDF to save, None for all), and
interactively (``data_path=None``, ``output_dir=None``) the notebook simulates a study and
saves nothing. Each analysis runs inside ``with out.section("title"):`` — when the data cannot
support it (:class:`~acne_outcomes.checks.NotEstimable`), the page says "Not estimable here"
with the reason, the build records it, and the notebook goes on. This module is
presentation: the build (:mod:`acne_outcomes.report`) is above it and never needed in a kernel.
"""

from __future__ import annotations

import contextlib
import html
import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from acne_outcomes import narrative
from acne_outcomes.checks import NotEstimable
from acne_outcomes.io import load_study
from acne_outcomes.paths import FIGURE_NAME, HEADLINES_DIR, NOT_ESTIMABLE_DIR
from acne_outcomes.simulate import simulate_study
from acne_outcomes.style import FORMATS, check_formats, save_figure
from acne_outcomes.tables import write_table


class NotebookOutputs:
    """Where a notebook saves its figures and tables, and what it could not estimate.

    Figures go to ``figures/NN-topic/`` and tables to ``tables/NN-topic/`` under
    ``output_dir``; the analyses the data could not support are listed in
    ``not-estimable/NN-topic.json`` (a list of ``{"section", "reason"}``, written only when
    there is one). The build injects ``output_dir`` (the staging report folder),
    ``notebook_name`` and ``figure_formats`` (None: PNG, SVG and PDF) as notebook parameters;
    run interactively with ``output_dir=None``, nothing is written.
    """

    def __init__(
        self, output_dir: str | Path | None, notebook_name: str, figure_formats=None
    ) -> None:
        self.root = None if output_dir is None else Path(output_dir)
        self.name = notebook_name
        self.formats = check_formats(FORMATS if figure_formats is None else figure_formats)
        self.not_estimable: list[dict[str, str]] = []
        self.headlines: list[dict[str, str | None]] = []
        self._said: list[str] = []

    def folder(self, kind: str) -> Path | None:
        """The output folder of ``kind`` (``figures``, ``tables``) for this notebook, created."""
        if self.root is None:
            return None
        folder = self.root / kind / self.name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def figure(self, fig, name: str, alt: str | None = None) -> None:
        """Show a figure on the page and save it in the figure formats (deterministic bytes;
        PNG, SVG and PDF unless ``figure_formats`` names fewer).

        The figure is displayed here and then closed, so it appears exactly once whatever the
        notebook front end does with open figures. Its image on the page carries ``alt`` as
        alternative text (by default the figure's title, :func:`figure_title`). Returns
        nothing, so that a cell ending with it shows no paths.
        """
        text = alt or figure_title(fig) or name.replace("-", " ")
        folder = self.folder("figures")
        if folder is not None:
            save_figure(fig, name, folder, formats=self.formats)
        display(fig, metadata={"image/png": {"alt": text}, FIGURE_NAME: name})
        plt.close(fig)

    def say(self, markdown: str) -> None:
        """Show a sentence on the page; a warning of the current section that only repeats
        what it says (its reason, after the first ``": "``) is then not shown again as a note."""
        self._said.append(markdown)
        display(Markdown(markdown))

    def table(self, frame, name: str) -> None:
        """Save a table as CSV, HTML, LaTeX and RTF."""
        folder = self.folder("tables")
        if folder is not None:
            write_table(frame, name, folder)

    def headline(self, table, figure: str | None = None) -> None:
        """Record the primary results of an endpoint table, which the report's index leads with.

        The sentences are :func:`acne_outcomes.narrative.headlines` of ``table`` (nothing when
        it has no primary visit); ``figure`` names the figure (as saved with :meth:`figure`)
        that shows them, which the index shows first. Written to ``headlines/NN-topic.json``.
        """
        for text in narrative.headlines(table):
            self.headlines.append({"text": text, "figure": figure})
        self._write(HEADLINES_DIR, self.headlines)

    @contextlib.contextmanager
    def section(self, title: str) -> Iterator[None]:
        """Run one analysis; if the data cannot support it, say so on the page and go on.

        Only :class:`~acne_outcomes.checks.NotEstimable` is caught: any other exception is a
        bug and fails the notebook (and the build), loudly. A warning the analysis gives (a fit
        that did not converge, a test that cannot be computed) is shown as a note on the page,
        in words, instead of a raw warning with its source file.
        """
        self._said = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            warnings.simplefilter("always", RuntimeWarning)
            try:
                yield
            except NotEstimable as reason:
                plt.close("all")  # a half-drawn figure of the abandoned analysis is not shown
                self.not_estimable.append({"section": title, "reason": str(reason)})
                display(Markdown(f"**Not estimable here:** {html.escape(str(reason))}"))
                self._write(NOT_ESTIMABLE_DIR, self.not_estimable)
        shown = [w for w in caught if issubclass(w.category, (UserWarning, RuntimeWarning))]
        for message in dict.fromkeys(str(w.message) for w in shown):
            reason = message.split(": ", 1)[-1].strip().rstrip(".")
            if any(reason in said for said in self._said):
                continue
            display(Markdown(f"**Note:** {html.escape(message)}"))

    def _write(self, kind: str, records: list) -> None:
        if self.root is None or not records:
            return
        folder = self.root / kind
        folder.mkdir(parents=True, exist_ok=True)
        text = json.dumps(records, indent=2, ensure_ascii=False)
        (folder / f"{self.name}.json").write_text(text + "\n", encoding="utf-8")


def figure_title(fig) -> str:
    """A figure's title: its suptitle, else the first axes title that is not empty, else ``""``.

    >>> fig, ax = plt.subplots(); _ = ax.set_title("Scar grade by visit")
    >>> figure_title(fig)
    'Scar grade by visit'
    >>> plt.close(fig)
    """
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None and suptitle.get_text().strip():
        return suptitle.get_text().strip()
    for ax in fig.axes:
        if ax.get_title().strip():
            return ax.get_title().strip()
    return ""


def open_study(
    data_path=None,
    *,
    scenario: str = "rct",
    seed: int = 0,
    n_subjects: int | None = None,
    **parameters,
):
    """The study a notebook analyses: the data package at ``data_path``, else a synthetic one.

    The report build always passes ``data_path`` (a validated package, real or generated
    once per build); run interactively with ``data_path=None``, a notebook simulates the
    scenario in memory, with any generator settings (``pih_effect=0``, ...) in ``parameters``.
    """
    if data_path is not None:
        return load_study(data_path)
    return simulate_study(scenario, n_subjects=n_subjects, seed=seed, **parameters)
