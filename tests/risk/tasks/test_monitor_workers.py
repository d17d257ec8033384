"""Overlapping parallel runs on two REAL risk workers (two `celery worker` processes on the risk
queue, real Redis, real PostgreSQL): two monitor runs sent at once, each split into batches that
both workers take, never open a breach twice nor write its `opened` event twice."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from apps.platform import bus
from apps.risk.models import Breach, BreachEvent, MonitorState
from tests.platform.conftest import broker_purge
from tests.risk.conftest import make_instrument, make_limit, make_portfolio, store_daily_bars

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
PORTFOLIOS = 12


@pytest.fixture(scope="session")
def celery_app():
    from nautilus.celery import app

    return app


@pytest.fixture
def two_risk_workers(fresh_bus):
    if connection.vendor != "postgresql":
        pytest.skip("the worker processes need a database server they can share with the test")
    broker_purge()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "nautilus.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "BUS_STREAM_PREFIX": fresh_bus,
        "RISK_MONITOR_BATCH_SIZE": "2",  # 12 portfolios: 6 batches per run
        "RISK_MONITOR_FULL_SWEEP_S": "0",  # both runs full sweeps (not one full, one incremental)
    }
    procs = []
    for name in ("a", "b"):
        argv = [sys.executable, "-m", "celery", "-A", "nautilus", "worker", "-Q", "risk", "-P", "solo",
                "-n", f"risk-{name}-{os.getpid()}@%h", "--without-mingle", "--without-gossip",
                "--without-heartbeat", "--loglevel=WARNING"]  # fmt: skip
        procs.append(
            subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        )
    try:
        yield procs
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.fixture
def breaching(user):
    """12 portfolios holding AAA at 10: 100 units (1000) each; a global max_position breach 500."""
    make_instrument("AAA")
    store_daily_bars("AAA", [10.0] * 3)
    for i in range(PORTFOLIOS):
        make_portfolio(f"w{i}", owner=user, positions={"AAA": 100}, cash=0)
    return make_limit(None, limit_type="max_position", breach_threshold=500)


def wait_for(predicate, deadline_s: float = 120.0):
    """Poll until predicate() is truthy (a deadline, not a timing assertion)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met before the deadline")


def test_two_overlapping_parallel_runs_on_two_workers_never_duplicate(
    breaching, two_risk_workers, celery_app
):
    assert settings.CELERY_RESULT_BACKEND  # the chord joins its batches through the result backend
    # Both workers up before the runs are sent (a loaded machine starts one well after the other).
    wait_for(
        lambda: (
            len([n for n in (celery_app.control.inspect(timeout=1.0).ping() or {}) if n.startswith("risk-")])
            == 2
        )
    )
    for _ in range(2):  # two ticks at once: both runs overlap on both workers
        celery_app.send_task("apps.risk.tasks_monitor.monitor_run", queue="risk")
    state = wait_for(lambda: MonitorState.objects.filter(runs_total__gte=2).first())
    assert state.last_error == "" and state.last_portfolios == PORTFOLIOS
    assert Breach.objects.count() == PORTFOLIOS  # one per (limit, portfolio), never two
    assert Breach.objects.values("portfolio_id").distinct().count() == PORTFOLIOS
    assert BreachEvent.objects.filter(action="opened").count() == PORTFOLIOS
    events = wait_for(lambda: _breach_events(PORTFOLIOS))
    assert sorted(e.topic for e in events) == sorted(f"risk.breaches.w{i}" for i in range(PORTFOLIOS))
    assert {e.payload["event"] for e in events} == {"opened"}
    # The batches were spread: each worker ran some (each took one run's parent, then batches).
    stats = celery_app.control.inspect(timeout=2.0).stats() or {}
    ran = {n: s["total"].get("apps.risk.tasks_monitor.monitor_batch", 0) for n, s in stats.items()}
    ran = {n: k for n, k in ran.items() if n.startswith("risk-")}
    assert len(ran) == 2 and all(k >= 1 for k in ran.values()) and sum(ran.values()) == 12, ran


def _breach_events(at_least: int):
    events = list(bus.subscribe("risk.breaches.*", last_id="0", follow=False))
    return events if len(events) >= at_least else None
