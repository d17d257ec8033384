"""Training a return model (LightGBM, ridge, random forest, LSTM) on point-in-time features and forward
returns, with time-ordered validation, optional AutoML and a split-conformal interval.

An LSTM (a sequence kind) reads, for each sample (symbol, t), the last `lookback` rows of that
symbol's feature history up to t (its bars with every feature known, labelled or not:
selectors/training_data.py `feature_history`; windows by kernels/lstm.py `sequence_windows`), the
rows prediction reads for it; samples without a full window are dropped and counted in
`metrics.data.n_short_window`, and the rest go through the same
splits, validation and calibration as the other kinds. AutoML keeps `lookback` fixed (the windows are
built once, before the search).

The samples (selectors/training_data.py) are split by time into
- the fit part: every sample before the last CALIBRATION_FRACTION of the sample times, purged of
  those whose label ends at or after the calibration tail starts (the last h bars before it), and
- the calibration tail: the samples of the last CALIBRATION_FRACTION of the times.
Validation (walk-forward or purged k-fold with embargo, kernels/validation.py) and AutoML
(kernels/automl.py, on the same splits) run on the fit part only, so the tail plays no part in
choosing anything. The final model is fitted on the whole fit part with the chosen hyperparameters;
its absolute residuals on the tail give the split-conformal half-width at `alpha`
(kernels/conformal.py), and the tail's error metrics are a true out-of-sample check of the version.

The final model is NOT refitted on fit part + tail. Split-conformal coverage holds for the model
whose residuals were calibrated: a refit on more data would be a different model, its errors not
exchangeable with the calibration residuals, and the stated coverage would no longer be a guarantee.
The price is that the most recent fifth of the window trains nothing; a user who wants it trained
on can move the window forward.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError

from ...kernels import automl, estimators, lstm
from ...kernels.bundles import PriceBundle
from ...kernels.conformal import coverage, split_conformal_halfwidth, split_conformal_interval
from ...kernels.evaluation import cross_val_predictions, fold_metrics, metrics_mean, time_holdout_split
from ...kernels.validation import purged_kfold_splits, walk_forward_splits
from ...selectors.training_data import INTERVAL, PriceSamples, feature_history, price_samples
from .fitted import Fitted, iso
from .params import TrainRequest

CALIBRATION_FRACTION = 0.2
MIN_SAMPLES = 60  # complete samples in the window: fewer cannot feed splits and a calibration tail


def samples_read(req: TrainRequest) -> PriceSamples:
    """The request's samples; ValidationError on "start" (the window) when there are too few."""
    s = price_samples(
        feature_set=req.feature_set, symbols=req.symbols, start=req.start, end=req.end, horizon=req.horizon
    )
    if len(s.y) < MIN_SAMPLES:
        worst = max(s.missing, key=s.missing.get) if s.missing else None
        why = (
            f"; {worst} is unknown for {s.missing[worst]} of them (compute the features over the window)"
            if worst and s.missing[worst]
            else ""
        )
        raise ValidationError(
            {
                "start": f"the window has {len(s.y)} samples with every feature and the {req.target} label known "
                f"(of {s.n_labelled} labelled){why}; at least {MIN_SAMPLES} are needed"
            }
        )
    return s


def sequences_read(req: TrainRequest, s: PriceSamples, lookback: int) -> tuple[PriceSamples, int]:
    """The samples with a full window of `lookback` history rows of their symbol, X as
    (n, lookback, k), and how many were dropped; ValidationError on "hyperparameters" when too few
    are left."""
    history = feature_history(symbols=req.symbols, start=req.start, end=req.end, feature_set=req.feature_set)
    windows, ends = lstm.sequence_windows(history.X, history.symbols, lookback)
    # Each sample is a history row (a bar with complete features): find the window ending at it.
    at = pd.MultiIndex.from_arrays([history.symbols[ends], history.t0[ends]]).get_indexer(
        pd.MultiIndex.from_arrays([s.symbols, s.t0])
    )
    rows = np.flatnonzero(at >= 0)
    if len(rows) < MIN_SAMPLES:
        raise ValidationError(
            {
                "hyperparameters": f"lookback: {len(rows)} of the {len(s.y)} samples have {lookback - 1} earlier "
                f"bars of their symbol with every feature known; at least {MIN_SAMPLES} are needed "
                "(shorten lookback or widen the window)"
            }
        )
    windowed = dataclasses.replace(
        s, X=windows[at[rows]], y=s.y[rows], t0=s.t0[rows], t1=s.t1[rows], symbols=s.symbols[rows]
    )
    return windowed, len(s.y) - len(rows)


def validation_splits(req: TrainRequest, t0, t1) -> list[tuple[np.ndarray, np.ndarray]]:
    v = req.validation
    try:
        if v.method == "walk_forward":
            test_size = len(t0) // (v.n_splits + 1)
            if test_size < 1:
                raise ValueError(f"{len(t0)} samples cannot make {v.n_splits} walk-forward test blocks")
            return walk_forward_splits(t0, t1, n_splits=v.n_splits, test_size=test_size)
        splits = purged_kfold_splits(t0, t1, n_splits=v.n_splits, embargo_pct=v.embargo_pct)
    except ValueError as exc:
        raise ValidationError({"validation": f"too few samples for the splits: {exc}"}) from None
    if any(train.size == 0 for train, _ in splits):
        raise ValidationError(
            {"validation": "a fold leaves no training sample after purging: use fewer splits"}
        )
    return splits


def _calibration(req: TrainRequest, s: PriceSamples) -> tuple[np.ndarray, np.ndarray]:
    fit, cal = time_holdout_split(s.t0, s.t1, CALIBRATION_FRACTION)
    need = math.ceil((1 - req.alpha) / req.alpha)  # (n + 1)(1 - alpha) <= n: a finite half-width
    if cal.size < need:
        raise ValidationError(
            {
                "alpha": f"the calibration tail has {cal.size} samples; alpha={req.alpha} needs {need} (widen the window or raise alpha)"
            }
        )
    return fit, cal


def price_train(req: TrainRequest, report: Callable[[float, str], None]) -> Fitted:
    report(2, "reading features and labels")
    s = samples_read(req)
    kind = req.estimator
    params = dict(req.resolved)
    fixed = dict(req.hyperparameters)
    lookback, short = None, 0
    if kind in estimators.SEQUENCE_KINDS:
        lookback = int(params["lookback"])
        fixed["lookback"] = lookback
        s, short = sequences_read(req, s, lookback)
    fit, cal = _calibration(req, s)
    X, y, t0, t1 = s.X[fit], s.y[fit], s.t0[fit], s.t1[fit]
    splits = validation_splits(req, t0, t1)
    metrics: dict = {}
    if req.automl is not None:
        budget = req.automl.trials
        report(10, "AutoML search")

        def on_trial(trial: automl.TrialRecord) -> None:
            done = f"{trial.number + 1}/{budget}" if budget else f"{trial.number + 1}"
            share = (trial.number + 1) / budget if budget else 0.5
            report(10 + 60 * min(share, 1.0), f"AutoML trial {done}")

        try:
            found = automl.search(
                kind,
                X,
                y,
                splits,
                seed=req.seed,
                n_trials=req.automl.trials,
                timeout=req.automl.timeout_s,
                metric=req.automl.metric,
                fixed=fixed,
                on_trial=on_trial,
            )
        except ValueError as exc:  # no trial completed
            raise ValidationError({"automl": str(exc)}) from None
        params = found.best_params
        metrics["trials"] = [t.__dict__ for t in found.trials]
        metrics["automl"] = {
            "metric": found.metric,
            "best_number": found.best_number,
            "best_score": found.best_score,
            "trials": req.automl.trials,
            "timeout_s": req.automl.timeout_s,
        }
    report(72, f"validating on {len(splits)} {req.validation.method} folds")
    oof = cross_val_predictions(kind, params, X, y, splits, seed=req.seed)
    per_fold = fold_metrics(oof.fold, oof.pred, oof.y)
    folds = []
    for j, (train, test) in enumerate(splits):
        folds.append(
            {
                "fold": j,
                "n_train": int(train.size),
                "n_test": int(test.size),
                "test_start": iso(t0[test[0]]),
                "test_end": iso(t0[test[-1]]),
                **{k: float(per_fold.loc[j, k]) for k in per_fold.columns if k != "n"},
            }
        )
    report(88, "fitting the final model and calibrating its interval")
    model = estimators.fit(kind, params, X, y, req.seed)
    pred_cal = estimators.predict(model, s.X[cal])
    halfwidth = split_conformal_halfwidth(s.y[cal], pred_cal, req.alpha)
    lower, upper = split_conformal_interval(pred_cal, halfwidth)
    tail = fold_metrics(np.zeros(cal.size), pred_cal, s.y[cal]).iloc[0]
    bundle = PriceBundle(
        estimator_kind=kind,
        estimator=model,
        features=s.features,
        fill=tuple(float(v) for v in np.median(X.reshape(-1, X.shape[-1]), axis=0)),
        target=req.target,
        horizon=req.horizon,
        interval=INTERVAL,
        alpha=req.alpha,
        halfwidth=float(halfwidth),
        lookback=lookback,
    )
    metrics |= {
        "validation": {
            "method": req.validation.method,
            "n_splits": req.validation.n_splits,
            "embargo_pct": req.validation.embargo_pct,
            "folds": folds,
            "mean": metrics_mean(per_fold),
        },
        "calibration": {
            "alpha": req.alpha,
            "coverage_target": 1 - req.alpha,
            "halfwidth": float(halfwidth),
            "n": int(cal.size),
            "start": iso(s.t0[cal[0]]),
            "end": iso(s.t0[cal[-1]]),
            "covered": coverage(s.y[cal], lower, upper),
            **{k: float(tail[k]) for k in tail.index if k != "n"},
        },
        "data": {
            "features": list(s.features),
            "symbols": list(req.symbols),
            "horizon": req.horizon,
            "interval": INTERVAL,
            "n_labelled": s.n_labelled,
            "n_samples": int(len(s.y)),
            "lookback": lookback,
            "n_short_window": short,
            "n_fit": int(fit.size),
            "n_calibration": int(cal.size),
            "n_purged": int(len(s.y) - fit.size - cal.size),
            "missing": s.missing,
        },
    }
    used = np.concatenate([fit, cal])
    return Fitted(
        bundle=bundle,
        hyperparameters=params,
        metrics=metrics,
        train_start=s.t0[used].min(),
        train_end=s.t1[used].max(),
    )
