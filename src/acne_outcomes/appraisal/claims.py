"""The claims ledger: the promotional article's claims, paraphrased, stored as data.

``claims.json`` (beside this module) holds one record per claim: the paraphrased claim, what it
implies, the study design that could support it, which simulation shows what naive evidence
would look like, an evidence grade with reasons, and red flags. The claims are objects of
appraisal, never statements of fact.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pandas as pd

CLAIMS_FILE = Path(__file__).with_name("claims.json")
COLUMNS = ("id", "claim", "implies", "design_needed", "simulation", "grade", "reasons", "red_flags")


@cache
def _ledger() -> dict:
    return json.loads(CLAIMS_FILE.read_text(encoding="utf-8"))


def grades() -> dict[str, str]:
    """The evidence grades and what each means."""
    return dict(_ledger()["grades"])


def claims_ledger() -> pd.DataFrame:
    """The ledger as a DataFrame, one row per claim (``red_flags`` joined with "; ").

    Examples
    --------
    >>> ledger = claims_ledger()
    >>> ledger.columns.tolist()[:3], ledger["grade"].isin(grades()).all()
    (['id', 'claim', 'implies'], np.True_)
    """
    records = _ledger()["claims"]
    for record in records:
        missing = set(COLUMNS) - set(record)
        if missing:
            raise ValueError(f"claim {record.get('id')} lacks {sorted(missing)}")
        if record["grade"] not in _ledger()["grades"]:
            raise ValueError(f"claim {record['id']}: unknown grade {record['grade']!r}")
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    frame["red_flags"] = frame["red_flags"].map("; ".join)
    frame["simulation"] = frame["simulation"].map(
        lambda item: (
            ""
            if item is None
            else f"{item['scenario']}: {item['estimand']} (lesson {item['lesson']})"
        )
    )
    return frame


def source_note() -> str:
    """Where the claims come from (and that they are paraphrased)."""
    return _ledger()["source"]
