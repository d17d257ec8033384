"""Reads of where stored feature series live: per block, the instruments whose series live there and
the newest bar they cover (what an incremental update starts after)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from django.db.models import Min

from ..models import FeatureColumns, FeatureDefinition, FeatureSeries


def series_ends(instrument_ids: Sequence[int], interval: str) -> dict[int, dict[int, pd.Timestamp]]:
    """{block id: {instrument id: the oldest last_ts of its series in the block}} for definitions at
    `interval` (the oldest, so a series that fell behind is caught up with the others). Grouped in the
    database: one row per block and instrument, not one per series (23,300 rows for 100 instruments
    of the catalogue took 0.75 s through the ORM)."""
    rows = (
        FeatureSeries.objects.filter(instrument_id__in=list(instrument_ids), definition__interval=interval)
        .values_list("columns_id", "instrument_id")
        .annotate(oldest=Min("last_ts"))
        .order_by()
    )
    out: dict[int, dict[int, pd.Timestamp]] = {}
    for block, inst, oldest in rows:
        out.setdefault(block, {})[inst] = pd.Timestamp(oldest)
    return out


def blocks_with_definitions(block_ids: Sequence[int]) -> list[tuple[FeatureColumns, list[FeatureDefinition]]]:
    """Each block with its definitions in block order (two queries)."""
    blocks = FeatureColumns.objects.in_bulk(list(block_ids))
    ids = {i for b in blocks.values() for i in b.definition_ids}
    defs = FeatureDefinition.objects.in_bulk(list(ids))
    return [(blocks[b], [defs[i] for i in blocks[b].definition_ids]) for b in sorted(blocks)]
