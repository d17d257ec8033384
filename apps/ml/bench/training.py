"""Training time of a LightGBM return model on instruments x bars of synthetic features, fitted
directly through kernels/estimators with its default hyperparameters (200 trees, 31 leaves, one
thread): the model fit alone, without the training service's data loading and validation."""

from __future__ import annotations

import time

from apps.platform.bench.figures import figure

from ..kernels import estimators
from .data import SEED, synthetic


def measure(*, instruments: int, bars: int, features: int) -> list[dict]:
    X, y = synthetic(instruments * bars, features, seed=SEED + 2)
    t0 = time.perf_counter()
    estimators.fit("lightgbm", None, X, y, seed=SEED)
    seconds = time.perf_counter() - t0
    return [
        figure("train_lightgbm_seconds", seconds, "s"),
        figure("train_lightgbm_rows_per_s", len(y) / seconds, "/s"),
    ]
