"""The report-job pipeline every engine's reports share, one step after the other:

    validate the format → gather the figures → progress → render (HTML through a Django template)
    → write the file whole (JobFiles) → the job succeeds → announce the file on the bus

An engine describes its report once as a `ReportPipeline` (how to gather, the renderers, what the
result says, where it is downloaded and announced) and gets its Celery task from `task()`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from celery import shared_task
from django.core.exceptions import ValidationError
from django.urls import reverse

from . import bus
from .job_files import JobFiles
from .jobs import job_progress, job_task


@dataclass(frozen=True, kw_only=True)
class ReportPipeline:
    files: JobFiles  # where the files go and each format's content type
    renderers: Mapping[str, Callable[[Any], bytes]]  # format -> data -> file content
    gather: Callable[[dict], Any]  # job params -> the report's data (ValidationError on bad params)
    describe: Callable[[Any], dict]  # data -> what the job's result says about it
    download_url_name: str  # the download view's URL name; it takes `job_id`
    topic: Callable[[dict], str]  # the job's result -> the topic that announces the file
    announce: tuple[str, ...]  # the result's keys that go into the announcement (besides job_id)
    default_format: str | None = None
    render_progress: int = 40  # where rendering starts on the job's 0-100 progress

    def generate(self, job_id: str, params: dict) -> dict:
        """The job's body: every step but the announcement (which waits until the job succeeded)."""
        fmt = params.get("format") or self.default_format
        if fmt not in self.renderers:
            raise ValidationError({"format": f"Unknown format {fmt!r}; one of {sorted(self.renderers)}."})
        job_progress(job_id, 5, "gathering figures")
        data = self.gather(params)
        job_progress(job_id, self.render_progress, f"rendering {fmt}")
        content = self.renderers[fmt](data)
        job_progress(job_id, 90, "writing file")
        path = self.files.write(job_id, fmt, content)
        return {
            **self.describe(data),
            "format": fmt,
            "content_type": self.files.formats[fmt][1],
            "file": path.name,
            "size": len(content),
            "download_url": reverse(self.download_url_name, kwargs={"job_id": job_id}),
        }

    def task(self, *, name: str):
        """The Celery task running this pipeline as a job (idempotent: a finished job is not rerun)."""
        job = job_task(self.generate)

        def report_generate(job_id: str, params: dict | None = None) -> dict | None:
            result = job(job_id, params)
            if result is not None:
                # Announced only after the job is marked succeeded, so the download answers at once.
                announcement = {"job_id": str(job_id), **{k: result[k] for k in self.announce}}
                bus.publish(self.topic(result), announcement)
            return result

        report_generate.is_job_task = True  # the hard-time-limit failure handler looks for it
        return shared_task(name=name, acks_late=True, reject_on_worker_lost=True)(report_generate)
