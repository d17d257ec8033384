"""The tear-sheet job, through the platform's report pipeline: gather the figures, render the asked
format, write it under MEDIA_ROOT, then announce it on `analytics.reports.{portfolio}`."""

from __future__ import annotations

from apps.platform.report_pipeline import ReportPipeline

from ..reports.data import ReportData, report_data_gather
from ..reports.files import REPORT_FILES
from ..reports.render_html import render_html
from ..reports.render_pdf import render_pdf
from ..reports.render_tables import render_csv, render_xlsx


def report_topic(portfolio: str) -> str:
    return f"analytics.reports.{portfolio}"


def _gather(params: dict) -> ReportData:
    return report_data_gather(
        portfolio=params["portfolio"],
        start=params.get("start"),
        end=params.get("end"),
        frequency=params.get("frequency") or None,
        benchmark=params.get("benchmark"),
    )


def _describe(data: ReportData) -> dict:
    return {"portfolio": data.portfolio, "start": data.start, "end": data.end, "frequency": data.frequency}


TEARSHEET = ReportPipeline(
    files=REPORT_FILES,
    renderers={"html": render_html, "pdf": render_pdf, "csv": render_csv, "xlsx": render_xlsx},
    gather=_gather,
    describe=_describe,
    download_url_name="analytics:report-download",
    topic=lambda result: report_topic(result["portfolio"]),
    announce=("portfolio", "format", "download_url"),
)
report_generate = TEARSHEET.task(name="apps.analytics.tasks_reports.report_generate")
