"""Prometheus figures for Celery work, readable from the web process's GET /metrics.

Worker processes write into PROMETHEUS_MULTIPROC_DIR (prometheus_client multiprocess mode, chosen
by prometheus_client at import time from the environment variable); django-prometheus's
ExportToDjangoView then serves a MultiProcessCollector over that directory whenever the variable is
set, so tasks run in every prefork child are counted.
"""

from __future__ import annotations

import logging
import os

import redis
from prometheus_client import Counter, Gauge, Histogram, multiprocess

from workers.registry import ENGINES_BY_KEY, QUEUES
from workers.routing import engine_for_task

from .queues import queue_depths

log = logging.getLogger(__name__)

TASK_TOTAL = Counter(
    "nautilus_task_total",
    "Celery tasks finished, by engine, task and outcome (succeeded|failed|retried).",
    ["engine", "task", "state"],
)
TASK_DURATION = Histogram(
    "nautilus_task_duration_seconds",
    "Wall time of Celery tasks, by engine and task.",
    ["engine", "task"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600),
)
# Depth is a property of the broker, not of the process that sampled it: the freshest sample
# among live processes is the truth ("livemostrecent"; "max" would keep a dead process's stale
# peak, "liveall" would emit one series per pid for the same queue).
QUEUE_DEPTH = Gauge(
    "nautilus_queue_depth",
    "Messages waiting in an engine queue (all priority lists).",
    ["queue"],
    multiprocess_mode="livemostrecent",
)

_QUEUE_TO_ENGINE = {e.queue: e.key for e in ENGINES_BY_KEY.values()}


def engine_label(task_name: str, queue: str | None) -> str:
    """The engine that ran a task: the queue it was delivered on (a platform task such as the
    selftest runs on any engine's queue), else the engine its name belongs to."""
    if queue in _QUEUE_TO_ENGINE:
        return _QUEUE_TO_ENGINE[queue]
    key = engine_for_task(task_name)
    if key is not None:
        return key
    return "platform" if task_name.startswith("apps.platform.") else "other"


def task_counted(*, engine: str, task: str, state: str) -> None:
    TASK_TOTAL.labels(engine=engine, task=task, state=state).inc()


def task_timed(*, engine: str, task: str, seconds: float) -> None:
    TASK_DURATION.labels(engine=engine, task=task).observe(seconds)


def queue_depths_sample() -> dict[str, int] | None:
    """Read every engine queue's depth into the gauge; None (and gauges left alone) when Redis is down."""
    try:
        depths = queue_depths(QUEUES)
    except redis.RedisError as exc:
        log.warning("queue depth sample failed: %s", exc)
        return None
    for queue, depth in depths.items():
        QUEUE_DEPTH.labels(queue=queue).set(depth)
    return depths


def process_dead(pid: int) -> None:
    """Drop a finished worker child's live gauges from the multiprocess directory."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)
