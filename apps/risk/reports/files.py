"""Where risk report files live and how each format is served: MEDIA_ROOT/risk_reports/<job id>.<ext>."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

# format -> (file extension, content type)
FORMATS = {
    "json": ("json", "application/json"),
    "csv": ("csv", "text/csv; charset=utf-8"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": ("pdf", "application/pdf"),
    "html": ("html", "text/html; charset=utf-8"),
}
REPORT_FORMATS = tuple(FORMATS)


def report_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "risk_reports"


def report_path(job_id: str, fmt: str) -> Path:
    return report_dir() / f"{job_id}.{FORMATS[fmt][0]}"
