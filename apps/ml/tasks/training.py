"""The training job: `POST /api/ml/models/train` starts it on the ml queue (services/training).

Thin: the body travels as the job's params (JSON), the user is the job's creator, progress goes to
the job row and `system.jobs.{id}` on the bus (apps.platform.jobs). acks_late with
reject_on_worker_lost: a worker lost mid-training gives the job to another worker, and the service
is idempotent per job (a version already registered for the job is returned, not trained again).
"""

from __future__ import annotations

from celery import shared_task

from apps.platform.jobs import job_progress, job_task
from apps.platform.selectors import job_get

from ..services.training import model_train, trained_document

TRAIN = "apps.ml.tasks.training.train"


@shared_task(name=TRAIN, acks_late=True, reject_on_worker_lost=True)
@job_task
def train(job_id: str, params: dict) -> dict:
    """params: the training body (services/training/params.py `training_request_check`)."""
    job = job_get(job_id=job_id)
    trained = model_train(
        **params,
        user=job.created_by if job is not None else None,
        progress=lambda pct, message: job_progress(job_id, pct, message),
        job_id=job_id,
    )
    return trained_document(trained)
