"""The database the store parts of `bench features` run against, made under one unique tag and
removed afterwards (also when the bench fails): instruments BENCHFEAT<TAG>_<n> with the catalogue
panel's daily bars (storage.bars_upsert, the COPY path), and one feature definition per catalogue
function output (default parameters) named benchfeat_<tag>_<function>_<k>."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import connection

from apps.marketdata.models import Bar, Instrument, LatestBar
from apps.marketdata.services import storage

from ..kernels.catalog import catalog
from ..models import FeatureColumns, FeatureDefinition, FeatureRow, FeatureSeries
from ..selectors.panels import BAR_FIELDS

START = pd.Timestamp("2010-01-04", tz="UTC")


@dataclass
class BenchUniverse:
    tag: str
    symbols: list[str]
    ids: dict[str, int]
    definitions: list[FeatureDefinition]
    ts: pd.DatetimeIndex
    panel: dict[str, np.ndarray]


def _bars_frame(
    ids: list[int], ts: pd.DatetimeIndex, panel: dict[str, np.ndarray], rows: slice
) -> pd.DataFrame:
    n_rows = len(ts[rows])
    frame = pd.DataFrame(
        {
            "instrument_id": np.repeat(ids, n_rows),
            "ts": np.tile(ts[rows], len(ids)),
            **{f: panel[f][rows].T.reshape(-1) for f in BAR_FIELDS},
        }
    )
    frame["adj_close"] = frame["close"]
    return frame


def bars_append(universe: BenchUniverse, rows: slice) -> None:
    storage.bars_upsert(
        _bars_frame(list(universe.ids.values()), universe.ts, universe.panel, rows), interval="1d"
    )


def catalogue_definitions(tag: str) -> list[FeatureDefinition]:
    made = []
    for spec in catalog():
        if any(f not in BAR_FIELDS for f in spec.inputs):
            continue  # MAVP reads a periods series
        for k, output in enumerate(spec.outputs):
            made.append(
                FeatureDefinition(
                    name=f"benchfeat_{tag}_{spec.name.lower()}_{k}",
                    version=1,
                    function=spec.name,
                    output=output,
                )
            )
    return FeatureDefinition.objects.bulk_create(made)


@contextmanager
def bench_universe(panel: dict[str, np.ndarray], *, stored_rows: int) -> Iterator[BenchUniverse]:
    """Instruments for the panel's columns with its first `stored_rows` bars stored, and the catalogue's
    definitions; everything removed on exit."""
    tag = uuid.uuid4().hex[:6]
    n_bars, n_inst = panel["close"].shape
    symbols = [f"BENCHFEAT{tag.upper()}_{j:04d}" for j in range(n_inst)]
    try:
        made = Instrument.objects.bulk_create([Instrument(symbol=s, name="bench") for s in symbols])
        ids = {i.symbol: i.pk for i in made}
        ts = pd.bdate_range(START, periods=n_bars, tz="UTC")
        universe = BenchUniverse(tag, symbols, ids, catalogue_definitions(tag), ts, panel)
        bars_append(universe, slice(0, stored_rows))
        yield universe
    finally:
        _cleanup(tag)


def _cleanup(tag: str) -> None:
    pks = list(
        Instrument.objects.filter(symbol__startswith=f"BENCHFEAT{tag.upper()}_").values_list("pk", flat=True)
    )
    defs = list(
        FeatureDefinition.objects.filter(name__startswith=f"benchfeat_{tag}_").values_list("pk", flat=True)
    )
    blocks = list(
        FeatureSeries.objects.filter(definition_id__in=defs).values_list("columns_id", flat=True).distinct()
    )
    FeatureRow.objects.filter(columns_id__in=blocks).delete()
    FeatureSeries.objects.filter(definition_id__in=defs).delete()
    FeatureColumns.objects.filter(pk__in=blocks).delete()
    FeatureDefinition.objects.filter(pk__in=defs).delete()
    if pks:
        LatestBar.objects.filter(instrument_id__in=pks).delete()
        Bar.objects.filter(instrument_id__in=pks).delete()
        Instrument.objects.filter(pk__in=pks).delete()
    _vacuum()


def _vacuum() -> None:
    """VACUUM ANALYZE what the run deleted: hundreds of millions of values leave dead rows and index
    entries that the next run's writes would otherwise pay for (this machine's PostgreSQL runs with
    autovacuum off). Outside a transaction only (a test's atomic block skips it)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE features_row, features_series, features_latest, marketdata_bar")
