"""The risk report job, through the platform's report pipeline: gather the figures, render the asked
format, write it under MEDIA_ROOT, then announce it on `risk.alerts.reports` (the SPEC's risk topics
are risk.alerts.*, risk.limits.* and risk.breaches.*; a finished report is an alert-level notice,
not a limit or breach event)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from apps.platform.report_pipeline import ReportPipeline

from ..reports.data import RiskReportData, report_data_gather
from ..reports.files import REPORT_FILES
from ..reports.render_html import render_html
from ..reports.render_pdf import render_pdf
from ..reports.render_tables import render_csv, render_json, render_xlsx

REPORT_TOPIC = "risk.alerts.reports"


def _gather(params: dict) -> RiskReportData:
    portfolios = list(params.get("portfolios") or [])
    if not portfolios:
        raise ValidationError({"portfolios": "give at least one portfolio"})
    return report_data_gather(
        portfolios=portfolios,
        confidence=float(params.get("confidence") or 0.99),
        scenarios=params.get("scenarios"),
    )


def _describe(data: RiskReportData) -> dict:
    return {
        "portfolios": [p.portfolio for p in data.portfolios],
        "confidence": data.confidence,
        "scenarios": data.scenarios,
        "generated_at": data.generated_at,
    }


RISK_REPORT = ReportPipeline(
    files=REPORT_FILES,
    renderers={
        "json": render_json,
        "csv": render_csv,
        "xlsx": render_xlsx,
        "pdf": render_pdf,
        "html": render_html,
    },
    gather=_gather,
    describe=_describe,
    download_url_name="risk:report-download",
    topic=lambda result: REPORT_TOPIC,
    announce=("portfolios", "format", "download_url"),
    default_format="html",
    render_progress=60,
)
report_generate = RISK_REPORT.task(name="apps.risk.tasks_reports.report_generate")
