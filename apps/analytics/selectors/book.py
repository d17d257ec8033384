"""A portfolio's book replayed from its transactions onto its instruments' bar calendar: at every
step the quantity held and the base-currency price of each instrument, the cash, the NAV and the
external flows. Returns (`selectors.returns`) and holdings-based attribution (`selectors.book_periods`)
both read this one replay, so their numbers cannot drift apart.

The calendar is the set of bar timestamps (bucket starts, UTC) at `interval` at which any
instrument the portfolio traded has a bar: intraday, daily, or weekly/monthly for data that has no
daily bars (`selectors.pricing` picks the interval and reads the prices). A booking counts in the bar
bucket containing its timestamp, or the next step after it when that bucket has no bar (a weekend
deposit joins Monday; a fund subscription on the 15th is valued at the month's close).
Holdings are valued at the bar's close, carried forward over gaps, and before an instrument's first
bar at its last trade price. Holdings in an instrument's currency are valued at the rate of each
step: the latest rate at or before the step's timestamp (`marketdata.fx_rate_series`), so FX moves
are P&L. The cash is the book of record's: each booking moves it by the portfolio engine's own rule
(`portfolio.cash_deltas`, the twin of the Decimal `cash_delta` that booked it) at the rate stored
with the booking, so the replayed cash ends exactly where `Portfolio.cash` stands.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError

from apps.marketdata import facade as marketdata
from apps.portfolio import facade as portfolio

from ..kernels.returns import INTRADAY_FREQUENCIES, bucket_start, frequency_name
from . import sources
from .pricing import step_prices

FLOW_SIGN = {"deposit": 1.0, "withdrawal": -1.0}
# How far before an intraday window the replay starts reading bars: enough to hold the last bar
# before the window (the NAV its first return is measured from) across a weekend and a holiday.
INTRADAY_LOOKBACK = pd.Timedelta(days=7)


@dataclass(frozen=True)
class Book:
    """The replay. Arrays are (T steps,) or (T, N instruments), after each step's bookings."""

    index: pd.DatetimeIndex  # step timestamps: bar bucket starts, UTC
    interval: str
    symbols: list[str]
    currencies: list[str]
    quantities: np.ndarray  # (T, N)
    prices: np.ndarray  # (T, N) base-currency marks: close x the step's FX rate; NaN before any
    cash: np.ndarray  # (T,) base currency
    flows: np.ndarray  # (T,) deposits - withdrawals booked in the step

    @property
    def values(self) -> np.ndarray:
        """(T, N) value held per instrument in base currency (0 where nothing is held)."""
        return np.nan_to_num(self.quantities * self.prices)

    @property
    def nav(self) -> np.ndarray:
        return self.cash + self.values.sum(axis=1)

    def nav_series(self) -> pd.Series:
        return pd.Series(self.nav, index=self.index, name="nav")

    def flows_series(self) -> pd.Series:
        return pd.Series(self.flows, index=self.index, name="flows")


def _empty(reason: str) -> ValidationError:
    return ValidationError({"period": f"No returns in this period: {reason}."})


def no_intraday_bars(interval: str, reason: str) -> ValidationError:
    return ValidationError(
        {"frequency": f"No {interval} bars for {reason}; ask for 1d, 1w or 1mo, or load intraday bars."}
    )


def _fx_matrix(symbols: list[str], currencies: list[str], base: str, calendar, first_pos) -> np.ndarray:
    """(T, N) rate to base of each instrument's currency at each step, from the instrument's first
    booking on (NaN before: nothing is held there, and no rate need exist yet)."""
    rates = np.ones((len(calendar), len(symbols)))
    for ccy in sorted(set(currencies) - {base}):
        cols = [j for j, c in enumerate(currencies) if c == ccy]
        start = int(min(first_pos[symbols[j]] for j in cols))
        try:
            series = marketdata.fx_rate_series(ccy, base, calendar[start:])
        except marketdata.FxRateNotFound as exc:
            raise ValidationError({"fx": f"Cannot convert {ccy} to {base}: {exc}"}) from exc
        column = np.full(len(calendar), np.nan)
        column[start:] = series.to_numpy()
        rates[:, cols] = column[:, None]
    return rates


def _calendar(tx: pd.DataFrame, symbols, end_ts, start_ts, interval: str):
    first = bucket_start([tx["timestamp"].min()], interval)[0]
    intraday = interval in INTRADAY_FREQUENCIES
    if symbols:
        load_from = first
        if intraday and start_ts is not None:
            load_from = max(first, bucket_start([start_ts - INTRADAY_LOOKBACK], interval)[0])
        prices = step_prices(symbols, interval, start=load_from, end=end_ts)
        if prices.empty:
            if intraday:
                raise no_intraday_bars(interval, "the portfolio's instruments in this window")
            raise _empty(f"no {frequency_name(interval)} prices for the portfolio's instruments")
        return prices.index, prices
    if intraday:
        raise no_intraday_bars(interval, "a portfolio that holds no instruments")
    last = end_ts or pd.Timestamp.now(tz="UTC")
    calendar = pd.bdate_range(first, last, freq="B", tz="UTC", inclusive="left" if end_ts else "both")
    return calendar, pd.DataFrame(index=calendar)


def book_replay(tx: pd.DataFrame, *, base: str, end_ts=None, interval: str = "1d", start_ts=None) -> Book:
    """Replay one portfolio's transactions (`sources.transactions`, before `end_ts`) at `interval`
    (1d, 1w, 1mo or an intraday bar interval). For intraday, bars are read from a week before `start_ts`;
    bookings before the first bar read are folded into it (they only set the opening state)."""
    symbols = sorted(tx["symbol"].dropna().unique())
    calendar, prices = _calendar(tx, symbols, end_ts, start_ts, interval)
    instruments = sources.instruments(symbols)
    currencies = [instruments[s].currency for s in symbols]

    pos = calendar.searchsorted(bucket_start(tx["timestamp"], interval), side="left")
    tx = tx.assign(_pos=pos)[pos < len(calendar)]  # bookings after the last bar have no valuation yet
    first_pos = tx.dropna(subset=["symbol"]).groupby("symbol")["_pos"].min()
    fx = (
        _fx_matrix(symbols, currencies, base, calendar, first_pos) if symbols else np.ones((len(calendar), 0))
    )

    qty = tx["quantity"].fillna(0.0).to_numpy()
    price = tx["price"].fillna(0.0).to_numpy()
    amount = tx["amount"].fillna(0.0).to_numpy()
    kind = tx["type"].to_numpy()
    side = np.select([kind == "buy", kind == "sell"], [1.0, -1.0], 0.0)
    # The book of record's own rule, at the rate stored with each booking: the cash path ends
    # exactly where the portfolio's cash stands (instrument-currency amounts in base at booking).
    cash = portfolio.cash_deltas(kind, qty, price, tx["fees"], amount, tx["fx_rate"])
    flows_raw = tx["type"].map(FLOW_SIGN).fillna(0.0).to_numpy() * amount
    steps = np.arange(len(calendar))
    at = tx["_pos"].to_numpy()
    cash_path = pd.Series(cash).groupby(at).sum().reindex(steps, fill_value=0.0).cumsum().to_numpy()
    flows = pd.Series(flows_raw).groupby(at).sum().reindex(steps, fill_value=0.0).to_numpy()

    holdings = np.zeros((len(calendar), len(symbols)))
    marks = np.full((len(calendar), len(symbols)), np.nan)
    trades = tx[side != 0]
    if symbols:
        closes = prices.reindex(columns=symbols).to_numpy(dtype=float)
        marks = closes
        if not trades.empty:
            signed = pd.DataFrame(
                {"pos": trades["_pos"], "symbol": trades["symbol"], "q": side[side != 0] * qty[side != 0]}
            )
            holdings = (
                signed.pivot_table(index="pos", columns="symbol", values="q", aggfunc="sum")
                .reindex(index=steps, columns=symbols)
                .fillna(0.0)
                .cumsum()
                .to_numpy()
            )
            trade_px = (
                trades.assign(pos=trades["_pos"])
                .pivot_table(index="pos", columns="symbol", values="price", aggfunc="last")
                .reindex(index=steps, columns=symbols)
                .to_numpy()
            )
            marks = np.where(np.isnan(closes), trade_px, closes)
        marks = pd.DataFrame(marks).ffill().to_numpy()
        if interval in INTRADAY_FREQUENCIES:
            unpriced = [
                s for j, s in enumerate(symbols) if np.isnan(closes[:, j]).all() and holdings[:, j].any()
            ]
            if unpriced:
                raise no_intraday_bars(interval, f"{', '.join(unpriced)} (held in this window)")
    return Book(
        index=pd.DatetimeIndex(calendar, name="ts"),
        interval=interval,
        symbols=symbols,
        currencies=currencies,
        quantities=holdings,
        prices=marks * fx,
        cash=cash_path,
        flows=flows,
    )
