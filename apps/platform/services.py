"""Job life cycle: start (row + enqueue after commit), begin, progress, succeed, fail.

Every transition is one conditional UPDATE so a late or duplicated message (acks_late redelivery,
a parent process reporting a hard time limit after the child already failed) never overwrites a
finished job: the first terminal state and its error win.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from workers.registry import ENGINES_BY_KEY

from .models import TERMINAL_STATES, Job, JobState

log = logging.getLogger(__name__)

# Progress is written at most this often per job (the last step and 100 % always get through):
# a kernel may report thousands of steps, and each write is a row update plus a bus event.
PROGRESS_MIN_INTERVAL_SECONDS = 0.25
_MESSAGE_MAX = 500
_progress_written_at: dict[str, float] = {}


def _json_roundtrip(value: Any, *, field: str) -> Any:
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as exc:
        raise ValidationError({field: f"must be JSON-serializable: {exc}"}) from None


def _publish(job_id: str, payload: dict) -> None:
    """Tell bus subscribers about the job. The bus never raises by contract; this guard keeps a
    job's bookkeeping alive even if it did."""
    from apps.platform import bus

    try:
        bus.publish(f"system.jobs.{job_id}", {"job_id": job_id, **payload})
    except Exception:  # noqa: BLE001 - a lost notification must not fail the job
        log.exception("could not publish job event for %s", job_id)


@transaction.atomic
def job_start(*, engine: str, task_name: str, params: dict, user=None) -> Job:
    """Create a pending job and enqueue `task_name(job_id=…, params=…)` on the engine's queue once
    the row is committed (the worker must find it)."""
    eng = ENGINES_BY_KEY.get(engine)
    if eng is None:
        raise ValidationError({"engine": f"unknown engine {engine!r}"})
    if not task_name:
        raise ValidationError({"task_name": "required"})
    params = _json_roundtrip(params if params is not None else {}, field="params")
    if not isinstance(params, dict):
        raise ValidationError({"params": "must be a JSON object"})
    job_id = uuid.uuid4()
    job = Job.objects.create(
        id=job_id,
        engine=eng.key,
        name=task_name,
        params=params,
        celery_task_id=str(job_id),  # one id for both: the job URL names the Celery task too
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    transaction.on_commit(
        lambda: _enqueue(job_id=str(job_id), task_name=task_name, params=params, engine=eng.key)
    )
    return job


def _enqueue(*, job_id: str, task_name: str, params: dict, engine: str) -> None:
    from nautilus.celery import app as celery_app

    eng = ENGINES_BY_KEY[engine]
    try:
        celery_app.send_task(
            task_name,
            kwargs={"job_id": job_id, "params": params},
            task_id=job_id,
            queue=eng.queue,  # explicit: platform tasks (e.g. the selftest) run on any engine's queue
            priority=eng.task_priority,
        )
    except Exception as exc:  # noqa: BLE001 - broker down: the job fails visibly instead of hanging
        log.exception("could not enqueue job %s (%s)", job_id, task_name)
        job_fail(job_id=job_id, error=f"could not enqueue: {type(exc).__name__}: {exc}")


def job_begin(*, job_id: str) -> Job | None:
    """Mark a job running. None when it is unknown or already finished/cancelled (a redelivered
    message must not run finished work again); a job left running by a lost worker runs again."""
    now = timezone.now()
    updated = Job.objects.filter(pk=job_id, state__in=[JobState.PENDING, JobState.RUNNING]).update(
        state=JobState.RUNNING, started_at=now, finished_at=None, message="running"
    )
    if not updated:
        return None
    _publish(str(job_id), {"state": JobState.RUNNING, "progress": 0, "message": "running"})
    return Job.objects.get(pk=job_id)


def job_progress(job_id: str, pct: float, message: str = "") -> None:
    """Report progress from inside a job's task: throttled row update + `system.jobs.{id}` event."""
    key = str(job_id)
    pct = int(max(0, min(100, round(float(pct)))))
    now = time.monotonic()
    last = _progress_written_at.get(key)
    if last is not None and pct < 100 and now - last < PROGRESS_MIN_INTERVAL_SECONDS:
        return
    _progress_written_at[key] = now
    message = (message or "")[:_MESSAGE_MAX]
    Job.objects.filter(pk=job_id, state=JobState.RUNNING).update(progress=pct, message=message)
    _publish(key, {"state": JobState.RUNNING, "progress": pct, "message": message})


def job_succeed(*, job_id: str, result: Any) -> bool:
    """Record the result; a result that is not JSON fails the job instead (nothing half-written)."""
    try:
        result = _json_roundtrip(result, field="result")
    except ValidationError as exc:
        return job_fail(job_id=job_id, error=f"result is not JSON-serializable: {exc.messages[0]}")
    _progress_written_at.pop(str(job_id), None)
    updated = (
        Job.objects.filter(pk=job_id)
        .exclude(state__in=TERMINAL_STATES)
        .update(
            state=JobState.SUCCEEDED, progress=100, message="done", result=result, finished_at=timezone.now()
        )
    )
    if updated:
        _publish(str(job_id), {"state": JobState.SUCCEEDED, "progress": 100, "result": result})
    return bool(updated)


def job_fail(*, job_id: str, error: str, error_detail: dict | list | None = None) -> bool:
    """Record why a job failed. The first failure wins: a later report never erases it."""
    _progress_written_at.pop(str(job_id), None)
    updated = (
        Job.objects.filter(pk=job_id)
        .exclude(state__in=TERMINAL_STATES)
        .update(
            state=JobState.FAILED,
            error=error or "failed",
            error_detail=error_detail,
            message="failed",
            finished_at=timezone.now(),
        )
    )
    if updated:
        _publish(str(job_id), {"state": JobState.FAILED, "error": error, "error_detail": error_detail})
    return bool(updated)


def job_requeue(*, job_id: str, reason: str) -> None:
    """A task retry puts its job back to pending until the next attempt begins."""
    Job.objects.filter(pk=job_id, state=JobState.RUNNING).update(
        state=JobState.PENDING, message=reason[:_MESSAGE_MAX]
    )
