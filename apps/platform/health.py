"""Health of the platform and of each engine: workers consuming its queue, backlog, last task.

Which workers consume which queue comes from one control broadcast (`inspect().active_queues()`),
which waits its whole timeout (about a second) for replies. So no request waits for it: the
platform heartbeat (every 10 s) takes it and shares it with every web process through the cache,
and /health and /api/engines/ read that snapshot. Only a snapshot older than
HEALTH_WORKER_CACHE_SECONDS (no heartbeat running, or a cold cache) is taken again inline, once at
a time per process. A quick Redis PING goes first: when the broker is unreachable nothing else is
attempted, and every answer still comes back within a couple of seconds — unhealthy, with the
reason, never a 500.

An engine may add findings of its own: a `health_checks()` function in its facade
(apps/<engine>/facade.py) returning the reasons it is degraded (an empty list when it is fine), e.g.
the ML engine's refused model artifacts. The platform imports no engine: the facades are found by
name through workers/registry.py's ENGINES, as load_demo finds demo modules and bench the bench
packages. A check that fails is itself a finding ("health check failed: ..."), never a 500.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from workers.registry import ENGINES, ENGINES_BY_KEY

from .metrics import QUEUE_DEPTH
from .queues import last_tasks, queue_depths
from .redis_client import broker_redis
from .timestamps import iso_utc

log = logging.getLogger(__name__)

OK, DEGRADED, UNHEALTHY = "ok", "degraded", "unhealthy"
_RANK = {OK: 0, DEGRADED: 1, UNHEALTHY: 2}

INSPECT_TIMEOUT_SECONDS = 1.0
WORKERS_CACHE_KEY = "platform:health:workers"
# A failed broadcast is kept briefly only: the next look may well succeed.
FAILED_SNAPSHOT_SECONDS = 5.0


@dataclass
class WorkerSnapshot:
    """Which worker nodes consume which queue, as of `taken_at` (epoch seconds; 0 = never)."""

    by_queue: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None
    taken_at: float = 0.0

    def max_age(self) -> float:
        ttl = settings.HEALTH_WORKER_CACHE_SECONDS
        return ttl if self.error is None else min(ttl, FAILED_SNAPSHOT_SECONDS)

    def is_fresh(self) -> bool:
        return time.time() - self.taken_at <= self.max_age()


_refresh_lock = threading.Lock()


def worker_cache_clear() -> None:
    try:
        cache.delete(WORKERS_CACHE_KEY)
    except Exception as exc:  # noqa: BLE001 - a cache outage only costs a broadcast
        log.warning("could not clear the worker snapshot: %s", exc)


def _cached_snapshot() -> WorkerSnapshot | None:
    try:
        doc = cache.get(WORKERS_CACHE_KEY)
    except Exception as exc:  # noqa: BLE001 - a cache outage only costs a broadcast
        log.warning("could not read the worker snapshot: %s", exc)
        return None
    return WorkerSnapshot(**doc) if isinstance(doc, dict) else None


def _broadcast_active_queues() -> WorkerSnapshot:
    from nautilus.celery import app as celery_app

    try:
        replies = celery_app.control.inspect(timeout=INSPECT_TIMEOUT_SECONDS).active_queues() or {}
    except Exception as exc:  # noqa: BLE001 - a broker hiccup is a health finding, not a crash
        log.warning("worker inspect failed: %s", exc)
        return WorkerSnapshot(error=f"worker inspect failed: {exc}", taken_at=time.time())
    by_queue: dict[str, list[str]] = {}
    for node, queues in replies.items():
        for q in queues or []:
            by_queue.setdefault(q.get("name", ""), []).append(node)
    return WorkerSnapshot(by_queue={q: sorted(n) for q, n in by_queue.items()}, taken_at=time.time())


def workers_snapshot_refresh() -> WorkerSnapshot:
    """Broadcast now and share the answer with every process (the heartbeat calls this)."""
    snapshot = _broadcast_active_queues()
    try:
        cache.set(WORKERS_CACHE_KEY, asdict(snapshot), timeout=snapshot.max_age())
    except Exception as exc:  # noqa: BLE001 - the answer is still good for this caller
        log.warning("could not share the worker snapshot: %s", exc)
    return snapshot


def workers_snapshot() -> WorkerSnapshot:
    """The shared snapshot while it is fresh; otherwise a new broadcast. Concurrent callers in a
    process wait for the one broadcast in flight instead of broadcasting themselves."""
    snapshot = _cached_snapshot()
    if snapshot is not None and snapshot.is_fresh():
        return snapshot
    with _refresh_lock:
        snapshot = _cached_snapshot()
        if snapshot is not None and snapshot.is_fresh():
            return snapshot
        return workers_snapshot_refresh()


def _broker_error() -> str | None:
    try:
        broker_redis().ping()
    except redis.RedisError as exc:
        return f"broker unreachable: {exc}"
    return None


def _bus_status() -> dict:
    from apps.platform import bus

    try:
        return dict(bus.status())
    except Exception as exc:  # noqa: BLE001 - the bus reports, it must not take /health down
        return {"connected": False, "error": f"{type(exc).__name__}: {exc}"}


@functools.cache
def _engine_facade(key: str):
    """The engine's facade module, or None when it has none (looked up once per process)."""
    name = f"apps.{key}.facade"
    return importlib.import_module(name) if importlib.util.find_spec(name) is not None else None


def engine_checks(key: str) -> list[str]:
    """What the engine's own health check reports (see the module docstring)."""
    try:
        check: Callable[[], list[str]] | None = getattr(_engine_facade(key), "health_checks", None)
        return [] if check is None else [str(reason) for reason in check()]
    except Exception as exc:  # noqa: BLE001 - a failing check is a finding, not a 500
        log.warning("the health check of %s failed: %s", key, exc)
        return [f"health check failed: {type(exc).__name__}: {exc}"]


def engines_health(keys: list[str] | None = None, *, bus: dict | None = None) -> dict[str, dict]:
    """Status per engine: unhealthy when no worker consumes its queue (or the broker is down),
    degraded when its backlog is above HEALTH_QUEUE_BACKLOG, the bus is down, or its own health
    check reports something (`checks`)."""
    engines = [ENGINES_BY_KEY[k] for k in keys] if keys is not None else list(ENGINES)
    bus = bus if bus is not None else _bus_status()
    backlog_limit = settings.HEALTH_QUEUE_BACKLOG

    broker_error = _broker_error()
    snapshot, depths, last = WorkerSnapshot(), {}, {}
    if broker_error is None:
        snapshot = workers_snapshot()
        try:
            depths = queue_depths([e.queue for e in engines])
            for queue, depth in depths.items():
                QUEUE_DEPTH.labels(queue=queue).set(depth)
            last = last_tasks([e.key for e in engines])
        except redis.RedisError as exc:
            broker_error = f"broker unreachable: {exc}"

    out: dict[str, dict] = {}
    for e in engines:
        workers = snapshot.by_queue.get(e.queue, [])
        depth = depths.get(e.queue)
        reasons: list[str] = []
        status = OK
        if broker_error:
            status, reasons = UNHEALTHY, [broker_error]
        elif snapshot.error:
            status, reasons = UNHEALTHY, [snapshot.error]
        elif not workers:
            status = UNHEALTHY
            reasons.append(f"no worker consumes queue {e.queue!r}")
        if depth is not None and depth > backlog_limit:
            status = max(status, DEGRADED, key=_RANK.__getitem__)
            reasons.append(f"queue backlog {depth} above {backlog_limit}")
        if not bus.get("connected", False):
            status = max(status, DEGRADED, key=_RANK.__getitem__)
            reasons.append("message bus disconnected")
        checks = engine_checks(e.key)
        if checks:
            status = max(status, DEGRADED, key=_RANK.__getitem__)
            reasons += checks
        rec = last.get(e.key)
        out[e.key] = {
            "status": status,
            "reasons": reasons,
            "queue": e.queue,
            "workers": workers,
            "worker_count": len(workers),
            "queue_depth": depth,
            "checks": checks,
            "last_task": (
                {**rec, "finished_at": iso_utc(rec["finished_at"]) if rec["finished_at"] else None}
                if rec
                else None
            ),
            "workers_checked_at": iso_utc(snapshot.taken_at) if snapshot.taken_at else None,
        }
    return out


def _database_status() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        return {"status": UNHEALTHY, "error": f"{type(exc).__name__}: {exc}"}
    return {"status": OK, "vendor": connection.vendor}


def platform_health() -> dict:
    """The /health document. Overall: unhealthy when the database or the broker is unreachable,
    degraded when any engine is not ok or the bus is down, ok otherwise; every engine's own findings
    are repeated in `reasons` as "<engine>: <finding>"."""
    bus = _bus_status()
    database = _database_status()
    engines = engines_health(bus=bus)
    reasons: list[str] = []
    status = OK
    if database["status"] != OK:
        status = UNHEALTHY
        reasons.append("database unreachable")
    broker_down = [r for e in engines.values() for r in e["reasons"] if r.startswith("broker unreachable")]
    if broker_down:
        status = UNHEALTHY
        reasons.append(broker_down[0])
    bad = [k for k, e in engines.items() if e["status"] != OK]
    if bad:
        status = max(status, DEGRADED, key=_RANK.__getitem__)
        reasons.append(f"engines not ok: {', '.join(bad)}")
    reasons += [f"{k}: {check}" for k, e in engines.items() for check in e["checks"]]
    if not bus.get("connected", False):
        status = max(status, DEGRADED, key=_RANK.__getitem__)
        reasons.append("message bus disconnected")
    return {
        "status": status,
        "reasons": reasons,
        "messagebus_connected": bool(bus.get("connected", False)),
        "messagebus": bus,
        "version": settings.VERSION,
        "database": database,
        "engines": engines,
    }


def heartbeat_publish() -> dict:
    """Periodic: sample queue depths into the gauge, take the worker snapshot the health answers
    read, and publish `system.health.platform`."""
    from apps.platform import bus

    from .metrics import queue_depths_sample

    depths = queue_depths_sample()
    if depths is not None:  # the broker answers, so the workers can be asked
        workers_snapshot_refresh()
    payload = {
        "at": iso_utc(datetime.now(tz=UTC)),
        "broker_connected": depths is not None,
        "queue_depth": depths or {},
        "version": settings.VERSION,
    }
    try:
        bus.publish("system.health.platform", payload)
    except Exception:  # noqa: BLE001 - the bus never raises by contract; a heartbeat must not fail
        log.exception("could not publish the platform heartbeat")
    return payload
