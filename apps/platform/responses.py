"""How every engine's API answers for a job it started:

    job = job_start(engine="risk", task_name="apps.platform.tasks.selftest", params=..., user=request.user)
    return job_response(request, job)

A small job answers 200 with its result within JOB_SYNC_WAIT_SECONDS; a long one, or any call with
`?async=true`, answers 202 with the job document and a `Location` header to /api/jobs/{id}.
A job that failed on invalid input answers 400 with its field messages; any other failure 502
(the worker behind this gateway failed) with the job document, whose error stays on the job.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import status
from rest_framework.response import Response

from .api.serializers.jobs import JobSerializer, job_url
from .models import Job, JobState
from .selectors import job_wait

_TRUE = {"1", "true", "yes", "on"}


def async_requested(request) -> bool:
    return str(request.query_params.get("async", "")).lower() in _TRUE


def job_response(request, job: Job, *, wait_seconds: float | None = None) -> Response:
    if async_requested(request):
        return _accepted(request, job)
    job = job_wait(
        job_id=job.pk, timeout=settings.JOB_SYNC_WAIT_SECONDS if wait_seconds is None else wait_seconds
    )
    headers = {"X-Job-Id": str(job.pk)}
    if job.state == JobState.SUCCEEDED:
        return Response(job.result, status=status.HTTP_200_OK, headers=headers)
    if job.state == JobState.FAILED:
        if job.error_detail:
            return Response(job.error_detail, status=status.HTTP_400_BAD_REQUEST, headers=headers)
        return Response(_doc(request, job), status=status.HTTP_502_BAD_GATEWAY, headers=headers)
    if job.state == JobState.CANCELLED:
        return Response(_doc(request, job), status=status.HTTP_409_CONFLICT, headers=headers)
    return _accepted(request, job)


def _doc(request, job: Job) -> dict:
    return JobSerializer(job, context={"request": request}).data


def _accepted(request, job: Job) -> Response:
    headers = {"X-Job-Id": str(job.pk), "Location": job_url(request, job)}
    return Response(_doc(request, job), status=status.HTTP_202_ACCEPTED, headers=headers)
