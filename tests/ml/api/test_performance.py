"""GET /api/ml/models/{id}/performance: each version's live metrics equal scikit-learn / scipy on its
realized records, its validation metrics are the ones training stored, and each feature's PSI equals
kernels.drift.psi of the recorded values against the training sample read directly through the
features facade; a version without symbols says why it has no drift; an unknown model is a 404."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import mean_absolute_error, mean_squared_error

from apps.features import facade as features
from apps.features.services.definitions import definition_save
from apps.ml.kernels.drift import psi
from apps.ml.models import PredictionRecord
from apps.ml.services.ml_models import model_create
from apps.ml.services.versions import version_create
from tests.ml.serving import FEATURES, price_bundle, sp500_bars

pytestmark = pytest.mark.django_db
START, END = dt.datetime(2024, 1, 1, tzinfo=dt.UTC), dt.datetime(2024, 8, 1, tzinfo=dt.UTC)
VALIDATION = {"mse": 1e-4, "mae": 0.008, "rmse": 0.01, "ic": 0.05, "rank_ic": 0.04, "hit_rate": 0.52}


@pytest.fixture
def model():
    sp500_bars("SPX", rows=300)
    definition_save(name="rsi_14", function="RSI", params={"timeperiod": 14})
    definition_save(name="sma_10", function="SMA", params={"timeperiod": 10})
    definition_save(name="roc_5", function="ROC", params={"timeperiod": 5})
    model = model_create(name="perf", kind="price", estimator="lightgbm", target="return_5d")
    metrics = {
        "data": {"features": list(FEATURES), "symbols": ["SPX"]},
        "validation": {"mean": VALIDATION},
        "calibration": {"n": 50, "rmse": 0.011, "covered": 0.9, "halfwidth": 0.02},
    }
    v1 = version_create(
        model=model, artifact=price_bundle(), train_start=START, train_end=END, metrics=metrics
    )
    v2 = version_create(model=model, artifact=price_bundle(1), train_start=START, train_end=END, metrics={})
    return model, v1, v2


def records(model, version, n, rng, *, open_rows=0):
    X = np.column_stack([rng.uniform(20, 90, n), rng.normal(4500, 200, n), rng.normal(1, 3, n)])
    pred, real = rng.normal(0, 0.01, n), rng.normal(0, 0.02, n)
    real[n - open_rows :] = np.nan
    ts = [dt.datetime(2024, 9, 1, tzinfo=dt.UTC) + dt.timedelta(days=i) for i in range(n)]
    PredictionRecord.objects.bulk_create(
        PredictionRecord(
            model=model,
            version=version,
            role="plain",
            request_key=f"k{i}",
            symbol="SPX",
            bar_ts=ts[i],
            interval="1d",
            horizon=5,
            predicted_return=pred[i],
            lower_return=pred[i] - 0.02,
            upper_return=pred[i] + 0.02,
            features=X[i].tolist(),
            realized_return=None if np.isnan(real[i]) else real[i],
            realized_at=None if np.isnan(real[i]) else ts[i] + dt.timedelta(days=5),
        )
        for i in range(n)
    )
    done = ~np.isnan(real)
    return X, pred[done], real[done]


def test_live_metrics_validation_and_drift(api_client, model):
    m, v1, v2 = model
    rng = np.random.default_rng(5)
    X, pred, real = records(m, v1, 40, rng, open_rows=4)
    records(m, v2, 10, rng)
    r = api_client.get(f"/api/ml/models/{m.pk}/performance")
    assert r.status_code == 200, r.json()
    first, second = r.json()["versions"]
    assert (first["version"], first["records"], first["open"]) == (1, 40, 4)
    live = first["live"]
    assert live["n"] == 36
    assert live["mae"] == pytest.approx(mean_absolute_error(real, pred), rel=1e-12)
    assert live["rmse"] == pytest.approx(np.sqrt(mean_squared_error(real, pred)), rel=1e-12)
    assert live["ic"] == pytest.approx(stats.pearsonr(pred, real).statistic, rel=1e-10)
    assert live["rank_ic"] == pytest.approx(stats.spearmanr(pred, real).statistic, rel=1e-10)
    assert live["hit_rate"] == pytest.approx(np.mean(np.sign(pred) == np.sign(real)))
    assert first["validation"] == VALIDATION
    assert first["calibration"] == {"n": 50, "rmse": 0.011, "covered": 0.9}
    panel = features.feature_panel(["SPX"], list(FEATURES), start=START, end=END)
    for j, label in enumerate(FEATURES):
        got = first["drift"]["features"][label]
        reference = panel[label].to_numpy(dtype=float).ravel()
        assert got["psi"] == pytest.approx(psi(reference, X[:, j]), rel=1e-12)
        assert got["n_live"] == 40 and got["n_training"] == np.isfinite(reference).sum() > 100
    assert second["version"] == 2 and second["live"]["n"] == 10
    assert "symbols" in second["drift"]["note"] and second["validation"] is None


def test_unknown_model_is_404(api_client):
    assert api_client.get("/api/ml/models/nope/performance").status_code == 404
