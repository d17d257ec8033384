"""Where tear-sheet files live and how each format is served: MEDIA_ROOT/reports/<job id>.<ext>."""

from __future__ import annotations

from apps.platform.job_files import JobFiles

# format -> (file extension, content type)
FORMATS = {
    "html": ("html", "text/html; charset=utf-8"),
    "pdf": ("pdf", "application/pdf"),
    "csv": ("csv", "text/csv; charset=utf-8"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
REPORT_FILES = JobFiles("reports", FORMATS)

# Named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] so the schema calls it ReportFormatEnum.
REPORT_FORMAT_CHOICES = tuple(sorted(FORMATS))
