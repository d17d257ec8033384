"""What a kind's training hands back to `model_train`: the bundle to store as the version's artifact
and the facts the version row records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apps.platform.timestamps import iso_utc

iso = iso_utc  # every time in a version's metrics is ISO 8601 UTC with Z


@dataclass(frozen=True)
class Fitted:
    bundle: Any  # kernels/bundles.py: PriceBundle, VolatilityBundle, RegimeBundle or SentimentBundle
    hyperparameters: dict  # every hyperparameter the fit used (defaults filled, AutoML's choice)
    metrics: dict  # JSON-safe after version_create (numpy scalars become numbers, NaN null)
    train_start: Any = None  # first instant of data the version learnt from (None: no time axis)
    train_end: Any = None  # last instant of data it learnt from (the last label's end)
