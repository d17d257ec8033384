"""The simulated market: its statistics match its parameters, it is deterministic, and its bars
and quotes are internally consistent. Pure numpy: no database."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest
from scipy import stats

from apps.marketdata.kernels.simulation import (
    DAY,
    JumpParams,
    MarketParams,
    RegimeParams,
    SimulatedMarket,
    seconds_to_years,
)
from apps.marketdata.kernels.simulation.frames import bar_timestamps, business_days, simulate_bar_frames
from apps.marketdata.selectors.adapters import AdapterError, SourceAdapter, get_adapter
from apps.marketdata.selectors.adapters.simulated import SimulatedAdapter

N, SECTORS, T = 12, 4, 40_000
OFF = {"regimes": RegimeParams(enabled=False), "jumps": JumpParams(enabled=False)}


@pytest.fixture(scope="module")
def plain():
    """Diffusion only (no regimes, no jumps): the factor model's moments hold exactly."""
    params = MarketParams.universe(N, n_sectors=SECTORS, seed=11, market_share=0.3, sector_share=0.3, **OFF)
    r, _ = SimulatedMarket(params, seed=5).returns(T, dt=DAY)
    return params, r


def test_theoretical_correlation_follows_the_factor_structure():
    p = MarketParams.universe(8, n_sectors=2, seed=1, market_share=0.25, sector_share=0.35, **OFF)
    corr = p.correlation()
    same = p.sectors[:, None] == p.sectors[None, :]
    off_diag = ~np.eye(8, dtype=bool)
    np.testing.assert_allclose(corr[same & off_diag], 0.60)
    np.testing.assert_allclose(corr[~same], 0.25)
    np.testing.assert_allclose(np.sqrt(np.diag(p.covariance())), p.vols)
    assert np.all(np.linalg.eigvalsh(p.covariance()) > 0)


def test_realized_correlation_matches_the_parameters(plain):
    params, r = plain
    realized = np.corrcoef(r.T)
    # The sampling sd of a correlation estimate is about (1 - rho^2) / sqrt(T) <= 1/sqrt(40,000)
    # = 0.005; 0.025 is five of those, so across the 66 pairs a miss is not chance, it is a bug
    # (e.g. a sector loading applied to the wrong column moves a pair by 0.3).
    np.testing.assert_allclose(realized, params.correlation(), atol=0.025)


def test_realized_volatility_matches_the_parameters(plain):
    params, r = plain
    realized = r.std(axis=0, ddof=1) / np.sqrt(DAY)
    # The relative sampling sd of a standard deviation is about 1/sqrt(2T) = 0.0035; 2 % is over five.
    np.testing.assert_allclose(realized, params.vols, rtol=0.02)
    # Without jumps or fat tails, returns are normal: excess kurtosis near 0 (sd ~ sqrt(24/T) = 0.024).
    assert np.all(np.abs(stats.kurtosis(r, axis=0)) < 0.15)


def test_stressed_regime_raises_volatility_by_its_multiplier():
    regimes = RegimeParams(stressed_vol_multiplier=2.5, p_calm_to_stressed=0.05, p_stressed_to_calm=0.10)
    params = MarketParams.universe(
        N, n_sectors=SECTORS, seed=3, regimes=regimes, jumps=JumpParams(enabled=False)
    )
    r, reg = SimulatedMarket(params, seed=9).returns(T, dt=DAY)
    stressed = reg == 1
    # The chain spends about p_cs / (p_cs + p_sc) = 1/3 of the time stressed.
    assert 0.25 < stressed.mean() < 0.42
    calm_vol = r[~stressed].std(axis=0) / np.sqrt(DAY)
    stress_vol = r[stressed].std(axis=0) / np.sqrt(DAY)
    np.testing.assert_allclose(calm_vol, params.vols, rtol=0.03)
    np.testing.assert_allclose(stress_vol / calm_vol, 2.5, rtol=0.05)
    np.testing.assert_allclose(params.vols_by_regime()[1], 2.5 * params.vols)


def test_jumps_fatten_the_tails():
    jumps = JumpParams(intensity=8.0, mean=-0.02, std=0.06)
    base = MarketParams.universe(N, n_sectors=SECTORS, seed=3, **OFF)
    jumpy = MarketParams.universe(
        N, n_sectors=SECTORS, seed=3, regimes=RegimeParams(enabled=False), jumps=jumps
    )
    k_plain = stats.kurtosis(SimulatedMarket(base, seed=2).returns(T, dt=DAY)[0], axis=0)
    r_jump = SimulatedMarket(jumpy, seed=2).returns(T, dt=DAY)[0]
    k_jump = stats.kurtosis(r_jump, axis=0)
    # Eight 6 % jumps a year on a ~1.9 % daily sd give an excess kurtosis of roughly 5–20.
    assert np.all(k_jump > 3.0) and np.all(np.abs(k_plain) < 0.15)
    # And the total variance picks up the jumps' share, as long_run_vols() says.
    np.testing.assert_allclose(r_jump.std(axis=0) / np.sqrt(DAY), jumpy.long_run_vols(), rtol=0.06)


def test_same_seed_same_market_different_seed_different_market():
    params = MarketParams.universe(6, seed=1)

    def run(seed):
        m = SimulatedMarket(params, seed=seed)
        bars = m.bars(50)
        tick = m.tick(dt=seconds_to_years(1), levels=3)
        return bars, tick

    (b1, t1), (b2, t2), (b3, _) = run(7), run(7), run(8)
    for name in ("open", "high", "low", "close", "volume", "vwap", "trade_count"):
        np.testing.assert_array_equal(getattr(b1, name), getattr(b2, name))
    np.testing.assert_array_equal(t1.quotes.bid, t2.quotes.bid)
    np.testing.assert_array_equal(t1.book.ask_sizes, t2.book.ask_sizes)
    assert not np.array_equal(b1.close, b3.close)
    # Parameters drawn from a seed are reproducible too.
    np.testing.assert_array_equal(MarketParams.universe(6, seed=1).vols, params.vols)


def test_bars_are_consistent_ohlcv():
    params = MarketParams.universe(20, seed=4)  # regimes and jumps on
    market = SimulatedMarket(params, seed=4)
    first_open = market.prices.copy()
    b = market.bars(500)
    assert b.close.shape == (500, 20)
    np.testing.assert_array_equal(b.open[0], first_open)
    np.testing.assert_array_equal(b.open[1:], b.close[:-1])  # each bar opens at the last close
    assert np.all(b.high >= np.maximum(b.open, b.close))
    assert np.all(b.low <= np.minimum(b.open, b.close))
    assert np.all(b.low > 0)
    assert np.all((b.vwap >= b.low) & (b.vwap <= b.high))
    assert np.all(b.volume > 0) and np.all(b.trade_count >= 1)
    assert np.all(np.isfinite(b.close))
    np.testing.assert_allclose(market.prices, b.close[-1])
    # The intrabar path is real: highs are usually above both open and close, not equal to one.
    assert (b.high > np.maximum(b.open, b.close)).mean() > 0.5


def test_quotes_have_a_positive_spread_and_books_are_ordered():
    params = MarketParams.universe(30, seed=2)
    market = SimulatedMarket(params, seed=2, start_prices=np.geomspace(0.05, 2000, 30))
    for _ in range(200):
        tick = market.tick(dt=seconds_to_years(1), levels=5)
        q = tick.quotes
        assert np.all(q.ask - q.bid > 0)
        assert np.all((q.bid <= tick.mid + 1e-9) & (q.ask >= tick.mid - 1e-9))
        assert np.all(q.bid_size >= 100) and np.all(q.ask_size >= 100)
        book = tick.book
        np.testing.assert_array_equal(book.bid_prices[:, 0], q.bid)
        np.testing.assert_array_equal(book.ask_sizes[:, 0], q.ask_size)
        assert np.all(np.diff(book.bid_prices, axis=1) < 0) and np.all(np.diff(book.ask_prices, axis=1) > 0)


def test_invalid_parameters_are_refused():
    with pytest.raises(ValueError, match="sum to at most 1"):
        MarketParams.universe(3, market_share=0.7, sector_share=0.5)
    with pytest.raises(ValueError, match="probability"):
        RegimeParams(p_calm_to_stressed=1.5)
    with pytest.raises(ValueError, match="start_prices"):
        SimulatedMarket(MarketParams.universe(3), seed=1, start_prices=np.array([1.0, -1.0, 2.0]))


def test_bar_frames_have_session_timestamps_and_all_instruments():
    market = SimulatedMarket(MarketParams.universe(3, seed=1), seed=1)
    days = business_days(dt.date(2024, 1, 5), 2)  # Friday, then Monday
    assert [d.date() for d in days] == [dt.date(2024, 1, 5), dt.date(2024, 1, 8)]
    ts = bar_timestamps("30m", days)
    assert (
        len(ts) == 26
        and str(ts[0]) == "2024-01-05 14:30:00+00:00"
        and str(ts[-1]) == "2024-01-08 20:30:00+00:00"
    )
    (frame,) = simulate_bar_frames(
        market, instrument_ids=np.array([7, 8, 9]), interval="30m", start=dt.date(2024, 1, 5), days=2
    )
    assert len(frame) == 26 * 3 and set(frame["instrument_id"]) == {7, 8, 9}
    assert frame["ts"].is_monotonic_increasing
    with pytest.raises(ValueError, match="simulated bars"):
        bar_timestamps("1h", days)


def test_simulated_adapter_is_deterministic_and_consistent_across_ranges():
    a, b = SimulatedAdapter(seed=3), get_adapter("simulated", seed=3)
    assert isinstance(b, SourceAdapter) and b.name == "simulated"
    assert a.list_symbols()[:2] == ["SIM0001", "SIM0002"] and len(a.list_symbols()) == 20
    short = a.fetch_bars("SIM0002", "1d", "2021-03-01", "2021-03-31")
    long = b.fetch_bars("sim0002", "1d", "2020-06-01", "2023-01-31")
    assert len(short) == 23  # business days of March 2021
    np.testing.assert_array_equal(short["close"], long.set_index("ts").loc[short["ts"], "close"])
    assert (short["high"] >= short[["open", "close"]].max(axis=1)).all()
    day = a.fetch_bars("SIM0002", "5m", "2021-03-02", "2021-03-02T23:59:59Z")
    assert len(day) == 78 and day["ts"].iloc[0].hour == 14
    # Intraday opens at the day's daily open.
    assert day["open"].iloc[0] == pytest.approx(short.set_index("ts").loc["2021-03-02", "open"])
    rate = a.fetch_series("SIM_RATE", "2020-01-01", "2020-12-31")
    assert len(rate) == 12 and (rate["value"] >= 0).all()
    with pytest.raises(AdapterError, match="no symbol"):
        a.fetch_bars("NOPE", "1d", "2021-01-01", "2021-02-01")
    with pytest.raises(AdapterError, match="no series"):
        a.fetch_series("GDP", None, None)
    assert a.fetch_bars("SIM0001", "1d", None, "2000-01-07")["ts"].dt.day.tolist() == [3, 4, 5, 6, 7]


@pytest.mark.django_db
def test_simulate_market_command_writes_bars_idempotently():
    from django.core.management import call_command

    from apps.marketdata.models import Bar, Instrument

    args = ["--instruments", "4", "--sectors", "2", "--days", "6", "--start", "2024-01-01", "--seed", "9"]
    call_command("simulate_market", *args, "--no-progress", stdout=io.StringIO())
    assert list(Instrument.objects.filter(symbol__startswith="SIM").values_list("symbol", "sector")) == [
        ("SIM0001", "Sector 01"),
        ("SIM0002", "Sector 02"),
        ("SIM0003", "Sector 01"),
        ("SIM0004", "Sector 02"),
    ]
    first = list(
        Bar.objects.order_by("instrument_id", "ts").values_list("ts", "close", "high", "low", "open")
    )
    assert len(first) == 24 and str(first[0][0].date()) == "2024-01-01"
    assert all(h >= max(o, c) and lo <= min(o, c) for _, c, h, lo, o in first)
    call_command("simulate_market", *args, "--no-progress", stdout=io.StringIO())  # same seed: same bars
    assert (
        list(Bar.objects.order_by("instrument_id", "ts").values_list("ts", "close", "high", "low", "open"))
        == first
    )
