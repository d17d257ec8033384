"""book_load / book_adhoc: values, NAV, ADV, scenarios, FX vols, turnover and drawdown on a
hand-built market, each checked against plain-Python arithmetic written out in the test."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.portfolio.services import transaction_record
from apps.risk.selectors import book as book_service
from apps.risk.selectors.book import book_adhoc, book_load
from apps.risk.selectors.book import figures as book_figures
from tests.risk.conftest import make_instrument, make_portfolio, store_daily_bars, store_fx

pytestmark = pytest.mark.django_db

DAYS = 30
AAA = [8.0 + 0.1 * i for i in range(26)] + [12.0, 11.0, 10.5, 10.0]  # peak 12 on day 26, last 10
BBB = [20.0 + (0.5 if i % 2 else -0.5) for i in range(DAYS - 1)] + [20.0]  # last 20
EEE = [45.0 + 0.2 * i for i in range(DAYS - 5)] + [49.0, 50.5, 51.0, 49.5, 50.0]  # last 50 EUR
EURUSD = [1.15 + 0.002 * i + (0.003 if i % 3 == 0 else 0.0) for i in range(DAYS - 1)] + [1.2]
VOL_AAA = [1000.0 + 10 * i for i in range(DAYS)]


@pytest.fixture
def world(user):
    make_instrument("AAA", sector="Tech", industry="Software")
    make_instrument("BBB", sector="Tech", industry="Hardware")
    make_instrument("EEE", currency="EUR", sector="Energy", industry="Oil")
    store_daily_bars("AAA", AAA, volumes=VOL_AAA)
    store_daily_bars("BBB", BBB)
    store_daily_bars("EEE", EEE)
    store_fx("EUR", "USD", EURUSD)
    pf1 = make_portfolio("pf1", owner=user, positions={"AAA": 100, "BBB": -50, "EEE": 10}, cash=1000)
    pf2 = make_portfolio("pf2", owner=user, positions={"AAA": 30, "EEE": 5}, cash=100, base_currency="EUR")
    # A recent trade: 3 days ago, buy 10 AAA at 9 (turnover 90 in a 5-day window, none in 1 day).
    transaction_record(
        portfolio=pf1,
        type="buy",
        instrument="AAA",
        quantity=Decimal(10),
        price=Decimal(9),
        timestamp=timezone.now() - timedelta(days=3),
    )
    return pf1, pf2


def _dense(m) -> np.ndarray:
    return m.toarray() if hasattr(m, "toarray") else np.asarray(m)


def _row(loaded, code):
    return loaded.codes.index(code)


def _col(loaded, symbol):
    return loaded.symbols.index(symbol)


@pytest.mark.parametrize("sparse_cells", [2_000_000, 0])  # dense and CSR matrices give the same book
def test_values_and_nav_in_base_currency(world, monkeypatch, sparse_cells):
    monkeypatch.setattr(book_figures, "SPARSE_CELLS", sparse_cells)
    loaded = book_load(windows=[1, 5])
    b = loaded.book
    assert loaded.currencies == ["EUR", "USD"]
    assert loaded.sectors == ["Energy", "Tech"] and loaded.industries == ["Hardware", "Oil", "Software"]
    values = _dense(b.values)
    r1, r2 = _row(loaded, "pf1"), _row(loaded, "pf2")
    a, bb, e = _col(loaded, "AAA"), _col(loaded, "BBB"), _col(loaded, "EEE")
    # pf1 (USD): AAA 110 × 10 = 1100; BBB −50 × 20 = −1000; EEE 10 × 50 EUR × 1.2 = 600.
    assert values[r1, [a, bb, e]] == pytest.approx([1100.0, -1000.0, 600.0])
    # cash 1000 − 10 × 9 = 910 → NAV 1100 − 1000 + 600 + 910 = 1610.
    assert b.nav[r1] == pytest.approx(1610.0)
    # pf2 (EUR): AAA 30 × 10 USD / 1.2 = 250; EEE 5 × 50 = 250; cash 100 → NAV 600.
    assert values[r2, [a, e]] == pytest.approx([250.0, 250.0])
    assert b.nav[r2] == pytest.approx(600.0)
    assert _dense(b.quantities)[r1, a] == 110.0
    assert [loaded.currencies[c] for c in b.base_currency[[r1, r2]]] == ["USD", "EUR"]
    assert [loaded.sectors[c] for c in b.sector[[a, bb, e]]] == ["Tech", "Tech", "Energy"]
    assert [loaded.currencies[c] for c in b.currency[[a, bb, e]]] == ["USD", "USD", "EUR"]
    assert loaded.prices[[a, bb, e]] == pytest.approx([10.0, 20.0, 50.0])


def test_adv_scenarios_and_fx_vol(world):
    loaded = book_load(windows=[1])
    b = loaded.book
    a, e = _col(loaded, "AAA"), _col(loaded, "EEE")
    # ADV: mean of the last 20 daily volumes.
    assert b.adv[a] == pytest.approx(sum(VOL_AAA[-20:]) / 20)
    assert b.adv[e] == pytest.approx(1000.0)
    # Scenarios: today's values × each day's simple return (29 returns from 30 closes).
    closes = {"AAA": AAA, "BBB": BBB, "EEE": EEE}
    values = _dense(b.values)
    r1 = _row(loaded, "pf1")
    expected = []
    for t in range(1, DAYS):
        pnl = 0.0
        for s, series in closes.items():
            pnl += values[r1, _col(loaded, s)] * (series[t] / series[t - 1] - 1.0)
        expected.append(pnl)
    assert b.scenario_pnl.shape == (2, DAYS - 1)
    assert b.scenario_pnl[r1] == pytest.approx(expected)
    # FX vol: the sample standard deviation of the daily log changes of EURUSD.
    changes = [math.log(EURUSD[i] / EURUSD[i - 1]) for i in range(1, DAYS)]
    mean = sum(changes) / len(changes)
    vol = math.sqrt(sum((c - mean) ** 2 for c in changes) / (len(changes) - 1))
    eur, usd = loaded.currencies.index("EUR"), loaded.currencies.index("USD")
    assert b.fx_vol[r1, eur] == pytest.approx(vol)  # EUR against pf1's USD
    assert b.fx_vol[r1, usd] == 0.0  # the base currency itself
    assert b.fx_vol[_row(loaded, "pf2"), usd] == pytest.approx(vol)  # USD/EUR: the same log changes


def test_turnover_windows_and_holdings_drawdown(world):
    loaded = book_load(windows=[1, 5])
    b = loaded.book
    r1, r2 = _row(loaded, "pf1"), _row(loaded, "pf2")
    assert b.turnover[1][[r1, r2]] == pytest.approx([0.0, 0.0])
    assert b.turnover[5][[r1, r2]] == pytest.approx([90.0, 0.0])  # |10 × 9| three days ago
    # Drawdown over 5 days: pf1's NAV at the closes of days 25..29 (today's quantities and FX),
    # then now; 1 − NAV_now / peak.
    rate = EURUSD[-1]
    path = [110 * AAA[t] - 50 * BBB[t] + 10 * EEE[t] * rate + 910 for t in range(25, DAYS)]
    nav_now = 1610.0
    assert b.drawdown[5][r1] == pytest.approx(1 - nav_now / max(max(path), nav_now))
    assert b.drawdown[5][r1] > 0  # AAA's peak of 12 on day 26 is in the window
    path2 = [30 * AAA[t] / rate + 5 * EEE[t] + 100 for t in range(25, DAYS)]
    assert b.drawdown[5][r2] == pytest.approx(1 - 600.0 / max(max(path2), 600.0))


def test_windows_default_to_the_enabled_limits(world):
    from tests.risk.conftest import make_limit

    make_limit(limit_type="turnover_limit", breach_threshold=1e6, window_days=7)
    make_limit(limit_type="drawdown", breach_threshold=0.5, window_days=3, enabled=False)
    loaded = book_load()
    assert sorted(loaded.book.turnover) == [1, 7] and sorted(loaded.book.drawdown) == [1, 7]


def test_one_portfolio_and_extra_symbols(world):
    make_instrument("ZZZ")
    store_daily_bars("ZZZ", [5.0] * 3)
    pf1, _ = world
    loaded = book_load(portfolio_ids=[pf1.pk], extra_symbols=["zzz"], windows=[1])
    assert loaded.codes == ["pf1"] and list(loaded.portfolio_ids) == [pf1.pk]
    assert loaded.symbols[-1] == "ZZZ" and _dense(loaded.book.quantities)[0, -1] == 0.0
    assert loaded.book.nav[0] == pytest.approx(1610.0)


def test_missing_fx_leaves_values_unknown(user):
    make_instrument("JJJ", currency="JPY")
    store_daily_bars("JJJ", [100.0, 101.0])
    make_portfolio("pfj", owner=user, positions={"JJJ": 10}, cash=5)
    loaded = book_load(windows=[1])
    assert np.isnan(_dense(loaded.book.values)[0, 0]) and np.isnan(loaded.book.nav[0])
    assert np.isnan(loaded.book.fx_vol[0, loaded.currencies.index("JPY")])


def test_adhoc_positions(world):
    loaded = book_adhoc(
        positions=[{"symbol": "aaa", "quantity": 100}, {"symbol": "EEE", "quantity": -4, "price": 55.0}],
        portfolio_value=10_000,
    )
    values = _dense(loaded.book.values)[0]
    # AAA 100 × 10 = 1000; EEE −4 × 55 EUR × 1.2 = −264; NAV as given, cash the rest.
    assert values == pytest.approx([1000.0, -264.0])
    assert loaded.book.nav[0] == pytest.approx(10_000.0)
    assert loaded.cash[0] == pytest.approx(10_000.0 - 736.0)
    assert loaded.book.turnover[1][0] == 0.0
    no_value = book_adhoc(positions=[{"symbol": "AAA", "quantity": 3}], base_currency="EUR")
    assert no_value.book.nav[0] == pytest.approx(3 * 10.0 / 1.2)


def test_adhoc_rejects_unknown_symbols_and_missing_prices(world):
    with pytest.raises(ValidationError) as err:
        book_adhoc(positions=[{"symbol": "NOPE", "quantity": 1}])
    assert "positions" in err.value.message_dict
    make_instrument("NEW")
    with pytest.raises(ValidationError) as err:
        book_adhoc(positions=[{"symbol": "NEW", "quantity": 1}])
    assert "No price for NEW" in err.value.message_dict["positions"][0]
    assert book_adhoc(positions=[{"symbol": "NEW", "quantity": 2, "price": 3.0}]).book.nav[0] == 6.0


def test_slow_data_is_cached_but_prices_are_fresh(world):
    book_load(windows=[1])
    store_daily_bars("AAA", [11.0], start=book_service.book_load(windows=[1]).as_of + timedelta(days=1))
    loaded = book_load(windows=[1])
    assert loaded.prices[_col(loaded, "AAA")] == 11.0  # the new close, not a cached one
    # ...while the history (returns) is still the cached one until the TTL passes.
    assert len(loaded.returns) == DAYS - 1
    book_service.book_cache_clear()
    assert len(book_load(windows=[1]).returns) == DAYS


def test_aligned_history_equals_pandas_concat():
    """The universe's aligned closes (built by hand for speed) against pandas' own outer join:
    gaps, a symbol without bars, different first and last bars; same values, index and returns."""
    import pandas as pd

    from apps.risk.selectors.book.history import _aligned

    rng = np.random.default_rng(5)
    symbols = [f"S{i}" for i in range(40)]
    # Columns without a gap share one index object, as a load cuts them (market._columns): every
    # third of them here, interleaved with columns on indexes of their own.
    shared = pd.DatetimeIndex(pd.Timestamp("2024-01-03", tz="UTC") + pd.to_timedelta(np.arange(50), unit="D"))
    closes = []
    for i in range(40):
        if i % 3 == 0 and i != 0:
            closes.append(pd.Series(rng.random(len(shared)) + 1, index=shared))
            continue
        n = 0 if i == 7 else int(rng.integers(1, 40))
        days = np.sort(rng.choice(60, n, replace=False))
        stamps = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(days, unit="D")
        closes.append(pd.Series(rng.random(n) + 1, index=pd.DatetimeIndex(stamps)))
    ours = _aligned(closes, symbols)
    held = [c.rename(s) for s, c in zip(symbols, closes, strict=True) if len(c)]
    ref = pd.concat(held, axis=1, sort=True).reindex(columns=symbols).sort_index()
    assert list(ours.index) == list(ref.index) and list(ours.columns) == symbols
    np.testing.assert_array_equal(ours.to_numpy(), ref.to_numpy(dtype=float))
    np.testing.assert_array_equal(
        ours.pct_change(fill_method=None).to_numpy(), ref.pct_change(fill_method=None).to_numpy(dtype=float)
    )
    assert ours["S7"].isna().all()


def test_aligned_history_on_one_shared_calendar():
    """Every column on the universe's whole calendar (the usual cold load) takes the block path:
    same frame as pandas' concat, a symbol without bars all NaN."""
    import pandas as pd

    from apps.risk.selectors.book.history import _aligned

    rng = np.random.default_rng(9)
    calendar = pd.DatetimeIndex(
        pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(np.arange(30), unit="D")
    )
    closes = [pd.Series(rng.random(30) + 1, index=calendar) for _ in range(5)]
    closes.insert(2, pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC")))
    symbols = [f"S{i}" for i in range(6)]
    ours = _aligned(closes, symbols)
    ref = pd.concat([c.rename(s) for s, c in zip(symbols, closes, strict=True) if len(c)], axis=1)
    assert list(ours.index) == list(calendar)
    np.testing.assert_array_equal(ours.drop(columns="S2").to_numpy(), ref.to_numpy())
    assert ours["S2"].isna().all()
