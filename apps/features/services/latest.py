"""Keep the latest-value table (models/latest.py) in step with the store's rows.

`store_write` calls `latest_update` as the last step of its transaction, under its per-instrument
advisory locks, so the table changes exactly when the rows do and two writers of one instrument
cannot interleave. Each row remembers the block its value was read from, and this holds after every
write: a series' latest row is the newest row of the block it lives in (what `stored_values` would
give last). A write of block B over [lo, hi] for an instrument keeps it so:

- a series that already lived in B: the newest row is the written bar `hi` when hi >= its latest
  bar, else its latest bar (newer than the window, untouched). So a backfill of an old window never
  replaces a newer value, and a new bar (an incremental update) replaces it;
- a series that moves into B: the written bar `hi`, unless B already holds a newer row for the
  instrument (B kept rows because other series lived there; theirs say how new). Then the value is
  read from that row: the one case that reads `features_row`, and only for those series.

Values come from the written payload, not read back: the update is a lookup by primary key in this
table whatever PostgreSQL's statistics say. (Reading each block's newest row back with LATERAL ...
ORDER BY ts DESC LIMIT 1 was planned, for a block its statistics had not seen yet, as a scan of the
block's rows per series: minutes for a 500-instrument chunk.) Unchanged rows are not rewritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
from django.db import connection

from ..models import FeatureColumns

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

# Series that moved into the block behind a newer row it already held for the instrument: take that
# row (the newest bar among the block's series is the block's newest row). Usually updates nothing.
_CATCH_UP = """
UPDATE features_latest l
SET ts = n.ts,
    value = (
        SELECT r.values[array_position(%(definitions)s::bigint[], l.definition_id)]
        FROM features_row r
        WHERE r.columns_id = %(block)s AND r.instrument_id = l.instrument_id AND r.ts = n.ts
    )
FROM (
    SELECT instrument_id, max(ts) AS ts FROM features_latest
    WHERE instrument_id = ANY(%(instruments)s::int[]) AND definition_id = ANY(%(definitions)s::bigint[])
      AND columns_id = %(block)s
    GROUP BY instrument_id
) n
WHERE l.instrument_id = n.instrument_id AND l.definition_id = ANY(%(definitions)s::bigint[])
  AND l.columns_id = %(block)s AND l.ts < n.ts
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


def latest_update(*, block: FeatureColumns, by_instrument: Mapping[int, InstrumentValues]) -> int:
    """Bring the latest values of `block`'s definitions up to date after `by_instrument` (the rows
    store_write just wrote into the block, keyed by instrument id). Call it inside the write's
    transaction, after the series point at the block (store_write does). Returns the rows changed."""
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
        cursor.execute(_UPSERT, params)
        changed = cursor.rowcount
        cursor.execute(_CATCH_UP, params)
        return changed + cursor.rowcount
