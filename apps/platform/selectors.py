"""Read queries over jobs."""

from __future__ import annotations

import time

from .models import TERMINAL_STATES, Job


def job_get(*, job_id) -> Job | None:
    return Job.objects.select_related("created_by").filter(pk=job_id).first()


def job_visible_to(job: Job, user) -> bool:
    """A job is its creator's and staff's business; a job started by the system is staff-only."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or (job.created_by_id is not None and job.created_by_id == user.pk))


def job_wait(*, job_id, timeout: float) -> Job:
    """The job once it finishes, or as it stands after `timeout` seconds. Polls one indexed
    column, starting fast (a small job takes milliseconds) and backing off to 100 ms."""
    deadline = time.monotonic() + max(0.0, timeout)
    delay = 0.005
    while time.monotonic() < deadline:
        state = Job.objects.filter(pk=job_id).values_list("state", flat=True).first()
        if state is None or state in TERMINAL_STATES:
            break
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 1.5, 0.1)
    return Job.objects.get(pk=job_id)
