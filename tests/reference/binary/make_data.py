"""Write binary_data.csv, the fixed input of binary_reference.R (run once; kept for the record).

Run: .venv/bin/python tests/reference/binary/make_data.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261127)
n = 300
frame = pd.DataFrame(
    {
        "subject_id": np.arange(1, n + 1),
        "arm": rng.permutation(np.repeat(["comparator", "isotretinoin"], n // 2)),
        "site": rng.choice(["S1", "S2", "S3", "S4"], n),
        "baseline_iga": rng.integers(2, 5, n),
    }
)
site_effect = frame["site"].map({"S1": -0.5, "S2": 0.0, "S3": 0.4, "S4": 0.8})
logit = -0.4 + 1.0 * (frame["arm"] == "isotretinoin") - 0.5 * (frame["baseline_iga"] - 3)
frame["success"] = (rng.random(n) < 1 / (1 + np.exp(-(logit + site_effect)))).astype(int)
frame.to_csv(Path(__file__).with_name("binary_data.csv"), index=False)
