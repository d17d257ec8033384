"""The bench's client connections against a scripted `websockets` server: subscribe, events tallied
per step, conflated and dropped counts, and the heartbeat answered (ws/stream closes a client that
does not answer its {"type": "ping"} with 4408)."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time

import pytest
from websockets.asyncio.server import serve

from apps.streaming.bench.clients import _main


def _event(step: int, seq: int, **extra) -> str:
    payload = {"symbol": "X", "ts": time.time(), "k": step, "n": seq}
    return json.dumps(
        {"type": "event", "id": f"1-{seq}", "topic": "market.data.quotes.X", "payload": payload} | extra
    )


def _run(script, kind: str, finished: threading.Event):
    """One client of `kind` against the scripted server, stopped half a second after the script
    finished; the client process's state."""

    async def run():
        async with serve(script, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            stop = threading.Event()
            status: queue.Queue = queue.Queue()
            threading.Thread(
                target=lambda: (finished.wait(10), time.sleep(0.5), stop.set()), daemon=True
            ).start()
            opts = {"client": kind, "compression": None}
            return await _main(0, f"ws://127.0.0.1:{port}/", 1, "market.data.quotes.*", opts, status, stop)

    return asyncio.run(run())


@pytest.mark.parametrize("kind", ["sansio", "asyncio"])
def test_a_connection_the_server_closes_is_counted_with_its_close_code(kind):
    finished = threading.Event()

    async def script(ws):
        await ws.recv()
        await ws.send(json.dumps({"type": "subscribed", "patterns": ["market.data.quotes.*"]}))
        await ws.send(_event(0, 0))
        await ws.close(4408, "no answer to a heartbeat")
        finished.set()

    state = _run(script, kind, finished)
    assert (state.subscribed, state.closed_early, state.failed) == (1, 1, 0)
    assert state.errors == {"closed 4408": 1} and state.received == 1


@pytest.mark.parametrize("kind", ["sansio", "asyncio"])
def test_a_refused_subscription_is_a_failed_connection(kind):
    finished = threading.Event()

    async def script(ws):
        await ws.recv()
        await ws.send(json.dumps({"type": "error", "detail": "invalid pattern"}))
        finished.set()
        await ws.wait_closed()

    state = _run(script, kind, finished)
    assert (state.opened, state.subscribed, state.failed, state.closed_early) == (1, 0, 1, 0)
    assert state.errors == {"RuntimeError": 1}


@pytest.mark.parametrize("kind", ["sansio", "asyncio"])
def test_a_client_subscribes_answers_pings_and_tallies_each_step(kind):
    seen: list[dict] = []
    finished = threading.Event()

    async def script(ws):
        seen.append(json.loads(await ws.recv()))
        await ws.send(json.dumps({"type": "subscribed", "patterns": ["market.data.quotes.*"]}))
        await ws.send(json.dumps({"type": "ping", "ts": "now"}))
        seen.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))  # the pong, before any event
        await ws.send(_event(0, 0))
        await ws.send(_event(0, 1))
        await ws.send(json.dumps({"type": "dropped", "count": 3}))
        await ws.send(_event(1, 5, conflated=True, count=4))
        await ws.send(_event(1, 2))  # older than 5 within step 1: out of order
        finished.set()
        await ws.wait_closed()

    state = _run(script, kind, finished)
    assert seen == [{"action": "subscribe", "patterns": ["market.data.quotes.*"]}, {"action": "pong"}]
    assert (state.opened, state.subscribed, state.failed, state.closed_early) == (1, 1, 0, 0)
    assert state.received == 4 and state.errors == {}
    first, second = state.tallies[0], state.tallies[1]
    assert first.count == 2 and first.dropped == 3 and first.conflated == 0 and first.disorder == 0
    assert second.count == 2 and second.conflated == 3 and second.disorder == 1
    assert len(first.latencies) == 2 and all(0 <= x < 5 for x in first.latencies)
