"""The book loader's market data kept warm: entries past half their TTL are reloaded ahead of
expiry (after a monitor step), so the run after the TTL reads no history from the database — and
the refreshed entries give exactly the book a cold load gives."""

from __future__ import annotations

import numpy as np
import pytest

from apps.risk.selectors.book import book_cache_clear, book_load, market, slow_refresh_ahead
from tests.risk.conftest import day, make_instrument, make_portfolio, store_daily_bars

pytestmark = pytest.mark.django_db


def _figures(loaded):
    b = loaded.book
    return [loaded.prices, loaded.closes, b.values, b.nav, b.scenario_pnl, b.adv, *b.drawdown.values()]


def test_aging_entries_are_reloaded_ahead_of_expiry(user, clock, panel_reads):
    make_instrument("AAA", sector="Tech")
    make_instrument("BBB", sector="Energy")
    store_daily_bars("AAA", [10.0, 11.0, 10.5, 12.0, 11.0])
    store_daily_bars("BBB", [20.0, 19.0, 21.0, 22.0, 20.0])
    pf = make_portfolio("warm", owner=user, positions={"AAA": 100, "BBB": -50}, cash=5000)

    book_load(portfolio_ids=[pf.pk], windows=(1, 3))
    assert panel_reads and all(s == ("AAA", "BBB") for s in panel_reads)
    assert slow_refresh_ahead() == 0  # fresh: nothing to do

    clock[0] += market.REFRESH_AHEAD_SECONDS + 5  # aging, still valid
    store_daily_bars("AAA", [13.0], start=day(5))  # a new close since the load
    panel_reads.clear()
    assert slow_refresh_ahead() == 2
    assert panel_reads == [("AAA", "BBB"), ("AAA", "BBB")]  # closes and volume, once each
    assert market.cache.get_many("slow", ["AAA"])["AAA"].closes.iloc[-1] == 13.0

    # Past the first load's TTL: the refreshed entries still serve; no history is read again.
    clock[0] += market.CACHE_TTL_SECONDS - market.REFRESH_AHEAD_SECONDS
    panel_reads.clear()
    warm = book_load(portfolio_ids=[pf.pk], windows=(1, 3))
    assert panel_reads == []

    book_cache_clear()
    cold = book_load(portfolio_ids=[pf.pk], windows=(1, 3))
    assert panel_reads  # the cold load did read
    for a, b in zip(_figures(warm), _figures(cold), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert warm.book.values[0].sum() == pytest.approx(100 * 13.0 - 50 * 20.0)


def test_at_most_the_cap_per_call_oldest_first(user, clock, monkeypatch):
    for i, s in enumerate(["AAA", "BBB", "CCC"]):
        make_instrument(s)
        store_daily_bars(s, [10.0 + i] * 3)
        book_load(
            frames=None, portfolio_ids=[make_portfolio(f"p{s.lower()}", owner=user, positions={s: 1}).pk]
        )
        clock[0] += 1.0  # AAA oldest, CCC newest
    clock[0] += market.REFRESH_AHEAD_SECONDS
    assert market.slow_aging(2) == ["AAA", "BBB"]
    assert slow_refresh_ahead(max_symbols=2) == 2
    assert market.slow_aging(10) == ["CCC"]
