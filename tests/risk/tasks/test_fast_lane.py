"""Risk's fast lane on a real prefork worker started exactly as the registry says: it answers the
pre-trade check while a `monitor_run` waits on the `risk` queue it never consumes."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from apps.platform.queues import priority_list_names
from apps.platform.redis_client import broker_redis
from apps.risk import facade
from nautilus.celery import app as celery_app
from tests.risk.api.test_checks import book  # noqa: F401 - the fixture
from tests.risk.conftest import make_limit
from workers.registry import engine

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def _queued(queue: str) -> int:
    r = broker_redis()
    return sum(r.llen(name) for name in priority_list_names(queue))


@pytest.fixture
def fast_lane_worker():
    if connection.vendor != "postgresql":
        pytest.skip("a worker subprocess needs the test database on a server")
    risk = engine("risk")
    (fast,) = risk.lanes
    argv = risk.worker_argv(lane=fast, loglevel="WARNING")
    argv[argv.index("-n") + 1] = f"test-fast-{uuid.uuid4().hex[:8]}@%h"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "nautilus.settings.test", "DATABASE_URL": _database_url()}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    cmd = [sys.executable, "-m", *argv, "--without-mingle", "--without-gossip"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    yield risk, fast
    proc.terminate()
    try:
        proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_pre_trade_check_runs_on_the_fast_lane_while_monitor_run_waits(book, fast_lane_worker):  # noqa: F811
    risk, fast = fast_lane_worker
    broker_redis().delete(*priority_list_names(risk.queue))
    make_limit(book, limit_type="max_position", breach_threshold=1200)
    # A monitor run is queued first, as Beat would: it is routed to `risk`, which the lane never takes.
    monitor = celery_app.send_task("apps.risk.tasks_monitor.monitor_run")
    assert _queued(risk.queue) == 1
    orders = [{"symbol": "AAA", "side": "buy", "quantity": 50}]
    answer = celery_app.send_task("apps.risk.tasks.pre_trade_check", args=[book.pk, orders]).get(timeout=90)
    # The same answer as the facade in this process: AAA 150 × 10 = 1500 > 1200.
    expected = facade.pre_trade_check(book.pk, [facade.Order(symbol="AAA", side="buy", quantity=50)])
    assert (
        (answer["verdict"], answer["approved"]) == (expected.verdict, expected.approved) == ("reject", False)
    )
    assert [lim["value"] for lim in answer["limits"]] == [lim.value for lim in expected.limits]
    assert monitor.state == "PENDING" and _queued(risk.queue) == 1  # still waiting for a risk worker
    broker_redis().delete(*priority_list_names(risk.queue))
