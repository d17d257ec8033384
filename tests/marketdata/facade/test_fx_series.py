"""fx_rate_series: the rate at every timestamp of an index, checked against fx_rate called once per
timestamp (the reference), on a history where the pair, its inverse and the USD legs take turns."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from apps.marketdata import facade
from apps.marketdata.models import FxRate

pytestmark = pytest.mark.django_db


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


@pytest.fixture
def rates(db):
    rows = [
        ("EUR", "USD", "2024-01-02", 1.10),
        ("EUR", "USD", "2024-01-03", 1.20),
        ("USD", "EUR", "2024-01-04T12:00", 0.80),  # the inverse, newer: EURUSD 1.25 from here
        ("EUR", "USD", "2024-01-08", 1.30),  # the pair again, newer still
        ("GBP", "USD", "2024-01-02", 1.25),
        ("GBP", "USD", "2024-01-05", 1.30),
        ("USD", "JPY", "2024-01-02", 150.0),
        ("USD", "JPY", "2024-01-06", 140.0),
        ("EUR", "JPY", "2024-01-07", 160.0),  # a quoted cross appears: it beats triangulation
        ("USD", "CHF", "2023-06-01", 0.95),  # old: only the latest row before the window matters
        ("USD", "CHF", "2024-01-02", 0.90),
    ]
    FxRate.objects.bulk_create([FxRate(base=b, quote=q, ts=_t(ts), rate=r) for b, q, ts, r in rows])


STAMPS = pd.date_range("2024-01-02", "2024-01-10", freq="6h", tz="UTC")
PAIRS = [
    ("EUR", "USD"),  # direct, then inverse, then direct
    ("USD", "EUR"),
    ("GBP", "JPY"),  # via USD, both legs move
    ("JPY", "GBP"),
    ("EUR", "JPY"),  # via USD until the cross is quoted
    ("CHF", "EUR"),  # inverse legs through USD
    ("EUR", "CHF"),
]


@pytest.mark.parametrize(("base", "quote"), PAIRS)
def test_series_equals_fx_rate_at_every_timestamp(rates, base, quote):
    got = facade.fx_rate_series(base, quote, STAMPS)
    expected = [facade.fx_rate(base, quote, t) for t in STAMPS]
    pd.testing.assert_index_equal(got.index, STAMPS)
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-15)


def test_hand_worked_values_and_the_order_given(rates):
    stamps = ["2024-01-09", "2024-01-02T06:00", "2024-01-05", "2024-01-03"]  # unsorted, naive = UTC
    got = facade.fx_rate_series("eur", "usd", stamps)
    # 01-09: the pair's 1.30 (01-08) is newer than the inverse (01-04); 01-05: 1/0.80 = 1.25
    np.testing.assert_allclose(got.to_numpy(), [1.30, 1.10, 1.25, 1.20])
    assert list(got.index) == [pd.Timestamp(s, tz="UTC") for s in stamps]
    # GBP -> JPY on 01-06: 1.30 GBPUSD x 140 USDJPY = 182
    assert facade.fx_rate_series("GBP", "JPY", ["2024-01-06"]).iloc[0] == pytest.approx(182.0)


def test_a_few_queries_however_many_timestamps(rates, django_assert_max_num_queries):
    many = pd.date_range("2024-01-02", "2024-01-10", freq="1min", tz="UTC")
    with django_assert_max_num_queries(1):
        out = facade.fx_rate_series("GBP", "JPY", many)
    assert len(out) == len(many) and not out.isna().any()


def test_no_rate_before_the_first_timestamp_raises(rates):
    with pytest.raises(facade.FxRateNotFound) as err:
        facade.fx_rate_series("EUR", "USD", ["2024-01-01", "2024-01-03"])
    assert "EUR/USD" in str(err.value) and "2024-01-01" in str(err.value)
    with pytest.raises(facade.FxRateNotFound):
        facade.fx_rate_series("EUR", "AUD", STAMPS)  # no AUD leg at all
    with pytest.raises(ValueError):
        facade.fx_rate_series("EURO", "USD", STAMPS)


def test_same_currency_and_empty_index_need_no_data(db):
    ones = facade.fx_rate_series("SEK", "sek", STAMPS)
    np.testing.assert_array_equal(ones.to_numpy(), np.ones(len(STAMPS)))
    assert facade.fx_rate_series("EUR", "USD", []).empty
