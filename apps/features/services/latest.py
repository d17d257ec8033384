"""Keep the latest-value table (models/latest.py) in step with the store's rows.

`store_write` calls `latest_update` as the last step of its transaction, under its per-instrument
advisory locks, so the table changes exactly when the rows do and two writers of one instrument
cannot interleave. The value is read back from `features_row`, not taken from the written payload:
for each instrument the newest row of the block, and each definition whose series lives in that
block takes its position of that row. So

- a backfill of an old window leaves the latest value as it was (the block's newest row is still the
  newer one): only the newest bar per series counts;
- a recompute that moves a series to another block takes the newest row of its new block, as a read
  of the stored values would;
- an incremental write of one new bar reads one row per instrument (the primary key's last entry).

Rows whose value and bar did not change are not rewritten (no dead tuple for a backfill).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from ..models import FeatureColumns

_UPDATE = """
WITH newest AS (
    SELECT i.id AS instrument_id, n.ts, n.values
    FROM unnest(%(instruments)s::int[]) AS i(id)
    CROSS JOIN LATERAL (
        SELECT r.ts, r.values FROM features_row r
        WHERE r.columns_id = %(block)s AND r.instrument_id = i.id
        ORDER BY r.ts DESC LIMIT 1
    ) n
)
INSERT INTO features_latest AS l (instrument_id, definition_id, ts, value)
SELECT s.instrument_id, s.definition_id, newest.ts, newest.values[s.position]
FROM newest JOIN features_series s
  ON s.instrument_id = newest.instrument_id AND s.columns_id = %(block)s
ON CONFLICT (instrument_id, definition_id) DO UPDATE SET ts = EXCLUDED.ts, value = EXCLUDED.value
WHERE (l.ts, l.value) IS DISTINCT FROM (EXCLUDED.ts, EXCLUDED.value)
"""


def latest_update(*, block: FeatureColumns, instrument_ids: Sequence[int]) -> int:
    """Set the latest value of every series living in `block` for these instruments to the block's
    newest row for the instrument. Call it inside the write's transaction (store_write does).
    Returns the number of rows inserted or changed."""
    if not instrument_ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE, {"instruments": [int(i) for i in instrument_ids], "block": block.pk})
        return cursor.rowcount
