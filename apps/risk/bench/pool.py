"""The desk part's monitor through the risk pool as deployed: the run's portfolios in batches of
RISK_MONITOR_BATCH_SIZE sent as the Beat run sends them (tasks.monitor.chord_dispatch: a Celery
chord of `monitor_batch` tasks on the `risk` queue, then `monitor_finish`), consumed by the risk
workers `workers.registry` deploys (bench.workers.deployed_workers), and timed from the dispatch
until the finish has recorded the run on MonitorState.

First = the workers' first run, dispatched the moment they answer a ping (they answer once their
main process has filled the book cache their children are forked with: tasks.warmup). Settled = the first run of freshly started workers one monitor interval after they answered
(the first Beat tick after a restart comes up to one interval later). Warm = the runs after the
first. The recorded duration (`MonitorState.last_duration_ms`, what /metrics and the slow-run alert
read) is reported next to the wall time seen here.
"""

from __future__ import annotations

import statistics
import time

from django.conf import settings
from django.utils import timezone

from ..models import MonitorState
from ..services.monitor.batches import batches_of, run_context
from .workers import deployed_workers, environ_with, queues_drain, worker_database_env

RUN_TIMEOUT = 120.0  # seconds; a run that has not finished by then fails the bench


def _finished_after(started_at, timeout: float) -> MonitorState:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        state = MonitorState.objects.get(pk=1)
        if state.last_finished_at is not None and state.last_finished_at >= started_at:
            return state
        time.sleep(0.02)
    raise RuntimeError(f"the pool's monitor run did not finish within {timeout:.0f} s")


def _pool_run(ids: list[int], batch_size: int) -> dict:
    from ..tasks.monitor import chord_dispatch

    MonitorState.load()
    now = timezone.now()
    t0 = time.perf_counter()
    batches = batches_of(ids, batch_size)
    chord_dispatch(batches, run_context(now=now, lag_ms=None, mode="full"))
    state = _finished_after(now, RUN_TIMEOUT)
    seconds = time.perf_counter() - t0
    if state.last_error:
        raise RuntimeError(f"the pool's monitor run reported errors: {state.last_error[:2000]}")
    return {
        "seconds": seconds,
        "recorded_ms": state.last_duration_ms,
        "portfolios": state.last_portfolios,
        "limits": state.last_limits,
        "opened": state.last_opened,
        "batches": len(batches),
    }


def pool_monitor_timing(
    ids: list[int], *, repeats: int, batch_size: int | None = None, settle: float | None = None
) -> dict:
    """The first and `repeats` warm runs over `ids` through freshly started risk workers, then the
    first run of workers started again and left `settle` seconds (default: the monitor's Beat
    interval), in batches of `batch_size` (default RISK_MONITOR_BATCH_SIZE, as the Beat run)."""
    size = int(batch_size or settings.RISK_MONITOR_BATCH_SIZE)
    settle = _monitor_interval() if settle is None else settle
    env = worker_database_env()
    if env is None:
        return {
            "skipped": "the database is private to this process (in-memory SQLite): no worker can share it"
        }
    with environ_with(env), deployed_workers():
        first = _pool_run(ids, size)
        warm = [_pool_run(ids, size) for _ in range(repeats)]
        queues_drain()
    with environ_with(env), deployed_workers():
        time.sleep(settle)
        settled = _pool_run(ids, size)
        queues_drain()
    return {
        "first_seconds": first["seconds"],
        "settled_seconds": settled["seconds"],
        "warm_seconds": statistics.median(w["seconds"] for w in warm),
        "first": first,
        "settled": settled | {"after_seconds": settle},
        "warm": warm[len(warm) // 2],
        "children": int(_risk_concurrency()),
    }


def _monitor_interval() -> float:
    from workers.schedule import SCHEDULE

    return next(p.every_seconds for p in SCHEDULE if p.name == "risk.monitor")


def _risk_concurrency() -> int:
    from workers.registry import engine

    return engine("risk").concurrency
