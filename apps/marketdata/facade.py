"""What other engines may call about market data: instruments as frozen dataclasses (never model
instances); prices, panels, point-in-time fundamentals/series and FX as pandas/numpy."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from . import selectors
from .kernels.panels import RETURN_KINDS, check_fill_policy, fill_panel, pivot_panel, returns_from_prices
from .kernels.resample import BAR_FIELDS, RESAMPLE_INTERVALS, bucket_end_ns, from_ns, to_ns
from .kernels.times import utc, window_end, window_start
from .models import CURRENCY_RE, Instrument
from .selectors.fundamentals import fundamentals_history as fundamentals_history_rows
from .services.storage.bar_versions import bars_version_name

CURRENCY_PATTERN = re.compile(CURRENCY_RE)


@dataclass(frozen=True)
class InstrumentInfo:
    id: int
    symbol: str
    name: str
    asset_class: str
    currency: str
    exchange: str
    sector: str
    industry: str
    country: str
    lot_size: Decimal
    is_active: bool


def _info(i: Instrument) -> InstrumentInfo:
    return InstrumentInfo(
        id=i.pk,
        symbol=i.symbol,
        name=i.name,
        asset_class=i.asset_class,
        currency=i.currency,
        exchange=i.exchange,
        sector=i.sector,
        industry=i.industry,
        country=i.country,
        lot_size=i.lot_size,
        is_active=i.is_active,
    )


def instrument_get(symbol: str) -> InstrumentInfo | None:
    """The instrument with this symbol (case-insensitive), or None when it is unknown."""
    found = selectors.instrument_by_symbol(symbol)
    return _info(found) if found is not None else None


def instruments_by_symbols(symbols: Iterable[str]) -> dict[str, InstrumentInfo]:
    """Known instruments keyed by their (upper-case) symbol; unknown symbols are simply absent."""
    return {sym: _info(i) for sym, i in selectors.instruments_by_symbols(symbols).items()}


def instruments_active() -> list[InstrumentInfo]:
    """Every active instrument, ordered by symbol (simulated market, universe builders)."""
    return [_info(i) for i in selectors.instruments_active()]


# --- Prices, panels, point-in-time reads and FX for other engines -----------------------------------
# Pure reads returning pandas/numpy. Instants may be datetimes, dates, ISO strings or pandas
# Timestamps; naive ones are UTC. Windows are [start, end): a bare-date `end` includes that day.
# Errors are ValueError subclasses (UnknownSymbolError, UnknownSeriesError, FxRateNotFound), so a
# caller's API can turn them into a 400.

UnknownSymbolError = selectors.UnknownSymbolError
UnknownSeriesError = selectors.UnknownSeriesError
FxRateNotFound = selectors.FxRateNotFound
MarketDataReadError = selectors.MarketDataReadError

_TRIANGULATION_CCY = "USD"


def bars(
    symbols: Sequence[str],
    start=None,
    end=None,
    interval: str = "1d",
    adjusted: bool = False,
) -> pd.DataFrame:
    """Long OHLCV rows (symbol, ts, open, high, low, close, adj_close, volume, vwap, trade_count,
    partial) at `interval`, resampled from finer stored bars where needed (see kernels.resample
    for bucket conventions). `symbol` is categorical, its categories in the order asked."""
    return selectors.bars_frame(
        symbols=symbols,
        interval=interval,
        start=window_start(start),
        end=window_end(end),
        adjusted=adjusted,
    ).frame


def bar_sources(symbols: Sequence[str], interval: str = "1d", start=None, end=None) -> dict[str, str | None]:
    """Per symbol, the stored interval `bars`/`price_panel` at `interval` would read over [start,
    end): `interval` itself, a finer one they resample from, or None (nothing to build it from, e.g.
    monthly bars only when asked for days). A cheap existence probe, no bar is loaded."""
    ids = selectors.instrument_ids(symbols)
    found = selectors.bar_sources(list(ids.values()), interval, window_start(start), window_end(end))
    return {sym: found[pk] for sym, pk in ids.items()}


def price_panel(
    symbols: Sequence[str],
    start=None,
    end=None,
    interval: str = "1d",
    field: str = "close",
    adjusted: bool = False,
    fill: str = "none",
    max_gap: int | None = None,
    index=None,
) -> pd.DataFrame:
    """Aligned panel: index the UTC bar timestamps (bucket starts) at which any symbol has a bar,
    or the given `index` (a calendar, e.g. business days: bars off it are dropped), one column per
    symbol in the order given, NaN where a symbol has no bar. `field` is one of open/high/low/
    close/adj_close/volume/vwap/trade_count; `adjusted` scales prices by adj_close/close bar by
    bar. Missing data: fill="none" leaves NaN; "ffill" carries the last value forward at most
    `max_gap` rows (None: no limit), never before a symbol's first bar. A gap is a row of the
    index without a bar: alone, a symbol's panel has none unless `index` says where to expect bars."""
    if field not in BAR_FIELDS:
        raise ValueError(f"field must be one of {', '.join(BAR_FIELDS)}, not {field!r}")
    check_fill_policy(fill, max_gap)  # before touching the database
    result = selectors.bars_frame(
        symbols=symbols,
        interval=interval,
        start=window_start(start),
        end=window_end(end),
        fields=[field],
        adjusted=adjusted,
    )
    panel = pivot_panel(result.frame, field, list(result.source_intervals))
    if index is not None:
        panel = panel.reindex(pd.DatetimeIndex([utc(t) for t in index], name="ts"))
    return fill_panel(panel, fill, max_gap)


def return_panel(
    symbols: Sequence[str],
    start=None,
    end=None,
    interval: str = "1d",
    kind: str = "simple",
    adjusted: bool = True,
    fill: str = "none",
    max_gap: int | None = None,
    index=None,
) -> pd.DataFrame:
    """Close-to-close returns ("simple" or "log") between consecutive rows of `price_panel`; the
    first row is dropped. A missing price makes the returns into and out of it NaN, so no return
    spans a gap unless `fill` filled it. Adjusted closes by default: raw closes jump at splits."""
    if kind not in RETURN_KINDS:
        raise ValueError(f"kind must be one of {', '.join(RETURN_KINDS)}, not {kind!r}")
    prices = price_panel(symbols, start, end, interval, "close", adjusted, fill, max_gap, index)
    return returns_from_prices(prices, kind)


def latest_prices(symbols: Sequence[str]) -> pd.Series:
    """Last close per symbol from its most recent bar at any interval (NaN: no bars), indexed by
    symbol in the order given; `.attrs["ts"]` holds each close's bar timestamp."""
    ids = selectors.instrument_ids(symbols)
    close, stamps = selectors.latest_closes(list(ids.values()))
    out = pd.Series(close, index=pd.Index(list(ids), name="symbol"), name="close")
    out.attrs["ts"] = dict(zip(ids, stamps, strict=True))
    return out


def bars_version_names(instrument_ids: Iterable[int]) -> list[str]:
    """The version-token names (apps.platform.versions) of these instruments' bars: each token is
    replaced after every commit that writes bars of its instrument (services.storage.bar_versions)."""
    return [bars_version_name(i) for i in instrument_ids]


def latest_closes(instrument_ids: Sequence[int]) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """`latest_prices` by instrument id (InstrumentInfo.id), for callers that hold the ids: the
    closes (NaN: no bars) and their bars' timestamps (NaT), both in the order given. Unknown ids
    read as no bars. Skips the symbol lookup and the per-symbol dict: a pre-trade check's path."""
    return selectors.latest_closes(instrument_ids)


def fundamentals_as_of(
    symbols: Sequence[str], fields: Sequence[str], as_of, detail: bool = False
) -> pd.DataFrame:
    """Point in time: per symbol and field the figure of the latest period whose report (or
    restatement) was published at or before `as_of`; anything reported later is invisible.
    Returns symbols x fields (NaN: nothing reported yet), or with `detail=True` long rows
    (symbol, field, period, period_end, reported_at, value)."""
    ids = selectors.instrument_ids(symbols)
    fields = list(dict.fromkeys(fields))
    rows = selectors.fundamentals_as_of(ids=ids, fields=fields, as_of=utc(as_of))
    if detail:
        return rows
    wide = rows.pivot(index="symbol", columns="field", values="value") if not rows.empty else None
    wide = pd.DataFrame(wide).reindex(index=list(ids), columns=fields).astype(float)
    wide.index.name, wide.columns.name = "symbol", "field"
    return wide


def fundamentals_history(symbols: Sequence[str], fields: Sequence[str], until=None) -> pd.DataFrame:
    """Every figure of these symbols' fields reported at or before `until` (None: all), each
    restatement its own row: long rows (symbol, field, period, period_end, reported_at, value) ordered
    by symbol, field, reported_at. For a reader that applies the `fundamentals_as_of` rule at many
    instants (one value per bar) from one query instead of one query per instant (added with the
    features engine's point-in-time fundamentals)."""
    ids = selectors.instrument_ids(symbols)
    fields = list(dict.fromkeys(fields))
    return fundamentals_history_rows(ids=ids, fields=fields, until=None if until is None else utc(until))


def series_as_of(code: str, as_of, start=None, end=None) -> pd.Series:
    """Point in time: each observation date's latest value known at `as_of` (a revision published
    later is invisible; a date not yet published is absent). Index: UTC midnight of each date;
    start/end bound the observation dates, inclusive."""
    return selectors.series_as_of(
        code=code,
        as_of=utc(as_of),
        start=None if start is None else utc(start).date(),
        end=None if end is None else utc(end).date(),
    )


def series_history(code: str, until=None) -> pd.DataFrame:
    """Every version of every observation of an economic series published at or before `until`
    (None: all): rows (date, known_at, value) in publication order. For a reader that applies the
    `series_as_of` rule at many instants from one query (added with the factors engine's `$econ.`
    fields). UnknownSeriesError for an unknown code."""
    from .selectors.series import series_history as history

    return history(code=code, until=None if until is None else utc(until))


def fx_rate(base: str, quote: str, at=None) -> float:
    """Units of `quote` per one unit of `base` at `at` (default now): the latest rate at or before
    `at` from the stored pair, else its inverse (the later of the two wins when both exist), else
    triangulated through USD with each leg found the same way. Same currency: 1.0. Raises
    FxRateNotFound (a ValueError) when no route has a rate by then."""
    base, quote = _ccy(base), _ccy(quote)
    if base == quote:
        return 1.0
    when = pd.Timestamp.now(tz="UTC") if at is None else utc(at)
    rate = _quoted_rate(base, quote, when)
    if rate is None and _TRIANGULATION_CCY not in (base, quote):
        leg1 = _quoted_rate(base, _TRIANGULATION_CCY, when)
        leg2 = _quoted_rate(_TRIANGULATION_CCY, quote, when)
        if leg1 is not None and leg2 is not None:
            rate = leg1 * leg2
    if rate is None:
        raise FxRateNotFound(
            f"no {base}/{quote} rate at or before {when.isoformat()} (direct, inverse or via USD)"
        )
    return rate


def fx_convert(amount, from_ccy: str, to_ccy: str, at=None) -> np.ndarray:
    """Amounts in `from_ccy` expressed in `to_ccy` at the rate `fx_rate(from_ccy, to_ccy, at)`."""
    return np.asarray(amount, dtype=np.float64) * fx_rate(from_ccy, to_ccy, at)


def _ccy(code: str) -> str:
    value = (code or "").strip().upper()
    if not CURRENCY_PATTERN.match(value):
        raise ValueError(f"not a 3-letter currency code: {code!r}")
    return value


def _quoted_rate(base: str, quote: str, at: pd.Timestamp) -> float | None:
    direct, inverse = selectors.fx_latest_both(base=base, quote=quote, at=at)
    if direct is not None and (inverse is None or direct[0] >= inverse[0]):
        return direct[1]
    return None if inverse is None else 1.0 / inverse[1]


def fx_rate_series(base: str, quote: str, index) -> pd.Series:
    """`fx_rate(base, quote, t)` for every timestamp t of `index` (naive = UTC), by the same rules
    (the latest stored rate at or before t, the pair or its inverse, the later of the two; else
    through USD), read in one query instead of one lookup per timestamp. The Series is indexed by
    the timestamps in UTC, in the order given. Raises FxRateNotFound naming the earliest timestamp
    without a rate (all later ones have one once any rate is stored before them)."""
    base, quote = _ccy(base), _ccy(quote)
    stamps = _utc_index(index)
    if base == quote or len(stamps) == 0:
        return pd.Series(1.0, index=stamps, dtype=np.float64, name=f"{base}{quote}")
    legs = [(base, quote)]
    if _TRIANGULATION_CCY not in (base, quote):
        legs += [(base, _TRIANGULATION_CCY), (_TRIANGULATION_CCY, quote)]
    history = selectors.fx_history({p for b, q in legs for p in ((b, q), (q, b))}, stamps.min(), stamps.max())
    at_ns = stamps.as_unit("ns").asi8
    rate = _quoted_series(base, quote, history, at_ns)
    if len(legs) > 1:
        via = _quoted_series(*legs[1], history, at_ns) * _quoted_series(*legs[2], history, at_ns)
        rate = np.where(np.isnan(rate), via, rate)
    missing = np.isnan(rate)
    if missing.any():
        when = stamps[missing].min()
        raise FxRateNotFound(
            f"no {base}/{quote} rate at or before {when.isoformat()} (direct, inverse or via USD)"
        )
    return pd.Series(rate, index=stamps, name=f"{base}{quote}")


def _utc_index(index) -> pd.DatetimeIndex:
    # utc=True reads naive instants as UTC and converts aware ones, like `utc()` in fx_rate.
    return pd.DatetimeIndex(pd.to_datetime(pd.Index(index), utc=True, format="ISO8601"))


def _asof(history: dict, pair: tuple[str, str], at_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ts_ns, rate) of the pair's latest row at or before each instant; ts -1 and NaN where none."""
    ts, rates = history.get(pair, (np.empty(0, np.int64), np.empty(0)))
    pos = np.searchsorted(ts, at_ns, side="right") - 1
    found = pos >= 0
    safe = np.where(found, pos, 0)
    if not len(ts):
        return np.full(len(at_ns), -1, np.int64), np.full(len(at_ns), np.nan)
    return np.where(found, ts[safe], -1), np.where(found, rates[safe], np.nan)


def _quoted_series(base: str, quote: str, history: dict, at_ns: np.ndarray) -> np.ndarray:
    """`_quoted_rate` at every instant: the pair where it is at least as recent as its inverse."""
    d_ts, d_rate = _asof(history, (base, quote), at_ns)
    i_ts, i_rate = _asof(history, (quote, base), at_ns)
    use_direct = (d_ts >= 0) & (d_ts >= i_ts)
    return np.where(use_direct, d_rate, np.where(i_ts >= 0, 1.0 / i_rate, np.nan))


# --- Instants read the way market data reads them, for other engines' request windows ---------------


def instant_utc(value) -> pd.Timestamp:
    """A caller's instant (datetime, date, ISO text, Timestamp; naive is UTC) as a UTC Timestamp;
    ValueError/TypeError when it is not one."""
    return utc(value)


def window_start_utc(value) -> pd.Timestamp | None:
    """Inclusive start of a [start, end) window (None: open)."""
    return window_start(value)


def window_end_utc(value) -> pd.Timestamp | None:
    """Exclusive end of a [start, end) window (None: open); a bare date includes its whole day."""
    return window_end(value)


# --- For other engines' models and bookings (added with issue #11: no engine imports marketdata's
# models directly). The validator is the same object marketdata's own currency columns use.
from .models import currency_validator  # noqa: E402, F401  (re-exported)


def instrument_symbols(instrument_ids: Iterable[int]) -> dict[int, str]:
    """Symbol by instrument id for these ids (one query); unknown ids are left out."""
    return dict(Instrument.objects.filter(pk__in=list(instrument_ids)).values_list("pk", "symbol"))


def bar_intervals() -> tuple[str, ...]:
    """The bar intervals market data stores and resamples to, finest first (added with issue #12:
    feature definitions name one)."""
    from .models import INTERVALS

    return tuple(INTERVALS)


def symbol_segment(symbol: str) -> str:
    """A symbol as one bus topic segment (BRK.B → BRK-B), as market data's own topics spell it:
    other engines' per-symbol topics (features.values.{symbol}) use the same spelling."""
    from .services.feeds.events import symbol_segment as segment

    return segment(symbol)


def bar_close_instants(ts, interval: str) -> pd.DatetimeIndex:
    """When each bar closes (its values become known), given the bars' timestamps (bucket starts,
    naive = UTC) at `interval`: ts + interval, a calendar month for "1mo" (added with the features
    engine's point-in-time fundamentals: a figure is usable at a bar once reported by its close)."""
    if interval not in RESAMPLE_INTERVALS:
        raise ValueError(f"unknown interval {interval!r}; use one of {', '.join(RESAMPLE_INTERVALS)}")
    return from_ns(bucket_end_ns(to_ns(_utc_index(ts)), interval)).rename("close_at")


def interval_length(interval: str) -> pd.Timedelta:
    """An interval's nominal length (a month counts 30 days): for sizing a window of so many bars,
    not for calendar arithmetic (added with the factors engine: look-back history before a window).
    ValueError for an unknown interval."""
    from .models.ticks import interval_seconds

    return pd.Timedelta(interval_seconds(interval), "s")
