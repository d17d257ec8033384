"""A risk worker's book cache filled as it starts (selectors.book.warm): every symbol an open
position holds is loaded once, the first book load after it reads no history, and its books are the
ones a cold load gives; a load that finds the symbols it needs being loaded waits for that load
instead of repeating it."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pytest

from apps.risk.selectors.book import book_cache_clear, book_load, market
from apps.risk.selectors.book.warm import book_cache_warm
from tests.risk.conftest import make_instrument, make_portfolio, store_daily_bars


def _figures(loaded):
    b = loaded.book
    return [loaded.prices, loaded.closes, b.values, b.nav, b.scenario_pnl, b.adv, *b.drawdown.values()]


@pytest.mark.django_db
def test_the_warm_up_loads_each_held_symbol_once_and_the_first_load_reads_none(user, panel_reads):
    for s, closes in {"AAA": [10.0, 11.0, 10.5, 12.0], "BBB": [20.0, 19.0, 21.0, 22.0]}.items():
        make_instrument(s)
        store_daily_bars(s, closes)
    make_instrument("CCC")  # quoted, held by no one: not loaded
    store_daily_bars("CCC", [5.0, 6.0, 7.0, 8.0])
    one = make_portfolio("one", owner=user, positions={"AAA": 100, "BBB": -50}, cash=5000)
    two = make_portfolio("two", owner=user, positions={"BBB": 10}, cash=100)

    assert book_cache_warm()["symbols"] == 2
    assert panel_reads == [("AAA", "BBB"), ("AAA", "BBB")]  # closes, then volume: one read each
    panel_reads.clear()
    warmed = book_load(portfolio_ids=[one.pk, two.pk], windows=(1, 3))
    assert panel_reads == []

    book_cache_clear()
    cold = book_load(portfolio_ids=[one.pk, two.pk], windows=(1, 3))
    assert panel_reads  # the cold load did read
    for a, b in zip(_figures(warmed), _figures(cold), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.django_db
def test_no_open_position_loads_nothing(panel_reads):
    assert book_cache_warm()["symbols"] == 0
    assert panel_reads == []


def test_a_load_of_symbols_being_loaded_waits_for_it_and_reads_nothing_itself(monkeypatch):
    reads: list[tuple[str, ...]] = []
    release = threading.Event()

    def slow_load(symbols, as_of, infos):  # stands in for the database read, held open by the test
        reads.append(tuple(symbols))
        release.wait(10)
        closes = pd.Series([1.0, 2.0], index=pd.DatetimeIndex(["2024-01-01", "2024-01-02"], tz="UTC"))
        return {s: market._Slow(k, "USD", "", "", 1.0, closes, None, k) for k, s in enumerate(symbols)}

    monkeypatch.setattr(market, "_slow_load", slow_load)
    first = threading.Thread(target=market.slow_data, args=(["AAA", "BBB"], None))
    first.start()
    deadline = time.monotonic() + 10
    while not reads and time.monotonic() < deadline:
        time.sleep(0.005)
    got: dict = {}
    second = threading.Thread(target=lambda: got.update(market.slow_data(["BBB"], None)))
    second.start()
    second.join(0.2)
    assert second.is_alive()  # waiting for the load under way, not reading beside it
    release.set()
    first.join(10)
    second.join(10)
    assert reads == [("AAA", "BBB")]
    assert got["BBB"] is market.cache.get_many("slow", ["BBB"])["BBB"]
