"""Celery round trip and tasks/s per queue, against the same shapes over raw Redis lists."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from celery.result import ResultSet

from workers.registry import ENGINES

from .figures import figure, ms_percentiles, progress_bar, timed
from .workers import ping


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


def celery_round_trip(red: redis.Redis, prefix: str, n: int, progress: bool) -> list[dict]:
    keys = [e.key for e in ENGINES]
    celery = timed(
        n, lambda i: ping(keys[i % len(keys)]).get(timeout=30), progress_bar(progress, n, "celery rtt")
    )

    req, rep = prefix + "rtt:req", prefix + "rtt:rep"
    with _echo_consumer(red, req, rep):

        def echo(i: int) -> None:
            red.lpush(req, i)
            red.brpop([rep], timeout=30)

        raw = timed(n, echo, progress_bar(progress, n, "redis rtt"))
    c50, c99 = ms_percentiles(celery)
    r50, r99 = ms_percentiles(raw)
    return [
        figure("celery_round_trip_p50", c50, "ms", r50),
        figure("celery_round_trip_p99", c99, "ms", r99),
    ]


def celery_rates(red: redis.Redis, prefix: str, n: int, progress: bool) -> list[dict]:
    baseline = _raw_queue_rate(red, prefix + "rate", n)
    out = []
    bar = progress_bar(progress, n * len(ENGINES), "celery tasks/s")
    for eng in ENGINES:
        t0 = time.perf_counter()
        results = ResultSet([ping(eng.key) for _ in range(n)])
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
