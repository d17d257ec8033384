"""Bulk writes of market-data frames: idempotent upserts keyed by each table's natural primary key.

    bars_upsert(frame, interval="1d")   # -> rows inserted or updated

PostgreSQL: the frame is streamed with `COPY` into a TEMP staging table, then moved with one
`INSERT ... SELECT ... ON CONFLICT (pk) DO UPDATE`, so loading the same file twice leaves the same
rows and a corrected file updates values. New data — the common bulk load, where no stored row of
these instruments falls inside the frame's time range (one index probe tells) — skips the staging
table and the conflict handling: it is COPYed straight into the table, about 3x faster; should a
concurrent load slip rows in between, the unique violation rolls back to a savepoint and the
upsert path runs instead. Numeric tables use binary COPY built by numpy in one
vectorized pass (no per-row Python); tables with text columns use CSV COPY. SQLite: `executemany`
of `INSERT ... ON CONFLICT DO UPDATE`. Either way the whole frame is written in one transaction.

The frames are expected to be validated already (apps.marketdata.selectors.ingest); the database's
CHECK constraints remain the last line of defence. Within one frame the last row for a key wins.
Nullable float columns take NaN for "missing" (stored as NULL).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.db import connection, transaction

from ...models import INTERVALS
from ...selectors.latest import intervals_note
from .bar_versions import bars_changed_on_commit
from .postgres import pg_upsert
from .sqlite import sqlite_upsert
from .tables import BARS, FUNDAMENTALS, FX_RATES, OBSERVATIONS, QUOTES, TRADES, TableSpec, prepare


def bars_upsert(frame: pd.DataFrame, *, interval: str) -> int:
    """Columns: instrument_id, ts (tz-aware UTC), open, high, low, close, adj_close, volume, vwap,
    trade_count (the last three and adj_close may be missing or NaN)."""
    if interval not in INTERVALS:
        raise ValueError(f"unknown interval {interval!r}; use one of {', '.join(INTERVALS)}")
    written = _upsert(BARS, frame, constants={"interval": interval})
    if len(frame):
        instruments = pd.unique(frame["instrument_id"])
        intervals_note(instruments, interval)
        bars_changed_on_commit(instruments)
    return written


def quotes_upsert(frame: pd.DataFrame) -> int:
    """Columns: instrument_id, ts, bid, ask, bid_size, ask_size."""
    return _upsert(QUOTES, frame)


def trades_upsert(frame: pd.DataFrame) -> int:
    """Columns: instrument_id, ts, seq, price, size."""
    return _upsert(TRADES, frame)


def observations_upsert(frame: pd.DataFrame) -> int:
    """Columns: series_id, date, known_at, value (NaN: released as missing)."""
    return _upsert(OBSERVATIONS, frame)


def fundamentals_upsert(frame: pd.DataFrame) -> int:
    """Columns: instrument_id, field, period, period_end, reported_at, value."""
    return _upsert(FUNDAMENTALS, frame)


def fx_upsert(frame: pd.DataFrame) -> int:
    """Columns: base, quote, ts, rate (units of quote per one base)."""
    return _upsert(FX_RATES, frame)


def bars_bulk_create(frame: pd.DataFrame, *, interval: str, batch_size: int = 5000) -> int:
    """The ORM path (model instances + bulk_create with update_conflicts). Only the bench uses it,
    as the baseline the COPY path is measured against."""
    from ...models import Bar

    frame = prepare(BARS, frame)
    records = frame.replace({np.nan: None}).to_dict("records")
    objs = [
        Bar(
            instrument_id=r["instrument_id"],
            interval=interval,
            ts=r["ts"].to_pydatetime(),
            open=r["open"],
            high=r["high"],
            low=r["low"],
            close=r["close"],
            adj_close=r["adj_close"],
            volume=r["volume"],
            vwap=r["vwap"],
            trade_count=None if r["trade_count"] is None else int(r["trade_count"]),
        )
        for r in records
    ]
    with transaction.atomic():
        Bar.objects.bulk_create(
            objs,
            batch_size=batch_size,
            update_conflicts=True,
            unique_fields=["instrument", "interval", "ts"],
            update_fields=["open", "high", "low", "close", "adj_close", "volume", "vwap", "trade_count"],
        )
    return len(objs)


def _upsert(spec: TableSpec, frame: pd.DataFrame, *, constants: dict | None = None) -> int:
    constants = constants or {}
    frame = prepare(spec, frame)
    if frame.empty:
        return 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            return pg_upsert(spec, frame, constants)
        return sqlite_upsert(spec, frame, constants)
