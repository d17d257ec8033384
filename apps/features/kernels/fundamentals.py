"""Point-in-time fundamentals on a symbol's bars, and the valuation ratios built on them.

A feature's value at a bar is known at the bar's close, so it may use only figures reported at or
before that close. The figure a bar sees is the market-data engine's `fundamentals_as_of` rule
applied at the close: of the rows reported by then, the latest period (period_end), and of that
period its latest restatement published by then. A restatement published later is a new row with a
later reported_at, so it changes the bars from its own publication on and never an earlier one.

`as_of_values` applies the rule at every bar at once: sort the rows by reported_at, take for every
prefix the row that wins it (a running maximum of period_end, ties going to the later row), then
`searchsorted` each close into the reported_at order. O((R + T) log R), no loop over bars.

Fields read (the names the platform's fundamentals use; any field can be uploaded, these are the
ones the ratios look for):
- `eps`: earnings per share of the period, as stored. The ratios use it as it is: store trailing or
  annual EPS under `eps` for the conventional P/E (a quarter's EPS gives about four times it).
- `book_value`: read as book value PER SHARE. The platform has no shares-outstanding field, so a
  total book value cannot be turned into one; store it per share.
- `dividend_per_share`: the dividends per share of the period (trailing twelve months for the
  usual yield). No such field existed before; this is its name.

Ratios over (T, N) panels. A non-positive or missing denominator gives NaN (P/E of a loss-making
company, or a non-positive price, has no meaning as a multiple); a negative numerator is kept (a
negative earnings yield says what a P/E cannot). Per-share figures are in the share count of their
report, so compare them with raw closes (`adjusted=False`): adjusted closes are rescaled to today's
share count.

No Django here (kernels are pure).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .panels import same_shape

PREFIX = "fundamental:"
ROW_COLUMNS = ("field", "period_end", "reported_at", "value")


def fundamental_input(field: str) -> str:
    """The input name a kernel spec uses for a fundamental field ("eps" -> "fundamental:eps")."""
    return f"{PREFIX}{field}"


def fundamental_field(name: str) -> str | None:
    """The fundamental field an input name reads ("fundamental:eps" -> "eps"), None for a bar field."""
    return name[len(PREFIX) :] if name.startswith(PREFIX) else None


def _ns(instants) -> np.ndarray:
    """Epoch nanoseconds of instants (aware ones in any zone, naive ones as UTC; dates at midnight)."""
    index = pd.DatetimeIndex(pd.to_datetime(pd.Index(instants), utc=True))
    return index.as_unit("ns").asi8


def as_of_values(close_at, reported_at, period_end, values) -> np.ndarray:
    """(T,) the value known at each close: of the rows with reported_at <= close, the one with the
    latest period_end, and among that period's rows the latest reported. NaN before the first report.

    `close_at` (T,) instants in any order; the rows' reported_at, period_end and values (R,) in any
    order. Rows reported at one instant are all known from it on, whatever their order. Two rows of
    one period with the same reported_at cannot exist (one row in the store); if given, the later
    one given wins.
    """
    close_ns = _ns(close_at)
    out = np.full(len(close_ns), np.nan)
    if len(values) == 0:
        return out
    rep, end = _ns(reported_at), _ns(period_end)
    vals = np.asarray(values, dtype=np.float64)
    order = np.argsort(rep, kind="stable")
    rep, end, vals = rep[order], end[order], vals[order]
    # Row j wins the prefix 0..j when its period is at least as late as every period before it;
    # the winner of prefix k is the last such row at or before k.
    wins = end >= np.maximum.accumulate(end)
    winner = np.maximum.accumulate(np.where(wins, np.arange(len(end)), -1))
    last = np.searchsorted(rep, close_ns, side="right") - 1  # the last row reported by each close
    known = last >= 0
    out[known] = vals[winner[last[known]]]
    return out


def fundamentals_aligned(close_at, rows: pd.DataFrame, fields: Iterable[str]) -> dict[str, np.ndarray]:
    """{"fundamental:<field>": (T, 1) values known at each close} for one symbol, from its long rows
    (columns field, period_end, reported_at, value; other columns ignored). A field without rows is
    all NaN."""
    by_field = dict(tuple(rows.groupby("field", sort=False))) if len(rows) else {}
    out = {}
    for field in dict.fromkeys(fields):
        mine = by_field.get(field)
        if mine is None:
            values = np.full(len(close_at), np.nan)
        else:
            values = as_of_values(close_at, mine["reported_at"], mine["period_end"], mine["value"])
        out[fundamental_input(field)] = values.reshape(-1, 1)
    return out


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is not > 0 (or either is NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def price_to_earnings(close: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """close / eps, (T, N); NaN where eps <= 0 (no multiple of a loss) or is not reported yet."""
    close, eps = same_shape(close=close, eps=eps)
    return _ratio(close, eps)


def price_to_book(close: np.ndarray, book_value: np.ndarray) -> np.ndarray:
    """close / book value per share, (T, N); NaN where the book value is <= 0 or not reported yet."""
    close, book_value = same_shape(close=close, book_value=book_value)
    return _ratio(close, book_value)


def earnings_yield(close: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """eps / close, (T, N): the inverse of P/E, defined for losses too (negative); NaN where the close
    is <= 0."""
    close, eps = same_shape(close=close, eps=eps)
    return _ratio(eps, close)


def dividend_yield(close: np.ndarray, dividend_per_share: np.ndarray) -> np.ndarray:
    """dividend per share / close, (T, N); NaN where the close is <= 0."""
    close, dps = same_shape(close=close, dividend_per_share=dividend_per_share)
    return _ratio(dps, close)
