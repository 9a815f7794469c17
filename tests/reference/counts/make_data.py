"""Write counts_data.csv, the fixed input of the R reference (run once; kept for the record).

Run: .venv/bin/python tests/reference/counts/make_data.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261126)
n_subjects, months = 160, [3, 6, 9, 12]
arm = np.repeat(["comparator", "isotretinoin"], n_subjects // 2)
baseline = rng.negative_binomial(4, 4 / (4 + 25), n_subjects)
frailty = rng.gamma(2.0, 1 / 2.0, n_subjects)
rows = []
for i in range(n_subjects):
    for k, month in enumerate(months):
        ratio = 0.5 if arm[i] == "isotretinoin" else 0.9
        mean = (1 + baseline[i]) * ratio ** (k + 1) * frailty[i] * 0.9
        rows.append((i + 1, arm[i], month, baseline[i], rng.poisson(rng.gamma(3.0, mean / 3.0))))
frame = pd.DataFrame(rows, columns=["subject_id", "arm", "month", "baseline", "lesions"])
frame.to_csv(Path(__file__).with_name("counts_data.csv"), index=False)
