"""Two bookings racing for the same position: the portfolio lock serialises them, so a long-only
portfolio can never be sold below zero."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from apps.marketdata.services import instrument_create
from apps.portfolio.models import Position, Transaction
from apps.portfolio.services import portfolio_create, transaction_record


@pytest.mark.django_db(transaction=True)
def test_racing_sells_cannot_oversell(django_user_model):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    owner = django_user_model.objects.create_user(username="racer", password="pw-racer-123")
    instrument_create(symbol="AAPL")
    p = portfolio_create(code="race", name="race", owner=owner)
    transaction_record(portfolio=p, type="buy", instrument="AAPL", quantity=Decimal(100), price=Decimal(10))

    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def sell():
        try:
            barrier.wait()
            transaction_record(
                portfolio=p, type="sell", instrument="AAPL", quantity=Decimal(60), price=Decimal(11)
            )
            outcomes.append("booked")
        except ValidationError as exc:
            assert "quantity" in exc.message_dict
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sell) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["booked", "refused", "refused", "refused"]
    assert Position.objects.get(portfolio=p).quantity == Decimal(40)
    assert Transaction.objects.filter(portfolio=p, type="sell").count() == 1
    p.refresh_from_db()
    assert p.cash == Decimal(-1000) + Decimal(660)
