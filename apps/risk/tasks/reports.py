"""The risk report job: gather the figures, render the asked format, write it under MEDIA_ROOT, then
announce it on `risk.alerts.reports` (the SPEC's risk topics are risk.alerts.*, risk.limits.* and
risk.breaches.*; a finished report is an alert-level notice, not a limit or breach event)."""

from __future__ import annotations

from celery import shared_task
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.platform import bus
from apps.platform.jobs import job_progress, job_task

from ..reports.data import report_data_gather
from ..reports.files import FORMATS, REPORT_FILES
from ..reports.render_html import render_html
from ..reports.render_pdf import render_pdf
from ..reports.render_tables import render_csv, render_json, render_xlsx

RENDERERS = {
    "json": render_json,
    "csv": render_csv,
    "xlsx": render_xlsx,
    "pdf": render_pdf,
    "html": render_html,
}
REPORT_TOPIC = "risk.alerts.reports"


@job_task
def _generate(job_id: str, params: dict) -> dict:
    fmt = params.get("format") or "html"
    if fmt not in RENDERERS:
        raise ValidationError({"format": f"Unknown format {fmt!r}; one of {sorted(RENDERERS)}."})
    portfolios = list(params.get("portfolios") or [])
    if not portfolios:
        raise ValidationError({"portfolios": "give at least one portfolio"})
    job_progress(job_id, 5, "gathering figures")
    data = report_data_gather(
        portfolios=portfolios,
        confidence=float(params.get("confidence") or 0.99),
        scenarios=params.get("scenarios"),
    )
    job_progress(job_id, 60, f"rendering {fmt}")
    content = RENDERERS[fmt](data)
    path = REPORT_FILES.write(job_id, fmt, content)
    return {
        "portfolios": [p.portfolio for p in data.portfolios],
        "format": fmt,
        "content_type": FORMATS[fmt][1],
        "file": path.name,
        "size": len(content),
        "confidence": data.confidence,
        "scenarios": data.scenarios,
        "generated_at": data.generated_at,
        "download_url": reverse("risk:report-download", kwargs={"job_id": job_id}),
    }


def _report_generate(job_id: str, params: dict | None = None) -> dict | None:
    result = _generate(job_id, params)
    if result is not None:
        # Announced only after the job is marked succeeded, so the download answers at once.
        bus.publish(
            REPORT_TOPIC,
            {"job_id": str(job_id), **{k: result[k] for k in ("portfolios", "format", "download_url")}},
        )
    return result


_report_generate.is_job_task = True  # the hard-time-limit failure handler looks for it
report_generate = shared_task(
    name="apps.risk.tasks_reports.report_generate", acks_late=True, reject_on_worker_lost=True
)(_report_generate)
