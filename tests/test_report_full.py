"""The real report: every notebook runs in a real kernel, the pages open in Chromium without
errors, two clean builds give identical figures and tables, and public mode leaks no IDs."""

from __future__ import annotations

import re

import pytest
from browser_check import check_report
from conftest import tree_digest

from acne_outcomes import load_study, save_study
from acne_outcomes.paths import PROJECT_ROOT
from acne_outcomes.report import ReportConfig, build_report, discover_notebooks

TOPICS = [
    "study-flow-and-baseline",
    "lesion-counts",
    "scar-severity",
    "pih",
    "safety",
    "missing-data-sensitivity",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    config = ReportConfig(out=root / "reports", synthetic_dir=root / "synthetic", jobs=2)
    return config, build_report(config, progress=False)


def test_notebooks_are_the_six_topics_with_stripped_outputs():
    notebooks = discover_notebooks(PROJECT_ROOT / "notebooks")
    assert [path.stem[3:] for path in notebooks] == TOPICS
    for path in notebooks:
        text = path.read_text()
        assert '"outputs": []' in text and '"execution_count": null' in text, (
            f"{path.name} has outputs"
        )
        assert '"parameters"' in text


def test_every_notebook_ran_and_produced_outputs(built):
    config, manifest = built
    out = config.out
    for stem, entry in manifest["notebooks"].items():
        assert entry["executed"] and (out / f"{stem}.html").is_file()
        assert entry["figures"] or entry["tables"], stem
        for name in entry["figures"] + entry["tables"]:
            assert (out / name).stat().st_size > 0
    figures = [name for entry in manifest["notebooks"].values() for name in entry["figures"]]
    assert {name.rsplit(".", 1)[1] for name in figures} == {"png", "svg", "pdf"}
    assert manifest["inputs"]["scenario"] == "rct" and manifest["inputs"]["n_subjects"] == 266
    assert manifest["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}", manifest["git_commit"])


def test_report_opens_in_chromium(built, tmp_path):
    config, _ = built
    shots = PROJECT_ROOT / "build" / "screenshots" / "report"  # kept for inspection (git-ignored)
    result = check_report(config.out, shots, tmp_path)
    assert result["problems"] == []
    pages = {url.rsplit("/", 1)[1] for url in result["visited"]}
    assert {f"{path.stem}.html" for path in discover_notebooks(PROJECT_ROOT / "notebooks")} <= pages
    assert "data-dictionary.html" in pages


def _outputs(folder):
    return {
        name: digest
        for name, digest in tree_digest(folder).items()
        if name.startswith(("figures/", "tables/"))
    }


def test_two_clean_builds_are_byte_identical(built, tmp_path):
    config, _ = built
    again = ReportConfig(out=tmp_path / "reports", synthetic_dir=tmp_path / "synthetic", jobs=2)
    build_report(again, progress=False)
    first, second = _outputs(config.out), _outputs(again.out)
    assert len(first) > 30
    assert first == second


def test_public_build_of_real_data_has_no_subject_ids(built, tmp_path):
    config, _ = built
    source = next(config.synthetic_dir.iterdir())
    study = load_study(source)
    study.truth = None  # treat it as real data
    data = save_study(study, tmp_path / "mystudy")
    public = ReportConfig(
        data=data,
        out=tmp_path / "public",
        public=True,
        jobs=2,
        processed_dir=tmp_path / "processed",
    )
    manifest = build_report(public, progress=False)
    assert manifest["public"] is True
    ids = set(study.subjects["subject_id"])
    leaks = []
    for path in public.out.rglob("*"):
        if path.is_file() and path.suffix in {
            ".html",
            ".csv",
            ".tex",
            ".svg",
            ".json",
            ".md",
            ".ipynb",
        }:
            found = ids & set(
                re.findall(r"S\d{6}", path.read_text(encoding="utf-8", errors="replace"))
            )
            if found:
                leaks.append(f"{path.relative_to(public.out)}: {sorted(found)[:3]}")
    assert leaks == []
    table_one = (public.out / "tables" / "01-study-flow-and-baseline" / "table-1.csv").read_text()
    assert "*" in table_one  # small cells are suppressed in public mode


def test_the_index_leads_with_the_primary_results_of_the_tables(built):
    """Each primary result on the index is the primary row of a table its page saved."""
    import csv
    import html

    config, manifest = built
    index = (config.out / "index.html").read_text(encoding="utf-8")
    assert index.index("<h2>Primary results</h2>") < index.index('<div class="section">')
    listed = re.findall(r"<li>(.*?) <a ", index.split("<h2>Primary results</h2>", 1)[1])
    recorded = [(stem, item) for stem, entry in manifest["notebooks"].items()
                for item in entry["headlines"]]  # fmt: skip
    assert [html.unescape(text) for text in listed[: len(recorded)]] == [
        item["text"] for _, item in recorded
    ]
    # lesions (percent change), scars (grade and ECCA), PIH
    assert [stem for stem, _ in recorded] == ["02-lesion-counts", "03-scar-severity",
                                              "03-scar-severity", "04-pih"]  # fmt: skip
    for stem, item in recorded:
        rows = []
        for name in manifest["notebooks"][stem]["tables"]:
            if name.endswith(".csv"):
                with (config.out / name).open(encoding="utf-8") as handle:
                    rows += [row for row in csv.DictReader(handle)
                             if row.get("Visit", "").endswith("(primary)") and row.get("p")]  # fmt: skip
        matching = [
            row for row in rows
            if item["text"].startswith(row["Outcome"] + " at ")
            and row["Estimate (95% CI)"].split(" (")[0] in item["text"]
            and row["Estimate (95% CI)"].split(" (")[1].rstrip(")") in item["text"]
            and row["p"].replace("<", "< ") in item["text"] and f"n = {row['n']}" in item["text"]
        ]  # fmt: skip
        assert len(matching) == 1, item["text"]
    assert manifest["notebooks"]["04-pih"]["headlines"][0]["figure"] == "pih-means"
    assert 'src="figures/04-pih/pih-means.png"' in index  # the primary result's figure is shown
