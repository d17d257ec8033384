"""The metric kernels against QuantStats and empyrical on real S&P 500 / NASDAQ returns (every
portfolio of the matrix in one call), and drawdown dates against hand-worked examples."""

from __future__ import annotations

import os
import warnings

import empyrical
import numpy as np
import pandas as pd
import pytest
import quantstats as qs

from apps.analytics.kernels import metrics as kernel
from apps.analytics.kernels import rolling, threads
from apps.analytics.kernels.drawdown import drawdown_series, max_drawdown

PPY = 252
RF = 0.03  # annual


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture(scope="module")
def computed(request):
    frame = request.getfixturevalue("index_returns")
    out = {}
    for rf in (0.0, RF):
        out[rf] = kernel.compute_metrics(
            frame.T.to_numpy(), periods_per_year=PPY, benchmark=frame["sp500"].to_numpy(), risk_free=rf
        )
    return frame, out


def _per_period(rf: float) -> float:
    return (1 + rf) ** (1 / PPY) - 1


REFERENCES = {
    "total_return": lambda s, b, rf: qs.stats.comp(s),
    "cagr": lambda s, b, rf: qs.stats.cagr(s, periods=PPY),
    "volatility": lambda s, b, rf: qs.stats.volatility(s, periods=PPY),
    "sharpe": lambda s, b, rf: qs.stats.sharpe(s, rf=rf, periods=PPY),
    "sortino": lambda s, b, rf: qs.stats.sortino(s, rf=rf, periods=PPY),
    "calmar": lambda s, b, rf: qs.stats.calmar(s, periods=PPY),
    "omega": lambda s, b, rf: qs.stats.omega(s, rf=rf, periods=PPY),
    "max_drawdown": lambda s, b, rf: qs.stats.max_drawdown(s),
    "skew": lambda s, b, rf: qs.stats.skew(s),
    "kurtosis": lambda s, b, rf: qs.stats.kurtosis(s),  # excess kurtosis
    "var": lambda s, b, rf: empyrical.value_at_risk(s.to_numpy(), cutoff=0.05),
    "cvar": lambda s, b, rf: empyrical.conditional_value_at_risk(s.to_numpy(), cutoff=0.05),
    "best": lambda s, b, rf: qs.stats.best(s),
    "worst": lambda s, b, rf: qs.stats.worst(s),
    "win_rate": lambda s, b, rf: qs.stats.win_rate(s),
    "beta": lambda s, b, rf: empyrical.beta(s, b, risk_free=_per_period(rf)),
    "correlation": lambda s, b, rf: s.corr(b),
    # QuantStats' information ratio is per period; ours is annualized by sqrt(periods_per_year).
    "information_ratio": lambda s, b, rf: qs.stats.information_ratio(s, b) * np.sqrt(PPY),
    "tracking_error": lambda s, b, rf: (s - b).std() * np.sqrt(PPY),
    "up_capture": lambda s, b, rf: empyrical.up_capture(s, b, period="daily"),
    "down_capture": lambda s, b, rf: empyrical.down_capture(s, b, period="daily"),
}


@pytest.mark.parametrize("rf", [0.0, RF])
@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_metric_matches_reference_for_every_series(computed, name, rf):
    frame, out = computed
    # The S&P 500 against itself has no active risk: QuantStats says 0 for its IR, we say undefined.
    columns = ["nasdaq", "blend"] if name == "information_ratio" else list(frame.columns)
    for col in columns:
        i = list(frame.columns).index(col)
        expected = REFERENCES[name](frame[col], frame["sp500"], rf)
        assert out[rf][name][i] == pytest.approx(expected, rel=1e-9, abs=1e-12), (name, col)


def test_alpha_matches_quantstats_greeks_and_empyrical_with_risk_free(computed):
    frame, out = computed
    for i, col in enumerate(frame.columns):
        greeks = qs.stats.greeks(frame[col], frame["sp500"], periods=PPY)
        assert out[0.0]["alpha"][i] == pytest.approx(greeks["alpha"], rel=1e-9, abs=1e-15)
        # empyrical compounds the same per-period alpha: (1 + a_p) ** 252 - 1; ours is a_p * 252.
        compounded = empyrical.alpha(frame[col], frame["sp500"], risk_free=_per_period(RF))
        assert out[RF]["alpha"][i] == pytest.approx(((1 + compounded) ** (1 / PPY) - 1) * PPY, rel=1e-9)
    assert out[0.0]["alpha"][1] > 0.02  # the NASDAQ beat the S&P 500 per unit of beta over 1999-2018


def test_known_figures_of_the_sp500(computed):
    """A sanity anchor independent of the libraries: the 2007-2009 crash is the deepest drawdown."""
    frame, out = computed
    m = out[0.0]
    assert m["max_drawdown"][0] == pytest.approx(-0.5678, abs=1e-4)
    assert frame.index[m["max_drawdown_peak"][0]] == pd.Timestamp("2007-10-09")
    assert frame.index[m["max_drawdown_trough"][0]] == pd.Timestamp("2009-03-09")
    assert frame.index[m["max_drawdown_recovery"][0]] == pd.Timestamp("2013-03-28")
    assert m["beta"][0] == pytest.approx(1.0) and m["tracking_error"][0] == 0.0


def test_drawdown_dates_match_quantstats_drawdown_details(index_returns):
    s = index_returns["nasdaq"]
    m = max_drawdown(s.to_numpy()[None, :])
    details = qs.stats.drawdown_details(qs.stats.to_drawdown_series(s))
    worst = details.sort_values("max drawdown").iloc[0]
    # QuantStats dates a drawdown from its first period below the peak; ours is the peak itself.
    assert s.index[m.peak[0] + 1] == pd.Timestamp(worst["start"])
    assert s.index[m.trough[0]] == pd.Timestamp(worst["valley"])
    assert m.depth[0] == pytest.approx(worst["max drawdown"] / 100, rel=1e-6)


def test_drawdown_series_matches_quantstats(index_returns):
    ours = drawdown_series(index_returns.T.to_numpy())
    for i, col in enumerate(index_returns.columns):
        ref = qs.stats.to_drawdown_series(index_returns[col]).to_numpy()
        np.testing.assert_allclose(ours[i], ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    ("returns", "depth", "peak", "trough", "recovery", "duration"),
    [
        # wealth 1.1, 0.55, 0.66, 1.32, 1.188: the 50% fall from period 0, made back in period 3.
        ([0.1, -0.5, 0.2, 1.0, -0.1], -0.5, 0, 1, 3, 3),
        # A loss in the first period falls from the starting value (peak -1).
        ([-0.2, 0.1, 0.2], -0.2, -1, 0, 2, 3),
        # Not recovered: the duration runs to the last period.
        ([0.1, -0.2, 0.05], -0.2, 0, 1, -1, 2),
        # Two equal highs (a flat period at the top): the peak is the last of them.
        ([0.1, 0.0, -0.1, 0.2], -0.1, 1, 2, 3, 2),
        # No drawdown at all.
        ([0.01, 0.02], 0.0, -1, -1, -1, 0),
    ],
)
def test_hand_worked_drawdowns(returns, depth, peak, trough, recovery, duration):
    m = max_drawdown(np.array([returns]))
    assert m.depth[0] == pytest.approx(depth)
    assert (m.peak[0], m.trough[0], m.recovery[0], m.duration[0]) == (peak, trough, recovery, duration)


def test_late_starter_equals_its_observed_history(index_returns):
    """NaN before a portfolio's first return: every figure is that of the observed periods alone."""
    r = index_returns.T.to_numpy().copy()
    r[1, :1000] = np.nan
    b = index_returns["sp500"].to_numpy()
    together = kernel.compute_metrics(r, periods_per_year=PPY, benchmark=b, risk_free=RF)
    alone = kernel.compute_metrics(r[1:2, 1000:], periods_per_year=PPY, benchmark=b[1000:], risk_free=RF)
    for name, values in alone.items():
        if name in ("max_drawdown_peak", "max_drawdown_trough", "max_drawdown_recovery"):
            assert values[0] >= 0  # the NASDAQ after 2003 has a real peak, trough and recovery
            assert together[name][1] == values[0] + 1000, name
        elif name == "max_drawdown_duration":
            assert together[name][1] == values[0]
        else:
            assert together[name][1] == pytest.approx(values[0], rel=1e-10, abs=1e-14, nan_ok=True), name
    assert together["observations"][1] == len(index_returns) - 1000
    assert qs.stats.sharpe(index_returns["nasdaq"].iloc[1000:], rf=RF) == pytest.approx(together["sharpe"][1])


def test_many_portfolios_in_blocks_equal_one_at_a_time(index_returns):
    """More rows than one block (threads over row blocks): each row's figures are its own."""
    rng = np.random.default_rng(3)
    base = index_returns.T.to_numpy()
    weights = rng.dirichlet(np.ones(3), size=150)
    r = weights @ base  # 150 rebalanced mixes of the three series
    b = index_returns["sp500"].to_numpy()
    together = kernel.compute_metrics(r, periods_per_year=PPY, benchmark=b, risk_free=RF)
    for i in (0, 63, 64, 149):
        alone = kernel.compute_metrics(r[i], periods_per_year=PPY, benchmark=b, risk_free=RF)
        for name in alone:
            assert together[name][i] == pytest.approx(alone[name][0], rel=1e-12, abs=1e-15), name
    assert together["sharpe"][5] == pytest.approx(qs.stats.sharpe(pd.Series(r[5]), rf=RF), rel=1e-9)


def test_per_portfolio_benchmark_and_a_risk_free_series(index_returns):
    """A benchmark per row (P×T) and a risk-free rate that changes every period (QuantStats
    de-annualizes each rate)."""
    frame = index_returns
    rf = pd.Series(np.linspace(0.01, 0.05, len(frame)), index=frame.index)
    r = frame[["nasdaq", "blend"]].T.to_numpy()
    b = frame[["sp500", "nasdaq"]].T.to_numpy()
    m = kernel.compute_metrics(r, periods_per_year=PPY, benchmark=b, risk_free=rf.to_numpy())
    assert m["sharpe"][0] == pytest.approx(qs.stats.sharpe(frame["nasdaq"], rf=rf, periods=PPY), rel=1e-9)
    assert m["sortino"][1] == pytest.approx(qs.stats.sortino(frame["blend"], rf=rf, periods=PPY), rel=1e-9)
    rf_p = (1 + rf) ** (1 / PPY) - 1
    # empyrical's beta takes a constant rate only: the covariance of the excess returns, by hand.
    cov = np.cov(frame["blend"] - rf_p, frame["nasdaq"] - rf_p)
    assert m["beta"][1] == pytest.approx(cov[0, 1] / cov[1, 1], rel=1e-9)
    assert m["up_capture"][1] == pytest.approx(empyrical.up_capture(frame["blend"], frame["nasdaq"]))


def test_gaps_in_the_benchmark_pair_only_observed_periods(index_returns):
    frame = index_returns
    b = frame["sp500"].to_numpy().copy()
    b[::7] = np.nan
    m = kernel.compute_metrics(frame["nasdaq"].to_numpy(), periods_per_year=PPY, benchmark=b)
    keep = ~np.isnan(b)
    s, bs = frame["nasdaq"][keep], frame["sp500"][keep]
    assert m["beta"][0] == pytest.approx(qs.stats.greeks(s, bs)["beta"], rel=1e-9)
    assert m["down_capture"][0] == pytest.approx(empyrical.down_capture(s, bs), rel=1e-9)
    assert m["volatility"][0] == pytest.approx(qs.stats.volatility(frame["nasdaq"]), rel=1e-9)


@pytest.mark.parametrize("window", [21, 63])
def test_rolling_figures_match_quantstats_and_pandas(index_returns, window):
    frame = index_returns.iloc[:600].copy()
    r = frame.T.to_numpy().copy()
    r[2, 100] = np.nan  # a missing day blanks every window that holds it, as in pandas
    vol = rolling.rolling_volatility(r, window=window, periods_per_year=PPY)
    sharpe = rolling.rolling_sharpe(r, window=window, periods_per_year=PPY, risk_free=RF)
    beta = rolling.rolling_beta(r, frame["sp500"].to_numpy(), window=window)
    for i in range(len(frame.columns)):
        s = pd.Series(r[i], index=frame.index)
        ref_vol = qs.stats.rolling_volatility(s, rolling_period=window, periods_per_year=PPY)
        ref_sharpe = qs.stats.rolling_sharpe(s, rf=RF, rolling_period=window, periods_per_year=PPY)
        ref_beta = (
            s.rolling(window).cov(frame["sp500"]) / frame["sp500"].where(s.notna()).rolling(window).var()
        )
        np.testing.assert_allclose(vol[i], ref_vol.to_numpy(), rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(sharpe[i], ref_sharpe.to_numpy(), rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(beta[i], ref_beta.to_numpy(), rtol=1e-8, atol=1e-12)
    assert np.isnan(vol[2, 100 : 100 + window]).all() and not np.isnan(vol[2, 100 + window])


def test_rolling_window_longer_than_the_series_is_all_missing():
    assert np.isnan(rolling.rolling_volatility(np.ones((2, 5)) * 0.01, window=10, periods_per_year=PPY)).all()
    with pytest.raises(ValueError):
        rolling.rolling_sharpe(np.zeros((1, 5)), window=1, periods_per_year=PPY)


@pytest.mark.parametrize(
    ("index", "name", "ppy"),
    [
        (pd.bdate_range("2020-01-01", periods=300, tz="UTC"), "daily", 252),
        (pd.date_range("2020-01-01", periods=300, freq="D", tz="UTC"), "calendar_daily", 365),
        (pd.date_range("2020-01-03", periods=100, freq="W-FRI"), "weekly", 52),
        (pd.date_range("2015-01-31", periods=60, freq="ME"), "monthly", 12),
        (pd.date_range("2015-03-31", periods=20, freq="QE"), "quarterly", 4),
    ],
)
def test_infer_frequency(index, name, ppy):
    assert kernel.infer_frequency(index) == kernel.Frequency(name, ppy)


def test_infer_frequency_refuses_what_it_cannot_tell():
    with pytest.raises(ValueError, match="cannot infer"):
        kernel.infer_frequency(pd.DatetimeIndex(["2020-01-01", "2020-01-15", "2020-02-01", "2020-02-12"]))
    with pytest.raises(ValueError, match="at least 3"):
        kernel.infer_frequency(pd.DatetimeIndex(["2020-01-01"]))


def test_bad_shapes_and_levels_are_refused():
    r = np.zeros((2, 10))
    with pytest.raises(ValueError, match="benchmark"):
        kernel.compute_metrics(r, periods_per_year=PPY, benchmark=np.zeros(9))
    with pytest.raises(ValueError, match="var_level"):
        kernel.compute_metrics(r, periods_per_year=PPY, var_level=0.3)
    with pytest.raises(ValueError, match="risk_free"):
        kernel.compute_metrics(r, periods_per_year=PPY, risk_free=np.zeros(3))


def test_a_portfolio_with_no_observations_has_no_figures():
    r = np.full((2, 5), np.nan)
    r[0] = 0.01
    m = kernel.compute_metrics(r, periods_per_year=PPY)
    assert m["observations"].tolist() == [5, 0]
    assert np.isnan(m["sharpe"][1]) and np.isnan(m["total_return"][1]) and m["total_return"][0] > 0


# --- The block pool: sized from settings, created lazily once per process --------------------------


@pytest.fixture
def fresh_pool():
    threads.threads_configure(None)
    yield
    threads.threads_configure(None)


def test_block_pool_defaults_to_the_cores_this_process_may_use(fresh_pool):
    assert threads.pool_threads() == len(os.sched_getaffinity(0)) == threads.usable_cores()


def test_block_pool_is_created_lazily_once_and_sized_as_configured(fresh_pool):
    threads.threads_configure(3)
    assert threads._POOL is None  # configuring creates no threads (a prefork child forks after it)
    r = np.random.default_rng(1).normal(0.0, 0.01, (3 * kernel.BLOCK_ROWS, 50))
    first = kernel.compute_metrics(r, periods_per_year=252)
    pool = threads._POOL
    assert pool is not None and pool._max_workers == 3
    threads.threads_configure(3)  # the same size again: the same pool
    again = kernel.compute_metrics(r, periods_per_year=252)
    assert threads._POOL is pool
    np.testing.assert_array_equal(first["sharpe"], again["sharpe"])
    threads.threads_configure(1)  # a new size: the next use builds a new pool, same figures
    assert threads._POOL is None
    one = kernel.compute_metrics(r, periods_per_year=252)
    assert threads._POOL._max_workers == 1
    np.testing.assert_array_equal(first["sharpe"], one["sharpe"])


def test_selectors_size_the_pool_from_the_setting(fresh_pool, settings):
    from apps.analytics.selectors import performance

    settings.ANALYTICS_KERNEL_THREADS = 2
    performance._metrics(np.zeros((1, 10)), periods_per_year=252)
    assert threads.pool_threads() == 2
    settings.ANALYTICS_KERNEL_THREADS = None
    performance._metrics(np.zeros((1, 10)), periods_per_year=252)
    assert threads.pool_threads() == threads.usable_cores()
