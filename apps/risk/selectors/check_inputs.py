"""What a check reads from the database apart from prices, kept in process memory between checks of
the same portfolio: the portfolio row and its positions (`portfolio_facade.book_frames`), the limit
rows that can apply to it (`limits_read`) and, when a turnover limit needs them, its recent bookings.

An entry is used only under the version tokens it was read under (apps.platform.versions): the
portfolio's book token, which the portfolio engine replaces after any commit touching its row,
positions or transactions, and the limits token, replaced after any limit change. The tokens are
fetched first, in one Redis round trip, and the rows after, so rows read under a token are never
older than that token. Prices, FX and the market history are not kept here (book.load reads the
prices on every call; market.py has its own cache).

The cache is bypassed (read, not filled) inside a transaction, where the reads may include its own
uncommitted rows, and when Redis cannot be read. An entry lives at most CACHE_TTL_SECONDS (the
book cache's), which bounds what a change no token sees can cost: a write that bypassed the model
signals and services, or a bump lost to a Redis fault. Only a portfolio given by id is cached (the
API view and the fast lane pass the id they have just looked up).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from apps.platform.versions import cache_allowed, versions_read
from apps.portfolio import facade as portfolio_facade

from ..services.limit_versions import LIMITS_VERSION
from .book import DEFAULT_WINDOWS, Held, books_held, portfolio_frames, trades_of
from .book.market import cache
from .limits import limits_read, windows_used


@dataclass(frozen=True)
class CheckInputs:
    frames: tuple[pd.DataFrame, pd.DataFrame]  # portfolio_facade.book_frames of the portfolio
    held: Held  # the same as arrays (book.books_held)
    records: list[tuple]  # limits_read rows
    windows: tuple[tuple[int, ...], bool]  # windows_used(records)
    # Trades since (read time − the longest window), for book_load; None: no turnover limit.
    trades: pd.DataFrame | None
    # What the check derives from these inputs alone, per universe (selectors.check).
    memo: dict = field(default_factory=dict, compare=False, repr=False)


def _read(portfolio, now: pd.Timestamp) -> CheckInputs:
    frames = portfolio_frames(portfolio)
    held = books_held(frames)
    records = limits_read(held.ids.to_numpy())
    windows = windows_used(records)
    trades = None
    if windows[1] and len(held.ids):
        longest = max((*windows[0], *DEFAULT_WINDOWS))
        start = now - pd.Timedelta(days=longest)
        trades = trades_of(portfolio_facade.transactions_frame(held.ids.tolist(), start=start), held.ids)
    return CheckInputs(frames=frames, held=held, records=records, windows=windows, trades=trades)


def check_inputs(portfolio, *, now: pd.Timestamp) -> CheckInputs:
    """The inputs of one portfolio's check, from memory when nothing changed (see the module)."""
    if not isinstance(portfolio, int | np.integer) or not cache_allowed():
        return _read(portfolio, now)
    pid = int(portfolio)
    tokens = versions_read([portfolio_facade.book_version_name(pid), LIMITS_VERSION])
    if tokens is None:
        return _read(portfolio, now)
    hit = cache.get_many("check", [pid]).get(pid)
    if hit is not None and hit[0] == tokens:
        return hit[1]
    inputs = _read(pid, now)
    cache.put_many("check", {pid: (tokens, inputs)})
    return inputs
