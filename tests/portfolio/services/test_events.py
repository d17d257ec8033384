"""Bookings are announced on the real bus (Redis Streams), and only once they are committed."""

import base64
import json
import uuid
from decimal import Decimal

import pytest
import redis
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.platform import bus
from apps.platform.bus import fanout
from apps.platform.versions import versions_read
from apps.portfolio.facade import book_version_name
from apps.portfolio.services import positions_rebuild, transaction_record

pytestmark = pytest.mark.django_db


def _events():
    return list(bus.subscribe("trading.#", last_id="0", follow=False))


def _announcements(callbacks) -> list:
    """The on-commit callbacks other than the book's version bumps (apps.platform.versions)."""
    return [c for c in callbacks if c.__qualname__ != "version_bump_on_commit.<locals>.flush"]


def test_a_trade_publishes_execution_and_position_after_commit(
    portfolio, fresh_bus, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tx = transaction_record(
            portfolio=portfolio, type="buy", instrument="AAPL", quantity=Decimal(50), price=Decimal(180)
        )
        assert _events() == []  # not before the commit
        token = versions_read([book_version_name(portfolio.pk)])
    assert len(_announcements(callbacks)) == 2
    assert versions_read([book_version_name(portfolio.pk)]) != token  # readers of the book read again

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


def test_rejected_bookings_publish_nothing(portfolio, fresh_bus, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ValidationError):
            transaction_record(
                portfolio=portfolio, type="sell", instrument="AAPL", quantity=Decimal(500), price=Decimal(1)
            )
        with pytest.raises(ValidationError):  # more than the cash
            transaction_record(portfolio=portfolio, type="withdrawal", amount=Decimal(10**7))
    assert callbacks == []
    assert _events() == []


@pytest.mark.parametrize(
    ("kind", "amount", "cash_after"), [("deposit", 2500, 87500), ("withdrawal", 1000, 84000)]
)
def test_a_cash_movement_publishes_one_cash_event_after_commit(
    portfolio, fresh_bus, django_capture_on_commit_callbacks, kind, amount, cash_after
):
    """Deposits and withdrawals move NAV: one `trading.positions.{code}` event of kind "cash"."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tx = transaction_record(portfolio=portfolio, type=kind, amount=Decimal(amount))
        assert _events() == []  # not before the commit
    assert len(_announcements(callbacks)) == 1
    [event] = _events()
    assert event.topic == "trading.positions.alice_001" and event.priority == "critical"
    p = event.payload
    assert (p["kind"], p["type"], p["portfolio"], p["portfolio_id"]) == (
        "cash",
        kind,
        "alice_001",
        portfolio.pk,
    )
    assert Decimal(p["amount"]) == amount and p["currency"] == "USD" and p["transaction_id"] == tx.pk
    assert Decimal(p["cash"]) == cash_after  # 100,000 - 100 AAPL @ 150 = 85,000 before


def test_a_rolled_back_deposit_publishes_nothing(portfolio, fresh_bus, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            transaction_record(portfolio=portfolio, type="deposit", amount=Decimal(2500))
            raise RuntimeError("the caller's transaction fails after the booking")
    assert callbacks == []
    assert _events() == []


def test_a_deposit_triggers_streaming_pnl_and_the_risk_check(
    portfolio, fresh_bus, django_capture_on_commit_callbacks, monkeypatch
):
    """The cash event fans out to the P&L and risk subscribers' queues, and both act on its portfolio."""
    from apps.analytics.subscriptions import PNL_TASK
    from apps.analytics.tasks import pnl as analytics_tasks
    from apps.risk.subscriptions import CHECK_TASK
    from apps.risk.tasks import monitor as tasks_monitor

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    amount = Decimal(f"2500.{uuid.uuid4().int % 10**6:06d}")  # this run's messages, not an earlier run's
    with django_capture_on_commit_callbacks(execute=True):
        transaction_record(portfolio=portfolio, type="deposit", amount=amount)
    [event] = _events()
    routes = {r.task_name: r.queue for r in fanout.routes_for(event.topic)}
    assert {PNL_TASK, CHECK_TASK} <= set(routes)
    sent = []
    try:
        for queue in {routes[PNL_TASK], routes[CHECK_TASK]}:
            for raw in broker.lrange(queue, 0, -1):
                message = json.loads(raw)
                args = json.loads(base64.b64decode(message["body"]))[0][0]
                payload = args.get("payload") or {}
                if args.get("topic") == event.topic and Decimal(payload.get("amount") or 0) == amount:
                    sent.append((queue, raw, message["headers"]["task"], args))
        assert sorted(task for _, _, task, _ in sent) == sorted([PNL_TASK, CHECK_TASK])
    finally:
        for queue, raw, _, _ in sent:
            broker.lrem(queue, 1, raw)
    delivered = sent[0][3]  # what a worker receives (JSON round trip)
    monkeypatch.setattr(tasks_monitor.check_trailing, "apply_async", lambda countdown: None)
    checked = tasks_monitor.check_on_event(delivered)
    assert checked["portfolio_ids"] == [portfolio.pk]
    monkeypatch.setattr(analytics_tasks.pnl_recompute, "apply_async", lambda args, countdown: None)
    assert analytics_tasks.pnl_on_event(delivered)["published"] == ["alice_001"]
    [pnl] = list(bus.subscribe("analytics.performance.*", last_id="0", follow=False))
    assert pnl.topic == "analytics.performance.alice_001"
    # A trade's own position event is not a second trigger: its execution event is.
    with django_capture_on_commit_callbacks(execute=True):
        transaction_record(
            portfolio=portfolio, type="buy", instrument="AAPL", quantity=Decimal(1), price=Decimal(150)
        )
    trade_position = [e for e in _events() if e.payload.get("kind") == "position"][-1].as_dict()
    assert analytics_tasks.pnl_on_event(trade_position) == {"published": [], "deferred": []}
    assert tasks_monitor.check_on_event(trade_position) == {"skipped": "nothing to check in this event"}


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
