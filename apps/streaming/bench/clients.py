"""One client process of the streaming bench: many `websockets` connections on one asyncio loop.

Each connection authenticates with the bench user's token (query parameter), subscribes to the
bench pattern with the ws/stream control message, waits for the acknowledgement and then only
receives. For every event it records receive time minus the publish time the publisher put in the
payload (same machine, same clock), per step: the step number travels in the payload too, so a
backlog of step k arriving during step k+1 is still counted as step k's.

The process reports (status queue) how many connections are open and subscribed and how many events
arrived, several times a second, so the parent can show progress and tell when a step has drained;
after `stop` is set it closes its connections and sends its tallies (results queue).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from array import array
from dataclasses import dataclass, field

from .lifetime import die_with_parent

STATUS_EVERY = 0.25  # seconds between status reports to the parent
CONNECT_CONCURRENCY = 50  # handshakes in flight per process: 1,000 at once only measures SYN backlog
OPEN_TIMEOUT = 60.0


@dataclass
class Tally:
    """One step's events as seen by the connections of one process."""

    count: int = 0
    first: float = float("inf")
    last: float = 0.0
    disorder: int = 0  # an event older (by sequence) than one this connection already had
    dropped: int = 0  # what the server said it dropped ({"type": "dropped"}), counted at this step
    conflated: int = 0  # updates a conflated event stood in for ({"conflated": true, "count": n}: n - 1)
    latencies: array = field(default_factory=lambda: array("d"))

    def as_dict(self) -> dict:
        return {
            "count": self.count,
            "first": self.first,
            "last": self.last,
            "disorder": self.disorder,
            "dropped": self.dropped,
            "conflated": self.conflated,
            "latencies": self.latencies.tobytes(),  # float64 seconds; a list would pickle 4x larger
        }


@dataclass
class ProcessState:
    tallies: dict[int, Tally] = field(default_factory=dict)
    opened: int = 0
    subscribed: int = 0
    closed_early: int = 0  # subscribed connections the server closed (or that failed) before the end
    failed: int = 0  # connections that never got subscribed
    received: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def tally(self, step: int) -> Tally:
        t = self.tallies.get(step)
        if t is None:
            t = self.tallies[step] = Tally()
        return t

    def error(self, exc: BaseException | str) -> None:
        name = exc if isinstance(exc, str) else type(exc).__name__
        self.errors[name] = self.errors.get(name, 0) + 1

    def closed_by_server(self, code: int | None) -> None:
        """A subscribed connection closed before the end, counted with its close code (4408 heartbeat,
        4429 too slow, ...; None: no close frame, the TCP connection just ended)."""
        self.closed_early += 1
        self.error(f"closed {code}")


class Receiver:
    """What one connection does with each text message; shared by both client kinds."""

    def __init__(self, state: ProcessState) -> None:
        self.state = state
        self.last_seq: dict[int, int] = {}
        self.step = 0

    def message(self, raw: str | bytes, received_at: float) -> dict | None:
        """Tally an event or a drop notice; any other message (acknowledgement, error) is returned."""
        msg = json.loads(raw)
        kind = msg.get("type")
        if kind == "event":
            p = msg["payload"]
            self.step, seq = p["k"], p["n"]
            t = self.state.tally(self.step)
            t.count += 1
            if msg.get("conflated"):  # the latest of `count` updates; the others were replaced
                t.conflated += int(msg.get("count", 1)) - 1
            t.latencies.append(received_at - p["ts"])
            if received_at < t.first:
                t.first = received_at
            t.last = received_at
            if seq < self.last_seq.get(self.step, -1):
                t.disorder += 1
            self.last_seq[self.step] = seq
            self.state.received += 1
            return None
        if kind == "dropped":
            self.state.tally(self.step).dropped += int(msg.get("count", 0))
            return None
        return msg


def _subscribe_message(pattern: str) -> str:
    return json.dumps({"action": "subscribe", "patterns": [pattern]})


# ws/stream's heartbeat: the server sends {"type": "ping"} and closes (4408) a client that sends no
# frame before its deadline; a client answers with any frame, this one with the pong action.
PONG = json.dumps({"action": "pong"})


def _is_ping(msg: dict | None) -> bool:
    return msg is not None and msg.get("type") == "ping"


def _ack(msg: dict) -> bool:
    if msg.get("type") == "error":
        raise RuntimeError(f"subscribe refused: {msg.get('detail')}")
    return msg.get("type") == "subscribed"


async def _one_asyncio(url: str, pattern: str, compression, state: ProcessState, sem, done) -> None:
    """The `websockets` asyncio client, as an application would use it."""
    from websockets.asyncio.client import connect

    subscribed = False
    ws = None
    receiver = Receiver(state)
    try:
        async with sem:
            # No client pings: a starved client process missing a pong deadline would close a
            # connection and blame the server. The server's own heartbeats still run.
            ws = await connect(
                url, compression=compression, ping_interval=None, open_timeout=OPEN_TIMEOUT, max_size=2**20
            )
            state.opened += 1
            await ws.send(_subscribe_message(pattern))
            while not _ack(msg := json.loads(await asyncio.wait_for(ws.recv(), OPEN_TIMEOUT))):
                if _is_ping(msg):
                    await ws.send(PONG)
        subscribed = True
        state.subscribed += 1
        now = time.time
        async for raw in ws:
            if _is_ping(receiver.message(raw, now())):
                await ws.send(PONG)
        if not done.is_set():
            state.closed_by_server(ws.close_code)
    except asyncio.CancelledError:
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2)
        raise
    except Exception as exc:  # a failed or lost connection is a figure, not a crash
        from websockets.exceptions import ConnectionClosed

        if subscribed and isinstance(exc, ConnectionClosed):
            state.closed_by_server(exc.rcvd.code if exc.rcvd else None)
        elif subscribed:
            state.error(exc)
            state.closed_early += 1
        else:
            state.error(exc)
            state.failed += 1


class SansIOConnection(asyncio.Protocol):
    """The `websockets` Sans-I/O client protocol (ClientProtocol, the core the asyncio client is built
    on) driven straight from asyncio's transport callbacks: each message costs a frame parse and the
    tally, with no per-message future, queue or task switch. The client processes share two cores
    with the server they measure, so what they spend per message is taken from the server."""

    def __init__(self, url: str, pattern: str, compression, state: ProcessState, done, ready) -> None:
        from websockets.client import ClientProtocol
        from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
        from websockets.uri import parse_uri

        extensions = [ClientPerMessageDeflateFactory()] if compression == "deflate" else None
        self.ws = ClientProtocol(parse_uri(url), extensions=extensions, max_size=2**20)
        self.pattern, self.state, self.done, self.ready = pattern, state, done, ready
        self.receiver = Receiver(state)
        self.subscribed = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.state.opened += 1
        self.ws.send_request(self.ws.connect())
        self._flush()

    def _flush(self) -> None:
        for data in self.ws.data_to_send():
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                self.transport.write_eof()

    def data_received(self, data: bytes) -> None:
        from websockets.frames import Frame, Opcode
        from websockets.http11 import Response

        ws = self.ws
        ws.receive_data(data)
        received_at = time.time()
        for event in ws.events_received():
            if type(event) is Frame:
                if event.opcode is Opcode.TEXT:
                    if not event.fin:
                        self._fail(RuntimeError("fragmented message"))
                        continue
                    msg = self.receiver.message(event.data, received_at)
                    if _is_ping(msg):
                        ws.send_text(PONG.encode())
                    elif msg is not None and not self.subscribed:
                        try:
                            self.subscribed = _ack(msg)
                        except RuntimeError as exc:
                            self._fail(exc)
                            continue
                        if self.subscribed:
                            self.state.subscribed += 1
                            self.ready.set_result(True)
            elif isinstance(event, Response):
                if ws.handshake_exc is not None:
                    self._fail(ws.handshake_exc)
                else:
                    ws.send_text(_subscribe_message(self.pattern).encode())
        self._flush()

    def _fail(self, exc: BaseException) -> None:
        if not self.ready.done():
            self.ready.set_exception(exc)
        self.transport.abort()

    def connection_lost(self, exc) -> None:
        if not self.ready.done():
            self.ready.set_exception(exc or ConnectionError("closed before subscribed"))
        elif self.subscribed and not self.done.is_set():
            rcvd = self.ws.close_rcvd  # close_code stays None until the protocol saw the TCP end
            self.state.closed_by_server(rcvd.code if rcvd else None)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.ws.send_close(1000)
            self._flush()
            self.transport.close()


async def _one_sansio(url: str, pattern: str, compression, state: ProcessState, sem, done) -> None:
    from websockets.uri import parse_uri

    uri = parse_uri(url)
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    conn = None
    try:
        async with sem:
            _, conn = await loop.create_connection(
                lambda: SansIOConnection(url, pattern, compression, state, done, ready), uri.host, uri.port
            )
            await asyncio.wait_for(ready, OPEN_TIMEOUT)
        await asyncio.Event().wait()  # until cancelled: the protocol's callbacks do the work
    except asyncio.CancelledError:
        if conn is not None:
            conn.close()
        raise
    except Exception as exc:
        state.error(exc)
        state.failed += 1
        if conn is not None and conn.transport is not None:
            conn.transport.abort()


CLIENTS = {"sansio": _one_sansio, "asyncio": _one_asyncio}


async def _main(index: int, url: str, n: int, pattern: str, opts: dict, status_q, stop) -> ProcessState:
    state = ProcessState()
    sem = asyncio.Semaphore(CONNECT_CONCURRENCY)
    done = asyncio.Event()
    one = CLIENTS[opts["client"]]
    tasks = [asyncio.create_task(one(url, pattern, opts["compression"], state, sem, done)) for _ in range(n)]
    while not stop.is_set():
        status_q.put(
            (index, state.opened, state.subscribed, state.failed, state.closed_early, state.received)
        )
        await asyncio.sleep(STATUS_EVERY)
    done.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return state


def client_process(index, url, n, pattern, opts, status_q, stop, results_q) -> None:
    """Entry point of a client process (multiprocessing target)."""
    # Its own session, as the server has (servers.py): under autogroup scheduling the client
    # processes would otherwise share one CPU slice with the parent and the publisher, and clients
    # short of CPU make any server look slow.
    os.setsid()
    die_with_parent()
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # the server side runs on uvloop too when it is there; same here
        runner = asyncio.run
    state = runner(_main(index, url, n, pattern, opts, status_q, stop))
    results_q.put(
        {
            "index": index,
            "opened": state.opened,
            "subscribed": state.subscribed,
            "failed": state.failed,
            "closed_early": state.closed_early,
            "errors": state.errors,
            "tallies": {k: t.as_dict() for k, t in state.tallies.items()},
        }
    )
