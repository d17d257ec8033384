"""The book loader's per-symbol history kept under each instrument's bars version token: an entry
serves its short TTL whatever is written (an event's check does not rebuild history per bar), then
only while its token is unchanged, up to the verified entries' bound; a bar written (and committed)
is reloaded ahead for its symbol only; without Redis, the short TTL alone. Transactional: the tokens
are bumped after a real commit and read outside one."""

from __future__ import annotations

import numpy as np
import pytest

from apps.risk.selectors.book import book_load, market, slow_refresh_ahead
from tests.risk.conftest import day, make_instrument, make_portfolio, store_daily_bars

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def book(user):
    make_instrument("AAA", sector="Tech")
    make_instrument("BBB", sector="Energy")
    store_daily_bars("AAA", [10.0, 11.0, 10.5, 12.0, 11.0])
    store_daily_bars("BBB", [20.0, 19.0, 21.0, 22.0, 20.0])
    return make_portfolio("tok", owner=user, positions={"AAA": 100, "BBB": -50}, cash=5000).pk


def test_a_written_bar_is_read_past_the_short_ttl_for_its_symbol_only(book, clock, panel_reads):
    first = book_load(portfolio_ids=[book], windows=(1,))
    assert panel_reads == [("AAA", "BBB"), ("AAA", "BBB")]  # closes and volume
    panel_reads.clear()

    store_daily_bars("AAA", [13.0], start=day(5))  # committed: AAA's token replaced
    book_load(portfolio_ids=[book], windows=(1,))
    assert panel_reads == []  # within the short TTL every entry serves, as before the tokens
    clock[0] += market.CACHE_TTL_SECONDS + 1
    after = book_load(portfolio_ids=[book], windows=(1,))
    assert panel_reads == [("AAA",), ("AAA",)]  # BBB's token vouches for it
    col = after.symbols.index("AAA")
    assert after.returns.iloc[-1, col] == pytest.approx(13.0 / 11.0 - 1)  # the universe's history rebuilt
    assert len(after.returns) == len(first.returns) + 1


def test_refresh_ahead_reloads_the_symbols_whose_bars_were_written(book, clock, panel_reads):
    book_load(portfolio_ids=[book], windows=(1,))
    store_daily_bars("AAA", [13.0], start=day(5))
    clock[0] += market.REFRESH_AHEAD_SECONDS - 1
    assert slow_refresh_ahead() == 0  # too young to matter
    clock[0] += 2
    panel_reads.clear()
    assert market.slow_aging(10) == ["AAA"]
    assert slow_refresh_ahead() == 1 and panel_reads == [("AAA",), ("AAA",)]
    clock[0] += market.CACHE_TTL_SECONDS
    panel_reads.clear()
    book_load(portfolio_ids=[book], windows=(1,))
    assert panel_reads == []  # nothing expired under the run


def test_an_unchanged_token_outlives_the_short_ttl_up_to_its_bound(book, clock, panel_reads):
    book_load(portfolio_ids=[book], windows=(1,))
    panel_reads.clear()
    clock[0] += market.CACHE_TTL_SECONDS + 5
    book_load(portfolio_ids=[book], windows=(1,))
    assert panel_reads == []
    clock[0] += market.VERIFIED_TTL_SECONDS
    book_load(portfolio_ids=[book], windows=(1,))
    assert panel_reads == [("AAA", "BBB"), ("AAA", "BBB")]


def test_without_redis_entries_live_the_short_ttl(book, clock, panel_reads, monkeypatch):
    book_load(portfolio_ids=[book], windows=(1,))
    panel_reads.clear()
    monkeypatch.setattr(market, "versions_read", lambda names: None)  # Redis unreachable
    clock[0] += market.CACHE_TTL_SECONDS - 5
    warm = book_load(portfolio_ids=[book], windows=(1,))
    assert panel_reads == []
    clock[0] += 10
    cold = book_load(portfolio_ids=[book], windows=(1,))
    assert panel_reads == [("AAA", "BBB"), ("AAA", "BBB")]
    np.testing.assert_array_equal(warm.book.scenario_pnl, cold.book.scenario_pnl)
    # Loaded without a token: refreshed ahead at half the short TTL, as before the tokens.
    clock[0] += market.REFRESH_AHEAD_SECONDS
    assert market.slow_aging(10) == ["AAA", "BBB"]
