"""OHLCV resampling checked against pandas' own resample on the same data (an independent
reference), with gaps and several symbols; plus the bucket rules it relies on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apps.marketdata.kernels.resample import (
    adjust_prices,
    bucket_start_ns,
    divides,
    from_ns,
    mark_partial,
    resample_bars,
)
from apps.marketdata.models import Bar, Instrument
from apps.marketdata.selectors import bars as selectors

PANDAS_RULES = {"5m": "5min", "15m": "15min", "1h": "1h", "4h": "4h", "1d": "1D", "1w": "W-MON", "1mo": "MS"}
FIELDS = ["open", "high", "low", "close", "adj_close", "volume", "vwap", "trade_count"]


def synthetic_bars(symbols, start, periods, freq, seed, drop_frac=0.15, hole=(60, 180)) -> pd.DataFrame:
    """Random-walk OHLCV bars that satisfy the bar constraints, with random missing bars and one
    long hole (whole empty buckets)."""
    rng = np.random.default_rng(seed)
    frames = []
    for n, sym in enumerate(symbols):
        ts = pd.date_range(start, periods=periods, freq=freq, tz="UTC")
        close = (100 + 50 * n) * np.exp(np.cumsum(rng.normal(0, 0.002, periods)))
        open_ = np.r_[close[0], close[:-1]] * (1 + rng.normal(0, 0.0005, periods))
        high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.002, periods))
        low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.002, periods))
        keep = rng.random(periods) > drop_frac
        keep[hole[0] : hole[1]] = False
        frames.append(
            pd.DataFrame(
                {
                    "symbol": sym,
                    "ts": ts,
                    "open": open_,
                    "high": high,
                    "low": low,
                    "close": close,
                    "adj_close": close * rng.uniform(0.9, 1.0),
                    "volume": rng.integers(1, 1000, periods).astype(float),
                    "vwap": (high + low + close) / 3,
                    "trade_count": rng.integers(1, 50, periods).astype(float),
                }
            )[keep]
        )
    return pd.concat(frames, ignore_index=True)


def pandas_reference(frame: pd.DataFrame, interval: str) -> pd.DataFrame:
    """The same aggregation with pandas' resample (label/closed left), empty buckets dropped."""
    out = []
    for sym, g in frame.groupby("symbol", sort=True):
        g = g.set_index("ts").assign(pv=g.set_index("ts")["vwap"] * g.set_index("ts")["volume"])
        r = g.resample(PANDAS_RULES[interval], label="left", closed="left").agg(
            {
                "open": "first",
                "high": "max",
                "low": "min",
                "close": "last",
                "adj_close": "last",
                "volume": "sum",
                "trade_count": "sum",
                "pv": "sum",
            }
        )
        r = r.dropna(subset=["open"])
        r["vwap"] = r.pop("pv") / r["volume"]
        out.append(r.reset_index().assign(symbol=sym))
    ref = pd.concat(out, ignore_index=True)
    return ref.loc[:, ["symbol", "ts", *FIELDS]]


def store_bars(frame: pd.DataFrame, interval: str) -> None:
    ids = dict(Instrument.objects.values_list("symbol", "pk"))
    Bar.objects.bulk_create(
        [
            Bar(
                instrument_id=ids[r.symbol],
                interval=interval,
                ts=r.ts.to_pydatetime(),
                open=r.open,
                high=r.high,
                low=r.low,
                close=r.close,
                adj_close=None if pd.isna(r.adj_close) else r.adj_close,
                volume=r.volume,
                vwap=None if pd.isna(r.vwap) else r.vwap,
                trade_count=None if pd.isna(r.trade_count) else int(r.trade_count),
            )
            for r in frame.itertuples()
        ]
    )


def _assert_same(ours: pd.DataFrame, ref: pd.DataFrame) -> None:
    ours = ours.loc[:, ["symbol", "ts", *FIELDS]].astype({"symbol": str})  # the DB read's is categorical
    ours = ours.sort_values(["symbol", "ts"]).reset_index(drop=True)
    ref = ref.sort_values(["symbol", "ts"]).reset_index(drop=True)
    ours["ts"] = ours["ts"].dt.as_unit("ns")
    ref["ts"] = ref["ts"].dt.as_unit("ns")
    ours["trade_count"] = ours["trade_count"].astype(float)
    pd.testing.assert_frame_equal(ours, ref, check_dtype=False, rtol=1e-12)


@pytest.mark.parametrize("interval", ["5m", "15m", "1h", "4h", "1d"])
def test_minute_bars_match_pandas_resample(interval):
    # Three days of minutes starting mid-day, two symbols, random gaps and a two-hour hole.
    frame = synthetic_bars(["AAA", "BBB"], "2024-03-01 13:37", 3 * 1440, "1min", seed=7)
    ours = resample_bars(frame.sample(frac=1, random_state=1), interval)  # input order must not matter
    ref = pandas_reference(frame, interval)
    assert len(ours) == len(ref) > 0
    _assert_same(ours, ref)


@pytest.mark.parametrize("interval", ["1w", "1mo"])
def test_daily_bars_match_pandas_resample(interval):
    frame = synthetic_bars(["AAA", "BBB", "CCC"], "2023-01-04", 400, "B", seed=11, hole=(40, 70))
    ours = resample_bars(frame, interval)
    ref = pandas_reference(frame, interval)
    assert len(ours) == len(ref) > 0
    _assert_same(ours, ref)


def test_hand_worked_buckets_with_missing_vwap_and_counts():
    ts = pd.to_datetime(
        ["2024-01-01 09:00", "2024-01-01 09:01", "2024-01-01 09:04", "2024-01-01 09:05"], utc=True
    )
    frame = pd.DataFrame(
        {
            "symbol": "X",
            "ts": ts,
            "open": [10.0, 11.0, 12.0, 13.0],
            "high": [11.0, 12.5, 12.0, 13.5],
            "low": [9.5, 10.5, 11.0, 12.5],
            "close": [11.0, 12.0, 11.5, 13.0],
            "volume": [100.0, 300.0, 0.0, 50.0],
            "vwap": [10.5, np.nan, 11.8, 13.1],
            "trade_count": [np.nan, np.nan, np.nan, 4.0],
        }
    )
    out = resample_bars(frame, "5m")
    assert list(out["ts"]) == list(pd.to_datetime(["2024-01-01 09:00", "2024-01-01 09:05"], utc=True))
    first = out.iloc[0]
    assert (first.open, first.high, first.low, first.close, first.volume) == (10.0, 12.5, 9.5, 11.5, 400.0)
    # Weighted over the bars that have a vwap: (10.5*100 + 11.8*0) / (100 + 0).
    assert first.vwap == pytest.approx(10.5)
    assert np.isnan(first.trade_count)  # no counts at all: unknown, not zero
    assert out.iloc[1].trade_count == 4.0


def test_bucket_anchors_weeks_on_monday_and_months_on_the_first():
    ts = pd.to_datetime(["2024-01-07 23:59", "2024-01-08 00:00", "2024-02-29 12:00"], utc=True)
    ns = ts.as_unit("ns").asi8
    weeks = from_ns(bucket_start_ns(ns, "1w"))
    assert [str(t.date()) for t in weeks] == ["2024-01-01", "2024-01-08", "2024-02-26"]
    assert all(t.day_name() == "Monday" for t in weeks)
    months = from_ns(bucket_start_ns(ns, "1mo"))
    assert [str(t.date()) for t in months] == ["2024-01-01", "2024-01-01", "2024-02-01"]


@pytest.mark.parametrize(
    "source, target, expected",
    [
        ("1m", "5m", True),
        ("5m", "15m", True),
        ("15m", "1h", True),
        ("30m", "15m", False),
        ("4h", "1d", True),
        ("1h", "1w", True),
        ("1d", "1w", True),
        ("1d", "1mo", True),
        ("1w", "1mo", False),
        ("1d", "1d", False),
        ("1mo", "1w", False),
    ],
)
def test_divides(source, target, expected):
    assert divides(source, target) is expected


def test_partial_marks_buckets_reaching_outside_the_window():
    ts = pd.Series(pd.to_datetime(["2024-01-01 09:00", "2024-01-01 10:00", "2024-01-01 11:00"], utc=True))
    partial = mark_partial(
        ts,
        "1h",
        window_start=pd.Timestamp("2024-01-01 09:30", tz="UTC"),
        window_end=pd.Timestamp("2024-01-01 11:45", tz="UTC"),
    )
    assert partial.tolist() == [True, False, True]


def test_adjusted_prices_scale_by_adj_close_over_close():
    frame = pd.DataFrame(
        {
            "open": [10.0, 20.0],
            "high": [12.0, 22.0],
            "low": [9.0, 19.0],
            "close": [11.0, 21.0],
            "adj_close": [5.5, np.nan],
            "volume": [7.0, 8.0],
        }
    )
    out = adjust_prices(frame)
    assert out.iloc[0][["open", "high", "low", "close"]].tolist() == [5.0, 6.0, 4.5, 5.5]
    assert out.iloc[1][["open", "close"]].tolist() == [20.0, 21.0]  # no adj_close: raw prices
    assert out["volume"].tolist() == [7.0, 8.0]


@pytest.mark.django_db
def test_database_read_resamples_every_symbol_in_a_fixed_number_of_queries(
    instruments, django_assert_max_num_queries
):
    frame = synthetic_bars(["AAPL", "MSFT", "JPM"], "2024-03-04 14:30", 600, "1min", seed=3)
    store_bars(frame, "1m")
    # symbols, one source probe per candidate interval (15m, 5m, 1m), bars: not one per symbol
    with django_assert_max_num_queries(5):
        result = selectors.bars_frame(symbols=["AAPL", "MSFT", "JPM"], interval="15m")
    assert result.source_intervals == {"AAPL": "1m", "MSFT": "1m", "JPM": "1m"}
    assert result.frame["symbol"].unique().tolist() == ["AAPL", "MSFT", "JPM"]  # order asked
    _assert_same(result.frame, pandas_reference(frame, "15m"))
