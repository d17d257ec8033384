"""OHLCV resampling from a finer bar interval to a coarser one, vectorized over many symbols.

Buckets are **left-labelled and left-closed, in UTC**: the bucket labelled T holds the bars whose
start `ts` satisfies T <= ts < T + interval.

- Intraday and daily buckets are aligned on the Unix epoch, which for every supported length (1m
  ... 4h, 1d) is the same as aligning on UTC midnight: daily buckets are UTC calendar days.
- Weekly buckets are anchored on **Monday 00:00 UTC** (pandas' `W-MON` with label/closed left).
- Monthly buckets are UTC calendar months (pandas' `MS`).

Aggregation per bucket: open first, high max, low min, close last, adj_close last, volume sum,
trade_count sum, vwap volume-weighted over the bars that have one. Buckets without any bar are
left out (no synthetic bars). Within a bucket the rows are taken in time order, so callers need not
sort. Implemented with numpy `reduceat` over group boundaries (not pandas' resample, which the
tests use as the independent reference).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BAR_FIELDS = ("open", "high", "low", "close", "adj_close", "volume", "vwap", "trade_count")
PRICE_FIELDS = ("open", "high", "low", "close", "vwap")

_FIXED_NS = {
    "1m": 60,
    "5m": 5 * 60,
    "15m": 15 * 60,
    "30m": 30 * 60,
    "1h": 3600,
    "4h": 4 * 3600,
    "1d": 86400,
    "1w": 7 * 86400,
}
_FIXED_NS = {k: v * 1_000_000_000 for k, v in _FIXED_NS.items()}
# 1970-01-01 was a Thursday; the first Monday after the epoch anchors weekly buckets.
_MONDAY_NS = 4 * 86400 * 1_000_000_000
RESAMPLE_INTERVALS = (*_FIXED_NS, "1mo")


def divides(source: str, target: str) -> bool:
    """True when every `target` bucket is an exact union of whole `source` buckets (source finer)."""
    if source == target or source not in RESAMPLE_INTERVALS or target not in RESAMPLE_INTERVALS:
        return False
    if target == "1mo":
        # Months are whole UTC days but not whole weeks.
        return source not in ("1w", "1mo")
    if source == "1mo":
        return False
    return _FIXED_NS[target] % _FIXED_NS[source] == 0 and _FIXED_NS[target] > _FIXED_NS[source]


def bucket_start_ns(ts_ns: np.ndarray, interval: str) -> np.ndarray:
    """Start (epoch ns, UTC) of the bucket each timestamp falls in."""
    ts_ns = np.asarray(ts_ns, dtype=np.int64)
    if interval == "1mo":
        return ts_ns.astype("datetime64[ns]").astype("datetime64[M]").astype("datetime64[ns]").view(np.int64)
    step = _FIXED_NS[interval]
    if interval == "1w":
        return (ts_ns - _MONDAY_NS) // step * step + _MONDAY_NS
    return ts_ns // step * step


def bucket_end_ns(start_ns: np.ndarray, interval: str) -> np.ndarray:
    """Exclusive end (epoch ns, UTC) of buckets given their starts."""
    start_ns = np.asarray(start_ns, dtype=np.int64)
    if interval == "1mo":
        months = start_ns.astype("datetime64[ns]").astype("datetime64[M]") + 1
        return months.astype("datetime64[ns]").view(np.int64)
    return start_ns + _FIXED_NS[interval]


def to_ns(ts: pd.Series | pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """Epoch nanoseconds of UTC timestamps, whatever their pandas resolution."""
    return pd.DatetimeIndex(ts).tz_convert("UTC").as_unit("ns").asi8


def from_ns(ns: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("datetime64[ns]"), tz="UTC")


def adjust_prices(frame: pd.DataFrame) -> pd.DataFrame:
    """Split/dividend-adjusted prices: open, high, low, close and vwap scaled by adj_close / close
    bar by bar (Yahoo's convention); a bar without adj_close keeps its raw prices. Volume is left
    as traded. Apply before resampling, because the factor changes from bar to bar."""
    out = frame.copy()
    if "adj_close" not in out or "close" not in out:
        return out
    factor = (out["adj_close"] / out["close"]).where(out["adj_close"].notna(), 1.0)
    for col in PRICE_FIELDS:
        if col in out:
            out[col] = out[col] * factor
    return out


def resample_bars(frame: pd.DataFrame, interval: str, *, key: str = "symbol") -> pd.DataFrame:
    """Aggregate bars into `interval` buckets per `key`.

    `frame` has columns `key`, `ts` (tz-aware UTC) and any of BAR_FIELDS. Returns the same columns,
    one row per (key, non-empty bucket), sorted by key then ts, `ts` being the bucket start.
    """
    if interval not in RESAMPLE_INTERVALS:
        raise ValueError(f"cannot resample to {interval!r}; use one of {', '.join(RESAMPLE_INTERVALS)}")
    fields = [c for c in BAR_FIELDS if c in frame.columns]
    if frame.empty:
        return frame.loc[:, [key, "ts", *fields]].iloc[0:0].reset_index(drop=True)

    frame = frame.sort_values([key, "ts"], kind="stable")
    codes = pd.factorize(frame[key])[0]  # integer keys: cheap to compare, any key dtype
    buckets = bucket_start_ns(to_ns(frame["ts"]), interval)
    new_group = np.empty(len(frame), dtype=bool)
    new_group[0] = True
    new_group[1:] = (codes[1:] != codes[:-1]) | (buckets[1:] != buckets[:-1])
    starts = np.flatnonzero(new_group)
    ends = np.append(starts[1:], len(frame)) - 1

    out: dict[str, object] = {key: frame[key].iloc[starts].array, "ts": from_ns(buckets[starts])}
    cols = {c: frame[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in fields}
    volume = cols.get("volume")
    for c in fields:
        x = cols[c]
        if c == "open":
            out[c] = x[starts]
        elif c in ("close", "adj_close"):
            out[c] = x[ends]
        elif c == "high":
            out[c] = np.fmax.reduceat(x, starts)
        elif c == "low":
            out[c] = np.fmin.reduceat(x, starts)
        elif c in ("volume", "trade_count"):
            out[c] = _nansum_or_nan(x, starts)
        elif c == "vwap":
            out[c] = _vwap(x, volume, starts)
    return pd.DataFrame(out)


def _nansum_or_nan(x: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sum per group ignoring NaN; NaN when the group has no value at all (e.g. no trade counts)."""
    present = np.add.reduceat((~np.isnan(x)).astype(np.int64), starts)
    total = np.add.reduceat(np.nan_to_num(x, nan=0.0), starts)
    return np.where(present > 0, total, np.nan)


def _vwap(vwap: np.ndarray, volume: np.ndarray | None, starts: np.ndarray) -> np.ndarray:
    if volume is None:
        # Without volumes there is nothing to weight by; the caller asked for vwap alone.
        return np.full(len(starts), np.nan)
    ok = ~np.isnan(vwap) & ~np.isnan(volume)
    num = np.add.reduceat(np.where(ok, vwap * volume, 0.0), starts)
    den = np.add.reduceat(np.where(ok, volume, 0.0), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def mark_partial(
    ts: pd.Series | pd.DatetimeIndex,
    interval: str,
    *,
    window_start: pd.Timestamp | None,
    window_end: pd.Timestamp,
) -> np.ndarray:
    """True for buckets that reach outside [window_start, window_end): the first bucket when the
    window starts mid-bucket, and a last bucket that has not closed by window_end (pass the
    request's end, or now). Such a bucket aggregates only part of its span."""
    start_ns = to_ns(ts)
    end_ns = bucket_end_ns(start_ns, interval)
    partial = end_ns > pd.Timestamp(window_end).as_unit("ns").value
    if window_start is not None:
        partial |= start_ns < pd.Timestamp(window_start).as_unit("ns").value
    return partial
