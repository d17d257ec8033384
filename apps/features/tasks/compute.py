"""The compute job: `compute_run` splits the instruments into chunks and sends one `compute_chunk`
task per chunk to the features queue, so the engine's whole pool (on every host) works on one job.
Each chunk computes and stores its instruments (services/compute.py), adds its counts, reports
progress; the last chunk to finish completes the job. A failing chunk fails the job (the error on
the job row) and the chunks still queued skip their work.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from apps.platform.jobs import error_of, job_progress
from apps.platform.models import JobState
from apps.platform.selectors import job_get
from apps.platform.services import job_begin, job_fail, job_succeed

from ..selectors.definitions import definitions_by_ids
from ..services.computations import chunk_finished, chunks_of, computation_create, computation_summary
from ..services.compute import compute_chunk
from ..services.store import store_analyze

RUN = "apps.features.tasks.compute.compute_run"
CHUNK = "apps.features.tasks.compute.compute_chunk"


def _failed(job_id: str, exc: BaseException) -> None:
    text, detail = error_of(exc)
    job_fail(job_id=job_id, error=text, error_detail=detail)


@shared_task(name=RUN, acks_late=True, reject_on_worker_lost=True)
def compute_run(job_id: str, params: dict | None = None) -> dict | None:
    """params: definition_ids, symbols (resolved, upper case), start, end (ISO or None)."""
    if job_begin(job_id=job_id) is None:
        return None
    params = params or {}
    try:
        definitions = definitions_by_ids(params["definition_ids"])
        chunks = chunks_of(params["symbols"], settings.FEATURES_COMPUTE_CHUNK_SYMBOLS)
        done = computation_create(
            job_id=job_id,
            definitions=definitions,
            symbols=params["symbols"],
            start=params.get("start"),
            end=params.get("end"),
            chunks=len(chunks),
        )
    except Exception as exc:
        _failed(job_id, exc)
        raise
    if not chunks:
        job_succeed(job_id=job_id, result=computation_summary(done))
        return {"chunks": 0}
    job_progress(job_id, 0, f"0/{len(chunks)} chunks")
    for index, symbols in enumerate(chunks):
        compute_chunk_task.apply_async(
            kwargs={"job_id": job_id, "index": index, "symbols": symbols, "params": params}
        )
    return {"chunks": len(chunks)}


@shared_task(name=CHUNK, acks_late=True, reject_on_worker_lost=True)
def compute_chunk_task(job_id: str, index: int, symbols: list[str], params: dict) -> dict | None:
    job = job_get(job_id=job_id)
    if job is None or job.state != JobState.RUNNING:
        return None  # the job failed or was cancelled: skip the work
    try:
        counts = compute_chunk(
            definitions=definitions_by_ids(params["definition_ids"]),
            symbols=symbols,
            start=params.get("start"),
            end=params.get("end"),
        )
    except Exception as exc:
        _failed(job_id, exc)
        raise
    done = chunk_finished(job_id=job_id, index=index, counts=counts)
    if done is None:
        return counts  # a redelivery of a chunk already counted
    n = len(done.chunks_done)
    if n == done.chunks_total:
        store_analyze()
        job_succeed(job_id=job_id, result=computation_summary(done))
    else:
        job_progress(job_id, 100.0 * n / done.chunks_total, f"{n}/{done.chunks_total} chunks")
    return counts
