"""Point-in-time retrieval (Feast's point-in-time join, done in the database): for entity rows
(symbol, ts) each feature's value as it was known at ts.

A stored value at bar start `b` is known at `b + interval` (the bar's close, models/store.py). For an
entity row at `t` a feature takes the value of the latest bar of that instrument with
`t - ttl < known_at <= t`; none (or only an older one) leaves it NaN, missing rather than stale.

How: the entity rows go into a temporary table with one binary COPY (sorted by instrument and ts, so
the index lookups below walk the store in order). Then one query per block of the store: each entity
row joins, LATERAL, the block's latest row for its instrument inside the window — one backward
step of the (columns_id, instrument_id, ts) primary key index, `LIMIT 1` — selecting only the
positions asked for; the matches come back as a binary COPY decoded by numpy (kernels/copy_binary.py)
and are scattered into the entity rows' order. Only matched rows travel: an entity row without a
value in the window costs an index probe and nothing else.

The series pointer decides where a (definition, instrument) is read from, and over which bars: a
block can still hold an instrument's values of a definition that has since moved to another block,
or moved back over a shorter range (another definition of the block keeps those rows alive); they
are not read. (A stale row after the end of a series' range hides the in-range one before it for
that feature: the join takes one row per block, and a series' range only ends before its block's
rows when a definition moves back into a block with a shorter window.)

The window bound sent to SQL is the block's largest TTL; each feature's own TTL is applied to the
known_at of its match in numpy. Month bars have no fixed length: their index bounds are loose
(28 and 31 days a month) and the exact condition on `ts + interval` is checked beside them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction

from apps.marketdata import facade as marketdata

from ..kernels.copy_binary import entities_encode, selection_decode
from ..models import FeatureColumns, FeatureDefinition, FeatureSeries
from .values import known_at, pg_interval

_TEMP = "features_pit_entities"
_INTERVAL_RE = re.compile(r"^(\d+)(mo|m|h|d|w)$")
_FIXED = {
    "m": pd.Timedelta(minutes=1),
    "h": pd.Timedelta(hours=1),
    "d": pd.Timedelta(days=1),
    "w": pd.Timedelta(weeks=1),
}
KNOWN_AT_SUFFIX = ".known_at"


def bar_length(interval: str) -> pd.Timedelta:
    """A bar interval as a duration; a month counts as 31 days (so "5 bars" never hides a value five
    monthly bars old)."""
    m = _INTERVAL_RE.match(interval)
    if not m:
        raise ValueError(f"unknown interval {interval!r}")
    n, unit = int(m.group(1)), m.group(2)
    return n * (pd.Timedelta(days=31) if unit == "mo" else _FIXED[unit])


def default_ttl(interval: str) -> pd.Timedelta:
    """FEATURES_TTL_BARS bars of `interval`."""
    return settings.FEATURES_TTL_BARS * bar_length(interval)


def _index_spans(interval: str) -> tuple[str, str]:
    """(upper, lower) bounds on a bar start that the index can use: `ts <= t - upper` holds for every
    bar known by t, `ts > t - ttl - lower` for every bar known after t - ttl. Exact for fixed
    intervals; for months a month is at least 28 and at most 31 days."""
    m = _INTERVAL_RE.match(interval)
    if m and m.group(2) == "mo":
        n = int(m.group(1))
        return f"{28 * n} days", f"{31 * n} days"
    exact = pg_interval(interval)
    return exact, exact


def entity_ts_ns(ts) -> np.ndarray:
    """Entity timestamps (naive = UTC) as int64 UTC nanoseconds; ValueError for a missing one."""
    index = pd.DatetimeIndex(pd.to_datetime(ts, utc=True))
    if index.hasnans:
        raise ValueError("entities.ts has missing timestamps")
    return index.as_unit("ns").asi8


def ttl_by_label(definitions: Sequence[FeatureDefinition], ttl=None) -> dict[str, pd.Timedelta]:
    """Each definition's TTL: `ttl` for all (a Timedelta or its text, "36h"), per feature
    ({"name@version" or "name": ttl}, the others keep theirs) or the default (None).
    ValueError names a key that is no feature asked for, or a TTL that is not positive."""
    if ttl is not None and not isinstance(ttl, Mapping):
        ttl = {d.label: ttl for d in definitions}
    given: dict[str, object] = {}
    for key, value in dict(ttl or {}).items():
        targets = [d.label for d in definitions if key in (d.label, d.name)]
        if not targets:
            raise ValueError(f"ttl names {key!r}, which is not among the features asked for")
        given.update(dict.fromkeys(targets, value))
    out = {}
    for d in definitions:
        value = pd.Timedelta(given[d.label]) if d.label in given else default_ttl(d.interval)
        if not value > pd.Timedelta(0):
            raise ValueError(f"ttl of {d.label} must be positive, not {value}")
        out[d.label] = value
    return out


def _instrument_of_rows(symbols: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Instrument id per entity row (-1: unknown symbol) and the unknown symbols as given."""
    codes, uniques = pd.factorize(symbols.astype(str), sort=False)
    normal = [s.strip().upper() for s in uniques]
    infos = marketdata.instruments_by_symbols(set(normal))
    ids = np.array([infos[s].id if s in infos else -1 for s in normal], dtype=np.int64)
    unknown = [str(u) for u, s in zip(uniques, normal, strict=True) if s not in infos]
    return (ids[codes] if len(codes) else np.empty(0, np.int64)), unknown


def _copy_out(sql: str, params: Mapping) -> bytearray:
    """A COPY ... TO STDOUT payload, kept as the buffer it was read into (no copy of ~260 MB)."""
    buf = bytearray()
    with connection.cursor() as cursor, cursor.cursor.copy(sql, params) as copy:
        for chunk in copy:
            buf += chunk
    return buf


# The plan this module is written for: per entity row, one backward walk of features_row's primary
# key. The planner picks worse ones when statistics lag a write — a block a write just created is not
# in pg_stats until ANALYZE runs, so it is estimated at one row and the columns_id index plus a sort
# looks cheaper (measured: minutes instead of seconds for 1M entity rows). The key walk is the only
# plan that needs no sort, so sorts are ruled out for these queries. Memoize misses on almost every
# row (each entity row is its own key; ~25% of the time measured), and JIT compilation pays off on
# none of them while adding its fixed cost to small ones.
PLANNER_SETTINGS = {"enable_sort": "off", "enable_memoize": "off", "jit": "off"}


@contextmanager
def entities_table(rows: np.ndarray, instruments: np.ndarray, ts_ns: np.ndarray):
    """A temporary table of the entity rows (sorted by instrument and ts) with PLANNER_SETTINGS, for
    the queries run inside; the table is dropped and the settings restored on the way out (on an
    error the transaction's rollback does both)."""
    order = np.lexsort((ts_ns, instruments))
    names = list(PLANNER_SETTINGS)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_TEMP}")
        cursor.execute(
            f"CREATE TEMP TABLE {_TEMP} (row_no int4 NOT NULL, instrument_id int4 NOT NULL, "
            "ts timestamptz NOT NULL) ON COMMIT DROP"
        )
        with cursor.cursor.copy(f"COPY {_TEMP} (row_no, instrument_id, ts) FROM STDIN (FORMAT BINARY)") as cp:
            cp.write(entities_encode(rows[order], instruments[order], ts_ns[order]))
        cursor.execute(f"ANALYZE {_TEMP}")  # temporary tables are never auto-analyzed
        cursor.execute("SELECT " + ", ".join("current_setting(%s)" for _ in names), names)
        before = cursor.fetchone()
        _set_local(cursor, names, [PLANNER_SETTINGS[n] for n in names])
        yield
        cursor.execute(f"DROP TABLE {_TEMP}")
        _set_local(cursor, names, list(before))


def _set_local(cursor, names: list[str], values: list[str]) -> None:
    pairs = [x for pair in zip(names, values, strict=True) for x in pair]
    cursor.execute("SELECT " + ", ".join("set_config(%s, %s, true)" for _ in names), pairs)


def join_select(block: FeatureColumns, positions: list[int], instruments: list[int], ttl: pd.Timedelta):
    """The SELECT (and its parameters) joining the entity table to `block`: per entity row its row
    number, the bar start of its match and the values at `positions`; unmatched rows are left out."""
    interval = pg_interval(block.interval)
    upper, lower = _index_spans(block.interval)
    columns = ", ".join(f"coalesce(m.values[{int(p)}], 'NaN'::float8)" for p in positions)
    sql = f"""
        SELECT e.row_no, m.ts, {columns}
        FROM {_TEMP} e
        CROSS JOIN LATERAL (
            SELECT r.ts, r.values
            FROM features_row r
            WHERE r.columns_id = {int(block.pk)} AND r.instrument_id = e.instrument_id
              AND r.ts <= e.ts - interval '{upper}'
              AND r.ts > e.ts - %(ttl)s::interval - interval '{lower}'
              AND r.ts + interval '{interval}' <= e.ts
              AND r.ts + interval '{interval}' > e.ts - %(ttl)s::interval
            ORDER BY r.ts DESC
            LIMIT 1
        ) m
        WHERE e.instrument_id = ANY(%(instruments)s::int[])
    """
    return sql, {"ttl": ttl.to_pytimedelta(), "instruments": instruments}


def _block_join(block: FeatureColumns, positions: list[int], instruments: list[int], ttl: pd.Timedelta):
    """(entity row numbers, bar starts datetime64[ns], (R, len(positions)) values) of the matches."""
    sql, params = join_select(block, positions, instruments, ttl)
    payload = _copy_out(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)", params)
    return selection_decode(payload, len(positions))


def _known_ns(bar_ns: np.ndarray, interval: str) -> np.ndarray:
    """known_at (the bar's close) of bar starts, in UTC nanoseconds; months as PostgreSQL adds them."""
    if not interval.endswith("mo"):
        return bar_ns + bar_length(interval).value
    return known_at(bar_ns.view("datetime64[ns]"), interval).to_numpy(dtype="datetime64[ns]").view(np.int64)


Ranges = dict[int, tuple[int, int]]  # instrument -> (first, last) bar start of a series, UTC ns


def _homes(definitions, instrument_ids) -> dict[int, dict[str, tuple[int, Ranges]]]:
    """{block: {label: (position, {instrument: the range its series of label covers there})}}."""
    by_id = {d.pk: d.label for d in definitions}
    rows = FeatureSeries.objects.filter(
        definition_id__in=list(by_id), instrument_id__in=[int(i) for i in instrument_ids]
    ).values_list("definition_id", "instrument_id", "columns_id", "position", "first_ts", "last_ts")
    out: dict[int, dict[str, tuple[int, Ranges]]] = {}
    for d, inst, block, pos, first, last in rows:
        span = (pd.Timestamp(first).value, pd.Timestamp(last).value)
        out.setdefault(block, {}).setdefault(by_id[d], (pos, {}))[1][inst] = span
    return out


def _range_bounds(here: np.ndarray, ranges: Ranges) -> tuple[np.ndarray, np.ndarray]:
    """Per instrument of `here` (sorted) the first and last bar start a label may be read at;
    an instrument whose series of the label lives elsewhere gets an empty range."""
    lo = np.full(len(here), np.iinfo(np.int64).max)
    hi = np.full(len(here), np.iinfo(np.int64).min)
    slots = np.searchsorted(here, list(ranges))
    lo[slots] = [first for first, _ in ranges.values()]
    hi[slots] = [last for _, last in ranges.values()]
    return lo, hi


def _join_blocks(homes, ttls, inst, ts_ns, values: dict, known: dict) -> None:
    """Each block's matches scattered into `values` / `known` (per label, in entity row order),
    keeping a label only where its series points: this block, within the range the series covers
    (a block can hold rows of a label from before the series last moved), and its own TTL."""
    blocks = FeatureColumns.objects.in_bulk(list(homes))
    for block_id, wanted in homes.items():
        labels = sorted(wanted, key=lambda lb: wanted[lb][0])
        here = np.array(sorted(set().union(*(wanted[lb][1] for lb in labels))), dtype=np.int64)
        window = max(ttls[lb] for lb in labels)
        block = blocks[block_id]
        hit, bar_ts, got = _block_join(block, [wanted[lb][0] for lb in labels], here.tolist(), window)
        bar_ns = bar_ts.view(np.int64)
        known_ns = _known_ns(bar_ns, block.interval)
        slot, age = np.searchsorted(here, inst[hit]), ts_ns[hit] - known_ns
        for k, label in enumerate(labels):
            lo, hi = _range_bounds(here, wanted[label][1])
            keep = (age < ttls[label].value) & (bar_ns >= lo[slot]) & (bar_ns <= hi[slot])
            values[label][hit[keep]] = got[keep, k]
            known[label][hit[keep]] = known_ns[keep]


def point_in_time(
    definitions: Sequence[FeatureDefinition],
    entities: pd.DataFrame,
    ttl: Mapping[str, pd.Timedelta] | pd.Timedelta | None = None,
    *,
    with_known_at: bool = False,
) -> pd.DataFrame:
    """The entity rows (columns symbol, ts; naive ts = UTC) in their order, with one column per
    definition ("name@version") holding its value known at ts within its TTL (NaN otherwise) and,
    `with_known_at`, a "name@version.known_at" column with when that value became known (NaT).
    `ttl`: one Timedelta for all features, {label: Timedelta} for some, None for the default
    (FEATURES_TTL_BARS bars). Unknown symbols give rows of NaN and are listed in
    `frame.attrs["unknown_symbols"]`."""
    missing = [c for c in ("symbol", "ts") if c not in entities.columns]
    if missing:
        raise ValueError(f"entities need the columns symbol and ts; missing: {', '.join(missing)}")
    definitions = list({d.label: d for d in definitions}.values())
    ttls = ttl_by_label(definitions, ttl)
    ts_ns = entity_ts_ns(entities["ts"])
    inst, unknown = _instrument_of_rows(entities["symbol"])
    n = len(ts_ns)
    values = {d.label: np.full(n, np.nan) for d in definitions}
    known = {d.label: np.full(n, np.iinfo(np.int64).min, dtype=np.int64) for d in definitions}
    found = inst >= 0
    homes = _homes(definitions, np.unique(inst[found])) if found.any() else {}
    if homes:
        rows = np.arange(n, dtype=np.int64)
        with transaction.atomic(), entities_table(rows[found], inst[found], ts_ns[found]):
            _join_blocks(homes, ttls, inst, ts_ns, values, known)
    frame = pd.DataFrame({"symbol": entities["symbol"].to_numpy(), "ts": pd.DatetimeIndex(ts_ns, tz="UTC")})
    for d in definitions:
        frame[d.label] = values[d.label]
    if with_known_at:
        for d in definitions:
            frame[d.label + KNOWN_AT_SUFFIX] = pd.DatetimeIndex(
                known[d.label].view("datetime64[ns]"), tz="UTC"
            )
    frame.attrs["unknown_symbols"] = unknown
    return frame
