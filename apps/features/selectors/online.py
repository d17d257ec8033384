"""Online retrieval: the latest stored value of many features for many instruments, in one query.

Read from the latest-value table (models/latest.py), which the store's writes keep in their own
transaction: each series' value at the end of the range it covers in its block, the last value a
read of `stored_values` gives for that series. The matching rows come back aggregated into one bytea of
28-byte records (the table's generated `packed` column) that numpy decodes with one `frombuffer`;
fetched row by row, 5,000 rows cost 10-25 ms in Python objects (timestamps most).

The store, measured before choosing it: 500 instruments x 200 definitions (100,000 latest values),
a read of 100 instruments x 50 definitions spread over the 200 (every 4th id, the slower layout for
the range scans below), every variant in turn in one loop, 400 rounds, on this 2-core machine while
other jobs kept it busy (load 1.5-2), p50 / p99:

| store and read | p50 | p99 |
|---|---|---|
| this table, the read below | 7.1 ms | 11.5 ms |
| the same with the numbers' JSON text (the API's read) | 7.5 ms | 12.4 ms |
| this table, `instrument_id = ANY(..) AND definition_id = ANY(..)` as PostgreSQL plans it | 10.7 ms | 17.9 ms |
| this table, one index descent per pair, binary COPY out (one Python chunk per row) | 14.1 ms | 23.6 ms |
| Redis, a hash per instrument (field: definition id, value: packed ts + value), one Lua script doing the 100 HMGETs and returning one string | 6.7 ms | 12.7 ms |
| Redis, the same hashes, 100 pipelined HMGETs (redis-py parses 5,000 replies without hiredis) | 14.5 ms | 25.9 ms |
| the stored rows: each series' newest row in `features_row` (LATERAL, ORDER BY ts DESC LIMIT 1) | 18.2 ms | 28.6 ms |

Redis's best read is as fast as the table's, not faster: the same order of work (5,000 lookups) on
either side of a local socket. The table is written in the store's own transaction; Redis would be
written after commit, so it would need ordering between concurrent writers, a way to tell stale
values after an outage during which writes could not reach it, and a fallback read. Nothing here
needs Redis for speed, so the table it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import connection

from ..models import FeatureDefinition
from .values import known_at

# Timestamps travel as PostgreSQL's microseconds since 2000-01-01 UTC.
_PG_EPOCH_US = 946_684_800_000_000
_NAT = np.iinfo(np.int64).min
_FIXED_INTERVAL_RE = re.compile(r"^(\d+)(m|h|d|w)$")
_NUMPY_UNITS = {"m": "m", "h": "h", "d": "D", "w": "W"}
_RECORD = np.dtype([("instrument", ">i4"), ("definition", ">i8"), ("ts", ">i8"), ("value", ">f8")])
# Per instrument, one primary-key range scan per run of asked definition ids (ids split where they
# are more than _GAP apart), each asked id kept by a filter the index does not see (`+ 0`). Measured
# for 100 instruments holding 200 definitions each (server time, this busy 2-core machine): 50 ids of
# one block 1.5 ms, 50 ids spread over 200 3.4 ms, 10 ids spread over 200 1.7 ms. The alternatives:
# one descent per asked pair (`definition_id = ANY` as an index condition) 4.3 / 5.4 / 1.0 ms, one
# range per instrument 1.5 / 3.9 / 3.3 ms, and the flat `instrument_id = ANY(..) AND definition_id =
# ANY(..)`, which PostgreSQL planned as a bitmap scan of every row of the instruments or, with other
# statistics, a sequential scan: 9-45 ms. OFFSET 0 keeps the subquery from being flattened, so the
# plan is this one whatever the statistics say.
_GAP = 4
_READ = (
    "SELECT string_agg(x.packed, ''::bytea){text} FROM unnest(%s::int[]) AS i(id)"
    " CROSS JOIN unnest(%s::bigint[], %s::bigint[]) AS r(lo, hi)"
    " CROSS JOIN LATERAL (SELECT packed, value_text FROM features_latest l"
    " WHERE l.instrument_id = i.id AND l.definition_id BETWEEN r.lo AND r.hi"
    " AND (l.definition_id + 0) = ANY(%s::bigint[]) OFFSET 0) x"
)
# `packed` and `value_text` are generated columns (models/latest.py). Both aggregates of one query
# level are fed the same rows in the same order (one pass), so the k-th text is the k-th record's.
_TEXT = ", string_agg(x.value_text, ',')"


@dataclass(frozen=True)
class LatestValues:
    """The latest values of `features` (labels "name@version", columns) for `symbols` (rows).

    `values` is (symbols, features) float64, NaN where nothing is stored for the pair (or the stored
    value is NaN: warm-up); `ts` is the start of the bar each value belongs to and `known_at` when it
    became known (the bar's close), both datetime64[us] UTC, NaT where nothing is stored."""

    symbols: tuple[str, ...]
    features: tuple[str, ...]
    values: np.ndarray
    ts: np.ndarray
    known_at: np.ndarray
    value_text: np.ndarray | None = None  # asked with number_text=True: (symbols, features) object array
    rendered: tuple | None = None  # asked with a renderer (online_cache.py): what it made of each row

    def frame(self) -> pd.DataFrame:
        """The values, indexed by symbol, one column per feature."""
        return pd.DataFrame(self.values, index=pd.Index(self.symbols, name="symbol"), columns=self.features)

    def known_at_frame(self) -> pd.DataFrame:
        """When each value became known (tz-aware UTC), shaped as `frame()`."""
        return pd.DataFrame(
            {f: pd.DatetimeIndex(self.known_at[:, k], tz="UTC") for k, f in enumerate(self.features)},
            index=pd.Index(self.symbols, name="symbol"),
        )


def _id_runs(ids: np.ndarray) -> tuple[list[int], list[int]]:
    """Sorted `ids` cut into runs where consecutive ids are more than _GAP apart: (firsts, lasts)."""
    ordered = np.sort(ids)
    runs = np.split(ordered, np.flatnonzero(np.diff(ordered) > _GAP) + 1)
    return [int(r[0]) for r in runs], [int(r[-1]) for r in runs]


def _read(instrument_ids: list[int], definition_ids: np.ndarray, text: bool) -> tuple[np.ndarray, list[str]]:
    firsts, lasts = _id_runs(definition_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            _READ.format(text=_TEXT if text else ""),
            [instrument_ids, firsts, lasts, definition_ids.tolist()],
        )
        row = cursor.fetchone()
    if not row[0]:
        return np.empty(0, dtype=_RECORD), []
    return np.frombuffer(row[0], dtype=_RECORD), (row[1].split(",") if text else [])


def _positions(wanted: np.ndarray, got: np.ndarray) -> np.ndarray:
    """Index into `wanted` (unique ids, any order) of each id in `got` (all present in `wanted`)."""
    order = np.argsort(wanted, kind="stable")
    return order[np.searchsorted(wanted, got, sorter=order)]


def _bar_length(interval: str) -> np.timedelta64 | None:
    """A fixed-length interval ("15m", "1h", "1d", "1w") as a timedelta; None for months."""
    m = _FIXED_INTERVAL_RE.match(interval)
    return np.timedelta64(int(m.group(1)), _NUMPY_UNITS[m.group(2)]) if m else None


def known_at_columns(ts: np.ndarray, definitions: Sequence[FeatureDefinition]) -> np.ndarray:
    """`ts` + each column's definition interval (the bar's close); NaT stays NaT. Fixed-length
    intervals add in numpy; months (calendar lengths) go through `values.known_at`."""
    out = np.full(ts.shape, np.datetime64("NaT"), dtype="datetime64[us]")
    intervals: dict[str, list[int]] = {}
    for k, d in enumerate(definitions):
        intervals.setdefault(d.interval, []).append(k)
    for interval, columns in intervals.items():
        block = ts[:, columns]
        length = _bar_length(interval)
        if length is not None:
            out[:, columns] = block + length
        else:
            closes = known_at(block.ravel(), interval).to_numpy(dtype="datetime64[us]")
            out[:, columns] = closes.reshape(block.shape)
    return out


def latest_values(
    *, definitions: Sequence[FeatureDefinition], instruments: Mapping[str, int], number_text: bool = False
) -> LatestValues:
    """The latest stored value of each of `definitions` for each instrument of `instruments`
    ({symbol: marketdata instrument id}, rows in that order). One query. `number_text`: also each
    value as JSON number text, written by the database (`value_text`)."""
    symbols = tuple(instruments)
    definitions = list({d.pk: d for d in definitions}.values())
    inst_ids = np.fromiter(instruments.values(), dtype=np.int64, count=len(symbols))
    def_ids = np.fromiter((d.pk for d in definitions), dtype=np.int64, count=len(definitions))
    shape = (len(symbols), len(definitions))
    values = np.full(shape, np.nan)
    ts_us = np.full(shape, _NAT, dtype=np.int64)
    text = np.full(shape, None, dtype=object) if number_text else None
    if len(inst_ids) and len(def_ids):
        rec, texts = _read(inst_ids.tolist(), def_ids, number_text)
        if len(rec):
            rows = _positions(inst_ids, rec["instrument"].astype(np.int64))
            columns = _positions(def_ids, rec["definition"].astype(np.int64))
            values[rows, columns] = rec["value"]
            ts_us[rows, columns] = rec["ts"].astype(np.int64) + _PG_EPOCH_US
            if text is not None:
                text[rows, columns] = texts
                text[~np.isfinite(values)] = None  # NaN, Infinity: no JSON number
    ts = ts_us.astype("datetime64[us]")
    return LatestValues(
        symbols=symbols,
        features=tuple(d.label for d in definitions),
        values=values,
        ts=ts,
        known_at=known_at_columns(ts, definitions),
        value_text=text,
    )
