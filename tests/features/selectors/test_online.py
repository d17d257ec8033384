"""Online retrieval: latest_values equals the last stored value of each series as `stored_values`
reads it (and TA-Lib's last value on the bars), follows a newer bar, ignores a backfill, follows a
series to its new block; known_at is the bar's close for each definition's interval; the facade
resolves names and refuses unknown ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib

from apps.features import facade
from apps.features.selectors.lookups import lookups_clear
from apps.features.selectors.online import latest_values
from apps.features.selectors.values import stored_values
from apps.features.services.compute import compute_chunk
from apps.features.services.definitions import definition_save
from apps.features.services.sets import set_create
from apps.features.services.store import InstrumentValues, store_write
from apps.marketdata import facade as marketdata
from apps.marketdata.services import instrument_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_lookups():
    lookups_clear()
    yield
    lookups_clear()


@pytest.fixture
def defs(sp500_market):
    return [
        definition_save(name="rsi_14", function="RSI", params={"timeperiod": 14}),
        definition_save(name="sma_10", function="SMA", params={"timeperiod": 10}),
        definition_save(name="macd_signal", function="MACD", output="macdsignal"),
    ]


def _ids(symbols):
    found = marketdata.instruments_by_symbols(symbols)
    return {s: found[s].id for s in symbols}


def _last_stored(definition, instruments) -> dict[str, tuple[pd.Timestamp, float]]:
    """The reference: each symbol's last row of `stored_values` for this one definition."""
    rows = stored_values(definitions=[definition], instruments=instruments)
    last = rows.groupby("symbol").tail(1).set_index("symbol")
    return {s: (last.at[s, "ts"], last.at[s, definition.label]) for s in last.index}


def _assert_equals_stored(latest, definitions, instruments):
    for j, d in enumerate(definitions):
        expected = _last_stored(d, instruments)
        for i, symbol in enumerate(latest.symbols):
            ts, value = expected[symbol]
            assert pd.Timestamp(latest.ts[i, j], tz="UTC") == ts
            assert latest.values[i, j] == value or (np.isnan(value) and np.isnan(latest.values[i, j]))


def test_equals_the_last_stored_value_of_every_series_and_talib(sp500_market, defs):
    compute_chunk(definitions=defs, symbols=["AAA", "BBB"])
    ids = _ids(["BBB", "AAA"])  # rows in the order asked
    got = latest_values(definitions=defs, instruments=ids)
    assert got.symbols == ("BBB", "AAA") and got.features == ("rsi_14@1", "sma_10@1", "macd_signal@1")
    _assert_equals_stored(got, defs, ids)
    for i, symbol in enumerate(got.symbols):
        close = sp500_market[symbol]["close"].to_numpy()
        expected = [talib.RSI(close, 14)[-1], talib.SMA(close, 10)[-1], talib.MACD(close)[1][-1]]
        np.testing.assert_allclose(got.values[i], expected, rtol=1e-12)
        bar = sp500_market[symbol].index[-1]
        assert (got.known_at[i] == (bar + pd.Timedelta(days=1)).tz_localize(None).to_datetime64()).all()
    frame = got.frame()
    assert frame.loc["AAA", "sma_10@1"] == got.values[1, 1]
    assert got.known_at_frame().loc["BBB", "rsi_14@1"] == sp500_market["BBB"].index[-1] + pd.Timedelta(days=1)


def test_a_backfill_does_not_replace_a_newer_value_and_a_new_bar_does(sp500_market, defs):
    ids = _ids(["AAA"])
    ts = sp500_market["AAA"].index
    compute_chunk(definitions=defs, symbols=["AAA"], end=ts[200])
    first = latest_values(definitions=defs, instruments=ids)
    assert (first.ts[0] == ts[199].tz_localize(None).to_datetime64()).all()
    compute_chunk(definitions=defs, symbols=["AAA"], start=ts[10], end=ts[60])  # an old window again
    again = latest_values(definitions=defs, instruments=ids)
    np.testing.assert_array_equal(again.values, first.values)
    np.testing.assert_array_equal(again.ts, first.ts)
    compute_chunk(definitions=defs, symbols=["AAA"], start=ts[200])  # the newer bars arrive
    newest = latest_values(definitions=defs, instruments=ids)
    assert (newest.ts[0] == ts[-1].tz_localize(None).to_datetime64()).all()
    _assert_equals_stored(newest, defs, ids)


def test_a_recompute_that_moves_a_series_to_another_block_is_reflected(sp500_market, defs):
    rsi, sma, _ = defs
    ids = _ids(["AAA", "BBB"])
    compute_chunk(definitions=[rsi, sma], symbols=["AAA", "BBB"])
    ts = sp500_market["AAA"].index
    compute_chunk(definitions=[rsi], symbols=["AAA"], end=ts[150])  # rsi of AAA moves, older bars only
    got = latest_values(definitions=[rsi, sma], instruments=ids)
    _assert_equals_stored(got, [rsi, sma], ids)
    assert pd.Timestamp(got.ts[0, 0], tz="UTC") == ts[149]  # AAA's rsi: its new block's newest row
    assert pd.Timestamp(got.ts[0, 1], tz="UTC") == ts[-1]  # AAA's sma stayed
    assert got.values[0, 0] == pytest.approx(talib.RSI(sp500_market["AAA"]["close"].to_numpy()[:150], 14)[-1])


def test_nothing_stored_is_nan_and_nat_and_known_at_follows_each_interval(db):
    hourly = definition_save(name="f_h", function="SMA", params={"timeperiod": 5}, interval="1h")
    monthly = definition_save(name="f_mo", function="SMA", params={"timeperiod": 5}, interval="1mo")
    inst, bare = instrument_create(symbol="KNW").pk, instrument_create(symbol="BARE").pk
    store_write(
        [hourly],
        {
            inst: InstrumentValues(
                ts=np.array(["2024-03-01T13:00"], "datetime64[ns]"), values=np.array([[1.5]])
            )
        },
    )
    store_write(
        [monthly],
        {
            inst: InstrumentValues(
                ts=np.array(["2024-01-01", "2024-02-01"], "datetime64[ns]"),
                values=np.array([[7.0], [np.nan]]),
            )
        },
    )
    got = latest_values(definitions=[hourly, monthly], instruments={"KNW": inst, "BARE": bare})
    # Hand-worked: an hourly bar from 13:00 closes at 14:00; February's bar closes on March 1st.
    np.testing.assert_array_equal(
        got.known_at[0], np.array(["2024-03-01T14:00", "2024-03-01T00:00"], "datetime64[us]")
    )
    assert got.values[0, 0] == 1.5 and np.isnan(got.values[0, 1])  # the stored NaN (warm-up)
    assert np.isnan(got.values[1]).all() and np.isnat(got.known_at[1]).all() and np.isnat(got.ts[1]).all()


def test_the_facade_resolves_sets_features_and_symbols_and_names_unknown_ones(sp500_market, defs):
    rsi, sma, macd = defs
    compute_chunk(definitions=defs, symbols=["AAA", "BBB"])
    set_create(name="core", features=["sma_10", "rsi_14@1"])
    got = facade.features_latest(
        ["aaa", "BBB", "AAA"], feature_set="core", features=["macd_signal", "sma_10"]
    )
    assert got.symbols == ("AAA", "BBB")  # features first, then the set's members not already named
    assert got.features == ("macd_signal@1", "sma_10@1", "rsi_14@1")
    ids = _ids(["AAA", "BBB"])
    np.testing.assert_array_equal(
        got.values, latest_values(definitions=[macd, sma, rsi], instruments=ids).values
    )
    with pytest.raises(facade.UnknownFeature, match="nope"):
        facade.features_latest(["AAA"], feature_set="nope")
    with pytest.raises(facade.UnknownFeature, match="rsi_14@7"):
        facade.features_latest(["AAA"], features=["rsi_14@7"])
    with pytest.raises(facade.UnknownSymbol) as exc:
        facade.features_latest(["AAA", "zzz", "ZZZ", "YYY"], features=["rsi_14"])
    assert exc.value.symbols == ["ZZZ", "YYY"]


def test_the_name_cache_sees_a_new_instrument_at_once_and_a_new_version_after_clearing(sp500_market, defs):
    compute_chunk(definitions=defs, symbols=["AAA"])
    with pytest.raises(facade.UnknownSymbol):
        facade.features_latest(["NEW"], features=["sma_10"])
    instrument_create(symbol="NEW")
    assert np.isnan(
        facade.features_latest(["NEW"], features=["sma_10"]).values
    ).all()  # known, nothing stored
    assert facade.features_latest(["AAA"], features=["sma_10"]).features == ("sma_10@1",)
    definition_save(name="sma_10", function="SMA", params={"timeperiod": 12})
    assert facade.features_latest(["AAA"], features=["sma_10"]).features == ("sma_10@1",)  # cached
    lookups_clear()
    assert facade.features_latest(["AAA"], features=["sma_10"]).features == ("sma_10@2",)


def test_known_at_equals_the_stores_known_at_for_every_bar_interval(db):
    inst = instrument_create(symbol="INT").pk
    bar = np.array(["2024-01-31T22:45"], "datetime64[ns]")  # a month end: calendar months differ
    definitions = []
    for k, interval in enumerate(marketdata.bar_intervals()):
        d = definition_save(name=f"f_{k}", function="SMA", params={"timeperiod": 5}, interval=interval)
        store_write([d], {inst: InstrumentValues(ts=bar, values=np.array([[float(k)]]))})
        definitions.append(d)
    got = latest_values(definitions=definitions, instruments={"INT": inst})
    for j, d in enumerate(definitions):
        reference = stored_values(definitions=[d], instruments={"INT": inst})["known_at"].iloc[0]
        assert pd.Timestamp(got.known_at[0, j], tz="UTC") == reference, d.interval
    assert got.known_at[0, -1] == np.datetime64("2024-02-29T22:45", "us")  # "1mo": to Feb 29th


def test_asked_definitions_far_apart_or_close_together_read_exactly_themselves(db):
    inst = instrument_create(symbol="RUN").pk
    made = [definition_save(name=f"f_{k}", function="SMA", params={"timeperiod": 2 + k}) for k in range(14)]
    bar = np.array(["2024-03-01"], "datetime64[ns]")
    store_write(made, {inst: InstrumentValues(ts=bar, values=np.arange(14.0).reshape(1, 14) * 10)})
    # The read scans two runs of ids, {0, 1} and {7 .. 13} (gaps of 4 or less), and its filter drops
    # the stored 8-10 and 12 it passes over; asked out of id order.
    asked = [made[k] for k in (11, 0, 13, 7, 1)]
    got = latest_values(definitions=asked, instruments={"RUN": inst})
    np.testing.assert_array_equal(got.values, [[110.0, 0.0, 130.0, 70.0, 10.0]])
    assert got.features == tuple(d.label for d in asked)
