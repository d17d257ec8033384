"""Writes of a compute job's bookkeeping (models/computations.py): its plan, and each chunk's
counts added atomically so that exactly one chunk — the last to finish — sees the job complete."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.utils import timezone

from ..models import FeatureComputation, FeatureDefinition


def chunks_of(symbols: Sequence[str], size: int) -> list[list[str]]:
    size = max(1, int(size))
    return [list(symbols[i : i + size]) for i in range(0, len(symbols), size)]


def computation_create(
    *, job_id: str, definitions: Sequence[FeatureDefinition], symbols: Sequence[str], start, end, chunks: int
) -> FeatureComputation:
    FeatureComputation.objects.create(
        job_id=job_id,
        features=[d.label for d in definitions],
        definition_ids=[d.pk for d in definitions],
        symbols=len(symbols),
        start=start,
        end=end,
        chunks_total=chunks,
    )
    return FeatureComputation.objects.get(pk=job_id)  # start/end as datetimes, however they were given


def chunk_finished(*, job_id: str, index: int, counts: dict[str, int]) -> FeatureComputation | None:
    """Add a chunk's counts once (a redelivered chunk that ran again adds nothing); the computation
    after the update, or None when this chunk had already been counted."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE features_computation SET
                chunks_done = array_append(chunks_done, %s),
                instruments = instruments + %s, rows = rows + %s, values = values + %s,
                finished_at = CASE WHEN cardinality(chunks_done) + 1 = chunks_total THEN %s ELSE finished_at END
            WHERE job_id = %s AND NOT (%s = ANY(chunks_done))
            RETURNING job_id
            """,
            [index, counts["instruments"], counts["rows"], counts["values"], timezone.now(), job_id, index],
        )
        if cursor.fetchone() is None:
            return None
    return FeatureComputation.objects.get(pk=job_id)


def computation_summary(done: FeatureComputation) -> dict:
    """The job's result: what was computed and written."""
    return {
        "features": done.features,
        "symbols": done.symbols,
        "instruments": done.instruments,
        "rows": done.rows,
        "values": done.values,
        "chunks": done.chunks_total,
        "start": done.start.isoformat().replace("+00:00", "Z") if done.start else None,
        "end": done.end.isoformat().replace("+00:00", "Z") if done.end else None,
        "seconds": round((done.finished_at - done.created_at).total_seconds(), 3)
        if done.finished_at
        else None,
    }
