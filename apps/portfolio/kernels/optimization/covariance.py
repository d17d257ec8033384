"""Covariance estimators over (T, N) simple per-period returns, annualized by `frequency` (see
estimators.py for the units): sample, EWMA, Ledoit-Wolf and OAS shrinkage (scikit-learn), a factor
model B Sigma_f B' + D from given or regressed exposures, and a k-factor PCA model.

Only the sample estimator accepts missing returns (pairwise-complete covariances, pandas' DataFrame.cov);
the others need complete data, so apply a missing-data policy first. Every result is symmetric
positive semidefinite: an indefinite matrix (possible pairwise) has its negative eigenvalues set to 0
("spectral" repair, as PyPortfolioOpt does) and the caller is told so.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from sklearn.covariance import ledoit_wolf, oas
from sklearn.decomposition import PCA

CovarianceEstimator = Literal["sample", "ewma", "ledoit_wolf", "oas", "factor", "pca"]
COVARIANCE_ESTIMATORS = ("sample", "ewma", "ledoit_wolf", "oas", "factor", "pca")


def _complete(returns: np.ndarray, name: str) -> np.ndarray:
    r = np.asarray(returns, dtype=float)
    if not np.isfinite(r).all():
        raise ValueError(
            f"{name} needs complete returns: apply the drop_dates, drop_assets or fill_zero policy"
        )
    return r


def repair_psd(cov: np.ndarray) -> tuple[np.ndarray, bool]:
    """(matrix, repaired): the symmetric part of `cov`, with negative eigenvalues set to 0 when it has
    any below -1e-12 * the largest (PyPortfolioOpt's "spectral" fix)."""
    c = (np.asarray(cov, dtype=float) + np.asarray(cov, dtype=float).T) / 2.0
    vals, vecs = np.linalg.eigh(c)
    if vals[0] >= -1e-12 * max(vals[-1], 0.0):
        return c, False
    fixed = (vecs * np.clip(vals, 0.0, None)) @ vecs.T
    return (fixed + fixed.T) / 2.0, True


def sample_covariance(returns: np.ndarray, *, frequency: float = 252) -> np.ndarray:
    """Sample covariance (ddof=1) * frequency; with missing returns each pair uses the dates both
    have (may be indefinite: see `repair_psd`)."""
    r = np.asarray(returns, dtype=float)
    if np.isfinite(r).all():
        return np.atleast_2d(np.cov(r, rowvar=False)) * frequency
    return pd.DataFrame(r).cov().to_numpy() * frequency


def ewma_covariance(returns: np.ndarray, *, span: float, frequency: float = 252) -> np.ndarray:
    """Exponentially weighted covariance (PyPortfolioOpt's exp_cov): returns demeaned by their
    full-sample mean, products weighted (1 - a)^k back from the last date, a = 2 / (span + 1),
    divided by the sum of the weights (pandas' adjusted ewm mean), * frequency."""
    r = _complete(returns, "the EWMA covariance")
    alpha = 2.0 / (span + 1.0)
    weights = (1.0 - alpha) ** np.arange(r.shape[0] - 1, -1, -1, dtype=float)
    centred = r - r.mean(axis=0)
    return (centred * weights[:, None]).T @ centred / weights.sum() * frequency


def ledoit_wolf_covariance(returns: np.ndarray, *, frequency: float = 252) -> tuple[np.ndarray, float]:
    """(covariance, shrinkage): scikit-learn's Ledoit-Wolf shrinkage towards a scaled identity
    (maximum-likelihood sample covariance, divided by T), * frequency."""
    cov, shrinkage = ledoit_wolf(_complete(returns, "Ledoit-Wolf"))
    return cov * frequency, float(shrinkage)


def oas_covariance(returns: np.ndarray, *, frequency: float = 252) -> tuple[np.ndarray, float]:
    """(covariance, shrinkage): scikit-learn's Oracle Approximating Shrinkage, * frequency."""
    cov, shrinkage = oas(_complete(returns, "OAS"))
    return cov * frequency, float(shrinkage)


def factor_covariance(
    returns: np.ndarray,
    factor_returns: np.ndarray,
    *,
    exposures: np.ndarray | None = None,
    frequency: float = 252,
) -> np.ndarray:
    """Factor-model covariance (B Sigma_f B' + D) * frequency.

    `factor_returns` (T, K) are on the same dates as `returns`; Sigma_f is their sample covariance
    (ddof=1). With `exposures` B (N, K) given, D_i is the sample variance (ddof=1) of the residual
    r_i - B_i f. Without, B is the OLS regression (with an intercept) of each asset on the factors
    and D_i its residual variance SSR_i / (T - K - 1) (statsmodels' mse_resid)."""
    r = _complete(returns, "the factor covariance")
    f = _complete(factor_returns, "the factor covariance").reshape(r.shape[0], -1)
    t, k = f.shape
    if exposures is None:
        design = np.column_stack([np.ones(t), f])
        coef, *_ = np.linalg.lstsq(design, r, rcond=None)
        b = coef[1:].T
        resid = r - design @ coef
        specific = (resid * resid).sum(axis=0) / (t - k - 1)
    else:
        b = np.asarray(exposures, dtype=float).reshape(r.shape[1], k)
        specific = np.var(r - f @ b.T, axis=0, ddof=1)
    factor_cov = np.atleast_2d(np.cov(f, rowvar=False))
    cov = b @ factor_cov @ b.T + np.diag(specific)
    return (cov + cov.T) / 2.0 * frequency


def pca_covariance(returns: np.ndarray, *, n_factors: int, frequency: float = 252) -> np.ndarray:
    """k-factor statistical model (B B' + D) * frequency: B the top `n_factors` principal axes of the
    sample covariance scaled by the square root of their variances (scikit-learn's PCA), D the
    variance each asset has left, so the diagonal equals the sample variances."""
    r = _complete(returns, "the PCA covariance")
    pca = PCA(n_components=n_factors, svd_solver="full").fit(r)
    b = pca.components_.T * np.sqrt(pca.explained_variance_)
    specific = np.clip(r.var(axis=0, ddof=1) - (b * b).sum(axis=1), 0.0, None)
    return (b @ b.T + np.diag(specific)) * frequency


def covariance_matrix(
    returns: np.ndarray,
    method: CovarianceEstimator,
    *,
    frequency: float = 252,
    span: float = 60,
    factor_returns: np.ndarray | None = None,
    exposures: np.ndarray | None = None,
    n_factors: int | None = None,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """(covariance, notes): one estimator by name, made PSD, with what was done said in the notes."""
    if method == "sample":
        cov, notes = sample_covariance(returns, frequency=frequency), ["covariance: sample"]
    elif method == "ewma":
        cov, notes = (
            ewma_covariance(returns, span=span, frequency=frequency),
            [f"covariance: EWMA span {span}"],
        )
    elif method in ("ledoit_wolf", "oas"):
        fn = ledoit_wolf_covariance if method == "ledoit_wolf" else oas_covariance
        cov, shrinkage = fn(returns, frequency=frequency)
        notes = [f"covariance: {method} shrinkage {shrinkage:.4f}"]
    elif method == "factor":
        if factor_returns is None:
            raise ValueError("the factor covariance needs factor_returns")
        cov = factor_covariance(returns, factor_returns, exposures=exposures, frequency=frequency)
        notes = [
            "covariance: factor model "
            + ("(given exposures)" if exposures is not None else "(OLS exposures)")
        ]
    elif method == "pca":
        if not n_factors:
            raise ValueError("the PCA covariance needs n_factors")
        cov, notes = (
            pca_covariance(returns, n_factors=n_factors, frequency=frequency),
            [f"covariance: {n_factors}-factor PCA"],
        )
    else:
        raise ValueError(f"unknown covariance estimator {method!r}; one of {COVARIANCE_ESTIMATORS}")
    cov, repaired = repair_psd(cov)
    if repaired:
        notes.append("covariance was not positive semidefinite: negative eigenvalues set to 0")
    return cov, tuple(notes)
