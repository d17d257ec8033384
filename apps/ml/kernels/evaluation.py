"""How training scores what it fits: error metrics per validation fold, the time-ordered hold-out
tail, and the one-step variance forecasts a volatility model is checked with.

- `fold_metrics(fold, pred, y)`: per fold, n, MSE, MAE, RMSE, IC (Pearson), rank IC (Spearman) and
  hit rate (share of rows where sign(pred) == sign(y)), pooled over the fold's rows: a stacked
  (time × instrument) panel has few instruments per time in small universes, where a per-date
  cross-sectional IC means little. The metrics are the A/B test's (`abtest.arm_metrics`, folds as
  arms) plus MSE; `metrics_mean` averages them over folds (each fold counts once).
- `time_holdout_split(t0, t1, fraction)`: the last `fraction` of the distinct sample times is the
  hold-out (rows whose t0 is at or after the cut); the rest is kept only where its label ends
  strictly before the hold-out's first time (purged, as validation.py purges: a label touching
  the hold-out's first instant overlaps it). With forward returns over h bars that drops the last
  h times before the cut.
- `variance_forecast_path(kind, params, first_variance, returns)`: the one-step-ahead conditional
  variance for each return of a hold-out, from stored parameters and the variance forecast for its
  first bar (the fit's `next_variance`), moved bar by bar with `volatility.vol_update` (no refit,
  nothing from the hold-out used before its bar). `variance_losses(eps2, h)`: MSE of the squared
  residual against the forecast, and QLIKE in Patton's (2011) form mean(log h + eps²/h), which
  ranks forecasts as the more common eps²/h - log(eps²/h) - 1 does but stays finite when a return
  is exactly zero. Both are robust to the noise of eps² as a proxy of the true variance.
  `vol_holdout` runs that check for one series.
- `cross_val_predictions`: out-of-fold predictions over validation splits.
- `text_classifier_holdout`: accuracy and macro F1 of the TF-IDF classifier on a seeded hold-out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from . import estimators
from .abtest import arm_metrics
from .sentiment import text_classifier_fit
from .validation import _times
from .volatility import SCALE, vol_fit, vol_update

METRIC_NAMES = ("mse", "mae", "rmse", "ic", "rank_ic", "hit_rate")


def fold_metrics(fold, pred, y) -> pd.DataFrame:
    """One row per fold (sorted): n and METRIC_NAMES, over rows with finite pred and y."""
    out = arm_metrics(fold, pred, y)
    out.insert(1, "mse", out["rmse"] ** 2)
    return out[["n", *METRIC_NAMES]]


def metrics_mean(per_fold: pd.DataFrame) -> dict[str, float]:
    """The mean of each metric over folds (NaN folds skipped: an IC is NaN on a constant prediction)."""
    return {name: float(per_fold[name].mean()) for name in METRIC_NAMES}


def time_holdout_split(t0, t1, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """(kept, holdout) int64 row indices: the hold-out is the rows of the last `fraction` of distinct
    t0 times; kept are the earlier rows whose label ends before the hold-out starts."""
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    start, end = _times(t0, t1)  # sorted t0, t1 >= t0, nothing missing
    times = np.unique(start)
    if times.size < 2:
        raise ValueError("a hold-out needs samples at two or more times")
    # At least one time on each side.
    cut_index = min(max(int(np.floor(times.size * (1 - fraction))), 1), times.size - 1)
    cut = times[cut_index]
    idx = np.arange(start.size)
    holdout = idx[start >= cut]
    kept = idx[(start < cut) & (end < cut)]
    return kept, holdout


def variance_forecast_path(
    kind: str, params: Mapping[str, float], first_variance: float, returns
) -> np.ndarray:
    """h[i], the variance forecast for returns[i] made before it (decimal units): h[0] =
    first_variance, h[i + 1] = vol_update(h[i], returns[i]). The recursion is sequential in time."""
    r = np.asarray(returns, dtype=float)
    h = np.empty(r.size)
    variance = np.array([float(first_variance)])
    for i, value in enumerate(r):
        h[i] = variance[0]
        variance = vol_update(kind, params, variance, np.array([value]))
    return h


def variance_losses(eps2, h) -> dict[str, float]:
    """{"mse": mean((eps² - h)²), "qlike": mean(log h + eps²/h)} for squared residuals and forecasts."""
    eps2, h = np.asarray(eps2, dtype=float), np.asarray(h, dtype=float)
    if eps2.shape != h.shape or eps2.size == 0:
        raise ValueError("eps2 and h must be non-empty and of the same shape")
    if not (h > 0).all():
        raise ValueError("variance forecasts must be positive")
    return {"mse": float(np.mean((eps2 - h) ** 2)), "qlike": float(np.mean(np.log(h) + eps2 / h))}


@dataclass(frozen=True)
class FoldPredictions:
    fold: np.ndarray  # (m,) the fold of each test row
    index: np.ndarray  # (m,) the row of X it is
    pred: np.ndarray  # (m,) the prediction of the model fitted on that fold's training rows
    y: np.ndarray  # (m,)


def cross_val_predictions(kind: str, params, X, y, splits, *, seed: int) -> FoldPredictions:
    """Out-of-fold predictions: for each (train, test) split a `kind` model with `params` fitted on
    X[train] (estimators.fit, seeded) predicts X[test]."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    preds = [estimators.predict(estimators.fit(kind, params, X[tr], y[tr], seed), X[te]) for tr, te in splits]
    return FoldPredictions(
        fold=np.concatenate([np.full(len(te), j) for j, (_, te) in enumerate(splits)]),
        index=np.concatenate([te for _, te in splits]),
        pred=np.concatenate(preds),
        y=np.concatenate([y[te] for _, te in splits]),
    )


def vol_holdout(returns, kind: str, *, dist: str, mean: str, fraction: float) -> dict[str, float]:
    """Fit `kind` on the first 1 - `fraction` of `returns` (decimal), forecast each hold-out return's
    variance one step ahead from those parameters (`variance_forecast_path`), and score the forecasts
    against the squared residual (return less the fitted mean) — next to a constant forecast, the
    fitted part's variance, so the figures say whether the model helps."""
    r = np.asarray(returns, dtype=float)
    cut = int(np.floor(r.size * (1 - fraction)))
    if cut < 1 or cut >= r.size:
        raise ValueError(f"{r.size} returns cannot be split {1 - fraction:.0%} / {fraction:.0%}")
    head, tail = r[:cut], r[cut:]
    fit = vol_fit(head, kind, dist=dist, mean=mean)
    mu = fit.params.get("mu", 0.0) / SCALE
    eps2 = (tail - mu) ** 2
    model = variance_losses(eps2, variance_forecast_path(kind, fit.params, fit.next_variance, tail))
    constant = variance_losses(eps2, np.full(tail.size, np.mean((head - mu) ** 2)))
    return {
        "n": int(tail.size),
        "qlike": model["qlike"],
        "mse": model["mse"],
        "qlike_constant": constant["qlike"],
        "mse_constant": constant["mse"],
    }


def text_classifier_holdout(texts, labels, *, seed: int, fraction: float, **fit_kwargs) -> dict:
    """Accuracy and macro F1 of `sentiment.text_classifier_fit` on a seeded hold-out of `fraction`
    of the rows, stratified by label when every label has two rows or more."""
    labels = [str(v) for v in labels]
    counts = pd.Series(labels).value_counts()
    train, test = train_test_split(
        np.arange(len(labels)),
        test_size=fraction,
        random_state=seed,
        stratify=labels if counts.min() >= 2 else None,
    )
    model = text_classifier_fit(
        [texts[i] for i in train], [labels[i] for i in train], seed=seed, **fit_kwargs
    )
    truth = [labels[i] for i in test]
    pred = model.predict([texts[i] for i in test])
    return {
        "n_train": int(train.size),
        "n_test": int(test.size),
        "accuracy": float(accuracy_score(truth, pred)),
        "f1_macro": float(f1_score(truth, pred, average="macro")),
    }
