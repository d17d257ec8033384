"""Prediction intervals for regression: split-conformal and LightGBM quantile models.

Split-conformal (Lei et al. 2018): a point model fitted on training data is scored on a separate
calibration set; the conformity score is the absolute residual |y - ŷ|. With n calibration scores,
the interval half-width at miscoverage alpha is

    q = numpy.quantile(scores, (n + 1)(1 - alpha) / n, method="higher")

(MAPIE's convention: the finite-sample-corrected level, rounded up to an observed score; it is never
below the ⌈(n + 1)(1 - alpha)⌉-th smallest score, so for exchangeable data a new point falls in
[ŷ - q, ŷ + q] with probability at least 1 - alpha). When (n + 1)(1 - alpha) > n the calibration
set is too small for alpha and q is +inf (an honest, unbounded interval).

Quantile regression: two LightGBM models with the quantile (pinball) objective at levels alpha/2
and 1 - alpha/2 give [lower, upper] directly. They carry no coverage guarantee on their own, so
`cqr_calibrate` conformalizes them (Romano et al. 2019, CQR): scores max(lower - y, y - upper) on the
calibration set, the same quantile as above, and the interval [lower - q, upper + q].

Everything takes and returns float64 arrays; `alpha` may be an array to get one q per level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np

from apps.ml.kernels import estimators


def conformal_quantile(scores, alpha, axis: int = -1):
    """The split-conformal quantile of `scores` along `axis` at miscoverage `alpha` (scalar or array).

    numpy.quantile(scores, (n + 1)(1 - alpha) / n, method="higher"), +inf where that level is above
    1. With an array alpha the levels come first in the result, as numpy.quantile's."""
    s = np.asarray(scores, dtype=float)
    a = np.asarray(alpha, dtype=float)
    if np.any((a <= 0) | (a >= 1)):
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if not np.isfinite(s).all():
        raise ValueError("scores must be finite")
    n = s.shape[axis]
    if n == 0:
        raise ValueError("no calibration scores")
    level = (n + 1) * (1 - a) / n
    # (n + 1)(1 - alpha) can land a rounding error above n (alpha = 1 / (n + 1)); that is level 1.
    too_high = level > 1 + 1e-12
    q = np.quantile(s, np.minimum(level, 1.0), axis=axis, method="higher")
    q = np.where(np.reshape(too_high, too_high.shape + (1,) * (q.ndim - too_high.ndim)), np.inf, q)
    return float(q) if q.ndim == 0 else q


def absolute_residual_scores(y, y_pred) -> np.ndarray:
    return np.abs(np.asarray(y, dtype=float) - np.asarray(y_pred, dtype=float))


def split_conformal_halfwidth(y_cal, pred_cal, alpha):
    """Half-width q of the split-conformal interval ŷ ± q, from calibration labels and predictions."""
    return conformal_quantile(absolute_residual_scores(y_cal, pred_cal), alpha)


def split_conformal_interval(pred, halfwidth) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(pred, dtype=float)
    return p - halfwidth, p + halfwidth


@dataclass(frozen=True)
class QuantileModels:
    """LightGBM models of the alpha/2 and 1 - alpha/2 quantiles, and the CQR widening (0 until
    calibrated)."""

    alpha: float
    lower: Any
    upper: Any
    adjustment: float = 0.0


def quantile_models_fit(
    X, y, alpha: float, *, params: dict[str, Any] | None = None, seed: int, n_jobs: int = 1
) -> QuantileModels:
    """Fit the lower and upper quantile models (LightGBM `objective="quantile"`) with the `lightgbm`
    kind's hyperparameters (`params` over its defaults, validated)."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    resolved = estimators.hyperparams_resolve("lightgbm", params)
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)

    def one(level: float) -> lgb.LGBMRegressor:
        build = estimators.KINDS["lightgbm"].build
        return build({**resolved, "objective": "quantile", "alpha": level}, int(seed), int(n_jobs)).fit(X, y)

    return QuantileModels(alpha=float(alpha), lower=one(alpha / 2), upper=one(1 - alpha / 2))


def quantile_interval(models: QuantileModels, X) -> tuple[np.ndarray, np.ndarray]:
    """[lower - adjustment, upper + adjustment] at each row of X."""
    X = np.asarray(X, dtype=float)
    lo = np.asarray(models.lower.predict(X), dtype=float) - models.adjustment
    hi = np.asarray(models.upper.predict(X), dtype=float) + models.adjustment
    return lo, hi


def cqr_scores(y, lower, upper) -> np.ndarray:
    """Conformalized-quantile-regression scores: how far y lies outside [lower, upper] (negative
    inside)."""
    y = np.asarray(y, dtype=float)
    return np.maximum(np.asarray(lower, dtype=float) - y, y - np.asarray(upper, dtype=float))


def cqr_calibrate(models: QuantileModels, X_cal, y_cal) -> QuantileModels:
    """The same models with the CQR adjustment from a calibration set, so [lower - q, upper + q]
    covers 1 - alpha."""
    lo, hi = quantile_interval(QuantileModels(models.alpha, models.lower, models.upper), X_cal)
    q = float(conformal_quantile(cqr_scores(y_cal, lo, hi), models.alpha))
    return QuantileModels(models.alpha, models.lower, models.upper, adjustment=q)


def coverage(y, lower, upper) -> float:
    """Share of y inside the closed interval [lower, upper]."""
    y = np.asarray(y, dtype=float)
    return float(np.mean((y >= lower) & (y <= upper)))
