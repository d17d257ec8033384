"""Combining K factors (K, T, N) into one composite: per-date standardization, combination weights
fitted from the factors' information coefficients (IC), the weighted composite, and `synthesize`,
which fits the weights on training dates and measures the composite in and out of sample.

The IC of a factor on a date is its cross-sectional correlation with the forward returns
(`kernels.correlation.cross_sectional_correlation`: Spearman for "rank", Pearson for "pearson",
over the names where both have a value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.covariance import LedoitWolf

from .correlation import CrossSectionMethod, cross_sectional_correlation
from .orthogonalize import OrthogonalizeMethod
from .orthogonalize import orthogonalize as orthogonalize_factors

WeightMethod = Literal["equal", "ic", "icir", "max_icir", "pca"]
WEIGHT_METHODS = ("equal", "ic", "icir", "max_icir", "pca")
# Weights fitted by a model outside this module (the ML engine's facade) on `regression_design`.
FIT_METHODS = ("regression",)
SYNTHESIS_METHODS = WEIGHT_METHODS + FIT_METHODS
MissingRule = Literal["renormalize", "nan"]


@dataclass(frozen=True)
class Synthesis:
    weights: np.ndarray  # (K,), sum |w| = 1, fitted on the training dates only
    composite: np.ndarray  # (T, N) over all dates
    ic_in_sample: float  # mean per-date IC of the composite over the training dates
    ic_out_of_sample: float  # ... over the other dates (NaN if there are none)
    composite_ic: np.ndarray  # (T,) the per-date IC of the composite


def standardize(factors: np.ndarray) -> np.ndarray:
    """Per-date cross-sectional z-score of each factor (K, T, N) -> (K, T, N).

    On each date, (x - mean) / std over the names where that factor has a value (std with
    ddof=1). NaN stays NaN; a (factor, date) with fewer than 2 values or no dispersion is all NaN."""
    x = _as_3d(factors)
    valid = np.isfinite(x)
    n = valid.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(valid, x, 0.0).sum(axis=-1, keepdims=True) / n
        centred = np.where(valid, x - mean, np.nan)
        std = np.sqrt(np.nansum(centred * centred, axis=-1, keepdims=True) / (n - 1))
        return np.where((n >= 2) & (std > 0), centred / std, np.nan)


def combination_weights(
    ic: np.ndarray,
    method: WeightMethod = "icir",
    *,
    factors: np.ndarray | None = None,
    shrink: bool = True,
) -> np.ndarray:
    """Weights (K,) for combining K factors from their per-date ICs (K, T); every method returns
    weights normalized so that sum |w| = 1 (a factor with a negative mean IC gets a negative weight
    except under "equal").

    - "equal": 1/K each.
    - "ic": w ∝ mean IC (over the dates where that factor has an IC).
    - "icir": w ∝ mean IC / std IC (ddof=1), the IC information ratio, per factor.
    - "max_icir": w ∝ Σ⁻¹ · mean IC (Qian & Hua), the weights maximizing the composite's IC
      information ratio; Σ is the IC covariance, over the dates where every factor has an IC,
      shrunk with Ledoit-Wolf when `shrink` (sklearn.covariance.LedoitWolf), else the sample
      covariance; it is inverted with the pseudo-inverse, so exactly redundant factors share
      their weight instead of failing.
    - "pca": the first principal component of the correlation of the standardized `factors`
      (K, T, N) (required), stacked over dates and names where every factor has a value; its sign
      makes Σ w_k · mean IC_k positive (the composite's mean IC, to first order).

    A factor whose mean IC is undefined (no IC on any date) gets weight 0 under "ic" and "icir".
    Raises ValueError when every weight would be zero or undefined."""
    values = np.asarray(ic, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"ic must be (K, T), got shape {values.shape}")
    k = values.shape[0]
    mean_ic = _nanmean_rows(values)
    if method == "equal":
        raw = np.ones(k)
    elif method == "ic":
        raw = mean_ic
    elif method == "icir":
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = mean_ic / _nanstd_rows(values)
    elif method == "max_icir":
        raw = _max_icir(values, shrink)
    elif method == "pca":
        if factors is None:
            raise ValueError('method "pca" needs the factors')
        raw = _first_component(factors)
        raw = raw if raw @ np.nan_to_num(mean_ic) >= 0 else -raw
    else:
        raise ValueError(f"method must be one of {WEIGHT_METHODS}, got {method!r}")
    raw = np.where(np.isfinite(raw), raw, 0.0)
    total = np.abs(raw).sum()
    if total == 0:
        raise ValueError(f"no usable IC for the {method!r} weights")
    return raw / total


def composite(factors: np.ndarray, weights: np.ndarray, missing: MissingRule = "renormalize") -> np.ndarray:
    """Weighted sum of the standardized factors (K, T, N) -> (T, N): Σ_k w_k · z_k.

    A name missing some factors on a date (its z-score NaN, see `standardize`):
    - "renormalize" (default): the sum over the factors it has, scaled by
      sum |w| / sum over those factors of |w|, so it stays on the scale of a complete name; NaN
      when it has none of the factors with a non-zero weight;
    - "nan": NaN unless it has every factor with a non-zero weight.
    The composite is not re-standardized (rank ICs do not depend on its scale)."""
    z = standardize(factors)
    w = np.asarray(weights, dtype=float)
    if w.shape != (z.shape[0],):
        raise ValueError(f"weights must have shape ({z.shape[0]},), got {w.shape}")
    if missing not in ("renormalize", "nan"):
        raise ValueError(f'missing must be "renormalize" or "nan", got {missing!r}')
    present = np.isfinite(z) & (w != 0)[:, None, None]
    total = np.einsum("k,ktn->tn", w, np.where(present, z, 0.0))
    weight_present = np.einsum("k,ktn->tn", np.abs(w), present.astype(float))
    if missing == "nan":
        return np.where(present.sum(axis=0) == np.count_nonzero(w), total, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight_present > 0, total * (np.abs(w).sum() / weight_present), np.nan)


def synthesize(
    factors: np.ndarray,
    fwd_returns: np.ndarray,
    method: WeightMethod = "icir",
    train: slice | np.ndarray = slice(None),
    orthogonalize: OrthogonalizeMethod | None = None,
    ic_method: CrossSectionMethod = "rank",
    *,
    shrink: bool = True,
    missing: MissingRule = "renormalize",
    weights: np.ndarray | None = None,
) -> Synthesis:
    """Fit combination weights on the training dates and build the composite over all dates.

    `train` selects dates (rows): a slice or a boolean mask (T,). Optionally the factors are first
    orthogonalized per date (`kernels.orthogonalize`; per-date, so it sees no other date). The
    weights come from each factor's per-date IC against `fwd_returns` (T, N) on the training dates
    only (and, for "pca", the factors on those dates only), so nothing on the other dates changes
    them. The composite (`composite`) covers every date; its mean per-date IC is reported over the
    training dates and over the rest (NaN if there is no other date), NaN-IC dates left out.

    Forward returns on the last training dates may overlap the first test dates' horizon: leave a
    gap between the two sets (an embargo) in `train` when that matters.

    `weights` given (K,): fitted elsewhere on the training dates (`regression_design`); `method` is
    then not used."""
    x = _as_3d(factors)
    returns = np.asarray(fwd_returns, dtype=float)
    if returns.shape != x.shape[1:]:
        raise ValueError(f"fwd_returns must have shape {x.shape[1:]}, got {returns.shape}")
    in_sample = _date_mask(train, x.shape[1])
    if orthogonalize is not None:
        x = orthogonalize_factors(x, orthogonalize)
    if weights is None:
        ic = np.stack([cross_sectional_correlation(f[in_sample], returns[in_sample], ic_method) for f in x])
        weights = combination_weights(ic, method, factors=x[:, in_sample], shrink=shrink)
    else:
        weights = normalized_weights(weights, x.shape[0])
    combined = composite(x, weights, missing)
    composite_ic = cross_sectional_correlation(combined, returns, ic_method)
    return Synthesis(
        weights=weights,
        composite=combined,
        ic_in_sample=_nanmean(composite_ic[in_sample]),
        ic_out_of_sample=_nanmean(composite_ic[~in_sample]),
        composite_ic=composite_ic,
    )


def regression_design(
    factors: np.ndarray,
    fwd_returns: np.ndarray,
    train: slice | np.ndarray = slice(None),
    orthogonalize: OrthogonalizeMethod | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The pooled regression a fitted composite is learnt from: X (cells, K) the standardized factors
    (`standardize`, after orthogonalizing when asked, as `synthesize` combines them) and y (cells,)
    the forward return z-scored per date (so a date of large market moves does not outweigh the
    others), over the training dates' (date, name) cells where every factor and the return have a
    value. A linear fit's coefficients on X are weights for `composite`."""
    x = _as_3d(factors)
    in_sample = _date_mask(train, x.shape[1])
    if orthogonalize is not None:
        x = orthogonalize_factors(x, orthogonalize)
    z = standardize(x)[:, in_sample]
    target = standardize(np.asarray(fwd_returns, dtype=float)[None])[0][in_sample]
    cells = np.isfinite(z).all(axis=0) & np.isfinite(target)
    return z[:, cells].T.copy(), target[cells]


def normalized_weights(weights: np.ndarray, k: int) -> np.ndarray:
    """`weights` (k,) scaled to sum |w| = 1, as every weighting method returns them."""
    w = np.asarray(weights, dtype=float)
    if w.shape != (k,) or not np.isfinite(w).all():
        raise ValueError(f"weights must be {k} finite numbers, got {w}")
    total = np.abs(w).sum()
    if total == 0:
        raise ValueError("every fitted weight is 0: the factors explain nothing of the returns")
    return w / total


def _max_icir(ic: np.ndarray, shrink: bool) -> np.ndarray:
    complete = ic[:, np.isfinite(ic).all(axis=0)]  # (K, dates where every factor has an IC)
    if complete.shape[1] < 2:
        raise ValueError('"max_icir" needs at least 2 dates where every factor has an IC')
    cov = LedoitWolf().fit(complete.T).covariance_ if shrink else np.cov(complete, ddof=1)
    return np.linalg.pinv(cov, hermitian=True) @ complete.mean(axis=1)


def _first_component(factors: np.ndarray) -> np.ndarray:
    z = standardize(factors).reshape(len(factors), -1)  # (K, T * N)
    stacked = z[:, np.isfinite(z).all(axis=0)]
    if stacked.shape[1] < 2:
        raise ValueError('"pca" needs observations where every factor has a value')
    _, eigenvectors = np.linalg.eigh(np.corrcoef(stacked))
    return eigenvectors[:, -1]  # eigh sorts eigenvalues ascending


def _date_mask(train: slice | np.ndarray, t: int) -> np.ndarray:
    if isinstance(train, slice):
        mask = np.zeros(t, dtype=bool)
        mask[train] = True
        return mask
    mask = np.asarray(train)
    if mask.dtype != bool or mask.shape != (t,):
        raise ValueError(f"train must be a slice or a boolean mask of shape ({t},)")
    return mask


def _nanmean_rows(x: np.ndarray) -> np.ndarray:
    finite = np.isfinite(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(finite, x, 0.0).sum(axis=1) / finite.sum(axis=1)


def _nanstd_rows(x: np.ndarray) -> np.ndarray:
    finite = np.isfinite(x)
    deviation = np.where(finite, x - _nanmean_rows(x)[:, None], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt((deviation * deviation).sum(axis=1) / (finite.sum(axis=1) - 1))


def _nanmean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def _as_3d(factors: np.ndarray) -> np.ndarray:
    x = np.asarray(factors, dtype=float)
    if x.ndim != 3:
        raise ValueError(f"factors must be (K, T, N), got shape {x.shape}")
    return x
