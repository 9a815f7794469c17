"""The human-readable data dictionary (Markdown and HTML), generated from ``datapackage.json``.

Never written by hand: ``acne-outcomes dictionary --out DIR`` (and ``make report``) writes
``data-dictionary.md`` and ``data-dictionary.html`` from the descriptor.
"""

from __future__ import annotations

import html
from pathlib import Path

from acne_outcomes import standard


def _constraints(item: dict) -> str:
    constraints = item.get("constraints", {})
    parts = ["required" if constraints.get("required") else "may be empty"]
    if "minimum" in constraints or "maximum" in constraints:
        parts.append(f"{constraints.get('minimum', '-inf')} to {constraints.get('maximum', 'inf')}")
    if item.get("categories") is not None:
        labels = [
            f"{entry['value']} = {entry['label']}" if isinstance(entry, dict) else str(entry)
            for entry in item["categories"]
        ]
        order = " < " if item.get("categoriesOrdered") else ", "
        parts.append(
            ("ordered: " if item.get("categoriesOrdered") else "one of: ") + order.join(labels)
        )
    elif "enum" in constraints:
        parts.append("one of: " + ", ".join(map(str, constraints["enum"])))
    if item.get("optionalColumn"):
        parts.append("column may be absent")
    if item.get("family"):
        parts.append(f"outcome family: {item['family']}")
    if item.get("visitColumn"):
        limits = ", ".join(
            f"{column['name']} (to {column['maximum']})" for column in item["visitColumn"].values()
        )
        parts.append(f"named for the design's visit unit: {limits}")
    return "; ".join(parts)


def dictionary_rows(table: str) -> list[dict[str, str]]:
    """One dict per field: name, label (the ``title`` tables and figures show), type, unit,
    constraints, description, source."""
    return [
        {
            "column": " / ".join(column["name"] for column in item["visitColumn"].values())
            if item.get("visitColumn")
            else item["name"],
            "label": item.get("title", ""),
            "type": item["type"],
            "unit": item.get("unit", ""),
            "constraints": _constraints(item),
            "description": item["description"],
            "source": item.get("source", ""),
        }
        for item in standard.fields(table)
    ]


def design_rows() -> list[dict[str, str]]:
    """One dict per property of the design a study declares: name, type, description."""
    schema = standard.descriptor()["designSchema"]
    return [
        {"property": name, "type": spec["type"], "description": spec["description"]}
        for name, spec in schema["properties"].items()
    ]


def _keys(table: str) -> str:
    schema = standard.resource(table)["schema"]
    text = f"Primary key: {', '.join(schema['primaryKey'])}."
    for foreign in schema.get("foreignKeys", []):
        reference = foreign["reference"]
        text += f" Foreign key: {', '.join(foreign['fields'])} → {reference['resource']}."
    return text


def to_markdown() -> str:
    """The data dictionary as Markdown.

    Examples
    --------
    >>> "| fitzpatrick | Fitzpatrick skin type | string |" in to_markdown()
    True
    """
    package = standard.descriptor()
    lines = [
        f"# {package['title']} — data dictionary",
        "",
        f"Generated from `src/acne_outcomes/standard/datapackage.json` (version {package['version']}); "
        "do not edit by hand.",
        "",
        package["description"],
        "",
    ]
    for table in standard.TABLES:
        resource = standard.resource(table)
        lines += [
            f"## `{table}` — {resource['title']}",
            "",
            resource["description"],
            "",
            _keys(table),
            "",
        ]
        lines += [
            "| column | label | type | unit | constraints | description | source |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in dictionary_rows(table):
            cells = [cell.replace("|", "\\|") for cell in row.values()]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    schema = package["designSchema"]
    lines += ["## The study's design", "", schema["description"], "",
              "| property | type | description |", "|---|---|---|"]  # fmt: skip
    for row in design_rows():
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row.values()) + " |")
    lines.append("")
    return "\n".join(lines)


def to_html() -> str:
    """The data dictionary as a standalone HTML page."""
    package = standard.descriptor()
    escape = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(package['title'])} — data dictionary</title>",
        '<link rel="icon" href="data:,">',
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem}"
        "table{border-collapse:collapse;width:100%;margin-bottom:2rem}"
        "th,td{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}"
        "th{background:#f2f2f2}code{font-size:.95em}</style></head><body>",
        f"<h1>{escape(package['title'])} — data dictionary</h1>",
        f"<p>Generated from <code>datapackage.json</code> (version {escape(package['version'])}); "
        "do not edit by hand.</p>",
        f"<p>{escape(package['description'])}</p>",
    ]
    for table in standard.TABLES:
        resource = standard.resource(table)
        parts += [
            f'<h2 id="{table}"><code>{table}</code> — {escape(resource["title"])}</h2>',
            f"<p>{escape(resource['description'])} {escape(_keys(table))}</p>",
            "<table><thead><tr>"
            + "".join(
                f"<th>{name}</th>"
                for name in (
                    "column",
                    "label",
                    "type",
                    "unit",
                    "constraints",
                    "description",
                    "source",
                )
            )
            + "</tr></thead><tbody>",
        ]
        for row in dictionary_rows(table):
            cells = [f"<td><code>{escape(row['column'])}</code></td>"]
            cells += [f"<td>{escape(value)}</td>" for key, value in row.items() if key != "column"]
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</tbody></table>")
    schema = package["designSchema"]
    parts += [
        '<h2 id="design">The study\'s design</h2>',
        f"<p>{escape(schema['description'])}</p>",
        "<table><thead><tr><th>property</th><th>type</th><th>description</th></tr></thead><tbody>",
    ]
    for row in design_rows():
        parts.append(
            f"<tr><td><code>{escape(row['property'])}</code></td><td>{escape(row['type'])}</td>"
            f"<td>{escape(row['description'])}</td></tr>"
        )
    parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_dictionary(folder) -> list[Path]:
    """Write ``data-dictionary.md`` and ``data-dictionary.html`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (("data-dictionary.md", to_markdown()), ("data-dictionary.html", to_html())):
        target = folder / name
        staging = folder / f".{name}.tmp"
        staging.write_text(text, encoding="utf-8")
        staging.replace(target)
        written.append(target)
    return written
