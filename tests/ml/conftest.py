"""Fixtures of the ML engine's tests: a small fitted scikit-learn model on generated data, registered
models and versions, each test with an artifact directory and a cache of its own."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from apps.ml.selectors import artifacts
from apps.ml.services.ml_models import model_create
from apps.ml.services.versions import version_create
from apps.platform.redis_client import platform_redis

T0 = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
T1 = dt.datetime(2024, 12, 31, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def artifact_root(settings, tmp_path):
    """Each test writes under its own root, starts with an empty artifact cache and no recorded refusals."""
    root = tmp_path / "artifacts"
    settings.ML_ARTIFACT_ROOT = str(root)
    artifacts.artifact_cache_clear()
    platform_redis().delete(artifacts.FAILURES_KEY)
    with artifacts._local_lock:
        artifacts._local_failures.clear()
    yield root
    artifacts.artifact_cache_clear()
    platform_redis().delete(artifacts.FAILURES_KEY)


def files_under(root) -> list[str]:
    """Every file (temporary ones included) under `root`, relative."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def xy():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(200, 4))
    y = x @ np.array([0.5, -1.0, 0.25, 2.0]) + rng.normal(scale=0.1, size=200)
    return x, y


def fit(xy, alpha: float = 1.0) -> Ridge:
    x, y = xy
    return Ridge(alpha=alpha).fit(x, y)


@pytest.fixture
def price_model(db, user):
    return model_create(
        name="spy-ret-5d",
        kind="price",
        estimator="linear",
        target="return_5d",
        feature_set_name="core",
        feature_set_version=2,
        description="Ridge on the core set",
        user=user,
    )


@pytest.fixture
def vol_model(db, user):
    return model_create(name="spy-vol", kind="volatility", estimator="garch", target="vol_1d", user=user)


def make_version(model, xy, *, alpha: float = 1.0, user=None):
    return version_create(
        model=model,
        artifact=fit(xy, alpha),
        train_start=T0,
        train_end=T1,
        feature_set_version=2,
        hyperparameters={"alpha": alpha},
        metrics={"rmse": 0.1, "ic": 0.05},
        user=user,
    )


@pytest.fixture
def v1(price_model, xy, user):
    return make_version(price_model, xy, alpha=1.0, user=user)


@pytest.fixture
def v2(price_model, xy, user, v1):
    return make_version(price_model, xy, alpha=10.0, user=user)
