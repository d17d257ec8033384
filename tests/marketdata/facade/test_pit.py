"""Point-in-time reads: a figure is invisible before it was reported, a restatement before it
was published, an economic revision before it became known."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from apps.marketdata import facade
from apps.marketdata.models import EconomicSeries, Fundamental, SeriesObservation

pytestmark = pytest.mark.django_db


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


@pytest.fixture
def eps(instruments):
    aapl, msft = instruments["AAPL"], instruments["MSFT"]
    rows = [
        # (instrument, field, period, period_end, reported_at, value)
        (aapl, "eps", "Q1", date(2024, 3, 31), "2024-04-25", 1.50),
        (aapl, "eps", "Q2", date(2024, 6, 30), "2024-07-30", 1.60),
        (aapl, "eps", "Q1", date(2024, 3, 31), "2024-08-01", 1.40),  # Q1 restated after Q2 came out
        (aapl, "eps", "Q2", date(2024, 6, 30), "2024-09-01", 1.65),  # Q2 restated
        (aapl, "revenue", "Q1", date(2024, 3, 31), "2024-04-25", 90e9),
        (msft, "eps", "Q1", date(2024, 3, 31), "2024-04-20", 2.90),
    ]
    Fundamental.objects.bulk_create(
        [
            Fundamental(instrument=i, field=f, period=p, period_end=pe, reported_at=_t(r), value=v)
            for i, f, p, pe, r, v in rows
        ]
    )


@pytest.mark.parametrize(
    "as_of, aapl_eps, msft_eps",
    [
        ("2024-04-19", np.nan, np.nan),  # nothing reported yet
        ("2024-04-24T23:59:59", np.nan, 2.90),
        ("2024-04-25", 1.50, 2.90),  # reported_at <= as_of: visible on the day
        ("2024-07-29", 1.50, 2.90),
        ("2024-07-30", 1.60, 2.90),  # Q2 is the latest period now
        ("2024-08-31", 1.60, 2.90),  # Q2's restatement not yet published
        ("2024-09-01", 1.65, 2.90),
    ],
)
def test_fundamentals_as_of(eps, as_of, aapl_eps, msft_eps):
    wide = facade.fundamentals_as_of(["AAPL", "MSFT"], ["eps", "revenue"], as_of)
    assert wide.index.tolist() == ["AAPL", "MSFT"] and wide.columns.tolist() == ["eps", "revenue"]
    np.testing.assert_array_equal(wide["eps"].to_numpy(), [aapl_eps, msft_eps])


def test_restated_older_period_is_invisible_before_its_restatement(eps):
    before = facade.fundamentals_as_of(["AAPL"], ["eps"], "2024-07-31", detail=True)
    assert before[["period", "value"]].values.tolist() == [["Q2", 1.60]]
    # Only Q1 asked about through an as-of before Q2 existed: the original figure, then the restated one.
    q1_before = facade.fundamentals_as_of(["AAPL"], ["eps"], "2024-07-29", detail=True).iloc[0]
    assert (q1_before["period"], q1_before["value"]) == ("Q1", 1.50)
    assert q1_before["reported_at"] == pd.Timestamp("2024-04-25", tz="UTC")


def test_never_a_value_before_its_reported_date_on_random_data(instruments):
    """Brute force over many as-of dates: the read equals a plain-Python scan of what was known."""
    rng = np.random.default_rng(4)
    rows = []
    for sym in ("AAPL", "MSFT", "JPM"):
        for q in range(8):
            period_end = (pd.Timestamp("2022-03-31") + pd.offsets.QuarterEnd(q)).date()
            first = pd.Timestamp(period_end, tz="UTC") + pd.Timedelta(days=int(rng.integers(20, 60)))
            for version in range(int(rng.integers(1, 4))):
                reported = first + pd.Timedelta(days=int(rng.integers(0, 200)) * (version > 0))
                rows.append((sym, period_end, reported.to_pydatetime(), float(rng.normal())))
    rows = list({(s, pe, r): v for s, pe, r, v in rows}.items())
    Fundamental.objects.bulk_create(
        [
            Fundamental(instrument=instruments[s], field="eps", period_end=pe, reported_at=r, value=v)
            for (s, pe, r), v in rows
        ]
    )
    for as_of in pd.date_range("2022-04-01", "2024-12-31", freq="17D", tz="UTC"):
        got = facade.fundamentals_as_of(["AAPL", "MSFT", "JPM"], ["eps"], as_of, detail=True)
        assert (got["reported_at"] <= as_of).all()
        for sym in ("AAPL", "MSFT", "JPM"):
            known = [(pe, r, v) for (s, pe, r), v in rows if s == sym and r <= as_of]
            mine = got[got.symbol == sym]
            if not known:
                assert mine.empty
                continue
            expected = max(known, key=lambda k: (k[0], k[1]))
            assert mine["value"].iloc[0] == expected[2]


@pytest.fixture
def gdp(db):
    series = EconomicSeries.objects.create(code="GDPC1", title="Real GDP", frequency="q")
    obs = [
        (date(2023, 10, 1), "2024-01-25", 100.0),
        (date(2023, 10, 1), "2024-02-28", 101.0),  # second estimate
        (date(2023, 10, 1), "2024-03-28", 101.5),  # third estimate
        (date(2024, 1, 1), "2024-04-25", 102.0),
        (date(2024, 1, 1), "2024-05-30", None),  # revision released as missing
        (date(2024, 4, 1), "2024-07-25", 104.0),
    ]
    SeriesObservation.objects.bulk_create(
        [SeriesObservation(series=series, date=d, known_at=_t(k), value=v) for d, k, v in obs]
    )
    return series


def _values(s: pd.Series) -> dict[str, float]:
    return {str(k.date()): v for k, v in s.items()}


def test_series_as_known_at_each_date(gdp):
    assert facade.series_as_of("GDPC1", "2024-01-24").empty
    assert _values(facade.series_as_of("GDPC1", "2024-01-25")) == {"2023-10-01": 100.0}
    assert _values(facade.series_as_of("gdpc1", "2024-03-01")) == {"2023-10-01": 101.0}
    s = facade.series_as_of("GDPC1", "2024-05-01")
    assert _values(s) == {"2023-10-01": 101.5, "2024-01-01": 102.0}
    assert str(s.index.tz) == "UTC" and s.name == "GDPC1"
    later = facade.series_as_of("GDPC1", "2024-12-31")
    assert later.index.strftime("%Y-%m-%d").tolist() == ["2023-10-01", "2024-01-01", "2024-04-01"]
    assert np.isnan(later.iloc[1])  # the latest known version is "missing"


def test_series_date_bounds_are_inclusive(gdp):
    s = facade.series_as_of("GDPC1", "2024-12-31", start="2024-01-01", end=date(2024, 4, 1))
    assert s.index.strftime("%Y-%m-%d").tolist() == ["2024-01-01", "2024-04-01"]


def test_unknown_series_is_a_value_error(gdp):
    with pytest.raises(facade.UnknownSeriesError) as err:
        facade.series_as_of("NOPE", "2024-01-01")
    assert isinstance(err.value, ValueError)


def test_fundamentals_history_is_every_row_reported_by_until(eps):
    rows = facade.fundamentals_history(["AAPL", "MSFT"], ["eps"], until="2024-08-01")
    assert list(rows.columns) == ["symbol", "field", "period", "period_end", "reported_at", "value"]
    # Every report and restatement published by Aug 1 (the Q2 restatement of Sep 1 is not), in order.
    assert rows[["symbol", "period", "value"]].values.tolist() == [
        ["AAPL", "Q1", 1.50],
        ["AAPL", "Q2", 1.60],
        ["AAPL", "Q1", 1.40],
        ["MSFT", "Q1", 2.90],
    ]
    assert (rows["reported_at"] <= pd.Timestamp("2024-08-01", tz="UTC")).all()
    everything = facade.fundamentals_history(["aapl"], ["eps", "revenue"])
    assert sorted(everything["field"]) == ["eps"] * 4 + ["revenue"]
    with pytest.raises(facade.UnknownSymbolError):
        facade.fundamentals_history(["NOPE"], ["eps"])


def test_the_as_of_rule_over_the_history_equals_fundamentals_as_of(eps):
    """The history holds what fundamentals_as_of chooses from: the max (period_end, reported_at) of
    the rows reported by any instant is its answer."""
    history = facade.fundamentals_history(["AAPL", "MSFT"], ["eps"])
    for as_of in pd.date_range("2024-04-01", "2024-10-01", freq="6D", tz="UTC"):
        wide = facade.fundamentals_as_of(["AAPL", "MSFT"], ["eps"], as_of)
        for sym in ("AAPL", "MSFT"):
            known = history[(history.symbol == sym) & (history.reported_at <= as_of)]
            expected = (
                known.sort_values(["period_end", "reported_at"])["value"].iloc[-1] if len(known) else np.nan
            )
            np.testing.assert_equal(wide.loc[sym, "eps"], expected)
