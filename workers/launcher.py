"""`make up`: the whole platform on one machine, for a newcomer with only Python installed.

    python -m workers.launcher [--compact] [--no-demo] [--no-feed] [--port 8000] [--no-flower] [--scale 0.5]
                               [--debug]

Django's DEBUG is off unless --debug is given (it sets DJANGO_DEBUG=1 for every child): a debug 500
page shows settings, paths and the broker URL to whoever triggers it. Flower's login is
FLOWER_BASIC_AUTH when set, else a password generated at the first start and kept in
var/flower_auth (mode 0600); the banner prints it with the other URLs.

Starts a private Redis when REDIS_URL is unset (settings fall back to SQLite when DATABASE_URL is
unset), prepares the database (migrate, sync_schedules, load_demo, collectstatic when DEBUG is off),
then runs the ASGI server, one Celery worker per engine exactly as workers/registry.py describes it
(plus each engine's lanes) — or one worker on all nine queues with --compact — one Beat and Flower.
Every child's output is prefixed with its name. Ctrl-C / SIGTERM stops everything; a child dying on
its own stops everything too, with a non-zero exit.

Each child runs in its own session (process group), for two reasons: a terminal Ctrl-C reaches only
the launcher, which then stops children in an orderly way instead of all of them racing; and
killing a stuck child's group also takes its prefork pool processes with it.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from workers import private_redis
from workers.registry import ENGINES, QUEUES, SIDECARS, Engine

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
COMPACT_CONCURRENCY = 2
STOP_GRACE_SECONDS = 15  # warm shutdown time before stragglers get SIGKILL
TOKEN_LINE = re.compile(r"API token for demo:\s*(\S+)")
COLORS = [36, 33, 32, 35, 34, 91, 92, 93, 94, 95, 96]


class Stop(Exception):
    """Raised in the main thread when a signal asks the launcher to stop."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m workers.launcher", description=__doc__.split("\n")[0])
    p.add_argument("--compact", action="store_true", help="one worker consuming all nine queues")
    p.add_argument("--no-demo", action="store_true", help="skip `manage.py load_demo`")
    p.add_argument("--no-flower", action="store_true", help="do not start Flower")
    p.add_argument("--no-feed", action="store_true", help="do not start the market-data feed process")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="ASGI server port")
    p.add_argument(
        "--scale",
        type=float,
        default=float(os.environ.get("NAUTILUS_WORKER_SCALE", "1")),
        help="multiply every worker's concurrency (min 1); env NAUTILUS_WORKER_SCALE",
    )
    p.add_argument("--ready-timeout", type=float, default=180.0, help="seconds to wait for /health")
    p.add_argument("--debug", action="store_true", help="Django DEBUG on in every child (DJANGO_DEBUG=1)")
    args = p.parse_args(argv)
    if args.scale <= 0:
        p.error("--scale must be positive")
    return args


# --- commands, all derived from the registry ------------------------------------------------------


def _scaled(n: int, scale: float) -> int:
    return max(1, round(n * scale))


def _python_m(argv: list[str]) -> list[str]:
    # `celery ...` / `python ...` from the registry, run with this interpreter so PATH does not matter.
    if argv[0] == "python":
        return [PY, *argv[1:]]
    return [PY, "-m", *argv] if argv[0] in ("celery", "uvicorn") else argv


def sidecar_commands(*, demo: bool) -> list[tuple[str, list[str]]]:
    """The registry's sidecars (the feed process); with the demo loaded, in demo mode (a live feed)."""
    return [(s.name, _python_m(s.argv(demo=demo, heartbeat=False))) for s in SIDECARS]


def worker_commands(*, compact: bool, scale: float) -> list[tuple[str, list[str]]]:
    if compact:
        # One pseudo-engine over every queue, generous enough in limits for any engine's tasks,
        # so its command line still comes from Engine.worker_argv().
        everything = Engine(
            key="compact",
            url_prefix="",
            concurrency=_scaled(COMPACT_CONCURRENCY, scale),
            memory_per_child_gib=max(e.memory_per_child_gib for e in ENGINES),
            soft_time_limit_s=max(e.soft_time_limit_s for e in ENGINES),
            time_limit_s=max(e.time_limit_s for e in ENGINES),
        )
        return [("worker", _python_m(everything.worker_argv(queues=QUEUES)))]
    out = []
    for e in ENGINES:
        lanes = tuple(
            dataclasses.replace(lane, concurrency=_scaled(lane.concurrency, scale)) for lane in e.lanes
        )
        sized = dataclasses.replace(e, concurrency=_scaled(e.concurrency, scale), lanes=lanes)
        out.append((f"{e.key}-worker", _python_m(sized.worker_argv())))
        for lane in sized.lanes:
            out.append((f"{e.key}-{lane.name}-worker", _python_m(sized.worker_argv(lane=lane))))
    return out


def service_commands(
    args: argparse.Namespace, *, flower_port: int, flower_auth: str
) -> list[tuple[str, list[str]]]:
    web = ["uvicorn", "nautilus.asgi:application", "--host", args.host, "--port", str(args.port)]
    web += ["--lifespan", "off", "--timeout-graceful-shutdown", "5"]
    beat = [
        "celery",
        "-A",
        "nautilus",
        "beat",
        "--scheduler",
        "django_celery_beat.schedulers:DatabaseScheduler",
    ]
    beat += ["--loglevel=INFO"]
    cmds = [("web", web), *worker_commands(compact=args.compact, scale=args.scale), ("beat", beat)]
    if not args.no_feed:
        cmds += sidecar_commands(demo=not args.no_demo)
    if not args.no_flower:
        flower = ["celery", "-A", "nautilus", "flower", f"--port={flower_port}", f"--address={args.host}"]
        cmds.append(("flower", flower + [f"--basic-auth={flower_auth}"]))
    return [(name, _python_m(argv)) for name, argv in cmds]


def flower_basic_auth(env: dict[str, str]) -> str:
    """FLOWER_BASIC_AUTH if set; else `admin:<generated>` from the auth file, made on the first start."""
    if env.get("FLOWER_BASIC_AUTH"):
        return env["FLOWER_BASIC_AUTH"]
    path = Path(env.get("FLOWER_AUTH_FILE") or ROOT / "var" / "flower_auth")
    try:
        saved = path.read_text().strip()
    except FileNotFoundError:
        saved = ""
    if ":" in saved:
        return saved
    path.parent.mkdir(parents=True, exist_ok=True)
    auth = f"admin:{secrets.token_urlsafe(18)}"
    # Created 0600 from the start: never readable by other local users, not even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(auth + "\n")
    os.chmod(path, 0o600)  # an existing (empty, damaged) file keeps its old mode otherwise
    return auth


# --- child processes ------------------------------------------------------------------------------


@dataclass
class Child:
    name: str
    proc: subprocess.Popen
    lines: list[str] = field(default_factory=list)
    pump: threading.Thread | None = None


class Launcher:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.children: list[Child] = []
        self.env = dict(os.environ)
        self.redis_proc: subprocess.Popen | None = None
        self.stopping = threading.Event()
        self.out_lock = threading.Lock()
        self.colors = itertools.cycle(COLORS)
        self.use_color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        self.width = 22

    def say(self, name: str, text: str, color: int | None = None) -> None:
        label = f"{name:<{self.width}}|"
        if self.use_color and color is not None:
            label = f"\033[{color}m{label}\033[0m"
        with self.out_lock:
            sys.stdout.write(f"{label} {text.rstrip()}\n")
            sys.stdout.flush()

    def spawn(self, name: str, argv: list[str]) -> Child:
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            bufsize=1,
            start_new_session=True,
        )
        child = Child(name, proc)
        color = next(self.colors)

        def pump() -> None:
            for line in proc.stdout:
                child.lines.append(line)
                self.say(name, line, color)

        child.pump = threading.Thread(target=pump, name=f"pump-{name}", daemon=True)
        child.pump.start()
        self.children.append(child)
        self.say("launcher", f"started {name} (pid {proc.pid}): {' '.join(argv[1:])}")
        return child

    # --- phases -----------------------------------------------------------------------------------

    def prepare_environment(self) -> None:
        self.env.setdefault("DJANGO_SETTINGS_MODULE", "nautilus.settings.local")
        self.env["PYTHONUNBUFFERED"] = "1"  # children's lines arrive as they are written
        if self.args.debug:
            self.env["DJANGO_DEBUG"] = "1"
        else:
            self.env.setdefault("DJANGO_DEBUG", "0")
        if not self.args.no_flower:
            self.env["FLOWER_BASIC_AUTH"] = flower_basic_auth(self.env)
        if not self.env.get("REDIS_URL"):
            self.redis_proc, self.env["REDIS_URL"] = private_redis.start(own_session=True)
            self.say("launcher", f"private Redis at {self.env['REDIS_URL']} (pid {self.redis_proc.pid})")
        if not self.env.get("DATABASE_URL"):
            sqlite = Path(self.env.get("SQLITE_PATH", ROOT / "var" / "nautilus.sqlite3"))
            sqlite.parent.mkdir(parents=True, exist_ok=True)
            self.say("launcher", f"SQLite database at {sqlite}")
        # Fresh each run: prometheus_client's multiprocess files from dead processes would
        # otherwise be summed into today's figures. Only its *.db files are removed.
        metrics_dir = Path(self.env.get("PROMETHEUS_MULTIPROC_DIR") or ROOT / "var" / "prometheus")
        metrics_dir.mkdir(parents=True, exist_ok=True)
        for stale in metrics_dir.glob("*.db"):
            stale.unlink()
        self.env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)

    def settings(self):
        """Django settings as the children will see them (same environment)."""
        os.environ.update(self.env)
        from django.conf import settings

        return settings

    def run_step(self, name: str, argv: list[str]) -> list[str]:
        child = self.spawn(name, argv)
        while child.proc.poll() is None:
            if self.stopping.wait(0.1):
                raise Stop
        child.pump.join(5)
        self.children.remove(child)
        if child.proc.returncode != 0:
            raise SystemExit(f"{name} failed with exit code {child.proc.returncode}")
        return child.lines

    def prepare_database(self, settings) -> str | None:
        manage = [PY, "manage.py"]
        self.run_step("migrate", manage + ["migrate", "--noinput"])
        self.run_step("sync_schedules", manage + ["sync_schedules"])
        token = None
        if not self.args.no_demo:
            if list(ROOT.glob("apps/*/management/commands/load_demo.py")):
                for line in self.run_step("load_demo", manage + ["load_demo"]):
                    if m := TOKEN_LINE.search(line):
                        token = m.group(1)
            else:
                self.say("launcher", "no load_demo command yet: starting without demo data")
        if not settings.DEBUG:  # with DEBUG on, WhiteNoise serves straight from the apps' static dirs
            self.run_step("collectstatic", manage + ["collectstatic", "--noinput", "-v", "0"])
        return token

    def check_children(self) -> None:
        for child in self.children:
            if child.proc.poll() is not None and not self.stopping.is_set():
                raise SystemExit(f"{child.name} exited unexpectedly with code {child.proc.returncode}")

    def wait_until_ready(self) -> None:
        url = f"http://{self.args.host}:{self.args.port}/health"
        deadline = time.monotonic() + self.args.ready_timeout
        while time.monotonic() < deadline:
            self.check_children()
            try:
                urllib.request.urlopen(url, timeout=10).close()
                return
            except urllib.error.HTTPError:
                return  # the server answers; a degraded health status is the page's business
            except OSError:
                pass
            if self.stopping.wait(0.5):
                raise Stop
        self.say("launcher", f"warning: {url} did not answer within {self.args.ready_timeout:.0f} s")

    def banner(self, token: str | None, flower_port: int, flower_auth: str) -> None:
        base = f"http://{self.args.host}:{self.args.port}"
        rows = [
            ("API", f"{base}/api/"),
            ("API docs", f"{base}/api/docs/"),
            ("Admin", f"{base}/admin/"),
            ("Health", f"{base}/health"),
            ("Metrics", f"{base}/metrics"),
            ("WebSocket", f"ws://{self.args.host}:{self.args.port}/ws/stream?token={token or '<token>'}"),
        ]
        if not self.args.no_flower:
            rows.append(("Flower", f"http://{self.args.host}:{flower_port}/  (login {flower_auth})"))
        rows.append(("API token", token or "(no demo data: create one in the admin)"))
        if token:
            rows.append(("Try", f'curl -H "Authorization: Token {token}" {base}/api/engines/'))
        self.say("launcher", "Nautilus is up — Ctrl-C stops everything")
        for label, value in rows:
            self.say("launcher", f"  {label:<10} {value}")

    def supervise(self) -> None:
        while not self.stopping.wait(0.5):
            self.check_children()

    def shutdown(self) -> None:
        self.stopping.set()
        live = [c for c in self.children if c.proc.poll() is None]
        for child in live:
            child.proc.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in live:
            try:
                child.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say("launcher", f"{child.name} did not stop in time: killing it")
        for child in self.children:
            # Also sweeps orphans left in the child's group (e.g. prefork pool processes).
            try:
                os.killpg(child.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            child.proc.wait()
            if child.pump:
                child.pump.join(2)
        if self.redis_proc is not None:
            private_redis.stop(self.redis_proc)
        self.say("launcher", "stopped")

    def run(self) -> int:
        def on_signal(signum, _frame) -> None:
            if not self.stopping.is_set():
                self.say("launcher", f"{signal.Signals(signum).name}: stopping")
            self.stopping.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        try:
            self.prepare_environment()
            settings = self.settings()
            flower_port, flower_auth = settings.FLOWER_PORT, self.env.get("FLOWER_BASIC_AUTH", "")
            token = self.prepare_database(settings)
            for name, argv in service_commands(self.args, flower_port=flower_port, flower_auth=flower_auth):
                self.spawn(name, argv)
            self.wait_until_ready()
            self.banner(token, flower_port, flower_auth)
            self.supervise()
            return 0
        except Stop:
            return 0
        except SystemExit as exc:
            self.say("launcher", str(exc))
            return 1
        finally:
            self.shutdown()


def main(argv: list[str] | None = None) -> int:
    return Launcher(parse_args(argv)).run()


if __name__ == "__main__":
    sys.exit(main())
