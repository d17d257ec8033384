"""NAV and time-weighted returns of a stored portfolio, from the book replay (`selectors.book`).

The book is valued on the bars `selectors.pricing` picks: daily when every instrument has daily (or
finer) bars, and then weekly (1w) and monthly (1mo) returns chain the daily steps; otherwise weekly
or monthly bars as stored (fund NAVs), finer ones resampled to them. Intraday returns (1m ... 1h) run
bar to bar on the intraday bars, which market data resamples from finer stored bars. Holdings are
valued at each bar's close, converted to base at the FX rate of that bar's time, and
deposits/withdrawals are the only external flows: they arrive at the close of the bar they are
booked in, so they are never performance.

Performance starts at the first valuation after capital is at risk: the bar at whose close the book
is funded (and bought) is where the NAV starts, not a period with a zero return. Each period's
return runs from the NAV step before its first step (`period_starts`) to its last step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError

from apps.marketdata import facade as marketdata

from ..kernels import returns as kernel
from . import sources
from .book import Book, book_replay, no_intraday_bars
from .pricing import check_frequency, pricing_plan, step_prices

# How far before a period start the benchmark's prices are read, so the as-of close exists.
BENCHMARK_LOOKBACK = {"1w": pd.Timedelta(days=21), "1mo": pd.Timedelta(days=70)}


@dataclass(frozen=True)
class ReturnsResult:
    portfolio: str
    frequency: str
    periods_per_year: int
    returns: pd.Series  # time-weighted period returns, UTC DatetimeIndex (period end)
    nav: pd.Series  # NAV at each period end, base currency
    flows: pd.Series  # net external flow (deposits - withdrawals) booked in each period
    money_weighted_return: float  # annualized IRR over the window (NaN when undefined)
    annualization: str = ""  # how periods_per_year was found, for intraday data
    interval: str = "1d"  # the bars the book is valued on (the steps' interval)
    period_starts: pd.DatetimeIndex | None = None  # the NAV step each period's return runs from
    pricing: dict = field(default_factory=dict)  # `Pricing.answer()`: interval, sources, note


@dataclass(frozen=True)
class BookReturns:
    """`portfolio_returns`' answer with what it was computed from: the book replay and the per-step
    returns inside the window (each period's return is the compounded product of its steps)."""

    result: ReturnsResult
    book: Book
    steps: pd.Series


def _check_window(start, end, frequency) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    errors = {}
    try:
        check_frequency(frequency)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        start_ts = marketdata.window_start_utc(start)
    except (ValueError, TypeError):
        errors["start"], start_ts = f"Not a date or timestamp: {start!r}.", None
    try:
        end_ts = marketdata.window_end_utc(end)
    except (ValueError, TypeError):
        errors["end"], end_ts = f"Not a date or timestamp: {end!r}.", None
    if start_ts is not None and end_ts is not None and start_ts >= end_ts:
        errors["start"] = "start must be before end."
    if errors:
        raise ValidationError(errors)
    return start_ts, end_ts


def _empty(reason: str) -> ValidationError:
    return ValidationError({"period": f"No returns in this period: {reason}."})


def portfolio_returns(*, portfolio, start=None, end=None, frequency: str | None = None) -> ReturnsResult:
    """Time-weighted returns of a stored portfolio over [start, end) at 1m, 5m, 15m, 30m, 1h, 1d,
    1w or 1mo (daily/weekly/monthly accepted; None: the finest the stored bars allow, at least
    daily). Raises ValidationError keyed by field: frequency (unknown, finer than the data, or no
    intraday bars), start/end (unparseable, start not before end), period (nothing to measure in the
    window), portfolio (unknown), fx (no rate to base)."""
    return portfolio_book_returns(portfolio=portfolio, start=start, end=end, frequency=frequency).result


def portfolio_book_returns(*, portfolio, start=None, end=None, frequency: str | None = None) -> BookReturns:
    """`portfolio_returns` together with the book replay behind it (for holdings attribution)."""
    start_ts, end_ts = _check_window(start, end, frequency)
    info = sources.portfolio_info(portfolio)
    if info is None:
        raise ValidationError({"portfolio": f"Unknown portfolio {portfolio!r}."})
    tx = sources.transactions([info.id], end=end_ts)
    if tx.empty:
        raise _empty("the portfolio has no transactions before its end")
    plan = pricing_plan(sorted(tx["symbol"].dropna().unique()), frequency=frequency, end_ts=end_ts)
    intraday = plan.interval in kernel.INTRADAY_FREQUENCIES
    book = book_replay(tx, base=info.base_currency, end_ts=end_ts, interval=plan.interval, start_ts=start_ts)
    nav, flows = book.nav_series(), book.flows_series()
    steps = kernel.twr_returns(nav.to_frame(), flows.to_frame("nav"))["nav"].rename("returns")
    in_window = np.ones(len(nav), dtype=bool) if start_ts is None else (nav.index >= start_ts)
    if not in_window.any():
        if intraday:
            raise no_intraday_bars(plan.interval, "the portfolio's instruments in this window")
        raise _empty("no trading days in the window")
    at_risk = kernel.first_at_risk(nav)
    keep = in_window & (np.arange(len(nav)) >= (len(nav) if at_risk is None else at_risk))
    if not keep.any():
        raise _empty(
            "no capital at risk before the last valuation (performance starts after the funding bar)"
        )
    first = int(np.argmax(keep))  # >= 1: the first step always opens with nothing invested
    prior_nav, prior_ts = float(nav.iloc[first - 1]), nav.index[first - 1]
    nav, flows, steps = nav[keep], flows[keep], steps[keep]
    chained = plan.interval != plan.frequency
    returns = kernel.chain(steps, plan.frequency).rename("returns") if chained else steps
    period = _period_labels(steps.index, returns.index)
    if chained:
        nav = nav.groupby(period).last().set_axis(returns.index).rename("nav")
        flows = flows.groupby(period).sum().set_axis(returns.index)
    opens = np.r_[0, np.flatnonzero(np.diff(period)) + 1]  # each period's first step
    period_starts = book.index[book.index.get_indexer(steps.index[opens]) - 1]
    result = ReturnsResult(
        portfolio=info.code,
        frequency=plan.frequency,
        periods_per_year=kernel.annualization(steps.index, plan.frequency),
        returns=returns,
        nav=nav,
        flows=flows.rename("flows"),
        money_weighted_return=_money_weighted(nav, flows, prior_nav, prior_ts),
        annualization=_intraday_note(steps.index, plan.frequency) if intraday else "",
        interval=plan.interval,
        period_starts=pd.DatetimeIndex(period_starts, name="ts"),
        pricing=plan.answer(),
    )
    return BookReturns(result=result, book=book, steps=steps)


def _intraday_note(index: pd.DatetimeIndex, frequency: str) -> str:
    bars, days = kernel.intraday_annualization(index)
    ppy = kernel.annualization(index, frequency)
    return (
        f"intraday {frequency}: {bars:g} bars per trading day (median per UTC day) x {days} "
        f"{'calendar' if days == kernel.CALENDAR_DAYS_PER_YEAR else 'trading'} days = {ppy} periods per year"
    )


def _period_labels(index: pd.DatetimeIndex, ends: pd.DatetimeIndex) -> np.ndarray:
    """For each daily timestamp, the position of the resampled period (labelled by its end) it is in."""
    return ends.searchsorted(index, side="left")


def _money_weighted(nav: pd.Series, flows: pd.Series, prior_nav: float, prior_ts) -> float:
    """IRR from the investor's side: the value at `prior_ts` (the step before the first period,
    where the book was funded or the window opens) and deposits in (negative), withdrawals and the
    final NAV out (positive)."""
    dates = [prior_ts] if prior_nav else []
    amounts = [-prior_nav] if prior_nav else []
    dates += list(flows.index)
    amounts += list(-flows.to_numpy())
    amounts[-1] += float(nav.iloc[-1])
    return kernel.irr(pd.DatetimeIndex(dates), np.array(amounts))


def benchmark_returns(*, portfolio, start=None, end=None, frequency: str | None = None) -> pd.Series | None:
    """The benchmark instrument's adjusted-close returns on the portfolio's return calendar (same
    periods as `portfolio_returns`); None when the portfolio has no benchmark."""
    info = sources.portfolio_info(portfolio)
    if info is None:
        raise ValidationError({"portfolio": f"Unknown portfolio {portfolio!r}."})
    if not info.benchmark_symbol:
        return None
    result = portfolio_returns(portfolio=info, start=start, end=end, frequency=frequency)
    return benchmark_on(result, info.benchmark_symbol)


def benchmark_on(result: ReturnsResult, symbol: str) -> pd.Series:
    """`symbol`'s adjusted-close returns over each period of `result`: from its close at the period's
    start step to its close at the period's last step, each the latest at or before the step (carried
    over missing bars), read at the interval the book is valued on (`Pricing`). NaN where the
    benchmark has no close yet."""
    ends, starts = result.returns.index, result.period_starts
    lookback = BENCHMARK_LOOKBACK.get(result.interval, pd.Timedelta(days=14))
    # Weekly/monthly steps are bucket starts: read to the end of the last bucket.
    panel = step_prices(
        [symbol],
        result.interval,
        start=starts[0] - lookback,
        end=ends[-1] + lookback,
        adjusted=True,
    )
    prices = panel[symbol].dropna() if symbol in panel else pd.Series(dtype=float)
    level = _as_of(prices, starts), _as_of(prices, ends)
    return pd.Series(level[1] / level[0] - 1.0, index=ends, name=symbol)


def _as_of(prices: pd.Series, at: pd.DatetimeIndex) -> np.ndarray:
    """The last price at or before each instant (NaN before the first)."""
    if prices.empty:
        return np.full(len(at), np.nan)
    pos = prices.index.searchsorted(at, side="right") - 1
    values = prices.to_numpy(dtype=float)[np.maximum(pos, 0)]
    return np.where(pos >= 0, values, np.nan)
