"""Per-date orthogonalization of K factor panels (K, T, N), vectorized over dates with batched
linear algebra on the stacked (T, K, K) per-date correlation matrices.

On each date only the names where every factor has a value take part (the "common names"); the
others are NaN in every output factor. Each factor is z-scored over the common names (ddof=1), Z is
the (K, n) matrix of those z-scores and R = Z Zᵀ / (n - 1) their correlation matrix. Then:

- "gram_schmidt": R = L Lᵀ (Cholesky) and the output is L⁻¹ Z. Row k is the residual of factor k
  on the factors before it (cross-sectional OLS with an intercept: the z-scores are centred),
  scaled to unit variance. The order of the factors matters; the first one is only standardized.
- "symmetric" (Löwdin): the output is R^(-1/2) Z. It treats the factors alike and is the
  orthonormal set closest to Z in the least-squares sense (the polar factor of Z / √(n - 1)).

Either way the outputs have, on each date, zero mean, unit variance (ddof=1) and zero correlation
with each other over the common names. A date with K or fewer common names, a factor constant across
them, or factors collinear there (smallest eigenvalue of R below `COLLINEAR`), is NaN for every
factor.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

OrthogonalizeMethod = Literal["gram_schmidt", "symmetric"]
ORTHOGONALIZE_METHODS = ("gram_schmidt", "symmetric")

# Smallest eigenvalue of the per-date correlation matrix (whose eigenvalues sum to K) below which
# the factors are treated as collinear on that date: their residuals would be rounding noise.
COLLINEAR = 1e-10


def orthogonalize(factors: np.ndarray, method: OrthogonalizeMethod = "gram_schmidt") -> np.ndarray:
    """Orthogonalize K factor panels (K, T, N) against each other on every date -> (K, T, N)."""
    if method not in ORTHOGONALIZE_METHODS:
        raise ValueError(f"method must be one of {ORTHOGONALIZE_METHODS}, got {method!r}")
    x = np.asarray(factors, dtype=float)
    if x.ndim != 3:
        raise ValueError(f"factors must be (K, T, N), got shape {x.shape}")
    k = x.shape[0]
    common = np.isfinite(x).all(axis=0)  # (T, N)
    n = common.sum(axis=1)  # (T,)
    z, scaled = _zscore_on(x, common, n)  # (T, K, N), 0 off the common names
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = z @ z.swapaxes(-1, -2) / (n - 1)[:, None, None]  # (T, K, K)

    usable = (n > k) & scaled
    corr[~usable] = np.eye(k)  # placeholders so the batched decompositions run on every date
    eigenvalues, eigenvectors = np.linalg.eigh(corr)
    usable &= eigenvalues[:, 0] > COLLINEAR
    eigenvalues[~usable] = 1.0
    corr[~usable] = np.eye(k)

    if method == "gram_schmidt":
        out = np.linalg.solve(np.linalg.cholesky(corr), z)
    else:
        inverse_root = (eigenvectors / np.sqrt(eigenvalues)[:, None, :]) @ eigenvectors.swapaxes(-1, -2)
        out = inverse_root @ z
    out[~usable] = np.nan
    out = out.transpose(1, 0, 2)  # back to (K, T, N)
    out[:, ~common] = np.nan
    return np.ascontiguousarray(out)


def _zscore_on(x: np.ndarray, common: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """z-scores over the common names per (date, factor), as (T, K, N) with 0 elsewhere, and per date
    whether every factor varies there (a constant factor cannot be scaled)."""
    filled = np.where(common, x, 0.0).transpose(1, 0, 2)  # (T, K, N)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=-1, keepdims=True) / n[:, None, None]
        centred = np.where(common[:, None, :], filled - mean, 0.0)
        std = np.sqrt((centred * centred).sum(axis=-1, keepdims=True) / (n - 1)[:, None, None])
        z = np.where(std > 0, centred / std, 0.0)
    return z, (std[..., 0] > 0).all(axis=1)
