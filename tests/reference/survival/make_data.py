"""Write survival_data.csv (fixed input of survival_reference.R; run once, kept for the record).

Times are whole days with many ties, so Efron and Breslow differ.
Run: .venv/bin/python tests/reference/survival/make_data.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261129)
n = 200
frame = pd.DataFrame(
    {
        "subject_id": np.arange(1, n + 1),
        "arm": np.repeat(["comparator", "isotretinoin"], n // 2),
        "site": rng.choice(["S1", "S2", "S3"], n),
        "baseline_lesions": rng.integers(10, 60, n),
    }
)
rate = np.exp(
    np.log(1 / 150)
    + 0.6 * (frame["arm"] == "isotretinoin")
    - 0.01 * (frame["baseline_lesions"] - 30)
)
event_day = np.ceil(rng.exponential(1 / rate) / 7) * 7
censor_day = rng.choice([180, 270, 365], n)
frame["day"] = np.minimum(event_day, censor_day)
frame["cleared"] = (event_day <= censor_day).astype(int)
frame.to_csv(Path(__file__).with_name("survival_data.csv"), index=False)
