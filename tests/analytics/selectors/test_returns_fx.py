"""Historical FX in NAV and returns: every period converts at its own rate (the latest at or before
the bar's timestamp), so currency moves are performance; cash stays in the base currency."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.core.exceptions import ValidationError

from apps.analytics.selectors.returns import portfolio_returns
from apps.marketdata.models import FxRate
from apps.marketdata.services import instrument_create
from apps.portfolio.services import portfolio_create, transaction_record
from tests.analytics.market import store_daily_closes

pytestmark = pytest.mark.django_db
D = Decimal
DAYS = pd.bdate_range("2024-01-08", periods=6, tz="UTC")  # Monday to the next Monday
EURUSD = [1.10, 1.10, 1.122, 1.122, 1.10, 1.10]  # +2% on Wednesday, back on Friday


@pytest.fixture
def flat_eur(db):
    """A EUR stock whose price never moves (100 EUR), and EURUSD stored at each bar's timestamp."""
    inst = instrument_create(symbol="EUS", currency="EUR")
    flat = pd.Series(100.0, index=DAYS)
    store_daily_closes(inst, flat, flat)
    FxRate.objects.bulk_create(
        FxRate(base="EUR", quote="USD", ts=ts.to_pydatetime(), rate=r)
        for ts, r in zip(DAYS, EURUSD, strict=True)
    )
    return inst


def _fund(user, code="eur_fund"):
    p = portfolio_create(code=code, name=code, owner=user)  # base currency USD
    when = DAYS[0].to_pydatetime()
    transaction_record(portfolio=p, type="deposit", amount=D("110"), timestamp=when)
    transaction_record(portfolio=p, type="buy", instrument="EUS", quantity=D(1), price=D(100), timestamp=when)
    return p


def test_a_flat_eur_price_earns_the_eurusd_move(user, flat_eur):
    _fund(user)
    r = portfolio_returns(portfolio="eur_fund")
    # NAV = 1 share x 100 EUR x EURUSD: 110 on Monday (funded there: no period), then 110, 112.2,
    # 112.2, 110, 110 (cash 110 - 100 x 1.10 = 0)
    np.testing.assert_allclose(r.nav.to_numpy(), [110, 112.2, 112.2, 110, 110], rtol=1e-12)
    # 112.2 / 110 - 1 = +2% on Wednesday; 110 / 112.2 - 1 on Friday
    np.testing.assert_allclose(r.returns.to_numpy(), [0, 0.02, 0, 110 / 112.2 - 1, 0], atol=1e-12)


def test_cash_stays_in_base_and_trades_convert_at_their_days_rate(user, flat_eur):
    p = _fund(user)
    # Sell on Thursday at 100 EUR = 112.2 USD; a 5 EUR dividend on Friday at 1.10 = 5.5 USD.
    transaction_record(
        portfolio=p,
        type="sell",
        instrument="EUS",
        quantity=D(1),
        price=D(100),
        timestamp=DAYS[3].to_pydatetime(),
    )
    transaction_record(
        portfolio=p, type="dividend", instrument="EUS", amount=D(5), timestamp=DAYS[4].to_pydatetime()
    )
    r = portfolio_returns(portfolio="eur_fund")
    # After the sale the book holds 112.2 USD of cash: the FX fall on Friday no longer touches it.
    np.testing.assert_allclose(r.nav.to_numpy(), [110, 112.2, 112.2, 117.7, 117.7], rtol=1e-12)
    np.testing.assert_allclose(r.returns.to_numpy(), [0, 0.02, 0, 5.5 / 112.2, 0], atol=1e-12)


def test_weekly_return_compounds_the_currency_moves(user, flat_eur):
    _fund(user)
    weekly = portfolio_returns(portfolio="eur_fund", frequency="1w").returns
    # the first week ends where it started (1.02 x 110 / 112.2 = 1); the second has one day, no move
    np.testing.assert_allclose(weekly.to_numpy(), [0.0, 0.0], atol=1e-12)
    to_thursday = portfolio_returns(portfolio="eur_fund", frequency="1w", end="2024-01-11").returns
    np.testing.assert_allclose(to_thursday.to_numpy(), [0.02], atol=1e-12)


def test_no_rate_when_the_holding_starts_is_400_on_fx(user, flat_eur):
    FxRate.objects.filter(ts=DAYS[0].to_pydatetime()).delete()
    # The book of record refuses a booking it cannot convert to base (no rate by its instant)...
    with pytest.raises(ValidationError) as refused:
        _fund(user)
    assert "EUR/USD" in str(refused.value.message_dict["instrument"])
    # ...and a rate stamped later in the day lets a noon booking through, but it is not "at or
    # before" the bar's midnight timestamp, where the holding is first valued: 400 on fx.
    FxRate.objects.create(base="EUR", quote="USD", ts=datetime(2024, 1, 8, 9, tzinfo=UTC), rate=1.1)
    p = portfolio_create(code="eur_noon", name="eur_noon", owner=user)
    noon = datetime(2024, 1, 8, 12, tzinfo=UTC)
    transaction_record(portfolio=p, type="deposit", amount=D("110"), timestamp=noon)
    transaction_record(portfolio=p, type="buy", instrument="EUS", quantity=D(1), price=D(100), timestamp=noon)
    with pytest.raises(ValidationError) as err:
        portfolio_returns(portfolio="eur_noon")
    assert "fx" in err.value.message_dict and "EUR" in str(err.value.message_dict["fx"])
