"""Write ordinal_data.csv (fixed input of ordinal_reference.R; run once, kept for the record).

Run: .venv/bin/python tests/reference/ordinal/make_data.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261128)
n = 240
subjects = pd.DataFrame(
    {
        "subject_id": np.arange(1, n + 1),
        "arm": np.repeat(["comparator", "isotretinoin"], n // 2),
        "baseline_grade": rng.integers(1, 5, n),
    }
)
frailty = rng.normal(0, 0.8, n)
rows = []
for month in (3, 6, 12):
    latent = (
        subjects["baseline_grade"]
        - 0.15 * month * (subjects["arm"] == "isotretinoin")
        + frailty
        + rng.logistic(size=n)
    )
    grade = np.digitize(latent, [0.5, 1.8, 3.0, 4.2])
    rows.append(subjects.assign(month=month, scar_grade=grade))
pd.concat(rows).sort_values(["subject_id", "month"]).to_csv(
    Path(__file__).with_name("ordinal_data.csv"), index=False
)
