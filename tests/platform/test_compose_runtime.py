"""The production image and what runs in it: Dockerfile, entrypoint, probe, metrics exporter,
Prometheus and Grafana (the compose file itself: test_compose.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from workers import compose

ROOT = compose.REPO_ROOT
DOCKER = ROOT / "docker"
COMPOSE_FILE = ROOT / compose.COMPOSE_PATH
PROMETHEUS_FILE = ROOT / compose.PROMETHEUS_PATH
DASHBOARD = DOCKER / "grafana" / "dashboards" / "platform.json"

DASHBOARD_METRICS = (
    "nautilus_task_total",
    "nautilus_task_duration_seconds_bucket",
    "nautilus_queue_depth",
    "nautilus_bus_published_total",
    "nautilus_bus_buffered_total",
    "nautilus_bus_dropped_total",
    "django_http_requests_latency_seconds_by_view_method_bucket",
    "django_http_requests_total_by_view_transport_method_total",
    "flower_events_total",
    "flower_task_runtime_seconds_bucket",
)


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(spec) -> dict:
    return spec["services"]


def _worker_services(services: dict) -> dict:
    return {
        name: s
        for name, s in services.items()
        if s.get("command", [])[:4] == ["celery", "-A", "nautilus", "worker"]
    }


# --- image ---------------------------------------------------------------------------------------


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = (DOCKER / "Dockerfile").read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest))
    return out


def test_dockerfile_installs_from_pyproject_and_runs_as_non_root():
    instructions = _dockerfile_instructions()
    runs = [rest for kw, rest in instructions if kw == "RUN"]
    assert any(re.search(r"\bpip install \.(\s|$)", r) for r in runs)
    assert not any("requirements" in r for r in runs)
    assert any(kw == "COPY" and "pyproject.toml" in rest for kw, rest in instructions)
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim") in instructions
    assert any("manage.py collectstatic --noinput" in r for r in runs)
    users = [rest for kw, rest in instructions if kw == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    env = " ".join(rest for kw, rest in instructions if kw == "ENV")
    assert "DJANGO_SETTINGS_MODULE=nautilus.settings.production" in env
    assert ("ENTRYPOINT", '["/app/docker/entrypoint.sh"]') in instructions


def test_dockerignore_keeps_secrets_and_the_venv_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", "docker/.env", ".venv", ".git"} <= ignored


# --- entrypoint, probe, exporter (run for real against this machine's PostgreSQL and Redis) --------


def _script_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def _live_database_url() -> str:
    """The test database itself when it is PostgreSQL (the probe's target kind), else none (SQLite)."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor != "postgresql":
        return ""
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db
def test_probe_deps_answers_for_live_services_and_fails_for_a_dead_broker():
    probe = [sys.executable, str(DOCKER / "probe.py"), "deps"]
    live = subprocess.run(
        probe, env=_script_env(DATABASE_URL=_live_database_url()), capture_output=True, text=True
    )
    assert live.returncode == 0, live.stderr
    dead = subprocess.run(
        probe, env=_script_env(REDIS_URL="redis://127.0.0.1:1/0"), capture_output=True, text=True
    )
    assert dead.returncode == 1
    assert "broker" in dead.stderr


def test_probe_wait_gives_up_on_an_unreachable_database():
    url = "postgres://postgres@127.0.0.1:1/nowhere"
    out = subprocess.run(
        [sys.executable, str(DOCKER / "probe.py"), "wait", "--timeout", "0"],
        env=_script_env(DATABASE_URL=url),
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1
    assert "gave up" in out.stderr and "database" in out.stderr


@pytest.mark.django_db
def test_entrypoint_waits_then_empties_the_metrics_dir_and_execs_the_command(tmp_path):
    metrics = tmp_path / "prom"
    metrics.mkdir()
    (metrics / "counter_123.db").write_bytes(b"stale")
    out = subprocess.run(
        ["sh", str(DOCKER / "entrypoint.sh"), "python", "-c", "import os; print('pid', os.getpid())"],
        env=_script_env(
            PROMETHEUS_MULTIPROC_DIR=str(metrics),
            DATABASE_URL=_live_database_url(),
            WAIT_FOR_DEPS_TIMEOUT="10",
        ),
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("pid ")
    assert list(metrics.iterdir()) == []


def test_metrics_exporter_serves_what_worker_processes_wrote(tmp_path):
    writer = textwrap.dedent(
        """
        from prometheus_client import Counter
        Counter("nautilus_task", "tasks", ["engine", "task", "state"]).labels("risk", "check", "SUCCESS").inc(3)
        """
    )
    env = _script_env(PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    for _ in range(2):  # two pool children: the exporter must sum them
        subprocess.run([sys.executable, "-c", writer], env=env, check=True)
    probe = textwrap.dedent(
        f"""
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location("exporter", {str(DOCKER / "metrics_exporter.py")!r})
        mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
        body = b"".join(mod.build_app()({{"REQUEST_METHOD": "GET", "PATH_INFO": "/metrics", "QUERY_STRING": ""}},
                                        lambda status, headers: None))
        sys.stdout.write(body.decode())
        """
    )
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("nautilus_task_total{"))
    assert 'engine="risk"' in line and line.endswith(" 6.0")


# --- Prometheus and Grafana ----------------------------------------------------------------------


def test_prometheus_scrapes_web_flower_and_every_worker_service():
    cfg = yaml.safe_load(PROMETHEUS_FILE.read_text())
    jobs = {j["job_name"]: j for j in cfg["scrape_configs"]}
    assert jobs["web"]["static_configs"][0]["targets"] == ["web:8000"]
    assert jobs["web"]["metrics_path"] == "/metrics"
    assert jobs["flower"]["static_configs"][0]["targets"] == ["flower:5555"]
    sd = jobs["workers"]["dns_sd_configs"][0]
    workers = _worker_services(yaml.safe_load(COMPOSE_FILE.read_text())["services"])
    assert sd["names"] == list(workers) and sd["port"] == compose.WORKER_METRICS_PORT
    assert (
        "nautilus_task_" in PROMETHEUS_FILE.read_text()
    )  # the header documents where task figures come from


def test_grafana_provisioning_points_at_prometheus_and_the_mounted_dashboards(services):
    ds = yaml.safe_load((DOCKER / "grafana/provisioning/datasources/prometheus.yml").read_text())
    (source,) = ds["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"
    providers = yaml.safe_load((DOCKER / "grafana/provisioning/dashboards/nautilus.yml").read_text())[
        "providers"
    ]
    path = providers[0]["options"]["path"]
    assert f"./grafana/dashboards:{path}:ro" in services["grafana"]["volumes"]
    dashboard = json.loads(DASHBOARD.read_text())
    uids = {p["datasource"]["uid"] for p in dashboard["panels"] if p["type"] != "row"}
    assert uids == {source["uid"]}


def test_dashboard_has_a_panel_for_each_figure_and_uses_the_metric_names():
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = {p["title"]: " ".join(t["expr"] for t in p.get("targets", [])) for p in dashboard["panels"]}
    all_exprs = " ".join(exprs.values())
    for metric in DASHBOARD_METRICS:
        assert re.search(rf"\b{metric}\b", all_exprs), metric
    wanted = {
        "Tasks/s per engine": "nautilus_task_total",
        "Task latency p50 / p95 per engine": "nautilus_task_duration_seconds_bucket",
        "Queue depth per queue": "nautilus_queue_depth",
        "HTTP p95 latency": "django_http_requests_latency_seconds_by_view_method_bucket",
        "HTTP requests/s": "django_http_requests_total_by_view_transport_method_total",
        "Bus publish throughput": "nautilus_bus_published_total",
        "Bus buffered / dropped": "nautilus_bus_dropped_total",
    }
    for title, metric in wanted.items():
        assert metric in exprs[title], title
    assert "histogram_quantile(0.95" in exprs["Task latency p50 / p95 per engine"]
    assert "histogram_quantile(0.50" in exprs["Task latency p50 / p95 per engine"]
    assert "by (engine" in exprs["Tasks/s per engine"] and "by (queue)" in exprs["Queue depth per queue"]


def test_web_and_the_marketdata_workers_share_the_upload_volume(services):
    """An upload is saved by web and read by the worker running its job: both must mount MEDIA_ROOT."""
    for name in ("web", "marketdata-worker"):
        assert "media:/app/var/media" in services[name].get("volumes", []), name
