"""Stored factor values: a stored window reads back exactly what the formula computes; an
incremental extension computes only the new dates (and the last stored one again) and equals the
batch computation over the whole history, for time-series, cross-sectional and unbounded formulas;
a name whose bar arrives late is in its date's row after the next update."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apps.factors.models import FactorRow
from apps.factors.selectors.evaluation import factor_values, formula_compile
from apps.factors.selectors.values import stored_values
from apps.factors.services.definitions import definition_save
from apps.factors.services.values import UnknownSymbols, factor_extend, factor_store
from apps.marketdata import facade as marketdata
from apps.marketdata.services.storage import bars_upsert

pytestmark = pytest.mark.django_db

SYMBOLS = ["AAA", "BBB", "CCC", "GAP"]
FORMULAS = {
    "mom": "Mean($close, 20)/$close - 1",
    "xs": "cs_rank(ts_corr($close, $volume, 10))",
    "smooth": "ema($close, 10)/$close",
}


def _batch(formula: str, start, end) -> pd.DataFrame:
    got = factor_values([formula_compile(formula)], symbols=SYMBOLS, start=start, end=end)
    return got.frame()


@pytest.mark.parametrize("key", list(FORMULAS))
def test_store_then_extend_equals_the_batch_over_the_whole_history(factor_market, key):
    dates = factor_market["AAA"].index
    definition = definition_save(name=f"stored_{key}", formula=FORMULAS[key])
    series = factor_store(definition=definition, symbols=SYMBOLS, start=dates[30], end=dates[200])
    stored = stored_values(series)
    pd.testing.assert_frame_equal(
        stored,
        _batch(FORMULAS[key], dates[30], dates[200]),
        check_freq=False,
        check_names=False,
        check_index_type=False,
    )
    assert series.last_ts == dates[199]
    written = factor_extend(series, now=dates[203])  # three new dates: 200, 201, 202
    assert written == 4  # and the last stored one (199) again
    full = _batch(FORMULAS[key], dates[30], dates[203])
    np.testing.assert_allclose(stored_values(series).to_numpy(), full.to_numpy(), rtol=1e-12, atol=1e-15)
    assert FactorRow.objects.filter(series=series).count() == 173


def test_a_late_bar_is_in_its_dates_row_after_the_next_update(factor_market):
    dates = factor_market["AAA"].index
    late = 192  # GAP has no bar at dates[192] (every 11th from the 6th is missing)
    assert dates[late] not in factor_market["GAP"].index
    definition = definition_save(name="stored_rank", formula="cs_rank($close/Ref($close, 1))")
    series = factor_store(definition=definition, symbols=SYMBOLS, start=dates[150], end=dates[late + 1])
    assert np.isnan(stored_values(series).iloc[-1]["GAP"])
    bar = factor_market["GAP"].iloc[[-1]].reset_index()
    bar["ts"] = dates[late]
    bars_upsert(bar, interval="1d")  # GAP's bar for that date, arriving late
    factor_extend(series, now=dates[late + 1])
    row = stored_values(series).iloc[-1]
    assert not np.isnan(row["GAP"])
    np.testing.assert_allclose(
        row.to_numpy(), _batch(definition.formula, dates[late], dates[late + 1]).iloc[0], rtol=1e-12
    )


def test_unknown_symbols_are_named(factor_market):
    dates = factor_market["AAA"].index
    definition = definition_save(name="stored_x", formula="$close")
    with pytest.raises(UnknownSymbols) as caught:
        factor_store(definition=definition, symbols=["AAA", "NOPE"], start=dates[0], end=dates[5])
    assert caught.value.symbols == ["NOPE"]
    assert marketdata.instrument_get("NOPE") is None
