"""This server process's WebSocket connections and counters: what management and stats read.

A "process" here is one event loop serving WebSockets: a uvicorn worker has exactly one, and a test
that runs a live server in a thread next to its own loop gets two, which is how the cross-process
paths are tested in one interpreter. Each has a random id; its connections are `<process>.<n>`.

The counters are plain integers (cheap on the hot path), mirrored to Prometheus
(apps/streaming/metrics.py; delivery's per message counts in one go per flush, mirror()); registry.py publishes a snapshot of them to Redis for the
cross-process view and executes commands addressed to this process's connections.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
import weakref
from bisect import bisect_left
from collections import deque

from . import metrics

LATENCY_SAMPLES = 2048  # the most recent delivery latencies kept for p50/p99


class Process:
    def __init__(self) -> None:
        self.id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.live: dict[str, object] = {}  # connection id -> consumer (api/consumer.FeedConsumer)
        self._seq = itertools.count(1)
        self.messages_in = 0
        self.messages_out = 0
        self.dropped = 0
        self.conflated = 0
        self.latencies_ms: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        # Sent but not yet added to Prometheus (mirror()): count, latency per bucket, latency sum.
        self._bounds = metrics.latency_bounds()
        self._unmirrored = 0
        self._buckets = [0] * len(self._bounds)
        self._latency_sum = 0.0
        self.agent: asyncio.Task | None = None  # registry.py's task, while connections live

    def register(self, consumer) -> str:
        conn_id = f"{self.id}.{next(self._seq)}"
        self.live[conn_id] = consumer
        metrics.CONNECTIONS.labels(feed=consumer.feed).inc()
        return conn_id

    def unregister(self, conn_id: str) -> None:
        consumer = self.live.pop(conn_id, None)
        if consumer is not None:
            metrics.CONNECTIONS.labels(feed=consumer.feed).dec()

    def count_in(self) -> None:
        self.messages_in += 1
        metrics.MESSAGES_IN.inc()

    def count_out(self, latency_s: float) -> None:
        """One event frame handed to a socket `latency_s` after its publication (per message and
        connection: plain ints only; mirror() adds them to Prometheus)."""
        if latency_s < 0.0:  # the publisher's clock ahead of ours
            latency_s = 0.0
        self.messages_out += 1
        self.latencies_ms.append(latency_s * 1000.0)
        self._unmirrored += 1
        self._buckets[bisect_left(self._bounds, latency_s)] += 1
        self._latency_sum += latency_s

    def mirror(self) -> None:
        """Add the frames counted since the last call to the Prometheus series."""
        if self._unmirrored:
            metrics.MESSAGES_OUT.inc(self._unmirrored)
            metrics.add_latencies(self._buckets, self._latency_sum)
            self._unmirrored, self._latency_sum = 0, 0.0
            self._buckets = [0] * len(self._bounds)

    def count_dropped(self, n: int) -> None:
        self.dropped += n
        metrics.DROPPED.inc(n)

    def count_conflated(self, n: int) -> None:
        self.conflated += n
        metrics.CONFLATED.inc(n)


def count_closed(code: int) -> None:
    metrics.CLOSED.labels(code=str(code)).inc()


_processes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Process] = weakref.WeakKeyDictionary()


def local() -> Process:
    """The process (event loop) the caller runs in."""
    loop = asyncio.get_running_loop()
    proc = _processes.get(loop)
    if proc is None:
        proc = _processes[loop] = Process()
    return proc
