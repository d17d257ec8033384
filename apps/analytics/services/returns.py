"""NAV and time-weighted returns of a stored portfolio, from the book replay (`services.book`).

Daily (1d) returns run on the daily bar calendar of the portfolio's instruments and chain into weeks
(1w) and months (1mo); intraday returns (1m ... 1h) run bar to bar on the intraday bars, which
market data resamples from finer stored bars. Holdings are valued at each bar's close, converted to
base at the FX rate of that bar's time, and deposits/withdrawals are the only external flows: they
arrive at the close of the bar they are booked in, so they are never performance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError

from apps.marketdata import facade as marketdata
from apps.marketdata.kernels.times import utc, window_end, window_start

from .. import selectors
from ..kernels import returns as kernel
from .book import Book, book_replay, no_intraday_bars


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


@dataclass(frozen=True)
class BookReturns:
    """`portfolio_returns`' answer with what it was computed from: the book replay and the per-step
    returns inside the window (each period's return is the compounded product of its steps)."""

    result: ReturnsResult
    book: Book
    steps: pd.Series


def _check_window(start, end, frequency) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    errors = {}
    if frequency not in kernel.RETURN_FREQUENCIES:
        errors["frequency"] = (
            f"Unknown frequency {frequency!r}; use one of {', '.join(kernel.RETURN_FREQUENCIES)}."
        )
    try:
        start_ts = window_start(start)
    except (ValueError, TypeError):
        errors["start"], start_ts = f"Not a date or timestamp: {start!r}.", None
    try:
        end_ts = window_end(end)
    except (ValueError, TypeError):
        errors["end"], end_ts = f"Not a date or timestamp: {end!r}.", None
    if start_ts is not None and end_ts is not None and start_ts >= end_ts:
        errors["start"] = "start must be before end."
    if errors:
        raise ValidationError(errors)
    return start_ts, end_ts


def _empty(reason: str) -> ValidationError:
    return ValidationError({"period": f"No returns in this period: {reason}."})


def portfolio_returns(*, portfolio, start=None, end=None, frequency: str = "1d") -> ReturnsResult:
    """Time-weighted returns of a stored portfolio over [start, end) at 1m, 5m, 15m, 30m, 1h, 1d,
    1w or 1mo. Raises ValidationError keyed by field: frequency (unknown, or no intraday bars),
    start/end (unparseable, start not before end), period (nothing to measure in the window),
    portfolio (unknown), fx (no rate to base)."""
    return portfolio_book_returns(portfolio=portfolio, start=start, end=end, frequency=frequency).result


def portfolio_book_returns(*, portfolio, start=None, end=None, frequency: str = "1d") -> BookReturns:
    """`portfolio_returns` together with the book replay behind it (for holdings attribution)."""
    start_ts, end_ts = _check_window(start, end, frequency)
    info = selectors.portfolio_info(portfolio)
    if info is None:
        raise ValidationError({"portfolio": f"Unknown portfolio {portfolio!r}."})
    tx = selectors.transactions([info.id], end=end_ts)
    if tx.empty:
        raise _empty("the portfolio has no transactions before its end")
    intraday = frequency in kernel.INTRADAY_FREQUENCIES
    book = book_replay(
        tx,
        base=info.base_currency,
        end_ts=end_ts,
        interval=frequency if intraday else "1d",
        start_ts=start_ts,
    )
    nav, flows = book.nav_series(), book.flows_series()
    daily = kernel.twr_returns(nav.to_frame(), flows.to_frame("nav"))["nav"].rename("returns")
    prior_nav, prior_ts = 0.0, None
    if start_ts is not None:
        before = nav[nav.index < start_ts]
        if len(before):
            prior_nav, prior_ts = float(before.iloc[-1]), before.index[-1]
        keep = nav.index >= start_ts
        nav, flows, daily = nav[keep], flows[keep], daily[keep]
    if daily.empty:
        if intraday:
            raise no_intraday_bars(frequency, "the portfolio's instruments in this window")
        raise _empty("no trading days in the window")
    returns = kernel.chain(daily, frequency).rename("returns")
    if frequency in kernel.PERIOD_RULE:
        nav = (
            nav.groupby(_period_labels(nav.index, returns.index)).last().set_axis(returns.index).rename("nav")
        )
        flows = flows.groupby(_period_labels(flows.index, returns.index)).sum().set_axis(returns.index)
    if not intraday:
        prior_ts = None  # daily: the opening value is dated the day before the first (as always)
    mwr = _money_weighted(nav, flows, prior_nav, prior_ts)
    result = ReturnsResult(
        portfolio=info.code,
        frequency=frequency,
        periods_per_year=kernel.annualization(daily.index, frequency),
        returns=returns,
        nav=nav,
        flows=flows.rename("flows"),
        money_weighted_return=mwr,
        annualization=_intraday_note(daily.index, frequency) if intraday else "",
    )
    return BookReturns(result=result, book=book, steps=daily)


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


def _money_weighted(nav: pd.Series, flows: pd.Series, prior_nav: float, prior_ts=None) -> float:
    """IRR from the investor's side: the starting value and deposits in (negative), withdrawals and
    the final NAV out (positive). The starting value is dated `prior_ts`, or the day before."""
    opening = prior_ts if prior_ts is not None else nav.index[0] - pd.Timedelta(days=1)
    dates = [opening] if prior_nav else []
    amounts = [-prior_nav] if prior_nav else []
    dates += list(flows.index)
    amounts += list(-flows.to_numpy())
    amounts[-1] += float(nav.iloc[-1])
    return kernel.irr(pd.DatetimeIndex(dates), np.array(amounts))


def benchmark_returns(*, portfolio, start=None, end=None, frequency: str = "1d") -> pd.Series | None:
    """The benchmark instrument's adjusted-close returns on the portfolio's return calendar (same
    periods as `portfolio_returns`); None when the portfolio has no benchmark."""
    info = selectors.portfolio_info(portfolio)
    if info is None:
        raise ValidationError({"portfolio": f"Unknown portfolio {portfolio!r}."})
    if not info.benchmark_symbol:
        return None
    result = portfolio_returns(portfolio=info, start=start, end=end, frequency=frequency)
    return benchmark_on(result, info.benchmark_symbol)


def benchmark_on(result: ReturnsResult, symbol: str) -> pd.Series:
    """`symbol`'s adjusted-close returns over each period of `result` (carried over missing bars):
    daily closes for 1d/1w/1mo, the intraday bars of `result`'s interval for intraday returns."""
    first = result.returns.index[0]
    intraday = result.frequency in kernel.INTRADAY_FREQUENCIES
    lookback = first - pd.Timedelta(days=40 if result.frequency == "1mo" else 14)
    panel = marketdata.price_panel(
        [symbol],
        start=lookback,
        end=result.returns.index[-1] + pd.Timedelta(days=1),
        interval=result.frequency if intraday else "1d",
        adjusted=True,
    )
    prices = panel[symbol] if symbol in panel else pd.Series(dtype=float)
    daily = prices.ffill()
    # The value at each period end; the period's return runs from the previous end (or, for the
    # first period, from the last close before it starts).
    ends = result.returns.index
    at_end = daily.reindex(daily.index.union(ends)).ffill().reindex(ends)
    if result.frequency == "1d" or intraday:
        previous = daily[daily.index < first]
        opening = float(previous.iloc[-1]) if len(previous) else np.nan
    else:
        period_start = utc(_period_start(first, result.frequency))
        previous = daily[daily.index < period_start]
        opening = float(previous.iloc[-1]) if len(previous) else np.nan
    levels = np.concatenate([[opening], at_end.to_numpy()])
    out = pd.Series(levels[1:] / levels[:-1] - 1.0, index=ends, name=symbol)
    return out


def _period_start(ts: pd.Timestamp, frequency: str) -> pd.Timestamp:
    period = ts.tz_localize(None).to_period(kernel.PERIOD_RULE[frequency])
    return period.start_time
