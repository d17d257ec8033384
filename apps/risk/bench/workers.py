"""Workers for the latency part of `bench risk`, and the wait for their queues to empty.

`deployed_workers()` starts the risk engine's workers as deployed — the command lines
`workers.registry` gives (risk's own prefork pool on the `risk` queue and its fast lane on
`risk_fast`) — plus one prefork child on every other queue, so the work a bar event also fans out to
other engines (analytics' P&L) is consumed elsewhere, as in production, and nothing is left queued.
`apps.platform.bench.celery_worker()` is the other shape: one worker, two children, all queues.

`queues_drain()` waits until the broker holds no message for any engine queue, so a bench never
leaves work behind for a later worker (nor hands its backlog to the next measurement).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from celery import current_app
from django.db import connection

from apps.platform.bench import worker_stop
from workers.registry import QUEUES, engine

START_TIMEOUT = 90  # seconds; the first ping also waits for Django setup in the worker


def _argvs(tag: str) -> list[list[str]]:
    risk = engine("risk")
    out = []
    for lane in (None, *risk.lanes):
        argv = risk.worker_argv(lane=lane, loglevel="WARNING")
        argv[argv.index("-n") + 1] = f"bench-risk-{lane.name if lane else 'main'}-{tag}@%h"
        out.append([sys.executable, "-m", *argv, "--without-gossip", "--without-mingle"])
    own = {risk.queue, *(lane.queue for lane in risk.lanes)}
    others = ",".join(q for q in QUEUES if q not in own)
    out.append(
        [sys.executable, "-m", "celery", "-A", "nautilus", "worker", "-Q", others, "-P", "prefork", "-c", "1"]
        + ["-n", f"bench-others-{tag}@%h", "--without-gossip", "--without-mingle", "--loglevel=WARNING"]
    )
    return out


@contextmanager
def deployed_workers() -> Iterator[list[subprocess.Popen]]:
    """The risk workers as deployed plus one child on every other queue; ready once the risk and
    analytics queues each answered a ping."""
    tag = uuid.uuid4().hex[:6]
    procs: list[tuple[subprocess.Popen, object]] = []
    try:
        for argv in _argvs(tag):
            log = tempfile.NamedTemporaryFile(prefix="nautilus-bench-risk-", suffix=".log", delete=False)
            proc = subprocess.Popen(argv, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)  # fmt: skip
            procs.append((proc, log))
        for key in ("risk", "analytics"):
            try:
                current_app.send_task(f"apps.{key}.tasks.ping").get(timeout=START_TIMEOUT)
            except Exception as exc:
                tails = "\n".join(Path(log.name).read_text(errors="replace")[-1500:] for _, log in procs)
                raise RuntimeError(f"bench workers did not answer a {key} ping ({exc!r}):\n{tails}") from exc
        yield [p for p, _ in procs]
    finally:
        for proc, _ in procs:
            proc.terminate()  # all at once; worker_stop then waits for each
        for proc, log in procs:
            worker_stop(proc, log)


def worker_database_env() -> dict[str, str] | None:
    """The environment that points a worker subprocess at the database this process uses (under
    pytest that is the test database, not DATABASE_URL's); None when it cannot share it."""
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = quote(s["USER"] or "", safe="") + (
            f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else ""
        )
        host = f"{quote(s.get('HOST') or 'localhost', safe='')}:{s.get('PORT') or 5432}"
        return {"DATABASE_URL": f"postgres://{auth}@{host}/{quote(s['NAME'], safe='')}"}
    name = str(s["NAME"])
    if connection.vendor == "sqlite" and name != ":memory:" and not name.startswith("file:memorydb"):
        return {"DATABASE_URL": "", "SQLITE_PATH": name}
    return None


@contextmanager
def environ_with(values: dict[str, str]) -> Iterator[None]:
    """os.environ with `values` while the worker starts (celery_worker copies it), then restored."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def queued_messages() -> int:
    """Messages waiting in the broker over every engine queue (all priority levels)."""
    total = 0
    with current_app.connection_for_read() as conn:
        channel = conn.default_channel
        for q in QUEUES:
            try:
                total += channel.queue_declare(queue=q, passive=True).message_count
            except Exception:  # noqa: BLE001 - a queue never declared holds nothing
                continue
    return total


def queues_drain(timeout: float = 120.0) -> int:
    """Wait (while the workers run) until no engine queue holds a message; the count left when the
    timeout ran out (0 normally)."""
    end = time.monotonic() + timeout
    left = queued_messages()
    while left and time.monotonic() < end:
        time.sleep(0.25)
        left = queued_messages()
    return left
