"""Where report files live and how each format is served: MEDIA_ROOT/reports/<job id>.<ext>."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

# format -> (file extension, content type)
FORMATS = {
    "html": ("html", "text/html; charset=utf-8"),
    "pdf": ("pdf", "application/pdf"),
    "csv": ("csv", "text/csv; charset=utf-8"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def report_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "reports"


def report_path(job_id: str, fmt: str) -> Path:
    return report_dir() / f"{job_id}.{FORMATS[fmt][0]}"


# Named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] so the schema calls it ReportFormatEnum.
REPORT_FORMAT_CHOICES = tuple(sorted(FORMATS))
