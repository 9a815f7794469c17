"""The claims ledger: the promotional article's claims, paraphrased, stored as data.

``claims.json`` (beside this module) holds one record per claim: the paraphrased claim, what it
implies, the study design that could support it, the evidence we hold for it and its
**certainty** on the scale of the GRADE approach (GRADE Working Group) — high, moderate, low or
very low — with the starting point of that evidence and each reason for rating it down (risk of
bias, inconsistency, indirectness, imprecision, publication bias) or up, its red flags, the
lesson that teaches its pitfall and, where the generator can show it, a simulation of what
naive evidence for it looks like. What is not a claim about the drug — the article's sales
link, where it was published, its hype words — is listed as the article's own red flags and is
not graded. The claims are objects of appraisal, never statements of fact.

The stated certainty of every claim is checked against its ratings (:func:`certainty_from`):
the evidence's starting level, one level down per "serious" and two per "very serious"
concern, one up per reason for rating up, within high … very low.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pandas as pd

CLAIMS_FILE = Path(__file__).with_name("claims.json")
LEVELS = ("very low", "low", "moderate", "high")  # lowest first: a level's index is its rank
DOMAINS_DOWN = ("risk of bias", "inconsistency", "indirectness", "imprecision", "publication bias")
DOMAINS_UP = ("large effect", "dose-response gradient", "opposing plausible confounding")
COLUMNS = (
    "id",
    "claim",
    "implies",
    "design_needed",
    "evidence",
    "start",
    "rated_down",
    "rated_up",
    "certainty",
    "sources",
    "lesson",
    "report_page",
    "simulation",
    "red_flags",
)
LESSON_TITLES = {
    "01-before-after": "lesson 1, before-after without a control group",
    "02-regression-to-the-mean": "lesson 2, regression to the mean",
    "03-dropout": "lesson 3, dropout",
    "04-confounding": "lesson 4, confounding by indication",
    "05-multiplicity-and-subgroups": "lesson 5, multiplicity and subgroups",
    "06-small-samples": "lesson 6, small samples",
    "07-outcome-measures": "lesson 7, outcome measures",
    "08-claims-ledger": "lesson 8, the claims ledger",
}


@cache
def _ledger() -> dict:
    ledger = json.loads(CLAIMS_FILE.read_text(encoding="utf-8"))
    _check(ledger)
    return ledger


def _check(ledger: dict) -> None:
    """Every claim complete, on the scale, with known flags, and its certainty as rated."""
    scale = ledger["scale"]
    if tuple(scale["levels"]) != LEVELS[::-1]:
        raise ValueError(f"the certainty levels must be {list(LEVELS[::-1])}")
    if tuple(scale["rating_down"]) != DOMAINS_DOWN or tuple(scale["rating_up"]) != DOMAINS_UP:
        raise ValueError("the reasons for rating down and up must be GRADE's")
    for record in ledger["claims"]:
        missing = set(COLUMNS) - set(record)
        if missing:
            raise ValueError(f"claim {record.get('id')} lacks {sorted(missing)}")
        unknown = set(record["red_flags"]) - set(ledger["red_flags"])
        if unknown:
            raise ValueError(f"claim {record['id']}: unknown red flags {sorted(unknown)}")
        stated = record["certainty"]
        computed = certainty_from(record["start"], record["rated_down"], record["rated_up"], scale)
        if stated != computed:
            raise ValueError(
                f"claim {record['id']}: certainty {stated!r}, but its ratings give {computed!r}"
            )


def scale() -> dict:
    """The certainty scale: its levels (with GRADE's meanings), starting points and reasons.

    >>> list(scale()["levels"])
    ['high', 'moderate', 'low', 'very low']
    >>> list(scale()["rating_down"])
    ['risk of bias', 'inconsistency', 'indirectness', 'imprecision', 'publication bias']
    """
    return _ledger()["scale"]


def certainty_from(start: str, rated_down, rated_up, scale: dict | None = None) -> str:
    """The certainty a body of evidence reaches from its starting point and its ratings.

    Each concern rated down costs one level when "serious" and two when "very serious"; each
    reason for rating up adds its ``levels`` (default one); the result stays within very
    low … high.

    Examples
    --------
    >>> certainty_from("randomised trials", [{"domain": "imprecision", "seriousness": "serious"}], [])
    'moderate'
    >>> certainty_from("randomised trials", [{"domain": "indirectness",
    ...     "seriousness": "very serious"}, {"domain": "inconsistency", "seriousness": "serious"}], [])
    'very low'
    >>> certainty_from("observational studies", [], [{"domain": "large effect"}])
    'moderate'
    """
    scale = scale or _ledger()["scale"]
    if start not in scale["start"]:
        raise ValueError(f"unknown starting point {start!r}; allowed: {list(scale['start'])}")
    rank = LEVELS.index(scale["start"][start]["level"])
    for item in rated_down:
        if item["domain"] not in DOMAINS_DOWN:
            raise ValueError(f"unknown reason for rating down {item['domain']!r}")
        rank -= scale["seriousness"][item["seriousness"]]
    for item in rated_up:
        if item["domain"] not in DOMAINS_UP:
            raise ValueError(f"unknown reason for rating up {item['domain']!r}")
        rank += int(item.get("levels", 1))
    return LEVELS[min(max(rank, 0), len(LEVELS) - 1)]


def claims_records() -> list[dict]:
    """The claim records as stored (a fresh copy).

    >>> [record["id"] for record in claims_records()]
    ['C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C7', 'C8']
    """
    return json.loads(json.dumps(_ledger()["claims"]))


def rated_down_text(record: dict) -> str:
    """The reasons a claim's evidence was rated down, as one phrase ("" if none).

    >>> rated_down_text({"rated_down": [{"domain": "imprecision", "seriousness": "serious",
    ...                                  "reason": "few patients"}]})
    'imprecision, serious — few patients'
    """
    return "; ".join(
        f"{item['domain']}, {item['seriousness']} — {item['reason']}"
        for item in record["rated_down"]
    )


def claims_ledger() -> pd.DataFrame:
    """The ledger as a DataFrame, one row per claim, every field as text.

    ``rated_down`` lists the domains rated down (their reasons are in :func:`ledger_markdown`),
    ``red_flags`` and ``sources`` are joined with "; ", ``simulation`` names the simulated
    design ("" for none).

    Examples
    --------
    >>> ledger = claims_ledger()
    >>> ledger.columns.tolist()[:3], ledger["certainty"].isin(LEVELS).all()
    (['id', 'claim', 'implies'], np.True_)
    """
    records = claims_records()
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    frame["rated_down"] = [
        "; ".join(f"{item['domain']} ({item['seriousness']})" for item in record["rated_down"])
        for record in records
    ]
    frame["rated_up"] = [
        "; ".join(item["domain"] for item in record["rated_up"]) for record in records
    ]
    for column in ("red_flags", "sources"):
        frame[column] = frame[column].map("; ".join)
    frame["lesson"] = frame["lesson"].fillna("")
    frame["report_page"] = frame["report_page"].fillna("")
    frame["simulation"] = frame["simulation"].map(
        lambda item: "" if item is None else f"{item['scenario']}: {item['compares']}"
    )
    return frame


def ledger_summary() -> pd.DataFrame:
    """The ledger in one table for readers: claim, certainty, why, red flags.

    >>> ledger_summary().columns.tolist()
    ['Claim', 'What the article says (paraphrased)', 'Certainty (GRADE)', 'Rated down for', 'Red flags']
    """
    ledger = claims_ledger()
    return pd.DataFrame({
        "Claim": ledger["id"],
        "What the article says (paraphrased)": ledger["claim"].str.replace(
            "^The article (says|lists) ", "", regex=True),
        "Certainty (GRADE)": ledger["certainty"],
        "Rated down for": ledger["rated_down"].replace("", "—"),
        "Red flags": ledger["red_flags"].replace("", "—"),
    })  # fmt: skip


def _where(record: dict, lesson_link: bool) -> str:
    if record["lesson"]:
        title = LESSON_TITLES.get(record["lesson"], record["lesson"])
        return f"[{title}]({record['lesson']}.html)" if lesson_link else title
    if record["report_page"]:
        return f"the report's page `{record['report_page']}` (the study's adverse events)"
    return "—"


def claim_markdown(record: dict, *, lesson_link: bool = True) -> str:
    """One claim as a reader sees it: what it implies, the design, its certainty and why.

    Examples
    --------
    >>> text = claim_markdown(claims_records()[6], lesson_link=False)
    >>> "**Certainty of the evidence (GRADE): moderate.**" in text, "imprecision, serious" in text
    (True, True)
    """
    start = _ledger()["scale"]["start"][record["start"]]
    lines = [
        f"**{record['id']}.** {record['claim']}",
        "",
        f"- *What it implies:* {record['implies']}",
        f"- *Design that could support it:* {record['design_needed']}",
        f"- *Evidence we hold:* {record['evidence']}",
        f"- **Certainty of the evidence (GRADE): {record['certainty']}.** Starting point: "
        f"{record['start']} ({start['level']})"
        + ("; rated down for:" if record["rated_down"] else "; not rated down."),
    ]
    lines += [
        f"    - {item['domain']}, {item['seriousness']}: {item['reason']}"
        for item in record["rated_down"]
    ]
    if record["rated_up"]:
        lines.append("  Rated up for:")
        lines += [f"    - {item['domain']}: {item['reason']}" for item in record["rated_up"]]
    lines += [
        "- *Red flags:* " + ("; ".join(record["red_flags"]) or "none"),
        "- *Sources (docs/references.md):* "
        + ("; ".join(record["sources"]) or "none identifiable"),
        f"- *Where the lab shows the pitfall:* {_where(record, lesson_link)}",
    ]
    return "\n".join(lines)


def ledger_markdown(*, lesson_links: bool = True) -> str:
    """Every claim as :func:`claim_markdown`, separated by rules.

    >>> ledger_markdown(lesson_links=False).count("Certainty of the evidence (GRADE)")
    8
    """
    return "\n\n---\n\n".join(
        claim_markdown(record, lesson_link=lesson_links) for record in claims_records()
    )


def article_flags() -> list[dict]:
    """The article's own red flags — not claims, not graded: sales link, venue, hype words.

    >>> [item["flag"] for item in article_flags()]
    ['sales link', 'press-release site', 'hype language']
    """
    return json.loads(json.dumps(_ledger()["article_flags"]))


def article_flags_markdown() -> str:
    """The article's own red flags as a Markdown list (the hype words quoted).

    >>> "'transformative'" in article_flags_markdown()
    True
    """
    lines = []
    for item in article_flags():
        terms = item.get("terms")
        quoted = f" ({', '.join(repr(term) for term in terms)})" if terms else ""
        lines.append(f"- **{item['flag']}**{quoted}: {item['detail']}")
    return "\n".join(lines)


def hype_terms(text: str) -> list[dict]:
    """The hype words in ``text``, each with why it is a red flag, in order of appearance.

    Examples
    --------
    >>> [item["word"] for item in hype_terms("A transformative drug that ensures skin heals")]
    ['transformative', 'ensures']
    >>> hype_terms("Lesion counts fell by a third in both arms.")
    []
    """
    found = []
    for pattern, why in _ledger()["hype_terms"].items():
        for match in re.finditer(r"\b\w*" + pattern + r"\w*", text, flags=re.IGNORECASE):
            found.append({"word": match.group(), "why": why, "position": match.start()})
    found.sort(key=lambda item: item["position"])
    return [{"word": item["word"], "why": item["why"]} for item in found]


def certainty_table() -> pd.DataFrame:
    """The four levels of certainty with their meanings and the number of claims at each.

    >>> certainty_table()["Certainty"].tolist()
    ['high', 'moderate', 'low', 'very low']
    """
    counts = claims_ledger()["certainty"].value_counts()
    levels = _ledger()["scale"]["levels"]
    return pd.DataFrame({
        "Certainty": list(levels), "Meaning (the GRADE approach)": list(levels.values()),
        "Claims": [int(counts.get(level, 0)) for level in levels],
    })  # fmt: skip


def reasons_table() -> pd.DataFrame:
    """The reasons for rating evidence down and up, with the claims rated down for each.

    >>> reasons_table()["Reason"].tolist()[:2]
    ['risk of bias', 'inconsistency']
    """
    records = claims_records()
    rows = []
    for direction, key in (("down", "rating_down"), ("up", "rating_up")):
        for domain, meaning in _ledger()["scale"][key].items():
            rated = [record["id"] for record in records
                     if domain in {item["domain"] for item in record[f"rated_{direction}"]}]  # fmt: skip
            rows.append({"Rates": direction, "Reason": domain, "Meaning": meaning,
                         "Claims": ", ".join(rated) or "—"})  # fmt: skip
    return pd.DataFrame(rows)


def source_note() -> str:
    """Where the claims come from (and that they are paraphrased)."""
    return _ledger()["source"]
