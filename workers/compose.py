"""Writes the production deployment files from the engine registry, so they can never drift from it.

`python manage.py compose` writes docker/docker-compose.yml and docker/prometheus/prometheus.yml;
`python manage.py compose --check` (run by CI) fails when either committed file differs from what
this module would write. Both files are outputs: change workers/registry.py or this module, never them.

Output is deterministic (registry order, insertion-ordered mappings, no timestamps) so the
staleness check is a plain text comparison.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from .compose_services import (
    FLOWER_PORT,
    IMAGE,
    MULTIPROC_DIR,
    WEB_PORT,
    WORKER_METRICS_PORT,
    WorkerService,
    worker_services,
)
from .compose_yaml import Flow, MergeKey, dump, header
from .prometheus import render_prometheus
from .registry import SIDECARS, Sidecar

REPO_ROOT = Path(__file__).resolve().parent.parent
COMPOSE_PATH = Path("docker/docker-compose.yml")
PROMETHEUS_PATH = Path("docker/prometheus/prometheus.yml")

# --- docker-compose.yml --------------------------------------------------------------------------


def _shared_env() -> dict[str, str]:
    """Environment every application container gets (values are read from docker/.env)."""
    return {
        "DJANGO_SETTINGS_MODULE": "nautilus.settings.production",
        "DJANGO_SECRET_KEY": "${DJANGO_SECRET_KEY:?set DJANGO_SECRET_KEY in docker/.env}",
        "DJANGO_ALLOWED_HOSTS": "${DJANGO_ALLOWED_HOSTS:?set DJANGO_ALLOWED_HOSTS in docker/.env}",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "${DJANGO_CSRF_TRUSTED_ORIGINS:-}",
        "DJANGO_SECURE_SSL_REDIRECT": "${DJANGO_SECURE_SSL_REDIRECT:-true}",
        "DATABASE_URL": "${DATABASE_URL:?set DATABASE_URL in docker/.env}",
        "REDIS_URL": "${REDIS_URL:-redis://redis:6379/0}",
        "FLOWER_BASIC_AUTH": "${FLOWER_BASIC_AUTH:?set FLOWER_BASIC_AUTH in docker/.env}",
        "PROMETHEUS_MULTIPROC_DIR": MULTIPROC_DIR,
        "LOG_LEVEL": "${LOG_LEVEL:-INFO}",
    }


def _probe(*args: str) -> list[str]:
    return Flow(["CMD", "python", "/app/docker/probe.py", *args])


def _healthcheck(test: list[str], *, interval: str = "30s", timeout: str = "10s", start: str = "30s") -> dict:
    return {"test": test, "interval": interval, "timeout": timeout, "retries": 3, "start_period": start}


def _infra_services() -> dict:
    return {
        "timescaledb": {
            "image": "timescale/timescaledb:2.17.2-pg16",
            "restart": "unless-stopped",
            "environment": {
                "POSTGRES_USER": "${POSTGRES_USER:-nautilus}",
                "POSTGRES_PASSWORD": "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in docker/.env}",
                "POSTGRES_DB": "${POSTGRES_DB:-nautilus}",
            },
            "volumes": ["pgdata:/var/lib/postgresql/data"],
            "healthcheck": _healthcheck(
                Flow(["CMD-SHELL", 'pg_isready -U "$$POSTGRES_USER" -d "$$POSTGRES_DB"']),
                interval="10s",
                timeout="5s",
            ),
        },
        "redis": {
            "image": "redis:7.4-alpine",
            "restart": "unless-stopped",
            # Broker, bus and channel layer: AOF keeps queued tasks across a restart, and noeviction
            # makes a full Redis refuse writes loudly rather than silently drop queued tasks.
            "command": Flow(
                [
                    "redis-server",
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "everysec",
                    "--maxmemory-policy",
                    "noeviction",
                ]
            ),
            "volumes": ["redisdata:/data"],
            "healthcheck": _healthcheck(
                Flow(["CMD-SHELL", "redis-cli ping | grep -q PONG"]), interval="10s", timeout="5s"
            ),
        },
    }


def _app_service(app: dict, command: list[str], **extra) -> dict:
    return {MergeKey(): app, "command": Flow(command), **extra}


def _worker_service(app: dict, env: dict, ws: WorkerService) -> dict:
    node = ws.node_name.replace("%h", "$$HOSTNAME")
    return {
        MergeKey(): app,
        "command": Flow(ws.argv),
        "environment": {
            MergeKey(): env,
            "METRICS_EXPORTER_PORT": str(WORKER_METRICS_PORT),
            # One BLAS thread per pool child: `concurrency` children already fill the CPU limit.
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        },
        "tmpfs": [f"{MULTIPROC_DIR}:mode=1777,size=64m"],
        "expose": [str(WORKER_METRICS_PORT)],
        "stop_grace_period": f"{ws.stop_grace_seconds}s",
        "deploy": {
            "resources": {"limits": {"cpus": f"{ws.cpus:.1f}", "memory": f"{ws.memory_mb}M"}},
        },
        # The probe runs without the multiprocess dir so each check does not leave metric files behind.
        "healthcheck": _healthcheck(
            Flow(
                [
                    "CMD-SHELL",
                    f"env -u PROMETHEUS_MULTIPROC_DIR celery -A nautilus inspect ping -d {node} --timeout 10"
                    " > /dev/null",
                ]
            ),
            interval="60s",
            timeout="30s",
            start="60s",
        ),
    }


def _sidecar_service(app: dict, sc: Sidecar) -> dict:
    """One per deployment (not meant for --scale). Healthy while its loop keeps touching its
    heartbeat file: a hung process is restarted, not just a dead one."""
    fresh = f"test $$(( $$(date +%s) - $$(stat -c %Y {sc.heartbeat_file}) )) -lt {sc.heartbeat_max_age}"
    return {
        MergeKey(): app,
        "command": Flow(sc.argv()),
        "tmpfs": [f"{MULTIPROC_DIR}:mode=1777,size=64m"],
        "stop_grace_period": f"{sc.stop_grace_seconds}s",
        "healthcheck": _healthcheck(Flow(["CMD-SHELL", fresh]), interval="30s", start="60s"),
    }


MEDIA_ROOT = "/app/var/media"  # settings' default MEDIA_ROOT inside the image (BASE_DIR is /app)


def compose_spec() -> tuple[dict, dict[str, object]]:
    """The compose document and its named anchors."""
    env = _shared_env()
    after_migrate = {"migrate": {"condition": "service_completed_successfully"}}
    app = {
        "image": IMAGE,
        "build": {"context": "..", "dockerfile": "docker/Dockerfile"},
        "init": True,  # tini as PID 1: forwards signals and reaps the metrics exporter
        "restart": "unless-stopped",
        "environment": env,
        "depends_on": after_migrate,
        # Uploads (MEDIA_ROOT) are written by web and read by the engine worker that runs the job.
        "volumes": [f"media:{MEDIA_ROOT}"],
    }

    services: dict = _infra_services()
    services["migrate"] = {
        "image": IMAGE,
        "build": {"context": "..", "dockerfile": "docker/Dockerfile"},
        "init": True,
        # One-shot: the only service that migrates, so replicas of web/workers never race on it.
        "restart": "no",
        "environment": env,
        "command": Flow(["python", "manage.py", "migrate", "--noinput"]),
        "depends_on": {
            "timescaledb": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        },
    }
    services["web"] = _app_service(
        app,
        [
            "uvicorn",
            "nautilus.asgi:application",
            "--host",
            "0.0.0.0",
            "--port",
            str(WEB_PORT),
            "--workers",
            "${WEB_CONCURRENCY:-2}",
            "--proxy-headers",
            # Only the proxy in front may say who the client is: /metrics trusts the client address.
            "--forwarded-allow-ips=${FORWARDED_ALLOW_IPS:-127.0.0.1}",
        ],
        ports=[f"${{WEB_PORT:-{WEB_PORT}}}:{WEB_PORT}"],
        tmpfs=[f"{MULTIPROC_DIR}:mode=1777,size=64m"],
        healthcheck=_healthcheck(_probe("http", f"http://127.0.0.1:{WEB_PORT}/health")),
    )
    for ws in worker_services():
        services[ws.name] = _worker_service(app, env, ws)
    for sc in SIDECARS:
        services[sc.name] = _sidecar_service(app, sc)
    services["beat"] = _app_service(
        app,
        [
            "sh",
            "-c",
            "python manage.py sync_schedules"
            " && exec celery -A nautilus beat -S django_celery_beat.schedulers:DatabaseScheduler --loglevel=INFO",
        ],
        # Beat has no ping of its own: healthy means the database (its scheduler) and the broker answer.
        healthcheck=_healthcheck(_probe("deps")),
    )
    services["flower"] = _app_service(
        app,
        [
            "sh",
            "-c",
            # Expanded by the container's shell, so the credentials never appear in `compose config`.
            f'exec celery -A nautilus flower --port={FLOWER_PORT} --basic-auth="$$FLOWER_BASIC_AUTH"'
            " --purge_offline_workers=300",
        ],
        ports=[f"${{FLOWER_PORT:-{FLOWER_PORT}}}:{FLOWER_PORT}"],
        healthcheck=_healthcheck(_probe("http", f"http://127.0.0.1:{FLOWER_PORT}/healthcheck")),
    )
    services["prometheus"] = {
        "image": "prom/prometheus:v2.55.1",
        "restart": "unless-stopped",
        "command": Flow(
            [
                "--config.file=/etc/prometheus/prometheus.yml",
                "--storage.tsdb.path=/prometheus",
                "--storage.tsdb.retention.time=${PROMETHEUS_RETENTION:-15d}",
            ]
        ),
        "volumes": [
            "./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro",
            "prometheus-data:/prometheus",
        ],
        "ports": ["127.0.0.1:${PROMETHEUS_PORT:-9090}:9090"],
        "depends_on": ["web", "flower"],
        "healthcheck": _healthcheck(
            Flow(["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9090/-/healthy"])
        ),
    }
    services["grafana"] = {
        "image": "grafana/grafana:11.3.1",
        "restart": "unless-stopped",
        "environment": {
            "GF_SECURITY_ADMIN_USER": "${GRAFANA_ADMIN_USER:-admin}",
            "GF_SECURITY_ADMIN_PASSWORD": "${GRAFANA_ADMIN_PASSWORD:?set GRAFANA_ADMIN_PASSWORD in docker/.env}",
            "GF_USERS_ALLOW_SIGN_UP": "false",
        },
        "volumes": [
            "./grafana/provisioning:/etc/grafana/provisioning:ro",
            "./grafana/dashboards:/var/lib/grafana/dashboards:ro",
            "grafana-data:/var/lib/grafana",
        ],
        "ports": ["${GRAFANA_PORT:-3000}:3000"],
        "depends_on": ["prometheus"],
        "healthcheck": _healthcheck(
            Flow(["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3000/api/health"])
        ),
    }

    # No top-level `name:` (compose v1 rejects it): docker/.env sets COMPOSE_PROJECT_NAME instead.
    doc = {
        "x-env": env,
        "x-app": app,
        "services": services,
        "volumes": {"pgdata": {}, "redisdata": {}, "media": {}, "prometheus-data": {}, "grafana-data": {}},
    }
    return doc, {"env": env, "app": app}


def render_compose() -> str:
    doc, anchors = compose_spec()
    what = (
        "Production stack: TimescaleDB, Redis, a one-shot migrate, the ASGI web app, one worker service\n"
        "# per engine (and lane), the market-data feed process, one Beat, Flower, Prometheus and Grafana.\n"
        "# Usage, from docker/:\n"
        "#   cp .env.example .env && $EDITOR .env && docker compose up -d --build\n"
        "#   docker compose up -d --scale risk-worker=3"
    )
    return header(what) + "\n" + dump(doc, anchors)


# --- writing and checking ------------------------------------------------------------------------

RENDERERS = {COMPOSE_PATH: render_compose, PROMETHEUS_PATH: render_prometheus}


def write_all(*, root: Path = REPO_ROOT) -> list[Path]:
    written = []
    for rel, render in RENDERERS.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(), encoding="utf-8")
        written.append(path)
    return written


def stale_files(*, root: Path = REPO_ROOT) -> dict[Path, str]:
    """Files under `root` that differ from what would be generated, each with a unified diff."""
    stale = {}
    for rel, render in RENDERERS.items():
        path = root / rel
        expected = render()
        actual = path.read_text(encoding="utf-8") if path.exists() else ""
        if actual != expected:
            diff = difflib.unified_diff(
                actual.splitlines(keepends=True),
                expected.splitlines(keepends=True),
                fromfile=f"{rel} (committed)",
                tofile=f"{rel} (generated)",
            )
            stale[rel] = "".join(diff) or f"{rel} is missing\n"
    return stale


INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Z0-9_]+)")


def interpolated_variables(text: str) -> set[str]:
    """Names compose reads from the environment / docker/.env (`$${X}` escapes are not interpolated)."""
    return set(INTERPOLATION.findall(text))
