"""ws/stream through the real ASGI app (origin check, token/session auth) and the real bus on Redis."""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from rest_framework.authtoken.models import Token

from apps.platform import bus
from apps.platform.models import Job
from nautilus.asgi import application

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
ORIGIN = (b"origin", b"http://testserver")
WAIT = 5  # seconds a receive may wait before the test fails; not a speed assertion


@pytest_asyncio.fixture(autouse=True)
async def close_async_db_connections():
    """The token/session lookups run in asgiref's sync thread, whose DB connection would otherwise
    outlive the test and block the flush and the test database's teardown."""
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture
def token(user):
    return Token.objects.create(user=user).key


def communicator(path="/ws/stream", headers=()):
    return WebsocketCommunicator(application, path, headers=[ORIGIN, *headers])


async def publish(topic, payload):
    return await asyncio.to_thread(bus.publish, topic, payload)


async def connected(path="/ws/stream", headers=()):
    comm = communicator(path, headers)
    ok, _ = await comm.connect(timeout=WAIT)
    assert ok
    return comm


@pytest.mark.parametrize("path", ["/ws/stream", "/ws/stream?token=not-a-token"])
async def test_unauthenticated_is_closed_with_4401(fresh_bus, path):
    comm = await connected(path)
    assert await comm.receive_output(timeout=WAIT) == {
        "type": "websocket.close",
        "code": 4401,
        "reason": "authentication required",
    }
    await comm.disconnect()


async def test_query_token_subscribe_receives_matching_events_only(fresh_bus, token):
    comm = await connected(f"/ws/stream?token={token}")
    await comm.send_json_to({"action": "subscribe", "patterns": ["market.data.bars.*"]})
    assert await comm.receive_json_from(timeout=WAIT) == {
        "type": "subscribed",
        "patterns": ["market.data.bars.*"],
    }

    await publish("market.data.quotes.AAPL", {"bid": 1.0})  # not matching: must never arrive
    await publish("market.data.bars.AAPL.1m", {"close": 0})  # one segment too many
    eid = await publish("market.data.bars.AAPL", {"close": 150.0})
    msg = await comm.receive_json_from(timeout=WAIT)
    assert msg["type"] == "event"
    assert (msg["id"], msg["topic"], msg["priority"], msg["payload"]) == (
        eid,
        "market.data.bars.AAPL",
        "high",
        {"close": 150.0},
    )
    assert await comm.receive_nothing(timeout=0.3)
    await comm.disconnect()


async def test_header_token_and_unsubscribe(fresh_bus, token, user):
    # The job is the user's own: another user's (or nobody's) job events are not delivered.
    job = await sync_to_async(Job.objects.create)(engine="risk", name="t", created_by=user)
    comm = await connected(headers=[(b"authorization", f"Token {token}".encode())])
    await comm.send_json_to({"action": "subscribe", "patterns": ["risk.#", "system.jobs.*"]})
    ack = await comm.receive_json_from(timeout=WAIT)
    assert ack["patterns"] == ["risk.#", "system.jobs.*"]
    await comm.send_json_to({"action": "unsubscribe", "patterns": ["risk.#"]})
    assert await comm.receive_json_from(timeout=WAIT) == {
        "type": "unsubscribed",
        "patterns": ["system.jobs.*"],
    }
    await publish("risk.breaches.p1", {"x": 1})
    eid = await publish(f"system.jobs.{job.pk}", {"job_id": str(job.pk), "state": "done"})
    msg = await comm.receive_json_from(timeout=WAIT)
    assert (msg["id"], msg["priority"]) == (eid, "low")
    await comm.disconnect()


async def test_session_auth_is_accepted(fresh_bus, user, client):
    await sync_to_async(client.force_login)(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    comm = await connected(headers=[(b"cookie", cookie.encode())])
    await comm.send_json_to({"action": "ping"})
    assert await comm.receive_json_from(timeout=WAIT) == {"type": "pong"}
    await comm.disconnect()


@pytest.mark.parametrize(
    "frame,detail",
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"action": "dance"}', "action must be"),
        ('{"action": "subscribe", "patterns": "risk.#"}', "non-empty list"),
        ('{"action": "subscribe", "patterns": ["risk.#.x"]}', "last segment"),
        ('{"action": "subscribe", "patterns": ["risk.#"], "last_id": "yesterday"}', "last_id"),
        ('{"action": "ping", "pad": "' + "x" * 70_000 + '"}', "larger than 65536 bytes"),
        (
            '{"action": "subscribe", "patterns": ["#"], "filters": {"fields": [{"field": "a", "op": "~"}]}}',
            "op",
        ),
    ],
)
async def test_bad_messages_get_an_error_and_the_connection_lives(fresh_bus, token, frame, detail):
    comm = await connected(f"/ws/stream?token={token}")
    await comm.send_to(text_data=frame)
    msg = await comm.receive_json_from(timeout=WAIT)
    assert msg["type"] == "error" and detail in msg["detail"]
    await comm.send_json_to({"action": "ping"})
    assert await comm.receive_json_from(timeout=WAIT) == {"type": "pong"}
    await comm.disconnect()


async def test_subscribe_with_last_id_replays_then_goes_live(fresh_bus, token):
    ids = [await publish("trading.orders.O1", {"i": i}) for i in range(4)]
    await publish("trading.executions.E1", {"other": True})
    comm = await connected(f"/ws/stream?token={token}")
    await comm.send_json_to({"action": "subscribe", "patterns": ["trading.orders.*"], "last_id": ids[1]})
    ack = await comm.receive_json_from(timeout=WAIT)
    assert ack["replayed"] == 2 and ack["truncated"] is False
    replayed = [await comm.receive_json_from(timeout=WAIT) for _ in range(2)]
    assert [m["id"] for m in replayed] == ids[2:]
    live_id = await publish("trading.orders.O2", {"i": 4})
    assert (await comm.receive_json_from(timeout=WAIT))["id"] == live_id
    await comm.disconnect()


async def test_disconnect_releases_the_relay(fresh_bus, token):
    comm = await connected(f"/ws/stream?token={token}")
    await comm.send_json_to({"action": "subscribe", "patterns": ["#"]})
    await comm.receive_json_from(timeout=WAIT)
    relay = bus.relay()
    assert len(relay.listeners) == 1 and relay._task is not None
    await comm.disconnect()
    assert relay.listeners == set() and relay._task is None


async def test_a_gap_older_than_the_bus_keeps_is_announced(fresh_bus, token):
    bus.configure(prefix=fresh_bus, maxlen=10)  # approximate trimming drops whole nodes of 100
    ids = await asyncio.to_thread(lambda: [bus.publish("trading.orders.O1", {"i": i}) for i in range(250)])
    comm = await connected(f"/ws/stream?token={token}")
    await comm.send_json_to({"action": "subscribe", "patterns": ["trading.orders.*"], "last_id": ids[0]})
    ack = await comm.receive_json_from(timeout=WAIT)
    kept = ids[250 - ack["replayed"] :]
    assert ack["gap"] is True and ack["oldest_kept"] == kept[0] and kept[0] != ids[1]
    assert "no longer kept" in ack["detail"]
    assert [(await comm.receive_json_from(timeout=WAIT))["id"] for _ in kept] == kept
    # A client that is up to date hears of no gap.
    await comm.send_json_to({"action": "unsubscribe", "patterns": ["trading.orders.*"]})
    await comm.receive_json_from(timeout=WAIT)
    await comm.send_json_to({"action": "subscribe", "patterns": ["trading.orders.*"], "last_id": ids[-2]})
    ack = await comm.receive_json_from(timeout=WAIT)
    assert ack["replayed"] == 1 and "gap" not in ack
    await comm.disconnect()


async def test_client_frames_cost_no_thread_hop(fresh_bus, user, monkeypatch):
    """Channels would run close_old_connections in a thread before each frame's handler; ws/stream
    handles client frames on the loop (heartbeat answers from every client add up)."""
    import channels.consumer

    hops = []
    real = channels.consumer.aclose_old_connections

    async def counted():
        hops.append(1)
        await real()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    token = (await sync_to_async(Token.objects.create)(user=user)).key
    comm = WebsocketCommunicator(application, f"/ws/stream?token={token}", headers=[ORIGIN])
    assert (await comm.connect(timeout=WAIT))[0]
    connected_hops = len(hops)
    for _ in range(5):
        await comm.send_json_to({"action": "ping"})
        assert await comm.receive_json_from(timeout=WAIT) == {"type": "pong"}
    assert len(hops) == connected_hops  # the connect's hop is Channels' own; none per frame
    await comm.disconnect()
