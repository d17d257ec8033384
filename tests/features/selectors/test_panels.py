"""features.facade.feature_panel: values from the stored bars equal TA-Lib (and the engine's own
kernels) called directly on each symbol's own bars; the warm-up comes from before `start`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib
from arch.data import sp500

from apps.features import facade
from apps.features.kernels.volatility import yang_zhang_volatility
from apps.features.services.definitions import definition_save
from apps.features.services.sets import set_create
from apps.marketdata.services import instrument_create
from apps.marketdata.services.storage import bars_upsert

pytestmark = pytest.mark.django_db
ROWS = 300


@pytest.fixture
def market(db):
    """AAA: the S&P 500's last 300 days; BBB: the same scaled, with every 7th bar missing."""
    data = sp500.load().iloc[-ROWS:]
    ts = pd.date_range("2024-01-01", periods=ROWS, freq="D", tz="UTC")
    frames = {}
    for symbol, scale, keep in (("AAA", 1.0, np.ones(ROWS, bool)), ("BBB", 0.5, np.arange(ROWS) % 7 != 3)):
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
        )[keep]
        f["adj_close"] = f["close"]
        bars_upsert(f, interval="1d")
        frames[symbol] = f.set_index("ts")
    return frames


def test_values_equal_talib_on_each_symbols_own_bars(market):
    definition_save(name="rsi_14", function="RSI", params={"timeperiod": 14})
    panels = facade.feature_panel(["AAA", "BBB"], ["rsi_14"])
    frame = panels["rsi_14@1"]
    assert list(frame.columns) == ["AAA", "BBB"]
    for symbol, bars in market.items():
        expected = talib.RSI(bars["close"].to_numpy(), timeperiod=14)
        got = frame[symbol].dropna()
        np.testing.assert_allclose(got.to_numpy(), expected[~np.isnan(expected)], rtol=1e-12)
        assert got.index[0] == bars.index[14]  # 14 bars of warm-up on the symbol's own bars
    # BBB's missing bars are rows of the panel without a value, not NaNs carried into later values.
    assert frame["BBB"].isna().sum() == 14 + (ROWS - len(market["BBB"]))


def test_a_window_reads_its_warm_up_from_before_start(market):
    definition_save(name="vol", function="yang_zhang_volatility", params={"window": 20})
    start = pd.Timestamp("2024-06-01", tz="UTC")
    cut = facade.feature_panel(["AAA"], ["vol"], start=start)["vol@1"]["AAA"]
    bars = market["AAA"]
    full = yang_zhang_volatility(
        *(bars[f].to_numpy().reshape(-1, 1) for f in ("open", "high", "low", "close")), 20
    )
    expected = pd.Series(full[:, 0], index=bars.index).loc[start:]
    assert cut.index[0] == start and not np.isnan(cut.iloc[0])
    np.testing.assert_allclose(cut.to_numpy(), expected.to_numpy(), rtol=1e-12)


def test_a_set_gives_its_pinned_versions(market):
    definition_save(name="rsi_14", function="RSI", params={"timeperiod": 14})
    set_create(name="momentum", features=["rsi_14"])
    definition_save(name="rsi_14", function="RSI", params={"timeperiod": 10})  # v2 exists now
    assert list(facade.feature_panel(["AAA"], feature_set="momentum")) == ["rsi_14@1"]
    assert list(facade.feature_panel(["AAA"], ["rsi_14"])) == ["rsi_14@2"]


def test_unknown_features_and_sets_are_named(market):
    with pytest.raises(facade.UnknownFeature, match="nope"):
        facade.feature_panel(["AAA"], ["nope"])
    with pytest.raises(facade.UnknownFeature, match="nope_set"):
        facade.feature_panel(["AAA"], feature_set="nope_set")
    definition_save(name="beta", function="rolling_beta")
    with pytest.raises(facade.FeatureNotComputable, match="benchmark"):
        facade.feature_panel(["AAA"], ["beta"])
