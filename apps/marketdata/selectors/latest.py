"""Latest values: the most recent bar and quote per instrument (the snapshot and the price read of a
pre-trade check)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from django.db import connection

from apps.platform.sql import int_array

from ..models import INTERVALS, Bar, LatestBar, Quote, interval_seconds
from .rows import raw, utc_column

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
        found = raw(_LATEST_BAR_TRIGGERS_PG, [Bar._meta.db_table, list(LATEST_BAR_TRIGGERS)])[0][0]
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
        return raw(_LATEST_BARS_TABLE_PG.format(table=LatestBar._meta.db_table), [int_array(ids)])
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
        present = raw(_INTERVALS_PRESENT_PG.format(table=table), [unknown, list(INTERVALS)])
        seen: dict[int, set[str]] = {}
        for i, iv in present:
            seen.setdefault(i, set()).add(iv)
        for i, intervals in seen.items():
            _known_intervals[i] = (now + INTERVALS_TTL_SECONDS, frozenset(intervals))
        known.update({i: frozenset(v) for i, v in seen.items()})
    if known:
        pairs = [(i, iv) for i, ivs in known.items() for iv in ivs]
        rows += raw(
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
        rows = raw(_latest_sqlite(_LATEST_BARS_SQLITE, Bar, ids), list(ids))
    frame = pd.DataFrame.from_records(rows, columns=columns)
    if frame.empty:
        return frame
    if connection.vendor == "postgresql":
        # Already one row per instrument (DISTINCT ON); the time comes as integer microseconds since
        # the epoch, which skips psycopg building a datetime per row.
        frame["ts"] = pd.to_datetime(frame["ts"].to_numpy(dtype=np.int64), unit="us", utc=True)
        return frame
    frame["ts"] = utc_column(frame["ts"])
    frame["_len"] = frame["interval"].map(interval_seconds)
    frame = frame.sort_values(["instrument_id", "ts", "_len"], ascending=[True, False, True])
    return frame.drop_duplicates("instrument_id").drop(columns="_len").reset_index(drop=True)


def latest_quotes(ids: Sequence[int]) -> pd.DataFrame:
    """Per instrument its most recent quote: instrument_id, ts, bid, ask, bid_size, ask_size."""
    columns = ["instrument_id", "ts", "bid", "ask", "bid_size", "ask_size"]
    if connection.vendor == "postgresql":
        rows = raw(_LATEST_QUOTES_PG.format(table=Quote._meta.db_table), [list(ids)])
    else:
        rows = raw(_latest_sqlite(_LATEST_QUOTES_SQLITE, Quote, ids), list(ids))
    frame = pd.DataFrame.from_records(rows, columns=columns)
    if not frame.empty:
        frame["ts"] = utc_column(frame["ts"])
    return frame


def _latest_sqlite(template: str, model, ids: Sequence[int]) -> str:
    return template.format(table=model._meta.db_table, marks=",".join(["%s"] * len(ids)) or "NULL")
