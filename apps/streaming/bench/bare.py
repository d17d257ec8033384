"""The bench's floor: the least a WebSocket fan-out of the bus can do on this machine.

`python -m apps.streaming.bench.bare --port P --redis-url U --stream-key K` reads one bus stream
with XREAD BLOCK (once, for every client), encodes each event as ws/stream's event frame once, and
hands it to every subscribed connection with websockets.broadcast (one write per connection, no
per-client queue, filter, permission check or rate limit). A client subscribes with the same control
message it sends ws/stream and gets the same acknowledgement; its pattern and token are not checked.
It runs on uvloop when installed, as uvicorn does.
"""

from __future__ import annotations

import argparse
import asyncio
import json

import redis.asyncio
from websockets.asyncio.server import broadcast, serve

from apps.platform.bus.events import decode_entry

COUNT = 1000  # entries per XREAD, as the bus relay reads

subscribed: set = set()


async def _handler(ws) -> None:
    try:
        async for raw in ws:
            msg = json.loads(raw)
            if msg.get("action") == "subscribe":
                await ws.send(json.dumps({"type": "subscribed", "patterns": msg.get("patterns", [])}))
                subscribed.add(ws)
    finally:
        subscribed.discard(ws)


async def _pump(url: str, key: str) -> None:
    r = redis.asyncio.Redis.from_url(url)
    cursor = "0-0"  # the stream is the bench's own, empty before the first step
    while True:
        for _stream, entries in await r.xread({key: cursor}, count=COUNT, block=1000) or []:
            for entry_id, fields in entries:
                cursor = entry_id
                frame = json.dumps(
                    {"type": "event", **decode_entry(entry_id, fields).as_dict()}, separators=(",", ":")
                )
                broadcast(subscribed, frame)


async def main(port: int, url: str, key: str) -> None:
    async with serve(_handler, "127.0.0.1", port, max_size=2**16):
        await _pump(url, key)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--stream-key", required=True)
    args = parser.parse_args()
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    runner(main(args.port, args.redis_url, args.stream_key))
