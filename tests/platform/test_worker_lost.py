"""A prefork child killed mid-task: with acks_late + reject_on_worker_lost (the engines' default)
the message goes back to the queue and runs again instead of being lost."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from nautilus.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.worker
def test_a_task_whose_worker_process_dies_is_redelivered_and_completes(tmp_path):
    queue = f"worker-lost-{uuid.uuid4().hex[:8]}"  # private queue: nothing else consumes it
    marker = tmp_path / "attempts"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "nautilus.settings.test"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    argv = [sys.executable, "-m", "celery", "-A", "tests.platform.crash_once_app", "worker", "-Q", queue,
            "-P", "prefork", "-c", "1", "-n", f"{queue}@%h", "--without-mingle", "--without-gossip",
            "--loglevel=WARNING"]  # fmt: skip
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        result = celery_app.send_task("tests.platform.crash_once", args=[str(marker)], queue=queue)
        assert result.get(timeout=90) == 2
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert marker.read_text() == "2"
    assert b"WorkerLostError" in err or b"SIGKILL" in err or b"signal 9" in err, err.decode()[-2000:]
