"""Streaming P&L: executions and bars trigger a publication on analytics.performance.{portfolio},
throttled per portfolio with a Redis key (SET NX PX) and coalesced into one trailing recompute.
Real Redis (the fresh_bus prefix), tasks called as functions."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
import pytest
import redis
from django.conf import settings

from apps.analytics.selectors.pnl import portfolio_pnl
from apps.analytics.services import streaming
from apps.analytics.subscriptions import PNL_TASK
from apps.analytics.tasks import pnl as tasks
from apps.marketdata.services import instrument_create
from apps.marketdata.services.storage import bars_upsert
from apps.platform import bus
from apps.portfolio.services import portfolio_create, transaction_record

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def book(user, fresh_bus):
    aaa, bbb = instrument_create(symbol="AAA"), instrument_create(symbol="BBB")
    frame = pd.DataFrame(
        {
            "instrument_id": [aaa.pk, bbb.pk],
            "ts": [pd.Timestamp("2024-01-08", tz="UTC")] * 2,
            "close": [12.0, 5.0],
        }
    )
    frame["open"] = frame["high"] = frame["low"] = frame["close"]
    frame["volume"] = 1.0
    bars_upsert(frame, interval="1d")
    when = datetime(2024, 1, 2, tzinfo=UTC)
    holders = []
    for code, sym in (("pf_a", "AAA"), ("pf_b", "BBB")):
        p = portfolio_create(code=code, name=code, owner=user, initial_cash=D("1000"))
        transaction_record(
            portfolio=p, type="buy", instrument=sym, quantity=D(10), price=D(10), timestamp=when
        )
        holders.append(p)
    return holders


def _event(topic: str, payload: dict) -> dict:
    return {"id": "1-0", "topic": topic, "priority": "high", "payload": payload, "published_at": 0}


def _published(pattern: str = "analytics.performance.*") -> list:
    return list(bus.subscribe(pattern, last_id="0", follow=False))


@pytest.fixture
def trailing(monkeypatch):
    calls = []
    monkeypatch.setattr(
        tasks.pnl_recompute, "apply_async", lambda args, countdown: calls.append((args, countdown))
    )
    return calls


def test_execution_publishes_pnl_for_its_portfolio(book, trailing):
    out = tasks.pnl_on_event(_event("trading.executions.pf_a", {"portfolio": "pf_a", "symbol": "AAA"}))
    assert out == {"published": ["pf_a"], "deferred": []}
    (ev,) = _published()
    assert ev.topic == "analytics.performance.pf_a"
    # 10 AAA bought at 10, last close 12: unrealized 20.
    assert ev.payload["summary"]["unrealized"] == pytest.approx(20.0)
    assert ev.payload["summary"]["total"] == pytest.approx(portfolio_pnl(portfolio="pf_a").summary["total"])


def test_a_bar_updates_only_the_portfolios_holding_it(book, trailing):
    out = tasks.pnl_on_event(_event("market.data.bars.BBB", {"symbol": "BBB"}))
    assert out["published"] == ["pf_b"]
    assert [e.topic for e in _published()] == ["analytics.performance.pf_b"]
    assert tasks.pnl_on_event(_event("market.data.bars.ZZZ", {"symbol": "ZZZ"})) == {
        "published": [],
        "deferred": [],
    }


def test_a_burst_is_coalesced_into_one_publication_and_one_trailing_recompute(book, trailing, settings):
    settings.ANALYTICS_PUBLISH_MIN_INTERVAL_MS = 60_000
    event = _event("trading.executions.pf_a", {"portfolio": "pf_a"})
    results = [tasks.pnl_on_event(event) for _ in range(5)]
    assert [r["published"] for r in results] == [["pf_a"], [], [], [], []]
    assert [r["deferred"] for r in results] == [[], ["pf_a"], [], [], []]
    assert len(_published()) == 1
    assert len(trailing) == 1 and trailing[0][0] == [["pf_a"]]
    # The throttle is a Redis key (the coalescer's window) with a millisecond expiry of the interval.
    r = redis.Redis.from_url(settings.REDIS_URL)
    window_key = streaming.coalescer()._keys("pf_a")[0]
    ttl = r.pttl(window_key)
    assert 0 < ttl <= 60_000
    # Another portfolio is not held back by pf_a's window.
    assert tasks.pnl_on_event(_event("trading.executions.pf_b", {"portfolio": "pf_b"}))["published"] == [
        "pf_b"
    ]
    # When the window closes (the key expires: deleted here rather than waited for), the trailing
    # recompute publishes the latest state once.
    r.delete(window_key)
    assert tasks.pnl_recompute("pf_a")["published"] == ["pf_a"]
    assert [e.topic for e in _published("analytics.performance.pf_a")] == ["analytics.performance.pf_a"] * 2
    # ...and opens a new window, during which a new burst may schedule one new trailing run.
    tasks.pnl_on_event(event)
    assert len(trailing) == 2


def test_subscriptions_fan_out_to_the_analytics_queue(fresh_bus):
    assert PNL_TASK in {r.task_name for r in bus.subscribers() if r.pattern == "trading.executions.*"}
    assert PNL_TASK in {r.task_name for r in bus.subscribers() if r.pattern == "market.data.bars.*"}
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    marker = uuid.uuid4().hex
    bus.publish("trading.executions.nobody", {"marker": marker})
    mine = []
    try:
        for raw in broker.lrange("analytics", 0, -1):  # priority 0 (critical trading events)
            if marker.encode() in base64.b64decode(json.loads(raw)["body"]):
                mine.append(raw)
        assert [json.loads(raw)["headers"]["task"] for raw in mine] == [PNL_TASK]
    finally:
        for raw in mine:
            broker.lrem("analytics", 1, raw)


def test_a_bar_defers_every_holder_into_one_trailing_recompute(book, trailing, settings, user):
    settings.ANALYTICS_PUBLISH_MIN_INTERVAL_MS = 60_000
    pf_c = portfolio_create(code="pf_c", name="pf_c", owner=user, initial_cash=D("1000"))
    transaction_record(
        portfolio=pf_c, type="buy", instrument="AAA", quantity=D(5), price=D(10),
        timestamp=datetime(2024, 1, 3, tzinfo=UTC),
    )  # fmt: skip
    bar = _event("market.data.bars.AAA", {"symbol": "AAA"})
    assert sorted(tasks.pnl_on_event(bar)["published"]) == ["pf_a", "pf_c"]
    assert sorted(tasks.pnl_on_event(bar)["deferred"]) == ["pf_a", "pf_c"]
    # One task for both portfolios (not one each), due when the later of their windows closes.
    ((args, countdown),) = trailing
    assert sorted(args[0]) == ["pf_a", "pf_c"] and 0 < countdown <= 60
    r = redis.Redis.from_url(settings.REDIS_URL)
    for code in ("pf_a", "pf_c"):
        assert r.pttl(streaming.coalescer()._keys(code)[0]) <= countdown * 1000
        r.delete(streaming.coalescer()._keys(code)[0])
    assert sorted(tasks.pnl_recompute(args[0])["published"]) == ["pf_a", "pf_c"]
    topics = sorted(e.topic for e in _published())
    assert topics == ["analytics.performance.pf_a"] * 2 + ["analytics.performance.pf_c"] * 2
    # Each recompute opened a new window: a further bar is coalesced again, into one new task.
    assert sorted(tasks.pnl_on_event(bar)["deferred"]) == ["pf_a", "pf_c"] and len(trailing) == 2
