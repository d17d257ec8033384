"""Fifty real clients on a real server (uvicorn, real sockets): each gets exactly what it may see,
in order, on a wildcard pattern — half of them staff, half a user who owns none of the portfolios."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from asgiref.sync import sync_to_async
from rest_framework.authtoken.models import Token

from apps.platform import bus
from apps.portfolio.services import portfolio_create

from .live_server import live_server

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
CLIENTS = 50


async def _client(url: str, token: str, compression: str | None) -> websockets.ClientConnection:
    # Uncompressed connections get their frames written straight to the socket (api/wire.py),
    # compressed ones through the ASGI send: both must see the same.
    ws = await websockets.connect(f"{url}/ws/stream?token={token}", compression=compression)
    await ws.send(json.dumps({"action": "subscribe", "patterns": ["#"]}))
    while json.loads(await ws.recv())["type"] != "subscribed":
        pass
    return ws


async def _ids_until(ws, fence: str) -> list[str]:
    got = []
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if msg["type"] == "event":
            got.append(msg["id"])
            if msg["id"] == fence:
                return got


def _publish() -> list[tuple[str, bool]]:
    """(id, public) per event: market data for everyone, mallory's book for her and staff only."""
    out = []
    for i in range(40):
        if i % 2:
            out.append((bus.publish("trading.executions.mal_001", {"portfolio": "mal_001", "i": i}), False))
        else:
            out.append((bus.publish("market.data.quotes.AAPL", {"symbol": "AAPL", "i": i}), True))
    return out


async def test_fifty_clients_each_get_what_they_may_see(fresh_bus, user, other_user, staff_user):
    def setup():
        portfolio_create(code="mal_001", name="M", owner=other_user)
        return Token.objects.create(user=user).key, Token.objects.create(user=staff_user).key

    alice, ops = await sync_to_async(setup)()
    with live_server() as url:
        tokens = [alice if i % 2 else ops for i in range(CLIENTS)]
        clients = await asyncio.gather(
            *(_client(url, t, None if i % 3 else "deflate") for i, t in enumerate(tokens))
        )
        events = await asyncio.to_thread(_publish)
        fence = events[-2][0]  # the last public event: everyone's last
        got = await asyncio.gather(*(_ids_until(ws, fence) for ws in clients))
        everything = [eid for eid, _ in events[:-1]]
        public = [eid for eid, pub in events if pub]
        for token, ids in zip(tokens, got, strict=True):
            assert ids == (public if token == alice else everything)
        await asyncio.gather(*(ws.close() for ws in clients))
