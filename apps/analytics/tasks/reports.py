"""The tear-sheet job: gather the figures, render the asked format, write it under MEDIA_ROOT, then
announce it on `analytics.reports.{portfolio}`."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.platform import bus
from apps.platform.jobs import job_progress, job_task

from ..reports.data import report_data_gather
from ..reports.files import FORMATS, REPORT_FILES
from ..reports.render_html import render_html
from ..reports.render_pdf import render_pdf
from ..reports.render_tables import render_csv, render_xlsx

log = logging.getLogger(__name__)

RENDERERS = {"html": render_html, "pdf": render_pdf, "csv": render_csv, "xlsx": render_xlsx}


def report_topic(portfolio: str) -> str:
    return f"analytics.reports.{portfolio}"


@job_task
def _generate(job_id: str, params: dict) -> dict:
    fmt = params.get("format")
    if fmt not in RENDERERS:
        raise ValidationError({"format": f"Unknown format {fmt!r}; one of {sorted(RENDERERS)}."})
    portfolio = params["portfolio"]
    job_progress(job_id, 5, "gathering figures")
    data = report_data_gather(
        portfolio=portfolio,
        start=params.get("start"),
        end=params.get("end"),
        frequency=params.get("frequency") or None,
        benchmark=params.get("benchmark"),
    )
    job_progress(job_id, 40, f"rendering {fmt}")
    content = RENDERERS[fmt](data)
    job_progress(job_id, 90, "writing file")
    path = REPORT_FILES.write(job_id, fmt, content)
    return {
        "portfolio": data.portfolio,
        "format": fmt,
        "content_type": FORMATS[fmt][1],
        "file": path.name,
        "size": len(content),
        "start": data.start,
        "end": data.end,
        "frequency": data.frequency,
        "download_url": reverse("analytics:report-download", kwargs={"job_id": job_id}),
    }


def _report_generate(job_id: str, params: dict | None = None) -> dict | None:
    result = _generate(job_id, params)
    if result is not None:
        # Announced only after the job is marked succeeded, so the download answers at once.
        bus.publish(
            report_topic(result["portfolio"]),
            {"job_id": str(job_id), **{k: result[k] for k in ("portfolio", "format", "download_url")}},
        )
    return result


_report_generate.is_job_task = True  # the hard-time-limit failure handler looks for it
report_generate = shared_task(
    name="apps.analytics.tasks_reports.report_generate", acks_late=True, reject_on_worker_lost=True
)(_report_generate)
