"""The real ASGI app under uvicorn in a thread of the test process (its own event loop, the test
database), for tests that need real sockets: TCP back-pressure from a client that does not read."""
# websockets-sansio: uvicorn's `websockets` implementation is deprecated.

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

import uvicorn
from asgiref.sync import sync_to_async
from django.db import connections

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
