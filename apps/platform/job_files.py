"""Files a job produces (report files) and their download, the same for every engine:
MEDIA_ROOT/<folder>/<job id>.<ext>, written whole (write, then rename: a download never sees half a
file) and served to the job's creator or staff once the job has succeeded."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import FileResponse
from rest_framework.exceptions import NotFound, PermissionDenied

from .models import Job, JobState


@dataclass(frozen=True)
class JobFiles:
    folder: str  # under MEDIA_ROOT
    formats: dict[str, tuple[str, str]]  # format -> (file extension, content type)

    def path(self, job_id, fmt: str) -> Path:
        return Path(settings.MEDIA_ROOT) / self.folder / f"{job_id}.{self.formats[fmt][0]}"

    def write(self, job_id, fmt: str, content: bytes) -> Path:
        path = self.path(job_id, fmt)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(content)
        os.replace(tmp, path)
        return path

    def download(self, user, *, job_id, task_name: str, filename_prefix: str = "") -> FileResponse:
        """The file of the `task_name` job `job_id`: 404 unknown or not ready, 403 not the creator."""
        job = Job.objects.filter(pk=job_id, name=task_name).first()
        if job is None:
            raise NotFound("No such report.")
        if not (user.is_staff or job.created_by_id == user.pk):
            raise PermissionDenied("Only the report's creator or staff may download it.")
        fmt = (job.result or {}).get("format")
        path = self.path(job.pk, fmt) if fmt in self.formats else None
        if job.state != JobState.SUCCEEDED or path is None or not path.exists():
            raise NotFound("The report is not ready.")
        return FileResponse(
            path.open("rb"),
            content_type=self.formats[fmt][1],
            as_attachment=True,
            filename=f"{filename_prefix}{job.pk}.{fmt}",
        )
