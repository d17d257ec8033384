"""`make up` end to end: the laptop path (no REDIS_URL, no DATABASE_URL) in --compact mode."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from workers.launcher import service_commands, worker_commands
from workers.private_redis import free_port
from workers.registry import ENGINES, QUEUES

ROOT = Path(__file__).resolve().parents[2]
READY_BOUND = 180  # seconds: a fresh SQLite migrate plus Django start-up in every child
STOP_BOUND = 60


def _argv_value(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_one_worker_per_engine_and_lane_with_the_registry_command_lines():
    cmds = dict(worker_commands(compact=False, scale=1.0))
    assert set(cmds) == {f"{e.key}-worker" for e in ENGINES} | {
        f"{e.key}-{lane.name}-worker" for e in ENGINES for lane in e.lanes
    }
    for e in ENGINES:
        assert cmds[f"{e.key}-worker"][3:] == e.worker_argv()[1:]  # after `python -m celery`
        for lane in e.lanes:
            assert cmds[f"{e.key}-{lane.name}-worker"][3:] == e.worker_argv(lane=lane)[1:]


def test_scale_multiplies_concurrency_but_never_below_one():
    cmds = dict(worker_commands(compact=False, scale=0.25))
    for e in ENGINES:
        assert _argv_value(cmds[f"{e.key}-worker"], "-c") == str(max(1, round(e.concurrency * 0.25)))
    assert _argv_value(cmds["risk-worker"], "-c") == "1"


def test_compact_mode_is_one_worker_on_all_nine_queues():
    ((name, argv),) = worker_commands(compact=True, scale=1.0)
    assert _argv_value(argv, "-Q").split(",") == list(QUEUES)


def test_exactly_one_beat_with_the_database_scheduler_and_flower_with_auth():
    from workers.launcher import parse_args

    cmds = dict(service_commands(parse_args(["--port", "8123"]), flower_port=5599, flower_auth="u:p"))
    assert [n for n in cmds if n == "beat"] == ["beat"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in cmds["beat"]
    assert "--basic-auth=u:p" in cmds["flower"] and "--port=5599" in cmds["flower"]
    assert "8123" in cmds["web"]
    no_flower = dict(service_commands(parse_args(["--no-flower"]), flower_port=5599, flower_auth="u:p"))
    assert "flower" not in no_flower


def _get(url: str) -> tuple[int, bytes] | None:
    """(status, body) once the server answers at all, None while nothing listens."""
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:  # a degraded/unhealthy status still carries the JSON body
        return exc.code, exc.read()
    except OSError:
        return None


def _alive_in_groups(pgids: set[int]) -> list[int]:
    """Pids of live (non-zombie) processes whose process group is one of `pgids`."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, pgid = fields[0], int(fields[2])
        if pgid in pgids and state != "Z":
            alive.append(int(stat.parent.name))
    return alive


@pytest.mark.worker
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find surviving processes")
def test_make_up_compact_serves_health_and_stops_every_child_on_sigint(tmp_path):
    port, flower_port = free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env |= {
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "FLOWER_PORT": str(flower_port),
        "FLOWER_AUTH_FILE": str(tmp_path / "flower_auth"),
        "NO_COLOR": "1",
    }
    env.pop("DJANGO_DEBUG", None)
    env.pop("FLOWER_BASIC_AUTH", None)
    log = (tmp_path / "launcher.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "workers.launcher", "--compact", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        answer = None
        deadline = time.monotonic() + READY_BOUND
        while time.monotonic() < deadline and proc.poll() is None:
            answer = _get(f"http://127.0.0.1:{port}/health")
            if answer is not None:
                break
            time.sleep(0.5)
        assert answer is not None, Path(log.name).read_text()[-4000:]
        status, body = answer
        if status == 404:  # /health not merged yet: the server must still serve the admin
            assert _get(f"http://127.0.0.1:{port}/admin/login/")[0] == 200
        else:
            assert set(json.loads(body)["engines"]) == {e.key for e in ENGINES}
        # DEBUG is off by default: a 404 lists no URL patterns, and collectstatic + WhiteNoise
        # still serve the admin's static files.
        missing = _get(f"http://127.0.0.1:{port}/no-such-page")
        assert missing[0] == 404 and b"URLconf" not in missing[1] and b"api/engines" not in missing[1]
        assert _get(f"http://127.0.0.1:{port}/admin/login/")[0] == 200
        css = _get(f"http://127.0.0.1:{port}/static/admin/css/base.css")
        assert css[0] == 200 and b"body" in css[1]
    finally:
        # Always stop through the launcher (a SIGKILL would orphan its children).
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            exit_code = proc.wait(STOP_BOUND)
        except subprocess.TimeoutExpired:
            proc.kill()
            exit_code = proc.wait()
    assert exit_code == 0
    output = Path(log.name).read_text()
    started = {int(pid) for pid in re.findall(r"started \S+ \(pid (\d+)\)", output)}
    redis_pid = re.search(r"private Redis at redis://\S+ \(pid (\d+)\)", output)
    assert redis_pid, "the launcher must start its own Redis when REDIS_URL is unset"
    assert {"web", "worker", "beat", "flower", "migrate"} <= set(re.findall(r"started (\S+) \(pid", output))
    assert _alive_in_groups(started) == [], output[-4000:]
    auth = (tmp_path / "flower_auth").read_text().strip()
    assert auth.startswith("admin:") and auth != "admin:admin"
    assert f"(login {auth})" in output  # the banner shows the generated Flower login
    assert not Path(f"/proc/{redis_pid.group(1)}").exists() or "Z" in _proc_state(int(redis_pid.group(1)))


def _proc_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
