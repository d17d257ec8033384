"""Upload tasks: thin job wrappers that take a stored upload's path and call one ingest service."""

from __future__ import annotations

from collections.abc import Callable

from celery import shared_task

from apps.platform.jobs import job_task
from apps.platform.services import job_fail, job_progress

from ..services.ingest import IngestRejected, bars_ingest, fundamentals_ingest, fx_ingest, series_ingest
from ..services.uploads import upload_discard


def _run_upload(job_id: str, params: dict, service: Callable, **kwargs) -> dict:
    try:
        report = service(
            source=params["path"],
            name=params.get("name", ""),
            fmt=params.get("format") or None,
            skip_invalid=bool(params.get("skip_invalid", False)),
            progress=lambda pct, message: job_progress(job_id, pct, message),
            **kwargs,
        )
    except IngestRejected as exc:
        # Failed first with the structured row report (integers kept); job_task's own failure
        # record that follows is ignored because the first terminal state wins.
        job_fail(job_id=job_id, error=f"IngestRejected: {exc.messages[0]}", error_detail=exc.detail())
        raise
    finally:
        # A worker killed mid-load never reaches this, so a redelivered task still finds the file.
        upload_discard(params["path"])
    return report.to_dict()


@shared_task(name="apps.marketdata.tasks.bars_upload", acks_late=True, reject_on_worker_lost=True)
@job_task
def bars_upload(job_id: str, params: dict) -> dict:
    return _run_upload(
        job_id,
        params,
        bars_ingest,
        symbol=params.get("symbol") or None,
        interval=params.get("interval", "1d"),
        create_instruments=bool(params.get("create_instruments", False)),
    )


@shared_task(name="apps.marketdata.tasks.series_upload", acks_late=True, reject_on_worker_lost=True)
@job_task
def series_upload(job_id: str, params: dict) -> dict:
    from django.utils.dateparse import parse_datetime

    known_at = parse_datetime(params["known_at"]) if params.get("known_at") else None
    return _run_upload(
        job_id,
        params,
        series_ingest,
        code=params.get("code") or None,
        title=params.get("title", ""),
        frequency=params.get("frequency", ""),
        units=params.get("units", ""),
        known_at=known_at,
    )


@shared_task(name="apps.marketdata.tasks.fundamentals_upload", acks_late=True, reject_on_worker_lost=True)
@job_task
def fundamentals_upload(job_id: str, params: dict) -> dict:
    from django.utils.dateparse import parse_datetime

    reported_at = parse_datetime(params["reported_at"]) if params.get("reported_at") else None
    return _run_upload(
        job_id,
        params,
        fundamentals_ingest,
        symbol=params.get("symbol") or None,
        reported_at=reported_at,
        create_instruments=bool(params.get("create_instruments", False)),
    )


@shared_task(name="apps.marketdata.tasks.fx_upload", acks_late=True, reject_on_worker_lost=True)
@job_task
def fx_upload(job_id: str, params: dict) -> dict:
    return _run_upload(
        job_id, params, fx_ingest, base=params.get("base") or None, quote=params.get("quote") or None
    )
