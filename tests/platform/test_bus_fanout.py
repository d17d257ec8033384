"""The order and priority of one event's fan-out: the subscriptions the engines register for a bar
and an execution, as they are sent (Celery's send_task recorded in place of the broker)."""

from __future__ import annotations

import pytest

from apps.platform import bus
from nautilus.celery import app as celery_app

RISK_CHECK = "apps.risk.tasks_monitor.check_on_event"
PNL = "apps.analytics.tasks.pnl_on_event"


@pytest.fixture
def sent(monkeypatch):
    calls: list[tuple[str, str, int]] = []

    def record(name, args=None, **options):
        calls.append((name, options["queue"], options["priority"]))

    monkeypatch.setattr(celery_app, "send_task", record)
    return calls


def test_a_bars_risk_check_is_sent_first_and_critical_ahead_of_the_other_engines_work(fresh_bus, sent):
    bus.publish("market.data.bars.ZZFAN", {"symbol": "ZZFAN", "close": 1.0})
    names = [name for name, _, _ in sent]
    # Every engine that subscribes to bars got the event (features, factors, ML, analytics, risk) ...
    assert {RISK_CHECK, PNL} <= set(names) and len(names) >= 5
    # ... the risk check first, on its queue at critical (0), though a bar is a "high" topic (3) ...
    assert sent[0] == (RISK_CHECK, "risk", 0)
    # ... and everything else at the topic's priority: analytics (a "high" engine) next, then the
    # "normal" engines (features, factors, ML) in the order they registered.
    assert {priority for _, _, priority in sent[1:]} == {3}
    assert names[1] == PNL
    others = [r.task_name for r in bus.subscribers() if bus.topic_matches(r.pattern, "market.data.bars.X")]
    assert names[2:] == [n for n in others if n not in (RISK_CHECK, PNL)]


def test_an_executions_risk_check_goes_before_analytics_at_the_same_critical_priority(fresh_bus, sent):
    bus.publish("trading.executions.p1", {"portfolio_id": 1, "symbol": "ZZFAN"})
    # Both are critical (the topic's); analytics registered first, but risk is the more urgent engine.
    assert sent[:2] == [(RISK_CHECK, "risk", 0), (PNL, "analytics", 0)]


def test_a_subscription_priority_raises_never_lowers(fresh_bus, sent):
    routes = [
        bus.subscriber("system.alerts.zzfan", "apps.streaming.tasks.ping", priority="high"),
        bus.subscriber("trading.orders.zzfan", "apps.streaming.tasks.ping", priority="low"),
    ]
    try:
        bus.publish("system.alerts.zzfan", {})  # low topic, high subscription: high
        bus.publish("trading.orders.zzfan", {})  # critical topic, low subscription: still critical
    finally:
        for route in routes:
            bus.remove_subscriber(route)
    assert [priority for _, _, priority in sent] == [3, 0]
    with pytest.raises(ValueError):
        bus.subscriber("system.alerts.zzfan", "apps.streaming.tasks.ping", priority="urgent")
