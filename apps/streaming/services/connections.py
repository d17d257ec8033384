"""This process's WebSocket connections and counters: what management and stats read.

Every consumer registers here under a connection id (`<process>.<n>`, unique across processes since
the process id is random) and counts what it receives, sends, drops and conflates. The counters are
plain integers here (cheap on the hot path) mirrored to Prometheus (apps/streaming/metrics.py);
registry.py publishes a snapshot of them to Redis for the cross-process view.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections import deque
from dataclasses import dataclass, field

from .. import metrics

PROCESS_ID = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
LATENCY_SAMPLES = 2048  # the most recent delivery latencies kept for p50/p99


@dataclass
class Totals:
    messages_in: int = 0
    messages_out: int = 0
    dropped: int = 0
    conflated: int = 0
    latencies_ms: deque = field(default_factory=lambda: deque(maxlen=LATENCY_SAMPLES))


TOTALS = Totals()
_live: dict[str, object] = {}  # connection id -> consumer (api/consumer.FeedConsumer)
_seq = itertools.count(1)


def connection_register(consumer) -> str:
    conn_id = f"{PROCESS_ID}.{next(_seq)}"
    _live[conn_id] = consumer
    metrics.CONNECTIONS.labels(feed=consumer.feed).inc()
    return conn_id


def connection_unregister(conn_id: str) -> None:
    consumer = _live.pop(conn_id, None)
    if consumer is not None:
        metrics.CONNECTIONS.labels(feed=consumer.feed).dec()


def connections_live() -> dict[str, object]:
    return dict(_live)


def connection_local(conn_id: str):
    return _live.get(conn_id)


def count_in() -> None:
    TOTALS.messages_in += 1
    metrics.MESSAGES_IN.inc()


def count_out(latency_s: float) -> None:
    TOTALS.messages_out += 1
    TOTALS.latencies_ms.append(latency_s * 1000.0)
    metrics.MESSAGES_OUT.inc()
    metrics.LATENCY.observe(latency_s)


def count_dropped(n: int) -> None:
    if n:
        TOTALS.dropped += n
        metrics.DROPPED.inc(n)


def count_conflated(n: int) -> None:
    if n:
        TOTALS.conflated += n
        metrics.CONFLATED.inc(n)


def count_closed(code: int) -> None:
    metrics.CLOSED.labels(code=str(code)).inc()
