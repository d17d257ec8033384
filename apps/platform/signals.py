"""Celery signal handlers: task metrics, the per-engine last-task record, and the job of a task
that died where the job_task wrapper could not see it (hard time limit: reported by the parent).

Connected from PlatformConfig.ready(), so every process that loads Django — web, worker parent
and prefork children — has them.
"""

from __future__ import annotations

import logging
import os
import time

from celery import signals

from . import metrics
from .queues import last_task_record

log = logging.getLogger(__name__)

_started: dict[str, float] = {}
_OUTCOME = {"SUCCESS": "succeeded", "FAILURE": "failed"}


def _queue_of(task) -> str | None:
    try:
        info = task.request.delivery_info or {}
    except AttributeError:
        return None
    return info.get("routing_key") or info.get("queue")


def _labels(task) -> tuple[str, str]:
    name = getattr(task, "name", None) or "unknown"
    return metrics.engine_label(name, _queue_of(task)), name


@signals.task_prerun.connect(weak=False)
def on_task_prerun(sender=None, task_id=None, **_kw) -> None:
    if task_id:
        _started[task_id] = time.monotonic()


@signals.task_postrun.connect(weak=False)
def on_task_postrun(sender=None, task_id=None, state=None, **_kw) -> None:
    engine, name = _labels(sender)
    started = _started.pop(task_id, None) if task_id else None
    if started is not None:
        metrics.task_timed(engine=engine, task=name, seconds=time.monotonic() - started)
    if state == "SUCCESS":
        metrics.task_counted(engine=engine, task=name, state="succeeded")
    if state in _OUTCOME:
        last_task_record(engine=engine, task=name, state=_OUTCOME[state], task_id=task_id or "")


@signals.task_failure.connect(weak=False)
def on_task_failure(sender=None, task_id=None, exception=None, kwargs=None, **_kw) -> None:
    engine, name = _labels(sender)
    metrics.task_counted(engine=engine, task=name, state="failed")
    last_task_record(engine=engine, task=name, state="failed", task_id=task_id or "")
    job_id = (kwargs or {}).get("job_id")
    if job_id and getattr(getattr(sender, "run", None), "is_job_task", False):
        # No-op when the wrapper already failed the job in the child: the first error wins.
        from .jobs import error_of
        from .services import job_fail

        text, detail = error_of(exception) if exception is not None else ("task failed", None)
        try:
            job_fail(job_id=job_id, error=text, error_detail=detail)
        except Exception:  # noqa: BLE001 - never let bookkeeping break the worker's failure path
            log.exception("could not mark job %s failed", job_id)


@signals.task_retry.connect(weak=False)
def on_task_retry(sender=None, **_kw) -> None:
    engine, name = _labels(sender)
    metrics.task_counted(engine=engine, task=name, state="retried")


@signals.worker_process_shutdown.connect(weak=False)
def on_worker_process_shutdown(pid=None, **_kw) -> None:
    metrics.process_dead(pid or os.getpid())
