"""Writes of the feature store: one block of definitions' values for many instruments at once.

`store_write` replaces, for each instrument it is given, the block's rows over the written range
with the new ones (binary COPY, see kernels/copy_binary.py), points each definition's series at this
block, and deletes rows of blocks that no series points at any more for that instrument. All in one
transaction under a per-instrument advisory lock, so readers see the old values or the new ones,
never half of a write, and two jobs writing the same instrument queue up instead of colliding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from ..kernels.copy_binary import rows_encode
from ..models import BLOCK_WIDTH, FeatureColumns, FeatureDefinition
from .latest import latest_update

# pg_advisory_xact_lock(int, int): the first key names the lock space so other engines' locks on
# small integers never collide with ours.
_LOCK_SPACE = 0x46454154  # "FEAT"


@dataclass(frozen=True)
class InstrumentValues:
    """One instrument's values for a block: bar starts (datetime64[ns], UTC) and a (T, width) matrix,
    column k for the block's k-th definition."""

    ts: np.ndarray
    values: np.ndarray


def block_key(interval: str, adjusted: bool, definition_ids: Sequence[int]) -> str:
    return f"{interval}|{int(bool(adjusted))}|{','.join(str(int(i)) for i in definition_ids)}"


def block_for(definitions: Sequence[FeatureDefinition]) -> FeatureColumns:
    """The block storing exactly `definitions`, in this order (created on first use)."""
    if not definitions or len(definitions) > BLOCK_WIDTH:
        raise ValueError(f"a block holds 1 to {BLOCK_WIDTH} definitions, not {len(definitions)}")
    intervals = {(d.interval, d.adjusted) for d in definitions}
    if len(intervals) != 1:
        raise ValueError("a block's definitions share one interval and adjustment")
    (interval, adjusted), ids = intervals.pop(), [d.pk for d in definitions]
    block, _ = FeatureColumns.objects.get_or_create(
        key=block_key(interval, adjusted, ids),
        defaults={"interval": interval, "adjusted": adjusted, "definition_ids": ids},
    )
    return block


def _copy(cursor, payload: bytes) -> None:
    with cursor.cursor.copy(
        "COPY features_row (columns_id, instrument_id, ts, values) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.write(payload)


def _replace_rows(cursor, block: FeatureColumns, by_instrument: Mapping[int, InstrumentValues]) -> int:
    ids, lo, hi = [], [], []
    for pk, iv in by_instrument.items():
        if len(iv.ts):
            ids.append(pk)
            lo.append(str(np.datetime_as_string(iv.ts.min(), unit="us")) + "Z")
            hi.append(str(np.datetime_as_string(iv.ts.max(), unit="us")) + "Z")
    cursor.execute(
        "DELETE FROM features_row r USING unnest(%s::int[], %s::timestamptz[], %s::timestamptz[]) AS w(id, lo, hi) "
        "WHERE r.columns_id = %s AND r.instrument_id = w.id AND r.ts BETWEEN w.lo AND w.hi",
        [ids, lo, hi, block.pk],
    )
    parts = [(pk, iv) for pk, iv in by_instrument.items() if len(iv.ts)]
    if not parts:
        return 0
    instruments = np.concatenate([np.full(len(iv.ts), pk, dtype=np.int64) for pk, iv in parts])
    ts = np.concatenate([iv.ts.astype("datetime64[ns]").astype(np.int64) for _, iv in parts])
    values = np.concatenate([np.asarray(iv.values, dtype=np.float64) for _, iv in parts])
    _copy(cursor, rows_encode(block.pk, instruments, ts, values))
    return len(ts)


def _point_series(cursor, block: FeatureColumns, by_instrument: Mapping[int, InstrumentValues]) -> None:
    """Each (definition, instrument) now lives in `block`; its range grows when it already lived
    there, and is the written range when it moves (the old block's values are no longer read)."""
    defs, insts, pos, lo, hi = [], [], [], [], []
    for pk, iv in by_instrument.items():
        if not len(iv.ts):
            continue
        first = str(np.datetime_as_string(iv.ts.min(), unit="us")) + "Z"
        last = str(np.datetime_as_string(iv.ts.max(), unit="us")) + "Z"
        for k, definition_id in enumerate(block.definition_ids, start=1):
            defs.append(definition_id)
            insts.append(pk)
            pos.append(k)
            lo.append(first)
            hi.append(last)
    cursor.execute(
        """
        INSERT INTO features_series (definition_id, instrument_id, columns_id, position, first_ts, last_ts, computed_at)
        SELECT d, i, %s, p, lo, hi, %s
        FROM unnest(%s::int[], %s::int[], %s::int[], %s::timestamptz[], %s::timestamptz[]) AS w(d, i, p, lo, hi)
        ON CONFLICT (definition_id, instrument_id) DO UPDATE SET
            first_ts = CASE WHEN features_series.columns_id = EXCLUDED.columns_id
                            THEN LEAST(features_series.first_ts, EXCLUDED.first_ts) ELSE EXCLUDED.first_ts END,
            last_ts = CASE WHEN features_series.columns_id = EXCLUDED.columns_id
                           THEN GREATEST(features_series.last_ts, EXCLUDED.last_ts) ELSE EXCLUDED.last_ts END,
            columns_id = EXCLUDED.columns_id,
            position = EXCLUDED.position,
            computed_at = EXCLUDED.computed_at
        """,
        [block.pk, timezone.now(), defs, insts, pos, lo, hi],
    )


def _orphans_delete(cursor, pairs: list[tuple[int, int]]) -> int:
    """Delete the rows of (block, instrument) pairs no series points at any more."""
    if not pairs:
        return 0
    cursor.execute(
        """
        DELETE FROM features_row r USING unnest(%s::int[], %s::int[]) AS o(b, i)
        WHERE r.columns_id = o.b AND r.instrument_id = o.i
          AND NOT EXISTS (SELECT 1 FROM features_series s WHERE s.columns_id = o.b AND s.instrument_id = o.i)
        """,
        [[b for b, _ in pairs], [i for _, i in pairs]],
    )
    return cursor.rowcount


def _locked(cursor, instruments: list[int]) -> None:
    cursor.execute(
        "SELECT pg_advisory_xact_lock(%s, i) FROM unnest(%s::int[]) AS i ORDER BY i",
        [_LOCK_SPACE, instruments],
    )


def _checked(block: FeatureColumns, by_instrument: Mapping[int, InstrumentValues]) -> list[int]:
    width = len(block.definition_ids)
    for pk, iv in by_instrument.items():
        if iv.values.shape != (len(iv.ts), width):
            raise ValueError(f"instrument {pk}: values {iv.values.shape}, expected ({len(iv.ts)}, {width})")
    return sorted(int(pk) for pk in by_instrument)


def store_write(
    definitions: Sequence[FeatureDefinition], by_instrument: Mapping[int, InstrumentValues]
) -> int:
    """Store `definitions`' values (one block) for every instrument in `by_instrument` (keyed by
    marketdata instrument id): replaces the block's rows over each instrument's written range, points
    the series at the block, drops orphaned rows. Returns the number of rows written."""
    block = block_for(definitions)
    instruments = _checked(block, by_instrument)
    with transaction.atomic(), connection.cursor() as cursor:
        _locked(cursor, instruments)
        cursor.execute(
            "SELECT DISTINCT columns_id, instrument_id FROM features_series "
            "WHERE definition_id = ANY(%s::int[]) AND instrument_id = ANY(%s::int[]) AND columns_id <> %s",
            [list(block.definition_ids), instruments, block.pk],
        )
        moved_from = [(int(b), int(i)) for b, i in cursor.fetchall()]
        written = _replace_rows(cursor, block, by_instrument)
        _point_series(cursor, block, by_instrument)
        _orphans_delete(cursor, moved_from)
        latest_update(block=block, by_instrument=by_instrument)
    return written


def store_extend(block: FeatureColumns, by_instrument: Mapping[int, InstrumentValues]) -> int:
    """Incremental write: new bars' rows of an existing block. Series that live in this block grow
    to cover them; no series moves here (a definition that moved to another block keeps reading from
    there, its value in these rows unread). Returns the number of rows written."""
    instruments = _checked(block, by_instrument)
    with transaction.atomic(), connection.cursor() as cursor:
        _locked(cursor, instruments)
        written = _replace_rows(cursor, block, by_instrument)
        ids = [pk for pk, iv in by_instrument.items() if len(iv.ts)]
        last = [str(np.datetime_as_string(by_instrument[pk].ts.max(), unit="us")) + "Z" for pk in ids]
        cursor.execute(
            "UPDATE features_series s SET last_ts = GREATEST(s.last_ts, w.hi), computed_at = %s "
            "FROM unnest(%s::int[], %s::timestamptz[]) AS w(id, hi) "
            "WHERE s.columns_id = %s AND s.instrument_id = w.id",
            [timezone.now(), ids, last, block.pk],
        )
        latest_update(block=block, by_instrument=by_instrument, extend_only=True)
    return written


def store_analyze() -> None:
    """Refresh the planner's statistics of the store's tables (after a compute job: a block written
    since the last ANALYZE is estimated at one row, which can turn a read's index walk into a scan per
    probe where autovacuum lags or is off)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE features_row, features_series")
