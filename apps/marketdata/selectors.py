"""Read queries: instruments, bars (resampled server-side), latest bars and quotes, point-in-time
fundamentals and economic series, FX rates. They return plain data: dicts and pandas frames."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import BigIntegerField, Exists, FloatField, Func, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce

from apps.platform.sql import int_array

from .kernels.resample import BAR_FIELDS, PRICE_FIELDS, adjust_prices, divides, mark_partial, resample_bars
from .kernels.times import utc
from .models import (
    INTERVALS,
    Bar,
    EconomicSeries,
    Fundamental,
    FxRate,
    Instrument,
    LatestBar,
    Quote,
    SeriesObservation,
    interval_seconds,
)


def normalize_symbol(symbol: str) -> str:
    return (symbol or "").strip().upper()


def instrument_list() -> QuerySet[Instrument]:
    return Instrument.objects.all()


def instrument_by_symbol(symbol: str) -> Instrument | None:
    return Instrument.objects.filter(symbol=normalize_symbol(symbol)).first()


def instruments_by_symbols(symbols: Iterable[str]) -> dict[str, Instrument]:
    wanted = {normalize_symbol(s) for s in symbols}
    return {i.symbol: i for i in Instrument.objects.filter(symbol__in=wanted)}


# --- Reads over prices, series and FX --------------------------------------------------------------
# Each read is one query (or one per FX leg), fetched through a raw cursor into numpy/pandas: no
# model instances and no per-row Python.


class MarketDataReadError(ValueError):
    """Base of the read errors: the caller asked for something the data cannot answer."""


class UnknownSymbolError(MarketDataReadError):
    def __init__(self, symbols: Iterable[str]):
        self.symbols = sorted(set(symbols))
        super().__init__(f"unknown symbol(s): {', '.join(self.symbols)}")


class UnknownSeriesError(MarketDataReadError):
    pass


class RangeTooLargeError(MarketDataReadError):
    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(
            f"more than {limit:,} source bars match; narrow start/end, ask for fewer symbols "
            "or a coarser interval"
        )


class FxRateNotFound(MarketDataReadError):
    pass


@dataclass(frozen=True)
class BarsResult:
    """`frame`: long rows (symbol, ts, requested fields..., partial), sorted by the requested symbol
    order then ts. `source_intervals`: the stored interval each symbol was read from (None: no bars
    in the window at any interval that divides the requested one)."""

    interval: str
    frame: pd.DataFrame
    source_intervals: dict[str, str | None]


def instrument_ids(symbols: Iterable[str]) -> dict[str, int]:
    """Symbol -> instrument id in the order asked (duplicates dropped); raises UnknownSymbolError."""
    wanted = list(dict.fromkeys(normalize_symbol(s) for s in symbols if normalize_symbol(s)))
    if connection.vendor == "postgresql":
        # One array parameter: `symbol__in` binds one placeholder per symbol, and psycopg's client-
        # side query splitting of 500 of them cost more than the lookup (a pre-trade check's budget).
        table = Instrument._meta.db_table
        found = dict(_raw(f"SELECT symbol, id FROM {table} WHERE symbol = ANY(%s)", [wanted]))
    else:
        found = dict(Instrument.objects.filter(symbol__in=wanted).values_list("symbol", "pk"))
    missing = [s for s in wanted if s not in found]
    if missing:
        raise UnknownSymbolError(missing)
    return {s: found[s] for s in wanted}


def bar_sources(
    ids: Sequence[int], interval: str, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> dict[int, str | None]:
    """Which stored interval to read per instrument: the requested one when it has bars in the
    window, else the coarsest stored interval that divides it (fewest rows; a vendor's daily bar
    beats 390 aggregated minutes). One query per candidate interval, finest last, asked only for the
    instruments still without a source — usually just the first: an EXISTS probe of the primary key
    (instrument_id, interval, ts) per instrument."""
    candidates = [
        interval,
        *sorted((i for i in INTERVALS if divides(i, interval)), key=interval_seconds)[::-1],
    ]
    window = _ts_window(start, end)
    chosen: dict[int, str | None] = dict.fromkeys(ids)
    remaining = list(ids)
    for iv in candidates:
        if not remaining:
            break
        stored = Exists(Bar.objects.filter(instrument_id=OuterRef("pk"), interval=iv, **window))
        for pk in Instrument.objects.filter(stored, pk__in=remaining).values_list("pk", flat=True):
            chosen[pk] = iv
        remaining = [pk for pk in remaining if chosen[pk] is None]
    return chosen


def bars_frame(
    *,
    symbols: Sequence[str],
    interval: str,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    fields: Sequence[str] = BAR_FIELDS,
    adjusted: bool = False,
    max_rows: int | None = None,
    now: pd.Timestamp | None = None,
) -> BarsResult:
    """Bars at `interval` over [start, end), resampled server-side from the source `bar_sources`
    picks. `partial` marks buckets reaching outside [start, min(end, now)) (see
    kernels.resample.mark_partial). Raises UnknownSymbolError, RangeTooLargeError (more than
    `max_rows` source bars), ValueError for an unknown interval or field."""
    interval_seconds(interval)  # ValueError on an unknown interval
    unknown = set(fields) - set(BAR_FIELDS)
    if unknown:
        raise ValueError(f"unknown bar field(s): {', '.join(sorted(unknown))}")
    fields = [f for f in BAR_FIELDS if f in fields]
    ids = instrument_ids(symbols)
    sources_by_id = bar_sources(list(ids.values()), interval, start, end)
    symbol_of = {pk: sym for sym, pk in ids.items()}
    sources = {symbol_of[pk]: iv for pk, iv in sources_by_id.items()}

    load = set(fields)
    if adjusted and load & set(PRICE_FIELDS):
        load |= {"close", "adj_close"}
    if "vwap" in load:
        load.add("volume")
    load_cols = [f for f in BAR_FIELDS if f in load]
    raw = _bar_rows(sources_by_id, start, end, load_cols, max_rows)
    # Symbols as a categorical in the order asked: one vectorized lookup instead of a dict per row.
    ids_in_order = pd.Index(list(ids.values()))
    positions = ids_in_order.get_indexer(raw.pop("instrument_id"))
    raw.insert(0, "symbol", pd.Categorical.from_codes(positions, categories=list(ids)))
    if adjusted:
        raw = adjust_prices(raw)

    parts = []
    for source in dict.fromkeys(iv for iv in sources.values() if iv is not None):
        wanted = [n for n, s in enumerate(ids) if sources[s] == source]
        group = raw[np.isin(positions, wanted)]
        parts.append(group if source == interval else resample_bars(group, interval))
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else (parts[0] if parts else raw)
    if not frame["symbol"].cat.codes.is_monotonic_increasing:  # rows come by instrument id, each in ts order
        frame = frame.sort_values(["symbol", "ts"], kind="stable")
    frame = frame.loc[:, ["symbol", "ts", *fields]].reset_index(drop=True)
    closes = pd.Timestamp.now(tz="UTC") if now is None else now
    window_end = closes if end is None else min(end, closes)
    if "trade_count" in frame:
        frame["trade_count"] = frame["trade_count"].round().astype("Int64")
    frame["partial"] = mark_partial(frame["ts"], interval, window_start=start, window_end=window_end)
    return BarsResult(interval=interval, frame=frame, source_intervals=sources)


def _ts_window(start: pd.Timestamp | None, end: pd.Timestamp | None) -> dict:
    window = {}
    if start is not None:
        window["ts__gte"] = start.to_pydatetime()
    if end is not None:
        window["ts__lt"] = end.to_pydatetime()
    return window


def _bar_rows(
    sources: dict[int, str | None],
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    cols: list[str],
    max_rows: int | None,
) -> pd.DataFrame:
    """One query for every instrument, each at its own source interval, ordered by (instrument, ts)."""
    by_interval: dict[str, list[int]] = {}
    for pk, iv in sources.items():
        if iv is not None:
            by_interval.setdefault(iv, []).append(pk)
    columns = ["instrument_id", "ts", *cols]
    if not by_interval:
        return _empty_bars(columns)
    which = Q()
    for iv, pks in by_interval.items():
        which |= Q(interval=iv, instrument_id__in=pks)
    qs = Bar.objects.filter(which, **_ts_window(start, end)).order_by("instrument_id", "ts")
    if max_rows is not None:
        qs = qs[: max_rows + 1]
    if connection.vendor == "postgresql":
        frame = _bar_rows_pg_binary(qs, cols)
        if max_rows is not None and len(frame) > max_rows:
            raise RangeTooLargeError(max_rows)
        return frame if len(frame) else _empty_bars(columns)
    rows = _fetch(qs.values_list("instrument_id", "ts", *cols))
    if max_rows is not None and len(rows) > max_rows:
        raise RangeTooLargeError(max_rows)
    if not rows:
        return _empty_bars(columns)
    frame = pd.DataFrame.from_records(rows, columns=columns, coerce_float=True)
    frame["ts"] = _utc_column(frame["ts"])
    for c in cols:
        frame[c] = frame[c].astype(np.float64)  # nullable columns arrive as object with None
    return frame


def _bar_rows_pg_binary(qs, cols: list[str]) -> pd.DataFrame:
    """PostgreSQL: one row per instrument whose columns are the instrument's whole series packed
    server-side into one bytea each (`string_agg` of `int8send`/`float8send`, in time order), which
    numpy reads with `frombuffer` — no Python object per value. Row-by-row fetching (or COPY TO,
    which psycopg hands over one row at a time) cost seconds for a million bars."""
    floats = {f"v_{c}": Coalesce(Cast(c, FloatField()), Value(float("nan"))) for c in cols}
    qs = qs.annotate(ts_us=_EpochMicros("ts"), **floats)
    sql, params = qs.values_list("instrument_id", "ts_us", *floats).query.sql_with_params()
    packed = ", ".join(
        [
            "string_agg(int8send(ts_us), ''::bytea ORDER BY ts_us)",
            *(f"string_agg(float8send({name}), ''::bytea ORDER BY ts_us)" for name in floats),
        ]
    )
    grouped = (
        f"SELECT instrument_id, {packed} FROM ({sql}) AS q GROUP BY instrument_id ORDER BY instrument_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(grouped, params)
        series = cursor.fetchall()
    if not series:
        return pd.DataFrame()
    lengths = [len(row[1]) // 8 for row in series]
    frame = pd.DataFrame({"instrument_id": np.repeat([row[0] for row in series], lengths).astype(np.int64)})
    ts_us = np.concatenate([np.frombuffer(row[1], dtype=">i8") for row in series]).astype(np.int64)
    frame["ts"] = pd.to_datetime(ts_us, unit="us", utc=True)
    for k, c in enumerate(cols, start=2):
        frame[c] = np.concatenate([np.frombuffer(row[k], dtype=">f8") for row in series]).astype(np.float64)
    return frame


class _EpochMicros(Func):
    """PostgreSQL: microseconds since the epoch as a bigint. Django's timestamptz loader parses
    each value in Python and was most of the time to read a million bars; integers become
    datetime64 in one vectorized step."""

    template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"
    output_field = BigIntegerField()


def _empty_bars(columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=np.float64) for c in columns})
    frame["instrument_id"] = frame["instrument_id"].astype(np.int64)
    frame["ts"] = pd.Series(pd.DatetimeIndex([], tz="UTC"))
    return frame


def _fetch(qs) -> list[tuple]:
    """The queryset's rows straight from the cursor: Django's row iterator and per-row converters
    are the slow part of reading a million bars."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _utc_column(values) -> pd.Series:
    # PostgreSQL hands back aware datetimes; SQLite naive UTC datetimes, or ISO text from aggregates.
    return pd.Series(pd.to_datetime(pd.Series(values), utc=True, format="ISO8601"))


# --- Latest values ---------------------------------------------------------------------------------
# PostgreSQL bars: the latest bar table (models/latest.py), kept by triggers, read by primary key.
# Without those triggers (a TimescaleDB hypertable), and for quotes: a LATERAL top-1 per instrument
# (and per interval for bars) walks the primary key backwards once each, where DISTINCT ON would
# read every row of every instrument. SQLite: GROUP BY with MAX(ts), whose bare columns SQLite takes
# from the row holding the maximum.

# One row per instrument already picked by the triggers (latest start, on a tie the finer interval),
# in the probe's row shape and order: 500 instruments in ~0.3 ms of SQL against ~4.7 ms of probes.
_LATEST_BARS_TABLE_PG = """
SELECT instrument_id, interval, (extract(epoch FROM ts) * 1000000)::bigint, close
FROM {table} WHERE instrument_id = ANY(%s::bigint[]) ORDER BY instrument_id
"""
# The triggers of migration 0006 that keep the table; all four installed and enabled, or the table
# cannot be trusted.
LATEST_BAR_TRIGGERS = (
    "marketdata_latestbar_insert",
    "marketdata_latestbar_update",
    "marketdata_latestbar_delete",
    "marketdata_latestbar_truncate",
)
_LATEST_BAR_TRIGGERS_PG = """
SELECT count(*) FROM pg_trigger
WHERE tgrelid = to_regclass(%s) AND tgname = ANY(%s) AND tgenabled <> 'D'
"""

# The PostgreSQL probe ends in one row per instrument: the latest start, on a tie the finer interval
# (the ORDER BY's position in INTERVALS_FINEST_FIRST), so Python does no sorting.
_LATEST_BARS_PAIRS_PG = """
SELECT DISTINCT ON (p.id) p.id, b.interval, (extract(epoch FROM b.ts) * 1000000)::bigint, b.close
FROM unnest(%s::bigint[], %s::varchar[]) AS p(id, name)
CROSS JOIN LATERAL (
    SELECT interval, ts, close FROM {table}
    WHERE instrument_id = p.id AND interval = p.name ORDER BY ts DESC LIMIT 1
) AS b
ORDER BY p.id, b.ts DESC, array_position(%s::varchar[], b.interval)
"""
_INTERVALS_PRESENT_PG = """
SELECT i.id, iv.name
FROM unnest(%s::bigint[]) AS i(id)
CROSS JOIN unnest(%s::varchar[]) AS iv(name)
WHERE EXISTS (SELECT 1 FROM {table} WHERE instrument_id = i.id AND interval = iv.name)
"""
_LATEST_BARS_SQLITE = """
SELECT instrument_id, interval, MAX(ts), close FROM {table}
WHERE instrument_id IN ({marks}) GROUP BY instrument_id, interval
"""
_LATEST_QUOTES_PG = """
SELECT i.id, q.ts, q.bid, q.ask, q.bid_size, q.ask_size
FROM unnest(%s::bigint[]) AS i(id)
CROSS JOIN LATERAL (
    SELECT ts, bid, ask, bid_size, ask_size FROM {table}
    WHERE instrument_id = i.id ORDER BY ts DESC LIMIT 1
) AS q
"""
_LATEST_QUOTES_SQLITE = """
SELECT instrument_id, MAX(ts), bid, ask, bid_size, ask_size FROM {table}
WHERE instrument_id IN ({marks}) GROUP BY instrument_id
"""


# Whether the latest bar table is kept, per database name: asked once per process (only a migration,
# or dropping the triggers by hand, changes the answer; `latest_bar_table_forget` asks again).
_latest_bar_table_kept: dict[str, bool] = {}


def latest_bar_table_kept() -> bool:
    """PostgreSQL: are the triggers that keep `marketdata_latestbar` installed and enabled?"""
    name = connection.settings_dict["NAME"]
    kept = _latest_bar_table_kept.get(name)
    if kept is None:
        found = _raw(_LATEST_BAR_TRIGGERS_PG, [Bar._meta.db_table, list(LATEST_BAR_TRIGGERS)])[0][0]
        kept = _latest_bar_table_kept[name] = found == len(LATEST_BAR_TRIGGERS)
    return kept


def latest_bar_table_forget() -> None:
    """Forget the cached answer of latest_bar_table_kept (tests that drop or restore the triggers)."""
    _latest_bar_table_kept.clear()


# The fallback, when the table is not kept.
# Which intervals each instrument has bars at, so the PostgreSQL probe walks only those: one index
# probe per interval an instrument has instead of nine (500 instruments: 13 ms → 8 ms, a sizeable
# part of a pre-trade check). Learned from the full nine-interval probe and kept per process for
# INTERVALS_TTL_SECONDS; this process's own writes extend it at once (storage.bars_upsert →
# intervals_note), so only a new interval written by another process (a feed starting 1m bars for
# an instrument that had only daily bars) can go unseen, for at most the TTL. Instruments with no
# bars are not cached: their first bars are seen on the next read.
INTERVALS_TTL_SECONDS = 30.0
INTERVALS_FINEST_FIRST = sorted(INTERVALS, key=interval_seconds)
_known_intervals: dict[int, tuple[float, frozenset[str]]] = {}


def intervals_note(ids: Iterable[int], interval: str) -> None:
    """Record that these instruments now have bars at `interval` (called by the bar writer)."""
    for i in ids:
        entry = _known_intervals.get(int(i))
        if entry is not None:
            _known_intervals[int(i)] = (entry[0], entry[1] | {interval})


def _latest_bar_rows_pg(ids: Sequence[int]) -> list[tuple]:
    """(instrument_id, interval, ts as integer µs since the epoch, close), one row per instrument
    with bars, by instrument id."""
    if latest_bar_table_kept():
        return _raw(_LATEST_BARS_TABLE_PG.format(table=LatestBar._meta.db_table), [int_array(ids)])
    return _latest_bar_rows_probe_pg(ids)


def _latest_bar_rows_probe_pg(ids: Sequence[int]) -> list[tuple]:
    table = Bar._meta.db_table
    now = time.monotonic()
    known = {int(i): e[1] for i in ids if (e := _known_intervals.get(int(i))) is not None and e[0] > now}
    unknown = [int(i) for i in ids if int(i) not in known]
    rows: list[tuple] = []
    if unknown:
        # Which intervals exist is learned from a probe of all nine (cheap: an absent interval is one
        # failed index descent), before DISTINCT ON keeps one row per instrument.
        present = _raw(_INTERVALS_PRESENT_PG.format(table=table), [unknown, list(INTERVALS)])
        seen: dict[int, set[str]] = {}
        for i, iv in present:
            seen.setdefault(i, set()).add(iv)
        for i, intervals in seen.items():
            _known_intervals[i] = (now + INTERVALS_TTL_SECONDS, frozenset(intervals))
        known.update({i: frozenset(v) for i, v in seen.items()})
    if known:
        pairs = [(i, iv) for i, ivs in known.items() for iv in ivs]
        rows += _raw(
            _LATEST_BARS_PAIRS_PG.format(table=table),
            [[p[0] for p in pairs], [p[1] for p in pairs], INTERVALS_FINEST_FIRST],
        )
    return rows


def epoch_us(ts: pd.Series) -> np.ndarray:
    """Aware timestamps as int64 microseconds since the epoch. Through pandas, not
    `.to_numpy().astype("datetime64[us]")`: that goes via Timestamp objects and numpy warns on each
    call that datetime64 cannot hold a time zone."""
    return ts.dt.tz_convert("UTC").to_numpy("datetime64[us]").astype(np.int64)


def latest_closes(ids: Sequence[int]) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Per instrument id, in the order given, the close of its most recent bar (as latest_bars
    picks it) and that bar's start: NaN / NaT where it has no bars. Arrays, no frame: this is the
    price read of a pre-trade check."""
    ids = np.asarray(ids, dtype=np.int64)
    close = np.full(len(ids), np.nan)
    ts_us = np.full(len(ids), np.iinfo(np.int64).min)  # NaT
    if connection.vendor == "postgresql":
        rows = _latest_bar_rows_pg(ids.tolist())
        got = [np.asarray(c) for c in zip(*rows, strict=True)] if rows else None
        got_id, got_ts, got_close = (got[0], got[2], got[3]) if got else (None, None, None)
    else:
        frame = latest_bars(ids.tolist())
        got_id, got_close = frame["instrument_id"].to_numpy(), frame["close"].to_numpy()
        got_ts = epoch_us(frame["ts"])
    if got_id is not None and len(got_id):
        at = pd.Index(got_id.astype(np.int64)).get_indexer(ids)
        hit = at >= 0
        close[hit] = got_close.astype(float)[at[hit]]
        ts_us[hit] = got_ts.astype(np.int64)[at[hit]]
    return close, pd.DatetimeIndex(ts_us.astype("datetime64[us]")).tz_localize("UTC")


def latest_bars(ids: Sequence[int]) -> pd.DataFrame:
    """Per instrument its most recent bar at any interval (latest start; on a tie the finer
    interval): columns instrument_id, interval, ts, close. Instruments without bars are absent."""
    columns = ["instrument_id", "interval", "ts", "close"]
    if connection.vendor == "postgresql":
        rows = _latest_bar_rows_pg(ids)
    else:
        rows = _raw(_latest_sqlite(_LATEST_BARS_SQLITE, Bar, ids), list(ids))
    frame = pd.DataFrame.from_records(rows, columns=columns)
    if frame.empty:
        return frame
    if connection.vendor == "postgresql":
        # Already one row per instrument (DISTINCT ON); the time comes as integer microseconds since
        # the epoch, which skips psycopg building a datetime per row.
        frame["ts"] = pd.to_datetime(frame["ts"].to_numpy(dtype=np.int64), unit="us", utc=True)
        return frame
    frame["ts"] = _utc_column(frame["ts"])
    frame["_len"] = frame["interval"].map(interval_seconds)
    frame = frame.sort_values(["instrument_id", "ts", "_len"], ascending=[True, False, True])
    return frame.drop_duplicates("instrument_id").drop(columns="_len").reset_index(drop=True)


def latest_quotes(ids: Sequence[int]) -> pd.DataFrame:
    """Per instrument its most recent quote: instrument_id, ts, bid, ask, bid_size, ask_size."""
    columns = ["instrument_id", "ts", "bid", "ask", "bid_size", "ask_size"]
    if connection.vendor == "postgresql":
        rows = _raw(_LATEST_QUOTES_PG.format(table=Quote._meta.db_table), [list(ids)])
    else:
        rows = _raw(_latest_sqlite(_LATEST_QUOTES_SQLITE, Quote, ids), list(ids))
    frame = pd.DataFrame.from_records(rows, columns=columns)
    if not frame.empty:
        frame["ts"] = _utc_column(frame["ts"])
    return frame


def _latest_sqlite(template: str, model, ids: Sequence[int]) -> str:
    return template.format(table=model._meta.db_table, marks=",".join(["%s"] * len(ids)) or "NULL")


def _raw(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- Point in time ---------------------------------------------------------------------------------


def fundamentals_as_of(*, ids: dict[str, int], fields: Sequence[str], as_of: pd.Timestamp) -> pd.DataFrame:
    """Per (symbol, field) the figure for the latest period reported by `as_of`, in its latest
    version reported by then: a restatement published after `as_of` is invisible. Columns
    symbol, field, period, period_end, reported_at, value."""
    columns = ["instrument_id", "field", "period", "period_end", "reported_at", "value"]
    qs = Fundamental.objects.filter(
        instrument_id__in=list(ids.values()), field__in=list(fields), reported_at__lte=as_of.to_pydatetime()
    ).order_by("instrument_id", "field", "-period_end", "-reported_at")
    if connection.vendor == "postgresql":
        qs = qs.distinct("instrument_id", "field")  # only the first row of each group travels
    frame = pd.DataFrame.from_records(list(qs.values_list(*columns)), columns=columns)
    frame = frame.drop_duplicates(["instrument_id", "field"], keep="first")
    symbol_of = {pk: s for s, pk in ids.items()}
    frame.insert(0, "symbol", frame.pop("instrument_id").map(symbol_of))
    if not frame.empty:
        frame["reported_at"] = _utc_column(frame["reported_at"])
    return frame.reset_index(drop=True)


def series_as_of(
    *, code: str, as_of: pd.Timestamp, start: dt.date | None = None, end: dt.date | None = None
) -> pd.Series:
    """Each observation date's value in its latest version known at `as_of` (revisions published
    later are invisible; a date first published after `as_of` is absent). Index: UTC midnight of
    each date, named `date`; NaN where a value was released as missing."""
    series = EconomicSeries.objects.filter(code__iexact=(code or "").strip()).first()
    if series is None:
        raise UnknownSeriesError(f"unknown economic series {code!r}")
    qs = SeriesObservation.objects.filter(series=series, known_at__lte=as_of.to_pydatetime())
    if start is not None:
        qs = qs.filter(date__gte=start)
    if end is not None:
        qs = qs.filter(date__lte=end)
    rows = list(qs.order_by("date", "known_at").values_list("date", "value"))
    frame = pd.DataFrame.from_records(rows, columns=["date", "value"]).drop_duplicates("date", keep="last")
    index = pd.DatetimeIndex(pd.to_datetime(frame["date"]), name="date").tz_localize("UTC")
    return pd.Series(
        frame["value"].to_numpy(dtype=np.float64, na_value=np.nan), index=index, name=series.code
    )


def fx_latest_both(
    *, base: str, quote: str, at: pd.Timestamp
) -> tuple[tuple[pd.Timestamp, float] | None, tuple[pd.Timestamp, float] | None]:
    """The latest stored (ts, rate) at or before `at` of the pair base/quote as stored and of its
    inverse quote/base (None where there is none), in one round trip (four index probes)."""
    table = FxRate._meta.db_table
    probe = (
        f"(SELECT {{col}} FROM {table} WHERE base = %s AND quote = %s AND ts <= %s ORDER BY ts DESC LIMIT 1)"
    )
    sql = "SELECT " + ", ".join([probe.format(col="ts"), probe.format(col="rate")] * 2)
    when = at.to_pydatetime()
    row = _raw(sql, [base, quote, when] * 2 + [quote, base, when] * 2)[0]
    direct = None if row[0] is None else (utc(row[0]), float(row[1]))
    inverse = None if row[2] is None else (utc(row[2]), float(row[3]))
    return direct, inverse
