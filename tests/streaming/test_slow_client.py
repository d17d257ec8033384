"""A client that stops reading does not delay the others: through a real server and real sockets.

The slow client never reads, so once the TCP buffers are full the server's send to it suspends. Its
send task waits there and its outbox conflates; the relay's flush and every other connection go on. The fast
clients must receive every event, unconflated, while the slow one is still stuck (its outbox holds
a backlog or has conflated at the moment they finish). No timing is asserted."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from asgiref.sync import sync_to_async
from rest_framework.authtoken.models import Token

from apps.platform import bus
from apps.streaming.services import connections

from .live_server import live_server, raw_subscriber

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
EVENTS = 400
BLOB = "x" * 32_000  # 400 × 32 kB ≈ 13 MB: past the server's send buffer (4 MB here) and the client's


async def _stalled_client(url: str, path: str, patterns: list[str]):
    """A WebSocket client that subscribes and then never reads a byte (a library client would keep
    reading into its own buffers)."""
    _, writer, _ = await raw_subscriber(url, path, patterns)
    await asyncio.sleep(0.2)  # the subscription is in place; from now on nothing is read
    return writer


async def _subscribe(ws, patterns):
    await ws.send(json.dumps({"action": "subscribe", "patterns": patterns}))
    while json.loads(await ws.recv())["type"] != "subscribed":
        pass


async def _all_subscribed(n: int) -> None:
    """Until the server holds `n` connections, each with a subscription (a loaded machine may take
    longer than the stalled client's pause to handle its subscribe)."""
    for _ in range(500):
        live = [c for p in list(connections._processes.values()) for c in p.live.values()]
        if len(live) == n and all(c.listener is not None for c in live):  # the relay serves them
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not every connection subscribed: {len(live)} live")


async def _read_all(ws, fence: str) -> list[dict]:
    got = []
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if msg["type"] in ("event", "dropped"):
            got.append(msg)
            if msg.get("id") == fence:
                return got


def _publish():
    ids = [
        bus.publish(f"market.data.bars.S{i % 20}", {"symbol": f"S{i % 20}", "i": i, "blob": BLOB})
        for i in range(EVENTS)
    ]
    return ids


async def test_a_client_that_stops_reading_does_not_hold_back_the_others(fresh_bus, staff_user, settings):
    settings.STREAM_SLOW_CLOSE_S = 0  # keep the slow one connected: the point is the others meanwhile
    settings.STREAM_HEARTBEAT_S = 0
    token = (await sync_to_async(Token.objects.create)(user=staff_user)).key
    with live_server() as url:
        slow = await _stalled_client(url, f"/ws/stream?token={token}", ["market.data.bars.*"])
        fast = [await websockets.connect(f"{url}/ws/stream?token={token}", max_size=None) for _ in range(4)]
        for ws in fast:
            await _subscribe(ws, ["market.data.bars.*"])
        await _all_subscribed(5)  # the stalled client reads no ack: wait for its subscription here
        ids = await asyncio.to_thread(_publish)
        results = await asyncio.gather(*(_read_all(ws, ids[-1]) for ws in fast))
        slow_conn = next(
            c
            for c in (c for p in list(connections._processes.values()) for c in p.live.values())
            if c.sent < EVENTS
        )
        stuck = (len(slow_conn.outbox), slow_conn.outbox.conflated, slow_conn.sent)
        for got in results:
            assert [m["id"] for m in got] == ids  # every event, in order: nothing dropped or conflated
        assert stuck[0] > 0 or stuck[1] > 0, stuck  # the slow one was still behind when they finished
        assert stuck[2] < EVENTS
        for ws in fast:
            await ws.close()
        slow.close()
