"""Keep the latest-value table (models/latest.py) in step with the store's rows.

`store_write` and `store_extend` call `latest_update` as the last step of their transaction, under
their per-instrument advisory locks, so the table changes exactly when the rows do and two writers
of one instrument cannot interleave. A series' latest value is its value at the end of the range it
covers in the block it lives in (`features_series.last_ts`): the last value `stored_values` reads
for it. Each row remembers the block it was taken from, and a write of block B whose newest bar for
an instrument is `hi` keeps the rule:

- a series that already lived in B: its range grows to hi when hi is newer, so the value at hi
  replaces the latest one if hi >= its bar, and a backfill of an older window changes nothing (only
  the newest bar per series counts); an incremental write of a new bar (store_extend) replaces it;
- a series that moves into B (store_write points every series of the block at it): its range is
  the written one, so the value at hi, whatever bar the previous block had. store_extend moves
  nothing: a definition of B whose series lives elsewhere keeps its latest value (`extend_only`).

Values come from the written payload, not read back from `features_row`: the update is one upsert by
this table's primary key, whatever PostgreSQL's statistics say. (Reading each block's newest row back
with LATERAL ... ORDER BY ts DESC LIMIT 1 was planned, for a block its statistics had not seen yet,
as a scan of the block's rows per series: minutes for a 500-instrument chunk.) Unchanged rows are not
rewritten.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
from django.db import connection, transaction

from ..models import FeatureColumns
from ..selectors.online_cache import versions_bump

if TYPE_CHECKING:
    from .store import InstrumentValues

# Row n (1-based) of the flattened (instruments x width) values is instrument (n-1)/width, position
# (n-1)%width of the block.
_UPSERT = """
INSERT INTO features_latest AS l (instrument_id, definition_id, columns_id, ts, value)
SELECT (%(instruments)s::int[])[(v.n - 1) / %(width)s + 1],
       (%(definitions)s::bigint[])[(v.n - 1) %% %(width)s + 1],
       %(block)s,
       (%(newest)s::timestamptz[])[(v.n - 1) / %(width)s + 1],
       v.value
FROM unnest(%(values)s::float8[]) WITH ORDINALITY AS v(value, n)
ON CONFLICT (instrument_id, definition_id) DO UPDATE
SET columns_id = EXCLUDED.columns_id, ts = EXCLUDED.ts, value = EXCLUDED.value
WHERE (l.columns_id <> EXCLUDED.columns_id OR EXCLUDED.ts >= l.ts)
  AND (l.columns_id, l.ts, l.value) IS DISTINCT FROM (EXCLUDED.columns_id, EXCLUDED.ts, EXCLUDED.value)
"""

# store_extend: only the series that live in the block (their latest row says so) take the new bar.
_EXTEND = """
UPDATE features_latest l SET ts = w.ts, value = w.value
FROM (
    SELECT (%(instruments)s::int[])[(v.n - 1) / %(width)s + 1] AS instrument_id,
           (%(definitions)s::bigint[])[(v.n - 1) %% %(width)s + 1] AS definition_id,
           (%(newest)s::timestamptz[])[(v.n - 1) / %(width)s + 1] AS ts,
           v.value
    FROM unnest(%(values)s::float8[]) WITH ORDINALITY AS v(value, n)
) w
WHERE l.instrument_id = w.instrument_id AND l.definition_id = w.definition_id
  AND l.columns_id = %(block)s AND w.ts >= l.ts
  AND (l.ts, l.value) IS DISTINCT FROM (w.ts, w.value)
"""


def _newest_bars(by_instrument: Mapping[int, InstrumentValues]) -> tuple[list[int], list[str], np.ndarray]:
    """Per instrument written to: its id, its newest written bar (ISO, UTC) and that bar's values."""
    ids, newest, rows = [], [], []
    for pk, iv in by_instrument.items():
        if len(iv.ts):
            k = int(np.argmax(iv.ts))
            ids.append(int(pk))
            newest.append(str(np.datetime_as_string(iv.ts[k], unit="us")) + "Z")
            rows.append(np.asarray(iv.values[k], dtype=np.float64))
    return ids, newest, np.concatenate(rows) if rows else np.empty(0)


def latest_update(
    *, block: FeatureColumns, by_instrument: Mapping[int, InstrumentValues], extend_only: bool = False
) -> int:
    """Bring the latest values of `block`'s definitions up to date after `by_instrument` (the rows
    just written into the block, keyed by instrument id). Call it inside the write's transaction:
    store_write does, and store_extend with `extend_only` (no series moves into the block). Returns
    the rows inserted or changed."""
    instruments, newest, values = _newest_bars(by_instrument)
    if not instruments:
        return 0
    params = {
        "instruments": instruments,
        "definitions": [int(d) for d in block.definition_ids],
        "width": len(block.definition_ids),
        "block": block.pk,
        "newest": newest,
        "values": values.tolist(),
    }
    with connection.cursor() as cursor:
        cursor.execute(_EXTEND if extend_only else _UPSERT, params)
        changed = cursor.rowcount
    # Web processes cache what they read of this table; they re-read these instruments once the
    # write is visible (selectors/online_cache.py).
    transaction.on_commit(functools.partial(versions_bump, instruments))
    return changed
