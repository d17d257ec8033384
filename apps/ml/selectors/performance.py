"""Live performance of a price model's versions (`GET /api/ml/models/{id}/performance`).

Per version: the error metrics of its recorded predictions whose outcome is known (every row it
scored: served, shadow and plain records; kernels.abtest.arm_metrics, the same metrics an A/B test
reports), next to the validation metrics training stored (`metrics.validation.mean`, the mean over
its time-ordered folds, and `metrics.calibration`, the untouched tail), and drift.

Drift: the population stability index (kernels/drift.py) of each feature, the values recorded at
prediction time against the training sample. Training stores neither the sample nor per-feature
quantiles (a bundle keeps only the `fill` medians), so the sample is re-read through the features
facade: `feature_panel` over the version's symbols (`metrics.data.symbols`) and its training window,
every (bar, symbol) value pooled. That is the distribution the model learnt from, up to the label
rows training dropped. Without symbols, window or a readable feature, `drift` says why instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from apps.features import facade as features

from ..kernels.drift import psi
from ..models import MLModel, PredictionRecord, VersionStatus
from .abtests import metrics_table

CALIBRATION_METRICS = ("n", "mse", "mae", "rmse", "ic", "rank_ic", "hit_rate", "covered")


def _records(model: MLModel) -> pd.DataFrame:
    rows = PredictionRecord.objects.filter(model=model).values_list(
        "version__number", "predicted_return", "realized_return", "features"
    )
    frame = pd.DataFrame.from_records(rows, columns=["version", "predicted", "realized", "features"])
    frame["realized"] = frame["realized"].astype(float)
    return frame


def training_sample(version) -> tuple[dict[str, np.ndarray] | None, str | None]:
    """{feature label: pooled training values} re-read through the features facade, or a reason."""
    data = (version.metrics or {}).get("data") or {}
    labels, symbols = data.get("features"), data.get("symbols")
    if not labels or not symbols:
        return None, "training stored no feature list or symbols for this version"
    if version.train_start is None:
        return None, "the version has no training window"
    try:
        panel = features.feature_panel(symbols, labels, start=version.train_start, end=version.train_end)
    except LookupError as exc:  # UnknownFeature, UnknownSymbol
        return None, f"the training sample cannot be re-read: {exc}"
    return {label: panel[label].to_numpy(dtype=float).ravel() for label in labels if label in panel}, None


def drift(version, live: pd.Series) -> dict:
    """{"features": {label: {psi, n_training, n_live}}} or {"note": why not}."""
    sample, why = training_sample(version)
    if sample is None:
        return {"note": why}
    labels = version.metrics["data"]["features"]
    rows = [f for f in live if len(f) == len(labels)]
    if not rows:
        return {"note": "no recorded predictions with this version's features yet"}
    values = np.asarray(rows, dtype=float)
    out = {}
    for j, label in enumerate(labels):
        if label not in sample:
            continue
        ref = sample[label]
        value = psi(ref, values[:, j])
        out[label] = {
            "psi": None if not np.isfinite(value) else value,
            "n_training": int(np.isfinite(ref).sum()),
            "n_live": int(np.isfinite(values[:, j]).sum()),
        }
    return {"features": out}


def model_performance(model: MLModel) -> dict:
    """Live vs validation metrics and drift of each ready version with recorded predictions."""
    frame = _records(model)
    live = metrics_table(frame, "version")
    versions = []
    for v in model.versions.filter(status=VersionStatus.READY).order_by("number"):
        mine = frame[frame["version"] == v.number]
        if mine.empty:
            continue
        m = v.metrics or {}
        calibration = m.get("calibration") or {}
        versions.append(
            {
                "version": v.number,
                "records": int(len(mine)),
                "open": int(mine["realized"].isna().sum()),
                "live": live.get(v.number),
                "validation": (m.get("validation") or {}).get("mean"),
                "calibration": {k: calibration[k] for k in CALIBRATION_METRICS if k in calibration} or None,
                "drift": drift(v, mine["features"]),
            }
        )
    return {"model": model.name, "model_id": model.pk, "versions": versions}
