"""Per-period holdings of a book, for attribution: what was held at the start of each period, what its
instruments' prices did over the period, and how much of the period's time-weighted return that
explains.

A period runs from its start step s (the last step before the period's first step) to its end step
e. For instrument i: weight w_i = value held at s / NAV at s; return r_i = P_i(e) / P_i(s) - 1 with
P the base-currency price (close x FX), so currency moves count as the instrument's return;
contribution c_i = w_i r_i. The portfolio's time-weighted return R of the period minus Σ c_i is the
"cash and trading" residual: base cash earns nothing, so it is everything the start holdings do not
explain (fees, dividends, trades at prices other than the close, flows inside the period). The
contributions plus the residual add up to R exactly, by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError

from apps.marketdata import facade as marketdata

from . import sources
from .book import Book
from .pricing import COARSE, step_prices
from .returns import BookReturns, _period_labels

CASH_SECTOR = "Cash"
UNCLASSIFIED = "Unclassified"
CASH_AND_TRADING = "Cash and trading"


@dataclass(frozen=True)
class HoldingPeriods:
    """Arrays are (T periods,) or (T, N instruments)."""

    dates: pd.DatetimeIndex  # each period's label (its last step)
    symbols: list[str]
    weights: np.ndarray  # value held at the start / NAV at the start (0 before anything is held)
    cash_weight: np.ndarray  # cash at the start / NAV at the start
    returns: np.ndarray  # base-currency price return over the period (NaN: not priced at both ends)
    total_return: np.ndarray  # the period's time-weighted return

    @property
    def contributions(self) -> np.ndarray:
        return np.where(self.weights != 0, np.nan_to_num(self.weights * self.returns), 0.0)

    @property
    def residual(self) -> np.ndarray:
        """The cash-and-trading part of each period's return."""
        return self.total_return - self.contributions.sum(axis=1)


def _at(book: Book, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """NAV, cash, values (.., N) and prices (.., N) at step positions; -1 (before the book) is empty."""
    valid = positions >= 0
    p = np.maximum(positions, 0)
    nav = np.where(valid, book.nav[p], 0.0)
    cash = np.where(valid, book.cash[p], 0.0)
    values = np.where(valid[:, None], book.values[p], 0.0)
    prices = np.where(valid[:, None], book.prices[p], np.nan)
    return nav, cash, values, prices


def _holdings(book: Book, start_pos: np.ndarray, end_pos: np.ndarray):
    nav, cash, values, p0 = _at(book, start_pos)
    _, _, _, p1 = _at(book, end_pos)
    invested = nav > 0  # a period that starts with nothing (or less) invested has return 0
    denom = np.where(invested, nav, 1.0)
    weights = np.where(invested[:, None], values / denom[:, None], 0.0)
    cash_weight = np.where(invested, cash / denom, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = np.where(p0 != 0, p1 / p0 - 1.0, np.nan)
    return weights, cash_weight, returns


def _period_steps(br: BookReturns) -> tuple[np.ndarray, np.ndarray]:
    """Book positions of each period's start and last step. Periods are runs of consecutive steps;
    a period starts at the step before its first one, except the period that opens the book, which
    starts at its first step (nothing was invested before it, so its return counts from there)."""
    pos = br.book.index.get_indexer(br.steps.index)
    period = _period_labels(br.steps.index, br.result.returns.index)
    first = np.r_[0, np.flatnonzero(np.diff(period)) + 1]
    last = np.r_[first[1:] - 1, len(period) - 1]
    return np.maximum(pos[first] - 1, 0), pos[last]


def portfolio_periods(br: BookReturns) -> HoldingPeriods:
    """The periods of `portfolio_returns`' answer (its window and frequency), with its returns."""
    start, end = _period_steps(br)
    weights, cash_weight, returns = _holdings(br.book, start, end)
    return HoldingPeriods(
        dates=br.result.returns.index,
        symbols=list(br.book.symbols),
        weights=weights,
        cash_weight=cash_weight,
        returns=returns,
        total_return=br.result.returns.to_numpy(dtype=float),
    )


def period_bounds(br: BookReturns) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """(start, end) instants of each period of `br` (see `_period_steps`), for other books/models."""
    start, end = _period_steps(br)
    return br.book.index[start], br.book.index[end]


def other_book_periods(br: BookReturns, starts, ends, dates) -> HoldingPeriods:
    """Another book (a model portfolio) over the periods (starts[k], ends[k]]: its holdings at the
    last step at or before each start, its prices there and at each end, and its time-weighted return
    compounded over its own steps inside the period (its calendar need not be the same)."""
    book = br.book
    start_pos = book.index.searchsorted(starts, side="right") - 1
    end_pos = book.index.searchsorted(ends, side="right") - 1
    weights, cash_weight, returns = _holdings(book, start_pos, end_pos)
    # All of the book's steps, so growth is known from its first day.
    twr = br.steps.reindex(book.index).fillna(0.0).to_numpy()
    growth = np.r_[1.0, np.cumprod(1.0 + twr)]
    total = growth[end_pos + 1] / growth[start_pos + 1] - 1.0
    return HoldingPeriods(
        dates=pd.DatetimeIndex(dates),
        symbols=list(book.symbols),
        weights=weights,
        cash_weight=cash_weight,
        returns=returns,
        total_return=total,
    )


def model_periods(
    weights: dict[str, float], base: str, starts, ends, dates, interval: str = "1d"
) -> HoldingPeriods:
    """A model portfolio rebalanced to `weights` at the start of every period: each instrument's
    base-currency price return over (start, end] from its closes at `interval`, the book's (the last
    close at or before each instant, converted at the rate at that instant). Raises ValidationError on
    `benchmark.weights` for an instrument without a price at a period's start or end."""
    symbols = list(weights)
    instruments = sources.instruments(symbols)
    starts, ends = pd.DatetimeIndex(starts), pd.DatetimeIndex(ends)
    margin = pd.Timedelta(days=70 if interval in COARSE else 14)
    panel = step_prices(symbols, interval, start=starts.min() - margin, end=ends.max() + margin)
    panel = panel.reindex(columns=symbols).ffill()
    stamps = starts.append(ends)
    at = panel.reindex(panel.index.union(stamps.unique())).ffill().reindex(stamps)
    local = at.to_numpy(dtype=float, copy=True)
    for j, s in enumerate(symbols):
        ccy = instruments[s].currency
        if ccy != base:
            try:
                rates = marketdata.fx_rate_series(ccy, base, stamps).to_numpy()
            except marketdata.FxRateNotFound as exc:
                raise ValidationError({"fx": f"Cannot convert {ccy} to {base}: {exc}"}) from exc
            local[:, j] *= rates
    t = len(starts)
    p0, p1 = local[:t], local[t:]
    unpriced = np.isnan(p0) | np.isnan(p1)
    if unpriced.any():
        k, j = np.argwhere(unpriced)[0]
        raise ValidationError(
            {"benchmark.weights": f"No price for {symbols[j]} over the period ending {dates[k].date()}."}
        )
    w = np.tile(np.array([weights[s] for s in symbols], dtype=float), (t, 1))
    r = p1 / p0 - 1.0
    return HoldingPeriods(
        dates=pd.DatetimeIndex(dates),
        symbols=symbols,
        weights=w,
        cash_weight=np.zeros(t),
        returns=r,
        total_return=(w * r).sum(axis=1),
    )


def sectors_of(symbols: list[str]) -> list[str]:
    """Each instrument's sector; a blank sector is "Unclassified"."""
    instruments = sources.instruments(symbols)
    return [(instruments[s].sector or "").strip() or UNCLASSIFIED for s in symbols]


def by_sector(hp: HoldingPeriods) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(sector names, weights (T, S), contributions (T, S)): instruments summed per sector, and cash
    its own sector ("Cash", weight = cash / NAV, contribution 0: base cash earns nothing)."""
    sectors = sectors_of(hp.symbols)
    names = sorted(set(sectors))
    member = np.zeros((len(hp.symbols), len(names)))
    for i, s in enumerate(sectors):
        member[i, names.index(s)] = 1.0
    weights = np.column_stack([hp.weights @ member, hp.cash_weight])
    contributions = np.column_stack([hp.contributions @ member, np.zeros(len(hp.dates))])
    return [*names, CASH_SECTOR], weights, contributions
