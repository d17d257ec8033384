"""NAV and returns rebuilt from a portfolio's transactions and daily closes.

The daily calendar is the set of dates with a daily bar for any instrument the portfolio traded.
A booking counts in the first calendar period whose date is on or after its UTC day (a weekend
deposit joins Monday). Holdings are valued at close (carried forward over gaps; before an
instrument's first bar, at its last trade price), converted to base at the FX rate of the window's
end, and the book's cash is rebuilt from the same transactions with the same rates, so buying and
selling never moves NAV by itself. Deposits/withdrawals are the only external flows.
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

FLOW_SIGN = {"deposit": 1.0, "withdrawal": -1.0}


@dataclass(frozen=True)
class ReturnsResult:
    portfolio: str
    frequency: str
    periods_per_year: int
    returns: pd.Series  # time-weighted period returns, UTC DatetimeIndex (period end)
    nav: pd.Series  # NAV at each period end, base currency
    flows: pd.Series  # net external flow (deposits - withdrawals) booked in each period
    money_weighted_return: float  # annualized IRR over the window (NaN when undefined)


def _check_window(start, end, frequency) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    errors = {}
    if frequency not in kernel.FREQUENCIES:
        errors["frequency"] = f"Unknown frequency {frequency!r}; use one of {', '.join(kernel.FREQUENCIES)}."
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


def _fx_by_symbol(symbols: list[str], base: str, at) -> pd.Series:
    instruments = selectors.instruments(symbols)
    rates = {}
    for ccy in {i.currency for i in instruments.values()}:
        try:
            rates[ccy] = marketdata.fx_rate(ccy, base, at)
        except ValueError as exc:
            raise ValidationError({"fx": f"Cannot convert {ccy} to {base}: {exc}"}) from exc
    return pd.Series({s: rates[instruments[s].currency] for s in symbols}, dtype=float)


def _daily_nav(tx: pd.DataFrame, base: str, end_ts) -> tuple[pd.Series, pd.Series]:
    """Daily NAV and flows of one portfolio's transactions, on its instruments' bar calendar."""
    symbols = sorted(tx["symbol"].dropna().unique())
    first_day = tx["timestamp"].min().floor("D")
    if symbols:
        prices = marketdata.price_panel(symbols, start=first_day, end=end_ts, interval="1d")
        if prices.empty:
            raise _empty("no daily prices for the portfolio's instruments")
        calendar = prices.index
    else:
        last = end_ts or pd.Timestamp.now(tz="UTC")
        calendar = pd.bdate_range(first_day, last, freq="B", tz="UTC", inclusive="left" if end_ts else "both")
        prices = pd.DataFrame(index=calendar)
    fx = _fx_by_symbol(symbols, base, end_ts) if symbols else pd.Series(dtype=float)

    pos = calendar.searchsorted(tx["timestamp"].dt.floor("D"), side="left")
    tx = tx.assign(_pos=pos)[pos < len(calendar)]  # bookings after the last bar have no valuation yet
    qty = tx["quantity"].fillna(0.0).to_numpy()
    price = tx["price"].fillna(0.0).to_numpy()
    fees = tx["fees"].fillna(0.0).to_numpy()
    amount = tx["amount"].fillna(0.0).to_numpy()
    kind = tx["type"].to_numpy()
    rate = tx["symbol"].map(fx).fillna(1.0).to_numpy(float)
    side = np.select([kind == "buy", kind == "sell"], [1.0, -1.0], 0.0)
    cash = (
        -side * qty * price * rate
        + np.select(
            [kind == "deposit", kind == "withdrawal", kind == "fee", kind == "dividend"],
            [amount, -amount, -amount, amount * rate],
            0.0,
        )
        - fees * rate
    )
    flows_raw = tx["type"].map(FLOW_SIGN).fillna(0.0).to_numpy() * amount
    steps = np.arange(len(calendar))
    cash_path = pd.Series(cash).groupby(tx["_pos"].to_numpy()).sum().reindex(steps, fill_value=0.0).cumsum()
    flows = pd.Series(flows_raw).groupby(tx["_pos"].to_numpy()).sum().reindex(steps, fill_value=0.0)

    nav = cash_path.to_numpy()
    trades = tx[side != 0]
    if symbols and not trades.empty:
        signed = pd.DataFrame(
            {"pos": trades["_pos"], "symbol": trades["symbol"], "q": side[side != 0] * qty[side != 0]}
        )
        holdings = (
            signed.pivot_table(index="pos", columns="symbol", values="q", aggfunc="sum")
            .reindex(index=steps, columns=symbols)
            .fillna(0.0)
            .cumsum()
        )
        trade_px = (
            trades.assign(pos=trades["_pos"])
            .pivot_table(index="pos", columns="symbol", values="price", aggfunc="last")
            .reindex(index=steps, columns=symbols)
        )
        marks = prices.reindex(columns=symbols).to_numpy()
        marks = pd.DataFrame(np.where(np.isnan(marks), trade_px.to_numpy(), marks)).ffill().to_numpy()
        value = np.nan_to_num(holdings.to_numpy() * marks * fx.reindex(symbols).to_numpy())
        nav = nav + value.sum(axis=1)
    index = pd.DatetimeIndex(calendar, name="ts")
    return pd.Series(nav, index=index, name="nav"), pd.Series(flows.to_numpy(), index=index, name="flows")


def portfolio_returns(*, portfolio, start=None, end=None, frequency: str = "1d") -> ReturnsResult:
    """Time-weighted returns of a stored portfolio over [start, end) at 1d, 1w or 1mo. Raises
    ValidationError keyed by field: frequency, start/end (unparseable, start not before end),
    period (nothing to measure in the window), portfolio (unknown), fx (no rate to base)."""
    start_ts, end_ts = _check_window(start, end, frequency)
    info = selectors.portfolio_info(portfolio)
    if info is None:
        raise ValidationError({"portfolio": f"Unknown portfolio {portfolio!r}."})
    tx = selectors.transactions([info.id], end=end_ts)
    if tx.empty:
        raise _empty("the portfolio has no transactions before its end")
    nav, flows = _daily_nav(tx, info.base_currency, end_ts)
    daily = kernel.twr_returns(nav.to_frame(), flows.to_frame("nav"))["nav"].rename("returns")
    prior_nav = 0.0
    if start_ts is not None:
        before = nav[nav.index < start_ts]
        prior_nav = float(before.iloc[-1]) if len(before) else 0.0
        keep = nav.index >= start_ts
        nav, flows, daily = nav[keep], flows[keep], daily[keep]
    if daily.empty:
        raise _empty("no trading days in the window")
    returns = kernel.chain(daily, frequency).rename("returns")
    if frequency != "1d":
        nav = (
            nav.groupby(_period_labels(nav.index, returns.index)).last().set_axis(returns.index).rename("nav")
        )
        flows = flows.groupby(_period_labels(flows.index, returns.index)).sum().set_axis(returns.index)
    mwr = _money_weighted(nav, flows, prior_nav)
    return ReturnsResult(
        portfolio=info.code,
        frequency=frequency,
        periods_per_year=kernel.annualization(daily.index, frequency),
        returns=returns,
        nav=nav,
        flows=flows.rename("flows"),
        money_weighted_return=mwr,
    )


def _period_labels(index: pd.DatetimeIndex, ends: pd.DatetimeIndex) -> np.ndarray:
    """For each daily timestamp, the position of the resampled period (labelled by its end) it is in."""
    return ends.searchsorted(index, side="left")


def _money_weighted(nav: pd.Series, flows: pd.Series, prior_nav: float) -> float:
    """IRR from the investor's side: the starting value and deposits in (negative), withdrawals and
    the final NAV out (positive)."""
    dates = [nav.index[0] - pd.Timedelta(days=1)] if prior_nav else []
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
    """`symbol`'s adjusted-close returns over each period of `result` (carried over missing days)."""
    first = result.returns.index[0]
    lookback = first - pd.Timedelta(days=40 if result.frequency == "1mo" else 14)
    prices = marketdata.price_panel(
        [symbol], start=lookback, end=result.returns.index[-1] + pd.Timedelta(days=1), adjusted=True
    )[symbol]
    daily = prices.ffill()
    # The value at each period end; the period's return runs from the previous end (or, for the
    # first period, from the last close before it starts).
    ends = result.returns.index
    at_end = daily.reindex(daily.index.union(ends)).ffill().reindex(ends)
    if result.frequency == "1d":
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
