"""The calculate job (POST /api/factors/calculate above FACTORS_SYNC_MAX_CELLS): JSON params in,
the Parquet file's description out; the Job row follows through `job_task`."""

from __future__ import annotations

from celery import shared_task

from apps.platform.jobs import job_task

from ..services.calculate import calculation_file_write

CALCULATE = "apps.factors.tasks.calculate.calculate"


@shared_task(name=CALCULATE, acks_late=True, reject_on_worker_lost=True)
@job_task
def calculate(job_id: str, params: dict) -> dict:
    """params: `selectors.calculate.Calculation.params()`. Idempotent: a rerun rewrites the same file."""
    return calculation_file_write(job_id=job_id, params=params)
