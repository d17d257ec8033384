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


# --- a market with features, for training -----------------------------------------------------------

MARKET_ROWS = 400
MARKET_START = "2022-01-03"
# name, function, params: the feature set "core" a price model reads in these tests.
CORE_FEATURES = (
    ("rsi_14", "RSI", {"timeperiod": 14}),
    ("ret_5", "simple_returns", {"periods": 5}),
    ("vol_yz_20", "yang_zhang_volatility", {"window": 20}),
)


def store_bars(symbol: str, data, ts, *, scale: float = 1.0, keep=None):
    """Daily bars of `symbol` from arch's S&P 500 frame rows (`data`), stamped `ts`, prices times
    `scale`, only the rows where `keep` is true; adj_close = close. The stored frame, indexed by ts."""
    import pandas as pd

    from apps.marketdata.services import instrument_create
    from apps.marketdata.services.storage import bars_upsert

    inst = instrument_create(symbol=symbol)
    f = pd.DataFrame(
        {
            "instrument_id": inst.pk,
            "ts": ts,
            "open": data["Open"].to_numpy() * scale,
            "high": data["High"].to_numpy() * scale,
            "low": data["Low"].to_numpy() * scale,
            "close": data["Close"].to_numpy() * scale,
            "volume": data["Volume"].to_numpy(dtype=float),
        }
    )
    if keep is not None:
        f = f[keep]
    f["adj_close"] = f["close"]
    bars_upsert(f, interval="1d")
    return f.set_index("ts")


@pytest.fixture
def market(db):
    """(Needs PostgreSQL: the feature store.) AAA: the S&P 500's last MARKET_ROWS business days,
    restamped from MARKET_START; BBB: the rows before those, scaled by 0.5, every 7th bar missing.
    {symbol: stored bars}. Feature values are not computed here (`core_features` does)."""
    import pandas as pd
    from arch.data import sp500

    data = sp500.load()
    ts = pd.bdate_range(MARKET_START, periods=MARKET_ROWS, tz="UTC")
    keep = np.arange(MARKET_ROWS) % 7 != 3
    return {
        "AAA": store_bars("AAA", data.iloc[-MARKET_ROWS:], ts),
        "BBB": store_bars("BBB", data.iloc[-2 * MARKET_ROWS : -MARKET_ROWS], ts, scale=0.5, keep=keep),
    }


@pytest.fixture
def core_features(market):
    """The feature set "core" (CORE_FEATURES) with its values computed into the store for AAA and BBB."""
    from apps.features.services.compute import compute_chunk
    from apps.features.services.definitions import definition_save
    from apps.features.services.sets import set_create

    defined = [definition_save(name=n, function=f, params=p) for n, f, p in CORE_FEATURES]
    set_create(name="core", features=[d.label for d in defined])
    compute_chunk(definitions=defined, symbols=list(market))
    return tuple(d.label for d in defined)


@pytest.fixture
def registered(db):
    """AAA and BBB (no bars) and the feature set "core" (no values): what a training request's checks
    read, without the cost of bars and features."""
    from apps.features.services.definitions import definition_save
    from apps.features.services.sets import set_create
    from apps.marketdata.services import instrument_create

    for symbol in ("AAA", "BBB"):
        instrument_create(symbol=symbol)
    d = definition_save(name="rsi_14", function="RSI", params={"timeperiod": 14})
    set_create(name="core", features=[d.label])


@pytest.fixture(scope="session")
def celery_app():
    from nautilus.celery import app

    return app
