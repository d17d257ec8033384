"""Connection limits on ws/stream: heartbeat, idle, lifetime, rate limit with conflation, too slow.
Limits are shrunk to fractions of a second; every wait below is bounded, none is a speed assertion."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.authtoken.models import Token

from apps.platform import bus
from apps.portfolio.services import portfolio_create
from apps.streaming.services import connections

from .wsclient import WAIT, connect, subscribe

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def token(staff_user):
    return Token.objects.create(user=staff_user).key


async def until_closed(comm) -> tuple[dict, list[dict]]:
    """Frames until the server's close; (the close, the JSON frames before it)."""
    frames = []
    while True:
        out = await comm.receive_output(timeout=WAIT)
        if out["type"] == "websocket.close":
            return out, frames
        frames.append(json.loads(out["text"]))


async def test_a_client_that_does_not_answer_the_heartbeat_is_closed_4408(fresh_bus, token, settings):
    settings.STREAM_HEARTBEAT_S = 0.2
    settings.STREAM_HEARTBEAT_TIMEOUT_S = 0.3
    comm = await connect(f"/ws/stream?token={token}")
    close, frames = await until_closed(comm)
    assert [f["type"] for f in frames] == ["ping"]
    assert close["code"] == 4408 and "heartbeat" in close["reason"]
    await comm.disconnect()


async def test_answered_heartbeats_keep_the_connection(fresh_bus, token, settings):
    settings.STREAM_HEARTBEAT_S = 0.1
    settings.STREAM_HEARTBEAT_TIMEOUT_S = 0.3
    comm = await connect(f"/ws/stream?token={token}")
    for _ in range(6):  # six rounds: well past several timeouts
        assert (await comm.receive_json_from(timeout=WAIT))["type"] == "ping"
        await comm.send_json_to({"action": "pong"})
    await comm.send_json_to({"action": "ping"})
    while (msg := await comm.receive_json_from(timeout=WAIT))["type"] == "ping":
        pass
    assert msg == {"type": "pong"}
    await comm.disconnect()


async def test_idle_and_lifetime_limits(fresh_bus, token, settings):
    settings.STREAM_IDLE_TIMEOUT_S = 0.3
    comm = await connect(f"/ws/stream?token={token}")
    close, _ = await until_closed(comm)
    assert close["code"] == 4409 and "idle" in close["reason"]
    await comm.disconnect()

    settings.STREAM_IDLE_TIMEOUT_S = 0
    settings.STREAM_MAX_LIFETIME_S = 0.4
    comm = await connect(f"/ws/stream?token={token}")
    await subscribe(comm, ["#"])
    close, _ = await until_closed(comm)
    assert close["code"] == 4410 and "reconnect" in close["reason"]
    await comm.disconnect()


def _publish_many(items):
    return [bus.publish(t, p) for t, p in items]


async def _scraped(client, name: str) -> float:
    """The series' value on GET /metrics (what Prometheus reads)."""
    text = (await sync_to_async(client.get)("/metrics")).content.decode()
    return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == name)


async def test_rate_limited_market_data_arrives_conflated_latest_per_symbol(
    fresh_bus, token, settings, client
):
    settings.STREAM_RATE_PER_S = 5
    settings.STREAM_RATE_BURST = 1
    settings.STREAM_CONFLATE_AFTER = 2
    settings.STREAM_QUEUE_SIZE = 100
    before = connections.local().conflated
    scraped_before = await _scraped(client, "nautilus_ws_conflated_total")
    comm = await connect(f"/ws/stream?token={token}")
    await subscribe(comm, ["market.data.bars.*"])
    items = [(f"market.data.bars.{s}", {"symbol": s, "i": i}) for i in range(15) for s in ("AAPL", "MSFT")]
    ids = await asyncio.to_thread(_publish_many, items)
    got, seen = [], 0
    while seen < len(ids):  # each frame stands for `count` updates; none is lost
        msg = await comm.receive_json_from(timeout=WAIT)
        got.append(msg)
        seen += msg.get("count", 1)
    assert seen == len(ids)
    assert any(m.get("conflated") for m in got)
    assert [m["id"] for m in got] == sorted(
        (m["id"] for m in got), key=lambda i: tuple(map(int, i.split("-")))
    )
    last = {m["payload"]["symbol"]: m["payload"]["i"] for m in got}
    assert last == {"AAPL": 14, "MSFT": 14}  # the latest of each symbol always arrives
    conflated = sum(m["count"] - 1 for m in got if m.get("conflated"))
    assert connections.local().conflated - before == conflated
    assert await _scraped(client, "nautilus_ws_conflated_total") - scraped_before == conflated
    await comm.disconnect()


async def test_a_client_that_stays_too_slow_is_closed_4429(fresh_bus, token, settings):
    settings.STREAM_RATE_PER_S = 1
    settings.STREAM_RATE_BURST = 1
    settings.STREAM_CONFLATE_AFTER = 2
    settings.STREAM_QUEUE_SIZE = 4
    settings.STREAM_SLOW_CLOSE_S = 0.3
    before = connections.local().dropped
    comm = await connect(f"/ws/stream?token={token}")
    await subscribe(comm, ["trading.#"])
    await asyncio.to_thread(_publish_many, [(f"trading.orders.o{i}", {"i": i}) for i in range(10)])
    close, frames = await until_closed(comm)
    assert close["code"] == 4429 and "too slow" in close["reason"]
    events = [f for f in frames if f["type"] == "event"]
    assert len(events) < 10
    # Each event was sent, dropped, or is still waiting: in the queue (at most 4) or held for the rate
    # limit's timer (at most 1; none when the relay handed all ten over before the first was sent).
    dropped = connections.local().dropped - before
    assert 10 - len(events) - 4 - 1 <= dropped <= 10 - len(events) - 4
    await comm.disconnect()


async def test_a_client_flooding_control_messages_is_closed_1008(fresh_bus, token, settings):
    settings.STREAM_CONTROL_RATE_PER_S = 0.01  # no refill worth counting during the test
    settings.STREAM_CONTROL_BURST = 3
    comm = await connect(f"/ws/stream?token={token}")
    for _ in range(6):  # the burst and then a deficit of up to one burst: served
        await comm.send_json_to({"action": "ping"})
        assert (await comm.receive_json_from(timeout=WAIT)) == {"type": "pong"}
    await comm.send_json_to({"action": "ping"})  # a whole burst beyond the rate: abuse
    close, frames = await until_closed(comm)
    assert frames == []
    assert close["code"] == 1008 and close["reason"] == "too many control messages"
    await comm.disconnect()


async def test_an_event_the_user_may_not_see_costs_no_rate_limit_token(fresh_bus, settings, user, other_user):
    settings.STREAM_RATE_PER_S = 0.01  # one token, practically no refill: each visible event spends it
    settings.STREAM_RATE_BURST = 1
    await sync_to_async(portfolio_create)(code="not_mine", name="N", owner=other_user)
    key = (await sync_to_async(Token.objects.create)(user=user)).key
    comm = await connect(f"/ws/stream?token={key}")
    await subscribe(comm, ["trading.#", "market.data.bars.*"])
    hidden = [("trading.orders.not_mine", {"portfolio": "not_mine", "i": i}) for i in range(5)]
    ids = await asyncio.to_thread(_publish_many, [*hidden, ("market.data.bars.AAPL", {"symbol": "AAPL"})])
    # The five hidden orders were gated before the bucket: the one token is still there for the bar,
    # which arrives at once (with the token spent on a hidden event it would wait ~100 s).
    msg = await comm.receive_json_from(timeout=WAIT)
    assert msg["type"] == "event" and msg["id"] == ids[-1]
    await comm.disconnect()


async def test_first_heartbeats_of_clients_that_connect_together_are_spread(monkeypatch):
    from apps.streaming.api import watchdog

    monkeypatch.setattr(watchdog.random, "random", lambda: 0.0)
    assert watchdog.first_ping(100.0, 20.0) == 110.0
    monkeypatch.setattr(watchdog.random, "random", lambda: 0.999)
    assert watchdog.first_ping(100.0, 20.0) == pytest.approx(119.99)
    assert watchdog.first_ping(100.0, 0.0) is None  # off
    monkeypatch.undo()
    firsts = {round(watchdog.first_ping(0.0, 20.0), 3) for _ in range(100)}
    assert len(firsts) > 90 and 10.0 <= min(firsts) and max(firsts) < 20.0
