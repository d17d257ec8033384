"""A Celery app for the worker-lost test: the project's app plus one task that kills its own worker
process on the first delivery. Lives under tests/ so it never ships as a platform task."""

import os
import signal
from pathlib import Path

from nautilus.celery import app

__all__ = ["app"]


@app.task(name="tests.platform.crash_once", acks_late=True, reject_on_worker_lost=True)
def crash_once(marker: str) -> int:
    """Count deliveries in `marker`; the first one dies as an OOM-killed child would (SIGKILL)."""
    path = Path(marker)
    attempts = int(path.read_text() or 0) + 1 if path.exists() else 1
    path.write_text(str(attempts))
    if attempts == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return attempts
