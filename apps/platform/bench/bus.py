"""Bus publish rate and publish→subscribe latency, against raw XADD and XADD→XREAD BLOCK."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator

import redis
from django.conf import settings

from .figures import figure, ms_percentiles, progress_steps

BENCH_TOPIC = "system.metrics.bench"


def bus_figures(red: redis.Redis, prefix: str, n_events: int, n_latency: int, progress: bool) -> list[dict]:
    from apps.platform import bus

    maxlen = settings.BUS_STREAM_MAXLEN
    raw_key = prefix + "stream"

    t0 = time.perf_counter()
    for i in progress_steps(progress, n_events, "bus publish"):
        bus.publish(BENCH_TOPIC, {"i": i})
    bus_rate = n_events / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    for i in progress_steps(progress, n_events, "raw xadd"):
        red.xadd(raw_key, {"i": i}, maxlen=maxlen, approximate=True)
    raw_rate = n_events / (time.perf_counter() - t0)

    bus_lat = _bus_latency(bus, n_latency, progress)
    raw_lat = _raw_stream_latency(red, raw_key, n_latency, progress)
    b50, b99 = ms_percentiles(bus_lat)
    r50, r99 = ms_percentiles(raw_lat)
    return [
        figure("bus_publish_per_s", bus_rate, "events/s", raw_rate),
        figure("bus_publish_to_subscribe_p50", b50, "ms", r50),
        figure("bus_publish_to_subscribe_p99", b99, "ms", r99),
    ]


def _relay(source: Iterator, n: int, inbox: queue.Queue) -> threading.Thread:
    """Hands the first n items of a blocking iterator to `inbox`, with the time they arrived."""

    def loop() -> None:
        for count, item in enumerate(source, start=1):
            inbox.put((time.perf_counter(), item))
            if count >= n:
                return

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def _ping_pong(publish: Callable[[int], object], inbox: queue.Queue, n: int, desc: str, progress: bool):
    """Publish one item at a time and wait for the subscriber to see it: one latency sample each."""
    samples = []
    for i in progress_steps(progress, n, desc):
        t0 = time.perf_counter()
        publish(i)
        arrived, _item = inbox.get(timeout=30)
        samples.append(arrived - t0)
    return samples


def _bus_latency(bus, n: int, progress: bool) -> list[float]:
    # Subscribe from a marker's id rather than "$" so no event can slip in before the first read.
    marker = bus.publish(BENCH_TOPIC, {"marker": True})
    if marker is None:
        raise RuntimeError("bus.publish returned None: Redis is unreachable from the bus")
    stop = threading.Event()
    inbox: queue.Queue = queue.Queue()
    _relay(bus.subscribe(BENCH_TOPIC, last_id=marker, block_ms=200, should_stop=stop.is_set), n, inbox)
    try:
        return _ping_pong(lambda i: bus.publish(BENCH_TOPIC, {"i": i}), inbox, n, "bus latency", progress)
    finally:
        stop.set()


def _raw_stream_latency(red: redis.Redis, key: str, n: int, progress: bool) -> list[float]:
    conn = redis.Redis(connection_pool=red.connection_pool)
    stop = threading.Event()

    def reader(cursor) -> Iterator:
        while not stop.is_set():
            for _stream, entries in conn.xread({key: cursor}, block=200, count=100) or []:
                for entry_id, fields in entries:
                    cursor = entry_id
                    yield fields

    inbox: queue.Queue = queue.Queue()
    _relay(reader(red.xadd(key, {"marker": 1})), n, inbox)
    try:
        return _ping_pong(lambda i: red.xadd(key, {"i": i}), inbox, n, "raw latency", progress)
    finally:
        stop.set()
