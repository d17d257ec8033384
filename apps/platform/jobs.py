"""The task side of a job: wrap an engine task so its Job row follows what the task does.

    @shared_task(name="apps.platform.tasks.selftest", acks_late=True, reject_on_worker_lost=True)
    @job_task
    def selftest(job_id: str, params: dict) -> dict:
        return selftest_run(job_id=job_id, **params)   # may call job_progress(job_id, pct, msg)

The job is marked running before the body, succeeded with its (JSON) return value after it, or
failed with the error kept on the row — and the exception re-raised so Celery, its signals and the
metrics see the failure too. Start jobs with `services.job_start`; answer HTTP with
`responses.job_response`.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from celery.exceptions import Retry
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError as DRFValidationError

from .services import job_begin, job_fail, job_progress, job_requeue, job_succeed

__all__ = ["job_task", "job_progress", "error_of"]

log = logging.getLogger(__name__)


def error_of(exc: BaseException) -> tuple[str, dict | list | None]:
    """(error text, field messages) for a failure; field messages only for invalid input."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return text, detail
    if isinstance(exc, DRFValidationError):
        detail = exc.detail
        detail = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        # ErrorDetail subclasses str; the JSON field wants plain data.
        return text, _plain(detail)
    return text, None


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def job_task(fn: Callable[[str, dict], Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def run(job_id: str, params: dict | None = None) -> Any:
        if job_begin(job_id=job_id) is None:
            log.info("job %s is unknown or already finished; not running %s", job_id, fn.__name__)
            return None
        try:
            result = fn(job_id, params or {})
        except Retry as exc:
            job_requeue(job_id=job_id, reason=f"retrying: {exc}")
            raise
        except Exception as exc:
            text, detail = error_of(exc)
            job_fail(job_id=job_id, error=text, error_detail=detail)
            raise
        try:
            # The result travels as JSON (job row, result backend, bus): check it once, here.
            result = json.loads(json.dumps(result))
        except (TypeError, ValueError) as exc:
            job_fail(job_id=job_id, error=f"result is not JSON-serializable: {exc}")
            raise
        job_succeed(job_id=job_id, result=result)
        return result

    run.is_job_task = True  # the task_failure signal handler looks for it (hard time limits)
    return run
