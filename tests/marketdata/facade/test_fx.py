"""fx_rate / fx_convert: direct pair, inverse, triangulation through USD, with hand-worked numbers."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
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
        ("GBP", "USD", "2024-01-02", 1.25),
        ("USD", "JPY", "2024-01-02", 150.0),
        ("USD", "CHF", "2024-01-02", 0.90),
    ]
    FxRate.objects.bulk_create([FxRate(base=b, quote=q, ts=_t(ts), rate=r) for b, q, ts, r in rows])


def test_direct_pair_latest_at_or_before(rates):
    assert facade.fx_rate("EUR", "USD", "2024-01-02T12:00") == 1.10
    assert facade.fx_rate("EUR", "USD", "2024-01-03") == 1.20  # at the stamp itself
    assert facade.fx_rate("eur", "usd", "2024-06-01") == 1.20


def test_inverse_pair(rates):
    assert facade.fx_rate("USD", "EUR", "2024-01-02T12:00") == pytest.approx(1 / 1.10)
    assert facade.fx_rate("JPY", "USD", "2024-01-05") == pytest.approx(1 / 150)


def test_triangulated_through_usd(rates):
    # GBP -> USD 1.25, USD -> JPY 150: 1 GBP = 187.5 JPY.
    assert facade.fx_rate("GBP", "JPY", "2024-01-05") == pytest.approx(187.5)
    assert facade.fx_rate("JPY", "GBP", "2024-01-05") == pytest.approx(1 / 187.5)
    # CHF -> USD is the inverse of USDCHF (1/0.9), USD -> EUR the inverse of EURUSD 1.20:
    # 1 CHF = 1 / (0.9 * 1.2) EUR = 0.925925...
    assert facade.fx_rate("CHF", "EUR", "2024-01-05") == pytest.approx(1 / 1.08)
    assert facade.fx_rate("EUR", "CHF", "2024-01-02T12:00") == pytest.approx(1.10 * 0.90)


def test_a_quoted_cross_beats_triangulation_and_the_later_of_pair_and_inverse_wins(rates):
    FxRate.objects.create(base="EUR", quote="JPY", ts=_t("2024-01-02"), rate=160.0)
    assert facade.fx_rate("EUR", "JPY", "2024-01-05") == 160.0  # not 1.20 * 150 = 180
    FxRate.objects.create(base="USD", quote="EUR", ts=_t("2024-01-04"), rate=0.80)
    assert facade.fx_rate("EUR", "USD", "2024-01-05") == pytest.approx(1.25)  # 1/0.80, newer than 1.20
    assert facade.fx_rate("EUR", "USD", "2024-01-03T12:00") == 1.20


def test_same_currency_is_one_without_any_data(db):
    assert facade.fx_rate("SEK", "sek") == 1.0
    np.testing.assert_array_equal(facade.fx_convert([1.0, 2.5], "SEK", "SEK"), [1.0, 2.5])


def test_no_rate_is_a_clear_value_error(rates):
    with pytest.raises(facade.FxRateNotFound) as err:
        facade.fx_rate("EUR", "USD", "2024-01-01")  # before the first rate
    assert isinstance(err.value, ValueError) and "EUR/USD" in str(err.value)
    with pytest.raises(facade.FxRateNotFound):
        facade.fx_rate("EUR", "AUD", "2024-01-05")  # no AUD leg at all
    with pytest.raises(ValueError):
        facade.fx_rate("EURO", "USD")


def test_fx_convert_arrays(rates):
    out = facade.fx_convert(np.array([100.0, -40.0, 0.0]), "GBP", "JPY", "2024-01-05")
    np.testing.assert_allclose(out, [18750.0, -7500.0, 0.0])
