"""Mixed model for repeated measures (MMRM): a marginal linear model fitted by REML.

The model is ``outcome ~ arm * visit + covariates (+ baseline * visit)`` with an
unrestricted within-subject covariance over the scheduled visits, the usual
primary analysis of a continuous endpoint in a longitudinal trial (Mallinckrodt et al.
2008). It is written by hand because no Python package provides it: statsmodels'
``MixedLM`` fits random effects, not a marginal covariance.

Speed comes from sufficient statistics. Subjects with the same set of observed visits
(a *missingness pattern*) share one covariance block, and a subject's design row at
visit ``a`` is ``J_a w_i`` for a short subject vector ``w_i`` (arm indicators, baseline,
covariates). The restricted likelihood, its gradient and the Satterthwaite derivatives
therefore only need, per pattern, ``sum_i w_i w_i'``, ``sum_i w_i e_ia`` and
``sum_i e_ia e_ib`` (``e`` = OLS residuals), computed once with one matrix product per
pattern; each evaluation then costs ``O(patterns x visits^2 x len(w)^2)``, whatever the
number of subjects.

:func:`mmrm` returns an :class:`MMRMResult`, a :class:`~acne_outcomes.stats.tidy.Result` with
the fitted model's detail (covariance matrix, coefficients, degrees of freedom) as further
fields.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from acne_outcomes.checks import (
    NotEstimable,
    check_choice,
    check_ci_level,
    require_columns,
    require_numeric,
    resolve_arms,
)
from acne_outcomes.stats.ancova import covariate_design
from acne_outcomes.stats.tidy import (
    Result,
    complete_rows,
    diagnostics_frame,
    estimate_frame,
    exclusion_rows,
)

COVARIANCE_STRUCTURES = (
    "unstructured", "heterogeneous_cs", "ar1", "toeplitz", "compound_symmetry"
)  # fmt: skip
DF_METHODS = ("satterthwaite", "residual", "kenward_roger")
_COMPLEX_STEP = 1e-30
_NEWTON_STEPS = 5
_GRADIENT_TOLERANCE = 1e-6


class MMRMConvergenceWarning(RuntimeWarning):
    """The REML optimisation did not converge, or stopped at a non-maximum."""


class MMRMFitError(RuntimeError):
    """The REML optimisation ended where the model cannot be evaluated (singular covariance)."""


@dataclass(frozen=True)
class MMRMResult(Result):
    """What :func:`mmrm` returns: a :class:`~acne_outcomes.stats.tidy.Result` plus the model.

    Attributes
    ----------
    estimates : pandas.DataFrame
        The tidy estimate frame (:data:`acne_outcomes.stats.tidy.ESTIMATE_COLUMNS`).
    diagnostics : pandas.DataFrame
        The diagnostics frame: ``converged`` (``detail`` = ``message``), ``iterations``,
        ``log_likelihood``, ``covariance_structure``, ``df_method``, ``n_subjects``,
        ``n_observations`` (the fields of the same names) and one ``excluded`` row per
        reason: rows without an outcome (missed visits, handled as missing at random), rows
        without a subject or visit.
    degrees_of_freedom : numpy.ndarray
        Denominator degrees of freedom of each row of ``estimates`` (same order).
    log_likelihood : float
        Maximised REML log-likelihood including the ``+ log|X'X| / 2`` term, so it does
        not depend on how the design is coded; ``logLik()`` of R's
        ``nlme::gls(..., method = "REML")`` omits that term (see Notes of :func:`mmrm`).
    covariance : pandas.DataFrame
        Estimated within-subject covariance matrix, visits x visits.
    coefficients : pandas.Series
        Fixed effects (cell means per arm and visit, then centred covariates).
    coefficient_covariance : pandas.DataFrame
        Model-based covariance of ``coefficients`` (Kenward-Roger adjusted with
        ``df="kenward_roger"``).
    converged : bool
        Whether the largest absolute score (gradient of the REML log-likelihood in the
        covariance parameters) is below 1e-3 and the observed information is positive
        definite, i.e. a proper interior maximum was reached.
    iterations : int
        Optimiser iterations.
    message : str
        Optimiser message, with the largest score and smallest information eigenvalue.
    covariance_structure, df_method : str
        The model choices.
    n_subjects, n_observations : int
        Subjects with at least one observed outcome, and observed outcomes.
    """

    degrees_of_freedom: np.ndarray
    log_likelihood: float
    covariance: pd.DataFrame
    coefficients: pd.Series
    coefficient_covariance: pd.DataFrame
    converged: bool
    iterations: int
    message: str
    covariance_structure: str
    df_method: str
    n_subjects: int
    n_observations: int


# --------------------------------------------------------------------------------------
# Covariance structures: theta -> Sigma (complex-safe, for complex-step derivatives)
# --------------------------------------------------------------------------------------


class _Structure:
    """A parameterisation ``theta -> Sigma`` of the visits x visits covariance."""

    def __init__(self, n_visits: int):
        self.n_visits = n_visits

    def jacobian(self, theta: np.ndarray) -> np.ndarray:
        """``dSigma/dtheta`` as a (visits, visits, parameters) array, by complex step."""
        columns = []
        for index in range(theta.size):
            shifted = theta.astype(complex)
            shifted[index] += 1j * _COMPLEX_STEP
            columns.append(self.sigma(shifted).imag / _COMPLEX_STEP)
        return np.stack(columns, axis=-1)

    def chain(self, theta: np.ndarray, matrix_gradient: np.ndarray) -> np.ndarray:
        """Map gradients with respect to Sigma, shape (..., T, T), to theta."""
        return np.einsum("...ab,abj->...j", matrix_gradient, self.jacobian(theta))

    def kr_derivatives(self, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First and second derivatives of Sigma in the Kenward-Roger parameters ``phi``.

        ``phi`` is the structure's usual parameterisation (:meth:`kr_parameters`): linear in
        Sigma (variances and covariances) where the structure allows it, so the second
        derivatives vanish. Returns arrays of shape (m, T, T) and (m, m, T, T): the first by
        complex step, the second by central differences of the first.
        """
        phi = self.kr_parameters(sigma)

        def first(point):
            columns = []
            for index in range(point.size):
                shifted = point.astype(complex)
                shifted[index] += 1j * _COMPLEX_STEP
                columns.append(self.kr_sigma(shifted).imag / _COMPLEX_STEP)
            return np.stack(columns)

        derivatives = first(phi)
        second = np.zeros((phi.size, *derivatives.shape))
        for index in range(phi.size):
            step = 1e-5 * max(1.0, abs(phi[index]))
            plus, minus = phi.copy(), phi.copy()
            plus[index] += step
            minus[index] -= step
            second[index] = (first(plus) - first(minus)) / (2 * step)
        return derivatives, 0.5 * (second + second.transpose(1, 0, 2, 3))


class _Unstructured(_Structure):
    """Sigma = L L' with L lower triangular and a log-transformed diagonal."""

    def __init__(self, n_visits: int):
        super().__init__(n_visits)
        self.rows, self.cols = np.tril_indices(n_visits)
        self.n_params = self.rows.size
        self.is_diagonal = self.rows == self.cols

    def _factor(self, theta):
        factor = np.zeros((self.n_visits, self.n_visits), dtype=theta.dtype)
        values = np.where(self.is_diagonal, np.exp(theta), theta)
        factor[self.rows, self.cols] = values
        return factor

    def sigma(self, theta):
        factor = self._factor(theta)
        return factor @ factor.T

    def initial(self, sigma0):
        factor = np.linalg.cholesky(sigma0)
        values = factor[self.rows, self.cols].copy()
        values[self.is_diagonal] = np.log(values[self.is_diagonal])
        return values

    def jacobian(self, theta):
        """``dSigma/dtheta`` (T, T, m) in closed form: ``dL L' + L dL'`` per parameter."""
        factor = self._factor(theta)
        d_factor = np.zeros((self.n_params, self.n_visits, self.n_visits))
        d_factor[np.arange(self.n_params), self.rows, self.cols] = np.where(
            self.is_diagonal, np.exp(theta), 1.0
        )
        d_sigma = d_factor @ factor.T
        return np.moveaxis(d_sigma + d_sigma.transpose(0, 2, 1), 0, -1)

    def chain(self, theta, matrix_gradient):
        factor = self._factor(theta)
        by_factor = 2 * matrix_gradient @ factor
        out = by_factor[..., self.rows, self.cols]
        return np.where(self.is_diagonal, out * np.diag(factor)[self.cols], out)

    def kr_parameters(self, sigma):
        """The variances and covariances (lower triangle): Sigma is linear in them."""
        return sigma[self.rows, self.cols].copy()

    def kr_sigma(self, phi):
        out = np.zeros((self.n_visits, self.n_visits), dtype=phi.dtype)
        out[self.rows, self.cols] = phi
        out[self.cols, self.rows] = phi
        return out


class _HeterogeneousCS(_Structure):
    """Sigma = D R D, R exchangeable with correlation rho in (-1/(T-1), 1)."""

    def __init__(self, n_visits: int):
        super().__init__(n_visits)
        self.n_params = n_visits + 1

    def sigma(self, theta):
        n = self.n_visits
        sd = np.exp(theta[:n])
        rho = (np.exp(theta[n]) - 1) / (np.exp(theta[n]) + n - 1)
        corr = rho + (1 - rho) * np.eye(n)
        return sd[:, None] * corr * sd[None, :]

    def initial(self, sigma0):
        n = self.n_visits
        sd = np.sqrt(np.diag(sigma0))
        corr = sigma0 / np.outer(sd, sd)
        rho = np.clip(corr[np.triu_indices(n, 1)].mean(), -0.5 / max(n - 1, 1), 0.95)
        return np.append(np.log(sd), np.log((1 + (n - 1) * rho) / (1 - rho)))

    def kr_parameters(self, sigma):
        """The variances and the correlation (SAS's CSH parameters)."""
        variances = np.diag(sigma).copy()
        return np.append(variances, sigma[0, 1] / np.sqrt(variances[0] * variances[1]))

    def kr_sigma(self, phi):
        n = self.n_visits
        sd = np.sqrt(phi[:n])
        corr = phi[n] + (1 - phi[n]) * np.eye(n)
        return sd[:, None] * corr * sd[None, :]


class _CompoundSymmetry(_Structure):
    """Sigma = s^2 {rho + (1 - rho) [a = b]}, rho in (-1/(T-1), 1): a random intercept."""

    def __init__(self, n_visits: int):
        super().__init__(n_visits)
        self.n_params = 2

    def sigma(self, theta):
        n = self.n_visits
        rho = (np.exp(theta[1]) - 1) / (np.exp(theta[1]) + n - 1)
        return np.exp(2 * theta[0]) * (rho + (1 - rho) * np.eye(n))

    def initial(self, sigma0):
        n = self.n_visits
        variance = np.diag(sigma0).mean()
        rho = sigma0[np.triu_indices(n, 1)].mean() / variance
        rho = np.clip(rho, -0.5 / max(n - 1, 1), 0.95)
        return np.array([0.5 * np.log(variance), np.log((1 + (n - 1) * rho) / (1 - rho))])

    def kr_parameters(self, sigma):
        """The between-subject and within-subject variances (a random intercept's)."""
        return np.array([sigma[0, 1], sigma[0, 0] - sigma[0, 1]])

    def kr_sigma(self, phi):
        return phi[0] + phi[1] * np.eye(self.n_visits)


class _AR1(_Structure):
    """Sigma_ab = s^2 rho^|a-b| on the visit index a, b = 0..T-1."""

    def __init__(self, n_visits: int):
        super().__init__(n_visits)
        self.n_params = 2
        index = np.arange(n_visits)
        self.lags = np.abs(index[:, None] - index[None, :])

    def sigma(self, theta):
        return np.exp(2 * theta[0]) * np.tanh(theta[1]) ** self.lags

    def initial(self, sigma0):
        variance = np.diag(sigma0).mean()
        corr = np.diag(sigma0, 1).mean() / variance if self.n_visits > 1 else 0.0
        return np.array([0.5 * np.log(variance), np.arctanh(np.clip(corr, -0.9, 0.9))])

    def kr_parameters(self, sigma):
        """The variance and the lag-1 correlation (SAS's AR(1) parameters)."""
        return np.array([sigma[0, 0], sigma[0, 1] / sigma[0, 0]])

    def kr_sigma(self, phi):
        return phi[0] * phi[1] ** self.lags


class _Toeplitz(_Structure):
    """Sigma_ab = s^2 r_|a-b|, the r_k built from partial autocorrelations tanh(theta)."""

    def __init__(self, n_visits: int):
        super().__init__(n_visits)
        self.n_params = n_visits
        index = np.arange(n_visits)
        self.lags = np.abs(index[:, None] - index[None, :])

    def sigma(self, theta):
        partial = np.tanh(theta[1:])
        autocorr = [np.ones((), dtype=theta.dtype)]
        coefficients = np.zeros(0, dtype=theta.dtype)
        for lag, pacf in enumerate(partial, start=1):
            previous = np.array(autocorr)
            explained = coefficients @ previous[1:lag][::-1] if lag > 1 else 0.0
            residual = 1 - (coefficients @ previous[1:lag] if lag > 1 else 0.0)
            autocorr.append(pacf * residual + explained)
            coefficients = np.append(coefficients - pacf * coefficients[::-1], pacf)
        return np.exp(2 * theta[0]) * np.array(autocorr)[self.lags]

    def initial(self, sigma0):
        variance = np.diag(sigma0).mean()
        start = np.zeros(self.n_visits)
        start[0] = 0.5 * np.log(variance)
        if self.n_visits > 1:
            start[1] = np.arctanh(np.clip(np.diag(sigma0, 1).mean() / variance, -0.9, 0.9))
        return start

    def kr_parameters(self, sigma):
        """The covariance at each lag (SAS's TOEP parameters): Sigma is linear in them."""
        return sigma[0].copy()

    def kr_sigma(self, phi):
        return phi[self.lags]


_STRUCTURES = {
    "unstructured": _Unstructured,
    "heterogeneous_cs": _HeterogeneousCS,
    "ar1": _AR1,
    "toeplitz": _Toeplitz,
    "compound_symmetry": _CompoundSymmetry,
}


# --------------------------------------------------------------------------------------
# Data preparation
# --------------------------------------------------------------------------------------


def _constant_within_subject(frame, subject_codes, first_row, column):
    codes = pd.factorize(frame[column])[0]
    if np.any(codes != codes[first_row][subject_codes]):
        raise ValueError(f"column {column!r} must be constant within each subject")


@dataclass(frozen=True)
class _Prepared:
    """Per-pattern sufficient statistics of the design and the OLS residuals.

    A subject's design row at visit a is ``X_ia = J_a w_i`` with the subject vector
    ``w_i = (arm indicators, centred baseline, centred covariates)`` of length q: the
    first ``n_by_visit`` entries get a coefficient per visit, the others one coefficient.
    """

    arms: list
    visits: np.ndarray
    coefficient_names: list
    expand: np.ndarray  # J: (T * q, p), beta -> per-visit coefficients of w
    n_by_visit: int
    moments: np.ndarray  # (patterns, q, q): sum of w_i w_i'
    residual_moments: np.ndarray  # (patterns, q, T): sum of w_i e_ia
    residual_cross: np.ndarray  # (patterns, T, T): sum of e_ia e_ib
    masks: np.ndarray  # (patterns, T) bool
    pattern_sizes: np.ndarray
    beta_ols: np.ndarray
    n_observations: int
    cell_counts: np.ndarray  # (arms, T): subjects observed
    log_det_xtx: float


def _expansion(n_visits, n_by_visit, n_constant):
    """0/1 matrix J mapping beta (per-visit block, then constant block) to (T, q) coefficients."""
    q = n_by_visit + n_constant
    expand = np.zeros((n_visits, q, n_visits * n_by_visit + n_constant))
    for position in range(n_visits):
        block = slice(position * n_by_visit, (position + 1) * n_by_visit)
        expand[position, :n_by_visit, block] = np.eye(n_by_visit)
        expand[position, n_by_visit:, n_visits * n_by_visit :] = np.eye(n_constant)
    return expand.reshape(n_visits * q, -1)


def _information_matrix(weights, moments, expand):
    """A = X' W X from per-pattern weights (..., patterns, T, T) and moments (patterns, q, q);
    leading axes of ``weights`` (points) carry through."""
    *lead, n_patterns, n_visits, _ = weights.shape
    q = moments.shape[1]
    product = np.einsum("...kx,ky->...xy", weights.reshape(*lead, n_patterns, -1),
                        moments.reshape(n_patterns, -1))  # fmt: skip
    expanded = product.reshape(*lead, n_visits, n_visits, q, q).swapaxes(-3, -2)
    expanded = expanded.reshape(*lead, n_visits * q, n_visits * q)
    return expand.T @ expanded @ expand


def _prepare(data, outcome, subject, visit, arm, covariates, baseline, reference) -> _Prepared:
    frame = data.loc[data[outcome].notna()]
    if frame.empty:
        raise ValueError(f"outcome column {outcome!r} has no observed values")
    if frame[arm].isna().any():
        raise ValueError(f"arm column {arm!r} has missing values for observed outcomes")
    if frame.duplicated([subject, visit]).any():
        raise ValueError(f"more than one observed row per {subject!r} and {visit!r}")
    subject_codes, _ = pd.factorize(frame[subject])
    first_row = np.unique(subject_codes, return_index=True)[1]
    subject_level = [arm, *covariates] + ([baseline] if baseline is not None else [])
    for column in subject_level:
        _constant_within_subject(frame, subject_codes, first_row, column)
    reference, others = resolve_arms(frame[arm], reference)
    arms = [reference, *others]
    visits = np.sort(frame[visit].unique().astype(float))
    n_visits = visits.size
    visit_index = np.searchsorted(visits, frame[visit].to_numpy(dtype=float))
    first_rows = frame.iloc[first_row]
    arm_of_subject = pd.Index(arms).get_indexer(first_rows[arm])
    row_counts = np.bincount(subject_codes)
    by_visit = [np.eye(len(arms))[arm_of_subject]]
    by_visit_names = [str(level) for level in arms]
    if baseline is not None:
        if first_rows[baseline].isna().any():
            raise ValueError(f"baseline column {baseline!r} has missing values")
        values = first_rows[baseline].to_numpy(dtype=float)
        by_visit.append((values - np.average(values, weights=row_counts))[:, None])
        by_visit_names.append(str(baseline))
    # covariates centred at their mean over the analysed rows (subjects weighted by visits)
    constant, constant_names = covariate_design(first_rows, covariates, weights=row_counts)
    subject_vectors = np.hstack([*by_visit, constant])
    n_by_visit = subject_vectors.shape[1] - constant.shape[1]
    names = [f"{name}:{v:g}" for v in visits for name in by_visit_names] + constant_names
    expand = _expansion(n_visits, n_by_visit, constant.shape[1])

    masks_by_subject = np.zeros((subject_vectors.shape[0], n_visits), dtype=bool)
    masks_by_subject[subject_codes, visit_index] = True
    codes = masks_by_subject @ (1 << np.arange(n_visits))
    pattern_codes, pattern_of_subject = np.unique(codes, return_inverse=True)
    masks = (pattern_codes[:, None] >> np.arange(n_visits)) & 1 == 1
    n_patterns, q = masks.shape[0], subject_vectors.shape[1]
    moments = _pattern_sum(pattern_of_subject, n_patterns, subject_vectors, subject_vectors)

    response = np.zeros((subject_vectors.shape[0], n_visits))
    response[subject_codes, visit_index] = frame[outcome].to_numpy(dtype=float)
    response_moments = _pattern_sum(pattern_of_subject, n_patterns, subject_vectors, response)
    identity = masks[:, :, None] * np.eye(n_visits)
    xtx = _information_matrix(identity, moments, expand)
    rank = np.linalg.matrix_rank(xtx)
    if rank < xtx.shape[0]:
        cells = np.array(
            [masks_by_subject[arm_of_subject == a].sum(axis=0) for a in range(len(arms))]
        )
        empty = [f"{arms[a]}:{visits[t]:g}" for a, t in zip(*np.nonzero(cells == 0), strict=True)]
        detail = f"no observations for arm:visit {empty}" if empty else "collinear covariates"
        raise NotEstimable(f"the fixed-effects design is rank deficient: {detail}")
    score = expand.T @ response_moments.transpose(0, 2, 1).sum(axis=0).reshape(-1)
    beta_ols = np.linalg.solve(xtx, score)
    fitted = subject_vectors @ (expand @ beta_ols).reshape(n_visits, q).T
    residual = np.where(masks_by_subject, response - fitted, 0.0)
    residual_moments = _pattern_sum(pattern_of_subject, n_patterns, subject_vectors, residual)
    residual_cross = _pattern_sum(pattern_of_subject, n_patterns, residual, residual)
    cell_counts = np.stack(
        [masks_by_subject[arm_of_subject == a].sum(axis=0) for a in range(len(arms))]
    )
    return _Prepared(
        arms=arms,
        visits=visits,
        coefficient_names=names,
        expand=expand,
        n_by_visit=n_by_visit,
        moments=moments,
        residual_moments=residual_moments,
        residual_cross=residual_cross,
        masks=masks,
        pattern_sizes=np.bincount(pattern_of_subject, minlength=n_patterns),
        beta_ols=beta_ols,
        n_observations=len(frame),
        cell_counts=cell_counts,
        log_det_xtx=np.linalg.slogdet(xtx)[1],
    )


def _pattern_sum(pattern_of_subject, n_patterns, left, right):
    """sum over the subjects of each pattern of left_i right_i' (one product per pattern)."""
    order = np.argsort(pattern_of_subject, kind="stable")
    bounds = np.searchsorted(pattern_of_subject[order], np.arange(n_patterns + 1))
    out = np.empty((n_patterns, left.shape[1], right.shape[1]))
    for pattern in range(n_patterns):
        members = order[bounds[pattern] : bounds[pattern + 1]]
        out[pattern] = left[members].T @ right[members]
    return out


# --------------------------------------------------------------------------------------
# Restricted likelihood
# --------------------------------------------------------------------------------------


class _Reml:
    """REML log-likelihood, gradient and fixed effects for one prepared data set."""

    def __init__(self, prepared: _Prepared, structure: _Structure):
        self.prepared = prepared
        self.structure = structure
        masks = prepared.masks
        self.block_mask = masks[:, :, None] & masks[:, None, :]
        self.identity_fill = np.eye(masks.shape[1]) * ~masks[:, :, None]
        self.n_coefficients = prepared.beta_ols.size
        self.constant = (prepared.n_observations - self.n_coefficients) * np.log(2 * np.pi)

    def evaluate(self, theta, gradient=False):
        """Return (log-likelihood, gradient wrt theta or None, state); ``-inf`` where the
        covariance (or the information of the fixed effects) is not positive definite."""
        try:
            loglik, gradients, state = self.evaluate_points(theta[None], gradient)
        except np.linalg.LinAlgError:
            return -np.inf, None, None
        state = {key: value[0] for key, value in state.items()}
        return float(loglik[0]), None if gradients is None else gradients[0], state

    def evaluate_points(self, thetas, gradient=True, value=True):
        """:meth:`evaluate` at each row of ``thetas`` (P, m) at once: log-likelihoods (P,;
        None without ``value``), gradients (P, m) or None, and the state arrays with a leading
        axis over the points.

        One algebra for the optimiser's single point and the ``2 m`` points of the numerical
        Hessian (which needs only the gradients). Raises ``numpy.linalg.LinAlgError`` when a
        point's covariance is not positive definite (or, with ``value``, the information).
        """
        prepared = self.prepared
        n_points, (n_patterns, n_visits) = len(thetas), prepared.masks.shape
        q = prepared.moments.shape[1]
        sigmas = np.stack([self.structure.sigma(theta) for theta in thetas])
        blocks = np.where(self.block_mask, sigmas[:, None], 0.0) + self.identity_fill
        factor = np.linalg.cholesky(blocks)  # raises where a block is not positive definite
        log_dets = 2 * np.log(np.diagonal(factor, axis1=-2, axis2=-1)).sum(axis=-1)  # (P, K)
        weights = np.linalg.inv(blocks) * self.block_mask  # (P, K, T, T)
        information = _information_matrix(weights, prepared.moments, prepared.expand)
        moments_t = prepared.residual_moments.transpose(0, 2, 1)
        score = (weights @ moments_t).sum(axis=1).reshape(n_points, -1) @ prepared.expand
        shift = np.linalg.solve(information, score[..., None])[..., 0]
        loglik = None
        if value:
            information_factor = np.linalg.cholesky(information)
            quadratic = np.einsum("pkab,kab->p", weights, prepared.residual_cross) - np.einsum(
                "pi,pi->p", score, shift
            )
            neg2 = (
                self.constant
                + log_dets @ prepared.pattern_sizes
                + 2 * np.log(np.diagonal(information_factor, axis1=1, axis2=2)).sum(axis=1)
                + quadratic
            )
            loglik = -0.5 * neg2 + 0.5 * prepared.log_det_xtx
        state = {"weights": weights, "information": information, "shift": shift}
        if not gradient:
            return loglik, None, state
        per_visit = (shift @ prepared.expand.T).reshape(n_points, 1, n_visits, q)
        cross = per_visit @ prepared.residual_moments
        residual = (
            prepared.residual_cross
            - cross
            - cross.transpose(0, 1, 3, 2)
            + per_visit @ prepared.moments @ per_visit.transpose(0, 1, 3, 2)
        )
        spread = prepared.expand @ np.linalg.solve(information, prepared.expand.T)
        spread = spread.reshape(n_points, n_visits, q, n_visits, q).transpose(0, 1, 3, 2, 4)
        leverage = np.einsum("kx,pax->pka", prepared.moments.reshape(n_patterns, -1),
                             spread.reshape(n_points, n_visits**2, -1))  # fmt: skip
        leverage = leverage.reshape(n_points, n_patterns, n_visits, n_visits)
        inner = weights @ (residual + leverage) @ weights
        sizes = prepared.pattern_sizes[None, :, None, None]
        matrix_gradients = -0.5 * (sizes * weights - inner).sum(axis=1)
        gradients = np.stack([self.structure.chain(theta, matrix_gradient)
                              for theta, matrix_gradient in zip(thetas, matrix_gradients, strict=True)])  # fmt: skip
        return loglik, gradients, state

    def scoring_information(self, theta, weights):
        """Approximate expected information in theta: ``J' I_Sigma J`` with
        ``I_Sigma[a, b] = 1/2 sum_k n_k tr(W_k dSigma_a W_k dSigma_b)``, the ML information;
        REML's correction for the fixed effects (of order p/n) is left out. It only chooses
        the direction of a scoring step (:func:`_scoring`), so it need not be exact."""
        n_patterns, n_visits = weights.shape[:2]
        flat = weights.reshape(n_patterns, -1)
        # sum_k n_k W_k[a, b] W_k[c, d], as [(b, c), (d, a)]: tr(W A W B) = vec(A)' N vec(B)
        pairs = (flat.T * self.prepared.pattern_sizes) @ flat
        pairs = pairs.reshape((n_visits,) * 4).transpose(1, 2, 3, 0).reshape(n_visits**2, -1)
        derivatives = self.structure.jacobian(theta).reshape(n_visits**2, -1)  # (T*T, m)
        information = 0.5 * derivatives.T @ pairs @ derivatives
        return 0.5 * (information + information.T)

    def hessian(self, theta):
        """Hessian of the log-likelihood by central differences of the analytic gradient."""
        steps = 1e-4 * np.maximum(1.0, np.abs(theta))
        shifts = np.diag(steps)
        try:
            points = np.concatenate([theta + shifts, theta - shifts])
            gradients = self.evaluate_points(points, value=False)[1]
        except np.linalg.LinAlgError:
            return np.full((theta.size, theta.size), np.nan)
        upper, lower = np.split(gradients, 2)
        hessian = (upper - lower) / (2 * steps[:, None])
        return 0.5 * (hessian + hessian.T)

    def variance_gradients(self, theta, weights, contrasts):
        """d(c' A^{-1} c)/dtheta for each column c of ``contrasts``."""
        prepared = self.prepared
        information = _information_matrix(weights, prepared.moments, prepared.expand)
        directions = np.linalg.solve(information, contrasts)
        n_visits = prepared.masks.shape[1]
        per_visit = (prepared.expand @ directions).T.reshape(contrasts.shape[1], n_visits, -1)
        projected = per_visit[:, None] @ prepared.moments[None] @ per_visit[:, None].swapaxes(2, 3)
        matrix_gradient = (weights[None] @ projected @ weights[None]).sum(axis=1)
        return self.structure.chain(theta, matrix_gradient)


def _initial_sigma(prepared: _Prepared) -> np.ndarray:
    """Available-case covariance of OLS residuals, made positive definite."""
    cross = prepared.residual_cross.sum(axis=0)
    pairs = np.einsum("ka,kb,k->ab", prepared.masks, prepared.masks, prepared.pattern_sizes)
    sigma = cross / np.maximum(pairs, 1)
    values, vectors = np.linalg.eigh(sigma)
    floor = max(values.max(), 1e-12) * 1e-3
    return (vectors * np.maximum(values, floor)) @ vectors.T


def _kenward_roger(reml: _Reml, theta: np.ndarray, state: dict, contrasts: np.ndarray):
    """Kenward-Roger (1997) adjusted covariance of beta and the df of each contrast column.

    Returns ``(adjusted, dof)``: ``Phi_A = Phi + 2 Phi [sum_ij W_ij (Q_ij - P_i Phi P_j
    - R_ij / 4)] Phi`` and, per contrast ``c``, ``2 (c' Phi c)^2 / (g' W g)`` with
    ``g_i = c' Phi P_i Phi c`` (the single-contrast case of Kenward & Roger's F
    approximation, whose scale factor is then 1). ``W`` is the inverse expected information
    of the structure's Kenward-Roger parameters (:meth:`_Structure.kr_derivatives`).
    """
    prepared = reml.prepared
    weights = state["weights"]
    phi = np.linalg.inv(state["information"])
    first, second = reml.structure.kr_derivatives(reml.structure.sigma(theta))
    m = first.shape[0]
    sandwich = weights[None] @ first[:, None] @ weights[None]  # W V_i W per pattern
    tail = first[:, None] @ weights[None]  # V_j W per pattern

    def information(pattern_weights):
        return _information_matrix(pattern_weights, prepared.moments, prepared.expand)

    p_terms = [information(sandwich[i]) for i in range(m)]
    sizes = prepared.pattern_sizes
    product = weights[None] @ first[:, None]  # W V_i per pattern
    traces = np.einsum("k,ikab,jkba->ij", sizes, product, product)
    expected = np.zeros((m, m))
    correction = np.zeros_like(phi)
    q_terms = {}
    for i in range(m):
        for j in range(m):
            q_terms[i, j] = information(sandwich[i] @ tail[j])
            expected[i, j] = (
                traces[i, j]
                - 2 * np.sum(phi * q_terms[i, j])
                + np.sum((phi @ p_terms[i]) * (p_terms[j] @ phi))
            )
    covariance = 2 * np.linalg.pinv(0.5 * (expected + expected.T))
    for i in range(m):
        for j in range(m):
            r_term = information(weights @ second[i, j] @ weights)
            correction += covariance[i, j] * (
                q_terms[i, j] - p_terms[i] @ phi @ p_terms[j] - 0.25 * r_term
            )
    adjusted = phi + 2 * phi @ correction @ phi
    adjusted = 0.5 * (adjusted + adjusted.T)
    variances = np.einsum("pc,pq,qc->c", contrasts, phi, contrasts)
    gradients = np.stack(
        [np.einsum("pc,pq,qc->c", contrasts, phi @ term @ phi, contrasts) for term in p_terms],
        axis=1,
    )
    spread = np.einsum("ci,ij,cj->c", gradients, covariance, gradients)
    return adjusted, 2 * variances**2 / spread


def _newton_step(information, gradient):
    """Newton step for the log-likelihood, or None when the information is not usable."""
    if gradient is None or not np.all(np.isfinite(information)):
        return None
    try:
        factor = np.linalg.cholesky(information)
    except np.linalg.LinAlgError:
        return None
    return np.linalg.solve(factor.T, np.linalg.solve(factor, gradient))


def _scoring(reml: _Reml, theta: np.ndarray, max_iterations: int = 50):
    """Fisher scoring (approximate information, step halving) to a REML score below
    ``_GRADIENT_TOLERANCE``; returns ``(theta, iterations)``, or ``None`` if it does not get
    there (then :func:`_maximise` uses BFGS). It converges linearly, but each iteration costs
    one evaluation: about 15 where BFGS took about 60 (and its line searches)."""
    value, gradient, state = reml.evaluate(theta, gradient=True)
    for iteration in range(max_iterations):
        if gradient is None or not np.isfinite(value):
            return None
        if np.abs(gradient).max() < _GRADIENT_TOLERANCE:
            return theta, iteration
        step = _newton_step(reml.scoring_information(theta, state["weights"]), gradient)
        if step is None:
            return None
        for shrink in 0.5 ** np.arange(20):
            candidate = theta + shrink * step
            result = reml.evaluate(candidate, gradient=True)
            if result[0] >= value:
                theta, (value, gradient, state) = candidate, result
                break
        else:
            return None
    return None


def _maximise(reml: _Reml, start: np.ndarray):
    """Fisher scoring (or BFGS where scoring fails) on the REML log-likelihood, then Newton
    steps with the numerical Hessian."""

    def objective(theta):
        value, gradient, _ = reml.evaluate(theta, gradient=True)
        if not np.isfinite(value):
            return np.inf, np.zeros_like(theta)
        return -value, -gradient

    scored = _scoring(reml, start)
    if scored is not None:
        (theta, iterations), status = scored, "Fisher scoring converged."
    else:
        fit = optimize.minimize(
            objective,
            start,
            jac=True,
            method="BFGS",
            options={"gtol": _GRADIENT_TOLERANCE, "maxiter": 2000},
        )
        theta, iterations, status = fit.x, fit.nit, fit.message
    information = -reml.hessian(theta)
    for _ in range(_NEWTON_STEPS):
        current, gradient, _ = reml.evaluate(theta, gradient=True)
        step = _newton_step(information, gradient)
        if step is None or np.abs(gradient).max() < _GRADIENT_TOLERANCE:
            break
        for shrink in 0.5 ** np.arange(20):
            if reml.evaluate(theta + shrink * step)[0] >= current:
                theta = theta + shrink * step
                break
        iterations += 1
        information = -reml.hessian(theta)
    gradient = reml.evaluate(theta, gradient=True)[1]
    largest_gradient = np.abs(gradient).max() if gradient is not None else np.inf
    smallest = np.linalg.eigvalsh(information).min() if np.isfinite(information).all() else np.nan
    converged = bool(largest_gradient < 1e-3 and smallest > 0)
    message = (
        f"{status} max |gradient| = {largest_gradient:.3g}; "
        f"smallest eigenvalue of the information = {smallest:.3g}"
    )
    return theta, information, converged, iterations, message


# --------------------------------------------------------------------------------------
# Public function
# --------------------------------------------------------------------------------------


def mmrm(
    data: pd.DataFrame,
    *,
    outcome: str,
    subject: str,
    visit: str,
    arm: str,
    covariates: tuple[str, ...] | list[str] = (),
    covariance: str = "unstructured",
    df: str = "satterthwaite",
    reference=None,
    ci_level: float = 0.95,
    baseline: str | None = None,
) -> MMRMResult:
    """Fit a mixed model for repeated measures by REML; LS means and arm differences per visit.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, one row per subject and visit. A missed visit is an absent row or a
        missing ``outcome``; both are treated as missing at random (MAR). A row without a
        subject or visit cannot be placed: it is left out and counted.
    outcome, subject, visit, arm : str
        Column names. ``outcome`` and ``visit`` must be numeric; every distinct visit
        with an observed outcome is a level of the model (drop the baseline visit first
        when the baseline value is a covariate).
    covariates : sequence of str, default ()
        Additional subject-level (baseline) fixed effects, constant within subject and
        without missing values; numeric columns enter linearly, other columns as
        treatment-coded dummies.
    covariance : {"unstructured", "heterogeneous_cs", "ar1", "toeplitz", "compound_symmetry"}
        Within-subject covariance over visits (see Notes).
    df : {"satterthwaite", "residual", "kenward_roger"}
        Denominator degrees of freedom: Satterthwaite's approximation; the residual
        degrees of freedom ``n_observations - n_coefficients`` (what ``summary.gls`` uses);
        or Kenward & Roger's, which also inflates the covariance of the estimates for the
        uncertainty of the estimated covariance (the default of R's ``mmrm`` and of SAS
        ``ddfm=kr`` for small trials; see Notes).
    reference : optional
        Reference arm; default the first category (categorical ``arm``) or the smallest value.
    ci_level : float, default 0.95
        Confidence level.
    baseline : str, optional
        Baseline value of the outcome, constant within subject; enters as
        ``baseline * visit`` (a separate slope per visit).

    Returns
    -------
    MMRMResult
        ``.estimates`` is the tidy frame: for each visit, one row per arm with the LS mean
        (``contrast`` = arm name, ``scale`` = "mean") and one row per non-reference arm with
        the difference from ``reference`` (``contrast`` = "<arm> - <reference>", ``scale`` =
        "mean difference"); ``n`` is the number of subjects observed at that visit in the
        arm(s); ``p_value`` tests a zero difference and is missing for LS means.
        ``.diagnostics``: ``converged`` (``detail`` = the optimiser's message),
        ``iterations``, ``log_likelihood``, ``covariance_structure``, ``df_method``,
        ``n_subjects``, ``n_observations`` and one ``excluded`` row per reason: rows with a
        missing outcome (missed visits), then rows without a subject or visit
        (``"<column> missing"``). ``.degrees_of_freedom`` holds the df of each row;
        the REML log-likelihood, covariance matrix, coefficients and convergence information
        are further attributes (see :class:`MMRMResult`).

    Raises
    ------
    ValueError
        On an unknown column, covariance or df method, a reference arm that is not
        present, fewer than two arms, a non-numeric outcome, duplicated subject-visit rows,
        a covariate varying within subject or with missing values.
    NotEstimable
        On a rank-deficient design (e.g. an arm with no observation at a visit, or collinear
        covariates).
    MMRMFitError
        When the optimisation ends where the covariance is singular (nothing to report).

    Warns
    -----
    MMRMConvergenceWarning
        When the score is not near zero or the Hessian not negative definite; then
        ``.converged`` is False and every ``method`` cell ends with "[not converged]".

    Notes
    -----
    Subject *i* with observed visits :math:`O_i` has
    :math:`y_i \\sim N(X_i\\beta, \\Sigma_{O_i O_i})`. With
    :math:`A = \\sum_i X_i'\\Sigma_{O_i}^{-1}X_i` and
    :math:`\\hat\\beta = A^{-1}\\sum_i X_i'\\Sigma_{O_i}^{-1}y_i`, the REML log-likelihood
    maximised over :math:`\\theta` is

    .. math:: \\ell_R = -\\tfrac12\\Big[(N-p)\\log 2\\pi + \\sum_i \\log|\\Sigma_{O_i}|
              + \\log|A| + \\sum_i r_i'\\Sigma_{O_i}^{-1} r_i - \\log|X'X|\\Big],

    :math:`r_i = y_i - X_i\\hat\\beta`. ``logLik()`` of ``nlme::gls(method = "REML")`` is
    the same without the :math:`\\log|X'X|` term (which makes it depend on the coding of
    the design; the reference tests add it back). The gradient uses
    :math:`\\partial\\ell_R/\\partial\\Sigma_{O} = -\\tfrac12\\sum_{i\\in O}
    [W - W(r_ir_i' + X_iA^{-1}X_i')W]`, :math:`W = \\Sigma_O^{-1}`, evaluated from the
    per-pattern sums described in the module docstring. BFGS maximises
    :math:`\\ell_R`, then Newton steps with the numerical Hessian polish the maximum.
    Covariance structures and the nlme calls they reproduce (``vidx`` = 1..T, the visit
    position; ``visitf`` = the visit as a factor):

    * ``"unstructured"``: :math:`\\Sigma = LL'`, :math:`L` lower triangular with a log
      diagonal (T(T+1)/2 parameters); ``corSymm(form = ~ vidx | subject)`` with
      ``varIdent(form = ~ 1 | visitf)``.
    * ``"heterogeneous_cs"``: :math:`\\Sigma_{ab} = \\sigma_a\\sigma_b\\{\\rho + (1-\\rho)
      [a=b]\\}`; ``corCompSymm(form = ~ 1 | subject)`` with ``varIdent(form = ~ 1 | visitf)``.
    * ``"ar1"``: :math:`\\Sigma_{ab} = \\sigma^2\\rho^{|a-b|}` on the visit *position*
      (not the month), constant variance; ``corAR1(form = ~ vidx | subject)``.
    * ``"compound_symmetry"``: :math:`\\Sigma_{ab} = \\sigma^2\\{\\rho + (1-\\rho)[a=b]\\}`;
      ``corCompSymm(form = ~ 1 | subject)``, and for :math:`\\rho \\ge 0` the random
      intercept model ``lmer(y ~ ... + (1 | subject))``.
    * ``"toeplitz"``: :math:`\\Sigma_{ab} = \\sigma^2 r_{|a-b|}`, the :math:`r_k`
      parameterised by partial autocorrelations through the Durbin-Levinson recursion, so
      every value is positive definite; identical to ``corARMA(form = ~ vidx | subject,
      p = T - 1)`` (any positive-definite Toeplitz correlation is that of an AR(T-1)).

    The LS mean of an arm at a visit is the model prediction averaged over the analysed
    rows with arm and visit set to those values, i.e. covariates at their means over the
    analysed rows (categorical covariates at their observed proportions), as in
    ``emmeans(fit, ~ arm | visit, weights = "proportional")``. The Satterthwaite df of an
    estimate :math:`c'\\hat\\beta` with variance :math:`v(\\theta) = c'A^{-1}c` is
    :math:`2v^2/(g'H^{-1}g)`, :math:`g = \\partial v/\\partial\\theta` (analytic) and
    :math:`H` the observed information of :math:`\\theta` (negative REML Hessian, central
    differences of the analytic gradient); the df does not depend on the parameterisation
    of :math:`\\theta`. CIs and p-values use Student's t with that df.

    Kenward-Roger: with :math:`\\Phi = A^{-1}`, :math:`P_i = X'V^{-1}V_iV^{-1}X`,
    :math:`Q_{ij} = X'V^{-1}V_iV^{-1}V_jV^{-1}X`, :math:`R_{ij} = X'V^{-1}V_{ij}V^{-1}X`
    (derivatives of :math:`\\Sigma` in the parameters :math:`\\varphi`) and :math:`W` the
    inverse of the expected information of :math:`\\varphi`, the covariance of
    :math:`\\hat\\beta` is :math:`\\Phi_A = \\Phi + 2\\Phi\\{\\sum_{ij}W_{ij}(Q_{ij} -
    P_i\\Phi P_j - R_{ij}/4)\\}\\Phi` and the df of :math:`c'\\hat\\beta` is
    :math:`2(c'\\Phi c)^2/(g'Wg)`, :math:`g_i = c'\\Phi P_i\\Phi c` (one contrast: the F
    approximation's scale is 1). :math:`\\varphi` is the structure's usual
    parameterisation, linear in :math:`\\Sigma` where it can be (then :math:`R_{ij} = 0`):
    the variances and covariances (unstructured), the covariance at each lag (Toeplitz),
    the between- and within-subject variances (compound symmetry, as ``pbkrtest`` for the
    random-intercept model); the variance(s) and the correlation (AR(1), heterogeneous
    CS). The SE column then holds :math:`\\sqrt{c'\\Phi_A c}` and
    ``coefficient_covariance`` is :math:`\\Phi_A`.

    References
    ----------
    Mallinckrodt CH, Lane PW, Schnell D, Peng Y, Mancuso JP (2008). Recommendations for
    the primary analysis of continuous endpoints in longitudinal clinical trials. Drug
    Information Journal 42:303-319.
    Satterthwaite FE (1946). An approximate distribution of estimates of variance
    components. Biometrics Bulletin 2:110-114.
    Kenward MG, Roger JH (1997). Small sample inference for fixed effects from restricted
    maximum likelihood. Biometrics 53:983-997.
    Halekoh U, Højsgaard S (2014). A Kenward-Roger approximation and parametric bootstrap
    methods for tests in linear mixed models - the R package pbkrtest. J Stat Softw 59(9).
    Pinheiro JC, Bates DM (2000). Mixed-Effects Models in S and S-PLUS. Springer (nlme).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> rows = [(s, ("active", "control")[s % 2], v, rng.normal(v * (s % 2 == 0)))
    ...         for s in range(40) for v in (1, 2, 3)]
    >>> data = pd.DataFrame(rows, columns=["id", "arm", "month", "score"])
    >>> fit = mmrm(data, outcome="score", subject="id", visit="month", arm="arm",
    ...            reference="control")
    >>> fit.converged, fit.diagnostic("converged"), fit.diagnostic("n_subjects")
    (True, True, 40)
    >>> fit.estimates.loc[fit.estimates["scale"] == "mean difference", "contrast"].iloc[0]
    'active - control'
    >>> fit.covariance.shape
    (3, 3)
    >>> small = mmrm(data, outcome="score", subject="id", visit="month", arm="arm",
    ...              reference="control", df="kenward_roger")
    >>> small.degrees_of_freedom[2::3].round(6).tolist()
    [38.0, 38.0, 38.0]
    """
    covariates = tuple(covariates)
    require_columns(data, outcome=outcome, subject=subject, visit=visit, arm=arm,
                    baseline=baseline,
                    **{f"covariates[{index}]": name for index, name in enumerate(covariates)})  # fmt: skip
    check_choice("covariance", covariance, COVARIANCE_STRUCTURES)
    check_choice("df", df, DF_METHODS)
    ci_level = check_ci_level(ci_level)
    require_numeric(data, outcome=outcome, visit=visit, baseline=baseline)
    frame, reasons = complete_rows(data, [outcome, subject, visit])
    prepared = _prepare(frame, outcome, subject, visit, arm, covariates, baseline, reference)
    if prepared.visits.size < 2 and covariance != "unstructured":
        raise ValueError(
            f"covariance={covariance!r} needs at least 2 visits; allowed: 'unstructured'"
        )
    structure = _STRUCTURES[covariance](prepared.visits.size)
    reml = _Reml(prepared, structure)
    theta, information, converged, iterations, message = _maximise(
        reml, structure.initial(_initial_sigma(prepared))
    )
    if not converged:
        warnings.warn(
            f"MMRM ({covariance}) did not converge: {message}", MMRMConvergenceWarning, stacklevel=2
        )
    loglik, _, state = reml.evaluate(theta)
    if state is None:
        raise MMRMFitError(f"MMRM ({covariance}) failed: singular covariance; {message}")
    beta = prepared.beta_ols + state["shift"]
    beta_covariance = np.linalg.inv(state["information"])
    contrasts, rows = _contrasts(prepared)
    if df == "kenward_roger":
        beta_covariance, dof = _kenward_roger(reml, theta, state, contrasts)
    variances = np.einsum("pc,pq,qc->c", contrasts, beta_covariance, contrasts)
    if df == "satterthwaite":
        gradients = reml.variance_gradients(theta, state["weights"], contrasts)
        spread = np.einsum("cj,jk,ck->c", gradients, np.linalg.pinv(information), gradients)
        dof = 2 * variances**2 / spread
    elif df == "residual":
        dof = np.full(len(rows), float(prepared.n_observations - beta.size))
    method = f"MMRM (REML, {covariance}, {df} df)" + ("" if converged else " [not converged]")
    estimates = _estimate_rows(
        rows, contrasts.T @ beta, np.sqrt(variances), dof, ci_level, outcome, method
    )
    names = prepared.coefficient_names
    visits = pd.Index(prepared.visits, name=visit)
    model = {
        "log_likelihood": float(loglik),
        "converged": converged,
        "iterations": int(iterations),
        "message": str(message),
        "covariance_structure": covariance,
        "df_method": df,
        "n_subjects": int(prepared.pattern_sizes.sum()),
        "n_observations": int(prepared.n_observations),
    }
    rows = [
        {"diagnostic": "converged", "value": converged, "detail": model["message"]},
        *(
            {"diagnostic": name, "value": model[name]}
            for name in ("iterations", "log_likelihood", "covariance_structure", "df_method",
                         "n_subjects", "n_observations")
        ),
        *exclusion_rows(reasons),
    ]  # fmt: skip
    return MMRMResult(
        estimates=estimates,
        diagnostics=diagnostics_frame(rows, outcome=outcome, method=method),
        degrees_of_freedom=dof,
        covariance=pd.DataFrame(structure.sigma(theta), index=visits, columns=visits),
        coefficients=pd.Series(beta, index=names),
        coefficient_covariance=pd.DataFrame(beta_covariance, index=names, columns=names),
        **model,
    )


def _contrasts(prepared: _Prepared):
    """Contrast vectors (columns) and row labels: LS means, then differences, per visit."""
    n_arms, stride = len(prepared.arms), prepared.n_by_visit
    n_coefficients = prepared.beta_ols.size
    columns, rows = [], []
    for t, visit_value in enumerate(prepared.visits):
        for a, name in enumerate(prepared.arms):
            vector = np.zeros(n_coefficients)
            vector[t * stride + a] = 1.0
            columns.append(vector)
            rows.append((str(name), visit_value, int(prepared.cell_counts[a, t]), "mean"))
        for a in range(1, n_arms):
            vector = np.zeros(n_coefficients)
            vector[t * stride + a] = 1.0
            vector[t * stride] = -1.0
            columns.append(vector)
            count = int(prepared.cell_counts[a, t] + prepared.cell_counts[0, t])
            label = f"{prepared.arms[a]} - {prepared.arms[0]}"
            rows.append((label, visit_value, count, "mean difference"))
    return np.array(columns).T, rows


def _estimate_rows(rows, values, errors, dof, ci_level, outcome, method):
    quantile = stats.t.ppf(0.5 + ci_level / 2, dof)
    p_values = 2 * stats.t.sf(np.abs(values) / errors, dof)
    records = []
    for index, (contrast, visit_value, count, scale) in enumerate(rows):
        records.append(
            {
                "outcome": outcome,
                "contrast": contrast,
                "visit": visit_value,
                "estimate": values[index],
                "se": errors[index],
                "ci_low": values[index] - quantile[index] * errors[index],
                "ci_high": values[index] + quantile[index] * errors[index],
                "ci_level": ci_level,
                "p_value": p_values[index] if scale == "mean difference" else np.nan,
                "n": count,
                "method": method,
                "scale": scale,
            }
        )
    return estimate_frame(records)
