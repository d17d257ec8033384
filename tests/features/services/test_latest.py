"""The latest-value table, as store_write and store_extend keep it: each series' value at the end of
the range it covers in its block (TA-Lib's last value on the stored bars, or hand-written values),
the last value stored_values reads for it; untouched by a backfill of an old window, moved with its
series, advanced by an incremental bar, rolled back with the write's transaction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib
from django.db import transaction

from apps.features.models import FeatureLatest, FeatureSeries
from apps.features.selectors.values import stored_values
from apps.features.services.compute import compute_chunk
from apps.features.services.definitions import definition_save
from apps.features.services.latest import latest_update
from apps.features.services.store import InstrumentValues, block_for, store_extend, store_write
from apps.marketdata import facade as marketdata
from apps.marketdata.services import instrument_create

pytestmark = pytest.mark.django_db

DAY = np.timedelta64(1, "D")
T0 = np.datetime64("2024-03-01T00:00:00", "ns")


@pytest.fixture
def defs(sp500_market):
    return {
        "rsi": definition_save(name="rsi_14", function="RSI", params={"timeperiod": 14}),
        "sma": definition_save(name="sma_10", function="SMA", params={"timeperiod": 10}),
    }


def _latest(definition, symbol) -> FeatureLatest:
    inst = marketdata.instrument_get(symbol).id
    return FeatureLatest.objects.get(definition=definition, instrument_id=inst)


def _days(*offsets) -> np.ndarray:
    return T0 + np.asarray(offsets) * DAY


def test_after_a_compute_each_series_holds_talibs_last_value_on_its_own_bars(sp500_market, defs):
    compute_chunk(definitions=list(defs.values()), symbols=["AAA", "BBB"])
    assert FeatureLatest.objects.count() == 4
    for symbol, bars in sp500_market.items():  # BBB misses every 7th bar: its last bar is its own
        close = bars["close"].to_numpy()
        rsi, sma = _latest(defs["rsi"], symbol), _latest(defs["sma"], symbol)
        assert rsi.ts == sma.ts == bars.index[-1]
        assert rsi.value == pytest.approx(talib.RSI(close, 14)[-1], rel=1e-12)
        assert sma.value == pytest.approx(talib.SMA(close, 10)[-1], rel=1e-12)


def test_a_backfill_of_an_old_window_does_not_replace_the_newer_value(sp500_market, defs):
    compute_chunk(definitions=[defs["sma"]], symbols=["AAA"])
    before = _latest(defs["sma"], "AAA")
    ts = sp500_market["AAA"].index
    compute_chunk(definitions=[defs["sma"]], symbols=["AAA"], start=ts[50], end=ts[100])
    after = _latest(defs["sma"], "AAA")
    assert (after.ts, after.value) == (before.ts, before.value) and after.ts == ts[-1]


def test_hand_written_values_the_newest_bar_wins_and_a_new_bar_moves_it(db):
    a = definition_save(name="f_a", function="SMA", params={"timeperiod": 5})
    b = definition_save(name="f_b", function="SMA", params={"timeperiod": 6})
    inst = instrument_create(symbol="HND").pk
    store_write(
        [a, b], {inst: InstrumentValues(ts=_days(0, 1, 2), values=np.array([[1, 10], [2, 20], [3, 30.0]]))}
    )
    got = {r.definition_id: (r.ts, r.value) for r in FeatureLatest.objects.filter(instrument_id=inst)}
    assert got == {
        a.pk: (pd.Timestamp("2024-03-03", tz="UTC"), 3.0),
        b.pk: (pd.Timestamp("2024-03-03", tz="UTC"), 30.0),
    }
    # Bars 0-1 rewritten: the latest stays bar 2's.
    store_write([a, b], {inst: InstrumentValues(ts=_days(0, 1), values=np.array([[-1, -10], [-2, -20.0]]))})
    assert FeatureLatest.objects.get(definition=a, instrument_id=inst).value == 3.0
    # A new bar (an incremental write): it is the latest now, NaN (warm-up) kept as NaN.
    store_write([a, b], {inst: InstrumentValues(ts=_days(3), values=np.array([[4.0, np.nan]]))})
    row_a = FeatureLatest.objects.get(definition=a, instrument_id=inst)
    assert (row_a.ts, row_a.value) == (pd.Timestamp("2024-03-04", tz="UTC"), 4.0)
    assert np.isnan(FeatureLatest.objects.get(definition=b, instrument_id=inst).value)


def test_a_series_moved_to_another_block_takes_the_end_of_its_range_there(db):
    a = definition_save(name="f_a", function="SMA", params={"timeperiod": 5})
    b = definition_save(name="f_b", function="SMA", params={"timeperiod": 6})
    inst = instrument_create(symbol="MOV").pk
    store_write([a, b], {inst: InstrumentValues(ts=_days(0, 1, 2, 3), values=np.arange(8.0).reshape(4, 2))})
    # `a` alone, over bars 0-1 only: its series moves to a new block covering those two bars.
    store_write([a], {inst: InstrumentValues(ts=_days(0, 1), values=np.array([[100.0], [101.0]]))})
    assert FeatureSeries.objects.get(definition=a).columns_id == block_for([a]).pk
    row_a = FeatureLatest.objects.get(definition=a, instrument_id=inst)
    assert (row_a.ts, row_a.value) == (pd.Timestamp("2024-03-02", tz="UTC"), 101.0)
    row_b = FeatureLatest.objects.get(definition=b, instrument_id=inst)  # b did not move
    assert (row_b.ts, row_b.value) == (pd.Timestamp("2024-03-04", tz="UTC"), 7.0)


def test_a_write_rolled_back_leaves_the_latest_values_as_they_were(db):
    a = definition_save(name="f_a", function="SMA", params={"timeperiod": 5})
    inst = instrument_create(symbol="RBK").pk
    store_write([a], {inst: InstrumentValues(ts=_days(0), values=np.array([[1.0]]))})
    with pytest.raises(RuntimeError), transaction.atomic():
        store_write([a], {inst: InstrumentValues(ts=_days(1), values=np.array([[2.0]]))})
        assert FeatureLatest.objects.get(definition=a, instrument_id=inst).value == 2.0  # same transaction
        raise RuntimeError("the caller fails after the write")
    row = FeatureLatest.objects.get(definition=a, instrument_id=inst)
    assert (row.ts, row.value) == (pd.Timestamp("2024-03-01", tz="UTC"), 1.0)


def test_a_series_moving_back_into_a_block_takes_its_own_range_not_rows_kept_for_others(db):
    a = definition_save(name="f_a", function="SMA", params={"timeperiod": 5})
    b = definition_save(name="f_b", function="SMA", params={"timeperiod": 6})
    inst = instrument_create(symbol="BCK").pk
    both = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0]])  # bars 0-3: a = 0,2,4,6; b = 1,3,5,7
    store_write([a, b], {inst: InstrumentValues(ts=_days(0, 1, 2, 3), values=both)})
    store_write([a], {inst: InstrumentValues(ts=_days(0, 1), values=np.array([[100.0], [101.0]]))})  # a moves
    # [a, b] again over bars 0-1: a moves back and covers bars 0-1 there; bars 2-3 of the block were
    # kept for b, they are not a's (stored_values does not read them for a either).
    store_write(
        [a, b], {inst: InstrumentValues(ts=_days(0, 1), values=np.array([[-1.0, -2.0], [-3.0, -4.0]]))}
    )
    row_a = FeatureLatest.objects.get(definition=a, instrument_id=inst)
    row_b = FeatureLatest.objects.get(definition=b, instrument_id=inst)
    assert (row_a.ts, row_a.value) == (pd.Timestamp("2024-03-02", tz="UTC"), -3.0)
    assert (row_b.ts, row_b.value) == (pd.Timestamp("2024-03-04", tz="UTC"), 7.0)  # b's range still ends at 3
    assert row_a.columns_id == row_b.columns_id == block_for([a, b]).pk
    for d, row in ((a, row_a), (b, row_b)):
        last = stored_values(definitions=[d], instruments={"BCK": inst}).dropna().iloc[-1]
        assert (last["ts"], last[d.label]) == (row.ts, row.value)


def test_an_incremental_bar_moves_the_series_living_in_the_block_and_no_other(db):
    a = definition_save(name="f_a", function="SMA", params={"timeperiod": 5})
    b = definition_save(name="f_b", function="SMA", params={"timeperiod": 6})
    inst = instrument_create(symbol="INC").pk
    store_write([a, b], {inst: InstrumentValues(ts=_days(0, 1), values=np.array([[1.0, 2.0], [3.0, 4.0]]))})
    store_write([a], {inst: InstrumentValues(ts=_days(0, 1), values=np.array([[10.0], [30.0]]))})  # a moves
    store_extend(block_for([a, b]), {inst: InstrumentValues(ts=_days(2), values=np.array([[5.0, 6.0]]))})
    row_a = FeatureLatest.objects.get(definition=a, instrument_id=inst)
    row_b = FeatureLatest.objects.get(definition=b, instrument_id=inst)
    assert (row_b.ts, row_b.value) == (pd.Timestamp("2024-03-03", tz="UTC"), 6.0)  # the new bar
    assert (row_a.ts, row_a.value, row_a.columns_id) == (
        pd.Timestamp("2024-03-02", tz="UTC"),
        30.0,
        block_for([a]).pk,
    )
    for d, row in ((a, row_a), (b, row_b)):
        last = stored_values(definitions=[d], instruments={"INC": inst}).dropna().iloc[-1]
        assert (last["ts"], last[d.label]) == (row.ts, row.value)


def test_unchanged_rows_are_not_rewritten_and_instruments_without_rows_get_none(db):
    a = definition_save(name="f_a", function="SMA", params={"timeperiod": 5})
    inst, empty = instrument_create(symbol="UNC").pk, instrument_create(symbol="EMP").pk
    written = {
        inst: InstrumentValues(ts=_days(0, 1), values=np.array([[1.0], [2.0]])),
        empty: InstrumentValues(ts=_days()[:0], values=np.empty((0, 1))),
    }
    store_write([a], written)
    assert list(FeatureLatest.objects.values_list("instrument_id", flat=True)) == [inst]
    block = block_for([a])
    assert latest_update(block=block, by_instrument=written) == 0  # already current
    assert latest_update(block=block, by_instrument={empty: written[empty]}) == 0
