"""The engine selftest: a job that walks a few timed steps on an engine's queue, reporting
progress on each, so a live system (and the test suite) can watch 202 → running → succeeded
through the same path every engine job takes."""

from __future__ import annotations

import os
import socket
import time

from .services import job_progress

MAX_STEPS = 20
MAX_STEP_SECONDS = 2.0
MAX_TOTAL_SECONDS = 30.0


class SelftestFailure(RuntimeError):
    """Raised on request, to exercise a failing job end to end."""


def selftest_run(*, job_id: str, steps: int, step_seconds: float, fail: bool = False) -> dict:
    for step in range(1, steps + 1):
        time.sleep(step_seconds)
        job_progress(job_id, 100 * step / steps, f"step {step}/{steps}")
    if fail:
        raise SelftestFailure(f"selftest asked to fail after {steps} steps")
    return {"steps": steps, "step_seconds": step_seconds, "host": socket.gethostname(), "pid": os.getpid()}
