"""Our vectorized checks and the frictionless library agree on field-level errors.

validate.py is hand-written for speed (frictionless validates row by row in Python), but it is
driven by the same descriptor; on small bad packages both must flag the same cells.
"""

from __future__ import annotations

import pytest
from conftest import valid_tables
from frictionless import Package, system

from acne_outcomes import Study, StudyValidationError, load_study, save_study

FIELD_RULES = {"type", "required", "minimum", "maximum", "enum"}


def _frictionless_cells(folder):
    with system.use_context(trusted=True):
        report = Package(str(folder / "datapackage.json")).validate()
    cells = set()
    for task in report.tasks:
        for error in task.errors:
            if getattr(error, "field_name", None):
                cells.add((task.name, error.row_number, error.field_name))
    return cells


@pytest.mark.parametrize(
    ("table", "row", "column", "value"),
    [
        ("visits", 2, "comedones", "-4"),
        ("visits", 0, "scar_grade", "9"),
        ("subjects", 1, "age", "twenty"),
        ("subjects", 2, "sex", "other"),
        ("labs", 3, "test", ""),
        ("adverse_events", 1, "severity_grade", "0"),
    ],
)
def test_same_cells_flagged(tmp_path, table, row, column, value):
    folder = save_study(Study.from_tables(**valid_tables()), tmp_path / "package")
    path = folder / f"{table}.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[row + 1].split(",")
    cells[header.index(column)] = value
    lines[row + 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")

    theirs = _frictionless_cells(folder)
    with pytest.raises(StudyValidationError) as raised:
        load_study(folder)
    problems = raised.value.problems
    ours = {
        (item.table, int(item.row), item.column)
        for item in problems.itertuples()
        if item.rule in FIELD_RULES
    }
    assert ours == theirs
    assert ours == {(table, row + 2, column)}
