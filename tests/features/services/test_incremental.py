"""Incremental updates: after new bars, every stored series of the whole TA-Lib catalogue (each
function's every output, default parameters) equals the batch value over the same history, to 1e-9
relative — on the S&P 500's 5,031 bars, so the bounded look-backs really are shorter than the
history; several new bars at once, instruments at different ends, the bus event, and series that
moved to another block stay where they are."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib
from arch.data import sp500

from apps.features.kernels.catalog import catalog
from apps.features.models import FeatureSeries
from apps.features.selectors.panels import BAR_FIELDS, symbol_feature_arrays
from apps.features.selectors.values import stored_values
from apps.features.services.compute import compute_chunk
from apps.features.services.definitions import definition_save
from apps.features.services.incremental import update_on_bars
from apps.marketdata import facade as marketdata
from apps.marketdata.services import instrument_create
from apps.marketdata.services.storage import bars_upsert
from apps.platform import bus

pytestmark = pytest.mark.django_db


def _bars(symbol: str, frame: pd.DataFrame, scale: float = 1.0) -> pd.DataFrame:
    known = marketdata.instrument_get(symbol)
    f = pd.DataFrame(
        {
            "instrument_id": known.id if known else instrument_create(symbol=symbol).pk,
            "ts": frame.index,
            "open": frame["Open"].to_numpy() * scale,
            "high": frame["High"].to_numpy() * scale,
            "low": frame["Low"].to_numpy() * scale,
            "close": frame["Close"].to_numpy() * scale,
            "volume": frame["Volume"].to_numpy(dtype=float),
        }
    )
    f["adj_close"] = f["close"]
    return f


@pytest.fixture(scope="module")
def spx():
    data = sp500.load()
    data.index = pd.DatetimeIndex(data.index).tz_localize("UTC")
    return data


def _catalogue_definitions():
    defs = []
    for spec in catalog():
        if any(f not in BAR_FIELDS for f in spec.inputs):
            continue  # MAVP reads a periods series
        for k, output in enumerate(spec.outputs):
            defs.append(definition_save(name=f"{spec.name.lower()}_{k}", function=spec.name, output=output))
    return defs


def _ids(*symbols):
    return {s: marketdata.instrument_get(s).id for s in symbols}


def test_the_whole_catalogue_updated_incrementally_equals_batch(
    spx, fresh_bus, django_capture_on_commit_callbacks
):
    bars_upsert(_bars("SPX", spx.iloc[:-2]), interval="1d")
    bars_upsert(_bars("HALF", spx.iloc[-800:-1], 0.5), interval="1d")
    defs = _catalogue_definitions()
    compute_chunk(definitions=defs, symbols=["SPX", "HALF"])
    # SPX gets two new bars, HALF one.
    bars_upsert(_bars("SPX", spx.iloc[-2:]), interval="1d")
    bars_upsert(_bars("HALF", spx.iloc[-1:], 0.5), interval="1d")
    blocks = len({s.columns_id for s in FeatureSeries.objects.all()})
    with django_capture_on_commit_callbacks(execute=True):  # the events go out after the commit
        assert update_on_bars(["SPX|1d", "half|1d"]) == {"instruments": 2, "rows": 3 * blocks}
    incremental = stored_values(definitions=defs, instruments=_ids("SPX", "HALF"), start=spx.index[-2])
    batch = {
        symbol: pd.DataFrame(arrays, index=index)
        for symbol, _i, _a, index, arrays in symbol_feature_arrays(definitions=defs, symbols=["SPX", "HALF"])
    }
    broken = []
    for symbol, rows in incremental.groupby("symbol"):
        for label in (d.label for d in defs):
            got = rows.set_index("ts")[label]
            want = batch[symbol][label].reindex(got.index)
            try:
                np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9, atol=0, equal_nan=True)
            except AssertionError:
                broken.append((symbol, label))
    assert broken == []
    assert len(incremental[incremental["symbol"] == "SPX"]) == 2
    events = bus.subscribe("features.values.*", last_id="0", follow=False)
    by_symbol = {e.payload["symbol"]: e.payload for e in events}
    assert by_symbol["SPX"]["bars"] == 2 and by_symbol["HALF"]["bars"] == 1
    assert by_symbol["SPX"]["ts"] == spx.index[-1].isoformat().replace("+00:00", "Z")
    assert by_symbol["SPX"]["values"]["sma_0@1"] == pytest.approx(spx["Close"].iloc[-30:].mean(), rel=1e-12)


def test_nothing_new_or_nothing_stored_is_a_no_op(spx, fresh_bus):
    bars_upsert(_bars("SPX", spx.iloc[-300:]), interval="1d")
    sma = definition_save(name="sma_5", function="SMA", params={"timeperiod": 5})
    compute_chunk(definitions=[sma], symbols=["SPX"])
    bars_upsert(_bars("OTHER", spx.iloc[-300:]), interval="1d")
    assert update_on_bars(["SPX|1d", "OTHER|1d", "SPX|1h", "NOPE|1d"]) == {"instruments": 0, "rows": 0}


def test_a_series_that_moved_to_another_block_stays_there(spx, fresh_bus):
    bars_upsert(_bars("SPX", spx.iloc[-300:-1]), interval="1d")
    sma = definition_save(name="sma_5", function="SMA", params={"timeperiod": 5})
    rsi = definition_save(name="rsi_14", function="RSI")
    compute_chunk(definitions=[sma, rsi], symbols=["SPX"])
    compute_chunk(definitions=[rsi], symbols=["SPX"])  # rsi moves to its own block
    homes = dict(FeatureSeries.objects.values_list("definition_id", "columns_id"))
    bars_upsert(_bars("SPX", spx.iloc[-1:]), interval="1d")
    update_on_bars(["SPX|1d"])
    assert dict(FeatureSeries.objects.values_list("definition_id", "columns_id")) == homes
    got = stored_values(definitions=[sma, rsi], instruments=_ids("SPX"), start=spx.index[-1])
    close = spx["Close"].to_numpy()[-300:]
    assert got["sma_5@1"].iloc[0] == pytest.approx(talib.SMA(close, 5)[-1], rel=1e-12)
    assert got["rsi_14@1"].iloc[0] == pytest.approx(talib.RSI(close, 14)[-1], rel=1e-9)
    assert FeatureSeries.objects.get(definition=rsi).last_ts == spx.index[-1]


def test_fundamental_ratios_and_a_benchmark_beta_update_like_batch(sp500_market, fresh_bus):
    """Definitions with inputs other than bars go through the store's own per-symbol computation:
    the ratio at the new bar uses the figure known at its close (one published after it is not)."""
    from apps.marketdata.models import Fundamental

    bars = sp500_market["AAA"]
    aaa = marketdata.instrument_get("AAA").id
    Fundamental.objects.create(
        instrument_id=aaa,
        field="eps",
        period_end=bars.index[10].date(),
        reported_at=bars.index[20],
        value=40.0,
    )
    pe = definition_save(name="pe", function="price_to_earnings", adjusted=False)
    beta = definition_save(name="beta_20", function="rolling_beta", params={"window": 20}, benchmark="AAA")
    sma = definition_save(name="sma_5", function="SMA", params={"timeperiod": 5}, adjusted=False)
    compute_chunk(definitions=[pe, beta, sma], symbols=["AAA", "BBB"], end=bars.index[-1])
    # A figure reported after the last stored bar's close but before the new bar's close, and one
    # reported after the new bar's close (invisible to it).
    Fundamental.objects.create(
        instrument_id=aaa,
        field="eps",
        period_end=bars.index[-5].date(),
        reported_at=bars.index[-1],
        value=50.0,
    )
    Fundamental.objects.create(
        instrument_id=aaa,
        field="eps",
        period_end=bars.index[-4].date(),
        reported_at=bars.index[-1] + pd.Timedelta(days=1, seconds=1),
        value=99.0,
    )
    assert update_on_bars(["AAA|1d", "BBB|1d"])["instruments"] == 2
    got = stored_values(definitions=[pe, beta, sma], instruments=_ids("AAA", "BBB"), start=bars.index[-1])
    assert got.set_index("symbol").loc["AAA", "pe@1"] == pytest.approx(
        bars["close"].iloc[-1] / 50.0, rel=1e-12
    )
    batch = {
        label: values[-1]
        for _s, _i, _a, _index, arrays in symbol_feature_arrays(
            definitions=[beta], symbols=["BBB"]
        )  # its bars: a subset of AAA's
        for label, values in arrays.items()
    }
    assert np.isfinite(batch["beta_20@1"])
    assert got.set_index("symbol").loc["BBB", "beta_20@1"] == pytest.approx(batch["beta_20@1"], rel=1e-12)
