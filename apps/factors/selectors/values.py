"""Reads of stored factor values (models/values.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..models import FactorDefinition, FactorRow, FactorSeries


def universe_digest(instrument_ids: Sequence[int]) -> str:
    """The key of a universe: its instruments in order."""
    return hashlib.sha1(",".join(str(int(i)) for i in instrument_ids).encode()).hexdigest()


def series_get(definition: FactorDefinition, instrument_ids: Sequence[int]) -> FactorSeries | None:
    return FactorSeries.objects.filter(
        definition=definition, universe=universe_digest(instrument_ids)
    ).first()


def stored_values(series: FactorSeries, start=None, end=None) -> pd.DataFrame:
    """The series' stored rows in [start, end) (None: open): dates x symbols, NaN where undefined."""
    rows = FactorRow.objects.filter(series=series).order_by("ts")
    if start is not None:
        rows = rows.filter(ts__gte=start)
    if end is not None:
        rows = rows.filter(ts__lt=end)
    ts, blobs = [], []
    for stamp, blob in rows.values_list("ts", "values"):
        ts.append(stamp)
        blobs.append(bytes(blob))
    width = len(series.instrument_ids)
    values = (
        np.frombuffer(b"".join(blobs), dtype="<f8").reshape(len(blobs), width)
        if blobs
        else np.empty((0, width))
    )
    return pd.DataFrame(values, index=pd.DatetimeIndex(ts, name="ts"), columns=list(series.symbols))


def series_by_id(series_id: int) -> FactorSeries | None:
    return FactorSeries.objects.select_related("definition").filter(pk=series_id).first()


def series_recent(limit: int = 500) -> list[FactorSeries]:
    """Stored factors, the most recently written first."""
    return list(FactorSeries.objects.select_related("definition").order_by("-updated_at")[:limit])


def series_document(series: FactorSeries) -> dict:
    """What the API answers about a stored factor."""
    return {
        "id": series.pk,
        "factor": series.definition.label,
        "symbols": series.symbols,
        "first_ts": series.first_ts,
        "last_ts": series.last_ts,
        "rows": FactorRow.objects.filter(series=series).count(),
    }
