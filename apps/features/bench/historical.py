"""Point-in-time retrieval: a join of many entity rows × 20 features in the database
(selectors/historical.py), next to pandas `merge_asof` on the same values held in memory, in the
same run.

Data: 20 daily feature definitions in one block of the store for `instruments` × `bars` business
days (random values written with `store_write`; what the values are does not matter to the join).
Entity rows: random (instrument, instant) pairs over the stored span and a little beyond, a fifth of
them exactly on a bar close — the boundary both sides must get right. The TTL is the default
(FEATURES_TTL_BARS daily bars).

Figures (rows/s = entity rows per second):
- `historical_join_rows_per_s`: `point_in_time` end to end (symbols to ids, entities COPY'd in, the
  per-block LATERAL join, matches COPY'd out and scattered into a frame in the entities' order);
  baseline `merge_asof` over the values already in memory as one frame sorted by known_at, with the
  TTL applied (sorting the entity rows and restoring their order included).
- `historical_read_and_join_rows_per_s`: the same engine figure; baseline the store read into
  memory (`stored_values`, binary COPY) plus that merge_asof — what a client without the join in
  the database pays.
Both sides' answers are compared before the figures are reported.

Everything written belongs to instruments BENCH_PIT_* and definitions bench_pit_*, deleted at the
end (and at the start, in case an earlier run was killed).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from django.db import connection

from apps.marketdata.models import Instrument
from apps.marketdata.services import instrument_create
from apps.platform.bench.figures import figure, progress_bar

from ..models import FeatureColumns, FeatureDefinition, FeatureSeries
from ..selectors.historical import default_ttl, point_in_time
from ..selectors.values import stored_values
from ..services.definitions import definition_save
from ..services.store import InstrumentValues, store_write

FULL = {"instruments": 500, "bars": 2520, "entities": 1_000_000, "features": 20}
QUICK = {"instruments": 20, "bars": 300, "entities": 10_000, "features": 20}
SYMBOL_PREFIX = "BENCH_PIT_"
NAME_PREFIX = "bench_pit_"
START = pd.Timestamp("2015-01-01", tz="UTC")
SEED = 17


def _cleanup() -> None:
    definitions = FeatureDefinition.objects.filter(name__startswith=NAME_PREFIX)
    ids = list(definitions.values_list("pk", flat=True))
    if ids:
        blocks = list(
            FeatureSeries.objects.filter(definition_id__in=ids)
            .values_list("columns_id", flat=True)
            .distinct()
        )
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM features_row WHERE columns_id = ANY(%s::int[])", [blocks])
        FeatureSeries.objects.filter(definition_id__in=ids).delete()
        FeatureColumns.objects.filter(pk__in=blocks).delete()
        definitions.delete()
    Instrument.objects.filter(symbol__startswith=SYMBOL_PREFIX).delete()


def _store(sizes: dict, rng: np.random.Generator):
    """The definitions, symbols and bar starts written, and every value as one (N*T, F) matrix."""
    definitions = [
        definition_save(name=f"{NAME_PREFIX}{k:02d}", function="SMA", params={"timeperiod": k + 2})
        for k in range(sizes["features"])
    ]
    symbols = [f"{SYMBOL_PREFIX}{k:05d}" for k in range(sizes["instruments"])]
    ids = [instrument_create(symbol=s).pk for s in symbols]
    bars = pd.bdate_range(START, periods=sizes["bars"], tz="UTC")
    ts = bars.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    values = rng.normal(size=(len(ids), len(bars), len(definitions)))
    store_write(definitions, {pk: InstrumentValues(ts=ts, values=values[k]) for k, pk in enumerate(ids)})
    return definitions, symbols, bars, values


def _settle() -> None:
    """Measure the steady state autovacuum leaves behind a bulk write (hint bits set, statistics
    current) rather than the first read after it; not possible inside a transaction (tests)."""
    if not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE features_row")


def _entities(symbols, bars, n: int, rng: np.random.Generator) -> pd.DataFrame:
    span = (bars[-1] - bars[0] + pd.Timedelta(days=10)).value // 1000
    ts = bars[0] + pd.to_timedelta(rng.integers(0, span, n), unit="us")
    ts = ts.where(rng.random(n) > 0.2, ts.floor("D"))  # on a bar close (daily bars close at midnight)
    return pd.DataFrame(
        {"symbol": np.asarray(symbols, dtype=object)[rng.integers(0, len(symbols), n)], "ts": ts}
    )


def merge_asof_join(entities: pd.DataFrame, right: pd.DataFrame, labels: list[str], ttl) -> pd.DataFrame:
    """The in-memory reference: `right` (symbol, known_at, one column per label) sorted by
    known_at; each entity row takes the latest row known at or before its ts, missing at its TTL."""
    left = entities.assign(_row=np.arange(len(entities)), ts=entities["ts"].dt.as_unit("ns"))
    left = left.sort_values("ts", kind="stable")
    right = right.assign(known_at=right["known_at"].dt.as_unit("ns"))
    m = pd.merge_asof(left, right, left_on="ts", right_on="known_at", by="symbol", direction="backward")
    stale = ~(m["ts"] - m["known_at"] < ttl)
    m.loc[stale.to_numpy(), labels] = np.nan
    return m.sort_values("_row").reset_index(drop=True)[["symbol", "ts", *labels]]


def _read(definitions, symbols) -> pd.DataFrame:
    ids = dict(Instrument.objects.filter(symbol__in=symbols).values_list("symbol", "pk"))
    frame = stored_values(definitions=definitions, instruments=ids)
    return frame.drop(columns="ts").sort_values("known_at", kind="stable").reset_index(drop=True)


def _timed(call):
    t0 = time.perf_counter()
    out = call()
    return out, time.perf_counter() - t0


def measure(*, quick: bool = False, progress: bool = True, **params) -> list[dict]:
    sizes = {**(QUICK if quick else FULL), **{k: int(v) for k, v in params.items() if k in FULL}}
    rng = np.random.default_rng(SEED)
    _cleanup()
    try:
        with progress_bar(progress, 4, "historical: store, engine join, read, merge_asof") as bar:
            definitions, symbols, bars, _values = _store(sizes, rng)
            _settle()
            labels = [d.label for d in definitions]
            entities = _entities(symbols, bars, sizes["entities"], rng)
            bar.update(1)
            got, engine_s = _timed(lambda: point_in_time(definitions, entities))
            bar.update(1)
            right, read_s = _timed(lambda: _read(definitions, symbols))
            bar.update(1)
            ttl = default_ttl("1d")
            expected, asof_s = _timed(lambda: merge_asof_join(entities, right, labels, ttl))
            bar.update(1)
        np.testing.assert_array_equal(got[labels].to_numpy(), expected[labels].to_numpy())
    finally:
        _cleanup()
    n = len(entities)
    return [
        figure("historical_join_rows_per_s", n / engine_s, "rows/s", n / asof_s),
        figure("historical_read_and_join_rows_per_s", n / engine_s, "rows/s", n / (read_s + asof_s)),
        figure("historical_join_seconds", engine_s, "s", asof_s),
        figure("historical_store_read_seconds", read_s, "s"),
    ]
