"""The selftest job: sent explicitly to the queue of the engine under test (services.job_start does
that for every job)."""

from __future__ import annotations

from celery import shared_task

from ..jobs import job_task
from ..selftest import selftest_run


@shared_task(name="apps.platform.tasks.selftest", acks_late=True, reject_on_worker_lost=True)
@job_task
def selftest(job_id: str, params: dict) -> dict:
    return selftest_run(
        job_id=job_id,
        steps=int(params.get("steps", 3)),
        step_seconds=float(params.get("step_seconds", 0.2)),
        fail=bool(params.get("fail", False)),
    )
