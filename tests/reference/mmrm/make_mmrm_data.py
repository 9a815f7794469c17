"""Write the small reference data sets used by ``make_reference.R`` and ``test_mmrm.py``.

Run from the project root: ``.venv/bin/python tests/reference/mmrm/make_mmrm_data.py``.
The data come from a fixed seed, so re-running rewrites identical files.

* ``complete.csv``: 60 subjects, 2 arms, 4 visits, every visit observed, a numeric
  covariate ``age`` and a ``baseline`` value.
* ``dropout.csv``: 80 subjects, 2 arms, 5 visits, MAR dropout (depending on the last
  observed value) plus some intermittently missed visits (absent rows and explicit NaN
  outcomes), covariates ``age`` (numeric) and ``sex`` (categorical), and ``baseline``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def _trial(rng, n_subjects, visits, dropout):
    n_visits = len(visits)
    arm = np.where(np.arange(n_subjects) % 2 == 0, "isotretinoin", "comparator")
    age = rng.normal(20, 4, n_subjects).round(1)
    sex = rng.choice(["F", "M"], n_subjects)
    baseline = rng.normal(30, 6, n_subjects).round(2)
    correlation = 0.6 ** np.abs(np.subtract.outer(np.arange(n_visits), np.arange(n_visits)))
    sd = np.linspace(4, 7, n_visits)
    covariance = correlation * np.outer(sd, sd)
    noise = rng.multivariate_normal(np.zeros(n_visits), covariance, n_subjects)
    effect = np.where(arm == "isotretinoin", -1.2, -0.4)[:, None] * np.arange(1, n_visits + 1)
    outcome = 0.7 * baseline[:, None] + 0.1 * age[:, None] + (sex == "M")[:, None] + effect
    outcome = (outcome + noise).round(3)
    rows = []
    for index in range(n_subjects):
        for position, month in enumerate(visits):
            if dropout and position > 0 and outcome[index, position - 1] > 22:
                if rng.random() < 0.3:
                    break
            value = outcome[index, position]
            if dropout and rng.random() < 0.06:
                if rng.random() < 0.5:
                    continue
                value = np.nan
            rows.append(
                (f"S{index:03d}", arm[index], month, age[index], sex[index], baseline[index], value)
            )
    columns = ["subject", "arm", "month", "age", "sex", "baseline", "inflammatory"]
    return pd.DataFrame(rows, columns=columns)


def main():
    rng = np.random.default_rng(20260401)
    _trial(rng, 60, [1, 3, 6, 12], dropout=False).to_csv(HERE / "complete.csv", index=False)
    _trial(rng, 80, [1, 2, 3, 6, 12], dropout=True).to_csv(HERE / "dropout.csv", index=False)


if __name__ == "__main__":
    main()
