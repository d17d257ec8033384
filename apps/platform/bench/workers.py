"""A real `celery worker` subprocess on all nine queues for the benches (risk's bench uses it too)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from celery import current_app
from django.conf import settings

from workers.registry import ENGINES, QUEUES

WORKER_START_TIMEOUT = 90  # seconds; the first ping also waits for Django setup in the worker


@contextmanager
def celery_worker() -> Iterator[subprocess.Popen]:
    """A real worker on all nine queues; ready once a ping has come back through it."""
    log = tempfile.NamedTemporaryFile(prefix="nautilus-bench-worker-", suffix=".log", delete=False)
    argv = [sys.executable, "-m", "celery", "-A", "nautilus", "worker", "-Q", ",".join(QUEUES)]
    argv += ["-P", "prefork", "-c", "2", "-n", f"bench-{uuid.uuid4().hex[:6]}@%h", "--without-gossip"]
    argv += ["--without-mingle", "--loglevel=WARNING", "-E"]  # -E: task events (bench risk reads its hops)
    env = {**os.environ, "REDIS_URL": settings.REDIS_URL}
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        try:
            ping(ENGINES[0].key).get(timeout=WORKER_START_TIMEOUT)
        except Exception as exc:
            log.flush()
            tail = Path(log.name).read_text(errors="replace")[-2000:]
            raise RuntimeError(f"bench worker did not answer a ping ({exc!r}); its log:\n{tail}") from exc
        yield proc
    finally:
        worker_stop(proc, log)


def worker_stop(proc: subprocess.Popen, log) -> None:
    """Stop a bench worker started in its own session (SIGTERM, then its whole process group after
    20 s) and remove its log file."""
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait()
    log.close()
    os.unlink(log.name)


def ping(engine_key: str):
    return current_app.send_task(f"apps.{engine_key}.tasks.ping")
