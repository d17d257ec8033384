"""A process's book cache filled before its first monitor run (the risk workers call it when a child
starts: tasks/warmup.py).

Cold, the first run of a freshly started worker reads the year of closes of every symbol its
batches hold: ~1 s for 2,000 symbols in each child, both children at once, which took a 10,000-
portfolio run through the pool from 1.7 s warm to 3.3 s. Loaded here, in a thread beside the
worker's first tasks, the entries are exactly what that run would have read (market.slow_data,
the same query and tokens); a run that needs them while the load is under way waits for it
(market._load_lock) instead of reading them a second time. The wide history of all of them is built
too, so that each batch's universe is cut from it (history.py) rather than aligned on its own."""

from __future__ import annotations

import time

from apps.marketdata import facade as marketdata
from apps.portfolio import facade as portfolio_facade

from .history import history_of
from .market import slow_data


def book_cache_warm() -> dict:
    """Load the slow data (attributes, ADV, a year of closes) of every symbol an open position
    holds into this process's book cache; what was loaded and how long it took."""
    started = time.perf_counter()
    symbols = portfolio_facade.symbols_held()
    infos = marketdata.instruments_by_symbols(symbols) if symbols else {}
    known = [s for s in symbols if s in infos]
    if known:
        # The window a run would read: a year back from the universe's latest bar (as refresh-ahead).
        _, stamps = marketdata.latest_closes([infos[s].id for s in known])
        as_of = stamps.max() if len(stamps) and stamps.notna().any() else None
        slow = slow_data(known, as_of, infos)
        history_of(sorted(slow), slow)  # the wide history every batch's universe is cut from
    return {"symbols": len(known), "seconds": round(time.perf_counter() - started, 3)}
