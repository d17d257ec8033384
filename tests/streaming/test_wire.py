"""Frames written straight to the socket (api/wire.py): the same bytes the protocol would write, used
only where they may be, and the ASGI path taking over for a client that stops reading."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from asgiref.sync import sync_to_async
from rest_framework.authtoken.models import Token
from websockets.frames import Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol

from apps.platform import bus
from apps.platform.bus.events import Event
from apps.streaming.api import flush
from apps.streaming.api.wire import Wire, encode_text
from apps.streaming.services import connections

from .live_server import live_server, raw_subscriber


@pytest.mark.parametrize("text", ["", "a", "é€😀 quote", "x" * 125, "x" * 126, "y" * 65535, "z" * 65536])
def test_a_frame_is_the_bytes_the_protocol_writes_for_send_text(text):
    proto = ServerProtocol(state=State.OPEN)
    proto.send_text(text.encode())
    assert encode_text(text) == b"".join(proto.data_to_send())


def test_an_events_frame_is_encoded_once_and_carries_its_json():
    ev = Event("1-0", "market.data.quotes.AAPL", "normal", {"symbol": "AAPL", "bid": 1.5}, 1.7e9)
    frame = flush.event_frame(ev)
    assert flush.event_frame(ev) is frame  # shared by every connection
    assert frame == encode_text(flush.event_json(ev))
    assert json.loads(flush.event_json(ev)) == {"type": "event", **ev.as_dict()}
    conflated = json.loads(flush.event_json(ev, 3))
    assert conflated["conflated"] is True and conflated["count"] == 3
    assert flush.event_frame(ev, 3) == encode_text(flush.event_json(ev, 3))


def test_no_wire_for_a_send_that_is_not_uvicorns():
    async def send(message):
        pass

    assert Wire.of(send) is None
    assert Wire.of(print) is None  # a builtin's __self__ is a module


def _live() -> list:
    return [c for p in list(connections._processes.values()) for c in p.live.values()]


async def _subscribe(ws, patterns):
    await ws.send(json.dumps({"action": "subscribe", "patterns": patterns}))
    while json.loads(await ws.recv())["type"] != "subscribed":
        pass


async def _events_until(ws, fence: str) -> list[dict]:
    got = []
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if msg["type"] == "event":
            got.append(msg)
            if msg["id"] == fence:
                return got


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_plain_connections_are_written_directly_compressed_ones_through_asgi(
    fresh_bus, staff_user, monkeypatch
):
    writes = []
    direct = Wire.write
    monkeypatch.setattr(Wire, "write", lambda self, data: (writes.append(len(data)), direct(self, data)))
    token = (await sync_to_async(Token.objects.create)(user=staff_user)).key
    with live_server() as url:
        plain = await websockets.connect(f"{url}/ws/stream?token={token}", compression=None)
        deflated = await websockets.connect(f"{url}/ws/stream?token={token}", compression="deflate")
        for ws in (plain, deflated):
            await _subscribe(ws, ["market.data.quotes.*"])
        conns = _live()
        assert sorted(c.wire is None for c in conns) == [False, True]  # the compressed one has none
        ids = await asyncio.to_thread(
            lambda: [bus.publish("market.data.quotes.AAPL", {"symbol": "AAPL", "i": i}) for i in range(30)]
        )
        a, b = await asyncio.gather(_events_until(plain, ids[-1]), _events_until(deflated, ids[-1]))
        assert [m["id"] for m in a] == ids and a == b  # the same frames either way
        assert [m["payload"]["i"] for m in a] == list(range(30))
        assert writes and sum(writes) >= 30 * len(flush.event_frame(Event(ids[0], "x", "normal", {}, 0.0)))
        await plain.close()
        await deflated.close()


EVENTS = 300
BLOB = "x" * 32_000  # 300 × 32 kB ≈ 10 MB: past the server's send buffer and the client's


async def _stall_then_read(url: str, path: str, publish) -> list[dict]:
    """A client that subscribes, reads nothing while `publish` runs, then reads every frame until the
    last event published arrives. Its receive buffer is small, so the server's transport pauses."""
    reader, writer, proto = await raw_subscriber(url, path, ["market.data.bars.*"])
    for _ in range(500):  # until the relay serves the subscription (the ack is not read yet): its
        # listener starts at the bus's position when attached, so an event published before is not live
        if any(c.listener is not None for c in _live()):
            break
        await asyncio.sleep(0.02)
    last = await asyncio.to_thread(publish)
    await asyncio.sleep(0.5)  # the server meanwhile fills the socket, then its transport pauses
    got = []
    while True:
        proto.receive_data(await asyncio.wait_for(reader.read(1 << 16), 30))
        for frame in proto.events_received():
            if getattr(frame, "opcode", None) is Opcode.TEXT:  # the handshake response first
                msg = json.loads(frame.data)
                if msg["type"] in ("event", "dropped"):
                    got.append(msg)
                    if msg.get("id") == last:
                        writer.close()
                        return got


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_client_that_stalls_then_reads_gets_everything_in_order(
    fresh_bus, staff_user, settings, monkeypatch
):
    settings.STREAM_SLOW_CLOSE_S = 0
    settings.STREAM_HEARTBEAT_S = 0
    through_asgi = []
    eager = flush._eager
    monkeypatch.setattr(flush, "_eager", lambda c, *a: (through_asgi.append(1), eager(c, *a))[1])
    token = (await sync_to_async(Token.objects.create)(user=staff_user)).key

    def publish():
        return [
            bus.publish(f"market.data.bars.S{i % 20}", {"symbol": f"S{i % 20}", "i": i, "blob": BLOB})
            for i in range(EVENTS)
        ][-1]

    with live_server() as url:
        got = await _stall_then_read(url, f"/ws/stream?token={token}", publish)
    events = [m for m in got if m["type"] == "event"]
    order = [m["payload"]["i"] for m in events]
    assert order == sorted(order) and order[-1] == EVENTS - 1  # in order, through to the last
    accounted = sum(m.get("count", 1) for m in events) + sum(
        m["count"] for m in got if m["type"] == "dropped"
    )
    assert accounted == EVENTS  # every event delivered, or folded into a later one, or reported dropped
    assert through_asgi  # the paused transport's frames went through the ASGI send, which waits


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_rate_limited_connection_on_the_wire_gets_every_update_in_order(
    fresh_bus, staff_user, settings
):
    """express() spends the token bucket like the queue does: past the burst an event is held for the
    timer, what follows queues (and conflates) behind it, and nothing is lost or reordered."""
    settings.STREAM_RATE_PER_S = 20
    settings.STREAM_RATE_BURST = 2
    settings.STREAM_CONFLATE_AFTER = 3
    token = (await sync_to_async(Token.objects.create)(user=staff_user)).key
    with live_server() as url:
        ws = await websockets.connect(f"{url}/ws/stream?token={token}", compression=None)
        await _subscribe(ws, ["market.data.quotes.*"])
        assert [c.wire is not None for c in _live()] == [True]
        items = [
            (f"market.data.quotes.{s}", {"symbol": s, "i": i}) for i in range(20) for s in ("AAPL", "MSFT")
        ]
        ids = await asyncio.to_thread(lambda: [bus.publish(t, p) for t, p in items])
        got = await _events_until(ws, ids[-1])
        await ws.close()
    assert [m["id"] for m in got] == sorted(
        (m["id"] for m in got), key=lambda i: tuple(map(int, i.split("-")))
    )
    assert sum(m.get("count", 1) for m in got) == len(ids)  # each frame stands for `count` updates
    assert any(m.get("conflated") for m in got)  # 40 updates at 20/s: the backlog conflated
    for sym in ("AAPL", "MSFT"):
        assert [m for m in got if m["payload"]["symbol"] == sym][-1]["payload"]["i"] == 19  # the latest
