"""The data standard: a valid Frictionless descriptor, complete field metadata, generated dictionary."""

from __future__ import annotations

import json

import pytest
from frictionless import Package

from acne_outcomes import standard
from acne_outcomes.cli import main as cli
from acne_outcomes.standard.render import to_html, to_markdown

ORDINAL = {
    ("subjects", "fitzpatrick"): ["I", "II", "III", "IV", "V", "VI"],
    ("subjects", "baseline_iga"): [0, 1, 2, 3, 4],
    ("visits", "iga"): [0, 1, 2, 3, 4],
    ("visits", "scar_grade"): [0, 1, 2, 3, 4],
}


def test_descriptor_is_a_valid_data_package():
    errors = list(Package.metadata_validate(standard.descriptor()))
    assert errors == []
    assert standard.TABLES == tuple(item["name"] for item in standard.descriptor()["resources"])


@pytest.mark.parametrize("table", standard.TABLES)
def test_every_field_is_fully_described(table):
    for item in standard.fields(table):
        assert item["type"] in {"string", "integer", "number", "boolean"}, item["name"]
        assert len(item["description"]) > 10, item["name"]
        assert item.get("source"), f"{table}.{item['name']} has no source note"
        assert "constraints" in item or item.get("optionalColumn"), item["name"]
        if item["type"] in ("integer", "number") and item.get("categories") is None:
            constraints = item.get("constraints", {})
            assert "minimum" in constraints and "maximum" in constraints, item["name"]
    assert standard.primary_key(table)
    if table != "subjects":
        foreign = standard.resource(table)["schema"]["foreignKeys"]
        assert foreign[0]["reference"] == {"resource": "subjects", "fields": ["subject_id"]}


@pytest.mark.parametrize(("key", "order"), list(ORDINAL.items()))
def test_ordinal_fields_are_ordered_categories(key, order):
    item = standard.field(*key)
    assert standard.is_ordinal(item)
    dtype = standard.pandas_dtype(item)
    assert dtype.ordered and list(dtype.categories) == order


def test_assumptions_are_marked():
    sources = [item["source"] for table in standard.TABLES for item in standard.fields(table)]
    assert any("assumption" in source for source in sources)
    assert "assumption" in standard.field("visits", "pih_index")["source"]


def test_unknown_names_raise_clear_errors():
    with pytest.raises(ValueError, match="the standard has"):
        standard.resource("patients")
    with pytest.raises(ValueError, match="fields are"):
        standard.field("visits", "papules")


def test_dictionary_lists_every_field_and_is_generated(tmp_path, capsys):
    markdown, page = to_markdown(), to_html()
    for table in standard.TABLES:
        for name in standard.field_names(table):
            shown = "month / week / day" if name == "month" else name
            assert f"| {shown} |" in markdown
            assert f"<code>{shown}</code>" in page
    assert "0 = clear < 1 = almost clear" in markdown
    for name in standard.descriptor()["designSchema"]["properties"]:
        assert f"| {name} |" in markdown and f"<code>{name}</code>" in page
    assert cli(["dictionary", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "data-dictionary.md").read_text(encoding="utf-8") == markdown
    assert (tmp_path / "data-dictionary.html").read_text(encoding="utf-8") == page


def test_descriptor_file_is_plain_json():
    text = standard.STANDARD_DESCRIPTOR.read_text(encoding="utf-8")
    assert json.loads(text)["profile"] == "tabular-data-package"
