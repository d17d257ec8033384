"""Builders for the prediction tests: bundles fitted with the kernels on generated or shipped data,
registered as versions with `version_create` and aliased champion, and a market to read from (arch's
bundled S&P 500 closes as stored bars)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from arch.data import sp500

from apps.features.selectors.lookups import lookups_clear
from apps.features.selectors.online_cache import online_cache_clear
from apps.features.services.definitions import definition_save
from apps.features.services.store import InstrumentValues, store_write
from apps.marketdata import facade as marketdata
from apps.marketdata.services import instrument_create
from apps.marketdata.services.storage import bars_upsert
from apps.ml.kernels import estimators
from apps.ml.kernels.bundles import PriceBundle
from apps.ml.kernels.conformal import split_conformal_halfwidth
from apps.ml.services.aliases import alias_move
from apps.ml.services.ml_models import model_create
from apps.ml.services.versions import version_create

T0 = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
T1 = dt.datetime(2024, 12, 31, tzinfo=dt.UTC)
FEATURES = ("rsi_14@1", "sma_10@1", "roc_5@1")
ALPHA = 0.1
BARS = 300


@pytest.fixture(autouse=True)
def fresh_feature_caches():
    """The features engine caches names and rows per process; a rolled-back test's must not leak."""
    lookups_clear()
    online_cache_clear()
    yield
    lookups_clear()
    online_cache_clear()


def price_bundle(seed: int = 0, n: int = 600) -> PriceBundle:
    """A small LightGBM return model on three generated features, its split-conformal half-width
    from a held-out third, and the training medians as fill values."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(10, 90, n), rng.normal(100, 10, n), rng.normal(0, 2, n)])
    y = 0.0004 * (X[:, 0] - 50) - 0.002 * X[:, 2] + rng.normal(0, 0.01, n)
    train, cal = slice(0, 2 * n // 3), slice(2 * n // 3, n)
    model = estimators.fit(
        "lightgbm", {"n_estimators": 40, "min_child_samples": 10}, X[train], y[train], seed=seed
    )
    halfwidth = split_conformal_halfwidth(y[cal], estimators.predict(model, X[cal]), ALPHA)
    return PriceBundle(
        estimator_kind="lightgbm",
        estimator=model,
        features=FEATURES,
        fill=tuple(np.median(X[train], axis=0).tolist()),
        target="return_5d",
        horizon=5,
        interval="1d",
        alpha=ALPHA,
        halfwidth=float(halfwidth),
    )


def register(name: str, kind: str, estimator: str, bundle, *, user=None, alias: str | None = "champion"):
    """A model with one ready version holding `bundle`, aliased `alias`; (model, version)."""
    model = model_create(name=name, kind=kind, estimator=estimator, target="return_5d", user=user)
    version = version_create(
        model=model, artifact=bundle, train_start=T0, train_end=T1, hyperparameters={}, user=user
    )
    if alias:
        alias_move(model=model, name=alias, version=version, user=user)
    return model, version


def price_store(symbols=("AAPL", "MSFT"), *, stored=FEATURES[:2], seed: int = 1) -> dict:
    """Instruments, the three feature definitions, and 30 daily values of the `stored` ones in the
    online store for each symbol; {symbol: {label: (last value, its bar's close)}}."""
    definitions = {
        "rsi_14@1": definition_save(name="rsi_14", function="RSI", params={"timeperiod": 14}),
        "sma_10@1": definition_save(name="sma_10", function="SMA", params={"timeperiod": 10}),
        "roc_5@1": definition_save(name="roc_5", function="ROC", params={"timeperiod": 5}),
    }
    assert tuple(d.label for d in definitions.values()) == FEATURES
    block = [definitions[label] for label in stored]
    ts = pd.date_range("2024-11-01", periods=30, freq="D").to_numpy(dtype="datetime64[ns]")
    rng = np.random.default_rng(seed)
    last = {}
    by_instrument = {}
    for symbol in symbols:
        inst = instrument_create(symbol=symbol)
        values = np.column_stack([rng.uniform(20, 80, 30), rng.normal(100, 5, 30)])[:, : len(block)]
        by_instrument[inst.pk] = InstrumentValues(ts=ts, values=values)
        close = pd.Timestamp(ts[-1], tz="UTC") + pd.Timedelta(days=1)
        last[symbol] = {label: (float(values[-1, j]), close) for j, label in enumerate(stored)}
    if block:
        store_write(block, by_instrument)
    return last


def sp500_bars(symbol: str = "SPX", rows: int = BARS) -> pd.DataFrame:
    """(Needs the database.) The S&P 500's last `rows` daily bars stored for `symbol` from 2024-01-01;
    the stored frame indexed by ts."""
    data = sp500.load().iloc[-rows:]
    ts = pd.date_range("2024-01-01", periods=rows, freq="D", tz="UTC")
    inst = instrument_create(symbol=symbol)
    frame = pd.DataFrame(
        {
            "instrument_id": inst.pk,
            "ts": ts,
            "open": data["Open"].to_numpy(),
            "high": data["High"].to_numpy(),
            "low": data["Low"].to_numpy(),
            "close": data["Close"].to_numpy(),
            "volume": data["Volume"].to_numpy(dtype=float),
        }
    )
    frame["adj_close"] = frame["close"]
    bars_upsert(frame, interval="1d")
    return frame.set_index("ts")


def stored_returns(symbol: str = "SPX") -> pd.Series:
    """The symbol's returns as the market-data facade gives them (the reference's input)."""
    return marketdata.return_panel([symbol])[symbol].dropna()
