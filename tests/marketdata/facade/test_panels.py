"""Facade panels: alignment over missing data, fill policies, returns that never span a gap,
adjusted prices, latest prices."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from apps.marketdata import facade
from apps.marketdata.models import Bar
from tests.marketdata.kernels.test_resample import store_bars, synthetic_bars

pytestmark = pytest.mark.django_db
NAN = np.nan


def _day(d: int) -> datetime:
    return datetime(2024, 1, d, tzinfo=UTC)


@pytest.fixture
def daily(instruments):
    """AAPL on Jan 2-8 except the 4th; MSFT from the 3rd, missing the 5th and 6th; SPY none."""
    closes = {
        "AAPL": {2: 100.0, 3: 102.0, 5: 99.0, 6: 101.0, 8: 103.0},
        "MSFT": {3: 50.0, 4: 51.0, 7: 52.0, 8: 49.4},
    }
    Bar.objects.bulk_create(
        [
            Bar(
                instrument=instruments[sym],
                interval="1d",
                ts=_day(d),
                open=c,
                high=c + 1,
                low=c - 1,
                close=c,
                adj_close=c / 2 if sym == "AAPL" else None,  # AAPL had a 2:1 split after the window
                volume=1000,
            )
            for sym, days in closes.items()
            for d, c in days.items()
        ]
    )
    return closes


def _frame(rows: dict[str, list[float]], days: list[int]) -> pd.DataFrame:
    index = pd.DatetimeIndex([pd.Timestamp(_day(d)) for d in days], name="ts")
    return pd.DataFrame(rows, index=index).rename_axis(columns="symbol")


def test_panel_aligns_on_the_union_of_timestamps_with_nan_for_missing(daily):
    panel = facade.price_panel(["MSFT", "aapl", "SPY"])
    expected = _frame(
        {
            "MSFT": [NAN, 50.0, 51.0, NAN, NAN, 52.0, 49.4],
            "AAPL": [100.0, 102.0, NAN, 99.0, 101.0, NAN, 103.0],
            "SPY": [NAN] * 7,
        },
        [2, 3, 4, 5, 6, 7, 8],
    )
    pd.testing.assert_frame_equal(panel, expected, check_freq=False)
    assert str(panel.index.tz) == "UTC"


def test_window_is_start_inclusive_and_bare_date_end_inclusive(daily):
    panel = facade.price_panel(["AAPL"], start="2024-01-03", end="2024-01-06")
    assert [t.day for t in panel.index] == [3, 5, 6]
    panel = facade.price_panel(["AAPL"], start="2024-01-03", end=pd.Timestamp("2024-01-06", tz="UTC"))
    assert [t.day for t in panel.index] == [3, 5]  # an instant is exclusive


def test_ffill_carries_forward_at_most_max_gap_rows_and_never_backwards(daily):
    filled = facade.price_panel(["MSFT", "AAPL"], fill="ffill")
    assert filled["MSFT"].tolist()[0] != filled["MSFT"].tolist()[0]  # leading NaN stays NaN
    assert filled["MSFT"].tolist()[1:] == [50.0, 51.0, 51.0, 51.0, 52.0, 49.4]
    assert filled["AAPL"].tolist() == [100.0, 102.0, 102.0, 99.0, 101.0, 101.0, 103.0]
    limited = facade.price_panel(["MSFT", "AAPL"], fill="ffill", max_gap=1)
    np.testing.assert_array_equal(limited["MSFT"].to_numpy(), [NAN, 50.0, 51.0, 51.0, NAN, 52.0, 49.4])


def test_simple_and_log_returns_never_span_a_gap(daily):
    rets = facade.return_panel(["AAPL", "MSFT"], adjusted=False)
    assert [t.day for t in rets.index] == [3, 4, 5, 6, 7, 8]
    np.testing.assert_allclose(
        rets["AAPL"].to_numpy(), [102 / 100 - 1, NAN, NAN, 101 / 99 - 1, NAN, NAN], equal_nan=True
    )
    np.testing.assert_allclose(
        rets["MSFT"].to_numpy(), [NAN, 51 / 50 - 1, NAN, NAN, NAN, 49.4 / 52 - 1], equal_nan=True
    )
    logs = facade.return_panel(["AAPL", "MSFT"], kind="log", adjusted=False)
    np.testing.assert_allclose(logs["MSFT"].to_numpy(), np.log1p(rets["MSFT"].to_numpy()), equal_nan=True)


def test_alone_a_symbol_has_gaps_only_against_an_explicit_calendar(daily):
    alone = facade.return_panel(["MSFT"], adjusted=False)
    np.testing.assert_allclose(alone["MSFT"].to_numpy(), [51 / 50 - 1, 52 / 51 - 1, 49.4 / 52 - 1])
    days = pd.date_range("2024-01-02", "2024-01-08", freq="D")  # naive: read as UTC
    on_calendar = facade.return_panel(["MSFT"], adjusted=False, index=days)
    np.testing.assert_allclose(
        on_calendar["MSFT"].to_numpy(), [NAN, 51 / 50 - 1, NAN, NAN, NAN, 49.4 / 52 - 1], equal_nan=True
    )


def test_filled_returns_cross_the_gap_as_zero_then_the_whole_move(daily):
    rets = facade.return_panel(["AAPL", "MSFT"], adjusted=False, fill="ffill")
    np.testing.assert_allclose(
        rets["AAPL"].to_numpy(), [0.02, 0.0, 99 / 102 - 1, 101 / 99 - 1, 0.0, 103 / 101 - 1]
    )


def test_adjusted_panel_uses_adj_close_and_raw_without_it(daily):
    adj = facade.price_panel(["AAPL", "MSFT"], adjusted=True, field="close")
    assert adj["AAPL"].dropna().tolist() == [50.0, 51.0, 49.5, 50.5, 51.5]
    assert adj["MSFT"].dropna().tolist() == [50.0, 51.0, 52.0, 49.4]  # no adj_close stored
    highs = facade.price_panel(["AAPL"], adjusted=True, field="high")
    assert highs["AAPL"].dropna().tolist()[0] == pytest.approx(101 * 0.5)


def test_weekly_panel_resamples_daily_bars(daily):
    weekly = facade.price_panel(["AAPL", "MSFT"], interval="1w", field="close")
    # Jan 1 2024 was a Monday: Jan 2-7 fall in its week, Jan 8 opens the next one.
    assert [str(t.date()) for t in weekly.index] == ["2024-01-01", "2024-01-08"]
    assert weekly.loc["2024-01-01"].tolist() == [101.0, 52.0]
    volume = facade.price_panel(["MSFT"], interval="1w", field="volume")
    assert volume["MSFT"].tolist() == [3000.0, 1000.0]


def test_intraday_bars_become_a_daily_panel(instruments):
    frame = synthetic_bars(["AAPL", "JPM"], "2024-03-04 14:30", 2000, "1min", seed=9)
    store_bars(frame, "1m")
    panel = facade.price_panel(["AAPL", "JPM"], interval="1d")
    last = frame.assign(day=frame.ts.dt.floor("D")).groupby(["day", "symbol"])["close"].last().unstack()
    np.testing.assert_allclose(panel.to_numpy(), last[["AAPL", "JPM"]].to_numpy())


def test_latest_prices(daily):
    latest = facade.latest_prices(["MSFT", "AAPL", "SPY"])
    assert latest.index.tolist() == ["MSFT", "AAPL", "SPY"]
    np.testing.assert_array_equal(latest.to_numpy(), [49.4, 103.0, NAN])
    assert latest.attrs["ts"]["AAPL"] == pd.Timestamp("2024-01-08", tz="UTC")


def test_bad_arguments_are_value_errors(daily):
    with pytest.raises(facade.UnknownSymbolError) as err:
        facade.price_panel(["AAPL", "NOPE"])
    assert isinstance(err.value, ValueError) and err.value.symbols == ["NOPE"]
    for kwargs in (
        {"fill": "bfill"},
        {"fill": "ffill", "max_gap": 0},
        {"field": "price"},
        {"interval": "2d"},
    ):
        with pytest.raises(ValueError):
            facade.price_panel(["AAPL"], **kwargs)
    with pytest.raises(ValueError):
        facade.return_panel(["AAPL"], kind="arithmetic")


@pytest.mark.parametrize(
    ("interval", "ts", "closes"),
    [
        ("1d", ["2024-01-02", "2024-01-05T00:00:00Z"], ["2024-01-03", "2024-01-06"]),
        ("1h", ["2024-01-02T14:00"], ["2024-01-02T15:00"]),
        ("1w", ["2024-01-01"], ["2024-01-08"]),
        ("1mo", ["2024-01-01", "2024-02-01", "2024-12-01"], ["2024-02-01", "2024-03-01", "2025-01-01"]),
    ],
)
def test_bar_close_instants_are_the_bucket_ends(interval, ts, closes):
    got = facade.bar_close_instants(ts, interval)
    assert got.equals(pd.DatetimeIndex(closes, tz="UTC", name="close_at")), got


def test_bar_close_instants_refuse_an_unknown_interval():
    with pytest.raises(ValueError, match="7m"):
        facade.bar_close_instants(["2024-01-01"], "7m")
