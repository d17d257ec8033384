"""The slow-run alert and the run figures: a run over half its interval publishes `slow_run` on
risk.alerts.monitor and degrades /health (with the reason) until a run is back under; duration,
portfolios and lag are on MonitorState, in the status answer and on /metrics."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from prometheus_client.parser import text_string_to_metric_families

from apps.platform import bus, health
from apps.risk.models import MonitorState
from apps.risk.services import monitor
from apps.risk.services.monitor import record
from tests.risk.conftest import make_instrument, make_limit, make_portfolio, store_daily_bars

T0 = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture
def world(user):
    make_instrument("AAA")
    store_daily_bars("AAA", [10.0] * 5)
    pf = make_portfolio("mon", owner=user, positions={"AAA": 100}, cash=0)
    make_limit(pf, limit_type="max_position", breach_threshold=500)
    return pf


@pytest.fixture
def risk_worker_seen(monkeypatch):
    """A worker on the risk queue as the health snapshot sees it: the engine's own finding decides."""

    def fake() -> health.WorkerSnapshot:
        return health.WorkerSnapshot(by_queue={"risk": ["risk@box"]}, taken_at=time.time())

    health.worker_cache_clear()
    monkeypatch.setattr(health, "_broadcast_active_queues", fake)
    yield
    health.worker_cache_clear()


def _interval(every: int, period: str) -> None:
    """Retune the monitor's Beat row as an operator would in the admin."""
    call_command("sync_schedules", verbosity=0)
    schedule, _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
    PeriodicTask.objects.filter(name="risk.monitor").update(interval=schedule)


def _alerts():
    return [e.payload for e in bus.subscribe("risk.alerts.monitor", last_id="0", follow=False)]


def _metric(text: str, name: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name:
                return s.value
    return None


def test_a_slow_run_alerts_and_degrades_health_until_a_run_is_back_under(
    world, fresh_bus, django_capture_on_commit_callbacks, anon_client, api_client, risk_worker_seen
):
    # One millisecond: any run uses more than half of it.
    _interval(1000, IntervalSchedule.MICROSECONDS)
    assert record.monitor_interval()[0] == pytest.approx(0.001)
    with django_capture_on_commit_callbacks(execute=True):
        out = monitor.monitor_run(now=T0)
    assert out["slow"] is True and out["interval_fraction"] > 0.5
    state = MonitorState.load()
    assert state.slow_since == T0 and state.slow_runs_total == 1 and state.last_interval_s == 0.001
    (alert,) = _alerts()
    assert alert["event"] == "slow_run" and alert["portfolios"] == 1
    assert alert["duration_ms"] == pytest.approx(state.last_duration_ms, abs=1e-3)
    assert alert["interval_fraction"] == pytest.approx(state.last_duration_ms / 1.0, rel=1e-3)

    doc = anon_client.get("/health").json()
    (finding,) = doc["engines"]["risk"]["checks"]
    assert finding.startswith("monitor slow since 2025-03-03T12:00:00")
    assert "of its 0.001 s interval" in finding
    assert doc["engines"]["risk"]["status"] == "degraded" and f"risk: {finding}" in doc["reasons"]

    # Still slow: a second alert, the streak keeps its start.
    with django_capture_on_commit_callbacks(execute=True):
        monitor.monitor_run(now=T0 + timedelta(seconds=5))
    assert [a["event"] for a in _alerts()] == ["slow_run", "slow_run"]
    assert _alerts()[1]["slow_since"].startswith("2025-03-03T12:00:00")
    assert MonitorState.load().slow_since == T0

    # Back to 5 s: the next run is far under half of it; the alert clears, /health with it.
    _interval(5, IntervalSchedule.SECONDS)
    with django_capture_on_commit_callbacks(execute=True):
        out = monitor.monitor_run(now=T0 + timedelta(seconds=10))
    assert out["slow"] is False
    state = MonitorState.load()
    assert state.slow_since is None and state.slow_runs_total == 2 and state.runs_total == 3
    assert [a["event"] for a in _alerts()] == ["slow_run", "slow_run", "slow_run_cleared"]
    doc = anon_client.get("/health").json()
    assert doc["engines"]["risk"]["checks"] == []
    assert not any(r.startswith("risk: ") for r in doc["reasons"])

    status = api_client.get("/api/risk/monitor/status").json()
    assert status["slow"] == {"since": None, "runs_total": 2}
    assert status["last_run"]["interval_s"] == 5.0 and status["last_run"]["lag_ms"] == 0.0

    text = anon_client.get("/metrics").content.decode()
    assert _metric(text, "nautilus_risk_monitor_slow") == 0.0
    assert _metric(text, "nautilus_risk_monitor_last_run_portfolios") == 1.0
    assert _metric(text, "nautilus_risk_monitor_last_run_seconds") == pytest.approx(
        state.last_duration_ms / 1000.0
    )
    assert _metric(text, "nautilus_risk_monitor_slow_runs_total") >= 2


def test_a_slowed_step_over_half_the_default_interval_alerts(
    world, fresh_bus, django_capture_on_commit_callbacks, monkeypatch
):
    """The default interval (workers.schedule's 5 s, no Beat row): a step that takes 2.6 s is slow."""
    real_step = monitor.run.monitor_step

    def slow_step(**kw):
        time.sleep(2.6)
        return real_step(**kw)

    monkeypatch.setattr(monitor.run, "monitor_step", slow_step)
    with django_capture_on_commit_callbacks(execute=True):
        out = monitor.monitor_run(now=T0)
    assert out["slow"] is True and MonitorState.load().last_interval_s == 5.0
    assert [a["event"] for a in _alerts()] == ["slow_run"]
    monkeypatch.setattr(monitor.run, "monitor_step", real_step)
    with django_capture_on_commit_callbacks(execute=True):
        assert monitor.monitor_run(now=T0 + timedelta(seconds=5))["slow"] is False
    assert [a["event"] for a in _alerts()] == ["slow_run", "slow_run_cleared"]


def test_lag_from_the_beat_tick_or_the_previous_start(world, django_capture_on_commit_callbacks):
    call_command("sync_schedules", verbosity=0)  # every 5 s, messages expire 4 s after their tick
    # Sent by Beat 1.5 s ago: its message expires 2.5 s from now.
    expires = (datetime.now(tz=UTC) + timedelta(seconds=2.5)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        out = monitor.monitor_run(now=T0, beat_expires=expires)
    assert 1500 <= out["lag_ms"] < 1500 + 30_000  # the upper bound only rules out nonsense
    # Not sent by Beat: started 7 s after the previous start, 2 s later than the 5 s interval.
    with django_capture_on_commit_callbacks(execute=True):
        out = monitor.monitor_run(now=T0 + timedelta(seconds=7))
    assert out["lag_ms"] == 2000.0 and MonitorState.load().last_lag_ms == 2000.0
    # Early (a manual run): no negative lag.
    with django_capture_on_commit_callbacks(execute=True):
        assert monitor.monitor_run(now=T0 + timedelta(seconds=8))["lag_ms"] == 0.0
