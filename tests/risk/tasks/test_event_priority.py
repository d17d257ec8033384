"""The risk event check on a REAL worker shared by every queue, started as `make up-compact` starts it
(workers.launcher, one prefork child), real Redis, real PostgreSQL: analytics' P&L work is already
queued when a bar or an execution arrives, and the worker still takes the event's risk check first.

The order is read from the worker's own task events (`-E`, as every registry worker sends them): the
order it received messages in is the order the broker served them. Before the fix a bar's check
was sent last at the bar's "high" priority and the compact worker listed analytics' queue before
risk's, so all the P&L work below ran first."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from apps.platform import bus
from apps.risk.models import Breach, BreachEvent
from nautilus.celery import app as celery_app
from tests.platform.conftest import broker_purge
from tests.risk.conftest import make_instrument, make_limit, make_portfolio, store_daily_bars
from workers.launcher import worker_commands
from workers.registry import PRIORITY

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
RISK_CHECK = "apps.risk.tasks_monitor.check_on_event"
PNL = "apps.analytics.tasks.pnl_on_event"
QUEUED_PNL = 6  # analytics' P&L already waiting for the shared worker (earlier events' fan-out)


class _TaskLog:
    """Task names in the order the worker received them, from its events over the broker."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.started: list[str] = []
        self._names: dict[str, str] = {}
        self._ready = threading.Event()
        self._receiver = None

    def _on_received(self, event: dict) -> None:
        self._names[event["uuid"]] = event["name"]
        self.received.append(event["name"])

    def _on_started(self, event: dict) -> None:
        self.started.append(self._names.get(event["uuid"], "?"))

    def run(self) -> None:
        ready = self._ready

        class Receiver(celery_app.events.Receiver):
            def on_consume_ready(self, *args, **kwargs):
                ready.set()

        with celery_app.connection_for_read() as conn:
            handlers = {"task-received": self._on_received, "task-started": self._on_started}
            self._receiver = Receiver(conn, handlers=handlers)
            self._receiver.capture(limit=None, timeout=None, wakeup=False)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        assert self._ready.wait(30), "the event receiver did not subscribe"
        return thread

    def stop(self, thread: threading.Thread) -> None:
        if self._receiver is not None:
            self._receiver.should_stop = True
        thread.join(10)


@pytest.fixture
def shared_worker_argv(fresh_bus):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a database server it can share with the test")
    ((_, argv),) = worker_commands(compact=True, scale=0.01)  # the compact worker, one child
    assert argv[argv.index("-c") + 1] == "1"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "nautilus.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "BUS_STREAM_PREFIX": fresh_bus,
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    name = f"compact-{os.getpid()}@%h"
    argv = [*argv[: argv.index("-n") + 1], name, *argv[argv.index("-n") + 2 :]]
    return [*argv, "--without-mingle", "--without-gossip", "--loglevel=WARNING"], env


@pytest.fixture
def breaching(user):
    """A book over its max_position limit at any check: 100 AAA at 10 (1000) against 500."""
    make_instrument("AAA")
    store_daily_bars("AAA", [10.0] * 3)
    book = make_portfolio("ev1", owner=user, positions={"AAA": 100}, cash=0)
    limit = make_limit(book, limit_type="max_position", breach_threshold=500)
    return book, limit


def _wait_for(predicate, deadline_s: float = 120.0):
    """Poll until predicate() is truthy (a deadline, not a timing assertion)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met before the deadline")


@pytest.mark.parametrize("kind", ["bar", "execution"])
def test_the_risk_check_is_taken_before_queued_analytics_work_on_one_shared_worker(
    kind, breaching, shared_worker_argv
):
    book, limit = breaching
    argv, env = shared_worker_argv
    broker_purge()
    if kind == "bar":
        topic, payload = "market.data.bars.AAA", {"symbol": "AAA", "interval": "1m", "close": 10.0}
    else:
        topic, payload = f"trading.executions.{book.code}", {"portfolio_id": book.pk, "portfolio": book.code}
    # Analytics' P&L for earlier events, queued as the fan-out queues it (the topic's priority).
    priority = PRIORITY[bus.topic_priority(topic)]
    earlier = {"id": "0-1", "topic": topic, "priority": bus.topic_priority(topic), "payload": payload}
    for _ in range(QUEUED_PNL):
        celery_app.send_task(PNL, args=[earlier], queue="analytics", priority=priority)
    bus.publish(topic, payload)  # the event: its whole fan-out, risk's check among it

    log = _TaskLog()
    listener = log.start()
    worker = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: log.received.count(PNL) >= QUEUED_PNL + 1 and RISK_CHECK in log.started)
        breach = _wait_for(lambda: Breach.objects.filter(limit=limit, portfolio=book).first())
    finally:
        worker.terminate()
        worker.wait(60)
        log.stop(listener)
        broker_purge()
    # Served first, ahead of the P&L work queued before the event and the rest of its own fan-out.
    assert log.received[0] == RISK_CHECK, log.received
    assert log.started[0] == RISK_CHECK, log.started
    assert log.received.count(RISK_CHECK) == 1
    # One active breach per limit, opened once.
    assert Breach.objects.filter(limit=limit).count() == 1 and breach.status != "resolved"
    assert BreachEvent.objects.filter(breach=breach, action="opened").count() == 1
