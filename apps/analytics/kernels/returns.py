"""NAV and returns arithmetic, pure pandas/numpy/scipy, vectorized over portfolios (columns).

Time-weighted returns treat external flows (deposits, withdrawals) as arriving at the *end* of the
period they are booked in (at the close, where holdings are valued): r_t = (NAV_t - F_t) / NAV_{t-1}
- 1. Money put in is therefore never a return; a deposit spent on shares at the close leaves the
period's return that of the shares. Fees and dividends are not flows: they are performance. A
period that starts with nothing invested (NAV_{t-1} <= 0) has return 0; `first_at_risk` finds
where performance starts, so the bar that funds the book is not counted as a period.

Bar buckets follow market data's (left-labelled, UTC): intraday and daily on the epoch grid, weeks
from Monday 00:00, calendar months.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize

FREQUENCIES = ("1d", "1w", "1mo")
# Intraday returns are bar to bar at these intervals (the bars' own calendar, never chained).
INTRADAY_FREQUENCIES = ("1m", "5m", "15m", "30m", "1h")
RETURN_FREQUENCIES = (*INTRADAY_FREQUENCIES, *FREQUENCIES)
PERIODS_PER_YEAR = {"1d": 252, "1w": 52, "1mo": 12}
# The names the API also accepts for the coarse frequencies, and what the answers call them.
FREQUENCY_ALIASES = {"daily": "1d", "weekly": "1w", "monthly": "1mo"}
FREQUENCY_NAMES = {code: name for name, code in FREQUENCY_ALIASES.items()}
# pandas offsets that floor a timestamp to the start of its intraday or daily bar bucket.
BUCKET_FLOOR = {"1m": "1min", "5m": "5min", "15m": "15min", "30m": "30min", "1h": "1h", "1d": "D"}
TRADING_DAYS_PER_YEAR = 252
CALENDAR_DAYS_PER_YEAR = 365
WEEKEND_SHARE = 0.1  # above this share of weekend rows (days), the data trades every day
# Period keys for resampling: weeks end Sunday (so a Mon-Fri trading week stays whole), months are
# calendar months. Each resampled period is labelled with the last timestamp it contains.
PERIOD_RULE = {"1w": "W-SUN", "1mo": "M"}


def frequency_code(frequency: str | None) -> str | None:
    """The code of a frequency's name (monthly -> 1mo, weekly -> 1w, daily -> 1d); codes and None
    pass through."""
    return FREQUENCY_ALIASES.get(frequency, frequency) if isinstance(frequency, str) else frequency


def frequency_name(frequency: str) -> str:
    return FREQUENCY_NAMES.get(frequency, frequency)


def bucket_start(stamps, interval: str) -> pd.DatetimeIndex:
    """Start (UTC) of the bar bucket of `interval` (1m ... 1d, 1w, 1mo) each timestamp falls in."""
    stamps = pd.DatetimeIndex(stamps)
    if interval == "1mo":
        return stamps.tz_localize(None).to_period("M").to_timestamp().tz_localize("UTC").as_unit("ns")
    if interval == "1w":
        days = stamps.floor("D")
        return days - pd.to_timedelta(days.dayofweek, unit="D")
    return stamps.floor(BUCKET_FLOOR[interval])


def month_of_week(stamps) -> pd.DatetimeIndex:
    """The month bucket a weekly bar belongs to: the month of its week's Friday, the last weekday,
    where a week's close falls (whether the bar is stamped on its Monday, Friday or Sunday)."""
    return bucket_start(bucket_start(stamps, "1w") + pd.Timedelta(days=4), "1mo")


def first_at_risk(nav: pd.Series) -> int | None:
    """Position of the first step whose opening NAV (the previous step's) is positive: the first
    valuation after capital is at risk, where performance starts. None when there is none."""
    opening = nav.shift(1, fill_value=0.0).to_numpy(dtype=float)
    found = np.flatnonzero(opening > 0)
    return int(found[0]) if len(found) else None


def twr_returns(nav: pd.DataFrame, flows: pd.DataFrame) -> pd.DataFrame:
    """Period returns from end-of-period NAV and the net external flow booked in each period."""
    nav = nav.astype(float)
    flows = flows.reindex_like(nav).fillna(0.0).astype(float)
    base = nav.shift(1).fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (nav - flows) / base - 1.0
    return r.where(base > 0, 0.0)


def chain(returns: pd.DataFrame | pd.Series, frequency: str):
    """Compound period returns into coarser periods (1w, 1mo); 1d and intraday return them unchanged."""
    if frequency not in PERIOD_RULE:
        return returns
    idx = returns.index
    keys = idx.tz_localize(None).to_period(PERIOD_RULE[frequency])
    grown = (1.0 + returns).groupby(keys).prod() - 1.0
    labels = pd.Series(idx, index=idx).groupby(keys).max()
    grown.index = pd.DatetimeIndex(labels.loc[grown.index], name=idx.name)
    return grown


def annualization(index: pd.DatetimeIndex, frequency: str) -> int:
    """Periods per year for this data: 252 trading days, unless the daily calendar includes
    weekends (assets that trade every day: a 365-day year); 52 weekly, 12 monthly. Intraday: the
    bars per trading day observed times the trading days per year (see `intraday_annualization`)."""
    if frequency in INTRADAY_FREQUENCIES:
        bars, days = intraday_annualization(index)
        return max(1, round(bars * days))
    if frequency == "1d" and len(index) and (index.day_of_week >= 5).mean() > WEEKEND_SHARE:
        return CALENDAR_DAYS_PER_YEAR
    return PERIODS_PER_YEAR[frequency]


def intraday_annualization(index: pd.DatetimeIndex) -> tuple[float, int]:
    """(bars per trading day, trading days per year) of intraday bar stamps: the median count of
    bars per UTC day that has any (a half session or a gap does not set the scale), and 252 days,
    or 365 when weekend days carry bars (assets that trade every day)."""
    if not len(index):
        return 0.0, TRADING_DAYS_PER_YEAR
    days = pd.DatetimeIndex(index).floor("D")
    per_day = pd.Series(1, index=days).groupby(level=0).size()
    weekend = (per_day.index.day_of_week >= 5).mean() > WEEKEND_SHARE
    return float(per_day.median()), CALENDAR_DAYS_PER_YEAR if weekend else TRADING_DAYS_PER_YEAR


def irr(dates: pd.DatetimeIndex, amounts: np.ndarray) -> float:
    """Money-weighted return, annualized (Act/365): the rate r with sum(a_i (1+r)^-(t_i-t_0)/365) = 0.
    Amounts are from the investor's side: money put in negative, money (and final value) out
    positive. NaN when there is no sign change (no rate solves it)."""
    amounts = np.asarray(amounts, dtype=float)
    if len(amounts) < 2 or not (np.any(amounts > 0) and np.any(amounts < 0)):
        return float("nan")
    years = np.asarray((dates - dates[0]) / pd.Timedelta(days=1), dtype=float) / 365.0

    def npv(rate: float) -> float:
        return float(np.sum(amounts * np.power(1.0 + rate, -years)))

    try:
        return float(optimize.brentq(npv, -0.9999, 1e4, xtol=1e-14, maxiter=500))
    except ValueError:
        return float("nan")
