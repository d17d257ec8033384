"""The two servers the streaming bench measures, each a process of its own on a free local port:

- `nautilus`: uvicorn serving nautilus.asgi:application, the way `make up` starts the web server
  (workers/launcher.py: one process, `--lifespan off`), so ws/stream runs through the whole stack:
  token auth, the Origin check, the consumer, the process's bus relay.
- `bare`: apps/streaming/bench/bare.py, a minimal `websockets` server that reads the same stream once
  and hands each event to every connection with websockets.broadcast: the floor for this machine.

Both get the bench's own bus prefix, so they read the bench's streams and nothing else. Output goes
to a file, shown when a server fails to start.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from .lifetime import EXEC_GUARDED

START_TIMEOUT = 90.0  # seconds; Django's setup in the server process on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_env() -> dict[str, str]:
    """DATABASE_URL for the database this process uses: under pytest the test database, not the one
    DATABASE_URL names, so the server finds the bench user's token."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="") + (
        f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else ""
    )
    host = f"{quote(s.get('HOST') or 'localhost', safe='')}:{s.get('PORT') or 5432}"
    return {"DATABASE_URL": f"postgres://{auth}@{host}/{quote(s['NAME'], safe='')}"}


def nautilus_argv(port: int) -> list[str]:
    return [
        sys.executable, "-c", EXEC_GUARDED, "-m", "uvicorn", "nautilus.asgi:application", "--host", "127.0.0.1",
        "--port", str(port), "--lifespan", "off", "--timeout-graceful-shutdown", "5",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip


def bare_argv(port: int, stream_key: str) -> list[str]:
    return [
        sys.executable, "-c", EXEC_GUARDED, "-m", "apps.streaming.bench.bare", "--port", str(port),
        "--redis-url", settings.REDIS_URL, "--stream-key", stream_key,
    ]  # fmt: skip


@contextmanager
def server(argv: list[str], port: int, prefix: str) -> Iterator[subprocess.Popen]:
    """Start `argv`, wait until `port` accepts, stop it (SIGTERM, then SIGKILL) on exit."""
    env = {**os.environ, **database_env(), "REDIS_URL": settings.REDIS_URL, "BUS_STREAM_PREFIX": prefix}
    env.setdefault("DJANGO_SETTINGS_MODULE", "nautilus.settings.local")
    with tempfile.TemporaryFile() as log:
        # A session of its own: with the kernel's autogroup scheduling (on by default), CPU is shared
        # fairly between sessions, and in the bench's session the server would share one slice with
        # the bench itself. A deployed server does not run in its clients' session either.
        proc = subprocess.Popen(
            argv,
            env=env,
            cwd=str(settings.BASE_DIR),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"{argv[4]} did not start: {log.read().decode()[-1500:]}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
