"""Every project path, in one place."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
STANDARD_DESCRIPTOR = PACKAGE_DIR / "standard" / "datapackage.json"

# The project checkout (valid when the package is installed in editable mode from a clone).
PROJECT_ROOT = PACKAGE_DIR.parent.parent
DATA_DIR = PROJECT_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
PROCESSED_DIR = DATA_DIR / "processed"
SYNTHETIC_DIR = DATA_DIR / "synthetic"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
REPORTS_DIR = PROJECT_ROOT / "reports"

# Names the notebooks' outputs (acne_outcomes.runtime) and the report build
# (acne_outcomes.report) share: the folders where each notebook records what was not
# estimable and its primary results, and the metadata key of a figure output naming the file
# the figure was saved as.
NOT_ESTIMABLE_DIR = "not-estimable"
HEADLINES_DIR = "headlines"
FIGURE_NAME = "acne_outcomes_figure"
