"""Batch prediction through the facade (`predict_returns`: a frame of feature rows in, predictions
with intervals out, one predict call) next to LightGBM's own `predict` on the same array, and a
universe's symbols predicted from the online store next to the store read alone."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from apps.features import facade as features
from apps.platform.bench.figures import figure, progress_steps

from .. import facade
from .data import SEED, Fixture, synthetic


def _best_of(repeats: int, call, progress: bool, desc: str) -> float:
    """The fastest of `repeats` runs (seconds): the least disturbed by the machine's other work."""
    best = float("inf")
    for _ in progress_steps(progress, repeats, desc):
        t0 = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t0)
    return best


def measure(fx: Fixture, *, rows: int, repeats: int, progress: bool) -> list[dict]:
    X, _ = synthetic(rows, len(fx.bundle.features), seed=SEED + 1)
    frame = pd.DataFrame(X, columns=list(fx.bundle.features))
    facade.predict_returns(fx.model_name, frame.iloc[:10])  # the artifact loaded into this process's cache
    got = facade.predict_returns(fx.model_name, frame)
    if not np.array_equal(got.predicted_return, fx.bundle.estimator.predict(X)):
        raise RuntimeError("the facade's predictions differ from LightGBM's own")
    facade_s = _best_of(
        repeats, lambda: facade.predict_returns(fx.model_name, frame), progress, "batch, facade"
    )
    raw_s = _best_of(repeats, lambda: fx.bundle.estimator.predict(X), progress, "batch, LightGBM predict")

    labels = list(fx.bundle.features)
    facade.predict_returns(fx.model_name, fx.symbols)
    store_s = _best_of(
        repeats,
        lambda: facade.predict_returns(fx.model_name, fx.symbols),
        progress,
        "universe from the store",
    )
    read_s = _best_of(
        repeats, lambda: features.features_latest(fx.symbols, features=labels), progress, "store read alone"
    )
    n = len(fx.symbols)
    return [
        figure("batch_predictions_per_s", rows / facade_s, "/s", rows / raw_s),
        figure("batch_facade_seconds", facade_s, "s", raw_s),
        figure("universe_from_store_ms", store_s * 1e3, "ms", read_s * 1e3),
        figure("universe_from_store_predictions_per_s", n / store_s, "/s", n / read_s),
    ]
