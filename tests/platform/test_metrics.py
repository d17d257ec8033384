"""GET /metrics: task counters from a real worker, queue depth sampled at scrape time, and the
multiprocess directory a prefork worker writes into."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from apps.platform.redis_client import broker_redis

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_broker")]

ROOT = Path(__file__).resolve().parents[2]


def samples(text: str, name: str) -> dict[tuple, float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name:
                out[tuple(sorted(s.labels.items()))] = s.value
    return out


def scrape(client) -> str:
    resp = client.get("/metrics")
    assert resp.status_code == 200
    return resp.content.decode()


def _ping_total(text: str, engine: str) -> float:
    key = (("engine", engine), ("state", "succeeded"), ("task", f"apps.{engine}.tasks.ping"))
    return samples(text, "nautilus_task_total").get(key, 0.0)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)  # the worker closes the starting thread's DB connection
def test_metrics_count_a_task_a_real_worker_ran(celery_app, worker_on, anon_client):
    before = _ping_total(scrape(anon_client), "features")
    with worker_on(["features"]):
        assert celery_app.send_task("apps.features.tasks.ping").get(timeout=30) == {
            "engine": "features",
            "ok": True,
        }
    text = scrape(anon_client)
    assert _ping_total(text, "features") == before + 1
    durations = samples(text, "nautilus_task_duration_seconds_count")
    assert durations[(("engine", "features"), ("task", "apps.features.tasks.ping"))] >= 1


def test_queue_depth_is_sampled_on_scrape(anon_client):
    broker_redis().lpush("factors:6", b"{}", b"{}")
    depth = samples(scrape(anon_client), "nautilus_queue_depth")
    assert depth[(("queue", "factors"),)] == 2
    assert depth[(("queue", "risk"),)] == 0


def test_heartbeat_samples_depths_and_reports_them(settings):
    from apps.platform.tasks.health import heartbeat

    broker_redis().lpush("strategies", b"{}")
    payload = heartbeat()
    assert payload["broker_connected"] is True
    assert payload["queue_depth"]["strategies"] == 1
    assert payload["version"] == settings.VERSION


@pytest.mark.worker
def test_a_prefork_worker_writes_metrics_for_the_web_process(celery_app, tmp_path):
    """A `celery worker` subprocess (prefork) in multiprocess mode: its child's counters land in
    PROMETHEUS_MULTIPROC_DIR, and a stopped child's live gauges are removed."""
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "nautilus.settings.test",
    }
    argv = [sys.executable, "-m", "celery", "-A", "nautilus", "worker", "-Q", "analytics,streaming",
            "-P", "prefork", "-c", "1", "-n", f"mp-{os.getpid()}@%h", "--without-mingle",
            "--without-gossip", "--without-heartbeat", "--loglevel=WARNING"]  # fmt: skip
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert celery_app.send_task("apps.analytics.tasks.ping").get(timeout=60) == {
            "engine": "analytics",
            "ok": True,
        }
        celery_app.send_task("apps.platform.tasks.heartbeat", queue="streaming")
        deadline = time.monotonic() + 30
        while not list(tmp_path.glob("gauge_livemostrecent_*.db")):
            assert time.monotonic() < deadline, "the heartbeat never sampled the queue depths"
            time.sleep(0.05)
    finally:
        proc.terminate()  # warm shutdown: children exit through worker_process_shutdown
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(tmp_path))
    total = registry.get_sample_value(
        "nautilus_task_total",
        {"engine": "analytics", "task": "apps.analytics.tasks.ping", "state": "succeeded"},
    )
    assert total == 1, err.decode()[-2000:]
    # The child's heartbeat wrote a live gauge file; mark_process_dead removed it when it exited.
    assert not list(tmp_path.glob("gauge_livemostrecent_*.db")), sorted(p.name for p in tmp_path.iterdir())
    # Counters survive the child (they are cumulative).
    assert list(tmp_path.glob("counter_*.db"))
