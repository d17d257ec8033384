"""Writes of stored factor values: store a factor over a universe and window, and extend stored
factors when new bars arrive (incremental: only the newest dates are computed, from the look-back
their formula needs, never the history again).

A date's row holds the whole cross-section, and its cross-sectional operators need every name's bar
of that date. Bars of one date arrive name by name, so an update recomputes the series' last stored
date together with the new ones: a name whose bar came after its date's row was written is in the
row once its bar's update runs. A bar that arrives after a LATER date's row was stored (two dates
late) is not picked up: store the window again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from django.db import transaction

from apps.marketdata import facade as marketdata

from ..models import FactorDefinition, FactorRow, FactorSeries
from ..selectors.evaluation import NoData, factor_values, formula_compile
from ..selectors.values import universe_digest

log = logging.getLogger(__name__)


class UnknownSymbols(LookupError):
    def __init__(self, symbols: Sequence[str]) -> None:
        super().__init__(f"unknown symbols: {', '.join(symbols)}")
        self.symbols = list(symbols)


def _write_rows(series: FactorSeries, dates: pd.DatetimeIndex, values: np.ndarray) -> int:
    """Replace the series' rows at `dates` with `values` (dates x instruments)."""
    if not len(dates):
        return 0
    FactorRow.objects.filter(series=series, ts__gte=dates[0], ts__lte=dates[-1]).delete()
    rows = [
        FactorRow(series=series, ts=ts, values=np.ascontiguousarray(row, dtype="<f8").tobytes())
        for ts, row in zip(dates, values, strict=True)
    ]
    FactorRow.objects.bulk_create(rows, batch_size=2000)
    first, last = dates[0].to_pydatetime(), dates[-1].to_pydatetime()
    series.first_ts = first if series.first_ts is None else min(series.first_ts, first)
    series.last_ts = last if series.last_ts is None else max(series.last_ts, last)
    series.save(update_fields=["first_ts", "last_ts", "updated_at"])
    return len(rows)


@transaction.atomic
def factor_store(*, definition: FactorDefinition, symbols: Sequence[str], start, end) -> FactorSeries:
    """Compute `definition` for `symbols` over [start, end) and store it (replacing stored dates of
    the window). Raises what `factor_values` raises (NoData, FormulaError, unknown symbols)."""
    found = marketdata.instruments_by_symbols(symbols)
    missing = [s for s in symbols if s not in found]
    if missing:
        raise UnknownSymbols(missing)
    ids = [found[s].id for s in symbols]
    series, _ = FactorSeries.objects.select_for_update().get_or_create(
        definition=definition,
        universe=universe_digest(ids),
        defaults={"instrument_ids": ids, "symbols": list(symbols)},
    )
    got = factor_values(
        [formula_compile(definition.formula)],
        symbols=list(symbols),
        start=pd.Timestamp(start),
        end=pd.Timestamp(end),
        interval=definition.interval,
        adjusted=definition.adjusted,
    )
    _write_rows(series, got.dates, got.values[0])
    return series


def factor_extend(series: FactorSeries, *, now: pd.Timestamp | None = None) -> int:
    """Compute the series' dates from its last stored one (included) up to `now` and store them: the
    incremental update. Returns the rows written (0 when there is nothing new)."""
    if series.last_ts is None:
        return 0
    definition = series.definition
    end = now or pd.Timestamp.now(tz="UTC")
    try:
        got = factor_values(
            [formula_compile(definition.formula)],
            symbols=list(series.symbols),
            start=pd.Timestamp(series.last_ts),
            end=end,
            interval=definition.interval,
            adjusted=definition.adjusted,
        )
    except NoData:
        return 0
    with transaction.atomic():
        locked = FactorSeries.objects.select_for_update().get(pk=series.pk)
        return _write_rows(locked, got.dates, got.values[0])


def update_on_bars(items: Iterable[str]) -> dict:
    """Extend every stored series whose universe holds an instrument of `items` ("SYMBOL|interval")
    and whose definition is at that interval."""
    wanted: dict[str, set[str]] = {}
    for item in items:
        symbol, _, interval = item.partition("|")
        wanted.setdefault(interval or "1d", set()).add(symbol.upper())
    written, series_done = 0, 0
    for interval, symbols in wanted.items():
        ids = {info.id for info in marketdata.instruments_by_symbols(sorted(symbols)).values()}
        candidates = FactorSeries.objects.filter(definition__interval=interval, last_ts__isnull=False)
        for series in candidates.select_related("definition"):
            if ids.isdisjoint(series.instrument_ids):
                continue
            written += factor_extend(series)
            series_done += 1
    return {"series": series_done, "rows": written}
