"""`manage.py bench platform`: what the plumbing costs, next to raw Redis measured in the same run.

- Celery round trip (apply_async(...).get() of `apps.<engine>.tasks.ping`, cycling over the nine
  queues) against an echo over two Redis lists (LPUSH request, a consumer thread BRPOPs it and
  LPUSHes a reply, the caller BRPOPs the reply) — the same shape a task round trip has.
- Celery tasks/s per queue (fire N pings, wait for all) against N single LPUSHes drained by a BRPOP
  consumer thread.
- Bus publish rate against raw XADD (same approximate MAXLEN), and bus publish→subscribe latency
  against raw XADD→XREAD BLOCK.

The worker is a real `celery worker` subprocess on all nine queues (prefork, 2 children) against
settings.REDIS_URL, so the figures include the broker, the result backend and process hops.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import redis
from celery import current_app
from celery.result import ResultSet
from django.conf import settings
from tqdm import tqdm

from workers.registry import ENGINES, QUEUES

FULL = {"round_trips": 400, "per_queue": 200, "bus_events": 5000, "bus_latency": 300}
QUICK = {"round_trips": 20, "per_queue": 10, "bus_events": 100, "bus_latency": 10}
WORKER_START_TIMEOUT = 90  # seconds; the first ping also waits for Django setup in the worker
BENCH_TOPIC = "system.metrics.bench"


def run(*, quick: bool = False, progress: bool = True, **params) -> dict:
    sizes = {**(QUICK if quick else FULL), **{k: int(v) for k, v in params.items() if k in FULL}}
    red = redis.Redis.from_url(settings.REDIS_URL)
    prefix = f"nautilus:bench:{uuid.uuid4().hex[:8]}:"
    figures: list[dict] = []
    try:
        with celery_worker():
            figures += _celery_round_trip(red, prefix, sizes["round_trips"], progress)
            figures += _celery_rates(red, prefix, sizes["per_queue"], progress)
        figures += _bus_figures(red, prefix, sizes["bus_events"], sizes["bus_latency"], progress)
    finally:
        keys = list(red.scan_iter(match=prefix + "*"))
        if keys:
            red.delete(*keys)
        red.close()
    return {"engine": "platform", "sizes": sizes, "figures": figures}


# --- helpers --------------------------------------------------------------------------------------


def figure(name: str, value: float, unit: str, baseline: float | None = None) -> dict:
    out = {"name": name, "value": round(value, 4), "unit": unit}
    if baseline is not None:
        out["baseline"] = round(baseline, 4)
        out["ratio"] = round(value / baseline, 3) if baseline else None
    return out


def _ms_percentiles(samples: list[float]) -> tuple[float, float]:
    p50, p99 = np.percentile(np.asarray(samples) * 1000.0, [50, 99])
    return float(p50), float(p99)


def _bar(progress: bool, total: int, desc: str) -> tqdm:
    return tqdm(total=total, desc=desc, disable=not progress, file=sys.stderr, leave=False)


def _steps(progress: bool, n: int, desc: str) -> tqdm:
    return tqdm(range(n), desc=desc, disable=not progress, file=sys.stderr, leave=False)


def _timed(n: int, call: Callable[[int], None], bar: tqdm) -> list[float]:
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        call(i)
        samples.append(time.perf_counter() - t0)
        bar.update(1)
    bar.close()
    return samples


@contextmanager
def celery_worker() -> Iterator[subprocess.Popen]:
    """A real worker on all nine queues; ready once a ping has come back through it."""
    log = tempfile.NamedTemporaryFile(prefix="nautilus-bench-worker-", suffix=".log", delete=False)
    argv = [sys.executable, "-m", "celery", "-A", "nautilus", "worker", "-Q", ",".join(QUEUES)]
    argv += ["-P", "prefork", "-c", "2", "-n", f"bench-{uuid.uuid4().hex[:6]}@%h", "--without-gossip"]
    argv += ["--without-mingle", "--loglevel=WARNING"]
    env = {**os.environ, "REDIS_URL": settings.REDIS_URL}
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        try:
            _ping(ENGINES[0].key).get(timeout=WORKER_START_TIMEOUT)
        except Exception as exc:
            log.flush()
            tail = Path(log.name).read_text(errors="replace")[-2000:]
            raise RuntimeError(f"bench worker did not answer a ping ({exc!r}); its log:\n{tail}") from exc
        yield proc
    finally:
        worker_stop(proc, log)


def worker_stop(proc: subprocess.Popen, log) -> None:
    """Stop a bench worker started in its own session (SIGTERM, then its whole process group after
    20 s) and remove its log file."""
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait()
    log.close()
    os.unlink(log.name)


def _ping(engine_key: str):
    return current_app.send_task(f"apps.{engine_key}.tasks.ping")


@contextmanager
def _echo_consumer(red: redis.Redis, request_key: str, reply_key: str | None) -> Iterator[None]:
    """A thread that BRPOPs requests and, with a reply_key, LPUSHes each one back (an echo)."""
    conn = redis.Redis(connection_pool=red.connection_pool)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            item = conn.brpop([request_key], timeout=0.2)
            if item is not None and reply_key is not None:
                conn.lpush(reply_key, item[1])

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)


# --- Celery ---------------------------------------------------------------------------------------


def _celery_round_trip(red: redis.Redis, prefix: str, n: int, progress: bool) -> list[dict]:
    keys = [e.key for e in ENGINES]
    celery = _timed(n, lambda i: _ping(keys[i % len(keys)]).get(timeout=30), _bar(progress, n, "celery rtt"))

    req, rep = prefix + "rtt:req", prefix + "rtt:rep"
    with _echo_consumer(red, req, rep):

        def echo(i: int) -> None:
            red.lpush(req, i)
            red.brpop([rep], timeout=30)

        raw = _timed(n, echo, _bar(progress, n, "redis rtt"))
    c50, c99 = _ms_percentiles(celery)
    r50, r99 = _ms_percentiles(raw)
    return [
        figure("celery_round_trip_p50", c50, "ms", r50),
        figure("celery_round_trip_p99", c99, "ms", r99),
    ]


def _celery_rates(red: redis.Redis, prefix: str, n: int, progress: bool) -> list[dict]:
    baseline = _raw_queue_rate(red, prefix + "rate", n)
    out = []
    bar = _bar(progress, n * len(ENGINES), "celery tasks/s")
    for eng in ENGINES:
        t0 = time.perf_counter()
        results = ResultSet([_ping(eng.key) for _ in range(n)])
        results.get(timeout=120)
        rate = n / (time.perf_counter() - t0)
        bar.update(n)
        out.append(figure(f"celery_tasks_per_s[{eng.queue}]", rate, "tasks/s", baseline))
    bar.close()
    return out


def _raw_queue_rate(red: redis.Redis, key: str, n: int) -> float:
    """Messages/s through one Redis list: n single LPUSHes, drained by a BRPOP consumer thread."""
    done = threading.Event()
    conn = redis.Redis(connection_pool=red.connection_pool)

    def drain() -> None:
        for _ in range(n):
            if conn.brpop([key], timeout=30) is None:
                return
        done.set()

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    t0 = time.perf_counter()
    for i in range(n):
        red.lpush(key, i)
    done.wait(60)
    elapsed = time.perf_counter() - t0
    thread.join(1)
    return n / elapsed


# --- bus ------------------------------------------------------------------------------------------


def _bus_figures(red: redis.Redis, prefix: str, n_events: int, n_latency: int, progress: bool) -> list[dict]:
    from apps.platform import bus

    maxlen = settings.BUS_STREAM_MAXLEN
    raw_key = prefix + "stream"

    t0 = time.perf_counter()
    for i in _steps(progress, n_events, "bus publish"):
        bus.publish(BENCH_TOPIC, {"i": i})
    bus_rate = n_events / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    for i in _steps(progress, n_events, "raw xadd"):
        red.xadd(raw_key, {"i": i}, maxlen=maxlen, approximate=True)
    raw_rate = n_events / (time.perf_counter() - t0)

    bus_lat = _bus_latency(bus, n_latency, progress)
    raw_lat = _raw_stream_latency(red, raw_key, n_latency, progress)
    b50, b99 = _ms_percentiles(bus_lat)
    r50, r99 = _ms_percentiles(raw_lat)
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
    for i in _steps(progress, n, desc):
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
