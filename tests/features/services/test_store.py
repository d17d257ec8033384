"""The feature store: computed values written with binary COPY read back equal to TA-Lib called
directly; a recompute replaces its range; a definition moved to another block is read from there and
the rows nobody points at are gone; `as_of` hides values not yet known (known_at = the bar's close)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib

from apps.features.models import FeatureRow, FeatureSeries
from apps.features.selectors.values import TooManyRows, stored_values
from apps.features.services.compute import compute_chunk
from apps.features.services.definitions import definition_save
from apps.marketdata import facade as marketdata

pytestmark = pytest.mark.django_db


@pytest.fixture
def defs(sp500_market):
    return {
        "rsi": definition_save(name="rsi_14", function="RSI", params={"timeperiod": 14}),
        "sma": definition_save(name="sma_10", function="SMA", params={"timeperiod": 10}),
        "macd": definition_save(name="macd_signal", function="MACD", output="macdsignal"),
    }


def _ids(symbols):
    return {s: i.id for s, i in marketdata.instruments_by_symbols(symbols).items()}


def test_stored_values_equal_talib_on_each_symbols_own_bars(sp500_market, defs):
    counts = compute_chunk(definitions=list(defs.values()), symbols=["AAA", "BBB"])
    bars = sp500_market
    assert counts == {
        "instruments": 2,
        "rows": len(bars["AAA"]) + len(bars["BBB"]),
        "values": 3 * counts["rows"],
    }
    got = stored_values(definitions=list(defs.values()), instruments=_ids(["AAA", "BBB"]))
    assert list(got.columns) == [
        "symbol",
        "ts",
        "known_at",
        "rsi_14@1",
        "sma_10@1",
        "macd_signal@1",
    ]  # as asked
    for symbol, frame in bars.items():
        rows = got[got["symbol"] == symbol]
        close = frame["close"].to_numpy()
        np.testing.assert_array_equal(rows["ts"].to_numpy(), frame.index.to_numpy())
        np.testing.assert_allclose(rows["rsi_14@1"], talib.RSI(close, 14), rtol=1e-12, equal_nan=True)
        np.testing.assert_allclose(rows["sma_10@1"], talib.SMA(close, 10), rtol=1e-12, equal_nan=True)
        np.testing.assert_allclose(rows["macd_signal@1"], talib.MACD(close)[1], rtol=1e-12, equal_nan=True)
        assert (rows["known_at"] - rows["ts"] == pd.Timedelta(days=1)).all()


def test_a_window_stores_only_its_bars_with_warmup_from_before(sp500_market, defs):
    start = sp500_market["AAA"].index[100]
    compute_chunk(definitions=[defs["rsi"]], symbols=["AAA"], start=start)
    got = stored_values(definitions=[defs["rsi"]], instruments=_ids(["AAA"]))
    assert got["ts"].min() == start and len(got) == 200
    expected = talib.RSI(sp500_market["AAA"]["close"].to_numpy(), 14)[100:]
    np.testing.assert_allclose(got["rsi_14@1"], expected, rtol=1e-12)  # no warm-up NaN: it came from before


def test_a_recompute_replaces_its_range_and_a_moved_definition_leaves_no_orphans(sp500_market, defs):
    ids = _ids(["AAA"])
    compute_chunk(definitions=[defs["rsi"], defs["sma"]], symbols=["AAA"])
    first_block = FeatureSeries.objects.get(definition=defs["rsi"]).columns_id
    compute_chunk(definitions=[defs["rsi"], defs["sma"]], symbols=["AAA"])  # same block again
    assert FeatureRow.objects.filter(columns_id=first_block).count() == 300
    compute_chunk(definitions=[defs["rsi"]], symbols=["AAA"])  # rsi moves to its own block
    assert FeatureSeries.objects.get(definition=defs["rsi"]).columns_id != first_block
    assert FeatureRow.objects.filter(columns_id=first_block).count() == 300  # sma still lives there
    compute_chunk(definitions=[defs["sma"]], symbols=["AAA"])  # now nobody points at the first block
    assert FeatureRow.objects.filter(columns_id=first_block).count() == 0
    got = stored_values(definitions=[defs["rsi"], defs["sma"]], instruments=ids)
    close = sp500_market["AAA"]["close"].to_numpy()
    assert len(got) == 300
    np.testing.assert_allclose(got["rsi_14@1"], talib.RSI(close, 14), rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(got["sma_10@1"], talib.SMA(close, 10), rtol=1e-12, equal_nan=True)


def test_as_of_hides_values_not_known_yet(sp500_market, defs):
    compute_chunk(definitions=[defs["sma"]], symbols=["AAA"])
    ts = sp500_market["AAA"].index
    # The bar of ts[50] closes at ts[51]: known then, not a microsecond before.
    got = stored_values(definitions=[defs["sma"]], instruments=_ids(["AAA"]), as_of=ts[51])
    assert got["ts"].max() == ts[50]
    before = stored_values(
        definitions=[defs["sma"]], instruments=_ids(["AAA"]), as_of=ts[51] - pd.Timedelta(microseconds=1)
    )
    assert before["ts"].max() == ts[49]
    assert (got["known_at"] <= ts[51]).all()


def test_reads_respect_the_row_cap(sp500_market, defs):
    compute_chunk(definitions=[defs["sma"]], symbols=["AAA"])
    assert len(stored_values(definitions=[defs["sma"]], instruments=_ids(["AAA"]), max_rows=300)) == 300
    with pytest.raises(TooManyRows):
        stored_values(definitions=[defs["sma"]], instruments=_ids(["AAA"]), max_rows=299)


def test_a_series_is_read_only_inside_the_range_it_covers_in_its_block(sp500_market, defs):
    """rsi leaves the (rsi, sma) block and comes back for a shorter window: the block's older rows
    (kept alive by sma) hold rsi values from before the move, which are not read."""
    ts = sp500_market["AAA"].index
    compute_chunk(definitions=[defs["rsi"], defs["sma"]], symbols=["AAA"])
    compute_chunk(definitions=[defs["rsi"]], symbols=["AAA"])
    compute_chunk(definitions=[defs["rsi"], defs["sma"]], symbols=["AAA"], start=ts[200])
    got = stored_values(definitions=[defs["rsi"], defs["sma"]], instruments=_ids(["AAA"]))
    assert len(got) == 300 and got["sma_10@1"].notna().sum() == 300 - 9
    assert got["rsi_14@1"].iloc[:200].isna().all() and got["rsi_14@1"].iloc[200:].notna().all()
