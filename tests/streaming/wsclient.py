"""Helpers for ws/stream tests: connect through nautilus.asgi, publish on the real bus, collect events."""

from __future__ import annotations

import asyncio

from channels.testing import WebsocketCommunicator

from apps.platform import bus
from nautilus.asgi import application

ORIGIN = (b"origin", b"http://testserver")
WAIT = 5  # seconds a receive may wait before the test fails; not a speed assertion


async def publish(topic: str, payload: dict) -> str:
    return await asyncio.to_thread(bus.publish, topic, payload)


async def connect(path: str = "/ws/stream", headers=(), *, origin: bool = True) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(application, path, headers=[*([ORIGIN] if origin else []), *headers])
    ok, _ = await comm.connect(timeout=WAIT)
    assert ok
    return comm


async def subscribe(comm, patterns: list[str], last_id: str | None = None) -> tuple[dict, list[dict]]:
    """Subscribe; return the ack and the replayed events that follow it."""
    msg = {"action": "subscribe", "patterns": patterns}
    if last_id is not None:
        msg["last_id"] = last_id
    await comm.send_json_to(msg)
    ack = await comm.receive_json_from(timeout=WAIT)
    assert ack["type"] == "subscribed", ack
    replayed = [await comm.receive_json_from(timeout=WAIT) for _ in range(ack.get("replayed", 0))]
    return ack, replayed


async def events_until(comm, last_id: str) -> list[dict]:
    """Every event frame up to and including the one with id `last_id` (events arrive in id order)."""
    out = []
    while True:
        msg = await comm.receive_json_from(timeout=WAIT)
        if msg["type"] != "event":
            continue
        out.append(msg)
        if msg["id"] == last_id:
            return out
