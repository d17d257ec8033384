"""Bookings are announced on the real bus (Redis Streams), and only once they are committed."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.platform import bus
from apps.portfolio.services import positions_rebuild, transaction_record

pytestmark = pytest.mark.django_db


def _events():
    return list(bus.subscribe("trading.#", last_id="0", follow=False))


def test_a_trade_publishes_execution_and_position_after_commit(
    portfolio, fresh_bus, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tx = transaction_record(
            portfolio=portfolio, type="buy", instrument="AAPL", quantity=Decimal(50), price=Decimal(180)
        )
        assert _events() == []  # not before the commit
    assert len(callbacks) == 2

    events = {e.topic: e for e in _events()}
    assert set(events) == {"trading.executions.alice_001", "trading.positions.alice_001"}
    execution = events["trading.executions.alice_001"]
    assert execution.priority == "critical"
    assert execution.payload["transaction_id"] == tx.pk
    assert execution.payload["side"] == "buy" and execution.payload["symbol"] == "AAPL"
    assert Decimal(execution.payload["quantity"]) == 50 and Decimal(execution.payload["price"]) == 180
    position = events["trading.positions.alice_001"].payload
    assert Decimal(position["quantity"]) == 150 and Decimal(position["average_cost"]) == 160
    assert Decimal(position["cash"]) == Decimal(85000) - Decimal(9000)


def test_rejected_and_cash_only_bookings_publish_no_trading_events(
    portfolio, fresh_bus, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ValidationError):
            transaction_record(
                portfolio=portfolio, type="sell", instrument="AAPL", quantity=Decimal(500), price=Decimal(1)
            )
        transaction_record(portfolio=portfolio, type="deposit", amount=Decimal(10))
    assert callbacks == []
    assert _events() == []


def test_a_closed_position_is_announced_flat(portfolio, fresh_bus, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        transaction_record(
            portfolio=portfolio, type="sell", instrument="AAPL", quantity=Decimal(100), price=Decimal(1)
        )
    [position] = [e for e in _events() if e.topic == "trading.positions.alice_001"]
    assert Decimal(position.payload["quantity"]) == 0


def test_rebuild_announces_only_what_it_repaired(portfolio, fresh_bus, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        positions_rebuild(portfolio=portfolio)
    assert _events() == []
    portfolio.positions.update(quantity=Decimal(1))
    with django_capture_on_commit_callbacks(execute=True):
        positions_rebuild(portfolio=portfolio)
    [event] = _events()
    assert event.payload["rebuilt"] is True and Decimal(event.payload["quantity"]) == 100
