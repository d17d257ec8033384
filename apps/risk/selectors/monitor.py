"""Reads of the monitor: its switch, its Beat row, its last run and the open breaches (plain data
for the API)."""

from __future__ import annotations

from django.db.models import Count

from apps.platform.timestamps import iso_utc

from ..models import Breach, BreachStatus, MonitorState

MONITOR_BEAT_NAME = "risk.monitor"  # the workers.schedule entry synced into django-celery-beat


def monitor_schedule() -> dict | None:
    """The Beat row of the monitor as django-celery-beat holds it; None before sync_schedules."""
    from django_celery_beat.models import PeriodicTask

    row = PeriodicTask.objects.select_related("interval").filter(name=MONITOR_BEAT_NAME).first()
    if row is None:
        return None
    every = row.schedule.run_every.total_seconds() if row.interval_id else None
    return {
        "name": row.name,
        "enabled": row.enabled,
        "every_seconds": every,
        "expire_seconds": row.expire_seconds,
        "queue": row.queue,
        "priority": row.priority,
        "last_run_at": row.last_run_at,
    }


def open_breach_counts() -> dict:
    """Unresolved breaches by status and by level, and their total."""
    rows = Breach.objects.exclude(status=BreachStatus.RESOLVED)
    by = rows.values("status", "level").annotate(n=Count("id")).order_by()
    by_status: dict[str, int] = {}
    by_level: dict[str, int] = {}
    for r in by:
        by_status[r["status"]] = by_status.get(r["status"], 0) + r["n"]
        by_level[r["level"]] = by_level.get(r["level"], 0) + r["n"]
    return {"total": sum(by_status.values()), "by_status": by_status, "by_level": by_level}


def monitor_status() -> dict:
    state = MonitorState.load()
    return {
        "enabled": state.enabled,
        "changed_at": state.changed_at,
        "schedule": monitor_schedule(),
        "last_run": {
            "started_at": state.last_started_at,
            "finished_at": state.last_finished_at,
            "duration_ms": state.last_duration_ms,
            "portfolios": state.last_portfolios,
            "limits": state.last_limits,
            "opened": state.last_opened,
            "resolved": state.last_resolved,
            "error": state.last_error,
            "runs_total": state.runs_total,
            "lag_ms": state.last_lag_ms,
            "mode": state.last_mode,
            "portfolios_read": state.last_portfolios,
            "changes": state.last_changes,
            "breaches_written": state.last_written,
            "full_sweep_at": state.last_full_at,
            "interval_s": state.last_interval_s,
        },
        "slow": {"since": state.slow_since, "runs_total": state.slow_runs_total},
        "open_breaches": open_breach_counts(),
    }


def monitor_health() -> list[str]:
    """The monitor's findings for /health: a running monitor in a slow streak (its last runs used
    more than half their interval, services.monitor.record) is one; a stopped monitor has none."""
    state = MonitorState.objects.filter(pk=1).first()
    if state is None or not state.enabled or state.slow_since is None:
        return []
    share = (state.last_duration_ms or 0.0) / 1000.0 / (state.last_interval_s or 1.0)
    return [
        f"monitor slow since {iso_utc(state.slow_since)}: last run {state.last_duration_ms / 1000.0:.2f} s, "
        f"{share:.0%} of its {state.last_interval_s:g} s interval (the alert is above 50%)"
    ]
