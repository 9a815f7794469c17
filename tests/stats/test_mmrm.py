"""Tests of acne_outcomes.stats.mmrm: nlme references, dense-formula and Satterthwaite checks,
truth recovery under MAR dropout, argument checks.

The expected values in tests/reference/mmrm/expected.csv were written by
``Rscript tests/reference/mmrm/make_reference.R`` (nlme::gls, REML) from the CSVs written by
``python tests/reference/mmrm/make_mmrm_data.py``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from acne_outcomes.stats.mmrm import COVARIANCE_STRUCTURES, MMRMConvergenceWarning, mmrm

REFERENCE = Path(__file__).parents[1] / "reference" / "mmrm"
COLUMNS = {"outcome": "inflammatory", "subject": "subject", "visit": "month", "arm": "arm"}
COVARIATES = {"complete": ("age",), "dropout": ("age", "sex")}


@pytest.fixture(scope="module")
def expected():
    return pd.read_csv(REFERENCE / "expected.csv")


def _reference_data(dataset):
    return pd.read_csv(REFERENCE / f"{dataset}.csv")


def _fit(dataset, covariance="unstructured", **options):
    return mmrm(
        _reference_data(dataset),
        **COLUMNS,
        covariates=COVARIATES[dataset],
        baseline="baseline",
        reference="comparator",
        covariance=covariance,
        **options,
    )


@pytest.mark.parametrize("covariance", COVARIANCE_STRUCTURES)
@pytest.mark.parametrize("dataset", ["complete", "dropout"])
def test_matches_nlme_gls(expected, dataset, covariance):
    fit = _fit(dataset, covariance)
    assert fit.converged
    rows = expected.loc[(expected["dataset"] == dataset) & (expected["covariance"] == covariance)]
    mine = fit.estimates.set_index(["contrast", "visit"])
    for quantity in ("estimate", "se"):
        reference = rows.loc[rows["quantity"] == quantity].set_index(["contrast", "visit"])
        assert len(reference) == len(mine)
        ours = mine.loc[list(reference.index), quantity].to_numpy(dtype=float)
        assert_allclose(ours, reference["value"], rtol=1e-4, atol=1e-6)
    value = rows.set_index("quantity")["value"]
    # nlme's logLik omits +log|X'X|/2 (coding dependent); R wrote that term beside it.
    assert_allclose(
        fit.log_likelihood, value["loglik"] + value["half_logdet_xtx"], rtol=1e-8, atol=0
    )
    satterthwaite = rows.loc[rows["quantity"] == "df_satterthwaite"]
    if covariance == "unstructured":
        # R: 2 v^2 / (g' H^-1 g) with stats::optimHess in nlme's parameters (see the script)
        reference = satterthwaite.set_index(["contrast", "visit"])["value"]
        order = pd.MultiIndex.from_frame(fit.estimates[["contrast", "visit"]].astype(object))
        ours = pd.Series(fit.degrees_of_freedom, index=order).loc[list(reference.index)]
        assert len(reference) == len(fit.degrees_of_freedom)
        assert_allclose(ours, reference, rtol=1e-4, atol=0)
    covariance_rows = rows.loc[rows["quantity"] == "covariance"]
    pairs = covariance_rows["contrast"].str.split(",", expand=True).astype(float)
    ours = [fit.covariance.loc[a, b] for a, b in zip(pairs[0], pairs[1], strict=True)]
    # the REML surface is flat along the correlations: nlme stops within about 1e-4
    assert_allclose(ours, covariance_rows["value"], rtol=2e-4, atol=0)


# ---- an independent dense implementation (one subject at a time), for the checks below ----


def _dense_design(data):
    """Treatment-coded design of arm * visit + age + sex + baseline * visit, R style."""
    visit = pd.Categorical(data["month"])
    visit_dummies = pd.get_dummies(visit, drop_first=True, dtype=float).to_numpy()
    active = (data["arm"] == "isotretinoin").to_numpy(dtype=float)[:, None]
    baseline = data["baseline"].to_numpy(dtype=float)[:, None]
    columns = [
        np.ones((len(data), 1)),
        active,
        visit_dummies,
        active * visit_dummies,
        data[["age"]].to_numpy(dtype=float),
        (data["sex"] == "M").to_numpy(dtype=float)[:, None],
        baseline,
        baseline * visit_dummies,
    ]
    return np.hstack(columns)


class _DenseReml:
    """REML log-likelihood and GLS fit written directly from the textbook formulas."""

    def __init__(self, data):
        data = data.loc[data["inflammatory"].notna()].reset_index(drop=True)
        self.data = data
        self.design = _dense_design(data)
        self.months = np.sort(data["month"].unique())
        positions = np.searchsorted(self.months, data["month"])
        self.subjects = [
            (rows, positions[rows]) for rows in data.groupby("subject").indices.values()
        ]
        self.response = data["inflammatory"].to_numpy(dtype=float)

    def fit(self, sigma):
        p = self.design.shape[1]
        information, score, log_det, blocks = np.zeros((p, p)), np.zeros(p), 0.0, []
        for rows, positions in self.subjects:
            weight = np.linalg.inv(sigma[np.ix_(positions, positions)])
            log_det += np.linalg.slogdet(sigma[np.ix_(positions, positions)])[1]
            information += self.design[rows].T @ weight @ self.design[rows]
            score += self.design[rows].T @ weight @ self.response[rows]
            blocks.append(weight)
        beta = np.linalg.solve(information, score)
        residual = self.response - self.design @ beta
        quadratic = sum(
            residual[rows] @ weight @ residual[rows]
            for (rows, _), weight in zip(self.subjects, blocks, strict=True)
        )
        n = len(self.response)
        loglik = -0.5 * (
            (n - p) * np.log(2 * np.pi)
            + log_det
            + np.linalg.slogdet(information)[1]
            + quadratic
            - np.linalg.slogdet(self.design.T @ self.design)[1]
        )
        return loglik, beta, np.linalg.inv(information)

    def endpoint_difference(self):
        """Contrast vector of isotretinoin - comparator at the last visit."""
        n_visits = len(self.months)
        vector = np.zeros(self.design.shape[1])
        vector[1] = 1.0  # active
        vector[2 * n_visits - 1] = 1.0  # active x last visit (after 1, active, T-1 visits)
        return vector


def _vech_to_sigma(values, n_visits):
    sigma = np.zeros((n_visits, n_visits))
    sigma[np.tril_indices(n_visits)] = values
    return sigma + np.tril(sigma, -1).T


def test_log_likelihood_and_differences_match_dense_formulas():
    fit = _fit("dropout")
    dense = _DenseReml(_reference_data("dropout"))
    loglik, beta, beta_covariance = dense.fit(fit.covariance.to_numpy())
    assert_allclose(fit.log_likelihood, loglik, rtol=1e-10, atol=0)
    contrast = dense.endpoint_difference()
    endpoint = fit.estimates.loc[fit.estimates["scale"].eq("mean difference")].iloc[-1]
    assert_allclose(endpoint["estimate"], contrast @ beta, rtol=1e-9, atol=1e-12)
    assert_allclose(endpoint["se"], np.sqrt(contrast @ beta_covariance @ contrast), rtol=1e-9)


def test_satterthwaite_df_matches_finite_differences():
    """Satterthwaite df recomputed numerically in another parameterisation (vech of Sigma)."""
    fit = _fit("dropout")
    dense = _DenseReml(_reference_data("dropout"))
    n_visits = len(dense.months)
    start = fit.covariance.to_numpy()[np.tril_indices(n_visits)]
    contrast = dense.endpoint_difference()

    def loglik(values):
        return dense.fit(_vech_to_sigma(values, n_visits))[0]

    def variance(values):
        return contrast @ dense.fit(_vech_to_sigma(values, n_visits))[2] @ contrast

    steps = 1e-3 * np.abs(start).clip(min=1.0)
    size = start.size
    hessian = np.zeros((size, size))
    gradient = np.zeros(size)
    for i in range(size):
        e_i = np.eye(size)[i] * steps[i]
        gradient[i] = (variance(start + e_i) - variance(start - e_i)) / (2 * steps[i])
        for j in range(i, size):
            e_j = np.eye(size)[j] * steps[j]
            second = (
                loglik(start + e_i + e_j)
                - loglik(start + e_i - e_j)
                - loglik(start - e_i + e_j)
                + loglik(start - e_i - e_j)
            ) / (4 * steps[i] * steps[j])
            hessian[i, j] = hessian[j, i] = second
    numeric_df = 2 * variance(start) ** 2 / (gradient @ np.linalg.solve(-hessian, gradient))
    endpoint = np.flatnonzero(fit.estimates["scale"].eq("mean difference"))[-1]
    assert_allclose(fit.degrees_of_freedom[endpoint], numeric_df, rtol=1e-4)


def _balanced_trial(seed, n_subjects=30, n_visits=4):
    rng = np.random.default_rng(seed)
    shared = rng.normal(size=(n_subjects, 1))
    outcome = shared + rng.normal(size=(n_subjects, n_visits)) + np.arange(n_visits)
    rows = [
        (index, "b" if index % 2 else "a", month + 1, outcome[index, month])
        for index in range(n_subjects)
        for month in range(n_visits)
    ]
    return pd.DataFrame(rows, columns=["id", "arm", "month", "score"])


def test_satterthwaite_df_is_exact_in_balanced_complete_data():
    """Unstructured, cell means, no missing data: every contrast has N - 2 df exactly."""
    data = _balanced_trial(seed=3)
    fit = mmrm(data, outcome="score", subject="id", visit="month", arm="arm")
    assert_allclose(fit.degrees_of_freedom, 30 - 2, rtol=1e-6)
    residual = mmrm(data, outcome="score", subject="id", visit="month", arm="arm", df="residual")
    assert_allclose(residual.degrees_of_freedom, 30 * 4 - 8, rtol=0)
    assert (
        (residual.estimates["ci_high"] - residual.estimates["ci_low"])
        .lt(fit.estimates["ci_high"] - fit.estimates["ci_low"])
        .all()
    )


def test_absent_rows_and_missing_outcomes_and_row_order_are_equivalent():
    data = _reference_data("dropout")
    as_nan = _fit("dropout").estimates
    observed = data.loc[data["inflammatory"].notna()].sample(frac=1.0, random_state=5)
    shuffled = mmrm(
        observed,
        **COLUMNS,
        covariates=COVARIATES["dropout"],
        baseline="baseline",
        reference="comparator",
    ).estimates
    assert data["inflammatory"].isna().any()
    assert_allclose(shuffled["estimate"], as_nan["estimate"], rtol=1e-7, atol=1e-9)
    assert_allclose(shuffled["se"], as_nan["se"], rtol=1e-6)


def test_result_attributes_and_tidy_frame():
    fit = _fit("dropout")
    frame = fit.estimates
    assert fit.converged and fit.n_subjects == 80
    assert len(frame) == len(fit.degrees_of_freedom) == 5 * 3
    assert set(frame["scale"]) == {"mean", "mean difference"}
    assert frame.loc[frame["scale"] == "mean", "p_value"].isna().all()
    difference = frame.loc[frame["scale"] == "mean difference"]
    assert set(difference["contrast"]) == {"isotretinoin - comparator"}
    assert np.all(np.linalg.eigvalsh(fit.covariance.to_numpy()) > 0)
    counts = _reference_data("dropout").dropna(subset=["inflammatory"]).groupby("month").size()
    assert_allclose(difference["n"].to_numpy(dtype=float), counts.to_numpy(dtype=float))
    # the model detail is also in the diagnostics, under the fields' names
    for name in ("converged", "iterations", "log_likelihood", "covariance_structure",
                 "df_method", "n_subjects", "n_observations"):  # fmt: skip
        assert fit.diagnostic(name) == getattr(fit, name), name
    assert fit.diagnostics.loc[fit.diagnostics["diagnostic"] == "converged", "detail"].item() == (
        fit.message
    )
    missing = int(_reference_data("dropout")["inflammatory"].isna().sum())
    assert missing > 0 and fit.exclusions() == {"inflammatory missing": missing}
    assert set(fit.diagnostics["method"]) == set(frame["method"])


# ---- truth recovery -------------------------------------------------------------------

TRUE_DIFFERENCE = np.array([-1.0, -2.0, -3.0, -4.0])
TRUE_SD = np.array([3.0, 3.5, 4.0, 4.5])
TRUE_CORRELATION = np.array(
    [[1, 0.6, 0.45, 0.3], [0.6, 1, 0.6, 0.45], [0.45, 0.6, 1, 0.6], [0.3, 0.45, 0.6, 1]]
)


def _mar_trial(rng, n_subjects):
    """Two arms, 4 visits, unstructured covariance, dropout driven by the last observed value."""
    active = np.arange(n_subjects) % 2
    means = 20 - np.arange(1, 5) + active[:, None] * TRUE_DIFFERENCE
    covariance = TRUE_CORRELATION * np.outer(TRUE_SD, TRUE_SD)
    outcome = means + rng.multivariate_normal(np.zeros(4), covariance, n_subjects)
    observed = np.ones_like(outcome, dtype=bool)
    for month in range(1, 4):
        leave = 0.5 / (1 + np.exp(-(outcome[:, month - 1] - 22) / 2))
        observed[:, month] = observed[:, month - 1] & (rng.random(n_subjects) > leave)
    subject, month = np.nonzero(observed)
    arm = np.where(active[subject] == 1, "isotretinoin", "comparator")
    return pd.DataFrame(
        {"id": subject, "arm": arm, "month": month + 1, "score": outcome[subject, month]}
    )


def _truth_recovery(replicates, n_subjects, seed):
    rng = np.random.default_rng(seed)
    estimates, covered, completer_bias = [], [], []
    for _ in range(replicates):
        data = _mar_trial(rng, n_subjects)
        fit = mmrm(data, outcome="score", subject="id", visit="month", arm="arm")
        assert fit.converged
        rows = fit.estimates.loc[fit.estimates["scale"] == "mean difference"]
        estimates.append(rows["estimate"].to_numpy())
        covered.append(
            ((rows["ci_low"] <= TRUE_DIFFERENCE) & (TRUE_DIFFERENCE <= rows["ci_high"])).to_numpy()
        )
        completers = data.loc[(data["month"] == 4) & (data["arm"] == "comparator"), "score"]
        completer_bias.append(completers.mean() - (20 - 4))
    estimates, covered = np.array(estimates), np.array(covered)
    # the dropout is informative: the comparator completers' mean is clearly biased
    assert np.mean(completer_bias) < -5 * np.std(completer_bias) / np.sqrt(replicates)
    monte_carlo_se = estimates.std(axis=0, ddof=1) / np.sqrt(replicates)
    assert np.all(np.abs(estimates.mean(axis=0) - TRUE_DIFFERENCE) < 3.5 * monte_carlo_se)
    band = 3.5 * np.sqrt(0.95 * 0.05 / replicates)
    assert np.all(np.abs(covered.mean(axis=0) - 0.95) < band)


def test_truth_recovery_under_mar_dropout():
    _truth_recovery(replicates=200, n_subjects=60, seed=2026)


@pytest.mark.slow
def test_truth_recovery_under_mar_dropout_many_replicates():
    _truth_recovery(replicates=1000, n_subjects=80, seed=7)


# ---- argument checks and failures -----------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"outcome": "lesions"}, "outcome='lesions' is not a column"),
        ({"covariates": ("weight",)}, "covariates\\[0\\]='weight' is not a column"),
        ({"covariance": "compound"}, "allowed: \\['unstructured', 'heterogeneous_cs'"),
        ({"df": "kr"}, "allowed: \\['satterthwaite', 'residual', 'kenward_roger'\\]"),
        ({"reference": "placebo"}, "reference='placebo' is not allowed; allowed"),
        ({"outcome": "sex"}, "outcome column 'sex' must be numeric"),
        ({"ci_level": 95}, "ci_level must be a number .*; got 95"),
    ],
)
def test_bad_arguments_raise(change, message):
    arguments = dict(COLUMNS, covariates=("age",), reference="comparator") | change
    with pytest.raises(ValueError, match=message):
        mmrm(_reference_data("dropout"), **arguments)


def test_bad_data_raise():
    data = _reference_data("dropout")
    one_arm = data.loc[data["arm"] == "comparator"]
    with pytest.raises(ValueError, match="at least two arms"):
        mmrm(one_arm, **COLUMNS)
    with pytest.raises(ValueError, match="more than one observed row"):
        mmrm(pd.concat([data, data.head(3)]), **COLUMNS)
    varying = data.assign(age=np.arange(len(data), dtype=float))
    with pytest.raises(ValueError, match="'age' must be constant within each subject"):
        mmrm(varying, **COLUMNS, covariates=("age",))
    no_late_comparator = data.loc[~((data["arm"] == "comparator") & (data["month"] == 12))]
    with pytest.raises(ValueError, match="no observations for arm:visit \\['comparator:12'\\]"):
        mmrm(no_late_comparator, **COLUMNS)


def test_degenerate_covariance_warns_and_flags():
    """Visits that are exact copies of each other: no positive-definite REML maximum."""
    data = _balanced_trial(seed=4, n_subjects=20, n_visits=3)
    first = data.groupby("id")["score"].transform("first")
    data = data.assign(score=first + data["month"] + 1e-9 * np.sin(np.arange(len(data))))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = mmrm(data, outcome="score", subject="id", visit="month", arm="arm")
    assert any(issubclass(item.category, MMRMConvergenceWarning) for item in caught)
    assert not fit.converged and not fit.diagnostic("converged")
    assert fit.estimates["method"].str.endswith("[not converged]").all()


# ---- published data: nlme::Orthodont and HSAUR3::BtheB ------------------------------------
# (tests/reference/mmrm_published/mmrm_published_reference.R wrote the data and expected.csv)

PUBLISHED = Path(__file__).parents[1] / "reference" / "mmrm_published"
ORTHODONT = {"outcome": "distance", "subject": "Subject", "visit": "age", "arm": "Sex"}
BTHEB = {"outcome": "bdi", "subject": "subject", "visit": "month", "arm": "treatment",
         "reference": "TAU", "baseline": "bdi_pre", "covariates": ("drug", "length")}  # fmt: skip


@pytest.fixture(scope="module")
def published():
    return pd.read_csv(PUBLISHED / "expected.csv")


def _published(published, model):
    rows = published.loc[published["model"] == model]
    return rows.pivot(index="visit", columns="quantity", values="value")


def _differences(fit):
    rows = fit.estimates["scale"] == "mean difference"
    out = fit.estimates.loc[rows, ["visit", "estimate", "se"]].astype(float).set_index("visit")
    return out.assign(df=fit.degrees_of_freedom[rows.to_numpy()])


@pytest.mark.parametrize("df", ["kenward_roger", "satterthwaite"])
def test_orthodont_complete_balanced_closed_form(published, df):
    """Unstructured, no covariates, complete balanced data: each visit's difference is the
    two-sample t-test's, with n - 2 = 25 df; the Kenward-Roger adjustment of the SE is 0."""
    expected = _published(published, "orthodont_t")
    ours = _differences(mmrm(pd.read_csv(PUBLISHED / "orthodont.csv"), **ORTHODONT, df=df))
    assert_allclose(ours["estimate"], expected["estimate"], rtol=1e-9)
    assert_allclose(ours["se"], expected["se"], rtol=1e-6)
    assert_allclose(ours["df"], expected["df"], rtol=1e-6)


def test_orthodont_missing_visit_is_excluded_and_counted(published):
    """Finding 6: a missing visit was reported as "rank deficient: no observations for
    arm:visit ['Male:nan']"; the row is left out (as gls's na.omit) and counted."""
    data = pd.read_csv(PUBLISHED / "orthodont.csv")
    data.loc[(data["Subject"] == "M05") & (data["age"] == 12), "age"] = np.nan
    fit = mmrm(data, **ORTHODONT)
    expected = _published(published, "orthodont_missing")
    ours = _differences(fit)
    assert_allclose(ours["estimate"], expected["estimate"], rtol=1e-5)
    assert_allclose(ours["se"], expected["se"], rtol=1e-4)
    assert fit.exclusions() == {"age missing": 1}
    assert fit.n_observations == len(data) - 1


def test_btheb_categorical_covariates_match_gls(published):
    """Real dropout, the pre-treatment score by visit and two categorical covariates."""
    fit = mmrm(pd.read_csv(PUBLISHED / "btheb.csv"), **BTHEB)
    assert fit.converged and fit.exclusions() == {"bdi missing": 120}
    expected = _published(published, "btheb_unstructured")
    ours = _differences(fit)
    assert_allclose(ours["estimate"], expected["estimate"], rtol=1e-4)
    assert_allclose(ours["se"], expected["se"], rtol=1e-4)
    assert list(fit.coefficients.index[-2:]) == ["drug[Yes]", "length[>6m]"]


def test_btheb_kenward_roger_matches_pbkrtest(published):
    """Compound symmetry is the random-intercept model: pbkrtest's Kenward-Roger adjusted
    covariance (vcovAdj) and df (get_Lb_ddf) of lme4::lmer."""
    data = pd.read_csv(PUBLISHED / "btheb.csv")
    fit = mmrm(data, **BTHEB, covariance="compound_symmetry", df="kenward_roger")
    assert fit.converged and fit.df_method == "kenward_roger"
    expected = _published(published, "btheb_cs")
    ours = _differences(fit)
    assert_allclose(ours["estimate"], expected["estimate"], rtol=1e-6)
    assert_allclose(ours["se"], expected["se"], rtol=1e-5)
    assert_allclose(ours["df"], expected["df"], rtol=1e-5)
    unadjusted = _differences(mmrm(data, **BTHEB, covariance="compound_symmetry"))
    assert_allclose(unadjusted["se"], _published(published, "btheb_cs_unadjusted")["se"],
                    rtol=1e-5)  # fmt: skip
    assert (ours["se"] > unadjusted["se"]).all()
    assert fit.estimates["method"].iloc[0] == "MMRM (REML, compound_symmetry, kenward_roger df)"


# ---- the speed work of issue 16: same maximum, same derivatives --------------------------


def _captured_reml(monkeypatch, dataset="dropout"):
    from acne_outcomes.stats import mmrm as module

    captured = {}
    original = module._maximise

    def spy(reml, start):
        captured["reml"], captured["start"] = reml, start
        return original(reml, start)

    monkeypatch.setattr(module, "_maximise", spy)
    _fit(dataset)
    return captured["reml"], captured["start"]


def test_batched_gradients_equal_one_at_a_time(monkeypatch):
    """Points evaluated together (the numerical Hessian's 2m gradients) give what each gives
    alone."""
    reml, theta = _captured_reml(monkeypatch)
    points = theta + 0.05 * np.random.default_rng(0).standard_normal((6, theta.size))
    one_at_a_time = np.stack([reml.evaluate(point, gradient=True)[1] for point in points])
    assert_allclose(reml.evaluate_points(points)[1], one_at_a_time, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("dataset", ["complete", "dropout"])
def test_fisher_scoring_reaches_the_maximum_bfgs_reaches(monkeypatch, dataset):
    """Fisher scoring replaced BFGS as the first optimiser; both stop at the same maximum (the
    estimates, SEs and Satterthwaite df agree to 1e-6), and scoring takes fewer evaluations."""
    from acne_outcomes.stats import mmrm as module

    counted = {"n": 0}
    original = module._Reml.evaluate

    def counting(self, theta, gradient=False):
        counted["n"] += 1
        return original(self, theta, gradient)

    monkeypatch.setattr(module._Reml, "evaluate", counting)
    scored = _fit(dataset)
    scoring_evaluations = counted["n"]
    counted["n"] = 0
    monkeypatch.setattr(module, "_scoring", lambda reml, start: None)  # the BFGS path
    bfgs = _fit(dataset)
    assert "Fisher scoring converged" in scored.message and "Fisher" not in bfgs.message
    for column in ("estimate", "se", "p_value"):
        assert_allclose(scored.estimates[column], bfgs.estimates[column], rtol=1e-6)
    assert_allclose(scored.degrees_of_freedom, bfgs.degrees_of_freedom, rtol=1e-6)
    assert scoring_evaluations < counted["n"]


def test_unstructured_jacobian_in_closed_form_equals_the_complex_step():
    from acne_outcomes.stats.mmrm import _Structure, _Unstructured

    structure = _Unstructured(4)
    theta = np.random.default_rng(1).normal(size=structure.n_params)
    assert_allclose(structure.jacobian(theta), _Structure.jacobian(structure, theta), atol=1e-12)
