"""Where risk report files live and how each format is served: MEDIA_ROOT/risk_reports/<job id>.<ext>."""

from __future__ import annotations

from apps.platform.job_files import JobFiles

# format -> (file extension, content type)
FORMATS = {
    "json": ("json", "application/json"),
    "csv": ("csv", "text/csv; charset=utf-8"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": ("pdf", "application/pdf"),
    "html": ("html", "text/html; charset=utf-8"),
}
REPORT_FORMATS = tuple(FORMATS)
REPORT_FILES = JobFiles("risk_reports", FORMATS)
