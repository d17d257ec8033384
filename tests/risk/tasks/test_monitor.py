"""The monitor through a REAL Celery worker on the risk queue and real Redis: the Beat entry that
`manage.py sync_schedules` writes, its task run as Beat sends it, and a market.data.bars event
fanned out by the bus ending as a breach event on risk.breaches.{portfolio}."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

import apps.risk.tasks.monitor  # noqa: F401 - the worker must know the tasks
from apps.platform import bus
from apps.risk.models import Breach, MonitorState
from tests.platform.conftest import broker_purge, running_worker
from tests.risk.conftest import day, make_instrument, make_limit, make_portfolio, store_daily_bars

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def celery_app():
    from nautilus.celery import app

    return app


@pytest.fixture
def risk_worker(celery_app, django_db_setup, django_db_blocker, fresh_bus):
    broker_purge()
    with django_db_blocker.unblock(), running_worker(celery_app, ["risk"]) as worker:
        yield worker


@pytest.fixture
def breached(user):
    make_instrument("AAA")
    store_daily_bars("AAA", [10.0] * 3)
    pf = make_portfolio("wrk", owner=user, positions={"AAA": 100})
    make_limit(pf, limit_type="max_position", breach_threshold=500)  # 1000 ≥ 500
    return pf


def wait_for(predicate, deadline_s: float = 60.0):
    """Poll until predicate() is truthy (a deadline, not a timing assertion)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met before the deadline")


def test_beat_entry_is_synced_and_its_task_runs_on_a_real_worker(breached, risk_worker, celery_app):
    call_command("sync_schedules", verbosity=0)
    row = PeriodicTask.objects.select_related("interval").get(name="risk.monitor")
    assert row.task == "apps.risk.tasks_monitor.monitor_run" and row.enabled
    assert (row.interval.every, row.interval.period) == (5, IntervalSchedule.SECONDS)
    assert row.expire_seconds is not None and row.expire_seconds < 5
    assert row.queue == "risk"
    # Send it exactly as Beat's DatabaseScheduler does: the row's task, queue, priority and expiry.
    celery_app.send_task(row.task, queue=row.queue, priority=row.priority, expires=row.expire_seconds)
    state = wait_for(lambda: MonitorState.objects.filter(runs_total__gte=1).first())
    assert state.last_portfolios == 1 and state.last_error == ""
    breach = Breach.objects.get()
    assert (breach.portfolio_id, breach.level, breach.last_value) == (breached.pk, "breach", 1000.0)
    (event,) = wait_for(lambda: list(bus.subscribe("risk.breaches.*", last_id="0", follow=False)))
    assert event.topic == "risk.breaches.wrk" and event.payload["event"] == "opened"


def test_a_bar_event_becomes_a_breach_event(breached, risk_worker):
    # A new bar stored and announced on the bus as the feeds do; the bus fans the event out to the
    # risk queue, where the event-driven check opens the breach (the Beat monitor never ran).
    store_daily_bars("AAA", [12.0], start=day(5))
    bus.publish("market.data.bars.AAA", {"symbol": "AAA", "interval": "1d", "close": 12.0})
    (event,) = wait_for(lambda: list(bus.subscribe("risk.breaches.wrk", last_id="0", follow=False)))
    assert event.payload["event"] == "opened"
    assert event.payload["breach"]["last_value"] == pytest.approx(1200.0)  # valued at the new close
    assert Breach.objects.count() == 1
    assert MonitorState.load().runs_total == 0
