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
import time
from array import array
from dataclasses import dataclass, field

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
    latencies: array = field(default_factory=lambda: array("d"))

    def as_dict(self) -> dict:
        return {
            "count": self.count,
            "first": self.first,
            "last": self.last,
            "disorder": self.disorder,
            "dropped": self.dropped,
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

    def error(self, exc: BaseException) -> None:
        name = type(exc).__name__
        self.errors[name] = self.errors.get(name, 0) + 1


async def _one(url: str, pattern: str, compression: str | None, state: ProcessState, sem, done) -> None:
    from websockets.asyncio.client import connect

    loads, now = json.loads, time.time
    subscribed = False
    ws = None
    try:
        async with sem:
            # No client pings: a starved client process missing a pong deadline would close a
            # connection and blame the server. The server's own heartbeats still run.
            ws = await connect(
                url, compression=compression, ping_interval=None, open_timeout=OPEN_TIMEOUT, max_size=2**20
            )
            state.opened += 1
            await ws.send(json.dumps({"action": "subscribe", "patterns": [pattern]}))
            while True:
                reply = loads(await asyncio.wait_for(ws.recv(), OPEN_TIMEOUT))
                if reply.get("type") == "subscribed":
                    break
                if reply.get("type") == "error":
                    raise RuntimeError(f"subscribe refused: {reply.get('detail')}")
        subscribed = True
        state.subscribed += 1
        last_seq: dict[int, int] = {}
        step = 0
        async for raw in ws:
            received_at = now()
            msg = loads(raw)
            kind = msg.get("type")
            if kind == "event":
                p = msg["payload"]
                step, seq = p["k"], p["n"]
                t = state.tally(step)
                t.count += 1
                t.latencies.append(received_at - p["ts"])
                if received_at < t.first:
                    t.first = received_at
                t.last = received_at
                if seq < last_seq.get(step, -1):
                    t.disorder += 1
                last_seq[step] = seq
                state.received += 1
            elif kind == "dropped":
                state.tally(step).dropped += int(msg.get("count", 0))
        if not done.is_set():
            state.closed_early += 1
    except asyncio.CancelledError:
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2)
        raise
    except Exception as exc:  # a failed or lost connection is a figure, not a crash
        state.error(exc)
        if subscribed:
            state.closed_early += 1
        else:
            state.failed += 1


async def _main(index: int, url: str, n: int, pattern: str, compression, status_q, stop) -> ProcessState:
    state = ProcessState()
    sem = asyncio.Semaphore(CONNECT_CONCURRENCY)
    done = asyncio.Event()
    tasks = [asyncio.create_task(_one(url, pattern, compression, state, sem, done)) for _ in range(n)]
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


def client_process(index, url, n, pattern, compression, status_q, stop, results_q) -> None:
    """Entry point of a client process (multiprocessing target)."""
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # the server side runs on uvloop too when it is there; same here
        runner = asyncio.run
    state = runner(_main(index, url, n, pattern, compression, status_q, stop))
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
