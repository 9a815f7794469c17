"""Write safety_subjects.csv and safety_events.csv (input of safety_reference.R; run once).

Run: .venv/bin/python tests/reference/safety/make_data.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261130)
n = 120
subjects = pd.DataFrame(
    {
        "subject_id": [f"S{i:03d}" for i in range(n)],
        "arm": np.repeat(["comparator", "isotretinoin"], n // 2),
        "exposure_days": rng.integers(60, 170, n),
    }
)
risk = {
    "cheilitis": (0.1, 0.7),
    "xerosis": (0.05, 0.4),
    "headache": (0.1, 0.12),
    "myalgia": (0.0, 0.1),
}
rows = []
for _, subject in subjects.iterrows():
    treated = subject["arm"] == "isotretinoin"
    for term, (p0, p1) in risk.items():
        for _ in range(rng.poisson(1.3) * (rng.random() < (p1 if treated else p0))):
            rows.append((subject["subject_id"], term, int(rng.integers(1, 4))))
events = pd.DataFrame(rows, columns=["subject_id", "term", "severity_grade"])
# onset day within the subject's exposure, from a generator of its own so that the columns
# above are those the reference had before onsets were added
onset_rng = np.random.default_rng(20261131)
exposure = events["subject_id"].map(subjects.set_index("subject_id")["exposure_days"])
events["onset_day"] = onset_rng.integers(1, exposure.to_numpy() + 1)
here = Path(__file__).parent
subjects.to_csv(here / "safety_subjects.csv", index=False)
events.to_csv(here / "safety_events.csv", index=False)
