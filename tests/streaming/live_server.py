"""The real ASGI app under uvicorn in a thread of the test process (its own event loop, the test
database), for tests that need real sockets: TCP back-pressure from a client that does not read."""
# websockets-sansio: uvicorn's `websockets` implementation is deprecated.

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time

import uvicorn
from asgiref.sync import sync_to_async
from django.db import connections
from websockets.client import ClientProtocol
from websockets.protocol import State
from websockets.uri import parse_uri

from nautilus.asgi import application


@contextlib.contextmanager
def live_server():
    config = uvicorn.Config(
        application, host="127.0.0.1", port=0, ws="websockets-sansio", lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)

    async def serve():
        await server.serve()
        await sync_to_async(connections.close_all)()  # else the test database cannot be dropped

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


async def raw_subscriber(url: str, path: str, patterns: list[str]):
    """A WebSocket client on a socket with a small receive buffer (Linux would otherwise grow it to
    32 MB), driven by websockets' sans-I/O protocol: it subscribes to `patterns` and then reads only
    when the test does. (reader, writer, protocol)."""
    host, port = url.removeprefix("ws://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
    reader, writer = await asyncio.open_connection(sock=sock, limit=8192)
    proto = ClientProtocol(parse_uri(f"{url}{path}"), max_size=None)
    proto.send_request(proto.connect())
    writer.write(b"".join(proto.data_to_send()))
    while proto.state is State.CONNECTING:
        proto.receive_data(await reader.read(4096))
    proto.send_text(json.dumps({"action": "subscribe", "patterns": patterns}).encode())
    writer.write(b"".join(proto.data_to_send()))
    await writer.drain()
    return reader, writer, proto
