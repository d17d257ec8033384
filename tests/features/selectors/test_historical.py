"""Point-in-time retrieval: a value is never returned before its known_at (the bar's close, to the
microsecond), a value older than its TTL is missing rather than stale, the series pointer decides
which block a value is read from, entity rows keep their order, and random entity rows equal a
brute-force pandas `merge_asof` over the values written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from django.db import connection, transaction

from apps.features import facade
from apps.features.models import FeatureColumns, FeatureSeries
from apps.features.selectors.historical import (
    bar_length,
    entities_table,
    entity_ts_ns,
    join_select,
    point_in_time,
)
from apps.features.services.definitions import definition_save
from apps.features.services.sets import set_create
from apps.features.services.store import InstrumentValues, store_write
from apps.marketdata.facade import instrument_get
from apps.marketdata.services import instrument_create

pytestmark = pytest.mark.django_db
DAY = pd.Timedelta(days=1)
US = pd.Timedelta(microseconds=1)
T0 = pd.Timestamp("2024-01-01", tz="UTC")


def _ns(index) -> np.ndarray:
    return pd.DatetimeIndex(index).tz_convert("UTC").tz_localize(None).to_numpy(dtype="datetime64[ns]")


def _write(definitions, instrument, bars, matrix):
    store_write(definitions, {instrument.pk: InstrumentValues(ts=_ns(bars), values=np.asarray(matrix))})


def _entities(symbols, ts):
    return pd.DataFrame({"symbol": list(symbols), "ts": list(ts)})


@pytest.fixture
def daily(db):
    """AAA with two daily features in one block over 20 bars from 2024-01-01: a = bar number,
    b = 100 + bar number."""
    aaa = instrument_create(symbol="AAA")
    a = definition_save(name="feat_a", function="SMA", params={"timeperiod": 5})
    b = definition_save(name="feat_b", function="SMA", params={"timeperiod": 10})
    bars = pd.date_range(T0, periods=20, freq="D")
    _write([a, b], aaa, bars, np.column_stack([np.arange(20.0), 100.0 + np.arange(20)]))
    return {"aaa": aaa, "a": a, "b": b, "bars": bars}


def test_a_value_is_known_at_its_bar_close_not_a_microsecond_before(daily):
    close = daily["bars"][7] + DAY  # bar 7 closes when bar 8 opens
    got = point_in_time(
        [daily["a"]], _entities(["AAA"] * 3, [close - US, close, close + US]), with_known_at=True
    )
    assert got["feat_a@1"].tolist() == [6.0, 7.0, 7.0]
    assert got["feat_a@1.known_at"].tolist() == [close - DAY, close, close]
    before_any = point_in_time([daily["a"]], _entities(["AAA"], [daily["bars"][0] + DAY - US]))
    assert np.isnan(before_any["feat_a@1"].iloc[0])  # the first bar is not known before it closes


def test_a_value_older_than_its_ttl_is_missing_exactly_at_the_ttl(daily, settings):
    last_known = daily["bars"][-1] + DAY
    at = [last_known + 5 * DAY - US, last_known + 5 * DAY]
    got = point_in_time([daily["a"], daily["b"]], _entities(["AAA", "AAA"], at))
    assert got["feat_a@1"].iloc[0] == 19.0 and np.isnan(got["feat_a@1"].iloc[1])  # default: 5 bars
    settings.FEATURES_TTL_BARS = 6
    assert point_in_time([daily["a"]], _entities(["AAA"], at[1:]))["feat_a@1"].tolist() == [19.0]
    settings.FEATURES_TTL_BARS = 5
    # Per feature: a keeps 2 days, b the default; for all: 12 hours.
    per = point_in_time(
        [daily["a"], daily["b"]],
        _entities(["AAA"] * 3, [last_known + 2 * DAY - US, last_known + 2 * DAY, at[0]]),
        ttl={"feat_a@1": 2 * DAY},
    )
    np.testing.assert_array_equal(per["feat_a@1"], [19.0, np.nan, np.nan])
    np.testing.assert_array_equal(per["feat_b@1"], [119.0, 119.0, 119.0])
    one = point_in_time(
        [daily["a"], daily["b"]],
        _entities(
            ["AAA"] * 2, [last_known + pd.Timedelta(hours=12) - US, last_known + pd.Timedelta(hours=12)]
        ),
        ttl=pd.Timedelta(hours=12),
    )
    np.testing.assert_array_equal(one[["feat_a@1", "feat_b@1"]].to_numpy(), [[19.0, 119.0], [np.nan] * 2])


def test_a_gap_longer_than_the_ttl_is_missing_and_the_next_bar_is_found_again(daily):
    aaa, a, b = daily["aaa"], daily["a"], daily["b"]
    # Bars 20..29 missing, then 30..34: the value of bar 19 expires, bar 30 is found after its close.
    later = pd.date_range(T0 + 30 * DAY, periods=5, freq="D")
    _write([a, b], aaa, later, np.column_stack([30.0 + np.arange(5), 130.0 + np.arange(5)]))
    at = [T0 + 25 * DAY - US, T0 + 25 * DAY, T0 + 31 * DAY - US, T0 + 31 * DAY]
    got = point_in_time([a], _entities(["AAA"] * 4, at))
    np.testing.assert_array_equal(got["feat_a@1"], [19.0, np.nan, np.nan, 30.0])


def test_the_series_pointer_decides_which_block_is_read(daily):
    aaa, a, b, bars = daily["aaa"], daily["a"], daily["b"], daily["bars"]
    old_block = FeatureSeries.objects.get(definition=a).columns_id
    # a is recomputed alone from bar 10 on (another block, other values); b stays in the first block,
    # which still holds the old values of a (b keeps its rows alive) — they must not be read.
    _write([a], aaa, bars[10:], -np.arange(10.0, 20.0)[:, None])
    assert FeatureSeries.objects.get(definition=a).columns_id != old_block
    at = [bars[5] + DAY, bars[12] + DAY]
    got = point_in_time([a, b], _entities(["AAA", "AAA"], at), with_known_at=True)
    np.testing.assert_array_equal(got["feat_a@1"], [np.nan, -12.0])  # no row of the new block before bar 10
    np.testing.assert_array_equal(got["feat_b@1"], [105.0, 112.0])
    assert pd.isna(got["feat_a@1.known_at"].iloc[0]) and got["feat_a@1.known_at"].iloc[1] == at[1]


def test_entity_rows_keep_their_order_and_unknown_symbols_are_nan_rows(daily):
    bars = daily["bars"]
    ts = [bars[9] + DAY, bars[2] + DAY, bars[9] + DAY, bars[4] + DAY, bars[0]]
    got = point_in_time([daily["b"], daily["a"]], _entities(["AAA", "aaa", "ZZZ", "AAA", "AAA"], ts))
    assert list(got.columns) == ["symbol", "ts", "feat_b@1", "feat_a@1"]
    assert got["symbol"].tolist() == ["AAA", "aaa", "ZZZ", "AAA", "AAA"]  # as given; matched case-blind
    assert (got["ts"] == pd.DatetimeIndex(ts)).all()
    np.testing.assert_array_equal(got["feat_a@1"], [9.0, 2.0, np.nan, 4.0, np.nan])
    assert got.attrs["unknown_symbols"] == ["ZZZ"]


def test_naive_timestamps_are_utc_and_bad_input_is_refused(daily):
    at = (daily["bars"][3] + DAY).tz_localize(None)
    assert point_in_time([daily["a"]], _entities(["AAA"], [at]))["feat_a@1"].tolist() == [3.0]
    with pytest.raises(ValueError, match="ts"):
        point_in_time([daily["a"]], pd.DataFrame({"symbol": ["AAA"]}))
    with pytest.raises(ValueError, match="feat_b@1"):
        point_in_time([daily["a"]], _entities(["AAA"], [at]), ttl={"feat_b@1": DAY})
    with pytest.raises(ValueError, match="positive"):
        point_in_time([daily["a"]], _entities(["AAA"], [at]), ttl=pd.Timedelta(0))
    with pytest.raises(ValueError, match="missing"):
        point_in_time([daily["a"]], _entities(["AAA"], [pd.NaT]))


def test_monthly_bars_close_at_the_next_month_start(db):
    aaa = instrument_create(symbol="AAA")
    m = definition_save(name="feat_m", function="SMA", interval="1mo")
    bars = pd.date_range("2024-01-01", periods=4, freq="MS", tz="UTC")  # Jan..Apr 2024
    _write([m], aaa, bars, np.arange(1.0, 5.0)[:, None])
    mar1 = pd.Timestamp("2024-03-01", tz="UTC")  # Feb (29 days) closes at Mar 1
    got = point_in_time([m], _entities(["AAA"] * 3, [mar1 - US, mar1, pd.Timestamp("2024-05-15", tz="UTC")]))
    np.testing.assert_array_equal(got["feat_m@1"], [1.0, 2.0, 4.0])
    assert bar_length("1mo") == pd.Timedelta(days=31)


def _reference(entities, stored, ttls):
    """Brute force: per feature, pandas merge_asof of the entity rows on the values' known_at, by
    symbol, backward with exact matches, then values at or beyond their TTL dropped."""
    left = entities.reset_index().rename(columns={"index": "row"}).sort_values("ts", kind="stable")
    out = pd.DataFrame(index=entities.index)
    for label, frame in stored.items():
        right = frame.sort_values("known_at")
        m = pd.merge_asof(
            left, right, left_on="ts", right_on="known_at", by="symbol", direction="backward"
        ).set_index("row")
        stale = ~(m["ts"] - m["known_at"] < ttls[label])
        out[label] = m["value"].mask(stale).reindex(entities.index)
    return out


def test_random_entity_rows_equal_a_merge_asof_reference(db):
    rng = np.random.default_rng(7)
    insts = {s: instrument_create(symbol=s) for s in ("AAA", "BBB", "CCC")}
    daily = [definition_save(name=f"d{k}", function="SMA", params={"timeperiod": k + 2}) for k in range(3)]
    hourly = [definition_save(name="h0", function="SMA", interval="1h")]
    stored: dict[str, list[pd.DataFrame]] = {}
    for defs, step, n in ((daily, DAY, 120), (hourly, pd.Timedelta(hours=1), 130 * 24)):
        for symbol, inst in insts.items():
            bars = pd.date_range(T0, periods=n, freq=step)[rng.random(n) > 0.3]  # gaps, some long
            values = rng.normal(size=(len(bars), len(defs)))
            values[rng.random(values.shape) < 0.05] = np.nan  # NaN values are values too
            _write(defs, inst, bars, values)
            for k, d in enumerate(defs):
                stored.setdefault(d.label, []).append(
                    pd.DataFrame({"symbol": symbol, "known_at": bars + step, "value": values[:, k]})
                )
    # Entity rows: random instants, some exactly on a bar close, an unknown symbol, duplicates.
    n = 3000
    ts = T0 + pd.to_timedelta(rng.integers(0, 130 * 86400 * 10**6, n), unit="us")
    ts = ts.where(rng.random(n) > 0.2, ts.floor("h"))
    symbols = rng.choice(["AAA", "BBB", "CCC", "ZZZ"], n, p=[0.3, 0.3, 0.3, 0.1])
    entities = pd.DataFrame({"symbol": symbols, "ts": ts})
    ttls = {"d0@1": 3 * DAY, "d1@1": 5 * DAY, "d2@1": 10 * DAY, "h0@1": pd.Timedelta(hours=4)}
    got = point_in_time(
        daily + hourly, entities, ttl={"d0@1": 3 * DAY, "d2@1": 10 * DAY, "h0@1": ttls["h0@1"]}
    )
    expected = _reference(entities, {k: pd.concat(v) for k, v in stored.items()}, ttls)
    for label in ttls:
        np.testing.assert_array_equal(got[label].to_numpy(), expected[label].to_numpy(), err_msg=label)
    assert got[list(ttls)].notna().sum().min() > 500  # the comparison is not between empty columns


def test_the_facade_resolves_names_and_sets_and_refuses_unknown_ones(daily):
    set_create(name="core", features=["feat_a", "feat_b"])
    at = [daily["bars"][-1] + DAY + 2 * DAY]  # the last value is 2 days old
    got = facade.features_as_of(
        _entities(["AAA"], at), feature_set="core", features=["feat_b@1"], ttl={"feat_a": "36h"}
    )
    assert list(got.columns) == ["symbol", "ts", "feat_b@1", "feat_a@1"]  # features first, then the set's
    assert got["feat_b@1"].tolist() == [119.0] and np.isnan(got["feat_a@1"].iloc[0])
    with pytest.raises(facade.UnknownFeature, match="ghost"):
        facade.features_as_of(_entities(["AAA"], at), features=["ghost"])
    with pytest.raises(facade.UnknownFeature, match="unknown feature set"):
        facade.features_as_of(_entities(["AAA"], at), feature_set="nope")
    with pytest.raises(facade.UnknownFeature):
        facade.features_as_of(_entities(["AAA"], at))


def _plan(block_id: int, entities: pd.DataFrame, *settings_sql: str) -> str:
    block = FeatureColumns.objects.get(pk=block_id)
    inst = np.full(len(entities), instrument_get("AAA").id)
    ts = entity_ts_ns(entities["ts"])
    with transaction.atomic(), entities_table(np.arange(len(ts)), inst, ts), connection.cursor() as cursor:
        for statement in settings_sql:
            cursor.execute(statement)
        sql, params = join_select(block, [1], [int(inst[0])], pd.Timedelta(days=5))
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_join_walks_the_primary_key_even_when_statistics_lag_a_write(db):
    """A block a write just created has no statistics until ANALYZE: estimated at one row, an index
    on columns_id alone plus a sort looked cheaper to the planner and cost a scan of the whole block
    per entity row. That index is gone (the primary key starts with columns_id); the join's settings
    keep the primary-key walk whatever other index or estimate comes along."""
    aaa = instrument_create(symbol="AAA")
    old, new = (definition_save(name=n, function="SMA") for n in ("feat_old", "feat_new"))
    bars = pd.date_range(T0, periods=5000, freq="h")
    _write([old], aaa, bars, np.zeros((5000, 1)))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE features_row")
    _write([new], aaa, bars, np.ones((5000, 1)))  # a new block, unknown to the statistics
    block = FeatureSeries.objects.get(definition=new).columns_id
    entities = _entities(["AAA"] * 1000, bars[::5])
    ours = _plan(block, entities)
    assert "Index Scan Backward using features_row_pkey" in ours and "Sort" not in ours, ours


def test_rows_outside_the_range_a_series_covers_are_not_read(daily):
    aaa, a, b, bars = daily["aaa"], daily["a"], daily["b"], daily["bars"]
    _write([b], aaa, bars, -np.ones((20, 1)))  # b moves to a block of its own...
    _write([a, b], aaa, bars[10:], np.column_stack([50.0 + np.arange(10), 150.0 + np.arange(10)]))
    # ...and back over bars 10..19: the first block still holds b's values of bars 0..9 from its
    # first write (a keeps those rows alive), outside the range b's series now covers.
    assert FeatureSeries.objects.get(definition=b).first_ts == bars[10]
    at = [bars[5] + DAY, bars[12] + DAY]
    got = point_in_time([a, b], _entities(["AAA", "AAA"], at))
    np.testing.assert_array_equal(got["feat_a@1"], [5.0, 52.0])
    np.testing.assert_array_equal(got["feat_b@1"], [np.nan, 152.0])
