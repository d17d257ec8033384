"""features.facade.feature_panel: values from the stored bars equal TA-Lib (and the engine's own
kernels) called directly on each symbol's own bars; the warm-up comes from before `start`. Fundamental
ratios equal marketdata's fundamentals_as_of read at each bar's close; rolling beta/correlation equal
the kernel called on the instrument's and the benchmark's returns over the instrument's bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib

from apps.features import facade
from apps.features.kernels.relative import rolling_beta, rolling_correlation
from apps.features.kernels.volatility import yang_zhang_volatility
from apps.features.models import FeatureDefinition
from apps.features.services.definitions import definition_save
from apps.features.services.sets import set_create
from apps.marketdata import facade as marketdata
from apps.marketdata.models import Fundamental
from tests.features.conftest import SP500_ROWS

pytestmark = pytest.mark.django_db
ROWS = SP500_ROWS


@pytest.fixture
def market(sp500_market):
    """AAA: the S&P 500's last 300 days; BBB: the same scaled, with every 7th bar missing."""
    return sp500_market


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
    # A beta saved before definitions named a benchmark: nothing to compute it against.
    FeatureDefinition.objects.create(
        name="beta", version=1, function="rolling_beta", params={"window": 60}, output="real"
    )
    with pytest.raises(facade.FeatureNotComputable, match="names none"):
        facade.feature_panel(["AAA"], ["beta"])
    # MAVP reads a period per bar, which nothing stored gives.
    definition_save(name="mavp", function="MAVP")
    with pytest.raises(facade.FeatureNotComputable, match="periods"):
        facade.feature_panel(["AAA"], ["mavp"])


def _t(stamp: str) -> pd.Timestamp:
    return pd.Timestamp(stamp, tz="UTC")


# (symbol, field, period_end, reported_at, value). Bars are daily from 2024-01-01 (midnight UTC), each
# closing at the next midnight; the last closes on 2024-10-27.
REPORTS = [
    ("AAA", "eps", "2023-12-31", "2024-01-25T21:05", 2.00),
    ("AAA", "eps", "2024-03-31", "2024-04-25T21:05", -0.40),  # a loss: no P/E, a negative yield
    ("AAA", "eps", "2024-03-31", "2024-05-20T00:00", 0.30),  # restated, published exactly at a close
    ("AAA", "eps", "2024-06-30", "2024-07-25T13:30", 2.50),
    ("AAA", "eps", "2024-03-31", "2024-08-02T12:00", 0.35),  # an older period restated: Q2 stays
    ("AAA", "eps", "2024-09-30", "2024-10-27T00:00:01", 9.99),  # after the last close: never seen
    ("AAA", "book_value", "2023-12-31", "2024-02-10T12:00", 150.0),
    ("AAA", "book_value", "2024-06-30", "2024-08-10T12:00", 160.0),
    ("AAA", "dividend_per_share", "2023-12-31", "2024-03-01T00:00", 60.0),
    ("BBB", "eps", "2024-03-31", "2024-04-30T22:00", 1.10),
    ("BBB", "eps", "2024-03-31", "2024-06-15T08:00", 1.20),
]


@pytest.fixture
def reports(market):
    ids = {s: marketdata.instrument_get(s).id for s in ("AAA", "BBB")}
    Fundamental.objects.bulk_create(
        [
            Fundamental(
                instrument_id=ids[sym],
                field=field,
                period_end=pd.Timestamp(end).date(),
                reported_at=_t(reported).to_pydatetime(),
                value=value,
            )
            for sym, field, end, reported, value in REPORTS
        ]
    )


RATIOS = {  # name: (function, field, expected from the close and the figure known at its bar's close)
    "pe": ("price_to_earnings", "eps", lambda c, f: c / f if f > 0 else np.nan),
    "pb": ("price_to_book", "book_value", lambda c, f: c / f if f > 0 else np.nan),
    "ey": ("earnings_yield", "eps", lambda c, f: f / c if c > 0 else np.nan),
    "dy": ("dividend_yield", "dividend_per_share", lambda c, f: f / c if c > 0 else np.nan),
}


def test_fundamental_ratios_equal_fundamentals_as_of_at_each_bar_close(market, reports):
    for name, (function, _, _) in RATIOS.items():
        definition_save(name=name, function=function, adjusted=False)
    panels = facade.feature_panel(["AAA", "BBB"], list(RATIOS))
    fields = sorted({field for _, field, _ in RATIOS.values()})
    for symbol, bars in market.items():
        expected = {name: [] for name in RATIOS}
        for ts, close in bars["close"].items():
            # The independent reference: marketdata's own point-in-time read, once per bar close.
            known = marketdata.fundamentals_as_of([symbol], fields, ts + pd.Timedelta(days=1)).loc[symbol]
            for name, (_, field, ratio) in RATIOS.items():
                figure = known[field]
                expected[name].append(np.nan if np.isnan(figure) else ratio(close, figure))
        for name in RATIOS:
            got = panels[f"{name}@1"][symbol].reindex(bars.index).to_numpy()
            np.testing.assert_array_equal(got, np.array(expected[name]), err_msg=f"{symbol} {name}")
    pe = panels["pe@1"]["AAA"]
    # The figures the bars saw change where the reports say (spot checks of the rule's corners).
    eps_seen = (pe.rdiv(1) * market["AAA"]["close"]).round(10)
    assert np.isnan(pe.loc["2024-01-24"]) and eps_seen.loc["2024-01-25"] == 2.00  # closes 01-26 00:00
    assert np.isnan(pe.loc["2024-05-18"]) and eps_seen.loc["2024-05-19"] == 0.30  # close == reported_at
    assert eps_seen.loc["2024-08-05"] == 2.50 and eps_seen.iloc[-1] == 2.50  # Q1's late restatement, Q3
    assert panels["ey@1"]["AAA"].loc["2024-05-01"] < 0


def test_a_restatement_published_later_leaves_earlier_bars_as_they_were(market, reports):
    definition_save(name="pe", function="price_to_earnings", adjusted=False)
    before = facade.feature_panel(["AAA"], ["pe"])["pe@1"]["AAA"]
    Fundamental.objects.create(
        instrument_id=marketdata.instrument_get("AAA").id,
        field="eps",
        period_end=pd.Timestamp("2024-06-30").date(),
        reported_at=_t("2024-09-10T12:00").to_pydatetime(),
        value=2.75,
    )
    after = facade.feature_panel(["AAA"], ["pe"])["pe@1"]["AAA"]
    cut = _t("2024-09-09")  # its bar closes 09-10 00:00, before the restatement
    pd.testing.assert_series_equal(after.loc[:cut], before.loc[:cut])
    np.testing.assert_allclose(after.loc["2024-09-10":], market["AAA"]["close"].loc["2024-09-10":] / 2.75)


def _aligned_returns(own: pd.Series, benchmark: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Both returns between the instrument's consecutive bars (pandas, not the engine's kernel)."""
    bench = benchmark.reindex(own.index)  # NaN where the benchmark has no bar
    return (own / own.shift(1) - 1).to_numpy(), (bench / bench.shift(1) - 1).to_numpy()


def test_rolling_beta_and_correlation_equal_the_kernel_on_the_two_return_series(market):
    definition_save(name="beta", function="rolling_beta", params={"window": 20}, benchmark="AAA")
    definition_save(name="corr", function="rolling_correlation", params={"window": 5}, benchmark="BBB")
    panels = facade.feature_panel(["AAA", "BBB"], ["beta", "corr"])
    for label, bench, kernel, window in (
        ("beta@1", "AAA", rolling_beta, 20),
        ("corr@1", "BBB", rolling_correlation, 5),
    ):
        for symbol, bars in market.items():
            r, b = _aligned_returns(bars["close"], market[bench]["close"])
            expected = kernel(r.reshape(-1, 1), b, window)[:, 0]
            got = panels[label][symbol].reindex(bars.index).to_numpy()
            np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True, err_msg=f"{label} {symbol}")
            assert np.isfinite(got).sum() > 30  # AAA against BBB: one 5-return window a week
    # BBB is AAA at half the price: the same returns, so a beta of 1 over BBB's own (gapped) bars.
    np.testing.assert_allclose(panels["beta@1"]["BBB"].dropna(), 1.0, rtol=1e-9)
    # AAA against BBB: a day BBB has no bar makes BBB's returns into and out of it NaN, so every
    # 5-return window holding either is NaN rather than a correlation over a stale close.
    aaa = panels["corr@1"]["AAA"]
    missing = market["AAA"].index.difference(market["BBB"].index)
    assert aaa.loc[missing].isna().all() and aaa.loc[missing + pd.Timedelta(days=1)].isna().all()
