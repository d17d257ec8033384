"""storage: idempotent upserts (COPY + ON CONFLICT on PostgreSQL, executemany on SQLite)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from django.db import IntegrityError, connection, transaction

from apps.marketdata.models import Bar, EconomicSeries, Fundamental, FxRate, Quote, SeriesObservation, Trade
from apps.marketdata.services import storage
from apps.marketdata.services.storage import postgres

pytestmark = pytest.mark.django_db


def bars_frame(instrument_id: int, n: int = 5, start: str = "2024-01-02", scale: float = 1.0) -> pd.DataFrame:
    ts = pd.date_range(start, periods=n, freq="D", tz="UTC")
    close = (100.0 + np.arange(n)) * scale
    return pd.DataFrame(
        {
            "instrument_id": instrument_id,
            "ts": ts,
            "open": close - 0.5,
            "high": close + 1.0,
            "low": close - 1.0,
            "close": close,
            "adj_close": close * 0.98,
            "volume": np.arange(n) * 1000.0,
            "vwap": np.where(np.arange(n) % 2 == 0, close, np.nan),
            "trade_count": np.where(np.arange(n) % 2 == 0, 10.0 + np.arange(n), np.nan),
        }
    )


def test_bars_upsert_writes_every_value_and_nan_becomes_null(instruments):
    aapl = instruments["AAPL"]
    assert storage.bars_upsert(bars_frame(aapl.pk), interval="1d") == 5
    rows = list(Bar.objects.filter(instrument=aapl, interval="1d").order_by("ts"))
    assert [r.ts for r in rows] == [dt.datetime(2024, 1, d, tzinfo=dt.UTC) for d in range(2, 7)]
    assert [r.close for r in rows] == [100.0, 101.0, 102.0, 103.0, 104.0]
    assert rows[1].adj_close == pytest.approx(101.0 * 0.98)
    assert rows[0].vwap == 100.0 and rows[1].vwap is None
    assert rows[2].trade_count == 12 and rows[1].trade_count is None
    assert rows[4].volume == 4000.0


def test_reloading_the_same_frame_is_idempotent_and_corrections_update(instruments):
    aapl, msft = instruments["AAPL"], instruments["MSFT"]
    frame = pd.concat([bars_frame(aapl.pk), bars_frame(msft.pk)])
    storage.bars_upsert(frame, interval="1d")
    storage.bars_upsert(frame, interval="1d")
    assert Bar.objects.count() == 10
    storage.bars_upsert(bars_frame(aapl.pk, n=7, scale=2.0), interval="1d")  # 5 corrected + 2 new
    assert Bar.objects.filter(instrument=aapl).count() == 7
    assert Bar.objects.get(instrument=aapl, ts=dt.datetime(2024, 1, 2, tzinfo=dt.UTC)).close == 200.0
    assert Bar.objects.get(instrument=msft, ts=dt.datetime(2024, 1, 2, tzinfo=dt.UTC)).close == 100.0


def test_same_timestamps_on_another_interval_are_other_rows(instruments):
    aapl = instruments["AAPL"]
    storage.bars_upsert(bars_frame(aapl.pk), interval="1d")
    storage.bars_upsert(bars_frame(aapl.pk), interval="1h")
    assert Bar.objects.filter(interval="1d").count() == 5 and Bar.objects.filter(interval="1h").count() == 5


def test_orm_rows_and_upserted_rows_share_keys(instruments):
    """A row the ORM wrote is updated, not duplicated (timestamps stored in the same form)."""
    aapl = instruments["AAPL"]
    ts = dt.datetime(2024, 1, 2, 14, 30, 0, 250000, tzinfo=dt.UTC)
    Bar.objects.create(instrument=aapl, interval="1m", ts=ts, open=1, high=1, low=1, close=1)
    frame = bars_frame(aapl.pk, n=1)
    frame["ts"] = pd.Timestamp(ts)
    storage.bars_upsert(frame, interval="1m")
    assert Bar.objects.filter(instrument=aapl, interval="1m").count() == 1
    assert Bar.objects.get(instrument=aapl, interval="1m").close == 100.0


def test_a_failing_row_writes_nothing(instruments):
    aapl = instruments["AAPL"]
    frame = bars_frame(aapl.pk)
    frame.loc[3, "high"] = 0.0  # below open/close: the database CHECK refuses it
    with pytest.raises(IntegrityError):
        storage.bars_upsert(frame, interval="1d")
    assert not Bar.objects.exists()


def test_two_loads_in_one_transaction_both_land(instruments):
    with transaction.atomic():
        storage.bars_upsert(bars_frame(instruments["AAPL"].pk), interval="1d")
        storage.bars_upsert(bars_frame(instruments["MSFT"].pk), interval="1d")
    assert Bar.objects.count() == 10


def test_naive_timestamps_and_unknown_intervals_are_refused(instruments):
    frame = bars_frame(instruments["AAPL"].pk)
    frame["ts"] = frame["ts"].dt.tz_localize(None)
    with pytest.raises(ValueError, match="timezone-aware"):
        storage.bars_upsert(frame, interval="1d")
    with pytest.raises(ValueError, match="unknown interval"):
        storage.bars_upsert(bars_frame(instruments["AAPL"].pk), interval="7d")


def test_bulk_create_baseline_writes_the_same_rows(instruments):
    aapl = instruments["AAPL"]
    storage.bars_bulk_create(bars_frame(aapl.pk), interval="1d")
    storage.bars_bulk_create(bars_frame(aapl.pk, scale=3.0), interval="1d")
    rows = list(Bar.objects.filter(instrument=aapl).order_by("ts").values_list("close", "vwap"))
    assert rows[:2] == [(300.0, 300.0), (303.0, None)] and len(rows) == 5


def test_quotes_and_trades(instruments):
    aapl = instruments["AAPL"]
    ts = pd.date_range("2024-03-01 14:30", periods=3, freq="s", tz="UTC")
    quotes = pd.DataFrame(
        {"instrument_id": aapl.pk, "ts": ts, "bid": [10.0, 10.1, 10.2], "ask": [10.1, 10.2, 10.3],
         "bid_size": 100.0, "ask_size": 200.0}
    )  # fmt: skip
    assert storage.quotes_upsert(quotes) == 3
    quotes["bid"] = [9.9, 10.0, 10.1]
    storage.quotes_upsert(quotes)
    assert sorted(Quote.objects.values_list("bid", flat=True)) == [9.9, 10.0, 10.1]
    trades = pd.DataFrame({"instrument_id": aapl.pk, "ts": ts[0], "seq": [1, 2], "price": [10.0, 10.05],
                           "size": [5.0, 7.0]})  # fmt: skip
    storage.trades_upsert(trades)
    storage.trades_upsert(trades)
    assert list(Trade.objects.order_by("seq").values_list("seq", "price")) == [(1, 10.0), (2, 10.05)]


def test_observations_keep_revisions_as_rows_and_missing_as_null():
    gdp = EconomicSeries.objects.create(code="GDPC1")
    first = pd.Timestamp("2024-04-25", tz="UTC")
    frame = pd.DataFrame(
        {"series_id": gdp.pk, "date": pd.to_datetime(["2024-01-01", "2024-04-01"]), "known_at": first,
         "value": [22.7, np.nan]}
    )  # fmt: skip
    storage.observations_upsert(frame)
    revised = frame.iloc[:1].assign(known_at=pd.Timestamp("2024-05-30", tz="UTC"), value=22.8)
    storage.observations_upsert(revised)
    storage.observations_upsert(revised)
    rows = list(SeriesObservation.objects.order_by("date", "known_at").values_list("date", "value"))
    assert rows == [(dt.date(2024, 1, 1), 22.7), (dt.date(2024, 1, 1), 22.8), (dt.date(2024, 4, 1), None)]


def test_fundamentals_and_fx_with_text_columns(instruments):
    aapl = instruments["AAPL"]
    fund = pd.DataFrame(
        {"instrument_id": aapl.pk, "field": ["eps", "revenue, net"], "period": ["Q1", ""],
         "period_end": pd.to_datetime(["2024-03-31", "2024-03-31"]),
         "reported_at": pd.Timestamp("2024-05-02 20:30", tz="UTC"), "value": [1.53, 90.75e9]}
    )  # fmt: skip
    storage.fundamentals_upsert(fund)
    storage.fundamentals_upsert(fund.assign(value=[1.55, 90.75e9]))
    assert dict(Fundamental.objects.values_list("field", "value")) == {"eps": 1.55, "revenue, net": 90.75e9}
    assert Fundamental.objects.get(field="revenue, net").period == ""
    fx = pd.DataFrame({"base": "EUR", "quote": "USD", "ts": pd.date_range("2024-01-01", periods=3, tz="UTC"),
                       "rate": [1.10, 1.0912345678901234, 1.09]})  # fmt: skip
    storage.fx_upsert(fx)
    storage.fx_upsert(fx)
    assert FxRate.objects.count() == 3
    assert FxRate.objects.get(ts=dt.datetime(2024, 1, 2, tzinfo=dt.UTC)).rate == 1.0912345678901234


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY staging is PostgreSQL only")
def test_postgres_path_uses_copy_staging_and_leaves_no_temp_table(instruments, django_assert_max_num_queries):
    with django_assert_max_num_queries(10) as ctx:
        storage.bars_upsert(bars_frame(instruments["AAPL"].pk, n=3000), interval="1d")
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "CREATE TEMP TABLE stage_marketdata_bar" in sql and "ON CONFLICT" in sql
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('pg_temp.stage_marketdata_bar')")
        assert cursor.fetchone()[0] is None
    assert Bar.objects.count() == 3000


def _gapless(frame: pd.DataFrame) -> pd.DataFrame:
    """vwap everywhere, trade_count nowhere: the shape the direct COPY path takes."""
    return frame.assign(vwap=frame["close"], trade_count=np.nan)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="direct COPY is PostgreSQL only")
def test_new_data_is_copied_straight_into_the_table(instruments, django_assert_max_num_queries):
    aapl = instruments["AAPL"]
    with django_assert_max_num_queries(10) as ctx:
        assert storage.bars_upsert(_gapless(bars_frame(aapl.pk, n=300)), interval="1d") == 300
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "stage_marketdata_bar" not in sql and "ON CONFLICT" not in sql
    row = Bar.objects.get(instrument=aapl, interval="1d", ts=dt.datetime(2024, 1, 3, tzinfo=dt.UTC))
    assert (row.close, row.vwap, row.trade_count, row.adj_close) == (101.0, 101.0, None, pytest.approx(98.98))
    # Overlapping data goes through the upsert path and corrects the stored rows.
    with django_assert_max_num_queries(10) as ctx:
        storage.bars_upsert(_gapless(bars_frame(aapl.pk, n=301, scale=2.0)), interval="1d")
    assert "ON CONFLICT" in " ".join(q["sql"] for q in ctx.captured_queries)
    assert Bar.objects.filter(instrument=aapl).count() == 301
    assert Bar.objects.get(instrument=aapl, ts=dt.datetime(2024, 1, 3, tzinfo=dt.UTC)).close == 202.0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="direct COPY is PostgreSQL only")
def test_a_conflict_the_probe_missed_falls_back_to_the_upsert(instruments, monkeypatch):
    """A concurrent load can insert between the probe and the COPY: the unique violation must roll
    back to the savepoint and the rows land through the upsert path, nothing lost or doubled."""
    aapl = instruments["AAPL"]
    storage.bars_upsert(_gapless(bars_frame(aapl.pk, n=5)), interval="1d")
    monkeypatch.setattr(postgres, "_pg_overlaps", lambda *a, **k: False)
    assert storage.bars_upsert(_gapless(bars_frame(aapl.pk, n=8, scale=3.0)), interval="1d") == 8
    assert Bar.objects.filter(instrument=aapl).count() == 8
    assert Bar.objects.get(instrument=aapl, ts=dt.datetime(2024, 1, 2, tzinfo=dt.UTC)).close == 300.0
