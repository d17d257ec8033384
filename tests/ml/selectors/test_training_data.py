"""What training reads, against the stored bars and TA-Lib: a sample is (symbol, close of bar t),
its label the forward return of the adjusted close h bars of the universe's calendar later (known at
that bar's close), its features the values of bar t; samples missing a feature are left out and
counted; the window bounds both ends; bad symbols, windows and feature sets are field errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib
from django.core.exceptions import ValidationError

from apps.ml.selectors.training_data import (
    feature_set_labels,
    price_samples,
    regime_observations,
    return_series,
    symbols_checked,
    window_checked,
)

pytestmark = pytest.mark.django_db
DAY = pd.Timedelta(days=1)


def test_price_samples_equal_the_bars_and_talib(market, core_features):
    h = 5
    s = price_samples(feature_set="core", symbols=["AAA", "BBB"], start=None, end=None, horizon=h)
    assert s.features == ("ret_5@1", "rsi_14@1", "vol_yz_20@1")  # the set's members by name
    assert sorted(core_features) == list(s.features)
    j = s.features.index("rsi_14@1")
    assert (np.diff(s.t0.asi8) >= 0).all()
    calendar = market["AAA"].index  # AAA has every bar: the universe's calendar
    for symbol, bars in market.items():
        rows = s.symbols == symbol
        bar_ts = s.t0[rows] - DAY  # t0 is the bar's close; daily bars close a day after they start
        close = bars["close"].reindex(calendar)
        pos = calendar.get_indexer(bar_ts)
        assert (pos >= 0).all()
        expected = close.to_numpy()[pos + h] / close.to_numpy()[pos] - 1
        np.testing.assert_allclose(s.y[rows], expected, rtol=1e-12)
        np.testing.assert_array_equal(s.t1[rows], calendar[pos + h] + DAY)
        rsi = pd.Series(talib.RSI(bars["close"].to_numpy(), 14), index=bars.index)
        np.testing.assert_allclose(s.X[rows, j], rsi.loc[bar_ts].to_numpy(), rtol=1e-10)
    # BBB misses every 7th bar: no label starts or ends on a missing bar.
    bbb_missing = calendar.difference(market["BBB"].index)
    assert not set(s.t0[s.symbols == "BBB"] - DAY) & set(bbb_missing)
    assert not set(s.t1[s.symbols == "BBB"] - DAY) & set(bbb_missing)
    # Left out: the warm-up (vol_yz_20 needs 20 bars) and the last h bars (no label yet).
    n_aaa = (s.symbols == "AAA").sum()
    assert n_aaa == len(calendar) - h - 20
    assert s.n_labelled == len(s.y) + max(s.missing.values())


def test_the_window_bounds_samples_and_labels(market, core_features):
    cal = market["AAA"].index
    start, end = cal[100], cal[200]
    s = price_samples(feature_set="core", symbols=["AAA"], start=start, end=end, horizon=3)
    assert s.t0.min() - DAY == start
    assert s.t1.max() - DAY == cal[199]  # the last label ends on the last bar before `end`
    assert len(s.y) == 100 - 3


def test_returns_and_regime_observations(market, core_features):
    r = return_series(symbols=["AAA", "BBB"], start=None, end=None)
    aaa = market["AAA"]["close"]
    np.testing.assert_allclose(r["AAA"], (aaa / aaa.shift(1) - 1).iloc[1:], rtol=1e-12)
    # BBB: no return spans a missing bar of the calendar.
    bbb = market["BBB"]["close"].reindex(aaa.index)
    np.testing.assert_allclose(r["BBB"], (bbb / bbb.shift(1) - 1).dropna(), rtol=1e-12)
    inputs, obs = regime_observations(symbols=["AAA", "BBB"], start=None, end=None, feature_set=None)
    assert inputs == ("return",)
    pd.testing.assert_series_equal(obs["AAA"]["return"], r["AAA"].rename("return"))
    inputs, obs = regime_observations(symbols=["AAA"], start=None, end=None, feature_set="core")
    assert sorted(inputs) == sorted(core_features)
    rsi = pd.Series(talib.RSI(aaa.to_numpy(), 14), index=aaa.index)
    np.testing.assert_allclose(obs["AAA"]["rsi_14@1"], rsi.loc[obs["AAA"].index], rtol=1e-10)
    assert np.isfinite(obs["AAA"].to_numpy()).all() and len(obs["AAA"]) == len(aaa) - 20


def test_bad_requests_name_their_field(market, core_features):
    with pytest.raises(ValidationError) as e:
        symbols_checked(["aaa", "ZZZ"], cap=10)
    assert "ZZZ" in str(e.value.message_dict["symbols"])
    assert symbols_checked([" aaa", "AAA", "bbb"], cap=10) == ["AAA", "BBB"]
    with pytest.raises(ValidationError) as e:
        symbols_checked(["AAA", "BBB"], cap=1)
    assert "at most 1" in str(e.value.message_dict["symbols"])
    with pytest.raises(ValidationError) as e:
        window_checked("2024-02-01", "2024-01-01")
    assert "after start" in str(e.value.message_dict["end"])
    with pytest.raises(ValidationError) as e:
        window_checked("yesterday", None)
    assert "start" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        feature_set_labels("nope")
    assert "nope" in str(e.value.message_dict["feature_set"])
