"""The monitor: breaches opened once, peak/last updated, level raised once, hysteresis before
auto-resolution, two monitors at once never duplicating, the start/stop/status API and the
event-driven check."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connections
from django_celery_beat.models import PeriodicTask

from apps.platform import bus
from apps.risk.models import Breach, BreachEvent, MonitorState
from apps.risk.services import monitor
from apps.risk.services.monitor import sync as monitor_sync
from apps.risk.tasks import monitor as tasks_monitor
from tests.risk.conftest import make_instrument, make_limit, make_portfolio, store_daily_bars

T0 = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def set_price(symbol: str, price: float, day: int) -> None:
    store_daily_bars(symbol, [price], start=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=day))


@pytest.fixture
def world(user):
    """mon: AAA 100 at 10 = 1000; max_position warn 900, breach 1200 → at warn."""
    make_instrument("AAA", sector="Tech")
    make_instrument("BBB", sector="Tech")
    store_daily_bars("AAA", [10.0] * 5)
    store_daily_bars("BBB", [5.0] * 5)
    pf = make_portfolio("mon", owner=user, positions={"AAA": 100}, cash=0)
    make_portfolio("quiet", owner=user, positions={"BBB": 10}, cash=0)
    limit = make_limit(pf, limit_type="max_position", warn_threshold=900, breach_threshold=1200)
    return pf, limit


def published(pattern="risk.breaches.*"):
    return list(bus.subscribe(pattern, last_id="0", follow=False))


def run(now, commits):
    with commits(execute=True):
        return monitor.monitor_run(now=now)


@pytest.mark.django_db
def test_opens_once_then_updates_without_new_events(world, fresh_bus, django_capture_on_commit_callbacks):
    pf, limit = world
    out = run(T0, django_capture_on_commit_callbacks)
    assert (out["portfolios"], out["opened"], out["errors"]) == (2, 1, 0)
    b = Breach.objects.get()
    assert (b.limit_id, b.portfolio_id, b.status, b.level) == (limit.pk, pf.pk, "open", "warn")
    assert (b.first_value, b.peak_value, b.last_value) == (1000.0, 1000.0, 1000.0)
    assert b.peak_utilization == pytest.approx(1000 / 1200) and b.bucket == "AAA"
    assert (b.limit_type, b.warn_threshold, b.breach_threshold, b.opened_at) == (
        "max_position",
        900,
        1200,
        T0,
    )
    (ev,) = published()
    assert ev.topic == "risk.breaches.mon" and ev.payload["event"] == "opened"
    assert ev.payload["breach"]["id"] == b.pk and ev.payload["breach"]["portfolio"] == "mon"

    again = run(T0 + timedelta(seconds=5), django_capture_on_commit_callbacks)
    assert again["opened"] == 0 and Breach.objects.count() == 1
    b.refresh_from_db()
    assert b.last_seen_at == T0 + timedelta(seconds=5) and b.opened_at == T0
    assert list(BreachEvent.objects.values_list("action", flat=True)) == ["opened"]
    assert len(published()) == 1  # an unchanged tick publishes nothing
    state = MonitorState.load()
    assert (state.runs_total, state.last_portfolios, state.last_limits) == (2, 2, 1)
    assert state.last_started_at == T0 + timedelta(seconds=5) and state.last_error == ""


@pytest.mark.django_db
def test_an_unchanged_breach_resolved_during_the_step_is_reopened(
    world, fresh_bus, django_capture_on_commit_callbacks, monkeypatch
):
    """An unchanged breach only has last_seen_at moved (sync._touch); one resolved by hand between
    the step's read and that write is not touched, so the upsert opens it again, as it always did."""
    run(T0, django_capture_on_commit_callbacks)
    first = Breach.objects.get()
    real_touch = monitor_sync._touch

    def resolved_meanwhile(ids, now):
        Breach.objects.filter(pk__in=ids).update(status="resolved", resolution="manual", resolved_at=now)
        return real_touch(ids, now)

    monkeypatch.setattr(monitor_sync, "_touch", resolved_meanwhile)
    out = run(T0 + timedelta(seconds=5), django_capture_on_commit_callbacks)
    assert out["opened"] == 1
    reopened = Breach.objects.exclude(pk=first.pk).get()
    assert (reopened.status, reopened.opened_at, reopened.last_value) == (
        "open",
        T0 + timedelta(seconds=5),
        1000.0,
    )
    assert Breach.objects.get(pk=first.pk).status == "resolved"
    assert [e.payload["event"] for e in published()] == ["opened", "opened"]


@pytest.mark.django_db
def test_peak_and_level_raised_once(world, fresh_bus, django_capture_on_commit_callbacks):
    run(T0, django_capture_on_commit_callbacks)
    set_price("AAA", 13.0, 10)  # 1300 ≥ 1200: breach
    out = run(T0 + timedelta(seconds=5), django_capture_on_commit_callbacks)
    assert out["level_raised"] == 1
    set_price("AAA", 12.5, 11)  # 1250: still breach, lower than the peak
    assert run(T0 + timedelta(seconds=10), django_capture_on_commit_callbacks)["level_raised"] == 0
    b = Breach.objects.get()
    assert (b.level, b.first_value, b.peak_value, b.last_value) == ("breach", 1000.0, 1300.0, 1250.0)
    assert b.peak_utilization == pytest.approx(1300 / 1200)
    assert b.last_utilization == pytest.approx(1250 / 1200)
    assert list(BreachEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "opened",
        "level_raised",
    ]
    assert [e.payload["event"] for e in published()] == ["opened", "level_raised"]


@pytest.mark.django_db
def test_hysteresis_resolves_only_after_staying_below(
    world, fresh_bus, django_capture_on_commit_callbacks, settings
):
    settings.RISK_BREACH_RESOLVE_AFTER_SECONDS = 60
    run(T0, django_capture_on_commit_callbacks)
    set_price("AAA", 8.0, 10)  # 800 < warn 900
    t1 = T0 + timedelta(seconds=5)
    run(t1, django_capture_on_commit_callbacks)
    b = Breach.objects.get()
    assert (b.status, b.below_since) == ("open", t1)
    run(t1 + timedelta(seconds=59), django_capture_on_commit_callbacks)
    b.refresh_from_db()
    assert (b.status, b.below_since) == ("open", t1)  # 59 s below: not yet
    set_price("AAA", 9.5, 11)  # back above warn before the 60 s ran out: the clock is cleared
    run(t1 + timedelta(seconds=60), django_capture_on_commit_callbacks)
    b.refresh_from_db()
    assert (b.status, b.below_since, b.last_value) == ("open", None, 950.0)
    set_price("AAA", 8.0, 12)
    t2 = t1 + timedelta(seconds=65)
    run(t2, django_capture_on_commit_callbacks)
    out = run(t2 + timedelta(seconds=60), django_capture_on_commit_callbacks)
    assert out["resolved"] == 1
    b.refresh_from_db()
    assert (b.status, b.resolution, b.resolved_at, b.below_since) == (
        "resolved",
        "auto",
        t2 + timedelta(seconds=60),
        t2,
    )
    assert [e.payload["event"] for e in published()] == ["opened", "resolved"]
    # Above again later: a new breach, the resolved one stays as it was.
    set_price("AAA", 10.0, 13)
    assert run(t2 + timedelta(seconds=65), django_capture_on_commit_callbacks)["opened"] == 1
    assert list(Breach.objects.order_by("id").values_list("status", flat=True)) == ["resolved", "open"]


@pytest.mark.django_db
def test_limit_resolve_after_overrides_the_setting_and_no_data_keeps_the_breach(
    world, fresh_bus, django_capture_on_commit_callbacks
):
    pf, limit = world
    limit.resolve_after_seconds = 0
    limit.save()
    run(T0, django_capture_on_commit_callbacks)
    set_price("AAA", 1.0, 10)
    assert run(T0 + timedelta(seconds=5), django_capture_on_commit_callbacks)["resolved"] == 1  # at once

    # A limit that cannot be measured (no scenarios for VaR: one price only) never opens nor resolves.
    make_instrument("CCC")
    store_daily_bars("CCC", [3.0])
    other = make_portfolio("nodata", owner=pf.owner, positions={"CCC": 5})
    make_limit(other, limit_type="var_limit", breach_threshold=1.0)
    out = run(T0 + timedelta(seconds=10), django_capture_on_commit_callbacks)
    assert out["opened"] == 0 and not Breach.objects.filter(portfolio=other).exists()


@pytest.mark.django_db
def test_global_default_opens_a_breach_per_portfolio_and_batches(
    world, fresh_bus, django_capture_on_commit_callbacks, settings
):
    settings.RISK_MONITOR_BATCH_SIZE = 1  # every portfolio in its own batch
    default = make_limit(None, limit_type="gross_exposure", breach_threshold=10)
    out = run(T0, django_capture_on_commit_callbacks)
    assert (out["portfolios"], out["opened"]) == (2, 3)  # the default on mon and quiet + mon's own
    assert Breach.objects.filter(limit=default).count() == 2
    assert {e.topic for e in published()} == {"risk.breaches.mon", "risk.breaches.quiet"}


@pytest.mark.django_db
def test_disabled_monitor_skips(world):
    MonitorState.objects.update_or_create(pk=1, defaults={"enabled": False})
    assert monitor.monitor_run(now=T0) == {"skipped": "monitor disabled"}
    assert not Breach.objects.exists()


# --- two monitors at once ------------------------------------------------------------------------


def _concurrently(fn, n=2):
    """Run fn in n threads (each with its own DB connection); re-raise the first error."""
    errors, results = [], [None] * n

    def target(i):
        try:
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]
    return results


@pytest.mark.django_db(transaction=True)
def test_two_monitors_at_once_never_duplicate(world, fresh_bus, monkeypatch):
    gate = threading.Barrier(2, timeout=30)
    real_upsert = monitor_sync._upsert

    def upsert_together(columns, now):
        gate.wait()  # both have read "no breach yet" and now insert at the same moment
        return real_upsert(columns, now)

    monkeypatch.setattr(monitor_sync, "_upsert", upsert_together)
    results = _concurrently(lambda: monitor.monitor_run(now=T0))
    assert sorted(r["opened"] for r in results) == [0, 1]
    assert Breach.objects.count() == 1
    assert list(BreachEvent.objects.values_list("action", flat=True)) == ["opened"]
    assert [e.payload["event"] for e in published()] == ["opened"]

    # The level is raised exactly once too.
    set_price("AAA", 13.0, 10)
    results = _concurrently(lambda: monitor.monitor_run(now=T0 + timedelta(seconds=5)))
    assert sorted(r["level_raised"] for r in results) == [0, 1]
    assert Breach.objects.get().level == "breach" and Breach.objects.count() == 1
    assert [e.payload["event"] for e in published()] == ["opened", "level_raised"]


# --- start / stop / status -----------------------------------------------------------------------


@pytest.mark.django_db
def test_start_stop_status(
    world, staff_client, api_client, user, fresh_bus, django_capture_on_commit_callbacks
):
    call_command("sync_schedules", verbosity=0)
    assert api_client.post("/api/risk/monitor/stop").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        resp = staff_client.post("/api/risk/monitor/stop")
    assert resp.status_code == 200 and resp.json()["enabled"] is False
    assert MonitorState.load().enabled is False
    assert PeriodicTask.objects.get(name="risk.monitor").enabled is False
    assert monitor.monitor_run(now=T0) == {"skipped": "monitor disabled"}
    (ev,) = published("risk.alerts.monitor")
    assert (ev.payload["event"], ev.payload["by"]) == ("stopped", "ops")

    user.user_permissions.add(Permission.objects.get(codename="change_monitorstate"))
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.post("/api/risk/monitor/start").status_code == 200
    assert MonitorState.load().enabled is True and PeriodicTask.objects.get(name="risk.monitor").enabled

    run(T0, django_capture_on_commit_callbacks)
    status = api_client.get("/api/risk/monitor/status")
    assert status.status_code == 200
    doc = status.json()
    assert doc["enabled"] is True
    assert (doc["schedule"]["every_seconds"], doc["schedule"]["expire_seconds"]) == (5.0, 4)
    assert doc["schedule"]["queue"] == "risk"
    assert doc["last_run"]["portfolios"] == 2 and doc["last_run"]["runs_total"] == 1
    assert doc["open_breaches"] == {"total": 1, "by_status": {"open": 1}, "by_level": {"warn": 1}}
    assert [e.payload["event"] for e in published("risk.alerts.monitor")] == ["stopped", "started"]


@pytest.mark.django_db
def test_status_needs_authentication(anon_client):
    assert anon_client.get("/api/risk/monitor/status").status_code in (401, 403)


# --- event-driven checks -------------------------------------------------------------------------


def _event(topic, payload):
    return {"id": "1-0", "topic": topic, "priority": "high", "payload": payload, "published_at": 0}


@pytest.mark.django_db
def test_a_bar_checks_the_portfolios_holding_it(
    world, fresh_bus, django_capture_on_commit_callbacks, monkeypatch
):
    trailing = []
    monkeypatch.setattr(
        tasks_monitor.check_trailing, "apply_async", lambda countdown: trailing.append(countdown)
    )
    with django_capture_on_commit_callbacks(execute=True):
        out = tasks_monitor.check_on_event(_event("market.data.bars.AAA", {"symbol": "AAA"}))
    assert (out["symbols"], out["portfolios"], out["opened"]) == (["AAA"], 1, 1)
    assert [e.topic for e in published()] == ["risk.breaches.mon"]
    # Inside the coalescing window the next events are deferred to one trailing run.
    assert "deferred" in tasks_monitor.check_on_event(_event("market.data.bars.BBB", {"symbol": "BBB"}))
    tasks_monitor.check_on_event(_event("trading.executions.mon", {"portfolio_id": world[0].pk}))
    assert len(trailing) == 1
    later = tasks_monitor.check_trailing()
    assert later["symbols"] == ["BBB"] and later["portfolio_ids"] == [world[0].pk]
    assert later["portfolios"] == 2
    assert tasks_monitor.check_on_event(_event("system.health.x", {})) == {
        "skipped": "nothing to check in this event"
    }


def test_the_risk_engine_subscribes_to_bars_and_executions():
    from apps.risk.subscriptions import CHECK_TASK

    for pattern in ("market.data.bars.*", "trading.executions.*"):
        assert CHECK_TASK in {r.task_name for r in bus.subscribers() if r.pattern == pattern}
    route = next(r for r in bus.subscribers() if r.task_name == CHECK_TASK)
    assert route.queue == "risk"
